//! Identifiers, validated once where they enter.
//!
//! - [`Id`]: every id of Seikyu's own records, in paths and bodies: sellers, customers (the buyer's
//!   `customer_id`), invoices, credit notes, receipts. 1 to [`MAX_ID_LEN`] ASCII letters, digits, `-` or
//!   `_`: safe in a URL path, a DynamoDB key (`SELLER#<id>` stays far below the 1 KB sort-key and 2 KB
//!   partition-key limits), an S3 key and a mail's Message-ID.
//! - [`is_external_ref`]: what other systems assign and Seikyu only stores and compares (a provider's
//!   payment and event ids, a client's Idempotency-Key): 1 to [`MAX_REF_LEN`] visible ASCII characters.

use std::fmt;
use std::ops::Deref;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The longest [`Id`].
pub const MAX_ID_LEN: usize = 64;
/// The longest external reference.
pub const MAX_REF_LEN: usize = 255;

/// Whether `s` is a valid [`Id`].
pub fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_ID_LEN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether `s` is a valid external reference.
pub fn is_external_ref(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_REF_LEN && s.bytes().all(|b| b.is_ascii_graphic())
}

/// What an [`Id`] may be, for messages.
pub const ID_RULE: &str = "1-64 letters, digits, '-' or '_'";

/// An id of one of Seikyu's records (see the module docs).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Id(String);

/// A string that is not an [`Id`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an id: {ID_RULE}")]
pub struct IdError(pub String);

impl Id {
    pub fn parse(s: &str) -> Result<Id, IdError> {
        if is_id(s) {
            Ok(Id(s.to_string()))
        } else {
            let shown: String = s.chars().take(70).collect();
            Err(IdError(shown))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Id {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Id {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Id {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Id {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Id, IdError> {
        Id::parse(s)
    }
}

impl TryFrom<String> for Id {
    type Error = IdError;
    fn try_from(s: String) -> Result<Id, IdError> {
        if is_id(&s) { Ok(Id(s)) } else { Id::parse(&s) }
    }
}

impl From<Id> for String {
    fn from(id: Id) -> String {
        id.0
    }
}

impl PartialEq<str> for Id {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Id {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "an id ({ID_RULE})")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Id, E> {
                Id::parse(s).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

impl schemars::JsonSchema for Id {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Id".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[A-Za-z0-9_-]{1,64}$",
            "description": format!("an id: {ID_RULE}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_short_plain_ascii() {
        for ok in ["CUST-0042", "a", "AOZ-2026-000001", "x_y", &"9".repeat(64)] {
            assert!(Id::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "../../x",
            "a/b",
            "a#b",
            "a b",
            "a.b",
            "ｱ",
            &"9".repeat(65),
            &"x".repeat(3000),
        ] {
            assert!(Id::parse(bad).is_err(), "{bad}");
        }
        let e = serde_json::from_str::<Id>("\"../../x\"").expect_err("refused");
        assert!(e.to_string().contains("is not an id"), "{e}");
        assert!(serde_json::from_str::<Id>("42").is_err());
    }

    #[test]
    fn external_refs_are_visible_ascii() {
        assert!(is_external_ref("pi_3Nq:x/y#z"));
        assert!(!is_external_ref(""));
        assert!(!is_external_ref("a b"));
        assert!(!is_external_ref("é"));
        assert!(!is_external_ref(&"x".repeat(256)));
    }
}
