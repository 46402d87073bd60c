//! The small pieces every document shares: amounts, tax-rate labels, HTML escaping and the seller's
//! bank-transfer lines.

use rust_decimal::Decimal;
use seikyu_domain::calc::document_decimals;
use seikyu_domain::{InvoiceInput, TaxCategory};

/// THE one amount formatter for people: thousands separators and the currency's document decimals
/// (`calc::document_decimals(currency)`, i.e. the ISO 4217 minor unit capped at 2 as in e-invoices; 2 for
/// an unknown code). `1234567.5` EUR -> `1,234,567.50`; `16400` JPY -> `16,400`; BHD shows 2 decimals,
/// as its invoice does.
pub fn amount(value: Decimal, currency: &str) -> String {
    seikyu_domain::money::display(value, document_decimals(currency).unwrap_or(2))
}

/// THE one label of a tax rate, for the invoice mail and the receipt alike.
pub fn rate_label(category: TaxCategory, rate: Option<Decimal>) -> String {
    let r = rate.unwrap_or_default().normalize();
    match category {
        TaxCategory::S => format!("{r}% 対象 / standard rate"),
        TaxCategory::AA => format!("{r}% 対象 ※軽減税率 / reduced rate"),
        TaxCategory::E => "非課税 / exempt".into(),
        TaxCategory::Z => "0% / zero-rated".into(),
        TaxCategory::G => "輸出免税 / export".into(),
        TaxCategory::O => "不課税 / not subject to tax".into(),
    }
}

/// `s` safe inside HTML text and attribute values.
pub fn html_escape(s: &str) -> String {
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

/// The seller's bank account and the reference to quote, one line each (for invoices and reminders);
/// `None` when the seller gave no bank account.
pub fn bank_transfer_lines(inv: &InvoiceInput, number: &str) -> Option<Vec<String>> {
    let b = inv.seller.bank_account.as_ref()?;
    let mut lines = Vec::new();
    if let Some(bank) = &b.bank_id {
        lines.push(format!("金融機関・支店 / Bank: {bank}"));
    }
    lines.push(format!("口座 / Account: {}", b.account_id));
    if let Some(name) = &b.account_name {
        lines.push(format!("名義 / Holder: {name}"));
    }
    lines.push(match inv.payment_reference.as_deref() {
        // A payer code survives where banks cut the remitter name: it goes before the name.
        Some(code) if seikyu_banking::payer_code::is_valid(code) => format!(
            "お振込の際は、振込依頼人名の前に番号 {code} をご入力ください（例: {code} ﾔﾏﾀﾞｼﾖｳｼﾞ）。/ When you transfer, put {code} before your name as the remitter."
        ),
        Some(rf) if seikyu_banking::rf::parse(rf).is_some() => format!(
            "お振込の際は参照番号 {0} をご記入ください。/ Please quote the creditor reference {0}.",
            seikyu_banking::rf::grouped(rf)
        ),
        Some(other) => format!(
            "お振込の際は {other} をご記入ください。/ Please quote {other} as the payment reference."
        ),
        None => format!(
            "お振込の際は請求書番号 {number} をご記入ください。/ Please quote {number} as the payment reference."
        ),
    });
    Some(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    #[test]
    fn amounts_use_the_document_decimals() {
        assert_eq!(amount(d("16400"), "JPY"), "16,400");
        assert_eq!(amount(d("1234567.5"), "EUR"), "1,234,567.50");
        assert_eq!(amount(d("12345.678"), "BHD"), "12,345.68");
        assert_eq!(amount(d("-1000"), "JPY"), "-1,000");
        assert_eq!(amount(d("1.5"), "NOPE"), "1.50", "unknown code: 2 decimals");
    }

    #[test]
    fn one_label_per_category() {
        let cases = [
            (TaxCategory::S, Some(d("10.00")), "10% 対象 / standard rate"),
            (
                TaxCategory::AA,
                Some(d("8")),
                "8% 対象 ※軽減税率 / reduced rate",
            ),
            (TaxCategory::E, Some(d("0")), "非課税 / exempt"),
            (TaxCategory::Z, Some(d("0")), "0% / zero-rated"),
            (TaxCategory::G, Some(d("0")), "輸出免税 / export"),
            (TaxCategory::O, None, "不課税 / not subject to tax"),
            (TaxCategory::S, None, "0% 対象 / standard rate"),
        ];
        for (c, r, want) in cases {
            assert_eq!(rate_label(c, r), want, "{c:?}");
        }
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            html_escape(r#"<a href="x">&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(html_escape("株式会社"), "株式会社");
    }
}
