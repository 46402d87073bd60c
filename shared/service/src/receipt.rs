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
//! stood at the commit. The document (HTML) is archived, content-addressed, before the commit; the mail
//! is sent after it under a send-claim, as for invoices.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use seikyu_domain::RoundingMode;
use seikyu_domain::calc::document_decimals;
use seikyu_domain::money::{round_amount, round_tax};

use crate::app::{backoff, fiscal_year, sha256_hex, tokyo_date};
use crate::mail::{
    MailJobError, SEND_CLAIM_SECONDS, amount, base64_lines, each_message, encode_header,
    html_escape,
};
use crate::ports::{Clock, DocumentArchive, Mailer, Store, StoreError, Write};
use crate::record::{
    EVENT_RECEIPT_REQUESTED, EmailRecord, InvoiceRecord, PaymentRecord, QueueMessage,
    ReceiptCancellation, ReceiptRecord, ReceiptStatus, ReceiptTax, SellerAccount,
};
use crate::send_once::{self, Decision, Record};

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

/// What a mail job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptMail {
    Sent {
        message_id: String,
    },
    AlreadySent,
    /// The buyer has no email address; the receipt is available through the API.
    NoRecipient,
    /// Cancelled before it was mailed: not sent.
    Cancelled,
}

const ATTEMPTS: usize = 8;

fn permanent(m: impl Into<String>) -> MailJobError {
    MailJobError::Permanent(m.into())
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
        replaces: None,
        cancelled: None,
        email: None,
        email_sending_until: None,
        created_at: now,
        updated_at: now,
    }
}

fn rate_label(category: &str, rate: Option<Decimal>) -> String {
    let r = rate.unwrap_or_default().normalize();
    match category {
        "S" => format!("{r}% 対象 / standard rate"),
        "AA" => format!("{r}% 対象 ※軽減税率 / reduced rate"),
        "E" => "非課税 / exempt".into(),
        "Z" => "0% / zero-rated".into(),
        "G" => "輸出免税 / export".into(),
        "O" => "不課税 / not subject to tax".into(),
        other => format!("{other} {r}%"),
    }
}

fn is_qualified_registration(id: &str) -> bool {
    id.len() == 14 && id.starts_with('T') && id[1..].bytes().all(|b| b.is_ascii_digit())
}

/// Items shown on the receipt (取引内容); the invoice has them all.
const MAX_ITEMS: usize = 10;

/// The receipt as a person reads it: a self-contained HTML page in Japanese with English.
pub fn render_html(r: &ReceiptRecord, inv: &InvoiceRecord) -> String {
    let e = html_escape;
    let d = document_decimals(&r.currency).unwrap_or(2);
    let cur = e(&r.currency);
    let mut h = String::from(
        "<!DOCTYPE html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>領収書 / Receipt ",
    );
    let _ = write!(
        h,
        "{}</title><style>body{{font-family:sans-serif;max-width:40em;margin:2em auto}}table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:4px 8px}}.amount{{font-size:1.6em}}</style></head><body>",
        e(&r.number)
    );
    let _ = write!(
        h,
        "<h1>領収書 / Receipt</h1><p>No. {}<br>発行日 / Date: {}</p>",
        e(&r.number),
        r.issue_date
    );
    if let Some(prev) = &r.replaces {
        let _ = write!(
            h,
            "<p>本領収書は領収書 {0} に代わるものです。/ This receipt replaces receipt {0}.</p>",
            e(prev)
        );
    }
    let _ = write!(h, "<p>{} 様 / To: {}</p>", e(&r.recipient), e(&r.recipient));
    let _ = write!(
        h,
        "<p class=\"amount\"><strong>金額 / Amount received: {} {cur}</strong></p>",
        amount(r.amount, d)
    );
    let _ = write!(
        h,
        "<p>但し / For: {}<br>上記正に領収いたしました。/ Received with thanks.</p>",
        e(&r.purpose)
    );
    let _ = write!(
        h,
        "<table><tr><th>取引年月日 / Transaction date</th><td>{}</td></tr>",
        inv.input
            .period
            .as_ref()
            .and_then(|p| match (p.start, p.end) {
                (Some(s), Some(e)) if s != e => Some(format!("{s} – {e}")),
                (Some(s), _) => Some(s.to_string()),
                (None, Some(e)) => Some(e.to_string()),
                (None, None) => None,
            })
            .unwrap_or_else(|| inv.issue_date.to_string())
    );
    if let Some(m) = &r.method {
        let _ = write!(h, "<tr><th>お支払方法 / Paid by</th><td>{}</td></tr>", e(m));
    }
    let _ = write!(
        h,
        "<tr><th>お支払 / Payment</th><td>{}</td></tr></table>",
        e(&r.payment)
    );
    h.push_str("<h3>取引内容 / Items</h3><ul>");
    for line in inv.input.lines.iter().take(MAX_ITEMS) {
        let _ = write!(
            h,
            "<li>{}{}</li>",
            e(&line.name),
            if line.tax_category.is_reduced() {
                " ※"
            } else {
                ""
            }
        );
    }
    if inv.input.lines.len() > MAX_ITEMS {
        let _ = write!(
            h,
            "<li>… 他 {} 件 / and {} more (see invoice {})</li>",
            inv.input.lines.len() - MAX_ITEMS,
            inv.input.lines.len() - MAX_ITEMS,
            e(&inv.number)
        );
    }
    h.push_str("</ul>");
    h.push_str("<h3>税率別内訳 / Amount and tax by rate</h3><table><tr><th>税率 / Rate</th><th>金額 (税込) / Amount incl. tax</th><th>うち消費税等 / of which tax</th></tr>");
    for b in &r.breakdown {
        let _ = write!(
            h,
            "<tr><td>{}</td><td align=\"right\">{} {cur}</td><td align=\"right\">{} {cur}</td></tr>",
            e(&rate_label(&b.category, b.rate)),
            amount(b.amount, d),
            amount(b.tax, d)
        );
    }
    h.push_str("</table>");
    if r.applied < inv.payable && r.applied > Decimal::ZERO {
        h.push_str("<p>一部のお支払のため、税額は請求書の税率別内訳に応じて按分しています。/ A part payment: tax is shown in proportion to the invoice's tax by rate.</p>");
    }
    if r.credit > Decimal::ZERO {
        let _ = write!(
            h,
            "<p>うち {} {cur} は請求額を超えるお支払で、お客様の預り金(次回以降に充当または返金)です。/ {} {cur} exceeds the amount due and is held as your credit.</p>",
            amount(r.credit, d),
            amount(r.credit, d)
        );
    }
    if r.breakdown.iter().any(|b| b.category == "AA") {
        h.push_str("<p>※印は軽減税率対象品目です。/ ※ marks reduced-rate items.</p>");
    }
    let _ = write!(h, "<h3>発行者 / Issued by</h3><p>{}", e(&r.issuer_name));
    if let Some(id) = &r.issuer_registration {
        if is_qualified_registration(id) {
            let _ = write!(h, "<br>登録番号 / Registration number: {}", e(id));
        } else {
            let _ = write!(h, "<br>VAT ID: {}", e(id));
        }
    }
    let seller = &inv.input.seller;
    let _ = write!(
        h,
        "<br>{} {}</p>",
        e(seller.address.city.as_deref().unwrap_or("")),
        e(seller.address.street.as_deref().unwrap_or(""))
    );
    h.push_str("<p><small>電子的に発行された領収書のため収入印紙は不要です。/ Issued electronically; no revenue stamp is required.</small></p></body></html>");
    h
}

fn split_key(key: &str) -> Result<(&str, &str), MailJobError> {
    key.split_once(':')
        .filter(|(p, id)| !p.is_empty() && !id.is_empty())
        .ok_or_else(|| permanent(format!("{key:?} is not a payment key")))
}

/// Bring the receipt of payment `payment_key` in line with the payment's money (see the module docs).
pub async fn reconcile<S, A, C>(
    store: &S,
    archive: &A,
    clock: &C,
    seller_id: &str,
    payment_key: &str,
) -> Result<ReceiptOutcome, MailJobError>
where
    S: Store,
    A: DocumentArchive,
    C: Clock,
{
    let (provider, payment_id) = split_key(payment_key)?;
    for attempt in 0..ATTEMPTS {
        let seller = store
            .get_seller(seller_id)
            .await?
            .ok_or_else(|| permanent(format!("no seller {seller_id}")))?;
        let mut payment = store
            .get_payment(seller_id, provider, payment_id)
            .await?
            .ok_or_else(|| permanent(format!("no payment {payment_key}")))?;
        let active = match payment.receipts.last() {
            Some(id) => Some(store.get_receipt(seller_id, id).await?.ok_or_else(|| {
                MailJobError::Retryable(format!("receipt {id} not readable yet"))
            })?),
            None => None,
        }
        .filter(|r| r.status == ReceiptStatus::Issued);
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
            let mut r = build(&seller, &inv, &payment, &number, now);
            r.replaces = active.as_ref().map(|a| a.receipt_id.clone());
            let html = render_html(&r, &inv);
            r.document_sha256 = sha256_hex(html.as_bytes());
            r.document_key = format!(
                "{seller_id}/receipts/{fy}/{number}-{}.html",
                &r.document_sha256[..16]
            );
            archive
                .put(&r.document_key, "text/html; charset=utf-8", html.as_bytes())
                .await
                .map_err(|e| MailJobError::Retryable(e.to_string()))?;
            Some(r)
        } else {
            None
        };
        let cancelled = active.as_ref().map(|a| {
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
                replaced_by: issued.as_ref().map(|r| r.receipt_id.clone()),
            });
            c
        });
        let expected = payment.version;
        payment.version += 1;
        payment.updated_at = now;
        if let Some(r) = &issued {
            payment.receipts.push(r.receipt_id.clone());
        }
        let mut writes = Vec::with_capacity(4);
        if let Some(r) = &issued {
            writes.push(Write::NextNumber {
                sequence: &sequence,
                expected: current,
            });
            writes.push(Write::InsertReceipt(r));
        }
        if let (Some(c), Some(a)) = (&cancelled, &active) {
            writes.push(Write::UpdateReceipt {
                record: c,
                expected_version: a.version,
            });
        }
        writes.push(Write::PutPayment {
            record: &payment,
            expected_version: expected,
        });
        match store.commit(&writes).await {
            Ok(()) => {
                return Ok(match (issued, cancelled) {
                    (Some(r), c) => ReceiptOutcome::Issued {
                        receipt_id: r.receipt_id,
                        replaces: c.map(|c| c.receipt_id),
                    },
                    (None, Some(c)) => ReceiptOutcome::Cancelled {
                        receipt_id: c.receipt_id,
                    },
                    (None, None) => ReceiptOutcome::NothingToIssue,
                });
            }
            // Another delivery issued it, a new number was taken, or the payment moved: look again.
            Err(StoreError::Conflict(_)) => backoff(attempt).await,
            Err(e) => return Err(e.into()),
        }
    }
    Err(MailJobError::Retryable(format!(
        "payment {payment_key} kept changing while issuing its receipt"
    )))
}

/// Mail an issued receipt to the buyer once (send-claim, then SES, then the message id recorded).
pub async fn mail_receipt<S, A, M, C>(
    store: &S,
    archive: &A,
    mailer: &M,
    clock: &C,
    from: &str,
    seller_id: &str,
    receipt_id: &str,
) -> Result<ReceiptMail, MailJobError>
where
    S: Store,
    A: DocumentArchive,
    M: Mailer,
    C: Clock,
{
    let now = clock.now();
    let load = || async {
        store
            .get_receipt(seller_id, receipt_id)
            .await?
            .ok_or_else(|| permanent(format!("no receipt {receipt_id}")))
    };
    let what = format!("receipt {receipt_id}");
    let claimed = send_once::claim(store, &what, load, |r: &ReceiptRecord| {
        if r.email.is_some() {
            return Ok(Decision::Done(ReceiptMail::AlreadySent));
        }
        if r.status == ReceiptStatus::Cancelled {
            return Ok(Decision::Done(ReceiptMail::Cancelled));
        }
        let Some(to) = r.recipient_email.clone() else {
            return Ok(Decision::Done(ReceiptMail::NoRecipient));
        };
        if r.email_sending_until.is_some_and(|t| t > now) {
            return Err(MailJobError::Retryable(format!(
                "receipt {receipt_id} is being sent by another delivery"
            )));
        }
        let mut claim = r.clone();
        claim.email_sending_until = Some(now + chrono::Duration::seconds(SEND_CLAIM_SECONDS));
        Ok(Decision::Claim(claim, to))
    })
    .await?;
    let (r, to) = match claimed {
        Ok(c) => c,
        Err(outcome) => return Ok(outcome),
    };
    let html = archive
        .get(&r.document_key)
        .await
        .map_err(|e| MailJobError::Retryable(e.to_string()))?
        .ok_or_else(|| {
            MailJobError::Retryable(format!("receipt document {} not found", r.document_key))
        })?;
    if sha256_hex(&html) != r.document_sha256 {
        return Err(permanent(format!(
            "receipt document {} does not match its hash",
            r.document_key
        )));
    }
    let raw = compose(&r, &html, from, &to, now);
    let message_id = send_once::send(
        store,
        mailer,
        &r,
        |r| r.email_sending_until = None,
        from,
        &to,
        &raw,
    )
    .await?;
    // Sent: never report failure from here on, or it would be sent again.
    let email = EmailRecord {
        message_id: message_id.clone(),
        sent_at: now,
        to: vec![to],
    };
    let recorded = send_once::record(store, &what, r, load, |r| {
        if r.email.is_some() {
            return Record::Already;
        }
        r.email = Some(email.clone());
        r.updated_at = now;
        Record::Changed(None)
    })
    .await;
    if let Err(e) = recorded {
        tracing::error!(receipt_id, message_id = %message_id, error = %e, "sent, but the send could not be recorded");
    }
    Ok(ReceiptMail::Sent { message_id })
}

/// The receipt mail: a short bilingual note, the receipt as the HTML part and as an attachment.
pub fn compose(
    r: &ReceiptRecord,
    html: &[u8],
    from: &str,
    to: &str,
    now: DateTime<Utc>,
) -> Vec<u8> {
    let d = document_decimals(&r.currency).unwrap_or(2);
    let subject = format!("領収書 {0} / Receipt {0} ({1})", r.number, r.issuer_name);
    let text = format!(
        "{rec} 様\r\n\r\nお支払いありがとうございました。領収書 {num} を添付いたします。\r\n金額: {amt} {cur}\r\n但し: {purpose}\r\n\r\nThank you for your payment. Receipt {num} is attached.\r\nAmount received: {amt} {cur}\r\n\r\n{issuer}\r\n",
        rec = r.recipient,
        num = r.number,
        amt = amount(r.amount, d),
        cur = r.currency,
        purpose = r.purpose,
        issuer = r.issuer_name,
    );
    let tag: String = r.document_sha256.chars().take(24).collect();
    let boundary = format!("seikyu-mix-{tag}");
    let alt = format!("seikyu-alt-{tag}");
    let file = format!(
        "{}.html",
        r.number
            .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_")
    );
    let mut m = String::new();
    let _ = write!(
        m,
        "From: {from}\r\nTo: {to}\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: <{}.{}@seikyu.invalid>\r\n",
        encode_header(&subject),
        now.to_rfc2822(),
        r.receipt_id,
        r.seller_id
    );
    let _ = write!(
        m,
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n--{boundary}\r\nContent-Type: multipart/alternative; boundary=\"{alt}\"\r\n\r\n"
    );
    let _ = write!(
        m,
        "--{alt}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}",
        base64_lines(text.as_bytes())
    );
    let _ = write!(
        m,
        "--{alt}\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}--{alt}--\r\n",
        base64_lines(html)
    );
    let _ = write!(
        m,
        "--{boundary}\r\nContent-Type: text/html; charset=UTF-8; name=\"{file}\"\r\nContent-Disposition: attachment; filename=\"{file}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}--{boundary}--\r\n",
        base64_lines(html)
    );
    m.into_bytes()
}

/// Handle one `receipt.requested` message: reconcile the receipt, then mail it if it is new.
pub async fn handle_message<S, A, M, C>(
    store: &S,
    archive: &A,
    mailer: &M,
    clock: &C,
    from: &str,
    msg: &QueueMessage,
) -> Result<(ReceiptOutcome, Option<ReceiptMail>), MailJobError>
where
    S: Store,
    A: DocumentArchive,
    M: Mailer,
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
    // The active receipt is mailed whether this delivery issued it or an earlier one crashed before
    // mailing it.
    let active = match &outcome {
        ReceiptOutcome::Issued { receipt_id, .. } | ReceiptOutcome::Current { receipt_id } => {
            Some(receipt_id.clone())
        }
        _ => None,
    };
    let mail = match active {
        Some(id) => {
            Some(mail_receipt(store, archive, mailer, clock, from, &msg.seller_id, &id).await?)
        }
        None => None,
    };
    Ok((outcome, mail))
}

/// Handle a batch of queue messages `(message id, body)`; returns the ids that failed (redelivered, and
/// finally moved to the dead-letter queue).
pub async fn handle_batch<S, A, M, C>(
    store: &S,
    archive: &A,
    mailer: &M,
    clock: &C,
    from: &str,
    messages: &[(String, String)],
) -> Vec<String>
where
    S: Store,
    A: DocumentArchive,
    M: Mailer,
    C: Clock,
{
    each_message(messages, |msg| async move {
        handle_message(store, archive, mailer, clock, from, &msg).await
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
