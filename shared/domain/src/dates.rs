//! Business dates: Seikyu's days are Tokyo days, and numbers restart each fiscal year of the seller.
//! Pure: the caller passes the instant (the core never reads a clock).

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};

/// Japan Standard Time (UTC+9, no daylight saving).
pub fn jst() -> FixedOffset {
    const NINE_HOURS: i32 = 9 * 3600;
    match FixedOffset::east_opt(NINE_HOURS) {
        Some(offset) => offset,
        None => unreachable!("UTC+9 is within a day"),
    }
}

/// The Tokyo calendar date of `t`: issue dates, "overdue" and the reminder days are Tokyo dates.
pub fn tokyo_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&jst()).date_naive()
}

/// The fiscal year `date` falls in, named by the calendar year it starts in (`start_month` 1-12).
pub fn fiscal_year(date: NaiveDate, start_month: u32) -> i32 {
    if date.month() >= start_month.clamp(1, 12) {
        date.year()
    } else {
        date.year() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn tokyo_days_turn_at_15_utc() {
        let at = |h, m, s| {
            Utc.with_ymd_and_hms(2026, 11, 4, h, m, s)
                .single()
                .unwrap_or_default()
        };
        assert_eq!(tokyo_date(at(15, 0, 0)), ymd(2026, 11, 5));
        assert_eq!(tokyo_date(at(14, 59, 59)), ymd(2026, 11, 4));
    }

    #[test]
    fn fiscal_years_start_in_the_sellers_month() {
        assert_eq!(fiscal_year(ymd(2026, 3, 31), 4), 2025);
        assert_eq!(fiscal_year(ymd(2026, 4, 1), 4), 2026);
        assert_eq!(fiscal_year(ymd(2026, 1, 1), 1), 2026);
    }
}
