//! Dates in Zengin files: 和暦 YYMMDD, the year of the Japanese era.
//!
//! 平成 (Heisei) ran to 2019-04-30 (平成31年4月30日); 令和 (Reiwa) began on 2019-05-01 (令和元年5月1日).
//! Two digits do not name the era: `05` is 平成5 (1993) or 令和5 (2023). The reader takes the era whose
//! date is nearest the day the file is read (`reference`; the service passes its clock's Tokyo day, the
//! CLI today or `--as-of`). Statements are read within days of their dates, so this is exact for any
//! file less than about fifteen years old, and the same file read the same day always gives the same
//! dates. Around the change of era:
//!
//! - `310430` is 2019-04-30 and `010501` is 2019-05-01;
//! - 平成31 is accepted for the whole of 2019 (`310515` is 2019-05-15): several banks' systems kept
//!   writing 平成31 for some months after the era changed;
//! - 令和元年 (`01`) starts on 05-01, so `010430` read as 令和 does not exist and is 平成1 (1989-04-30), which
//!   is refused as too far from the reference when the reference is recent (more than 20 years away).
//!
//! `000000` (or spaces) is "no date" where a layout allows it (e.g. 起算日 left blank).

use chrono::{Datelike, NaiveDate};

/// The first day of 令和.
pub const REIWA_START: (i32, u32, u32) = (2019, 5, 1);

/// How far from the reference a date may be.
const MAX_YEARS_AWAY: i32 = 20;

fn reiwa_start() -> NaiveDate {
    let (y, m, d) = REIWA_START;
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// The Gregorian date of a 和暦 `YYMMDD` read on `reference`; `Ok(None)` for an empty date.
pub fn parse(field: &str, reference: NaiveDate) -> Result<Option<NaiveDate>, String> {
    if field.trim().is_empty() || field == "000000" {
        return Ok(None);
    }
    if field.len() != 6 || !field.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("date {field:?} is not 和暦 YYMMDD"));
    }
    let num = |r: std::ops::Range<usize>| field[r].parse::<u32>().unwrap_or(0);
    let (yy, mm, dd) = (num(0..2) as i32, num(2..4), num(4..6));
    if yy == 0 {
        return Err(format!("date {field:?}: year 00 is no era's year"));
    }
    let heisei = NaiveDate::from_ymd_opt(1988 + yy, mm, dd)
        .filter(|d| yy <= 31 && (d < &reiwa_start() || d.year() == 2019));
    let reiwa = NaiveDate::from_ymd_opt(2018 + yy, mm, dd).filter(|d| d >= &reiwa_start());
    let nearest = [heisei, reiwa].into_iter().flatten().min_by_key(|d| {
        (
            d.signed_duration_since(reference).num_days().abs(),
            d.year(),
        )
    });
    let before_reiwa = reiwa.is_none()
        && NaiveDate::from_ymd_opt(2018 + yy, mm, dd).is_some_and(|d| d < reiwa_start());
    match nearest {
        Some(d) if (d.year() - reference.year()).abs() <= MAX_YEARS_AWAY => Ok(Some(d)),
        Some(d) => Err(format!(
            "date {field:?}{} would be {d}, more than {MAX_YEARS_AWAY} years from {reference}",
            if before_reiwa {
                " is not 令和 (令和 began on 2019-05-01) and"
            } else {
                ""
            }
        )),
        None if NaiveDate::from_ymd_opt(2018 + yy, mm, dd).is_some() => Err(format!(
            "date {field:?}: 令和 began on 2019-05-01 (令和元年5月1日) and 平成 does not reach it"
        )),
        None => Err(format!("date {field:?} is not a calendar date")),
    }
}

/// `date` as 和暦 YYMMDD (令和 from 2019-05-01, 平成 before), for writing test files.
pub fn format(date: NaiveDate) -> String {
    let yy = if date >= reiwa_start() {
        date.year() - 2018
    } else {
        date.year() - 1988
    };
    format!("{yy:02}{:02}{:02}", date.month(), date.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, dd: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, dd)
    }

    fn on(y: i32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, 6, 1).unwrap_or_default()
    }

    #[test]
    fn around_the_change_of_era() {
        let p = |f: &str| parse(f, on(2019));
        assert_eq!(p("310430"), Ok(d(2019, 4, 30)));
        assert_eq!(p("010501"), Ok(d(2019, 5, 1)));
        assert_eq!(
            p("310515"),
            Ok(d(2019, 5, 15)),
            "平成31 written after the change"
        );
        assert!(
            p("010430").is_err(),
            "令和元年4月 never existed; 平成1 is 30 years away"
        );
        assert_eq!(p("300101"), Ok(d(2018, 1, 1)));
        assert_eq!(p("200229"), Ok(d(2008, 2, 29)), "2038 has no 29 February");
        assert_eq!(
            format(NaiveDate::from_ymd_opt(2019, 4, 30).unwrap_or_default()),
            "310430"
        );
        assert_eq!(
            format(NaiveDate::from_ymd_opt(2019, 5, 1).unwrap_or_default()),
            "010501"
        );
        assert_eq!(
            format(NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default()),
            "081130"
        );
    }

    #[test]
    fn the_era_nearest_the_reading_day() {
        assert_eq!(parse("081130", on(2026)), Ok(d(2026, 11, 30)));
        assert_eq!(
            parse("081130", on(2000)),
            Ok(d(1996, 11, 30)),
            "平成8 read in 2000"
        );
        assert_eq!(
            parse("250401", on(2043)),
            Ok(d(2043, 4, 1)),
            "令和25, not 平成25"
        );
        assert_eq!(parse("250401", on(2013)), Ok(d(2013, 4, 1)));
        // Every day from 2016 to 2099 written and read back on the day.
        let mut day = NaiveDate::from_ymd_opt(2016, 1, 1).unwrap_or_default();
        while day.year() < 2100 {
            assert_eq!(parse(&format(day), day), Ok(Some(day)), "{day}");
            day += chrono::Duration::days(13);
        }
    }

    #[test]
    fn empty_and_wrong_dates() {
        let p = |f: &str| parse(f, on(2026));
        assert_eq!(p("000000"), Ok(None));
        assert_eq!(p("      "), Ok(None));
        assert!(p("080230").is_err());
        assert!(p("001201").is_err());
        assert!(p("0811 1").is_err());
        assert!(p("08113").is_err());
        assert!(p("991201").is_err(), "令和99 is 2117");
    }
}
