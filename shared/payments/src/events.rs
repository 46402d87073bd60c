//! Provider events -> one normalized [`PaymentEvent`].
//!
//! Amounts become **cumulative totals per provider payment** (received so far, refunded so far), never
//! deltas: a duplicate or late event then cannot count money twice, because the ledger only ever moves a
//! total up to the largest value seen (see [`crate::ledger`]).

use rust_decimal::Decimal;
use seikyu_domain::id::Id;
use seikyu_domain::values::{Amount, UnixTime};
use serde::Deserialize;
use serde_json::Value;
use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Stripe,
    Komoju,
    Generic,
    /// A deposit read from a bank statement (never a webhook).
    Bank,
}

impl Provider {
    /// A provider that sends webhooks.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "stripe" => Provider::Stripe,
            "komoju" => Provider::Komoju,
            "generic" => Provider::Generic,
            _ => return None,
        })
    }
    /// The provider part of a payment key (`stripe:pi_...`, `bank:...`).
    pub fn from_key(s: &str) -> Option<Self> {
        match s {
            "bank" => Some(Provider::Bank),
            other => Provider::parse(other),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Stripe => "stripe",
            Provider::Komoju => "komoju",
            Provider::Generic => "generic",
            Provider::Bank => "bank",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// Money received for this payment so far (cumulative, in major units of `currency`).
    Received { total: Decimal },
    /// Money refunded for this payment so far (cumulative).
    Refunded { total: Decimal },
    /// The payment attempt failed; nothing was received.
    Failed,
    /// The payment window closed unpaid (konbini, bank transfer).
    Expired,
    /// An event type Seikyu does not act on; acknowledged and ignored.
    Ignored(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentEvent {
    pub provider: Provider,
    /// The provider's event id: the key of exactly-once application.
    pub event_id: String,
    /// The provider's payment (Stripe PaymentIntent, KOMOJU payment, generic payment id).
    pub payment_id: String,
    pub kind: EventKind,
    /// ISO 4217, upper case; `None` for events that carry no amount.
    pub currency: Option<String>,
    /// Seikyu invoice id from the payment's metadata.
    pub invoice_id: Option<String>,
    /// Seikyu seller id from the payment's metadata.
    pub seller_id: Option<String>,
    /// A payment reference (e.g. the invoice number a bank transfer quoted).
    pub reference: Option<String>,
    /// card, konbini, customer_balance, bank_transfer, ...
    pub method: Option<String>,
    /// Unix seconds when the provider created the event.
    pub created: i64,
}

/// Largest webhook body accepted (Stripe events are a few KB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    #[error("body refused: {0}")]
    Json(String),
    #[error("field {0} missing or of the wrong type")]
    Field(&'static str),
    #[error("currency {0} is not ISO 4217")]
    Currency(String),
    #[error("amount {0} is out of range")]
    Amount(i64),
}

/// An amount in the currency's smallest unit (as Stripe and KOMOJU send it) in major units, within
/// [`Amount`]'s range (0 to 10^15 major units).
pub fn from_minor(amount: i64, currency: &str) -> Result<Decimal, ParseError> {
    let units = seikyu_domain::money::minor_units(currency)
        .ok_or_else(|| ParseError::Currency(currency.into()))?;
    if amount < 0 {
        return Err(ParseError::Amount(amount));
    }
    Amount::new(Decimal::new(amount, units))
        .map(Amount::get)
        .map_err(|_| ParseError::Amount(amount))
}

fn meta(v: &Value, key: &str) -> Option<String> {
    v.get("metadata")
        .and_then(|m| m.get(key))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn s(v: &Value, key: &'static str) -> Result<String, ParseError> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or(ParseError::Field(key))
}

fn i(v: &Value, key: &'static str) -> Result<i64, ParseError> {
    v.get(key)
        .and_then(Value::as_i64)
        .ok_or(ParseError::Field(key))
}

#[derive(Deserialize)]
struct StripeEnvelope {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    created: UnixTime,
    data: StripeData,
}

#[derive(Deserialize)]
struct StripeData {
    object: Value,
}

/// A Stripe event (API object `event`): payment_intent.succeeded / partially_funded / payment_failed,
/// charge.refunded.
pub fn parse_stripe(body: &[u8]) -> Result<PaymentEvent, ParseError> {
    let env: StripeEnvelope = seikyu_domain::json::from_slice_open(body, MAX_BODY_BYTES)
        .map_err(|e| ParseError::Json(e.to_string()))?;
    let o = &env.data.object;
    let currency = o
        .get("currency")
        .and_then(Value::as_str)
        .map(str::to_ascii_uppercase);
    let method = o
        .get("payment_method_types")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(Value::as_str)
        .or_else(|| {
            o.get("payment_method_details")
                .and_then(|d| d.get("type"))
                .and_then(Value::as_str)
        })
        .map(str::to_string);
    let (payment_id, kind) = match env.kind.as_str() {
        "payment_intent.succeeded" => {
            let cur = currency.as_deref().ok_or(ParseError::Field("currency"))?;
            (
                s(o, "id")?,
                EventKind::Received {
                    total: from_minor(i(o, "amount_received")?, cur)?,
                },
            )
        }
        // A bank transfer through the customer balance can arrive in parts; Stripe reports what is still
        // missing, so received so far = amount - amount_remaining.
        "payment_intent.partially_funded" => {
            let cur = currency.as_deref().ok_or(ParseError::Field("currency"))?;
            let amount = i(o, "amount")?;
            let remaining = o
                .get("next_action")
                .and_then(|n| n.get("display_bank_transfer_instructions"))
                .and_then(|d| d.get("amount_remaining"))
                .and_then(Value::as_i64)
                .ok_or(ParseError::Field(
                    "next_action.display_bank_transfer_instructions.amount_remaining",
                ))?;
            (
                s(o, "id")?,
                EventKind::Received {
                    // Checked: both come from the provider unchecked until here.
                    total: from_minor(
                        amount
                            .checked_sub(remaining)
                            .ok_or(ParseError::Amount(amount))?
                            .max(0),
                        cur,
                    )?,
                },
            )
        }
        "payment_intent.payment_failed" => (s(o, "id")?, EventKind::Failed),
        "payment_intent.canceled" => (s(o, "id")?, EventKind::Expired),
        // A refund is on the charge; the ledger is per PaymentIntent.
        "charge.refunded" => {
            let cur = currency.as_deref().ok_or(ParseError::Field("currency"))?;
            let pi = o
                .get("payment_intent")
                .and_then(Value::as_str)
                .map(str::to_string);
            (
                pi.map_or_else(|| s(o, "id"), Ok)?,
                EventKind::Refunded {
                    total: from_minor(i(o, "amount_refunded")?, cur)?,
                },
            )
        }
        other => (
            o.get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            EventKind::Ignored(other.to_string()),
        ),
    };
    Ok(PaymentEvent {
        provider: Provider::Stripe,
        event_id: env.id,
        payment_id,
        kind,
        currency,
        invoice_id: meta(o, "invoice_id"),
        seller_id: meta(o, "seller_id"),
        reference: o
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string),
        method,
        created: env.created.get(),
    })
}

/// A KOMOJU webhook event: payment.captured, payment.expired, payment.refunded.
pub fn parse_komoju(body: &[u8]) -> Result<PaymentEvent, ParseError> {
    let v: Value = seikyu_domain::json::from_slice_open(body, MAX_BODY_BYTES)
        .map_err(|e| ParseError::Json(e.to_string()))?;
    let kind_s = s(&v, "type")?;
    let d = v.get("data").ok_or(ParseError::Field("data"))?;
    let currency = d
        .get("currency")
        .and_then(Value::as_str)
        .map(str::to_ascii_uppercase);
    let cur = || currency.clone().ok_or(ParseError::Field("data.currency"));
    let kind = match kind_s.as_str() {
        // `total` includes KOMOJU's payment method fee charged to the customer; `amount` is what was billed.
        "payment.captured" => EventKind::Received {
            total: from_minor(i(d, "amount")?, &cur()?)?,
        },
        "payment.refunded" => EventKind::Refunded {
            total: from_minor(i(d, "amount_refunded")?, &cur()?)?,
        },
        "payment.expired" | "payment.cancelled" => EventKind::Expired,
        "payment.failed" => EventKind::Failed,
        other => EventKind::Ignored(other.to_string()),
    };
    let created = v
        .get("created_at")
        .and_then(Value::as_str)
        .map(|t| {
            chrono_free_unix(t)
                .and_then(|t| UnixTime::new(t).ok())
                .map(UnixTime::get)
                .ok_or(ParseError::Field("created_at"))
        })
        .transpose()?
        .unwrap_or(0);
    Ok(PaymentEvent {
        provider: Provider::Komoju,
        event_id: s(&v, "id")?,
        payment_id: s(d, "id")?,
        kind,
        currency,
        invoice_id: meta(d, "invoice_id"),
        seller_id: meta(d, "seller_id"),
        reference: d
            .get("external_order_num")
            .and_then(Value::as_str)
            .map(str::to_string),
        method: d
            .get("payment_details")
            .and_then(|p| p.get("type"))
            .and_then(Value::as_str)
            .map(str::to_string),
        created,
    })
}

/// Unix seconds of an RFC 3339 UTC-or-offset timestamp `YYYY-MM-DDTHH:MM:SS(.f)?(Z|+HH:MM)`; `None` if it
/// is not one. (Only used for ordering and logs.)
fn chrono_free_unix(t: &str) -> Option<i64> {
    let b = t.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| t.get(r)?.parse::<i64>().ok();
    let (y, mo, d, h, mi, s) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (mo + if mo > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let tz = t.get(19..).unwrap_or("");
    let tz = tz.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    let offset = match tz {
        "Z" | "" => 0,
        o if o.len() == 6 => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            sign * (o.get(1..3)?.parse::<i64>().ok()? * 3600
                + o.get(4..6)?.parse::<i64>().ok()? * 60)
        }
        _ => return None,
    };
    Some(days * 86_400 + h * 3600 + mi * 60 + s - offset)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GenericBody {
    #[serde(rename = "type")]
    kind: String,
    payment_id: String,
    /// Cumulative total for this payment, as a decimal string in major units ("12345" JPY, "99.50" EUR).
    amount: Amount,
    currency: String,
    #[serde(default)]
    invoice_id: Option<Id>,
    #[serde(default)]
    seller_id: Option<Id>,
    #[serde(default)]
    reference: Option<String>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    created: Option<UnixTime>,
}

/// Our generic scheme's body; the event id comes from the verified `Seikyu-Event-Id` header.
pub fn parse_generic(event_id: &str, body: &[u8]) -> Result<PaymentEvent, ParseError> {
    let g: GenericBody = seikyu_domain::json::from_slice(body, MAX_BODY_BYTES)
        .map_err(|e| ParseError::Json(e.to_string()))?;
    let currency = g.currency.to_ascii_uppercase();
    let Some(places) = seikyu_domain::money::minor_units(&currency) else {
        return Err(ParseError::Currency(currency));
    };
    // Never rounded away: an amount finer than the currency's minor unit is refused.
    if g.amount.normalize().scale() > places {
        return Err(ParseError::Field("amount"));
    }
    let kind = match g.kind.as_str() {
        "payment.received" => EventKind::Received {
            total: g.amount.get(),
        },
        "payment.refunded" => EventKind::Refunded {
            total: g.amount.get(),
        },
        other => EventKind::Ignored(other.to_string()),
    };
    Ok(PaymentEvent {
        provider: Provider::Generic,
        event_id: event_id.to_string(),
        payment_id: g.payment_id,
        kind,
        currency: Some(currency),
        invoice_id: g.invoice_id.map(String::from),
        seller_id: g.seller_id.map(String::from),
        reference: g.reference,
        method: g.method,
        created: g.created.map_or(0, UnixTime::get),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_to_unix() {
        assert_eq!(chrono_free_unix("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            chrono_free_unix("2026-11-05T10:00:00+09:00"),
            Some(1_793_840_400)
        );
        assert_eq!(
            chrono_free_unix("2026-11-05T01:00:00.123Z"),
            Some(1_793_840_400)
        );
        assert_eq!(chrono_free_unix("nonsense"), None);
    }

    #[test]
    fn generic_ids_are_bounded() {
        // Parsed, then bounded as verify_and_parse does for the generic scheme (strictly).
        let check = |id: &str, extra: &str| {
            let body = format!(
                r#"{{"type":"payment.received","payment_id":"{id}","amount":"1","currency":"JPY"{extra}}}"#
            );
            parse_generic("e", body.as_bytes()).and_then(|e| crate::bounded(e, true))
        };
        assert!(check("zengin-1", "").is_ok());
        for bad in [&"x".repeat(256)[..], "", "a b"] {
            assert_eq!(
                check(bad, ""),
                Err(ParseError::Field("payment id")),
                "{bad:?}"
            );
        }
        let long_method = format!(r#","method":"{}""#, "m".repeat(65));
        assert_eq!(check("p", &long_method), Err(ParseError::Field("method")));
        let long_ref = format!(r#","reference":"{}""#, "r".repeat(256));
        assert_eq!(check("p", &long_ref), Err(ParseError::Field("reference")));
        // Seikyu's ids are ids, checked when parsed.
        assert!(matches!(
            check("p", r#","invoice_id":"../x""#),
            Err(ParseError::Json(_))
        ));
    }

    #[test]
    fn a_providers_overlong_metadata_is_dropped_not_refused() {
        let mut e = parse_generic(
            "e",
            br#"{"type":"payment.received","payment_id":"p","amount":"1","currency":"JPY"}"#,
        )
        .expect("event");
        e.invoice_id = Some("x".repeat(5_000));
        e.method = Some("m".repeat(500_000));
        e.reference = Some("\u{0}".into());
        let e = crate::bounded(e, false).expect("kept");
        assert_eq!((e.invoice_id, e.method, e.reference), (None, None, None));
    }

    #[test]
    fn minor_units() {
        assert_eq!(
            from_minor(34600, "JPY").map(|d| d.to_string()),
            Ok("34600".into())
        );
        assert_eq!(
            from_minor(34600, "USD").map(|d| d.to_string()),
            Ok("346.00".into())
        );
        assert!(from_minor(-1, "JPY").is_err());
        assert!(from_minor(1, "XXQ").is_err());
    }
}
