//! `invoice-mailer`: renders the PDFs of issued invoices, credit notes and receipts (archived, hashed)
//! and mails them to buyers with the UBL (SQS consumer, partial batch failures). The only function
//! that carries the typesetter.

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use seikyu_aws::{
    Adapters, Config, batch_response, function_clock, init_tracing, sdk_config, sqs_messages,
};
use seikyu_service::delivery::invoice_mail::handle_batch;
use seikyu_service::delivery::jobs::settle;
use seikyu_service::delivery::pdf::warm_up;
use seikyu_service::record::QueueName;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = Config::from_env()?;
    let a = Adapters::new(&sdk_config().await, &config);
    let clock = function_clock()?;
    let from = config.sender_email.clone();
    // Fonts and templates loaded at init, not on the first message.
    warm_up();
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let (store, archive, queue, mailer, clock, from) =
            (&a.store, &a.archive, &a.queue, &a.mailer, &clock, &from);
        async move {
            let messages = sqs_messages(event.payload);
            let report = handle_batch(store, archive, mailer, clock, from, &messages).await;
            let failed = settle(queue, QueueName::Issued, report).await;
            Ok::<_, Error>(batch_response(failed))
        }
    }))
    .await
}
