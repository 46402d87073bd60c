//! The matcher's rules, one table case each, and its invariants as properties.

use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;
use seikyu_banking::matcher::{
    Account, Clues, Decision, IdentifiedBy, OpenInvoice, Reason, Rule, Settings, Target, decide,
};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).expect("a date")
}

fn inv(id: &str, due: u32, balance: i64) -> OpenInvoice {
    OpenInvoice {
        invoice_id: id.into(),
        number: format!("N-{id}"),
        due_date: day(due),
        balance: Decimal::from(balance),
    }
}

fn buyer(b: &str, open: Vec<OpenInvoice>) -> Vec<Account> {
    vec![Account {
        buyer: b.into(),
        open,
    }]
}

fn by_name(b: &str) -> Clues {
    Clues {
        names: vec![b.into()],
        ..Clues::default()
    }
}

fn applied(d: &Decision) -> (Rule, Vec<(String, i64, i64, i64)>) {
    match d {
        Decision::Apply {
            rule, allocations, ..
        } => (
            *rule,
            allocations
                .iter()
                .map(|a| {
                    (
                        a.invoice_id.clone(),
                        i64::try_from(a.amount.mantissa()).unwrap_or(-1),
                        i64::try_from(a.credit.mantissa()).unwrap_or(-1),
                        i64::try_from(a.fee.mantissa()).unwrap_or(-1),
                    )
                })
                .collect(),
        ),
        other => panic!("not applied: {other:?}"),
    }
}

fn reason(d: &Decision) -> Reason {
    match d {
        Decision::Unapplied { reason, .. } => *reason,
        other => panic!("applied: {other:?}"),
    }
}

fn s() -> Settings {
    Settings::default()
}

#[test]
fn each_rule_in_its_order() {
    let a = buyer(
        "b",
        vec![
            inv("old", 5, 10_000),
            inv("mid", 10, 20_000),
            inv("new", 20, 10_000),
        ],
    );
    let d = |amount: i64| decide(Decimal::from(amount), &by_name("b"), &a, &s());
    // exact, oldest due first among equal balances
    assert_eq!(
        applied(&d(10_000)),
        (Rule::Exact, vec![("old".into(), 10_000, 0, 0)])
    );
    // combined: 20,000 + 10,000 is one reading (old+mid and mid+new differ only by equal balances)
    assert_eq!(
        applied(&d(30_000)),
        (
            Rule::Combined,
            vec![("old".into(), 10_000, 0, 0), ("mid".into(), 20_000, 0, 0)]
        )
    );
    // fee deducted: short of 20,000 by 660
    assert_eq!(
        applied(&d(19_340)),
        (Rule::FeeDeducted, vec![("mid".into(), 19_340, 0, 660)])
    );
    // overpaid: more than everything open
    assert_eq!(
        applied(&d(41_000)),
        (
            Rule::Overpaid,
            vec![
                ("old".into(), 10_000, 0, 0),
                ("mid".into(), 20_000, 0, 0),
                ("new".into(), 11_000, 1_000, 0)
            ]
        )
    );
    // part payment: less than the oldest beyond the tolerance
    assert_eq!(
        applied(&d(4_000)),
        (Rule::PartPayment, vec![("old".into(), 4_000, 0, 0)])
    );
    // between invoices: no rule
    assert_eq!(reason(&d(15_000)), Reason::NoRule);
    // combined with a fee: 10,000 + 20,000 - 440
    assert_eq!(
        applied(&d(29_560)),
        (
            Rule::CombinedFeeDeducted,
            vec![("old".into(), 10_000, 0, 0), ("mid".into(), 19_560, 0, 440)]
        )
    );
}

#[test]
fn ties_stay_unapplied_with_candidates() {
    // 30,000 is 10,000 + 20,000 and also 5,000 + 25,000.
    let a = buyer(
        "b",
        vec![
            inv("a", 1, 10_000),
            inv("b", 2, 20_000),
            inv("c", 3, 5_000),
            inv("d", 4, 25_000),
        ],
    );
    let d = decide(Decimal::from(30_000), &by_name("b"), &a, &s());
    assert_eq!(reason(&d), Reason::Tie);
    let Decision::Unapplied { candidates, .. } = d else {
        unreachable!()
    };
    assert!(candidates.len() >= 2 && candidates.len() <= 3);
    // Two invoices both within the fee tolerance of different balances.
    let a = buyer("b", vec![inv("a", 1, 10_000), inv("b", 2, 10_500)]);
    assert_eq!(
        reason(&decide(Decimal::from(9_800), &by_name("b"), &a, &s())),
        Reason::Tie
    );
}

#[test]
fn identities_decide_the_buyer_and_the_invoice() {
    let mut accounts = buyer("x", vec![inv("x1", 1, 5_000), inv("x2", 2, 7_000)]);
    accounts.extend(buyer("y", vec![inv("y1", 1, 5_000)]));
    let t = |b: &str, i: Option<&str>| Target {
        buyer: b.into(),
        invoice: i.map(str::to_string),
    };
    // a per-invoice virtual account names x2: read against x2 alone, even with an overpayment
    let clues = Clues {
        virtual_account: Some(t("x", Some("x2"))),
        names: vec!["y".into()],
        ..Clues::default()
    };
    let d = decide(Decimal::from(8_000), &clues, &accounts, &s());
    assert_eq!(
        applied(&d),
        (Rule::Overpaid, vec![("x2".into(), 8_000, 1_000, 0)])
    );
    assert!(matches!(
        d,
        Decision::Apply {
            identified_by: IdentifiedBy::VirtualAccount,
            ..
        }
    ));
    // a payer code of x and an RF of y disagree
    let clues = Clues {
        payer_code: Some(t("x", None)),
        rf: Some(t("y", Some("y1"))),
        ..Clues::default()
    };
    assert_eq!(
        reason(&decide(Decimal::from(5_000), &clues, &accounts, &s())),
        Reason::IdentitiesDisagree
    );
    // a name two buyers share
    let clues = Clues {
        names: vec!["x".into(), "y".into()],
        ..Clues::default()
    };
    assert_eq!(
        reason(&decide(Decimal::from(5_000), &clues, &accounts, &s())),
        Reason::NameShared
    );
    // nobody
    assert_eq!(
        reason(&decide(
            Decimal::from(5_000),
            &Clues::default(),
            &accounts,
            &s()
        )),
        Reason::UnknownPayer
    );
    // an invoice no longer open
    let clues = Clues {
        rf: Some(t("x", Some("gone"))),
        ..Clues::default()
    };
    assert_eq!(
        reason(&decide(Decimal::from(5_000), &clues, &accounts, &s())),
        Reason::InvoiceNotOpen
    );
}

#[test]
fn the_fee_tolerance_is_the_sellers() {
    let a = buyer("b", vec![inv("a", 1, 10_000)]);
    let tight = Settings {
        fee_tolerance: Decimal::from(220),
        ..Settings::default()
    };
    assert_eq!(
        applied(&decide(Decimal::from(9_780), &by_name("b"), &a, &tight)).0,
        Rule::FeeDeducted
    );
    assert_eq!(
        applied(&decide(Decimal::from(9_560), &by_name("b"), &a, &tight)).0,
        Rule::PartPayment
    );
}

fn arb_case() -> impl Strategy<Value = (Vec<i64>, i64, Vec<u32>)> {
    (
        prop::collection::vec(1i64..60_000, 0..8),
        1i64..200_000,
        prop::collection::vec(1u32..28, 8),
    )
}

proptest! {
    /// Whatever the amounts: the allocations hold exactly the deposit (no yen counted twice, none lost),
    /// each invoice at most once, none beyond its balance but the one carrying the credit, fees only on
    /// invoices short by at most the tolerance; and the order invoices arrive in changes nothing.
    #[test]
    fn allocations_hold_exactly_the_deposit((balances, amount, dues) in arb_case()) {
        let open: Vec<OpenInvoice> = balances
            .iter()
            .enumerate()
            .map(|(i, b)| inv(&format!("i{i}"), dues[i], *b))
            .collect();
        let settings = Settings::default();
        let amount = Decimal::from(amount);
        let d = decide(amount, &by_name("b"), &buyer("b", open.clone()), &settings);
        let mut reversed = open.clone();
        reversed.reverse();
        prop_assert_eq!(&d, &decide(amount, &by_name("b"), &buyer("b", reversed), &settings));
        if let Decision::Apply { allocations, .. } = &d {
            let sum: Decimal = allocations.iter().map(|a| a.amount).sum();
            prop_assert_eq!(sum, amount);
            let mut ids: Vec<&str> = allocations.iter().map(|a| a.invoice_id.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            prop_assert_eq!(ids.len(), allocations.len());
            let credits = allocations.iter().filter(|a| !a.credit.is_zero()).count();
            prop_assert!(credits <= 1);
            for a in allocations {
                let balance = open.iter().find(|i| i.invoice_id == a.invoice_id).map(|i| i.balance);
                let balance = balance.expect("allocated to one of the buyer's invoices");
                prop_assert!(a.amount > Decimal::ZERO);
                prop_assert!(a.amount - a.credit + a.fee <= balance);
                prop_assert!(a.fee <= settings.fee_tolerance);
                if !a.fee.is_zero() {
                    prop_assert_eq!(a.amount + a.fee, balance);
                }
            }
        }
    }

    /// Without an identity nothing is applied, whatever the amount.
    #[test]
    fn no_identity_no_application((balances, amount, dues) in arb_case()) {
        let open: Vec<OpenInvoice> = balances.iter().enumerate().map(|(i, b)| inv(&format!("i{i}"), dues[i], *b)).collect();
        let d = decide(Decimal::from(amount), &Clues::default(), &buyer("b", open), &Settings::default());
        prop_assert!(matches!(d, Decision::Unapplied { .. }), "{:?}", d);
    }
}
