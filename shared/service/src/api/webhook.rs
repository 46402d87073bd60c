//! `POST /webhooks/{provider}?seller={seller_id}`: a payment provider tells Seikyu that money moved.
//!
//! The seller is named in the URL configured at the provider (each seller has its own secrets). The
//! signature is checked on the raw bytes before anything else; a missing, bad or stale signature is a
//! 401 and nothing is stored. A verified event is applied exactly once (a duplicate answers 200 and
//! changes nothing). No email or document work happens here, so the answer comes well within the
//! providers' timeouts.

use serde_json::Value;

use crate::api::errors::{error, from_app_error};
use crate::api::http::HttpResponse;
use crate::api::views;
use crate::app::App;
use crate::error::AppError;
use crate::ports::{Clock, DocumentArchive, EventBus, MessageQueue, Store, WebhookSecrets};
use seikyu_payments::{Provider, WebhookError, WebhookRequest, verify_and_parse};

pub async fn handle_webhook<S, A, Q, B, C, W>(
    app: &App<S, A, Q, B, C>,
    secrets: &W,
    provider: &str,
    seller_id: Option<&str>,
    headers: &[(String, String)],
    body: &[u8],
) -> HttpResponse
where
    S: Store,
    A: DocumentArchive,
    Q: MessageQueue,
    B: EventBus,
    C: Clock,
    W: WebhookSecrets,
{
    let Some(provider) = Provider::parse(provider) else {
        return error(
            404,
            "unknown_provider",
            "providers: stripe, komoju, generic",
            &[],
            Value::Null,
        );
    };
    let Some(seller_id) = seller_id.filter(|s| seikyu_domain::id::is_id(s)) else {
        return error(
            400,
            "seller_required",
            "configure the webhook URL with ?seller=<seller id>",
            &[],
            Value::Null,
        );
    };
    let unauthorized = |why: &str| error(401, "invalid_signature", why, &[], Value::Null);
    let seller = match app.store.get_seller(seller_id).await {
        Ok(Some(s)) => s,
        // Whether a seller exists is not told to an unauthenticated caller.
        Ok(None) => return unauthorized("signature cannot be verified"),
        Err(e) => return from_app_error(e.into()),
    };
    let keys = match secrets.secrets(&seller.seller_id, provider.as_str()).await {
        Ok(k) => k,
        Err(e) => return from_app_error(AppError::Internal(e.to_string())),
    };
    let now = app.clock.now().timestamp();
    let event = match verify_and_parse(
        &WebhookRequest {
            provider,
            headers,
            body,
        },
        &keys,
        now,
    ) {
        Ok(e) => e,
        Err(WebhookError::Signature(e)) => {
            tracing::warn!(seller_id = %seller.seller_id, provider = provider.as_str(), reason = %e, "webhook refused");
            return unauthorized(&e.to_string());
        }
        Err(WebhookError::Parse(e)) => {
            return error(400, "invalid_event", &e.to_string(), &[], Value::Null);
        }
    };
    match app.apply_payment(&seller, &event).await {
        Ok(outcome) => {
            tracing::info!(seller_id = %seller.seller_id, event_id = %event.event_id, ?outcome, "payment event");
            let body = views::payment_outcome(&outcome);
            HttpResponse {
                status: 200,
                content_type: "application/json",
                body: serde_json::to_vec(&body).unwrap_or_default(),
            }
        }
        Err(e) => from_app_error(e),
    }
}
