//! SES (v1 API) adapter: SendRawEmail, so the message carries its attachment.

use aws_sdk_ses::Client;
use aws_sdk_ses::error::SdkError;
use aws_sdk_ses::operation::send_raw_email::SendRawEmailError;
use aws_sdk_ses::primitives::Blob;
use aws_sdk_ses::types::RawMessage;
use seikyu_service::ports::{MailError, Mailer};

#[derive(Clone, Debug)]
pub struct SesMailer {
    client: Client,
}

impl SesMailer {
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

impl Mailer for SesMailer {
    async fn send_raw(&self, from: &str, to: &[String], raw: &[u8]) -> Result<String, MailError> {
        let msg = RawMessage::builder()
            .data(Blob::new(raw.to_vec()))
            .build()
            .map_err(|e| MailError::Rejected(e.to_string()))?;
        let r = self
            .client
            .send_raw_email()
            .source(from)
            .set_destinations(Some(to.to_vec()))
            .raw_message(msg)
            .send()
            .await;
        match r {
            Ok(out) => Ok(out.message_id),
            Err(SdkError::ServiceError(e)) => match e.err() {
                SendRawEmailError::MessageRejected(m) => Err(MailError::Rejected(m.to_string())),
                SendRawEmailError::MailFromDomainNotVerifiedException(m) => {
                    Err(MailError::Rejected(m.to_string()))
                }
                SendRawEmailError::AccountSendingPausedException(m) => {
                    Err(MailError::Unavailable(m.to_string()))
                }
                other => Err(MailError::Unavailable(other.to_string())),
            },
            Err(e) => Err(MailError::Unavailable(
                format!("{e:?}").chars().take(600).collect(),
            )),
        }
    }
}
