use chrono::{NaiveDate, TimeZone, Utc};
use seikyu_domain::parse::invoice_from_json;
use seikyu_service::memory::{FixedClock, MemoryArchive, MemoryStore};
use seikyu_service::ports::{DocumentArchive, InvoiceStore};
use seikyu_service::{IssueError, Issuer, SellerProfile, fiscal_year, sha256_hex};

fn fixture(name: &str) -> seikyu_domain::InvoiceInput {
    let path = format!(
        "{}/../../tests/fixtures/valid/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    invoice_from_json(&std::fs::read(path).expect("fixture")).expect("parses")
}

/// In-memory adapters and a clock at 10:00 JST on 2026-11-05.
struct Env {
    store: MemoryStore,
    archive: MemoryArchive,
    clock: FixedClock,
}

impl Env {
    fn new() -> Self {
        let at = Utc
            .with_ymd_and_hms(2026, 11, 5, 1, 0, 0)
            .single()
            .expect("time");
        Env {
            store: MemoryStore::default(),
            archive: MemoryArchive::default(),
            clock: FixedClock::new(at),
        }
    }
    fn issuer(&self) -> Issuer<'_, MemoryStore, MemoryArchive, FixedClock> {
        Issuer {
            store: &self.store,
            archive: &self.archive,
            clock: &self.clock,
        }
    }
}

fn seller() -> SellerProfile {
    SellerProfile {
        seller_id: "aozora".into(),
        number_prefix: "AOZ".into(),
        fiscal_year_start_month: 4,
    }
}

#[test]
fn fiscal_years_start_in_the_sellers_month() {
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
    assert_eq!(fiscal_year(d(2026, 3, 31), 4), 2025);
    assert_eq!(fiscal_year(d(2026, 4, 1), 4), 2026);
    assert_eq!(fiscal_year(d(2026, 1, 1), 1), 2026);
}

#[tokio::test]
async fn issuing_numbers_archives_and_records() {
    let env = Env::new();
    let (issuer, store, archive) = (env.issuer(), &env.store, &env.archive);
    let a = issuer
        .issue(&seller(), fixture("jp-standard-10-lines"))
        .await
        .expect("issues");
    let b = issuer
        .issue(&seller(), fixture("jp-mixed-standard-reduced"))
        .await
        .expect("issues");
    let cn = issuer
        .issue(&seller(), fixture("jp-credit-note"))
        .await
        .expect("issues");
    assert_eq!(a.record.number, "AOZ-2026-000001");
    assert_eq!(b.record.number, "AOZ-2026-000002");
    assert_eq!(cn.record.number, "AOZ-CN-2026-000001");
    let stored = archive
        .get(&a.record.ubl_key)
        .await
        .expect("archive")
        .expect("object");
    assert_eq!(sha256_hex(&stored), a.record.ubl_sha256);
    assert_eq!(
        store
            .get("aozora", &a.record.invoice_id)
            .await
            .expect("get"),
        Some(a.record.clone())
    );
    assert_eq!(store.list("aozora").await.expect("list").len(), 3);
    assert_eq!(a.record.payable, a.totals.payable);
}

#[tokio::test]
async fn a_rejected_invoice_takes_no_number() {
    let env = Env::new();
    let issuer = env.issuer();
    let mut bad = fixture("jp-standard-10-lines");
    bad.lines.clear();
    assert!(matches!(
        issuer.issue(&seller(), bad).await,
        Err(IssueError::Invalid(_))
    ));
    let ok = issuer
        .issue(&seller(), fixture("jp-standard-10-lines"))
        .await
        .expect("issues");
    assert_eq!(ok.record.number, "AOZ-2026-000001");
}

#[tokio::test]
async fn the_archive_is_write_once() {
    let archive = MemoryArchive::default();
    archive
        .put("k", "application/xml", b"one")
        .await
        .expect("put");
    archive
        .put("k", "application/xml", b"one")
        .await
        .expect("same bytes again is fine");
    assert!(archive.put("k", "application/xml", b"two").await.is_err());
}
