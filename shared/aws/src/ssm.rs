//! Webhook secrets from SSM Parameter Store: one SecureString per seller and provider,
//! `{prefix}/{seller}/{provider}`, holding one secret per line (two while a secret rolls). Values are
//! cached for five minutes so a warm function does not read SSM on every webhook; they never reach logs
//! (`Secret`'s Debug is redacted).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_sdk_ssm::Client;
use aws_sdk_ssm::error::SdkError;
use seikyu_payments::Secret;
use seikyu_service::ports::{SecretsError, WebhookSecrets};

const CACHE_TTL: Duration = Duration::from_secs(300);

type Cache = HashMap<(String, String), (Instant, Vec<Vec<u8>>)>;

#[derive(Debug)]
pub struct SsmSecrets {
    client: Client,
    prefix: String,
    cache: Mutex<Cache>,
}

impl SsmSecrets {
    pub fn new(client: Client, prefix: impl Into<String>) -> Self {
        Self {
            client,
            prefix: prefix.into().trim_end_matches('/').to_string(),
            cache: Mutex::new(HashMap::new()),
        }
    }
}

impl WebhookSecrets for SsmSecrets {
    async fn secrets(&self, seller_id: &str, provider: &str) -> Result<Vec<Secret>, SecretsError> {
        let key = (seller_id.to_string(), provider.to_string());
        if let Ok(c) = self.cache.lock()
            && let Some((at, values)) = c.get(&key)
            && at.elapsed() < CACHE_TTL
        {
            return Ok(values.iter().map(|v| Secret::new(v.clone())).collect());
        }
        let name = format!("{}/{seller_id}/{provider}", self.prefix);
        let values: Vec<Vec<u8>> = match self
            .client
            .get_parameter()
            .name(&name)
            .with_decryption(true)
            .send()
            .await
        {
            Ok(out) => out
                .parameter
                .and_then(|p| p.value)
                .unwrap_or_default()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| l.as_bytes().to_vec())
                .collect(),
            Err(SdkError::ServiceError(e)) if e.err().is_parameter_not_found() => Vec::new(),
            Err(e) => return Err(SecretsError(format!("{e:?}").chars().take(300).collect())),
        };
        if let Ok(mut c) = self.cache.lock() {
            c.insert(key, (Instant::now(), values.clone()));
        }
        Ok(values.into_iter().map(Secret::new).collect())
    }
}
