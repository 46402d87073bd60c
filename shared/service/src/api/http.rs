//! The API's request and response, independent of API Gateway (the functions convert to and from them).

use serde_json::Value;

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
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn query(&self, name: &str) -> Option<&str> {
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
    pub fn json(status: u16, v: &Value) -> Self {
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
