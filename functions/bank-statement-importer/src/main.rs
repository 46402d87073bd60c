//! `bank-statement-importer`: imports bank statements (入金消込) archived under `statements/{seller}/`,
//! from the S3 notifications on its queue (SQS consumer, partial batch failures). A statement that can
//! never be imported goes to its dead-letter queue at once (`STATEMENT_DLQ_URL`).

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use seikyu_aws::{Adapters, Config, batch_response, init_tracing, sdk_config, sqs_messages};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = Config::from_env()?;
    let dlq = std::env::var("STATEMENT_DLQ_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let (app, _) = Adapters::new(&sdk_config().await, &config).into_app()?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let (app, dlq) = (&app, &dlq);
        async move {
            let report = app
                .handle_statement_notifications(&sqs_messages(event.payload))
                .await;
            let mut failed = report.failed;
            for d in report.dead {
                // Without its dead-letter queue (or when it cannot be reached) the message is redelivered:
                // its redrive policy parks it after the redrive count, so nothing is lost either way.
                let moved = match dlq {
                    Some(url) => app
                        .queue
                        .dead_letter_to(url, &d.body, &d.reason)
                        .await
                        .is_ok(),
                    None => false,
                };
                if !moved {
                    failed.push(d.message_id);
                }
            }
            Ok::<_, Error>(batch_response(failed))
        }
    }))
    .await
}
