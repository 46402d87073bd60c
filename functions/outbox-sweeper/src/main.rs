//! `outbox-sweeper`: on a schedule, sends queue messages whose request died between the database write
//! and the queue send (transactional outbox).

use lambda_runtime::{Error, LambdaEvent, service_fn};
use seikyu_aws::{Adapters, Config, init_tracing, sdk_config};
use serde_json::{Value, json};

/// Entries handled per run, well within the 10 s timeout (two calls each); the schedule runs every minute.
const BATCH: usize = 100;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = Config::from_env()?;
    let (app, _) = Adapters::new(&sdk_config().await, &config).into_app()?;
    lambda_runtime::run(service_fn(|_event: LambdaEvent<Value>| {
        let app = &app;
        async move {
            let report = app
                .sweep_outbox(BATCH)
                .await
                .map_err(|e| Error::from(e.to_string()))?;
            tracing::info!(
                delivered = report.delivered,
                failed = report.failed,
                "outbox swept"
            );
            Ok::<_, Error>(json!({ "delivered": report.delivered, "failed": report.failed }))
        }
    }))
    .await
}
