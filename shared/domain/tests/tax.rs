//! Known answers and properties of the invoice maths.

use std::str::FromStr;

use proptest::prelude::*;
use rust_decimal::Decimal;
use seikyu_domain::calc::{compute, compute_with};
use seikyu_domain::*;

/// A decimal literal as whatever kind the field holds (`Decimal`, `Quantity`, `TaxRate`, ...).
fn d<T: FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    s.parse().expect("test literal")
}

/// A computed decimal as a bounded kind.
fn k<K: seikyu_domain::values::DecimalKind>(v: Decimal) -> seikyu_domain::values::Dec<K> {
    v.try_into().expect("within the kind's range")
}

fn invoice(currency: &str, lines: Vec<Line>) -> InvoiceInput {
    let json = serde_json::json!({
        "number": "T-1",
        "issue_date": "2026-04-01",
        "due_date": "2026-04-30",
        "currency": currency,
        "period": {"start": "2026-03-01", "end": "2026-03-31"},
        "seller": {
            "name": "株式会社テスト", "tax_id": "T7123456789012", "registrant_kind": "corporation",
            "address": {"country": "JP"}, "endpoint": {"id": "7123456789012", "scheme": "0188"}
        },
        "buyer": {"name": "買手", "address": {"country": "JP"}, "endpoint": {"id": "7000012050002", "scheme": "0188"}},
        "lines": [],
    });
    let mut inv: InvoiceInput = serde_json::from_value(json).expect("test invoice");
    inv.lines = lines;
    inv
}

fn line(qty: &str, price: &str, cat: TaxCategory, rate: Option<&str>) -> Line {
    Line {
        id: None,
        name: "item".into(),
        description: None,
        seller_item_id: None,
        quantity: d(qty),
        unit_code: "C62".into(),
        unit_price: d(price),
        tax_category: cat,
        tax_rate: rate.map(d),
        exemption_reason: cat.needs_exemption_reason().then(|| "exempt".into()),
        allowances_charges: vec![],
        period: None,
        order_line_reference: None,
        note: None,
    }
}

#[test]
fn three_lines_of_105_yen_at_10_percent_floor_is_31_not_30() {
    let l = || line("1", "105", TaxCategory::S, Some("10"));
    let inv = invoice("JPY", vec![l(), l(), l()]);
    assert_eq!(inv.resolved_rounding(), RoundingMode::Floor);
    let t = compute(&inv).expect("computes");
    // One rounding per rate: floor(315 x 10%) = floor(31.5) = 31. Per line it would be 3 x floor(10.5) = 30.
    assert_eq!(t.breakdown.len(), 1);
    assert_eq!(t.breakdown[0].taxable, d("315"));
    assert_eq!(t.tax_total, d("31"));
    assert_eq!(t.tax_inclusive, d("346"));
    assert_eq!(t.payable, d("346"));
    assert!(validate(&inv).is_ok());
}

#[test]
fn the_rounding_mode_is_the_sellers_choice() {
    let l = || line("1", "105", TaxCategory::S, Some("10"));
    let inv = invoice("JPY", vec![l(), l(), l()]);
    let tax = |mode| compute_with(&inv, 0, mode).expect("computes").tax_total;
    assert_eq!(tax(RoundingMode::Floor), d("31"));
    assert_eq!(tax(RoundingMode::HalfUp), d("32"));
    assert_eq!(tax(RoundingMode::Ceiling), d("32"));
    let l = || line("1", "104", TaxCategory::S, Some("10"));
    let inv = invoice("JPY", vec![l(), l(), l()]);
    assert_eq!(
        compute_with(&inv, 0, RoundingMode::HalfUp)
            .expect("computes")
            .tax_total,
        d("31")
    );
    assert_eq!(
        compute_with(&inv, 0, RoundingMode::Ceiling)
            .expect("computes")
            .tax_total,
        d("32")
    );
}

#[test]
fn mixed_standard_and_reduced_rates_round_per_rate() {
    // Food at 8% (軽減税率) and goods at 10%.
    let inv = invoice(
        "JPY",
        vec![
            line("3", "398", TaxCategory::AA, Some("8")),  // 1194
            line("2", "1280", TaxCategory::S, Some("10")), // 2560
            line("1", "215", TaxCategory::AA, Some("8")),  // 215
            line("7", "33", TaxCategory::S, Some("10")),   // 231
        ],
    );
    let t = compute(&inv).expect("computes");
    assert_eq!(t.line_total, d("4200"));
    // Breakdown ordered S then AA.
    assert_eq!(t.breakdown[0].category, TaxCategory::S);
    assert_eq!(t.breakdown[0].taxable, d("2791"));
    assert_eq!(t.breakdown[0].tax, d("279")); // 279.1
    assert_eq!(t.breakdown[1].category, TaxCategory::AA);
    assert_eq!(t.breakdown[1].taxable, d("1409"));
    assert_eq!(t.breakdown[1].tax, d("112")); // 112.72 floored
    assert_eq!(t.tax_total, d("391"));
    assert_eq!(t.payable, d("4591"));
    assert!(t.check_invariants().is_empty());
}

#[test]
fn three_decimal_currency_rounds_to_its_minor_unit() {
    let mut inv = invoice(
        "BHD",
        vec![
            line("3", "1.2345", TaxCategory::S, Some("10")), // 3.7035 -> 3.704
            line("1", "0.3333", TaxCategory::S, Some("10")), // 0.3333 -> 0.333
        ],
    );
    inv.seller.tax_rounding = Some(RoundingMode::HalfUp);
    // In the currency's own minor unit (receipts, statements): three decimals.
    let t = compute_with(&inv, 3, RoundingMode::HalfUp).expect("computes");
    assert_eq!(t.lines[0].net, d("3.704"));
    assert_eq!(t.lines[1].net, d("0.333"));
    assert_eq!(t.tax_total, d("0.404")); // 4.037 x 10% = 0.4037
    assert_eq!(t.payable, d("4.441"));
    assert!(t.check_invariants().is_empty());
    // In an e-invoice, EN 16931 and PINT cap amounts at two decimals.
    let e = compute(&inv).expect("computes");
    assert_eq!(e.decimals, 2);
    assert_eq!(e.lines[0].net, d("3.70"));
    assert_eq!(e.payable, d("4.43")); // 3.70 + 0.33 + tax 0.40
}

#[test]
fn allowances_and_charges_enter_the_right_group() {
    let mut l1 = line("10", "1000", TaxCategory::S, Some("10"));
    l1.allowances_charges.push(AllowanceCharge {
        kind: ChargeKind::Allowance,
        amount: None,
        percent: Some(d("5")),
        base_amount: None,
        reason: Some("volume discount".into()),
        reason_code: Some("95".into()),
        tax_category: None,
        tax_rate: None,
        exemption_reason: None,
    });
    let mut inv = invoice(
        "JPY",
        vec![l1, line("1", "500", TaxCategory::AA, Some("8"))],
    );
    inv.allowances_charges.push(AllowanceCharge {
        kind: ChargeKind::Charge,
        amount: Some(d("800")),
        percent: None,
        base_amount: None,
        reason: Some("送料".into()),
        reason_code: None,
        tax_category: Some(TaxCategory::S),
        tax_rate: Some(d("10")),
        exemption_reason: None,
    });
    inv.allowances_charges.push(AllowanceCharge {
        kind: ChargeKind::Allowance,
        amount: Some(d("100")),
        percent: None,
        base_amount: None,
        reason: Some("値引き".into()),
        reason_code: None,
        tax_category: Some(TaxCategory::AA),
        tax_rate: Some(d("8")),
        exemption_reason: None,
    });
    let t = compute(&inv).expect("computes");
    assert_eq!(t.lines[0].allowance_charge_amounts, vec![d("500")]);
    assert_eq!(t.lines[0].net, d("9500"));
    assert_eq!(t.line_total, d("10000"));
    assert_eq!(t.allowance_total, d("100"));
    assert_eq!(t.charge_total, d("800"));
    assert_eq!(t.tax_exclusive, d("10700"));
    assert_eq!(t.breakdown[0].taxable, d("10300"));
    assert_eq!(t.breakdown[0].tax, d("1030"));
    assert_eq!(t.breakdown[1].taxable, d("400"));
    assert_eq!(t.breakdown[1].tax, d("32"));
    assert!(t.check_invariants().is_empty());
    assert!(validate(&inv).is_ok(), "{:?}", validate(&inv));
}

#[test]
fn tax_currency_is_converted_per_rate() {
    let mut inv = invoice(
        "USD",
        vec![
            line("1", "1000", TaxCategory::S, Some("10")),
            line("1", "100.55", TaxCategory::AA, Some("8")),
        ],
    );
    inv.tax_currency = Some(TaxCurrency {
        code: "JPY".into(),
        exchange_rate: d("151.37"),
    });
    let t = compute(&inv).expect("computes");
    assert_eq!(t.breakdown[0].tax, d("100.00"));
    assert_eq!(t.breakdown[1].tax, d("8.04")); // 8.044 floored
    assert_eq!(t.breakdown[0].tax_in_tax_currency, Some(d("15137")));
    assert_eq!(t.breakdown[1].tax_in_tax_currency, Some(d("1217"))); // 1217.0148
    assert_eq!(
        t.tax_total_in_tax_currency,
        Some(("JPY".into(), d("16354")))
    );
}

fn arb_line() -> impl Strategy<Value = Line> {
    let cats = prop_oneof![
        Just((TaxCategory::S, Some("10"))),
        Just((TaxCategory::AA, Some("8"))),
        Just((TaxCategory::E, Some("0"))),
        Just((TaxCategory::G, Some("0"))),
        Just((TaxCategory::O, None)),
    ];
    (
        -1_000i64..1_000_000,
        0u32..4,
        0i64..100_000_000,
        0u32..4,
        cats,
        prop::option::of(0i64..5_000),
    )
        .prop_map(|(q, qs, p, ps, (cat, rate), allowance)| {
            let mut l = line("0", "0", cat, rate);
            l.quantity = k(Decimal::new(q, qs));
            l.unit_price = k(Decimal::new(p, ps));
            if let Some(a) = allowance {
                l.allowances_charges.push(AllowanceCharge {
                    kind: ChargeKind::Allowance,
                    amount: Some(k(Decimal::new(a, 1))),
                    percent: None,
                    base_amount: None,
                    reason: Some("discount".into()),
                    reason_code: None,
                    tax_category: None,
                    tax_rate: None,
                    exemption_reason: None,
                });
            }
            l
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn totals_invariants_hold_for_random_invoices(
        lines in prop::collection::vec(arb_line(), 1..40),
        currency in prop_oneof![Just("JPY"), Just("EUR"), Just("USD"), Just("BHD")],
        mode in prop_oneof![Just(RoundingMode::Floor), Just(RoundingMode::HalfUp), Just(RoundingMode::Ceiling)],
        charge in 0i64..100_000,
    ) {
        let mut inv = invoice(currency, lines);
        inv.allowances_charges.push(AllowanceCharge {
            kind: ChargeKind::Charge,
            amount: Some(k(Decimal::new(charge, 2))),
            percent: None,
            base_amount: None,
            reason: Some("shipping".into()),
            reason_code: None,
            tax_category: Some(TaxCategory::S),
            tax_rate: Some(d("10")),
            exemption_reason: None,
        });
        inv.seller.tax_rounding = Some(mode);
        for decimals in [0u32, 2, 3] {
            let t = compute_with(&inv, decimals, mode).expect("bounded input computes");
            prop_assert!(t.check_invariants().is_empty(), "{:?}", t.check_invariants());
            // Tax per group is within one minor unit of the exact value and never rounded per line.
            let unit = Decimal::new(1, decimals);
            for b in &t.breakdown {
                let exact = b.rate.map_or(Decimal::ZERO, |r| b.taxable * r / Decimal::ONE_HUNDRED);
                prop_assert!((b.tax - exact).abs() < unit, "{} vs {}", b.tax, exact);
                match mode {
                    RoundingMode::Floor => prop_assert!(b.tax.abs() <= exact.abs()),
                    RoundingMode::Ceiling => prop_assert!(b.tax.abs() >= exact.abs()),
                    RoundingMode::HalfUp => prop_assert!((b.tax - exact).abs() * Decimal::TWO <= unit),
                }
            }
        }
    }
}
