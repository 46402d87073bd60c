//! Code-list membership (UN/ECE Rec 20, ISO 4217, ISO 3166-1, CEF EAS, ISO 6523 ICD, UNCL 5189/7161).

#[rustfmt::skip]
mod generated {
    include!("codes_generated.rs");
}

pub use generated::*;

fn member(list: &[&str], code: &str) -> bool {
    list.binary_search(&code).is_ok()
}

pub fn is_unit(code: &str) -> bool {
    member(UNIT_CODES, code)
}
pub fn is_currency(code: &str) -> bool {
    member(CURRENCY_CODES, code)
}
pub fn is_country(code: &str) -> bool {
    member(COUNTRY_CODES, code)
}
pub fn is_endpoint_scheme(code: &str) -> bool {
    member(EAS_CODES, code)
}
pub fn is_icd(code: &str) -> bool {
    member(ICD_CODES, code)
}
pub fn is_allowance_reason(code: &str) -> bool {
    member(ALLOWANCE_REASON_CODES, code)
}
pub fn is_charge_reason(code: &str) -> bool {
    member(CHARGE_REASON_CODES, code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_sorted_and_known_codes_are_members() {
        for list in [
            UNIT_CODES,
            CURRENCY_CODES,
            COUNTRY_CODES,
            EAS_CODES,
            ICD_CODES,
        ] {
            assert!(list.windows(2).all(|w| w[0] < w[1]));
        }
        assert!(is_unit("C62") && is_unit("HUR") && is_unit("KGM") && !is_unit("PCS"));
        assert!(is_currency("JPY") && is_currency("BHD") && !is_currency("YEN"));
        assert!(is_country("JP") && is_country("BE") && !is_country("XX"));
        assert!(is_endpoint_scheme("0188") && is_endpoint_scheme("9925"));
        assert!(is_icd("0188"));
        assert!(is_allowance_reason("95") && is_charge_reason("FC"));
    }
}
