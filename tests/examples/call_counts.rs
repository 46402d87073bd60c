//! AWS calls per created invoice, counted by an SDK interceptor on every client, against the local stack.
//! Part of `scripts/bench-functions.sh`; needs `scripts/local-stack.sh up`.
//!
//!   cargo run -p seikyu-tests --example call_counts

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use seikyu_aws::{DynamoStore, S3Archive, SesMailer, SqsQueue};
use seikyu_service::App;
use seikyu_service::api::{ApiConfig, HttpRequest, handle};
use seikyu_service::delivery::invoice_mail::handle_batch;
use seikyu_service::memory::FixedClock;
use seikyu_service::ports::Clock;
use seikyu_tests::contract::{fixture, unique};
use seikyu_tests::dates::{ten_jst, test_date};

#[derive(Debug, Clone, Default)]
struct Counter(Arc<Mutex<BTreeMap<String, u32>>>);

impl Intercept for Counter {
    fn name(&self) -> &'static str {
        "call-counter"
    }
    fn read_before_transmit(
        &self,
        _ctx: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let op = cfg.load::<Metadata>().map_or_else(
            || "unknown".to_string(),
            |m| format!("{} {}", m.service(), m.name()),
        );
        if let Ok(mut c) = self.0.lock() {
            *c.entry(op).or_default() += 1;
        }
        Ok(())
    }
}

impl Counter {
    fn take(&self) -> BTreeMap<String, u32> {
        self.0
            .lock()
            .map(|mut c| std::mem::take(&mut *c))
            .unwrap_or_default()
    }
}

fn print(title: &str, counts: &BTreeMap<String, u32>) {
    println!("{title}: {} calls", counts.values().sum::<u32>());
    for (op, n) in counts {
        println!("  {n:>2}  {op}");
    }
}

#[tokio::main]
async fn main() {
    let Some(stack) = seikyu_tests::local_stack() else {
        eprintln!("the local stack is not running: scripts/local-stack.sh up");
        std::process::exit(2);
    };
    let sdk = stack.sdk().await;
    let counter = Counter::default();
    let ddb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk)
            .interceptor(counter.clone())
            .build(),
    );
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .interceptor(counter.clone())
            .build(),
    );
    let sqs = aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::config::Builder::from(&sdk)
            .interceptor(counter.clone())
            .build(),
    );
    let ses = aws_sdk_ses::Client::from_conf(
        aws_sdk_ses::config::Builder::from(&sdk)
            .interceptor(counter.clone())
            .build(),
    );
    let app = App {
        store: DynamoStore::new(ddb, stack.get("TABLE_NAME")),
        archive: S3Archive::new(s3, stack.get("ARCHIVE_BUCKET")),
        queue: SqsQueue::new(
            sqs,
            stack.get("ISSUED_QUEUE_URL"),
            stack.get("RECEIPT_QUEUE_URL"),
            stack.get("REMINDER_QUEUE_URL"),
        ),
        bus: seikyu_aws::EventBridgeBus::new(
            aws_sdk_eventbridge::Client::from_conf(
                aws_sdk_eventbridge::config::Builder::from(&sdk)
                    .interceptor(counter.clone())
                    .build(),
            ),
            stack.get("EVENT_BUS_NAME"),
        ),
        // The fixtures' issue date (or SEIKYU_TEST_DATE): the reminder days below follow from it.
        clock: FixedClock::new(ten_jst(test_date())),
    };
    let mailer = SesMailer::new(ses);
    let config = ApiConfig::default();

    let (account, key) = app
        .create_seller(seikyu_service::NewSeller {
            seller_id: unique("calls").parse().expect("id"),
            number_prefix: "CNT".into(),
            fiscal_year_start_month: seikyu_domain::values::Month::known(4),
            profile: fixture("jp-standard-10-lines").seller,
            default_credit_limit: None,
            dunning_policy: None,
            banking: None,
        })
        .await
        .expect("seller");
    counter.take();

    for (title, name) in [
        (
            "POST /invoices, buyer with customer_id (screened against its balance)",
            "jp-standard-10-lines",
        ),
        (
            "POST /invoices, buyer without customer_id",
            "jp-mixed-standard-reduced",
        ),
    ] {
        let mut input = fixture(name);
        if name == "jp-mixed-standard-reduced" {
            input.buyer.customer_id = None;
        }
        let req = HttpRequest {
            method: "POST".into(),
            path: "/invoices".into(),
            headers: vec![
                ("authorization".into(), format!("Bearer {key}")),
                ("idempotency-key".into(), unique("k")),
            ],
            body: serde_json::to_vec(&input).expect("json"),
            ..Default::default()
        };
        let r = handle(&app, &config, req).await;
        assert_eq!(r.status, 201, "{}", r.json_body());
        print(title, &counter.take());
    }
    // The mailer for one of them.
    let page = app
        .search(&account, &Default::default())
        .await
        .expect("search");
    counter.take();
    let msg = serde_json::json!({"event": "invoice.issued", "seller_id": account.seller_id, "invoice_id": page.items[0].invoice_id});
    let failed = handle_batch(
        &app.store,
        &app.archive,
        &mailer,
        &app.clock,
        stack.get("SENDER_EMAIL"),
        &[("m".into(), msg.to_string())],
    )
    .await;
    assert!(failed.all_handled(), "{failed:?}");
    print(
        "invoice-mailer, one invoice.issued message",
        &counter.take(),
    );

    // A Stripe webhook paying that invoice (secrets from memory: in AWS they come from SSM, cached for
    // 5 minutes, so a warm function makes no SSM call).
    let invoice = &page.items[0];
    let secrets = seikyu_service::memory::MemorySecrets::default();
    secrets.set(&account.seller_id, "stripe", &[b"whsec_calls"]);
    let now = app.clock.now().timestamp();
    let body = serde_json::json!({
        "id": unique("evt"), "object": "event", "type": "payment_intent.succeeded", "created": now,
        "data": {"object": {"id": unique("pi"), "object": "payment_intent", "amount": invoice.payable.to_string().parse::<i64>().expect("yen"),
            "amount_received": invoice.payable.to_string().parse::<i64>().expect("yen"), "currency": "jpy",
            "payment_method_types": ["card"], "status": "succeeded",
            "metadata": {"invoice_id": invoice.invoice_id, "seller_id": account.seller_id}}}
    })
    .to_string();
    let sig = seikyu_payments::signature::sign(
        &seikyu_payments::Secret::new(b"whsec_calls".to_vec()),
        &[now.to_string().as_bytes(), b".", body.as_bytes()],
    );
    counter.take();
    let r = seikyu_service::api::webhook::handle_webhook(
        &app,
        &secrets,
        "stripe",
        Some(&account.seller_id),
        &[("stripe-signature".into(), format!("t={now},v1={sig}"))],
        body.as_bytes(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    print(
        "payment-webhook, one payment_intent.succeeded",
        &counter.take(),
    );

    // receipt-issuer for the receipt request it queued.
    let sqs_plain = aws_sdk_sqs::Client::new(&sdk);
    let mut request = None;
    for _ in 0..10 {
        let out = sqs_plain
            .receive_message()
            .queue_url(stack.get("RECEIPT_QUEUE_URL"))
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive");
        for m in out.messages.unwrap_or_default() {
            let _ = sqs_plain
                .delete_message()
                .queue_url(stack.get("RECEIPT_QUEUE_URL"))
                .receipt_handle(m.receipt_handle().unwrap_or_default())
                .send()
                .await;
            if let Some(b) = m.body().filter(|b| b.contains(&account.seller_id)) {
                request = Some(b.to_string());
            }
        }
        if request.is_some() {
            break;
        }
    }
    let request = request.expect("the webhook queued a receipt request");
    counter.take();
    let request: seikyu_service::record::QueueMessage =
        serde_json::from_str(&request).expect("receipt request");
    let (_, next) = seikyu_service::receipts::handle_message(
        &app.store,
        &app.archive,
        &app.queue,
        &app.clock,
        &request,
    )
    .await
    .expect("receipt issued");
    print(
        "receipt-issuer, one receipt.requested message",
        &counter.take(),
    );
    // invoice-mailer for the receipt.issued message it queued: the receipt PDF and its mail.
    let msg = serde_json::to_string(&next.expect("receipt.issued")).expect("json");
    let failed = handle_batch(
        &app.store,
        &app.archive,
        &mailer,
        &app.clock,
        stack.get("SENDER_EMAIL"),
        &[("m".into(), msg)],
    )
    .await;
    assert!(failed.all_handled(), "{failed:?}");
    print(
        "invoice-mailer, one receipt.issued message",
        &counter.take(),
    );

    // reminder-sender for the other (unpaid) invoice on the default policy's days: the gentle reminder,
    // its redelivery, the final notice, then the escalation.
    use seikyu_domain::dunning::{Policy, Stage};
    let unpaid = &page.items[1];
    let due = unpaid.due_date.expect("due date");
    let policy = Policy::default();
    let day = |stage: Stage| {
        policy
            .schedule(due)
            .into_iter()
            .find(|(s, _)| *s == stage)
            .map(|(_, d)| d)
            .expect("stage in the default policy")
    };
    let escalation = policy
        .escalation_day(due, Some(day(Stage::Final)))
        .expect("escalation");
    let reminder = |day: chrono::NaiveDate| {
        serde_json::json!({
            "event": "reminder.due", "seller_id": account.seller_id, "invoice_id": unpaid.invoice_id,
            "as_of": day,
        })
        .to_string()
    };
    for (title, day) in [
        (
            "reminder-sender, one reminder.due message (gentle)",
            day(Stage::Gentle),
        ),
        (
            "reminder-sender, the same message redelivered",
            day(Stage::Gentle),
        ),
        ("reminder-sender, the final notice", day(Stage::Final)),
        (
            "reminder-sender, escalation (seller mailed, invoice.escalated published)",
            escalation,
        ),
    ] {
        counter.take();
        let failed = app
            .remind_batch(
                &mailer,
                stack.get("SENDER_EMAIL"),
                &[("d".into(), reminder(day))],
            )
            .await;
        assert!(failed.all_handled(), "{failed:?}");
        print(title, &counter.take());
    }
}
