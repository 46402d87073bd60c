//! Mailing an issued receipt to the buyer, once: its PDF rendered (or read back), send-claim, the mail
//! service, the message id recorded. Run by invoice-mailer on `receipt.issued`.

use chrono::{DateTime, Utc};
use seikyu_documents::mime::Envelope;
use seikyu_documents::receipt::{RateAmount, ReceiptDoc};

use crate::delivery::archived::fetch_verified;
use crate::delivery::pdf::receipt_pdf;
use crate::delivery::send_once::{self, Decision, Record, SEND_CLAIM_SECONDS};
use crate::error::JobError;
use crate::ports::{Clock, DocumentArchive, InvoiceStore, Mailer, ReceiptStore};
use crate::record::{EmailRecord, InvoiceRecord, ReceiptRecord, ReceiptStatus};

/// What a mail job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptMail {
    Sent {
        message_id: String,
    },
    AlreadySent,
    /// The buyer has no email address; the receipt is available through the API.
    NoRecipient,
    /// Cancelled before it was mailed: not sent.
    Cancelled,
}

/// The documents' view of a receipt and the invoice it acknowledges money for.
pub fn receipt_doc<'a>(r: &'a ReceiptRecord, inv: &'a InvoiceRecord) -> ReceiptDoc<'a> {
    ReceiptDoc {
        number: &r.number,
        issue_date: r.issue_date,
        replaces: r.replaces.as_deref(),
        recipient: &r.recipient,
        currency: &r.currency,
        amount: r.amount,
        applied: r.applied,
        credit: r.credit,
        breakdown: r
            .breakdown
            .iter()
            .map(|b| RateAmount {
                category: &b.category,
                rate: b.rate,
                amount: b.amount,
                tax: b.tax,
            })
            .collect(),
        purpose: &r.purpose,
        method: r.method.as_deref(),
        payment: &r.payment,
        issuer_name: &r.issuer_name,
        issuer_registration: r.issuer_registration.as_deref(),
        invoice_number: &inv.number,
        invoice_payable: inv.payable,
        invoice: &inv.input,
    }
}

/// The receipt mail: a short note, the archived receipt as the HTML part, the PDF attached.
pub fn compose(
    r: &ReceiptRecord,
    html: &[u8],
    pdf: &[u8],
    from: &str,
    to: &str,
    now: DateTime<Utc>,
) -> Vec<u8> {
    let envelope = Envelope {
        from,
        to,
        date: now,
        message_id: format!("{}.{}", r.receipt_id, r.seller_id),
    };
    seikyu_documents::receipt::mail(&note(r), html, pdf, &envelope)
}

fn note(r: &ReceiptRecord) -> seikyu_documents::receipt::ReceiptNote<'_> {
    seikyu_documents::receipt::ReceiptNote {
        number: &r.number,
        recipient: &r.recipient,
        currency: &r.currency,
        amount: r.amount,
        purpose: &r.purpose,
        issuer_name: &r.issuer_name,
    }
}

/// Mail an issued receipt to the buyer once (its PDF, send-claim, then SES, then the message id
/// recorded).
pub async fn mail_receipt<S, A, M, C>(
    store: &S,
    archive: &A,
    mailer: &M,
    clock: &C,
    from: &str,
    seller_id: &str,
    receipt_id: &str,
) -> Result<ReceiptMail, JobError>
where
    S: InvoiceStore + ReceiptStore,
    A: DocumentArchive,
    M: Mailer,
    C: Clock,
{
    let now = clock.now();
    let load = || async {
        store
            .get_receipt(seller_id, receipt_id)
            .await?
            .ok_or_else(|| JobError::Permanent(format!("no receipt {receipt_id}")))
    };
    let what = format!("receipt {receipt_id}");
    // The PDF of an issued receipt exists whether or not it is mailed; a receipt already cancelled
    // when its message is handled gets none. A redelivery finds it recorded and reads nothing here.
    let current = load().await?;
    let pdf = if current.status == ReceiptStatus::Issued && current.pdf.is_none() {
        Some(receipt_pdf(store, archive, current, now).await?.1)
    } else {
        None
    };
    let claimed = send_once::claim(store, &what, load, |r: &ReceiptRecord| {
        if r.email.is_some() {
            return Ok(Decision::Done(ReceiptMail::AlreadySent));
        }
        if r.status == ReceiptStatus::Cancelled {
            return Ok(Decision::Done(ReceiptMail::Cancelled));
        }
        let Some(to) = r.recipient_email.clone() else {
            return Ok(Decision::Done(ReceiptMail::NoRecipient));
        };
        if r.email_sending_until.is_some_and(|t| t > now) {
            return Err(JobError::Retryable(format!(
                "receipt {receipt_id} is being sent by another delivery"
            )));
        }
        let mut claim = r.clone();
        claim.email_sending_until = Some(now + chrono::Duration::seconds(SEND_CLAIM_SECONDS));
        Ok(Decision::Claim(claim, to))
    })
    .await?;
    let (r, to) = match claimed {
        Ok(c) => c,
        Err(outcome) => return Ok(outcome),
    };
    let (r, pdf) = match pdf {
        Some(pdf) => (r, pdf),
        // Recorded before (read back verified): the claim goes on at the version this leaves.
        None => receipt_pdf(store, archive, r, now).await?,
    };
    let html = fetch_verified(archive, &r.document_key, &r.document_sha256).await?;
    let raw = compose(&r, &html, &pdf, from, &to, now);
    let message_id = send_once::send(
        store,
        mailer,
        &r,
        |r| r.email_sending_until = None,
        from,
        &to,
        &raw,
    )
    .await?;
    // Sent: never report failure from here on, or it would be sent again.
    let email = EmailRecord {
        message_id: message_id.clone(),
        sent_at: now,
        to: vec![to],
    };
    let recorded = send_once::record(store, &what, r, load, |r| {
        if r.email.is_some() {
            return Record::Already;
        }
        r.email = Some(email.clone());
        r.updated_at = now;
        Record::Changed(None)
    })
    .await;
    if let Err(e) = recorded {
        tracing::error!(receipt_id, message_id = %message_id, error = %e, "sent, but the send could not be recorded");
    }
    Ok(ReceiptMail::Sent { message_id })
}
