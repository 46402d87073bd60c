//! Dates in tests. No test depends on the day it runs: the contract suite runs on an injected clock set
//! to [`test_date`], the end-to-end tests on the local stack's clock ([`crate::LocalStack::now`]), and
//! fixtures are moved to the date a test needs with [`fixture_on`] (every date in them moves by the same
//! number of days, so due dates, periods and delivery dates keep their distance to the issue date).

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde_json::Value;

/// The environment variable naming the date the suites run on (YYYY-MM-DD): the contract suite's
/// clock, and the local stack's functions' clock when `scripts/local-stack.sh up` starts them.
pub const TEST_DATE_VAR: &str = "SEIKYU_TEST_DATE";

/// The contract suite's date when `SEIKYU_TEST_DATE` is unset: the date the fixtures are written for.
pub const DEFAULT_TEST_DATE: &str = "2026-11-05";

/// The dates a suite can run on: the holiday calendar's years (2016-2099), with room for a walk through
/// the reminders of an invoice issued on the last one.
pub const TEST_DATES: (&str, &str) = ("2016-01-01", "2099-09-30");

/// The date the contract suite runs on: `SEIKYU_TEST_DATE`, else [`DEFAULT_TEST_DATE`].
/// Panics (a test setup error) when the variable is not a date within [`TEST_DATES`].
pub fn test_date() -> NaiveDate {
    let raw = std::env::var(TEST_DATE_VAR)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_TEST_DATE.into());
    let date = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d");
    match (date(&raw), date(TEST_DATES.0), date(TEST_DATES.1)) {
        (Ok(d), Ok(first), Ok(last)) if (first..=last).contains(&d) => d,
        _ => panic!(
            "{TEST_DATE_VAR}={raw:?} is not a date from {} to {} (YYYY-MM-DD)",
            TEST_DATES.0, TEST_DATES.1
        ),
    }
}

/// 10:00 in Tokyo on `day`: the instant a suite's clock starts at (14 hours before the day ends).
pub fn ten_jst(day: NaiveDate) -> DateTime<Utc> {
    let at = day.and_hms_opt(1, 0, 0).expect("01:00 exists");
    Utc.from_utc_datetime(&at)
}

/// The number `n` of a test seller's (`prefix`, fiscal year from April, as every test seller has)
/// `series` ("" invoices, "CN-" credit notes, "R-" receipts) for a document issued on `issued`.
pub fn document_number(prefix: &str, series: &str, issued: NaiveDate, n: u32) -> String {
    let fy = seikyu_domain::dates::fiscal_year(issued, 4);
    format!("{prefix}-{series}{fy}-{n:06}")
}

/// Move every date (a JSON string that is exactly `YYYY-MM-DD`) in `value` by `days`.
pub fn shift_dates(value: &mut Value, days: i64) {
    match value {
        Value::String(s) => {
            if s.len() == 10
                && let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
            {
                *s = (d + Duration::days(days)).to_string();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| shift_dates(v, days)),
        Value::Object(map) => map.values_mut().for_each(|v| shift_dates(v, days)),
        _ => {}
    }
}

/// The valid fixture `name` as JSON, with its dates moved so that it is issued on `issue_date`.
pub fn fixture_on(name: &str, issue_date: NaiveDate) -> Value {
    let path = crate::fixtures_dir("valid").join(format!("{name}.json"));
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut v: Value =
        serde_json::from_slice(&raw).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let written = v["issue_date"]
        .as_str()
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .unwrap_or_else(|| panic!("{}: no issue_date", path.display()));
    shift_dates(&mut v, (issue_date - written).num_days());
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dates_move_together_across_a_leap_day() {
        let mut v = json!({
            "issue_date": "2028-02-27", "due_date": "2028-03-31",
            "period": {"start": "2028-02-01", "end": "2028-02-29"},
            "lines": [{"note": "2028-02-27 delivery", "id": "2028-02-2"}], "n": 20280227
        });
        shift_dates(&mut v, 2);
        assert_eq!(
            v,
            json!({
                "issue_date": "2028-02-29", "due_date": "2028-04-02",
                "period": {"start": "2028-02-03", "end": "2028-03-02"},
                "lines": [{"note": "2028-02-27 delivery", "id": "2028-02-2"}], "n": 20280227
            })
        );
    }

    #[test]
    fn fixtures_move_to_the_date_asked() {
        let day = NaiveDate::from_ymd_opt(2030, 12, 31).expect("date");
        let v = fixture_on("jp-standard-10-lines", day);
        assert_eq!(v["issue_date"], "2030-12-31");
        // Written 2026-11-05, due 2026-11-30: still due 25 days after issue.
        assert_eq!(v["due_date"], "2031-01-25");
    }

    #[test]
    fn numbers_carry_the_fiscal_year_of_their_issue_date() {
        let d = |m, day| NaiveDate::from_ymd_opt(2027, m, day).expect("date");
        assert_eq!(document_number("AOZ", "", d(3, 31), 7), "AOZ-2026-000007");
        assert_eq!(
            document_number("AOZ", "R-", d(4, 1), 1),
            "AOZ-R-2027-000001"
        );
    }

    #[test]
    fn ten_in_tokyo_is_one_utc() {
        let day = NaiveDate::from_ymd_opt(2028, 2, 29).expect("date");
        assert_eq!(ten_jst(day).to_rfc3339(), "2028-02-29T01:00:00+00:00");
    }
}
