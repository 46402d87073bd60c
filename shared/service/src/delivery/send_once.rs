//! Mail sent once per stored fact: the invoice mailer, the receipt mail and the reminders all claim the
//! send on the record with a conditional write (so two deliveries of a message cannot both send), send,
//! give the claim back if the provider failed, and record the provider's message id on the latest
//! record. SES takes no idempotency key, so this is the whole guarantee: one send per claim; only a crash
//! between the send and the record can, after the claim lapses, send again.

use std::future::Future;

use crate::error::JobError;
use crate::ports::{InvoiceStore, MailError, Mailer, StoreError, Write};
use crate::record::{InvoiceRecord, OutboxEntry, ReceiptRecord};
use crate::retry::{CONTENDED, Retry};

/// How long a delivery holds the send before another may try (longer than the function's timeout).
pub const SEND_CLAIM_SECONDS: i64 = 120;

/// A stored record whose updates are conditional on its version.
pub(crate) trait Versioned: Clone {
    fn version(&self) -> u64;
    fn set_version(&mut self, v: u64);
    /// The conditional write that replaces the stored version `expected` with `self`.
    fn update(&self, expected: u64) -> Write<'_>;
}

impl Versioned for InvoiceRecord {
    fn version(&self) -> u64 {
        self.version
    }
    fn set_version(&mut self, v: u64) {
        self.version = v;
    }
    fn update(&self, expected: u64) -> Write<'_> {
        Write::Update {
            record: self,
            expected_version: expected,
        }
    }
}

impl Versioned for ReceiptRecord {
    fn version(&self) -> u64 {
        self.version
    }
    fn set_version(&mut self, v: u64) {
        self.version = v;
    }
    fn update(&self, expected: u64) -> Write<'_> {
        Write::UpdateReceipt {
            record: self,
            expected_version: expected,
        }
    }
}

/// What the check before a send decided.
pub(crate) enum Decision<R, X, T> {
    /// Nothing to send: the caller answers with this.
    Done(T),
    /// Send: the record with its claim set, and what the send needs.
    Claim(R, X),
}

/// Load the record, let `decide` look at it, and store the claim it sets, conditional on the version
/// read; a conflict (the record changed meanwhile) loads and decides again.
pub(crate) async fn claim<S, R, X, T, L, Fut>(
    store: &S,
    what: &str,
    load: L,
    mut decide: impl FnMut(&R) -> Result<Decision<R, X, T>, JobError>,
) -> Result<Result<(R, X), T>, JobError>
where
    S: InvoiceStore,
    R: Versioned,
    L: Fn() -> Fut,
    Fut: Future<Output = Result<R, JobError>>,
{
    let mut retry = Retry::new(CONTENDED);
    loop {
        let current = load().await?;
        match decide(&current)? {
            Decision::Done(t) => return Ok(Err(t)),
            Decision::Claim(mut claimed, x) => {
                claimed.set_version(current.version() + 1);
                match store.commit(&[claimed.update(current.version())]).await {
                    Ok(()) => return Ok(Ok((claimed, x))),
                    Err(StoreError::Conflict(_)) => retry.again(|| what.to_string()).await?,
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
}

/// Send on a claimed record. If the provider fails, the claim is given back (`release` clears it) so a
/// redelivery can try at once; if that write fails too, the claim lapses on its own.
pub(crate) async fn send<S, M, R>(
    store: &S,
    mailer: &M,
    claimed: &R,
    release: impl FnOnce(&mut R),
    from: &str,
    to: &str,
    raw: &[u8],
) -> Result<String, JobError>
where
    S: InvoiceStore,
    M: Mailer,
    R: Versioned,
{
    match mailer.send_raw(from, &[to.to_string()], raw).await {
        Ok(id) => Ok(id),
        Err(e) => {
            let mut released = claimed.clone();
            released.set_version(claimed.version() + 1);
            release(&mut released);
            let _ = store.commit(&[released.update(claimed.version())]).await;
            Err(match e {
                MailError::Rejected(m) => JobError::Permanent(m),
                MailError::Unavailable(m) => JobError::Retryable(m),
            })
        }
    }
}

/// What recording a send changes.
pub(crate) enum Record {
    /// The record shows the send already (another delivery recorded it).
    Already,
    /// Changed; with an event to commit in the same write.
    Changed(Option<OutboxEntry>),
}

/// Record a send on `current` (its version already bumped for `change`), re-reading with `load` after a
/// conflict. Returns the event committed with it, for the caller to deliver.
pub(crate) async fn record<S, R, L, Fut>(
    store: &S,
    what: &str,
    mut current: R,
    load: L,
    change: impl Fn(&mut R) -> Record,
) -> Result<Option<OutboxEntry>, JobError>
where
    S: InvoiceStore,
    R: Versioned,
    L: Fn() -> Fut,
    Fut: Future<Output = Result<R, JobError>>,
{
    let mut retry = Retry::new(CONTENDED);
    loop {
        let mut updated = current.clone();
        updated.set_version(current.version() + 1);
        let event = match change(&mut updated) {
            Record::Already => return Ok(None),
            Record::Changed(event) => event,
        };
        let mut writes = vec![updated.update(current.version())];
        if let Some(e) = &event {
            writes.push(Write::Outbox(e));
        }
        match store.commit(&writes).await {
            Ok(()) => return Ok(event),
            Err(StoreError::Conflict(_)) => {
                retry
                    .again(|| format!("{what}, while recording the send,"))
                    .await?;
                current = load().await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
}
