//! The contract suite on DynamoDB (the local stack's table, created from infra/template.yaml), plus the
//! S3 archive and SQS queue adapters. Skipped with a message when the stack is not running, except under
//! CI, where it is required.

use std::sync::Arc;

use seikyu_aws::{DynamoStore, S3Archive, SqsQueue};
use seikyu_service::ports::{DocumentArchive, MessageQueue};
use seikyu_service::record::QueueMessage;
use seikyu_tests::contract::*;
use seikyu_tests::local_stack;

async fn dynamo() -> Option<Arc<TestApp<DynamoStore>>> {
    let stack = local_stack()?;
    let sdk = stack.sdk().await;
    Some(app(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        stack.get("TABLE_NAME"),
    )))
}

macro_rules! contract {
    ($($name:ident => $check:expr),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $name() {
            let Some(app) = dynamo().await else { return };
            ($check)(app).await;
        }
    )*};
}

contract! {
    dynamo_tenants_and_keys => tenants_and_keys,
    dynamo_gapless_numbers_under_concurrency => |app| gapless_numbers_under_concurrency(app, 12),
    dynamo_idempotency => idempotency,
    dynamo_tenant_isolation => tenant_isolation,
    dynamo_outbox_survives_a_failed_send => outbox_survives_a_failed_send,
    dynamo_screening => screening,
    dynamo_void_and_dispute => void_and_dispute,
    dynamo_search_by_date_amount_customer => search_by_date_amount_customer,
    dynamo_mailer_sends_once => mailer_sends_once,
    dynamo_pdfs_rendered_once => pdfs_rendered_once,
    dynamo_payments_apply_exactly_once => payments_apply_exactly_once,
    dynamo_webhook_endpoint => webhook_endpoint,
    dynamo_receipts_exactly_once => receipts_exactly_once,
    dynamo_manual_apply => manual_apply,
    dynamo_bank_reconciliation => seikyu_tests::banking::bank_reconciliation,
    dynamo_rf_references_over_camt => seikyu_tests::banking::rf_references_over_camt,
    dynamo_statements_of_two_formats => seikyu_tests::banking::statements_of_two_formats,
    dynamo_identifiers_per_invoice => seikyu_tests::banking::identifiers_per_invoice,
    dynamo_dunning_walks_every_stage => seikyu_tests::dunning::walks_every_stage,
    dynamo_dunning_tokyo_days_and_holidays => seikyu_tests::dunning::tokyo_days_and_holidays,
    dynamo_dunning_payment_race_and_disputes => seikyu_tests::dunning::payment_race_and_disputes,
    dynamo_dunning_installments => seikyu_tests::dunning::installments,
    dynamo_dunning_policy_api => seikyu_tests::dunning::policy_api,
    dynamo_dunning_reminder_sends_once => seikyu_tests::dunning::reminder_sends_once,
}

#[tokio::test]
async fn s3_archive_is_write_once() {
    let Some(stack) = local_stack() else { return };
    let sdk = stack.sdk().await;
    let archive = S3Archive::new(seikyu_aws::s3_client(&sdk), stack.get("ARCHIVE_BUCKET"));
    let key = format!("contract/{}.xml", unique("obj"));
    archive
        .put(&key, "application/xml", b"<a/>")
        .await
        .expect("put");
    archive
        .put(&key, "application/xml", b"<a/>")
        .await
        .expect("same bytes again");
    assert!(
        archive.put(&key, "application/xml", b"<b/>").await.is_err(),
        "other bytes refused"
    );
    assert_eq!(
        archive.get(&key).await.expect("get"),
        Some(b"<a/>".to_vec())
    );
    assert_eq!(
        archive.get("contract/missing.xml").await.expect("get"),
        None
    );
}

/// Take the message whose body contains `needle` off `url` (others' messages are left alone).
async fn take_message(client: &aws_sdk_sqs::Client, url: &str, needle: &str) -> Option<String> {
    for _ in 0..10 {
        let out = client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .visibility_timeout(0)
            .send()
            .await
            .expect("receive");
        for m in out.messages.unwrap_or_default() {
            if let Some(body) = m.body().filter(|b| b.contains(needle)) {
                client
                    .delete_message()
                    .queue_url(url)
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .send()
                    .await
                    .expect("delete");
                return Some(body.to_string());
            }
        }
    }
    None
}

#[tokio::test]
async fn sqs_queue_routes_each_event_to_its_queue() {
    let Some(stack) = local_stack() else { return };
    let sdk = stack.sdk().await;
    let client = aws_sdk_sqs::Client::new(&sdk);
    let (issued, receipts, reminders) = (
        stack.get("ISSUED_QUEUE_URL"),
        stack.get("RECEIPT_QUEUE_URL"),
        stack.get("REMINDER_QUEUE_URL"),
    );
    let queue = SqsQueue::new(client.clone(), issued, receipts, reminders);
    let id = unique("msg");
    let msg = |event: &str| QueueMessage {
        event: event.into(),
        seller_id: "contract".into(),
        invoice_id: id.clone(),
        payment: (event == "receipt.requested").then(|| format!("stripe:pi_{id}")),
        as_of: None,
        receipt_id: None,
    };
    queue.send(&msg("invoice.issued")).await.expect("send");
    queue.send(&msg("receipt.requested")).await.expect("send");
    let on_issued = take_message(&client, issued, &id)
        .await
        .expect("on the issued queue");
    assert!(on_issued.contains("invoice.issued"), "{on_issued}");
    let on_receipts = take_message(&client, receipts, &id)
        .await
        .expect("on the receipt queue");
    assert!(on_receipts.contains("receipt.requested"), "{on_receipts}");
    assert_eq!(
        serde_json::from_str::<QueueMessage>(&on_receipts).expect("a queue message"),
        msg("receipt.requested")
    );

    // A batch of 23 reminders (three SendMessageBatch calls) lands on the reminder queue, each once.
    let batch: Vec<QueueMessage> = (0..23)
        .map(|i| QueueMessage {
            event: "reminder.due".into(),
            seller_id: "contract".into(),
            invoice_id: format!("{id}-{i:02}"),
            payment: None,
            as_of: chrono::NaiveDate::from_ymd_opt(2026, 12, 1),
            receipt_id: None,
        })
        .collect();
    queue.send_batch(&batch).await.expect("send batch");
    let mut got = Vec::new();
    for _ in 0..30 {
        if got.len() == batch.len() {
            break;
        }
        let out = client
            .receive_message()
            .queue_url(reminders)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .visibility_timeout(30)
            .send()
            .await
            .expect("receive");
        for m in out.messages.unwrap_or_default() {
            let Some(body) = m.body().filter(|b| b.contains(&id)) else {
                continue;
            };
            got.push(serde_json::from_str::<QueueMessage>(body).expect("a queue message"));
            client
                .delete_message()
                .queue_url(reminders)
                .receipt_handle(m.receipt_handle().unwrap_or_default())
                .send()
                .await
                .expect("delete");
        }
    }
    got.sort_by(|a, b| a.invoice_id.cmp(&b.invoice_id));
    assert_eq!(got, batch);
    assert!(take_message(&client, issued, &id).await.is_none());
}

/// The EventBridge adapter publishes onto the stack's bus: a rule routes our event to a queue made for
/// the test, as a seller's downstream system would subscribe.
#[tokio::test]
async fn event_bus_publishes() {
    use seikyu_aws::EventBridgeBus;
    use seikyu_service::ports::EventBus;
    use seikyu_service::record::BusEvent;
    let Some(stack) = local_stack() else { return };
    let sdk = stack.sdk().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    let bus = stack.get("EVENT_BUS_NAME");
    let id = unique("bus");
    let url = sqs
        .create_queue()
        .queue_name(&id)
        .send()
        .await
        .expect("queue")
        .queue_url
        .expect("url");
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("attributes")
        .attributes
        .and_then(|a| {
            a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .cloned()
        })
        .expect("arn");
    events
        .put_rule()
        .event_bus_name(bus)
        .name(&id)
        .event_pattern(
            serde_json::json!({"source": ["seikyu"], "detail": {"seller_id": [id]}}).to_string(),
        )
        .send()
        .await
        .expect("rule");
    events
        .put_targets()
        .event_bus_name(bus)
        .rule(&id)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("q")
                .arn(&arn)
                .build()
                .expect("target"),
        )
        .send()
        .await
        .expect("target");
    let publisher = EventBridgeBus::new(events.clone(), bus);
    publisher
        .publish(&BusEvent {
            detail_type: "invoice.paid".into(),
            detail: serde_json::json!({"seller_id": id, "invoice_id": "X-1"}).to_string(),
        })
        .await
        .expect("publish");
    let got = take_message(&sqs, &url, &id)
        .await
        .expect("delivered by the rule");
    let v: serde_json::Value = serde_json::from_str(&got).expect("json");
    assert_eq!(
        (&v["source"], &v["detail-type"], &v["detail"]["invoice_id"]),
        (
            &serde_json::json!("seikyu"),
            &serde_json::json!("invoice.paid"),
            &serde_json::json!("X-1")
        )
    );
    // An entry EventBridge refuses (detail that is not JSON) is an error, not a silent success:
    // PutEvents answers 200 and reports the failure per entry.
    let refused = publisher
        .publish(&BusEvent {
            detail_type: "invoice.paid".into(),
            detail: "not json".into(),
        })
        .await;
    assert!(refused.is_err(), "{refused:?}");
    let _ = events
        .remove_targets()
        .event_bus_name(bus)
        .rule(&id)
        .ids("q")
        .send()
        .await;
    let _ = events
        .delete_rule()
        .event_bus_name(bus)
        .name(&id)
        .send()
        .await;
    let _ = sqs.delete_queue().queue_url(&url).send().await;
}
