//! Dates in Zengin files: 和暦 YYMMDD, the year of the Japanese era.
//!
//! 平成 (Heisei) ran to 2019-04-30 (平成31年4月30日); 令和 (Reiwa) began on 2019-05-01 (令和元年5月1日).
//! Two digits do not name the era, so the year decides it:
//!
//! - `20` to `31` are 平成 (2008 to 2019). 平成31 is accepted for the whole of 2019: several banks' systems
//!   kept writing 平成31 for some months after the era changed (e.g. `310515` is 2019-05-15);
//! - `01` to `19` are 令和 (2019 to 2037); 令和元年 (`01`) starts on 05-01, so `010430` is refused;
//! - anything else (a 平成 year before 2008, a year 0) is refused: no statement file reaches that far.
//!
//! `000000` (or spaces) is "no date" where a layout allows it (e.g. 起算日 left blank).

use chrono::NaiveDate;

/// The first day of 令和.
pub const REIWA_START: (i32, u32, u32) = (2019, 5, 1);

/// The Gregorian date of a 和暦 `YYMMDD`; `Ok(None)` for an empty date (`000000` or spaces).
pub fn parse(field: &str) -> Result<Option<NaiveDate>, String> {
    if field.trim().is_empty() || field == "000000" {
        return Ok(None);
    }
    if field.len() != 6 || !field.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("date {field:?} is not 和暦 YYMMDD"));
    }
    let num = |r: std::ops::Range<usize>| field[r].parse::<u32>().unwrap_or(0);
    let (yy, mm, dd) = (num(0..2), num(2..4), num(4..6));
    let year = match yy {
        20..=31 => 1988 + yy as i32,
        1..=19 => 2018 + yy as i32,
        _ => {
            return Err(format!(
                "date {field:?}: year {yy:02} is neither 令和 01-19 nor 平成 20-31"
            ));
        }
    };
    let date = NaiveDate::from_ymd_opt(year, mm, dd)
        .ok_or_else(|| format!("date {field:?} is not a calendar date"))?;
    let (y, m, d) = REIWA_START;
    let reiwa_start = NaiveDate::from_ymd_opt(y, m, d).unwrap_or(date);
    if yy <= 19 && date < reiwa_start {
        return Err(format!(
            "date {field:?}: 令和 began on 2019-05-01 (令和元年5月1日)"
        ));
    }
    Ok(Some(date))
}

/// `date` as 和暦 YYMMDD (令和 from 2019-05-01, 平成 before), for writing test files.
pub fn format(date: NaiveDate) -> String {
    use chrono::Datelike;
    let (y, m, d) = REIWA_START;
    let reiwa = NaiveDate::from_ymd_opt(y, m, d).is_some_and(|s| date >= s);
    let yy = if reiwa {
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

    #[test]
    fn around_the_change_of_era() {
        assert_eq!(parse("310430"), Ok(d(2019, 4, 30)));
        assert_eq!(parse("010501"), Ok(d(2019, 5, 1)));
        assert_eq!(
            parse("310515"),
            Ok(d(2019, 5, 15)),
            "平成31 written after the change"
        );
        assert!(parse("010430").is_err(), "令和元年4月 never existed");
        assert_eq!(parse("081130"), Ok(d(2026, 11, 30)));
        assert_eq!(parse("300101"), Ok(d(2018, 1, 1)));
        assert_eq!(parse("200229"), Ok(d(2008, 2, 29)));
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
    fn empty_and_wrong_dates() {
        assert_eq!(parse("000000"), Ok(None));
        assert_eq!(parse("      "), Ok(None));
        assert!(parse("080230").is_err());
        assert!(parse("321201").is_err());
        assert!(parse("001201").is_err());
        assert!(parse("0811 1").is_err());
        assert!(parse("08113").is_err());
    }
}
