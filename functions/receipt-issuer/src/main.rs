//! `receipt-issuer`: issues, cancels and mails receipts (領収書) for applied payments (SQS consumer,
//! partial batch failures).

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use seikyu_aws::{
    Adapters, Config, batch_response, function_clock, init_tracing, sdk_config, sqs_messages,
};
use seikyu_service::receipt::handle_batch;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = Config::from_env()?;
    let a = Adapters::new(&sdk_config().await, &config);
    let clock = function_clock()?;
    let from = config.sender_email.clone();
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let (store, archive, mailer, clock, from) =
            (&a.store, &a.archive, &a.mailer, &clock, &from);
        async move {
            let messages = sqs_messages(event.payload);
            let failed = handle_batch(store, archive, mailer, clock, from, &messages).await;
            Ok::<_, Error>(batch_response(failed))
        }
    }))
    .await
}
