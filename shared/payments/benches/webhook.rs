//! The webhook's pure path on a 2 KB Stripe event: verify the signature, parse, apply to the payment's
//! ledger, settle the invoice. Budget here: at most 50 µs.
//!
//! cargo bench -p seikyu-payments --bench webhook

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rust_decimal::Decimal;
use seikyu_payments::signature::sign;
use seikyu_payments::{PaymentLedger, Provider, Secret, WebhookRequest, settle, verify_and_parse};

fn bench(c: &mut Criterion) {
    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/webhooks/stripe-payment_intent.succeeded.json"
    ))
    .expect("fixture");
    let now = 1_794_186_050i64;
    let secrets = [
        Secret::new(b"whsec_old_secret_being_rolled".to_vec()),
        Secret::new(b"whsec_current_secret".to_vec()),
    ];
    let header = format!(
        "t={now},v1={}",
        sign(&secrets[1], &[now.to_string().as_bytes(), b".", &body])
    );
    let headers = vec![("stripe-signature".to_string(), header)];
    let payable = Decimal::from(58136);
    c.bench_function("webhook/stripe-2KB verify+parse+decide", |b| {
        b.iter(|| {
            let req = WebhookRequest {
                provider: Provider::Stripe,
                headers: &headers,
                body: black_box(&body),
            };
            let event = verify_and_parse(&req, &secrets, now).expect("valid");
            let mut ledger = PaymentLedger::new(Provider::Stripe, event.payment_id.clone());
            let change = ledger.apply(&event);
            black_box(settle(payable, change.net_delta))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
