//! Everything a person reads: the invoice and credit-note mail (plain text and HTML), the reminder
//! wording per dunning stage, the escalation note to the seller, the receipt (領収書) page and its mail,
//! and the one MIME writer all of them go out through.
//!
//! Pure: functions take a view of what is shown (`InvoiceDoc`, `ReceiptDoc`, `ReminderDoc`, ...) and
//! return text or bytes. No records, no ports, no clock, no tokio; the service builds the views from its
//! records and sends the bytes.
//!
//! - [`format`]: the one amount formatter, the one tax-rate label, HTML escaping, bank-transfer lines.
//! - [`mime`]: the MIME writer (RFC 2045/2046/2047/5322).
//! - [`invoice`]: the invoice and credit-note mail.
//! - [`receipt`]: the receipt page and its mail.
//! - [`reminder`]: the reminder to the buyer and the escalation note to the seller.
//! - [`pdf`]: the invoice, credit-note and receipt PDFs (PDF/A-3b, the invoice's UBL embedded).

pub mod format;
pub mod invoice;
pub mod mime;
pub mod pdf;
pub mod receipt;
pub mod reminder;
