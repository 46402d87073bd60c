//! `reminder-sender`: sends the reminders (督促) the scheduler queued, one per (invoice, stage), after
//! re-checking the invoice (SQS consumer, partial batch failures).

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use seikyu_aws::{Adapters, Config, batch_response, init_tracing, sdk_config, sqs_messages};
use seikyu_service::delivery::jobs::settle;
use seikyu_service::record::QueueName;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = Config::from_env()?;
    let (app, mailer) = Adapters::new(&sdk_config().await, &config).into_app()?;
    let from = config.sender_email.clone();
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let (app, mailer, from) = (&app, &mailer, &from);
        async move {
            let messages = sqs_messages(event.payload);
            let report = app.remind_batch(mailer, from, &messages).await;
            let failed = settle(&app.queue, QueueName::Reminders, report).await;
            Ok::<_, Error>(batch_response(failed))
        }
    }))
    .await
}
