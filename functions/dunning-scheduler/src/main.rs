//! `dunning-scheduler`: once a day (EventBridge schedule, 09:00 JST by default) queues one
//! `reminder.due` message per invoice whose next reminder day has come, found through the store's
//! next-action index (never a scan).

use lambda_runtime::{Error, LambdaEvent, service_fn};
use seikyu_aws::{Adapters, Config, init_tracing, sdk_config};
use seikyu_service::dunning::run_day;
use seikyu_service::ports::Clock;
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = Config::from_env()?;
    let (app, _) = Adapters::new(&sdk_config().await, &config).into_app()?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let app = &app;
        async move {
            let as_of = run_day(&event.payload, app.clock.now()).map_err(Error::from)?;
            let report = app
                .schedule_reminders(as_of)
                .await
                .map_err(|e| Error::from(e.to_string()))?;
            tracing::info!(%as_of, queued = report.queued, items_read = report.items_read, "reminders scheduled");
            Ok::<_, Error>(json!({
                "as_of": report.as_of,
                "queued": report.queued,
                "items_read": report.items_read,
            }))
        }
    }))
    .await
}
