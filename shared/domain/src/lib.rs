//! Seikyu's pure invoice core: the request model, money and tax, totals and validation, credit screening,
//! the dunning policy and the Japanese holiday calendar.
//!
//! Nothing here reads a clock, touches the network or knows about AWS: functions take data and return
//! data, so the same code runs in the Lambda functions, the `seikyu` command and the tests.

pub mod calc;
pub mod codes;
pub mod dates;
pub mod dunning;
pub mod holidays;
pub mod id;
pub mod json;
pub mod model;
pub mod money;
pub mod parse;
pub mod regno;
pub mod screening;
pub mod validate;
pub mod values;

pub use calc::{CalcError, TaxSubtotal, Totals, compute};
pub use model::*;
pub use validate::{Code, FieldError, ValidationErrors, validate};
