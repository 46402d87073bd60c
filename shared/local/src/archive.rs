//! The archive on the filesystem, write-once as the S3 bucket with Object Lock is: an object is written
//! whole to a temporary file and renamed into place, its SHA-256, size and type recorded in the
//! database; the same bytes again are a no-op, other bytes are refused, and a read whose bytes no
//! longer hash to the record is an error (a file changed or damaged on disk is never served).
//!
//! A statement stored under `statements/` is announced on the statements queue in the same
//! transaction as its record, as the bucket's notification announces it to the importer in AWS.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{OptionalExtension as _, params};
use seikyu_service::ports::{ArchiveError, DocumentArchive};
use seikyu_service::sha256_hex;

use crate::db::{Db, Durability};
use crate::queue::{LocalQueueName, SqliteQueue};

/// Puts of one key are serialised; keys hash onto this many locks.
const STRIPES: usize = 64;

#[derive(Debug)]
pub struct FsArchive {
    db: Arc<Db>,
    root: PathBuf,
    /// Where a new `statements/` object is announced (the importer's queue).
    statements: Option<SqliteQueue>,
    stripes: Vec<Mutex<()>>,
}

fn unavailable(e: impl std::fmt::Display) -> ArchiveError {
    ArchiveError::Unavailable(e.to_string())
}

/// The S3 event notification the importer reads, for one created object.
fn notification(key: &str, size: usize) -> String {
    let encoded: String = form_urlencoded::byte_serialize(key.as_bytes()).collect();
    serde_json::json!({
        "Records": [{
            "eventSource": "seikyu:local",
            "eventName": "ObjectCreated:Put",
            "s3": { "object": { "key": encoded, "size": size } }
        }]
    })
    .to_string()
}

impl FsArchive {
    /// The archive under `root`; with `statements`, new statements are announced on that queue.
    pub fn new(db: Arc<Db>, root: PathBuf, statements: Option<SqliteQueue>) -> Self {
        FsArchive {
            db,
            root,
            statements,
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
        }
    }

    /// The file of `key`; keys are relative paths of plain segments (no `..`, no absolute path, no empty
    /// or hidden segment), checked on the key itself so two keys never name one file.
    fn path(&self, key: &str) -> Result<PathBuf, ArchiveError> {
        let plain = !key.is_empty()
            && key
                .split('/')
                .all(|seg| !seg.is_empty() && !seg.starts_with('.') && !seg.contains(['\\', '\0']));
        if !plain {
            return Err(unavailable(format!("{key:?} is not an archive key")));
        }
        Ok(self.root.join(key))
    }

    fn recorded(&self, key: &str) -> Result<Option<(String, i64)>, ArchiveError> {
        self.db
            .read(|c| {
                c.query_row(
                    "SELECT sha256, size FROM archive WHERE key = ?1",
                    [key],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(crate::db::unavailable)
            })
            .map_err(unavailable)
    }

    fn stripe(&self, key: &str) -> &Mutex<()> {
        let h = key
            .bytes()
            .fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize));
        &self.stripes[h % STRIPES]
    }

    fn write_file(&self, path: &Path, bytes: &[u8]) -> Result<(), ArchiveError> {
        let dir = path
            .parent()
            .ok_or_else(|| unavailable("an archive key without a folder"))?;
        std::fs::create_dir_all(dir).map_err(unavailable)?;
        let mut suffix = [0u8; 8];
        getrandom::fill(&mut suffix).map_err(unavailable)?;
        let tmp = dir.join(format!(".tmp-{}", u64::from_le_bytes(suffix)));
        let power = self.db.durability() == Durability::Power;
        let written = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            if power {
                f.sync_all()?;
            }
            // Over a file a crashed put left without its record (never acknowledged).
            std::fs::rename(&tmp, path)?;
            if power {
                std::fs::File::open(dir)?.sync_all()?;
            }
            Ok::<_, std::io::Error>(())
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written.map_err(unavailable)
    }
}

impl DocumentArchive for FsArchive {
    async fn put(&self, key: &str, content_type: &str, bytes: &[u8]) -> Result<(), ArchiveError> {
        let path = self.path(key)?;
        let sha = sha256_hex(bytes);
        let _one_put_per_key = self
            .stripe(key)
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match self.recorded(key)? {
            Some((existing, _)) if existing == sha => return Ok(()),
            Some(_) => return Err(ArchiveError::Immutable(key.to_string())),
            None => {}
        }
        self.write_file(&path, bytes)?;
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        let announce = key
            .starts_with("statements/")
            .then_some(self.statements.as_ref())
            .flatten();
        let now = self.db.now_millis();
        self.db
            .write(|tx| {
                tx.execute(
                    "INSERT INTO archive (key, sha256, size, content_type, stored_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![key, sha, size, content_type, now],
                )
                .map_err(crate::db::unavailable)?;
                if announce.is_some() {
                    tx.execute(
                        "INSERT INTO queue (queue, body, sent_at, visible_at) VALUES (?1, ?2, ?3, ?3)",
                        params![
                            LocalQueueName::Statements.as_str(),
                            notification(key, bytes.len()),
                            now
                        ],
                    )
                    .map_err(crate::db::unavailable)?;
                }
                Ok(())
            })
            .map_err(unavailable)?;
        if let Some(q) = announce {
            q.notify(LocalQueueName::Statements);
        }
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, ArchiveError> {
        let path = self.path(key)?;
        let Some((sha, size)) = self.recorded(key)? else {
            return Ok(None);
        };
        let bytes = std::fs::read(&path)
            .map_err(|e| ArchiveError::Corrupt(format!("{key}: recorded but unreadable: {e}")))?;
        if i64::try_from(bytes.len()).ok() != Some(size) || sha256_hex(&bytes) != sha {
            return Err(ArchiveError::Corrupt(format!(
                "{key}: the file no longer has the SHA-256 recorded when it was stored"
            )));
        }
        Ok(Some(bytes))
    }
}
