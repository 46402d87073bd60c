//! The invoice and credit-note mail to the buyer: a readable Japanese/English message (plain text and
//! HTML) with the PDF and the e-invoice (UBL XML) attached.

use std::fmt::Write as _;

use chrono::NaiveDate;
use seikyu_domain::validate::format_name;
use seikyu_domain::{DocumentType, Format, InvoiceInput, Totals};

use crate::format::{amount, bank_transfer_lines, html_escape, rate_label};
use crate::mime::{Attachment, Envelope, Message, file_name};

/// What the invoice / credit-note mail shows (view of a stored invoice; never a service record).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InvoiceDoc<'a> {
    pub number: &'a str,
    pub issue_date: NaiveDate,
    pub due_date: Option<NaiveDate>,
    /// For a credit note: the invoice it credits.
    pub credits: Option<&'a str>,
    pub format: Format,
    /// Document type, currency, buyer, seller and lines come from here.
    pub input: &'a InvoiceInput,
    pub totals: &'a Totals,
}

impl InvoiceDoc<'_> {
    fn credit(&self) -> bool {
        self.input.document_type == DocumentType::CreditNote
    }
}

/// Lines shown in the mail body; the attachment has them all.
const MAX_MAIL_LINES: usize = 50;

/// The subject line.
pub fn subject(d: &InvoiceDoc) -> String {
    if d.credit() {
        format!(
            "返還請求書 {0} / Credit note {0} ({1})",
            d.number, d.input.seller.name
        )
    } else {
        format!(
            "請求書 {0} のご案内 / Invoice {0} from {1}",
            d.number, d.input.seller.name
        )
    }
}

/// The plain-text body.
pub fn text_body(d: &InvoiceDoc) -> String {
    let inv = d.input;
    let t = d.totals;
    let cur = &inv.currency;
    let amount = |v| amount(v, cur);
    let credit = d.credit();
    let mut s = String::new();
    let _ = writeln!(s, "{} 御中 / Dear {},\n", inv.buyer.name, inv.buyer.name);
    let _ = writeln!(s, "いつもお世話になっております。{}です。", inv.seller.name);
    if credit {
        let _ = writeln!(
            s,
            "下記のとおり返還請求書(クレジットノート)をお送りします。PDFと電子インボイスを添付しております。"
        );
        let _ = writeln!(
            s,
            "Please find our credit note below; the PDF and the e-invoice ({}) are attached.\n",
            format_name(d.format)
        );
    } else {
        let _ = writeln!(
            s,
            "下記のとおりご請求申し上げます。PDFと電子インボイスを添付しております。"
        );
        let _ = writeln!(
            s,
            "Please find our invoice below; the PDF and the e-invoice ({}) are attached.\n",
            format_name(d.format)
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
        d.number
    );
    let _ = writeln!(s, "発行日 / Issue date: {}", d.issue_date);
    if let Some(c) = d.credits {
        let _ = writeln!(s, "対象請求書 / Credits invoice: {c}");
    }
    if let Some(due) = d.due_date {
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
            amount(lt.net)
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
            amount(b.taxable),
            amount(b.tax)
        );
    }
    let _ = writeln!(s, "\n小計 (税抜) / Net: {} {cur}", amount(t.tax_exclusive));
    let _ = writeln!(s, "消費税 / Tax: {} {cur}", amount(t.tax_total));
    let _ = writeln!(s, "合計 (税込) / Total: {} {cur}", amount(t.tax_inclusive));
    if !credit {
        let _ = writeln!(s, "ご請求金額 / Amount due: {} {cur}", amount(t.payable));
        if let Some(lines) = bank_transfer_lines(inv, d.number) {
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

/// The HTML body: the same content as the text body, as a table.
pub fn html_body(d: &InvoiceDoc) -> String {
    let inv = d.input;
    let t = d.totals;
    let amount = |v| amount(v, &inv.currency);
    let cur = html_escape(&inv.currency);
    let e = html_escape;
    let credit = d.credit();
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
        e(d.number)
    );
    let _ = write!(
        h,
        "<tr><th align=\"left\">発行日 / Issue date</th><td>{}</td></tr>",
        d.issue_date
    );
    if let Some(due) = d.due_date {
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
            amount(lt.net)
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
            amount(b.taxable),
            amount(b.tax)
        );
    }
    let _ = write!(
        h,
        "</table><p>小計 (税抜) / Net: {} {cur}<br>消費税 / Tax: {} {cur}<br><strong>合計 (税込) / Total: {} {cur}</strong></p>",
        amount(t.tax_exclusive),
        amount(t.tax_total),
        amount(t.tax_inclusive)
    );
    if !credit {
        let _ = write!(
            h,
            "<p><strong>ご請求金額 / Amount due: {} {cur}</strong></p>",
            amount(t.payable)
        );
        if let Some(b) = &inv.seller.bank_account {
            let _ = write!(
                h,
                "<p>お振込先 / How to pay: {} {} {}<br>お振込の際は請求書番号 {} をご記入ください。/ Please quote it as the payment reference.</p>",
                e(b.bank_id.as_deref().unwrap_or("")),
                e(&b.account_id),
                e(b.account_name.as_deref().unwrap_or("")),
                e(d.number)
            );
        }
    }
    if t.breakdown.iter().any(|b| b.category.is_reduced()) {
        h.push_str("<p>※印は軽減税率対象品目です。/ ※ marks reduced-rate items.</p>");
    }
    let _ = write!(h, "<p>{}</p></body></html>", e(&inv.seller.name));
    h
}

/// The complete mail: text + HTML, the PDF attached as `{file_name(number, "pdf")}` and the UBL as
/// `{file_name(number, "xml")}` (`application/xml`).
pub fn mail(d: &InvoiceDoc, pdf: &[u8], ubl: &[u8], envelope: &Envelope) -> Vec<u8> {
    let subject = subject(d);
    let text = text_body(d);
    let html = html_body(d);
    Message {
        envelope,
        subject: &subject,
        text: &text,
        html: Some(html.as_bytes()),
        attachments: &[
            Attachment {
                content_type: "application/pdf",
                filename: file_name(d.number, "pdf"),
                bytes: pdf,
            },
            Attachment {
                content_type: "application/xml",
                filename: file_name(d.number, "xml"),
                bytes: ubl,
            },
        ],
    }
    .to_bytes()
}
