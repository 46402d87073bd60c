//! Input a careless or hostile client sends, by class: each class is refused with a 4xx (or, for a queue
//! message, a failure SQS redelivers into the dead-letter queue), and nothing stored changes.

use seikyu_payments::Secret;
use seikyu_payments::signature::sign;
use seikyu_service::api::{HttpRequest, HttpResponse, handle};
use seikyu_service::memory::{MemoryMailer, MemorySecrets, MemoryStore};
use seikyu_service::ports::{Clock, TenantStore};
use seikyu_service::record::QueueName;
use seikyu_tests::contract::{
    ADMIN_KEY, TestApp, api_config, fixture, post_invoice, request, seller,
};
use serde_json::{Value, json};

type App = TestApp<MemoryStore>;

fn app() -> std::sync::Arc<App> {
    seikyu_tests::contract::app(MemoryStore::default())
}

async fn call(app: &App, req: HttpRequest) -> HttpResponse {
    handle(app, &api_config(), req).await
}

fn with_body(mut req: HttpRequest, body: &[u8]) -> HttpRequest {
    req.body = body.to_vec();
    req
}

/// The loose forms of a valid JSON object `valid`, each with the error codes that may answer it.
fn loose_forms(valid: &Value) -> Vec<(String, Vec<u8>, &'static [&'static str])> {
    let text = valid.to_string();
    let obj = valid.as_object().expect("an object");
    let (k, v) = obj.iter().next().expect("a field");
    let dup = format!("{{\"{k}\": {v}, {}", &text[1..]);
    let mut unknown = valid.clone();
    unknown["zz_unknown"] = json!(1);
    let first_array: Vec<Value> = obj.values().cloned().collect();
    vec![
        (
            "trailing garbage".into(),
            format!("{text} garbage").into_bytes(),
            &["invalid_json"],
        ),
        (
            "two documents".into(),
            format!("{text}{text}").into_bytes(),
            &["invalid_json"],
        ),
        (
            "trailing }x".into(),
            format!("{text}x").into_bytes(),
            &["invalid_json"],
        ),
        ("empty array".into(), b"[]".to_vec(), &["invalid_value"]),
        (
            "the fields as an array".into(),
            serde_json::to_vec(&first_array).expect("json"),
            &["invalid_value"],
        ),
        ("duplicate key".into(), dup.into_bytes(), &["duplicate"]),
        (
            "unknown field".into(),
            serde_json::to_vec(&unknown).expect("json"),
            &["unknown_field"],
        ),
        ("empty body".into(), Vec::new(), &["invalid_json"]),
        ("not JSON".into(), b"{x".to_vec(), &["invalid_json"]),
    ]
}

fn field_code(r: &HttpResponse) -> String {
    let v = r.json_body();
    v["error"]["fields"][0]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Every route that takes a JSON body refuses one document followed by anything, an array for an object,
/// an unknown field and a key given twice, with 400 and the field's code, and changes nothing.
#[tokio::test]
async fn loose_json_is_refused_on_every_route() {
    let app = app();
    let (account, key) = seller(&app, None).await;
    let inv = app
        .create_invoice(&account, fixture("jp-standard-10-lines"))
        .await
        .expect("invoice");
    let id = inv.invoice_id.clone();
    // Known state that a loose body must not change.
    let r = call(
        &app,
        request(
            "PUT",
            "/customers/CUST-0042",
            &key,
            Some(&json!({"credit_limit": "600000", "late_payments_12m": 1})),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json_body());
    let policy_before = call(&app, request("GET", "/dunning-policy", &key, None))
        .await
        .json_body();

    let admin = |path: &str| {
        let mut r = request("POST", path, ADMIN_KEY, None);
        r.path = path.into();
        r
    };
    let invoice_body = serde_json::to_value(fixture("jp-mixed-standard-reduced")).expect("json");
    let routes: Vec<(&str, HttpRequest, Value)> = vec![
        (
            "POST /admin/sellers",
            admin("/admin/sellers"),
            json!({"seller_id": "loose-1", "number_prefix": "LS",
                   "profile": serde_json::to_value(&account.profile).expect("json")}),
        ),
        (
            "POST /invoices",
            post_invoice(&key, "loose", &json!({})),
            invoice_body,
        ),
        (
            "PUT /customers/{id}",
            request("PUT", "/customers/CUST-0042", &key, None),
            json!({"credit_limit": "1", "late_payments_12m": 0}),
        ),
        (
            "PUT /dunning-policy",
            request("PUT", "/dunning-policy", &key, None),
            json!({"pre_due": -5, "gentle": 2}),
        ),
        (
            "POST /invoices/{id}/installments",
            request("POST", &format!("/invoices/{id}/installments"), &key, None),
            json!({"due_dates": ["2026-12-21", "2027-01-20"]}),
        ),
        (
            "POST /invoices/{id}/dispute",
            request("POST", &format!("/invoices/{id}/dispute"), &key, None),
            json!({"reason": "wrong quantity"}),
        ),
        (
            "POST /invoices/{id}/dispute/resolve",
            request(
                "POST",
                &format!("/invoices/{id}/dispute/resolve"),
                &key,
                None,
            ),
            json!({"note": "settled"}),
        ),
        (
            "POST /payments/apply",
            request("POST", "/payments/apply", &key, None),
            json!({"payment": "generic:none", "invoice_id": id}),
        ),
    ];
    for (route, base, valid) in &routes {
        for (form, body, codes) in loose_forms(valid) {
            // A new idempotency key per request: the refusal itself is remembered per key.
            let mut req = with_body(base.clone(), &body);
            for h in req
                .headers
                .iter_mut()
                .filter(|(k, _)| k == "idempotency-key")
            {
                h.1 = format!("loose-{route}-{form}").replace(' ', "_");
            }
            let r = call(&app, req).await;
            assert_eq!(
                r.status,
                400,
                "{route}, {form}: {}",
                String::from_utf8_lossy(&r.body)
            );
            assert!(
                codes.contains(&field_code(&r).as_str()),
                "{route}, {form}: {}",
                r.json_body()
            );
        }
    }

    // Nothing changed: the customer keeps its limit, the policy is the default, no plan, no dispute,
    // no seller, one invoice.
    let customer = app
        .store
        .get_customer(&account.seller_id, "CUST-0042")
        .await
        .expect("read")
        .expect("customer");
    assert_eq!(
        (customer.credit_limit, customer.late_payments_12m),
        (Some(600_000.into()), 1)
    );
    assert_eq!(
        call(&app, request("GET", "/dunning-policy", &key, None))
            .await
            .json_body(),
        policy_before
    );
    let now = app.get(&account, &id).await.expect("invoice");
    assert_eq!(now.status, inv.status);
    assert!(now.installments.is_none());
    assert!(now.dispute.is_none());
    assert!(
        app.store
            .get_seller("loose-1")
            .await
            .expect("read")
            .is_none()
    );
}

/// Webhook payloads: ours (the generic scheme) as strict as the API; the providers' own may carry fields
/// we do not know, but never a key twice, a second document or nesting without end. Signed correctly,
/// so the parser is what refuses them.
#[tokio::test]
async fn loose_json_is_refused_in_webhooks() {
    let app = app();
    let (account, _) = seller(&app, None).await;
    let secrets = MemorySecrets::default();
    secrets.set(&account.seller_id, "generic", &[b"gen-secret"]);
    secrets.set(&account.seller_id, "stripe", &[b"whsec_x"]);
    let now = app.clock.now().timestamp();
    let generic = |body: &[u8]| {
        let ts = now.to_string();
        let sig = sign(
            &Secret::new(b"gen-secret".to_vec()),
            &[ts.as_bytes(), b".", b"ev-1", b".", body],
        );
        vec![
            ("seikyu-timestamp".to_string(), ts),
            ("seikyu-event-id".to_string(), "ev-1".to_string()),
            ("seikyu-signature".to_string(), format!("v1={sig}")),
        ]
    };
    let stripe = |body: &[u8]| {
        let sig = sign(
            &Secret::new(b"whsec_x".to_vec()),
            &[now.to_string().as_bytes(), b".", body],
        );
        vec![("stripe-signature".to_string(), format!("t={now},v1={sig}"))]
    };
    let valid_generic = json!({"type": "payment.received", "payment_id": "p-1", "amount": "100",
                               "currency": "JPY", "reference": "nothing"});
    for (form, body, _) in loose_forms(&valid_generic) {
        let r = seikyu_service::webhook::handle_webhook(
            &*app,
            &secrets,
            "generic",
            Some(&account.seller_id),
            &generic(&body),
            &body,
        )
        .await;
        assert_eq!(r.status, 400, "generic, {form}: {}", r.json_body());
        assert_eq!(r.json_body()["error"]["code"], "invalid_event", "{form}");
    }
    let stripe_event = json!({"id": "evt_1", "object": "event", "type": "payment_intent.succeeded",
        "created": now, "data": {"object": {"id": "pi_1", "object": "payment_intent", "amount": 100,
        "amount_received": 100, "currency": "jpy", "status": "succeeded", "metadata": {}}}});
    let text = stripe_event.to_string();
    let deep = text.replacen(
        '{',
        &format!("{{\"x\": {}1{}, ", "[".repeat(40), "]".repeat(40)),
        1,
    );
    for (form, body) in [
        ("trailing garbage", format!("{text} x")),
        (
            "duplicate key",
            text.replacen("\"amount\":100", "\"amount\":1,\"amount\":100", 1),
        ),
        (
            "duplicate unknown key",
            text.replacen('{', "{\"zz\":1,\"zz\":2,", 1),
        ),
        ("nested 40 deep", deep),
    ] {
        let r = seikyu_service::webhook::handle_webhook(
            &*app,
            &secrets,
            "stripe",
            Some(&account.seller_id),
            &stripe(body.as_bytes()),
            body.as_bytes(),
        )
        .await;
        assert_eq!(r.status, 400, "stripe, {form}: {}", r.json_body());
    }
    // Unknown fields in a provider's event are its business.
    let mut extra = stripe_event.clone();
    extra["api_version"] = json!("2026-01-01");
    extra["data"]["object"]["new_field"] = json!({"x": 1});
    let body = extra.to_string();
    let r = seikyu_service::webhook::handle_webhook(
        &*app,
        &secrets,
        "stripe",
        Some(&account.seller_id),
        &stripe(body.as_bytes()),
        body.as_bytes(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json_body());
}

/// Queue messages: a loose body is a failure (SQS redelivers it, then the dead-letter queue takes it),
/// never a message acted on.
#[tokio::test]
async fn loose_json_is_refused_in_queue_messages() {
    let app = app();
    let (account, _) = seller(&app, None).await;
    let inv = app
        .create_invoice(&account, fixture("jp-standard-10-lines"))
        .await
        .expect("invoice");
    app.queue.drain(QueueName::Issued);
    let valid = json!({"event": "invoice.issued", "seller_id": account.seller_id,
                       "invoice_id": inv.invoice_id});
    let mailer = MemoryMailer::default();
    for (form, body, _) in loose_forms(&valid) {
        let msg = vec![("m".to_string(), String::from_utf8_lossy(&body).into_owned())];
        let failed = seikyu_service::mail::handle_batch(
            &app.store,
            &app.archive,
            &mailer,
            &app.clock,
            "billing@seikyu.test",
            &msg,
        )
        .await;
        assert_eq!(failed, ["m"], "mailer, {form}");
        let failed = seikyu_service::receipt::handle_batch(
            &app.store,
            &app.archive,
            &mailer,
            &app.clock,
            "billing@seikyu.test",
            &msg,
        )
        .await;
        assert_eq!(failed, ["m"], "receipts, {form}");
        let failed = app.remind_batch(&mailer, "billing@seikyu.test", &msg).await;
        assert_eq!(failed, ["m"], "reminders, {form}");
    }
    assert!(mailer.sent().is_empty(), "nothing was mailed");
}
