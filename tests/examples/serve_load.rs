//! Load on `seikyu serve` over HTTP: invoices created at a fixed concurrency across several sellers, a
//! quarter of them paid in full by a signed webhook (so receipts and receipt mails flow beside the
//! invoice mails), then the queues watched until every mail is out. Part of `scripts/bench-serve.sh`,
//! which starts the server; a measurement, not a test.
//!
//!   cargo run --release -p seikyu-tests --example serve_load -- URL ADMIN_KEY DATA_DIR INVOICES CONCURRENCY [--no-mail-wait]
//!
//! `--no-mail-wait`: the server runs without its jobs; report the load alone.
//!
//! Prints one JSON object: throughput, p50/p99/max latency of the creates and of the webhooks, errors
//! by status, and how long mail took to catch up.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use seikyu_payments::Secret;
use seikyu_payments::signature::sign;
use serde_json::{Value, json};

const SELLERS: usize = 4;
const PAY_EVERY: usize = 4;
/// Buyers per seller.
const BUYERS: usize = 500;
const SECRET: &str = "whsec_load";

struct Outcome {
    create_ms: Vec<f64>,
    webhook_ms: Vec<f64>,
    errors: Vec<(u16, String)>,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn post(
    agent: &ureq::Agent,
    url: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Result<(u16, Value, f64), String> {
    let mut req = ureq::http::Request::builder().method("POST").uri(url);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let req = req.body(body.to_vec()).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut resp = agent.run(req).map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut resp.body_mut().as_reader(), &mut raw)
        .map_err(|e| e.to_string())?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let status = resp.status().as_u16();
    Ok((
        status,
        serde_json::from_slice(&raw).unwrap_or(Value::Null),
        ms,
    ))
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (args, wait_for_mail) = match args.split_last() {
        Some((last, rest)) if last == "--no-mail-wait" => (rest, false),
        _ => (&args[..], true),
    };
    let [url, admin, data, invoices, concurrency] = args else {
        return Err(
            "usage: serve_load URL ADMIN_KEY DATA_DIR INVOICES CONCURRENCY [--no-mail-wait]".into(),
        );
    };
    let invoices: usize = invoices.parse().map_err(|e| format!("INVOICES: {e}"))?;
    let concurrency: usize = concurrency
        .parse()
        .map_err(|e| format!("CONCURRENCY: {e}"))?;
    let a = agent();
    let today = seikyu_domain::dates::tokyo_date(chrono::Utc::now());
    let mut body = seikyu_tests::dates::fixture_on("jp-standard-10-lines", today);
    body.as_object_mut().map(|o| o.remove("number"));

    // The sellers, each with its API key and webhook secret.
    let run = seikyu_tests::contract::unique("load");
    let profile = seikyu_tests::dates::fixture_on("jp-standard-10-lines", today)["seller"].clone();
    let mut sellers = Vec::new();
    for i in 0..SELLERS {
        let id = format!("{run}-{i}");
        let (status, v, _) = post(
            &a,
            &format!("{url}/admin/sellers"),
            &[("authorization", format!("Bearer {admin}"))],
            &serde_json::to_vec(
                &json!({"seller_id": id, "number_prefix": "LD", "profile": profile}),
            )
            .map_err(|e| e.to_string())?,
        )?;
        if status != 201 {
            return Err(format!("seller {id}: {status} {v}"));
        }
        let dir = std::path::Path::new(data).join("secrets").join(&id);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        std::fs::write(dir.join("generic"), SECRET).map_err(|e| e.to_string())?;
        sellers.push((id, v["api_key"].as_str().unwrap_or_default().to_string()));
    }
    let sellers = Arc::new(sellers);
    let body = Arc::new(body);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (sellers, body, next, url, run) = (
                sellers.clone(),
                body.clone(),
                next.clone(),
                url.clone(),
                run.clone(),
            );
            std::thread::spawn(move || {
                let a = agent();
                let secret = Secret::new(SECRET.as_bytes().to_vec());
                let mut out = Outcome {
                    create_ms: Vec::new(),
                    webhook_ms: Vec::new(),
                    errors: Vec::new(),
                };
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= invoices {
                        return out;
                    }
                    let (seller, key) = &sellers[n % SELLERS];
                    // A seller's invoices spread over its buyers, as an agency's are.
                    let mut body = (*body).clone();
                    body["buyer"]["customer_id"] =
                        json!(format!("CUST-{:04}", n / SELLERS % BUYERS));
                    let body = serde_json::to_vec(&body).unwrap_or_default();
                    let created = post(
                        &a,
                        &format!("{url}/invoices"),
                        &[
                            ("authorization", format!("Bearer {key}")),
                            ("idempotency-key", format!("{run}-{n}")),
                        ],
                        &body,
                    );
                    let invoice = match created {
                        Ok((201, v, ms)) => {
                            out.create_ms.push(ms);
                            v
                        }
                        Ok((s, v, _)) => {
                            out.errors.push((s, v.to_string()));
                            continue;
                        }
                        Err(e) => {
                            out.errors.push((0, e));
                            continue;
                        }
                    };
                    if n % PAY_EVERY != 0 {
                        continue;
                    }
                    let event = json!({
                        "type": "payment.received",
                        "payment_id": format!("pay-{n}"),
                        "amount": invoice["totals"]["payable"],
                        "currency": "JPY",
                        "invoice_id": invoice["id"],
                    });
                    let event = serde_json::to_vec(&event).unwrap_or_default();
                    let ts = chrono::Utc::now().timestamp().to_string();
                    let id = format!("ev-{n}");
                    let sig = sign(&secret, &[ts.as_bytes(), b".", id.as_bytes(), b".", &event]);
                    match post(
                        &a,
                        &format!("{url}/webhooks/generic?seller={seller}"),
                        &[
                            ("seikyu-timestamp", ts),
                            ("seikyu-event-id", id),
                            ("seikyu-signature", format!("v1={sig}")),
                        ],
                        &event,
                    ) {
                        Ok((200, _, ms)) => out.webhook_ms.push(ms),
                        Ok((s, v, _)) => out.errors.push((s, v.to_string())),
                        Err(e) => out.errors.push((0, e)),
                    }
                }
            })
        })
        .collect();
    let mut create_ms = Vec::new();
    let mut webhook_ms = Vec::new();
    let mut errors = Vec::new();
    for w in workers {
        let o = w.join().map_err(|_| "a worker panicked".to_string())?;
        create_ms.extend(o.create_ms);
        webhook_ms.extend(o.webhook_ms);
        errors.extend(o.errors);
    }
    let load_s = started.elapsed().as_secs_f64();
    create_ms.sort_by(f64::total_cmp);
    webhook_ms.sort_by(f64::total_cmp);

    // Mail catches up: one .eml per invoice and per receipt.
    let expected = create_ms.len() + webhook_ms.len();
    let mail_dir = std::path::Path::new(data).join("mail");
    let count = || {
        std::fs::read_dir(&mail_dir)
            .map(|d| {
                d.filter(|e| {
                    e.as_ref()
                        .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".eml"))
                })
                .count()
            })
            .unwrap_or(0)
    };
    let at_end_of_load = count();
    let mut mails = at_end_of_load;
    let deadline = Instant::now() + Duration::from_secs(1800);
    while wait_for_mail && mails < expected && Instant::now() < deadline {
        std::thread::sleep(Duration::from_secs(1));
        mails = count();
    }
    let drained_s = started.elapsed().as_secs_f64();
    let summary = json!({
        "invoices_created": create_ms.len(),
        "webhooks_applied": webhook_ms.len(),
        "concurrency": concurrency,
        "sellers": SELLERS,
        "load_seconds": (load_s * 10.0).round() / 10.0,
        "invoices_per_second": (create_ms.len() as f64 / load_s).round(),
        "requests_per_second": ((create_ms.len() + webhook_ms.len()) as f64 / load_s).round(),
        "create_ms": {"p50": percentile(&create_ms, 0.5), "p99": percentile(&create_ms, 0.99), "max": percentile(&create_ms, 1.0)},
        "webhook_ms": {"p50": percentile(&webhook_ms, 0.5), "p99": percentile(&webhook_ms, 0.99), "max": percentile(&webhook_ms, 1.0)},
        "errors": errors.len(),
        "first_errors": errors.iter().take(5).map(|(s, b)| json!({"status": s, "body": b})).collect::<Vec<_>>(),
        "mails_expected": expected,
        "mails_at_end_of_load": at_end_of_load,
        "mails_sent": mails,
        "seconds_until_all_mail_sent": (drained_s * 10.0).round() / 10.0,
    });
    println!("{summary}");
    if !errors.is_empty() || (wait_for_mail && mails != expected) {
        return Err(format!(
            "{} errors; {mails} of {expected} mails",
            errors.len()
        ));
    }
    Ok(())
}
