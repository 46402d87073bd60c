//! Whatever bytes arrive, the readers answer with entries or a refusal: no panic, no hang, bounded
//! memory (the size check comes before parsing).

use proptest::prelude::*;
use seikyu_banking::zengin::write::{AccountHead, Deposit, notice};
use seikyu_banking::{MAX_STATEMENT_BYTES, parse};

fn day() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("a date")
}

fn valid() -> Vec<u8> {
    let d = |no: u32, amount: u64, cancelled: bool| Deposit {
        reference_no: no,
        date: day(),
        amount,
        payer: "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ".into(),
        remitter_code: None,
        edi: Some("EDI".into()),
        cancelled,
    };
    notice(
        &AccountHead {
            bank: "0001".into(),
            branch: "100".into(),
            kind: 1,
            number: "1234567".into(),
            name: "ｾｲｷﾕｳ".into(),
        },
        day(),
        &[d(1, 1000, false), d(2, 2000, false), d(1, 1000, true)],
    )
}

const CAMT: &str = r#"<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct><Ntry><Amt Ccy="EUR">10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-11-30</Dt></BookgDt><AcctSvcrRef>A</AcctSvcrRef><NtryDtls><TxDtls><RmtInf><Ustrd>x</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>"#;

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..1_200)) {
        let _ = parse(&bytes, day());
    }

    #[test]
    fn a_zengin_file_with_bytes_changed_is_read_or_refused(
        edits in prop::collection::vec((0usize..1_200, any::<u8>()), 1..6),
        cut in 0usize..1_300,
    ) {
        let mut f = valid();
        for (at, b) in edits {
            let n = f.len();
            f[at % n] = b;
        }
        f.truncate(cut.max(1).min(f.len()));
        if let Ok(s) = parse(&f, day()) {
            // What is read back is well-formed.
            for e in &s.entries {
                prop_assert!(e.amount >= rust_decimal::Decimal::ZERO);
                prop_assert!(!e.entry_id.is_empty());
            }
        }
    }

    #[test]
    fn camt_with_bytes_changed_is_read_or_refused(edits in prop::collection::vec((0usize..600, any::<u8>()), 1..6)) {
        let mut f = CAMT.as_bytes().to_vec();
        for (at, b) in edits {
            let n = f.len();
            f[at % n] = b;
        }
        let _ = parse(&f, day());
    }
}

#[test]
fn the_valid_files_here_are_valid() {
    assert_eq!(parse(&valid(), day()).map(|s| s.entries.len()), Ok(3));
    assert_eq!(
        parse(CAMT.as_bytes(), day()).map(|s| s.entries.len()),
        Ok(1)
    );
}

#[test]
fn a_file_larger_than_any_statement_is_refused_before_parsing() {
    let big = vec![b'1'; usize::try_from(MAX_STATEMENT_BYTES).expect("fits") + 1];
    let e = parse(&big, day()).expect_err("refused");
    assert_eq!(e.at, "file");
    assert!(e.reason.contains("a statement is at most 64 MB"), "{e}");
}

#[test]
fn deep_and_wide_xml_is_bounded() {
    let deep = format!(
        r#"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">{}{}</Document>"#,
        "<a>".repeat(10_000),
        "</a>".repeat(10_000)
    );
    assert!(
        parse(deep.as_bytes(), day())
            .expect_err("refused")
            .reason
            .contains("deeply")
    );
}
