//! Mailing an issued document to the buyer: a readable Japanese/English message (plain text and HTML)
//! with the UBL XML attached, sent as raw MIME, and the provider's message id recorded on the invoice so
//! a redelivered queue message does not send again.

use std::fmt::Write as _;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use seikyu_domain::validate::format_name;
use seikyu_domain::{DocumentType, TaxCategory, Totals, compute};
use thiserror::Error;

use crate::app::sha256_hex;
use crate::ports::{Clock, DocumentArchive, InvoiceStore, Mailer, StoreError};
use crate::record::{EmailRecord, InvoiceRecord, InvoiceStatus, QueueMessage};
use crate::send_once::{self, Decision, Record};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailOutcome {
    Sent {
        message_id: String,
    },
    /// Recorded as sent before: nothing done.
    AlreadySent,
    /// The buyer has no email address; the invoice stays issued for other channels (Peppol, post).
    NoRecipient,
    /// Not in a state to be sent (void, disputed, pending review): skipped.
    Skipped(InvoiceStatus),
}

/// Why a message could not be handled. `Permanent` will fail again however often it is retried.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum MailJobError {
    #[error("permanent: {0}")]
    Permanent(String),
    #[error("retryable: {0}")]
    Retryable(String),
}

impl From<StoreError> for MailJobError {
    fn from(e: StoreError) -> Self {
        MailJobError::Retryable(e.to_string())
    }
}

/// How long a delivery holds the send before another may try (longer than the function's timeout).
pub const SEND_CLAIM_SECONDS: i64 = 120;

/// Handle one `invoice.issued` message.
pub async fn mail_document<S, A, M, C>(
    store: &S,
    archive: &A,
    mailer: &M,
    clock: &C,
    from: &str,
    msg: &QueueMessage,
) -> Result<MailOutcome, MailJobError>
where
    S: InvoiceStore,
    A: DocumentArchive,
    M: Mailer,
    C: Clock,
{
    if msg.event != "invoice.issued" {
        return Err(MailJobError::Permanent(format!(
            "unknown event {:?}",
            msg.event
        )));
    }
    let now = clock.now();
    let load = || async {
        store
            .get(&msg.seller_id, &msg.invoice_id)
            .await?
            .ok_or_else(|| {
                MailJobError::Permanent(format!(
                    "no invoice {} for seller {}",
                    msg.invoice_id, msg.seller_id
                ))
            })
    };
    let what = format!("invoice {}", msg.invoice_id);
    let claimed = send_once::claim(store, &what, load, |record: &InvoiceRecord| {
        if record.email.is_some() {
            return Ok(Decision::Done(MailOutcome::AlreadySent));
        }
        // A paid invoice is still delivered: the buyer needs the qualified invoice for its books.
        let sendable = matches!(
            record.status,
            InvoiceStatus::Issued | InvoiceStatus::PartiallyPaid | InvoiceStatus::Paid
        );
        if !sendable && record.document_type != DocumentType::CreditNote {
            return Ok(Decision::Done(MailOutcome::Skipped(record.status)));
        }
        let Some(to) = record
            .input
            .buyer
            .contact
            .as_ref()
            .and_then(|c| c.email.clone())
        else {
            return Ok(Decision::Done(MailOutcome::NoRecipient));
        };
        if record.email_sending_until.is_some_and(|t| t > now) {
            return Err(MailJobError::Retryable(format!(
                "invoice {} is being sent by another delivery",
                record.invoice_id
            )));
        }
        let mut claim = record.clone();
        claim.email_sending_until = Some(now + chrono::Duration::seconds(SEND_CLAIM_SECONDS));
        Ok(Decision::Claim(claim, to))
    })
    .await?;
    let (record, to) = match claimed {
        Ok(c) => c,
        Err(outcome) => return Ok(outcome),
    };
    let xml = archive
        .get(&record.ubl_key)
        .await
        .map_err(|e| MailJobError::Retryable(e.to_string()))?
        .ok_or_else(|| {
            MailJobError::Retryable(format!(
                "archived document {} not found yet",
                record.ubl_key
            ))
        })?;
    if sha256_hex(&xml) != record.ubl_sha256 {
        return Err(MailJobError::Permanent(format!(
            "archived document {} does not match its hash",
            record.ubl_key
        )));
    }
    let totals = compute(&record.input).map_err(|e| MailJobError::Permanent(e.to_string()))?;
    let raw = compose(&record, &totals, &xml, from, &to, now);
    let message_id = send_once::send(
        store,
        mailer,
        &record,
        |r| r.email_sending_until = None,
        from,
        &to,
        &raw,
    )
    .await?;
    // Sent: from here on the message is never reported as failed, or it would be sent again.
    let email = EmailRecord {
        message_id: message_id.clone(),
        sent_at: now,
        to: vec![to],
    };
    let recorded = send_once::record(store, &what, record, load, |r| {
        if r.email.is_some() {
            return Record::Already;
        }
        r.email = Some(email.clone());
        r.updated_at = email.sent_at;
        Record::Changed(None)
    })
    .await;
    if let Err(e) = recorded {
        tracing::error!(invoice_id = %msg.invoice_id, message_id = %message_id, error = %e, "sent, but the send could not be recorded");
    }
    Ok(MailOutcome::Sent { message_id })
}

/// The seller's bank account and the reference to quote, one line each (for invoices and reminders).
pub(crate) fn bank_transfer_lines(
    inv: &seikyu_domain::InvoiceInput,
    number: &str,
) -> Option<Vec<String>> {
    let b = inv.seller.bank_account.as_ref()?;
    let mut lines = Vec::new();
    if let Some(bank) = &b.bank_id {
        lines.push(format!("金融機関・支店 / Bank: {bank}"));
    }
    lines.push(format!("口座 / Account: {}", b.account_id));
    if let Some(name) = &b.account_name {
        lines.push(format!("名義 / Holder: {name}"));
    }
    lines.push(format!(
        "お振込の際は請求書番号 {number} をご記入ください。/ Please quote {number} as the payment reference."
    ));
    Some(lines)
}

pub(crate) fn amount(v: Decimal, decimals: u32) -> String {
    seikyu_domain::money::display(v, decimals)
}

fn rate_label(category: TaxCategory, rate: Option<Decimal>) -> String {
    match category {
        TaxCategory::S => format!("{}% 対象 / standard", rate.unwrap_or_default().normalize()),
        TaxCategory::AA => format!("{}% 対象 ※ / reduced", rate.unwrap_or_default().normalize()),
        TaxCategory::E => "非課税 / exempt".into(),
        TaxCategory::Z => "0% / zero-rated".into(),
        TaxCategory::G => "輸出免税 / export".into(),
        TaxCategory::O => "不課税 / not subject".into(),
    }
}

/// Lines shown in the mail body; the attachment has them all.
const MAX_MAIL_LINES: usize = 50;

/// The plain-text body.
pub fn text_body(r: &InvoiceRecord, t: &Totals) -> String {
    let inv = &r.input;
    let d = t.decimals;
    let cur = &r.currency;
    let credit = r.document_type == DocumentType::CreditNote;
    let mut s = String::new();
    let _ = writeln!(s, "{} 御中 / Dear {},\n", inv.buyer.name, inv.buyer.name);
    let _ = writeln!(s, "いつもお世話になっております。{}です。", inv.seller.name);
    if credit {
        let _ = writeln!(
            s,
            "下記のとおり返還請求書(クレジットノート)をお送りします。"
        );
        let _ = writeln!(
            s,
            "Please find our credit note below; the e-invoice ({}) is attached.\n",
            format_name(r.format)
        );
    } else {
        let _ = writeln!(s, "下記のとおりご請求申し上げます。");
        let _ = writeln!(
            s,
            "Please find our invoice below; the e-invoice ({}) is attached.\n",
            format_name(r.format)
        );
    }
    let _ = writeln!(
        s,
        "{}: {}",
        if credit {
            "番号 / Credit note"
        } else {
            "請求書番号 / Invoice number"
        },
        r.number
    );
    let _ = writeln!(s, "発行日 / Issue date: {}", r.issue_date);
    if let Some(c) = &r.credits {
        let _ = writeln!(s, "対象請求書 / Credits invoice: {c}");
    }
    if let Some(due) = r.due_date {
        let _ = writeln!(s, "お支払期限 / Due date: {due}");
    }
    if let Some(t) = &inv.seller.tax_id {
        let _ = writeln!(s, "登録番号 / Registration number: {t}");
    }
    let _ = writeln!(s, "\n明細 / Lines:");
    for (line, lt) in inv.lines.iter().zip(&t.lines).take(MAX_MAIL_LINES) {
        let _ = writeln!(
            s,
            "  {}{}  {} x {} = {} {cur}",
            line.name,
            if line.tax_category.is_reduced() {
                " ※"
            } else {
                ""
            },
            line.quantity.normalize(),
            line.unit_price.normalize(),
            amount(lt.net, d)
        );
    }
    if inv.lines.len() > MAX_MAIL_LINES {
        let _ = writeln!(
            s,
            "  … 他 {} 行 / and {} more lines (see the attachment)",
            inv.lines.len() - MAX_MAIL_LINES,
            inv.lines.len() - MAX_MAIL_LINES
        );
    }
    let _ = writeln!(s, "\n税率別内訳 / Tax by rate:");
    for b in &t.breakdown {
        let _ = writeln!(
            s,
            "  {}: 課税対象 taxable {} / 消費税 tax {} {cur}",
            rate_label(b.category, b.rate),
            amount(b.taxable, d),
            amount(b.tax, d)
        );
    }
    let _ = writeln!(
        s,
        "\n小計 (税抜) / Net: {} {cur}",
        amount(t.tax_exclusive, d)
    );
    let _ = writeln!(s, "消費税 / Tax: {} {cur}", amount(t.tax_total, d));
    let _ = writeln!(
        s,
        "合計 (税込) / Total: {} {cur}",
        amount(t.tax_inclusive, d)
    );
    if !credit {
        let _ = writeln!(s, "ご請求金額 / Amount due: {} {cur}", amount(t.payable, d));
        if let Some(lines) = bank_transfer_lines(inv, &r.number) {
            let _ = writeln!(s, "\nお振込先 / How to pay (bank transfer):");
            for l in lines {
                let _ = writeln!(s, "  {l}");
            }
        }
    }
    if t.breakdown.iter().any(|b| b.category.is_reduced()) {
        let _ = writeln!(
            s,
            "\n※印は軽減税率対象品目です。/ ※ marks reduced-rate items."
        );
    }
    if let Some(c) = &inv.seller.contact {
        let who = [c.name.as_deref(), c.email.as_deref(), c.phone.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" / ");
        if !who.is_empty() {
            let _ = writeln!(s, "\nお問い合わせ / Questions: {who}");
        }
    }
    let _ = writeln!(s, "\n{}", inv.seller.name);
    s
}

pub(crate) fn html_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// The HTML body: the same content as the text body, as a table.
pub fn html_body(r: &InvoiceRecord, t: &Totals) -> String {
    let inv = &r.input;
    let d = t.decimals;
    let cur = html_escape(&r.currency);
    let e = html_escape;
    let credit = r.document_type == DocumentType::CreditNote;
    let mut h = String::from(
        "<!DOCTYPE html><html lang=\"ja\"><head><meta charset=\"utf-8\"></head><body style=\"font-family:sans-serif\">",
    );
    let _ = write!(
        h,
        "<p>{} 御中 / Dear {},</p>",
        e(&inv.buyer.name),
        e(&inv.buyer.name)
    );
    let _ = write!(
        h,
        "<p>いつもお世話になっております。{}です。<br>{}</p>",
        e(&inv.seller.name),
        if credit {
            "返還請求書(クレジットノート)をお送りします。/ Please find our credit note below."
        } else {
            "下記のとおりご請求申し上げます。/ Please find our invoice below."
        }
    );
    let _ = write!(
        h,
        "<table cellpadding=\"4\"><tr><th align=\"left\">番号 / Number</th><td>{}</td></tr>",
        e(&r.number)
    );
    let _ = write!(
        h,
        "<tr><th align=\"left\">発行日 / Issue date</th><td>{}</td></tr>",
        r.issue_date
    );
    if let Some(due) = r.due_date {
        let _ = write!(
            h,
            "<tr><th align=\"left\">お支払期限 / Due date</th><td>{due}</td></tr>"
        );
    }
    if let Some(tax_id) = &inv.seller.tax_id {
        let _ = write!(
            h,
            "<tr><th align=\"left\">登録番号 / Registration number</th><td>{}</td></tr>",
            e(tax_id)
        );
    }
    h.push_str("</table><h3>明細 / Lines</h3><table border=\"1\" cellpadding=\"4\" style=\"border-collapse:collapse\"><tr><th>品目 / Item</th><th>数量 / Qty</th><th>単価 / Price</th><th>金額 / Amount</th></tr>");
    for (line, lt) in inv.lines.iter().zip(&t.lines).take(MAX_MAIL_LINES) {
        let _ = write!(
            h,
            "<tr><td>{}{}</td><td align=\"right\">{}</td><td align=\"right\">{}</td><td align=\"right\">{} {cur}</td></tr>",
            e(&line.name),
            if line.tax_category.is_reduced() {
                " ※"
            } else {
                ""
            },
            line.quantity.normalize(),
            line.unit_price.normalize(),
            amount(lt.net, d)
        );
    }
    h.push_str("</table>");
    if inv.lines.len() > MAX_MAIL_LINES {
        let _ = write!(
            h,
            "<p>… 他 {} 行 / and {} more lines (see the attachment)</p>",
            inv.lines.len() - MAX_MAIL_LINES,
            inv.lines.len() - MAX_MAIL_LINES
        );
    }
    h.push_str("<h3>税率別内訳 / Tax by rate</h3><table border=\"1\" cellpadding=\"4\" style=\"border-collapse:collapse\"><tr><th>税率 / Rate</th><th>課税対象 / Taxable</th><th>消費税 / Tax</th></tr>");
    for b in &t.breakdown {
        let _ = write!(
            h,
            "<tr><td>{}</td><td align=\"right\">{} {cur}</td><td align=\"right\">{} {cur}</td></tr>",
            e(&rate_label(b.category, b.rate)),
            amount(b.taxable, d),
            amount(b.tax, d)
        );
    }
    let _ = write!(
        h,
        "</table><p>小計 (税抜) / Net: {} {cur}<br>消費税 / Tax: {} {cur}<br><strong>合計 (税込) / Total: {} {cur}</strong></p>",
        amount(t.tax_exclusive, d),
        amount(t.tax_total, d),
        amount(t.tax_inclusive, d)
    );
    if !credit {
        let _ = write!(
            h,
            "<p><strong>ご請求金額 / Amount due: {} {cur}</strong></p>",
            amount(t.payable, d)
        );
        if let Some(b) = &inv.seller.bank_account {
            let _ = write!(
                h,
                "<p>お振込先 / How to pay: {} {} {}<br>お振込の際は請求書番号 {} をご記入ください。/ Please quote it as the payment reference.</p>",
                e(b.bank_id.as_deref().unwrap_or("")),
                e(&b.account_id),
                e(b.account_name.as_deref().unwrap_or("")),
                e(&r.number)
            );
        }
    }
    if t.breakdown.iter().any(|b| b.category.is_reduced()) {
        h.push_str("<p>※印は軽減税率対象品目です。/ ※ marks reduced-rate items.</p>");
    }
    let _ = write!(h, "<p>{}</p></body></html>", e(&inv.seller.name));
    h
}

/// RFC 2047 encoded-word for a header with non-ASCII text.
pub(crate) fn encode_header(s: &str) -> String {
    if s.is_ascii() && s.len() <= 900 {
        return s.to_string();
    }
    // RFC 2047: encoded-words of at most 75 characters, folded onto continuation lines. Each word holds
    // whole characters (at most 45 bytes, 60 in base64).
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in s.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(format!(
                "=?UTF-8?B?{}?=",
                base64::engine::general_purpose::STANDARD.encode(&chunk)
            ));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!(
            "=?UTF-8?B?{}?=",
            base64::engine::general_purpose::STANDARD.encode(&chunk)
        ));
    }
    words.join("\r\n ")
}

/// Base64 in 76-character lines (RFC 2045).
pub(crate) fn base64_lines(bytes: &[u8]) -> String {
    let b = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut out = String::with_capacity(b.len() + b.len() / 76 * 2 + 2);
    for chunk in b.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push_str("\r\n");
    }
    out
}

/// The complete MIME message.
pub fn compose(
    r: &InvoiceRecord,
    t: &Totals,
    xml: &[u8],
    from: &str,
    to: &str,
    now: DateTime<Utc>,
) -> Vec<u8> {
    let credit = r.document_type == DocumentType::CreditNote;
    let subject = if credit {
        format!(
            "返還請求書 {0} / Credit note {0} ({1})",
            r.number, r.input.seller.name
        )
    } else {
        format!(
            "請求書 {0} のご案内 / Invoice {0} from {1}",
            r.number, r.input.seller.name
        )
    };
    // Neither boundary is a prefix of the other (RFC 2046 5.1.1).
    let tag: String = r.ubl_sha256.chars().take(24).collect();
    let boundary = format!("seikyu-mix-{tag}");
    let alt = format!("seikyu-alt-{tag}");
    let file = format!(
        "{}.xml",
        r.number
            .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_")
    );
    let mut m = String::new();
    let _ = write!(
        m,
        "From: {from}\r\nTo: {to}\r\nSubject: {}\r\n",
        encode_header(&subject)
    );
    let _ = write!(m, "Date: {}\r\n", now.to_rfc2822());
    let _ = write!(
        m,
        "Message-ID: <{}.{}@seikyu.invalid>\r\n",
        r.invoice_id, r.seller_id
    );
    let _ = write!(
        m,
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"
    );
    let _ = write!(
        m,
        "--{boundary}\r\nContent-Type: multipart/alternative; boundary=\"{alt}\"\r\n\r\n"
    );
    let _ = write!(
        m,
        "--{alt}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}",
        base64_lines(text_body(r, t).as_bytes())
    );
    let _ = write!(
        m,
        "--{alt}\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}",
        base64_lines(html_body(r, t).as_bytes())
    );
    let _ = write!(m, "--{alt}--\r\n");
    let _ = write!(
        m,
        "--{boundary}\r\nContent-Type: application/xml; name=\"{file}\"\r\nContent-Disposition: attachment; filename=\"{file}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}",
        base64_lines(xml)
    );
    let _ = write!(m, "--{boundary}--\r\n");
    m.into_bytes()
}

/// Handle a batch of queue messages `(message id, body)`; returns the ids that failed, which the queue
/// redelivers and finally moves to its dead-letter queue. A body that is not a message fails every time,
/// so a poison message ends in the DLQ after the redrive count.
pub async fn handle_batch<S, A, M, C>(
    store: &S,
    archive: &A,
    mailer: &M,
    clock: &C,
    from: &str,
    messages: &[(String, String)],
) -> Vec<String>
where
    S: InvoiceStore,
    A: DocumentArchive,
    M: Mailer,
    C: Clock,
{
    each_message(messages, |msg| async move {
        mail_document(store, archive, mailer, clock, from, &msg).await
    })
    .await
}

/// SQS's largest message.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// The loop of every SQS consumer: parse each `(message id, body)`, handle it, log the outcome, and
/// return the ids that failed. A body that is not a message fails every time, so a poison message ends
/// in the dead-letter queue after the redrive count.
pub(crate) async fn each_message<F, Fut, O>(messages: &[(String, String)], handle: F) -> Vec<String>
where
    F: Fn(QueueMessage) -> Fut,
    Fut: std::future::Future<Output = Result<O, MailJobError>>,
    O: std::fmt::Debug,
{
    let mut failed = Vec::new();
    for (id, body) in messages {
        let msg: QueueMessage =
            match seikyu_domain::json::from_slice(body.as_bytes(), MAX_MESSAGE_BYTES) {
                Ok(m) => m,
                Err(e) => {
                    tracing::error!(message_id = %id, error = %e, "not a queue message");
                    failed.push(id.clone());
                    continue;
                }
            };
        let (event, seller_id, invoice_id, payment) = (
            msg.event.clone(),
            msg.seller_id.clone(),
            msg.invoice_id.clone(),
            msg.payment.clone(),
        );
        // Boxed: the handlers' futures are deep (claim, send, record); inline, the functions' async
        // main exceeds rustc's type-layout depth in release builds.
        match Box::pin(handle(msg)).await {
            Ok(outcome) => {
                tracing::info!(message_id = %id, %event, %seller_id, %invoice_id, ?payment, ?outcome, "handled");
            }
            Err(e) => {
                tracing::warn!(message_id = %id, %event, %seller_id, %invoice_id, ?payment, error = %e, "failed");
                failed.push(id.clone());
            }
        }
    }
    failed
}
