//! PDF rendering: a one-page invoice, a 500-line invoice (about 15 pages), a receipt-sized document.
//! Budgets (issue 15, this machine): one page ≤ 25 ms median, 500 lines ≤ 500 ms.
//!
//!     cargo bench -p seikyu-documents --bench pdf

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use seikyu_domain::parse::invoice_from_json;

fn ubl(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/valid")
        .join(format!("{name}.json"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let input = invoice_from_json(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    seikyu_einvoice::render_to_vec(&input)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .0
}

fn bench(c: &mut Criterion) {
    seikyu_documents::pdf::warm_up();
    let one_page = ubl("jp-mixed-standard-reduced");
    let peppol = ubl("eu-peppol-eur-standard");
    let long = ubl("jp-500-lines");
    let mut g = c.benchmark_group("pdf");
    g.sample_size(20);
    g.bench_function("invoice_one_page_ja", |b| {
        b.iter(|| seikyu_documents::pdf::invoice(&one_page).expect("pdf"))
    });
    g.bench_function("invoice_one_page_en", |b| {
        b.iter(|| seikyu_documents::pdf::invoice(&peppol).expect("pdf"))
    });
    g.sample_size(10);
    g.bench_function("invoice_500_lines", |b| {
        b.iter(|| seikyu_documents::pdf::invoice(&long).expect("pdf"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
