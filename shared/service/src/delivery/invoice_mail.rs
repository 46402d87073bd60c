//! invoice-mailer's job: render an issued invoice or credit note as PDF (archived, its hash recorded),
//! mail it to the buyer once (text and HTML, the PDF and the UBL attached) and record the provider's
//! message id on the invoice; and the same for issued receipts (`receipt.issued`), so that one function
//! carries the typesetter.

use chrono::{DateTime, Utc};
use seikyu_documents::invoice::{InvoiceDoc, mail};
use seikyu_documents::mime::Envelope;
use seikyu_domain::{DocumentType, Totals, compute};

use crate::delivery::archived::fetch_verified;
use crate::delivery::jobs::{BatchReport, each_message};
use crate::delivery::pdf::invoice_pdf;
use crate::delivery::send_once::{self, Decision, Record, SEND_CLAIM_SECONDS};
use crate::error::JobError;
use crate::ports::{Clock, DocumentArchive, InvoiceStore, Mailer, ReceiptStore};
use crate::receipts::ReceiptMail;
use crate::receipts::mail::mail_receipt;
use crate::record::{
    EVENT_INVOICE_ISSUED, EVENT_RECEIPT_ISSUED, EmailRecord, InvoiceRecord, InvoiceStatus,
    QueueMessage,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailOutcome {
    Sent {
        message_id: String,
    },
    /// Recorded as sent before: nothing done.
    AlreadySent,
    /// The buyer has no email address; the invoice stays issued for other channels (Peppol, post).
    NoRecipient,
    /// Not in a state to be sent (void, disputed, pending review): skipped.
    Skipped(InvoiceStatus),
}

/// The mail's view of a stored invoice.
pub fn invoice_doc<'a>(r: &'a InvoiceRecord, totals: &'a Totals) -> InvoiceDoc<'a> {
    InvoiceDoc {
        number: &r.number,
        issue_date: r.issue_date,
        due_date: r.due_date,
        credits: r.credits.as_deref(),
        format: r.format,
        input: &r.input,
        totals,
    }
}

/// The complete MIME message for `r` with its PDF and its archived UBL.
pub fn compose(
    r: &InvoiceRecord,
    totals: &Totals,
    pdf: &[u8],
    ubl: &[u8],
    from: &str,
    to: &str,
    now: DateTime<Utc>,
) -> Vec<u8> {
    let envelope = Envelope {
        from,
        to,
        date: now,
        message_id: format!("{}.{}", r.invoice_id, r.seller_id),
    };
    mail(&invoice_doc(r, totals), pdf, ubl, &envelope)
}

/// Whether `record` is mailed to the buyer. A paid invoice is still delivered: the buyer needs the
/// qualified invoice for its books.
fn sendable(record: &InvoiceRecord) -> bool {
    matches!(
        record.status,
        InvoiceStatus::Issued | InvoiceStatus::PartiallyPaid | InvoiceStatus::Paid
    ) || record.document_type == DocumentType::CreditNote
}

/// Whether `record` gets a PDF: every document that went out to the buyer, whatever happened to it
/// since (disputed, escalated), but not one still held for review or voided before it was sent.
fn renderable(record: &InvoiceRecord) -> bool {
    sendable(record)
        || matches!(
            record.status,
            InvoiceStatus::Disputed | InvoiceStatus::Escalated
        )
}

/// Whether `record` is to be mailed now, and if so the record with the send claimed and the address.
fn decide(
    record: &InvoiceRecord,
    now: DateTime<Utc>,
) -> Result<Decision<InvoiceRecord, String, MailOutcome>, JobError> {
    if record.email.is_some() {
        return Ok(Decision::Done(MailOutcome::AlreadySent));
    }
    if !sendable(record) {
        return Ok(Decision::Done(MailOutcome::Skipped(record.status)));
    }
    let Some(to) = record
        .input
        .buyer
        .contact
        .as_ref()
        .and_then(|c| c.email.clone())
    else {
        return Ok(Decision::Done(MailOutcome::NoRecipient));
    };
    if record.email_sending_until.is_some_and(|t| t > now) {
        return Err(JobError::Retryable(format!(
            "invoice {} is being sent by another delivery",
            record.invoice_id
        )));
    }
    let mut claim = record.clone();
    claim.email_sending_until = Some(now + chrono::Duration::seconds(SEND_CLAIM_SECONDS));
    Ok(Decision::Claim(claim, to))
}

/// Handle one `invoice.issued` message.
pub async fn mail_document<S, A, M, C>(
    store: &S,
    archive: &A,
    mailer: &M,
    clock: &C,
    from: &str,
    msg: &QueueMessage,
) -> Result<MailOutcome, JobError>
where
    S: InvoiceStore,
    A: DocumentArchive,
    M: Mailer,
    C: Clock,
{
    if msg.event != EVENT_INVOICE_ISSUED {
        return Err(JobError::Permanent(format!(
            "unknown event {:?}",
            msg.event
        )));
    }
    let now = clock.now();
    let load = || async {
        store
            .get(&msg.seller_id, &msg.invoice_id)
            .await?
            .ok_or_else(|| {
                JobError::Permanent(format!(
                    "no invoice {} for seller {}",
                    msg.invoice_id, msg.seller_id
                ))
            })
    };
    let what = format!("invoice {}", msg.invoice_id);
    // The PDF first: it exists for every document the buyer gets, mailed or not (no address, or sent
    // before PDFs were made), and a crash after this point renders nothing twice. A redelivery finds it
    // recorded and reads nothing more here.
    let current = load().await?;
    let pdf = if renderable(&current) && current.pdf.is_none() {
        Some(invoice_pdf(store, archive, current, now).await?.1)
    } else {
        None
    };
    let claimed = send_once::claim(store, &what, load, |record: &InvoiceRecord| {
        decide(record, now)
    })
    .await?;
    let (record, to) = match claimed {
        Ok(c) => c,
        Err(outcome) => return Ok(outcome),
    };
    let (record, pdf) = match pdf {
        Some(pdf) => (record, pdf),
        // Recorded before (read back verified), or sendable only since the first read (an approval):
        // the claim goes on at the version this leaves.
        None => invoice_pdf(store, archive, record, now).await?,
    };
    let xml = fetch_verified(archive, &record.ubl_key, &record.ubl_sha256).await?;
    let totals = compute(&record.input).map_err(|e| JobError::Permanent(e.to_string()))?;
    let raw = compose(&record, &totals, &pdf, &xml, from, &to, now);
    let message_id = send_once::send(
        store,
        mailer,
        &record,
        |r| r.email_sending_until = None,
        from,
        &to,
        &raw,
    )
    .await?;
    // Sent: from here on the message is never reported as failed, or it would be sent again.
    let email = EmailRecord {
        message_id: message_id.clone(),
        sent_at: now,
        to: vec![to],
    };
    let recorded = send_once::record(store, &what, record, load, |r| {
        if r.email.is_some() {
            return Record::Already;
        }
        r.email = Some(email.clone());
        r.updated_at = email.sent_at;
        Record::Changed(None)
    })
    .await;
    if let Err(e) = recorded {
        tracing::error!(invoice_id = %msg.invoice_id, message_id = %message_id, error = %e, "sent, but the send could not be recorded");
    }
    Ok(MailOutcome::Sent { message_id })
}

/// What invoice-mailer did with one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailerOutcome {
    Invoice(MailOutcome),
    Receipt(ReceiptMail),
}

/// Handle one message of the `Issued` queue: `invoice.issued` or `receipt.issued`.
pub async fn handle_message<S, A, M, C>(
    store: &S,
    archive: &A,
    mailer: &M,
    clock: &C,
    from: &str,
    msg: &QueueMessage,
) -> Result<MailerOutcome, JobError>
where
    S: InvoiceStore + ReceiptStore,
    A: DocumentArchive,
    M: Mailer,
    C: Clock,
{
    if msg.event == EVENT_RECEIPT_ISSUED {
        let id = msg
            .receipt_id
            .as_deref()
            .ok_or_else(|| JobError::Permanent("receipt.issued without a receipt_id".into()))?;
        let mail = mail_receipt(store, archive, mailer, clock, from, &msg.seller_id, id).await?;
        return Ok(MailerOutcome::Receipt(mail));
    }
    Ok(MailerOutcome::Invoice(
        mail_document(store, archive, mailer, clock, from, msg).await?,
    ))
}

/// Handle a batch of `invoice.issued` and `receipt.issued` messages `(message id, body)`; the edge
/// passes the report to [`crate::delivery::jobs::settle`].
pub async fn handle_batch<S, A, M, C>(
    store: &S,
    archive: &A,
    mailer: &M,
    clock: &C,
    from: &str,
    messages: &[(String, String)],
) -> BatchReport
where
    S: InvoiceStore + ReceiptStore,
    A: DocumentArchive,
    M: Mailer,
    C: Clock,
{
    each_message(messages, |msg| async move {
        handle_message(store, archive, mailer, clock, from, &msg).await
    })
    .await
}
