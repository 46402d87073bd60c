//! One contract suite for the store adapters: every check runs the real use cases (`App`, the HTTP
//! handler, the mailer) over the store under test, with in-memory archive, queue and mailer so failures
//! can be injected. `tests/contract_memory.rs` runs it on the in-memory store, `tests/contract_dynamo.rs`
//! on DynamoDB (LocalStack).

use std::sync::Arc;

use chrono::Duration;
use rust_decimal::Decimal;
use seikyu_domain::InvoiceInput;
use seikyu_domain::dates::fiscal_year;
use seikyu_domain::parse::invoice_from_json;
use seikyu_domain::values::Count;
use seikyu_service::api::{ApiConfig, HttpRequest, HttpResponse, handle};
use seikyu_service::delivery::invoice_mail::{MailOutcome, handle_batch, mail_document};
use seikyu_service::memory::{FixedClock, MemoryArchive, MemoryBus, MemoryMailer, MemoryQueue};
use seikyu_service::ports::{Clock, DocumentArchive};
use seikyu_service::record::{InvoiceStatus, QueueName, SearchQuery, SellerAccount};
use seikyu_service::{App, AppError, CustomerUpdate, NewSeller, sha256_hex};
use serde_json::Value;

pub trait Store: seikyu_service::ports::Store + 'static {}
impl<T: seikyu_service::ports::Store + 'static> Store for T {}

pub type TestApp<S> = App<S, MemoryArchive, MemoryQueue, MemoryBus, FixedClock>;

pub const ADMIN_KEY: &str = "contract-admin-key";

pub fn api_config() -> ApiConfig {
    ApiConfig {
        admin_key_sha256: Some(sha256_hex(ADMIN_KEY.as_bytes())),
    }
}

/// The use cases over `store`, on a clock that reads 10:00 JST on the suite's date
/// ([`crate::dates::test_date`]: `SEIKYU_TEST_DATE`, else the fixtures' date).
pub fn app<S: Store>(store: S) -> Arc<TestApp<S>> {
    let at = crate::dates::ten_jst(crate::dates::test_date());
    Arc::new(App {
        store,
        archive: MemoryArchive::default(),
        queue: MemoryQueue::default(),
        bus: MemoryBus::default(),
        clock: FixedClock::new(at),
    })
}

/// An id no other run uses (the DynamoDB table is shared between runs).
pub fn unique(prefix: &str) -> String {
    let mut r = [0u8; 6];
    getrandom::fill(&mut r).expect("random");
    format!(
        "{prefix}-{}",
        r.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

/// The valid fixture `name`, issued on the suite's date (its other dates moved with it).
pub fn fixture(name: &str) -> InvoiceInput {
    fixture_issued(name, crate::dates::test_date())
}

/// The valid fixture `name`, issued on `day`.
pub fn fixture_issued(name: &str, day: chrono::NaiveDate) -> InvoiceInput {
    let json = crate::dates::fixture_on(name, day);
    invoice_from_json(&serde_json::to_vec(&json).expect("json")).expect("fixture parses")
}

/// The number `n` of the test sellers' (prefix AOZ, fiscal year from April) `series` ("" for invoices,
/// "CN-" for credit notes, "R-" for receipts) in the fiscal year of the suite's date.
pub fn number(series: &str, n: u32) -> String {
    crate::dates::document_number("AOZ", series, crate::dates::test_date(), n)
}

/// Held by the checks that leave an entry in the shared outbox for their own sweep to find, from the
/// entry's write to that sweep: a sweep takes every entry old enough, whoever wrote it, and on DynamoDB
/// the outbox is shared by the checks running in parallel.
static OUTBOX_SWEEPS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A fresh Japanese seller (the jp fixtures' seller) and its API key.
pub async fn seller<S: Store>(app: &TestApp<S>, limit: Option<Decimal>) -> (SellerAccount, String) {
    let new = NewSeller {
        seller_id: unique("s").parse().expect("id"),
        number_prefix: "AOZ".into(),
        fiscal_year_start_month: seikyu_domain::values::Month::known(4),
        profile: fixture("jp-standard-10-lines").seller,
        default_credit_limit: limit.map(|l| l.try_into().expect("a limit in range")),
        dunning_policy: None,
        banking: None,
    };
    app.create_seller(new).await.expect("seller created")
}

pub fn request(method: &str, path: &str, key: &str, body: Option<&Value>) -> HttpRequest {
    HttpRequest {
        method: method.into(),
        path: path.into(),
        query: vec![],
        headers: vec![("authorization".into(), format!("Bearer {key}"))],
        body: body
            .map(|b| serde_json::to_vec(b).expect("json"))
            .unwrap_or_default(),
    }
}

pub fn post_invoice(key: &str, idem: &str, body: &Value) -> HttpRequest {
    let mut r = request("POST", "/invoices", key, Some(body));
    r.headers.push(("idempotency-key".into(), idem.into()));
    r
}

fn invoice_body(name: &str) -> Value {
    serde_json::to_value(fixture(name)).expect("json")
}

async fn call<S: Store>(app: &TestApp<S>, req: HttpRequest) -> HttpResponse {
    handle(app, &api_config(), req).await
}

// ---- the checks ---------------------------------------------------------------------------------------

pub async fn tenants_and_keys<S: Store>(app: Arc<TestApp<S>>) {
    let (account, key) = seller(&app, None).await;
    assert_eq!(
        app.authenticate(&key).await.expect("key works").seller_id,
        account.seller_id
    );
    assert!(matches!(
        app.authenticate("sk_wrong").await,
        Err(AppError::Unauthorized)
    ));
    let again = NewSeller {
        seller_id: account.seller_id.parse().expect("id"),
        number_prefix: "X".into(),
        fiscal_year_start_month: seikyu_domain::values::Month::known(4),
        profile: account.profile.clone(),
        default_credit_limit: None,
        dunning_policy: None,
        banking: None,
    };
    assert!(matches!(
        app.create_seller(again).await,
        Err(AppError::Conflict {
            code: seikyu_service::ConflictCode::SellerExists,
            ..
        })
    ));
    // A second key for the same seller; keys are stored only as hashes.
    let key2 = app
        .create_api_key(&account.seller_id)
        .await
        .expect("second key");
    assert_ne!(key, key2);
    assert_eq!(
        app.store.seller_for_key(&key).await.expect("lookup"),
        None,
        "raw keys are never stored"
    );
    assert_eq!(
        app.store
            .seller_for_key(&sha256_hex(key2.as_bytes()))
            .await
            .expect("lookup"),
        Some(account.seller_id.clone())
    );
    // Admin path over HTTP.
    let body = serde_json::json!({
        "seller_id": unique("adm"), "number_prefix": "ADM", "profile": serde_json::to_value(&account.profile).expect("json")
    });
    let mut req = request("POST", "/admin/sellers", ADMIN_KEY, Some(&body));
    assert_eq!(call(&app, req.clone()).await.status, 201);
    req.headers = vec![("authorization".into(), format!("Bearer {key}"))];
    assert_eq!(
        call(&app, req).await.status,
        401,
        "a seller key is not an admin key"
    );
}

/// Parallel creates for one seller get numbers 1..=n: no gap, no duplicate.
pub async fn gapless_numbers_under_concurrency<S: Store>(app: Arc<TestApp<S>>, n: usize) {
    let (account, _) = seller(&app, None).await;
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..n {
        let (app, account) = (app.clone(), account.clone());
        set.spawn(async move {
            app.create_invoice(&account, fixture("jp-three-lines-105-yen-floor"))
                .await
        });
    }
    let mut numbers = Vec::new();
    while let Some(r) = set.join_next().await {
        numbers.push(r.expect("task").expect("created").number);
    }
    numbers.sort();
    let want: Vec<String> = (1..=n as u32).map(|i| number("", i)).collect();
    assert_eq!(numbers, want);
}

pub async fn idempotency<S: Store>(app: Arc<TestApp<S>>) {
    let (account, key) = seller(&app, None).await;
    let body = invoice_body("jp-mixed-standard-reduced");
    let first = call(&app, post_invoice(&key, "order-1", &body)).await;
    assert_eq!(first.status, 201, "{}", first.json_body());
    let again = call(&app, post_invoice(&key, "order-1", &body)).await;
    assert_eq!(again, first, "same key and body: the same response");
    let mut other = body.clone();
    other["note"] = Value::String("changed".into());
    let reused = call(&app, post_invoice(&key, "order-1", &other)).await;
    assert_eq!(reused.status, 409);
    assert_eq!(
        reused.json_body()["error"]["code"],
        "idempotency_key_reused"
    );
    let page = app
        .search(&account, &SearchQuery::default())
        .await
        .expect("search");
    assert_eq!(page.items.len(), 1, "only one invoice was created");
    // A claim still running answers 409 in progress.
    let now = app.clock.now();
    app.store
        .claim(
            &account.seller_id,
            "order-2",
            &sha256_hex(&serde_json::to_vec(&body).expect("json")),
            now,
            now + Duration::seconds(30),
            now + Duration::hours(48),
        )
        .await
        .expect("claim");
    let busy = call(&app, post_invoice(&key, "order-2", &body)).await;
    assert_eq!(busy.json_body()["error"]["code"], "idempotency_in_progress");
    // Its holder died before committing: after the lease a retry runs, once, and then replays.
    app.clock.set(now + Duration::seconds(31));
    let retried = call(&app, post_invoice(&key, "order-2", &body)).await;
    assert_eq!(retried.status, 201, "{}", retried.json_body());
    assert_eq!(
        call(&app, post_invoice(&key, "order-2", &body)).await,
        retried,
        "then replays"
    );
    app.clock.set(now);
    // Validation failures are remembered too; a missing key is a 400 with the header as the field.
    let mut bad = body.clone();
    bad["lines"] = serde_json::json!([]);
    assert_eq!(
        call(&app, post_invoice(&key, "order-3", &bad)).await.status,
        400
    );
    assert_eq!(
        call(&app, post_invoice(&key, "order-3", &bad)).await.status,
        400
    );
    // An invoice too large to store with its record is refused up front, not a storage error.
    let mut huge = fixture("jp-500-lines");
    let lines = huge.lines.clone();
    for _ in 0..7 {
        huge.lines.extend(lines.iter().cloned());
    }
    for (i, l) in huge.lines.iter_mut().enumerate() {
        l.id = Some(format!("L{i}"));
    }
    let r = call(
        &app,
        post_invoice(&key, "huge", &serde_json::to_value(&huge).expect("json")),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.json_body());
    assert_eq!(r.json_body()["error"]["fields"][0]["code"], "too_long");
    let no_key = call(&app, request("POST", "/invoices", &key, Some(&body))).await;
    assert_eq!(no_key.status, 400);
    assert_eq!(
        no_key.json_body()["error"]["fields"][0]["path"],
        "Idempotency-Key"
    );
}

pub async fn tenant_isolation<S: Store>(app: Arc<TestApp<S>>) {
    let (a, key_a) = seller(&app, None).await;
    let (_b, key_b) = seller(&app, None).await;
    let created = call(
        &app,
        post_invoice(&key_a, "x", &invoice_body("jp-standard-10-lines")),
    )
    .await;
    assert_eq!(created.status, 201);
    let id = created.json_body()["id"].as_str().expect("id").to_string();
    assert_eq!(
        call(
            &app,
            request("GET", &format!("/invoices/{id}"), &key_a, None)
        )
        .await
        .status,
        200
    );
    for (method, path) in [
        ("GET", format!("/invoices/{id}")),
        ("GET", format!("/invoices/{id}/ubl")),
        ("POST", format!("/invoices/{id}/void")),
        ("POST", format!("/invoices/{id}/approve")),
    ] {
        let r = call(&app, request(method, &path, &key_b, None)).await;
        assert_eq!(r.status, 404, "{method} {path} as another seller");
    }
    let dispute = request(
        "POST",
        &format!("/invoices/{id}/dispute"),
        &key_b,
        Some(&serde_json::json!({"reason": "x"})),
    );
    assert_eq!(call(&app, dispute).await.status, 404);
    let list = call(&app, request("GET", "/invoices", &key_b, None)).await;
    assert_eq!(list.json_body()["items"].as_array().map(Vec::len), Some(0));
    // Posting an invoice for another seller's tax id is refused.
    let mut foreign = invoice_body("jp-standard-10-lines");
    foreign["seller"]["tax_id"] = Value::String("T7000012050002".into());
    let r = call(&app, post_invoice(&key_b, "y", &foreign)).await;
    assert_eq!(r.json_body()["error"]["code"], "seller_mismatch");
    // The invoice is untouched.
    let still = app.get(&a, &id).await.expect("exists");
    assert_eq!(still.status, InvoiceStatus::Issued);
    assert_eq!(
        call(&app, request("GET", "/invoices", "sk_nobody", None))
            .await
            .status,
        401
    );
    assert_eq!(
        call(
            &app,
            HttpRequest {
                method: "GET".into(),
                path: "/invoices".into(),
                ..Default::default()
            }
        )
        .await
        .status,
        401
    );
}

/// The process "dies" between the database commit and the queue send: the outbox entry survives and
/// the sweeper delivers it.
pub async fn outbox_survives_a_failed_send<S: Store>(app: Arc<TestApp<S>>) {
    let (account, _) = seller(&app, None).await;
    app.queue.drain(QueueName::Issued);
    let _sweeps = OUTBOX_SWEEPS.lock().await;
    app.queue.fail_next(1);
    let r = app
        .create_invoice(&account, fixture("jp-standard-10-lines"))
        .await
        .expect("created");
    assert!(app.queue.is_empty(), "the send failed");
    // Too young for the sweeper: the request that wrote it may still send it. (Other checks' entries
    // may be old enough: only this one's counts.)
    app.sweep_outbox(100).await.expect("sweep");
    assert!(
        !app.queue
            .drain(QueueName::Issued)
            .iter()
            .any(|m| m.invoice_id == r.invoice_id && m.seller_id == account.seller_id),
        "swept while still young"
    );
    app.clock.set(app.clock.now() + Duration::seconds(31));
    let swept = app.sweep_outbox(1000).await.expect("sweep");
    assert!(swept.delivered >= 1);
    let msgs = app.queue.drain(QueueName::Issued);
    assert!(
        msgs.iter()
            .any(|m| m.invoice_id == r.invoice_id && m.seller_id == account.seller_id),
        "{msgs:?}"
    );
    let again = app.sweep_outbox(1000).await.expect("sweep");
    assert_eq!(
        app.queue
            .drain(QueueName::Issued)
            .iter()
            .filter(|m| m.invoice_id == r.invoice_id && m.seller_id == account.seller_id)
            .count(),
        0,
        "{again:?}"
    );
}

pub async fn screening<S: Store>(app: Arc<TestApp<S>>) {
    let (account, key) = seller(&app, None).await;
    app.put_customer(
        &account,
        "CUST-0042",
        CustomerUpdate {
            credit_limit: Some("100000".parse().expect("amount")),
            late_payments_12m: Count::known(0),
            kana_names: Vec::new(),
        },
    )
    .await
    .expect("customer");
    app.queue.drain(QueueName::Issued);
    // 58,136 under the limit: issued and queued.
    let first = app
        .create_invoice(&account, fixture("jp-standard-10-lines"))
        .await
        .expect("first");
    assert_eq!(first.status, InvoiceStatus::Issued);
    // +58,544 = 116,680 > 100,000: stored, numbered, not sent.
    let second = app
        .create_invoice(&account, fixture("jp-mixed-standard-reduced"))
        .await
        .expect("second");
    assert_eq!(second.status, InvoiceStatus::PendingReview);
    assert_eq!(second.number, number("", 2));
    let queued: Vec<_> = app
        .queue
        .drain(QueueName::Issued)
        .into_iter()
        .filter(|m| m.seller_id == account.seller_id)
        .collect();
    assert_eq!(queued.len(), 1, "only the approved one is sent");
    // +569,800 > 2 x limit: rejected with 422, no number used.
    let r = call(
        &app,
        post_invoice(&key, "big", &invoice_body("jp-exempt-and-export")),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json_body()["error"]["code"], "screening_rejected");
    let approved = app
        .approve(&account, &second.invoice_id)
        .await
        .expect("approve");
    assert_eq!(approved.status, InvoiceStatus::Issued);
    assert!(
        app.queue
            .drain(QueueName::Issued)
            .iter()
            .any(|m| m.invoice_id == second.invoice_id)
    );
    assert!(matches!(
        app.approve(&account, &second.invoice_id).await,
        Err(AppError::Conflict {
            code: seikyu_service::ConflictCode::InvalidState,
            ..
        })
    ));
    // Late payment history alone sends an invoice to review.
    app.put_customer(
        &account,
        "CUST-0042",
        CustomerUpdate {
            credit_limit: None,
            late_payments_12m: Count::known(3),
            kana_names: Vec::new(),
        },
    )
    .await
    .expect("customer");
    let third = app
        .create_invoice(&account, fixture("jp-three-lines-105-yen-floor"))
        .await
        .expect("third");
    assert_eq!(
        third.number,
        number("", 3),
        "the rejected invoice took no number"
    );
    assert_eq!(third.status, InvoiceStatus::PendingReview);
}

pub async fn void_and_dispute<S: Store>(app: Arc<TestApp<S>>) {
    let (account, key) = seller(&app, None).await;
    let a = app
        .create_invoice(&account, fixture("jp-standard-10-lines"))
        .await
        .expect("a");
    let b = app
        .create_invoice(&account, fixture("jp-mixed-standard-reduced"))
        .await
        .expect("b");
    let r = call(
        &app,
        request(
            "POST",
            &format!("/invoices/{}/void", a.invoice_id),
            &key,
            None,
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json_body());
    let v = r.json_body();
    assert_eq!(v["invoice"]["status"], "void");
    assert_eq!(v["credit_note"]["number"], number("CN-", 1));
    assert_eq!(
        v["credit_note"]["credits"],
        Value::String(a.invoice_id.clone())
    );
    assert_eq!(
        v["invoice"]["voided"]["credit_note_id"],
        number("CN-", 1).as_str()
    );
    assert_eq!(
        v["credit_note"]["totals"]["payable"],
        v["invoice"]["totals"]["payable"]
    );
    // The credit note document is archived and is a UBL CreditNote referencing the invoice.
    let cn_xml = app.ubl(&account, &number("CN-", 1)).await.expect("cn ubl");
    let doc = seikyu_einvoice::read(std::str::from_utf8(&cn_xml).expect("utf-8")).expect("reads");
    assert_eq!(
        doc.invoice.preceding_invoice.map(|p| p.number),
        Some(a.invoice_id.clone())
    );
    let twice = call(
        &app,
        request(
            "POST",
            &format!("/invoices/{}/void", a.invoice_id),
            &key,
            None,
        ),
    )
    .await;
    assert_eq!(
        (twice.status, twice.json_body()["error"]["code"].clone()),
        (409, Value::String("invalid_state".into()))
    );
    let d = request(
        "POST",
        &format!("/invoices/{}/dispute", b.invoice_id),
        &key,
        Some(&serde_json::json!({"reason": "数量が注文と異なる / quantity differs"})),
    );
    let r = call(&app, d).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json_body()["status"], "disputed");
    assert_eq!(
        r.json_body()["dispute"]["reason"],
        "数量が注文と異なる / quantity differs"
    );
    let empty = request(
        "POST",
        &format!("/invoices/{}/dispute", b.invoice_id),
        &key,
        Some(&serde_json::json!({"reason": " "})),
    );
    assert_eq!(call(&app, empty).await.status, 400);
    let bad = request(
        "POST",
        &format!("/invoices/{}/dispute", a.invoice_id),
        &key,
        Some(&serde_json::json!({"reason": "late"})),
    );
    assert_eq!(
        call(&app, bad).await.status,
        409,
        "a void invoice cannot be disputed"
    );
    // A disputed invoice can still be voided (the seller agrees with the buyer).
    let r = call(
        &app,
        request(
            "POST",
            &format!("/invoices/{}/void", b.invoice_id),
            &key,
            None,
        ),
    )
    .await;
    assert_eq!(r.json_body()["credit_note"]["number"], number("CN-", 2));
}

pub async fn search_by_date_amount_customer<S: Store>(app: Arc<TestApp<S>>) {
    let (account, key) = seller(&app, None).await;
    // Invoices issued on days 1, 3, 5, 7 and 9 of a stretch ending four days after the suite's date.
    let day = |n: i64| crate::dates::test_date() + Duration::days(n - 5);
    let mut made = Vec::new();
    for (i, (n, qty, customer)) in [
        (1, "1", "C-A"),
        (3, "10", "C-A"),
        (5, "100", "C-B"),
        (7, "1000", "C-B"),
        (9, "3", "C-A"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut inv = fixture("jp-three-lines-105-yen-floor");
        inv.issue_date = day(n);
        inv.due_date = Some(day(60));
        inv.lines.truncate(1);
        inv.lines[0].quantity = qty.parse().expect("qty");
        inv.buyer.customer_id = Some(customer.parse().expect("id"));
        let r = app
            .create_invoice(&account, inv)
            .await
            .unwrap_or_else(|e| panic!("invoice {i}: {e:?}"));
        made.push(r);
    }
    let ids =
        |p: &seikyu_service::record::Page| p.items.iter().map(|r| r.issue_date).collect::<Vec<_>>();
    let q = |f: &dyn Fn(&mut SearchQuery)| {
        let mut q = SearchQuery::default();
        f(&mut q);
        q
    };
    let all = app.search(&account, &q(&|_| {})).await.expect("all");
    assert_eq!(
        ids(&all),
        [day(9), day(7), day(5), day(3), day(1)],
        "newest first"
    );
    let range = app
        .search(
            &account,
            &q(&|q| {
                q.from = Some(day(3));
                q.to = Some(day(7));
            }),
        )
        .await
        .expect("range");
    assert_eq!(ids(&range), [day(7), day(5), day(3)]);
    // 105 x qty + 10% tax (floor): 115, 1155, 11550, 115500, 346.
    let amounts = app
        .search(
            &account,
            &q(&|q| {
                q.min_amount = Some(Decimal::from(300));
                q.max_amount = Some(Decimal::from(20_000));
            }),
        )
        .await
        .expect("amounts");
    let mut got: Vec<String> = amounts
        .items
        .iter()
        .map(|r| r.payable.to_string())
        .collect();
    got.sort();
    assert_eq!(got, ["1155", "11550", "346"]);
    let customer = app
        .search(
            &account,
            &q(&|q| {
                q.customer = Some("C-A".into());
                q.from = Some(day(2));
            }),
        )
        .await
        .expect("customer");
    assert_eq!(ids(&customer), [day(9), day(3)]);
    // Pages of two: every invoice exactly once.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = app
            .search(
                &account,
                &SearchQuery {
                    limit: 2,
                    cursor: cursor.clone(),
                    ..Default::default()
                },
            )
            .await
            .expect("page");
        assert!(page.items.len() <= 2);
        seen.extend(page.items.iter().map(|r| r.invoice_id.clone()));
        match page.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let mut want: Vec<String> = made.iter().map(|r| r.invoice_id.clone()).collect();
    want.sort();
    seen.sort();
    assert_eq!(seen, want);
    // Over HTTP: query parameters, a status filter, and bad parameters as 400 with the field.
    let mut req = request("GET", "/invoices", &key, None);
    req.query = vec![
        ("status".into(), "issued".into()),
        ("customer".into(), "C-B".into()),
    ];
    assert_eq!(
        call(&app, req.clone()).await.json_body()["items"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    let long_id = "X".repeat(1100);
    assert_eq!(
        call(
            &app,
            request("GET", &format!("/invoices/{long_id}"), &key, None)
        )
        .await
        .status,
        404
    );
    assert_eq!(
        call(&app, request("GET", "/invoices/A#B", &key, None))
            .await
            .status,
        404
    );
    for (k, v) in [
        ("customer", "a#b"),
        ("from", "yesterday"),
        ("min_amount", "lots"),
        ("limit", "0"),
        ("status", "paidish"),
        ("cursor", "!!"),
        ("sort", "x"),
    ] {
        req.query = vec![(k.into(), v.into())];
        let r = call(&app, req.clone()).await;
        assert_eq!(r.status, 400, "{k}={v}: {}", r.json_body());
    }
}

pub async fn mailer_sends_once<S: Store>(app: Arc<TestApp<S>>) {
    let (account, _) = seller(&app, None).await;
    let mailer = MemoryMailer::default();
    let r = app
        .create_invoice(&account, fixture("jp-standard-10-lines"))
        .await
        .expect("created");
    let msg = seikyu_service::record::QueueMessage {
        event: "invoice.issued".into(),
        seller_id: account.seller_id.clone(),
        invoice_id: r.invoice_id.clone(),
        payment: None,
        as_of: None,
        receipt_id: None,
    };
    let body = serde_json::to_string(&msg).expect("json");
    let from = "billing@seikyu.test";
    // A transient SES failure is reported for redelivery; the retry sends.
    mailer.fail_next(1);
    let failed = handle_batch(
        &app.store,
        &app.archive,
        &mailer,
        &app.clock,
        from,
        &[("m1".into(), body.clone())],
    )
    .await;
    assert_eq!(failed.failed, ["m1"]);
    assert!(failed.dead.is_empty());
    let failed = handle_batch(
        &app.store,
        &app.archive,
        &mailer,
        &app.clock,
        from,
        &[
            ("m1".into(), body.clone()),
            ("poison".into(), "{not json".into()),
        ],
    )
    .await;
    assert!(failed.failed.is_empty(), "{failed:?}");
    let dead: Vec<&str> = failed.dead.iter().map(|d| d.message_id.as_str()).collect();
    assert_eq!(dead, ["poison"], "only the poison message fails, for good");
    // The edge moves it to the dead-letter queue at once: acknowledged, never retried, kept for a person.
    let acknowledged =
        seikyu_service::delivery::jobs::settle(&app.queue, QueueName::Issued, failed).await;
    assert!(acknowledged.is_empty(), "{acknowledged:?}");
    let parked = app.queue.dead_letters();
    assert_eq!(parked.len(), 1);
    assert_eq!(
        (parked[0].0, parked[0].1.as_str()),
        (QueueName::Issued, "{not json")
    );
    assert!(parked[0].2.starts_with("not a queue message"), "{parked:?}");
    assert_eq!(mailer.sent().len(), 1);
    // Redelivered: recorded, not sent again.
    let again = mail_document(&app.store, &app.archive, &mailer, &app.clock, from, &msg)
        .await
        .expect("ok");
    assert_eq!(again, MailOutcome::AlreadySent);
    assert_eq!(mailer.sent().len(), 1);
    let stored = app.get(&account, &r.invoice_id).await.expect("invoice");
    let email = stored.email.expect("email recorded");
    assert_eq!(email.message_id, mailer.sent()[0].message_id);
    assert_eq!(email.to, ["ap@midori.example.jp"]);
    // The mail is readable and carries the UBL.
    let raw = String::from_utf8(mailer.sent()[0].raw.clone()).expect("ascii mime");
    assert!(raw.contains(&format!(
        "Content-Type: application/xml; name=\"{}.xml\"",
        number("", 1)
    )));
    assert!(raw.contains("multipart/alternative") && raw.contains("text/html"));
    assert!(
        raw.contains("boundary=\"seikyu-mix-") && raw.contains("boundary=\"seikyu-alt-"),
        "distinct MIME boundaries"
    );
    // Two deliveries of one message at the same time: one mail.
    let r2 = app
        .create_invoice(&account, fixture("jp-mixed-standard-reduced"))
        .await
        .expect("created");
    let msg2 = seikyu_service::record::QueueMessage {
        invoice_id: r2.invoice_id.clone(),
        ..msg.clone()
    };
    let (a, b) = tokio::join!(
        mail_document(&app.store, &app.archive, &mailer, &app.clock, from, &msg2),
        mail_document(&app.store, &app.archive, &mailer, &app.clock, from, &msg2)
    );
    let sent_for_r2 = mailer
        .sent()
        .iter()
        .filter(|m| String::from_utf8_lossy(&m.raw).contains(&r2.invoice_id))
        .count();
    assert_eq!(
        sent_for_r2, 1,
        "concurrent deliveries send once: {a:?} {b:?}"
    );
    let unknown = seikyu_service::record::QueueMessage {
        invoice_id: "NOPE-1".into(),
        ..msg.clone()
    };
    assert!(
        mail_document(
            &app.store,
            &app.archive,
            &mailer,
            &app.clock,
            from,
            &unknown
        )
        .await
        .is_err()
    );
}

/// Payments apply exactly once whatever the duplication and order; amounts settle the invoice; what
/// cannot be matched is kept with a reason.
pub async fn payments_apply_exactly_once<S: Store>(app: Arc<TestApp<S>>) {
    use seikyu_payments::{EventKind, PaymentEvent, Provider};
    use seikyu_service::payments::PaymentOutcome;
    let (account, _) = seller(&app, None).await;
    let inv = app
        .create_invoice(&account, fixture("jp-standard-10-lines"))
        .await
        .expect("invoice");
    assert_eq!(inv.payable, Decimal::from(58_136));
    let ev = |id: &str, payment: &str, kind: EventKind| PaymentEvent {
        provider: Provider::Stripe,
        event_id: format!("{}-{id}", account.seller_id),
        payment_id: format!("{}-{payment}", account.seller_id),
        kind,
        currency: Some("JPY".into()),
        invoice_id: Some(inv.invoice_id.clone()),
        seller_id: Some(account.seller_id.clone()),
        reference: None,
        method: Some("card".into()),
        created: 0,
    };
    let received = |t: i64| EventKind::Received {
        total: Decimal::from(t),
    };
    let status = |o: &PaymentOutcome| match o {
        PaymentOutcome::Applied {
            status,
            open_balance,
            overpaid,
            ..
        } => (status.as_str(), *open_balance, *overpaid),
        other => panic!("not applied: {other:?}"),
    };
    // Less than due: partially paid with the open balance.
    let o = app
        .apply_payment(&account, &ev("e1", "pi_a", received(30_000)))
        .await
        .expect("apply");
    assert_eq!(
        status(&o),
        ("partially_paid", Decimal::from(28_136), Decimal::ZERO)
    );
    assert_eq!(
        app.apply_payment(&account, &ev("e1", "pi_a", received(30_000)))
            .await
            .expect("dup"),
        PaymentOutcome::Duplicate
    );
    // The rest, delivered 8 times in parallel: applied once.
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (app, account, e) = (
            app.clone(),
            account.clone(),
            ev("e2", "pi_b", received(28_136)),
        );
        set.spawn(async move { app.apply_payment(&account, &e).await });
    }
    let mut applied = 0;
    while let Some(r) = set.join_next().await {
        match r.expect("task").expect("apply") {
            PaymentOutcome::Applied { .. } => applied += 1,
            PaymentOutcome::Duplicate => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(applied, 1, "parallel duplicates apply once");
    let now = app.get(&account, &inv.invoice_id).await.expect("invoice");
    assert_eq!(
        (now.status.as_str(), now.paid_total, now.open_balance()),
        ("paid", Decimal::from(58_136), Decimal::ZERO)
    );
    // More than due: paid, with the excess as the buyer's credit.
    let o = app
        .apply_payment(&account, &ev("e3", "pi_c", received(1_000)))
        .await
        .expect("apply");
    assert_eq!(status(&o), ("paid", Decimal::ZERO, Decimal::from(1_000)));
    // A refund before its payment nets out when the payment arrives; a failure after success changes nothing.
    let o = app
        .apply_payment(
            &account,
            &ev(
                "e4",
                "pi_d",
                EventKind::Refunded {
                    total: Decimal::from(500),
                },
            ),
        )
        .await
        .expect("apply");
    assert_eq!(status(&o).2, Decimal::from(1_000));
    let o = app
        .apply_payment(&account, &ev("e5", "pi_d", received(2_000)))
        .await
        .expect("apply");
    assert_eq!(status(&o).2, Decimal::from(2_500));
    let o = app
        .apply_payment(&account, &ev("e6", "pi_a", EventKind::Failed))
        .await
        .expect("apply");
    assert_eq!(status(&o).2, Decimal::from(2_500));
    // Refunding the first payment entirely: 30,000 of 58,136 no longer paid.
    let o = app
        .apply_payment(
            &account,
            &ev(
                "e7",
                "pi_a",
                EventKind::Refunded {
                    total: Decimal::from(30_000),
                },
            ),
        )
        .await
        .expect("apply");
    assert_eq!(
        status(&o),
        ("partially_paid", Decimal::from(27_500), Decimal::ZERO)
    );
    // Unmatched payments are kept with the reason.
    for (e, want) in [
        (
            {
                let mut e = ev("u1", "pi_u1", received(100));
                e.invoice_id = Some("AOZ-2026-999999".into());
                e
            },
            "UnknownInvoice",
        ),
        (
            {
                let mut e = ev("u2", "pi_u2", received(100));
                e.currency = Some("USD".into());
                e
            },
            "CurrencyMismatch",
        ),
        (
            {
                let mut e = ev("u3", "pi_u3", received(100));
                e.seller_id = Some("someone-else".into());
                e
            },
            "SellerMismatch",
        ),
        (
            {
                let mut e = ev("u4", "pi_u4", received(100));
                e.invoice_id = None;
                e
            },
            "NoInvoiceReference",
        ),
    ] {
        match app.apply_payment(&account, &e).await.expect("apply") {
            PaymentOutcome::Unapplied { reason, .. } => {
                assert!(format!("{reason:?}").starts_with(want), "{reason:?}")
            }
            o => panic!("{want}: {o:?}"),
        }
    }
    assert_eq!(
        app.unapplied_payments(&account).await.expect("list").len(),
        4
    );
    let after = app.get(&account, &inv.invoice_id).await.expect("invoice");
    assert_eq!(
        after.paid_total,
        Decimal::from(30_636),
        "unmatched payments did not touch the invoice"
    );
    // A paid or partly paid invoice is not voided.
    assert!(matches!(
        app.void(&account, &inv.invoice_id).await,
        Err(AppError::Conflict {
            code: seikyu_service::ConflictCode::InvalidState,
            ..
        })
    ));
    // The open balance (not the payable) counts in screening.
    let open = app
        .store
        .open_balance(&account.seller_id, "CUST-0042", "JPY", after.issue_date)
        .await
        .expect("balance");
    assert_eq!(open.outstanding, Decimal::from(27_500));
}

/// The webhook endpoint: signatures first (401, nothing stored), then exactly-once application.
pub async fn webhook_endpoint<S: Store>(app: Arc<TestApp<S>>) {
    use seikyu_payments::signature::sign;
    use seikyu_service::api::webhook::handle_webhook;
    use seikyu_service::memory::MemorySecrets;
    let (account, _) = seller(&app, None).await;
    let inv = app
        .create_invoice(&account, fixture("jp-standard-10-lines"))
        .await
        .expect("invoice");
    let secrets = MemorySecrets::default();
    secrets.set(
        &account.seller_id,
        "stripe",
        &[b"whsec_old", b"whsec_current"],
    );
    let now = app.clock.now().timestamp();
    let body = serde_json::json!({
        "id": format!("evt_{}", account.seller_id), "object": "event", "type": "payment_intent.succeeded", "created": now,
        "data": {"object": {"id": format!("pi_{}", account.seller_id), "object": "payment_intent", "amount": 58136,
            "amount_received": 58136, "currency": "jpy", "payment_method_types": ["konbini"], "status": "succeeded",
            "metadata": {"invoice_id": inv.invoice_id, "seller_id": account.seller_id}}}
    })
    .to_string();
    let signed = |secret: &[u8], t: i64, body: &str| {
        vec![(
            "stripe-signature".to_string(),
            format!(
                "t={t},v1={}",
                sign(
                    &seikyu_payments::Secret::new(secret.to_vec()),
                    &[t.to_string().as_bytes(), b".", body.as_bytes()]
                )
            ),
        )]
    };
    let call = |provider: &'static str,
                seller: Option<String>,
                headers: Vec<(String, String)>,
                body: String| {
        let (app, secrets) = (app.clone(), &secrets);
        async move {
            handle_webhook(
                &*app,
                secrets,
                provider,
                seller.as_deref(),
                &headers,
                body.as_bytes(),
            )
            .await
        }
    };
    let me = Some(account.seller_id.clone());
    // Refused before anything is stored.
    let tampered = body.replace("58136", "99999");
    let r = call(
        "stripe",
        me.clone(),
        signed(b"whsec_current", now, &body),
        tampered,
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(
        call(
            "stripe",
            me.clone(),
            signed(b"whsec_current", now - 301, &body),
            body.clone()
        )
        .await
        .status,
        401,
        "stale"
    );
    assert_eq!(
        call(
            "stripe",
            me.clone(),
            signed(b"whsec_other", now, &body),
            body.clone()
        )
        .await
        .status,
        401,
        "wrong secret"
    );
    assert_eq!(
        call("stripe", me.clone(), vec![], body.clone())
            .await
            .status,
        401,
        "missing signature"
    );
    assert_eq!(
        call(
            "paypal",
            me.clone(),
            signed(b"whsec_current", now, &body),
            body.clone()
        )
        .await
        .status,
        404
    );
    assert_eq!(
        call(
            "stripe",
            None,
            signed(b"whsec_current", now, &body),
            body.clone()
        )
        .await
        .status,
        400
    );
    assert_eq!(
        call(
            "stripe",
            Some("nobody-here".into()),
            signed(b"whsec_current", now, &body),
            body.clone()
        )
        .await
        .status,
        401
    );
    assert_eq!(
        call(
            "komoju",
            me.clone(),
            vec![("x-komoju-signature".into(), "00".into())],
            body.clone()
        )
        .await
        .status,
        401,
        "no komoju secret"
    );
    let not_event = r#"{"hello":"world"}"#.to_string();
    assert_eq!(
        call(
            "stripe",
            me.clone(),
            signed(b"whsec_current", now, &not_event),
            not_event
        )
        .await
        .status,
        400
    );
    assert_eq!(
        app.get(&account, &inv.invoice_id)
            .await
            .expect("invoice")
            .paid_total,
        Decimal::ZERO,
        "nothing applied"
    );
    // Signed with the old secret during a roll: accepted and applied; again: a duplicate.
    let r = call(
        "stripe",
        me.clone(),
        signed(b"whsec_old", now, &body),
        body.clone(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json_body());
    assert_eq!(r.json_body()["status"], "paid");
    let again = call(
        "stripe",
        me.clone(),
        signed(b"whsec_current", now, &body),
        body.clone(),
    )
    .await;
    assert_eq!(
        (again.status, again.json_body()["duplicate"].clone()),
        (200, Value::Bool(true))
    );
    assert_eq!(
        app.get(&account, &inv.invoice_id)
            .await
            .expect("invoice")
            .paid_total,
        Decimal::from(58_136)
    );
}

/// An archive whose next `n` puts fail: a crash of the receipt issuer before its commit.
struct FlakyArchive<'a> {
    inner: &'a MemoryArchive,
    failures: std::sync::atomic::AtomicU32,
}

impl seikyu_service::ports::DocumentArchive for FlakyArchive<'_> {
    async fn put(
        &self,
        key: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<(), seikyu_service::ports::ArchiveError> {
        use std::sync::atomic::Ordering;
        if self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(seikyu_service::ports::ArchiveError::Unavailable(
                "injected crash".into(),
            ));
        }
        self.inner.put(key, content_type, bytes).await
    }
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, seikyu_service::ports::ArchiveError> {
        self.inner.get(key).await
    }
}

/// The receipt queue's messages as an SQS batch would carry them.
fn receipt_batch<S: Store>(app: &TestApp<S>) -> Vec<(String, String)> {
    app.queue
        .drain(QueueName::Receipts)
        .into_iter()
        .enumerate()
        .map(|(i, m)| (format!("r{i}"), serde_json::to_string(&m).expect("json")))
        .collect()
}

/// The PDFs: none before invoice-mailer handles a document (409 `pdf_not_ready`), then exactly one,
/// rendered under concurrent deliveries, archived content-addressed with its hash on the record,
/// attached to the one mail beside the UBL, served by the API, and the same bytes when rendered again;
/// an invoice voided before it was sent gets none; its credit note and the receipt for a payment get
/// theirs.
pub async fn pdfs_rendered_once<S: Store>(app: Arc<TestApp<S>>) {
    use seikyu_payments::{EventKind, PaymentEvent, Provider};
    let (account, key) = seller(&app, None).await;
    let inv = app
        .create_invoice(&account, fixture("jp-mixed-standard-reduced"))
        .await
        .expect("created");
    let voided = app
        .create_invoice(&account, fixture("jp-standard-10-lines"))
        .await
        .expect("created");
    app.queue.drain(QueueName::Issued);
    let pdf_of = |id: &str, kind: &str| request("GET", &format!("/{kind}/{id}/pdf"), &key, None);
    let r = call(&app, pdf_of(&inv.invoice_id, "invoices")).await;
    assert_eq!(r.status, 409, "{}", r.json_body());
    assert_eq!(r.json_body()["error"]["code"], "pdf_not_ready");

    let mailer = MemoryMailer::default();
    let from = "billing@seikyu.test";
    let msg = |id: &str| seikyu_service::record::QueueMessage {
        event: "invoice.issued".into(),
        seller_id: account.seller_id.clone(),
        invoice_id: id.into(),
        payment: None,
        as_of: None,
        receipt_id: None,
    };
    let m = msg(&inv.invoice_id);
    let (a, b) = tokio::join!(
        mail_document(&app.store, &app.archive, &mailer, &app.clock, from, &m),
        mail_document(&app.store, &app.archive, &mailer, &app.clock, from, &m)
    );
    // A conflicting claim is retried by SQS: deliver once more, as the queue would.
    if a.is_err() || b.is_err() {
        mail_document(&app.store, &app.archive, &mailer, &app.clock, from, &m)
            .await
            .expect("redelivery");
    }
    let stored = app.get(&account, &inv.invoice_id).await.expect("invoice");
    let pdf = stored.pdf.clone().expect("the PDF is recorded");
    let archived = app
        .archive
        .get(&pdf.key)
        .await
        .expect("archive")
        .expect("archived PDF");
    assert_eq!(sha256_hex(&archived), pdf.sha256);
    let pdfs: Vec<String> = app
        .archive
        .objects()
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| k.contains(&inv.number) && k.ends_with(".pdf"))
        .collect();
    assert_eq!(
        pdfs,
        std::slice::from_ref(&pdf.key),
        "one PDF for the invoice"
    );
    // The same record renders the same bytes; the PDF carries the archived UBL.
    let ubl = app.ubl(&account, &inv.invoice_id).await.expect("ubl");
    assert!(
        seikyu_documents::pdf::invoice(&ubl).expect("render") == archived,
        "a re-render gives the archived bytes"
    );
    // One mail, with the PDF and the UBL attached.
    let sent: Vec<_> = mailer
        .sent()
        .into_iter()
        .filter(|m| String::from_utf8_lossy(&m.raw).contains(&inv.invoice_id))
        .collect();
    assert_eq!(sent.len(), 1, "one mail: {a:?} {b:?}");
    let raw = String::from_utf8(sent[0].raw.clone()).expect("ascii mime");
    for part in [
        format!("Content-Type: application/pdf; name=\"{}.pdf\"", inv.number),
        format!("Content-Type: application/xml; name=\"{}.xml\"", inv.number),
    ] {
        assert!(raw.contains(&part), "{part} missing");
    }
    let body: String = seikyu_documents::mime::base64_lines(&archived);
    assert!(
        raw.replace("\r\n", "").contains(&body.replace("\r\n", "")),
        "the attached PDF is the archived one"
    );
    // Served, verified against the hash; shown on the invoice.
    let r = call(&app, pdf_of(&inv.invoice_id, "invoices")).await;
    assert_eq!((r.status, r.content_type), (200, "application/pdf"));
    assert!(r.body == archived);
    let r = call(
        &app,
        request("GET", &format!("/invoices/{}", inv.invoice_id), &key, None),
    )
    .await;
    assert_eq!(r.json_body()["pdf"]["sha256"], pdf.sha256.as_str());
    // A redelivery renders nothing and sends nothing.
    let objects = app.archive.objects().len();
    assert_eq!(
        mail_document(&app.store, &app.archive, &mailer, &app.clock, from, &m)
            .await
            .expect("redelivery"),
        MailOutcome::AlreadySent
    );
    assert_eq!(app.archive.objects().len(), objects);
    // Voided before it was sent: no PDF, ever; its credit note has one.
    let (_, credit_note) = app.void(&account, &voided.invoice_id).await.expect("void");
    for m in app.queue.drain(QueueName::Issued) {
        mail_document(&app.store, &app.archive, &mailer, &app.clock, from, &m)
            .await
            .expect("mailed");
    }
    mail_document(
        &app.store,
        &app.archive,
        &mailer,
        &app.clock,
        from,
        &msg(&voided.invoice_id),
    )
    .await
    .expect("skipped");
    let r = call(&app, pdf_of(&voided.invoice_id, "invoices")).await;
    assert_eq!(r.status, 409, "{}", r.json_body());
    let cn = app
        .get(&account, &credit_note.invoice_id)
        .await
        .expect("credit note");
    assert!(cn.pdf.is_some(), "the credit note has its PDF");
    // A payment's receipt: issued by receipt-issuer, rendered and mailed by invoice-mailer.
    app.apply_payment(
        &account,
        &PaymentEvent {
            provider: Provider::Stripe,
            event_id: format!("{}-pdf-e1", account.seller_id),
            payment_id: format!("{}-pdf-pi", account.seller_id),
            kind: EventKind::Received { total: inv.payable },
            currency: Some("JPY".into()),
            invoice_id: Some(inv.invoice_id.clone()),
            seller_id: Some(account.seller_id.clone()),
            reference: None,
            method: Some("card".into()),
            created: 0,
        },
    )
    .await
    .expect("paid");
    let batch = receipt_batch(&*app);
    assert!(
        issue_and_mail(&app, &app.archive, &mailer, &batch)
            .await
            .all_handled()
    );
    let payment = app
        .store
        .get_payment(
            &account.seller_id,
            "stripe",
            &format!("{}-pdf-pi", account.seller_id),
        )
        .await
        .expect("read")
        .expect("payment");
    let receipt_id = payment.receipts[0].clone();
    let receipt = app.receipt(&account, &receipt_id).await.expect("receipt");
    let rp = receipt.pdf.clone().expect("the receipt PDF is recorded");
    let r = call(&app, pdf_of(&receipt_id, "receipts")).await;
    assert_eq!((r.status, r.content_type), (200, "application/pdf"));
    assert_eq!(sha256_hex(&r.body), rp.sha256);
    let mail = mailer
        .sent()
        .into_iter()
        .find(|m| String::from_utf8_lossy(&m.raw).contains(&format!("{}.pdf", receipt.number)))
        .expect("the receipt mail carries its PDF");
    assert_eq!(mail.to, ["ap@midori.example.jp"]);
}

/// receipt-issuer over `batch`, then invoice-mailer over the `receipt.issued` messages it queued, as
/// the two functions do with SQS: what either left failed or dead.
async fn issue_and_mail<S: Store, A: DocumentArchive>(
    app: &TestApp<S>,
    archive: &A,
    mailer: &MemoryMailer,
    batch: &[(String, String)],
) -> seikyu_service::delivery::jobs::BatchReport {
    let mut report =
        seikyu_service::receipts::handle_batch(&app.store, archive, &app.queue, &app.clock, batch)
            .await;
    let mail: Vec<(String, String)> = app
        .queue
        .drain(QueueName::Issued)
        .into_iter()
        .enumerate()
        .map(|(i, m)| (format!("m{i}"), serde_json::to_string(&m).expect("json")))
        .collect();
    let mailed = handle_batch(
        &app.store,
        archive,
        mailer,
        &app.clock,
        "billing@seikyu.test",
        &mail,
    )
    .await;
    report.failed.extend(mailed.failed);
    report.dead.extend(mailed.dead);
    report
}

/// Exactly one receipt per payment under redelivery, parallel delivery and injected crashes; gapless
/// receipt numbers; refunds cancel (and partly replace) receipts; the bus hears every change.
pub async fn receipts_exactly_once<S: Store>(app: Arc<TestApp<S>>) {
    use seikyu_payments::{EventKind, PaymentEvent, Provider};
    use seikyu_service::receipts::{ReceiptOutcome, reconcile};
    use seikyu_service::record::ReceiptStatus;
    let (account, key) = seller(&app, None).await;
    let inv = app
        .create_invoice(&account, fixture("jp-mixed-standard-reduced"))
        .await
        .expect("invoice");
    app.queue.drain(QueueName::Issued);
    let pay = |id: &str, payment: &str, kind: EventKind| PaymentEvent {
        provider: Provider::Stripe,
        event_id: format!("{}-{id}", account.seller_id),
        payment_id: format!("{}-{payment}", account.seller_id),
        kind,
        currency: Some("JPY".into()),
        invoice_id: Some(inv.invoice_id.clone()),
        seller_id: Some(account.seller_id.clone()),
        reference: None,
        method: Some("konbini".into()),
        created: 0,
    };
    let pk = |payment: &str| format!("stripe:{}-{payment}", account.seller_id);
    let mailer = MemoryMailer::default();
    let part = Decimal::from(20_000);
    app.apply_payment(
        &account,
        &pay("e1", "pi_a", EventKind::Received { total: part }),
    )
    .await
    .expect("applied");
    // The webhook path queued one receipt request and told the bus.
    let batch = receipt_batch(&*app);
    assert_eq!(batch.len(), 1, "{batch:?}");
    let events = app.bus.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].detail_type, "invoice.partially_paid");
    let detail: Value = serde_json::from_str(&events[0].detail).expect("json");
    assert_eq!(detail["invoice_id"], inv.invoice_id.as_str());
    assert_eq!(detail["paid_total"], "20000");

    // Crash before the commit (archive unavailable): reported, nothing stored, no number used.
    let flaky = FlakyArchive {
        inner: &app.archive,
        failures: 1.into(),
    };
    assert!(
        issue_and_mail(&app, &flaky, &mailer, &batch)
            .await
            .failed
            .len()
            == 1
    );
    let payment = app
        .store
        .get_payment(
            &account.seller_id,
            "stripe",
            &format!("{}-pi_a", account.seller_id),
        )
        .await
        .expect("read")
        .expect("payment");
    assert!(
        payment.receipts.is_empty(),
        "nothing issued by the crashed attempt"
    );
    // Crash after the commit, before the mail: the next delivery mails the receipt already issued.
    let first = reconcile(
        &app.store,
        &app.archive,
        &app.clock,
        &account.seller_id,
        &pk("pi_a"),
    )
    .await
    .expect("issued");
    let ReceiptOutcome::Issued { receipt_id: r1, .. } = first else {
        panic!("{first:?}")
    };
    assert_eq!(r1, number("R-", 1));
    // A transient SES failure, then the redelivery sends; four more deliveries, two in parallel.
    mailer.fail_next(1);
    assert_eq!(
        issue_and_mail(&app, &app.archive, &mailer, &batch)
            .await
            .failed
            .len(),
        1
    );
    assert!(
        issue_and_mail(&app, &app.archive, &mailer, &batch)
            .await
            .failed
            .is_empty()
    );
    let (a, b) = tokio::join!(
        issue_and_mail(&app, &app.archive, &mailer, &batch),
        issue_and_mail(&app, &app.archive, &mailer, &batch),
    );
    assert!(
        a.failed.len() + b.failed.len() <= 1,
        "at most a claim conflict is retried"
    );
    assert!(
        issue_and_mail(&app, &app.archive, &mailer, &batch)
            .await
            .failed
            .is_empty()
    );
    assert_eq!(mailer.sent().len(), 1, "one receipt mail");
    let receipt = app.receipt(&account, &r1).await.expect("receipt");
    assert_eq!(receipt.status, ReceiptStatus::Issued);
    assert_eq!(receipt.amount, part);
    assert_eq!(
        receipt.email.as_ref().map(|e| e.message_id.as_str()),
        Some(mailer.sent()[0].message_id.as_str())
    );
    // Amount and tax per rate: the parts sum to the amount; tax scaled from the invoice.
    let parts: Decimal = receipt.breakdown.iter().map(|b| b.amount).sum();
    assert_eq!(parts, part);
    assert_eq!(receipt.breakdown.len(), inv.tax_breakdown.len());
    let raw = String::from_utf8(mailer.sent()[0].raw.clone()).expect("utf8");
    assert!(raw.contains(".pdf\""), "the receipt PDF is attached");
    // Concurrent deliveries of a new payment's request issue one receipt with the next number.
    app.apply_payment(
        &account,
        &pay(
            "e2",
            "pi_b",
            EventKind::Received {
                total: inv.payable - part,
            },
        ),
    )
    .await
    .expect("applied");
    let batch_b = receipt_batch(&*app);
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let (app, b) = (app.clone(), batch_b.clone());
        set.spawn(async move {
            let mailer = MemoryMailer::default();
            let failed = issue_and_mail(&app, &app.archive, &mailer, &b).await;
            (failed.failed.len() + failed.dead.len(), mailer.sent().len())
        });
    }
    let mut sent_b = 0;
    while let Some(r) = set.join_next().await {
        sent_b += r.expect("task").1;
    }
    assert!(
        sent_b <= 1,
        "one mail for the second receipt, sent {sent_b}"
    );
    let pb = app
        .store
        .get_payment(
            &account.seller_id,
            "stripe",
            &format!("{}-pi_b", account.seller_id),
        )
        .await
        .expect("read")
        .expect("payment");
    assert_eq!(
        pb.receipts.len(),
        1,
        "one receipt for one payment: {:?}",
        pb.receipts
    );
    let r2 = pb.receipts[0].clone();
    assert_eq!(r2, number("R-", 2), "gapless");
    let paid = app.get(&account, &inv.invoice_id).await.expect("invoice");
    assert_eq!(paid.status, InvoiceStatus::Paid);
    let full = app.receipt(&account, &r2).await.expect("receipt");
    // Tax per rate of the whole invoice when a receipt covers all that was due... here the second part.
    assert_eq!(full.amount, inv.payable - part);

    // A partial refund of the first payment: its receipt is cancelled and replaced for what is kept.
    let refund = Decimal::from(5_000);
    app.apply_payment(
        &account,
        &pay("e3", "pi_a", EventKind::Refunded { total: refund }),
    )
    .await
    .expect("refund applied");
    let kinds: Vec<String> = app
        .bus
        .events()
        .iter()
        .map(|e| e.detail_type.clone())
        .collect();
    assert_eq!(
        kinds,
        [
            "invoice.partially_paid",
            "invoice.paid",
            "invoice.partially_paid"
        ]
    );
    let batch_r = receipt_batch(&*app);
    assert!(
        issue_and_mail(&app, &app.archive, &mailer, &batch_r)
            .await
            .failed
            .is_empty()
    );
    let cancelled = app.receipt(&account, &r1).await.expect("receipt");
    assert_eq!(cancelled.status, ReceiptStatus::Cancelled);
    let c = cancelled.cancelled.clone().expect("cancellation");
    assert_eq!((c.reason.as_str(), c.refunded), ("refunded", refund));
    let r3 = c.replaced_by.clone().expect("replaced");
    assert_eq!(r3, number("R-", 3));
    let replacement = app.receipt(&account, &r3).await.expect("receipt");
    assert_eq!(
        (replacement.amount, replacement.replaces.as_deref()),
        (part - refund, Some(r1.as_str()))
    );
    // An old request delivered late (out of order) changes nothing.
    assert!(
        issue_and_mail(&app, &app.archive, &mailer, &batch)
            .await
            .failed
            .is_empty()
    );
    assert!(
        issue_and_mail(&app, &app.archive, &mailer, &batch_r)
            .await
            .failed
            .is_empty()
    );
    assert_eq!(
        app.receipt(&account, &r3).await.expect("r3").status,
        ReceiptStatus::Issued
    );
    // A full refund of the second payment cancels its receipt with no replacement.
    app.apply_payment(
        &account,
        &pay(
            "e4",
            "pi_b",
            EventKind::Refunded {
                total: inv.payable - part,
            },
        ),
    )
    .await
    .expect("refund applied");
    let batch_f = receipt_batch(&*app);
    assert!(
        issue_and_mail(&app, &app.archive, &mailer, &batch_f)
            .await
            .failed
            .is_empty()
    );
    let r2_now = app.receipt(&account, &r2).await.expect("receipt");
    assert_eq!(r2_now.status, ReceiptStatus::Cancelled);
    assert_eq!(
        r2_now
            .cancelled
            .as_ref()
            .and_then(|c| c.replaced_by.clone()),
        None
    );
    assert_eq!(
        app.store
            .sequence_value(&format!(
                "{}#RCT#{}",
                account.seller_id,
                fiscal_year(crate::dates::test_date(), 4)
            ))
            .await
            .expect("seq"),
        3,
        "three receipts, numbers 1..3"
    );

    // Over HTTP: the receipt and its document (hash-checked); another seller sees nothing.
    let resp = call(&app, request("GET", &format!("/receipts/{r3}"), &key, None)).await;
    assert_eq!(resp.status, 200);
    let v: Value = serde_json::from_slice(&resp.body).expect("json");
    assert_eq!(
        (v["status"].as_str(), v["replaces"].as_str()),
        (Some("issued"), Some(r1.as_str()))
    );
    let doc = call(
        &app,
        request("GET", &format!("/receipts/{r3}/document"), &key, None),
    )
    .await;
    assert_eq!(doc.status, 200);
    assert_eq!(sha256_hex(&doc.body), replacement.document_sha256);
    let html = String::from_utf8(doc.body).expect("utf8");
    for needle in [
        "領収書",
        &r3,
        &account.profile.name,
        "登録番号",
        "うち消費税等",
        &inv.number,
    ] {
        assert!(html.contains(needle), "receipt shows {needle}");
    }
    let (_, other_key) = seller(&app, None).await;
    assert_eq!(
        call(
            &app,
            request("GET", &format!("/receipts/{r3}"), &other_key, None)
        )
        .await
        .status,
        404
    );
    assert_eq!(
        call(&app, request("GET", "/receipts/..%2F", &key, None))
            .await
            .status,
        404
    );
    // A message that is not a receipt request fails every time (to the DLQ), and so does an unknown payment.
    let poison = vec![
        ("p1".to_string(), "{not json".to_string()),
        ("p2".to_string(), serde_json::json!({"event":"invoice.issued","seller_id":account.seller_id,"invoice_id":"x"}).to_string()),
        ("p3".to_string(), serde_json::json!({"event":"receipt.requested","seller_id":account.seller_id,"invoice_id":"x","payment":"stripe:nope"}).to_string()),
    ];
    let report = seikyu_service::receipts::handle_batch(
        &app.store,
        &app.archive,
        &app.queue,
        &app.clock,
        &poison,
    )
    .await;
    assert!(report.failed.is_empty(), "{report:?}");
    assert_eq!(report.dead.len(), 3, "{report:?}");
}

/// Applying an unapplied payment by hand, and the outbox for bus events when the bus is down.
pub async fn manual_apply<S: Store>(app: Arc<TestApp<S>>) {
    use seikyu_payments::{EventKind, PaymentEvent, Provider};
    let (account, key) = seller(&app, None).await;
    let inv = app
        .create_invoice(&account, fixture("jp-standard-10-lines"))
        .await
        .expect("invoice");
    let ev = |id: &str, payment: &str, kind: EventKind, currency: &str| PaymentEvent {
        provider: Provider::Generic,
        event_id: format!("{}-{id}", account.seller_id),
        payment_id: format!("{}-{payment}", account.seller_id),
        kind,
        currency: Some(currency.into()),
        invoice_id: None,
        seller_id: None,
        reference: Some("no idea which invoice".into()),
        method: Some("bank_transfer".into()),
        created: 0,
    };
    let money = |n: i64| EventKind::Received {
        total: Decimal::from(n),
    };
    for (id, payment, kind, cur) in [
        ("u1", "zengin-1", money(58_136), "JPY"),
        ("u2", "zengin-2", money(100), "USD"),
        ("u3", "zengin-3", EventKind::Failed, "JPY"),
    ] {
        app.apply_payment(&account, &ev(id, payment, kind, cur))
            .await
            .expect("kept");
    }
    let list = call(&app, request("GET", "/payments/unapplied", &key, None)).await;
    let v: Value = serde_json::from_slice(&list.body).expect("json");
    let items = v["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "a payment without money is not listed: {v}");
    let apply = |payment: String, invoice: &str| {
        request(
            "POST",
            "/payments/apply",
            &key,
            Some(&serde_json::json!({ "payment": payment, "invoice_id": invoice })),
        )
    };
    let k1 = format!("generic:{}-zengin-1", account.seller_id);
    let k2 = format!("generic:{}-zengin-2", account.seller_id);
    // Wrong currency: 400 naming the field; unknown invoice or payment: 404; incomplete body: 400.
    let r = call(&app, apply(k2.clone(), &inv.invoice_id)).await;
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    let e: Value = serde_json::from_slice(&r.body).expect("json");
    assert_eq!(
        (
            &e["error"]["fields"][0]["path"],
            &e["error"]["fields"][0]["code"]
        ),
        (
            &Value::from("invoice_id"),
            &Value::from("currency_mismatch")
        )
    );
    assert_eq!(
        call(&app, apply(k1.clone(), "AOZ-2026-999999"))
            .await
            .status,
        404
    );
    for bad in [
        "generic:nope",
        "nope",
        "paypal:x",
        "generic:",
        &format!("generic:{}", "x".repeat(2000)),
    ] {
        assert_eq!(
            call(&app, apply(bad.to_string(), &inv.invoice_id))
                .await
                .status,
            404,
            "{bad}"
        );
    }
    assert_eq!(
        call(
            &app,
            request(
                "POST",
                "/payments/apply",
                &key,
                Some(&serde_json::json!({"payment": k1}))
            )
        )
        .await
        .status,
        400
    );
    // The bus is down: the payment is applied all the same; the sweeper publishes later. (The outbox
    // check, the other one that sweeps, takes turns with this one; the clock moves three years on, so
    // this entry is the newest in the outbox.)
    let _sweeps = OUTBOX_SWEEPS.lock().await;
    app.clock.set(app.clock.now() + Duration::days(3 * 365));
    app.bus.fail_next(1);
    app.queue.drain(QueueName::Receipts);
    let r = call(&app, apply(k1.clone(), &inv.invoice_id)).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let body: Value = serde_json::from_slice(&r.body).expect("json");
    assert_eq!(
        (body["status"].as_str(), body["open_balance"].as_str()),
        (Some("paid"), Some("0"))
    );
    let requested = app.queue.drain(QueueName::Receipts);
    assert_eq!(requested.len(), 1, "the receipt is requested");
    // The receipt for the whole invoice carries exactly the invoice's amount and tax per rate.
    let (outcome, _) = seikyu_service::receipts::handle_message(
        &app.store,
        &app.archive,
        &app.queue,
        &app.clock,
        &requested[0],
    )
    .await
    .expect("receipt");
    let seikyu_service::receipts::ReceiptOutcome::Issued { receipt_id, .. } = outcome else {
        panic!("{outcome:?}")
    };
    let receipt = app.receipt(&account, &receipt_id).await.expect("receipt");
    let per_rate: Vec<_> = receipt
        .breakdown
        .iter()
        .map(|b| (b.category.clone(), b.rate, b.amount, b.tax))
        .collect();
    let invoice_per_rate: Vec<_> = inv
        .tax_breakdown
        .iter()
        .map(|(c, r, taxable, tax)| (c.clone(), *r, taxable + tax, *tax))
        .collect();
    assert_eq!(per_rate, invoice_per_rate);
    assert_eq!(
        (receipt.amount, receipt.credit),
        (inv.payable, Decimal::ZERO)
    );
    assert!(app.bus.events().is_empty());
    app.clock.set(app.clock.now() + Duration::seconds(120));
    let swept = app.sweep_outbox(100).await.expect("sweep");
    assert!(swept.delivered >= 1, "{swept:?}");
    let events: Vec<_> = app
        .bus
        .events()
        .into_iter()
        .filter(|e| e.detail.contains(&account.seller_id))
        .collect();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].detail_type, "invoice.paid");
    // Applied once: a second call is refused and the list no longer shows it.
    assert_eq!(
        call(&app, apply(k1.clone(), &inv.invoice_id)).await.status,
        409
    );
    let list = call(&app, request("GET", "/payments/unapplied", &key, None)).await;
    let v: Value = serde_json::from_slice(&list.body).expect("json");
    assert_eq!(v["items"].as_array().map(Vec::len), Some(1));
    // Later events of the payment follow it to the invoice it was applied to.
    app.apply_payment(
        &account,
        &ev(
            "u4",
            "zengin-1",
            EventKind::Refunded {
                total: Decimal::from(136),
            },
            "JPY",
        ),
    )
    .await
    .expect("refund");
    let now = app.get(&account, &inv.invoice_id).await.expect("invoice");
    assert_eq!(
        (now.status, now.paid_total),
        (InvoiceStatus::PartiallyPaid, Decimal::from(58_000))
    );
}
