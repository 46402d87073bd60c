//! The use cases' errors, typed where they arise and mapped at the edges: [`AppError`] to an HTTP status
//! and a machine-readable code (`api::errors`), [`JobError`] to a queue message's fate
//! (`delivery::jobs`: retried, or moved to the dead-letter queue at once).

use seikyu_domain::{CalcError, Code, DocumentType, FieldError};
use thiserror::Error;

use crate::ports::{ArchiveError, StoreError};
use crate::record::{InvoiceRecord, InvoiceStatus};
use crate::retry::Exhausted;

/// Why a request conflicts with what is stored (HTTP 409); the error body's `code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictCode {
    /// A record changed underneath a change that cannot simply be retried (look at it again).
    Conflict,
    /// Still contended after the retry budget: send the request again.
    Busy,
    SellerExists,
    /// The invoice's status does not allow the action.
    InvalidState,
    AlreadyApplied,
    NothingToApply,
    PlanExists,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    /// The document's PDF is not rendered yet (invoice-mailer renders it when the document is first
    /// sent on; never for one held for review or voided before).
    PdfNotReady,
}

impl ConflictCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictCode::Conflict => "conflict",
            ConflictCode::Busy => "busy",
            ConflictCode::SellerExists => "seller_exists",
            ConflictCode::InvalidState => "invalid_state",
            ConflictCode::AlreadyApplied => "already_applied",
            ConflictCode::NothingToApply => "nothing_to_apply",
            ConflictCode::PlanExists => "plan_exists",
            ConflictCode::IdempotencyInProgress => "idempotency_in_progress",
            ConflictCode::IdempotencyKeyReused => "idempotency_key_reused",
            ConflictCode::PdfNotReady => "pdf_not_ready",
        }
    }
}

/// Why a well-formed request is refused (HTTP 422); the error body's `code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalCode {
    /// The invoice names another seller than the authenticated one.
    SellerMismatch,
    /// The buyer did not pass credit screening (審査).
    ScreeningRejected,
    /// A sum beyond what Seikyu holds.
    AmountTooLarge,
    /// A bank statement refused whole (details name the record and why); nothing from it is applied.
    StatementRefused,
}

impl RefusalCode {
    pub fn as_str(self) -> &'static str {
        match self {
            RefusalCode::SellerMismatch => "seller_mismatch",
            RefusalCode::ScreeningRejected => "screening_rejected",
            RefusalCode::AmountTooLarge => "amount_too_large",
            RefusalCode::StatementRefused => "statement_refused",
        }
    }
}

/// Errors a caller can act on. The HTTP layer maps them to 400/401/404/409/422; only `Internal` is a 5xx.
#[derive(Debug, Error)]
pub enum AppError {
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    #[error("authentication required")]
    Unauthorized,
    #[error("{0} not found")]
    NotFound(String),
    #[error("{message}")]
    Conflict { code: ConflictCode, message: String },
    #[error("{message}")]
    Unprocessable {
        code: RefusalCode,
        message: String,
        details: serde_json::Value,
    },
    #[error("internal error: {0}")]
    Internal(String),
}

/// 409 `pdf_not_ready`: `what` has no PDF yet.
pub fn pdf_not_ready(what: &str) -> AppError {
    AppError::Conflict {
        code: ConflictCode::PdfNotReady,
        message: format!(
            "{what} has no PDF yet: it is rendered when the document is sent to the buyer (a document held for review or voided before that has none)"
        ),
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::BadRequest(m) => field("cursor", Code::InvalidValue, m),
            StoreError::Conflict(m) => AppError::Conflict {
                code: ConflictCode::Conflict,
                message: m,
            },
            StoreError::Unavailable(m) => AppError::Internal(m),
        }
    }
}

impl From<ArchiveError> for AppError {
    fn from(e: ArchiveError) -> Self {
        AppError::Internal(e.to_string())
    }
}

impl From<CalcError> for AppError {
    fn from(e: CalcError) -> Self {
        field("", Code::OutOfRange, e.to_string())
    }
}

impl From<Exhausted> for AppError {
    fn from(e: Exhausted) -> Self {
        AppError::Conflict {
            code: ConflictCode::Busy,
            message: e.to_string(),
        }
    }
}

/// One field's problem as a 400.
pub fn field(path: &str, code: Code, message: impl Into<String>) -> AppError {
    AppError::Invalid(vec![FieldError {
        path: path.into(),
        code,
        message: message.into(),
    }])
}

/// 409 `invalid_state`: `action` is not allowed on `r` in status `s`; only on `wanted`.
pub fn invalid_state(r: &InvoiceRecord, s: InvoiceStatus, action: &str, wanted: &str) -> AppError {
    AppError::Conflict {
        code: ConflictCode::InvalidState,
        message: format!(
            "cannot {action} {} {}: it is {}; only {wanted}",
            if r.document_type == DocumentType::Invoice {
                "invoice"
            } else {
                "credit note"
            },
            r.invoice_id,
            s.as_str()
        ),
    }
}

/// Why a queue message could not be handled. The consumer loop decides its fate from this:
/// `Retryable` goes back to the queue (redelivered, and after the redrive count to the dead-letter
/// queue); `Permanent` will fail however often it is retried, so it goes to the dead-letter queue at once.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum JobError {
    #[error("permanent: {0}")]
    Permanent(String),
    #[error("retryable: {0}")]
    Retryable(String),
}

impl From<StoreError> for JobError {
    fn from(e: StoreError) -> Self {
        JobError::Retryable(e.to_string())
    }
}

impl From<Exhausted> for JobError {
    fn from(e: Exhausted) -> Self {
        JobError::Retryable(e.to_string())
    }
}
