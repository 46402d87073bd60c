//! Parse + match throughput of the pure crate: a 10,000-entry Zengin 01 file read and every deposit
//! matched against its buyer's open invoices (the service's store lookups are not part of this).

use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rust_decimal::Decimal;
use seikyu_banking::matcher::{Account, Clues, OpenInvoice, Settings, decide};
use seikyu_banking::zengin::write::{AccountHead, Deposit, notice};

const ENTRIES: usize = 10_000;

fn fixture() -> (Vec<u8>, Vec<Account>) {
    let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default();
    let head = AccountHead {
        bank: "0001".into(),
        branch: "100".into(),
        kind: 1,
        number: "1234567".into(),
        name: "ｾｲｷﾕｳ".into(),
    };
    let mut deposits = Vec::with_capacity(ENTRIES);
    let mut accounts = Vec::with_capacity(ENTRIES);
    for i in 0..ENTRIES {
        let amount = 10_000 + (i as u64 % 500) * 110;
        deposits.push(Deposit {
            reference_no: i as u32,
            date: day,
            amount: amount - if i % 3 == 0 { 440 } else { 0 },
            payer: format!("ｶ)ﾊﾞｲﾔ{i:05}"),
            remitter_code: None,
            edi: None,
            cancelled: false,
        });
        accounts.push(Account {
            buyer: format!("b{i}"),
            open: (0..3)
                .map(|k| OpenInvoice {
                    invoice_id: format!("i{i}-{k}"),
                    number: format!("N{i}-{k}"),
                    due_date: day,
                    balance: Decimal::from(amount + k * 1_000),
                })
                .collect(),
        });
    }
    (notice(&head, day, &deposits), accounts)
}

fn bench(c: &mut Criterion) {
    let (file, accounts) = fixture();
    let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default();
    let settings = Settings::default();
    let mut g = c.benchmark_group("statement");
    g.throughput(Throughput::Elements(ENTRIES as u64));
    g.bench_function("parse_zengin_01_10k", |b| {
        b.iter(|| seikyu_banking::parse(&file, day).map(|s| s.entries.len()))
    });
    g.bench_function("parse_and_match_10k", |b| {
        b.iter(|| {
            let st = seikyu_banking::parse(&file, day).expect("the bench file parses");
            st.entries
                .iter()
                .zip(&accounts)
                .filter(|(e, a)| {
                    let clues = Clues {
                        names: vec![a.buyer.clone()],
                        ..Clues::default()
                    };
                    matches!(
                        decide(e.amount, &clues, std::slice::from_ref(a), &settings),
                        seikyu_banking::matcher::Decision::Apply { .. }
                    )
                })
                .count()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
