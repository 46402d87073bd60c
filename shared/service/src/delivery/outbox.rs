//! The outbox: an event is written in the same transaction as the change it announces, sent right after
//! the commit, and by the sweeper when the request died before sending.

use chrono::Duration;

use crate::app::App;
use crate::error::AppError;
use crate::ports::{Clock, DocumentArchive, EventBus, MessageQueue, Store};
use crate::record::{Delivery, OutboxEntry};

/// Outbox entries younger than this are left to the request that wrote them.
pub const OUTBOX_GRACE_SECONDS: i64 = 30;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub delivered: usize,
    pub failed: usize,
}

impl<S, A, Q, B, C> App<S, A, Q, B, C>
where
    S: Store,
    A: DocumentArchive,
    Q: MessageQueue,
    B: EventBus,
    C: Clock,
{
    /// Send an outbox entry (queue message or bus event) and remove the entry. A failure leaves the entry
    /// for the sweeper.
    pub(crate) async fn deliver(&self, entry: &OutboxEntry) -> bool {
        let sent = match &entry.delivery {
            Delivery::Queue(m) => self.queue.send(m).await.map_err(|e| e.to_string()),
            Delivery::Bus(e) => self.bus.publish(e).await.map_err(|e| e.to_string()),
        };
        match sent {
            Ok(()) => {
                if let Err(e) = self.store.delete(entry).await {
                    tracing::warn!(outbox = %entry.id, error = %e, "sent but not removed from the outbox; it will be sent again");
                }
                true
            }
            Err(e) => {
                tracing::warn!(outbox = %entry.id, error = %e, "send failed; the outbox sweeper will retry");
                false
            }
        }
    }

    /// Deliver outbox entries older than the grace period (written by requests that died before sending).
    pub async fn sweep_outbox(&self, limit: usize) -> Result<SweepReport, AppError> {
        let before = self.clock.now() - Duration::seconds(OUTBOX_GRACE_SECONDS);
        let mut report = SweepReport::default();
        for entry in self.store.pending(before, limit).await? {
            if self.deliver(&entry).await {
                report.delivered += 1;
            } else {
                report.failed += 1;
            }
        }
        Ok(report)
    }
}
