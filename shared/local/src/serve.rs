//! `seikyu serve`: the HTTP API of invoice-api and payment-webhook (same routes, JSON and errors: the
//! same `seikyu_service::api` code) on one machine, with the jobs of the other functions running inside
//! on the embedded adapters:
//!
//! - queue consumers for `issued` (invoice-mailer), `receipts` (receipt-issuer), `reminders`
//!   (reminder-sender) and `statements` (bank-statement-importer), with SQS's rules: a failed message
//!   comes back after a back-off, a message that can never succeed goes to the dead-letter table at once,
//!   one that fails [`crate::queue::MAX_RECEIVES`] times goes there too;
//! - the outbox sweeper every minute and the dunning run daily at 09:00 Tokyo time; a run missed while
//!   the process was down is made up on start;
//! - `SIGTERM` or Ctrl-C: no new requests, in-flight requests and batches finish, then exit 0. A
//!   message received and not acknowledged when the process dies is delivered again on the next start.
//!
//! The HTTP server and the jobs run on separate threads, so typesetting a PDF never holds up a request.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use futures_util::FutureExt as _;
use seikyu_service::api::webhook::handle_webhook;
use seikyu_service::api::{ApiConfig, HttpRequest, HttpResponse, MAX_BODY_BYTES, error, handle};
use seikyu_service::delivery::jobs::{BatchReport, settle};
use seikyu_service::ports::{Clock, SystemClock};
use seikyu_service::record::QueueName;
use seikyu_service::{App, sha256_hex};
use serde_json::Value;
use tokio::sync::watch;

use crate::archive::FsArchive;
use crate::bus::LocalBus;
use crate::db::{Db, Durability};
use crate::mail::LocalMailer;
use crate::queue::{LocalQueueName, SqliteQueue};
use crate::secrets::LocalSecrets;
use crate::store::SqliteStore;

/// The use cases on the embedded adapters.
pub type LocalApp = App<SqliteStore, FsArchive, SqliteQueue, LocalBus, Arc<dyn Clock>>;

/// How long a received message stays hidden while its consumer works (a hung consumer's message comes
/// back after this; the functions' queues use 6 times the function timeout).
const VISIBILITY_MS: i64 = 360_000;
/// Messages per receive (SQS's batch size).
const BATCH: usize = 10;
/// Consumers also look for redelivered messages this often.
const POLL: Duration = Duration::from_secs(1);
/// The jobs' thread's nice value (on Linux, a thread's own; see `lower_priority`).
#[cfg(target_os = "linux")]
const JOBS_NICE: i32 = 10;
/// HTTP worker threads per core (see `run`).
const HTTP_THREADS_PER_CORE: usize = 4;
/// How long `SIGTERM` waits for open connections before closing them.
const DRAIN: Duration = Duration::from_secs(30);
const ADMIN_KEY_SETTING: &str = "admin_key_sha256";
const DUNNING_SETTING: &str = "dunning_last_run_day";

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    pub data: PathBuf,
    /// The sender of every mail.
    pub from: String,
    /// `smtp://` or `smtps://` URL; `None`: mail is written to `data/mail/*.eml`.
    pub smtp: Option<String>,
    /// The admin key (from the environment); `None`: the one made on the first start.
    pub admin_key: Option<String>,
    /// Webhook secrets as JSON (`SEIKYU_WEBHOOK_SECRETS`).
    pub webhook_secrets: Option<String>,
    /// Run the queue consumers and timers (off: the API alone; messages wait in the queues).
    pub jobs: bool,
    pub durability: Durability,
    /// Replace the admin key with a new one (printed once).
    pub new_admin_key: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0}")]
    Setup(String),
    #[error("data folder {0}: another seikyu serve is using it")]
    Locked(PathBuf),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

fn setup(e: impl std::fmt::Display) -> ServeError {
    ServeError::Setup(e.to_string())
}

/// A data folder opened for use: its database, adapters and the lock that keeps it to one process.
pub struct DataFolder {
    pub app: Arc<LocalApp>,
    pub db: Arc<Db>,
    pub mailer: LocalMailer,
    pub secrets: LocalSecrets,
    _lock: std::fs::File,
}

impl DataFolder {
    /// Open (creating it if needed) the data folder `dir`, on the system clock.
    pub fn open(
        dir: &Path,
        durability: Durability,
        smtp: Option<&str>,
        webhook_secrets: Option<&str>,
    ) -> Result<DataFolder, ServeError> {
        DataFolder::open_with_clock(
            dir,
            durability,
            smtp,
            webhook_secrets,
            Arc::new(SystemClock),
        )
    }

    /// [`DataFolder::open`] with every use case and adapter reading `clock`.
    pub fn open_with_clock(
        dir: &Path,
        durability: Durability,
        smtp: Option<&str>,
        webhook_secrets: Option<&str>,
        clock: Arc<dyn Clock>,
    ) -> Result<DataFolder, ServeError> {
        std::fs::create_dir_all(dir)?;
        let lock = std::fs::File::create(dir.join("seikyu.lock"))?;
        if lock.try_lock().is_err() {
            return Err(ServeError::Locked(dir.to_path_buf()));
        }
        let db = Arc::new(
            Db::open_with_clock(&dir.join("seikyu.sqlite3"), durability, clock.clone())
                .map_err(setup)?,
        );
        let queue = SqliteQueue::new(db.clone());
        let app = Arc::new(App {
            store: SqliteStore::new(db.clone()),
            archive: FsArchive::new(db.clone(), dir.join("archive"), Some(queue.clone())),
            queue,
            bus: LocalBus::new(db.clone()),
            clock: clock.clone(),
        });
        let mailer = match smtp {
            Some(url) => LocalMailer::smtp(url).map_err(setup)?,
            None => LocalMailer::files(dir.join("mail"), clock),
        };
        let secrets =
            LocalSecrets::new(Some(dir.join("secrets")), webhook_secrets).map_err(setup)?;
        Ok(DataFolder {
            app,
            db,
            mailer,
            secrets,
            _lock: lock,
        })
    }
}

fn new_admin_key() -> Result<String, ServeError> {
    let mut b = [0u8; 24];
    getrandom::fill(&mut b).map_err(setup)?;
    Ok(format!(
        "sk_admin_{}",
        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
    ))
}

/// The admin key's hash, and the key itself when it was made now (shown once, never stored).
fn admin_key(db: &Db, opts: &ServeOptions) -> Result<(String, Option<String>), ServeError> {
    if let Some(k) = opts.admin_key.as_deref().filter(|k| !k.is_empty()) {
        return Ok((sha256_hex(k.as_bytes()), None));
    }
    if !opts.new_admin_key
        && let Some(h) = db.setting(ADMIN_KEY_SETTING).map_err(setup)?
    {
        return Ok((h, None));
    }
    let key = new_admin_key()?;
    let hash = sha256_hex(key.as_bytes());
    db.set_setting(ADMIN_KEY_SETTING, &hash).map_err(setup)?;
    Ok((hash, Some(key)))
}

/// Run until `SIGTERM` or Ctrl-C. Prints where it listens (and a new admin key) on standard output.
pub fn run(opts: ServeOptions) -> Result<(), ServeError> {
    init_tracing();
    let data = DataFolder::open(
        &opts.data,
        opts.durability,
        opts.smtp.as_deref(),
        opts.webhook_secrets.as_deref(),
    )?;
    let (admin_hash, shown) = admin_key(&data.db, &opts)?;
    let released = data.app.queue.release_in_flight().map_err(setup)?;
    // The store's calls block (SQLite, the archive's files) on the worker that makes them: more workers
    // than cores keep the other requests moving while one waits for the writer.
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores * HTTP_THREADS_PER_CORE)
        .enable_all()
        .thread_name("seikyu-http")
        .build()?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind(opts.listen))?;
    let addr = listener.local_addr()?;
    banner(addr, &opts, shown.as_deref());
    tracing::info!(%addr, data = %opts.data.display(), redelivered = released, jobs = opts.jobs, "serving");

    let (stop_tx, stop_rx) = watch::channel(false);
    let stop_tx = Arc::new(stop_tx);
    let jobs = opts.jobs.then(|| {
        let (app, db, mailer, from, stop, ended) = (
            data.app.clone(),
            data.db.clone(),
            data.mailer.clone(),
            opts.from.clone(),
            stop_rx.clone(),
            stop_tx.clone(),
        );
        std::thread::Builder::new()
            .name("seikyu-jobs".into())
            .spawn(move || {
                let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    run_jobs(app, db, mailer, from, stop.clone());
                }));
                // Jobs that end before the process stops (they cannot start, or one panicked outside a
                // batch) stop the server too: an API whose mail never goes out must not look healthy.
                let early = !*stop.borrow();
                if early {
                    tracing::error!(
                        panicked = ran.is_err(),
                        "the jobs stopped; stopping the server"
                    );
                }
                ended.send_replace(true);
                early
            })
    });
    let jobs = jobs.transpose()?;

    let http = Arc::new(Http {
        app: data.app.clone(),
        secrets: data.secrets.clone(),
        api: ApiConfig {
            admin_key_sha256: Some(admin_hash),
        },
    });
    let router = axum::Router::new()
        .fallback(answer)
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(http);
    let signalled = stop_tx.clone();
    let (mut jobs_ended, mut stopping) = (stop_rx.clone(), stop_rx);
    let served = runtime.block_on(async move {
        let server = axum::serve(listener, router).with_graceful_shutdown(async move {
            tokio::select! {
                _ = shutdown_signal() => {
                    tracing::info!("stopping: no new requests; finishing those in flight");
                }
                _ = jobs_ended.wait_for(|s| *s) => {}
            }
            signalled.send_replace(true);
        });
        // A client that keeps its connection open does not hold the process past the drain time.
        let deadline = async move {
            let _ = stopping.wait_for(|s| *s).await;
            tokio::time::sleep(DRAIN).await;
        };
        tokio::select! {
            r = server => r,
            _ = deadline => {
                tracing::warn!(seconds = DRAIN.as_secs(), "connections still open after the drain time; closing them");
                Ok(())
            }
        }
    });
    // However the server ended, the jobs finish their batches and stop.
    stop_tx.send_replace(true);
    let jobs_failed = match jobs.map(std::thread::JoinHandle::join) {
        Some(Ok(early)) => early,
        Some(Err(_)) => true,
        None => false,
    };
    served?;
    if jobs_failed {
        return Err(ServeError::Setup(
            "the jobs stopped unexpectedly (see the log); nothing acknowledged is lost, start again"
                .into(),
        ));
    }
    tracing::info!("stopped");
    Ok(())
}

fn banner(addr: SocketAddr, opts: &ServeOptions, new_key: Option<&str>) {
    let url = format!("http://{addr}");
    println!("Seikyu serving {url}  (data: {})", opts.data.display());
    match new_key {
        Some(k) => {
            println!("Admin key (shown once; only its SHA-256 is kept): {k}");
            println!("Create a seller (its API key is in the answer):");
            println!(
                "  curl -s -X POST {url}/admin/sellers -H \"Authorization: Bearer {k}\" -d \"{{\\\"seller_id\\\": \\\"aozora\\\", \\\"number_prefix\\\": \\\"AOZ\\\", \\\"profile\\\": $(jq .seller tests/fixtures/valid/jp-standard-10-lines.json)}}\""
            );
        }
        None => println!(
            "Admin key: as set before (SEIKYU_ADMIN_KEY, or --new-admin-key for a new one)"
        ),
    }
    if !opts.jobs {
        println!(
            "Jobs are off (--no-jobs): mail, receipts, reminders and statements wait in the queues."
        );
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .try_init();
}

// ---- HTTP -------------------------------------------------------------------------------------------

struct Http {
    app: Arc<LocalApp>,
    secrets: LocalSecrets,
    api: ApiConfig,
}

fn response(r: HttpResponse) -> Response {
    Response::builder()
        .status(r.status)
        .header(CONTENT_TYPE, r.content_type)
        .body(Body::from(r.body))
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "a response could not be built");
            let mut fallback = Response::new(Body::from(
                r#"{"error":{"code":"internal","message":"the response could not be built"}}"#,
            ));
            *fallback.status_mut() = axum::http::StatusCode::INTERNAL_SERVER_ERROR;
            fallback
        })
}

/// Every request: the webhook route as payment-webhook answers it, everything else as invoice-api.
async fn answer(State(http): State<Arc<Http>>, req: Request) -> Response {
    let started = std::time::Instant::now();
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(e) => {
            let too_large = e
                .into_inner()
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some();
            return response(if too_large {
                error(
                    413,
                    "body_too_large",
                    &format!("at most {MAX_BODY_BYTES} bytes"),
                    &[],
                    Value::Null,
                )
            } else {
                error(
                    400,
                    "body_unreadable",
                    "the request body could not be read",
                    &[],
                    Value::Null,
                )
            });
        }
    };
    let path = parts.uri.path().to_string();
    let query: Vec<(String, String)> =
        form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let method = parts.method.as_str().to_string();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let r = match segments.as_slice() {
        ["webhooks", provider] => {
            if method == "POST" {
                let seller = query
                    .iter()
                    .find(|(k, _)| k == "seller")
                    .map(|(_, v)| v.as_str());
                handle_webhook(&*http.app, &http.secrets, provider, seller, &headers, &body).await
            } else {
                seikyu_service::api::not_found()
            }
        }
        _ => {
            let request = HttpRequest {
                method: method.clone(),
                path: path.clone(),
                query,
                headers,
                body: body.to_vec(),
            };
            handle(&*http.app, &http.api, request).await
        }
    };
    tracing::info!(%method, %path, status = r.status, ms = started.elapsed().as_millis() as u64, "answered");
    response(r)
}

// ---- jobs -------------------------------------------------------------------------------------------

/// The jobs' thread: its own runtime, so the HTTP threads never wait on a PDF being typeset.
fn run_jobs(
    app: Arc<LocalApp>,
    db: Arc<Db>,
    mailer: LocalMailer,
    from: String,
    stop: watch::Receiver<bool>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "the jobs could not start");
            return;
        }
    };
    lower_priority();
    seikyu_service::delivery::pdf::warm_up();
    let jobs = Jobs {
        app,
        db,
        mailer,
        from,
    };
    runtime.block_on(async {
        tokio::join!(
            jobs.consume(LocalQueueName::Issued, stop.clone()),
            jobs.consume(LocalQueueName::Receipts, stop.clone()),
            jobs.consume(LocalQueueName::Reminders, stop.clone()),
            jobs.consume(LocalQueueName::Statements, stop.clone()),
            jobs.outbox_sweeper(stop.clone()),
            jobs.dunning_timer(stop),
        );
    });
}

/// The jobs' thread yields the cores to the HTTP threads when both want them: a request is answered
/// first, and typesetting a PDF (the jobs' main cost) takes the time the requests leave. A busy API
/// makes mail lag behind it; the queue holds the work until there is time.
#[cfg(target_os = "linux")]
fn lower_priority() {
    let tid = rustix::thread::gettid();
    if let Err(e) = rustix::process::setpriority_process(Some(tid), JOBS_NICE) {
        tracing::warn!(error = %e, "the jobs run at the same priority as the requests");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

struct Jobs {
    app: Arc<LocalApp>,
    db: Arc<Db>,
    mailer: LocalMailer,
    from: String,
}

/// Back-off before a failed message is delivered again: 15 s, 30 s, 60 s, 120 s (five deliveries span
/// more than a send claim's 120 s, so a mail claimed by a delivery that died is sent, not dead-lettered).
fn backoff_ms(receives: i64) -> i64 {
    15_000 * (1i64 << receives.clamp(1, 5).saturating_sub(1))
}

/// Wait `d`, or less if the process is stopping; `true` when it is.
async fn pause(d: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    if *stop.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => {}
        _ = stop.changed() => {}
    }
    *stop.borrow()
}

impl Jobs {
    /// One queue's consumer: a batch at a time until the process stops (the batch in hand finishes).
    async fn consume(&self, queue: LocalQueueName, mut stop: watch::Receiver<bool>) {
        let q = &self.app.queue;
        loop {
            if *stop.borrow() {
                return;
            }
            let batch = match q.receive(queue, BATCH, VISIBILITY_MS) {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(queue = queue.as_str(), error = %e, "receive failed; trying again");
                    if pause(POLL, &mut stop).await {
                        return;
                    }
                    continue;
                }
            };
            if batch.is_empty() {
                tokio::select! {
                    _ = q.wait(queue) => {}
                    _ = tokio::time::sleep(POLL) => {}
                    _ = stop.changed() => {}
                }
                continue;
            }
            let messages: Vec<(String, String)> = batch
                .iter()
                .map(|m| (m.id.clone(), m.body.clone()))
                .collect();
            // A panic in a handler fails its batch (delivered again, dead-lettered after
            // MAX_RECEIVES) instead of ending every consumer with it.
            let failed = match std::panic::AssertUnwindSafe(self.handle(queue, &messages))
                .catch_unwind()
                .await
            {
                Ok(failed) => failed,
                Err(_) => {
                    tracing::error!(
                        queue = queue.as_str(),
                        messages = batch.len(),
                        "a handler panicked; the batch is delivered again"
                    );
                    batch.iter().map(|m| m.id.clone()).collect()
                }
            };
            let done: Vec<String> = batch
                .iter()
                .filter(|m| !failed.contains(&m.id))
                .map(|m| m.id.clone())
                .collect();
            if let Err(e) = q.delete(&done) {
                // Not acknowledged: delivered again later, and every consumer is idempotent.
                tracing::warn!(queue = queue.as_str(), error = %e, "could not acknowledge; the batch comes back");
            }
            for m in batch.iter().filter(|m| failed.contains(&m.id)) {
                if let Err(e) = q.failed(&m.id, backoff_ms(m.receives)) {
                    tracing::warn!(queue = queue.as_str(), error = %e, "could not schedule the retry; it comes back after the visibility timeout");
                }
            }
        }
    }

    /// The function's handler for `queue`; returns the ids to deliver again.
    async fn handle(&self, queue: LocalQueueName, messages: &[(String, String)]) -> Vec<String> {
        let app = &*self.app;
        match queue {
            LocalQueueName::Issued => {
                let report = seikyu_service::delivery::invoice_mail::handle_batch(
                    &app.store,
                    &app.archive,
                    &self.mailer,
                    &app.clock,
                    &self.from,
                    messages,
                )
                .await;
                settle(&app.queue, QueueName::Issued, report).await
            }
            LocalQueueName::Receipts => {
                let report = seikyu_service::receipts::handle_batch(
                    &app.store,
                    &app.archive,
                    &app.queue,
                    &app.clock,
                    messages,
                )
                .await;
                settle(&app.queue, QueueName::Receipts, report).await
            }
            LocalQueueName::Reminders => {
                let report = app.remind_batch(&self.mailer, &self.from, messages).await;
                settle(&app.queue, QueueName::Reminders, report).await
            }
            LocalQueueName::Statements => {
                let report = app.handle_statement_notifications(messages).await;
                settle_statements(&app.queue, report)
            }
        }
    }

    /// The outbox sweeper, every minute.
    async fn outbox_sweeper(&self, mut stop: watch::Receiver<bool>) {
        loop {
            if pause(Duration::from_secs(60), &mut stop).await {
                return;
            }
            loop {
                match self.app.sweep_outbox(100).await {
                    Ok(r) if r.delivered + r.failed > 0 => {
                        tracing::info!(delivered = r.delivered, failed = r.failed, "outbox swept");
                        if r.delivered + r.failed < 100 || r.failed > 0 {
                            break;
                        }
                    }
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "outbox sweep failed; next minute");
                        break;
                    }
                }
            }
        }
    }

    /// The dunning run at 09:00 Tokyo time each day, and on start for a run missed while stopped.
    async fn dunning_timer(&self, mut stop: watch::Receiver<bool>) {
        loop {
            let now = self.app.clock.now();
            let due = last_run_day(now);
            let last = self
                .db
                .setting(DUNNING_SETTING)
                .ok()
                .flatten()
                .and_then(|d| d.parse::<NaiveDate>().ok());
            let mut wait = next_run_at(now) - now;
            if last.is_none_or(|l| l < due) {
                match self.app.schedule_reminders(due).await {
                    Ok(r) => {
                        tracing::info!(as_of = %due, queued = r.queued, items_read = r.items_read, "reminders scheduled");
                        if let Err(e) = self.db.set_setting(DUNNING_SETTING, &due.to_string()) {
                            tracing::warn!(error = %e, "dunning run not recorded; it runs again (reminders are sent once)");
                        }
                    }
                    Err(e) => {
                        tracing::warn!(as_of = %due, error = %e, "dunning run failed; again in a minute");
                        wait = chrono::Duration::seconds(60);
                    }
                }
            }
            let wait = wait.to_std().unwrap_or(POLL).min(Duration::from_secs(3600));
            if pause(wait, &mut stop).await {
                return;
            }
        }
    }
}

/// The statements queue has no `QueueName` (S3 feeds it in AWS): its dead letters go to its own table.
fn settle_statements(queue: &SqliteQueue, report: BatchReport) -> Vec<String> {
    let mut failed = report.failed;
    for d in report.dead {
        if queue
            .dead_letter_raw(LocalQueueName::Statements, &d.body, &d.reason)
            .is_err()
        {
            failed.push(d.message_id);
        }
    }
    failed
}

/// 09:00 in Tokyo (no daylight saving time), as UTC.
fn nine_jst(day: NaiveDate) -> DateTime<Utc> {
    let at = day.and_time(NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default());
    at.and_utc() - chrono::Duration::hours(9)
}

/// The last day whose 09:00 (Tokyo) run is due at `now`.
pub fn last_run_day(now: DateTime<Utc>) -> NaiveDate {
    let today = seikyu_domain::dates::tokyo_date(now);
    if now >= nine_jst(today) {
        today
    } else {
        today.pred_opt().unwrap_or(today)
    }
}

/// The next 09:00 (Tokyo) after `now`.
pub fn next_run_at(now: DateTime<Utc>) -> DateTime<Utc> {
    let next = last_run_day(now).succ_opt().unwrap_or(NaiveDate::MAX);
    nine_jst(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_dunning_run_is_at_nine_in_tokyo() {
        let at = |h, m| {
            Utc.with_ymd_and_hms(2027, 3, 10, h, m, 0)
                .single()
                .expect("time")
        };
        let day = |d| NaiveDate::from_ymd_opt(2027, 3, d).expect("day");
        // 23:59 UTC on the 9th is 08:59 JST on the 10th: the 9th's run is the last one due.
        let before = Utc
            .with_ymd_and_hms(2027, 3, 9, 23, 59, 0)
            .single()
            .expect("time");
        assert_eq!(last_run_day(before), day(9));
        assert_eq!(next_run_at(before), at(0, 0));
        assert_eq!(last_run_day(at(0, 0)), day(10));
        assert_eq!(next_run_at(at(0, 0)), at(0, 0) + chrono::Duration::days(1));
        assert_eq!(last_run_day(at(14, 59)), day(10));
        // 00:00 JST on the 11th: still the 10th's run until 09:00.
        assert_eq!(last_run_day(at(15, 0)), day(10));
    }

    #[test]
    fn five_deliveries_outlast_a_send_claim() {
        let waited: i64 = (1..5).map(backoff_ms).sum();
        assert!(waited > seikyu_service::delivery::send_once::SEND_CLAIM_SECONDS * 1000);
        assert_eq!(backoff_ms(1), 15_000);
        assert_eq!(backoff_ms(9), 240_000);
    }
}
