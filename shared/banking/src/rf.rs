//! ISO 11649 structured creditor references ("RF18 5390 0754 7034"): `RF`, two check digits, and 1 to 21
//! letters or digits, checked by ISO 7064 MOD 97-10 as an IBAN is. Written into the UBL payment means of
//! EU invoices and read back from camt remittance information.

/// The reference without spaces, upper case, when it is a well-formed RF reference with correct check
/// digits; `None` otherwise.
pub fn parse(s: &str) -> Option<String> {
    let compact: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if !compact.is_ascii() {
        return None;
    }
    let body = compact.strip_prefix("RF")?;
    if !(3..=23).contains(&body.len())
        || !body[..2].bytes().all(|b| b.is_ascii_digit())
        || !body[2..].bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return None;
    }
    // Move "RFnn" to the end and read letters as 10..35.
    (mod97(&format!("{}RF{}", &body[2..], &body[..2])) == Some(1)).then_some(compact)
}

/// The RF reference for `base` (1 to 21 letters or digits), with its check digits.
pub fn create(base: &str) -> Option<String> {
    let base = base.to_ascii_uppercase();
    if !(1..=21).contains(&base.len()) || !base.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let check = 98 - mod97(&format!("{base}RF00"))?;
    Some(format!("RF{check:02}{base}"))
}

/// The reference printed in groups of four, as on paper ("RF18 5390 0754 7034").
pub fn grouped(rf: &str) -> String {
    let chars: Vec<char> = rf.chars().collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

fn mod97(s: &str) -> Option<u32> {
    let mut rem: u32 = 0;
    for c in s.chars() {
        let v = c.to_digit(36)?;
        rem = if v < 10 {
            (rem * 10 + v) % 97
        } else {
            (rem * 100 + v) % 97
        };
    }
    Some(rem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standards_examples() {
        // ISO 11649's own example and the one in the EPC's guidance.
        assert_eq!(
            parse("RF18 5390 0754 7034").as_deref(),
            Some("RF18539007547034")
        );
        assert_eq!(create("539007547034").as_deref(), Some("RF18539007547034"));
        assert_eq!(parse("RF712348231").as_deref(), Some("RF712348231"));
        assert_eq!(grouped("RF18539007547034"), "RF18 5390 0754 7034");
    }

    #[test]
    fn wrong_check_digits_or_shapes_are_not_references() {
        assert_eq!(parse("RF19 5390 0754 7034"), None);
        assert_eq!(parse("RF18 5390 0754 7035"), None);
        assert_eq!(parse("RF1"), None);
        assert_eq!(parse("RF18-5390"), None);
        assert_eq!(parse("XX18539007547034"), None);
        assert_eq!(parse(&format!("RF00{}", "1".repeat(22))), None);
        assert_eq!(parse("RFQ見積"), None);
        assert_eq!(parse("RF見積もり"), None);
        assert_eq!(create(""), None);
        assert_eq!(create(&"1".repeat(22)), None);
    }

    #[test]
    fn every_created_reference_parses() {
        for base in ["AOZ2026000004", "1", "ZZZZZZZZZZZZZZZZZZZZZ", "inv42"] {
            let rf = create(base).expect("a valid base");
            assert_eq!(parse(&rf), Some(rf.clone()));
            assert_eq!(parse(&grouped(&rf)), Some(rf));
        }
    }
}
