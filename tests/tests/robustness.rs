//! Hostile input never panics, and whatever passes validation computes and renders.

use proptest::prelude::*;
use seikyu_domain::parse::invoice_from_json;
use seikyu_domain::validate;
use seikyu_einvoice::render_to_vec;
use seikyu_tests::fixtures;
use serde_json::Value;

fn hostile() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(Value::Bool(true)),
        Just(Value::String(String::new())),
        Just(Value::String("   ".into())),
        Just(Value::String("-1".into())),
        Just(Value::String("0".into())),
        Just(Value::String("1e30".into())),
        Just(Value::String("79228162514264337593543950335".into())),
        Just(Value::String("-79228162514264337593543950335".into())),
        Just(Value::String("0.0000000000000000000000000001".into())),
        Just(Value::String("2026-02-30".into())),
        Just(Value::String("9999-12-31".into())),
        Just(Value::String("ZZZ".into())),
        Just(Value::String("\u{0}\u{1}<&>".into())),
        Just(Value::String("長".repeat(10_000))),
        Just(serde_json::json!(1.5)),
        Just(serde_json::json!(-0.0001)),
        Just(serde_json::json!(1e300)),
        Just(serde_json::json!(u64::MAX)),
        Just(serde_json::json!([])),
        Just(serde_json::json!({})),
        any::<String>().prop_map(Value::String),
        any::<i64>().prop_map(|i| serde_json::json!(i)),
    ]
}

fn check(bytes: &[u8]) {
    let Ok(mut invoice) = invoice_from_json(bytes) else {
        return;
    };
    // The API assigns the number; rendering without one is a clean error, not a panic.
    invoice.number.get_or_insert_with(|| "N-1".into());
    if validate(&invoice).is_ok() {
        let rendered = render_to_vec(&invoice);
        assert!(
            rendered.is_ok(),
            "a validated invoice must render: {:?}",
            rendered.err()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn mutated_fixtures_never_panic(which in any::<prop::sample::Index>(), leaf in any::<prop::sample::Index>(), value in hostile()) {
        let all = fixtures("valid");
        let path = which.get(&all);
        let mut doc: Value = serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("json");
        let mut ptrs = Vec::new();
        seikyu_tests::json_leaves(&doc, String::new(), &mut ptrs);
        let ptr = leaf.get(&ptrs).clone();
        if let Some(slot) = doc.pointer_mut(&ptr) {
            *slot = value;
        }
        check(&serde_json::to_vec(&doc).expect("serialize"));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check(&bytes);
    }
}
