//! Japanese qualified-invoice issuer registration numbers (適格請求書発行事業者登録番号).
//!
//! Format (National Tax Agency, 適格請求書発行事業者公表サイト「登録番号とは」):
//! - a registrant with a corporate number: `T` + its corporate number (法人番号, 13 digits);
//! - any other registrant (sole proprietor, unincorporated association): `T` + 13 digits assigned by the
//!   NTA, "neither the My Number nor colliding with any corporate number".
//!
//! Check digit: the corporate number's first digit is a check digit over the other twelve, defined in
//! 法人番号の指定等に関する省令 (平成26年財務省令第70号) 第2条:
//! `9 - (Σ_{n=1..12} P_n × Q_n mod 9)`, P_n the n-th digit counted from the right of the twelve-digit
//! base number, Q_n = 1 for odd n and 2 for even n. The NTA publishes no check digit for the numbers of
//! other registrants, so for them only the format is checked: rejecting one that fails the corporate
//! formula could reject a valid number. That is why the seller states its `registrant_kind`.

use crate::model::RegistrantKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegNoError {
    /// Not `T` followed by exactly 13 ASCII digits.
    Format,
    /// A corporation's number whose check digit does not match.
    CheckDigit,
}

/// Check digit of a corporate number from its twelve-digit base (省令第2条). `base` must be 12 digits.
fn corporate_check_digit(base: &[u8]) -> u8 {
    let sum: u32 = base
        .iter()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let digit = u32::from(b - b'0');
            // i = 0 is n = 1 (odd): weight 1; n even: weight 2.
            if i % 2 == 0 { digit } else { digit * 2 }
        })
        .sum();
    // sum % 9 is 0..=8, so the result is 1..=9 and fits a u8.
    (9 - sum % 9) as u8
}

/// Whether `digits` (13 ASCII digits) is a corporate number with a valid check digit.
pub fn is_valid_corporate_number(digits: &str) -> bool {
    let b = digits.as_bytes();
    b.len() == 13
        && b.iter().all(u8::is_ascii_digit)
        && b[0] - b'0' == corporate_check_digit(&b[1..])
}

/// Validate a registration number given the registrant's kind.
pub fn check_registration_number(number: &str, kind: RegistrantKind) -> Result<(), RegNoError> {
    let Some(digits) = number.strip_prefix('T') else {
        return Err(RegNoError::Format);
    };
    if digits.len() != 13 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(RegNoError::Format);
    }
    match kind {
        RegistrantKind::Corporation if !is_valid_corporate_number(digits) => {
            Err(RegNoError::CheckDigit)
        }
        _ => Ok(()),
    }
}

/// Make a valid corporate number from a twelve-digit base (for fixtures and tests).
pub fn corporate_number_from_base(base: &str) -> Option<String> {
    let b = base.as_bytes();
    if b.len() != 12 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(format!("{}{}", corporate_check_digit(b), base))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_corporate_numbers() {
        // Worked example of the NTA formula: base 123456789012 -> check digit 7.
        assert!(is_valid_corporate_number("7123456789012"));
        // National Tax Agency (国税庁) itself.
        assert!(is_valid_corporate_number("7000012050002"));
        // Japan Federation of Certified Public Tax Accountants' Associations (日本税理士会連合会).
        assert!(is_valid_corporate_number("7010705000725"));
        assert!(!is_valid_corporate_number("8123456789012"));
        assert_eq!(
            corporate_number_from_base("123456789012").as_deref(),
            Some("7123456789012")
        );
    }

    #[test]
    fn every_single_digit_change_of_the_check_digit_is_caught() {
        for d in b'1'..=b'9' {
            let n = format!("{}123456789012", d as char);
            assert_eq!(is_valid_corporate_number(&n), d == b'7', "{n}");
        }
    }

    #[test]
    fn registration_numbers() {
        use RegistrantKind::*;
        assert_eq!(
            check_registration_number("T7123456789012", Corporation),
            Ok(())
        );
        assert_eq!(
            check_registration_number("T8123456789012", Corporation),
            Err(RegNoError::CheckDigit)
        );
        // Another registrant's number is not held to the corporate formula.
        assert_eq!(check_registration_number("T8123456789012", Other), Ok(()));
        for bad in [
            "7123456789012",
            "T712345678901",
            "T71234567890123",
            "t7123456789012",
            "T712345678901X",
            "T７123456789012",
        ] {
            assert_eq!(
                check_registration_number(bad, Other),
                Err(RegNoError::Format),
                "{bad}"
            );
        }
    }
}
