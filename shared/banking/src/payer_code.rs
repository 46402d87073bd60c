//! Payer codes (振込依頼人番号): a short number a buyer puts before its name when it transfers money.
//!
//! The remitter-name field holds 48 half-width characters and banks cut it further; an instruction such
//! as "quote AOZ-2026-000004" is often cut or dropped, a seven-digit number before the name survives.
//! A code is six digits and a Luhn check digit, so a mistyped digit or two swapped neighbours never
//! names another buyer. It is read from the remitter code field, the start of the name, or the EDI field.

/// Digits in a payer code, the check digit included.
pub const LEN: usize = 7;

/// The payer code for `serial` (0 to 999,999): the serial as six digits and its check digit.
pub fn create(serial: u32) -> Option<String> {
    (serial <= 999_999).then(|| {
        let base = format!("{serial:06}");
        let check = luhn_check_digit(&base);
        format!("{base}{check}")
    })
}

/// Whether `code` is a well-formed payer code (seven digits with a correct check digit).
pub fn is_valid(code: &str) -> bool {
    code.len() == LEN
        && code.bytes().all(|b| b.is_ascii_digit())
        && luhn_check_digit(&code[..LEN - 1]) == code.as_bytes()[LEN - 1] - b'0'
}

/// The payer code a deposit quotes, if any: the remitter code field when it holds one, else a valid code
/// at the start of the remitter name (spaces, `-` or `/` may follow it), else the first valid run of
/// seven digits in the EDI field. Only codes with a correct check digit count.
pub fn find(remitter_code: Option<&str>, name: Option<&str>, edi: Option<&str>) -> Option<String> {
    let from_field = remitter_code
        .map(|c| c.trim_start_matches('0'))
        .filter(|c| !c.is_empty())
        .map(|c| format!("{c:0>7}"))
        .filter(|c| is_valid(c));
    from_field
        .or_else(|| name.and_then(leading_code))
        .or_else(|| edi.and_then(code_in))
}

/// A valid code at the start of a name ("1234567ﾔﾏﾀﾞ", "1234567 ｶ)ﾔﾏﾀﾞ"), with the name that follows it.
pub fn split_name(name: &str) -> (Option<String>, &str) {
    let trimmed = name.trim_start();
    let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
    if digits == LEN && is_valid(&trimmed[..LEN]) {
        let rest = trimmed[LEN..].trim_start_matches([' ', '-', '/', '　']);
        (Some(trimmed[..LEN].to_string()), rest)
    } else {
        (None, name)
    }
}

fn leading_code(name: &str) -> Option<String> {
    split_name(name).0
}

fn code_in(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let run = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        if run == LEN && is_valid(&text[i..i + LEN]) {
            return Some(text[i..i + LEN].to_string());
        }
        i += run.max(1);
    }
    None
}

fn luhn_check_digit(base: &str) -> u8 {
    let sum: u32 = base
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    // The sum is small (at most 9 per digit), so the result fits a digit.
    ((10 - sum % 10) % 10) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_carry_a_luhn_check_digit() {
        assert_eq!(create(0).as_deref(), Some("0000000"));
        let c = create(123_456).expect("in range");
        assert!(is_valid(&c));
        assert_eq!(c, "1234566");
        assert_eq!(create(1_000_000), None);
        for serial in [1, 42, 999_999, 314_159] {
            let c = create(serial).expect("in range");
            assert!(is_valid(&c), "{c}");
            // Every single-digit change is caught.
            for pos in 0..LEN {
                for d in b'0'..=b'9' {
                    let mut b = c.clone().into_bytes();
                    if b[pos] == d {
                        continue;
                    }
                    b[pos] = d;
                    let typo = String::from_utf8(b).expect("ascii");
                    assert!(!is_valid(&typo), "{typo} from {c}");
                }
            }
        }
    }

    #[test]
    fn found_in_the_code_field_the_name_or_the_edi_field() {
        let c = create(4242).expect("in range");
        assert_eq!(find(Some(&format!("000{c}")), None, None), Some(c.clone()));
        assert_eq!(
            find(Some("0000000000"), Some(&format!("{c}ﾔﾏﾀﾞ")), None),
            Some(c.clone())
        );
        assert_eq!(
            find(None, Some(&format!("{c} ｶ)ﾔﾏﾀﾞ")), None),
            Some(c.clone())
        );
        assert_eq!(
            find(None, Some("ﾔﾏﾀﾞ"), Some(&format!("INV {c}"))),
            Some(c.clone())
        );
        // A number with a wrong check digit is not a code; nor a longer run of digits.
        assert_eq!(find(None, Some("1234567ﾔﾏﾀﾞ"), None), None);
        assert_eq!(find(None, None, Some(&format!("9{c}"))), None);
        assert_eq!(split_name(&format!("{c} ﾔﾏﾀﾞ")), (Some(c), "ﾔﾏﾀﾞ"));
        assert_eq!(split_name("ﾔﾏﾀﾞ"), (None, "ﾔﾏﾀﾞ"));
    }
}
