//! Currencies, minor units and rounding. Money is `rust_decimal::Decimal`, never a float.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::codes;
use crate::model::RoundingMode;

/// ISO 4217 codes that are not money one invoices or pays in: precious metals (XAU, XAG, XPD, XPT), bond
/// market and fund units (XBA-XBD, XDR, XSU, XUA), the testing code XTS and "no currency" XXX.
pub const NOT_MONEY: [&str; 13] = [
    "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS", "XUA", "XXX",
];

/// Whether Seikyu invoices and takes payments in `currency`: an ISO 4217 code, except [`NOT_MONEY`].
pub fn is_money(currency: &str) -> bool {
    codes::is_currency(currency) && !NOT_MONEY.contains(&currency)
}

/// Decimal places of a currency's minor unit per ISO 4217 (list one, as amended). Most currencies have
/// two; the exceptions are listed. `None` for a code that is not money Seikyu handles ([`is_money`]).
pub fn minor_units(currency: &str) -> Option<u32> {
    if !is_money(currency) {
        return None;
    }
    Some(match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        "CLF" | "UYW" => 4,
        _ => 2,
    })
}

/// Amounts in EN 16931 and PINT documents carry at most two decimals (BR-DEC-*, ibr-091..125), whatever
/// the currency. For a three-decimal currency such as BHD an e-invoice is therefore computed to 0.01.
pub const E_INVOICE_MAX_DECIMALS: u32 = 2;

/// Round `value` to `decimals` places with the seller's tax rounding mode (applied to the magnitude).
pub fn round_tax(value: Decimal, decimals: u32, mode: RoundingMode) -> Decimal {
    let strategy = match mode {
        RoundingMode::Floor => RoundingStrategy::ToZero,
        RoundingMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
        RoundingMode::Ceiling => RoundingStrategy::AwayFromZero,
    };
    value.round_dp_with_strategy(decimals, strategy)
}

/// Commercial rounding for line and allowance amounts: to nearest, halves away from zero.
pub fn round_amount(value: Decimal, decimals: u32) -> Decimal {
    value.round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero)
}

/// `value` written with exactly `decimals` places (e.g. `100.50`, `1500`), as documents show amounts.
pub fn fixed(value: Decimal, decimals: u32) -> Decimal {
    let mut v = value;
    v.rescale(decimals);
    v
}

/// An amount as the JSON API and the bus events carry it: a decimal string without trailing zeros
/// (`1500`, `100.5`). One rule for every view, so a client never sees `100.50` in one place and `100.5`
/// in another.
pub fn plain(value: Decimal) -> String {
    value.normalize().to_string()
}

/// `value` for people: the document's decimals and thousands separators (`1,234,567.50`, `-1,000`).
pub fn display(value: Decimal, decimals: u32) -> String {
    let s = fixed(value, decimals).to_string();
    let (sign, s) = s.strip_prefix('-').map_or(("", s.as_str()), |r| ("-", r));
    let (int, frac) = s.split_once('.').map_or((s, None), |(i, f)| (i, Some(f)));
    let mut out = String::with_capacity(s.len() + s.len() / 3 + 2);
    out.push_str(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("test literal")
    }

    #[test]
    fn minor_units_follow_iso_4217() {
        assert_eq!(minor_units("JPY"), Some(0));
        assert_eq!(minor_units("EUR"), Some(2));
        assert_eq!(minor_units("USD"), Some(2));
        assert_eq!(minor_units("BHD"), Some(3));
        assert_eq!(minor_units("KWD"), Some(3));
        assert_eq!(minor_units("XXQ"), None);
        for not_money in NOT_MONEY {
            assert!(codes::is_currency(not_money), "{not_money} is in ISO 4217");
            assert_eq!(minor_units(not_money), None, "{not_money}");
        }
        assert_eq!(minor_units("XOF"), Some(0), "the CFA franc is money");
    }

    #[test]
    fn rounding_modes_act_on_magnitude() {
        let cases = [
            ("31.5", RoundingMode::Floor, "31"),
            ("31.5", RoundingMode::HalfUp, "32"),
            ("31.4", RoundingMode::HalfUp, "31"),
            ("31.1", RoundingMode::Ceiling, "32"),
            ("-31.5", RoundingMode::Floor, "-31"),
            ("-31.5", RoundingMode::HalfUp, "-32"),
            ("-31.1", RoundingMode::Ceiling, "-32"),
            ("31", RoundingMode::Ceiling, "31"),
        ];
        for (v, mode, want) in cases {
            assert_eq!(round_tax(d(v), 0, mode), d(want), "{v} {mode:?}");
        }
        assert_eq!(round_tax(d("1.2345"), 3, RoundingMode::HalfUp), d("1.235"));
    }

    #[test]
    fn display_groups_thousands() {
        assert_eq!(display(d("1234567.5"), 2), "1,234,567.50");
        assert_eq!(display(d("346"), 0), "346");
        assert_eq!(display(d("-1000"), 0), "-1,000");
        assert_eq!(display(d("999"), 0), "999");
    }

    #[test]
    fn fixed_pads_and_keeps_value() {
        assert_eq!(fixed(d("100.5"), 2).to_string(), "100.50");
        assert_eq!(fixed(d("1500"), 0).to_string(), "1500");
    }
}
