//! The queues between the jobs, as SQS is used: a message sent is kept in the data folder's database
//! until a consumer acknowledges it; a received message is invisible to others for the visibility
//! timeout, then delivered again (a consumer that failed, or a process that died); after
//! [`MAX_RECEIVES`] failed or unanswered deliveries it moves to the dead-letter table, as SQS's redrive
//! policy moves it to the dead-letter queue.

use std::sync::Arc;

use rusqlite::params;
use seikyu_service::ports::{MessageQueue, QueueError};
use seikyu_service::record::{QueueMessage, QueueName};
use tokio::sync::Notify;

use crate::db::{Db, unavailable};

/// Deliveries before a message is dead-lettered (the template's `maxReceiveCount`).
pub const MAX_RECEIVES: i64 = 5;

/// A queue of the local runtime: the three of [`QueueName`], and the statements queue that S3's
/// notifications feed in AWS (here the archive feeds it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LocalQueueName {
    Issued,
    Receipts,
    Reminders,
    Statements,
}

impl LocalQueueName {
    pub const ALL: [LocalQueueName; 4] = [
        LocalQueueName::Issued,
        LocalQueueName::Receipts,
        LocalQueueName::Reminders,
        LocalQueueName::Statements,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LocalQueueName::Issued => "issued",
            LocalQueueName::Receipts => "receipts",
            LocalQueueName::Reminders => "reminders",
            LocalQueueName::Statements => "statements",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl From<QueueName> for LocalQueueName {
    fn from(q: QueueName) -> Self {
        match q {
            QueueName::Issued => LocalQueueName::Issued,
            QueueName::Receipts => LocalQueueName::Receipts,
            QueueName::Reminders => LocalQueueName::Reminders,
        }
    }
}

/// A message handed to a consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub id: String,
    pub body: String,
    /// 1 on the first delivery.
    pub receives: i64,
}

/// A message moved to a dead-letter table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadMessage {
    pub queue: String,
    pub body: String,
    pub reason: String,
}

/// The queues on the data folder's database.
#[derive(Debug, Clone)]
pub struct SqliteQueue {
    db: Arc<Db>,
    /// Woken when a message is sent to the queue (consumers also poll, for redeliveries).
    ready: Arc<[Notify; 4]>,
}

fn queue_error(e: impl std::fmt::Display) -> QueueError {
    QueueError(e.to_string())
}

impl SqliteQueue {
    pub fn new(db: Arc<Db>) -> Self {
        SqliteQueue {
            db,
            ready: Arc::new([Notify::new(), Notify::new(), Notify::new(), Notify::new()]),
        }
    }

    /// Put a raw body on `queue` (the statements queue takes S3-shaped notifications).
    pub fn send_raw(&self, queue: LocalQueueName, body: &str) -> Result<(), QueueError> {
        let now = self.db.now_millis();
        self.db
            .write(|tx| {
                tx.prepare_cached(
                    "INSERT INTO queue (queue, body, sent_at, visible_at) VALUES (?1, ?2, ?3, ?3)",
                )
                .and_then(|mut s| s.execute(params![queue.as_str(), body, now]))
                .map_err(unavailable)
            })
            .map_err(queue_error)?;
        self.notify(queue);
        Ok(())
    }

    pub(crate) fn notify(&self, queue: LocalQueueName) {
        self.ready[queue.index()].notify_one();
    }

    /// Wait until a message may have arrived on `queue`.
    pub async fn wait(&self, queue: LocalQueueName) {
        self.ready[queue.index()].notified().await;
    }

    /// Receive up to `max` visible messages of `queue`, hiding them for `visibility_ms`.
    pub fn receive(
        &self,
        queue: LocalQueueName,
        max: usize,
        visibility_ms: i64,
    ) -> Result<Vec<Received>, QueueError> {
        let now = self.db.now_millis();
        let max = i64::try_from(max).unwrap_or(10);
        self.db
            .write(|tx| {
                // A message received MAX_RECEIVES times and never answered (its consumer hung, or took
                // the process down) is dead-lettered, as SQS's redrive policy does, instead of looping.
                tx.prepare_cached(
                    "INSERT INTO dead_letters (queue, body, reason, at)
                     SELECT queue, body, 'received ' || receives || ' times without an answer', ?2
                     FROM queue WHERE queue = ?1 AND visible_at <= ?2 AND receives >= ?3",
                )
                .and_then(|mut s| s.execute(params![queue.as_str(), now, MAX_RECEIVES]))
                .map_err(unavailable)?;
                tx.prepare_cached(
                    "DELETE FROM queue WHERE queue = ?1 AND visible_at <= ?2 AND receives >= ?3",
                )
                .and_then(|mut s| s.execute(params![queue.as_str(), now, MAX_RECEIVES]))
                .map_err(unavailable)?;
                let mut st = tx
                    .prepare_cached(
                        "UPDATE queue SET visible_at = ?3, receives = receives + 1
                         WHERE id IN (SELECT id FROM queue WHERE queue = ?1 AND visible_at <= ?2
                                      ORDER BY visible_at, id LIMIT ?4)
                         RETURNING id, body, receives",
                    )
                    .map_err(unavailable)?;
                let rows = st
                    .query_map(
                        params![queue.as_str(), now, now + visibility_ms, max],
                        |r| {
                            Ok(Received {
                                id: r.get::<_, i64>(0)?.to_string(),
                                body: r.get(1)?,
                                receives: r.get(2)?,
                            })
                        },
                    )
                    .map_err(unavailable)?;
                let mut v: Vec<Received> = rows.collect::<Result<_, _>>().map_err(unavailable)?;
                v.sort_by_key(|m| m.id.parse::<i64>().unwrap_or(i64::MAX));
                Ok(v)
            })
            .map_err(queue_error)
    }

    /// Acknowledge handled messages (they are gone).
    pub fn delete(&self, ids: &[String]) -> Result<(), QueueError> {
        self.db
            .write(|tx| {
                let mut st = tx
                    .prepare_cached("DELETE FROM queue WHERE id = ?1")
                    .map_err(unavailable)?;
                for id in ids {
                    st.execute([id]).map_err(unavailable)?;
                }
                Ok(())
            })
            .map_err(queue_error)
    }

    /// A delivery failed: make the message visible again after `backoff_ms`, or, after
    /// [`MAX_RECEIVES`] deliveries, move it to the dead-letter table.
    pub fn failed(&self, id: &str, backoff_ms: i64) -> Result<(), QueueError> {
        let now = self.db.now_millis();
        self.db
            .write(|tx| {
                tx.execute(
                    "INSERT INTO dead_letters (queue, body, reason, at)
                     SELECT queue, body, 'failed ' || receives || ' deliveries', ?2 FROM queue
                     WHERE id = ?1 AND receives >= ?3",
                    params![id, now, MAX_RECEIVES],
                )
                .map_err(unavailable)?;
                tx.execute(
                    "DELETE FROM queue WHERE id = ?1 AND receives >= ?2",
                    params![id, MAX_RECEIVES],
                )
                .map_err(unavailable)?;
                tx.execute(
                    "UPDATE queue SET visible_at = ?2 WHERE id = ?1",
                    params![id, now + backoff_ms],
                )
                .map_err(unavailable)?;
                Ok(())
            })
            .map_err(queue_error)
    }

    /// Move a message that can never succeed to the dead-letter table, with why.
    pub fn dead_letter_raw(
        &self,
        queue: LocalQueueName,
        body: &str,
        reason: &str,
    ) -> Result<(), QueueError> {
        let now = self.db.now_millis();
        self.db
            .write(|tx| {
                tx.execute(
                    "INSERT INTO dead_letters (queue, body, reason, at) VALUES (?1, ?2, ?3, ?4)",
                    params![queue.as_str(), body, reason, now],
                )
                .map_err(unavailable)?;
                Ok(())
            })
            .map_err(queue_error)
    }

    /// Messages a process that stopped had received but not acknowledged: visible at once on start
    /// (only one process uses a data folder, so nobody else is working on them).
    pub fn release_in_flight(&self) -> Result<usize, QueueError> {
        let now = self.db.now_millis();
        self.db
            .write(|tx| {
                tx.execute(
                    "UPDATE queue SET visible_at = ?1 WHERE visible_at > ?1",
                    [now],
                )
                .map_err(unavailable)
            })
            .map_err(queue_error)
    }

    /// Messages waiting (visible or not) on `queue`.
    pub fn depth(&self, queue: LocalQueueName) -> Result<usize, QueueError> {
        self.db
            .read(|c| {
                c.query_row(
                    "SELECT count(*) FROM queue WHERE queue = ?1",
                    [queue.as_str()],
                    |r| r.get::<_, i64>(0),
                )
                .map_err(unavailable)
            })
            .map(|n| usize::try_from(n).unwrap_or(0))
            .map_err(queue_error)
    }

    /// Every dead letter, oldest first.
    pub fn dead_letters(&self) -> Result<Vec<DeadMessage>, QueueError> {
        self.db
            .read(|c| {
                let mut st = c
                    .prepare_cached("SELECT queue, body, reason FROM dead_letters ORDER BY id")
                    .map_err(unavailable)?;
                let rows = st
                    .query_map([], |r| {
                        Ok(DeadMessage {
                            queue: r.get(0)?,
                            body: r.get(1)?,
                            reason: r.get(2)?,
                        })
                    })
                    .map_err(unavailable)?;
                rows.collect::<Result<_, _>>().map_err(unavailable)
            })
            .map_err(queue_error)
    }
}

impl MessageQueue for SqliteQueue {
    async fn send(&self, message: &QueueMessage) -> Result<(), QueueError> {
        let body = serde_json::to_string(message).map_err(queue_error)?;
        self.send_raw(message.queue().into(), &body)
    }

    async fn dead_letter(
        &self,
        queue: QueueName,
        body: &str,
        reason: &str,
    ) -> Result<(), QueueError> {
        self.dead_letter_raw(queue.into(), body, reason)
    }

    async fn send_batch(&self, messages: &[QueueMessage]) -> Result<(), QueueError> {
        let now = self.db.now_millis();
        let bodies: Vec<(LocalQueueName, String)> = messages
            .iter()
            .map(|m| Ok((m.queue().into(), serde_json::to_string(m)?)))
            .collect::<Result<_, serde_json::Error>>()
            .map_err(queue_error)?;
        self.db
            .write(|tx| {
                let mut st = tx
                    .prepare_cached(
                        "INSERT INTO queue (queue, body, sent_at, visible_at) VALUES (?1, ?2, ?3, ?3)",
                    )
                    .map_err(unavailable)?;
                for (q, b) in &bodies {
                    st.execute(params![q.as_str(), b, now])
                        .map_err(unavailable)?;
                }
                Ok(())
            })
            .map_err(queue_error)?;
        for q in LocalQueueName::ALL {
            if bodies.iter().any(|(b, _)| *b == q) {
                self.ready[q.index()].notify_one();
            }
        }
        Ok(())
    }
}
