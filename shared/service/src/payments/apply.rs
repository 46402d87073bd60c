//! Where a payment is applied (消込): a verified provider event is applied exactly once to its payment's
//! ledger and its invoice; a payment that cannot be matched waits in the unapplied list until a person
//! applies it by hand. Every change of money writes a receipt request and a bus event in the same commit.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use seikyu_domain::id::{is_external_ref, is_id};
use seikyu_domain::{Code, DocumentType};
use seikyu_payments::{
    LedgerChange, PaymentEvent, PaymentLedger, Settlement, Unmatched, check_match, settle,
};

use crate::app::App;
use crate::error::{AppError, ConflictCode, RefusalCode, field, invalid_state};
use crate::ports::{Clock, DocumentArchive, EventBus, MessageQueue, Store, StoreError, Write};
use crate::record::{InvoiceRecord, InvoiceStatus, OutboxEntry, PaymentRecord, SellerAccount};
use crate::retry::{CONTENDED, Retry};

/// What a payment event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentOutcome {
    /// This provider event was applied before: nothing changed.
    Duplicate,
    /// Counted toward an invoice (`net_delta` may be zero: a failure, an expiry, a late smaller total).
    Applied {
        invoice_id: String,
        status: InvoiceStatus,
        net_delta: Decimal,
        paid_total: Decimal,
        open_balance: Decimal,
        overpaid: Decimal,
    },
    /// Kept in the unapplied list for a person.
    Unapplied { payment: String, reason: Unmatched },
}

impl PaymentOutcome {
    fn applied(inv: &InvoiceRecord, net_delta: Decimal) -> Self {
        PaymentOutcome::Applied {
            invoice_id: inv.invoice_id.clone(),
            status: inv.status,
            net_delta,
            paid_total: inv.paid_total,
            open_balance: inv.open_balance(),
            overpaid: inv.overpaid,
        }
    }
}

/// A payment matched to its invoice: the invoice as the payment leaves it (when money moved) and the
/// version it was read at.
struct Matched {
    outcome: PaymentOutcome,
    updated: Option<(InvoiceRecord, u64)>,
}

impl<S, A, Q, B, C> App<S, A, Q, B, C>
where
    S: Store,
    A: DocumentArchive,
    Q: MessageQueue,
    B: EventBus,
    C: Clock,
{
    /// Apply a verified provider event exactly once: the event id is recorded in the same transaction
    /// that updates the payment's ledger and its invoice, so a duplicate (even a parallel one) changes
    /// nothing. Totals are cumulative per provider payment, so order does not matter.
    pub async fn apply_payment(
        &self,
        seller: &SellerAccount,
        event: &PaymentEvent,
    ) -> Result<PaymentOutcome, AppError> {
        let provider = event.provider.as_str();
        let mut retry = Retry::new(CONTENDED);
        loop {
            if self
                .store
                .event_applied(&seller.seller_id, provider, &event.event_id)
                .await?
            {
                return Ok(PaymentOutcome::Duplicate);
            }
            let now = self.clock.now();
            let current = self
                .store
                .get_payment(&seller.seller_id, provider, &event.payment_id)
                .await?;
            let expected = current.as_ref().map_or(0, |p| p.version);
            let was_applied = current.as_ref().and_then(|p| p.applied_to.clone());
            let mut payment = current.unwrap_or_else(|| PaymentRecord {
                seller_id: seller.seller_id.clone(),
                ledger: PaymentLedger::new(event.provider, event.payment_id.clone()),
                applied_to: None,
                unapplied: None,
                receipts: Vec::new(),
                bank: None,
                version: 0,
                updated_at: now,
            });
            let change = payment.ledger.apply(event);
            payment.version = expected + 1;
            payment.updated_at = now;
            let m = self
                .match_invoice(seller, event, &mut payment, was_applied, &change, now)
                .await?;
            let mark = Write::MarkEvent {
                seller_id: &seller.seller_id,
                provider,
                event_id: &event.event_id,
            };
            match self
                .commit_payment(Some(mark), &payment, expected, &m, now)
                .await
            {
                Ok(()) => return Ok(m.outcome),
                // A parallel delivery of this event, or another event of this payment or invoice: look again.
                Err(StoreError::Conflict(_)) => {
                    retry
                        .again(|| format!("payment {}", event.payment_id))
                        .await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Find the invoice of `payment` (where it already went, else its metadata, else the event's
    /// reference) and decide what the payment does to it. An unmatched payment is marked unapplied.
    async fn match_invoice(
        &self,
        seller: &SellerAccount,
        event: &PaymentEvent,
        payment: &mut PaymentRecord,
        was_applied: Option<String>,
        change: &LedgerChange,
        now: DateTime<Utc>,
    ) -> Result<Matched, AppError> {
        let target = was_applied
            .clone()
            .or_else(|| payment.ledger.invoice_id.clone())
            .or_else(|| event.reference.clone());
        let invoice = match &target {
            Some(id) if is_id(id) => self.store.get(&seller.seller_id, id).await?,
            _ => None,
        };
        let matched = match (target, invoice) {
            (None, _) => Err(Unmatched::NoInvoiceReference),
            (Some(_), None) => Err(Unmatched::UnknownInvoice),
            (Some(_), Some(inv)) => {
                let payable =
                    inv.document_type == DocumentType::Invoice && inv.status != InvoiceStatus::Void;
                check_match(
                    event,
                    &seller.seller_id,
                    &inv.currency,
                    payable || was_applied.is_some(),
                )
                .map(|()| inv)
            }
        };
        let inv = match matched {
            Ok(inv) => inv,
            Err(reason) => {
                payment.unapplied = Some(reason.clone());
                return Ok(Matched {
                    outcome: PaymentOutcome::Unapplied {
                        payment: payment.key(),
                        reason,
                    },
                    updated: None,
                });
            }
        };
        // A payment matched for the first time brings everything it holds.
        let delta = if was_applied.is_some() {
            change.net_delta
        } else {
            payment.ledger.net()
        };
        let mut next = inv.clone();
        if !delta.is_zero() {
            // Every payment is bounded (values::Amount); their sum is checked.
            next.paid_total = paid_sum(next.paid_total, delta)?;
            apply_settlement(&mut next);
            next.version += 1;
            next.updated_at = now;
        }
        payment.applied_to = Some(inv.invoice_id.clone());
        payment.unapplied = None;
        Ok(Matched {
            outcome: PaymentOutcome::applied(&next, delta),
            updated: (!delta.is_zero()).then_some((next, inv.version)),
        })
    }

    /// Commit a payment's change: `mark` (the provider event, or nothing when applied by hand), the
    /// payment at its new version, and, when money moved, the invoice with the receipt request and the
    /// bus event, delivered after the commit.
    async fn commit_payment(
        &self,
        mark: Option<Write<'_>>,
        payment: &PaymentRecord,
        expected: u64,
        m: &Matched,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let delta = match &m.outcome {
            PaymentOutcome::Applied { net_delta, .. } => *net_delta,
            _ => Decimal::ZERO,
        };
        // Money moved: the receipt must follow it, and the seller's systems hear of it.
        let entries = m.updated.as_ref().map(|(next, _)| {
            [
                OutboxEntry::receipt_requested(payment, &next.invoice_id, now),
                OutboxEntry::payment_event(next, payment, delta, now),
            ]
        });
        let mut writes: Vec<Write<'_>> = mark.into_iter().collect();
        writes.push(Write::PutPayment {
            record: payment,
            expected_version: expected,
        });
        if let Some((next, version)) = &m.updated {
            writes.push(Write::Update {
                record: next,
                expected_version: *version,
            });
        }
        for e in entries.iter().flatten() {
            writes.push(Write::Outbox(e));
        }
        self.store.commit(&writes).await?;
        for e in entries.iter().flatten() {
            self.deliver(e).await;
        }
        Ok(())
    }

    /// Payments holding money that could not be applied, oldest first (a failed or expired attempt
    /// without money is not listed: there is nothing to apply).
    pub async fn unapplied_payments(
        &self,
        seller: &SellerAccount,
    ) -> Result<Vec<PaymentRecord>, AppError> {
        let mut v = self.store.unapplied(&seller.seller_id).await?;
        // A bank entry kept for a person is listed even without money (a reversal of a deposit not seen).
        v.retain(|p| p.ledger.net() > Decimal::ZERO || p.bank.is_some());
        Ok(v)
    }

    /// One payment by its key (`{provider}:{payment id}`); a bank deposit with its decision.
    pub async fn payment(
        &self,
        seller: &SellerAccount,
        payment_key: &str,
    ) -> Result<PaymentRecord, AppError> {
        let Some((provider, payment_id)) = payment_key.split_once(':').filter(|(p, id)| {
            seikyu_payments::Provider::from_key(p).is_some() && is_external_ref(id)
        }) else {
            return Err(AppError::NotFound("no such payment".into()));
        };
        self.store
            .get_payment(&seller.seller_id, provider, payment_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("payment {payment_key}")))
    }

    /// Apply an unapplied payment to an invoice chosen by a person (消込 by hand). The payment's money
    /// counts toward the invoice, and its receipt and bus event follow, exactly as for a matched webhook.
    pub async fn apply_by_hand(
        &self,
        seller: &SellerAccount,
        payment_key: &str,
        invoice_id: &str,
    ) -> Result<PaymentOutcome, AppError> {
        // A key that cannot be one of ours names nothing (and never reaches the store as an oversized key).
        let Some((provider, payment_id)) = payment_key.split_once(':').filter(|(p, id)| {
            seikyu_payments::Provider::from_key(p).is_some() && is_external_ref(id)
        }) else {
            return Err(AppError::NotFound("no such payment".into()));
        };
        if !is_id(invoice_id) {
            return Err(field(
                "invoice_id",
                Code::InvalidFormat,
                "an invoice id: letters, digits, '-' or '_'",
            ));
        }
        let mut retry = Retry::new(CONTENDED);
        loop {
            let now = self.clock.now();
            let mut payment = self
                .store
                .get_payment(&seller.seller_id, provider, payment_id)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("payment {payment_key}")))?;
            let amount = money_to_apply(&payment, payment_key)?;
            let inv = self.get(seller, invoice_id).await?;
            check_target(&payment, &inv)?;
            let expected = payment.version;
            payment.version += 1;
            payment.updated_at = now;
            payment.applied_to = Some(inv.invoice_id.clone());
            payment.unapplied = None;
            let mut next = inv.clone();
            next.paid_total = paid_sum(next.paid_total, amount)?;
            apply_settlement(&mut next);
            next.version += 1;
            next.updated_at = now;
            let m = Matched {
                outcome: PaymentOutcome::applied(&next, amount),
                updated: Some((next, inv.version)),
            };
            match self.commit_payment(None, &payment, expected, &m, now).await {
                Ok(()) => return Ok(m.outcome),
                Err(StoreError::Conflict(_)) => {
                    retry.again(|| format!("payment {payment_key}")).await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// The money an unapplied payment brings, if it may be applied by hand.
fn money_to_apply(payment: &PaymentRecord, payment_key: &str) -> Result<Decimal, AppError> {
    if let Some(to) = &payment.applied_to {
        return Err(AppError::Conflict {
            code: ConflictCode::AlreadyApplied,
            message: format!("payment {payment_key} is applied to invoice {to}"),
        });
    }
    let amount = payment.ledger.net();
    if amount <= Decimal::ZERO {
        return Err(AppError::Conflict {
            code: ConflictCode::NothingToApply,
            message: format!("payment {payment_key} holds no money"),
        });
    }
    Ok(amount)
}

/// Whether a payment may be applied by hand to `inv`.
fn check_target(payment: &PaymentRecord, inv: &InvoiceRecord) -> Result<(), AppError> {
    if inv.document_type != DocumentType::Invoice || inv.status == InvoiceStatus::Void {
        return Err(invalid_state(
            inv,
            inv.status,
            "apply a payment to",
            "an invoice that is not void",
        ));
    }
    if let Some(c) = &payment.ledger.currency
        && *c != inv.currency
    {
        return Err(field(
            "invoice_id",
            Code::CurrencyMismatch,
            format!(
                "invoice {} is in {}; the payment is in {c}",
                inv.invoice_id, inv.currency
            ),
        ));
    }
    Ok(())
}

/// An invoice's paid total after `delta` more: every payment is bounded, and a sum of them beyond what a
/// Decimal holds is refused rather than wrapped or capped.
pub(crate) fn paid_sum(paid: Decimal, delta: Decimal) -> Result<Decimal, AppError> {
    paid.checked_add(delta)
        .ok_or_else(|| AppError::Unprocessable {
            code: RefusalCode::AmountTooLarge,
            message: "the payments on this invoice add up to more than Seikyu can hold".into(),
            details: serde_json::Value::Null,
        })
}

/// Status and credit of an invoice from its paid total (and the transfer fees the seller absorbed).
pub(crate) fn apply_settlement(inv: &mut InvoiceRecord) {
    // A fee absorbed counts only for what money has not paid (paid later after all, it is no credit);
    // it stays recorded, so a later refund finds it again.
    let fee = inv
        .fees_absorbed
        .min((inv.payable - inv.paid_total).max(Decimal::ZERO));
    match settle(inv.payable, inv.paid_total + fee) {
        Settlement::Paid { credit } => {
            inv.status = InvoiceStatus::Paid;
            inv.overpaid = credit;
        }
        Settlement::PartiallyPaid { .. } => {
            // A part payment does not end a dispute, an escalation or a review: a person does.
            if matches!(
                inv.status,
                InvoiceStatus::Issued | InvoiceStatus::Paid | InvoiceStatus::PartiallyPaid
            ) {
                inv.status = InvoiceStatus::PartiallyPaid;
            }
            inv.overpaid = Decimal::ZERO;
        }
        Settlement::Unpaid => {
            // Refunded back to nothing: unpaid again (a dispute, escalation or review state is kept).
            if matches!(
                inv.status,
                InvoiceStatus::Paid | InvoiceStatus::PartiallyPaid
            ) {
                inv.status = InvoiceStatus::Issued;
            }
            inv.overpaid = Decimal::ZERO;
        }
    }
}
