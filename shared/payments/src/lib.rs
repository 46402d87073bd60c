//! Seikyu's payment webhook core, pure: verify a provider's signature on the raw bytes, parse the event
//! into one normalized shape, and decide what it does to the payment's ledger and the invoice. The
//! `payment-webhook` function adds only I/O around this.

pub mod events;
pub mod ledger;
pub mod signature;

pub use events::{EventKind, ParseError, PaymentEvent, Provider};
pub use ledger::{LedgerChange, PaymentLedger, Settlement, Unmatched, check_match, settle};
pub use signature::{Secret, SignatureError};

use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum WebhookError {
    /// 401: nothing is stored.
    #[error("signature: {0}")]
    Signature(#[from] SignatureError),
    /// 400: the body is not an event of this provider.
    #[error("event: {0}")]
    Parse(#[from] ParseError),
}

/// The request parts a webhook needs (header names in lower case).
pub struct WebhookRequest<'a> {
    pub provider: Provider,
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

impl WebhookRequest<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Verify and parse: the pure path of the webhook. `now` is Unix seconds.
pub fn verify_and_parse(
    req: &WebhookRequest<'_>,
    secrets: &[Secret],
    now: i64,
) -> Result<PaymentEvent, WebhookError> {
    let event = verify_and_parse_any(req, secrets, now)?;
    Ok(bounded(event, req.provider == Provider::Generic)?)
}

/// The longest payment method or reference kept from an event.
pub const MAX_METHOD_LEN: usize = 64;
pub const MAX_REFERENCE_LEN: usize = 255;

/// An event whose every stored string is bounded (they become storage keys and attributes).
/// Event and payment ids must be external references. Seikyu's own ids (invoice, seller) must be ids,
/// a method and a reference must fit their limits: in our generic scheme anything else refuses the
/// event (`strict`); a provider's metadata that does not fit is not ours to refuse, and is dropped (an
/// event without an invoice reference waits for a person to apply it).
fn bounded(mut e: PaymentEvent, strict: bool) -> Result<PaymentEvent, ParseError> {
    use seikyu_domain::id::{is_external_ref, is_id};
    for (field, v) in [("event id", &e.event_id), ("payment id", &e.payment_id)] {
        if !is_external_ref(v) {
            return Err(ParseError::Field(field));
        }
    }
    type Check<'a> = (&'static str, &'a mut Option<String>, fn(&str) -> bool);
    let checks: [Check<'_>; 4] = [
        ("invoice_id", &mut e.invoice_id, is_id),
        ("seller_id", &mut e.seller_id, is_id),
        ("method", &mut e.method, |m| {
            m.len() <= MAX_METHOD_LEN && is_external_ref(m)
        }),
        ("reference", &mut e.reference, |r| {
            !r.trim().is_empty()
                && r.chars().count() <= MAX_REFERENCE_LEN
                && !r.chars().any(char::is_control)
        }),
    ];
    for (field, value, ok) in checks {
        if value.as_deref().is_some_and(|v| !ok(v)) {
            if strict {
                return Err(ParseError::Field(field));
            }
            *value = None;
        }
    }
    if let EventKind::Ignored(kind) = &mut e.kind {
        // Logged only: at most 64 characters of an unknown event type.
        if let Some((i, _)) = kind.char_indices().nth(MAX_METHOD_LEN) {
            kind.truncate(i);
        }
    }
    Ok(e)
}

fn verify_and_parse_any(
    req: &WebhookRequest<'_>,
    secrets: &[Secret],
    now: i64,
) -> Result<PaymentEvent, WebhookError> {
    match req.provider {
        Provider::Stripe => {
            signature::verify_stripe(req.header("stripe-signature"), req.body, secrets, now)?;
            Ok(events::parse_stripe(req.body)?)
        }
        Provider::Komoju => {
            signature::verify_komoju(req.header("x-komoju-signature"), req.body, secrets)?;
            Ok(events::parse_komoju(req.body)?)
        }
        Provider::Generic => {
            let id = signature::verify_generic(
                req.header("seikyu-timestamp"),
                req.header("seikyu-event-id"),
                req.header("seikyu-signature"),
                req.body,
                secrets,
                now,
            )?;
            Ok(events::parse_generic(id, req.body)?)
        }
        // Bank deposits come from statements, never through a webhook.
        Provider::Bank => Err(WebhookError::Parse(ParseError::Field("provider"))),
    }
}
