//! Receipts (領収書 / 適格簡易請求書): issued, replaced or cancelled to follow a payment's money
//! (`issue`, the receipt-issuer job), mailed once (`mail`), and read back through the API.

pub mod issue;
pub mod mail;

pub use issue::{ReceiptOutcome, handle_batch, handle_message, reconcile};
pub use mail::ReceiptMail;

use crate::app::App;
use crate::delivery::archived::fetch_verified;
use crate::error::AppError;
use crate::ports::{Clock, DocumentArchive, EventBus, MessageQueue, Store};
use crate::record::{ReceiptRecord, SellerAccount};

impl<S, A, Q, B, C> App<S, A, Q, B, C>
where
    S: Store,
    A: DocumentArchive,
    Q: MessageQueue,
    B: EventBus,
    C: Clock,
{
    pub async fn receipt(
        &self,
        seller: &SellerAccount,
        id: &str,
    ) -> Result<ReceiptRecord, AppError> {
        self.store
            .get_receipt(&seller.seller_id, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("receipt {id}")))
    }

    /// The archived receipt document (HTML), verified against the hash recorded at issue.
    pub async fn receipt_document(
        &self,
        seller: &SellerAccount,
        id: &str,
    ) -> Result<Vec<u8>, AppError> {
        let r = self.receipt(seller, id).await?;
        Ok(fetch_verified(&self.archive, &r.document_key, &r.document_sha256).await?)
    }

    /// The receipt's PDF, verified against the hash recorded when it was rendered.
    pub async fn receipt_pdf(&self, seller: &SellerAccount, id: &str) -> Result<Vec<u8>, AppError> {
        let r = self.receipt(seller, id).await?;
        let p = r
            .pdf
            .ok_or_else(|| crate::error::pdf_not_ready(&format!("receipt {id}")))?;
        Ok(fetch_verified(&self.archive, &p.key, &p.sha256).await?)
    }
}
