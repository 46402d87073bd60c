//! Dunning at scale: how much the scheduler reads when few of many invoices need a reminder.
//!
//! Creates a table shaped like the template's (same keys and indexes) in the local stack's DynamoDB,
//! bulk-loads `--invoices` invoices (default 100,000) of which `--due` (default 1,000) have their next
//! reminder day on or before the run day, then runs the scheduler's index read and the full run (read +
//! SendMessageBatch onto a scratch queue) `--runs` times, and reports items read and times (median).
//! Deletes the table and queue afterwards. Part of `scripts/bench-dunning.sh`; needs
//! `scripts/local-stack.sh up`.
//!
//!   cargo run -p seikyu-tests --example dunning_scale -- --invoices 100000 --due 1000

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, PutRequest, ScalarAttributeType, WriteRequest,
};
use chrono::{Duration as Days, NaiveDate, TimeZone as _};
use seikyu_aws::dynamo::{Item, invoice_item};
use seikyu_aws::{DynamoStore, EventBridgeBus, S3Archive, SqsQueue};
use seikyu_service::App;
use seikyu_service::dunning::next_action;
use seikyu_service::memory::FixedClock;
use seikyu_service::memory::MemoryStore;
use seikyu_service::ports::InvoiceStore;
use seikyu_service::record::{InvoiceRecord, InvoiceStatus};
use seikyu_tests::contract::{fixture, unique};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn create_table(ddb: &aws_sdk_dynamodb::Client, name: &str) {
    let s = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("attribute")
    };
    let key = |n: &str, t: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
            .expect("key")
    };
    let gsi = |name: &str, n: u8, projection: ProjectionType| {
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key(&format!("GSI{n}PK"), KeyType::Hash))
            .key_schema(key(&format!("GSI{n}SK"), KeyType::Range))
            .projection(Projection::builder().projection_type(projection).build())
            .build()
            .expect("gsi")
    };
    let mut req = ddb
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("PK", KeyType::Hash))
        .key_schema(key("SK", KeyType::Range))
        .global_secondary_indexes(gsi("ByCustomer", 1, ProjectionType::All))
        .global_secondary_indexes(gsi("ByIssueDate", 2, ProjectionType::All))
        .global_secondary_indexes(gsi("ByAmount", 3, ProjectionType::All))
        .global_secondary_indexes(gsi("ByNextAction", 4, ProjectionType::KeysOnly));
    for a in ["PK", "SK"]
        .into_iter()
        .map(String::from)
        .chain((1..=4).flat_map(|n| [format!("GSI{n}PK"), format!("GSI{n}SK")]))
    {
        req = req.attribute_definitions(s(&a));
    }
    req.send().await.expect("create table");
}

/// BatchWriteItem, 25 items a call, `concurrency` calls in flight, retrying unprocessed items.
async fn load(ddb: &aws_sdk_dynamodb::Client, table: &str, items: Vec<Item>, concurrency: usize) {
    let mut batches: Vec<Vec<Item>> = items.chunks(25).map(<[Item]>::to_vec).collect();
    let mut tasks = tokio::task::JoinSet::new();
    while !batches.is_empty() || !tasks.is_empty() {
        while tasks.len() < concurrency
            && let Some(batch) = batches.pop()
        {
            let (ddb, table) = (ddb.clone(), table.to_string());
            tasks.spawn(async move {
                let mut requests: Vec<WriteRequest> = batch
                    .into_iter()
                    .map(|i| {
                        WriteRequest::builder()
                            .put_request(
                                PutRequest::builder()
                                    .set_item(Some(i))
                                    .build()
                                    .expect("put"),
                            )
                            .build()
                    })
                    .collect();
                while !requests.is_empty() {
                    let out = ddb
                        .batch_write_item()
                        .request_items(&table, requests)
                        .send()
                        .await
                        .expect("batch write");
                    requests = out
                        .unprocessed_items
                        .and_then(|mut u| u.remove(&table))
                        .unwrap_or_default();
                }
            });
        }
        if let Some(done) = tasks.join_next().await {
            done.expect("load task");
        }
    }
}

#[tokio::main]
async fn main() {
    let total = arg("--invoices", 100_000);
    let due = arg("--due", 1_000).min(total);
    let runs = arg("--runs", 5).max(1);
    let Some(stack) = seikyu_tests::local_stack() else {
        eprintln!("the local stack is not running: scripts/local-stack.sh up");
        std::process::exit(2);
    };
    let sdk = stack.sdk().await;
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let table = unique("seikyu-scale");
    create_table(&ddb, &table).await;
    let queue_url = sqs
        .create_queue()
        .queue_name(unique("seikyu-scale"))
        .send()
        .await
        .expect("queue")
        .queue_url
        .unwrap_or_default();

    // The run day: Tuesday 2027-06-15, 09:00 JST. Due invoices fell due on Monday 06-14 (gentle reminder
    // today); the others are paid (no index entry) or fall due 30 to 400 days later (their notice is later).
    let as_of = NaiveDate::from_ymd_opt(2027, 6, 15).expect("date");
    let nine = chrono::Utc.from_utc_datetime(&as_of.and_hms_opt(0, 0, 0).expect("time"));
    // One real invoice record (created by the use case on the in-memory store) is the template.
    let base = {
        let app = App {
            store: MemoryStore::default(),
            archive: seikyu_service::memory::MemoryArchive::default(),
            queue: seikyu_service::memory::MemoryQueue::default(),
            bus: seikyu_service::memory::MemoryBus::default(),
            clock: FixedClock::new(nine),
        };
        let (account, _) = app
            .create_seller(seikyu_service::NewSeller {
                seller_id: "scale".parse().expect("id"),
                number_prefix: "SC".into(),
                fiscal_year_start_month: seikyu_domain::values::Month::known(4),
                profile: fixture("jp-three-lines-105-yen-floor").seller,
                default_credit_limit: None,
                dunning_policy: None,
                banking: None,
            })
            .await
            .expect("seller");
        app.create_invoice(&account, fixture("jp-three-lines-105-yen-floor"))
            .await
            .expect("invoice")
    };
    let started = Instant::now();
    let mut items = Vec::with_capacity(total);
    let mut indexed = 0;
    let mut need = 0;
    for i in 0..total {
        let mut r: InvoiceRecord = base.clone();
        r.seller_id = format!("seller{:03}", i % 100);
        r.invoice_id = format!("SC-2027-{i:07}");
        r.number = r.invoice_id.clone();
        r.due_date = Some(if i < due {
            as_of - Days::days(1)
        } else {
            as_of + Days::days(30 + (i % 370) as i64)
        });
        if i >= due && i % 5 < 3 {
            r.status = InvoiceStatus::Paid;
            r.paid_total = r.payable;
        }
        if let Some(day) = next_action(&r) {
            indexed += 1;
            if day <= as_of {
                need += 1;
            }
        }
        items.push(invoice_item(&r).expect("item"));
    }
    assert_eq!(
        need, due,
        "the seeded data has exactly --due invoices to remind"
    );
    let bytes: usize = items
        .iter()
        .map(|i| {
            i.iter()
                .map(|(k, v)| k.len() + v.as_s().map_or(64, String::len))
                .sum::<usize>()
        })
        .sum();
    load(&ddb, &table, items, 16).await;
    println!(
        "loaded {total} invoices ({indexed} in the next-action index, {due} due on {as_of}; ~{} MB) in {:.1} s",
        bytes / 1_000_000,
        started.elapsed().as_secs_f64()
    );

    let store = DynamoStore::new(ddb.clone(), &table);
    let mut read_times = Vec::new();
    let mut items_read = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let found = store.reminders_due(as_of).await.expect("query");
        read_times.push(t.elapsed());
        assert_eq!(found.invoices.len(), due);
        items_read = found.items_read;
    }
    let app = App {
        store,
        archive: S3Archive::new(seikyu_aws::s3_client(&sdk), stack.get("ARCHIVE_BUCKET")),
        queue: SqsQueue::new(sqs.clone(), &queue_url, &queue_url, &queue_url),
        bus: EventBridgeBus::new(
            aws_sdk_eventbridge::Client::new(&sdk),
            stack.get("EVENT_BUS_NAME"),
        ),
        clock: FixedClock::new(nine),
    };
    let mut run_times = Vec::new();
    let mut queued = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let report = app.schedule_reminders(as_of).await.expect("run");
        run_times.push(t.elapsed());
        queued = report.queued;
        let _ = sqs.purge_queue().queue_url(&queue_url).send().await;
    }
    println!("scheduler run for {as_of} over {total} invoices ({runs} runs):");
    println!("  index items read: {items_read} (of {total} invoices; {due} due)");
    println!(
        "  index read (16 shard queries): median {:.1} ms",
        median(read_times).as_secs_f64() * 1e3
    );
    println!(
        "  full run (read + {queued} messages in batches of 10): median {:.1} ms",
        median(run_times).as_secs_f64() * 1e3
    );
    let _ = ddb.delete_table().table_name(&table).send().await;
    let _ = sqs.delete_queue().queue_url(&queue_url).send().await;
}
