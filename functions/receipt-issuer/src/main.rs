//! `receipt-issuer`: issues, cancels and mails receipts (領収書) for applied payments (SQS consumer,
//! partial batch failures).

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use seikyu_aws::{Adapters, Config, init_tracing, sdk_config};
use seikyu_service::ports::SystemClock;
use seikyu_service::receipt::handle_batch;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = Config::from_env()?;
    let a = Adapters::new(&sdk_config().await, &config);
    let from = config.sender_email.clone();
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let (store, archive, mailer, from) = (&a.store, &a.archive, &a.mailer, &from);
        async move {
            let messages: Vec<(String, String)> = event
                .payload
                .records
                .into_iter()
                .map(|r| (r.message_id.unwrap_or_default(), r.body.unwrap_or_default()))
                .collect();
            let failed = handle_batch(store, archive, mailer, &SystemClock, from, &messages).await;
            let mut response = SqsBatchResponse::default();
            response.batch_item_failures = failed
                .into_iter()
                .map(|id| {
                    let mut f = BatchItemFailure::default();
                    f.item_identifier = id;
                    f
                })
                .collect();
            Ok::<_, Error>(response)
        }
    }))
    .await
}
