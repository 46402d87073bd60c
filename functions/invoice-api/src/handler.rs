//! API Gateway request <-> Seikyu's HTTP request/response.

use lambda_http::{Body, Error, Request, RequestExt, Response};
use seikyu_aws::FunctionApp;
use seikyu_service::api::{ApiConfig, HttpRequest, handle as route};

/// Function URLs under `cargo lambda watch` keep a `/lambda-url/<name>` prefix; API Gateway does not.
fn route_path(path: &str) -> &str {
    match path.strip_prefix("/lambda-url/") {
        Some(rest) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => path,
    }
}

#[tracing::instrument(skip_all, fields(method = %req.method(), path = %req.uri().path(), seller_id = tracing::field::Empty))]
pub async fn handle(
    app: &FunctionApp,
    api: &ApiConfig,
    req: Request,
) -> Result<Response<Body>, Error> {
    let path = route_path(req.uri().path()).to_string();
    let query = req
        .query_string_parameters()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let request = HttpRequest {
        method: req.method().as_str().to_string(),
        path,
        query,
        headers,
        body: req.body().as_ref().to_vec(),
    };
    let response = route(app, api, request).await;
    tracing::info!(status = response.status, "answered");
    Ok(Response::builder()
        .status(response.status)
        .header("content-type", response.content_type)
        .body(Body::from(response.body))?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn function_url_prefix_is_removed() {
        assert_eq!(
            super::route_path("/lambda-url/invoice-api/invoices/X-1"),
            "/invoices/X-1"
        );
        assert_eq!(super::route_path("/lambda-url/invoice-api"), "/");
        assert_eq!(super::route_path("/invoices"), "/invoices");
    }
}
