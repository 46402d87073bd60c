//! Random invoices for the cross-check: the parties of the valid fixtures (so every country and
//! cross-border pair the fixtures know is covered, and new fixtures widen it) with random formats,
//! currencies, tax categories and rates, quantities and prices of every precision, line and document
//! allowances and charges, prepaid amounts, tax currencies, credit notes, periods and references.
//!
//! Many generated inputs are refused by Seikyu (a category a format does not have, a rate a country does
//! not use): the cross-check asks only that every input Seikyu accepts yields a document the official
//! rules accept. Deterministic for a seed.

use serde_json::{Value, json};

/// SplitMix64: small, fast, and the same numbers for the same seed on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// 0..n (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// A decimal string with up to `places` decimal places below `max_int` (integer part).
fn decimal(rng: &mut Rng, max_int: u64, places: u32) -> String {
    let int = match rng.below(10) {
        0 => 0,
        1..=6 => rng.below(max_int.min(1000)),
        _ => rng.below(max_int),
    };
    let places = rng.below(u64::from(places) + 1) as u32;
    if places == 0 {
        return int.to_string();
    }
    let frac = rng.below(10u64.pow(places));
    format!("{int}.{frac:0width$}", width = places as usize)
}

/// The parties of the valid fixtures: (seller, buyer, format the fixture used).
pub fn parties() -> Vec<(Value, Value, Option<Value>)> {
    crate::fixtures("valid")
        .into_iter()
        .filter_map(|p| {
            let v: Value = serde_json::from_slice(&std::fs::read(&p).ok()?).ok()?;
            Some((
                v.get("seller")?.clone(),
                v.get("buyer")?.clone(),
                v.get("format").cloned(),
            ))
        })
        .collect()
}

const UNITS: [&str; 6] = ["C62", "H87", "HUR", "DAY", "KGM", "MON"];
const EU_RATES: [&str; 10] = ["25", "24", "21", "20", "19", "17", "12", "10", "6", "5.5"];

/// One random invoice body (JSON), built around a seller and a buyer from `parties`.
pub fn invoice(rng: &mut Rng, parties: &[(Value, Value, Option<Value>)], n: usize) -> Value {
    let (seller, _, format) = rng.pick(parties).clone();
    let within_fixture = rng.chance(60);
    // Sometimes the buyer of another fixture: cross-border pairs.
    let buyer = if !within_fixture {
        rng.pick(parties).1.clone()
    } else {
        parties
            .iter()
            .find(|(s, _, _)| *s == seller)
            .map(|(_, b, _)| b.clone())
            .unwrap_or_else(|| rng.pick(parties).1.clone())
    };
    let seller_jp = seller["address"]["country"] == "JP";
    let format = match (seller_jp, rng.below(3)) {
        (true, 0) => Some(json!("peppol_bis3")),
        (true, _) => format.filter(|_| rng.chance(50)),
        (false, _) => Some(json!("peppol_bis3")),
    };
    let pint = seller_jp && format.as_ref().is_none_or(|f| f == "pint_jp");
    let currency = if pint {
        *rng.pick(&["JPY", "JPY", "JPY", "USD", "EUR"])
    } else {
        *rng.pick(&[
            "EUR", "EUR", "EUR", "USD", "GBP", "SEK", "DKK", "NOK", "JPY", "CHF", "BHD", "KWD",
        ])
    };
    // e-invoices show at most two places, whatever the currency (BHD and KWD have three).
    let places = if currency == "JPY" { 0 } else { 2 };
    let day = 1 + rng.below(28);
    let issue = format!("2027-{:02}-{day:02}", 1 + rng.below(12));
    let credit = rng.chance(12);
    let mut inv = json!({
        "issue_date": issue,
        "currency": currency,
        "seller": seller,
        "buyer": buyer,
        "lines": [],
    });
    if let Some(f) = format {
        inv["format"] = f;
    }
    inv["number"] = json!(format!("GEN-{n:06}"));
    if credit {
        inv["document_type"] = json!("credit_note");
        inv["preceding_invoice"] = json!({"number": format!("GEN-{:06}", n + 1_000_000)});
    }
    match rng.below(4) {
        0 => inv["payment_terms"] = json!("30 days net / 月末締め翌月末払い"),
        _ => {
            inv["due_date"] = json!(format!(
                "2028-{:02}-{:02}",
                1 + rng.below(12),
                1 + rng.below(28)
            ))
        }
    }
    if pint || rng.chance(30) {
        inv["period"] = json!({"start": "2026-12-01", "end": "2026-12-31"});
    }
    if !pint || rng.chance(20) {
        inv["buyer_reference"] = json!(format!("REF-{}", rng.below(100_000)));
    }
    if rng.chance(25) {
        inv["order_reference"] = json!(format!("PO-{}", rng.below(100_000)));
    }
    if rng.chance(15) {
        inv["contract_reference"] = json!("Framework 2027");
    }
    if rng.chance(15) {
        inv["delivery_date"] = json!("2026-12-20");
    }
    if rng.chance(20) {
        inv["note"] = json!("Generated <note> & \"quotes\" 'ok' ✓ 日本語");
    }

    // Categories this invoice uses: O alone (EN 16931), otherwise a mix.
    let not_subject = rng.chance(5);
    let most = if rng.chance(10) { 60 } else { 6 };
    let line_count = 1 + rng.below(most);
    let mut lines = Vec::new();
    for i in 0..line_count {
        let (cat, rate, reason) = if not_subject {
            ("O", None, Some("Not subject to VAT / 不課税"))
        } else if pint {
            match rng.below(10) {
                0 => ("E", Some("0"), Some("非課税")),
                1 => ("G", Some("0"), Some("輸出免税")),
                2..=4 => ("AA", Some("8"), None),
                _ => ("S", Some("10"), None),
            }
        } else {
            match rng.below(12) {
                0 => ("Z", Some("0"), None),
                1 => (
                    "E",
                    Some("0"),
                    Some("Exempt under Article 135 of Directive 2006/112/EC"),
                ),
                2 => ("G", Some("0"), Some("Export outside the EU")),
                _ => ("S", Some(*rng.pick(&EU_RATES)), None),
            }
        };
        let quantity = if rng.chance(5) {
            format!("-{}", decimal(rng, 100, 2))
        } else {
            decimal(rng, 100_000, 4)
        };
        let price = if currency == "JPY" {
            decimal(rng, 1_000_000, 2)
        } else {
            decimal(rng, 100_000, 4)
        };
        let mut line = json!({
            "name": format!("Item {i} アイテム"),
            "quantity": quantity,
            "unit_code": rng.pick(&UNITS),
            "unit_price": price,
            "tax_category": cat,
        });
        if let Some(r) = rate {
            line["tax_rate"] = json!(r);
        }
        if let Some(r) = reason {
            line["exemption_reason"] = json!(r);
        }
        if rng.chance(15) {
            line["allowances_charges"] = json!([line_allowance(rng, places)]);
        }
        if rng.chance(10) {
            line["seller_item_id"] = json!(format!("SKU-{i}"));
        }
        if rng.chance(10) {
            line["note"] = json!("line note");
        }
        lines.push(line);
    }
    // Document-level allowances and charges take the category and rate of a line.
    if rng.chance(20) && !lines.is_empty() {
        let l = rng.pick(&lines).clone();
        let mut ac = json!({
            "kind": if rng.chance(50) { "allowance" } else { "charge" },
            "reason": "Document discount or charge",
            "tax_category": l["tax_category"],
        });
        if let Some(r) = l.get("tax_rate") {
            ac["tax_rate"] = r.clone();
        }
        if let Some(r) = l.get("exemption_reason") {
            ac["exemption_reason"] = r.clone();
        }
        if rng.chance(50) {
            ac["amount"] = json!(decimal(rng, 50, places));
        } else {
            ac["percent"] = json!(decimal(rng, 10, 2));
            ac["base_amount"] = json!(decimal(rng, 1000, places));
        }
        inv["allowances_charges"] = json!([ac]);
    }
    inv["lines"] = Value::Array(lines);
    if rng.chance(8) {
        inv["prepaid_amount"] = json!(decimal(rng, 100, places));
    }
    if rng.chance(8) {
        let code = if pint {
            "JPY"
        } else {
            *rng.pick(&["EUR", "SEK", "USD"])
        };
        if code != currency {
            inv["tax_currency"] = json!({"code": code, "exchange_rate": decimal(rng, 200, 6)});
        }
    }
    inv
}

fn line_allowance(rng: &mut Rng, places: u32) -> Value {
    let mut ac = json!({
        "kind": if rng.chance(60) { "allowance" } else { "charge" },
        "reason": "Line discount or charge",
    });
    if rng.chance(50) {
        ac["amount"] = json!(decimal(rng, 10, places));
    } else {
        ac["percent"] = json!(decimal(rng, 20, 2));
    }
    if rng.chance(30) {
        ac["reason_code"] = json!(if ac["kind"] == "allowance" {
            "95"
        } else {
            "FC"
        });
    }
    ac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_invoices() {
        let parties = parties();
        assert!(!parties.is_empty());
        let a: Vec<Value> = {
            let mut r = Rng::new(7);
            (0..20).map(|n| invoice(&mut r, &parties, n)).collect()
        };
        let b: Vec<Value> = {
            let mut r = Rng::new(7);
            (0..20).map(|n| invoice(&mut r, &parties, n)).collect()
        };
        assert_eq!(a, b);
    }
}
