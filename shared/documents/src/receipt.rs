//! The receipt (領収書, which for a qualified issuer is also a 適格簡易請求書): the page a person reads
//! (self-contained HTML, archived as issued) and the mail that carries it.

use std::fmt::Write as _;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use seikyu_domain::{InvoiceInput, TaxCategory};

use crate::format::{amount, html_escape, rate_label};
use crate::mime::{Attachment, Envelope, Message, file_name};

/// One tax rate of a receipt: the part of the amount under it (tax included) and the tax in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateAmount<'a> {
    /// The category's code: `S`, `AA`, ...
    pub category: &'a str,
    pub rate: Option<Decimal>,
    pub amount: Decimal,
    pub tax: Decimal,
}

/// What the receipt shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiptDoc<'a> {
    pub number: &'a str,
    pub issue_date: NaiveDate,
    /// The receipt this one replaces (cancelled when this one was issued).
    pub replaces: Option<&'a str>,
    pub recipient: &'a str,
    pub currency: &'a str,
    /// The money received.
    pub amount: Decimal,
    /// The part of it applied to the invoice.
    pub applied: Decimal,
    /// The part beyond the amount due, held as the buyer's credit.
    pub credit: Decimal,
    pub breakdown: Vec<RateAmount<'a>>,
    /// 但し書き: what the money was for.
    pub purpose: &'a str,
    pub method: Option<&'a str>,
    /// The payment's key, as the buyer may quote it.
    pub payment: &'a str,
    pub issuer_name: &'a str,
    pub issuer_registration: Option<&'a str>,
    /// The invoice the money paid: its number, amount due and request (period, items, seller address).
    pub invoice_number: &'a str,
    pub invoice_payable: Decimal,
    pub invoice: &'a InvoiceInput,
}

/// The label of a rate on the receipt: [`rate_label`], or for a code that is no tax category
/// `"{code} {rate}%"`.
pub(crate) fn receipt_rate_label(code: &str, rate: Option<Decimal>) -> String {
    match TaxCategory::from_code(code) {
        Some(c) => rate_label(c, rate),
        None => format!("{code} {}%", rate.unwrap_or_default().normalize()),
    }
}

/// A Japanese qualified-invoice registration number: `T` and 13 digits.
pub(crate) fn is_qualified_registration(id: &str) -> bool {
    id.len() == 14
        && id
            .strip_prefix('T')
            .is_some_and(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
}

/// Items shown on the receipt (取引内容); the invoice has them all.
pub(crate) const MAX_ITEMS: usize = 10;

/// The receipt as a person reads it: a self-contained HTML page in Japanese with English.
pub fn html(d: &ReceiptDoc) -> String {
    let e = html_escape;
    let amount = |v| amount(v, d.currency);
    let cur = e(d.currency);
    let inv = d.invoice;
    let mut h = String::from(
        "<!DOCTYPE html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>領収書 / Receipt ",
    );
    let _ = write!(
        h,
        "{}</title><style>body{{font-family:sans-serif;max-width:40em;margin:2em auto}}table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:4px 8px}}.amount{{font-size:1.6em}}</style></head><body>",
        e(d.number)
    );
    let _ = write!(
        h,
        "<h1>領収書 / Receipt</h1><p>No. {}<br>発行日 / Date: {}</p>",
        e(d.number),
        d.issue_date
    );
    if let Some(prev) = d.replaces {
        let _ = write!(
            h,
            "<p>本領収書は領収書 {0} に代わるものです。/ This receipt replaces receipt {0}.</p>",
            e(prev)
        );
    }
    let _ = write!(h, "<p>{} 様 / To: {}</p>", e(d.recipient), e(d.recipient));
    let _ = write!(
        h,
        "<p class=\"amount\"><strong>金額 / Amount received: {} {cur}</strong></p>",
        amount(d.amount)
    );
    let _ = write!(
        h,
        "<p>但し / For: {}<br>上記正に領収いたしました。/ Received with thanks.</p>",
        e(d.purpose)
    );
    let _ = write!(
        h,
        "<table><tr><th>取引年月日 / Transaction date</th><td>{}</td></tr>",
        inv.period
            .as_ref()
            .and_then(|p| match (p.start, p.end) {
                (Some(s), Some(e)) if s != e => Some(format!("{s} – {e}")),
                (Some(s), _) => Some(s.to_string()),
                (None, Some(e)) => Some(e.to_string()),
                (None, None) => None,
            })
            .unwrap_or_else(|| inv.issue_date.to_string())
    );
    if let Some(m) = d.method {
        let _ = write!(h, "<tr><th>お支払方法 / Paid by</th><td>{}</td></tr>", e(m));
    }
    let _ = write!(
        h,
        "<tr><th>お支払 / Payment</th><td>{}</td></tr></table>",
        e(d.payment)
    );
    h.push_str("<h3>取引内容 / Items</h3><ul>");
    for line in inv.lines.iter().take(MAX_ITEMS) {
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
    if inv.lines.len() > MAX_ITEMS {
        let _ = write!(
            h,
            "<li>… 他 {} 件 / and {} more (see invoice {})</li>",
            inv.lines.len() - MAX_ITEMS,
            inv.lines.len() - MAX_ITEMS,
            e(d.invoice_number)
        );
    }
    h.push_str("</ul>");
    h.push_str("<h3>税率別内訳 / Amount and tax by rate</h3><table><tr><th>税率 / Rate</th><th>金額 (税込) / Amount incl. tax</th><th>うち消費税等 / of which tax</th></tr>");
    for b in &d.breakdown {
        let _ = write!(
            h,
            "<tr><td>{}</td><td align=\"right\">{} {cur}</td><td align=\"right\">{} {cur}</td></tr>",
            e(&receipt_rate_label(b.category, b.rate)),
            amount(b.amount),
            amount(b.tax)
        );
    }
    h.push_str("</table>");
    if d.applied < d.invoice_payable && d.applied > Decimal::ZERO {
        h.push_str("<p>一部のお支払のため、税額は請求書の税率別内訳に応じて按分しています。/ A part payment: tax is shown in proportion to the invoice's tax by rate.</p>");
    }
    if d.credit > Decimal::ZERO {
        let _ = write!(
            h,
            "<p>うち {} {cur} は請求額を超えるお支払で、お客様の預り金(次回以降に充当または返金)です。/ {} {cur} exceeds the amount due and is held as your credit.</p>",
            amount(d.credit),
            amount(d.credit)
        );
    }
    if d.breakdown.iter().any(|b| b.category == "AA") {
        h.push_str("<p>※印は軽減税率対象品目です。/ ※ marks reduced-rate items.</p>");
    }
    let _ = write!(h, "<h3>発行者 / Issued by</h3><p>{}", e(d.issuer_name));
    if let Some(id) = d.issuer_registration {
        if is_qualified_registration(id) {
            let _ = write!(h, "<br>登録番号 / Registration number: {}", e(id));
        } else {
            let _ = write!(h, "<br>VAT ID: {}", e(id));
        }
    }
    let seller = &inv.seller;
    let _ = write!(
        h,
        "<br>{} {}</p>",
        e(seller.address.city.as_deref().unwrap_or("")),
        e(seller.address.street.as_deref().unwrap_or(""))
    );
    h.push_str("<p><small>電子的に発行された領収書のため収入印紙は不要です。/ Issued electronically; no revenue stamp is required.</small></p></body></html>");
    h
}

/// What the receipt mail says around the receipt itself (the mail job has the receipt, not its
/// invoice: the document it attaches is the one archived at issue).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptNote<'a> {
    pub number: &'a str,
    pub recipient: &'a str,
    pub currency: &'a str,
    pub amount: Decimal,
    pub purpose: &'a str,
    pub issuer_name: &'a str,
}

impl<'a> ReceiptDoc<'a> {
    /// The mail note of this receipt.
    pub fn note(&self) -> ReceiptNote<'a> {
        ReceiptNote {
            number: self.number,
            recipient: self.recipient,
            currency: self.currency,
            amount: self.amount,
            purpose: self.purpose,
            issuer_name: self.issuer_name,
        }
    }
}

/// The subject line of the receipt mail.
pub fn subject(d: &ReceiptNote) -> String {
    format!("領収書 {0} / Receipt {0} ({1})", d.number, d.issuer_name)
}

/// The short bilingual note the receipt mail carries as its text.
pub fn text(d: &ReceiptNote) -> String {
    format!(
        "{rec} 様\r\n\r\nお支払いありがとうございました。領収書 {num} を添付いたします。\r\n金額: {amt} {cur}\r\n但し: {purpose}\r\n\r\nThank you for your payment. Receipt {num} is attached.\r\nAmount received: {amt} {cur}\r\n\r\n{issuer}\r\n",
        rec = d.recipient,
        num = d.number,
        amt = amount(d.amount, d.currency),
        cur = d.currency,
        purpose = d.purpose,
        issuer = d.issuer_name,
    )
}

/// The receipt mail: the note as text, the archived HTML (`html`, as issued) as the HTML part, and
/// the receipt PDF attached as `{file_name(number, "pdf")}`.
pub fn mail(d: &ReceiptNote, html: &[u8], pdf: &[u8], envelope: &Envelope) -> Vec<u8> {
    let subject = subject(d);
    let text = text(d);
    Message {
        envelope,
        subject: &subject,
        text: &text,
        html: Some(html),
        attachments: &[Attachment {
            content_type: "application/pdf",
            filename: file_name(d.number, "pdf"),
            bytes: pdf,
        }],
    }
    .to_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_numbers() {
        assert!(is_qualified_registration("T2010401023456"));
        assert!(!is_qualified_registration("T201040102345"));
        assert!(!is_qualified_registration("BE0123456749"));
        assert!(!is_qualified_registration("T20104010234５"));
        assert!(!is_qualified_registration("日本201040102"));
    }

    #[test]
    fn unknown_codes_keep_the_old_fallback() {
        let r = Some(Decimal::new(50, 1));
        assert_eq!(receipt_rate_label("K", r), "K 5%");
        assert_eq!(
            receipt_rate_label("AA", r),
            "5% 対象 ※軽減税率 / reduced rate"
        );
        assert_eq!(receipt_rate_label("", None), " 0%");
    }
}
