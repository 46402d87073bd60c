//! Getting things out: outbox entries and the events they carry, the queue-consumer loop and the fate
//! of failed messages, mail sent once per stored fact, archived documents read back verified, PDFs
//! rendered once, and the mail job (invoices, credit notes, receipts).

pub mod archived;
pub mod events;
pub mod invoice_mail;
pub mod jobs;
pub mod outbox;
pub mod pdf;
pub mod send_once;
