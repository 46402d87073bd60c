//! The store on SQLite: every port of [`seikyu_service::ports::Store`]. A commit's writes are checked and
//! applied in one transaction with the conditions DynamoDB's transaction puts on them (a sequence still
//! at its expected value, an id not taken, a record still at its version, an event not yet applied), so
//! the use cases and the contract suite cannot tell the stores apart.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension as _, Transaction, params};
use seikyu_service::ports::{
    BankStore, Claim, DueReminders, IdempotencyStore, InvoiceStore, OpenBalance, OpenItem,
    OutboxStore, PaymentStore, ReceiptStore, StoreError, TenantStore, Write,
};
use seikyu_service::record::{
    Customer, InvoiceRecord, OutboxEntry, Page, PaymentRecord, ReceiptRecord, SearchQuery,
    SellerAccount, StatementImport, StoredResponse,
};
use seikyu_service::search::{self, Index};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::db::{Db, unavailable};

/// Every store port on the data folder's database.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    db: Arc<Db>,
}

impl SqliteStore {
    pub fn new(db: Arc<Db>) -> Self {
        SqliteStore { db }
    }
}

fn to_json<T: Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(unavailable)
}

/// A stored record that does not read back is an error, never skipped.
fn from_json<T: DeserializeOwned>(what: &str, s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| unavailable(format!("{what} does not read back: {e}")))
}

fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn conflict(what: String) -> StoreError {
    StoreError::Conflict(what)
}

/// One row's single text column, if the row exists.
fn one(c: &Connection, sql: &str, p: impl rusqlite::Params) -> Result<Option<String>, StoreError> {
    c.query_row(sql, p, |r| r.get(0))
        .optional()
        .map_err(unavailable)
}

/// Every row's text column.
fn all(c: &Connection, sql: &str, p: impl rusqlite::Params) -> Result<Vec<String>, StoreError> {
    let mut st = c.prepare_cached(sql).map_err(unavailable)?;
    let rows = st
        .query_map(p, |r| r.get::<_, String>(0))
        .map_err(unavailable)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(unavailable)
}

fn version_of(
    c: &Connection,
    sql: &str,
    p: impl rusqlite::Params,
) -> Result<Option<u64>, StoreError> {
    c.query_row(sql, p, |r| r.get::<_, i64>(0))
        .optional()
        .map_err(unavailable)
        .map(|v| v.map(|v| v as u64))
}

fn version_param(v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::BadRequest(format!("version {v} out of range")))
}

impl TenantStore for SqliteStore {
    async fn create_seller(&self, account: &SellerAccount) -> Result<(), StoreError> {
        let body = to_json(account)?;
        self.db.write(|tx| {
            let n = tx
                .execute(
                    "INSERT INTO sellers (seller_id, body) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                    params![account.seller_id, body],
                )
                .map_err(unavailable)?;
            if n == 0 {
                return Err(conflict(format!("seller {} exists", account.seller_id)));
            }
            Ok(())
        })
    }
    async fn get_seller(&self, seller_id: &str) -> Result<Option<SellerAccount>, StoreError> {
        self.db
            .read(|c| {
                one(
                    c,
                    "SELECT body FROM sellers WHERE seller_id = ?1",
                    [seller_id],
                )
            })?
            .map(|b| from_json("seller", &b))
            .transpose()
    }
    async fn update_seller(&self, account: &SellerAccount) -> Result<(), StoreError> {
        let body = to_json(account)?;
        self.db.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE sellers SET body = ?2 WHERE seller_id = ?1",
                    params![account.seller_id, body],
                )
                .map_err(unavailable)?;
            if n == 0 {
                return Err(conflict(format!("no seller {}", account.seller_id)));
            }
            Ok(())
        })
    }
    async fn add_api_key(&self, key_sha256: &str, seller_id: &str) -> Result<(), StoreError> {
        self.db.write(|tx| {
            let n = tx
                .execute(
                    "INSERT INTO api_keys (key_sha256, seller_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                    [key_sha256, seller_id],
                )
                .map_err(unavailable)?;
            if n == 0 {
                return Err(conflict("api key exists".into()));
            }
            Ok(())
        })
    }
    async fn seller_for_key(&self, key_sha256: &str) -> Result<Option<String>, StoreError> {
        self.db.read(|c| {
            one(
                c,
                "SELECT seller_id FROM api_keys WHERE key_sha256 = ?1",
                [key_sha256],
            )
        })
    }
    async fn put_customer(&self, customer: &Customer) -> Result<(), StoreError> {
        let body = to_json(customer)?;
        self.db.write(|tx| {
            tx.execute(
                "INSERT INTO customers (seller_id, customer_id, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT (seller_id, customer_id) DO UPDATE SET body = excluded.body",
                params![customer.seller_id, customer.customer_id, body],
            )
            .map_err(unavailable)?;
            Ok(())
        })
    }
    async fn get_customer(
        &self,
        seller_id: &str,
        customer_id: &str,
    ) -> Result<Option<Customer>, StoreError> {
        self.db
            .read(|c| {
                one(
                    c,
                    "SELECT body FROM customers WHERE seller_id = ?1 AND customer_id = ?2",
                    [seller_id, customer_id],
                )
            })?
            .map(|b| from_json("customer", &b))
            .transpose()
    }
}

impl IdempotencyStore for SqliteStore {
    async fn claim(
        &self,
        seller_id: &str,
        key: &str,
        request_sha256: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Claim, StoreError> {
        self.db.write(|tx| {
            let current = tx
                .query_row(
                    "SELECT request_sha256, response, lease_until, expires_at FROM idempotency
                     WHERE seller_id = ?1 AND key = ?2",
                    [seller_id, key],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, Option<String>>(1)?,
                            r.get::<_, i64>(2)?,
                            r.get::<_, i64>(3)?,
                        ))
                    },
                )
                .optional()
                .map_err(unavailable)?;
            let now_ms = millis(now);
            match current {
                Some((_, _, _, expires)) if expires <= now_ms => {}
                Some((sha, _, _, _)) if sha != request_sha256 => return Ok(Claim::Mismatch),
                Some((_, Some(response), _, _)) => {
                    return Ok(Claim::Replay(from_json("stored response", &response)?));
                }
                // The holder died before committing: take the claim over.
                Some((_, None, lease, _)) if lease <= now_ms => {}
                Some(_) => return Ok(Claim::InProgress),
                None => {}
            }
            tx.execute(
                "INSERT INTO idempotency (seller_id, key, request_sha256, response, lease_until, expires_at)
                 VALUES (?1, ?2, ?3, NULL, ?4, ?5)
                 ON CONFLICT (seller_id, key) DO UPDATE SET request_sha256 = excluded.request_sha256,
                   response = NULL, lease_until = excluded.lease_until, expires_at = excluded.expires_at",
                params![seller_id, key, request_sha256, millis(lease_until), millis(expires_at)],
            )
            .map_err(unavailable)?;
            Ok(Claim::Started)
        })
    }

    async fn finish(
        &self,
        seller_id: &str,
        key: &str,
        response: &StoredResponse,
    ) -> Result<(), StoreError> {
        let body = to_json(response)?;
        self.db.write(|tx| {
            tx.execute(
                "UPDATE idempotency SET response = ?3 WHERE seller_id = ?1 AND key = ?2",
                params![seller_id, key, body],
            )
            .map_err(unavailable)?;
            Ok(())
        })
    }

    async fn release(&self, seller_id: &str, key: &str) -> Result<(), StoreError> {
        self.db.write(|tx| {
            tx.execute(
                "DELETE FROM idempotency WHERE seller_id = ?1 AND key = ?2 AND response IS NULL",
                [seller_id, key],
            )
            .map_err(unavailable)?;
            Ok(())
        })
    }
}

const INVOICE_VERSION: &str =
    "SELECT version FROM invoices WHERE seller_id = ?1 AND invoice_id = ?2";
const RECEIPT_VERSION: &str =
    "SELECT version FROM receipts WHERE seller_id = ?1 AND receipt_id = ?2";
const PAYMENT_VERSION: &str =
    "SELECT version FROM payments WHERE seller_id = ?1 AND payment_key = ?2";

/// What a write expects of the row it names.
#[derive(Clone, Copy)]
enum Expect {
    /// No row.
    Absent,
    /// The row at this version.
    Version(u64),
    /// The row at this version, where 0 is no row (sequences and payments start at 0).
    FromZero(u64),
}

/// `Conflict` with `what` unless the row `sql` selects is as `expect` says.
fn expect_row(
    tx: &Transaction<'_>,
    sql: &str,
    p: impl rusqlite::Params,
    expect: Expect,
    what: impl FnOnce() -> String,
) -> Result<(), StoreError> {
    let v = version_of(tx, sql, p)?;
    let holds = match expect {
        Expect::Absent => v.is_none(),
        Expect::Version(want) => v == Some(want),
        Expect::FromZero(want) => v.unwrap_or(0) == want,
    };
    if holds { Ok(()) } else { Err(conflict(what())) }
}

/// The condition of one write of a commit; `Conflict` if it does not hold (as DynamoDB's condition
/// expressions: one arm per kind of write).
fn check(tx: &Transaction<'_>, w: &Write<'_>) -> Result<(), StoreError> {
    match w {
        Write::NextNumber { sequence, expected } => expect_row(
            tx,
            "SELECT value FROM sequences WHERE name = ?1",
            [sequence],
            Expect::FromZero(*expected),
            || format!("sequence {sequence} moved"),
        )?,
        Write::Insert(r) => expect_row(
            tx,
            INVOICE_VERSION,
            [&r.seller_id, &r.invoice_id],
            Expect::Absent,
            || format!("invoice {} exists", r.invoice_id),
        )?,
        Write::Update {
            record,
            expected_version,
        } => expect_row(
            tx,
            INVOICE_VERSION,
            [&record.seller_id, &record.invoice_id],
            Expect::Version(*expected_version),
            || format!("invoice {} changed", record.invoice_id),
        )?,
        Write::MarkEvent {
            seller_id,
            provider,
            event_id,
        } => {
            let seen = one(
                tx,
                "SELECT event_id FROM events WHERE seller_id = ?1 AND provider = ?2 AND event_id = ?3",
                [seller_id, provider, event_id],
            )?;
            if seen.is_some() {
                return Err(conflict(format!("event {event_id} applied already")));
            }
        }
        Write::PutPayment {
            record,
            expected_version,
        } => expect_row(
            tx,
            PAYMENT_VERSION,
            [&record.seller_id, &record.key()],
            Expect::FromZero(*expected_version),
            || format!("payment {} changed", record.key()),
        )?,
        Write::InsertReceipt(r) => expect_row(
            tx,
            RECEIPT_VERSION,
            [&r.seller_id, &r.receipt_id],
            Expect::Absent,
            || format!("receipt {} exists", r.receipt_id),
        )?,
        Write::UpdateReceipt {
            record,
            expected_version,
        } => expect_row(
            tx,
            RECEIPT_VERSION,
            [&record.seller_id, &record.receipt_id],
            Expect::Version(*expected_version),
            || format!("receipt {} changed", record.receipt_id),
        )?,
        Write::FinishIdempotency { seller_id, key, .. } => {
            let held = one(
                tx,
                "SELECT key FROM idempotency WHERE seller_id = ?1 AND key = ?2",
                [seller_id, key],
            )?;
            if held.is_none() {
                return Err(conflict(format!("idempotency key {key} not claimed")));
            }
        }
        Write::Outbox(e) => {
            if one(tx, "SELECT id FROM outbox WHERE id = ?1", [&e.id])?.is_some() {
                return Err(conflict(format!("outbox entry {} exists", e.id)));
            }
        }
    }
    Ok(())
}

/// One write of a commit whose conditions all hold.
fn apply(tx: &Transaction<'_>, w: &Write<'_>) -> Result<(), StoreError> {
    let run = |sql: &str, p: &[&dyn rusqlite::ToSql]| {
        tx.prepare_cached(sql)
            .and_then(|mut s| s.execute(p))
            .map(|_| ())
            .map_err(unavailable)
    };
    match w {
        Write::NextNumber { sequence, expected } => run(
            "INSERT INTO sequences (name, value) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            &[sequence, &version_param(expected + 1)?],
        ),
        Write::Insert(r) | Write::Update { record: r, .. } => {
            let next_action = seikyu_service::dunning::next_action(r).map(|d| d.to_string());
            // The open-balance index holds open invoices only: screening reads what is owed, not
            // every invoice the buyer ever had.
            let open_currency = r.is_open().then_some(&r.currency);
            run(
                "INSERT INTO invoices (seller_id, invoice_id, version, customer_id, date_key, amount_key,
                   next_action, open_currency, open_balance, due_date, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (seller_id, invoice_id) DO UPDATE SET version = excluded.version,
                   customer_id = excluded.customer_id, date_key = excluded.date_key,
                   amount_key = excluded.amount_key, next_action = excluded.next_action,
                   open_currency = excluded.open_currency, open_balance = excluded.open_balance,
                   due_date = excluded.due_date, body = excluded.body",
                &[
                    &r.seller_id,
                    &r.invoice_id,
                    &version_param(r.version)?,
                    &r.customer_id,
                    &search::date_key(r),
                    &search::amount_key(r.payable, &r.invoice_id),
                    &next_action,
                    &open_currency,
                    &r.open_balance().to_string(),
                    &r.due_date.map(|d| d.to_string()),
                    &to_json(r)?,
                ],
            )
        }
        Write::Outbox(e) => run(
            "INSERT INTO outbox (id, created_at, body) VALUES (?1, ?2, ?3)",
            &[&e.id, &millis(e.created_at), &to_json(e)?],
        ),
        Write::MarkEvent {
            seller_id,
            provider,
            event_id,
        } => run(
            "INSERT INTO events (seller_id, provider, event_id) VALUES (?1, ?2, ?3)",
            &[seller_id, provider, event_id],
        ),
        Write::PutPayment { record, .. } => run(
            "INSERT INTO payments (seller_id, payment_key, version, unapplied, updated_at, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (seller_id, payment_key) DO UPDATE SET version = excluded.version,
               unapplied = excluded.unapplied, updated_at = excluded.updated_at, body = excluded.body",
            &[
                &record.seller_id,
                &record.key(),
                &version_param(record.version)?,
                &record.unapplied.is_some(),
                &millis(record.updated_at),
                &to_json(record)?,
            ],
        ),
        Write::InsertReceipt(r) | Write::UpdateReceipt { record: r, .. } => run(
            "INSERT INTO receipts (seller_id, receipt_id, version, body) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (seller_id, receipt_id) DO UPDATE SET version = excluded.version,
               body = excluded.body",
            &[
                &r.seller_id,
                &r.receipt_id,
                &version_param(r.version)?,
                &to_json(r)?,
            ],
        ),
        Write::FinishIdempotency {
            seller_id,
            key,
            response,
        } => run(
            "UPDATE idempotency SET response = ?3 WHERE seller_id = ?1 AND key = ?2",
            &[seller_id, key, &to_json(response)?],
        ),
    }
}

/// Rows of the search index read per query to the database (the page is filled from them).
const SEARCH_CHUNK: i64 = 256;

// The queries that read a range name their index: SQLite's planner, without statistics on a young
// database, would otherwise walk the seller's whole primary key (every invoice body) for a buyer's
// balance. A test checks every one of them reads through its index and never scans.
const OPEN_BALANCE_SQL: &str =
    "SELECT open_balance, due_date FROM invoices INDEXED BY invoices_open
     WHERE seller_id = ?1 AND customer_id = ?2 AND open_currency = ?3";
const OPEN_INVOICES_SQL: &str = "SELECT body FROM invoices INDEXED BY invoices_open
     WHERE seller_id = ?1 AND customer_id = ?2 AND open_currency = ?3 ORDER BY date_key";
const REMINDERS_DUE_SQL: &str = "SELECT seller_id, invoice_id FROM invoices
     INDEXED BY invoices_by_next_action
     WHERE next_action IS NOT NULL AND next_action <= ?1
     ORDER BY next_action, seller_id, invoice_id";
const UNAPPLIED_SQL: &str = "SELECT body FROM payments INDEXED BY payments_unapplied
     WHERE seller_id = ?1 AND unapplied = 1 ORDER BY updated_at, payment_key";
const IMPORTS_SQL: &str = "SELECT body FROM imports INDEXED BY imports_by_age WHERE seller_id = ?1
     ORDER BY created_at DESC, import_id DESC LIMIT ?2";
const OUTBOX_PENDING_SQL: &str = "SELECT body FROM outbox INDEXED BY outbox_by_age
     WHERE created_at <= ?1 ORDER BY created_at, id LIMIT ?2";

/// The search of `index` with only the bounds it has (`?3` from, `?4` to, `?5` the cursor, always
/// bound; `?6` the chunk size): an index range, newest first.
fn search_sql(index: Index, from: bool, to: bool) -> String {
    let (column, indexed, customer) = match index {
        Index::ByCustomer => ("date_key", "invoices_by_customer", " AND customer_id = ?2"),
        Index::ByIssueDate => ("date_key", "invoices_by_date", ""),
        Index::ByAmount => ("amount_key", "invoices_by_amount", ""),
    };
    let mut sql = format!(
        "SELECT {column}, body FROM invoices INDEXED BY {indexed} WHERE seller_id = ?1{customer}"
    );
    if from {
        sql.push_str(&format!(" AND {column} >= ?3"));
    }
    if to {
        sql.push_str(&format!(" AND {column} <= ?4"));
    }
    sql.push_str(&format!(
        " AND {column} < coalesce(?5, char(1114111)) ORDER BY {column} DESC LIMIT ?6"
    ));
    sql
}

impl InvoiceStore for SqliteStore {
    async fn sequence_value(&self, sequence: &str) -> Result<u64, StoreError> {
        self.db.read(|c| {
            Ok(
                version_of(c, "SELECT value FROM sequences WHERE name = ?1", [sequence])?
                    .unwrap_or(0),
            )
        })
    }

    async fn commit(&self, writes: &[Write<'_>]) -> Result<(), StoreError> {
        self.db.write(|tx| {
            // Every condition first, then every write: all or nothing (an error rolls back).
            for w in writes {
                check(tx, w)?;
            }
            for w in writes {
                apply(tx, w)?;
            }
            Ok(())
        })
    }

    async fn get(
        &self,
        seller_id: &str,
        invoice_id: &str,
    ) -> Result<Option<InvoiceRecord>, StoreError> {
        self.db
            .read(|c| {
                one(
                    c,
                    "SELECT body FROM invoices WHERE seller_id = ?1 AND invoice_id = ?2",
                    [seller_id, invoice_id],
                )
            })?
            .map(|b| from_json("invoice", &b))
            .transpose()
    }

    async fn search(&self, seller_id: &str, q: &SearchQuery) -> Result<Page, StoreError> {
        let index = search::plan(q);
        let after = q.cursor.as_deref().map(search::decode_cursor).transpose()?;
        let limit = search::effective_limit(q);
        let (lo, hi) = search::key_range(q, index);
        let customer = match index {
            Index::ByCustomer => q.customer.clone(),
            Index::ByIssueDate | Index::ByAmount => None,
        };
        let sql = search_sql(index, lo.is_some(), hi.is_some());
        self.db.read(|c| {
            let mut st = c.prepare_cached(&sql).map_err(unavailable)?;
            let mut items = Vec::new();
            let mut read = 0;
            let mut last: Option<String> = after;
            // The index range newest first, a chunk at a time, until the page is full or the range ends.
            loop {
                let rows: Vec<(String, String)> = st
                    .query_map(
                        params![seller_id, customer, lo, hi, last, SEARCH_CHUNK],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .map_err(unavailable)?
                    .collect::<Result<_, _>>()
                    .map_err(unavailable)?;
                let exhausted = (rows.len() as i64) < SEARCH_CHUNK;
                for (k, body) in rows {
                    read += 1;
                    let r: InvoiceRecord = from_json("invoice", &body)?;
                    last = Some(k);
                    if search::matches(&r, q) {
                        items.push(r);
                        if items.len() == limit {
                            return Ok(Page {
                                items,
                                next: last.as_deref().map(search::encode_cursor),
                                items_read: read,
                            });
                        }
                    }
                }
                if exhausted {
                    return Ok(Page {
                        items,
                        next: None,
                        items_read: read,
                    });
                }
            }
        })
    }

    async fn open_balance(
        &self,
        seller_id: &str,
        customer_id: &str,
        currency: &str,
        today: NaiveDate,
    ) -> Result<OpenBalance, StoreError> {
        let rows: Vec<(String, Option<String>)> = self.db.read(|c| {
            let mut st = c.prepare_cached(OPEN_BALANCE_SQL).map_err(unavailable)?;
            let rows = st
                .query_map([seller_id, customer_id, currency], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .map_err(unavailable)?;
            rows.collect::<Result<_, _>>().map_err(unavailable)
        })?;
        let mut b = OpenBalance::default();
        for (balance, due) in rows {
            let balance: rust_decimal::Decimal = balance
                .parse()
                .map_err(|e| unavailable(format!("open balance {balance:?}: {e}")))?;
            b.outstanding = b.outstanding.saturating_add(balance);
            let due: Option<NaiveDate> = due
                .map(|d| d.parse())
                .transpose()
                .map_err(|e| unavailable(format!("due date: {e}")))?;
            if due.is_some_and(|d| d < today) {
                b.overdue_invoices += 1;
            }
        }
        Ok(b)
    }

    async fn reminders_due(&self, as_of: NaiveDate) -> Result<DueReminders, StoreError> {
        let day = as_of.to_string();
        self.db.read(|c| {
            let mut st = c.prepare_cached(REMINDERS_DUE_SQL).map_err(unavailable)?;
            let invoices: Vec<(String, String)> = st
                .query_map([&day], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(unavailable)?
                .collect::<Result<_, _>>()
                .map_err(unavailable)?;
            Ok(DueReminders {
                items_read: invoices.len(),
                invoices,
            })
        })
    }
}

impl SqliteStore {
    /// A buyer's open invoices in `currency`, through the open-balance index.
    fn open_customer_invoices(
        &self,
        seller_id: &str,
        customer_id: &str,
        currency: &str,
    ) -> Result<Vec<InvoiceRecord>, StoreError> {
        self.db
            .read(|c| all(c, OPEN_INVOICES_SQL, [seller_id, customer_id, currency]))?
            .iter()
            .map(|b| from_json("invoice", b))
            .collect()
    }
}

impl PaymentStore for SqliteStore {
    async fn get_payment(
        &self,
        seller_id: &str,
        provider: &str,
        payment_id: &str,
    ) -> Result<Option<PaymentRecord>, StoreError> {
        let key = format!("{provider}:{payment_id}");
        self.db
            .read(|c| {
                one(
                    c,
                    "SELECT body FROM payments WHERE seller_id = ?1 AND payment_key = ?2",
                    [seller_id, &key],
                )
            })?
            .map(|b| from_json("payment", &b))
            .transpose()
    }
    async fn event_applied(
        &self,
        seller_id: &str,
        provider: &str,
        event_id: &str,
    ) -> Result<bool, StoreError> {
        self.db.read(|c| {
            Ok(one(
                c,
                "SELECT event_id FROM events WHERE seller_id = ?1 AND provider = ?2 AND event_id = ?3",
                [seller_id, provider, event_id],
            )?
            .is_some())
        })
    }
    async fn unapplied(&self, seller_id: &str) -> Result<Vec<PaymentRecord>, StoreError> {
        self.db
            .read(|c| all(c, UNAPPLIED_SQL, [seller_id]))?
            .iter()
            .map(|b| from_json("payment", b))
            .collect()
    }
}

impl ReceiptStore for SqliteStore {
    async fn get_receipt(
        &self,
        seller_id: &str,
        receipt_id: &str,
    ) -> Result<Option<ReceiptRecord>, StoreError> {
        self.db
            .read(|c| {
                one(
                    c,
                    "SELECT body FROM receipts WHERE seller_id = ?1 AND receipt_id = ?2",
                    [seller_id, receipt_id],
                )
            })?
            .map(|b| from_json("receipt", &b))
            .transpose()
    }
}

impl BankStore for SqliteStore {
    async fn bank_key(&self, seller_id: &str, key: &str) -> Result<Vec<String>, StoreError> {
        self.db.read(|c| {
            all(
                c,
                "SELECT value FROM bank_keys WHERE seller_id = ?1 AND key = ?2 ORDER BY value",
                [seller_id, key],
            )
        })
    }
    async fn add_bank_key(
        &self,
        seller_id: &str,
        key: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        self.db.write(|tx| {
            tx.execute(
                "INSERT INTO bank_keys (seller_id, key, value) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                [seller_id, key, value],
            )
            .map_err(unavailable)?;
            Ok(())
        })
    }
    async fn remove_bank_key(
        &self,
        seller_id: &str,
        key: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        self.db.write(|tx| {
            tx.execute(
                "DELETE FROM bank_keys WHERE seller_id = ?1 AND key = ?2 AND value = ?3",
                [seller_id, key, value],
            )
            .map_err(unavailable)?;
            Ok(())
        })
    }
    async fn claim_bank_key(
        &self,
        seller_id: &str,
        key: &str,
        value: &str,
    ) -> Result<bool, StoreError> {
        self.db.write(|tx| {
            let held = all(
                tx,
                "SELECT value FROM bank_keys WHERE seller_id = ?1 AND key = ?2",
                [seller_id, key],
            )?;
            if held.is_empty() {
                tx.execute(
                    "INSERT INTO bank_keys (seller_id, key, value) VALUES (?1, ?2, ?3)",
                    [seller_id, key, value],
                )
                .map_err(unavailable)?;
                return Ok(true);
            }
            // As DynamoDB's condition: free, or already holding this value.
            Ok(held.iter().any(|v| v == value))
        })
    }
    async fn bank_keys_with_prefix(
        &self,
        seller_id: &str,
        prefix: &str,
        limit: usize,
    ) -> Result<Vec<(String, Vec<String>)>, StoreError> {
        self.db.read(|c| {
            let mut st = c
                .prepare_cached(
                    "SELECT key, value FROM bank_keys WHERE seller_id = ?1 AND key >= ?2
                     ORDER BY key, value",
                )
                .map_err(unavailable)?;
            let mut rows = st.query([seller_id, prefix]).map_err(unavailable)?;
            let mut out: Vec<(String, Vec<String>)> = Vec::new();
            while let Some(r) = rows.next().map_err(unavailable)? {
                let (k, v): (String, String) = (
                    r.get(0).map_err(unavailable)?,
                    r.get(1).map_err(unavailable)?,
                );
                if !k.starts_with(prefix) {
                    break;
                }
                if let Some((last, values)) = out.last_mut()
                    && *last == k
                {
                    values.push(v);
                } else if out.len() == limit {
                    break;
                } else {
                    out.push((k, vec![v]));
                }
            }
            Ok(out)
        })
    }
    async fn open_invoices(
        &self,
        seller_id: &str,
        customer_id: &str,
        currency: &str,
    ) -> Result<Vec<OpenItem>, StoreError> {
        Ok(self
            .open_customer_invoices(seller_id, customer_id, currency)?
            .into_iter()
            .filter(seikyu_service::reconciliation::auto_payable)
            .map(|r| OpenItem {
                balance: r.open_balance(),
                invoice_id: r.invoice_id,
                number: r.number,
                due_date: r.due_date,
                issue_date: r.issue_date,
            })
            .collect())
    }
    async fn put_import(&self, import: &StatementImport) -> Result<StatementImport, StoreError> {
        let body = to_json(import)?;
        let stored = self.db.write(|tx| {
            tx.execute(
                "INSERT INTO imports (seller_id, import_id, created_at, body) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT DO NOTHING",
                params![import.seller_id, import.import_id, millis(import.created_at), body],
            )
            .map_err(unavailable)?;
            one(
                tx,
                "SELECT body FROM imports WHERE seller_id = ?1 AND import_id = ?2",
                [&import.seller_id, &import.import_id],
            )
        })?;
        match stored {
            Some(b) => from_json("statement import", &b),
            None => Err(unavailable("statement import vanished")),
        }
    }
    async fn update_import(&self, import: &StatementImport) -> Result<(), StoreError> {
        let body = to_json(import)?;
        self.db.write(|tx| {
            tx.execute(
                "INSERT INTO imports (seller_id, import_id, created_at, body) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (seller_id, import_id) DO UPDATE SET body = excluded.body",
                params![import.seller_id, import.import_id, millis(import.created_at), body],
            )
            .map_err(unavailable)?;
            Ok(())
        })
    }
    async fn get_import(
        &self,
        seller_id: &str,
        import_id: &str,
    ) -> Result<Option<StatementImport>, StoreError> {
        self.db
            .read(|c| {
                one(
                    c,
                    "SELECT body FROM imports WHERE seller_id = ?1 AND import_id = ?2",
                    [seller_id, import_id],
                )
            })?
            .map(|b| from_json("statement import", &b))
            .transpose()
    }
    async fn imports(
        &self,
        seller_id: &str,
        limit: usize,
    ) -> Result<Vec<StatementImport>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.db
            .read(|c| all(c, IMPORTS_SQL, params![seller_id, limit]))?
            .iter()
            .map(|b| from_json("statement import", b))
            .collect()
    }
}

impl OutboxStore for SqliteStore {
    async fn pending(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.db
            .read(|c| all(c, OUTBOX_PENDING_SQL, params![millis(before), limit]))?
            .iter()
            .map(|b| from_json("outbox entry", b))
            .collect()
    }
    async fn delete(&self, entry: &OutboxEntry) -> Result<(), StoreError> {
        self.db.write(|tx| {
            tx.execute("DELETE FROM outbox WHERE id = ?1", [&entry.id])
                .map_err(unavailable)?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Durability;

    /// Every range query reads through its index: no `SCAN`, no temporary sort.
    #[test]
    fn every_range_query_reads_an_index_and_never_scans() {
        let dir = tempfile::tempdir().expect("dir");
        let db = Db::open(&dir.path().join("seikyu.sqlite3"), Durability::Process).expect("db");
        let mut queries: Vec<String> = [
            OPEN_BALANCE_SQL,
            OPEN_INVOICES_SQL,
            REMINDERS_DUE_SQL,
            UNAPPLIED_SQL,
            IMPORTS_SQL,
            OUTBOX_PENDING_SQL,
        ]
        .map(str::to_string)
        .to_vec();
        for index in [Index::ByCustomer, Index::ByIssueDate, Index::ByAmount] {
            for (from, to) in [(false, false), (true, false), (false, true), (true, true)] {
                queries.push(search_sql(index, from, to));
            }
        }
        for sql in queries {
            let plan: Vec<String> = db
                .read(|c| {
                    let mut st = c
                        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                        .map_err(unavailable)?;
                    let nulls = std::iter::repeat_n(rusqlite::types::Null, st.parameter_count());
                    let rows = st
                        .query_map(rusqlite::params_from_iter(nulls), |r| r.get::<_, String>(3))
                        .map_err(unavailable)?;
                    rows.collect::<Result<_, _>>().map_err(unavailable)
                })
                .expect("plan");
            assert!(
                plan.iter()
                    .all(|p| p.starts_with("SEARCH") && p.contains("INDEX")),
                "{sql}\n{plan:?}"
            );
        }
    }
}
