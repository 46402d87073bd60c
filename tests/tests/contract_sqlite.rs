//! The contract suite on the SQLite store of `seikyu serve` (a fresh data folder per check; the
//! concurrent checks run on four threads against its one writer connection and its readers).

use std::sync::Arc;

use seikyu_local::{Db, Durability, SqliteStore};
use seikyu_tests::contract::*;

fn sqlite() -> (tempfile::TempDir, Arc<TestApp<SqliteStore>>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Db::open(&dir.path().join("seikyu.sqlite3"), Durability::Process).expect("database");
    (dir, app(SqliteStore::new(Arc::new(db))))
}

macro_rules! contract {
    ($($name:ident => $check:expr),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $name() {
            let (_dir, app) = sqlite();
            ($check)(app).await;
        }
    )*};
}

contract! {
    sqlite_tenants_and_keys => tenants_and_keys,
    sqlite_gapless_numbers_under_concurrency => |app| gapless_numbers_under_concurrency(app, 25),
    sqlite_idempotency => idempotency,
    sqlite_tenant_isolation => tenant_isolation,
    sqlite_outbox_survives_a_failed_send => outbox_survives_a_failed_send,
    sqlite_screening => screening,
    sqlite_void_and_dispute => void_and_dispute,
    sqlite_search_by_date_amount_customer => search_by_date_amount_customer,
    sqlite_mailer_sends_once => mailer_sends_once,
    sqlite_pdfs_rendered_once => pdfs_rendered_once,
    sqlite_payments_apply_exactly_once => payments_apply_exactly_once,
    sqlite_webhook_endpoint => webhook_endpoint,
    sqlite_receipts_exactly_once => receipts_exactly_once,
    sqlite_manual_apply => manual_apply,
    sqlite_bank_reconciliation => seikyu_tests::banking::bank_reconciliation,
    sqlite_rf_references_over_camt => seikyu_tests::banking::rf_references_over_camt,
    sqlite_statements_of_two_formats => seikyu_tests::banking::statements_of_two_formats,
    sqlite_identifiers_per_invoice => seikyu_tests::banking::identifiers_per_invoice,
    sqlite_dunning_walks_every_stage => seikyu_tests::dunning::walks_every_stage,
    sqlite_dunning_tokyo_days_and_holidays => seikyu_tests::dunning::tokyo_days_and_holidays,
    sqlite_dunning_payment_race_and_disputes => seikyu_tests::dunning::payment_race_and_disputes,
    sqlite_dunning_installments => seikyu_tests::dunning::installments,
    sqlite_dunning_policy_api => seikyu_tests::dunning::policy_api,
    sqlite_dunning_reminder_sends_once => seikyu_tests::dunning::reminder_sends_once,
}
