//! Japanese public holidays (国民の祝日に関する法律), for business-day arithmetic in dunning.
//!
//! Covered years: 2016 to 2099 (山の日 exists from 2016; the equinox formula holds to 2099). The rules:
//! - fixed-date holidays and the Happy Monday holidays (成人の日, 海の日, 敬老の日, スポーツの日);
//! - 春分の日 and 秋分の日 from the standard equinox approximation (the Cabinet Office announces them each
//!   February; the approximation agrees for every year it covers);
//! - 天皇誕生日 on 12/23 until 2018, none in 2019, 2/23 from 2020;
//! - the one-off moves of 2019 (即位の日 and 即位礼正殿の儀, with the days between them) and of the Tokyo
//!   Olympics in 2020 and 2021;
//! - 振替休日 (Art. 3-2): a holiday on a Sunday moves the rest to the next day that is not a holiday;
//! - 国民の休日 (Art. 3-3): a weekday between two holidays is a holiday.

use chrono::{Datelike, NaiveDate, Weekday};

/// First and last year the calendar covers.
pub const FIRST_YEAR: i32 = 2016;
pub const LAST_YEAR: i32 = 2099;

fn nth_monday(year: i32, month: u32, n: u32) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, u8::try_from(n).ok()?)
}

/// Day of the vernal (spring) equinox in March.
fn spring_equinox(year: i32) -> u32 {
    let y = f64::from(year - 1980);
    (20.8431 + 0.242194 * y - (y / 4.0).floor()).floor() as u32
}

/// Day of the autumnal equinox in September.
fn autumn_equinox(year: i32) -> u32 {
    let y = f64::from(year - 1980);
    (23.2488 + 0.242194 * y - (y / 4.0).floor()).floor() as u32
}

/// The holidays named by the law for `year` (before 振替休日 and 国民の休日).
fn statutory(year: i32) -> Vec<(NaiveDate, &'static str)> {
    let d = |m: u32, day: u32| NaiveDate::from_ymd_opt(year, m, day);
    let mut v: Vec<(Option<NaiveDate>, &'static str)> = vec![
        (d(1, 1), "元日"),
        (nth_monday(year, 1, 2), "成人の日"),
        (d(2, 11), "建国記念の日"),
        (d(3, spring_equinox(year)), "春分の日"),
        (d(4, 29), "昭和の日"),
        (d(5, 3), "憲法記念日"),
        (d(5, 4), "みどりの日"),
        (d(5, 5), "こどもの日"),
        (d(9, autumn_equinox(year)), "秋分の日"),
        (nth_monday(year, 9, 3), "敬老の日"),
        (d(11, 3), "文化の日"),
        (d(11, 23), "勤労感謝の日"),
    ];
    match year {
        ..=2018 => v.push((d(12, 23), "天皇誕生日")),
        2019 => {}
        _ => v.push((d(2, 23), "天皇誕生日")),
    }
    // Moved for the Tokyo Olympics (令和2年法律第68号, 東京オリンピック特措法).
    match year {
        2020 => v.extend([
            (d(7, 23), "海の日"),
            (d(7, 24), "スポーツの日"),
            (d(8, 10), "山の日"),
        ]),
        2021 => v.extend([
            (d(7, 22), "海の日"),
            (d(7, 23), "スポーツの日"),
            (d(8, 8), "山の日"),
        ]),
        _ => v.extend([
            (nth_monday(year, 7, 3), "海の日"),
            (d(8, 11), "山の日"),
            (
                nth_monday(year, 10, 2),
                if year >= 2020 {
                    "スポーツの日"
                } else {
                    "体育の日"
                },
            ),
        ]),
    }
    if year == 2019 {
        v.extend([(d(5, 1), "即位の日"), (d(10, 22), "即位礼正殿の儀")]);
    }
    let mut out: Vec<(NaiveDate, &'static str)> = v
        .into_iter()
        .filter_map(|(d, n)| d.map(|d| (d, n)))
        .collect();
    out.sort();
    out
}

/// Every public holiday of `year` with its name, in date order; `None` outside the covered years.
pub fn holidays(year: i32) -> Option<Vec<(NaiveDate, &'static str)>> {
    if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
        return None;
    }
    let mut days = statutory(year);
    let is_listed = |days: &[(NaiveDate, &str)], d: NaiveDate| days.iter().any(|(x, _)| *x == d);
    // 国民の休日: a day between two holidays (not itself a Sunday or a holiday).
    let mut between = Vec::new();
    for w in days.windows(2) {
        if let Some(mid) = w[0].0.succ_opt()
            && mid.succ_opt() == Some(w[1].0)
            && mid.weekday() != Weekday::Sun
        {
            between.push((mid, "国民の休日"));
        }
    }
    days.extend(between);
    days.sort();
    // 振替休日: for each holiday on a Sunday, the next day that is not a holiday.
    let mut substitutes = Vec::new();
    for (d, _) in days.iter().filter(|(d, _)| d.weekday() == Weekday::Sun) {
        let mut next = d.succ_opt();
        while let Some(n) = next {
            if !is_listed(&days, n) {
                substitutes.push((n, "振替休日"));
                break;
            }
            next = n.succ_opt();
        }
    }
    days.extend(substitutes);
    days.sort();
    days.dedup_by_key(|(d, _)| *d);
    Some(days)
}

/// The holiday on `date`, if any; `None` also outside the covered years (see [`covers`]).
pub fn holiday(date: NaiveDate) -> Option<&'static str> {
    holidays(date.year())?
        .into_iter()
        .find(|(d, _)| *d == date)
        .map(|(_, n)| n)
}

pub fn covers(date: NaiveDate) -> bool {
    (FIRST_YEAR..=LAST_YEAR).contains(&date.year())
}

/// A Japanese business day: not Saturday, Sunday or a public holiday.
pub fn is_business_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && holiday(date).is_none()
}

/// `date` itself if it is a business day, else the next one.
pub fn next_business_day(date: NaiveDate) -> NaiveDate {
    let mut d = date;
    // At most a week-long run of non-business days (Golden Week); bounded all the same.
    for _ in 0..31 {
        if is_business_day(d) {
            return d;
        }
        match d.succ_opt() {
            Some(n) => d = n,
            None => return d,
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    /// The Cabinet Office's list for 2026 (内閣府「国民の祝日について」).
    #[test]
    fn twenty_twenty_six() {
        let got: Vec<(String, &str)> = holidays(2026)
            .expect("covered")
            .into_iter()
            .map(|(d, n)| (d.format("%m-%d").to_string(), n))
            .collect();
        let want = [
            ("01-01", "元日"),
            ("01-12", "成人の日"),
            ("02-11", "建国記念の日"),
            ("02-23", "天皇誕生日"),
            ("03-20", "春分の日"),
            ("04-29", "昭和の日"),
            ("05-03", "憲法記念日"),
            ("05-04", "みどりの日"),
            ("05-05", "こどもの日"),
            ("05-06", "振替休日"),
            ("07-20", "海の日"),
            ("08-11", "山の日"),
            ("09-21", "敬老の日"),
            ("09-22", "国民の休日"),
            ("09-23", "秋分の日"),
            ("10-12", "スポーツの日"),
            ("11-03", "文化の日"),
            ("11-23", "勤労感謝の日"),
        ];
        let want: Vec<(String, &str)> = want.iter().map(|(d, n)| (d.to_string(), *n)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn substitute_holidays_and_one_offs() {
        // 2025: 2/23 (Sun) -> 2/24; 5/4 (Sun) -> 5/6 (5/5 is a holiday); 11/23 (Sun) -> 11/24.
        for (d, n) in [
            (ymd(2025, 2, 24), "振替休日"),
            (ymd(2025, 5, 6), "振替休日"),
            (ymd(2025, 11, 24), "振替休日"),
            (ymd(2019, 5, 1), "即位の日"),
            (ymd(2019, 4, 30), "国民の休日"),
            (ymd(2019, 5, 2), "国民の休日"),
            (ymd(2019, 10, 22), "即位礼正殿の儀"),
            (ymd(2020, 7, 24), "スポーツの日"),
            (ymd(2021, 8, 9), "振替休日"),
            (ymd(2027, 3, 22), "振替休日"),
        ] {
            assert_eq!(holiday(d), Some(n), "{d}");
        }
        assert_eq!(holiday(ymd(2020, 10, 12)), None, "moved to July in 2020");
        assert_eq!(
            holiday(ymd(2019, 12, 23)),
            None,
            "no emperor's birthday in 2019"
        );
    }

    /// Over every covered year: each holiday on a Sunday is followed by a substitute on the first day
    /// that is not a holiday; equinoxes stay in their known ranges; no year has an implausible count.
    #[test]
    fn rules_hold_in_every_covered_year() {
        for year in FIRST_YEAR..=LAST_YEAR {
            let days = holidays(year).expect("covered");
            assert!((15..=22).contains(&days.len()), "{year}: {}", days.len());
            for (d, name) in &days {
                if d.weekday() == Weekday::Sun {
                    let mut n = d.succ_opt().expect("next");
                    while holiday(n).is_some_and(|h| h != "振替休日") {
                        n = n.succ_opt().expect("next");
                    }
                    if n.year() == year {
                        assert_eq!(holiday(n), Some("振替休日"), "{year}: {name} on {d}");
                    }
                }
                match *name {
                    "春分の日" => assert!((19..=21).contains(&d.day()), "{d}"),
                    "秋分の日" => assert!((22..=24).contains(&d.day()), "{d}"),
                    _ => {}
                }
            }
        }
        assert_eq!(holidays(FIRST_YEAR - 1), None);
        assert_eq!(holidays(LAST_YEAR + 1), None);
    }

    #[test]
    fn business_days() {
        // Golden Week 2026: Wed 4/29, then Sun 5/3 .. Wed 5/6 off.
        assert_eq!(next_business_day(ymd(2026, 5, 2)), ymd(2026, 5, 7));
        assert_eq!(next_business_day(ymd(2026, 11, 21)), ymd(2026, 11, 24));
        assert!(is_business_day(ymd(2026, 11, 20)));
        assert!(!covers(ymd(2100, 1, 4)));
    }
}
