//! Rendering speed: the 10-line and the 500-line fixture into a reused buffer, each stage of a request
//! on its own (parse the JSON body, validate, compute), and the whole path from the JSON bytes to the
//! UBL document. Budget here: at most 30 µs to render a 10-line invoice, and the whole path within 1.5x
//! the render alone.
//!
//! cargo bench -p seikyu-einvoice --bench render

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use seikyu_domain::parse::invoice_from_json;
use seikyu_domain::{InvoiceInput, compute, validate};
use seikyu_einvoice::render;

fn fixture(name: &str) -> (Vec<u8>, InvoiceInput) {
    let path = format!(
        "{}/../../tests/fixtures/valid/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let invoice = invoice_from_json(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
    (bytes, invoice)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("render");
    for name in ["jp-standard-10-lines", "jp-500-lines"] {
        let (json, invoice) = fixture(name);
        let totals = compute(&invoice).expect("computes");
        let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
        g.throughput(Throughput::Elements(1));
        g.bench_function(format!("ubl/{name}"), |b| {
            b.iter(|| {
                buf.clear();
                let out =
                    render(black_box(&invoice), black_box(&totals), &mut buf).expect("renders");
                black_box(out);
            })
        });
        g.bench_function(format!("parse/{name}"), |b| {
            b.iter(|| black_box(invoice_from_json(black_box(&json)).expect("parses")))
        });
        g.bench_function(format!("validate/{name}"), |b| {
            b.iter(|| validate(black_box(&invoice)).expect("valid"))
        });
        g.bench_function(format!("compute/{name}"), |b| {
            b.iter(|| black_box(compute(black_box(&invoice)).expect("computes")))
        });
        g.bench_function(format!("json+validate+compute+ubl/{name}"), |b| {
            b.iter(|| {
                buf.clear();
                let invoice = invoice_from_json(black_box(&json)).expect("parses");
                validate(&invoice).expect("valid");
                let totals = compute(&invoice).expect("computes");
                let out = render(&invoice, &totals, &mut buf).expect("renders");
                black_box(out);
            })
        });
        g.bench_function(format!("validate+compute+ubl/{name}"), |b| {
            b.iter(|| {
                buf.clear();
                validate(black_box(&invoice)).expect("valid");
                let totals = compute(black_box(&invoice)).expect("computes");
                let out = render(&invoice, &totals, &mut buf).expect("renders");
                black_box(out);
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
