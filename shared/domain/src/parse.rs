//! JSON body -> [`InvoiceInput`], with the failing field's path in the error.

use crate::model::InvoiceInput;
use crate::validate::FieldError;

/// Largest invoice body accepted (a 10,000-line invoice is about 3 MB of JSON).
pub const MAX_INVOICE_BYTES: usize = 6 * 1024 * 1024;

/// Parse a JSON invoice strictly ([`crate::json`]). A failure names the field (`lines[2].quantity`) and
/// says what is wrong.
pub fn invoice_from_json(bytes: &[u8]) -> Result<InvoiceInput, FieldError> {
    crate::json::from_slice(bytes, MAX_INVOICE_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Code;

    #[test]
    fn errors_name_the_field() {
        let e = invoice_from_json(b"{\"issue_date\": \"2026-01-01\", \"qty\": 1}")
            .expect_err("refused");
        assert_eq!(e.code, Code::UnknownField);
        assert_eq!(e.path, "qty");
        let e = invoice_from_json(b"{\"issue_date\": \"2026-13-01\"}").expect_err("refused");
        assert_eq!(
            (e.code, e.path.as_str()),
            (Code::InvalidValue, "issue_date")
        );
        let e = invoice_from_json(b"{\"issue_date\": \"2026-01-01\"}").expect_err("refused");
        assert_eq!((e.code, e.path.as_str()), (Code::Required, "currency"));
        let e = invoice_from_json(b"{").expect_err("refused");
        assert_eq!(e.code, Code::InvalidJson);
    }
}
