//! Bank reconciliation (入金消込): statements in, deposits matched, invoices settled.
//!
//! - `identifiers`: what an invoice carries so its payment can be placed (a virtual account from the
//!   seller's pool, a payer code, an RF reference), and the buyers' kana names;
//! - `deposits`: one statement entry applied exactly once (the matcher's decision committed with its
//!   parts, invoices, receipt requests and bus events), reversals, and deposits applied by hand;
//! - `statements`: a statement file received, archived and imported, and the list of imports.
//!
//! Keys of the seller's lookup sets ([`crate::ports::BankStore`]): `va:{account}` and `pc:{code}` name a
//! [`Target`]; `vapool:{account}` marks a pool account, `vafree:{account}` a free one; `name:{normalised}`
//! the buyers with that name; `ref:{account}:{bank reference}` and `amt:{account}:{amount}` the deposits
//! a reversal may name.

pub mod deposits;
pub mod identifiers;
pub mod statements;

use seikyu_banking::matcher::Target;

use crate::digest::sha256_hex;
use crate::record::{InvoiceRecord, InvoiceStatus};

/// Whether a deposit may be applied to `inv` without a person: an invoice that is owed and not in
/// dispute or review (a disputed invoice is settled by a person, never by a matcher).
pub fn auto_payable(inv: &InvoiceRecord) -> bool {
    inv.document_type == seikyu_domain::DocumentType::Invoice
        && matches!(
            inv.status,
            InvoiceStatus::Issued | InvoiceStatus::PartiallyPaid | InvoiceStatus::Escalated
        )
        && inv.open_balance() > rust_decimal::Decimal::ZERO
}

/// The id of the deposit (and of its exactly-once event) for a statement entry: the account and the
/// bank's own entry identity, readable when they are plain, else their SHA-256.
pub fn deposit_id(account: &str, entry_id: &str) -> String {
    let plain = format!("{account}.{entry_id}");
    if plain.len() <= 120
        && plain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        plain
    } else {
        format!(
            "h{}",
            &sha256_hex(format!("{account}\n{entry_id}").as_bytes())[..40]
        )
    }
}

/// A lookup value naming a buyer (`buyer:{customer}`) or one of its invoices
/// (`invoice:{customer}:{invoice}`).
pub fn target_value(t: &Target) -> String {
    match &t.invoice {
        Some(i) => format!("invoice:{}:{i}", t.buyer),
        None => format!("buyer:{}", t.buyer),
    }
}

pub fn parse_target(v: &str) -> Option<Target> {
    if let Some(b) = v.strip_prefix("buyer:") {
        return Some(Target {
            buyer: b.to_string(),
            invoice: None,
        });
    }
    let (b, i) = v.strip_prefix("invoice:")?.split_once(':')?;
    Some(Target {
        buyer: b.to_string(),
        invoice: Some(i.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deposit_ids_are_plain_or_hashed() {
        assert_eq!(
            deposit_id("0001-100-1-1234567", "2026-11-30-000101"),
            "0001-100-1-1234567.2026-11-30-000101"
        );
        let h = deposit_id("DE89370400440532013000", "REF 1/2");
        assert!(h.starts_with('h') && h.len() == 41);
        assert_ne!(h, deposit_id("DE89370400440532013000", "REF 1/3"));
    }

    #[test]
    fn targets_round_trip() {
        for t in [
            Target {
                buyer: "c1".into(),
                invoice: None,
            },
            Target {
                buyer: "c1".into(),
                invoice: Some("AOZ-2026-000001".into()),
            },
        ] {
            assert_eq!(parse_target(&target_value(&t)), Some(t));
        }
        assert_eq!(parse_target("other"), None);
    }
}
