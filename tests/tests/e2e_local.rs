//! End to end against the local stack: LocalStack (resources from infra/template.yaml) and the functions
//! under `cargo lambda watch`. The test is the API client, and plays SQS's event source mapping for the
//! mailer (receive, invoke the function, delete what it did not report as failed), as AWS would.
//!
//! Start the stack with `scripts/local-stack.sh up`; without it these tests skip (except under CI).

use std::io::Read as _;
use std::path::PathBuf;

use base64::Engine as _;
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

fn fixture_json(name: &str) -> Value {
    serde_json::from_slice(
        &std::fs::read(seikyu_tests::fixtures_dir("valid").join(format!("{name}.json")))
            .expect("fixture"),
    )
    .expect("json")
}

fn new_seller(c: &Client, stack: &LocalStack) -> (String, String) {
    let id = unique("e2e");
    let profile = fixture_json("jp-standard-10-lines")["seller"].clone();
    let (status, body, _) = c.call(
        "POST",
        "/admin/sellers",
        Some(stack.get("ADMIN_KEY")),
        &[],
        Some(&json!({ "seller_id": id, "number_prefix": "E2E", "profile": profile })),
    );
    assert_eq!(status, 201, "{body}");
    (id, body["api_key"].as_str().expect("key").to_string())
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
        let mine: Vec<_> = out
            .messages
            .unwrap_or_default()
            .into_iter()
            .filter(|m| {
                m.body()
                    .is_some_and(|b| b.contains(&format!("\"seller_id\":\"{seller}\"")))
            })
            .collect();
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
    let start = raw.find("Content-Type: application/xml").expect("xml part");
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
    let (seller, key) = new_seller(&c, &stack);

    // Create, idempotently.
    let body = fixture_json("jp-standard-10-lines");
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
    assert_eq!(id, "E2E-2026-000001");
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
    assert_eq!(
        pump_mailer(&c, &stack, &seller).await,
        1,
        "one invoice.issued message"
    );
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
    // A poison message is reported as failed (so SQS redrives it to the DLQ).
    let poison = c.invoke("invoice-mailer", &json!({ "Records": [{ "messageId": "poison-1", "receiptHandle": "x", "body": "{not json", "attributes": {}, "messageAttributes": {}, "eventSource": "aws:sqs" }] }));
    assert_eq!(poison["batchItemFailures"][0]["itemIdentifier"], "poison-1");

    // Searchable by date, amount and counterparty.
    let (status, found, _) = c.call(
        "GET",
        "/invoices?from=2026-11-01&to=2026-11-30&min_amount=50000&customer=CUST-0042",
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
    let (_, other_key) = new_seller(&c, &stack);
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

    // Void issues a credit note; dispute is recorded.
    let (status, voided, _) = c.call(
        "POST",
        &format!("/invoices/{id}/void"),
        Some(&key),
        &[],
        None,
    );
    assert_eq!(status, 200, "{voided}");
    assert_eq!(voided["credit_note"]["number"], "E2E-CN-2026-000001");

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
    let (_, key) = new_seller(&c, &stack);
    let body = fixture_json("jp-three-lines-105-yen-floor");
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
            .map(|i| format!("E2E-2026-{i:06}"))
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
    let (seller, key) = new_seller(&c, &stack);
    let (status, created, _) = c.call(
        "POST",
        "/invoices",
        Some(&key),
        &[("idempotency-key", "wh-1")],
        Some(&fixture_json("jp-standard-10-lines")),
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
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs() as i64;
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

    // The webhook put one receipt request on the receipt queue; receipt-issuer issues and mails it.
    assert_eq!(
        pump(&c, &stack, "receipt-issuer", "RECEIPT_QUEUE_URL", &seller).await,
        1,
        "one receipt.requested message (the duplicate delivery added none)"
    );
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
/// send nothing more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_invoice_walks_every_dunning_stage() {
    let Some(stack) = local_stack() else { return };
    let c = Client::new();
    let (seller, key) = new_seller(&c, &stack);
    let (status, created, _) = c.call(
        "POST",
        "/invoices",
        Some(&key),
        &[("idempotency-key", "dunning-1")],
        Some(&fixture_json("jp-standard-10-lines")),
    );
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_string();
    assert_eq!(created["due_date"], "2026-11-30");
    assert_eq!(created["reminders"]["next_action"], "2026-11-27");
    let sqs = aws_sdk_sqs::Client::new(&stack.sdk().await);
    let url = stack.get("REMINDER_QUEUE_URL");
    drain_reminders(&sqs, url, &seller).await;

    let days = [
        ("2026-11-26T00:00:00Z", "2026-11-26", None),
        ("2026-11-27T00:00:00Z", "2026-11-27", Some("pre_due")),
        ("2026-11-28T00:00:00Z", "2026-11-28", None),
        ("2026-12-01T00:00:00Z", "2026-12-01", Some("gentle")),
        ("2026-12-07T00:00:00Z", "2026-12-07", Some("firm")),
        ("2026-12-14T00:00:00Z", "2026-12-14", Some("final")),
        ("2026-12-21T00:00:00Z", "2026-12-21", Some("escalated")),
        ("2026-12-28T00:00:00Z", "2026-12-28", None),
    ];
    for (time, day, stage) in days {
        let run = cargo_lambda_invoke("dunning-scheduler", &scheduled_event(time));
        assert_eq!(run["as_of"], day, "{run}");
        let twice = day == "2026-12-01";
        if twice {
            // The schedule fires a second time (EventBridge delivers at least once).
            cargo_lambda_invoke("dunning-scheduler", &scheduled_event(time));
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
            let needle = format!("reminder.{id}.0.{stage}.{seller}@");
            let mails = recorded_mails(&c, &stack, &needle);
            assert_eq!(mails.len(), 1, "one {stage} mail: {mails:?}");
        }
    }
    let all = recorded_mails(&c, &stack, &format!(".{seller}@seikyu.invalid"));
    let reminders: Vec<&Value> = all
        .iter()
        .filter(|m| m.to_string().contains(&format!("reminder.{id}.")))
        .collect();
    assert_eq!(reminders.len(), 5, "one email per stage");
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
    assert_eq!(stages, ["pre_due", "gentle", "firm", "final", "escalated"]);
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
