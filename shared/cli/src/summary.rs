//! Human-readable totals for the terminal.

use rust_decimal::Decimal;
use seikyu_domain::validate::format_name;
use seikyu_domain::{DocumentType, InvoiceInput, TaxCategory, Totals};

/// `1234567.5` -> `1,234,567.50` with the document's decimals.
pub fn money(v: Decimal, decimals: u32) -> String {
    seikyu_domain::money::display(v, decimals)
}

fn category_label(c: TaxCategory, rate: Option<Decimal>) -> String {
    match (c, rate) {
        (TaxCategory::AA, Some(r)) => format!("{}% reduced ※", r.normalize()),
        (TaxCategory::S, Some(r)) => format!("{}% standard", r.normalize()),
        (TaxCategory::E, _) => "exempt (非課税)".into(),
        (TaxCategory::Z, _) => "zero-rated".into(),
        (TaxCategory::G, _) => "export (免税)".into(),
        (TaxCategory::O, _) => "not subject (不課税)".into(),
        // Refused by validation before a summary is printed; named plainly all the same.
        (c, None) => format!("{} without a rate", c.code()),
    }
}

/// A few lines: number, format, per-rate tax, totals, due date.
pub fn totals(invoice: &InvoiceInput, t: &Totals) -> String {
    let d = t.decimals;
    let cur = &invoice.currency;
    let kind = match invoice.document_type {
        DocumentType::Invoice => "invoice",
        DocumentType::CreditNote => "credit note",
    };
    let mut s = format!(
        "{} {kind} {} for {} ({}, {} line(s))\n",
        format_name(invoice.resolved_format()),
        invoice.number.as_deref().unwrap_or("(unnumbered)"),
        invoice.buyer.name,
        cur,
        invoice.lines.len()
    );
    for b in &t.breakdown {
        s.push_str(&format!(
            "  {:<22} taxable {:>18}  tax {:>16}\n",
            category_label(b.category, b.rate),
            money(b.taxable, d),
            money(b.tax, d)
        ));
    }
    s.push_str(&format!(
        "  {:<22} {:>26}\n",
        "net (tax exclusive)",
        money(t.tax_exclusive, d)
    ));
    s.push_str(&format!("  {:<22} {:>26}\n", "tax", money(t.tax_total, d)));
    if let Some((code, fx)) = &t.tax_total_in_tax_currency {
        let fd = seikyu_domain::calc::document_decimals(code).unwrap_or(2);
        s.push_str(&format!(
            "  {:<22} {:>26}\n",
            format!("tax in {code}"),
            money(*fx, fd)
        ));
    }
    s.push_str(&format!(
        "  {:<22} {:>26}\n",
        "total",
        money(t.tax_inclusive, d)
    ));
    if !t.prepaid.is_zero() {
        s.push_str(&format!(
            "  {:<22} {:>26}\n",
            "prepaid",
            money(t.prepaid, d)
        ));
    }
    s.push_str(&format!(
        "  {:<22} {:>26}{}\n",
        "amount due",
        money(t.payable, d),
        invoice
            .due_date
            .map(|x| format!("  by {x}"))
            .unwrap_or_default()
    ));
    s
}
