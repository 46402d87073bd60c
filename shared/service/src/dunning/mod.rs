//! Dunning (督促): which reminder an invoice needs on a day (`schedule`), installment plans
//! (`installments`), the daily run that queues reminders (`scheduler`) and the job that sends them
//! (`sender`).

pub mod installments;
pub mod schedule;
pub mod scheduler;
pub mod sender;

pub use installments::InstallmentRequest;
pub use schedule::next_action;
pub use scheduler::{RunDayError, ScheduleReport, run_day};
pub use sender::RemindOutcome;
