//! What Seikyu keeps: sellers (tenants), customers, invoices, payments, receipts, outbox entries,
//! idempotency records. Stored shapes only: the API's JSON views are in `api::views`, the events' payloads
//! in `delivery::events`.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use seikyu_domain::dunning::{Policy, Stage};
use seikyu_domain::screening::Screening;
use seikyu_domain::{DocumentType, Format, InvoiceInput, Seller};
use serde::{Deserialize, Serialize};

/// A tenant: one of the agency's client businesses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SellerAccount {
    pub seller_id: String,
    /// Prefix of invoice numbers, e.g. `AOZ` -> `AOZ-2026-000001`.
    pub number_prefix: String,
    /// First month of the fiscal year (numbers restart each fiscal year).
    pub fiscal_year_start_month: u32,
    /// The seller as it appears on every invoice (the request's `seller` must match its tax id).
    pub profile: Seller,
    /// Credit limit per buyer when the customer has none of its own; `None`: amounts are not screened.
    pub default_credit_limit: Option<Decimal>,
    /// Reminder schedule and late fee for the seller's invoices (each invoice keeps the policy it was
    /// issued under); `None`: the documented defaults ([`Policy::default`]).
    #[serde(default)]
    pub dunning_policy: Option<Policy>,
    /// How bank deposits are matched (入金消込) and which identifiers invoices carry.
    #[serde(default)]
    pub banking: BankSettings,
    pub created_at: DateTime<Utc>,
}

/// Whether a virtual account or payer code belongs to a buyer or to one invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignPer {
    #[default]
    Buyer,
    Invoice,
}

/// A seller's bank reconciliation settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankSettings {
    /// The accounts statements may be about: the seller's own (Zengin `bank-branch-type-number`, or an
    /// IBAN). Virtual accounts loaded into the pool count too. A statement naming another account is
    /// refused.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// Matching: the transfer-fee tolerance and whether a fee-short invoice counts as paid.
    #[serde(default)]
    pub matching: seikyu_banking::matcher::Settings,
    /// Give each buyer (or invoice) a payer code (振込依頼人番号) to put before its name.
    #[serde(default)]
    pub payer_codes: bool,
    /// Virtual accounts and payer codes per buyer or per invoice.
    #[serde(default)]
    pub assign: AssignPer,
    /// Give Peppol BIS invoices an ISO 11649 RF reference (`RF` + check digits + the number without
    /// separators) as their payment id, read back from camt remittance information.
    #[serde(default)]
    pub rf_references: bool,
}

impl Default for BankSettings {
    fn default() -> Self {
        BankSettings {
            accounts: Vec::new(),
            matching: seikyu_banking::matcher::Settings::default(),
            payer_codes: false,
            assign: AssignPer::Buyer,
            rf_references: false,
        }
    }
}

/// A buyer as the seller manages it (credit limit, payment record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub seller_id: String,
    pub customer_id: String,
    pub credit_limit: Option<Decimal>,
    pub late_payments_12m: u32,
    /// The buyer's names as its bank writes them (kana), registered by the seller.
    #[serde(default)]
    pub kana_names: Vec<String>,
    /// Payer names learned from deposits a person applied to this buyer (normalised).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The buyer's payer code (振込依頼人番号), once given.
    #[serde(default)]
    pub payer_code: Option<String>,
    /// The buyer's virtual account (バーチャル口座), once given.
    #[serde(default)]
    pub virtual_account: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    /// Stored, not sent: screening asked a person to look (`POST /invoices/{id}/approve` sends it).
    PendingReview,
    /// Sent (or being sent) to the buyer; unpaid.
    Issued,
    /// The buyer objects (異議申し立て); dunning stops until resolved.
    Disputed,
    /// Cancelled by a credit note.
    Void,
    /// Some money arrived; `open_balance` is still due (dunning goes on for it).
    PartiallyPaid,
    /// Paid in full (any excess is the buyer's credit, `overpaid`).
    Paid,
    /// The final notice went unanswered: handed to a person at the seller, no more automatic reminders
    /// (a payment still settles it; an installment plan puts it back on a schedule).
    Escalated,
}

impl InvoiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::PendingReview => "pending_review",
            InvoiceStatus::Issued => "issued",
            InvoiceStatus::Disputed => "disputed",
            InvoiceStatus::Void => "void",
            InvoiceStatus::PartiallyPaid => "partially_paid",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Escalated => "escalated",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending_review" => InvoiceStatus::PendingReview,
            "issued" => InvoiceStatus::Issued,
            "disputed" => InvoiceStatus::Disputed,
            "void" => InvoiceStatus::Void,
            "partially_paid" => InvoiceStatus::PartiallyPaid,
            "paid" => InvoiceStatus::Paid,
            "escalated" => InvoiceStatus::Escalated,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailRecord {
    pub message_id: String,
    pub sent_at: DateTime<Utc>,
    pub to: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeRecord {
    pub reason: String,
    pub at: DateTime<Utc>,
    /// The status the dispute interrupted (restored, or settled by payments, when it is resolved).
    #[serde(default = "issued")]
    pub from: InvoiceStatus,
    /// Set when a person resolved it; the invoice is then back on its reminder schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<DisputeResolution>,
}

fn issued() -> InvoiceStatus {
    InvoiceStatus::Issued
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeResolution {
    pub note: String,
    pub at: DateTime<Utc>,
}

/// One step of the reminder schedule as it was carried out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderRecord {
    /// 0: the invoice's own due date; 1..: the installment part.
    pub part: u32,
    pub stage: Stage,
    /// The due date the reminder was about (the invoice's or the part's).
    pub due_date: NaiveDate,
    /// The (Tokyo) day the schedule ran for.
    pub as_of: NaiveDate,
    /// Outstanding amount and late fee accrued, as stated in the reminder.
    pub amount: Decimal,
    pub late_fee: Decimal,
    pub at: DateTime<Utc>,
    /// The provider's message id (`None`: nothing was mailed, see `note`).
    pub message_id: Option<String>,
    pub to: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A reminder-sender holds the send of (part, stage) until `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderClaim {
    pub part: u32,
    pub stage: Stage,
    pub until: DateTime<Utc>,
}

/// An invoice's dunning (督促) state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Dunning {
    /// The seller's policy when the invoice was issued (its reminder terms).
    #[serde(default)]
    pub policy: Policy,
    /// Every reminder sent (and the escalation), oldest first.
    #[serde(default)]
    pub reminders: Vec<ReminderRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sending: Option<ReminderClaim>,
}

/// One part of an installment plan (分割払い).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Installment {
    pub due_date: NaiveDate,
    pub amount: Decimal,
}

/// An installment plan over the balance that was open when it was agreed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallmentPlan {
    pub created_at: DateTime<Utc>,
    /// `paid_total` when the plan was made: money beyond it pays the parts, in order.
    pub paid_before: Decimal,
    pub parts: Vec<Installment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoidRecord {
    pub credit_note_id: String,
    pub at: DateTime<Utc>,
}

/// A document in the write-once archive: its key and the SHA-256 (hex) of its bytes, checked on every
/// read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedDocument {
    pub key: String,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvoiceRecord {
    pub seller_id: String,
    /// Stable id: the number, unique per seller.
    pub invoice_id: String,
    pub number: String,
    pub document_type: DocumentType,
    pub format: Format,
    pub status: InvoiceStatus,
    /// Bumped by every change; updates are conditional on it.
    pub version: u64,
    pub issue_date: NaiveDate,
    pub due_date: Option<NaiveDate>,
    pub currency: String,
    pub buyer_name: String,
    pub customer_id: Option<String>,
    pub line_total: Decimal,
    pub tax_total: Decimal,
    pub payable: Decimal,
    /// Tax per (category, rate): (category code, rate, taxable, tax).
    pub tax_breakdown: Vec<(String, Option<Decimal>, Decimal, Decimal)>,
    /// Archive key of the UBL document and the SHA-256 (hex) of its bytes.
    pub ubl_key: String,
    pub ubl_sha256: String,
    /// The PDF (PDF/A-3b carrying the UBL), archived when invoice-mailer first handles the invoice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdf: Option<ArchivedDocument>,
    pub screening: Option<Screening>,
    pub email: Option<EmailRecord>,
    /// Net money applied from payments (received - refunded).
    #[serde(default)]
    pub paid_total: Decimal,
    /// Paid beyond the amount due: the buyer's credit balance from this invoice.
    #[serde(default)]
    pub overpaid: Decimal,
    /// Transfer fees the payer deducted and the seller absorbed (振込手数料): they count toward settling
    /// the invoice, not toward the money received.
    #[serde(default)]
    pub fees_absorbed: Decimal,
    /// A mailer has claimed the send until then (so two deliveries of one message cannot both send).
    #[serde(default)]
    pub email_sending_until: Option<DateTime<Utc>>,
    pub dispute: Option<DisputeRecord>,
    pub voided: Option<VoidRecord>,
    #[serde(default)]
    pub dunning: Dunning,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installments: Option<InstallmentPlan>,
    /// For a credit note: the invoice it credits.
    pub credits: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The request as accepted, with its number and the seller's stored profile.
    pub input: InvoiceInput,
}

impl InvoiceRecord {
    /// Unpaid and owed: counts toward the buyer's exposure and (later) dunning.
    pub fn is_open(&self) -> bool {
        self.document_type == DocumentType::Invoice
            && matches!(
                self.status,
                InvoiceStatus::Issued
                    | InvoiceStatus::PendingReview
                    | InvoiceStatus::Disputed
                    | InvoiceStatus::PartiallyPaid
                    | InvoiceStatus::Escalated
            )
    }

    /// What is still due.
    pub fn open_balance(&self) -> Decimal {
        (self.payable - self.paid_total - self.fees_absorbed).max(Decimal::ZERO)
    }
}

/// One provider payment as Seikyu tracks it: its ledger and where it was applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecord {
    pub seller_id: String,
    pub ledger: seikyu_payments::PaymentLedger,
    /// The invoice the payment counts toward, once matched.
    pub applied_to: Option<String>,
    /// Why it could not be applied (it is listed as unapplied until a person applies it).
    pub unapplied: Option<seikyu_payments::Unmatched>,
    /// Receipts issued for this payment, oldest first (at most the last is active).
    #[serde(default)]
    pub receipts: Vec<String>,
    /// A bank deposit: where it came from and what was decided (on the deposit and on each part).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank: Option<BankDeposit>,
    pub version: u64,
    pub updated_at: DateTime<Utc>,
}

/// A deposit read from a bank statement. The deposit's own payment record (`bank:{deposit id}`) holds its
/// money and the decision; when applied, each invoice it pays gets a part (`bank:{deposit id}.p{n}`), a
/// payment applied to that invoice exactly as a card payment is (receipt, bus event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankDeposit {
    /// The statement import that first brought the entry.
    pub import_id: String,
    pub account: String,
    pub entry_id: String,
    pub booking_date: NaiveDate,
    /// The entry's amount (a reversal's record holds no money of its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Decimal>,
    pub payer_name: Option<String>,
    pub payer_name_normalized: Option<String>,
    pub reference: Option<String>,
    /// On a part: the deposit it is part of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_of: Option<String>,
    /// On the deposit: what was decided, by the matcher or a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<DepositDecision>,
    /// The statement entry that reversed the deposit (取消, 訂正, RvslInd).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reversed_by: Option<String>,
}

/// Why a deposit went where it went, or why it stayed unapplied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositDecision {
    pub decision: seikyu_banking::matcher::Decision,
    /// Payment keys of the parts, in allocation order (empty while unapplied).
    pub parts: Vec<String>,
    /// Transfer fees deducted by the payer, in total.
    pub fee: Decimal,
    /// Whether the seller absorbed them (the invoices count as paid), per its setting at the time.
    #[serde(default)]
    pub fees_absorbed: bool,
    /// A sentence for a person.
    pub explanation: String,
    pub at: DateTime<Utc>,
}

/// A statement file imported once: its archive copy and what became of its entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementImport {
    pub seller_id: String,
    /// The SHA-256 of the file: importing the same bytes again is the same import.
    pub import_id: String,
    pub archive_key: String,
    pub format: String,
    pub file_name: Option<String>,
    pub size: u64,
    pub entries: u32,
    pub credits: u32,
    pub applied: u32,
    pub unapplied: u32,
    /// Entries already imported from another file (an overlapping period) or an earlier run.
    pub duplicates: u32,
    pub reversed: u32,
    /// Debits that are not reversals (the seller's own payments): read, not matched.
    pub ignored: u32,
    pub fees_absorbed: Decimal,
    pub currency: String,
    pub status: ImportStatus,
    /// Why the file was refused (`record 12: ...`), when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Archived and queued; its entries are being applied.
    Received,
    /// Every entry was applied or kept unapplied.
    Done,
    /// The file failed its own checks (or names another seller's account): nothing from it is applied.
    Refused,
}

impl PaymentRecord {
    /// `stripe:pi_...`: unique per seller.
    pub fn key(&self) -> String {
        format!(
            "{}:{}",
            self.ledger.provider.as_str(),
            self.ledger.payment_id
        )
    }
}

/// A receipt's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptStatus {
    Issued,
    /// Withdrawn: the money was refunded, or more arrived and a new receipt replaces this one.
    Cancelled,
}

/// Tax contained in a receipt's amount, per (category, rate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptTax {
    pub category: String,
    pub rate: Option<Decimal>,
    /// The part of the amount under this rate, tax included.
    pub amount: Decimal,
    pub tax: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptCancellation {
    pub at: DateTime<Utc>,
    /// `refunded` (money went back to the payer) or `superseded` (more money arrived).
    pub reason: String,
    /// For a refund: how much of this receipt's amount was refunded.
    pub refunded: Decimal,
    /// The receipt that replaces this one (for the money still kept).
    pub replaced_by: Option<String>,
}

/// A receipt (領収書 / 適格簡易請求書) for the money one payment brought to an invoice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceiptRecord {
    pub seller_id: String,
    /// Stable id: the number, unique per seller (gapless per seller and fiscal year).
    pub receipt_id: String,
    pub number: String,
    pub status: ReceiptStatus,
    pub version: u64,
    /// `{provider}:{payment id}`.
    pub payment: String,
    pub method: Option<String>,
    pub invoice_id: String,
    pub issue_date: NaiveDate,
    pub currency: String,
    /// Money received (net of refunds) that this receipt acknowledges.
    pub amount: Decimal,
    /// The part that pays the invoice, split by tax rate in `breakdown`; the rest (`credit`) is the
    /// buyer's credit balance and carries no tax.
    pub applied: Decimal,
    pub credit: Decimal,
    pub breakdown: Vec<ReceiptTax>,
    /// 宛名: the buyer.
    pub recipient: String,
    pub recipient_email: Option<String>,
    /// 但し書き: what the money was for.
    pub purpose: String,
    pub issuer_name: String,
    /// 登録番号 (T + 13 digits) when the seller is a qualified invoice issuer.
    pub issuer_registration: Option<String>,
    /// Archive key and SHA-256 (hex) of the rendered document (HTML).
    pub document_key: String,
    pub document_sha256: String,
    /// The receipt as PDF, archived when invoice-mailer first handles it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdf: Option<ArchivedDocument>,
    /// The receipt this one replaces.
    pub replaces: Option<String>,
    pub cancelled: Option<ReceiptCancellation>,
    pub email: Option<EmailRecord>,
    pub email_sending_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An event that must leave Seikyu (a queue message or a bus event); written in the same transaction as
/// the change it announces, delivered right after the commit, and by the outbox sweeper if that failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// Deterministic per change (e.g. `invoice.issued#{seller}#{invoice}`), so one change cannot enqueue
    /// twice.
    pub id: String,
    pub delivery: Delivery,
    pub created_at: DateTime<Utc>,
}

/// Where an outbox entry goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "to", content = "body", rename_all = "snake_case")]
pub enum Delivery {
    /// A message for one of Seikyu's own queues (routed by [`QueueMessage::queue`]).
    Queue(QueueMessage),
    /// An event for the sellers' downstream systems (EventBridge).
    Bus(BusEvent),
}

/// Seikyu's queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueueName {
    /// `invoice.issued` and `receipt.issued`, read by invoice-mailer (which renders every PDF).
    Issued,
    /// `receipt.requested`, read by receipt-issuer.
    Receipts,
    /// `reminder.due`, put by dunning-scheduler, read by reminder-sender.
    Reminders,
}

/// The body of a queue message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueMessage {
    /// `invoice.issued` (an invoice or credit note is ready to be sent to the buyer),
    /// `receipt.requested` (a payment's money changed: its receipt must be issued or cancelled),
    /// `receipt.issued` (a receipt is ready to be rendered and mailed) or `reminder.due`.
    pub event: String,
    #[serde(deserialize_with = "id_string")]
    pub seller_id: String,
    #[serde(deserialize_with = "id_string")]
    pub invoice_id: String,
    /// For `receipt.requested`: the payment (`{provider}:{payment id}`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "payment_key"
    )]
    pub payment: Option<String>,
    /// For `reminder.due`: the (Tokyo) day the schedule ran for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<NaiveDate>,
    /// For `receipt.issued`: the receipt to render and mail.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_id"
    )]
    pub receipt_id: Option<String>,
}

/// A message's ids are checked when it is read, like every id Seikyu takes in (a message is data that
/// crossed a queue).
fn id_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    seikyu_domain::id::Id::deserialize(d).map(String::from)
}

fn optional_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<seikyu_domain::id::Id>::deserialize(d).map(|id| id.map(String::from))
}

/// A payment key, `{provider}:{payment id}`: a bounded external reference.
fn payment_key<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let key = Option::<String>::deserialize(d)?;
    match key {
        Some(k) if !seikyu_domain::id::is_external_ref(&k) => Err(serde::de::Error::custom(
            "a payment is provider:payment id, 1-255 visible ASCII characters",
        )),
        k => Ok(k),
    }
}

pub const EVENT_INVOICE_ISSUED: &str = "invoice.issued";
pub const EVENT_RECEIPT_REQUESTED: &str = "receipt.requested";
/// A receipt was issued: invoice-mailer renders its PDF and mails it (on the `Issued` queue, so that
/// one function renders every PDF).
pub const EVENT_RECEIPT_ISSUED: &str = "receipt.issued";
pub const EVENT_REMINDER_DUE: &str = "reminder.due";

impl QueueMessage {
    pub fn queue(&self) -> QueueName {
        match self.event.as_str() {
            EVENT_RECEIPT_REQUESTED => QueueName::Receipts,
            EVENT_REMINDER_DUE => QueueName::Reminders,
            _ => QueueName::Issued,
        }
    }
}

/// An event on the sellers' bus: `source` is always `seikyu`; `detail` is a JSON object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusEvent {
    /// `invoice.paid`, `invoice.partially_paid` or `invoice.payment_refunded`.
    pub detail_type: String,
    pub detail: String,
}

pub const BUS_SOURCE: &str = "seikyu";

/// A stored HTTP response, replayed for a repeated idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
}

/// Filters of `GET /invoices` (電子帳簿保存法: date range, amount range, counterparty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub min_amount: Option<Decimal>,
    pub max_amount: Option<Decimal>,
    pub customer: Option<String>,
    pub status: Option<InvoiceStatus>,
    pub limit: usize,
    /// Opaque continuation token from a previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub items: Vec<InvoiceRecord>,
    pub next: Option<String>,
    /// Items the store read to fill this page (index reads, never a scan).
    pub items_read: usize,
}
