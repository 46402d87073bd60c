//! SQS adapter for the message queue.

use aws_sdk_sqs::Client;
use seikyu_service::ports::{MessageQueue, QueueError};
use seikyu_service::record::QueueMessage;

#[derive(Clone, Debug)]
pub struct SqsQueue {
    client: Client,
    queue_url: String,
}

impl SqsQueue {
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }
}

impl MessageQueue for SqsQueue {
    async fn send(&self, message: &QueueMessage) -> Result<(), QueueError> {
        let body = serde_json::to_string(message).map_err(|e| QueueError(e.to_string()))?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| QueueError(format!("{e:?}").chars().take(600).collect()))?;
        Ok(())
    }
}
