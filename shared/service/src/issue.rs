//! Issuing an invoice: screen the data, take the next number, compute, render UBL, archive, record.

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};
use seikyu_domain::{
    CalcError, DocumentType, InvoiceInput, Totals, ValidationErrors, compute, validate,
};
use seikyu_einvoice::{RenderError, render};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::ports::{ArchiveError, Clock, DocumentArchive, InvoiceStore, StoreError};
use crate::record::InvoiceRecord;

/// What Seikyu knows about a seller beyond the invoice body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SellerProfile {
    pub seller_id: String,
    /// Prefix of the seller's invoice numbers, e.g. `AOZ`.
    pub number_prefix: String,
    /// First month of the seller's fiscal year (4 for the common Japanese April-March year).
    pub fiscal_year_start_month: u32,
}

#[derive(Debug, Error)]
pub enum IssueError {
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error(transparent)]
    Calc(#[from] CalcError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
}

/// The fiscal year `date` falls in, named by the calendar year it starts in.
pub fn fiscal_year(date: NaiveDate, start_month: u32) -> i32 {
    if date.month() >= start_month.clamp(1, 12) {
        date.year()
    } else {
        date.year() - 1
    }
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// An issued invoice: the record kept, the UBL bytes archived, the totals.
#[derive(Debug, Clone)]
pub struct Issued {
    pub record: InvoiceRecord,
    pub xml: Vec<u8>,
    pub totals: Totals,
}

pub struct Issuer<'a, S, A, C> {
    pub store: &'a S,
    pub archive: &'a A,
    pub clock: &'a C,
}

impl<S: InvoiceStore, A: DocumentArchive, C: Clock> Issuer<'_, S, A, C> {
    /// Issue `input` for `seller`. The number comes from the seller's sequence for the fiscal year
    /// (invoices and credit notes count separately); any number in the input is replaced. Validation runs
    /// before a number is taken, so a rejected invoice uses none.
    pub async fn issue(
        &self,
        seller: &SellerProfile,
        mut input: InvoiceInput,
    ) -> Result<Issued, IssueError> {
        input.number = None;
        validate(&input)?;
        let totals = compute(&input)?;
        let fy = fiscal_year(input.issue_date, seller.fiscal_year_start_month);
        let kind = match input.document_type {
            DocumentType::Invoice => "INV",
            DocumentType::CreditNote => "CN",
        };
        let seq = self
            .store
            .next_number(&format!("{}#{kind}#{fy}", seller.seller_id))
            .await?;
        let number = match input.document_type {
            DocumentType::Invoice => format!("{}-{fy}-{seq:06}", seller.number_prefix),
            DocumentType::CreditNote => format!("{}-CN-{fy}-{seq:06}", seller.number_prefix),
        };
        input.number = Some(number.clone());
        let xml = render(
            &input,
            &totals,
            Vec::with_capacity(4096 + 1024 * input.lines.len()),
        )?;
        let sha = sha256_hex(&xml);
        let key = format!("{}/{fy}/{number}.xml", seller.seller_id);
        self.archive.put(&key, "application/xml", &xml).await?;
        let record = InvoiceRecord {
            seller_id: seller.seller_id.clone(),
            invoice_id: number.clone(),
            number,
            document_type: input.document_type,
            format: input.resolved_format(),
            issue_date: input.issue_date,
            due_date: input.due_date,
            currency: input.currency.clone(),
            buyer_name: input.buyer.name.clone(),
            customer_id: input.buyer.customer_id.clone(),
            line_total: totals.line_total,
            tax_total: totals.tax_total,
            payable: totals.payable,
            tax_breakdown: totals
                .breakdown
                .iter()
                .map(|b| (b.category.code().to_string(), b.rate, b.taxable, b.tax))
                .collect(),
            ubl_key: key,
            ubl_sha256: sha,
            issued_at: self.clock.now(),
            input,
        };
        self.store.insert(&record).await?;
        Ok(Issued {
            record,
            xml,
            totals,
        })
    }
}
