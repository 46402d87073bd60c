//! End to end against the local stack: LocalStack (resources from infra/template.yaml) and the functions
//! under `cargo lambda watch`. The test is the API client, and plays SQS's event source mapping for the
//! mailer (receive, invoke the function, delete what it did not report as failed), as AWS would.
//!
//! Start the stack with `scripts/local-stack.sh up`; without it these tests skip (except under CI).
//!
//! No date is fixed here: the invoices are issued on the functions' date ([`LocalStack::today`]: the
//! system clock, or the test clock `SEIKYU_TEST_DATE=YYYY-MM-DD scripts/local-stack.sh up` starts them
//! on), and every expected number, day and timestamp is derived from it. Each test has its own seller
//! and buyer, so no test's invoices count in another's screening or reminders.

use std::io::Read as _;
use std::path::PathBuf;

use base64::Engine as _;
use chrono::NaiveDate;
use seikyu_tests::dates::fixture_on;
use seikyu_tests::{LocalStack, fatal_findings, local_stack, validate_files, validator};
use serde_json::{Value, json};

struct Client {
    agent: ureq::Agent,
    base: String,
    invoke: String,
}

impl Client {
    fn new() -> Self {
        let port = std::env::var("SEIKYU_LAMBDA_PORT").unwrap_or_else(|_| "9001".into());
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(300)))
            .build();
        Client {
            agent: config.into(),
            base: format!("http://127.0.0.1:{port}/lambda-url/invoice-api"),
            invoke: format!("http://127.0.0.1:{port}/2015-03-31/functions"),
        }
    }

    /// An API call: (status, JSON body or raw text as a JSON string).
    fn call(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> (u16, Value, Vec<u8>) {
        let url = format!("{}{path}", self.base);
        let mut req = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(k) = key {
            req = req.header("authorization", format!("Bearer {k}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let bytes = body
            .map(|b| serde_json::to_vec(b).expect("json"))
            .unwrap_or_default();
        let req = req
            .header("content-type", "application/json")
            .body(bytes)
            .expect("request");
        let mut resp = self
            .agent
            .run(req)
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = resp.status().as_u16();
        let mut raw = Vec::new();
        resp.body_mut()
            .as_reader()
            .read_to_end(&mut raw)
            .expect("body");
        (
            status,
            serde_json::from_slice(&raw).unwrap_or(Value::Null),
            raw,
        )
    }

    /// Invoke a function through the local Lambda Invoke API.
    fn invoke(&self, function: &str, event: &Value) -> Value {
        let url = format!("{}/{function}/invocations", self.invoke);
        let mut resp = self
            .agent
            .post(&url)
            .send(serde_json::to_vec(event).expect("json"))
            .unwrap_or_else(|e| panic!("invoke {function}: {e}"));
        let mut raw = Vec::new();
        resp.body_mut()
            .as_reader()
            .read_to_end(&mut raw)
            .expect("body");
        assert!(
            resp.status().is_success(),
            "invoke {function}: {} {}",
            resp.status(),
            String::from_utf8_lossy(&raw)
        );
        serde_json::from_slice(&raw).unwrap_or(Value::Null)
    }
}

fn unique(prefix: &str) -> String {
    seikyu_tests::contract::unique(prefix)
}

/// A test's own seller (prefix E2E, fiscal year from April) with its API key, and its own buyer.
struct Tenant {
    seller: String,
    key: String,
    customer: String,
}

impl Tenant {
    fn new(c: &Client, stack: &LocalStack) -> Self {
        let seller = unique("e2e");
        let profile = fixture_on("jp-standard-10-lines", stack.today())["seller"].clone();
        let (status, body, _) = c.call(
            "POST",
            "/admin/sellers",
            Some(stack.get("ADMIN_KEY")),
            &[],
            Some(&json!({ "seller_id": seller, "number_prefix": "E2E", "profile": profile })),
        );
        assert_eq!(status, 201, "{body}");
        Tenant {
            seller,
            key: body["api_key"].as_str().expect("key").to_string(),
            customer: unique("cust"),
        }
    }

    /// The fixture `name` to this tenant's buyer, issued on the functions' date.
    fn invoice(&self, stack: &LocalStack, name: &str) -> Value {
        let mut v = fixture_on(name, stack.today());
        v["buyer"]["customer_id"] = json!(self.customer);
        v
    }
}

/// The number `n` of an E2E seller's `series` ("" invoices, "CN-" credit notes, "R-" receipts) for a
/// document issued on `day`.
fn number(series: &str, day: NaiveDate, n: u32) -> String {
    seikyu_tests::dates::document_number("E2E", series, day, n)
}

/// A date from a JSON answer.
fn date(v: &Value) -> NaiveDate {
    v.as_str()
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .unwrap_or_else(|| panic!("not a date: {v}"))
}

/// `day` is the functions' date at some point between `before` and now (a run may cross midnight).
fn assert_between(day: NaiveDate, before: NaiveDate, stack: &LocalStack) {
    let after = stack.today();
    assert!(
        (before..=after).contains(&day),
        "{day} is not the functions' date ({before}..={after})"
    );
}

/// Receive the invoice-issued queue's messages for `seller`, hand them to the mailer like the SQS event
/// source mapping, and delete those it did not report as failed. Returns how many were handled.
async fn pump_mailer(c: &Client, stack: &LocalStack, seller: &str) -> usize {
    pump(c, stack, "invoice-mailer", "ISSUED_QUEUE_URL", seller).await
}

/// The same for any SQS consumer: `function` reads the queue at `queue_env` in the stack's settings.
async fn pump(
    c: &Client,
    stack: &LocalStack,
    function: &str,
    queue_env: &str,
    seller: &str,
) -> usize {
    let sdk = stack.sdk().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let url = stack.get(queue_env);
    let mut handled = 0;
    for _ in 0..5 {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive");
        let (mine, others): (Vec<_>, Vec<_>) =
            out.messages.unwrap_or_default().into_iter().partition(|m| {
                m.body()
                    .is_some_and(|b| b.contains(&format!("\"seller_id\":\"{seller}\"")))
            });
        // Another test's messages go back at once (the queue would hide them for its visibility
        // timeout, longer than that test waits).
        for m in &others {
            let _ = sqs
                .change_message_visibility()
                .queue_url(url)
                .receipt_handle(m.receipt_handle().unwrap_or_default())
                .visibility_timeout(0)
                .send()
                .await;
        }
        if mine.is_empty() {
            if handled > 0 {
                break;
            }
            continue;
        }
        let result = c.invoke(function, &sqs_event(&mine));
        let failed: Vec<String> = result["batchItemFailures"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|f| f["itemIdentifier"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        assert!(failed.is_empty(), "{function} reported failures: {result}");
        for m in &mine {
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle().unwrap_or_default())
                .send()
                .await
                .expect("delete");
        }
        handled += mine.len();
    }
    handled
}

/// The event SQS's event source mapping hands a consumer for `messages`.
fn sqs_event(messages: &[aws_sdk_sqs::types::Message]) -> Value {
    let records: Vec<Value> = messages
        .iter()
        .map(|m| {
            json!({
                "messageId": m.message_id(), "receiptHandle": m.receipt_handle(), "body": m.body(),
                "attributes": {}, "messageAttributes": {}, "md5OfBody": m.md5_of_body(),
                "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:ap-northeast-1:000000000000:seikyu",
                "awsRegion": "ap-northeast-1"
            })
        })
        .collect();
    json!({ "Records": records })
}

/// The mails LocalStack recorded whose content mentions `needle`.
fn recorded_mails(c: &Client, stack: &LocalStack, needle: &str) -> Vec<Value> {
    let url = format!("{}/_aws/ses", stack.get("AWS_ENDPOINT_URL"));
    let mut resp = c.agent.get(&url).call().expect("ses endpoint");
    let mut raw = Vec::new();
    resp.body_mut()
        .as_reader()
        .read_to_end(&mut raw)
        .expect("body");
    let v: Value = serde_json::from_slice(&raw).expect("json");
    v["messages"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|m| m.to_string().contains(needle))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// The base64 body of the `application/xml` part of a MIME message.
fn xml_attachment(raw: &str) -> Vec<u8> {
    attachment(raw, "application/xml")
}

/// The base64 body of the part of type `content_type` of a MIME message.
fn attachment(raw: &str, content_type: &str) -> Vec<u8> {
    let start = raw
        .find(&format!("Content-Type: {content_type}"))
        .unwrap_or_else(|| panic!("no {content_type} part"));
    let part = &raw[start..];
    let body_start = part.find("\r\n\r\n").expect("part headers") + 4;
    let body = &part[body_start..];
    let end = body.find("\r\n--").unwrap_or(body.len());
    let b64: String = body[..end].split_whitespace().collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("base64")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoice_lifecycle_over_http_and_localstack() {
    let Some(stack) = local_stack() else { return };
    let c = Client::new();
    let t = Tenant::new(&c, &stack);
    let (seller, key) = (t.seller.clone(), t.key.clone());

    // Create, idempotently.
    let body = t.invoice(&stack, "jp-standard-10-lines");
    let issued_on = date(&body["issue_date"]);
    let idem = [("idempotency-key", "e2e-order-1")];
    let (status, created, _) = c.call("POST", "/invoices", Some(&key), &idem, Some(&body));
    assert_eq!(status, 201, "{created}");
    let (status2, replay, _) = c.call("POST", "/invoices", Some(&key), &idem, Some(&body));
    assert_eq!(
        (status2, &replay),
        (201, &created),
        "same key, same body: same response"
    );
    let id = created["id"].as_str().expect("id").to_string();
    assert_eq!(id, number("", issued_on, 1));
    assert_eq!(created["status"], "issued");

    // Stored in DynamoDB, archived in S3 with the recorded hash.
    let sdk = stack.sdk().await;
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let item = ddb
        .get_item()
        .table_name(stack.get("TABLE_NAME"))
        .key(
            "PK",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("SELLER#{seller}")),
        )
        .key(
            "SK",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("INV#{id}")),
        )
        .send()
        .await
        .expect("get_item")
        .item
        .expect("invoice item in DynamoDB");
    assert_eq!(
        item.get("status")
            .and_then(|v| v.as_s().ok())
            .map(String::as_str),
        Some("issued")
    );
    let (status, ubl, ubl_bytes) =
        c.call("GET", &format!("/invoices/{id}/ubl"), Some(&key), &[], None);
    assert_eq!(status, 200, "{ubl}");
    let sha = created["ubl"]["sha256"].as_str().expect("sha");
    assert_eq!(seikyu_service::sha256_hex(&ubl_bytes), sha);
    let s3 = seikyu_aws::s3_client(&sdk);
    let doc: Value =
        serde_json::from_str(item.get("doc").and_then(|v| v.as_s().ok()).expect("doc"))
            .expect("doc json");
    let object = s3
        .get_object()
        .bucket(stack.get("ARCHIVE_BUCKET"))
        .key(doc["ubl_key"].as_str().expect("key"))
        .send()
        .await
        .expect("s3 object");
    let stored = object.body.collect().await.expect("bytes").into_bytes();
    assert_eq!(
        seikyu_service::sha256_hex(&stored),
        sha,
        "S3 holds the document with the recorded hash"
    );

    // The queue message goes to the mailer; LocalStack records the email; the XML attachment validates.
    // At least once: the mail below is counted, not the messages.
    assert!(pump_mailer(&c, &stack, &seller).await >= 1);
    // Numbers repeat across runs (each run has a new seller); the Message-ID names both.
    let mail_id = format!("{id}.{seller}@");
    let mails = recorded_mails(&c, &stack, &mail_id);
    assert_eq!(mails.len(), 1, "one email for {id}");
    let raw = mails[0]["RawData"].as_str().expect("raw MIME recorded");
    let xml = xml_attachment(raw);
    assert_eq!(
        seikyu_service::sha256_hex(&xml),
        sha,
        "the attachment is the archived document"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let file: PathBuf = dir.path().join(format!("{id}.xml"));
    std::fs::write(&file, &xml).expect("write");
    if let Some(v) = validator() {
        let fatal = fatal_findings(&validate_files(&v, &[file]));
        assert!(fatal.is_empty(), "{}", fatal.join("\n"));
    }
    let (_, fetched, _) = c.call("GET", &format!("/invoices/{id}"), Some(&key), &[], None);
    assert_eq!(
        fetched["email"]["message_id"], mails[0]["Id"],
        "the SES message id is recorded"
    );
    // The mail carries the PDF too: the one archived (its hash on the invoice), served by the API,
    // with the UBL embedded.
    let pdf = attachment(raw, "application/pdf");
    assert!(pdf.starts_with(b"%PDF-"), "a PDF attachment");
    assert_eq!(
        fetched["pdf"]["sha256"],
        json!(seikyu_service::sha256_hex(&pdf)),
        "the attached PDF is the recorded one"
    );
    let (status, _, served) = c.call("GET", &format!("/invoices/{id}/pdf"), Some(&key), &[], None);
    assert_eq!(status, 200);
    assert!(
        served == pdf,
        "GET /invoices/{id}/pdf serves the mailed PDF"
    );

    // Redelivery of the same message sends nothing.
    let msg =
        json!({ "event": "invoice.issued", "seller_id": seller, "invoice_id": id }).to_string();
    let again = c.invoke("invoice-mailer", &json!({ "Records": [{ "messageId": "redelivered", "receiptHandle": "x", "body": msg, "attributes": {}, "messageAttributes": {}, "eventSource": "aws:sqs" }] }));
    assert_eq!(again["batchItemFailures"].as_array().map(Vec::len), Some(0));
    assert_eq!(
        recorded_mails(&c, &stack, &mail_id).len(),
        1,
        "no second email"
    );
    // A poison message can never succeed: the function moves it to the dead-letter queue at once and
    // acknowledges it (no five redeliveries first).
    let poison_body = format!("{{not json {seller}");
    let poison = c.invoke("invoice-mailer", &json!({ "Records": [{ "messageId": "poison-1", "receiptHandle": "x", "body": poison_body, "attributes": {}, "messageAttributes": {}, "eventSource": "aws:sqs" }] }));
    assert_eq!(
        poison["batchItemFailures"].as_array().map(Vec::len),
        Some(0),
        "{poison}"
    );
    let sqs = aws_sdk_sqs::Client::new(&stack.sdk().await);
    assert_eq!(
        take_message(&sqs, stack.get("ISSUED_DLQ_URL"), &seller).await,
        Some(poison_body),
        "the poison message is in the dead-letter queue"
    );

    // Searchable by date, amount and counterparty.
    let (status, found, _) = c.call(
        "GET",
        &format!(
            "/invoices?from={}&to={}&min_amount=50000&customer={}",
            issued_on - chrono::Duration::days(1),
            issued_on,
            t.customer
        ),
        Some(&key),
        &[],
        None,
    );
    assert_eq!(status, 200, "{found}");
    assert!(
        found["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["id"] == id.as_str())
    );

    // Tenant isolation and error shapes.
    let other_key = Tenant::new(&c, &stack).key;
    assert_eq!(
        c.call(
            "GET",
            &format!("/invoices/{id}"),
            Some(&other_key),
            &[],
            None
        )
        .0,
        404
    );
    assert_eq!(c.call("GET", "/invoices", None, &[], None).0, 401);
    let (status, err, _) = c.call(
        "POST",
        "/invoices",
        Some(&key),
        &[("idempotency-key", "bad-1")],
        Some(&json!({"issue_date": "2026-13-01"})),
    );
    assert_eq!(status, 400);
    assert_eq!(err["error"]["fields"][0]["path"], "issue_date");
    let (status, _, _) = c.call(
        "POST",
        "/invoices",
        Some(&key),
        &idem,
        Some(&json!({"other": "body"})),
    );
    assert_eq!(status, 409, "same key, other body");

    // Void issues a credit note, numbered in the fiscal year of its issue date (the functions' date, or
    // the invoice's when that is later).
    let before = stack.today();
    let (status, voided, _) = c.call(
        "POST",
        &format!("/invoices/{id}/void"),
        Some(&key),
        &[],
        None,
    );
    assert_eq!(status, 200, "{voided}");
    let credited_on = date(&voided["credit_note"]["issue_date"]);
    assert_between(credited_on, before.max(issued_on), &stack);
    assert_eq!(
        voided["credit_note"]["number"],
        number("CN-", credited_on, 1)
    );

    // The outbox sweeper runs on its schedule event.
    let swept = c.invoke(
        "outbox-sweeper",
        &json!({ "source": "aws.events", "detail-type": "Scheduled Event", "detail": {} }),
    );
    assert!(swept["delivered"].is_u64(), "{swept}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_requests_get_gapless_numbers() {
    let Some(stack) = local_stack() else { return };
    let c = std::sync::Arc::new(Client::new());
    let t = Tenant::new(&c, &stack);
    let key = t.key.clone();
    let body = t.invoice(&stack, "jp-three-lines-105-yen-floor");
    let issued_on = date(&body["issue_date"]);
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let (c, key, body) = (c.clone(), key.clone(), body.clone());
            std::thread::spawn(move || {
                let idem = format!("par-{i}");
                c.call(
                    "POST",
                    "/invoices",
                    Some(&key),
                    &[("idempotency-key", &idem)],
                    Some(&body),
                )
            })
        })
        .collect();
    let mut numbers: Vec<String> = handles
        .into_iter()
        .map(|h| {
            let (status, v, _) = h.join().expect("thread");
            assert_eq!(status, 201, "{v}");
            v["number"].as_str().expect("number").to_string()
        })
        .collect();
    numbers.sort();
    assert_eq!(
        numbers,
        (1..=8)
            .map(|i| number("", issued_on, i))
            .collect::<Vec<_>>()
    );
}

/// Stripe's own SDK signs (when installed; CI installs it), otherwise the same HMAC scheme computed here.
fn stripe_signature(payload: &str, secret: &str, t: i64) -> String {
    let sdk = seikyu_tests::repo_root().join(".local/stripe-sdk/node_modules/stripe");
    if sdk.is_dir() {
        let script = "const s=require(process.argv[1])('sk_test_seikyu');process.stdout.write(s.webhooks.generateTestHeaderString({payload:process.argv[2],secret:process.argv[3],timestamp:Number(process.argv[4])}))";
        let out = std::process::Command::new("node")
            .args(["-e", script])
            .arg(&sdk)
            .args([payload, secret, &t.to_string()])
            .output()
            .expect("node");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        return String::from_utf8(out.stdout).expect("header");
    }
    let sig = seikyu_payments::signature::sign(
        &seikyu_payments::Secret::new(secret.as_bytes().to_vec()),
        &[t.to_string().as_bytes(), b".", payload.as_bytes()],
    );
    format!("t={t},v1={sig}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_stripe_webhook_pays_an_invoice() {
    let Some(stack) = local_stack() else { return };
    let c = Client::new();
    let t = Tenant::new(&c, &stack);
    let (seller, key) = (t.seller.clone(), t.key.clone());
    let (status, created, _) = c.call(
        "POST",
        "/invoices",
        Some(&key),
        &[("idempotency-key", "wh-1")],
        Some(&t.invoice(&stack, "jp-standard-10-lines")),
    );
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_string();
    // The seller's signing secret, where the function looks for it.
    let sdk = stack.sdk().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let bus_queue = subscribe(&stack, &seller).await;
    aws_sdk_ssm::Client::new(&sdk)
        .put_parameter()
        .name(format!(
            "{}/{seller}/stripe",
            stack.get("WEBHOOK_SECRETS_PREFIX")
        ))
        .value("whsec_e2e_secret")
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .overwrite(true)
        .send()
        .await
        .expect("put parameter");
    // Signed now by the functions' clock (Stripe's tolerance is five minutes).
    let now = stack.now().timestamp();
    let event = json!({
        "id": format!("evt_{seller}"), "object": "event", "type": "payment_intent.succeeded", "created": now,
        "data": {"object": {"id": format!("pi_{seller}"), "object": "payment_intent", "amount": 58136, "amount_received": 58136,
            "currency": "jpy", "payment_method_types": ["card"], "status": "succeeded",
            "metadata": {"invoice_id": id, "seller_id": seller}}}
    })
    .to_string();
    let url = c.base.replace(
        "/lambda-url/invoice-api",
        &format!("/lambda-url/payment-webhook/webhooks/stripe?seller={seller}"),
    );
    let post = |body: &str, signature: &str| {
        let req = ureq::http::Request::builder()
            .method("POST")
            .uri(&url)
            .header("stripe-signature", signature)
            .header("content-type", "application/json")
            .body(body.as_bytes().to_vec())
            .expect("request");
        let mut resp = c.agent.run(req).expect("webhook");
        let mut raw = Vec::new();
        resp.body_mut()
            .as_reader()
            .read_to_end(&mut raw)
            .expect("body");
        (
            resp.status().as_u16(),
            serde_json::from_slice::<Value>(&raw).unwrap_or(Value::Null),
        )
    };
    let sig = stripe_signature(&event, "whsec_e2e_secret", now);
    let tampered = event.replace("58136", "58137");
    assert_eq!(post(&tampered, &sig).0, 401, "tampered body");
    let (_, before, _) = c.call("GET", &format!("/invoices/{id}"), Some(&key), &[], None);
    assert_eq!(
        before["status"], "issued",
        "nothing applied by the refused request"
    );
    let (status, applied) = post(&event, &sig);
    assert_eq!(status, 200, "{applied}");
    assert_eq!(applied["status"], "paid");
    let (status, dup) = post(&event, &sig);
    assert_eq!((status, dup["duplicate"].clone()), (200, Value::Bool(true)));
    let (_, after, _) = c.call("GET", &format!("/invoices/{id}"), Some(&key), &[], None);
    assert_eq!(
        (after["status"].clone(), after["paid_total"].clone()),
        (json!("paid"), json!("58136"))
    );

    // The seller's systems heard invoice.paid on the bus.
    let bus_event = take_message(&sqs, &bus_queue, &seller)
        .await
        .expect("invoice.paid reached the subscribed queue");
    let v: Value = serde_json::from_str(&bus_event).expect("json");
    assert_eq!(
        (
            &v["source"],
            &v["detail-type"],
            &v["detail"]["invoice_id"],
            &v["detail"]["status"]
        ),
        (
            &json!("seikyu"),
            &json!("invoice.paid"),
            &json!(id),
            &json!("paid")
        )
    );
    assert_eq!(
        v["detail"]["payment"]["id"],
        json!(format!("stripe:pi_{seller}"))
    );

    // The webhook put one receipt request on the receipt queue; receipt-issuer issues it and hands it
    // to invoice-mailer, which renders its PDF and mails it.
    let before_receipt = stack.today();
    assert_eq!(
        pump(&c, &stack, "receipt-issuer", "RECEIPT_QUEUE_URL", &seller).await,
        1,
        "one receipt.requested message (the duplicate delivery added none)"
    );
    // (with the invoice.issued message this test left on the queue)
    assert!(pump_mailer(&c, &stack, &seller).await >= 1);
    let mail_id = format!(".{seller}@seikyu.invalid");
    let receipts: Vec<Value> = recorded_mails(&c, &stack, &mail_id)
        .into_iter()
        .filter(|m| m.to_string().contains("-R-"))
        .collect();
    assert_eq!(receipts.len(), 1, "exactly one receipt email");
    let raw = receipts[0]["RawData"].as_str().expect("raw MIME recorded");
    let start = raw.find("Message-ID: <").expect("message id") + "Message-ID: <".len();
    let receipt_id = raw[start..]
        .split(&format!(".{seller}@"))
        .next()
        .expect("receipt id")
        .to_string();
    assert!(receipt_id.starts_with("E2E-R-"), "{receipt_id}");
    let (status, receipt, _) = c.call(
        "GET",
        &format!("/receipts/{receipt_id}"),
        Some(&key),
        &[],
        None,
    );
    assert_eq!(status, 200, "{receipt}");
    let receipted_on = date(&receipt["issue_date"]);
    assert_between(receipted_on, before_receipt, &stack);
    assert_eq!(receipt_id, number("R-", receipted_on, 1));
    assert_eq!(
        (
            &receipt["status"],
            &receipt["amount"],
            &receipt["invoice_id"]
        ),
        (&json!("issued"), &json!("58136"), &json!(id))
    );
    assert_eq!(receipt["email"]["to"], json!(["ap@midori.example.jp"]));
    let (status, _, html) = c.call(
        "GET",
        &format!("/receipts/{receipt_id}/document"),
        Some(&key),
        &[],
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(
        receipt["document"]["sha256"],
        json!(seikyu_service::sha256_hex(&html))
    );
    let html = String::from_utf8(html).expect("utf8");
    assert!(html.contains("領収書") && html.contains(&receipt_id));
    let pdf = attachment(raw, "application/pdf");
    let (status, _, served) = c.call(
        "GET",
        &format!("/receipts/{receipt_id}/pdf"),
        Some(&key),
        &[],
        None,
    );
    assert_eq!(status, 200);
    assert!(served == pdf, "the receipt PDF served is the one mailed");
    assert_eq!(
        receipt["pdf"]["sha256"],
        json!(seikyu_service::sha256_hex(&pdf))
    );

    // A redelivered receipt request sends no second email.
    let sqs_receipts = stack.get("RECEIPT_QUEUE_URL");
    sqs.send_message()
        .queue_url(sqs_receipts)
        .message_body(
            json!({"event": "receipt.requested", "seller_id": seller, "invoice_id": id,
                   "payment": format!("stripe:pi_{seller}")})
            .to_string(),
        )
        .send()
        .await
        .expect("redeliver");
    assert_eq!(
        pump(&c, &stack, "receipt-issuer", "RECEIPT_QUEUE_URL", &seller).await,
        1
    );
    pump_mailer(&c, &stack, &seller).await;
    assert_eq!(
        recorded_mails(&c, &stack, &mail_id)
            .into_iter()
            .filter(|m| m.to_string().contains("-R-"))
            .count(),
        1,
        "still one receipt email"
    );
    let _ = sqs.delete_queue().queue_url(&bus_queue).send().await;
}

/// Take the message whose body contains `needle` off `url`.
async fn take_message(sqs: &aws_sdk_sqs::Client, url: &str, needle: &str) -> Option<String> {
    for _ in 0..10 {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive");
        for m in out.messages.unwrap_or_default() {
            if let Some(body) = m.body().filter(|b| b.contains(needle)) {
                let _ = sqs
                    .delete_message()
                    .queue_url(url)
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .send()
                    .await;
                return Some(body.to_string());
            }
        }
    }
    None
}

/// A queue subscribed to the seller's events on the stack's bus, as a seller's downstream system would.
async fn subscribe(stack: &LocalStack, seller: &str) -> String {
    let sdk = stack.sdk().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    let url = sqs
        .create_queue()
        .queue_name(format!("{seller}-events"))
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
    let bus = stack.get("EVENT_BUS_NAME");
    events
        .put_rule()
        .event_bus_name(bus)
        .name(seller)
        .event_pattern(json!({"source": ["seikyu"], "detail": {"seller_id": [seller]}}).to_string())
        .send()
        .await
        .expect("rule");
    events
        .put_targets()
        .event_bus_name(bus)
        .rule(seller)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("downstream")
                .arn(arn)
                .build()
                .expect("target"),
        )
        .send()
        .await
        .expect("target");
    url
}

/// `cargo lambda invoke FUNCTION --data-ascii EVENT` against the functions under `cargo lambda watch`:
/// the function's JSON answer.
fn cargo_lambda_invoke(function: &str, event: &Value) -> Value {
    let port = std::env::var("SEIKYU_LAMBDA_PORT").unwrap_or_else(|_| "9001".into());
    let local = seikyu_tests::repo_root().join(".local/tools-venv/bin/cargo-lambda");
    let bin = if local.exists() {
        local
    } else {
        PathBuf::from("cargo-lambda")
    };
    let out = std::process::Command::new(&bin)
        .args([
            "lambda",
            "invoke",
            function,
            "--invoke-address",
            "127.0.0.1",
        ])
        .args([
            "--invoke-port",
            &port,
            "--output-format",
            "json",
            "--data-ascii",
        ])
        .arg(event.to_string())
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
    assert!(
        out.status.success(),
        "cargo lambda invoke {function}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "cargo lambda invoke {function}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// The event an EventBridge schedule sends when it fires at `time`.
fn scheduled_event(time: &str) -> Value {
    json!({
        "version": "0", "id": unique("sched"), "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "000000000000", "time": time, "region": "ap-northeast-1",
        "resources": ["arn:aws:events:ap-northeast-1:000000000000:rule/seikyu-local-DunningDaily"],
        "detail": {}
    })
}

/// Empty the reminder queue, returning `seller`'s messages (the others are leftovers of other tests:
/// their invoices are due on the simulated days too).
async fn drain_reminders(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    seller: &str,
) -> Vec<aws_sdk_sqs::types::Message> {
    let mut mine = Vec::new();
    let mut empty = 0;
    while empty < 2 {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .visibility_timeout(120)
            .send()
            .await
            .expect("receive");
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            empty += 1;
            continue;
        }
        for m in messages {
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle().unwrap_or_default())
                .send()
                .await
                .expect("delete");
            if m.body()
                .is_some_and(|b| b.contains(&format!("\"seller_id\":\"{seller}\"")))
            {
                mine.push(m);
            }
        }
    }
    mine
}

/// A due invoice walks through every stage: dunning-scheduler is invoked with EventBridge's
/// scheduled-event JSON through `cargo lambda invoke` for each day (09:00 JST), its messages go to
/// reminder-sender as SQS would hand them, and LocalStack records exactly one email per stage: four to
/// the buyer, then the escalation to the seller. Days with nothing due, and a schedule firing twice,
/// send nothing more. The invoice is issued on the functions' date and the days walked are the default
/// policy's days for its due date (weekends and holidays skipped), all after the functions' date, so the
/// reminder-sender acts on the day of each message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_invoice_walks_every_dunning_stage() {
    use seikyu_domain::dunning::{Policy, Stage};
    use std::collections::BTreeMap;

    let Some(stack) = local_stack() else { return };
    let c = Client::new();
    let t = Tenant::new(&c, &stack);
    let (seller, key) = (t.seller.clone(), t.key.clone());
    let (status, created, _) = c.call(
        "POST",
        "/invoices",
        Some(&key),
        &[("idempotency-key", "dunning-1")],
        Some(&t.invoice(&stack, "jp-standard-10-lines")),
    );
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_string();
    let due = date(&created["due_date"]);
    assert!(due > stack.today() + chrono::Duration::days(7), "{due}");

    // The stages by day: escalation comes a full week after the final notice; were two stages to fall
    // on one day, only the more advanced one is sent.
    let policy = Policy::default();
    let schedule = policy.schedule(due);
    let final_day = schedule
        .iter()
        .find(|(s, _)| *s == Stage::Final)
        .map(|(_, d)| *d);
    let mut by_day: BTreeMap<NaiveDate, Stage> = BTreeMap::new();
    for (stage, day) in schedule {
        let day = match stage {
            Stage::Escalated => policy.escalation_day(due, final_day).expect("escalation"),
            _ => day,
        };
        let e = by_day.entry(day).or_insert(stage);
        *e = (*e).max(stage);
    }
    let first = *by_day.keys().next().expect("a stage");
    let last = *by_day.keys().next_back().expect("a stage");
    assert_eq!(created["reminders"]["next_action"], json!(first));
    let gentle_day = by_day
        .iter()
        .find(|(_, s)| **s == Stage::Gentle)
        .map(|(d, _)| *d);
    let mut walk: BTreeMap<NaiveDate, Option<Stage>> =
        by_day.iter().map(|(d, s)| (*d, Some(*s))).collect();
    for quiet in [
        first.pred_opt().expect("date"),
        first.succ_opt().expect("date"),
        last + chrono::Duration::days(7),
    ] {
        walk.entry(quiet).or_insert(None);
    }

    let sqs = aws_sdk_sqs::Client::new(&stack.sdk().await);
    let url = stack.get("REMINDER_QUEUE_URL");
    drain_reminders(&sqs, url, &seller).await;
    for (day, stage) in &walk {
        let time = format!("{day}T00:00:00Z");
        let run = cargo_lambda_invoke("dunning-scheduler", &scheduled_event(&time));
        assert_eq!(run["as_of"], json!(day), "{run}");
        let twice = Some(*day) == gentle_day;
        if twice {
            // The schedule fires a second time (EventBridge delivers at least once).
            cargo_lambda_invoke("dunning-scheduler", &scheduled_event(&time));
        }
        let items_read = run["items_read"].as_u64().expect("items_read");
        assert!(items_read >= run["queued"].as_u64().unwrap_or(0), "{run}");
        let mine = drain_reminders(&sqs, url, &seller).await;
        let expected = match (stage, twice) {
            (None, _) => 0,
            (Some(_), false) => 1,
            (Some(_), true) => 2,
        };
        assert_eq!(mine.len(), expected, "{day}: {run}");
        if !mine.is_empty() {
            let result = c.invoke("reminder-sender", &sqs_event(&mine));
            assert_eq!(
                result["batchItemFailures"].as_array().map_or(0, Vec::len),
                0,
                "{result}"
            );
        }
        if let Some(stage) = stage {
            let stage = stage.as_str();
            let needle = format!("reminder.{id}.0.{stage}.{seller}@");
            let mails = recorded_mails(&c, &stack, &needle);
            assert_eq!(mails.len(), 1, "{day}: one {stage} mail: {mails:?}");
        }
    }
    let all = recorded_mails(&c, &stack, &format!(".{seller}@seikyu.invalid"));
    let reminders: Vec<&Value> = all
        .iter()
        .filter(|m| m.to_string().contains(&format!("reminder.{id}.")))
        .collect();
    assert_eq!(reminders.len(), by_day.len(), "one email per stage");
    let escalation = reminders
        .iter()
        .find(|m| m.to_string().contains(".escalated."))
        .expect("escalation mail");
    assert!(
        escalation.to_string().contains("billing@aozora.example.jp"),
        "the seller is told: {escalation}"
    );

    let (status, inv, _) = c.call("GET", &format!("/invoices/{id}"), Some(&key), &[], None);
    assert_eq!(status, 200);
    assert_eq!(inv["status"], "escalated", "{inv}");
    let history = inv["reminders"]["sent"].as_array().expect("history");
    let stages: Vec<&str> = history
        .iter()
        .map(|h| h["stage"].as_str().unwrap_or_default())
        .collect();
    let sent: Vec<&str> = by_day.values().map(|s| s.as_str()).collect();
    assert_eq!(stages, sent);
    assert_eq!(sent.last(), Some(&"escalated"));
    let days: Vec<Value> = history.iter().map(|h| h["as_of"].clone()).collect();
    let walked: Vec<Value> = by_day.keys().map(|d| json!(d)).collect();
    assert_eq!(days, walked, "each stage on its day");
    let recorded_ids: Vec<String> = reminders
        .iter()
        .filter_map(|m| m["Id"].as_str().map(str::to_string))
        .collect();
    for h in history {
        let mid = h["message_id"].as_str().expect("message id");
        assert!(
            recorded_ids.iter().any(|r| r == mid),
            "{mid} is one of LocalStack's recorded messages {recorded_ids:?}"
        );
    }
    assert_eq!(inv["reminders"]["next_action"], Value::Null);
}

/// 入金消込 end to end: a Zengin 01 file put into the archive bucket under `statements/{seller}/` reaches
/// the importer through S3's notification to its queue; the deposit (under the buyer's kana name) settles
/// an invoice created over HTTP, and one receipt mail appears in LocalStack's recorded mail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zengin_statement_in_the_bucket_settles_an_invoice() {
    use seikyu_banking::zengin::write::{AccountHead, Deposit, notice};
    use seikyu_service::ports::DocumentArchive;
    let Some(stack) = local_stack() else { return };
    let c = Client::new();
    let t = Tenant::new(&c, &stack);
    let (seller, key) = (t.seller.clone(), t.key.clone());
    let (status, settings, _) = c.call(
        "PUT",
        "/bank/settings",
        Some(&key),
        &[],
        Some(&json!({ "accounts": ["0001-100-1-1234567"] })),
    );
    assert_eq!(status, 200, "{settings}");
    let (status, cust, _) = c.call(
        "PUT",
        &format!("/customers/{}", t.customer),
        Some(&key),
        &[],
        Some(&json!({ "kana_names": ["ｶ)ｾｲｷﾕｳﾃｽﾄ"] })),
    );
    assert_eq!(status, 200, "{cust}");
    let (status, created, _) = c.call(
        "POST",
        "/invoices",
        Some(&key),
        &[("idempotency-key", "bank-1")],
        Some(&t.invoice(&stack, "jp-standard-10-lines")),
    );
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_string();
    let payable: u64 = created["totals"]["payable"]
        .as_str()
        .expect("payable")
        .parse()
        .expect("yen");
    pump_mailer(&c, &stack, &seller).await;

    let day = stack.today();
    let file = notice(
        &AccountHead {
            bank: "0001".into(),
            branch: "100".into(),
            kind: 1,
            number: "1234567".into(),
            name: "ｾｲｷﾕｳ".into(),
        },
        day,
        &[Deposit {
            reference_no: 1,
            date: day,
            amount: payable,
            payer: "ｾｲｷﾕｳﾃｽﾄ(ｶ".into(),
            remitter_code: None,
            edi: None,
            cancelled: false,
        }],
    );
    let sdk = stack.sdk().await;
    let archive =
        seikyu_aws::S3Archive::new(seikyu_aws::s3_client(&sdk), stack.get("ARCHIVE_BUCKET"));
    archive
        .put(
            &format!("statements/{seller}/zengin-{day}.txt"),
            "text/plain",
            &file,
        )
        .await
        .expect("statement dropped into the bucket");
    // S3 notified the statement queue; play its event source mapping.
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let url = stack.get("STATEMENT_QUEUE_URL");
    let mut notification = None;
    for _ in 0..20 {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive");
        for m in out.messages.unwrap_or_default() {
            if m.body()
                .is_some_and(|b| b.contains(&format!("statements/{seller}/")))
            {
                notification = Some(m);
            }
        }
        if notification.is_some() {
            break;
        }
    }
    let m = notification.expect("S3 notified the statement queue");
    let result = c.invoke(
        "bank-statement-importer",
        &sqs_event(std::slice::from_ref(&m)),
    );
    assert_eq!(result["batchItemFailures"], json!([]), "{result}");
    sqs.delete_message()
        .queue_url(url)
        .receipt_handle(m.receipt_handle().unwrap_or_default())
        .send()
        .await
        .expect("delete");
    let (_, inv, _) = c.call("GET", &format!("/invoices/{id}"), Some(&key), &[], None);
    assert_eq!(inv["status"], "paid", "{inv}");
    let (_, imports, _) = c.call("GET", "/bank-statements", Some(&key), &[], None);
    assert_eq!(imports["items"][0]["applied"], 1, "{imports}");
    // One receipt, mailed once (with its PDF, by invoice-mailer). The receipt request may arrive more
    // than once (SQS is at least once; a sweep can race the send after the commit): the receipt
    // and its mail stay one.
    assert!(pump(&c, &stack, "receipt-issuer", "RECEIPT_QUEUE_URL", &seller).await >= 1);
    pump_mailer(&c, &stack, &seller).await;
    // Numbers repeat across sellers (each run has its own): the Message-ID names both.
    let receipt_mail = format!("{}.{seller}@", number("R-", day, 1));
    let mails = recorded_mails(&c, &stack, &receipt_mail);
    assert_eq!(mails.len(), 1);
    let raw = mails[0]["RawData"].as_str().expect("raw MIME recorded");
    assert!(
        attachment(raw, "application/pdf").starts_with(b"%PDF-"),
        "the receipt PDF is attached"
    );
}
