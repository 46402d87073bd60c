//! Real provider event shapes (tests/fixtures/webhooks) through verification and parsing, and Stripe's
//! own SDK signing (npm `stripe`, `webhooks.generateTestHeaderString`) accepted by our verification.

use std::path::PathBuf;
use std::process::Command;

use rust_decimal::Decimal;
use seikyu_payments::signature::sign;
use seikyu_payments::{
    EventKind, Provider, Secret, SignatureError, WebhookError, WebhookRequest, verify_and_parse,
};

const NOW: i64 = 1_794_186_050;

fn fixture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/webhooks")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn stripe_headers(secret: &Secret, t: i64, body: &[u8]) -> Vec<(String, String)> {
    let sig = sign(secret, &[t.to_string().as_bytes(), b".", body]);
    vec![("stripe-signature".into(), format!("t={t},v1={sig}"))]
}

#[test]
fn stripe_events_parse_to_cumulative_totals() {
    let secret = Secret::new(b"whsec_test_seikyu".to_vec());
    let cases = [
        (
            "stripe-payment_intent.succeeded.json",
            EventKind::Received {
                total: Decimal::from(58136),
            },
            "pi_3QxT1bLkdIwHu7ix0Xyz789",
            Some("card"),
        ),
        (
            "stripe-payment_intent.partially_funded.json",
            EventKind::Received {
                total: Decimal::from(30000),
            },
            "pi_3QxT2cLkdIwHu7ix1BankXfer",
            Some("customer_balance"),
        ),
        (
            "stripe-charge.refunded.json",
            EventKind::Refunded {
                total: Decimal::from(10000),
            },
            "pi_3QxT1bLkdIwHu7ix0Xyz789",
            Some("card"),
        ),
        (
            "stripe-payment_intent.payment_failed.json",
            EventKind::Failed,
            "pi_3QxT1bLkdIwHu7ix0Xyz789",
            Some("card"),
        ),
    ];
    for (file, kind, payment, method) in cases {
        let body = fixture(file);
        let headers = stripe_headers(&secret, NOW, &body);
        let e = verify_and_parse(
            &WebhookRequest {
                provider: Provider::Stripe,
                headers: &headers,
                body: &body,
            },
            std::slice::from_ref(&secret),
            NOW,
        )
        .unwrap_or_else(|err| panic!("{file}: {err}"));
        assert_eq!(e.kind, kind, "{file}");
        assert_eq!(e.payment_id, payment, "{file}");
        assert_eq!(e.invoice_id.as_deref(), Some("AOZ-2026-000001"), "{file}");
        assert_eq!(e.seller_id.as_deref(), Some("aozora"), "{file}");
        assert_eq!(e.currency.as_deref(), Some("JPY"), "{file}");
        assert_eq!(e.method.as_deref(), method, "{file}");
        assert!(e.event_id.starts_with("evt_"));
    }
}

#[test]
fn komoju_events_parse() {
    let secret = Secret::new(b"komoju-webhook-secret".to_vec());
    for (file, kind) in [
        (
            "komoju-payment.captured.json",
            EventKind::Received {
                total: Decimal::from(58136),
            },
        ),
        (
            "komoju-payment.refunded.json",
            EventKind::Refunded {
                total: Decimal::from(58136),
            },
        ),
        ("komoju-payment.expired.json", EventKind::Expired),
    ] {
        let body = fixture(file);
        let headers = vec![("x-komoju-signature".to_string(), sign(&secret, &[&body]))];
        let e = verify_and_parse(
            &WebhookRequest {
                provider: Provider::Komoju,
                headers: &headers,
                body: &body,
            },
            std::slice::from_ref(&secret),
            NOW,
        )
        .unwrap_or_else(|err| panic!("{file}: {err}"));
        assert_eq!(e.kind, kind, "{file}");
        assert_eq!(e.reference.as_deref(), Some("AOZ-2026-000001"));
        assert_eq!(e.method.as_deref(), Some("konbini"));
    }
}

#[test]
fn generic_events_parse_and_refuse_tampering() {
    let secret = Secret::new(b"bank-connector".to_vec());
    let body = br#"{"type":"payment.received","payment_id":"zengin-20261106-0042","amount":"58136","currency":"JPY","reference":"AOZ-2026-000001","method":"bank_transfer"}"#;
    let ts = NOW.to_string();
    let sig = sign(&secret, &[ts.as_bytes(), b".", b"bank-ev-1", b".", body]);
    let headers = vec![
        ("seikyu-timestamp".to_string(), ts.clone()),
        ("seikyu-event-id".to_string(), "bank-ev-1".to_string()),
        ("seikyu-signature".to_string(), format!("v1={sig}")),
    ];
    let e = verify_and_parse(
        &WebhookRequest {
            provider: Provider::Generic,
            headers: &headers,
            body,
        },
        std::slice::from_ref(&secret),
        NOW,
    )
    .expect("verifies");
    assert_eq!(e.event_id, "bank-ev-1");
    assert_eq!(
        e.kind,
        EventKind::Received {
            total: Decimal::from(58136)
        }
    );
    let tampered = br#"{"type":"payment.received","payment_id":"zengin-20261106-0042","amount":"99999","currency":"JPY"}"#;
    let r = verify_and_parse(
        &WebhookRequest {
            provider: Provider::Generic,
            headers: &headers,
            body: tampered,
        },
        &[secret],
        NOW,
    );
    assert_eq!(r, Err(WebhookError::Signature(SignatureError::Mismatch)));
}

/// Where `npm install stripe` put the SDK (scripts/test.sh installs it under .local/stripe-sdk).
fn stripe_sdk() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../.local/stripe-sdk/node_modules/stripe");
    if dir.is_dir() {
        return Some(dir);
    }
    let why = format!(
        "Stripe's SDK not found at {} (scripts/test.sh installs it with npm)",
        dir.display()
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{why}");
    }
    eprintln!("SKIPPED: {why}");
    None
}

/// Stripe's SDK signs the fixture; our verification must accept it, and refuse it when the body is
/// tampered with, the timestamp is stale or the secret is wrong.
#[test]
fn signatures_made_by_stripes_sdk_verify() {
    let Some(sdk) = stripe_sdk() else { return };
    let body = fixture("stripe-payment_intent.succeeded.json");
    let payload = String::from_utf8(body.clone()).expect("utf-8");
    let secret = "whsec_seikyu_e2e_0123456789abcdef";
    let script = r#"
const Stripe = require(process.argv[1]);
const stripe = Stripe('sk_test_seikyu');
const header = stripe.webhooks.generateTestHeaderString({
  payload: process.argv[2], secret: process.argv[3], timestamp: Number(process.argv[4]),
});
process.stdout.write(header);
"#;
    let out = Command::new("node")
        .arg("-e")
        .arg(script)
        .arg(&sdk)
        .arg(&payload)
        .arg(secret)
        .arg(NOW.to_string())
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let header = String::from_utf8(out.stdout).expect("header");
    assert!(header.starts_with(&format!("t={NOW},v1=")), "{header}");
    let headers = vec![("stripe-signature".to_string(), header)];
    let ok = |body: &[u8], secret: &str, now: i64| {
        verify_and_parse(
            &WebhookRequest {
                provider: Provider::Stripe,
                headers: &headers,
                body,
            },
            &[Secret::new(secret.as_bytes().to_vec())],
            now,
        )
    };
    let e = ok(&body, secret, NOW).expect("Stripe's signature verifies");
    assert_eq!(
        e.kind,
        EventKind::Received {
            total: Decimal::from(58136)
        }
    );
    let mut tampered = body.clone();
    if let Some(pos) = tampered.windows(5).position(|w| w == b"58136") {
        tampered[pos] = b'9';
    }
    assert_eq!(
        ok(&tampered, secret, NOW).err(),
        Some(WebhookError::Signature(SignatureError::Mismatch)),
        "tampered body"
    );
    assert_eq!(
        ok(&body, secret, NOW + 301).err(),
        Some(WebhookError::Signature(SignatureError::Stale)),
        "stale timestamp"
    );
    assert_eq!(
        ok(&body, "whsec_wrong", NOW).err(),
        Some(WebhookError::Signature(SignatureError::Mismatch)),
        "wrong secret"
    );
}
