//! The data folder's SQLite database: one writer connection (every write is one `BEGIN IMMEDIATE`
//! transaction, so writes are serialised as DynamoDB's conditional writes are per item), and a few reader
//! connections that read committed data beside it (WAL).

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError, TryLockError};
use std::thread::JoinHandle;
use std::time::Duration;

use std::sync::Arc;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use seikyu_service::ports::{Clock, StoreError, SystemClock};

/// What a commit survives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// A crash of the process loses nothing committed (SQLite WAL with `synchronous=NORMAL`; archived
    /// files written whole, then renamed). A power cut may lose the last commits.
    #[default]
    Process,
    /// Also a power cut: every commit and archived file is flushed to the disk before it is acknowledged
    /// (`synchronous=FULL`, fsync of each file and its folder).
    Power,
}

/// The schema. Records are kept as their JSON (the same serde shapes the other stores keep), with the
/// columns the indexes need beside them.
const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS sellers (seller_id TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS api_keys (key_sha256 TEXT PRIMARY KEY, seller_id TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS customers (
  seller_id TEXT NOT NULL, customer_id TEXT NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY (seller_id, customer_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS idempotency (
  seller_id TEXT NOT NULL, key TEXT NOT NULL, request_sha256 TEXT NOT NULL, response TEXT,
  lease_until INTEGER NOT NULL, expires_at INTEGER NOT NULL,
  PRIMARY KEY (seller_id, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sequences (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS invoices (
  seller_id TEXT NOT NULL, invoice_id TEXT NOT NULL, version INTEGER NOT NULL, customer_id TEXT,
  date_key TEXT NOT NULL, amount_key TEXT NOT NULL, next_action TEXT,
  open_currency TEXT, open_balance TEXT, due_date TEXT, body TEXT NOT NULL,
  PRIMARY KEY (seller_id, invoice_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS invoices_by_date ON invoices (seller_id, date_key);
CREATE INDEX IF NOT EXISTS invoices_by_amount ON invoices (seller_id, amount_key);
CREATE INDEX IF NOT EXISTS invoices_by_customer ON invoices (seller_id, customer_id, date_key);
CREATE INDEX IF NOT EXISTS invoices_open ON invoices (seller_id, customer_id, open_currency, date_key)
  WHERE open_currency IS NOT NULL;
CREATE INDEX IF NOT EXISTS invoices_by_next_action ON invoices (next_action, seller_id, invoice_id)
  WHERE next_action IS NOT NULL;
CREATE TABLE IF NOT EXISTS outbox (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, body TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS outbox_by_age ON outbox (created_at, id);
CREATE TABLE IF NOT EXISTS events (
  seller_id TEXT NOT NULL, provider TEXT NOT NULL, event_id TEXT NOT NULL,
  PRIMARY KEY (seller_id, provider, event_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS payments (
  seller_id TEXT NOT NULL, payment_key TEXT NOT NULL, version INTEGER NOT NULL,
  unapplied INTEGER NOT NULL, updated_at INTEGER NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY (seller_id, payment_key)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS payments_unapplied ON payments (seller_id, updated_at) WHERE unapplied = 1;
CREATE TABLE IF NOT EXISTS receipts (
  seller_id TEXT NOT NULL, receipt_id TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY (seller_id, receipt_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bank_keys (
  seller_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (seller_id, key, value)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS imports (
  seller_id TEXT NOT NULL, import_id TEXT NOT NULL, created_at INTEGER NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY (seller_id, import_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS imports_by_age ON imports (seller_id, created_at, import_id);
CREATE TABLE IF NOT EXISTS queue (
  id INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, body TEXT NOT NULL,
  sent_at INTEGER NOT NULL, visible_at INTEGER NOT NULL, receives INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS queue_ready ON queue (queue, visible_at, id);
CREATE TABLE IF NOT EXISTS dead_letters (
  id INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, body TEXT NOT NULL, reason TEXT NOT NULL,
  at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS archive (
  key TEXT PRIMARY KEY, sha256 TEXT NOT NULL, size INTEGER NOT NULL, content_type TEXT NOT NULL,
  stored_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bus_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, detail_type TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
PRAGMA user_version = 1;
"#;

const READERS: usize = 4;

/// The database of a data folder.
pub struct Db {
    /// Declared first: stopped before the connections close (the last one to close checkpoints).
    _checkpointer: Checkpointer,
    writer: Arc<Mutex<Connection>>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    durability: Durability,
    /// The time the adapters on this database stamp (queue visibility, archive and bus records).
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("durability", &self.durability)
            .finish_non_exhaustive()
    }
}

pub(crate) fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("sqlite: {e}"))
}

fn configure(c: &Connection, durability: Durability) -> rusqlite::Result<()> {
    c.busy_timeout(Duration::from_secs(10))?;
    c.pragma_update(None, "journal_mode", "WAL")?;
    c.pragma_update(
        None,
        "synchronous",
        match durability {
            Durability::Process => "NORMAL",
            Durability::Power => "FULL",
        },
    )?;
    c.pragma_update(None, "foreign_keys", "OFF")?;
    tune_reads(c)
}

/// Pages read through a memory map instead of copied by `pread` (a reader's page cache is emptied each
/// time another connection commits, so it reads often).
fn tune_reads(c: &Connection) -> rusqlite::Result<()> {
    c.pragma_update(None, "mmap_size", 1i64 << 30)?;
    Ok(())
}

/// How often the checkpointer copies the log into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);
/// Log frames (pages, 4 KiB) past which the checkpointer copies the last frames holding the writer, so
/// that the next write starts the log over (SQLite's own automatic checkpoint is at 1,000).
const RESTART_FRAMES: i64 = 4000;
/// The log is cut back to this size when it starts over (it is reused from the start once copied).
const WAL_SIZE_LIMIT: i64 = 64 << 20;

/// A thread with a connection of its own that copies committed log frames into the database. Most of
/// the copy (and its fsync) runs beside the writes (a `PASSIVE` checkpoint never waits for a writer or
/// a reader); under a steady stream of writes it never quite catches up, so when the log has grown it
/// copies the last frames holding the writer, and the next write starts the log over.
struct Checkpointer {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

/// `(log frames, frames copied)` after a passive checkpoint.
fn checkpoint(c: &Connection) -> rusqlite::Result<(i64, i64)> {
    c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok((r.get(1)?, r.get(2)?))
    })
}

impl Checkpointer {
    fn start(
        path: &Path,
        durability: Durability,
        writer: Arc<Mutex<Connection>>,
    ) -> Result<Checkpointer, StoreError> {
        let c = Connection::open(path).map_err(unavailable)?;
        configure(&c, durability).map_err(unavailable)?;
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("seikyu-checkpoint".into())
            .spawn(move || {
                let (lock, wake) = &*flag;
                let mut stopped = lock.lock().unwrap_or_else(PoisonError::into_inner);
                while !*stopped {
                    stopped = wake
                        .wait_timeout(stopped, CHECKPOINT_EVERY)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                    let copied = checkpoint(&c).and_then(|(log, _)| {
                        if log < RESTART_FRAMES {
                            return Ok(());
                        }
                        let _no_writes = writer.lock().unwrap_or_else(PoisonError::into_inner);
                        checkpoint(&c).map(|_| ())
                    });
                    if let Err(e) = copied {
                        tracing::warn!(error = %e, "checkpoint failed; the log keeps the commits and is copied later");
                    }
                }
            })
            .map_err(unavailable)?;
        Ok(Checkpointer {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let (lock, wake) = &*self.stop;
        *lock.lock().unwrap_or_else(PoisonError::into_inner) = true;
        wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Db {
    /// Open (creating it and its schema if needed) the database at `path`, on the system clock.
    pub fn open(path: &Path, durability: Durability) -> Result<Db, StoreError> {
        Db::open_with_clock(path, durability, Arc::new(SystemClock))
    }

    /// [`Db::open`] with the adapters' time read from `clock` (tests move it instead of sleeping).
    pub fn open_with_clock(
        path: &Path,
        durability: Durability,
        clock: Arc<dyn Clock>,
    ) -> Result<Db, StoreError> {
        let writer = Connection::open(path).map_err(unavailable)?;
        configure(&writer, durability).map_err(unavailable)?;
        writer.execute_batch(SCHEMA).map_err(unavailable)?;
        // The writer never copies the log into the database itself (that is an fsync, and every other
        // write would wait behind it): the checkpointer's thread does, beside the writes.
        writer
            .pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(unavailable)?;
        // The writer starts the log over once it is all copied; a log that grew is cut back then.
        writer
            .pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)
            .map_err(unavailable)?;
        let writer = Arc::new(Mutex::new(writer));
        let checkpointer = Checkpointer::start(path, durability, writer.clone())?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let r = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(unavailable)?;
            r.busy_timeout(Duration::from_secs(10))
                .map_err(unavailable)?;
            tune_reads(&r).map_err(unavailable)?;
            readers.push(Mutex::new(r));
        }
        Ok(Db {
            _checkpointer: checkpointer,
            writer,
            readers,
            next_reader: AtomicUsize::new(0),
            durability,
            clock,
        })
    }

    pub fn durability(&self) -> Durability {
        self.durability
    }

    /// Now, in milliseconds since the epoch, by the database's clock.
    pub fn now_millis(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// Run `f` in one write transaction: committed when it returns `Ok`, rolled back otherwise.
    pub fn write<R>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        // A panic inside an earlier write rolled its transaction back when it unwound: the connection
        // is sound, so a poisoned lock is taken over rather than failing every later write.
        let mut c = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(unavailable)?;
        let out = f(&tx)?;
        tx.commit().map_err(unavailable)?;
        Ok(out)
    }

    /// Run `f` on a reader connection (committed data only).
    pub fn read<R>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        // A free reader if there is one, else wait for the next in turn.
        for i in 0..self.readers.len() {
            match self.readers[(start + i) % self.readers.len()].try_lock() {
                Ok(c) => return f(&c),
                Err(TryLockError::Poisoned(p)) => return f(&p.into_inner()),
                Err(TryLockError::WouldBlock) => {}
            }
        }
        let c = self.readers[start % self.readers.len()]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        f(&c)
    }

    /// A setting of the data folder (`None` when unset).
    pub fn setting(&self, name: &str) -> Result<Option<String>, StoreError> {
        use rusqlite::OptionalExtension as _;
        self.read(|c| {
            c.query_row("SELECT value FROM settings WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
            .map_err(unavailable)
        })
    }

    pub fn set_setting(&self, name: &str, value: &str) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO settings (name, value) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                [name, value],
            )
            .map_err(unavailable)?;
            Ok(())
        })
    }
}
