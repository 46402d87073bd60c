//! Reading an issued document back from the write-once archive: every read checks the bytes against the
//! SHA-256 recorded when the document was issued.

use crate::digest::sha256_hex;
use crate::error::{AppError, JobError};
use crate::ports::{ArchiveError, DocumentArchive};

/// Why an archived document could not be read back.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ArchivedError {
    /// Not (yet) in the archive: S3 is strongly consistent, so this is a lost object or a race with
    /// the write that archives it before the commit.
    #[error("archived document {0} is missing")]
    Missing(String),
    /// The bytes are not the ones issued: never served or mailed.
    #[error("archived document {0} does not match its recorded hash")]
    Tampered(String),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
}

/// The bytes archived under `key`, verified against `sha256` (lower-case hex).
pub async fn fetch_verified<A: DocumentArchive>(
    archive: &A,
    key: &str,
    sha256: &str,
) -> Result<Vec<u8>, ArchivedError> {
    let bytes = archive
        .get(key)
        .await?
        .ok_or_else(|| ArchivedError::Missing(key.to_string()))?;
    if sha256_hex(&bytes) != sha256 {
        return Err(ArchivedError::Tampered(key.to_string()));
    }
    Ok(bytes)
}

/// For a request: every case is our failure (5xx), never the caller's.
impl From<ArchivedError> for AppError {
    fn from(e: ArchivedError) -> Self {
        AppError::Internal(e.to_string())
    }
}

/// For a queue job: a missing object or an unavailable archive may heal (retried); bytes that do not
/// match their hash never will (moved to the dead-letter queue for a person).
impl From<ArchivedError> for JobError {
    fn from(e: ArchivedError) -> Self {
        match e {
            ArchivedError::Tampered(_) | ArchivedError::Archive(ArchiveError::Corrupt(_)) => {
                JobError::Permanent(e.to_string())
            }
            ArchivedError::Missing(_) | ArchivedError::Archive(_) => {
                JobError::Retryable(e.to_string())
            }
        }
    }
}
