//! The PDF of an invoice, credit note or receipt: rendered once (by invoice-mailer, the one function
//! that carries the typesetter), archived write-once under a content-addressed key, its SHA-256
//! recorded on the record; read back verified ever after.

use chrono::{DateTime, Utc};

use crate::delivery::archived::fetch_verified;
use crate::delivery::send_once::{self, Record};
use crate::digest::sha256_hex;
use crate::error::JobError;
use crate::ports::{ArchiveError, DocumentArchive, InvoiceStore};
use crate::receipts::mail::receipt_doc;
use crate::record::{ArchivedDocument, InvoiceRecord, ReceiptRecord};

/// Load the typesetter's fonts and templates now (a function's init) instead of on the first render.
pub fn warm_up() {
    seikyu_documents::pdf::warm_up();
}

/// `{stem}-{sha256[..16]}.pdf` next to the document `source_key` (`…/{number}-{sha16}.xml` or `.html`).
fn pdf_key(source_key: &str, sha256: &str) -> String {
    let stem = source_key
        .rsplit_once('-')
        .map_or(source_key, |(stem, _)| stem);
    format!("{stem}-{}.pdf", &sha256[..16])
}

/// Archive `pdf` next to `source_key` (write-once: the same bytes again are a no-op).
async fn archive_pdf<A: DocumentArchive>(
    archive: &A,
    source_key: &str,
    pdf: &[u8],
) -> Result<ArchivedDocument, JobError> {
    let sha256 = sha256_hex(pdf);
    let key = pdf_key(source_key, &sha256);
    archive
        .put(&key, "application/pdf", pdf)
        .await
        .map_err(|e| match e {
            // Other bytes under this content-addressed key: never heals by retrying.
            ArchiveError::Immutable(_) | ArchiveError::Corrupt(_) => {
                JobError::Permanent(e.to_string())
            }
            _ => JobError::Retryable(e.to_string()),
        })?;
    Ok(ArchivedDocument { key, sha256 })
}

/// The invoice's PDF: the archived one (verified), or rendered now from its archived UBL, archived and
/// recorded on the invoice. Returns the record as stored afterwards and the bytes.
pub async fn invoice_pdf<S, A>(
    store: &S,
    archive: &A,
    record: InvoiceRecord,
    now: DateTime<Utc>,
) -> Result<(InvoiceRecord, Vec<u8>), JobError>
where
    S: InvoiceStore,
    A: DocumentArchive,
{
    if let Some(p) = &record.pdf {
        let bytes = fetch_verified(archive, &p.key, &p.sha256).await?;
        return Ok((record, bytes));
    }
    let ubl = fetch_verified(archive, &record.ubl_key, &record.ubl_sha256).await?;
    let pdf = seikyu_documents::pdf::invoice(&ubl)
        .map_err(|e| JobError::Permanent(format!("invoice {}: {e}", record.invoice_id)))?;
    let doc = archive_pdf(archive, &record.ubl_key, &pdf).await?;
    let (seller_id, invoice_id) = (record.seller_id.clone(), record.invoice_id.clone());
    let load = || async {
        store
            .get(&seller_id, &invoice_id)
            .await?
            .ok_or_else(|| JobError::Permanent(format!("no invoice {invoice_id}")))
    };
    let what = format!("invoice {invoice_id}, while recording its PDF,");
    send_once::record(store, &what, record, load, |r| {
        if r.pdf.is_some() {
            return Record::Already;
        }
        r.pdf = Some(doc.clone());
        r.updated_at = now;
        Record::Changed(None)
    })
    .await?;
    // Another delivery may have recorded its render first: the recorded one is the PDF.
    let stored = load().await?;
    match &stored.pdf {
        Some(p) if *p == doc => Ok((stored, pdf)),
        Some(p) => {
            let bytes = fetch_verified(archive, &p.key, &p.sha256).await?;
            Ok((stored, bytes))
        }
        None => Err(JobError::Retryable(format!(
            "invoice {invoice_id}: its PDF is not recorded yet"
        ))),
    }
}

/// The receipt's PDF, as [`invoice_pdf`] (its invoice gives the items, period and seller address).
pub async fn receipt_pdf<S, A>(
    store: &S,
    archive: &A,
    receipt: ReceiptRecord,
    now: DateTime<Utc>,
) -> Result<(ReceiptRecord, Vec<u8>), JobError>
where
    S: InvoiceStore + crate::ports::ReceiptStore,
    A: DocumentArchive,
{
    if let Some(p) = &receipt.pdf {
        let bytes = fetch_verified(archive, &p.key, &p.sha256).await?;
        return Ok((receipt, bytes));
    }
    let (seller_id, receipt_id) = (receipt.seller_id.clone(), receipt.receipt_id.clone());
    let invoice = store
        .get(&seller_id, &receipt.invoice_id)
        .await?
        .ok_or_else(|| {
            JobError::Permanent(format!(
                "receipt {receipt_id}: no invoice {}",
                receipt.invoice_id
            ))
        })?;
    let pdf = seikyu_documents::pdf::receipt(&receipt_doc(&receipt, &invoice))
        .map_err(|e| JobError::Permanent(format!("receipt {receipt_id}: {e}")))?;
    let doc = archive_pdf(archive, &receipt.document_key, &pdf).await?;
    let load = || async {
        store
            .get_receipt(&seller_id, &receipt_id)
            .await?
            .ok_or_else(|| JobError::Permanent(format!("no receipt {receipt_id}")))
    };
    let what = format!("receipt {receipt_id}, while recording its PDF,");
    send_once::record(store, &what, receipt, load, |r| {
        if r.pdf.is_some() {
            return Record::Already;
        }
        r.pdf = Some(doc.clone());
        r.updated_at = now;
        Record::Changed(None)
    })
    .await?;
    let stored = load().await?;
    match &stored.pdf {
        Some(p) if *p == doc => Ok((stored, pdf)),
        Some(p) => {
            let bytes = fetch_verified(archive, &p.key, &p.sha256).await?;
            Ok((stored, bytes))
        }
        None => Err(JobError::Retryable(format!(
            "receipt {receipt_id}: its PDF is not recorded yet"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::pdf_key;

    #[test]
    fn the_pdf_sits_next_to_its_source() {
        let sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assert_eq!(
            pdf_key("s1/2026/AOZ-2026-000004-aaaaaaaaaaaaaaaa.xml", sha),
            "s1/2026/AOZ-2026-000004-0123456789abcdef.pdf"
        );
        assert_eq!(
            pdf_key("s1/receipts/2026/R-1-bbbbbbbbbbbbbbbb.html", sha),
            "s1/receipts/2026/R-1-0123456789abcdef.pdf"
        );
    }
}
