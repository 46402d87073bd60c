//! The embedded adapters' own promises (the store's are the contract suite's: tests/tests/contract_sqlite.rs).

use std::sync::Arc;

use seikyu_local::{
    DataFolder, Db, Durability, FsArchive, LocalMailer, LocalQueueName, LocalSecrets, SqliteQueue,
    SqliteStore,
};
use seikyu_service::ports::{
    ArchiveError, DocumentArchive, MailError, Mailer, MessageQueue, TenantStore, WebhookSecrets,
};
use seikyu_service::record::QueueMessage;

fn db(dir: &std::path::Path) -> Arc<Db> {
    Arc::new(Db::open(&dir.join("seikyu.sqlite3"), Durability::Process).expect("database"))
}

fn message(event: &str, invoice: &str) -> QueueMessage {
    QueueMessage {
        event: event.into(),
        seller_id: "s1".into(),
        invoice_id: invoice.into(),
        payment: (event == "receipt.requested").then(|| "generic:p1".to_string()),
        as_of: None,
        receipt_id: None,
    }
}

#[tokio::test]
async fn the_archive_is_write_once_and_checked_on_read() {
    let dir = tempfile::tempdir().expect("dir");
    let db = db(dir.path());
    let queue = SqliteQueue::new(db.clone());
    let archive = FsArchive::new(db, dir.path().join("archive"), Some(queue.clone()));
    let key = "invoices/s1/AOZ-2026-000001-0123.xml";
    archive
        .put(key, "application/xml", b"<a/>")
        .await
        .expect("put");
    archive
        .put(key, "application/xml", b"<a/>")
        .await
        .expect("the same bytes again");
    assert_eq!(
        archive.put(key, "application/xml", b"<b/>").await,
        Err(ArchiveError::Immutable(key.into()))
    );
    assert_eq!(archive.get(key).await, Ok(Some(b"<a/>".to_vec())));
    assert_eq!(archive.get("invoices/s1/none.xml").await, Ok(None));
    for bad in [
        "../escape.xml",
        "/etc/passwd",
        "a/../../b",
        "a/.hidden",
        "",
        "a//b.xml",
        "a/./b.xml",
        "a/b/",
        "a\\b.xml",
    ] {
        assert!(archive.put(bad, "x", b"x").await.is_err(), "{bad:?}");
    }
    // A file changed on disk is never served.
    let path = dir.path().join("archive").join(key);
    std::fs::write(&path, b"<c/>").expect("tamper");
    assert!(matches!(
        archive.get(key).await,
        Err(ArchiveError::Corrupt(_))
    ));
    std::fs::remove_file(&path).expect("remove");
    assert!(matches!(
        archive.get(key).await,
        Err(ArchiveError::Corrupt(_))
    ));
    // No statement announced for a document.
    assert_eq!(queue.depth(LocalQueueName::Statements), Ok(0));
}

#[tokio::test]
async fn a_new_statement_is_announced_once_to_the_importer() {
    let dir = tempfile::tempdir().expect("dir");
    let db = db(dir.path());
    let queue = SqliteQueue::new(db.clone());
    let archive = FsArchive::new(db, dir.path().join("archive"), Some(queue.clone()));
    let key = "statements/s1/00ff.zengin";
    archive
        .put(key, "application/octet-stream", b"1")
        .await
        .expect("put");
    archive
        .put(key, "application/octet-stream", b"1")
        .await
        .expect("again");
    let got = queue
        .receive(LocalQueueName::Statements, 10, 60_000)
        .expect("receive");
    assert_eq!(got.len(), 1, "announced once");
    assert_eq!(
        seikyu_service::reconciliation::statements::created_keys(&got[0].body),
        Ok(vec![key.to_string()])
    );
}

#[tokio::test]
async fn queues_redeliver_and_dead_letter_as_sqs_does() {
    let dir = tempfile::tempdir().expect("dir");
    let q = SqliteQueue::new(db(dir.path()));
    q.send(&message("invoice.issued", "A-1"))
        .await
        .expect("send");
    q.send_batch(&[
        message("receipt.requested", "A-2"),
        message("invoice.issued", "A-3"),
    ])
    .await
    .expect("batch");
    assert_eq!(q.depth(LocalQueueName::Issued), Ok(2));
    assert_eq!(q.depth(LocalQueueName::Receipts), Ok(1));

    let first = q
        .receive(LocalQueueName::Issued, 1, 60_000)
        .expect("receive");
    assert_eq!(first.len(), 1);
    assert!(first[0].body.contains("A-1"), "oldest first");
    assert_eq!(first[0].receives, 1);
    // Hidden while in flight; the next one is still there.
    let second = q
        .receive(LocalQueueName::Issued, 10, 60_000)
        .expect("receive");
    assert_eq!(second.len(), 1);
    assert!(second[0].body.contains("A-3"));
    assert!(
        q.receive(LocalQueueName::Issued, 10, 60_000)
            .expect("receive")
            .is_empty()
    );
    q.delete(&[second[0].id.clone()]).expect("ack");

    // A failure brings it back after the back-off; the fifth failed delivery dead-letters it.
    for n in 1..=5 {
        q.failed(&first[0].id, 0).expect("failed");
        if n == 5 {
            break;
        }
        let again = q
            .receive(LocalQueueName::Issued, 10, 60_000)
            .expect("receive");
        assert_eq!(again.len(), 1, "delivery {}", n + 1);
        assert_eq!(again[0].receives, n + 1);
    }
    assert_eq!(q.depth(LocalQueueName::Issued), Ok(0));
    let dead = q.dead_letters().expect("dead letters");
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].queue, "issued");
    assert!(
        dead[0].reason.contains("5 deliveries"),
        "{}",
        dead[0].reason
    );

    // A process that died with a message in flight: visible again on the next start.
    let in_flight = q
        .receive(LocalQueueName::Receipts, 10, 600_000)
        .expect("receive");
    assert_eq!(in_flight.len(), 1);
    assert_eq!(q.release_in_flight(), Ok(1));
    let back = q
        .receive(LocalQueueName::Receipts, 10, 600_000)
        .expect("receive");
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].receives, 2);

    // A message that can never succeed goes to the dead-letter table at once, with why.
    q.dead_letter(
        seikyu_service::record::QueueName::Receipts,
        "{}",
        "not a message",
    )
    .await
    .expect("dead letter");
    assert_eq!(q.dead_letters().expect("dead").len(), 2);
}

#[tokio::test]
async fn a_hidden_message_comes_back_when_its_time_is_up_by_the_injected_clock() {
    use chrono::TimeZone as _;
    let dir = tempfile::tempdir().expect("dir");
    let t0 = chrono::Utc
        .with_ymd_and_hms(2026, 4, 1, 0, 0, 0)
        .single()
        .expect("time");
    let clock = Arc::new(seikyu_service::memory::FixedClock::new(t0));
    let db = Db::open_with_clock(
        &dir.path().join("seikyu.sqlite3"),
        Durability::Process,
        clock.clone(),
    )
    .expect("database");
    let q = SqliteQueue::new(Arc::new(db));
    q.send(&message("invoice.issued", "A-1"))
        .await
        .expect("send");
    let at = |ms: i64| t0 + chrono::Duration::milliseconds(ms);
    let got = q
        .receive(LocalQueueName::Issued, 10, 60_000)
        .expect("receive");
    assert_eq!(got.len(), 1);
    clock.set(at(59_999));
    assert!(
        q.receive(LocalQueueName::Issued, 10, 60_000)
            .expect("receive")
            .is_empty()
    );
    clock.set(at(60_000));
    let again = q
        .receive(LocalQueueName::Issued, 10, 60_000)
        .expect("receive");
    assert_eq!(again.len(), 1, "the visibility timeout has run out");
    assert_eq!(again[0].receives, 2);
    // A failure's back-off is counted from the failure.
    q.failed(&again[0].id, 30_000).expect("failed");
    clock.set(at(89_999));
    assert!(
        q.receive(LocalQueueName::Issued, 10, 60_000)
            .expect("receive")
            .is_empty()
    );
    clock.set(at(90_000));
    assert_eq!(
        q.receive(LocalQueueName::Issued, 10, 60_000)
            .expect("receive")
            .len(),
        1
    );
    // Received again and again and never answered (a consumer that hangs, or takes the process down):
    // after the fifth delivery's timeout it goes to the dead letters, not round once more.
    let mut t = 90_000;
    for n in 4..=5 {
        t += 60_000;
        clock.set(at(t));
        let got = q
            .receive(LocalQueueName::Issued, 10, 60_000)
            .expect("receive");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].receives, n);
    }
    clock.set(at(t + 60_000));
    assert!(
        q.receive(LocalQueueName::Issued, 10, 60_000)
            .expect("receive")
            .is_empty()
    );
    assert_eq!(q.depth(LocalQueueName::Issued).expect("depth"), 0);
    let dead = q.dead_letters().expect("dead letters");
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].reason, "received 5 times without an answer");
}

#[tokio::test]
async fn data_survives_reopening_and_one_process_holds_a_folder() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    {
        let folder = DataFolder::open(&data, Durability::Power, None, None).expect("open");
        let seller: seikyu_service::record::SellerAccount =
            serde_json::from_value(serde_json::json!({
                "seller_id": "s1", "number_prefix": "AOZ", "fiscal_year_start_month": 4,
                "profile": seikyu_tests_profile(), "default_credit_limit": null,
                "created_at": "2026-04-01T00:00:00Z"
            }))
            .expect("seller");
        folder
            .app
            .store
            .create_seller(&seller)
            .await
            .expect("create");
        assert!(matches!(
            DataFolder::open(&data, Durability::Process, None, None),
            Err(seikyu_local::serve::ServeError::Locked(_))
        ));
    }
    let folder = DataFolder::open(&data, Durability::Process, None, None).expect("reopen");
    let store: &SqliteStore = &folder.app.store;
    assert_eq!(
        store
            .get_seller("s1")
            .await
            .expect("get")
            .map(|s| s.number_prefix),
        Some("AOZ".to_string())
    );
}

/// The seller block of the Japanese fixture.
fn seikyu_tests_profile() -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/valid/jp-standard-10-lines.json");
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("json");
    v["seller"].clone()
}

#[tokio::test]
async fn webhook_secrets_come_from_files_or_the_environment() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::create_dir_all(dir.path().join("s1")).expect("dir");
    std::fs::write(dir.path().join("s1/stripe"), "whsec_old\n\nwhsec_new\n").expect("write");
    let secrets = LocalSecrets::new(
        Some(dir.path().to_path_buf()),
        Some(r#"{"s2/generic": ["from-env"]}"#),
    )
    .expect("secrets");
    assert_eq!(
        secrets.secrets("s1", "stripe").await.expect("read").len(),
        2
    );
    assert_eq!(
        secrets.secrets("s2", "generic").await.expect("read").len(),
        1
    );
    assert!(
        secrets
            .secrets("s1", "komoju")
            .await
            .expect("read")
            .is_empty()
    );
    assert!(
        secrets
            .secrets("..", "stripe")
            .await
            .expect("read")
            .is_empty()
    );
    assert!(LocalSecrets::new(None, Some("[1]")).is_err());
}

#[tokio::test]
async fn mail_is_written_as_eml_and_bad_addresses_are_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let mailer = LocalMailer::files(
        dir.path().join("mail"),
        Arc::new(seikyu_service::ports::SystemClock),
    );
    let raw = b"Subject: test\r\n\r\nbody\r\n";
    let id = mailer
        .send_raw("billing@example.jp", &["buyer@example.jp".into()], raw)
        .await
        .expect("sent");
    assert_eq!(
        std::fs::read(dir.path().join("mail").join(format!("{id}.eml"))).expect("file"),
        raw
    );
    assert!(matches!(
        mailer
            .send_raw("billing@example.jp", &["not an address".into()], raw)
            .await,
        Err(MailError::Rejected(_))
    ));
    assert!(LocalMailer::smtp("smtp://localhost:2525").is_ok());
    assert!(LocalMailer::smtp("ftp://nope").is_err());
}
