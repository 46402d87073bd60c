//! Scale of bank reconciliation: a 10,000-entry Zengin statement against 100,000 stored invoices (33,334
//! buyers), on the in-memory store. Prints what the import read per entry (lookup items and index entries:
//! on the order of the entries, not of the invoices) and the time.
//!
//!     cargo run --release -p seikyu-tests --example reconcile_scale -- [INVOICES] [ENTRIES]

use std::time::Instant;

use rust_decimal::Decimal;
use seikyu_banking::zengin::write::{AccountHead, Deposit, notice};
use seikyu_domain::values::Count;
use seikyu_service::memory::MemoryStore;
use seikyu_service::ports::{InvoiceStore, Write};
use seikyu_service::record::BankSettings;
use seikyu_service::{CustomerUpdate, NewSeller};
use seikyu_tests::contract::{app, fixture};

/// A kana name per buyer index: distinct for every index.
fn kana(mut i: usize) -> String {
    const S: [&str; 40] = [
        "ｱ", "ｲ", "ｳ", "ｴ", "ｵ", "ｶ", "ｷ", "ｸ", "ｹ", "ｺ", "ｻ", "ｼ", "ｽ", "ｾ", "ｿ", "ﾀ", "ﾁ", "ﾂ",
        "ﾃ", "ﾄ", "ﾅ", "ﾆ", "ﾇ", "ﾈ", "ﾉ", "ﾊ", "ﾋ", "ﾌ", "ﾍ", "ﾎ", "ﾏ", "ﾐ", "ﾑ", "ﾒ", "ﾓ", "ﾔ",
        "ﾕ", "ﾖ", "ﾗ", "ﾘ",
    ];
    let mut s = String::new();
    for _ in 0..4 {
        s.push_str(S[i % 40]);
        i /= 40;
    }
    s.push_str("ｼﾖｳｼﾞ");
    s
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let invoices = args.first().copied().unwrap_or(100_000);
    let entries = args.get(1).copied().unwrap_or(10_000);
    let buyers = invoices / 3 + 1;
    let app = app(MemoryStore::default());
    let (seller, _) = app
        .create_seller(NewSeller {
            seller_id: "scale".parse().expect("id"),
            number_prefix: "SC".into(),
            fiscal_year_start_month: seikyu_domain::values::Month::known(4),
            profile: fixture("jp-standard-10-lines").seller,
            default_credit_limit: None,
            dunning_policy: None,
            banking: Some(BankSettings {
                accounts: vec!["0001-100-1-1234567".into()],
                ..BankSettings::default()
            }),
        })
        .await
        .expect("seller");
    let started = Instant::now();
    for b in 0..buyers {
        app.put_customer(
            &seller,
            &format!("C{b}"),
            CustomerUpdate {
                credit_limit: None,
                late_payments_12m: Count::known(0),
                kana_names: vec![format!("ｶ){}", kana(b))],
            },
        )
        .await
        .expect("customer");
    }
    // One invoice through the use case; the rest are copies of its record, inserted in bulk.
    let template = app
        .create_invoice(&seller, fixture("jp-standard-10-lines"))
        .await
        .expect("invoice");
    let mut records = Vec::with_capacity(invoices);
    for i in 0..invoices {
        let mut r = template.clone();
        r.invoice_id = format!("SC-{i:07}");
        r.number = r.invoice_id.clone();
        r.customer_id = Some(format!("C{}", i % buyers));
        r.payable = Decimal::from(10_000 + (i / buyers) * 1_000 + (i % 97) * 110);
        r.version = 1;
        records.push(r);
    }
    for chunk in records.chunks(500) {
        let writes: Vec<Write<'_>> = chunk.iter().map(Write::Insert).collect();
        app.store.commit(&writes).await.expect("stored");
    }
    eprintln!(
        "{buyers} buyers and {invoices} invoices stored in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let day = seikyu_domain::dates::tokyo_date(seikyu_service::ports::Clock::now(&app.clock));
    let deposits: Vec<Deposit> = (0..entries)
        .map(|n| {
            let r = &records[(n * 7919) % invoices];
            let b: usize = r.customer_id.as_deref().unwrap_or("C0")[1..]
                .parse()
                .unwrap_or(0);
            Deposit {
                reference_no: u32::try_from(n + 1).unwrap_or(0),
                date: day,
                amount: u64::try_from(r.payable.mantissa()).unwrap_or(0),
                payer: format!("{}(ｶ", kana(b)),
                remitter_code: None,
                edi: None,
                cancelled: false,
            }
        })
        .collect();
    let head = AccountHead {
        bank: "0001".into(),
        branch: "100".into(),
        kind: 1,
        number: "1234567".into(),
        name: "ｽｹｰﾙ".into(),
    };
    let file = notice(&head, day, &deposits);
    let parse_started = Instant::now();
    let parsed = seikyu_banking::parse(&file, day).expect("parses");
    let parse_seconds = parse_started.elapsed().as_secs_f64();
    let reads_before = app.store.bank_reads();
    let started = Instant::now();
    let received = app
        .receive_statement(&seller, &file, None)
        .await
        .expect("received");
    let done = Box::pin(app.import_statement(&received.archive_key))
        .await
        .expect("imported");
    let seconds = started.elapsed().as_secs_f64();
    let reads = app.store.bank_reads() - reads_before;
    println!(
        "{}",
        serde_json::json!({
            "invoices": invoices,
            "buyers": buyers,
            "entries": parsed.entries.len(),
            "file_bytes": file.len(),
            "parse_seconds": parse_seconds,
            "import_seconds": seconds,
            "entries_per_second": entries as f64 / seconds,
            "applied": done.applied,
            "unapplied": done.unapplied,
            "lookup_reads": reads,
            "lookup_reads_per_entry": reads as f64 / entries as f64,
        })
    );
}
