//! The reconciliation quality bar on a generated month (fixed seeds, so CI is reproducible): no deposit
//! applied other than its payer meant, at least 95% of those a careful person could place applied
//! automatically, and the money adds up. `cargo run --release -p seikyu-tests --example reconcile_month`
//! runs a larger month and prints the figures.

use seikyu_tests::reconcile_month::{Month, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_month_is_reconciled_without_a_wrong_application() {
    for seed in [1, 2, 3] {
        let r = Box::pin(run(Month {
            seed,
            buyers: 150,
            deposits: 400,
        }))
        .await;
        println!(
            "seed {seed}: {}",
            serde_json::to_string(&r).unwrap_or_default()
        );
        assert_eq!(r.applied_wrongly, 0, "seed {seed}: {:#?}", r.wrong);
        assert!(
            r.money_checked,
            "seed {seed}: Σ applied + Σ unapplied ≠ Σ deposits"
        );
        assert!(
            r.duplicates > 0 && r.reversed > 0,
            "seed {seed}: the month overlaps and reverses: {r:?}"
        );
        assert!(r.placeable > 200, "seed {seed}: {r:?}");
        assert!(
            r.automatic_share >= 0.95,
            "seed {seed}: automatic share {:.3}",
            r.automatic_share
        );
    }
}
