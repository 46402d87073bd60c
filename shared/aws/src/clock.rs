//! The clock the functions run on.
//!
//! In every deployment it is the system clock. The end-to-end tests need the deployed functions to run
//! on a date they choose (a leap day, a new fiscal year), so a build with the cargo feature
//! `test-clock` shifts it by `SEIKYU_TEST_CLOCK_OFFSET_SECONDS`. Only `scripts/local-stack.sh` turns
//! the feature on, for the debug builds of `cargo lambda watch`. A deployment cannot: the feature is
//! off by default and no manifest, template or deploy setting names it (a test below checks every one),
//! and it refuses to compile without debug assertions, as in the release builds `sam build` makes.
//! Without the feature the shifted clock is not compiled and the variable is never read, so no
//! environment setting can move a deployed function's clock.

#[cfg(any(test, feature = "test-clock"))]
use chrono::{DateTime, Duration, Utc};
#[cfg(any(test, feature = "test-clock"))]
use seikyu_service::ports::Clock;
use seikyu_service::ports::SystemClock;

use crate::ConfigError;

#[cfg(all(feature = "test-clock", not(debug_assertions)))]
compile_error!(
    "the `test-clock` feature is for the local stack's debug builds only; release builds never have it"
);

/// The environment variable the test clock reads (with the `test-clock` feature only).
pub const OFFSET_VAR: &str = "SEIKYU_TEST_CLOCK_OFFSET_SECONDS";

/// Offsets further than this (about 100 years) are refused: a mistake, not a test date.
#[cfg(any(test, feature = "test-clock"))]
const MAX_OFFSET_SECONDS: u64 = 100 * 366 * 86_400;

/// The system clock moved by a fixed offset: time still passes, from another starting point.
#[cfg(any(test, feature = "test-clock"))]
#[derive(Debug, Clone, Copy)]
pub struct ShiftedClock {
    offset: Duration,
}

#[cfg(any(test, feature = "test-clock"))]
impl ShiftedClock {
    /// `offset` seconds from `SEIKYU_TEST_CLOCK_OFFSET_SECONDS`: a signed integer within about 100 years.
    pub fn parse(offset: &str) -> Result<Self, ConfigError> {
        let invalid = || ConfigError::Invalid {
            name: OFFSET_VAR,
            expected: "a signed number of seconds within 100 years",
        };
        let secs: i64 = offset.trim().parse().map_err(|_| invalid())?;
        if secs.unsigned_abs() > MAX_OFFSET_SECONDS {
            return Err(invalid());
        }
        Ok(ShiftedClock {
            offset: Duration::seconds(secs),
        })
    }
}

#[cfg(any(test, feature = "test-clock"))]
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

    /// What builds and deploys the functions never turns the test clock on: the SAM template (build
    /// properties, environment) and the deploy settings do not mention it, no cargo configuration
    /// does, and in the manifests the feature only ever declares itself (never a default, never enabled
    /// on a dependency, which feature unification would spread to every build of the workspace).
    #[test]
    fn deployments_cannot_switch_the_test_clock_on() {
        use std::path::Path;
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        for file in [
            "infra/template.yaml",
            "samconfig.toml",
            ".cargo/config.toml",
            ".cargo/config",
        ] {
            let text = read(&root.join(file));
            for word in ["test-clock", "test_clock", OFFSET_VAR, "SEIKYU_TEST_DATE"] {
                assert!(!text.contains(word), "{file} mentions {word}");
            }
        }
        let mut manifests = vec![root.join("Cargo.toml"), root.join("tests/Cargo.toml")];
        for dir in ["functions", "shared"] {
            for e in std::fs::read_dir(root.join(dir)).expect(dir).flatten() {
                manifests.push(e.path().join("Cargo.toml"));
            }
        }
        let mut declared = 0;
        for m in manifests {
            for line in read(&m).lines().filter(|l| l.contains("test-clock")) {
                let line = line.trim();
                assert!(
                    line == "test-clock = []"
                        || line == r#"test-clock = ["seikyu-aws/test-clock"]"#,
                    "{}: {line}",
                    m.display()
                );
                declared += 1;
            }
        }
        assert_eq!(declared, 9, "seikyu-aws and the eight functions declare it");
    }
}
