//! What Seikyu keeps: sellers (tenants), customers, invoices, outbox entries, idempotency records.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
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
    pub created_at: DateTime<Utc>,
}

/// A buyer as the seller manages it (credit limit, payment record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub seller_id: String,
    pub customer_id: String,
    pub credit_limit: Option<Decimal>,
    pub late_payments_12m: u32,
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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoidRecord {
    pub credit_note_id: String,
    pub at: DateTime<Utc>,
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
    pub screening: Option<Screening>,
    pub email: Option<EmailRecord>,
    /// Net money applied from payments (received - refunded).
    #[serde(default)]
    pub paid_total: Decimal,
    /// Paid beyond the amount due: the buyer's credit balance from this invoice.
    #[serde(default)]
    pub overpaid: Decimal,
    /// A mailer has claimed the send until then (so two deliveries of one message cannot both send).
    #[serde(default)]
    pub email_sending_until: Option<DateTime<Utc>>,
    pub dispute: Option<DisputeRecord>,
    pub voided: Option<VoidRecord>,
    /// For a credit note: the invoice it credits.
    pub credits: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The request as accepted, with its number and the seller's stored profile.
    pub input: InvoiceInput,
}

impl InvoiceRecord {
    /// The public view of an invoice (the API's response body).
    pub fn to_json(&self) -> serde_json::Value {
        let money = |d: Decimal| d.normalize().to_string();
        serde_json::json!({
            "id": self.invoice_id,
            "number": self.number,
            "document_type": self.input.document_type,
            "format": self.format,
            "status": self.status.as_str(),
            "issue_date": self.issue_date,
            "due_date": self.due_date,
            "currency": self.currency,
            "buyer": { "name": self.buyer_name, "customer_id": self.customer_id },
            "totals": {
                "line_total": money(self.line_total),
                "tax_total": money(self.tax_total),
                "payable": money(self.payable),
                "tax_breakdown": self.tax_breakdown.iter().map(|(c, rate, taxable, tax)| serde_json::json!({
                    "category": c, "rate": rate.map(money), "taxable": money(*taxable), "tax": money(*tax)
                })).collect::<Vec<_>>(),
            },
            "ubl": { "sha256": self.ubl_sha256, "href": format!("/invoices/{}/ubl", self.invoice_id) },
            "screening": self.screening,
            "email": self.email,
            "dispute": self.dispute,
            "voided": self.voided,
            "credits": self.credits,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "version": self.version,
            "paid_total": money(self.paid_total),
            "open_balance": money(self.open_balance()),
            "overpaid": money(self.overpaid),
        })
    }

    /// Unpaid and owed: counts toward the buyer's exposure and (later) dunning.
    pub fn is_open(&self) -> bool {
        self.document_type == DocumentType::Invoice
            && matches!(
                self.status,
                InvoiceStatus::Issued
                    | InvoiceStatus::PendingReview
                    | InvoiceStatus::Disputed
                    | InvoiceStatus::PartiallyPaid
            )
    }

    /// What is still due.
    pub fn open_balance(&self) -> Decimal {
        (self.payable - self.paid_total).max(Decimal::ZERO)
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
    pub version: u64,
    pub updated_at: DateTime<Utc>,
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

/// An event that must reach the queue; written in the same transaction as the change it announces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// Deterministic: `{event}#{seller}#{invoice}`, so a repeated change cannot enqueue twice.
    pub id: String,
    pub message: QueueMessage,
    pub created_at: DateTime<Utc>,
}

/// The body of a queue message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueMessage {
    /// `invoice.issued` (an invoice or credit note is ready to be sent to the buyer).
    pub event: String,
    pub seller_id: String,
    pub invoice_id: String,
}

impl OutboxEntry {
    pub fn issued(seller_id: &str, invoice_id: &str, at: DateTime<Utc>) -> Self {
        OutboxEntry {
            id: format!("invoice.issued#{seller_id}#{invoice_id}"),
            message: QueueMessage {
                event: "invoice.issued".into(),
                seller_id: seller_id.into(),
                invoice_id: invoice_id.into(),
            },
            created_at: at,
        }
    }
}

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
