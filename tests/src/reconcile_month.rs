//! A realistic month of bank transfers with ground truth, for the reconciliation quality figure.
//!
//! From a seed: buyers with kana names (some long, some sharing a name, some paying through a virtual
//! account or with a payer code), their open invoices, and a month of deposits written as two Zengin 01
//! files whose periods overlap (days 1-20 and 15-end: every deposit of days 15-20 is in both). Deposits
//! are exact payments, payments less a transfer fee from the banks' fee list (¥110 to ¥880), combined
//! payments of two or three invoices, part payments, overpayments, payments by third parties, payments
//! under name variants (legal form before or after, spelled out, spaces, cut at 48 characters), a few
//! cancellations (取消) of earlier deposits, and deposits no rule can place.
//!
//! Every deposit carries what its payer meant (the invoices and amounts) and whether a careful person,
//! working through the statements in order, could place it from the statement alone (an identity: virtual account, payer code, or a name only one
//! buyer has; and one reading of the amount). The report counts: **wrong** (applied, but not as meant;
//! must be 0), **automatic share** (applied as meant, among those a careful person could place), the
//! money check (Σ applied + Σ unapplied = Σ deposits, fees apart), and time.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use chrono::{Datelike, Duration, NaiveDate};
use rust_decimal::Decimal;
use seikyu_banking::zengin::write::{AccountHead, Deposit, notice_groups};
use seikyu_domain::values::Count;
use seikyu_service::memory::MemoryStore;
use seikyu_service::ports::{PaymentStore, TenantStore};
use seikyu_service::reconciliation::deposit_id;
use seikyu_service::record::BankSettings;
use seikyu_service::{CustomerUpdate, NewSeller};
use serde_json::json;

use crate::contract::app;

/// The month's size.
#[derive(Debug, Clone, Copy)]
pub struct Month {
    pub seed: u64,
    pub buyers: usize,
    /// Deposits of the month (before duplicates and cancellations).
    pub deposits: usize,
}

/// What the run found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Report {
    pub buyers: usize,
    pub invoices: usize,
    pub deposits: usize,
    pub entries_read: usize,
    pub duplicates: u32,
    pub reversed: u32,
    pub placeable: usize,
    pub applied_as_meant: usize,
    pub applied_wrongly: usize,
    pub wrong: Vec<String>,
    pub unapplied: usize,
    pub automatic_share: f64,
    pub money_checked: bool,
    pub import_seconds: f64,
    pub entries_per_second: f64,
    pub store_reads_per_entry: f64,
}

/// SplitMix64: a small seeded generator (the run must be reproducible from its seed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

const SYLLABLES: [&str; 40] = [
    "ｱ", "ｲ", "ｳ", "ｴ", "ｵ", "ｶ", "ｷ", "ｸ", "ｹ", "ｺ", "ｻ", "ｼ", "ｽ", "ｾ", "ｿ", "ﾀ", "ﾁ", "ﾂ", "ﾃ",
    "ﾄ", "ﾅ", "ﾆ", "ﾉ", "ﾊ", "ﾋ", "ﾌ", "ﾎ", "ﾏ", "ﾐ", "ﾓ", "ﾔ", "ﾕ", "ﾖ", "ﾗ", "ﾘ", "ﾙ", "ﾚ", "ﾛ",
    "ﾜ", "ｶﾞ",
];
const TRADES: [&str; 8] = [
    "ｼﾖｳｼﾞ",
    "ｺｳｷﾞﾖｳ",
    "ｻｰﾋﾞｽ",
    "ﾃﾞﾝｷ",
    "ｹﾝｾﾂ",
    "ｼｽﾃﾑ",
    "ﾌﾞﾂﾘﾕｳ",
    "ｼﾖｸﾋﾝ",
];
/// Transfer fees on the banks' published lists (税込).
const FEES: [i64; 8] = [110, 220, 330, 440, 550, 660, 770, 880];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pays {
    /// Through the seller's own account under its name.
    Name,
    PayerCode,
    VirtualAccount,
}

struct Buyer {
    id: String,
    /// The name as the buyer's bank writes it (half-width kana, legal form first).
    kana: String,
    pays: Pays,
    va: Option<String>,
}

/// One deposit and what its payer meant.
struct Meant {
    account: String,
    entry: Deposit,
    /// (invoice id, money counted toward it).
    invoices: Vec<(String, Decimal)>,
    /// A careful person could place it from the statement alone.
    placeable: bool,
}

fn name(rng: &mut Rng, long: bool) -> String {
    let n = if long {
        18 + rng.below(8)
    } else {
        2 + rng.below(4)
    };
    let mut s = String::new();
    for _ in 0..n {
        s.push_str(SYLLABLES[rng.below(SYLLABLES.len())]);
    }
    s.push_str(TRADES[rng.below(TRADES.len())]);
    s
}

/// How a payer's bank writes a name registered as `ｶ)` + `base`.
fn variant(rng: &mut Rng, base: &str) -> String {
    match rng.below(6) {
        0 => format!("ｶ){base}"),
        1 => format!("{base}(ｶ"),
        2 => format!("(ｶ){base}"),
        3 => format!("ｶﾌﾞｼｷｶﾞｲｼﾔ {base}"),
        4 => {
            let cut = base.chars().count() / 2;
            let (a, b): (String, String) = (
                base.chars().take(cut).collect(),
                base.chars().skip(cut).collect(),
            );
            format!("ｶ) {a} {b}")
        }
        _ => format!("{base} (ｶ)"),
    }
}

/// The remitter name as the bank delivers it: at most 48 half-width characters.
fn cut48(s: &str) -> String {
    s.chars().take(48).collect()
}

/// Whether `amount` has exactly one reading over `open` (balances, oldest due first), as a careful
/// person reads it: one balance (equal ones: the oldest), else one set of 2-4 invoices, else one balance
/// short by at most ¥880, else one set short by at most ¥880, else everything open and a credit, else a
/// part of the oldest when it is less than every balance. Returns that reading's invoices. (Written
/// apart from the matcher, from the rules as the README states them.)
fn careful_reading(open: &[(String, Decimal)], amount: Decimal) -> Option<Vec<String>> {
    if let Some((id, _)) = open.iter().find(|(_, b)| *b == amount) {
        return Some(vec![id.clone()]);
    }
    let exact = subsets(open, |sum| sum == amount);
    match exact.len() {
        1 => return exact.into_iter().next(),
        0 => {}
        _ => return None,
    }
    let within: BTreeSet<Decimal> = open
        .iter()
        .map(|(_, b)| *b)
        .filter(|b| *b > amount && *b - amount <= Decimal::from(880))
        .collect();
    match within.len() {
        1 => {
            return open
                .iter()
                .find(|(_, b)| within.contains(b))
                .map(|(id, _)| vec![id.clone()]);
        }
        0 => {}
        _ => return None,
    }
    let short: Vec<Vec<String>> = subsets(open, |sum| {
        sum > amount && sum - amount <= Decimal::from(880)
    });
    match short.len() {
        1 => return short.into_iter().next(),
        0 => {}
        _ => return None,
    }
    let total: Decimal = open.iter().map(|(_, b)| *b).sum();
    if amount > total && open.len() <= 20 {
        return Some(open.iter().map(|(id, _)| id.clone()).collect());
    }
    // A part payment of the oldest only when it could not be another invoice paid with a credit.
    let oldest = open.first()?;
    (amount < oldest.1 - Decimal::from(880) && open.iter().all(|(_, b)| amount < *b))
        .then(|| vec![oldest.0.clone()])
}

/// Sets of 2-4 of `open` (the oldest 16) whose sum `fits`, one per distinct multiset of balances.
fn subsets(open: &[(String, Decimal)], fits: impl Fn(Decimal) -> bool) -> Vec<Vec<String>> {
    let mut seen: BTreeSet<Vec<Decimal>> = BTreeSet::new();
    let mut out = Vec::new();
    let n = open.len().min(16);
    for mask in 1u32..(1 << n) {
        if !(2..=4).contains(&mask.count_ones()) {
            continue;
        }
        let chosen: Vec<usize> = (0..n).filter(|i| mask & (1 << i) != 0).collect();
        let sum: Decimal = chosen.iter().map(|&i| open[i].1).sum();
        if fits(sum) {
            let mut key: Vec<Decimal> = chosen.iter().map(|&i| open[i].1).collect();
            key.sort();
            if seen.insert(key) {
                out.push(chosen.iter().map(|&i| open[i].0.clone()).collect());
            }
        }
    }
    out
}

/// Generate, import and score one month on the in-memory store.
pub async fn run(month: Month) -> Report {
    let app = app(MemoryStore::default());
    let mut rng = Rng(month.seed);
    let day0 = crate::dates::test_date();
    let start = day0.with_day(1).unwrap_or(day0);
    let main = "0001-100-1-1234567".to_string();
    let (seller, _) = app
        .create_seller(NewSeller {
            seller_id: "month".parse().expect("id"),
            number_prefix: "MON".into(),
            fiscal_year_start_month: seikyu_domain::values::Month::known(4),
            profile: crate::contract::fixture("jp-standard-10-lines").seller,
            default_credit_limit: None,
            dunning_policy: None,
            banking: Some(BankSettings {
                accounts: vec![main.clone()],
                payer_codes: true,
                ..BankSettings::default()
            }),
        })
        .await
        .expect("seller");
    // Buyers: a fifth through virtual accounts, a third with payer codes, the rest by name; some with
    // long names (cut at 48 by the bank), and a few pairs sharing one name.
    let pool: Vec<String> = (0..month.buyers)
        .map(|i| format!("0001-100-1-{:07}", 7_000_000 + i))
        .collect();
    let mut buyers: Vec<Buyer> = Vec::new();
    let mut va_taken = 0;
    for i in 0..month.buyers {
        let kana = if i > 0 && rng.chance(3) {
            buyers[rng.below(buyers.len())].kana.clone()
        } else {
            let long = rng.chance(8);
            name(&mut rng, long)
        };
        let pays = match rng.below(10) {
            0 | 1 => Pays::VirtualAccount,
            2..=4 => Pays::PayerCode,
            _ => Pays::Name,
        };
        buyers.push(Buyer {
            id: format!("B{i:05}"),
            kana,
            pays,
            va: None,
        });
    }
    for b in buyers.iter_mut().filter(|b| b.pays == Pays::VirtualAccount) {
        b.va = Some(pool[va_taken].clone());
        va_taken += 1;
    }
    // Each buyer's virtual account is its own (loaded, then taken by its first invoice in order).
    let vas: Vec<String> = buyers.iter().filter_map(|b| b.va.clone()).collect();
    for chunk in vas.chunks(1000) {
        app.load_virtual_accounts(&seller, chunk)
            .await
            .expect("pool");
    }
    for b in &buyers {
        app.put_customer(
            &seller,
            &b.id,
            CustomerUpdate {
                credit_limit: None,
                late_payments_12m: Count::known(0),
                kana_names: vec![format!("ｶ){}", b.kana)],
            },
        )
        .await
        .expect("customer");
    }
    // Open invoices: 1 to 4 per buyer, due on different days.
    let mut open: BTreeMap<String, Vec<(String, Decimal, NaiveDate)>> = BTreeMap::new();
    let mut invoices = 0;
    for b in &buyers {
        for k in 0..(1 + rng.below(4)) {
            let price = 1_000 * (5 + rng.below(400)) as i64 + 10 * rng.below(100) as i64;
            let mut v = crate::dates::fixture_on("jp-standard-10-lines", day0);
            v["buyer"]["customer_id"] = json!(b.id);
            v["due_date"] =
                json!((day0 + Duration::days(10 + 7 * k as i64 + rng.below(5) as i64)).to_string());
            v["lines"] = json!([{ "name": "業務委託料", "quantity": "1", "unit_code": "H87",
                "unit_price": price.to_string(), "tax_category": "S", "tax_rate": "10" }]);
            let input =
                seikyu_domain::parse::invoice_from_json(&serde_json::to_vec(&v).expect("json"))
                    .expect("invoice input");
            let r = app.create_invoice(&seller, input).await.expect("invoice");
            open.entry(b.id.clone()).or_default().push((
                r.invoice_id,
                r.payable,
                r.due_date.unwrap_or(day0),
            ));
            invoices += 1;
        }
    }
    // The virtual accounts went to the buyers in pool order; find which each got.
    let mut va_of: BTreeMap<String, String> = BTreeMap::new();
    let mut code_of: BTreeMap<String, String> = BTreeMap::new();
    for b in &buyers {
        let c = app
            .store
            .get_customer(&seller.seller_id, &b.id)
            .await
            .expect("read")
            .expect("customer");
        if let Some(va) = c.virtual_account {
            va_of.insert(b.id.clone(), va);
        }
        if let Some(code) = c.payer_code {
            code_of.insert(b.id.clone(), code);
        }
    }
    for list in open.values_mut() {
        list.sort_by(|a, b| (a.2, &a.0).cmp(&(b.2, &b.0)));
    }
    // Names only one buyer has.
    let mut name_count: BTreeMap<String, usize> = BTreeMap::new();
    for b in &buyers {
        *name_count
            .entry(seikyu_banking::kana::normalize(&b.kana))
            .or_default() += 1;
    }

    // The month's deposits.
    let mut meant: Vec<Meant> = Vec::new();
    let mut no_by_account: BTreeMap<String, u32> = BTreeMap::new();
    // In date order: what is open when a deposit is generated is what is open when it is imported.
    let days_in_month = 28;
    let mut days: Vec<NaiveDate> = (0..month.deposits)
        .map(|_| start + Duration::days(rng.below(days_in_month) as i64))
        .collect();
    days.sort();
    for d in days {
        let kind = rng.below(100);
        let b = &buyers[rng.below(buyers.len())];
        let list = open.get(&b.id).cloned().unwrap_or_default();
        let balances: Vec<(String, Decimal)> =
            list.iter().map(|(i, bal, _)| (i.clone(), *bal)).collect();
        if balances.is_empty() && kind < 92 {
            continue;
        }
        // Who pays and under which name.
        let third_party = rng.chance(5);
        let account = match va_of.get(&b.id) {
            Some(va) if b.pays == Pays::VirtualAccount => va.clone(),
            _ => main.clone(),
        };
        // A third party's name is not any buyer's (a company named exactly as a buyer is, paying for
        // another, is indistinguishable from that buyer to any reader of the statement).
        let mut payer = if third_party {
            let mut n = name(&mut rng, false);
            while name_count.contains_key(&seikyu_banking::kana::normalize(&n)) {
                n = name(&mut rng, false);
            }
            cut48(&format!("ｶ){n}"))
        } else {
            cut48(&variant(&mut rng, &b.kana))
        };
        if b.pays == Pays::PayerCode
            && let Some(code) = code_of.get(&b.id)
        {
            payer = cut48(&format!("{code} {payer}"));
        }
        let identity = account != main
            || (b.pays == Pays::PayerCode && code_of.contains_key(&b.id))
            || (!third_party
                && name_count.get(&seikyu_banking::kana::normalize(&b.kana)) == Some(&1));
        let (amount, paid): (Decimal, Vec<(String, Decimal)>) = match kind {
            0..=44 => {
                let (id, bal) = balances[rng.below(balances.len())].clone();
                (bal, vec![(id, bal)])
            }
            45..=59 => {
                let (id, bal) = balances[rng.below(balances.len())].clone();
                let fee = Decimal::from(*rng.pick(&FEES));
                (bal - fee, vec![(id, bal - fee)])
            }
            60..=71 if balances.len() >= 2 => {
                let k = 2 + rng.below(balances.len().min(3) - 1);
                let set: Vec<(String, Decimal)> = balances.iter().take(k).cloned().collect();
                (set.iter().map(|(_, b)| *b).sum(), set)
            }
            72..=79 => {
                let (id, bal) = balances[0].clone();
                let part = (bal * Decimal::from(3 + rng.below(5)) / Decimal::from(10)).round();
                (part, vec![(id, part)])
            }
            80..=85 if balances.len() == 1 => {
                let (id, bal) = balances[0].clone();
                let extra = Decimal::from(1_000 * (1 + rng.below(20)));
                (bal + extra, vec![(id, bal + extra)])
            }
            86..=91 => {
                let (id, bal) = balances[rng.below(balances.len())].clone();
                (bal, vec![(id, bal)])
            }
            _ => {
                // Nobody's: an unknown payer and an amount of its own.
                let no = no_by_account.entry(main.clone()).or_default();
                *no += 1;
                meant.push(Meant {
                    account: main.clone(),
                    entry: Deposit {
                        reference_no: *no,
                        date: d,
                        amount: 3_000 + rng.below(90_000) as u64,
                        payer: format!("ﾐｼﾗﾇ {}", name(&mut rng, false)),
                        remitter_code: None,
                        edi: None,
                        cancelled: false,
                    },
                    invoices: Vec::new(),
                    placeable: false,
                });
                continue;
            }
        };
        let reading = careful_reading(&balances, amount);
        let meant_ids: Vec<String> = paid.iter().map(|(i, _)| i.clone()).collect();
        // An amount that by coincidence reads as another set of the buyer's invoices (a part payment
        // equal to another invoice, say) is not generated: no reader of the statement could know.
        if reading.as_ref().is_some_and(|r| *r != meant_ids) {
            continue;
        }
        let placeable = identity && reading.is_some();
        // `open` is what a careful person working through the statements in order sees as open: a
        // deposit only they could place closes invoices (a part payment leaves its rest open); one they
        // could not place leaves them open, whatever its payer meant.
        let list = open.entry(b.id.clone()).or_default();
        for (id, money) in paid.iter().filter(|_| placeable) {
            if let Some(pos) = list.iter().position(|(i, _, _)| i == id) {
                let left = list[pos].1 - *money;
                // Short by a transfer fee: paid (the seller absorbs the fee).
                if left > Decimal::from(880) {
                    list[pos].1 = left;
                } else {
                    list.remove(pos);
                }
            }
        }
        let no = no_by_account.entry(account.clone()).or_default();
        *no += 1;
        meant.push(Meant {
            account,
            entry: Deposit {
                reference_no: *no,
                date: d,
                amount: u64::try_from(amount.mantissa()).unwrap_or(0),
                payer,
                remitter_code: None,
                edi: None,
                cancelled: false,
            },
            invoices: paid,
            placeable,
        });
    }
    meant.sort_by_key(|m| m.entry.date);
    // A few cancellations (取消) of exact payments, a day later, in the second file.
    let mut cancels: Vec<(String, Deposit)> = Vec::new();
    let mut cancelled: BTreeSet<usize> = BTreeSet::new();
    for (i, m) in meant.iter().enumerate() {
        if m.placeable && m.invoices.len() == 1 && rng.chance(2) && m.entry.date.day() < 27 {
            let mut c = m.entry.clone();
            c.cancelled = true;
            c.date = m.entry.date + Duration::days(1);
            cancels.push((m.account.clone(), c));
            cancelled.insert(i);
        }
    }
    // Two overlapping statements: days 1-20 and 15-end.
    let file = |from: u32, to: u32, extra: &[(String, Deposit)]| {
        let mut groups: BTreeMap<String, Vec<Deposit>> = BTreeMap::new();
        for m in meant
            .iter()
            .filter(|m| (from..=to).contains(&m.entry.date.day()))
        {
            groups
                .entry(m.account.clone())
                .or_default()
                .push(m.entry.clone());
        }
        for (a, c) in extra {
            groups.entry(a.clone()).or_default().push(c.clone());
        }
        let groups: Vec<(AccountHead, Vec<Deposit>)> = groups
            .into_iter()
            .map(|(a, v)| {
                let n: String = a.rsplit('-').next().unwrap_or_default().to_string();
                (
                    AccountHead {
                        bank: "0001".into(),
                        branch: "100".into(),
                        kind: 1,
                        number: n,
                        name: "ﾏﾝｽ(ｶ".into(),
                    },
                    v,
                )
            })
            .collect();
        notice_groups(start + Duration::days(i64::from(to)), &groups)
    };
    let first = file(1, 20, &[]);
    let second = file(15, 31, &cancels);

    // Import both, as the importer does.
    let started = Instant::now();
    let reads_before = app.store.bank_reads();
    let mut report = Report {
        buyers: month.buyers,
        invoices,
        deposits: meant.len(),
        ..Report::default()
    };
    for f in [&first, &second] {
        let received = app
            .receive_statement(&seller, f, None)
            .await
            .expect("received");
        let done = app
            .import_statement(&received.archive_key)
            .await
            .expect("imported");
        report.entries_read += usize::try_from(done.entries).unwrap_or(0);
        report.duplicates += done.duplicates;
        report.reversed += done.reversed;
    }
    report.import_seconds = started.elapsed().as_secs_f64();
    report.entries_per_second = report.entries_read as f64 / report.import_seconds.max(1e-9);
    report.store_reads_per_entry =
        (app.store.bank_reads() - reads_before) as f64 / report.entries_read.max(1) as f64;

    // Score every deposit against what its payer meant.
    let mut applied_money = Decimal::ZERO;
    let mut unapplied_money = Decimal::ZERO;
    let mut deposited = Decimal::ZERO;
    for (i, m) in meant.iter().enumerate() {
        let id = deposit_id(
            &m.account,
            &format!("{}-{:06}", m.entry.date, m.entry.reference_no),
        );
        let p = app
            .store
            .get_payment(&seller.seller_id, "bank", &id)
            .await
            .expect("read")
            .expect("every entry became a deposit");
        let decision = p.bank.as_ref().and_then(|b| b.decision.as_ref());
        let got: Vec<(String, Decimal)> = match decision.map(|d| &d.decision) {
            Some(seikyu_banking::matcher::Decision::Apply { allocations, .. }) => allocations
                .iter()
                .map(|a| (a.invoice_id.clone(), a.amount))
                .collect(),
            _ => Vec::new(),
        };
        let amount = Decimal::from(m.entry.amount);
        if !cancelled.contains(&i) {
            deposited += amount;
            if got.is_empty() {
                unapplied_money += p.ledger.net();
            } else {
                applied_money += got.iter().map(|(_, a)| *a).sum::<Decimal>();
            }
        }
        if m.placeable {
            report.placeable += 1;
        }
        if got.is_empty() {
            report.unapplied += 1;
            continue;
        }
        let mut want: Vec<String> = m.invoices.iter().map(|(i, _)| i.clone()).collect();
        let mut have: Vec<String> = got.iter().map(|(i, _)| i.clone()).collect();
        want.sort();
        have.sort();
        if want == have {
            if m.placeable {
                report.applied_as_meant += 1;
            }
        } else {
            report.applied_wrongly += 1;
            let how = decision.map(|d| d.explanation.clone()).unwrap_or_default();
            report.wrong.push(format!(
                "{id}: {} from {}: meant {want:?}, applied to {have:?} ({how})",
                m.entry.amount, m.entry.payer
            ));
        }
    }
    report.automatic_share = report.applied_as_meant as f64 / report.placeable.max(1) as f64;
    report.money_checked = applied_money + unapplied_money == deposited;
    report
}
