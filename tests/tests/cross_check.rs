//! The generated cross-check: several hundred random invoices (seikyu_tests::generate) go through
//! Seikyu's parser and validation; every one Seikyu accepts is rendered, and all the documents go
//! through the official rules in one validator call. An accepted input whose document has a fatal
//! finding fails the test, with the input printed: Seikyu must never number an invoice the official
//! rules reject.
//!
//! `SEIKYU_CROSS_CHECK_SEED` and `SEIKYU_CROSS_CHECK_COUNT` explore beyond the fixed default.

use std::collections::BTreeMap;

use seikyu_domain::parse::invoice_from_json;
use seikyu_domain::validate;
use seikyu_einvoice::render_to_vec;
use seikyu_tests::generate::{Rng, invoice, parties};
use seikyu_tests::{validate_files, validator};
use serde_json::Value;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn every_generated_invoice_seikyu_accepts_passes_the_official_rules() {
    let seed = env_u64("SEIKYU_CROSS_CHECK_SEED", 20_261_130);
    let count = env_u64("SEIKYU_CROSS_CHECK_COUNT", 600) as usize;
    let parties = parties();
    let mut rng = Rng::new(seed);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut accepted: Vec<(std::path::PathBuf, Value)> = Vec::new();
    let mut refused: BTreeMap<String, usize> = BTreeMap::new();
    for n in 0..count {
        let input = invoice(&mut rng, &parties, n);
        let bytes = serde_json::to_vec(&input).expect("json");
        let parsed = match invoice_from_json(&bytes) {
            Ok(p) => p,
            Err(e) => {
                *refused
                    .entry(format!("parse: {}", e.code.as_str()))
                    .or_default() += 1;
                continue;
            }
        };
        if let Err(errors) = validate(&parsed) {
            for e in &errors.errors {
                *refused.entry(e.code.as_str().to_string()).or_default() += 1;
            }
            continue;
        }
        let (xml, _) = render_to_vec(&parsed).unwrap_or_else(|e| {
            panic!(
                "an accepted invoice must render: {e}\n{}",
                serde_json::to_string_pretty(&input).unwrap_or_default()
            )
        });
        let path = dir.path().join(format!("gen-{n:05}.xml"));
        std::fs::write(&path, xml).expect("write");
        accepted.push((path, input));
    }
    eprintln!(
        "cross-check (seed {seed}): {count} generated, {} accepted; refusals by code: {refused:?}",
        accepted.len()
    );
    // The generator must keep producing mostly valid invoices, or the check proves little.
    assert!(
        accepted.len() * 2 >= count,
        "only {} of {count} generated invoices were accepted: {refused:?}",
        accepted.len()
    );
    let Some(v) = validator() else { return };
    let files: Vec<_> = accepted.iter().map(|(p, _)| p.clone()).collect();
    let reports = validate_files(&v, &files);
    assert_eq!(reports.len(), files.len());
    let mut failures = Vec::new();
    let mut by_rule: BTreeMap<String, usize> = BTreeMap::new();
    for (report, (path, input)) in reports.iter().zip(&accepted) {
        for layer in report.layers.values() {
            for f in &layer.fatal {
                *by_rule.entry(f.id.clone()).or_default() += 1;
            }
        }
        let fatal = seikyu_tests::fatal_findings(std::slice::from_ref(report));
        if !fatal.is_empty() {
            failures.push(format!(
                "{}:\n  {}\ninput:\n{}",
                path.display(),
                fatal.join("\n  "),
                serde_json::to_string_pretty(input).unwrap_or_default()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} accepted invoices fail the official rules (seed {seed}), by rule {by_rule:?}; the \
         first:\n{}",
        failures.len(),
        accepted.len(),
        failures.first().cloned().unwrap_or_default()
    );
    eprintln!(
        "cross-check: {} documents through the official rules, 0 fatal findings",
        accepted.len()
    );
}
