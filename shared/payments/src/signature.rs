//! Webhook signature verification on the raw request bytes, in constant time.
//!
//! - **Stripe**: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`, HMAC-SHA256 over `t + "." + body` with
//!   the endpoint secret. Every `v1` is tried against every secret (Stripe signs with old and new secret
//!   while a secret rolls), and `t` must be within the tolerance (300 s) of now.
//! - **KOMOJU**: `X-Komoju-Signature: <hex>`, HMAC-SHA256 of the body with the webhook secret token. KOMOJU
//!   sends no timestamp; replays are harmless because every event id is applied once.
//! - **generic** (ours, for other providers and bank connectors): `Seikyu-Timestamp: <unix>`,
//!   `Seikyu-Event-Id: <id>`, `Seikyu-Signature: v1=<hex>[,v1=<hex>]`, HMAC-SHA256 over
//!   `timestamp + "." + event_id + "." + body`, same tolerance as Stripe.

use hmac::{Hmac, KeyInit, Mac};
use seikyu_domain::values::UnixTime;
use sha2::Sha256;
use thiserror::Error;

/// Accepted clock difference between the signer and us.
pub const TOLERANCE_SECONDS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SignatureError {
    #[error("signature header missing")]
    Missing,
    #[error("signature header malformed")]
    Malformed,
    #[error("timestamp outside the {TOLERANCE_SECONDS} s tolerance")]
    Stale,
    #[error("no signature matches")]
    Mismatch,
    #[error("no secret configured")]
    NoSecret,
}

/// A webhook signing secret. Its `Debug` never shows the value, so it cannot leak into logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn new(value: impl Into<Vec<u8>>) -> Self {
        Secret(value.into())
    }
    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes keys of any length.
        <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// HMAC-SHA256 of the parts, in order, as lower-case hex (for signing test requests and our own scheme).
pub fn sign(secret: &Secret, parts: &[&[u8]]) -> String {
    let mut mac = secret.mac();
    for p in parts {
        mac.update(p);
    }
    hex::encode(mac.finalize().into_bytes())
}

/// Whether any of `signatures_hex` is the HMAC of `parts` under any of `secrets`; constant time per
/// comparison (`Mac::verify_slice`).
fn any_matches(secrets: &[Secret], parts: &[&[u8]], signatures_hex: &[&str]) -> bool {
    let decoded: Vec<Vec<u8>> = signatures_hex
        .iter()
        .filter_map(|s| hex::decode(s.trim()).ok())
        .collect();
    let mut ok = false;
    for secret in secrets {
        let mut mac = secret.mac();
        for p in parts {
            mac.update(p);
        }
        for sig in &decoded {
            // Evaluate every pair (no early exit) so timing does not reveal which secret matched.
            ok |= mac.clone().verify_slice(sig).is_ok();
        }
    }
    ok
}

/// A header's timestamp: Unix seconds within [`UnixTime`]'s range, or malformed.
fn header_time(v: &str) -> Option<i64> {
    let t: i64 = v.trim().parse().ok()?;
    UnixTime::new(t).ok().map(UnixTime::get)
}

fn check_time(t: i64, now: i64) -> Result<(), SignatureError> {
    // No subtraction that can overflow, whatever the two are.
    if t.abs_diff(now) > TOLERANCE_SECONDS.unsigned_abs() {
        Err(SignatureError::Stale)
    } else {
        Ok(())
    }
}

/// Verify a `Stripe-Signature` header.
pub fn verify_stripe(
    header: Option<&str>,
    body: &[u8],
    secrets: &[Secret],
    now: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    if secrets.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    let mut t = None;
    let mut v1 = Vec::new();
    for item in header.split(',') {
        match item.trim().split_once('=') {
            Some(("t", v)) => t = header_time(v),
            Some(("v1", v)) => v1.push(v),
            Some(_) => {}
            None => return Err(SignatureError::Malformed),
        }
    }
    let t = t.ok_or(SignatureError::Malformed)?;
    if v1.is_empty() {
        return Err(SignatureError::Malformed);
    }
    check_time(t, now)?;
    let ts = t.to_string();
    if any_matches(secrets, &[ts.as_bytes(), b".", body], &v1) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// Verify an `X-Komoju-Signature` header.
pub fn verify_komoju(
    header: Option<&str>,
    body: &[u8],
    secrets: &[Secret],
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    if secrets.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    if any_matches(secrets, &[body], &[header]) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// Verify the generic scheme's headers; returns the event id they carry.
pub fn verify_generic<'a>(
    timestamp: Option<&str>,
    event_id: Option<&'a str>,
    signature: Option<&str>,
    body: &[u8],
    secrets: &[Secret],
    now: i64,
) -> Result<&'a str, SignatureError> {
    let (Some(ts), Some(id), Some(sig)) = (timestamp, event_id, signature) else {
        return Err(SignatureError::Missing);
    };
    if secrets.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    let t = header_time(ts).ok_or(SignatureError::Malformed)?;
    let id = id.trim();
    if !seikyu_domain::id::is_external_ref(id) {
        return Err(SignatureError::Malformed);
    }
    let v1: Vec<&str> = sig
        .split(',')
        .filter_map(|p| p.trim().strip_prefix("v1="))
        .collect();
    if v1.is_empty() {
        return Err(SignatureError::Malformed);
    }
    check_time(t, now)?;
    if any_matches(
        secrets,
        &[ts.trim().as_bytes(), b".", id.as_bytes(), b".", body],
        &v1,
    ) {
        Ok(id)
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_763_900_000;

    fn stripe_header(secret: &Secret, t: i64, body: &[u8]) -> String {
        format!(
            "t={t},v1={}",
            sign(secret, &[t.to_string().as_bytes(), b".", body])
        )
    }

    #[test]
    fn hmac_known_answer() {
        // RFC 4231 test case 2.
        let s = Secret::new(b"Jefe".to_vec());
        assert_eq!(
            sign(&s, &[b"what do ya want ", b"for nothing?"]),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn stripe_accepts_valid_rotation_and_rejects_the_rest() {
        let old = Secret::new(b"whsec_old".to_vec());
        let new = Secret::new(b"whsec_new".to_vec());
        let body = br#"{"id":"evt_1","type":"payment_intent.succeeded"}"#;
        let h = stripe_header(&new, NOW, body);
        assert_eq!(
            verify_stripe(Some(&h), body, std::slice::from_ref(&new), NOW),
            Ok(())
        );
        // During a roll Stripe sends two v1 signatures; either secret verifies.
        let both = format!(
            "{h},v1={}",
            sign(&old, &[NOW.to_string().as_bytes(), b".", body])
        );
        assert_eq!(
            verify_stripe(Some(&both), body, std::slice::from_ref(&old), NOW),
            Ok(())
        );
        assert_eq!(
            verify_stripe(Some(&h), body, &[old.clone(), new.clone()], NOW),
            Ok(())
        );
        // Tampered body, wrong secret, stale or future timestamp, garbage.
        assert_eq!(
            verify_stripe(
                Some(&h),
                br#"{"id":"evt_2"}"#,
                std::slice::from_ref(&new),
                NOW
            ),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_stripe(Some(&h), body, std::slice::from_ref(&old), NOW),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_stripe(Some(&h), body, std::slice::from_ref(&new), NOW + 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify_stripe(Some(&h), body, std::slice::from_ref(&new), NOW - 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify_stripe(Some("t=x,v1=00"), body, std::slice::from_ref(&new), NOW),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify_stripe(
                Some(&format!("t={NOW}")),
                body,
                std::slice::from_ref(&new),
                NOW
            ),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify_stripe(
                Some(&format!("t={NOW},v1=zz")),
                body,
                std::slice::from_ref(&new),
                NOW
            ),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_stripe(None, body, std::slice::from_ref(&new), NOW),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify_stripe(Some(&h), body, &[], NOW),
            Err(SignatureError::NoSecret)
        );
        // v0 (test-mode legacy) signatures are not accepted.
        let v0 = h.replace("v1=", "v0=");
        assert_eq!(
            verify_stripe(Some(&v0), body, &[new], NOW),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn komoju_and_generic() {
        let s = Secret::new(b"komoju-secret".to_vec());
        let body = br#"{"id":"e1"}"#;
        let sig = sign(&s, &[body]);
        assert_eq!(
            verify_komoju(Some(&sig), body, std::slice::from_ref(&s)),
            Ok(())
        );
        assert_eq!(
            verify_komoju(Some(&sig), b"{}", std::slice::from_ref(&s)),
            Err(SignatureError::Mismatch)
        );
        let g = Secret::new(b"generic".to_vec());
        let ts = NOW.to_string();
        let v = sign(&g, &[ts.as_bytes(), b".", b"ev-9", b".", body]);
        let header = format!("v1={v}");
        assert_eq!(
            verify_generic(
                Some(&ts),
                Some("ev-9"),
                Some(&header),
                body,
                std::slice::from_ref(&g),
                NOW
            ),
            Ok("ev-9")
        );
        assert_eq!(
            verify_generic(
                Some(&ts),
                Some("ev-8"),
                Some(&header),
                body,
                std::slice::from_ref(&g),
                NOW
            ),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_generic(
                Some(&ts),
                Some("ev-9"),
                Some(&header),
                body,
                std::slice::from_ref(&g),
                NOW + 400
            ),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify_generic(None, Some("ev-9"), Some(&header), body, &[g], NOW),
            Err(SignatureError::Missing)
        );
    }

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(
            format!("{:?}", Secret::new(b"whsec_abc".to_vec())),
            "Secret(***)"
        );
    }
}
