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
    dynamo_payments_apply_exactly_once => payments_apply_exactly_once,
    dynamo_webhook_endpoint => webhook_endpoint,
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

#[tokio::test]
async fn sqs_queue_sends() {
    let Some(stack) = local_stack() else { return };
    let sdk = stack.sdk().await;
    let client = aws_sdk_sqs::Client::new(&sdk);
    let queue = SqsQueue::new(client.clone(), stack.get("ISSUED_QUEUE_URL"));
    let id = unique("msg");
    let msg = QueueMessage {
        event: "contract.test".into(),
        seller_id: "contract".into(),
        invoice_id: id.clone(),
    };
    queue.send(&msg).await.expect("send");
    // The message is there (other tests' messages may be too; look for ours, leave the rest).
    let mut found = false;
    for _ in 0..10 {
        let out = client
            .receive_message()
            .queue_url(stack.get("ISSUED_QUEUE_URL"))
            .max_number_of_messages(10)
            .visibility_timeout(0)
            .send()
            .await
            .expect("receive");
        for m in out.messages.unwrap_or_default() {
            if m.body().is_some_and(|b| b.contains(&id)) {
                found = true;
                client
                    .delete_message()
                    .queue_url(stack.get("ISSUED_QUEUE_URL"))
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .send()
                    .await
                    .expect("delete");
            }
        }
        if found {
            break;
        }
    }
    assert!(found, "the sent message is on the queue");
}
