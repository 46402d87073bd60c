//! Seikyu's use cases over ports. The Lambda functions and the embedded demo call the same code; only
//! the adapters differ (AWS in the cloud, [`memory`] in the demo and tests).

pub mod issue;
pub mod memory;
pub mod ports;
pub mod record;

pub use issue::{IssueError, Issued, Issuer, SellerProfile, fiscal_year, sha256_hex};
