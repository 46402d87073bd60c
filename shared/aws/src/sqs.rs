//! SQS adapter for the message queues: each message goes to the queue its event belongs to.

use aws_sdk_sqs::Client;
use seikyu_service::ports::{MessageQueue, QueueError};
use seikyu_service::record::{QueueMessage, QueueName};

#[derive(Clone, Debug)]
pub struct SqsQueue {
    client: Client,
    issued_url: String,
    receipts_url: String,
}

impl SqsQueue {
    pub fn new(
        client: Client,
        issued_url: impl Into<String>,
        receipts_url: impl Into<String>,
    ) -> Self {
        Self {
            client,
            issued_url: issued_url.into(),
            receipts_url: receipts_url.into(),
        }
    }
}

impl MessageQueue for SqsQueue {
    async fn send(&self, message: &QueueMessage) -> Result<(), QueueError> {
        let body = serde_json::to_string(message).map_err(|e| QueueError(e.to_string()))?;
        let url = match message.queue() {
            QueueName::Issued => &self.issued_url,
            QueueName::Receipts => &self.receipts_url,
        };
        self.client
            .send_message()
            .queue_url(url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| QueueError(format!("{e:?}").chars().take(600).collect()))?;
        Ok(())
    }
}
