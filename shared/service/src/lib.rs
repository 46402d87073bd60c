//! Seikyu's use cases over ports. The Lambda functions and the embedded demo call the same code; only
//! the adapters differ (AWS in the cloud, [`memory`] in the demo and tests).
//!
//! One folder per context. A module uses only modules listed above it (no import circles):
//!
//! | layer | modules | what |
//! |---|---|---|
//! | leaves | `record`, `ports`, `digest`, `retry` | stored records; one trait per outside service; SHA-256; the one retry policy |
//! | errors | `error` | `AppError` (HTTP edge), `JobError` (queue edge) and their codes |
//! | app | `app` | `App`: the ports a use case runs on |
//! | delivery | `delivery/{events,outbox,jobs,send_once,archived,invoice_mail}` | outbox and events, the queue-consumer loop, mail sent once, archived documents, the invoice mail |
//! | tenants | `tenants` | sellers, API keys, customers, dunning policy |
//! | invoicing | `invoicing/{mod,numbering,lifecycle}` | create, screen, number; approve, dispute, void |
//! | payments | `payments/apply` | provider payments and payments applied by hand (消込) |
//! | receipts | `receipts/{issue,mail}` | receipts issued, replaced, cancelled and mailed |
//! | dunning | `dunning/{schedule,installments,scheduler,sender}` | reminder days, installment plans, the daily run, the reminder mail |
//! | api | `api/{mod,http,errors,idempotency,query,views,webhook}` | HTTP routes, request and response, idempotent creates, search, JSON views, the providers' webhook |
//! | adapters | `search`, `memory` | how stores serve a search; the in-memory adapters (which index by `dunning::schedule::next_action`) |
//!
//! Everything a person reads (mail text and HTML, reminder wording, receipts, MIME) is in the pure
//! `seikyu-documents` crate; date rules (Tokyo day, fiscal year) in `seikyu_domain::dates`.

pub mod api;
pub mod app;
pub mod delivery;
pub mod digest;
pub mod dunning;
pub mod error;
pub mod invoicing;
pub mod memory;
pub mod payments;
pub mod ports;
pub mod receipts;
pub mod reconciliation;
pub mod record;
pub mod retry;
pub mod search;
pub mod tenants;

pub use app::App;
pub use digest::sha256_hex;
pub use error::{AppError, ConflictCode, JobError, RefusalCode};
pub use tenants::{CustomerUpdate, NewSeller};
