//! Invoices: created, screened (審査) and numbered here (`numbering`), then approved, disputed, resolved
//! or voided (`lifecycle`). Reading them back (one, its archived UBL, a search) is here too.

mod lifecycle;
mod numbering;

use chrono::NaiveDate;
use seikyu_domain::screening::{self, Decision, Exposure, Screening};
use seikyu_domain::{Code, InvoiceInput, Totals, compute, dates::tokyo_date, validate};

use crate::app::App;
use crate::delivery::archived::fetch_verified;
use crate::error::{AppError, RefusalCode, field, pdf_not_ready};
use crate::ports::{Clock, DocumentArchive, EventBus, MessageQueue, Store};
use crate::record::{InvoiceRecord, InvoiceStatus, OutboxEntry, Page, SearchQuery, SellerAccount};

pub use numbering::Idempotent;
use numbering::Numbered;

/// Largest invoice input stored with its record (DynamoDB's item limit is 400 KB; the rest of the record
/// and the index attributes need room too).
pub const MAX_STORED_INPUT_BYTES: usize = 300_000;

impl<S, A, Q, B, C> App<S, A, Q, B, C>
where
    S: Store,
    A: DocumentArchive,
    Q: MessageQueue,
    B: EventBus,
    C: Clock,
{
    /// Screen, number, render, archive and store an invoice; an approved one is queued for sending
    /// through the outbox written in the same transaction.
    pub async fn create_invoice(
        &self,
        seller: &SellerAccount,
        input: InvoiceInput,
    ) -> Result<InvoiceRecord, AppError> {
        self.create_invoice_with(seller, input, None).await
    }

    /// [`Self::create_invoice`] for a request holding a claimed idempotency key.
    pub async fn create_invoice_with(
        &self,
        seller: &SellerAccount,
        mut input: InvoiceInput,
        idempotent: Option<Idempotent<'_>>,
    ) -> Result<InvoiceRecord, AppError> {
        // The seller on the invoice is the tenant's stored profile; a request for another seller is refused.
        if input.seller.tax_id != seller.profile.tax_id {
            return Err(AppError::Unprocessable {
                code: RefusalCode::SellerMismatch,
                message: format!(
                    "the invoice's seller.tax_id {:?} is not the authenticated seller's {:?}",
                    input.seller.tax_id, seller.profile.tax_id
                ),
                details: serde_json::Value::Null,
            });
        }
        input.seller = seller.profile.clone();
        input.number = None;
        validate(&input).map_err(|e| AppError::Invalid(e.errors))?;
        // The stored record carries the input; DynamoDB items hold at most 400 KB.
        let size = serde_json::to_vec(&input).map_or(usize::MAX, |v| v.len());
        if size > MAX_STORED_INPUT_BYTES {
            return Err(field(
                "lines",
                Code::TooLong,
                format!(
                    "the invoice is {size} bytes as stored; at most {MAX_STORED_INPUT_BYTES}: split it into several invoices"
                ),
            ));
        }
        let totals = compute(&input)?;
        let now = self.clock.now();

        let screening = self
            .screen(seller, &input, &totals, tokyo_date(now))
            .await?;
        let status = match screening.decision {
            Decision::Rejected => {
                return Err(AppError::Unprocessable {
                    code: RefusalCode::ScreeningRejected,
                    message: "the buyer did not pass credit screening (審査)".into(),
                    details: serde_json::to_value(&screening).unwrap_or_default(),
                });
            }
            Decision::PendingReview => InvoiceStatus::PendingReview,
            Decision::Approved => InvoiceStatus::Issued,
        };
        // The buyer's (or this invoice's) virtual account and payer code go on the payment instructions.
        let pending = Box::pin(self.assign_identifiers(seller, &mut input)).await?;
        let (record, _) = self
            .insert_numbered(
                seller,
                input,
                &totals,
                Numbered {
                    status,
                    screening: Some(screening),
                    voids: None,
                    idempotent,
                },
            )
            .await?;
        self.finish_identifiers(seller, pending, &record.invoice_id)
            .await?;
        if record.status == InvoiceStatus::Issued {
            self.deliver(&OutboxEntry::issued(
                &record.seller_id,
                &record.invoice_id,
                record.created_at,
            ))
            .await;
        }
        Ok(record)
    }

    /// The buyer's exposure and credit limit, screened against this invoice's amount.
    async fn screen(
        &self,
        seller: &SellerAccount,
        input: &InvoiceInput,
        totals: &Totals,
        today: NaiveDate,
    ) -> Result<Screening, AppError> {
        let (exposure, limit) = match input.buyer.customer_id.as_deref() {
            Some(cid) => {
                let customer = self.store.get_customer(&seller.seller_id, cid).await?;
                let open = self
                    .store
                    .open_balance(&seller.seller_id, cid, &input.currency, today)
                    .await?;
                (
                    Exposure {
                        outstanding: open.outstanding,
                        overdue_invoices: open.overdue_invoices,
                        late_payments_12m: customer.as_ref().map_or(0, |c| c.late_payments_12m),
                    },
                    customer
                        .and_then(|c| c.credit_limit)
                        .or(seller.default_credit_limit),
                )
            }
            None => (Exposure::default(), seller.default_credit_limit),
        };
        Ok(screening::screen(&exposure, totals.payable, limit))
    }

    pub async fn get(&self, seller: &SellerAccount, id: &str) -> Result<InvoiceRecord, AppError> {
        self.store
            .get(&seller.seller_id, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("invoice {id}")))
    }

    /// The archived UBL bytes, verified against the hash recorded at issue.
    pub async fn ubl(&self, seller: &SellerAccount, id: &str) -> Result<Vec<u8>, AppError> {
        let r = self.get(seller, id).await?;
        Ok(fetch_verified(&self.archive, &r.ubl_key, &r.ubl_sha256).await?)
    }

    /// The archived PDF, verified against the hash recorded when it was rendered.
    pub async fn invoice_pdf(&self, seller: &SellerAccount, id: &str) -> Result<Vec<u8>, AppError> {
        let r = self.get(seller, id).await?;
        let p = r
            .pdf
            .ok_or_else(|| pdf_not_ready(&format!("invoice {id}")))?;
        Ok(fetch_verified(&self.archive, &p.key, &p.sha256).await?)
    }

    pub async fn search(&self, seller: &SellerAccount, q: &SearchQuery) -> Result<Page, AppError> {
        Ok(self.store.search(&seller.seller_id, q).await?)
    }
}
