//! How a search is served: which index, which key range, which filters. Shared by every store adapter so
//! they agree on order and paging.

use base64::Engine as _;
use rust_decimal::Decimal;
use seikyu_domain::money::fixed;

use crate::ports::StoreError;
use crate::record::{InvoiceRecord, SearchQuery};

pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    /// Partition: seller + customer; sort: issue date + id. For `customer=`.
    ByCustomer,
    /// Partition: seller; sort: issue date + id. For date ranges and the default listing.
    ByIssueDate,
    /// Partition: seller; sort: amount + id. For amount ranges without dates.
    ByAmount,
}

/// The index that serves `q` with a key condition (never a scan); remaining conditions are filters on
/// the items that index returns.
pub fn plan(q: &SearchQuery) -> Index {
    if q.customer.is_some() {
        Index::ByCustomer
    } else if q.from.is_none()
        && q.to.is_none()
        && (q.min_amount.is_some() || q.max_amount.is_some())
    {
        Index::ByAmount
    } else {
        Index::ByIssueDate
    }
}

/// Sort key of an invoice in the date-ordered indexes: `2026-11-05#AOZ-2026-000001`.
pub fn date_key(r: &InvoiceRecord) -> String {
    format!("{}#{}", r.issue_date, r.invoice_id)
}

/// Sort key in the amount index: the amount with four decimals, zero-padded to sort as text.
pub fn amount_key(amount: Decimal, invoice_id: &str) -> String {
    format!(
        "{:0>34}#{invoice_id}",
        fixed(amount.max(Decimal::ZERO), 4).to_string()
    )
}

/// The bounds of the sort key for `q` on `index` (inclusive), as strings.
pub fn key_range(q: &SearchQuery, index: Index) -> (Option<String>, Option<String>) {
    match index {
        Index::ByCustomer | Index::ByIssueDate => (
            q.from.map(|d| format!("{d}#")),
            // '#' < '~' so every id of the last day is included.
            q.to.map(|d| format!("{d}#~")),
        ),
        Index::ByAmount => (
            q.min_amount.map(|a| amount_key(a, "")),
            q.max_amount.map(|a| amount_key(a, "~")),
        ),
    }
}

/// Whether `r` satisfies every condition of `q` (the key condition included).
pub fn matches(r: &InvoiceRecord, q: &SearchQuery) -> bool {
    q.from.is_none_or(|d| r.issue_date >= d)
        && q.to.is_none_or(|d| r.issue_date <= d)
        && q.min_amount.is_none_or(|a| r.payable >= a)
        && q.max_amount.is_none_or(|a| r.payable <= a)
        && q.customer
            .as_ref()
            .is_none_or(|c| r.customer_id.as_ref() == Some(c))
        && q.status.is_none_or(|s| r.status == s)
}

pub fn effective_limit(q: &SearchQuery) -> usize {
    match q.limit {
        0 => DEFAULT_LIMIT,
        n => n.min(MAX_LIMIT),
    }
}

/// The cursor of a page that ends at index key `key` (the stores whose keys are strings: memory, SQLite).
pub fn encode_cursor(key: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key)
}

/// The index key a cursor of [`encode_cursor`] names; `BadRequest` for anything else.
pub fn decode_cursor(c: &str) -> Result<String, StoreError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| StoreError::BadRequest("cursor is not one this service issued".into()))
}
