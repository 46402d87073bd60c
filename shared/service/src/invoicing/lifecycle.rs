//! What happens to an invoice after it is issued, by a person's decision: approved after review, disputed
//! by the buyer (異議申し立て) and resolved, or voided by a credit note.

use rust_decimal::Decimal;
use seikyu_domain::dates::tokyo_date;
use seikyu_domain::{Code, DocumentType, InvoiceReference, compute, validate};

use crate::app::App;
use crate::error::{AppError, field, invalid_state};
use crate::invoicing::numbering::Numbered;
use crate::ports::{Clock, DocumentArchive, EventBus, MessageQueue, Store, StoreError, Write};
use crate::record::{
    DisputeRecord, DisputeResolution, InvoiceRecord, InvoiceStatus, OutboxEntry, SellerAccount,
};
use crate::retry::{AROUND_A_RETRYING_STEP, CONTENDED, Retry};

impl<S, A, Q, B, C> App<S, A, Q, B, C>
where
    S: Store,
    A: DocumentArchive,
    Q: MessageQueue,
    B: EventBus,
    C: Clock,
{
    /// Apply `change` to the current record and store it, retrying when it changed underneath; with
    /// `outbox`, the invoice is (re)queued for sending in the same commit.
    pub(crate) async fn update_with<F>(
        &self,
        seller: &SellerAccount,
        id: &str,
        change: F,
        outbox: bool,
    ) -> Result<InvoiceRecord, AppError>
    where
        F: Fn(&mut InvoiceRecord) -> Result<(), AppError>,
    {
        let mut retry = Retry::new(CONTENDED);
        loop {
            let mut r = self.get(seller, id).await?;
            let expected = r.version;
            change(&mut r)?;
            r.version += 1;
            r.updated_at = self.clock.now();
            let entry = OutboxEntry::issued(&r.seller_id, &r.invoice_id, r.updated_at);
            let mut writes = vec![Write::Update {
                record: &r,
                expected_version: expected,
            }];
            if outbox {
                writes.push(Write::Outbox(&entry));
            }
            match self.store.commit(&writes).await {
                Ok(()) => {
                    if outbox {
                        self.deliver(&entry).await;
                    }
                    return Ok(r);
                }
                Err(StoreError::Conflict(_)) => retry.again(|| format!("invoice {id}")).await?,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Send a pending_review invoice after a person approved it.
    pub async fn approve(
        &self,
        seller: &SellerAccount,
        id: &str,
    ) -> Result<InvoiceRecord, AppError> {
        self.update_with(
            seller,
            id,
            |r| match r.status {
                InvoiceStatus::PendingReview => {
                    r.status = InvoiceStatus::Issued;
                    Ok(())
                }
                s => Err(invalid_state(r, s, "approve", "pending_review")),
            },
            true,
        )
        .await
    }

    /// Record the buyer's objection (異議申し立て).
    pub async fn dispute(
        &self,
        seller: &SellerAccount,
        id: &str,
        reason: &str,
    ) -> Result<InvoiceRecord, AppError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 2000 {
            return Err(field(
                "reason",
                Code::Required,
                "give the reason (1-2000 characters)",
            ));
        }
        let at = self.clock.now();
        self.update_with(
            seller,
            id,
            |r| {
                if r.document_type != DocumentType::Invoice {
                    return Err(invalid_state(r, r.status, "dispute", "an invoice"));
                }
                match r.status {
                    InvoiceStatus::Issued
                    | InvoiceStatus::PendingReview
                    | InvoiceStatus::PartiallyPaid
                    | InvoiceStatus::Escalated => {
                        r.dispute = Some(DisputeRecord {
                            reason: reason.to_string(),
                            at,
                            from: r.status,
                            resolved: None,
                        });
                        r.status = InvoiceStatus::Disputed;
                        Ok(())
                    }
                    s => Err(invalid_state(
                        r,
                        s,
                        "dispute",
                        "issued, pending_review, partially_paid or escalated",
                    )),
                }
            },
            false,
        )
        .await
    }

    /// A person resolved the buyer's objection: the invoice returns to the status the dispute
    /// interrupted (settled by any payment since) and its reminder schedule resumes where it was.
    pub async fn resolve_dispute(
        &self,
        seller: &SellerAccount,
        id: &str,
        note: &str,
    ) -> Result<InvoiceRecord, AppError> {
        let note = note.trim();
        if note.is_empty() || note.chars().count() > 2000 {
            return Err(field(
                "note",
                Code::Required,
                "say how it was resolved (1-2000 characters)",
            ));
        }
        let at = self.clock.now();
        self.update_with(
            seller,
            id,
            |r| {
                let (InvoiceStatus::Disputed, Some(d)) = (r.status, r.dispute.as_mut()) else {
                    return Err(invalid_state(
                        r,
                        r.status,
                        "resolve a dispute on",
                        "disputed",
                    ));
                };
                d.resolved = Some(DisputeResolution {
                    note: note.to_string(),
                    at,
                });
                r.status = match d.from {
                    InvoiceStatus::PendingReview => InvoiceStatus::PendingReview,
                    InvoiceStatus::Escalated => InvoiceStatus::Escalated,
                    _ => InvoiceStatus::Issued,
                };
                if r.paid_total > Decimal::ZERO && r.status == InvoiceStatus::Issued {
                    r.status = InvoiceStatus::PartiallyPaid;
                }
                Ok(())
            },
            false,
        )
        .await
    }

    /// Cancel an unpaid invoice: issue a credit note for its full amount and mark the invoice void, in one
    /// transaction. The credit note is queued for sending like an invoice.
    pub async fn void(
        &self,
        seller: &SellerAccount,
        id: &str,
    ) -> Result<(InvoiceRecord, InvoiceRecord), AppError> {
        let mut retry = Retry::new(AROUND_A_RETRYING_STEP);
        loop {
            let invoice = self.get(seller, id).await?;
            // Only while unpaid: a paid or partly paid invoice is settled by refunds, not voided.
            if invoice.document_type != DocumentType::Invoice
                || !invoice.is_open()
                || !invoice.paid_total.is_zero()
            {
                return Err(invalid_state(
                    &invoice,
                    invoice.status,
                    "void",
                    "an unpaid invoice",
                ));
            }
            let cn = credit_note_input(&invoice, tokyo_date(self.clock.now()));
            validate(&cn)
                .map_err(|e| AppError::Internal(format!("credit note for {id} is invalid: {e}")))?;
            let totals = compute(&cn)?;
            let numbered = Numbered {
                status: InvoiceStatus::Issued,
                screening: None,
                voids: Some(&invoice),
                idempotent: None,
            };
            match self.insert_numbered(seller, cn, &totals, numbered).await {
                Ok((credit_note, Some(voided))) => {
                    self.deliver(&OutboxEntry::issued(
                        &credit_note.seller_id,
                        &credit_note.invoice_id,
                        credit_note.created_at,
                    ))
                    .await;
                    return Ok((voided, credit_note));
                }
                Ok(_) => {
                    return Err(AppError::Internal(
                        "void committed without the invoice update".into(),
                    ));
                }
                // The invoice changed underneath (paid, disputed, voided): look again.
                Err(AppError::Conflict { .. }) => retry.again(|| format!("invoice {id}")).await?,
                Err(e) => return Err(e),
            }
        }
    }
}

/// The credit note that cancels `invoice`, issued on `today` (never before the invoice).
fn credit_note_input(
    invoice: &InvoiceRecord,
    today: chrono::NaiveDate,
) -> seikyu_domain::InvoiceInput {
    let mut cn = invoice.input.clone();
    cn.document_type = DocumentType::CreditNote;
    cn.number = None;
    cn.issue_date = today.max(invoice.issue_date);
    cn.due_date = None;
    // BR-CO-25 wants terms for any amount due; for a cancellation they say nothing is to be paid.
    cn.payment_terms = Some(format!(
        "請求書 {0} の取消につきお支払いは不要です / Cancels invoice {0}: nothing is to be paid",
        invoice.number
    ));
    cn.prepaid_amount = None;
    cn.preceding_invoice = Some(InvoiceReference {
        number: invoice.number.clone(),
        issue_date: Some(invoice.issue_date),
    });
    cn.note = Some(format!(
        "請求書 {0} の取消 / Cancellation of invoice {0}",
        invoice.number
    ));
    cn
}
