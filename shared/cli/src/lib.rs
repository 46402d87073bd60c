//! Library half of the `seikyu` command, so tests drive the same code as the binary.

pub mod demo;
mod demo_bank;
pub mod summary;
