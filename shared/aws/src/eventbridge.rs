//! EventBridge adapter for the sellers' event bus.

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use seikyu_service::ports::{BusError, EventBus};
use seikyu_service::record::{BUS_SOURCE, BusEvent};

#[derive(Clone, Debug)]
pub struct EventBridgeBus {
    client: Client,
    bus_name: String,
}

impl EventBridgeBus {
    pub fn new(client: Client, bus_name: impl Into<String>) -> Self {
        Self {
            client,
            bus_name: bus_name.into(),
        }
    }
}

impl EventBus for EventBridgeBus {
    async fn publish(&self, event: &BusEvent) -> Result<(), BusError> {
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus_name)
            .source(BUS_SOURCE)
            .detail_type(&event.detail_type)
            .detail(&event.detail)
            .build();
        let out = self
            .client
            .put_events()
            .entries(entry)
            .send()
            .await
            .map_err(|e| BusError(format!("{e:?}").chars().take(600).collect()))?;
        // PutEvents answers 200 even when an entry was refused; the entry says why.
        if out.failed_entry_count > 0 {
            let why = out
                .entries
                .unwrap_or_default()
                .into_iter()
                .find_map(|e| {
                    e.error_code
                        .map(|c| format!("{c}: {}", e.error_message.unwrap_or_default()))
                })
                .unwrap_or_else(|| "entry failed".into());
            return Err(BusError(why));
        }
        Ok(())
    }
}
