//! Webhook signing secrets on one machine: `secrets/{seller}/{provider}` in the data folder (one secret
//! per line; two lines while a secret rolls), or `SEIKYU_WEBHOOK_SECRETS`, a JSON object
//! `{"{seller}/{provider}": ["secret", ...]}` (the environment wins for the pairs it names). Read on
//! every webhook, so a secret changed on disk applies at once.

use std::collections::HashMap;
use std::path::PathBuf;

use seikyu_payments::Secret;
use seikyu_service::ports::{SecretsError, WebhookSecrets};

#[derive(Debug, Clone, Default)]
pub struct LocalSecrets {
    dir: Option<PathBuf>,
    env: HashMap<String, Vec<String>>,
}

impl LocalSecrets {
    /// Secrets under `dir`, and those of `env_json` (the variable's value, if set).
    pub fn new(dir: Option<PathBuf>, env_json: Option<&str>) -> Result<Self, String> {
        let env = match env_json {
            None => HashMap::new(),
            Some(j) => serde_json::from_str(j).map_err(|e| {
                format!(
                    "SEIKYU_WEBHOOK_SECRETS: a JSON object of \"seller/provider\": [secrets]: {e}"
                )
            })?,
        };
        Ok(LocalSecrets { dir, env })
    }
}

impl WebhookSecrets for LocalSecrets {
    async fn secrets(&self, seller_id: &str, provider: &str) -> Result<Vec<Secret>, SecretsError> {
        let plain = |s: &str| seikyu_domain::id::is_id(s);
        if !plain(seller_id) || !plain(provider) {
            return Ok(Vec::new());
        }
        if let Some(v) = self.env.get(&format!("{seller_id}/{provider}")) {
            return Ok(v
                .iter()
                .map(|s| Secret::new(s.as_bytes().to_vec()))
                .collect());
        }
        let Some(dir) = &self.dir else {
            return Ok(Vec::new());
        };
        match std::fs::read_to_string(dir.join(seller_id).join(provider)) {
            Ok(text) => Ok(text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| Secret::new(l.as_bytes().to_vec()))
                .collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(SecretsError(format!("webhook secrets of {seller_id}: {e}"))),
        }
    }
}
