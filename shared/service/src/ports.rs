//! One trait per outside service. Each has an in-memory adapter ([`crate::memory`]) used by the embedded
//! demo and the tests; the AWS adapters (DynamoDB, S3) implement the same traits.
//!
//! Methods return `impl Future + Send` so handlers stay `Send` under any runtime.

use std::future::Future;

use chrono::{DateTime, Utc};
use thiserror::Error;

use crate::record::InvoiceRecord;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum StoreError {
    /// A conditional write lost: the record exists already (or changed underneath).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The backing service failed; the caller may retry.
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

/// Invoices and the per-seller number sequences.
pub trait InvoiceStore: Send + Sync {
    /// Take the next number of `sequence` (for example `seller/2026`). Numbers start at 1 and are gapless
    /// as long as every number taken is used: the caller writes the invoice with it or records a void.
    fn next_number(&self, sequence: &str) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// Store a new invoice; `Conflict` if one with the same seller and id exists.
    fn insert(&self, record: &InvoiceRecord)
    -> impl Future<Output = Result<(), StoreError>> + Send;
    fn get(
        &self,
        seller_id: &str,
        invoice_id: &str,
    ) -> impl Future<Output = Result<Option<InvoiceRecord>, StoreError>> + Send;
    /// All invoices of a seller, oldest first.
    fn list(
        &self,
        seller_id: &str,
    ) -> impl Future<Output = Result<Vec<InvoiceRecord>, StoreError>> + Send;
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ArchiveError {
    #[error("archived object {0} exists with other content")]
    Immutable(String),
    #[error("archive unavailable: {0}")]
    Unavailable(String),
}

/// Write-once storage for issued documents (S3 with Object Lock in AWS).
pub trait DocumentArchive: Send + Sync {
    /// Store `bytes` under `key`. Storing the same bytes again is a no-op; other bytes are refused.
    fn put(
        &self,
        key: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> impl Future<Output = Result<(), ArchiveError>> + Send;
    fn get(&self, key: &str) -> impl Future<Output = Result<Option<Vec<u8>>, ArchiveError>> + Send;
}

/// The time. Injected so the core never reads a clock.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
