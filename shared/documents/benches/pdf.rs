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

/// `count` variants of `ubl`, each with its own number and buyer name: every render typesets new data,
/// as in production, instead of hitting typst's memo of the previous one.
fn variants(ubl: &[u8], count: usize) -> Vec<Vec<u8>> {
    let xml = String::from_utf8(ubl.to_vec()).expect("utf-8");
    let doc = seikyu_einvoice::read(&xml).expect("read");
    let number = doc.invoice.number.expect("number");
    let buyer = doc.invoice.buyer.name;
    (0..count)
        .map(|i| {
            xml.replace(&number, &format!("{number}{i:04}"))
                .replace(&buyer, &format!("{buyer} {i}"))
                .into_bytes()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    seikyu_documents::pdf::warm_up();
    let mut g = c.benchmark_group("pdf");
    for (name, fixture, samples) in [
        ("invoice_one_page_ja", "jp-mixed-standard-reduced", 20),
        ("invoice_one_page_en", "eu-peppol-eur-standard", 20),
        ("invoice_500_lines", "jp-500-lines", 10),
    ] {
        let docs = variants(&ubl(fixture), 64);
        let mut i = 0;
        g.sample_size(samples);
        g.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % docs.len();
                seikyu_documents::pdf::invoice(&docs[i]).expect("pdf")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
