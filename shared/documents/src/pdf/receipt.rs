//! The receipt PDF (領収書 / 適格簡易請求書): what the HTML receipt shows, laid out on paper.

use rust_decimal::Decimal;
use serde::Serialize;

use super::{Meta, PdfError, Template, render};
use crate::format::amount;
use crate::receipt::{MAX_ITEMS, ReceiptDoc, is_qualified_registration, receipt_rate_label};

/// `data.json` of `receipt.typ`.
#[derive(Serialize)]
struct View {
    title: &'static str,
    number: String,
    heading: Vec<(String, String)>,
    recipient: String,
    honorific: &'static str,
    amount_label: &'static str,
    amount: String,
    lead: Vec<String>,
    facts: Vec<(String, String)>,
    items_title: &'static str,
    items: Vec<String>,
    rate_columns: [&'static str; 3],
    rates: Vec<RateView>,
    notes: Vec<String>,
    issuer: Vec<String>,
    footer: &'static str,
}

#[derive(Serialize)]
struct RateView {
    label: String,
    amount: String,
    tax: String,
}

/// The receipt as a PDF/A-3b document.
pub fn receipt(d: &ReceiptDoc) -> Result<Vec<u8>, PdfError> {
    let m = |v: Decimal| format!("{} {}", amount(v, d.currency), d.currency);
    let inv = d.invoice;
    let mut heading = vec![
        ("No.".to_string(), d.number.to_string()),
        ("発行日 / Date".into(), d.issue_date.to_string()),
    ];
    if let Some(prev) = d.replaces {
        heading.push(("再発行 / Replaces".into(), prev.to_string()));
    }
    let transaction = inv
        .period
        .as_ref()
        .and_then(|p| match (p.start, p.end) {
            (Some(s), Some(e)) if s != e => Some(format!("{s} – {e}")),
            (Some(s), _) => Some(s.to_string()),
            (None, Some(e)) => Some(e.to_string()),
            (None, None) => None,
        })
        .unwrap_or_else(|| inv.issue_date.to_string());
    let mut facts = vec![
        ("取引年月日 / Transaction date".to_string(), transaction),
        ("請求書 / Invoice".into(), d.invoice_number.to_string()),
    ];
    if let Some(method) = d.method {
        facts.push(("お支払方法 / Paid by".into(), method.to_string()));
    }
    facts.push(("お支払 / Payment".into(), d.payment.to_string()));
    let mut items: Vec<String> = inv
        .lines
        .iter()
        .take(MAX_ITEMS)
        .map(|l| {
            format!(
                "{}{}",
                l.name,
                if l.tax_category.is_reduced() {
                    " ※"
                } else {
                    ""
                }
            )
        })
        .collect();
    if inv.lines.len() > MAX_ITEMS {
        let more = inv.lines.len() - MAX_ITEMS;
        items.push(format!(
            "… 他 {more} 件 / and {more} more (see invoice {})",
            d.invoice_number
        ));
    }
    let mut notes = Vec::new();
    if d.replaces.is_some() {
        notes.push(format!(
            "本領収書は領収書 {0} に代わるものです。/ This receipt replaces receipt {0}.",
            d.replaces.unwrap_or_default()
        ));
    }
    if d.applied < d.invoice_payable && d.applied > Decimal::ZERO {
        notes.push("一部のお支払のため、税額は請求書の税率別内訳に応じて按分しています。/ A part payment: tax is shown in proportion to the invoice's tax by rate.".into());
    }
    if d.credit > Decimal::ZERO {
        notes.push(format!(
            "うち {0} は請求額を超えるお支払で、お客様の預り金(次回以降に充当または返金)です。/ {0} exceeds the amount due and is held as your credit.",
            m(d.credit)
        ));
    }
    if d.breakdown.iter().any(|b| b.category == "AA") {
        notes.push("※印は軽減税率対象品目です。/ ※ marks reduced-rate items.".into());
    }
    let mut issuer = vec![d.issuer_name.to_string()];
    if let Some(id) = d.issuer_registration {
        issuer.push(if is_qualified_registration(id) {
            format!("登録番号 / Registration number: {id}")
        } else {
            format!("VAT ID: {id}")
        });
    }
    let seller = &inv.seller.address;
    let place: Vec<&str> = [&seller.postal_code, &seller.city, &seller.street]
        .iter()
        .filter_map(|s| s.as_deref())
        .collect();
    if !place.is_empty() {
        issuer.push(place.join(" "));
    }
    let view = View {
        title: "領収書 / Receipt",
        number: d.number.to_string(),
        heading,
        recipient: d.recipient.to_string(),
        honorific: "様",
        amount_label: "金額 / Amount received",
        amount: m(d.amount),
        lead: vec![
            format!("但し / For: {}", d.purpose),
            "上記正に領収いたしました。/ Received with thanks.".into(),
        ],
        facts,
        items_title: "取引内容 / Items",
        items,
        rate_columns: [
            "税率 / Rate",
            "金額(税込) / Incl. tax",
            "うち消費税等 / Tax",
        ],
        rates: d
            .breakdown
            .iter()
            .map(|b| RateView {
                label: receipt_rate_label(b.category, b.rate),
                amount: m(b.amount),
                tax: m(b.tax),
            })
            .collect(),
        notes,
        issuer,
        footer: "電子的に発行された領収書のため収入印紙は不要です。/ Issued electronically; no revenue stamp is required.",
    };
    let meta = Meta {
        ident: format!(
            "{}/{}",
            d.issuer_registration.unwrap_or(d.issuer_name),
            d.number
        ),
        date: d.issue_date,
    };
    render(Template::Receipt, &view, Vec::new(), &meta)
}
