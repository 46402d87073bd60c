//! The clock the functions run on.
//!
//! In every deployment it is the system clock. The end-to-end tests need the deployed functions to run on
//! a date they choose (a leap day, a new fiscal year), so a debug build with the cargo feature
//! `test-clock` (which only `scripts/local-stack.sh` turns on, for `cargo lambda watch`) shifts it by
//! `SEIKYU_TEST_CLOCK_OFFSET_SECONDS`. A release build cannot contain that code: the feature refuses to
//! compile without debug assertions, and `sam build` builds release binaries without features, so no
//! setting of the SAM template or the Lambda console can move a deployed function's clock.

use chrono::{DateTime, Duration, Utc};
use seikyu_service::ports::{Clock, SystemClock};

use crate::ConfigError;

#[cfg(all(feature = "test-clock", not(debug_assertions)))]
compile_error!(
    "the `test-clock` feature is for the local stack's debug builds only; release builds never have it"
);

/// The environment variable the test clock reads (with the `test-clock` feature only).
pub const OFFSET_VAR: &str = "SEIKYU_TEST_CLOCK_OFFSET_SECONDS";

/// Offsets further than this (about 100 years) are refused: a mistake, not a test date.
const MAX_OFFSET_SECONDS: i64 = 100 * 366 * 86_400;

/// The system clock moved by a fixed offset: time still passes, from another starting point.
#[derive(Debug, Clone, Copy)]
pub struct ShiftedClock {
    offset: Duration,
}

impl ShiftedClock {
    /// `offset` seconds from `SEIKYU_TEST_CLOCK_OFFSET_SECONDS`: a signed integer within about 100 years.
    pub fn parse(offset: &str) -> Result<Self, ConfigError> {
        let invalid = || ConfigError::Invalid {
            name: OFFSET_VAR,
            expected: "a signed number of seconds within 100 years",
        };
        let secs: i64 = offset.trim().parse().map_err(|_| invalid())?;
        if secs.unsigned_abs() > MAX_OFFSET_SECONDS.unsigned_abs() {
            return Err(invalid());
        }
        Ok(ShiftedClock {
            offset: Duration::seconds(secs),
        })
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        SystemClock.now() + self.offset
    }
}

/// The clock type of the functions in this build.
#[cfg(not(feature = "test-clock"))]
pub type FunctionClock = SystemClock;
/// The clock type of the functions in this build (the local stack's, shifted).
#[cfg(feature = "test-clock")]
pub type FunctionClock = ShiftedClock;

/// The functions' clock: the system clock, or (local stack only) the shifted one.
#[cfg(not(feature = "test-clock"))]
pub fn function_clock() -> Result<FunctionClock, ConfigError> {
    Ok(SystemClock)
}

/// The functions' clock: the system clock, or (local stack only) the shifted one.
#[cfg(feature = "test-clock")]
pub fn function_clock() -> Result<FunctionClock, ConfigError> {
    let offset = std::env::var(OFFSET_VAR).unwrap_or_else(|_| "0".into());
    let clock = ShiftedClock::parse(&offset)?;
    tracing::warn!(
        offset_seconds = clock.offset.num_seconds(),
        now = %clock.now(),
        "test clock: this debug build runs on a shifted clock"
    );
    Ok(clock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_parse_within_bounds() {
        let c = ShiftedClock::parse("-86400").expect("a day back");
        let lag = SystemClock.now() - c.now();
        assert!((86_399..=86_401).contains(&lag.num_seconds()), "{lag}");
        assert!(ShiftedClock::parse(" 0 ").is_ok());
        for bad in [
            "",
            "1.5",
            "tomorrow",
            "99999999999999999999",
            "9223372036854775807",
        ] {
            assert!(ShiftedClock::parse(bad).is_err(), "{bad:?}");
        }
    }

    /// What deploys the functions never turns the test clock on: neither the SAM template (its build
    /// properties or environment) nor the deploy settings mention the feature or the variable.
    #[test]
    fn deployments_cannot_switch_the_test_clock_on() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        for file in ["infra/template.yaml", "samconfig.toml"] {
            let text = std::fs::read_to_string(root.join(file)).expect(file);
            for word in ["test-clock", OFFSET_VAR, "SEIKYU_TEST_DATE"] {
                assert!(!text.contains(word), "{file} mentions {word}");
            }
        }
    }
}
