//! `receipt-issuer`: issues and cancels receipts (領収書) for applied payments and hands each issued
//! one to invoice-mailer, which renders its PDF and mails it (SQS consumer, partial batch failures).

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use seikyu_aws::{
    Adapters, Config, batch_response, function_clock, init_tracing, sdk_config, sqs_messages,
};
use seikyu_service::delivery::jobs::settle;
use seikyu_service::receipts::handle_batch;
use seikyu_service::record::QueueName;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = Config::from_env()?;
    let a = Adapters::new(&sdk_config().await, &config);
    let clock = function_clock()?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let (store, archive, queue, clock) = (&a.store, &a.archive, &a.queue, &clock);
        async move {
            let messages = sqs_messages(event.payload);
            let report = handle_batch(store, archive, queue, clock, &messages).await;
            let failed = settle(queue, QueueName::Receipts, report).await;
            Ok::<_, Error>(batch_response(failed))
        }
    }))
    .await
}
