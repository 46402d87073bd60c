//! AWS adapters for Seikyu's ports (DynamoDB, S3, SQS, SES v1, EventBridge, SSM) and the functions' typed configuration.
//!
//! Endpoints and credentials come from the standard AWS environment; `AWS_ENDPOINT_URL` points every
//! client at LocalStack for local runs.

pub mod clock;
pub mod dynamo;
pub mod eventbridge;
pub mod s3;
pub mod ses;
pub mod sqs;
pub mod ssm;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use thiserror::Error;

pub use clock::{FunctionClock, function_clock};
pub use dynamo::DynamoStore;
pub use eventbridge::EventBridgeBus;
pub use s3::S3Archive;
pub use ses::SesMailer;
pub use sqs::SqsQueue;
pub use ssm::SsmSecrets;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("configuration: environment variable {0} is missing or empty")]
    Missing(&'static str),
    #[error("configuration: environment variable {name} must be {expected}")]
    Invalid {
        name: &'static str,
        expected: &'static str,
    },
}

/// Settings every function reads at start (fails at init, not per request).
#[derive(Debug, Clone)]
pub struct Config {
    pub table: String,
    pub archive_bucket: String,
    pub issued_queue_url: String,
    pub receipt_queue_url: String,
    pub reminder_queue_url: String,
    /// The dead-letter queues of the three queues, in the same order. Only the queue consumers use them
    /// (a permanent failure goes there at once); without all three, such a message is redelivered and
    /// the redrive policy parks it.
    pub dead_letter_urls: Option<[String; 3]>,
    /// The EventBridge bus for `invoice.paid` and friends.
    pub event_bus_name: String,
    pub sender_email: String,
    /// Empty disables the admin path.
    pub admin_key_sha256: Option<String>,
    /// SSM path under which `{seller}/{provider}` parameters hold webhook secrets.
    pub webhook_secrets_prefix: String,
}

fn var(name: &'static str) -> Result<String, ConfigError> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .ok_or(ConfigError::Missing(name))
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Config {
            table: var("TABLE_NAME")?,
            archive_bucket: var("ARCHIVE_BUCKET")?,
            issued_queue_url: var("ISSUED_QUEUE_URL")?,
            receipt_queue_url: var("RECEIPT_QUEUE_URL")?,
            reminder_queue_url: var("REMINDER_QUEUE_URL")?,
            dead_letter_urls: match (
                var("ISSUED_DLQ_URL"),
                var("RECEIPT_DLQ_URL"),
                var("REMINDER_DLQ_URL"),
            ) {
                (Ok(issued), Ok(receipts), Ok(reminders)) => Some([issued, receipts, reminders]),
                _ => None,
            },
            event_bus_name: var("EVENT_BUS_NAME")?,
            sender_email: var("SENDER_EMAIL")?,
            admin_key_sha256: var("ADMIN_KEY_SHA256").ok().map(|v| v.to_ascii_lowercase()),
            webhook_secrets_prefix: var("WEBHOOK_SECRETS_PREFIX")
                .unwrap_or_else(|_| "/seikyu/webhooks".into()),
        })
    }
}

/// The shared SDK configuration (region, credentials, endpoint) from the environment.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

/// S3 client; path-style addressing when an endpoint override is set (LocalStack has no bucket DNS here).
pub fn s3_client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let mut b = aws_sdk_s3::config::Builder::from(sdk);
    if std::env::var_os("AWS_ENDPOINT_URL").is_some() {
        b = b.force_path_style(true);
    }
    aws_sdk_s3::Client::from_conf(b.build())
}

/// The use cases as every function runs them.
pub type FunctionApp =
    seikyu_service::App<DynamoStore, S3Archive, SqsQueue, EventBridgeBus, FunctionClock>;

/// All adapters from one SDK configuration.
pub struct Adapters {
    pub store: DynamoStore,
    pub archive: S3Archive,
    pub queue: SqsQueue,
    pub bus: EventBridgeBus,
    pub mailer: SesMailer,
}

impl Adapters {
    pub fn new(sdk: &aws_config::SdkConfig, config: &Config) -> Self {
        Adapters {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), &config.table),
            archive: S3Archive::new(s3_client(sdk), &config.archive_bucket),
            queue: {
                let q = SqsQueue::new(
                    aws_sdk_sqs::Client::new(sdk),
                    &config.issued_queue_url,
                    &config.receipt_queue_url,
                    &config.reminder_queue_url,
                );
                match &config.dead_letter_urls {
                    Some([issued, receipts, reminders]) => {
                        q.with_dead_letter_queues(issued, receipts, reminders)
                    }
                    None => q,
                }
            },
            bus: EventBridgeBus::new(
                aws_sdk_eventbridge::Client::new(sdk),
                &config.event_bus_name,
            ),
            mailer: SesMailer::new(aws_sdk_ses::Client::new(sdk)),
        }
    }
}

impl Adapters {
    /// The use cases over these adapters on the functions' clock (and the mailer, which only the
    /// mail-sending functions use).
    pub fn into_app(self) -> Result<(FunctionApp, SesMailer), ConfigError> {
        Ok((
            seikyu_service::App {
                store: self.store,
                archive: self.archive,
                queue: self.queue,
                bus: self.bus,
                clock: function_clock()?,
            },
            self.mailer,
        ))
    }
}

/// The SQS event's messages as `(message id, body)`.
pub fn sqs_messages(event: SqsEvent) -> Vec<(String, String)> {
    event
        .records
        .into_iter()
        .map(|r| (r.message_id.unwrap_or_default(), r.body.unwrap_or_default()))
        .collect()
}

/// The partial-batch response naming the messages to redeliver (ReportBatchItemFailures).
pub fn batch_response(failed: Vec<String>) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failed
        .into_iter()
        .map(|id| {
            let mut f = BatchItemFailure::default();
            f.item_identifier = id;
            f
        })
        .collect();
    response
}

/// JSON logs for CloudWatch, one line per event, level from `RUST_LOG` (default info).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .without_time()
        .with_target(false)
        .try_init();
}
