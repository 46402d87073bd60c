//! The HTTP API as a pure function of a request: routing and authentication here; idempotent creates
//! (`idempotency`), the search's query string (`query`), the JSON views (`views`), error bodies
//! (`errors`) and the payment providers' webhook route (`webhook`). The `invoice-api` and
//! `payment-webhook` Lambdas convert API Gateway events to [`HttpRequest`] and back; tests call
//! [`handle`] directly with the in-memory adapters.

pub mod errors;
pub mod http;
pub mod idempotency;
pub mod query;
pub mod views;
pub mod webhook;

use seikyu_domain::id::{Id, is_id};
use serde_json::{Value, json};

use crate::app::App;
use crate::digest::sha256_hex;
use crate::dunning::InstallmentRequest;
use crate::ports::{Clock, DocumentArchive, EventBus, MessageQueue, Store};
use crate::record::SellerAccount;
use crate::tenants::{CustomerUpdate, NewSeller};

use errors::respond;
pub use errors::{error, from_app_error, not_found};
pub use http::{ApiConfig, HttpRequest, HttpResponse, MAX_BODY_BYTES};

fn bearer(req: &HttpRequest) -> Option<&str> {
    req.header("authorization")
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|k| !k.is_empty())
}

/// Constant-time comparison of two hex digests.
fn same_digest(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, HttpResponse> {
    seikyu_domain::json::from_slice(body, MAX_BODY_BYTES)
        .map_err(|e| from_app_error(crate::error::AppError::Invalid(vec![e])))
}

/// A route's parsed request: its JSON body, or the 400 that refuses it.
macro_rules! with_body {
    ($req:expr, |$b:ident: $t:ty| $then:expr) => {
        match parse_json::<$t>(&$req.body) {
            Ok($b) => $then,
            Err(r) => r,
        }
    };
}

/// Request bodies of the routes that take a sentence from a person.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Reason {
    reason: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Note {
    note: String,
}

/// `POST /payments/apply`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ApplyPayment {
    /// `{provider}:{payment id}` as listed by `GET /payments/unapplied`.
    payment: String,
    invoice_id: Id,
}

/// `POST /payments/{bank:deposit}/apply`: a deposit split over invoices by a person.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SplitDeposit {
    allocations: Vec<crate::reconciliation::deposits::ManualAllocation>,
}

/// `POST /payments/{bank:reversal}/reverse`: the deposit a held reversal takes back.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ReverseDeposit {
    deposit: String,
}

/// `POST /bank/virtual-accounts`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct VirtualAccounts {
    accounts: Vec<String>,
}

/// Answer one request.
pub async fn handle<S, A, Q, B, C>(
    app: &App<S, A, Q, B, C>,
    config: &ApiConfig,
    req: HttpRequest,
) -> HttpResponse
where
    S: Store,
    A: DocumentArchive,
    Q: MessageQueue,
    B: EventBus,
    C: Clock,
{
    if req.body.len() > MAX_BODY_BYTES {
        return error(
            413,
            "body_too_large",
            &format!("at most {MAX_BODY_BYTES} bytes"),
            &[],
            Value::Null,
        );
    }
    let segments: Vec<&str> = req
        .path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let method = req.method.to_ascii_uppercase();
    if segments.first() == Some(&"admin") {
        return admin(app, config, &req, &method, &segments).await;
    }
    let Some(key) = bearer(&req) else {
        return from_app_error(crate::error::AppError::Unauthorized);
    };
    let seller = match app.authenticate(key).await {
        Ok(s) => s,
        Err(e) => return from_app_error(e),
    };
    tracing::Span::current().record("seller_id", seller.seller_id.as_str());
    // An id that cannot be one of ours names nothing: 404 before any lookup (and no oversized key).
    if let ["invoices" | "customers" | "receipts", id, ..] = segments.as_slice()
        && !is_id(id)
    {
        return error(404, "not_found", "no such resource", &[], Value::Null);
    }
    // Each group in its own function, boxed: one match over every route makes a future (and, in debug
    // builds, a poll frame) larger than a thread's stack.
    match segments.first() {
        Some(&"invoices") => Box::pin(invoices(app, &seller, &req, &method, &segments)).await,
        Some(&"payments") => Box::pin(payments(app, &seller, &req, &method, &segments)).await,
        Some(&("bank-statements" | "bank")) => {
            Box::pin(bank(app, &seller, &req, &method, &segments)).await
        }
        _ => Box::pin(others(app, &seller, &req, &method, &segments)).await,
    }
}

/// Admin: create sellers and keys with the deployment's admin key.
async fn admin<S, A, Q, B, C>(
    app: &App<S, A, Q, B, C>,
    config: &ApiConfig,
    req: &HttpRequest,
    method: &str,
    segments: &[&str],
) -> HttpResponse
where
    S: Store,
    A: DocumentArchive,
    Q: MessageQueue,
    B: EventBus,
    C: Clock,
{
    let ok = match (&config.admin_key_sha256, bearer(req)) {
        (Some(want), Some(key)) => same_digest(&sha256_hex(key.as_bytes()), want),
        _ => false,
    };
    if !ok {
        return error(
            401,
            "unauthorized",
            "the admin path needs the admin key",
            &[],
            Value::Null,
        );
    }
    if let ["admin", "sellers", id, ..] = segments
        && !is_id(id)
    {
        return error(404, "not_found", "no such seller", &[], Value::Null);
    }
    match (method, segments) {
        ("POST", ["admin", "sellers"]) => with_body!(req, |new: NewSeller| {
            match app.create_seller(new).await {
                Ok((account, key)) => HttpResponse::json(
                    201,
                    &json!({
                        "seller_id": account.seller_id,
                        "api_key": key,
                        "note": "store the key now: only its hash is kept"
                    }),
                ),
                Err(e) => from_app_error(e),
            }
        }),
        ("POST", ["admin", "sellers", id, "keys"]) => match app.create_api_key(id).await {
            Ok(key) => HttpResponse::json(201, &json!({ "seller_id": id, "api_key": key })),
            Err(e) => from_app_error(e),
        },
        _ => error(404, "not_found", "no such admin route", &[], Value::Null),
    }
}

/// `/invoices` and everything under it.
async fn invoices<S, A, Q, B, C>(
    app: &App<S, A, Q, B, C>,
    seller: &SellerAccount,
    req: &HttpRequest,
    method: &str,
    segments: &[&str],
) -> HttpResponse
where
    S: Store,
    A: DocumentArchive,
    Q: MessageQueue,
    B: EventBus,
    C: Clock,
{
    let view = |r: crate::record::InvoiceRecord| (200, views::invoice(&r));
    match (method, segments) {
        ("POST", ["invoices"]) => idempotency::create_invoice(app, seller, req).await,
        ("GET", ["invoices"]) => query::search(app, seller, req).await,
        ("GET", ["invoices", id]) => respond(app.get(seller, id).await.map(view)),
        ("GET", ["invoices", id, "ubl"]) => match app.ubl(seller, id).await {
            Ok(bytes) => HttpResponse {
                status: 200,
                content_type: "application/xml",
                body: bytes,
            },
            Err(e) => from_app_error(e),
        },
        ("GET", ["invoices", id, "pdf"]) => match app.invoice_pdf(seller, id).await {
            Ok(bytes) => pdf_response(bytes),
            Err(e) => from_app_error(e),
        },
        ("POST", ["invoices", id, "approve"]) => respond(app.approve(seller, id).await.map(view)),
        ("POST", ["invoices", id, "void"]) => {
            respond(app.void(seller, id).await.map(|(inv, cn)| {
                (
                    200,
                    json!({ "invoice": views::invoice(&inv), "credit_note": views::invoice(&cn) }),
                )
            }))
        }
        ("POST", ["invoices", id, "dispute"]) => with_body!(req, |b: Reason| {
            respond(app.dispute(seller, id, &b.reason).await.map(view))
        }),
        ("POST", ["invoices", id, "dispute", "resolve"]) => with_body!(req, |b: Note| {
            respond(app.resolve_dispute(seller, id, &b.note).await.map(view))
        }),
        ("POST", ["invoices", id, "installments"]) => with_body!(req, |b: InstallmentRequest| {
            respond(app.installments(seller, id, &b).await.map(view))
        }),
        _ => not_allowed(method, req),
    }
}

/// The seller's settings, payments, receipts and customers.
async fn others<S, A, Q, B, C>(
    app: &App<S, A, Q, B, C>,
    seller: &SellerAccount,
    req: &HttpRequest,
    method: &str,
    segments: &[&str],
) -> HttpResponse
where
    S: Store,
    A: DocumentArchive,
    Q: MessageQueue,
    B: EventBus,
    C: Clock,
{
    match (method, segments) {
        ("GET", ["dunning-policy"]) => HttpResponse::json(
            200,
            &json!({
                "policy": seller.dunning_policy.clone().unwrap_or_default(),
                "default": seller.dunning_policy.is_none(),
            }),
        ),
        ("PUT", ["dunning-policy"]) => {
            with_body!(req, |p: seikyu_domain::dunning::Policy| {
                respond(
                    app.set_dunning_policy(seller, p)
                        .await
                        .map(|a| (200, json!({ "policy": a.dunning_policy, "default": false }))),
                )
            })
        }
        ("GET", ["receipts", id]) => respond(
            app.receipt(seller, id)
                .await
                .map(|r| (200, views::receipt(&r))),
        ),
        ("GET", ["receipts", id, "pdf"]) => match app.receipt_pdf(seller, id).await {
            Ok(bytes) => pdf_response(bytes),
            Err(e) => from_app_error(e),
        },
        ("GET", ["receipts", id, "document"]) => match app.receipt_document(seller, id).await {
            Ok(bytes) => HttpResponse {
                status: 200,
                content_type: "text/html; charset=utf-8",
                body: bytes,
            },
            Err(e) => from_app_error(e),
        },
        ("PUT", ["customers", id]) => with_body!(req, |u: CustomerUpdate| {
            respond(
                app.put_customer(seller, id, u)
                    .await
                    .map(|c| (200, json!(c))),
            )
        }),
        _ => not_allowed(method, req),
    }
}

/// `/payments`: unapplied payments, payments applied by hand, one payment (a bank deposit with why it
/// went where it went), a deposit split by hand.
async fn payments<S, A, Q, B, C>(
    app: &App<S, A, Q, B, C>,
    seller: &SellerAccount,
    req: &HttpRequest,
    method: &str,
    segments: &[&str],
) -> HttpResponse
where
    S: Store,
    A: DocumentArchive,
    Q: MessageQueue,
    B: EventBus,
    C: Clock,
{
    match (method, segments) {
        ("GET", ["payments", "unapplied"]) => respond(
            app.unapplied_payments(seller)
                .await
                .map(|v| (200, json!({ "items": v }))),
        ),
        ("POST", ["payments", "apply"]) => with_body!(req, |b: ApplyPayment| {
            if let Some(id) = b.payment.strip_prefix("bank:") {
                return respond(
                    app.apply_deposit_whole(seller, id, &b.invoice_id)
                        .await
                        .map(|p| (200, views::payment(&p))),
                );
            }
            respond(
                app.apply_by_hand(seller, &b.payment, &b.invoice_id)
                    .await
                    .map(|o| (200, views::payment_outcome(&o))),
            )
        }),
        ("GET", ["payments", key]) => respond(
            app.payment(seller, key)
                .await
                .map(|p| (200, views::payment(&p))),
        ),
        ("POST", ["payments", key, "apply"]) => with_body!(req, |b: SplitDeposit| {
            let id = key.strip_prefix("bank:").unwrap_or("");
            respond(
                app.apply_deposit_by_hand(seller, id, &b.allocations)
                    .await
                    .map(|p| (200, views::payment(&p))),
            )
        }),
        ("POST", ["payments", key, "reverse"]) => with_body!(req, |b: ReverseDeposit| {
            let id = key.strip_prefix("bank:").unwrap_or("");
            respond(
                app.reverse_by_hand(seller, id, &b.deposit)
                    .await
                    .map(|p| (200, views::payment(&p))),
            )
        }),
        ("POST", ["payments", key, "dismiss"]) => with_body!(req, |b: Note| {
            let id = key.strip_prefix("bank:").unwrap_or("");
            respond(
                app.dismiss_deposit(seller, id, &b.note)
                    .await
                    .map(|p| (200, views::payment(&p))),
            )
        }),
        _ => not_allowed(method, req),
    }
}

/// `/bank-statements` and `/bank/...`: statements received and listed, settings, the virtual-account
/// pool.
async fn bank<S, A, Q, B, C>(
    app: &App<S, A, Q, B, C>,
    seller: &SellerAccount,
    req: &HttpRequest,
    method: &str,
    segments: &[&str],
) -> HttpResponse
where
    S: Store,
    A: DocumentArchive,
    Q: MessageQueue,
    B: EventBus,
    C: Clock,
{
    match (method, segments) {
        ("POST", ["bank-statements"]) => respond(
            app.receive_statement(seller, &req.body, req.query("file_name"))
                .await
                .map(|i| (202, json!(i))),
        ),
        ("GET", ["bank-statements"]) => respond(
            app.statement_imports(seller, 100)
                .await
                .map(|v| (200, json!({ "items": v }))),
        ),
        ("GET", ["bank-statements", id]) => respond(
            app.statement_import(seller, id)
                .await
                .map(|i| (200, json!(i))),
        ),
        ("GET", ["bank", "settings"]) => HttpResponse::json(200, &json!(seller.banking)),
        ("PUT", ["bank", "settings"]) => {
            with_body!(req, |b: crate::record::BankSettings| {
                respond(
                    app.set_bank_settings(seller, b)
                        .await
                        .map(|a| (200, json!(a.banking))),
                )
            })
        }
        ("GET", ["bank", "virtual-accounts"]) => {
            respond(app.pool_status(seller).await.map(|p| (200, json!(p))))
        }
        ("POST", ["bank", "virtual-accounts"]) => with_body!(req, |b: VirtualAccounts| {
            respond(
                app.load_virtual_accounts(seller, &b.accounts)
                    .await
                    .map(|p| (200, json!(p))),
            )
        }),
        _ => not_allowed(method, req),
    }
}

/// 405 on a known collection, 404 elsewhere.
fn not_allowed(method: &str, req: &HttpRequest) -> HttpResponse {
    let segments: Vec<&str> = req
        .path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    match segments.first() {
        Some(
            &("invoices" | "customers" | "receipts" | "payments" | "bank-statements" | "bank"),
        ) => error(
            405,
            "method_not_allowed",
            &format!("{method} is not supported on {}", req.path),
            &[],
            Value::Null,
        ),
        _ => error(
            404,
            "not_found",
            &format!("no route {}", req.path),
            &[],
            Value::Null,
        ),
    }
}

/// A PDF document as the response body.
fn pdf_response(bytes: Vec<u8>) -> HttpResponse {
    HttpResponse {
        status: 200,
        content_type: "application/pdf",
        body: bytes,
    }
}
