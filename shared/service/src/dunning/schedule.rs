//! Which reminder an invoice needs on a day. The schedule itself is pure domain code
//! ([`seikyu_domain::dunning::Policy`]); each invoice keeps the policy it was issued under. The store
//! indexes every invoice by its next action day ([`next_action`]), only while it can be reminded, so
//! the scheduler reads the invoices due today and nothing else.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use seikyu_domain::DocumentType;
use seikyu_domain::calc::document_decimals;
use seikyu_domain::dunning::{Part, Stage, late_fee};

use crate::record::{InstallmentPlan, InvoiceRecord, InvoiceStatus};

/// Whether reminders may go out at all: an invoice sent to the buyer and not paid, void, disputed or
/// escalated.
pub fn remindable(r: &InvoiceRecord) -> bool {
    r.document_type == DocumentType::Invoice
        && matches!(
            r.status,
            InvoiceStatus::Issued | InvoiceStatus::PartiallyPaid
        )
}

/// The part the schedule follows: the invoice itself (index 0) or the first installment not yet paid in
/// full.
pub fn current_part(r: &InvoiceRecord) -> Option<Part> {
    if r.open_balance() <= Decimal::ZERO {
        return None;
    }
    let Some(plan) = &r.installments else {
        return Some(Part {
            index: 0,
            of: 0,
            due_date: r.due_date?,
            open: r.open_balance(),
        });
    };
    let of = u32::try_from(plan.parts.len()).unwrap_or(u32::MAX);
    plan_parts(r, plan)
        .into_iter()
        .zip(1u32..)
        .find(|((_, amount, paid), _)| paid < amount)
        .map(|((due_date, amount, paid), index)| Part {
            index,
            of,
            due_date,
            open: amount - paid,
        })
}

/// Each part of a plan as (due date, amount, paid): payments since the plan pay the parts in order;
/// money from before the plan that was refunded since is owed again on the first part.
pub fn plan_parts(r: &InvoiceRecord, plan: &InstallmentPlan) -> Vec<(NaiveDate, Decimal, Decimal)> {
    let mut left = (r.paid_total - plan.paid_before).max(Decimal::ZERO);
    let owed_again = (plan.paid_before - r.paid_total).max(Decimal::ZERO);
    plan.parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let amount = if i == 0 {
                p.amount + owed_again
            } else {
                p.amount
            };
            let paid = left.min(amount);
            left -= paid;
            (p.due_date, amount, paid)
        })
        .collect()
}

/// The stages carried out for a part, with the day each was.
fn sent(r: &InvoiceRecord, part: u32) -> Vec<(Stage, NaiveDate)> {
    r.dunning
        .reminders
        .iter()
        .filter(|x| x.part == part)
        .map(|x| (x.stage, x.as_of))
        .collect()
}

/// The (Tokyo) day the scheduler should next look at this invoice; `None`: never (nothing to remind).
/// The store indexes invoices by it.
pub fn next_action(r: &InvoiceRecord) -> Option<NaiveDate> {
    if !remindable(r) {
        return None;
    }
    let part = current_part(r)?;
    r.dunning
        .policy
        .next_action_day(part.due_date, &sent(r, part.index))
}

/// The stage to carry out on `as_of`, if any.
pub fn due(r: &InvoiceRecord, as_of: NaiveDate) -> Option<(Part, Stage)> {
    if !remindable(r) {
        return None;
    }
    let part = current_part(r)?;
    let (stage, _) = r
        .dunning
        .policy
        .due_stage(part.due_date, as_of, &sent(r, part.index))?;
    Some((part, stage))
}

/// Decimal places of amounts in reminders and installment plans: the invoice's own (its document
/// decimals: the currency's minor unit capped at the two an e-invoice carries). A BHD invoice states
/// 2 decimals, so its reminders and parts do too, never 3: the buyer sees the figures of the invoice.
pub fn decimals(currency: &str) -> u32 {
    document_decimals(currency).unwrap_or(2)
}

/// The late fee (延滞金) accrued on a part on `as_of` under the invoice's policy (zero without one).
pub fn accrued_fee(r: &InvoiceRecord, part: &Part, as_of: NaiveDate) -> Decimal {
    r.dunning
        .policy
        .late_fee_percent
        .map_or(Decimal::ZERO, |p| {
            late_fee(
                part.open,
                p.get(),
                part.due_date,
                as_of,
                decimals(&r.currency),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reminders and plans state amounts as the invoice does: a BHD invoice carries 2 decimals (the
    /// e-invoice cap), so its late fee is rounded to 0.01, not to the fils (0.001) of ISO 4217.
    #[test]
    fn a_bhd_late_fee_has_the_invoices_decimals() {
        assert_eq!(
            (decimals("BHD"), decimals("JPY"), decimals("EUR")),
            (2, 0, 2)
        );
        let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap_or_default();
        // 1,234.56 x 14.6 % x 20 / 365 = 9.8764...: 9.87 (rounded down), never 9.876.
        let balance: Decimal = "1234.56".parse().unwrap_or_default();
        let percent: Decimal = "14.6".parse().unwrap_or_default();
        let fee = late_fee(balance, percent, day(1), day(21), decimals("BHD"));
        assert_eq!(fee.to_string(), "9.87");
    }
}
