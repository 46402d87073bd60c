//! Dunning (督促) policy: which reminder stage is due on which day, and the late fee (延滞金).
//!
//! Pure: given an invoice's due date, the seller's policy and the stages already sent, it says what is
//! due on a (Tokyo) date. The defaults are those of the product: a notice 3 days before the due date, a
//! gentle reminder the day after, a firm one a week after, a final notice two weeks after, then
//! escalation to the seller (no more automatic mail).

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::holidays;
use crate::values::{DayOffset, Percent};

/// The steps of the schedule, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Before the due date: a courteous notice (お支払期日のご案内).
    PreDue,
    /// Just after: a gentle reminder (お支払いのお願い).
    Gentle,
    /// A firm reminder (お支払いのご確認と再度のお願い).
    Firm,
    /// The final notice (最終のご案内).
    Final,
    /// Handed to a person at the seller: the invoice is marked escalated and no more mail goes out.
    Escalated,
}

impl Stage {
    pub const ALL: [Stage; 5] = [
        Stage::PreDue,
        Stage::Gentle,
        Stage::Firm,
        Stage::Final,
        Stage::Escalated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::PreDue => "pre_due",
            Stage::Gentle => "gentle",
            Stage::Firm => "firm",
            Stage::Final => "final",
            Stage::Escalated => "escalated",
        }
    }
}

/// The part of an invoice a reminder is about: the invoice itself (`index` 0) or one installment of a
/// plan (`index` 1.., of `of`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub index: u32,
    /// How many installments the plan has (0: no plan).
    pub of: u32,
    pub due_date: NaiveDate,
    /// Still owed on this part.
    pub open: Decimal,
}

/// A seller's dunning policy. Offsets are days relative to the due date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    #[serde(default = "default_pre_due")]
    pub pre_due: Option<DayOffset>,
    #[serde(default = "default_gentle")]
    pub gentle: Option<DayOffset>,
    #[serde(default = "default_firm")]
    pub firm: Option<DayOffset>,
    #[serde(default = "default_final")]
    pub final_notice: Option<DayOffset>,
    /// Days after the due date on which the case goes to a person (after the final notice).
    #[serde(default = "default_escalate")]
    pub escalate: Option<DayOffset>,
    /// Move a reminder that falls on a weekend or a Japanese public holiday to the next business day.
    #[serde(default = "default_true")]
    pub business_days_only: bool,
    /// Yearly late-fee rate in percent (e.g. 14.6), simple interest per day on the open balance from the
    /// day after the due date; `None`: no late fee.
    #[serde(default)]
    pub late_fee_percent: Option<Percent>,
}

fn default_pre_due() -> Option<DayOffset> {
    Some(DayOffset::known(-3))
}
fn default_gentle() -> Option<DayOffset> {
    Some(DayOffset::known(1))
}
fn default_firm() -> Option<DayOffset> {
    Some(DayOffset::known(7))
}
fn default_final() -> Option<DayOffset> {
    Some(DayOffset::known(14))
}
fn default_escalate() -> Option<DayOffset> {
    Some(DayOffset::known(21))
}
fn default_true() -> bool {
    true
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            pre_due: default_pre_due(),
            gentle: default_gentle(),
            firm: default_firm(),
            final_notice: default_final(),
            escalate: default_escalate(),
            business_days_only: true,
            late_fee_percent: None,
        }
    }
}

/// Why a policy is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("{0}: stages must come in order (pre_due < gentle < firm < final_notice < escalate)")]
    OutOfOrder(&'static str),
    #[error("{0}: at most 365 days from the due date")]
    TooFar(&'static str),
    #[error("pre_due: must be before the due date")]
    PreDueNotBefore,
    #[error(
        "late_fee_percent: between 0 and 14.6 (the usual contractual maximum; the cap for consumers, 消費者契約法 第9条)"
    )]
    LateFee,
}

impl Policy {
    fn offsets(&self) -> [(Stage, Option<i64>, &'static str); 5] {
        [
            (Stage::PreDue, self.pre_due.map(DayOffset::get), "pre_due"),
            (Stage::Gentle, self.gentle.map(DayOffset::get), "gentle"),
            (Stage::Firm, self.firm.map(DayOffset::get), "firm"),
            (
                Stage::Final,
                self.final_notice.map(DayOffset::get),
                "final_notice",
            ),
            (
                Stage::Escalated,
                self.escalate.map(DayOffset::get),
                "escalate",
            ),
        ]
    }

    pub fn check(&self) -> Result<(), PolicyError> {
        let mut last: Option<i64> = None;
        for (stage, off, name) in self.offsets() {
            let Some(o) = off else { continue };
            if o.abs() > 365 {
                return Err(PolicyError::TooFar(name));
            }
            if stage == Stage::PreDue && o >= 0 {
                return Err(PolicyError::PreDueNotBefore);
            }
            if last.is_some_and(|l| o <= l) {
                return Err(PolicyError::OutOfOrder(name));
            }
            last = Some(o);
        }
        if let Some(r) = self.late_fee_percent
            && r.get() > Decimal::new(146, 1)
        {
            return Err(PolicyError::LateFee);
        }
        Ok(())
    }

    /// A day moved to the next business day when the policy says so.
    fn adjust(&self, day: NaiveDate) -> NaiveDate {
        if self.business_days_only && holidays::covers(day) {
            holidays::next_business_day(day)
        } else {
            day
        }
    }

    /// The date each enabled stage falls on for an invoice due on `due` (moved to the next business day
    /// when the policy says so).
    pub fn schedule(&self, due: NaiveDate) -> Vec<(Stage, NaiveDate)> {
        self.offsets()
            .into_iter()
            .filter_map(|(stage, off, _)| {
                let day = due.checked_add_signed(Duration::days(off?))?;
                Some((stage, self.adjust(day)))
            })
            .collect()
    }

    /// The escalation day once the final notice went out on `final_sent_on`: the scheduled day, but never
    /// sooner after the notice than the policy's gap between the two (a final notice sent late, say after
    /// a dispute, still gives the buyer its full time). `None` without escalation.
    pub fn escalation_day(
        &self,
        due: NaiveDate,
        final_sent_on: Option<NaiveDate>,
    ) -> Option<NaiveDate> {
        let scheduled = due.checked_add_signed(Duration::days(self.escalate?.get()))?;
        let scheduled = self.adjust(scheduled);
        let after_final = match (final_sent_on, self.final_notice, self.escalate) {
            (Some(sent), Some(f), Some(e)) => sent
                .checked_add_signed(Duration::days(e.get() - f.get()))
                .map(|d| self.adjust(d)),
            _ => None,
        };
        Some(after_final.map_or(scheduled, |a| a.max(scheduled)))
    }

    /// The schedule given what was carried out (`sent`: each stage with the day it was).
    fn effective(&self, due: NaiveDate, sent: &[(Stage, NaiveDate)]) -> Vec<(Stage, NaiveDate)> {
        let final_sent = sent
            .iter()
            .find(|(s, _)| *s == Stage::Final)
            .map(|(_, d)| *d);
        self.schedule(due)
            .into_iter()
            .map(|(stage, day)| match stage {
                Stage::Escalated => (stage, self.escalation_day(due, final_sent).unwrap_or(day)),
                _ => (stage, day),
            })
            .collect()
    }

    /// The stage to act on `today` given the stages carried out (`sent`, with their days): the latest
    /// stage whose day has come and that was not sent yet. Stages skipped (e.g. the scheduler did not
    /// run, or a dispute paused the schedule) are not sent late one after another: only the most advanced
    /// one due is. A case is escalated only after its final notice (when the policy has one): one that
    /// reaches the escalation day without it gets the final notice first.
    pub fn due_stage(
        &self,
        due: NaiveDate,
        today: NaiveDate,
        sent: &[(Stage, NaiveDate)],
    ) -> Option<(Stage, NaiveDate)> {
        let schedule = self.effective(due, sent);
        let mut reached = schedule
            .iter()
            .rev()
            .find(|(_, day)| *day <= today)
            .copied()?;
        let highest_sent = sent.iter().map(|(s, _)| *s).max();
        if highest_sent.is_some_and(|s| s >= reached.0) {
            return None;
        }
        if reached.0 == Stage::Escalated
            && !sent.iter().any(|(s, _)| *s == Stage::Final)
            && let Some(f) = schedule.iter().find(|(s, _)| *s == Stage::Final)
        {
            reached = *f;
        }
        Some(reached)
    }

    /// The next day on which something is due after the stages in `sent` (for the scheduler's index).
    pub fn next_action_day(
        &self,
        due: NaiveDate,
        sent: &[(Stage, NaiveDate)],
    ) -> Option<NaiveDate> {
        let highest_sent = sent.iter().map(|(s, _)| *s).max();
        self.effective(due, sent)
            .into_iter()
            .find(|(stage, _)| highest_sent.is_none_or(|h| *stage > h))
            .map(|(_, day)| day)
    }
}

/// Late fee (延滞金) on `balance` from the day after `due` through `today`: simple interest at
/// `percent` a year on a 365-day year (also in leap years, as Japanese contracts state it), rounded
/// down to `decimals`. Never compounded: the balance is the principal still open, never fee included.
pub fn late_fee(
    balance: Decimal,
    percent: Decimal,
    due: NaiveDate,
    today: NaiveDate,
    decimals: u32,
) -> Decimal {
    let days = (today - due).num_days();
    if days <= 0 || balance <= Decimal::ZERO || percent <= Decimal::ZERO {
        return Decimal::ZERO;
    }
    let fee = balance * percent / Decimal::from(100) * Decimal::from(days) / Decimal::from(365);
    fee.round_dp_with_strategy(decimals, rust_decimal::RoundingStrategy::ToZero)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn default_schedule_on_business_days() {
        // Due Mon 2026-11-30: notice Fri 11-27; gentle Tue 12-01; firm Mon 12-07; final Mon 12-14;
        // escalation Mon 12-21.
        let s = Policy::default().schedule(ymd(2026, 11, 30));
        assert_eq!(
            s,
            [
                (Stage::PreDue, ymd(2026, 11, 27)),
                (Stage::Gentle, ymd(2026, 12, 1)),
                (Stage::Firm, ymd(2026, 12, 7)),
                (Stage::Final, ymd(2026, 12, 14)),
                (Stage::Escalated, ymd(2026, 12, 21)),
            ]
        );
        // Due Fri 2026-05-01: the gentle reminder (Sat 5-02) moves past Golden Week to Thu 5-07.
        let s = Policy::default().schedule(ymd(2026, 5, 1));
        assert_eq!(s[1], (Stage::Gentle, ymd(2026, 5, 7)));
        // Without business-day adjustment the calendar day stands.
        let p = Policy {
            business_days_only: false,
            ..Policy::default()
        };
        assert_eq!(
            p.schedule(ymd(2026, 5, 1))[1],
            (Stage::Gentle, ymd(2026, 5, 2))
        );
    }

    #[test]
    fn one_stage_at_a_time_never_twice() {
        let p = Policy::default();
        let due = ymd(2026, 11, 30);
        let pre = (Stage::PreDue, ymd(2026, 11, 27));
        assert_eq!(p.due_stage(due, ymd(2026, 11, 26), &[]), None);
        assert_eq!(
            p.due_stage(due, ymd(2026, 11, 27), &[]).map(|s| s.0),
            Some(Stage::PreDue)
        );
        assert_eq!(p.due_stage(due, ymd(2026, 11, 28), &[pre]), None);
        // Missed days: only the most advanced due stage goes out.
        assert_eq!(
            p.due_stage(due, ymd(2026, 12, 8), &[pre]).map(|s| s.0),
            Some(Stage::Firm)
        );
        let firm = (Stage::Firm, ymd(2026, 12, 8));
        assert_eq!(p.due_stage(due, ymd(2026, 12, 8), &[firm]), None);
        assert_eq!(p.next_action_day(due, &[firm]), Some(ymd(2026, 12, 14)));
        assert_eq!(
            p.next_action_day(due, &[(Stage::Escalated, ymd(2026, 12, 21))]),
            None
        );
    }

    #[test]
    fn escalation_only_after_a_final_notice_and_its_full_time() {
        let p = Policy::default();
        let due = ymd(2026, 11, 30);
        let gentle = (Stage::Gentle, ymd(2026, 12, 1));
        // Paused (a dispute) past the escalation day: the final notice goes first...
        assert_eq!(
            p.due_stage(due, ymd(2027, 1, 12), &[gentle]),
            Some((Stage::Final, ymd(2026, 12, 14)))
        );
        // ...and escalation comes 7 days after it actually went out (Tue 01-12 -> Tue 01-19).
        let fin = (Stage::Final, ymd(2027, 1, 12));
        assert_eq!(
            p.next_action_day(due, &[gentle, fin]),
            Some(ymd(2027, 1, 19))
        );
        assert_eq!(p.due_stage(due, ymd(2027, 1, 18), &[gentle, fin]), None);
        assert_eq!(
            p.due_stage(due, ymd(2027, 1, 19), &[gentle, fin])
                .map(|s| s.0),
            Some(Stage::Escalated)
        );
        assert_eq!(
            p.escalation_day(due, Some(ymd(2027, 1, 12))),
            Some(ymd(2027, 1, 19))
        );
        // On schedule, the scheduled day stands.
        assert_eq!(
            p.escalation_day(due, Some(ymd(2026, 12, 14))),
            Some(ymd(2026, 12, 21))
        );
        // Without a final notice in the policy, escalation follows the firm reminder.
        let no_final = Policy {
            final_notice: None,
            ..Policy::default()
        };
        assert_eq!(
            no_final
                .due_stage(due, ymd(2026, 12, 21), &[(Stage::Firm, ymd(2026, 12, 7))])
                .map(|s| s.0),
            Some(Stage::Escalated)
        );
    }

    #[test]
    fn policies_are_checked() {
        assert_eq!(Policy::default().check(), Ok(()));
        let bad = Policy {
            firm: Some(DayOffset::known(1)),
            ..Policy::default()
        };
        assert_eq!(bad.check(), Err(PolicyError::OutOfOrder("firm")));
        let bad = Policy {
            pre_due: Some(DayOffset::known(0)),
            ..Policy::default()
        };
        assert_eq!(bad.check(), Err(PolicyError::PreDueNotBefore));
        let bad = Policy {
            late_fee_percent: Some("20".parse().expect("percent")),
            ..Policy::default()
        };
        assert_eq!(bad.check(), Err(PolicyError::LateFee));
        let off = Policy {
            pre_due: None,
            gentle: None,
            ..Policy::default()
        };
        assert_eq!(off.check(), Ok(()));
        assert_eq!(off.schedule(ymd(2026, 11, 30))[0].0, Stage::Firm);
    }

    #[test]
    fn late_fee_is_simple_daily_interest() {
        // ¥1,000,000 at 14.6 % for 30 days: 1,000,000 x 0.146 x 30 / 365 = 12,000.
        let due = ymd(2026, 1, 31);
        assert_eq!(
            late_fee(
                Decimal::from(1_000_000),
                Decimal::new(146, 1),
                due,
                ymd(2026, 3, 2),
                0
            ),
            Decimal::from(12_000)
        );
        // Rounded down; nothing before or on the due date.
        assert_eq!(
            late_fee(
                Decimal::from(58_136),
                Decimal::new(146, 1),
                due,
                ymd(2026, 2, 1),
                0
            ),
            Decimal::from(23)
        );
        assert_eq!(
            late_fee(Decimal::from(58_136), Decimal::new(146, 1), due, due, 0),
            Decimal::ZERO
        );
        // Twice the days, twice the fee (no compounding).
        let a = late_fee(
            Decimal::from(100_000),
            Decimal::new(146, 1),
            due,
            ymd(2026, 3, 2),
            0,
        );
        let b = late_fee(
            Decimal::from(100_000),
            Decimal::new(146, 1),
            due,
            ymd(2026, 4, 1),
            0,
        );
        assert_eq!(b, a * Decimal::from(2));
    }
}
