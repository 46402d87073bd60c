//! One trait per outside service. The in-memory adapters ([`crate::memory`]) power the embedded demo and
//! the tests; the AWS adapters (`seikyu-aws`: DynamoDB, S3, SQS, SES) implement the same traits, and one
//! contract suite runs against both.
//!
//! Methods return `impl Future + Send` so handlers stay `Send` under any runtime.

use std::future::Future;

use chrono::{DateTime, NaiveDate, Utc};
use thiserror::Error;

use crate::record::{
    BusEvent, Customer, InvoiceRecord, OutboxEntry, Page, PaymentRecord, QueueMessage, QueueName,
    ReceiptRecord, SearchQuery, SellerAccount, StatementImport, StoredResponse,
};

#[derive(Debug, Error, PartialEq, Eq)]
pub enum StoreError {
    /// A condition failed: the record exists, changed underneath, or a sequence moved on. Retryable by
    /// re-reading.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The request cannot succeed as made (e.g. a bad continuation token).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The backing service failed; the caller may retry.
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

/// One write of an atomic [`InvoiceStore::commit`].
#[derive(Debug, Clone, Copy)]
pub enum Write<'a> {
    /// Move `sequence` from `expected` to `expected + 1`; fails if it is no longer `expected`.
    NextNumber { sequence: &'a str, expected: u64 },
    /// Create an invoice; fails if its id exists.
    Insert(&'a InvoiceRecord),
    /// Replace an invoice whose stored version is `expected_version` (the record carries the new one).
    Update {
        record: &'a InvoiceRecord,
        expected_version: u64,
    },
    /// Add an outbox entry (the event is delivered by whoever reads the outbox).
    Outbox(&'a OutboxEntry),
    /// Record that a provider event was applied; fails if it was (the exactly-once guard).
    MarkEvent {
        seller_id: &'a str,
        provider: &'a str,
        event_id: &'a str,
    },
    /// Create (`expected_version` 0) or replace a payment record whose stored version is `expected_version`.
    PutPayment {
        record: &'a PaymentRecord,
        expected_version: u64,
    },
    /// Create a receipt; fails if its id exists.
    InsertReceipt(&'a ReceiptRecord),
    /// Replace a receipt whose stored version is `expected_version`.
    UpdateReceipt {
        record: &'a ReceiptRecord,
        expected_version: u64,
    },
    /// Store the response of a claimed idempotency key, together with the change it describes, so a
    /// retry after any crash replays it instead of running again.
    FinishIdempotency {
        seller_id: &'a str,
        key: &'a str,
        response: &'a StoredResponse,
    },
}

/// Sellers, their API keys and their customers.
pub trait TenantStore: Send + Sync {
    /// `Conflict` if the seller exists.
    fn create_seller(
        &self,
        account: &SellerAccount,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn get_seller(
        &self,
        seller_id: &str,
    ) -> impl Future<Output = Result<Option<SellerAccount>, StoreError>> + Send;
    /// Replace an existing seller's settings (`Conflict` if there is no such seller).
    fn update_seller(
        &self,
        account: &SellerAccount,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Store the SHA-256 of an API key for a seller (the key itself is never stored).
    fn add_api_key(
        &self,
        key_sha256: &str,
        seller_id: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn seller_for_key(
        &self,
        key_sha256: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;
    fn put_customer(
        &self,
        customer: &Customer,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn get_customer(
        &self,
        seller_id: &str,
        customer_id: &str,
    ) -> impl Future<Output = Result<Option<Customer>, StoreError>> + Send;
}

/// The outcome of claiming an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First use: go ahead, then `finish` (or `release` on a server error).
    Started,
    /// Same key, same request, done before: answer with this.
    Replay(StoredResponse),
    /// Same key, same request, still running elsewhere.
    InProgress,
    /// Same key, different request.
    Mismatch,
}

pub trait IdempotencyStore: Send + Sync {
    /// Claim `key` for a request whose body hashes to `request_sha256`. An unfinished claim is held until
    /// `lease_until` (then a retry may take it over: the request that held it died before committing, since
    /// a commit finishes the key in the same transaction). Records expire at `expires_at`.
    fn claim(
        &self,
        seller_id: &str,
        key: &str,
        request_sha256: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<Claim, StoreError>> + Send;
    fn finish(
        &self,
        seller_id: &str,
        key: &str,
        response: &StoredResponse,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Forget an unfinished claim whose request failed on our side, so a retry can run (a finished one stays).
    fn release(
        &self,
        seller_id: &str,
        key: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Open balance of a buyer, from the store's by-customer index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenBalance {
    pub outstanding: rust_decimal::Decimal,
    pub overdue_invoices: u32,
}

/// Invoices whose next reminder day has come, from the store's next-action index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DueReminders {
    /// (seller id, invoice id).
    pub invoices: Vec<(String, String)>,
    /// Index items read to find them (never a scan: this grows with the invoices due, not with all).
    pub items_read: usize,
}

pub trait InvoiceStore: Send + Sync {
    /// The last number taken from `sequence` (0 if none).
    fn sequence_value(
        &self,
        sequence: &str,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// Apply all `writes` or none. `Conflict` when any condition fails.
    fn commit(&self, writes: &[Write<'_>]) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn get(
        &self,
        seller_id: &str,
        invoice_id: &str,
    ) -> impl Future<Output = Result<Option<InvoiceRecord>, StoreError>> + Send;
    /// One page of a seller's invoices matching `query`, newest issue date first, through an index.
    fn search(
        &self,
        seller_id: &str,
        query: &SearchQuery,
    ) -> impl Future<Output = Result<Page, StoreError>> + Send;
    /// Open invoices of a buyer in `currency`: their sum and how many are overdue on `today`.
    fn open_balance(
        &self,
        seller_id: &str,
        customer_id: &str,
        currency: &str,
        today: NaiveDate,
    ) -> impl Future<Output = Result<OpenBalance, StoreError>> + Send;
    /// Invoices of every seller whose next reminder day ([`crate::dunning::schedule::next_action`]) is on or
    /// before `as_of`.
    fn reminders_due(
        &self,
        as_of: NaiveDate,
    ) -> impl Future<Output = Result<DueReminders, StoreError>> + Send;
}

/// Payments received through webhooks (written through [`InvoiceStore::commit`]).
pub trait PaymentStore: Send + Sync {
    fn get_payment(
        &self,
        seller_id: &str,
        provider: &str,
        payment_id: &str,
    ) -> impl Future<Output = Result<Option<PaymentRecord>, StoreError>> + Send;
    /// Whether a provider event was applied already.
    fn event_applied(
        &self,
        seller_id: &str,
        provider: &str,
        event_id: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// A seller's payments that could not be applied, oldest first.
    fn unapplied(
        &self,
        seller_id: &str,
    ) -> impl Future<Output = Result<Vec<PaymentRecord>, StoreError>> + Send;
}

/// Receipts (written through [`InvoiceStore::commit`]).
pub trait ReceiptStore: Send + Sync {
    fn get_receipt(
        &self,
        seller_id: &str,
        receipt_id: &str,
    ) -> impl Future<Output = Result<Option<ReceiptRecord>, StoreError>> + Send;
}

/// An open invoice as bank reconciliation reads it (from the by-customer index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenItem {
    pub invoice_id: String,
    pub number: String,
    pub due_date: Option<NaiveDate>,
    pub issue_date: NaiveDate,
    pub balance: rust_decimal::Decimal,
}

/// Bank reconciliation's lookups: small keyed sets per seller (`va:{account}`, `pc:{code}`,
/// `rf:{reference}`, `name:{normalised name}`, `ref:{account}:{bank ref}`, the virtual-account pool),
/// statement imports, and a buyer's open invoices. Each lookup reads one item or one index range, so an
/// import reads on the order of its entries, never all invoices.
pub trait BankStore: Send + Sync {
    /// The values under `key` (empty when none).
    fn bank_key(
        &self,
        seller_id: &str,
        key: &str,
    ) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;
    /// Add `value` to the set under `key` (adding it again changes nothing).
    fn add_bank_key(
        &self,
        seller_id: &str,
        key: &str,
        value: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Remove `value` from the set under `key` (no error when absent).
    fn remove_bank_key(
        &self,
        seller_id: &str,
        key: &str,
        value: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Make `value` the one value under `key` if the key is free: `true` when it is now `value` (taken
    /// now or before by the same value), `false` when another value holds it.
    fn claim_bank_key(
        &self,
        seller_id: &str,
        key: &str,
        value: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Keys starting with `prefix`, in key order, at most `limit`, with their values.
    fn bank_keys_with_prefix(
        &self,
        seller_id: &str,
        prefix: &str,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<(String, Vec<String>)>, StoreError>> + Send;
    /// Open invoices (issued, partially paid, escalated) of a buyer in `currency`, from the by-customer
    /// index.
    fn open_invoices(
        &self,
        seller_id: &str,
        customer_id: &str,
        currency: &str,
    ) -> impl Future<Output = Result<Vec<OpenItem>, StoreError>> + Send;
    /// Create an import record, or return the one with its id (the same file imported again).
    fn put_import(
        &self,
        import: &StatementImport,
    ) -> impl Future<Output = Result<StatementImport, StoreError>> + Send;
    fn update_import(
        &self,
        import: &StatementImport,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn get_import(
        &self,
        seller_id: &str,
        import_id: &str,
    ) -> impl Future<Output = Result<Option<StatementImport>, StoreError>> + Send;
    /// A seller's imports, newest first, at most `limit`.
    fn imports(
        &self,
        seller_id: &str,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<StatementImport>, StoreError>> + Send;
}

/// Everything Seikyu keeps, as one bound; the DynamoDB and the in-memory store implement all of it.
pub trait Store:
    TenantStore
    + IdempotencyStore
    + InvoiceStore
    + OutboxStore
    + PaymentStore
    + ReceiptStore
    + BankStore
{
}

impl<
    T: TenantStore
        + IdempotencyStore
        + InvoiceStore
        + OutboxStore
        + PaymentStore
        + ReceiptStore
        + BankStore,
> Store for T
{
}

pub trait OutboxStore: Send + Sync {
    /// Entries created at or before `before`, oldest first, at most `limit`.
    fn pending(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<OutboxEntry>, StoreError>> + Send;
    /// Remove a delivered entry (no error if it is gone already).
    fn delete(&self, entry: &OutboxEntry) -> impl Future<Output = Result<(), StoreError>> + Send;
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ArchiveError {
    #[error("archived object {0} exists with other content")]
    Immutable(String),
    /// The stored bytes no longer match what was stored (an archive that checks them on read).
    #[error("archived object damaged: {0}")]
    Corrupt(String),
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

#[derive(Debug, Error, PartialEq, Eq)]
#[error("queue unavailable: {0}")]
pub struct QueueError(pub String);

/// The message queues between functions (SQS); a message goes to the queue [`QueueMessage::queue`] names.
pub trait MessageQueue: Send + Sync {
    fn send(&self, message: &QueueMessage) -> impl Future<Output = Result<(), QueueError>> + Send;
    /// Move a message that can never succeed to `queue`'s dead-letter queue, as received (`body`), with
    /// why (`reason`), so a person sees it at once instead of after five failed deliveries.
    fn dead_letter(
        &self,
        queue: QueueName,
        body: &str,
        reason: &str,
    ) -> impl Future<Output = Result<(), QueueError>> + Send;
    /// Send many messages (SQS: batches of ten). An error means some may not have been sent; sending
    /// them again is safe (every consumer is idempotent).
    fn send_batch(
        &self,
        messages: &[QueueMessage],
    ) -> impl Future<Output = Result<(), QueueError>> + Send {
        async move {
            for m in messages {
                self.send(m).await?;
            }
            Ok(())
        }
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
#[error("event bus unavailable: {0}")]
pub struct BusError(pub String);

/// The sellers' event bus (EventBridge): at-least-once notifications such as `invoice.paid`.
pub trait EventBus: Send + Sync {
    fn publish(&self, event: &BusEvent) -> impl Future<Output = Result<(), BusError>> + Send;
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum MailError {
    /// The provider refused this message (bad address, unverified sender): retrying will not help.
    #[error("mail rejected: {0}")]
    Rejected(String),
    #[error("mail service unavailable: {0}")]
    Unavailable(String),
}

/// Outgoing mail (SES v1 SendRawEmail).
pub trait Mailer: Send + Sync {
    /// Send a complete MIME message; returns the provider's message id.
    fn send_raw(
        &self,
        from: &str,
        to: &[String],
        raw: &[u8],
    ) -> impl Future<Output = Result<String, MailError>> + Send;
}

#[derive(Debug, Error, PartialEq, Eq)]
#[error("secrets unavailable: {0}")]
pub struct SecretsError(pub String);

/// Webhook signing secrets per seller and provider (SSM Parameter Store in AWS).
pub trait WebhookSecrets: Send + Sync {
    /// The secrets a seller's webhooks from `provider` may be signed with (several while one rolls);
    /// empty when none is configured.
    fn secrets(
        &self,
        seller_id: &str,
        provider: &str,
    ) -> impl Future<Output = Result<Vec<seikyu_payments::Secret>, SecretsError>> + Send;
}

/// The time. Injected so the core never reads a clock.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// A shared clock (the embedded adapters and their use cases read one).
impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
