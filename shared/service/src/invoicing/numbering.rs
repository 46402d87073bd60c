//! Gapless numbers: an invoice or credit note takes the next number of its seller's sequence for the
//! fiscal year in the same transaction that stores it, so a number is used only if the commit succeeds.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use seikyu_domain::dates::fiscal_year;
use seikyu_domain::screening::Screening;
use seikyu_domain::{DocumentType, InvoiceInput, Totals};
use seikyu_einvoice::render;

use crate::app::App;
use crate::digest::sha256_hex;
use crate::error::{AppError, ConflictCode};
use crate::ports::{Clock, DocumentArchive, EventBus, MessageQueue, Store, StoreError, Write};
use crate::record::{
    Dunning, InvoiceRecord, InvoiceStatus, OutboxEntry, SellerAccount, StoredResponse, VoidRecord,
};
use crate::retry::{CONTENDED, Retry};

/// A create under a claimed idempotency key: the response is stored in the same transaction as the
/// invoice, so a retry after any crash replays it. `response` renders it (the API's view of the record).
#[derive(Clone, Copy)]
pub struct Idempotent<'a> {
    pub key: &'a str,
    pub response: fn(&InvoiceRecord) -> StoredResponse,
}

/// How [`App::insert_numbered`] stores a new document.
pub(super) struct Numbered<'a> {
    pub status: InvoiceStatus,
    pub screening: Option<Screening>,
    /// The invoice a credit note cancels; marked void, naming the credit note's number, in the same commit.
    pub voids: Option<&'a InvoiceRecord>,
    /// The request's claimed idempotency key, finished in the same commit.
    pub idempotent: Option<Idempotent<'a>>,
}

/// The sequence a document's number comes from, and the number's prefix.
fn sequence(seller: &SellerAccount, input: &InvoiceInput) -> (String, String, i32) {
    let fy = fiscal_year(input.issue_date, seller.fiscal_year_start_month);
    let (kind, prefix) = match input.document_type {
        DocumentType::Invoice => ("INV", seller.number_prefix.clone()),
        DocumentType::CreditNote => ("CN", format!("{}-CN", seller.number_prefix)),
    };
    (format!("{}#{kind}#{fy}", seller.seller_id), prefix, fy)
}

impl<S, A, Q, B, C> App<S, A, Q, B, C>
where
    S: Store,
    A: DocumentArchive,
    Q: MessageQueue,
    B: EventBus,
    C: Clock,
{
    /// Take the next number of the right sequence and commit the document (with the voided invoice and
    /// the idempotent response, if any), retrying when a concurrent request took the number first.
    /// Returns the document and, for a credit note, the invoice as voided.
    pub(super) async fn insert_numbered(
        &self,
        seller: &SellerAccount,
        mut input: InvoiceInput,
        totals: &Totals,
        opts: Numbered<'_>,
    ) -> Result<(InvoiceRecord, Option<InvoiceRecord>), AppError> {
        let (sequence, prefix, fy) = sequence(seller, &input);
        let mut retry = Retry::new(CONTENDED);
        loop {
            let current = self.store.sequence_value(&sequence).await?;
            let number = format!("{prefix}-{fy}-{:06}", current + 1);
            input.number = Some(number.clone());
            if seller.banking.rf_references
                && input.document_type == DocumentType::Invoice
                && input.resolved_format() == seikyu_domain::Format::PeppolBis3
                && input.seller.bank_account.is_some()
                && input
                    .payment_reference
                    .as_deref()
                    .is_none_or(|r| r.starts_with("RF"))
            {
                input.payment_reference = crate::reconciliation::identifiers::rf_for(&number);
            }
            let (ubl_key, ubl_sha256) = self.archive_ubl(seller, fy, &input, totals).await?;
            let now = self.clock.now();
            let record = new_record(seller, &input, totals, &opts, ubl_key, ubl_sha256, now);
            let voided = opts.voids.map(|v| voided(v, &record.invoice_id, now));
            let outbox = OutboxEntry::issued(&record.seller_id, &record.invoice_id, now);
            let response = opts.idempotent.map(|i| (i.key, (i.response)(&record)));
            let mut writes = vec![
                Write::NextNumber {
                    sequence: &sequence,
                    expected: current,
                },
                Write::Insert(&record),
            ];
            if record.status == InvoiceStatus::Issued {
                writes.push(Write::Outbox(&outbox));
            }
            if let (Some(v), Some(old)) = (&voided, opts.voids) {
                writes.push(Write::Update {
                    record: v,
                    expected_version: old.version,
                });
            }
            if let Some((key, response)) = &response {
                writes.push(Write::FinishIdempotency {
                    seller_id: &seller.seller_id,
                    key,
                    response,
                });
            }
            match self.store.commit(&writes).await {
                Ok(()) => return Ok((record, voided)),
                // The voided invoice changed underneath: the caller must look at it again.
                Err(StoreError::Conflict(m)) if opts.voids.is_some() => {
                    return Err(AppError::Conflict {
                        code: ConflictCode::Conflict,
                        message: m,
                    });
                }
                // Someone else took this number; back off and retry with the next.
                Err(StoreError::Conflict(_)) => {
                    retry
                        .again(|| format!("the numbers of seller {}", seller.seller_id))
                        .await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Render the numbered document and archive it under a content-addressed key (a lost race leaves an
    /// unreferenced object, never a clash). Returns the key and the SHA-256 of the bytes.
    async fn archive_ubl(
        &self,
        seller: &SellerAccount,
        fy: i32,
        input: &InvoiceInput,
        totals: &Totals,
    ) -> Result<(String, String), AppError> {
        let xml = render(
            input,
            totals,
            Vec::with_capacity(4096 + 1024 * input.lines.len()),
        )
        .map_err(|e| AppError::Internal(e.to_string()))?;
        let sha = sha256_hex(&xml);
        let number = input.number.as_deref().unwrap_or_default();
        let key = format!("{}/{fy}/{number}-{}.xml", seller.seller_id, &sha[..16]);
        self.archive.put(&key, "application/xml", &xml).await?;
        Ok((key, sha))
    }
}

/// The stored record of a newly numbered document.
fn new_record(
    seller: &SellerAccount,
    input: &InvoiceInput,
    totals: &Totals,
    opts: &Numbered<'_>,
    ubl_key: String,
    ubl_sha256: String,
    now: DateTime<Utc>,
) -> InvoiceRecord {
    let number = input.number.clone().unwrap_or_default();
    InvoiceRecord {
        seller_id: seller.seller_id.clone(),
        invoice_id: number.clone(),
        number,
        document_type: input.document_type,
        format: input.resolved_format(),
        status: opts.status,
        version: 1,
        issue_date: input.issue_date,
        due_date: input.due_date,
        currency: input.currency.clone(),
        buyer_name: input.buyer.name.clone(),
        customer_id: input.buyer.customer_id.clone().map(String::from),
        line_total: totals.line_total,
        tax_total: totals.tax_total,
        payable: totals.payable,
        tax_breakdown: totals
            .breakdown
            .iter()
            .map(|b| (b.category.code().to_string(), b.rate, b.taxable, b.tax))
            .collect(),
        ubl_key,
        ubl_sha256,
        pdf: None,
        screening: opts.screening.clone(),
        email: None,
        paid_total: Decimal::ZERO,
        overpaid: Decimal::ZERO,
        fees_absorbed: Decimal::ZERO,
        email_sending_until: None,
        dispute: None,
        voided: None,
        dunning: Dunning {
            policy: seller.dunning_policy.clone().unwrap_or_default(),
            ..Default::default()
        },
        installments: None,
        credits: opts.voids.map(|v| v.invoice_id.clone()),
        created_at: now,
        updated_at: now,
        input: input.clone(),
    }
}

/// The invoice `v` as its credit note `credit_note_id` leaves it: void.
fn voided(v: &InvoiceRecord, credit_note_id: &str, now: DateTime<Utc>) -> InvoiceRecord {
    let mut v = v.clone();
    v.version += 1;
    v.status = InvoiceStatus::Void;
    v.voided = Some(VoidRecord {
        credit_note_id: credit_note_id.to_string(),
        at: now,
    });
    v.updated_at = now;
    v
}
