//! Credit screening of a buyer (the credit half of 審査): outstanding balance plus this invoice against
//! the buyer's credit limit, and the buyer's payment record.
//!
//! Policy (documented defaults, one place to change them):
//! - exposure = open balance of the buyer's unpaid invoices in the same currency + this invoice;
//! - exposure above the limit: pending review; above twice the limit: rejected;
//! - any invoice of the buyer currently overdue, or 3+ late payments in the last 12 months: pending review;
//! - 3+ invoices overdue, or 6+ late payments: rejected;
//! - no limit configured: the amount is not screened (the payment record still is).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What Seikyu knows of the buyer at the moment of screening.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exposure {
    /// Open balance of the buyer's unpaid invoices in this currency.
    pub outstanding: Decimal,
    /// How many of those are past their due date.
    pub overdue_invoices: u32,
    /// Payments received after the due date in the last 12 months.
    pub late_payments_12m: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approved,
    PendingReview,
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Screening {
    pub decision: Decision,
    /// Machine codes of what led to the decision (empty when approved).
    pub reasons: Vec<String>,
    /// Exposure including this invoice.
    pub exposure: Decimal,
    pub credit_limit: Option<Decimal>,
}

pub const REVIEW_LATE_PAYMENTS: u32 = 3;
pub const REJECT_LATE_PAYMENTS: u32 = 6;
pub const REJECT_OVERDUE_INVOICES: u32 = 3;

pub fn screen(
    exposure: &Exposure,
    invoice_amount: Decimal,
    credit_limit: Option<Decimal>,
) -> Screening {
    // Checked: a buyer's balance sums any number of invoices; past Decimal's range it is simply huge.
    let total = exposure.outstanding.saturating_add(invoice_amount);
    let mut reject = Vec::new();
    let mut review = Vec::new();
    if let Some(limit) = credit_limit {
        if total > limit.saturating_mul(Decimal::TWO) {
            reject.push("credit_limit_far_exceeded".to_string());
        } else if total > limit {
            review.push("credit_limit_exceeded".to_string());
        }
    }
    if exposure.overdue_invoices >= REJECT_OVERDUE_INVOICES {
        reject.push("many_overdue_invoices".to_string());
    } else if exposure.overdue_invoices > 0 {
        review.push("overdue_invoices".to_string());
    }
    if exposure.late_payments_12m >= REJECT_LATE_PAYMENTS {
        reject.push("frequent_late_payment".to_string());
    } else if exposure.late_payments_12m >= REVIEW_LATE_PAYMENTS {
        review.push("late_payment_history".to_string());
    }
    let (decision, reasons) = if !reject.is_empty() {
        reject.extend(review);
        (Decision::Rejected, reject)
    } else if !review.is_empty() {
        (Decision::PendingReview, review)
    } else {
        (Decision::Approved, Vec::new())
    };
    Screening {
        decision,
        reasons,
        exposure: total,
        credit_limit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(outstanding: i64, overdue: u32, late: u32) -> Exposure {
        Exposure {
            outstanding: Decimal::from(outstanding),
            overdue_invoices: overdue,
            late_payments_12m: late,
        }
    }

    #[test]
    fn decisions() {
        let limit = Some(Decimal::from(1_000_000));
        let d = |x: &Exposure, amount: i64, l| screen(x, Decimal::from(amount), l).decision;
        assert_eq!(d(&e(0, 0, 0), 500_000, limit), Decision::Approved);
        assert_eq!(d(&e(600_000, 0, 0), 400_000, limit), Decision::Approved); // exactly at the limit
        assert_eq!(
            d(&e(600_000, 0, 0), 400_001, limit),
            Decision::PendingReview
        );
        assert_eq!(d(&e(1_500_000, 0, 0), 500_001, limit), Decision::Rejected);
        assert_eq!(d(&e(0, 1, 0), 1, limit), Decision::PendingReview);
        assert_eq!(d(&e(0, 3, 0), 1, limit), Decision::Rejected);
        assert_eq!(d(&e(0, 0, 3), 1, None), Decision::PendingReview);
        assert_eq!(d(&e(0, 0, 6), 1, None), Decision::Rejected);
        assert_eq!(
            d(&e(9_999_999_999, 0, 0), 1, None),
            Decision::Approved,
            "no limit, no amount check"
        );
        let s = screen(&e(1_500_000, 1, 0), Decimal::from(600_000), limit);
        assert_eq!(
            s.reasons,
            vec!["credit_limit_far_exceeded", "overdue_invoices"]
        );
        assert_eq!(s.exposure, Decimal::from(2_100_000));
    }
}
