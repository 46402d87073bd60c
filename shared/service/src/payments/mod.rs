//! Payments: provider events and hand-applied payments counted toward invoices (`apply`). The webhook
//! that receives provider events is an HTTP route (`api::webhook`).

pub mod apply;

pub use apply::PaymentOutcome;
