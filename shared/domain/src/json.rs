//! The one JSON entry point for every body Seikyu parses: API and admin requests, queue messages and
//! webhook payloads. [`from_slice`] takes exactly one JSON document and refuses, with the field path:
//!
//! - anything after the document (`{...} garbage`, a second document);
//! - an array where an object is expected (serde would otherwise take `[]` or `[["2026-12-21"]]` as a
//!   struct's fields in order);
//! - a field the type does not know (except in [`from_slice_open`], for payloads a payment provider
//!   extends as it pleases), and a key given twice (in typed objects and in free-form maps);
//! - nesting deeper than [`MAX_DEPTH`], and a body over the caller's size limit.
//!
//! Values are checked by their types (see [`crate::values`]: money and other decimals only as strings,
//! bounded numbers). A valid body is parsed once, without tracking paths; only a refused one is parsed a
//! second time to say where the problem is.

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, Error as _, MapAccess, SeqAccess,
    Unexpected, VariantAccess, Visitor,
};

use crate::validate::{Code, FieldError};

/// Deepest nesting of objects and arrays accepted (an invoice needs 4: lines, allowances, ...; a Stripe
/// event about 8).
pub const MAX_DEPTH: usize = 32;

/// Parse one JSON document of at most `max_bytes` bytes into `T`, strictly (see the module docs).
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8], max_bytes: usize) -> Result<T, FieldError> {
    parse(bytes, max_bytes, Fields::Known)
}

/// [`from_slice`] for a payload whose sender adds fields over time (a payment provider's event): fields
/// the type does not name are skipped, everything else is as strict.
pub fn from_slice_open<T: DeserializeOwned>(
    bytes: &[u8],
    max_bytes: usize,
) -> Result<T, FieldError> {
    parse(bytes, max_bytes, Fields::Open)
}

/// Whether a typed object may carry fields its type does not name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fields {
    Known,
    Open,
}

fn parse<T: DeserializeOwned>(
    bytes: &[u8],
    max_bytes: usize,
    fields: Fields,
) -> Result<T, FieldError> {
    if bytes.len() > max_bytes {
        return Err(FieldError {
            path: String::new(),
            code: Code::TooLong,
            message: format!("{} bytes; at most {max_bytes}", bytes.len()),
        });
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let fast = T::deserialize(Strict::new(&mut de, fields)).and_then(|v| de.end().map(|()| v));
    match fast {
        Ok(v) => Ok(v),
        Err(_) => Err(locate::<T>(bytes, fields)),
    }
}

/// The refusal of `bytes`, with the path of the field at fault: a second, path-tracking parse.
fn locate<T: DeserializeOwned>(bytes: &[u8], fields: Fields) -> FieldError {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let (path, err) = match serde_path_to_error::deserialize::<_, T>(Strict::new(&mut de, fields)) {
        Ok(_) => match de.end() {
            Ok(()) => {
                // Unreachable in practice: the first parse failed on the same bytes.
                return FieldError {
                    path: String::new(),
                    code: Code::InvalidJson,
                    message: "the body could not be parsed".into(),
                };
            }
            Err(e) => (String::new(), e),
        },
        Err(e) => {
            let path = e.path().to_string();
            (
                if path == "." { String::new() } else { path },
                e.into_inner(),
            )
        }
    };
    classify(path, &err)
}

/// The longest message returned: serde's messages quote the client's text (an unknown variant, a value).
const MAX_MESSAGE: usize = 300;

fn classify(path: String, err: &serde_json::Error) -> FieldError {
    let mut message = err.to_string();
    if let Some((i, _)) = message.char_indices().nth(MAX_MESSAGE) {
        message.truncate(i);
        message.push_str("...");
    }
    let code = if err.is_syntax() || err.is_eof() {
        // Where the text stopped being JSON; the message says the line and column.
        return FieldError {
            path: String::new(),
            code: Code::InvalidJson,
            message,
        };
    } else if message.starts_with(TOO_DEEP) {
        Code::InvalidJson
    } else if message.starts_with(crate::values::OUT_OF_RANGE_MARK) {
        Code::OutOfRange
    } else if message.starts_with(crate::values::DECIMALS_MARK) {
        Code::TooManyDecimals
    } else if message.starts_with("unknown field") {
        Code::UnknownField
    } else if message.starts_with("duplicate field") || message.starts_with("duplicate key") {
        Code::Duplicate
    } else if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        let full = if path.is_empty() {
            field.to_string()
        } else {
            format!("{path}.{field}")
        };
        return FieldError {
            path: full,
            code: Code::Required,
            message,
        };
    } else {
        Code::InvalidValue
    };
    FieldError {
        path,
        code,
        message,
    }
}

const TOO_DEEP: &str = "nested deeper than";

fn too_deep<E: de::Error>() -> E {
    E::custom(format_args!(
        "{TOO_DEEP} {MAX_DEPTH} levels of objects and arrays"
    ))
}

/// How the keys of an object are checked.
enum Keys {
    /// A typed object: its `fields`, each once (bit i set: field i seen); other keys are refused, or with
    /// [`Fields::Open`] skipped, each once too.
    Struct {
        fields: &'static [&'static str],
        seen: u128,
        others: Option<std::collections::HashSet<Box<str>>>,
    },
    /// A free-form map (`serde_json::Value`, `HashMap`): any key, each once.
    Map(std::collections::HashSet<Box<str>>),
}

impl Keys {
    fn check<E: de::Error>(&mut self, key: &str) -> Result<(), E> {
        // A key quoted in a message: at most 64 characters of it.
        let shown = match key.char_indices().nth(64) {
            Some((i, _)) => &key[..i],
            None => key,
        };
        match self {
            Keys::Struct {
                fields,
                seen,
                others,
            } => {
                let Some(i) = fields.iter().position(|f| *f == key) else {
                    return match others {
                        Some(others) => {
                            if others.insert(key.into()) {
                                Ok(())
                            } else {
                                Err(E::custom(format_args!("duplicate key `{shown}`")))
                            }
                        }
                        None => Err(E::custom(format_args!(
                            "unknown field `{shown}`, expected one of {}",
                            fields.join(", ")
                        ))),
                    };
                };
                // Types with more than 128 fields rely on serde's own duplicate check.
                if i < 128 {
                    let bit = 1u128 << i;
                    if *seen & bit != 0 {
                        return Err(E::custom(format_args!("duplicate field `{shown}`")));
                    }
                    *seen |= bit;
                }
                Ok(())
            }
            Keys::Map(seen) => {
                if !seen.insert(key.into()) {
                    return Err(E::custom(format_args!("duplicate key `{shown}`")));
                }
                Ok(())
            }
        }
    }
}

/// What a visitor expects: a typed object (its fields), or anything.
#[derive(Clone, Copy)]
enum Expect {
    Struct(&'static [&'static str]),
    Any,
}

/// A deserializer that applies the rules above to every value below it.
struct Strict<D> {
    de: D,
    at: At,
}

/// Where a value sits: its nesting depth, and whether unknown fields are refused there.
#[derive(Clone, Copy)]
struct At {
    depth: usize,
    fields: Fields,
}

impl<D> Strict<D> {
    fn new(de: D, fields: Fields) -> Self {
        Strict {
            de,
            at: At { depth: 0, fields },
        }
    }
}

/// The `Deserializer` methods both wrappers below pass on unchanged but for their visitor, which
/// `self.split(visitor)` wraps (each wrapper has its own `split`).
macro_rules! forward {
    ($($method:ident),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            let (de, v) = self.split(visitor);
            de.$method(v)
        }
    )*};
}

macro_rules! forward_named {
    () => {
        fn deserialize_unit_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            visitor: V,
        ) -> Result<V::Value, Self::Error> {
            let (de, v) = self.split(visitor);
            de.deserialize_unit_struct(name, v)
        }

        fn deserialize_newtype_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            visitor: V,
        ) -> Result<V::Value, Self::Error> {
            let (de, v) = self.split(visitor);
            de.deserialize_newtype_struct(name, v)
        }

        fn deserialize_tuple<V: Visitor<'de>>(
            self,
            len: usize,
            visitor: V,
        ) -> Result<V::Value, Self::Error> {
            let (de, v) = self.split(visitor);
            de.deserialize_tuple(len, v)
        }

        fn deserialize_tuple_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            len: usize,
            visitor: V,
        ) -> Result<V::Value, Self::Error> {
            let (de, v) = self.split(visitor);
            de.deserialize_tuple_struct(name, len, v)
        }

        fn deserialize_enum<V: Visitor<'de>>(
            self,
            name: &'static str,
            variants: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, Self::Error> {
            let (de, v) = self.split(visitor);
            de.deserialize_enum(name, variants, v)
        }
    };
}

impl<'de, D: de::Deserializer<'de>> Strict<D> {
    /// The inner deserializer, and `v` wrapped so the values below it are checked too.
    fn split<V: Visitor<'de>>(self, v: V) -> (D, Wrap<V>) {
        let at = self.at;
        (
            self.de,
            Wrap {
                v,
                at,
                expect: Expect::Any,
            },
        )
    }
}

impl<'de, D: de::Deserializer<'de>> de::Deserializer<'de> for Strict<D> {
    type Error = D::Error;

    forward!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_option,
        deserialize_unit,
        deserialize_seq,
        deserialize_map,
        deserialize_identifier,
    );
    forward_named!();

    /// A value the type skips (an unknown field of an open payload) is walked all the same, so its
    /// depth and its keys are checked like everything else.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        let (de, v) = self.split(visitor);
        de.deserialize_any(v)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let at = self.at;
        self.de.deserialize_struct(
            name,
            fields,
            Wrap {
                v: visitor,
                at,
                expect: Expect::Struct(fields),
            },
        )
    }

    fn is_human_readable(&self) -> bool {
        self.de.is_human_readable()
    }
}

/// A visitor that hands the values below it [`Strict`] deserializers.
struct Wrap<V> {
    v: V,
    at: At,
    expect: Expect,
}

macro_rules! pass {
    ($($method:ident: $t:ty),* $(,)?) => {$(
        fn $method<E: de::Error>(self, value: $t) -> Result<Self::Value, E> {
            self.v.$method(value)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.v.expecting(f)
    }

    pass!(
        visit_bool: bool,
        visit_i8: i8,
        visit_i16: i16,
        visit_i32: i32,
        visit_i64: i64,
        visit_i128: i128,
        visit_u8: u8,
        visit_u16: u16,
        visit_u32: u32,
        visit_u64: u64,
        visit_u128: u128,
        visit_f32: f32,
        visit_f64: f64,
        visit_char: char,
        visit_str: &str,
        visit_borrowed_str: &'de str,
        visit_string: String,
        visit_bytes: &[u8],
        visit_borrowed_bytes: &'de [u8],
        visit_byte_buf: Vec<u8>,
    );

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.v.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.v.visit_unit()
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.v.visit_some(Strict { de: d, at: self.at })
    }

    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.v.visit_newtype_struct(Strict { de: d, at: self.at })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        if let Expect::Struct(_) = self.expect {
            return Err(A::Error::invalid_type(Unexpected::Seq, &"an object"));
        }
        let at = self.at.deeper().ok_or_else(too_deep)?;
        self.v.visit_seq(StrictSeq { seq, at })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let at = self.at.deeper().ok_or_else(too_deep)?;
        let keys = match self.expect {
            Expect::Struct(fields) => Keys::Struct {
                fields,
                seen: 0,
                others: (at.fields == Fields::Open).then(Default::default),
            },
            Expect::Any => Keys::Map(Default::default()),
        };
        self.v.visit_map(StrictMap { map, at, keys })
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        // An enum given as an object (`{"variant": {...}}`) nests one level more.
        let at = self.at.deeper().ok_or_else(too_deep)?;
        self.v.visit_enum(StrictEnum { data, at })
    }
}

impl At {
    fn deeper(self) -> Option<At> {
        (self.depth < MAX_DEPTH).then_some(At {
            depth: self.depth + 1,
            ..self
        })
    }
}

struct StrictSeed<S> {
    seed: S,
    at: At,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for StrictSeed<S> {
    type Value = S::Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.seed.deserialize(Strict { de: d, at: self.at })
    }
}

struct StrictSeq<A> {
    seq: A,
    at: At,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for StrictSeq<A> {
    type Error = A::Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Self::Error> {
        self.seq.next_element_seed(StrictSeed { seed, at: self.at })
    }
    fn size_hint(&self) -> Option<usize> {
        self.seq.size_hint()
    }
}

struct StrictMap<A> {
    map: A,
    at: At,
    keys: Keys,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for StrictMap<A> {
    type Error = A::Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        self.map.next_key_seed(KeySeed {
            seed,
            keys: &mut self.keys,
        })
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        self.map.next_value_seed(StrictSeed { seed, at: self.at })
    }
    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

struct StrictEnum<A> {
    data: A,
    at: At,
}

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for StrictEnum<A> {
    type Error = A::Error;
    type Variant = StrictVariant<A::Variant>;
    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), Self::Error> {
        let at = self.at;
        let (value, variant) = self.data.variant_seed(seed)?;
        Ok((value, StrictVariant { variant, at }))
    }
}

struct StrictVariant<A> {
    variant: A,
    at: At,
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for StrictVariant<A> {
    type Error = A::Error;
    fn unit_variant(self) -> Result<(), Self::Error> {
        self.variant.unit_variant()
    }
    fn newtype_variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<S::Value, Self::Error> {
        self.variant
            .newtype_variant_seed(StrictSeed { seed, at: self.at })
    }
    fn tuple_variant<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.variant.tuple_variant(
            len,
            Wrap {
                v: visitor,
                at: self.at,
                expect: Expect::Any,
            },
        )
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.variant.struct_variant(
            fields,
            Wrap {
                v: visitor,
                at: self.at,
                expect: Expect::Struct(fields),
            },
        )
    }
}

/// Deserializes an object's key, checking it against [`Keys`] once the type has seen it (so a refusal
/// still names the key in its path).
struct KeySeed<'k, S> {
    seed: S,
    keys: &'k mut Keys,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for KeySeed<'_, S> {
    type Value = S::Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.seed.deserialize(KeyDe {
            de: d,
            keys: self.keys,
        })
    }
}

struct KeyDe<'k, D> {
    de: D,
    keys: &'k mut Keys,
}

impl<'k, 'de, D: de::Deserializer<'de>> KeyDe<'k, D> {
    /// The inner deserializer, and `v` wrapped to check the key it visits.
    fn split<V: Visitor<'de>>(self, v: V) -> (D, KeyVisitor<'k, V>) {
        (self.de, KeyVisitor { v, keys: self.keys })
    }
}

impl<'de, D: de::Deserializer<'de>> de::Deserializer<'de> for KeyDe<'_, D> {
    type Error = D::Error;

    forward!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_option,
        deserialize_unit,
        deserialize_seq,
        deserialize_map,
        deserialize_identifier,
        deserialize_ignored_any,
    );
    forward_named!();

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let (de, v) = self.split(visitor);
        de.deserialize_struct(name, fields, v)
    }
}

struct KeyVisitor<'k, V> {
    v: V,
    keys: &'k mut Keys,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for KeyVisitor<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.v.expecting(f)
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        let value = self.v.visit_str(key)?;
        self.keys.check(key)?;
        Ok(value)
    }

    fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<Self::Value, E> {
        let value = self.v.visit_borrowed_str(key)?;
        self.keys.check(key)?;
        Ok(value)
    }

    fn visit_string<E: de::Error>(self, key: String) -> Result<Self::Value, E> {
        self.keys.check(&key)?;
        self.v.visit_string(key)
    }

    // JSON keys are strings; anything else goes to the type as it is.
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        self.v.visit_u64(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        self.v.visit_i64(v)
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        self.v.visit_bytes(v)
    }
    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
        self.v.visit_borrowed_bytes(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::Value;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Inner {
        a: String,
        #[serde(default)]
        b: Option<u32>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Outer {
        name: String,
        #[serde(default)]
        inner: Option<Inner>,
        #[serde(default)]
        list: Vec<Inner>,
        #[serde(default)]
        kind: Option<Kind>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Plain,
        Detailed { level: u32 },
    }

    const BIG: usize = 1 << 20;

    fn err<T: DeserializeOwned + std::fmt::Debug>(json: &str) -> FieldError {
        from_slice::<T>(json.as_bytes(), BIG).expect_err(json)
    }

    #[test]
    fn one_document_only() {
        let ok: Outer = from_slice(br#" {"name": "x"} "#, BIG).expect("one document");
        assert_eq!(ok.name, "x");
        for json in [
            r#"{"name": "x"} garbage"#,
            r#"{"name": "x"}{"name": "y"}"#,
            r#"{"name": "x"} 1"#,
            r#"{"name": "x"}x"#,
        ] {
            let e = err::<Outer>(json);
            assert_eq!((e.code, e.path.as_str()), (Code::InvalidJson, ""), "{json}");
        }
    }

    #[test]
    fn objects_only_where_objects_are_expected() {
        for (json, path) in [
            ("[]", ""),
            (r#"["x"]"#, ""),
            (r#"{"name": "x", "inner": ["a"]}"#, "inner"),
            (r#"{"name": "x", "list": [["a"]]}"#, "list[0]"),
            (
                r#"{"name": "x", "kind": {"detailed": [3]}}"#,
                "kind.detailed",
            ),
        ] {
            let e = err::<Outer>(json);
            assert_eq!(
                (e.code, e.path.as_str()),
                (Code::InvalidValue, path),
                "{json}: {e}"
            );
        }
        let v: Outer = from_slice(br#"{"name": "x", "kind": {"detailed": {"level": 3}}}"#, BIG)
            .expect("struct variant as an object");
        assert_eq!(v.kind, Some(Kind::Detailed { level: 3 }));
    }

    #[test]
    fn unknown_and_duplicate_fields() {
        let e = err::<Outer>(r#"{"name": "x", "nmae": "y"}"#);
        assert_eq!((e.code, e.path.as_str()), (Code::UnknownField, "nmae"));
        let e = err::<Outer>(r#"{"name": "x", "inner": {"a": "1", "c": 2}}"#);
        assert_eq!((e.code, e.path.as_str()), (Code::UnknownField, "inner.c"));
        let e = err::<Outer>(r#"{"name": "x", "name": "y"}"#);
        assert_eq!((e.code, e.path.as_str()), (Code::Duplicate, "name"), "{e}");
        let e = err::<Outer>(r#"{"name": "x", "list": [{"a": "1", "b": 1, "b": 2}]}"#);
        assert_eq!(
            (e.code, e.path.as_str()),
            (Code::Duplicate, "list[0].b"),
            "{e}"
        );
        // Free-form maps too.
        let e = err::<Value>(r#"{"a": {"k": 1, "k": 2}}"#);
        assert_eq!((e.code, e.path.as_str()), (Code::Duplicate, "a.k"), "{e}");
        let e = err::<Outer>(r#"{"inner": {"a": "1"}}"#);
        assert_eq!((e.code, e.path.as_str()), (Code::Required, "name"));
    }

    #[test]
    fn open_payloads_skip_unknown_fields_but_not_duplicates() {
        let o: Inner = from_slice_open(br#"{"a": "1", "extra": {"x": [1]}}"#, BIG).expect("open");
        assert_eq!(o.a, "1");
        let e = from_slice_open::<Inner>(br#"{"a": "1", "extra": 1, "extra": 2}"#, BIG)
            .expect_err("duplicate unknown key");
        assert_eq!((e.code, e.path.as_str()), (Code::Duplicate, "extra"), "{e}");
        let e = from_slice_open::<Inner>(br#"{"a": "1", "a": "2"}"#, BIG).expect_err("dup");
        assert_eq!(e.code, Code::Duplicate);
        let e = from_slice_open::<Inner>(br#"{"a": "1"} x"#, BIG).expect_err("trailing");
        assert_eq!(e.code, Code::InvalidJson);
    }

    #[test]
    fn depth_and_size_are_bounded() {
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        let e = err::<Value>(&deep);
        assert_eq!(e.code, Code::InvalidJson, "{e}");
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(from_slice::<Value>(ok.as_bytes(), BIG).is_ok());
        let hostile = "[".repeat(100_000);
        assert_eq!(err::<Value>(&hostile).code, Code::InvalidJson);
        let e = from_slice::<Value>(b"[1, 2, 3]", 4).expect_err("too big");
        assert_eq!(e.code, Code::TooLong);
    }

    #[test]
    fn values_parse_as_before() {
        let v: Value = from_slice(
            br#"{"a": [1, -2, 3.5, true, null, "s"], "b": {"c": {}}}"#,
            BIG,
        )
        .expect("value");
        assert_eq!(v["a"][2], serde_json::json!(3.5));
        let o: Outer = from_slice(
            br#"{"name": "n", "inner": {"a": "1", "b": 2}, "list": [{"a": "2"}], "kind": "plain"}"#,
            BIG,
        )
        .expect("outer");
        assert_eq!(o.inner.and_then(|i| i.b), Some(2));
        assert_eq!(o.kind, Some(Kind::Plain));
    }
}
