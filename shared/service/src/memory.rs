//! In-memory adapters: the embedded demo and the tests run on these. The store applies a commit under
//! one lock, so its writes are atomic like a DynamoDB transaction.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use chrono::{DateTime, NaiveDate, Utc};

use crate::ports::{
    ArchiveError, BankStore, BusError, Claim, Clock, DocumentArchive, DueReminders, EventBus,
    IdempotencyStore, InvoiceStore, MailError, Mailer, MessageQueue, OpenBalance, OpenItem,
    OutboxStore, PaymentStore, QueueError, ReceiptStore, StoreError, TenantStore, Write,
};
use crate::record::{
    BusEvent, Customer, InvoiceRecord, OutboxEntry, Page, PaymentRecord, QueueMessage, QueueName,
    ReceiptRecord, SearchQuery, SellerAccount, StatementImport, StoredResponse,
};
use crate::search::{self, Index};

#[derive(Debug)]
struct IdemEntry {
    request_sha256: String,
    response: Option<StoredResponse>,
    lease_until: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

#[derive(Debug, Default)]
struct State {
    sellers: HashMap<String, SellerAccount>,
    keys: HashMap<String, String>,
    customers: HashMap<(String, String), Customer>,
    idempotency: HashMap<(String, String), IdemEntry>,
    sequences: HashMap<String, u64>,
    invoices: BTreeMap<(String, String), InvoiceRecord>,
    outbox: BTreeMap<String, OutboxEntry>,
    events: std::collections::HashSet<(String, String, String)>,
    payments: BTreeMap<(String, String), PaymentRecord>,
    receipts: BTreeMap<(String, String), ReceiptRecord>,
    /// (seller, customer) -> invoice ids: the by-customer index.
    by_customer: HashMap<(String, String), std::collections::BTreeSet<String>>,
    bank_keys: BTreeMap<(String, String), Vec<String>>,
    imports: BTreeMap<(String, String), StatementImport>,
    /// Items bank reconciliation read (keys, index entries, imports): what an import costs.
    bank_reads: u64,
}

#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

fn poisoned<T>(_: T) -> StoreError {
    StoreError::Unavailable("in-memory store lock poisoned".into())
}

impl MemoryStore {
    fn with<R>(
        &self,
        f: impl FnOnce(&mut State) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut s = self.state.lock().map_err(poisoned)?;
        f(&mut s)
    }
}

impl TenantStore for MemoryStore {
    async fn create_seller(&self, account: &SellerAccount) -> Result<(), StoreError> {
        self.with(|s| {
            if s.sellers.contains_key(&account.seller_id) {
                return Err(StoreError::Conflict(format!(
                    "seller {} exists",
                    account.seller_id
                )));
            }
            s.sellers.insert(account.seller_id.clone(), account.clone());
            Ok(())
        })
    }
    async fn get_seller(&self, seller_id: &str) -> Result<Option<SellerAccount>, StoreError> {
        self.with(|s| Ok(s.sellers.get(seller_id).cloned()))
    }
    async fn update_seller(&self, account: &SellerAccount) -> Result<(), StoreError> {
        self.with(|s| match s.sellers.get_mut(&account.seller_id) {
            Some(a) => {
                *a = account.clone();
                Ok(())
            }
            None => Err(StoreError::Conflict(format!(
                "no seller {}",
                account.seller_id
            ))),
        })
    }
    async fn add_api_key(&self, key_sha256: &str, seller_id: &str) -> Result<(), StoreError> {
        self.with(|s| {
            if s.keys.contains_key(key_sha256) {
                return Err(StoreError::Conflict("api key exists".into()));
            }
            s.keys.insert(key_sha256.to_string(), seller_id.to_string());
            Ok(())
        })
    }
    async fn seller_for_key(&self, key_sha256: &str) -> Result<Option<String>, StoreError> {
        self.with(|s| Ok(s.keys.get(key_sha256).cloned()))
    }
    async fn put_customer(&self, customer: &Customer) -> Result<(), StoreError> {
        self.with(|s| {
            s.customers.insert(
                (customer.seller_id.clone(), customer.customer_id.clone()),
                customer.clone(),
            );
            Ok(())
        })
    }
    async fn get_customer(
        &self,
        seller_id: &str,
        customer_id: &str,
    ) -> Result<Option<Customer>, StoreError> {
        self.with(|s| {
            Ok(s.customers
                .get(&(seller_id.to_string(), customer_id.to_string()))
                .cloned())
        })
    }
}

impl IdempotencyStore for MemoryStore {
    async fn claim(
        &self,
        seller_id: &str,
        key: &str,
        request_sha256: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Claim, StoreError> {
        self.with(|s| {
            let k = (seller_id.to_string(), key.to_string());
            match s.idempotency.get(&k) {
                Some(e) if e.expires_at <= now => {}
                Some(e) if e.request_sha256 != request_sha256 => return Ok(Claim::Mismatch),
                Some(IdemEntry {
                    response: Some(r), ..
                }) => return Ok(Claim::Replay(r.clone())),
                // The holder died before committing: take the claim over.
                Some(e) if e.lease_until <= now => {}
                Some(_) => return Ok(Claim::InProgress),
                None => {}
            }
            let entry = IdemEntry {
                request_sha256: request_sha256.to_string(),
                response: None,
                lease_until,
                expires_at,
            };
            s.idempotency.insert(k, entry);
            Ok(Claim::Started)
        })
    }

    async fn finish(
        &self,
        seller_id: &str,
        key: &str,
        response: &StoredResponse,
    ) -> Result<(), StoreError> {
        self.with(|s| {
            if let Some(entry) = s
                .idempotency
                .get_mut(&(seller_id.to_string(), key.to_string()))
            {
                entry.response = Some(response.clone());
            }
            Ok(())
        })
    }

    async fn release(&self, seller_id: &str, key: &str) -> Result<(), StoreError> {
        self.with(|s| {
            let k = (seller_id.to_string(), key.to_string());
            if s.idempotency.get(&k).is_some_and(|e| e.response.is_none()) {
                s.idempotency.remove(&k);
            }
            Ok(())
        })
    }
}

/// Position of a record in the index `plan` chooses, as its sort key.
fn sort_key(r: &InvoiceRecord, index: Index) -> String {
    match index {
        Index::ByCustomer | Index::ByIssueDate => search::date_key(r),
        Index::ByAmount => search::amount_key(r.payable, &r.invoice_id),
    }
}

/// The condition of one write of a commit; `Conflict` if it does not hold. One arm per kind of write,
/// as DynamoDB's condition expressions are: it reads better whole than split.
fn check(s: &State, w: &Write<'_>) -> Result<(), StoreError> {
    match w {
        Write::NextNumber { sequence, expected } => {
            if s.sequences.get(*sequence).copied().unwrap_or(0) != *expected {
                return Err(StoreError::Conflict(format!("sequence {sequence} moved")));
            }
        }
        Write::Insert(r) => {
            if s.invoices
                .contains_key(&(r.seller_id.clone(), r.invoice_id.clone()))
            {
                return Err(StoreError::Conflict(format!(
                    "invoice {} exists",
                    r.invoice_id
                )));
            }
        }
        Write::Update {
            record,
            expected_version,
        } => {
            let current = s
                .invoices
                .get(&(record.seller_id.clone(), record.invoice_id.clone()));
            if current.map(|c| c.version) != Some(*expected_version) {
                return Err(StoreError::Conflict(format!(
                    "invoice {} changed",
                    record.invoice_id
                )));
            }
        }
        Write::MarkEvent {
            seller_id,
            provider,
            event_id,
        } => {
            let k = (
                seller_id.to_string(),
                provider.to_string(),
                event_id.to_string(),
            );
            if s.events.contains(&k) {
                return Err(StoreError::Conflict(format!(
                    "event {event_id} applied already"
                )));
            }
        }
        Write::PutPayment {
            record,
            expected_version,
        } => {
            let current = s
                .payments
                .get(&(record.seller_id.clone(), record.key()))
                .map_or(0, |p| p.version);
            if current != *expected_version {
                return Err(StoreError::Conflict(format!(
                    "payment {} changed",
                    record.key()
                )));
            }
        }
        Write::InsertReceipt(r) => {
            if s.receipts
                .contains_key(&(r.seller_id.clone(), r.receipt_id.clone()))
            {
                return Err(StoreError::Conflict(format!(
                    "receipt {} exists",
                    r.receipt_id
                )));
            }
        }
        Write::UpdateReceipt {
            record,
            expected_version,
        } => {
            let current = s
                .receipts
                .get(&(record.seller_id.clone(), record.receipt_id.clone()));
            if current.map(|c| c.version) != Some(*expected_version) {
                return Err(StoreError::Conflict(format!(
                    "receipt {} changed",
                    record.receipt_id
                )));
            }
        }
        Write::FinishIdempotency { seller_id, key, .. } => {
            if !s
                .idempotency
                .contains_key(&(seller_id.to_string(), key.to_string()))
            {
                return Err(StoreError::Conflict(format!(
                    "idempotency key {key} not claimed"
                )));
            }
        }
        Write::Outbox(e) => {
            if s.outbox.contains_key(&e.id) {
                return Err(StoreError::Conflict(format!(
                    "outbox entry {} exists",
                    e.id
                )));
            }
        }
    }
    Ok(())
}

/// One write of a commit whose conditions all hold.
fn apply(s: &mut State, w: &Write<'_>) {
    match w {
        Write::NextNumber { sequence, expected } => {
            s.sequences.insert((*sequence).to_string(), expected + 1);
        }
        Write::Insert(r) | Write::Update { record: r, .. } => {
            if let Some(c) = &r.customer_id {
                s.by_customer
                    .entry((r.seller_id.clone(), c.clone()))
                    .or_default()
                    .insert(r.invoice_id.clone());
            }
            s.invoices
                .insert((r.seller_id.clone(), r.invoice_id.clone()), (*r).clone());
        }
        Write::Outbox(e) => {
            s.outbox.insert(e.id.clone(), (*e).clone());
        }
        Write::MarkEvent {
            seller_id,
            provider,
            event_id,
        } => {
            s.events.insert((
                seller_id.to_string(),
                provider.to_string(),
                event_id.to_string(),
            ));
        }
        Write::PutPayment { record, .. } => {
            s.payments
                .insert((record.seller_id.clone(), record.key()), (*record).clone());
        }
        Write::InsertReceipt(r) | Write::UpdateReceipt { record: r, .. } => {
            s.receipts
                .insert((r.seller_id.clone(), r.receipt_id.clone()), (*r).clone());
        }
        Write::FinishIdempotency {
            seller_id,
            key,
            response,
        } => {
            if let Some(e) = s
                .idempotency
                .get_mut(&(seller_id.to_string(), key.to_string()))
            {
                e.response = Some((*response).clone());
            }
        }
    }
}

impl InvoiceStore for MemoryStore {
    async fn sequence_value(&self, sequence: &str) -> Result<u64, StoreError> {
        self.with(|s| Ok(s.sequences.get(sequence).copied().unwrap_or(0)))
    }

    async fn commit(&self, writes: &[Write<'_>]) -> Result<(), StoreError> {
        self.with(|s| {
            // Check every condition first, then apply: all or nothing.
            for w in writes {
                check(s, w)?;
            }
            for w in writes {
                apply(s, w);
            }
            Ok(())
        })
    }

    async fn get(
        &self,
        seller_id: &str,
        invoice_id: &str,
    ) -> Result<Option<InvoiceRecord>, StoreError> {
        self.with(|s| {
            Ok(s.invoices
                .get(&(seller_id.to_string(), invoice_id.to_string()))
                .cloned())
        })
    }

    async fn search(&self, seller_id: &str, q: &SearchQuery) -> Result<Page, StoreError> {
        let index = search::plan(q);
        let after = q.cursor.as_deref().map(search::decode_cursor).transpose()?;
        let limit = search::effective_limit(q);
        self.with(|s| {
            let (lo, hi) = search::key_range(q, index);
            // The index partition, in key order, newest (largest key) first.
            let mut part: Vec<(String, &InvoiceRecord)> = s
                .invoices
                .values()
                .filter(|r| r.seller_id == seller_id)
                .filter(|r| index != Index::ByCustomer || r.customer_id == q.customer)
                .map(|r| (sort_key(r, index), r))
                .filter(|(k, _)| {
                    lo.as_ref().is_none_or(|lo| k >= lo) && hi.as_ref().is_none_or(|hi| k <= hi)
                })
                .collect();
            part.sort_by(|a, b| b.0.cmp(&a.0));
            let mut items = Vec::new();
            let mut read = 0;
            let mut last = None;
            for (k, r) in part
                .into_iter()
                .filter(|(k, _)| after.as_ref().is_none_or(|a| k < a))
            {
                read += 1;
                last = Some(k);
                if search::matches(r, q) {
                    items.push(r.clone());
                    if items.len() == limit {
                        break;
                    }
                }
            }
            let next = if items.len() == limit {
                last.map(|k| search::encode_cursor(&k))
            } else {
                None
            };
            Ok(Page {
                items,
                next,
                items_read: read,
            })
        })
    }

    async fn open_balance(
        &self,
        seller_id: &str,
        customer_id: &str,
        currency: &str,
        today: NaiveDate,
    ) -> Result<OpenBalance, StoreError> {
        self.with(|s| {
            let mut b = OpenBalance::default();
            for r in s.invoices.values().filter(|r| {
                r.seller_id == seller_id
                    && r.customer_id.as_deref() == Some(customer_id)
                    && r.currency == currency
                    && r.is_open()
            }) {
                b.outstanding = b.outstanding.saturating_add(r.open_balance());
                if r.due_date.is_some_and(|d| d < today) {
                    b.overdue_invoices += 1;
                }
            }
            Ok(b)
        })
    }

    /// The in-memory store filters its invoices (the DynamoDB store queries its next-action index).
    async fn reminders_due(&self, as_of: NaiveDate) -> Result<DueReminders, StoreError> {
        self.with(|s| {
            let mut due: Vec<(NaiveDate, String, String)> = s
                .invoices
                .values()
                .filter_map(|r| {
                    let day = crate::dunning::next_action(r)?;
                    (day <= as_of).then(|| (day, r.seller_id.clone(), r.invoice_id.clone()))
                })
                .collect();
            due.sort();
            Ok(DueReminders {
                items_read: due.len(),
                invoices: due.into_iter().map(|(_, s, i)| (s, i)).collect(),
            })
        })
    }
}

impl PaymentStore for MemoryStore {
    async fn get_payment(
        &self,
        seller_id: &str,
        provider: &str,
        payment_id: &str,
    ) -> Result<Option<PaymentRecord>, StoreError> {
        self.with(|s| {
            Ok(s.payments
                .get(&(seller_id.to_string(), format!("{provider}:{payment_id}")))
                .cloned())
        })
    }
    async fn event_applied(
        &self,
        seller_id: &str,
        provider: &str,
        event_id: &str,
    ) -> Result<bool, StoreError> {
        self.with(|s| {
            Ok(s.events.contains(&(
                seller_id.to_string(),
                provider.to_string(),
                event_id.to_string(),
            )))
        })
    }
    async fn unapplied(&self, seller_id: &str) -> Result<Vec<PaymentRecord>, StoreError> {
        self.with(|s| {
            let mut v: Vec<PaymentRecord> = s
                .payments
                .values()
                .filter(|p| p.seller_id == seller_id && p.unapplied.is_some())
                .cloned()
                .collect();
            v.sort_by_key(|p| p.updated_at);
            Ok(v)
        })
    }
}

impl MemoryStore {
    /// Items bank reconciliation has read so far (see [`State::bank_reads`]).
    pub fn bank_reads(&self) -> u64 {
        self.state.lock().map_or(0, |s| s.bank_reads)
    }
}

impl BankStore for MemoryStore {
    async fn bank_key(&self, seller_id: &str, key: &str) -> Result<Vec<String>, StoreError> {
        self.with(|s| {
            s.bank_reads += 1;
            Ok(s.bank_keys
                .get(&(seller_id.to_string(), key.to_string()))
                .cloned()
                .unwrap_or_default())
        })
    }
    async fn add_bank_key(
        &self,
        seller_id: &str,
        key: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        self.with(|s| {
            let v = s
                .bank_keys
                .entry((seller_id.to_string(), key.to_string()))
                .or_default();
            if !v.iter().any(|x| x == value) {
                v.push(value.to_string());
                v.sort();
            }
            Ok(())
        })
    }
    async fn remove_bank_key(
        &self,
        seller_id: &str,
        key: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        self.with(|s| {
            let k = (seller_id.to_string(), key.to_string());
            if let Some(v) = s.bank_keys.get_mut(&k) {
                v.retain(|x| x != value);
                if v.is_empty() {
                    s.bank_keys.remove(&k);
                }
            }
            Ok(())
        })
    }
    async fn claim_bank_key(
        &self,
        seller_id: &str,
        key: &str,
        value: &str,
    ) -> Result<bool, StoreError> {
        self.with(|s| {
            let v = s
                .bank_keys
                .entry((seller_id.to_string(), key.to_string()))
                .or_default();
            if v.is_empty() {
                v.push(value.to_string());
                return Ok(true);
            }
            // As DynamoDB's condition: free, or already holding this value.
            Ok(v.iter().any(|x| x == value))
        })
    }
    async fn bank_keys_with_prefix(
        &self,
        seller_id: &str,
        prefix: &str,
        limit: usize,
    ) -> Result<Vec<(String, Vec<String>)>, StoreError> {
        self.with(|s| {
            let out: Vec<(String, Vec<String>)> = s
                .bank_keys
                .range((seller_id.to_string(), prefix.to_string())..)
                .take_while(|((sid, k), _)| sid == seller_id && k.starts_with(prefix))
                .take(limit)
                .map(|((_, k), v)| (k.clone(), v.clone()))
                .collect();
            s.bank_reads += out.len().max(1) as u64;
            Ok(out)
        })
    }
    async fn open_invoices(
        &self,
        seller_id: &str,
        customer_id: &str,
        currency: &str,
    ) -> Result<Vec<OpenItem>, StoreError> {
        self.with(|s| {
            let ids = s
                .by_customer
                .get(&(seller_id.to_string(), customer_id.to_string()))
                .cloned()
                .unwrap_or_default();
            s.bank_reads += ids.len().max(1) as u64;
            Ok(ids
                .iter()
                .filter_map(|id| s.invoices.get(&(seller_id.to_string(), id.clone())))
                .filter(|r| r.currency == currency && crate::reconciliation::auto_payable(r))
                .map(|r| OpenItem {
                    invoice_id: r.invoice_id.clone(),
                    number: r.number.clone(),
                    due_date: r.due_date,
                    issue_date: r.issue_date,
                    balance: r.open_balance(),
                })
                .collect())
        })
    }
    async fn put_import(&self, import: &StatementImport) -> Result<StatementImport, StoreError> {
        self.with(|s| {
            let k = (import.seller_id.clone(), import.import_id.clone());
            Ok(s.imports.entry(k).or_insert_with(|| import.clone()).clone())
        })
    }
    async fn update_import(&self, import: &StatementImport) -> Result<(), StoreError> {
        self.with(|s| {
            s.imports.insert(
                (import.seller_id.clone(), import.import_id.clone()),
                import.clone(),
            );
            Ok(())
        })
    }
    async fn get_import(
        &self,
        seller_id: &str,
        import_id: &str,
    ) -> Result<Option<StatementImport>, StoreError> {
        self.with(|s| {
            Ok(s.imports
                .get(&(seller_id.to_string(), import_id.to_string()))
                .cloned())
        })
    }
    async fn imports(
        &self,
        seller_id: &str,
        limit: usize,
    ) -> Result<Vec<StatementImport>, StoreError> {
        self.with(|s| {
            let mut v: Vec<StatementImport> = s
                .imports
                .values()
                .filter(|i| i.seller_id == seller_id)
                .cloned()
                .collect();
            v.sort_by(|a, b| {
                b.created_at
                    .cmp(&a.created_at)
                    .then(b.import_id.cmp(&a.import_id))
            });
            v.truncate(limit);
            Ok(v)
        })
    }
}

impl ReceiptStore for MemoryStore {
    async fn get_receipt(
        &self,
        seller_id: &str,
        receipt_id: &str,
    ) -> Result<Option<ReceiptRecord>, StoreError> {
        self.with(|s| {
            Ok(s.receipts
                .get(&(seller_id.to_string(), receipt_id.to_string()))
                .cloned())
        })
    }
}

impl OutboxStore for MemoryStore {
    async fn pending(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        self.with(|s| {
            let mut v: Vec<OutboxEntry> = s
                .outbox
                .values()
                .filter(|e| e.created_at <= before)
                .cloned()
                .collect();
            v.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
            v.truncate(limit);
            Ok(v)
        })
    }
    async fn delete(&self, entry: &OutboxEntry) -> Result<(), StoreError> {
        self.with(|s| {
            s.outbox.remove(&entry.id);
            Ok(())
        })
    }
}

#[derive(Debug, Default)]
pub struct MemoryArchive {
    objects: Mutex<BTreeMap<String, (String, Vec<u8>)>>,
}

impl MemoryArchive {
    /// Every stored key with its bytes, in key order (the demo writes them out).
    pub fn objects(&self) -> Vec<(String, Vec<u8>)> {
        self.objects
            .lock()
            .map(|o| o.iter().map(|(k, (_, b))| (k.clone(), b.clone())).collect())
            .unwrap_or_default()
    }
}

impl DocumentArchive for MemoryArchive {
    async fn put(&self, key: &str, content_type: &str, bytes: &[u8]) -> Result<(), ArchiveError> {
        let mut o = self
            .objects
            .lock()
            .map_err(|_| ArchiveError::Unavailable("lock poisoned".into()))?;
        match o.get(key) {
            Some((_, existing)) if existing.as_slice() == bytes => Ok(()),
            Some(_) => Err(ArchiveError::Immutable(key.to_string())),
            None => {
                o.insert(key.to_string(), (content_type.to_string(), bytes.to_vec()));
                Ok(())
            }
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, ArchiveError> {
        let o = self
            .objects
            .lock()
            .map_err(|_| ArchiveError::Unavailable("lock poisoned".into()))?;
        Ok(o.get(key).map(|(_, b)| b.clone()))
    }
}

/// Queues that keep messages until drained. `fail_next(n)` makes the next `n` sends fail, to test
/// what happens when the process cannot reach the queue after committing.
#[derive(Debug, Default)]
pub struct MemoryQueue {
    messages: Mutex<Vec<QueueMessage>>,
    /// Messages moved to a dead-letter queue: (queue, body, reason).
    dead: Mutex<Vec<(QueueName, String, String)>>,
    failures: AtomicU32,
}

impl MemoryQueue {
    pub fn fail_next(&self, n: u32) {
        self.failures.store(n, Ordering::SeqCst);
    }
    /// Take every message queued on `queue`.
    pub fn drain(&self, queue: QueueName) -> Vec<QueueMessage> {
        self.messages
            .lock()
            .map(|mut m| {
                let (taken, kept) = std::mem::take(&mut *m)
                    .into_iter()
                    .partition(|msg| msg.queue() == queue);
                *m = kept;
                taken
            })
            .unwrap_or_default()
    }
    /// Messages waiting on every queue.
    pub fn len(&self) -> usize {
        self.messages.lock().map(|m| m.len()).unwrap_or(0)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The messages moved to the dead-letter queues: (queue, body, reason).
    pub fn dead_letters(&self) -> Vec<(QueueName, String, String)> {
        self.dead.lock().map(|d| d.clone()).unwrap_or_default()
    }
    /// Fail the next send if failures were injected.
    fn injected_failure(&self) -> Result<(), QueueError> {
        let failing = self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            return Err(QueueError("injected failure".into()));
        }
        Ok(())
    }
}

/// An event bus that records what was published. `fail_next(n)` makes the next `n` publishes fail.
#[derive(Debug, Default)]
pub struct MemoryBus {
    events: Mutex<Vec<BusEvent>>,
    failures: AtomicU32,
}

impl MemoryBus {
    pub fn fail_next(&self, n: u32) {
        self.failures.store(n, Ordering::SeqCst);
    }
    pub fn events(&self) -> Vec<BusEvent> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }
}

impl EventBus for MemoryBus {
    async fn publish(&self, event: &BusEvent) -> Result<(), BusError> {
        let failing = self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            return Err(BusError("injected failure".into()));
        }
        self.events
            .lock()
            .map_err(|_| BusError("lock poisoned".into()))?
            .push(event.clone());
        Ok(())
    }
}

impl MessageQueue for MemoryQueue {
    async fn send(&self, message: &QueueMessage) -> Result<(), QueueError> {
        self.injected_failure()?;
        self.messages
            .lock()
            .map_err(|_| QueueError("lock poisoned".into()))?
            .push(message.clone());
        Ok(())
    }

    async fn dead_letter(
        &self,
        queue: QueueName,
        body: &str,
        reason: &str,
    ) -> Result<(), QueueError> {
        self.injected_failure()?;
        self.dead
            .lock()
            .map_err(|_| QueueError("lock poisoned".into()))?
            .push((queue, body.to_string(), reason.to_string()));
        Ok(())
    }
}

/// A message the in-memory mailer "sent".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMail {
    pub from: String,
    pub to: Vec<String>,
    /// The complete MIME message.
    pub raw: Vec<u8>,
    pub message_id: String,
}

/// A mailer that keeps what it sends.
#[derive(Debug, Default)]
pub struct MemoryMailer {
    sent: Mutex<Vec<SentMail>>,
    counter: AtomicU64,
    failures: AtomicU32,
}

impl MemoryMailer {
    pub fn sent(&self) -> Vec<SentMail> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }
    pub fn fail_next(&self, n: u32) {
        self.failures.store(n, Ordering::SeqCst);
    }
}

impl Mailer for MemoryMailer {
    async fn send_raw(&self, from: &str, to: &[String], raw: &[u8]) -> Result<String, MailError> {
        if self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(MailError::Unavailable("injected failure".into()));
        }
        let id = format!(
            "memory-{:06}",
            self.counter.fetch_add(1, Ordering::SeqCst) + 1
        );
        self.sent
            .lock()
            .map_err(|_| MailError::Unavailable("lock poisoned".into()))?
            .push(SentMail {
                from: from.to_string(),
                to: to.to_vec(),
                raw: raw.to_vec(),
                message_id: id.clone(),
            });
        Ok(id)
    }
}

/// Webhook secrets set by the demo and the tests.
#[derive(Debug, Default)]
pub struct MemorySecrets(Mutex<HashMap<(String, String), SecretValues>>);

/// The raw secret values of one seller and provider.
type SecretValues = Vec<Vec<u8>>;

impl MemorySecrets {
    pub fn set(&self, seller_id: &str, provider: &str, secrets: &[&[u8]]) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(
                (seller_id.into(), provider.into()),
                secrets.iter().map(|s| s.to_vec()).collect(),
            );
        }
    }
}

impl crate::ports::WebhookSecrets for MemorySecrets {
    async fn secrets(
        &self,
        seller_id: &str,
        provider: &str,
    ) -> Result<Vec<seikyu_payments::Secret>, crate::ports::SecretsError> {
        let m = self
            .0
            .lock()
            .map_err(|_| crate::ports::SecretsError("lock poisoned".into()))?;
        Ok(m.get(&(seller_id.to_string(), provider.to_string()))
            .map(|v| {
                v.iter()
                    .map(|s| seikyu_payments::Secret::new(s.clone()))
                    .collect()
            })
            .unwrap_or_default())
    }
}

/// A clock that stands still until moved: the demo and tests decide what "now" is.
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }
    pub fn set(&self, at: DateTime<Utc>) {
        if let Ok(mut t) = self.0.lock() {
            *t = at;
        }
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
            .lock()
            .map(|t| *t)
            .unwrap_or_else(|p| *p.into_inner())
    }
}
