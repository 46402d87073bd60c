//! The contract suite on the in-memory store.

use seikyu_service::memory::MemoryStore;
use seikyu_tests::contract::*;
use seikyu_tests::dunning;

fn mem() -> std::sync::Arc<TestApp<MemoryStore>> {
    app(MemoryStore::default())
}

#[tokio::test]
async fn memory_tenants_and_keys() {
    tenants_and_keys(mem()).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_gapless_numbers_under_concurrency() {
    gapless_numbers_under_concurrency(mem(), 25).await;
}
#[tokio::test]
async fn memory_idempotency() {
    idempotency(mem()).await;
}
#[tokio::test]
async fn memory_tenant_isolation() {
    tenant_isolation(mem()).await;
}
#[tokio::test]
async fn memory_outbox_survives_a_failed_send() {
    outbox_survives_a_failed_send(mem()).await;
}
#[tokio::test]
async fn memory_screening() {
    screening(mem()).await;
}
#[tokio::test]
async fn memory_void_and_dispute() {
    void_and_dispute(mem()).await;
}
#[tokio::test]
async fn memory_search_by_date_amount_customer() {
    search_by_date_amount_customer(mem()).await;
}
#[tokio::test]
async fn memory_mailer_sends_once() {
    mailer_sends_once(mem()).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_pdfs_rendered_once() {
    pdfs_rendered_once(mem()).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_payments_apply_exactly_once() {
    payments_apply_exactly_once(mem()).await;
}
#[tokio::test]
async fn memory_webhook_endpoint() {
    webhook_endpoint(mem()).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_receipts_exactly_once() {
    receipts_exactly_once(mem()).await;
}
#[tokio::test]
async fn memory_manual_apply() {
    manual_apply(mem()).await;
}
#[tokio::test]
async fn memory_dunning_walks_every_stage() {
    dunning::walks_every_stage(mem()).await;
}
#[tokio::test]
async fn memory_dunning_tokyo_days_and_holidays() {
    dunning::tokyo_days_and_holidays(mem()).await;
}
#[tokio::test]
async fn memory_dunning_payment_race_and_disputes() {
    dunning::payment_race_and_disputes(mem()).await;
}
#[tokio::test]
async fn memory_dunning_installments() {
    dunning::installments(mem()).await;
}
#[tokio::test]
async fn memory_dunning_policy_api() {
    dunning::policy_api(mem()).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_dunning_reminder_sends_once() {
    dunning::reminder_sends_once(mem()).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_bank_reconciliation() {
    seikyu_tests::banking::bank_reconciliation(mem()).await;
}
#[tokio::test]
async fn memory_rf_references_over_camt() {
    seikyu_tests::banking::rf_references_over_camt(mem()).await;
}
#[tokio::test]
async fn memory_statements_of_two_formats() {
    seikyu_tests::banking::statements_of_two_formats(mem()).await;
}
#[tokio::test]
async fn memory_identifiers_per_invoice() {
    seikyu_tests::banking::identifiers_per_invoice(mem()).await;
}
