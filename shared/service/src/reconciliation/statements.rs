//! Statement files: received (over the API, or dropped under the archive's `statements/{seller}/`
//! prefix), archived write-once with their SHA-256, and imported entry by entry.
//!
//! The archive is the trigger: in AWS, an object created under `statements/` notifies the importer's
//! queue (S3 event), and the `bank-statement-importer` function calls [`App::import_statement`]; the
//! embedded demo and the tests call it themselves after [`App::receive_statement`]. An import is
//! idempotent: the import id is the file's SHA-256, and each entry is applied at most once, so a redelivered
//! notification, the same file dropped again, or two importers racing change nothing twice.

use rust_decimal::Decimal;
use seikyu_banking::{Direction, MAX_STATEMENT_BYTES, Statement, StatementError};
use serde_json::json;

use super::deposits::{BANK, EntryOutcome};
use crate::app::App;
use crate::delivery::jobs::{BatchReport, DeadLetter, MAX_MESSAGE_BYTES};
use crate::digest::sha256_hex;
use crate::error::{AppError, JobError, RefusalCode};
use crate::ports::{Clock, DocumentArchive, EventBus, MessageQueue, Store};
use crate::record::{ImportStatus, SellerAccount, StatementImport};

/// Where statements are archived (and dropped by bank connectors).
pub const PREFIX: &str = "statements/";

/// The archive key of a statement received over the API.
pub fn archive_key(seller_id: &str, sha256: &str, format: &str) -> String {
    let ext = if format.starts_with("camt") {
        "xml"
    } else {
        "txt"
    };
    format!("{PREFIX}{seller_id}/{sha256}.{ext}")
}

/// The seller a dropped statement belongs to, from its key (`statements/{seller}/{name}`).
pub fn seller_of_key(key: &str) -> Option<&str> {
    let rest = key.strip_prefix(PREFIX)?;
    let (seller, name) = rest.split_once('/')?;
    (seikyu_domain::id::is_id(seller) && !name.is_empty() && !name.contains('/')).then_some(seller)
}

fn refused(e: &StatementError) -> AppError {
    AppError::Unprocessable {
        code: RefusalCode::StatementRefused,
        message: format!("the statement was refused, nothing from it is applied: {e}"),
        details: json!({ "at": e.at, "reason": e.reason }),
    }
}

impl<S, A, Q, B, C> App<S, A, Q, B, C>
where
    S: Store,
    A: DocumentArchive,
    Q: MessageQueue,
    B: EventBus,
    C: Clock,
{
    /// Check a statement and archive it (nothing is applied yet). A file that fails its own checks, or
    /// names an account that is not the seller's, is refused and not archived.
    pub async fn receive_statement(
        &self,
        seller: &SellerAccount,
        bytes: &[u8],
        file_name: Option<&str>,
    ) -> Result<StatementImport, AppError> {
        let today = seikyu_domain::dates::tokyo_date(self.clock.now());
        let statement = seikyu_banking::parse(bytes, today).map_err(|e| refused(&e))?;
        if let Some(e) = Box::pin(self.foreign_account(seller, &statement)).await? {
            return Err(refused(&e));
        }
        let sha = sha256_hex(bytes);
        let key = archive_key(&seller.seller_id, &sha, statement.format.as_str());
        self.archive
            .put(&key, "application/octet-stream", bytes)
            .await?;
        let now = self.clock.now();
        let import = StatementImport {
            seller_id: seller.seller_id.clone(),
            import_id: sha,
            archive_key: key,
            format: statement.format.as_str().to_string(),
            file_name: file_name.map(|n| n.chars().take(200).collect()),
            size: bytes.len() as u64,
            entries: u32::try_from(statement.entries.len()).unwrap_or(u32::MAX),
            credits: 0,
            applied: 0,
            unapplied: 0,
            duplicates: 0,
            reversed: 0,
            ignored: 0,
            fees_absorbed: Decimal::ZERO,
            currency: statement
                .entries
                .first()
                .map(|e| e.currency.clone())
                .unwrap_or_default(),
            status: ImportStatus::Received,
            error: None,
            created_at: now,
            updated_at: now,
        };
        Ok(self.store.put_import(&import).await?)
    }

    /// The first account the statement names that is not the seller's (its own, or in its virtual-account
    /// pool), as the refusal; a store failure is an error of its own (retried, never a refusal).
    async fn foreign_account(
        &self,
        seller: &SellerAccount,
        statement: &Statement,
    ) -> Result<Option<StatementError>, AppError> {
        let mut seen: Vec<&str> = Vec::new();
        for e in &statement.entries {
            if seen.contains(&e.account.as_str()) {
                continue;
            }
            let owned = self.owns_account(seller, &e.account).await?;
            if !owned {
                return Ok(Some(StatementError {
                    at: format!("entry {} ({})", e.position, e.entry_id),
                    reason: format!(
                        "account {} is not one of seller {}'s accounts or virtual accounts",
                        e.account, seller.seller_id
                    ),
                }));
            }
            seen.push(&e.account);
        }
        Ok(None)
    }

    /// Import an archived statement: every entry applied exactly once, the import's counts from what the
    /// entries' deposits now hold. A refused file is recorded as refused (a permanent failure: nothing
    /// from it is applied); a store failure is retryable, and the retry carries on where this one ended.
    pub async fn import_statement(&self, key: &str) -> Result<StatementImport, JobError> {
        let seller_id = seller_of_key(key).ok_or_else(|| {
            JobError::Permanent(format!("{key} is not statements/{{seller}}/{{file}}"))
        })?;
        let seller = self
            .store
            .get_seller(seller_id)
            .await?
            .ok_or_else(|| JobError::Permanent(format!("no seller {seller_id}")))?;
        let bytes = self
            .archive
            .get(key)
            .await
            .map_err(|e| JobError::Retryable(e.to_string()))?
            .ok_or_else(|| JobError::Permanent(format!("no archived statement {key}")))?;
        if bytes.len() as u64 > MAX_STATEMENT_BYTES {
            return Err(JobError::Permanent(format!(
                "{key}: {} bytes is more than a statement",
                bytes.len()
            )));
        }
        let sha = sha256_hex(&bytes);
        let now = self.clock.now();
        let parsed = seikyu_banking::parse(&bytes, seikyu_domain::dates::tokyo_date(now));
        let mut import = self
            .store
            .put_import(&StatementImport {
                seller_id: seller.seller_id.clone(),
                import_id: sha.clone(),
                archive_key: key.to_string(),
                format: parsed
                    .as_ref()
                    .map(|s| s.format.as_str())
                    .unwrap_or("unknown")
                    .to_string(),
                file_name: key.rsplit('/').next().map(str::to_string),
                size: bytes.len() as u64,
                entries: parsed
                    .as_ref()
                    .map_or(0, |s| u32::try_from(s.entries.len()).unwrap_or(u32::MAX)),
                credits: 0,
                applied: 0,
                unapplied: 0,
                duplicates: 0,
                reversed: 0,
                ignored: 0,
                fees_absorbed: Decimal::ZERO,
                currency: String::new(),
                status: ImportStatus::Received,
                error: None,
                created_at: now,
                updated_at: now,
            })
            .await?;
        let statement = match parsed {
            Ok(s) => match Box::pin(self.foreign_account(&seller, &s))
                .await
                .map_err(|e| JobError::Retryable(e.to_string()))?
            {
                None => s,
                Some(e) => return self.refuse_import(import, &e).await,
            },
            Err(e) => return self.refuse_import(import, &e).await,
        };
        let mut counts = Counts::default();
        for entry in &statement.entries {
            // Boxed: an entry's future is deep (lookups, the matcher, a transaction).
            let outcome = Box::pin(self.apply_entry(&seller, &sha, entry))
                .await
                .map_err(|e| JobError::Retryable(format!("{key} entry {}: {e}", entry.entry_id)))?;
            if entry.direction == Direction::Credit && !entry.reversal {
                counts.credits += 1;
            }
            match outcome {
                EntryOutcome::Applied { fee, .. } => {
                    counts.applied += 1;
                    counts.fees += fee;
                }
                EntryOutcome::Unapplied { .. } => counts.unapplied += 1,
                EntryOutcome::Reversed { .. } => counts.reversed += 1,
                EntryOutcome::Ignored => counts.ignored += 1,
                EntryOutcome::Duplicate { deposit } => {
                    Box::pin(self.count_earlier(
                        &seller.seller_id,
                        &sha,
                        &deposit,
                        entry.reversal,
                        &mut counts,
                    ))
                    .await?;
                }
            }
        }
        import.currency = statement
            .entries
            .first()
            .map(|e| e.currency.clone())
            .unwrap_or_default();
        import.credits = counts.credits;
        import.applied = counts.applied;
        import.unapplied = counts.unapplied;
        import.duplicates = counts.duplicates;
        import.reversed = counts.reversed;
        import.ignored = counts.ignored;
        import.fees_absorbed = if seller.banking.matching.fee_settles {
            counts.fees
        } else {
            Decimal::ZERO
        };
        import.status = ImportStatus::Done;
        import.updated_at = self.clock.now();
        self.store.update_import(&import).await?;
        Ok(import)
    }

    /// An entry applied before: counted as this import's when this import brought it (a re-run after a
    /// crash), else as a duplicate of another file's.
    async fn count_earlier(
        &self,
        seller_id: &str,
        import_id: &str,
        deposit: &str,
        reversal: bool,
        counts: &mut Counts,
    ) -> Result<(), JobError> {
        let id = deposit.trim_start_matches("bank:");
        let record = self.store.get_payment(seller_id, BANK, id).await?;
        let Some(bank) = record.as_ref().and_then(|p| p.bank.as_ref()) else {
            // A reversal that took its deposit back leaves no record of its own.
            if reversal {
                counts.reversed += 1;
            } else {
                counts.duplicates += 1;
            }
            return Ok(());
        };
        if bank.import_id != import_id {
            counts.duplicates += 1;
            return Ok(());
        }
        let decision = bank.decision.as_ref();
        match decision.map(|d| &d.decision) {
            Some(seikyu_banking::matcher::Decision::Apply { .. }) => {
                counts.applied += 1;
                counts.fees += decision.map_or(Decimal::ZERO, |d| d.fee);
            }
            _ => counts.unapplied += 1,
        }
        Ok(())
    }

    async fn refuse_import(
        &self,
        mut import: StatementImport,
        e: &StatementError,
    ) -> Result<StatementImport, JobError> {
        import.status = ImportStatus::Refused;
        import.error = Some(e.to_string());
        import.updated_at = self.clock.now();
        self.store.update_import(&import).await?;
        Err(JobError::Permanent(format!(
            "statement refused, nothing applied: {e}"
        )))
    }

    /// The seller's imports, newest first.
    pub async fn statement_imports(
        &self,
        seller: &SellerAccount,
        limit: usize,
    ) -> Result<Vec<StatementImport>, AppError> {
        Ok(self.store.imports(&seller.seller_id, limit).await?)
    }

    pub async fn statement_import(
        &self,
        seller: &SellerAccount,
        import_id: &str,
    ) -> Result<StatementImport, AppError> {
        if !seikyu_domain::id::is_id(import_id) {
            return Err(AppError::NotFound(format!("bank statement {import_id}")));
        }
        self.store
            .get_import(&seller.seller_id, import_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("bank statement {import_id}")))
    }
}

/// The object keys an S3 event notification names (`ObjectCreated:*` records only; S3's test event and
/// other events name none), URL-decoded as S3 encodes them.
pub fn created_keys(body: &str) -> Result<Vec<String>, String> {
    let v: serde_json::Value = seikyu_domain::json::from_slice(body.as_bytes(), MAX_MESSAGE_BYTES)
        .map_err(|e| format!("not an S3 event notification: {}", e.message))?;
    if v.get("Event").and_then(serde_json::Value::as_str) == Some("s3:TestEvent") {
        return Ok(Vec::new());
    }
    let records = v
        .get("Records")
        .and_then(serde_json::Value::as_array)
        .ok_or("not an S3 event notification: no Records")?;
    let mut keys = Vec::new();
    for r in records {
        let created = r
            .get("eventName")
            .and_then(serde_json::Value::as_str)
            .is_some_and(|n| n.starts_with("ObjectCreated"));
        let key = r
            .pointer("/s3/object/key")
            .and_then(serde_json::Value::as_str)
            .ok_or("an S3 record without s3.object.key")?;
        // A file larger than any statement is refused from the notification, never fetched.
        let size = r
            .pointer("/s3/object/size")
            .and_then(serde_json::Value::as_u64);
        if created && size.is_some_and(|n| n > MAX_STATEMENT_BYTES) {
            return Err(format!(
                "{key}: {} bytes; a statement is at most {} MB",
                size.unwrap_or_default(),
                MAX_STATEMENT_BYTES / 1024 / 1024
            ));
        }
        if created {
            keys.push(
                url_decode(key).ok_or_else(|| format!("key {key:?} is not URL-encoded UTF-8"))?,
            );
        }
    }
    Ok(keys)
}

/// S3's key encoding in notifications: `+` for a space, `%XX` for other bytes.
fn url_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

impl<S, A, Q, B, C> App<S, A, Q, B, C>
where
    S: Store,
    A: DocumentArchive,
    Q: MessageQueue,
    B: EventBus,
    C: Clock,
{
    /// The importer's queue: each message an S3 notification of statements archived. A statement that
    /// fails its checks, or a notification that names no statement, can never succeed: a dead letter
    /// (the import records why; the alarm calls a person). A store failure is retried.
    pub async fn handle_statement_notifications(
        &self,
        messages: &[(String, String)],
    ) -> BatchReport {
        let mut report = BatchReport::default();
        for (id, body) in messages {
            let keys = match created_keys(body) {
                Ok(k) => k,
                Err(reason) => {
                    tracing::error!(message_id = %id, %reason, "not a statement notification: to the dead-letter queue");
                    report.dead.push(DeadLetter {
                        message_id: id.clone(),
                        body: body.clone(),
                        reason,
                    });
                    continue;
                }
            };
            for key in keys {
                match Box::pin(self.import_statement(&key)).await {
                    Ok(i) => {
                        tracing::info!(message_id = %id, %key, import_id = %i.import_id, applied = i.applied, unapplied = i.unapplied, duplicates = i.duplicates, reversed = i.reversed, "statement imported")
                    }
                    Err(JobError::Retryable(e)) => {
                        tracing::warn!(message_id = %id, %key, error = %e, "import failed; it will be redelivered and carry on");
                        report.failed.push(id.clone());
                        break;
                    }
                    Err(JobError::Permanent(e)) => {
                        tracing::error!(message_id = %id, %key, error = %e, "statement cannot be imported: to the dead-letter queue");
                        report.dead.push(DeadLetter {
                            message_id: id.clone(),
                            body: body.clone(),
                            reason: e,
                        });
                        break;
                    }
                }
            }
        }
        report
    }
}

#[derive(Default)]
struct Counts {
    credits: u32,
    applied: u32,
    unapplied: u32,
    duplicates: u32,
    reversed: u32,
    ignored: u32,
    fees: Decimal,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_notifications_name_created_keys() {
        let body = r#"{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"statements/s1/2026+11+30%E6%98%8E%E7%B4%B0.txt"}}},{"eventName":"ObjectRemoved:Delete","s3":{"object":{"key":"statements/s1/x"}}}]}"#;
        assert_eq!(
            created_keys(body),
            Ok(vec!["statements/s1/2026 11 30明細.txt".to_string()])
        );
        assert_eq!(
            created_keys(r#"{"Event":"s3:TestEvent","Service":"Amazon S3"}"#),
            Ok(vec![])
        );
        assert!(created_keys("{}").is_err());
        let huge = r#"{"Records":[{"eventName":"ObjectCreated:Put","s3":{"object":{"key":"statements/s1/big.txt","size":209715200}}}]}"#;
        assert!(created_keys(huge).is_err_and(|e| e.contains("at most 64 MB")));
        assert!(created_keys("not json").is_err());
        assert!(
            created_keys(
                r#"{"Records":[{"eventName":"ObjectCreated:Put","s3":{"object":{"key":"%zz"}}}]}"#
            )
            .is_err()
        );
        assert_eq!(seller_of_key("statements/s1/x.txt"), Some("s1"));
        assert_eq!(seller_of_key("statements/s1/a/b"), None);
        assert_eq!(seller_of_key("other/s1/x"), None);
    }
}
