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
    // Event and payment ids become storage keys: bounded visible ASCII, whatever the provider sent.
    for (field, v) in [
        ("event id", &event.event_id),
        ("payment id", &event.payment_id),
    ] {
        if !seikyu_domain::id::is_external_ref(v) {
            return Err(WebhookError::Parse(ParseError::Field(field)));
        }
    }
    Ok(event)
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
    }
}
