//! The reconciliation quality figure: a generated month of bank transfers with ground truth, imported and
//! scored (wrong applications, automatic share among deposits a careful person could place, time).
//!
//!     cargo run --release -p seikyu-tests --example reconcile_month -- [SEED] [BUYERS] [DEPOSITS]
//!
//! Defaults: seed 1, 600 buyers, 2,000 deposits. Prints the report as JSON.

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let month = seikyu_tests::reconcile_month::Month {
        seed: args.first().copied().unwrap_or(1),
        buyers: args.get(1).copied().unwrap_or(600) as usize,
        deposits: args.get(2).copied().unwrap_or(2_000) as usize,
    };
    let report = Box::pin(seikyu_tests::reconcile_month::run(month)).await;
    println!(
        "{}",
        serde_json::to_string_pretty(&report).unwrap_or_default()
    );
    if report.applied_wrongly > 0 || !report.money_checked {
        std::process::exit(1);
    }
}
