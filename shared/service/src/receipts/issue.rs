//! Receipts (領収書, which for a qualified issuer is also a 適格簡易請求書): the `receipt-issuer` job.
//!
//! A receipt acknowledges the money one provider payment brought to an invoice. The job **reconciles**
//! rather than reacting to single events: for the payment named in the message it compares the payment's
//! net money with its active receipt and
//! - issues a receipt when there is money and none yet;
//! - does nothing when the active receipt already shows that amount (a redelivery, a crash after the
//!   commit, a message overtaken by a later one);
//! - cancels the active receipt when the amount changed, recording the refund (money went back) or that
//!   it was superseded (more money arrived), and issues a replacement for the money still kept.
//!
//! The receipt number is taken from a per-seller, per-fiscal-year sequence in the same transaction that
//! inserts the receipt, cancels its predecessor and updates the payment **on the version read**, so the
//! numbers have no gaps, two deliveries cannot both issue, and a receipt always matches the payment as it
//! stood at the commit. The document (HTML) is archived, content-addressed, before the commit; after it
//! a `receipt.issued` message asks invoice-mailer to render the PDF and mail both under a send-claim,
//! as for invoices.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use seikyu_domain::RoundingMode;
use seikyu_domain::calc::document_decimals;
use seikyu_domain::dates::{fiscal_year, tokyo_date};
use seikyu_domain::money::{round_amount, round_tax};

use crate::delivery::jobs::{BatchReport, each_message};
use crate::digest::sha256_hex;
use crate::error::JobError;
use crate::ports::{Clock, DocumentArchive, MessageQueue, Store, StoreError, Write};
use crate::receipts::mail::receipt_doc;
use crate::record::{
    EVENT_RECEIPT_ISSUED, EVENT_RECEIPT_REQUESTED, InvoiceRecord, PaymentRecord, QueueMessage,
    ReceiptCancellation, ReceiptRecord, ReceiptStatus, ReceiptTax, SellerAccount,
};
use crate::retry::{CONTENDED, Retry};

/// What reconciling a payment's receipt did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptOutcome {
    /// A receipt was issued (replacing `replaces`, cancelled in the same commit).
    Issued {
        receipt_id: String,
        replaces: Option<String>,
    },
    /// The active receipt already shows the payment's money: nothing changed.
    Current { receipt_id: String },
    /// The payment's money was refunded in full: its receipt is cancelled, none replaces it.
    Cancelled { receipt_id: String },
    /// Nothing to acknowledge: no money, or the payment is not applied to an invoice.
    NothingToIssue,
}

fn permanent(m: impl Into<String>) -> JobError {
    JobError::Permanent(m.into())
}

/// Split `amount` over the invoice's tax rates in proportion to each rate's tax-inclusive total; the
/// last rate takes the rounding remainder so the parts sum exactly. Tax per rate is the invoice's tax
/// scaled the same way (exactly the invoice's when the whole invoice is paid), rounded with the seller's
/// mode.
/// `breakdown`: the invoice's (category, rate, taxable, tax) per rate.
pub fn apportion(
    breakdown: &[(String, Option<Decimal>, Decimal, Decimal)],
    applied: Decimal,
    decimals: u32,
    mode: RoundingMode,
) -> Vec<ReceiptTax> {
    let gross: Vec<Decimal> = breakdown
        .iter()
        .map(|(_, _, taxable, tax)| taxable + tax)
        .collect();
    let total: Decimal = gross.iter().sum();
    if total <= Decimal::ZERO || applied <= Decimal::ZERO {
        return Vec::new();
    }
    let mut left = applied;
    let n = gross.len();
    breakdown
        .iter()
        .zip(&gross)
        .enumerate()
        .map(|(i, ((category, rate, _, tax), g))| {
            let part = if i + 1 == n {
                left
            } else {
                round_amount(applied * g / total, decimals)
            };
            left -= part;
            let part_tax = if part == *g {
                *tax
            } else if g.is_zero() {
                Decimal::ZERO
            } else {
                round_tax(tax * part / g, decimals, mode)
            };
            ReceiptTax {
                category: category.clone(),
                rate: *rate,
                amount: part,
                tax: part_tax,
            }
        })
        .collect()
}

/// The receipt for `payment`'s net money on `inv`, numbered `number`, before its document is archived.
pub fn build(
    seller: &SellerAccount,
    inv: &InvoiceRecord,
    payment: &PaymentRecord,
    number: &str,
    now: DateTime<Utc>,
) -> ReceiptRecord {
    let money = payment.ledger.net();
    let applied = money.min(inv.payable).max(Decimal::ZERO);
    ReceiptRecord {
        seller_id: seller.seller_id.clone(),
        receipt_id: number.to_string(),
        number: number.to_string(),
        status: ReceiptStatus::Issued,
        version: 1,
        payment: payment.key(),
        method: payment.ledger.method.clone(),
        invoice_id: inv.invoice_id.clone(),
        issue_date: tokyo_date(now),
        currency: inv.currency.clone(),
        amount: money,
        applied,
        credit: money - applied,
        breakdown: apportion(
            &inv.tax_breakdown,
            applied,
            document_decimals(&inv.currency).unwrap_or(2),
            inv.input.resolved_rounding(),
        ),
        recipient: inv.buyer_name.clone(),
        recipient_email: inv
            .input
            .buyer
            .contact
            .as_ref()
            .and_then(|c| c.email.clone()),
        purpose: format!(
            "請求書 {} の代金として / for invoice {}",
            inv.number, inv.number
        ),
        issuer_name: seller.profile.name.clone(),
        issuer_registration: seller.profile.tax_id.clone(),
        document_key: String::new(),
        document_sha256: String::new(),
        pdf: None,
        replaces: None,
        cancelled: None,
        email: None,
        email_sending_until: None,
        created_at: now,
        updated_at: now,
    }
}

fn split_key(key: &str) -> Result<(&str, &str), JobError> {
    key.split_once(':')
        .filter(|(p, id)| !p.is_empty() && !id.is_empty())
        .ok_or_else(|| permanent(format!("{key:?} is not a payment key")))
}

/// The payment's active receipt (the last issued, unless cancelled).
async fn active_receipt<S: Store>(
    store: &S,
    seller_id: &str,
    payment: &PaymentRecord,
) -> Result<Option<ReceiptRecord>, JobError> {
    let Some(id) = payment.receipts.last() else {
        return Ok(None);
    };
    let r = store
        .get_receipt(seller_id, id)
        .await?
        .ok_or_else(|| JobError::Retryable(format!("receipt {id} not readable yet")))?;
    Ok(Some(r).filter(|r| r.status == ReceiptStatus::Issued))
}

/// The receipt numbered `number` for the payment's money, its document rendered and archived
/// (content-addressed, before the commit that makes it count).
async fn issue_document<A: DocumentArchive>(
    archive: &A,
    seller: &SellerAccount,
    inv: &InvoiceRecord,
    payment: &PaymentRecord,
    replaces: Option<&ReceiptRecord>,
    number: &str,
    now: DateTime<Utc>,
) -> Result<ReceiptRecord, JobError> {
    let fy = fiscal_year(tokyo_date(now), seller.fiscal_year_start_month);
    let mut r = build(seller, inv, payment, number, now);
    r.replaces = replaces.map(|a| a.receipt_id.clone());
    let html = seikyu_documents::receipt::html(&receipt_doc(&r, inv));
    r.document_sha256 = sha256_hex(html.as_bytes());
    r.document_key = format!(
        "{}/receipts/{fy}/{number}-{}.html",
        seller.seller_id,
        &r.document_sha256[..16]
    );
    archive
        .put(&r.document_key, "text/html; charset=utf-8", html.as_bytes())
        .await
        .map_err(|e| JobError::Retryable(e.to_string()))?;
    Ok(r)
}

/// The active receipt `a` withdrawn now that the payment holds `money`: refunded (less money) or
/// superseded (more), naming its replacement.
fn cancel(
    a: &ReceiptRecord,
    money: Decimal,
    replaced_by: Option<&ReceiptRecord>,
    now: DateTime<Utc>,
) -> ReceiptRecord {
    let mut c = a.clone();
    c.status = ReceiptStatus::Cancelled;
    c.version += 1;
    c.updated_at = now;
    c.cancelled = Some(ReceiptCancellation {
        at: now,
        reason: if money < a.amount {
            "refunded"
        } else {
            "superseded"
        }
        .into(),
        refunded: (a.amount - money).max(Decimal::ZERO),
        replaced_by: replaced_by.map(|r| r.receipt_id.clone()),
    });
    c
}

/// The writes of one reconciliation: the receipt with its number, its predecessor cancelled (at the
/// version read), the payment at its new version.
fn receipt_writes<'a>(
    (sequence, current): (&'a str, u64),
    issued: Option<&'a ReceiptRecord>,
    cancelled: Option<(&'a ReceiptRecord, &'a ReceiptRecord)>,
    payment: &'a PaymentRecord,
    expected: u64,
) -> Vec<Write<'a>> {
    let mut writes = Vec::with_capacity(4);
    if let Some(r) = issued {
        writes.push(Write::NextNumber {
            sequence,
            expected: current,
        });
        writes.push(Write::InsertReceipt(r));
    }
    if let Some((c, a)) = cancelled {
        writes.push(Write::UpdateReceipt {
            record: c,
            expected_version: a.version,
        });
    }
    writes.push(Write::PutPayment {
        record: payment,
        expected_version: expected,
    });
    writes
}

/// What a committed reconciliation did.
fn outcome(issued: Option<ReceiptRecord>, cancelled: Option<ReceiptRecord>) -> ReceiptOutcome {
    match (issued, cancelled) {
        (Some(r), c) => ReceiptOutcome::Issued {
            receipt_id: r.receipt_id,
            replaces: c.map(|c| c.receipt_id),
        },
        (None, Some(c)) => ReceiptOutcome::Cancelled {
            receipt_id: c.receipt_id,
        },
        (None, None) => ReceiptOutcome::NothingToIssue,
    }
}

/// Bring the receipt of payment `payment_key` in line with the payment's money (see the module docs).
/// One read-decide-commit round per attempt, kept whole so the transaction reads in one place.
pub async fn reconcile<S, A, C>(
    store: &S,
    archive: &A,
    clock: &C,
    seller_id: &str,
    payment_key: &str,
) -> Result<ReceiptOutcome, JobError>
where
    S: Store,
    A: DocumentArchive,
    C: Clock,
{
    let (provider, payment_id) = split_key(payment_key)?;
    let mut retry = Retry::new(CONTENDED);
    loop {
        let seller = store
            .get_seller(seller_id)
            .await?
            .ok_or_else(|| permanent(format!("no seller {seller_id}")))?;
        let mut payment = store
            .get_payment(seller_id, provider, payment_id)
            .await?
            .ok_or_else(|| permanent(format!("no payment {payment_key}")))?;
        let active = active_receipt(store, seller_id, &payment).await?;
        let Some(invoice_id) = payment.applied_to.clone() else {
            return Ok(ReceiptOutcome::NothingToIssue);
        };
        let money = payment.ledger.net();
        match &active {
            Some(r) if r.amount == money => {
                return Ok(ReceiptOutcome::Current {
                    receipt_id: r.receipt_id.clone(),
                });
            }
            None if money <= Decimal::ZERO => return Ok(ReceiptOutcome::NothingToIssue),
            _ => {}
        }
        let inv = store
            .get(seller_id, &invoice_id)
            .await?
            .ok_or_else(|| permanent(format!("payment {payment_key}: no invoice {invoice_id}")))?;
        let now = clock.now();
        let fy = fiscal_year(tokyo_date(now), seller.fiscal_year_start_month);
        let sequence = format!("{seller_id}#RCT#{fy}");
        let current = store.sequence_value(&sequence).await?;
        let issued = if money > Decimal::ZERO {
            let number = format!("{}-R-{fy}-{:06}", seller.number_prefix, current + 1);
            let r = issue_document(
                archive,
                &seller,
                &inv,
                &payment,
                active.as_ref(),
                &number,
                now,
            );
            Some(r.await?)
        } else {
            None
        };
        let cancelled = active
            .as_ref()
            .map(|a| cancel(a, money, issued.as_ref(), now));
        let expected = payment.version;
        payment.version += 1;
        payment.updated_at = now;
        if let Some(r) = &issued {
            payment.receipts.push(r.receipt_id.clone());
        }
        let writes = receipt_writes(
            (&sequence, current),
            issued.as_ref(),
            cancelled.as_ref().zip(active.as_ref()),
            &payment,
            expected,
        );
        match store.commit(&writes).await {
            Ok(()) => return Ok(outcome(issued, cancelled)),
            // Another delivery issued it, a new number was taken, or the payment moved: look again.
            Err(StoreError::Conflict(_)) => {
                retry
                    .again(|| format!("payment {payment_key}, while issuing its receipt,"))
                    .await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Handle one `receipt.requested` message: reconcile the receipt, then ask invoice-mailer to render and
/// mail the active one. Returns the outcome and the `receipt.issued` message sent, if any.
pub async fn handle_message<S, A, Q, C>(
    store: &S,
    archive: &A,
    queue: &Q,
    clock: &C,
    msg: &QueueMessage,
) -> Result<(ReceiptOutcome, Option<QueueMessage>), JobError>
where
    S: Store,
    A: DocumentArchive,
    Q: MessageQueue,
    C: Clock,
{
    if msg.event != EVENT_RECEIPT_REQUESTED {
        return Err(permanent(format!("unknown event {:?}", msg.event)));
    }
    let key = msg
        .payment
        .as_deref()
        .ok_or_else(|| permanent("receipt.requested without a payment"))?;
    let outcome = reconcile(store, archive, clock, &msg.seller_id, key).await?;
    // The active receipt is sent on whether this delivery issued it or an earlier one crashed before
    // sending it on (the mailer sends each receipt once, however often it is asked).
    let active = match &outcome {
        ReceiptOutcome::Issued { receipt_id, .. } | ReceiptOutcome::Current { receipt_id } => {
            Some(receipt_id.clone())
        }
        _ => None,
    };
    let Some(receipt_id) = active else {
        return Ok((outcome, None));
    };
    let next = QueueMessage {
        event: EVENT_RECEIPT_ISSUED.into(),
        seller_id: msg.seller_id.clone(),
        invoice_id: msg.invoice_id.clone(),
        payment: msg.payment.clone(),
        as_of: None,
        receipt_id: Some(receipt_id),
    };
    queue
        .send(&next)
        .await
        .map_err(|e| JobError::Retryable(e.to_string()))?;
    Ok((outcome, Some(next)))
}

/// Handle a batch of `receipt.requested` messages `(message id, body)`; the edge passes the report to
/// [`crate::delivery::jobs::settle`].
pub async fn handle_batch<S, A, Q, C>(
    store: &S,
    archive: &A,
    queue: &Q,
    clock: &C,
    messages: &[(String, String)],
) -> BatchReport
where
    S: Store,
    A: DocumentArchive,
    Q: MessageQueue,
    C: Clock,
{
    each_message(messages, |msg| async move {
        handle_message(store, archive, queue, clock, &msg).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    /// ¥10,000 + 10 % and ¥5,000 + 8 %: ¥16,400 due.
    fn mixed() -> Vec<(String, Option<Decimal>, Decimal, Decimal)> {
        vec![
            ("S".into(), Some(d("10")), d("10000"), d("1000")),
            ("AA".into(), Some(d("8")), d("5000"), d("400")),
        ]
    }

    #[test]
    fn a_full_payment_carries_the_invoice_tax_exactly() {
        let r = apportion(&mixed(), d("16400"), 0, RoundingMode::Floor);
        let got: Vec<_> = r.iter().map(|b| (b.amount, b.tax)).collect();
        assert_eq!(got, [(d("11000"), d("1000")), (d("5400"), d("400"))]);
    }

    #[test]
    fn a_part_payment_is_split_by_rate() {
        // ¥10,000 of ¥16,400: 11000/16400 -> 6707.3 -> 6707 at 10 %, the rest (3293) at 8 %.
        let r = apportion(&mixed(), d("10000"), 0, RoundingMode::Floor);
        let got: Vec<_> = r.iter().map(|b| (b.amount, b.tax)).collect();
        // Tax: 1000 * 6707/11000 = 609.7 -> 609 (floor); 400 * 3293/5400 = 243.9 -> 243.
        assert_eq!(got, [(d("6707"), d("609")), (d("3293"), d("243"))]);
    }

    #[test]
    fn nothing_to_split() {
        assert!(apportion(&mixed(), Decimal::ZERO, 0, RoundingMode::Floor).is_empty());
        assert!(apportion(&[], d("10"), 0, RoundingMode::Floor).is_empty());
    }

    proptest! {
        /// Parts always sum to the amount, and tax never exceeds the invoice's tax for the rate.
        #[test]
        fn parts_sum_exactly(
            a in 1u32..2_000_000, b in 0u32..2_000_000, paid in 1u32..5_000_000, cents in 0u32..2
        ) {
            let decimals = cents * 2;
            let scale = Decimal::new(1, decimals);
            let taxable_a = Decimal::from(a) * scale;
            let taxable_b = Decimal::from(b) * scale;
            let tax_a = round_tax(taxable_a * d("0.10"), decimals, RoundingMode::Floor);
            let tax_b = round_tax(taxable_b * d("0.08"), decimals, RoundingMode::Floor);
            let bd = vec![
                ("S".to_string(), Some(d("10")), taxable_a, tax_a),
                ("AA".to_string(), Some(d("8")), taxable_b, tax_b),
            ];
            let total = taxable_a + tax_a + taxable_b + tax_b;
            let applied = (Decimal::from(paid) * scale).min(total);
            let r = apportion(&bd, applied, decimals, RoundingMode::HalfUp);
            let sum: Decimal = r.iter().map(|x| x.amount).sum();
            prop_assert_eq!(sum, applied);
            prop_assert!(r[0].tax <= tax_a && r[1].tax <= tax_b + Decimal::new(1, decimals));
            prop_assert!(r.iter().all(|x| x.amount >= Decimal::ZERO && x.tax >= Decimal::ZERO));
        }
    }
}
