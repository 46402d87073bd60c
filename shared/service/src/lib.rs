//! Seikyu's use cases over ports. The Lambda functions and the embedded demo call the same code; only
//! the adapters differ (AWS in the cloud, [`memory`] in the demo and tests).

pub mod api;
pub mod app;
pub mod dunning;
pub mod mail;
pub mod memory;
pub mod ports;
pub mod receipt;
pub mod record;
pub mod search;
mod send_once;
pub mod webhook;

pub use app::{App, AppError, CustomerUpdate, NewSeller, fiscal_year, sha256_hex, tokyo_date};
