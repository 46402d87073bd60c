//! The per-payment ledger and the settlement of an invoice.
//!
//! A ledger holds, per provider payment, the **largest** cumulative received and refunded totals seen.
//! Applying an event therefore never counts money twice, whatever the order: a duplicate moves nothing;
//! a refund before its payment is remembered and nets out when the payment arrives; a failure after a
//! success changes nothing. What the payment contributes to its invoice is `received - refunded`, never
//! below zero; an event's effect on the invoice is the change of that net.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::events::{EventKind, PaymentEvent, Provider};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentLedger {
    pub provider: Provider,
    pub payment_id: String,
    pub currency: Option<String>,
    pub invoice_id: Option<String>,
    pub received: Decimal,
    pub refunded: Decimal,
    /// A success was seen (later failures or expiries do not undo it).
    pub succeeded: bool,
    pub failed: bool,
    pub expired: bool,
    pub method: Option<String>,
}

/// What one event changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerChange {
    /// Change of the payment's net contribution to its invoice (negative for a refund).
    pub net_delta: Decimal,
    /// Newly received money (for the receipt).
    pub received_delta: Decimal,
    /// Newly refunded money.
    pub refunded_delta: Decimal,
}

impl PaymentLedger {
    pub fn new(provider: Provider, payment_id: impl Into<String>) -> Self {
        PaymentLedger {
            provider,
            payment_id: payment_id.into(),
            currency: None,
            invoice_id: None,
            received: Decimal::ZERO,
            refunded: Decimal::ZERO,
            succeeded: false,
            failed: false,
            expired: false,
            method: None,
        }
    }

    /// What the payment contributes to its invoice.
    pub fn net(&self) -> Decimal {
        (self.received - self.refunded).max(Decimal::ZERO)
    }

    pub fn apply(&mut self, e: &PaymentEvent) -> LedgerChange {
        let before = self.net();
        let (received_before, refunded_before) = (self.received, self.refunded);
        if self.currency.is_none() {
            self.currency.clone_from(&e.currency);
        }
        if self.invoice_id.is_none() {
            self.invoice_id.clone_from(&e.invoice_id);
        }
        if self.method.is_none() {
            self.method.clone_from(&e.method);
        }
        match &e.kind {
            EventKind::Received { total } => {
                self.received = self.received.max(*total);
                self.succeeded = self.succeeded || !total.is_zero();
            }
            EventKind::Refunded { total } => self.refunded = self.refunded.max(*total),
            EventKind::Failed => self.failed = !self.succeeded,
            EventKind::Expired => self.expired = !self.succeeded,
            EventKind::Ignored(_) => {}
        }
        LedgerChange {
            net_delta: self.net() - before,
            received_delta: self.received - received_before,
            refunded_delta: self.refunded - refunded_before,
        }
    }
}

/// Where an invoice stands after payments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Settlement {
    Unpaid,
    PartiallyPaid {
        open: Decimal,
    },
    /// Paid in full; `credit` is what was paid beyond the amount due (kept as the buyer's credit balance).
    Paid {
        credit: Decimal,
    },
}

pub fn settle(payable: Decimal, paid: Decimal) -> Settlement {
    if paid <= Decimal::ZERO {
        Settlement::Unpaid
    } else if paid < payable {
        Settlement::PartiallyPaid {
            open: payable - paid,
        }
    } else {
        Settlement::Paid {
            credit: paid - payable,
        }
    }
}

/// Why a payment cannot be applied to an invoice; it is kept in the unapplied list with this reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unmatched {
    /// Neither metadata nor reference names an invoice.
    NoInvoiceReference,
    UnknownInvoice,
    CurrencyMismatch {
        invoice: String,
        payment: String,
    },
    /// The payment says it is for another seller than the webhook it came through.
    SellerMismatch,
    /// The invoice cannot take payments (void, a credit note).
    NotPayable,
    /// A bank deposit no rule could place (`reason` as the matcher names it).
    Deposit {
        reason: String,
    },
}

/// Match a payment to an invoice's currency and seller.
pub fn check_match(
    event: &PaymentEvent,
    webhook_seller: &str,
    invoice_currency: &str,
    invoice_payable: bool,
) -> Result<(), Unmatched> {
    if event
        .seller_id
        .as_deref()
        .is_some_and(|s| s != webhook_seller)
    {
        return Err(Unmatched::SellerMismatch);
    }
    if let Some(c) = &event.currency
        && c != invoice_currency
    {
        return Err(Unmatched::CurrencyMismatch {
            invoice: invoice_currency.to_string(),
            payment: c.clone(),
        });
    }
    if !invoice_payable {
        return Err(Unmatched::NotPayable);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ev(id: &str, kind: EventKind) -> PaymentEvent {
        PaymentEvent {
            provider: Provider::Stripe,
            event_id: id.into(),
            payment_id: "pi_1".into(),
            kind,
            currency: Some("JPY".into()),
            invoice_id: Some("AOZ-2026-000001".into()),
            seller_id: None,
            reference: None,
            method: Some("card".into()),
            created: 0,
        }
    }

    fn d(v: i64) -> Decimal {
        Decimal::from(v)
    }

    #[test]
    fn duplicates_and_order_do_not_double_count() {
        let paid = ev("e1", EventKind::Received { total: d(346) });
        let mut l = PaymentLedger::new(Provider::Stripe, "pi_1");
        assert_eq!(l.apply(&paid).net_delta, d(346));
        assert_eq!(l.apply(&paid).net_delta, d(0), "duplicate");
        // Failure after success changes nothing.
        assert_eq!(l.apply(&ev("e2", EventKind::Failed)).net_delta, d(0));
        assert!(!l.failed);
        // Refund before payment: remembered, nets out when the payment arrives.
        let mut r = PaymentLedger::new(Provider::Stripe, "pi_1");
        assert_eq!(
            r.apply(&ev("e3", EventKind::Refunded { total: d(100) }))
                .net_delta,
            d(0)
        );
        assert_eq!(r.apply(&paid).net_delta, d(246));
        assert_eq!(r.net(), d(246));
        // Partial funding then success: cumulative totals.
        let mut p = PaymentLedger::new(Provider::Stripe, "pi_1");
        assert_eq!(
            p.apply(&ev("f1", EventKind::Received { total: d(100) }))
                .net_delta,
            d(100)
        );
        assert_eq!(
            p.apply(&ev("f2", EventKind::Received { total: d(346) }))
                .net_delta,
            d(246)
        );
        assert_eq!(
            p.apply(&ev("f1", EventKind::Received { total: d(100) }))
                .net_delta,
            d(0),
            "late partial"
        );
    }

    #[test]
    fn settlement() {
        assert_eq!(settle(d(346), d(0)), Settlement::Unpaid);
        assert_eq!(
            settle(d(346), d(300)),
            Settlement::PartiallyPaid { open: d(46) }
        );
        assert_eq!(settle(d(346), d(346)), Settlement::Paid { credit: d(0) });
        assert_eq!(settle(d(346), d(400)), Settlement::Paid { credit: d(54) });
    }

    #[test]
    fn matching() {
        let mut e = ev("e", EventKind::Received { total: d(1) });
        assert_eq!(check_match(&e, "aozora", "JPY", true), Ok(()));
        assert!(matches!(
            check_match(&e, "aozora", "USD", true),
            Err(Unmatched::CurrencyMismatch { .. })
        ));
        assert_eq!(
            check_match(&e, "aozora", "JPY", false),
            Err(Unmatched::NotPayable)
        );
        e.seller_id = Some("other".into());
        assert_eq!(
            check_match(&e, "aozora", "JPY", true),
            Err(Unmatched::SellerMismatch)
        );
    }

    fn arb_kind() -> impl Strategy<Value = EventKind> {
        prop_oneof![
            (0i64..10_000).prop_map(|t| EventKind::Received {
                total: Decimal::from(t)
            }),
            (0i64..10_000).prop_map(|t| EventKind::Refunded {
                total: Decimal::from(t)
            }),
            Just(EventKind::Failed),
            Just(EventKind::Expired),
        ]
    }

    proptest! {
        /// Whatever the order and repetition, the net equals max(received) - max(refunded) (floored at 0),
        /// and the deltas add up to it.
        #[test]
        fn any_order_any_duplicates(kinds in prop::collection::vec(arb_kind(), 1..30), order in prop::collection::vec(any::<prop::sample::Index>(), 1..60)) {
            let events: Vec<PaymentEvent> = kinds.iter().enumerate().map(|(i, k)| ev(&format!("e{i}"), k.clone())).collect();
            let mut l = PaymentLedger::new(Provider::Stripe, "pi_1");
            let mut sum = Decimal::ZERO;
            for idx in &order {
                sum += l.apply(idx.get(&events)).net_delta;
            }
            prop_assert_eq!(sum, l.net());
            let seen: Vec<&PaymentEvent> = order.iter().map(|i| i.get(&events)).collect();
            let max_rec = seen.iter().filter_map(|e| match e.kind { EventKind::Received { total } => Some(total), _ => None }).max().unwrap_or_default();
            let max_ref = seen.iter().filter_map(|e| match e.kind { EventKind::Refunded { total } => Some(total), _ => None }).max().unwrap_or_default();
            prop_assert_eq!(l.net(), (max_rec - max_ref).max(Decimal::ZERO));
        }
    }
}
