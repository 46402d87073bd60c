//! SQS adapter for the message queues: each message goes to the queue its event belongs to.

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use seikyu_service::ports::{MessageQueue, QueueError};
use seikyu_service::record::{QueueMessage, QueueName};

#[derive(Clone, Debug)]
pub struct SqsQueue {
    client: Client,
    issued_url: String,
    receipts_url: String,
    reminders_url: String,
    /// Dead-letter queues (issued, receipts, reminders); `None` until configured.
    dead_letter_urls: Option<[String; 3]>,
}

/// SendMessageBatch takes at most ten entries.
const BATCH: usize = 10;
/// Batches in flight at once.
const CONCURRENT_BATCHES: usize = 8;

fn queue_error<E: std::fmt::Debug>(e: E) -> QueueError {
    QueueError(format!("{e:?}").chars().take(600).collect())
}

impl SqsQueue {
    pub fn new(
        client: Client,
        issued_url: impl Into<String>,
        receipts_url: impl Into<String>,
        reminders_url: impl Into<String>,
    ) -> Self {
        Self {
            client,
            issued_url: issued_url.into(),
            receipts_url: receipts_url.into(),
            reminders_url: reminders_url.into(),
            dead_letter_urls: None,
        }
    }

    /// Where [`MessageQueue::dead_letter`] puts a message of each queue.
    pub fn with_dead_letter_queues(
        mut self,
        issued: impl Into<String>,
        receipts: impl Into<String>,
        reminders: impl Into<String>,
    ) -> Self {
        self.dead_letter_urls = Some([issued.into(), receipts.into(), reminders.into()]);
        self
    }

    fn url(&self, queue: QueueName) -> &str {
        match queue {
            QueueName::Issued => &self.issued_url,
            QueueName::Receipts => &self.receipts_url,
            QueueName::Reminders => &self.reminders_url,
        }
    }
}

/// Send one batch (all for `url`), retrying once the entries SQS refused.
async fn send_batch_to(client: Client, url: String, bodies: Vec<String>) -> Result<(), QueueError> {
    let mut pending: Vec<(usize, String)> = bodies.into_iter().enumerate().collect();
    for attempt in 0..2 {
        let entries = pending
            .iter()
            .map(|(i, body)| {
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(body)
                    .build()
                    .map_err(queue_error)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = client
            .send_message_batch()
            .queue_url(&url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(queue_error)?;
        if out.failed.is_empty() {
            return Ok(());
        }
        if attempt == 1 || out.failed.iter().any(|f| f.sender_fault) {
            return Err(QueueError(format!(
                "{} of the batch refused: {}",
                out.failed.len(),
                out.failed
                    .first()
                    .map(|f| format!("{}: {:?}", f.code, f.message))
                    .unwrap_or_default()
            )));
        }
        let failed: Vec<&str> = out.failed.iter().map(|f| f.id.as_str()).collect();
        pending.retain(|(i, _)| failed.contains(&i.to_string().as_str()));
    }
    Ok(())
}

impl SqsQueue {
    /// Put `body` on the dead-letter queue at `url`, with why as the `seikyu_error` attribute. The
    /// statement importer's queue is fed by S3 events, not by [`MessageQueue::send`], so its consumer
    /// names its dead-letter queue itself.
    pub async fn dead_letter_to(
        &self,
        url: &str,
        body: &str,
        reason: &str,
    ) -> Result<(), QueueError> {
        // The reason travels as a message attribute (at most 256 KB with the body: SQS's limit).
        let reason: String = reason.chars().take(1000).collect();
        let attribute = aws_sdk_sqs::types::MessageAttributeValue::builder()
            .data_type("String")
            .string_value(if reason.is_empty() {
                "-".into()
            } else {
                reason
            })
            .build()
            .map_err(queue_error)?;
        self.client
            .send_message()
            .queue_url(url)
            .message_body(body)
            .message_attributes("seikyu_error", attribute)
            .send()
            .await
            .map_err(queue_error)?;
        Ok(())
    }
}

impl MessageQueue for SqsQueue {
    async fn send(&self, message: &QueueMessage) -> Result<(), QueueError> {
        let body = serde_json::to_string(message).map_err(|e| QueueError(e.to_string()))?;
        self.client
            .send_message()
            .queue_url(self.url(message.queue()))
            .message_body(body)
            .send()
            .await
            .map_err(queue_error)?;
        Ok(())
    }

    async fn dead_letter(
        &self,
        queue: QueueName,
        body: &str,
        reason: &str,
    ) -> Result<(), QueueError> {
        let Some(urls) = &self.dead_letter_urls else {
            return Err(QueueError(
                "no dead-letter queue configured; the message is redelivered instead".into(),
            ));
        };
        let url = match queue {
            QueueName::Issued => &urls[0],
            QueueName::Receipts => &urls[1],
            QueueName::Reminders => &urls[2],
        };
        self.dead_letter_to(url, body, reason).await
    }

    async fn send_batch(&self, messages: &[QueueMessage]) -> Result<(), QueueError> {
        let mut batches: Vec<(String, Vec<String>)> = Vec::new();
        for queue in [QueueName::Issued, QueueName::Receipts, QueueName::Reminders] {
            let bodies = messages
                .iter()
                .filter(|m| m.queue() == queue)
                .map(|m| serde_json::to_string(m).map_err(|e| QueueError(e.to_string())))
                .collect::<Result<Vec<_>, _>>()?;
            for chunk in bodies.chunks(BATCH) {
                batches.push((self.url(queue).to_string(), chunk.to_vec()));
            }
        }
        let mut tasks = tokio::task::JoinSet::new();
        let mut result = Ok(());
        for (url, bodies) in batches {
            if tasks.len() >= CONCURRENT_BATCHES
                && let Some(done) = tasks.join_next().await
            {
                result = result.and(done.map_err(queue_error)?);
            }
            tasks.spawn(send_batch_to(self.client.clone(), url, bodies));
        }
        while let Some(done) = tasks.join_next().await {
            result = result.and(done.map_err(queue_error)?);
        }
        result
    }
}
