//! `POST /invoices` with its `Idempotency-Key`: the first request with a key runs and its answer is
//! kept (48 h); a retry with the same key and body gets the same answer; the same key with another
//! body, or while the first still runs, is a 409.

use chrono::Duration;
use seikyu_domain::Code;
use seikyu_domain::id::is_external_ref;
use seikyu_domain::parse::invoice_from_json;

use crate::api::errors::{bad, from_app_error};
use crate::api::http::{HttpRequest, HttpResponse};
use crate::api::views;
use crate::app::App;
use crate::digest::sha256_hex;
use crate::error::{AppError, ConflictCode};
use crate::invoicing::Idempotent;
use crate::ports::{Claim, Clock, DocumentArchive, EventBus, MessageQueue, Store};
use crate::record::{SellerAccount, StoredResponse};

/// Idempotency records live this long (at least the 24 h clients may retry within).
pub const IDEMPOTENCY_TTL_HOURS: i64 = 48;
/// An unfinished claim is held this long: more than the function's 10 s timeout, so only a request that
/// died before committing loses it (a commit finishes its key in the same transaction).
pub const IDEMPOTENCY_LEASE_SECONDS: i64 = 30;

/// The key of a request that may create something, checked.
fn key(req: &HttpRequest) -> Result<&str, HttpResponse> {
    let Some(key) = req.header("idempotency-key").map(str::trim) else {
        return Err(bad(
            "Idempotency-Key",
            Code::Required,
            "POST /invoices needs an Idempotency-Key header (any unique string, e.g. a UUID)",
        ));
    };
    if !is_external_ref(key) {
        return Err(bad(
            "Idempotency-Key",
            Code::InvalidFormat,
            "1-255 visible ASCII characters",
        ));
    }
    Ok(key)
}

pub async fn create_invoice<S, A, Q, B, C>(
    app: &App<S, A, Q, B, C>,
    seller: &SellerAccount,
    req: &HttpRequest,
) -> HttpResponse
where
    S: Store,
    A: DocumentArchive,
    Q: MessageQueue,
    B: EventBus,
    C: Clock,
{
    let idem = match key(req) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let now = app.clock.now();
    let claim = app
        .store
        .claim(
            &seller.seller_id,
            idem,
            &sha256_hex(&req.body),
            now,
            now + Duration::seconds(IDEMPOTENCY_LEASE_SECONDS),
            now + Duration::hours(IDEMPOTENCY_TTL_HOURS),
        )
        .await;
    let refused = |code, message: &str| {
        from_app_error(AppError::Conflict {
            code,
            message: message.into(),
        })
    };
    match claim {
        Ok(Claim::Started) => {}
        Ok(Claim::Replay(stored)) => {
            return HttpResponse {
                status: stored.status,
                content_type: "application/json",
                body: stored.body.into_bytes(),
            };
        }
        Ok(Claim::InProgress) => {
            return refused(
                ConflictCode::IdempotencyInProgress,
                "a request with this Idempotency-Key is still being processed; retry shortly",
            );
        }
        Ok(Claim::Mismatch) => {
            return refused(
                ConflictCode::IdempotencyKeyReused,
                "this Idempotency-Key was used with a different body",
            );
        }
        Err(e) => return from_app_error(e.into()),
    }
    let idempotent = Idempotent {
        key: idem,
        response: views::created_invoice,
    };
    let response = match invoice_from_json(&req.body) {
        Err(e) => from_app_error(AppError::Invalid(vec![e])),
        Ok(input) => match app
            .create_invoice_with(seller, input, Some(idempotent))
            .await
        {
            // The commit stored this very response with the invoice.
            Ok(r) => return HttpResponse::json(201, &views::invoice(&r)),
            Err(e) => from_app_error(e),
        },
    };
    remember(app, seller, idem, &response).await;
    response
}

/// Refusals decided by the request are remembered; our own failures (and conflicts) release the claim
/// for a retry (the store keeps a claim that a commit finished).
async fn remember<S, A, Q, B, C>(
    app: &App<S, A, Q, B, C>,
    seller: &SellerAccount,
    idem: &str,
    response: &HttpResponse,
) where
    S: Store,
    A: DocumentArchive,
    Q: MessageQueue,
    B: EventBus,
    C: Clock,
{
    if response.status >= 500 || response.status == 409 {
        if let Err(e) = app.store.release(&seller.seller_id, idem).await {
            tracing::warn!(error = %e, "could not release the idempotency claim; it lapses after its lease");
        }
    } else {
        let stored = StoredResponse {
            status: response.status,
            body: String::from_utf8_lossy(&response.body).into_owned(),
        };
        if let Err(e) = app.store.finish(&seller.seller_id, idem, &stored).await {
            tracing::warn!(error = %e, "could not store the idempotent response");
        }
    }
}
