//! The sellers' event bus on one machine: every event is kept in the data folder's database (`bus_events`,
//! the log a person or the portal reads), written to the JSON log, and handed to the in-process
//! subscribers ([`LocalBus::subscribe`]).

use std::sync::Arc;

use rusqlite::params;
use seikyu_service::ports::{BusError, EventBus};
use seikyu_service::record::BusEvent;
use tokio::sync::broadcast;

use crate::db::{Db, unavailable};

#[derive(Debug, Clone)]
pub struct LocalBus {
    db: Arc<Db>,
    subscribers: broadcast::Sender<BusEvent>,
}

impl LocalBus {
    pub fn new(db: Arc<Db>) -> Self {
        LocalBus {
            db,
            subscribers: broadcast::channel(1024).0,
        }
    }

    /// Events published from now on (a subscriber that falls 1,024 behind misses the oldest; the
    /// database keeps them all).
    pub fn subscribe(&self) -> broadcast::Receiver<BusEvent> {
        self.subscribers.subscribe()
    }

    /// The last `limit` events, oldest first.
    pub fn recent(&self, limit: usize) -> Result<Vec<BusEvent>, BusError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let bodies: Vec<String> = self
            .db
            .read(|c| {
                let mut st = c
                    .prepare_cached(
                        "SELECT body FROM (SELECT id, body FROM bus_events ORDER BY id DESC LIMIT ?1)
                         ORDER BY id",
                    )
                    .map_err(unavailable)?;
                let rows = st
                    .query_map([limit], |r| r.get(0))
                    .map_err(unavailable)?;
                rows.collect::<Result<_, _>>().map_err(unavailable)
            })
            .map_err(|e| BusError(e.to_string()))?;
        bodies
            .iter()
            .map(|b| serde_json::from_str(b).map_err(|e| BusError(e.to_string())))
            .collect()
    }
}

impl EventBus for LocalBus {
    async fn publish(&self, event: &BusEvent) -> Result<(), BusError> {
        let body = serde_json::to_string(event).map_err(|e| BusError(e.to_string()))?;
        let now = self.db.now_millis();
        self.db
            .write(|tx| {
                tx.execute(
                    "INSERT INTO bus_events (at, detail_type, body) VALUES (?1, ?2, ?3)",
                    params![now, event.detail_type, body],
                )
                .map_err(unavailable)?;
                Ok(())
            })
            .map_err(|e| BusError(e.to_string()))?;
        tracing::info!(detail_type = %event.detail_type, detail = %event.detail, "bus event");
        // No subscriber is not an error: the database has it.
        let _ = self.subscribers.send(event.clone());
        Ok(())
    }
}
