//! The loop of every queue consumer (invoice-mailer, receipt-issuer, reminder-sender), and what happens
//! to a message that fails:
//! - a **retryable** failure (a store or mail service unavailable, a send claimed by another delivery, a
//!   record still changing) is reported failed: SQS redelivers it after the visibility timeout, and after
//!   the redrive count (5) parks it in the dead-letter queue;
//! - a **permanent** failure (a body that is not a message, an unknown event, a record that does not
//!   exist, a document that does not match its hash, an address the mail service refuses) would fail
//!   the same way every time: it is moved to the queue's dead-letter queue **at once** by [`settle`]
//!   and acknowledged, so it is neither retried nor lost (the dead-letter alarm fires; a person looks).

use crate::error::JobError;
use crate::ports::MessageQueue;
use crate::record::{QueueMessage, QueueName};

/// SQS's largest message.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// A message that can never succeed, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub message_id: String,
    pub body: String,
    pub reason: String,
}

/// What a batch leaves for the queue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchReport {
    /// Ids to report failed: redelivered later.
    pub failed: Vec<String>,
    /// Messages to move to the dead-letter queue now.
    pub dead: Vec<DeadLetter>,
}

impl BatchReport {
    /// Every message was handled: nothing to redeliver, nothing dead.
    pub fn all_handled(&self) -> bool {
        self.failed.is_empty() && self.dead.is_empty()
    }
}

/// Parse each `(message id, body)`, handle it, log the outcome, and sort the failures.
pub(crate) async fn each_message<F, Fut, O>(messages: &[(String, String)], handle: F) -> BatchReport
where
    F: Fn(QueueMessage) -> Fut,
    Fut: std::future::Future<Output = Result<O, JobError>>,
    O: std::fmt::Debug,
{
    let mut report = BatchReport::default();
    for (id, body) in messages {
        let msg: QueueMessage = match seikyu_domain::json::from_slice(
            body.as_bytes(),
            MAX_MESSAGE_BYTES,
        ) {
            Ok(m) => m,
            Err(e) => {
                tracing::error!(message_id = %id, error = %e, "not a queue message: to the dead-letter queue");
                report.dead.push(DeadLetter {
                    message_id: id.clone(),
                    body: body.clone(),
                    reason: format!("not a queue message: {e}"),
                });
                continue;
            }
        };
        let (event, seller_id, invoice_id, payment) = (
            msg.event.clone(),
            msg.seller_id.clone(),
            msg.invoice_id.clone(),
            msg.payment.clone(),
        );
        // Boxed: the handlers' futures are deep (claim, send, record); inline, the functions' async
        // main exceeds rustc's type-layout depth in release builds.
        match Box::pin(handle(msg)).await {
            Ok(outcome) => {
                tracing::info!(message_id = %id, %event, %seller_id, %invoice_id, ?payment, ?outcome, "handled");
            }
            Err(JobError::Retryable(e)) => {
                tracing::warn!(message_id = %id, %event, %seller_id, %invoice_id, ?payment, error = %e, "failed; it will be redelivered");
                report.failed.push(id.clone());
            }
            Err(JobError::Permanent(e)) => {
                tracing::error!(message_id = %id, %event, %seller_id, %invoice_id, ?payment, error = %e, "cannot succeed: to the dead-letter queue");
                report.dead.push(DeadLetter {
                    message_id: id.clone(),
                    body: body.clone(),
                    reason: e,
                });
            }
        }
    }
    report
}

/// The edge's answer to the queue: move the dead letters to `queue`'s dead-letter queue, and return the
/// ids to report failed (the retryable ones, and any dead letter that could not be moved: SQS redelivers
/// it, and its redrive policy parks it after the redrive count, so nothing is lost either way).
pub async fn settle<Q: MessageQueue>(
    queue: &Q,
    name: QueueName,
    report: BatchReport,
) -> Vec<String> {
    let mut failed = report.failed;
    for d in report.dead {
        if let Err(e) = queue.dead_letter(name, &d.body, &d.reason).await {
            tracing::warn!(message_id = %d.message_id, error = %e, "could not move to the dead-letter queue; reported failed instead");
            failed.push(d.message_id);
        }
    }
    failed
}
