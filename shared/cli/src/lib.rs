//! Library half of the `seikyu` command, so tests drive the same code as the binary.

pub mod demo;
pub mod summary;
