//! The invoice and credit-note PDF: its view built from the UBL it embeds.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use seikyu_domain::calc::{Totals, compute_with};
use seikyu_domain::{
    Address, AllowanceCharge, ChargeKind, DocumentType, Format, InvoiceInput, Line, Period,
    RoundingMode, TaxCategory,
};
use seikyu_einvoice::{ReadDocument, StatedTotals, read};
use serde::Serialize;

use super::{Meta, PdfError, Template, render};
use crate::format::{amount, bank_transfer_lines};
use crate::mime::file_name;

/// The PDF of a UBL invoice or credit note, with that UBL embedded byte for byte (relationship
/// Alternative). PINT JP documents get the Japanese layout, Peppol BIS documents the English one.
pub fn invoice(ubl: &[u8]) -> Result<Vec<u8>, PdfError> {
    let xml = std::str::from_utf8(ubl).map_err(|e| PdfError::Ubl(e.to_string()))?;
    let doc = read(xml).map_err(|e| PdfError::Ubl(e.to_string()))?;
    let totals = consistent(&doc)?;
    let inv = &doc.invoice;
    let number = inv.number.clone().unwrap_or_default();
    let view = match inv.format {
        Some(Format::PeppolBis3) => english(inv, &number, &totals, &doc.totals),
        _ => japanese(inv, &number, &totals, &doc.totals),
    };
    let seller = inv
        .seller
        .tax_id
        .as_deref()
        .unwrap_or(inv.seller.name.as_str());
    let meta = Meta {
        ident: format!("{seller}/{number}"),
        date: inv.issue_date,
    };
    render(Template::Invoice, &view, ubl.to_vec(), &meta)
}

/// The totals recomputed from the document's lines, after checking that they are the ones it states
/// (line nets are printed from the recomputation; everything else from the statement). A UBL does not
/// say how its tax was rounded: the statement must match one of the three modes, the seller's default
/// first.
fn consistent(doc: &ReadDocument) -> Result<Totals, PdfError> {
    let inv = &doc.invoice;
    let decimals = seikyu_domain::calc::document_decimals(&inv.currency)
        .map_err(|e| PdfError::Inconsistent(e.to_string()))?;
    let first = inv.resolved_rounding();
    let modes = [
        first,
        RoundingMode::Floor,
        RoundingMode::HalfUp,
        RoundingMode::Ceiling,
    ];
    let mut why = String::new();
    for mode in modes {
        let t =
            compute_with(inv, decimals, mode).map_err(|e| PdfError::Inconsistent(e.to_string()))?;
        match differences(&t, &doc.totals) {
            None => return Ok(t),
            Some(d) if mode == first => why = d,
            Some(_) => {}
        }
    }
    Err(PdfError::Inconsistent(why))
}

/// The first stated figure that differs from `t`.
fn differences(t: &Totals, s: &StatedTotals) -> Option<String> {
    let checks = [
        ("line total", t.line_total, s.line_total),
        ("tax exclusive", t.tax_exclusive, s.tax_exclusive),
        ("tax", t.tax_total, s.tax_total),
        ("tax inclusive", t.tax_inclusive, s.tax_inclusive),
        ("payable", t.payable, s.payable),
    ];
    for (what, computed, stated) in checks {
        if computed != stated {
            return Some(format!("{what}: stated {stated}, lines give {computed}"));
        }
    }
    let rows: Vec<Row> = t
        .breakdown
        .iter()
        .map(|b| (b.category, b.rate, b.taxable, b.tax))
        .collect();
    (!same_rows(&rows, &s.breakdown)).then(|| "tax breakdown".to_string())
}

type Row = (TaxCategory, Option<Decimal>, Decimal, Decimal);

fn same_rows(a: &[Row], b: &[Row]) -> bool {
    let key = |r: &Row| (r.0.code(), r.1.map(|d| d.normalize()), r.2, r.3);
    let mut a: Vec<_> = a.iter().map(key).collect();
    let mut b: Vec<_> = b.iter().map(key).collect();
    a.sort();
    b.sort();
    a == b
}

/// `data.json` of `invoice.typ`: labels and values, all text.
#[derive(Serialize)]
struct View {
    lang: &'static str,
    title: String,
    number: String,
    heading: Vec<(String, String)>,
    buyer: Party,
    seller: Party,
    lead: Option<String>,
    amount_due_label: String,
    amount_due: String,
    amount_due_note: String,
    facts: Vec<(String, String)>,
    columns: [&'static str; 6],
    lines: Vec<LineView>,
    reduced_note: Option<&'static str>,
    adjustments: Vec<String>,
    rate_columns: [&'static str; 3],
    rates: Vec<RateView>,
    totals: Vec<(String, String)>,
    payment_title: &'static str,
    payment: Vec<String>,
    notes_title: &'static str,
    notes: Vec<String>,
    attachment: String,
    attachment_description: String,
}

#[derive(Serialize, Default)]
struct Party {
    name: String,
    honorific: &'static str,
    address: Vec<String>,
    extra: Vec<String>,
    ids: Vec<String>,
    contact: Vec<String>,
}

#[derive(Serialize)]
struct LineView {
    no: String,
    name: String,
    mark: &'static str,
    details: Vec<String>,
    quantity: String,
    price: String,
    amount: String,
    rate: String,
}

#[derive(Serialize)]
struct RateView {
    label: String,
    base: String,
    tax: String,
}

fn jp_date(d: NaiveDate) -> String {
    use chrono::Datelike as _;
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

fn en_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// An amount as a person reads it: `¥1,320,000` for yen in the Japanese layout, else `1,234.50 EUR`.
fn money(value: Decimal, currency: &str, lang: &str) -> String {
    if lang == "ja" && currency == "JPY" {
        let s = amount(value, currency);
        match s.strip_prefix('-') {
            Some(rest) => format!("-¥{rest}"),
            None => format!("¥{s}"),
        }
    } else {
        format!("{} {currency}", amount(value, currency))
    }
}

/// A unit price with every decimal it has (at least the currency's).
fn price(value: Decimal, currency: &str, lang: &str) -> String {
    let decimals = seikyu_domain::calc::document_decimals(currency).unwrap_or(2);
    let shown = seikyu_domain::money::display(value, value.normalize().scale().max(decimals));
    if lang == "ja" && currency == "JPY" {
        format!("¥{shown}")
    } else {
        shown
    }
}

fn period_text(p: &Period, date: fn(NaiveDate) -> String, sep: &str) -> Option<String> {
    match (p.start, p.end) {
        (Some(s), Some(e)) if s != e => Some(format!("{}{sep}{}", date(s), date(e))),
        (Some(s), _) => Some(date(s)),
        (None, Some(e)) => Some(date(e)),
        (None, None) => None,
    }
}

fn quantity(l: &Line, lang: &str) -> String {
    let q = l.quantity.normalize().to_string();
    let unit = match (lang, l.unit_code.as_str()) {
        (_, "C62" | "EA") => "",
        ("ja", "H87") => "個",
        ("ja", "HUR") => "時間",
        ("ja", "DAY") => "日",
        ("ja", "MON") => "か月",
        ("ja", "SET") => "式",
        ("en", "H87") => "pcs",
        ("en", "HUR") => "h",
        ("en", "DAY") => "days",
        ("en", "MON") => "months",
        ("en", "SET") => "sets",
        (_, "KGM") => "kg",
        (_, "MTR") => "m",
        (_, "LTR") => "l",
        (_, code) => code,
    };
    if unit.is_empty() {
        q
    } else {
        format!("{q} {unit}")
    }
}

fn rate_short(c: TaxCategory, rate: Option<Decimal>, lang: &str) -> String {
    let r = rate.unwrap_or_default().normalize();
    match (lang, c) {
        ("ja", TaxCategory::S) => format!("{r}%"),
        ("ja", TaxCategory::AA) => format!("{r}%※"),
        ("ja", TaxCategory::E) => "非課税".into(),
        ("ja", TaxCategory::Z) => "0%".into(),
        ("ja", TaxCategory::G) => "輸出免税".into(),
        ("ja", TaxCategory::O) => "不課税".into(),
        (_, TaxCategory::O) => "not subject".into(),
        (_, TaxCategory::E) => format!("{} exempt", c.code()),
        (_, c) => format!("{} {r}%", c.code()),
    }
}

fn rate_long(c: TaxCategory, rate: Option<Decimal>, lang: &str) -> String {
    let r = rate.unwrap_or_default().normalize();
    match (lang, c) {
        ("ja", TaxCategory::S) => format!("{r}%対象"),
        ("ja", TaxCategory::AA) => format!("{r}%対象(軽減税率)※"),
        ("ja", _) => rate_short(c, rate, lang),
        (_, TaxCategory::S) => format!("S standard {r}%"),
        (_, TaxCategory::AA) => format!("AA lower rate {r}%"),
        (_, TaxCategory::Z) => "Z zero rated 0%".into(),
        (_, TaxCategory::E) => "E exempt".into(),
        (_, TaxCategory::G) => "G export 0%".into(),
        (_, TaxCategory::O) => "O not subject to VAT".into(),
    }
}

fn address_ja(a: &Address) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(p) = &a.postal_code {
        out.push(format!("〒{p}"));
    }
    let street: String = [&a.subdivision, &a.city, &a.street]
        .iter()
        .filter_map(|s| s.as_deref())
        .collect::<Vec<_>>()
        .join("");
    if !street.is_empty() {
        out.push(street);
    }
    if let Some(x) = &a.additional_street {
        out.push(x.clone());
    }
    if a.country != "JP" {
        out.push(a.country.clone());
    }
    out
}

fn address_en(a: &Address) -> Vec<String> {
    let mut out: Vec<String> = [&a.street, &a.additional_street]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let city: Vec<&str> = [&a.postal_code, &a.city]
        .iter()
        .filter_map(|s| s.as_deref())
        .collect();
    if !city.is_empty() {
        out.push(city.join(" "));
    }
    if let Some(s) = &a.subdivision {
        out.push(s.clone());
    }
    out.push(a.country.clone());
    out
}

fn contact(c: Option<&seikyu_domain::Contact>, labels: [&str; 3]) -> Vec<String> {
    let Some(c) = c else { return Vec::new() };
    [
        (&c.name, labels[0]),
        (&c.phone, labels[1]),
        (&c.email, labels[2]),
    ]
    .iter()
    .filter_map(|(v, l)| v.as_deref().map(|v| format!("{l}{v}")))
    .collect()
}

fn line_views(
    inv: &InvoiceInput,
    t: &Totals,
    lang: &'static str,
    date: fn(NaiveDate) -> String,
) -> Vec<LineView> {
    let (period_label, note_label) = if lang == "ja" {
        ("期間: ", "")
    } else {
        ("Period: ", "")
    };
    inv.lines
        .iter()
        .zip(&t.lines)
        .enumerate()
        .map(|(i, (l, lt))| {
            let mut details = Vec::new();
            if let Some(d) = &l.description {
                details.push(d.clone());
            }
            if let Some(p) = l.period.as_ref().and_then(|p| period_text(p, date, " – ")) {
                details.push(format!("{period_label}{p}"));
            }
            for ac in &l.allowances_charges {
                details.push(adjustment(ac, &inv.currency, lang));
            }
            if let Some(n) = &l.note {
                details.push(format!("{note_label}{n}"));
            }
            LineView {
                no: l.id.clone().unwrap_or_else(|| (i + 1).to_string()),
                name: l.name.clone(),
                mark: if lang == "ja" && l.tax_category.is_reduced() {
                    " ※"
                } else {
                    ""
                },
                details,
                quantity: quantity(l, lang),
                price: price(*l.unit_price, &inv.currency, lang),
                amount: money(lt.net, &inv.currency, lang),
                rate: rate_short(l.tax_category, l.tax_rate.map(|r| *r), lang),
            }
        })
        .collect()
}

/// One allowance or charge as a line of text, e.g. `値引 (年間契約) -¥1,000`.
fn adjustment(ac: &AllowanceCharge, currency: &str, lang: &str) -> String {
    let allowance = ac.kind == ChargeKind::Allowance;
    let label = match (lang, allowance) {
        ("ja", true) => "値引",
        ("ja", false) => "追加料金",
        (_, true) => "Allowance",
        (_, false) => "Charge",
    };
    let reason = ac
        .reason
        .as_deref()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default();
    let value = ac
        .amount
        .map(|a| money(if allowance { -*a } else { *a }, currency, lang))
        .unwrap_or_default();
    let percent = ac
        .percent
        .map(|p| format!(" ({}%)", p.normalize()))
        .unwrap_or_default();
    format!("{label}{reason} {value}{percent}")
}

fn rate_views(s: &StatedTotals, currency: &str, lang: &str) -> Vec<RateView> {
    s.breakdown
        .iter()
        .map(|(c, r, taxable, tax)| RateView {
            label: rate_long(*c, *r, lang),
            base: money(*taxable, currency, lang),
            tax: money(*tax, currency, lang),
        })
        .collect()
}

fn is_t_number(id: &str) -> bool {
    id.len() == 14
        && id
            .strip_prefix('T')
            .is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()))
}

fn japanese(inv: &InvoiceInput, number: &str, t: &Totals, s: &StatedTotals) -> View {
    let lang = "ja";
    let cur = inv.currency.as_str();
    let m = |v: Decimal| money(v, cur, lang);
    let credit = inv.document_type == DocumentType::CreditNote;
    let qualified = inv.seller.tax_id.as_deref().is_some_and(is_t_number);
    let title = match (credit, qualified) {
        (false, true) => "適格請求書",
        (false, false) => "請求書",
        (true, true) => "適格返還請求書",
        (true, false) => "返還請求書",
    };
    let mut heading = vec![
        (
            if credit { "番号" } else { "請求書番号" }.to_string(),
            number.to_string(),
        ),
        ("発行日".into(), jp_date(inv.issue_date)),
    ];
    if let Some(due) = inv.due_date {
        heading.push(("お支払期限".into(), jp_date(due)));
    }
    if let Some(p) = &inv.preceding_invoice {
        let date = p
            .issue_date
            .map(|d| format!(" ({}発行)", jp_date(d)))
            .unwrap_or_default();
        heading.push(("対象請求書".into(), format!("{}{date}", p.number)));
    }
    let mut facts = Vec::new();
    if let Some(p) = inv
        .period
        .as_ref()
        .and_then(|p| period_text(p, jp_date, "〜"))
    {
        facts.push(("取引期間".into(), p));
    }
    if let Some(d) = inv.delivery_date {
        facts.push(("取引日".into(), jp_date(d)));
    }
    if facts.is_empty() && inv.lines.iter().all(|l| l.period.is_none()) {
        // The qualified-invoice rules want the transaction date: without a period or delivery date
        // it is the issue date.
        facts.push(("取引日".into(), jp_date(inv.issue_date)));
    }
    let references = [
        ("貴社参照番号", &inv.buyer_reference),
        ("注文番号", &inv.order_reference),
        ("契約番号", &inv.contract_reference),
        ("お支払条件", &inv.payment_terms),
    ];
    for (label, value) in references {
        if let Some(v) = value {
            facts.push((label.into(), v.clone()));
        }
    }
    let mut totals = vec![("小計(税抜)".to_string(), m(s.line_total))];
    if let Some(a) = s.allowance_total.filter(|a| !a.is_zero()) {
        totals.push(("値引".into(), m(-a)));
    }
    if let Some(c) = s.charge_total.filter(|c| !c.is_zero()) {
        totals.push(("追加料金".into(), m(c)));
    }
    totals.push(("消費税等".into(), m(s.tax_total)));
    totals.push(("合計(税込)".into(), m(s.tax_inclusive)));
    if let Some(p) = s.prepaid.filter(|p| !p.is_zero()) {
        totals.push(("お支払済".into(), m(-p)));
    }
    totals.push((
        if credit {
            "返還金額"
        } else {
            "ご請求金額"
        }
        .into(),
        m(s.payable),
    ));
    let mut ids = Vec::new();
    if let Some(id) = &inv.seller.tax_id {
        ids.push(if is_t_number(id) {
            format!("登録番号: {id}")
        } else {
            format!("税務登録番号: {id}")
        });
    }
    let mut notes = Vec::new();
    if let Some(n) = &inv.note {
        notes.extend(n.lines().map(str::to_string));
    }
    View {
        lang,
        title: title.into(),
        number: number.into(),
        heading,
        buyer: Party {
            name: inv.buyer.name.clone(),
            honorific: "御中",
            address: address_ja(&inv.buyer.address),
            extra: contact(inv.buyer.contact.as_ref(), ["ご担当: ", "TEL: ", ""])
                .into_iter()
                .take(1)
                .map(|c| format!("{c} 様"))
                .collect(),
            ..Party::default()
        },
        seller: Party {
            name: inv.seller.name.clone(),
            honorific: "",
            address: address_ja(&inv.seller.address),
            ids,
            contact: contact(inv.seller.contact.as_ref(), ["担当: ", "TEL: ", "Email: "]),
            extra: Vec::new(),
        },
        lead: Some(
            if credit {
                "下記のとおり返還いたします。"
            } else {
                "下記のとおりご請求申し上げます。"
            }
            .into(),
        ),
        amount_due_label: if credit {
            "返還金額"
        } else {
            "ご請求金額"
        }
        .into(),
        amount_due: m(s.payable),
        amount_due_note: "(税込)".into(),
        facts,
        columns: ["No.", "品目", "数量", "単価", "金額(税抜)", "税率"],
        lines: line_views(inv, t, lang, jp_date),
        reduced_note: inv
            .lines
            .iter()
            .any(|l| l.tax_category.is_reduced())
            .then_some("※は軽減税率対象品目です。"),
        adjustments: inv
            .allowances_charges
            .iter()
            .map(|ac| adjustment(ac, cur, lang))
            .collect(),
        rate_columns: ["税率区分", "対象額(税抜)", "消費税額"],
        rates: rate_views(s, cur, lang),
        totals,
        payment_title: "お振込先",
        payment: if credit {
            Vec::new()
        } else {
            bank_transfer_lines(inv, number).unwrap_or_default()
        },
        notes_title: "備考",
        notes,
        attachment: file_name(number, "xml"),
        attachment_description: "適格請求書 電子インボイス (Peppol PINT JP, UBL 2.1)".into(),
    }
}

fn english(inv: &InvoiceInput, number: &str, t: &Totals, s: &StatedTotals) -> View {
    let lang = "en";
    let cur = inv.currency.as_str();
    let m = |v: Decimal| money(v, cur, lang);
    let credit = inv.document_type == DocumentType::CreditNote;
    let mut heading = vec![
        (
            if credit {
                "Credit note number"
            } else {
                "Invoice number"
            }
            .to_string(),
            number.to_string(),
        ),
        ("Issue date".into(), en_date(inv.issue_date)),
    ];
    if let Some(due) = inv.due_date {
        heading.push(("Due date".into(), en_date(due)));
    }
    if let Some(p) = &inv.preceding_invoice {
        let date = p
            .issue_date
            .map(|d| format!(" of {}", en_date(d)))
            .unwrap_or_default();
        heading.push(("Credits invoice".into(), format!("{}{date}", p.number)));
    }
    let mut facts = Vec::new();
    if let Some(p) = inv
        .period
        .as_ref()
        .and_then(|p| period_text(p, en_date, " – "))
    {
        facts.push(("Invoicing period".into(), p));
    }
    if let Some(d) = inv.delivery_date {
        facts.push(("Delivery date".into(), en_date(d)));
    }
    let references = [
        ("Buyer reference", &inv.buyer_reference),
        ("Order reference", &inv.order_reference),
        ("Contract reference", &inv.contract_reference),
        ("Payment terms", &inv.payment_terms),
    ];
    for (label, value) in references {
        if let Some(v) = value {
            facts.push((label.into(), v.clone()));
        }
    }
    let mut totals = vec![("Sum of line net amounts".to_string(), m(s.line_total))];
    if let Some(a) = s.allowance_total.filter(|a| !a.is_zero()) {
        totals.push(("Allowances".into(), m(-a)));
    }
    if let Some(c) = s.charge_total.filter(|c| !c.is_zero()) {
        totals.push(("Charges".into(), m(c)));
    }
    totals.push(("Total without VAT".into(), m(s.tax_exclusive)));
    totals.push(("VAT".into(), m(s.tax_total)));
    if let Some(tc) = &inv.tax_currency
        && let Some(v) = s.tax_total_in_tax_currency
    {
        totals.push((format!("VAT in {}", tc.code), money(v, &tc.code, lang)));
    }
    totals.push(("Total with VAT".into(), m(s.tax_inclusive)));
    if let Some(p) = s.prepaid.filter(|p| !p.is_zero()) {
        totals.push(("Paid".into(), m(-p)));
    }
    totals.push(("Amount due".into(), m(s.payable)));
    let party_ids = |tax: &Option<String>, legal: Option<&seikyu_domain::Identifier>| {
        let mut ids = Vec::new();
        if let Some(v) = tax {
            ids.push(format!("VAT ID: {v}"));
        }
        if let Some(l) = legal {
            ids.push(format!("Registration: {}", l.id));
        }
        ids
    };
    let mut payment = Vec::new();
    if !credit && let Some(b) = &inv.seller.bank_account {
        payment.push(format!("Account (IBAN): {}", b.account_id));
        if let Some(bic) = &b.bank_id {
            payment.push(format!("Bank (BIC): {bic}"));
        }
        if let Some(n) = &b.account_name {
            payment.push(format!("Account name: {n}"));
        }
        let reference = inv.payment_reference.as_deref().unwrap_or(number);
        let shown = match seikyu_banking::rf::parse(reference) {
            Some(_) => seikyu_banking::rf::grouped(reference),
            None => reference.to_string(),
        };
        payment.push(format!("Payment reference: {shown}"));
    }
    View {
        lang,
        title: if credit { "Credit note" } else { "Invoice" }.into(),
        number: number.into(),
        heading,
        buyer: Party {
            name: inv.buyer.name.clone(),
            honorific: "",
            address: address_en(&inv.buyer.address),
            extra: party_ids(&inv.buyer.tax_id, inv.buyer.legal_id.as_ref()),
            ..Party::default()
        },
        seller: Party {
            name: inv.seller.name.clone(),
            honorific: "",
            address: address_en(&inv.seller.address),
            ids: party_ids(&inv.seller.tax_id, inv.seller.legal_id.as_ref()),
            contact: contact(
                inv.seller.contact.as_ref(),
                ["Contact: ", "Phone: ", "Email: "],
            ),
            extra: Vec::new(),
        },
        lead: None,
        amount_due_label: if credit {
            "Amount credited"
        } else {
            "Amount due"
        }
        .into(),
        amount_due: m(s.payable),
        amount_due_note: "(VAT included)".into(),
        facts,
        columns: ["#", "Item", "Quantity", "Unit price", "Net amount", "VAT"],
        lines: line_views(inv, t, lang, en_date),
        reduced_note: None,
        adjustments: inv
            .allowances_charges
            .iter()
            .map(|ac| adjustment(ac, cur, lang))
            .collect(),
        rate_columns: ["VAT category", "Taxable amount", "VAT amount"],
        rates: rate_views(s, cur, lang),
        totals,
        payment_title: "Payment",
        payment,
        notes_title: "Notes",
        notes: inv
            .note
            .as_deref()
            .map(|n| n.lines().map(str::to_string).collect())
            .unwrap_or_default(),
        attachment: file_name(number, "xml"),
        attachment_description: "Peppol BIS Billing 3.0 e-invoice (UBL 2.1)".into(),
    }
}
