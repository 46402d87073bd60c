//! Installment plans (分割払い): a person agrees to split an invoice's open balance into parts with their
//! own due dates; the reminder schedule then follows the first part not yet paid.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use seikyu_domain::dates::tokyo_date;
use seikyu_domain::{Code, DocumentType};
use serde::Deserialize;

use crate::app::App;
use crate::dunning::schedule::decimals;
use crate::error::{AppError, ConflictCode, field, invalid_state};
use crate::ports::{Clock, DocumentArchive, EventBus, MessageQueue, Store};
use crate::record::{Installment, InstallmentPlan, InvoiceRecord, InvoiceStatus, SellerAccount};

/// `POST /invoices/{id}/installments`: the dates of the parts; the open balance is split evenly in the
/// invoice's decimals (its document decimals), the remainder on the last part.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstallmentRequest {
    pub due_dates: Vec<NaiveDate>,
}

pub const MAX_INSTALLMENTS: usize = 36;

/// Split `open` into `n` parts of `decimals` decimal places: equal parts rounded down, the remainder on the
/// last. `None` when a part would be zero.
pub fn split(open: Decimal, n: usize, decimals: u32) -> Option<Vec<Decimal>> {
    let count = Decimal::from(u64::try_from(n).ok()?);
    if n == 0 || open <= Decimal::ZERO {
        return None;
    }
    let each =
        (open / count).round_dp_with_strategy(decimals, rust_decimal::RoundingStrategy::ToZero);
    if each <= Decimal::ZERO {
        return None;
    }
    let mut parts = vec![each; n];
    parts[n - 1] = open - each * Decimal::from(u64::try_from(n - 1).ok()?);
    Some(parts)
}

fn check_installments(req: &InstallmentRequest, today: NaiveDate) -> Result<(), AppError> {
    let n = req.due_dates.len();
    if !(2..=MAX_INSTALLMENTS).contains(&n) {
        return Err(field(
            "due_dates",
            Code::OutOfRange,
            format!("an installment plan has 2 to {MAX_INSTALLMENTS} parts"),
        ));
    }
    if req.due_dates[0] < today {
        return Err(field(
            "due_dates[0]",
            Code::OutOfRange,
            format!("the first part cannot be due before today ({today}, Tokyo)"),
        ));
    }
    for i in 1..n {
        if req.due_dates[i] <= req.due_dates[i - 1] {
            return Err(field(
                &format!("due_dates[{i}]"),
                Code::InvalidValue,
                "due dates must be strictly increasing",
            ));
        }
    }
    if let Some(last) = req.due_dates.last()
        && (*last - today).num_days() > 3 * 365
    {
        return Err(field(
            &format!("due_dates[{}]", n - 1),
            Code::OutOfRange,
            "a plan ends within three years",
        ));
    }
    Ok(())
}

impl<S, A, Q, B, C> App<S, A, Q, B, C>
where
    S: Store,
    A: DocumentArchive,
    Q: MessageQueue,
    B: EventBus,
    C: Clock,
{
    /// Agree an installment plan (分割払い) on an invoice's open balance. Repeating the same request
    /// answers with the plan made; another plan on the same invoice is refused.
    pub async fn installments(
        &self,
        seller: &SellerAccount,
        id: &str,
        req: &InstallmentRequest,
    ) -> Result<InvoiceRecord, AppError> {
        let now = self.clock.now();
        check_installments(req, tokyo_date(now))?;
        let current = self.get(seller, id).await?;
        if let Some(plan) = &current.installments {
            let same: Vec<NaiveDate> = plan.parts.iter().map(|p| p.due_date).collect();
            if same == req.due_dates {
                return Ok(current);
            }
            return Err(plan_exists(id));
        }
        self.update_with(seller, id, |r| agree(r, req, now), false)
            .await
    }
}

fn plan_exists(id: &str) -> AppError {
    AppError::Conflict {
        code: ConflictCode::PlanExists,
        message: format!("invoice {id} has an installment plan already"),
    }
}

/// Put the plan on `r`: its open balance split over the requested due dates.
fn agree(
    r: &mut InvoiceRecord,
    req: &InstallmentRequest,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if r.installments.is_some() {
        return Err(plan_exists(&r.invoice_id));
    }
    if r.document_type != DocumentType::Invoice
        || !matches!(
            r.status,
            InvoiceStatus::Issued | InvoiceStatus::PartiallyPaid | InvoiceStatus::Escalated
        )
    {
        return Err(invalid_state(
            r,
            r.status,
            "split",
            "issued, partially_paid or escalated invoices",
        ));
    }
    let amounts =
        split(r.open_balance(), req.due_dates.len(), decimals(&r.currency)).ok_or_else(|| {
            field(
                "due_dates",
                Code::OutOfRange,
                "too many parts for the open balance",
            )
        })?;
    r.installments = Some(InstallmentPlan {
        created_at: now,
        paid_before: r.paid_total,
        parts: req
            .due_dates
            .iter()
            .zip(amounts)
            .map(|(d, a)| Installment {
                due_date: *d,
                amount: a,
            })
            .collect(),
    });
    // An escalated case a person settled with a plan goes back on the schedule.
    if r.status == InvoiceStatus::Escalated {
        r.status = if r.paid_total > Decimal::ZERO {
            InvoiceStatus::PartiallyPaid
        } else {
            InvoiceStatus::Issued
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    #[test]
    fn split_puts_the_remainder_last() {
        assert_eq!(
            split(d("100000"), 3, 0),
            Some(vec![d("33333"), d("33333"), d("33334")])
        );
        assert_eq!(
            split(d("100.00"), 3, 2),
            Some(vec![d("33.33"), d("33.33"), d("33.34")])
        );
        assert_eq!(split(d("2"), 3, 0), None);
        assert_eq!(split(d("0"), 2, 0), None);
    }

    proptest! {
        #[test]
        fn split_sums_exactly(open in 1u64..10_000_000_000u64, n in 2usize..37, dec in 0u32..3) {
            let open = Decimal::new(i64::try_from(open).unwrap_or(1), dec);
            if let Some(parts) = split(open, n, dec) {
                prop_assert_eq!(parts.len(), n);
                prop_assert_eq!(parts.iter().copied().sum::<Decimal>(), open);
                prop_assert!(parts.iter().all(|p| *p > Decimal::ZERO));
                prop_assert!(parts[..n - 1].windows(2).all(|w| w[0] == w[1]));
                prop_assert!(parts[n - 1] >= parts[0]);
            }
        }
    }

    /// A BHD balance splits in the invoice's 2 decimals, the remainder on the last part.
    #[test]
    fn a_bhd_plan_has_the_invoices_decimals() {
        let parts = split(d("100.00"), 3, crate::dunning::schedule::decimals("BHD"));
        assert_eq!(parts, Some(vec![d("33.33"), d("33.33"), d("33.34")]));
    }
}
