//! What Seikyu keeps about an issued invoice.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use seikyu_domain::{DocumentType, Format, InvoiceInput};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvoiceRecord {
    pub seller_id: String,
    /// Stable id: the number, which is unique per seller.
    pub invoice_id: String,
    pub number: String,
    pub document_type: DocumentType,
    pub format: Format,
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
    pub issued_at: DateTime<Utc>,
    /// The request as accepted, with its number.
    pub input: InvoiceInput,
}
