//! `invoice-api`: the invoice HTTP API (API Gateway HTTP API / function URL events).

mod handler;

use lambda_http::{Error, service_fn};
use seikyu_aws::{Adapters, Config, init_tracing, sdk_config};
use seikyu_service::api::ApiConfig;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = Config::from_env()?;
    let (app, _) = Adapters::new(&sdk_config().await, &config).into_app()?;
    let api = ApiConfig {
        admin_key_sha256: config.admin_key_sha256,
    };
    lambda_http::run(service_fn(|req| handler::handle(&app, &api, req))).await
}
