//! JSON body -> [`InvoiceInput`], with the failing field's path in the error.

use crate::model::InvoiceInput;
use crate::validate::{Code, FieldError};

/// Parse a JSON invoice. A failure names the field (`lines[2].quantity`) and says what is wrong.
pub fn invoice_from_json(bytes: &[u8]) -> Result<InvoiceInput, FieldError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = inner.to_string();
        // serde's messages end with " at line L column C"; keep that, it helps with a file.
        let (code, path) = if inner.is_syntax() || inner.is_eof() {
            (Code::InvalidJson, String::new())
        } else if msg.starts_with("unknown field") {
            (Code::UnknownField, path)
        } else if let Some(field) = msg
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            let full = if path == "." || path.is_empty() {
                field.to_string()
            } else {
                format!("{path}.{field}")
            };
            (Code::Required, full)
        } else {
            (Code::InvalidValue, path)
        };
        FieldError {
            path: if path == "." { String::new() } else { path },
            code,
            message: msg,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
