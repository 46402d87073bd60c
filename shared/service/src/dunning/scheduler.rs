//! dunning-scheduler's run: once a (Tokyo) day, one `reminder.due` message per invoice whose next action
//! day has come.

use chrono::{DateTime, NaiveDate, Utc};
use seikyu_domain::dates::tokyo_date;
use thiserror::Error;

use crate::app::App;
use crate::error::AppError;
use crate::ports::{Clock, DocumentArchive, EventBus, MessageQueue, Store};
use crate::record::{EVENT_REMINDER_DUE, QueueMessage};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleReport {
    pub as_of: NaiveDate,
    /// Reminders put on the queue.
    pub queued: usize,
    /// Index items the store read to find them.
    pub items_read: usize,
}

/// Why a scheduled event names no day to run for. Permanent: the same event fails again.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum RunDayError {
    #[error("time: not an RFC 3339 timestamp ({0})")]
    NotATimestamp(String),
    #[error("time: not a string")]
    NotAString,
    #[error("time: {at} is more than a year from now ({now})")]
    TooFar {
        at: DateTime<Utc>,
        now: DateTime<Utc>,
    },
}

/// The Tokyo day a scheduler run is for: the scheduled event's `time` (when EventBridge fired it, so a
/// retried invocation runs for the same day), or `now` for an event without one. A time that is not
/// RFC 3339, or more than a year from `now`, is refused.
pub fn run_day(event: &serde_json::Value, now: DateTime<Utc>) -> Result<NaiveDate, RunDayError> {
    let at = match event.get("time") {
        None | Some(serde_json::Value::Null) => now,
        Some(serde_json::Value::String(t)) => DateTime::parse_from_rfc3339(t)
            .map_err(|e| RunDayError::NotATimestamp(e.to_string()))?
            .with_timezone(&Utc),
        Some(_) => return Err(RunDayError::NotAString),
    };
    if (at - now).num_days().abs() > 366 {
        return Err(RunDayError::TooFar { at, now });
    }
    Ok(tokyo_date(at))
}

impl<S, A, Q, B, C> App<S, A, Q, B, C>
where
    S: Store,
    A: DocumentArchive,
    Q: MessageQueue,
    B: EventBus,
    C: Clock,
{
    /// The scheduler's run for `as_of` (a Tokyo date): one `reminder.due` message per invoice whose next
    /// action day has come, found through the store's next-action index.
    pub async fn schedule_reminders(&self, as_of: NaiveDate) -> Result<ScheduleReport, AppError> {
        let found = self.store.reminders_due(as_of).await?;
        let messages: Vec<QueueMessage> = found
            .invoices
            .iter()
            .map(|(seller_id, invoice_id)| QueueMessage {
                event: EVENT_REMINDER_DUE.into(),
                seller_id: seller_id.clone(),
                invoice_id: invoice_id.clone(),
                payment: None,
                as_of: Some(as_of),
                receipt_id: None,
            })
            .collect();
        self.queue
            .send_batch(&messages)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(ScheduleReport {
            as_of,
            queued: messages.len(),
            items_read: found.items_read,
        })
    }
}
