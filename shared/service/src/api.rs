//! The invoice HTTP API as a pure function of a request: routing, authentication, idempotency, JSON.
//! The `invoice-api` Lambda converts API Gateway events to [`HttpRequest`] and back; tests call
//! [`handle`] directly with the in-memory adapters.
//!
//! Errors are JSON: `{"error": {"code", "message", "fields": [{"path", "code", "message"}]}}` with 400
//! (bad input, with field paths), 401, 404, 409, 422. Only a failure of our own infrastructure is a 5xx.

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use seikyu_domain::id::{ID_RULE, is_external_ref, is_id};
use seikyu_domain::parse::invoice_from_json;
use seikyu_domain::values::Amount;
use seikyu_domain::{Code, FieldError};
use serde_json::{Value, json};

use crate::app::{App, AppError, CustomerUpdate, NewSeller, sha256_hex};
use crate::ports::{Claim, Clock, DocumentArchive, EventBus, MessageQueue, Store};
use crate::record::{InvoiceRecord, InvoiceStatus, SearchQuery, SellerAccount, StoredResponse};

/// Idempotency records live this long (at least the 24 h clients may retry within).
pub const IDEMPOTENCY_TTL_HOURS: i64 = 48;
/// An unfinished claim is held this long: more than the function's 10 s timeout, so only a request that
/// died before committing loses it (a commit finishes its key in the same transaction).
pub const IDEMPOTENCY_LEASE_SECONDS: i64 = 30;
/// Largest accepted body (a 10,000-line invoice is about 3 MB of JSON).
pub const MAX_BODY_BYTES: usize = 6 * 1024 * 1024;

#[derive(Debug, Clone, Default)]
pub struct HttpRequest {
    pub method: String,
    /// Path without the stage prefix, e.g. `/invoices/AOZ-2026-000001`.
    pub path: String,
    pub query: Vec<(String, String)>,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpRequest {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl HttpResponse {
    fn json(status: u16, v: &Value) -> Self {
        HttpResponse {
            status,
            content_type: "application/json",
            body: serde_json::to_vec(v).unwrap_or_default(),
        }
    }
    /// The body as JSON (tests and logs).
    pub fn json_body(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// Deployment settings the API needs.
#[derive(Debug, Clone, Default)]
pub struct ApiConfig {
    /// SHA-256 (hex) of the admin key that may create sellers and keys; `None` disables the admin path.
    pub admin_key_sha256: Option<String>,
}

/// 404 for a path no function serves.
pub fn not_found() -> HttpResponse {
    error(404, "not_found", "no such route", &[], Value::Null)
}

pub(crate) fn error(
    status: u16,
    code: &str,
    message: &str,
    fields: &[FieldError],
    details: Value,
) -> HttpResponse {
    let mut e = json!({ "code": code, "message": message });
    if !fields.is_empty() {
        e["fields"] = json!(fields);
    }
    if !details.is_null() {
        e["details"] = details;
    }
    HttpResponse::json(status, &json!({ "error": e }))
}

pub(crate) fn from_app_error(e: AppError) -> HttpResponse {
    match e {
        AppError::Invalid(fields) => error(
            400,
            "invalid_request",
            "the request has problems; see fields",
            &fields,
            Value::Null,
        ),
        AppError::Unauthorized => error(
            401,
            "unauthorized",
            "send 'Authorization: Bearer <api key>'",
            &[],
            Value::Null,
        ),
        AppError::NotFound(what) => error(
            404,
            "not_found",
            &format!("{what} not found"),
            &[],
            Value::Null,
        ),
        AppError::Conflict { code, message } => error(409, code, &message, &[], Value::Null),
        AppError::Unprocessable {
            code,
            message,
            details,
        } => error(422, code, &message, &[], details),
        AppError::Internal(m) => {
            tracing::error!(error = %m, "internal error");
            error(
                500,
                "internal",
                "an internal error occurred; retry later",
                &[],
                Value::Null,
            )
        }
    }
}

fn bad(path: &str, code: Code, message: &str) -> HttpResponse {
    from_app_error(AppError::Invalid(vec![FieldError {
        path: path.into(),
        code,
        message: message.into(),
    }]))
}

/// The public view of an invoice.
pub fn invoice_json(r: &InvoiceRecord) -> Value {
    r.to_json()
}

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

    // Admin: create sellers and keys with the deployment's admin key.
    if segments.first() == Some(&"admin") {
        let ok = match (&config.admin_key_sha256, bearer(&req)) {
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
        if let ["admin", "sellers", id, ..] = segments.as_slice()
            && !is_id(id)
        {
            return error(404, "not_found", "no such seller", &[], Value::Null);
        }
        return match (method.as_str(), segments.as_slice()) {
            ("POST", ["admin", "sellers"]) => {
                let new: NewSeller = match parse_json(&req.body) {
                    Ok(n) => n,
                    Err(r) => return r,
                };
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
            }
            ("POST", ["admin", "sellers", id, "keys"]) => match app.create_api_key(id).await {
                Ok(key) => HttpResponse::json(201, &json!({ "seller_id": id, "api_key": key })),
                Err(e) => from_app_error(e),
            },
            _ => error(404, "not_found", "no such admin route", &[], Value::Null),
        };
    }

    let Some(key) = bearer(&req) else {
        return from_app_error(AppError::Unauthorized);
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
    match (method.as_str(), segments.as_slice()) {
        ("POST", ["invoices"]) => create_invoice(app, &seller, &req).await,
        ("GET", ["invoices"]) => search(app, &seller, &req).await,
        ("GET", ["invoices", id]) => {
            respond(app.get(&seller, id).await.map(|r| (200, invoice_json(&r))))
        }
        ("GET", ["invoices", id, "ubl"]) => match app.ubl(&seller, id).await {
            Ok(bytes) => HttpResponse {
                status: 200,
                content_type: "application/xml",
                body: bytes,
            },
            Err(e) => from_app_error(e),
        },
        ("POST", ["invoices", id, "approve"]) => respond(
            app.approve(&seller, id)
                .await
                .map(|r| (200, invoice_json(&r))),
        ),
        ("POST", ["invoices", id, "void"]) => {
            respond(app.void(&seller, id).await.map(|(inv, cn)| {
                (
                    200,
                    json!({ "invoice": invoice_json(&inv), "credit_note": invoice_json(&cn) }),
                )
            }))
        }
        ("POST", ["invoices", id, "dispute"]) => {
            #[derive(serde::Deserialize)]
            #[serde(deny_unknown_fields)]
            struct Body {
                reason: String,
            }
            match parse_json::<Body>(&req.body) {
                Ok(b) => respond(
                    app.dispute(&seller, id, &b.reason)
                        .await
                        .map(|r| (200, invoice_json(&r))),
                ),
                Err(r) => r,
            }
        }
        ("POST", ["invoices", id, "dispute", "resolve"]) => {
            #[derive(serde::Deserialize)]
            #[serde(deny_unknown_fields)]
            struct Body {
                note: String,
            }
            match parse_json::<Body>(&req.body) {
                Ok(b) => respond(
                    app.resolve_dispute(&seller, id, &b.note)
                        .await
                        .map(|r| (200, invoice_json(&r))),
                ),
                Err(r) => r,
            }
        }
        ("POST", ["invoices", id, "installments"]) => {
            match parse_json::<crate::dunning::InstallmentRequest>(&req.body) {
                Ok(b) => respond(
                    app.installments(&seller, id, &b)
                        .await
                        .map(|r| (200, invoice_json(&r))),
                ),
                Err(r) => r,
            }
        }
        ("GET", ["dunning-policy"]) => HttpResponse::json(
            200,
            &json!({
                "policy": seller.dunning_policy.clone().unwrap_or_default(),
                "default": seller.dunning_policy.is_none(),
            }),
        ),
        ("PUT", ["dunning-policy"]) => {
            match parse_json::<seikyu_domain::dunning::Policy>(&req.body) {
                Ok(p) => respond(
                    app.set_dunning_policy(&seller, p)
                        .await
                        .map(|a| (200, json!({ "policy": a.dunning_policy, "default": false }))),
                ),
                Err(r) => r,
            }
        }
        ("GET", ["payments", "unapplied"]) => respond(
            app.unapplied_payments(&seller)
                .await
                .map(|v| (200, json!({ "items": v }))),
        ),
        ("POST", ["payments", "apply"]) => {
            #[derive(serde::Deserialize)]
            #[serde(deny_unknown_fields)]
            struct Body {
                /// `{provider}:{payment id}` as listed by `GET /payments/unapplied`.
                payment: String,
                invoice_id: seikyu_domain::id::Id,
            }
            match parse_json::<Body>(&req.body) {
                Ok(b) => respond(
                    app.apply_by_hand(&seller, &b.payment, &b.invoice_id)
                        .await
                        .map(|o| (200, o.to_json())),
                ),
                Err(r) => r,
            }
        }
        ("GET", ["receipts", id]) => {
            respond(app.receipt(&seller, id).await.map(|r| (200, r.to_json())))
        }
        ("GET", ["receipts", id, "document"]) => match app.receipt_document(&seller, id).await {
            Ok(bytes) => HttpResponse {
                status: 200,
                content_type: "text/html; charset=utf-8",
                body: bytes,
            },
            Err(e) => from_app_error(e),
        },
        ("PUT", ["customers", id]) => match parse_json::<CustomerUpdate>(&req.body) {
            Ok(u) => respond(
                app.put_customer(&seller, id, u)
                    .await
                    .map(|c| (200, json!(c))),
            ),
            Err(r) => r,
        },
        (_, ["invoices" | "customers" | "receipts" | "payments", ..]) => error(
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

fn respond(r: Result<(u16, Value), AppError>) -> HttpResponse {
    match r {
        Ok((status, v)) => HttpResponse::json(status, &v),
        Err(e) => from_app_error(e),
    }
}

fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, HttpResponse> {
    seikyu_domain::json::from_slice(body, MAX_BODY_BYTES)
        .map_err(|e| from_app_error(AppError::Invalid(vec![e])))
}

async fn create_invoice<S, A, Q, B, C>(
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
    let Some(idem) = req.header("idempotency-key").map(str::trim) else {
        return bad(
            "Idempotency-Key",
            Code::Required,
            "POST /invoices needs an Idempotency-Key header (any unique string, e.g. a UUID)",
        );
    };
    if !is_external_ref(idem) {
        return bad(
            "Idempotency-Key",
            Code::InvalidFormat,
            "1-255 visible ASCII characters",
        );
    }
    let now = app.clock.now();
    let hash = sha256_hex(&req.body);
    let claim = app
        .store
        .claim(
            &seller.seller_id,
            idem,
            &hash,
            now,
            now + Duration::seconds(IDEMPOTENCY_LEASE_SECONDS),
            now + Duration::hours(IDEMPOTENCY_TTL_HOURS),
        )
        .await;
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
            return error(
                409,
                "idempotency_in_progress",
                "a request with this Idempotency-Key is still being processed; retry shortly",
                &[],
                Value::Null,
            );
        }
        Ok(Claim::Mismatch) => {
            return error(
                409,
                "idempotency_key_reused",
                "this Idempotency-Key was used with a different body",
                &[],
                Value::Null,
            );
        }
        Err(e) => return from_app_error(e.into()),
    }
    let response = match invoice_from_json(&req.body) {
        Err(e) => from_app_error(AppError::Invalid(vec![e])),
        Ok(input) => match app.create_invoice_with(seller, input, Some(idem)).await {
            // The commit stored this very response with the invoice.
            Ok(r) => return HttpResponse::json(201, &invoice_json(&r)),
            Err(e) => from_app_error(e),
        },
    };
    // Refusals decided by the request are remembered; our own failures release the claim for a retry
    // (the store keeps a claim that a commit finished).
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
    response
}

fn parse_date(req: &HttpRequest, name: &str) -> Result<Option<NaiveDate>, HttpResponse> {
    req.query(name)
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| bad(name, Code::InvalidValue, "a date YYYY-MM-DD"))
        })
        .transpose()
}

fn parse_amount(req: &HttpRequest, name: &str) -> Result<Option<Decimal>, HttpResponse> {
    req.query(name)
        .map(|v| {
            v.parse::<Amount>()
                .map(Amount::get)
                .map_err(|e| bad(name, Code::InvalidValue, &e.to_string()))
        })
        .transpose()
}

async fn search<S, A, Q, B, C>(
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
    let known = [
        "from",
        "to",
        "min_amount",
        "max_amount",
        "customer",
        "status",
        "limit",
        "cursor",
    ];
    if let Some((k, _)) = req.query.iter().find(|(k, _)| !known.contains(&k.as_str())) {
        return bad(
            k,
            Code::UnknownField,
            &format!("unknown parameter; use {}", known.join(", ")),
        );
    }
    let q = (|| -> Result<SearchQuery, HttpResponse> {
        let from = parse_date(req, "from")?;
        let to = parse_date(req, "to")?;
        if let (Some(f), Some(t)) = (from, to)
            && t < f
        {
            return Err(bad("to", Code::PeriodInverted, "'to' is before 'from'"));
        }
        let status = req
            .query("status")
            .map(|s| {
                InvoiceStatus::parse(s).ok_or_else(|| {
                    bad(
                        "status",
                        Code::InvalidCode,
                        "pending_review, issued, partially_paid, paid, disputed, escalated or void",
                    )
                })
            })
            .transpose()?;
        let limit = req
            .query("limit")
            .map(|l| {
                l.parse::<usize>()
                    .ok()
                    .filter(|n| (1..=200).contains(n))
                    .ok_or_else(|| bad("limit", Code::OutOfRange, "1-200"))
            })
            .transpose()?
            .unwrap_or(50);
        let min_amount = parse_amount(req, "min_amount")?;
        let max_amount = parse_amount(req, "max_amount")?;
        if let (Some(lo), Some(hi)) = (min_amount, max_amount)
            && hi < lo
        {
            return Err(bad(
                "max_amount",
                Code::OutOfRange,
                "'max_amount' is below 'min_amount'",
            ));
        }
        Ok(SearchQuery {
            from,
            to,
            min_amount,
            max_amount,
            customer: req
                .query("customer")
                .map(|c| {
                    if is_id(c) {
                        Ok(c.to_string())
                    } else {
                        Err(bad("customer", Code::InvalidFormat, ID_RULE))
                    }
                })
                .transpose()?,
            status,
            limit,
            cursor: req.query("cursor").map(str::to_string),
        })
    })();
    let q = match q {
        Ok(q) => q,
        Err(r) => return r,
    };
    match app.search(seller, &q).await {
        Ok(page) => HttpResponse::json(
            200,
            &json!({
                "items": page.items.iter().map(invoice_json).collect::<Vec<_>>(),
                "next_cursor": page.next,
            }),
        ),
        Err(e) => from_app_error(e),
    }
}
