//! Bounded values. Every kind of number Seikyu accepts has a type whose range is enforced where the value
//! is made: when a JSON body is parsed (a refusal names the field) and when code builds one. Nothing
//! beyond the range exists anywhere in the system, so no sum or product of accepted values can overflow
//! a `Decimal` or an `i64` unless it adds up more of them than a document can hold (those sums use
//! checked arithmetic).
//!
//! | kind | type | JSON | range | decimals |
//! |---|---|---|---|---|
//! | quantity | [`Quantity`] | string | -10^9 ..= 10^9 | 6 |
//! | unit price | [`Price`] | string | 0 ..= 10^12 | 6 |
//! | money: allowances, prepaid, credit limits, payments | [`Amount`] | string | 0 ..= 10^15 | 6, and no more than the currency has where it is known |
//! | percentage of a base | [`Percent`] | string | 0 ..= 100 | 4 |
//! | tax rate (percent) | [`TaxRate`] | string | 0 ..= 100 | 2 |
//! | exchange rate | [`ExchangeRate`] | string | 10^-10 ..= 10^9 | 10 |
//! | days relative to a due date | [`DayOffset`] | integer | -365 ..= 365 | |
//! | a count of events (late payments) | [`Count`] | integer | 0 ..= 10,000 | |
//! | a month (a fiscal year's first) | [`Month`] | integer | 1 ..= 12 | |
//! | a time in Unix seconds | [`UnixTime`] | integer | 2000-01-01 ..= 2199-12-31 | |
//!
//! Decimals are JSON strings (`"1234.50"`): a JSON number goes through a binary float on the way in and
//! can arrive changed, so it is refused with a message saying so. A string is read exactly: no exponent,
//! no spaces, and more decimal places than the kind allows are refused, never rounded away.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The largest money amount: any single amount, and an invoice's total.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(2_764_472_320, 232_830, 0, false, 0); // 1e15

/// The range and precision of one kind of decimal value.
pub trait DecimalKind {
    /// What the value is, for messages ("a quantity").
    const WHAT: &'static str;
    const MIN: Decimal;
    const MAX: Decimal;
    /// Whether the minimum itself is allowed (an exchange rate must be above zero).
    const MIN_INCLUSIVE: bool = true;
    /// Most decimal places.
    const SCALE: u32;
}

/// The traits both value types have whatever their kind (derive would ask the kind for them too): they
/// compare, hash and print as the value they hold.
macro_rules! value_traits {
    ($ty:ident) => {
        impl<K> Clone for $ty<K> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<K> Copy for $ty<K> {}
        impl<K> PartialEq for $ty<K> {
            fn eq(&self, other: &Self) -> bool {
                self.value == other.value
            }
        }
        impl<K> Eq for $ty<K> {}
        impl<K> PartialOrd for $ty<K> {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }
        impl<K> Ord for $ty<K> {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.value.cmp(&other.value)
            }
        }
        impl<K> std::hash::Hash for $ty<K> {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.value.hash(state)
            }
        }
        impl<K> fmt::Debug for $ty<K> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.value, f)
            }
        }
        impl<K> fmt::Display for $ty<K> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.value, f)
            }
        }
    };
}

/// A decimal of kind `K`: within `K`'s range, with at most `K::SCALE` decimal places.
pub struct Dec<K> {
    value: Decimal,
    kind: PhantomData<K>,
}

/// Why a decimal was refused. The messages are what clients read; [`crate::json`] maps them to codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error(
        "{0}: give decimals as JSON strings, e.g. \"1234.50\" (a JSON number may have been changed by a float on the way)"
    )]
    NotAString(&'static str),
    #[error("'{0}' is not a decimal number (digits, an optional '-' and '.')")]
    NotANumber(String),
    #[error("out of range: {value} is not {what} ({min} ..= {max})")]
    OutOfRange {
        value: String,
        what: &'static str,
        min: String,
        max: String,
    },
    #[error("too many decimal places: {value} has more than {scale}, the most {what} has")]
    TooManyDecimals {
        value: String,
        what: &'static str,
        scale: u32,
    },
}

/// How the messages of these refusals begin; [`crate::json`] turns them into codes (a prefix, so a
/// client's text quoted later in a message cannot pass for one).
pub(crate) const OUT_OF_RANGE_MARK: &str = "out of range: ";
pub(crate) const DECIMALS_MARK: &str = "too many decimal places: ";

impl<K: DecimalKind> Dec<K> {
    /// `value` if it is within the kind's range and precision.
    pub fn new(value: Decimal) -> Result<Self, ValueError> {
        let low = if K::MIN_INCLUSIVE {
            value < K::MIN
        } else {
            value <= K::MIN
        };
        if low || value > K::MAX {
            return Err(ValueError::OutOfRange {
                value: value.to_string(),
                what: K::WHAT,
                min: K::MIN.to_string(),
                max: K::MAX.to_string(),
            });
        }
        if value.normalize().scale() > K::SCALE {
            return Err(ValueError::TooManyDecimals {
                value: value.to_string(),
                what: K::WHAT,
                scale: K::SCALE,
            });
        }
        Ok(Dec {
            value,
            kind: PhantomData,
        })
    }

    pub fn get(self) -> Decimal {
        self.value
    }
}

/// Read a decimal string exactly: `-?digits(.digits)?`, no exponent, no spaces, at most `scale` places
/// (trailing zeros carry no precision: "1.500000000" is one place). No allocation.
fn parse_exact(s: &str, what: &'static str, scale: u32) -> Result<Decimal, ValueError> {
    let not_a_number = || ValueError::NotANumber(truncated(s));
    let out_of_range = || ValueError::OutOfRange {
        value: truncated(s),
        what,
        min: String::new(),
        max: String::new(),
    };
    let digits = |p: &[u8]| p.iter().all(u8::is_ascii_digit);
    let (negative, body) = match s.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        all => (false, all),
    };
    let (int, frac) = match body.iter().position(|&b| b == b'.') {
        Some(i) => (&body[..i], &body[i + 1..]),
        None => (body, &[][..]),
    };
    if int.is_empty()
        || !digits(int)
        || !digits(frac)
        || (frac.is_empty() && int.len() < body.len())
    {
        return Err(not_a_number());
    }
    let significant = &frac[..frac.len() - frac.iter().rev().take_while(|&&b| b == b'0').count()];
    if significant.len() > scale as usize {
        return Err(ValueError::TooManyDecimals {
            value: truncated(s),
            what,
            scale,
        });
    }
    let int = &int[int.iter().take_while(|&&b| b == b'0').count()..];
    // 28 significant digits always fit a Decimal; more are far outside every kind's range.
    if int.len() + significant.len() > 28 {
        return Err(out_of_range());
    }
    // Keep the places as written ("12.50" stays 12.50) where they fit.
    let frac = if int.len() + frac.len() <= 28 {
        frac
    } else {
        significant
    };
    let mantissa = int
        .iter()
        .chain(frac)
        .fold(0i128, |m, &d| m * 10 + i128::from(d - b'0'));
    let mantissa = if negative { -mantissa } else { mantissa };
    #[allow(clippy::cast_possible_truncation)] // int.len() + frac.len() <= 28, checked above
    Decimal::try_from_i128_with_scale(mantissa, frac.len() as u32).map_err(|_| out_of_range())
}

/// A value quoted in a message: at most 40 characters of it.
fn truncated(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}

impl<K: DecimalKind> FromStr for Dec<K> {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, ValueError> {
        // A kind that cannot be negative takes no sign (not even "-0"), as its JSON Schema says.
        if K::MIN >= Decimal::ZERO && s.starts_with('-') {
            return Err(ValueError::OutOfRange {
                value: truncated(s),
                what: K::WHAT,
                min: K::MIN.to_string(),
                max: K::MAX.to_string(),
            });
        }
        let v = parse_exact(s, K::WHAT, K::SCALE).map_err(|e| match e {
            ValueError::OutOfRange { value, what, .. } => ValueError::OutOfRange {
                value,
                what,
                min: K::MIN.to_string(),
                max: K::MAX.to_string(),
            },
            e => e,
        })?;
        Dec::new(v)
    }
}

impl<K: DecimalKind> TryFrom<Decimal> for Dec<K> {
    type Error = ValueError;
    fn try_from(value: Decimal) -> Result<Self, ValueError> {
        Dec::new(value)
    }
}

impl<K> From<Dec<K>> for Decimal {
    fn from(d: Dec<K>) -> Decimal {
        d.value
    }
}

impl<K> Deref for Dec<K> {
    type Target = Decimal;
    fn deref(&self) -> &Decimal {
        &self.value
    }
}

value_traits!(Dec);

impl<K> Serialize for Dec<K> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.value)
    }
}

impl<'de, K: DecimalKind> Deserialize<'de> for Dec<K> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<K>(PhantomData<K>);
        impl<K: DecimalKind> Visitor<'_> for V<K> {
            type Value = Dec<K>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} as a decimal string", K::WHAT)
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Dec<K>, E> {
                s.parse().map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Dec<K>, E> {
                Err(E::custom(ValueError::NotAString(K::WHAT)))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Dec<K>, E> {
                Err(E::custom(ValueError::NotAString(K::WHAT)))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Dec<K>, E> {
                Err(E::custom(ValueError::NotAString(K::WHAT)))
            }
        }
        // `any`, so a JSON number reaches the visitor and is refused with the reason.
        d.deserialize_any(V(PhantomData))
    }
}

impl<K: DecimalKind> schemars::JsonSchema for Dec<K> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        let what = K::WHAT.trim_start_matches("a ").trim_start_matches("an ");
        let mut name: String = what
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect();
        name.insert_str(0, "Decimal");
        name.into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let frac = if K::SCALE > 0 {
            format!("(\\.[0-9]{{1,{}}}0*)?", K::SCALE)
        } else {
            "(\\.0+)?".into()
        };
        let sign = if K::MIN < Decimal::ZERO { "-?" } else { "" };
        schemars::json_schema!({
            "type": "string",
            "pattern": format!("^{sign}[0-9]+{frac}$"),
            "description": format!(
                "{}: a decimal string, {}{} ..= {}, at most {} decimal places",
                K::WHAT,
                K::MIN,
                if K::MIN_INCLUSIVE { "" } else { " (exclusive)" },
                K::MAX,
                K::SCALE
            ),
        })
    }
}

macro_rules! decimal_kind {
    ($(#[$doc:meta])* $ty:ident, $kind:ident, $what:literal, $min:expr, $max:expr, $scale:literal $(, exclusive_min $excl:literal)?) => {
        #[doc(hidden)]
        #[derive(Debug)]
        pub enum $kind {}
        impl DecimalKind for $kind {
            const WHAT: &'static str = $what;
            const MIN: Decimal = $min;
            const MAX: Decimal = $max;
            const SCALE: u32 = $scale;
            $(const MIN_INCLUSIVE: bool = !$excl;)?
        }
        $(#[$doc])*
        pub type $ty = Dec<$kind>;
    };
}

const BILLION: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);
const TRILLION: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0); // 1e12

decimal_kind!(
    /// An invoiced quantity (BT-129): negative to correct an earlier invoice.
    Quantity, QuantityKind, "a quantity", Decimal::from_parts(1_000_000_000, 0, 0, true, 0), BILLION, 6
);
decimal_kind!(
    /// A unit price (BT-146), not negative.
    Price, PriceKind, "a unit price", Decimal::ZERO, TRILLION, 6
);
decimal_kind!(
    /// Money: an allowance or charge, a prepaid amount, a credit limit, a payment.
    Amount, AmountKind, "an amount", Decimal::ZERO, MAX_AMOUNT, 6
);
decimal_kind!(
    /// A percentage of a base amount (an allowance of 5%).
    Percent, PercentKind, "a percentage", Decimal::ZERO, Decimal::ONE_HUNDRED, 4
);
decimal_kind!(
    /// A tax rate in percent (BT-152).
    TaxRate, TaxRateKind, "a tax rate", Decimal::ZERO, Decimal::ONE_HUNDRED, 2
);
decimal_kind!(
    /// Units of the tax currency per unit of the document currency (BT-6 conversion).
    ExchangeRate, ExchangeRateKind, "an exchange rate", Decimal::ZERO, BILLION, 10, exclusive_min true
);

/// The range of one kind of integer value.
pub trait IntKind {
    const WHAT: &'static str;
    const MIN: i64;
    const MAX: i64;
}

/// An integer of kind `K`, within its range. JSON: an integer (not a string, not a fraction).
pub struct Int<K> {
    value: i64,
    kind: PhantomData<K>,
}

impl<K: IntKind> Int<K> {
    pub fn new(value: i64) -> Result<Self, IntError> {
        if (K::MIN..=K::MAX).contains(&value) {
            Ok(Int {
                value,
                kind: PhantomData,
            })
        } else {
            Err(IntError {
                value: value.to_string(),
                what: K::WHAT,
                min: K::MIN,
                max: K::MAX,
            })
        }
    }

    pub fn get(self) -> i64 {
        self.value
    }

    /// A value written in the code (a default): checked when compiled where used in a constant, and
    /// a panic (a programming error) otherwise if it is out of range.
    pub const fn known(value: i64) -> Self {
        assert!(
            value >= K::MIN && value <= K::MAX,
            "out of the kind's range"
        );
        Int {
            value,
            kind: PhantomData,
        }
    }
}

/// An integer outside its kind's range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("out of range: {value} is not {what} ({min} ..= {max})")]
pub struct IntError {
    pub value: String,
    pub what: &'static str,
    pub min: i64,
    pub max: i64,
}

impl<K> Deref for Int<K> {
    type Target = i64;
    fn deref(&self) -> &i64 {
        &self.value
    }
}
value_traits!(Int);
impl<K: IntKind> TryFrom<i64> for Int<K> {
    type Error = IntError;
    fn try_from(v: i64) -> Result<Self, IntError> {
        Int::new(v)
    }
}

impl<K> Serialize for Int<K> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.value)
    }
}

impl<'de, K: IntKind> Deserialize<'de> for Int<K> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<K>(PhantomData<K>);
        impl<K: IntKind> Visitor<'_> for V<K> {
            type Value = Int<K>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} as an integer, {} ..= {}", K::WHAT, K::MIN, K::MAX)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int<K>, E> {
                Int::new(v).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int<K>, E> {
                match i64::try_from(v) {
                    Ok(v) => Int::new(v).map_err(E::custom),
                    Err(_) => Err(E::custom(IntError {
                        value: v.to_string(),
                        what: K::WHAT,
                        min: K::MIN,
                        max: K::MAX,
                    })),
                }
            }
        }
        d.deserialize_i64(V(PhantomData))
    }
}

impl<K: IntKind> schemars::JsonSchema for Int<K> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("Int{}To{}", K::MIN, K::MAX)
            .replace('-', "Minus")
            .into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "integer",
            "minimum": K::MIN,
            "maximum": K::MAX,
            "description": K::WHAT,
        })
    }
}

macro_rules! int_kind {
    ($(#[$doc:meta])* $ty:ident, $kind:ident, $what:literal, $min:expr, $max:expr) => {
        #[doc(hidden)]
        #[derive(Debug)]
        pub enum $kind {}
        impl IntKind for $kind {
            const WHAT: &'static str = $what;
            const MIN: i64 = $min;
            const MAX: i64 = $max;
        }
        $(#[$doc])*
        pub type $ty = Int<$kind>;
    };
}

int_kind!(
    /// Days relative to a due date (a reminder stage): within a year either way.
    DayOffset, DayOffsetKind, "a number of days from the due date", -365, 365
);
int_kind!(
    /// How many times something happened (late payments in the last 12 months).
    Count, CountKind, "a count", 0, 10_000
);
int_kind!(
    /// A month of the year (a fiscal year's first month).
    Month, MonthKind, "a month, 1-12", 1, 12
);
int_kind!(
    /// A moment in Unix seconds, 2000-01-01 to 2199-12-31 (webhook timestamps and `created` times).
    UnixTime, UnixTimeKind, "a Unix time", 946_684_800, 7_258_118_399
);

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Result<Quantity, ValueError> {
        s.parse()
    }

    #[test]
    fn decimals_are_read_exactly_or_refused() {
        assert_eq!(q("12").map(Dec::get), Ok(Decimal::from(12)));
        assert_eq!(q("-0.5").map(Dec::get), Ok(Decimal::new(-5, 1)));
        assert_eq!(q("1.500000000").map(Dec::get), Ok(Decimal::new(15, 1)));
        assert_eq!(q("0.000001").map(Dec::get), Ok(Decimal::new(1, 6)));
        for bad in [
            "", "-", ".5", "5.", "1e3", "+1", " 1", "1 ", "0x10", "1.2.3", "١٢", "NaN",
        ] {
            assert!(matches!(q(bad), Err(ValueError::NotANumber(_))), "{bad:?}");
        }
        assert!(matches!(
            q("0.0000001"),
            Err(ValueError::TooManyDecimals { .. })
        ));
        // 30 decimals are refused, not rounded to zero.
        assert!(matches!(
            "0.000000000000000000000000000001".parse::<Price>(),
            Err(ValueError::TooManyDecimals { .. })
        ));
        for big in [
            "1000000001",
            "-1000000001",
            "79228162514264337593543950335",
            &"9".repeat(400),
        ] {
            assert!(
                matches!(q(big), Err(ValueError::OutOfRange { .. })),
                "{big}"
            );
        }
        assert!("-1".parse::<Amount>().is_err());
        assert!("0".parse::<ExchangeRate>().is_err());
        assert!("0.0000000001".parse::<ExchangeRate>().is_ok());
        assert_eq!(
            "1000000000000000".parse::<Amount>().map(Dec::get),
            Ok(MAX_AMOUNT)
        );
        assert!("1000000000000000.000001".parse::<Amount>().is_err());
    }

    #[test]
    fn json_wants_strings_for_decimals_and_integers_for_counts() {
        let a: Result<Amount, _> = serde_json::from_str("\"58136\"");
        assert!(a.is_ok());
        for number in ["58136", "0.1", "-1"] {
            let e = serde_json::from_str::<Amount>(number).expect_err(number);
            assert!(e.to_string().contains("as JSON strings"), "{e}");
        }
        assert_eq!(
            serde_json::from_str::<DayOffset>("-3").map(Int::get).ok(),
            Some(-3)
        );
        for bad in [
            "-9223372036854775808",
            "366",
            "\"3\"",
            "3.0",
            "18446744073709551615",
        ] {
            assert!(serde_json::from_str::<DayOffset>(bad).is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<UnixTime>("-9223372036854775808").is_err());
        assert_eq!(
            serde_json::to_string(&"12.50".parse::<Price>().expect("price")).ok(),
            Some("\"12.50\"".into())
        );
    }

    #[test]
    fn the_documented_constants_are_what_they_say() {
        assert_eq!(MAX_AMOUNT, Decimal::from(1_000_000_000_000_000_i64));
        assert_eq!(TRILLION, Decimal::from(1_000_000_000_000_i64));
        assert_eq!(QuantityKind::MIN, Decimal::from(-1_000_000_000));
    }
}
