//! `payment-webhook`: `POST /webhooks/{provider}?seller=...` from Stripe, KOMOJU or a bank connector.

use lambda_http::{Body, Error, Request, RequestExt, Response, service_fn};
use seikyu_aws::{Adapters, Config, SsmSecrets, init_tracing, sdk_config};
use seikyu_service::api::webhook::handle_webhook;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = Config::from_env()?;
    let sdk = sdk_config().await;
    let (app, _) = Adapters::new(&sdk, &config).into_app()?;
    let secrets = SsmSecrets::new(
        aws_sdk_ssm::Client::new(&sdk),
        &config.webhook_secrets_prefix,
    );
    lambda_http::run(service_fn(|req: Request| {
        let (app, secrets) = (&app, &secrets);
        async move {
            // `/webhooks/{provider}`, also behind a `/lambda-url/<name>` prefix under cargo lambda watch.
            let path = req.uri().path().to_string();
            let provider = path.rsplit('/').next().unwrap_or_default().to_string();
            let seller = req
                .query_string_parameters()
                .first("seller")
                .map(str::to_string);
            let headers: Vec<(String, String)> = req
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_ascii_lowercase(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let r = if req.method() == "POST" && path.contains("/webhooks/") {
                handle_webhook(
                    app,
                    secrets,
                    &provider,
                    seller.as_deref(),
                    &headers,
                    req.body().as_ref(),
                )
                .await
            } else {
                seikyu_service::api::not_found()
            };
            Ok::<_, Error>(
                Response::builder()
                    .status(r.status)
                    .header("content-type", r.content_type)
                    .body(Body::from(r.body))?,
            )
        }
    }))
    .await
}
