//! Error bodies: `{"error": {"code", "message", "fields": [{"path", "code", "message"}], "details"}}`
//! with 400 (bad input, with field paths), 401, 404, 405, 409, 413, 422. Only a failure of our own
//! infrastructure is a 5xx.

use seikyu_domain::{Code, FieldError};
use serde_json::{Value, json};

use crate::api::http::HttpResponse;
use crate::error::AppError;

pub fn error(
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

/// 404 for a path no function serves.
pub fn not_found() -> HttpResponse {
    error(404, "not_found", "no such route", &[], Value::Null)
}

pub fn from_app_error(e: AppError) -> HttpResponse {
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
        AppError::Conflict { code, message } => {
            error(409, code.as_str(), &message, &[], Value::Null)
        }
        AppError::Unprocessable {
            code,
            message,
            details,
        } => error(422, code.as_str(), &message, &[], details),
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

/// 400 for one field.
pub fn bad(path: &str, code: Code, message: &str) -> HttpResponse {
    from_app_error(crate::error::field(path, code, message))
}

/// The answer to a use case: its JSON, or its error.
pub fn respond(r: Result<(u16, Value), AppError>) -> HttpResponse {
    match r {
        Ok((status, v)) => HttpResponse::json(status, &v),
        Err(e) => from_app_error(e),
    }
}
