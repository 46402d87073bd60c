//! In-memory adapters: the embedded demo and the contract tests run on these.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::ports::{ArchiveError, Clock, DocumentArchive, InvoiceStore, StoreError};
use crate::record::InvoiceRecord;

fn poisoned<T>(_: T) -> StoreError {
    StoreError::Unavailable("in-memory store lock poisoned".into())
}

#[derive(Debug, Default)]
pub struct MemoryStore {
    sequences: Mutex<HashMap<String, u64>>,
    invoices: Mutex<BTreeMap<(String, String), InvoiceRecord>>,
}

impl InvoiceStore for MemoryStore {
    async fn next_number(&self, sequence: &str) -> Result<u64, StoreError> {
        let mut seqs = self.sequences.lock().map_err(poisoned)?;
        let n = seqs.entry(sequence.to_string()).or_insert(0);
        *n += 1;
        Ok(*n)
    }

    async fn insert(&self, record: &InvoiceRecord) -> Result<(), StoreError> {
        let mut all = self.invoices.lock().map_err(poisoned)?;
        let key = (record.seller_id.clone(), record.invoice_id.clone());
        if all.contains_key(&key) {
            return Err(StoreError::Conflict(format!(
                "invoice {} exists",
                record.invoice_id
            )));
        }
        all.insert(key, record.clone());
        Ok(())
    }

    async fn get(
        &self,
        seller_id: &str,
        invoice_id: &str,
    ) -> Result<Option<InvoiceRecord>, StoreError> {
        let all = self.invoices.lock().map_err(poisoned)?;
        Ok(all
            .get(&(seller_id.to_string(), invoice_id.to_string()))
            .cloned())
    }

    async fn list(&self, seller_id: &str) -> Result<Vec<InvoiceRecord>, StoreError> {
        let all = self.invoices.lock().map_err(poisoned)?;
        let mut v: Vec<InvoiceRecord> = all
            .iter()
            .filter(|((s, _), _)| s == seller_id)
            .map(|(_, r)| r.clone())
            .collect();
        v.sort_by(|a, b| (a.issued_at, &a.number).cmp(&(b.issued_at, &b.number)));
        Ok(v)
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
