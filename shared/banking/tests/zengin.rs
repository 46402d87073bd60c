//! Zengin files built field by field from the published layouts (positions 1-based, as in the 全銀協
//! tables; see the module documentation of `seikyu_banking::zengin` for the sources), not by the crate's
//! own writer, and read back; then the refusals; then a cross-check against zengin-fmt (crates.io), an
//! independent reader of 01 files.

use seikyu_banking::{Direction, Format, Statement, StatementError};

/// Read on the day these files were written for.
fn parse(bytes: &[u8]) -> Result<Statement, StatementError> {
    seikyu_banking::parse(
        bytes,
        chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("a date"),
    )
}

/// A 200-byte record of spaces with each field placed at its published 1-based start.
fn rec(fields: &[(usize, &[u8])]) -> Vec<u8> {
    let mut r = vec![b' '; 200];
    for (start, bytes) in fields {
        r[start - 1..start - 1 + bytes.len()].copy_from_slice(bytes);
    }
    r
}

/// Half-width kana and ASCII as Shift_JIS bytes.
fn k(s: &str) -> Vec<u8> {
    encoding_rs::SHIFT_JIS.encode(s).0.into_owned()
}

fn join(records: &[Vec<u8>], sep: &[u8]) -> Vec<u8> {
    records.join(sep)
}

/// 01 header: データ区分 1, 種別 01, コード区分 0, 作成日, 勘定日(自)(至), 銀行 0001 ﾐｽﾞﾎ, 支店 100
/// ﾎﾝﾃﾝ, 預金種目 1, 口座番号 1234567, 口座名.
fn header01(code: u8) -> Vec<u8> {
    rec(&[
        (1, b"1"),
        (2, b"01"),
        (4, &[code]),
        (5, b"081130"),
        (11, b"081130"),
        (17, b"081130"),
        (23, b"0001"),
        (27, &k("ﾐｽﾞﾎ")),
        (42, b"100"),
        (45, &k("ﾎﾝﾃﾝ")),
        (60, b"1"),
        (61, b"1234567"),
        (68, &k("ｾｲｷﾕｳ(ｶ")),
    ])
}

/// 01 data, format A: 照会番号 2/6, 勘定日 8/6, 起算日 14/6, 金額 20/10, 他店券 30/10, 依頼人コード
/// 40/10, 依頼人名 50/48, 仕向銀行 98/15, 仕向店 113/15, 取消区分 128/1, EDI 129/20.
fn data01a(no: &[u8; 6], amount: &[u8; 10], name: &str, cancel: u8, edi: &str) -> Vec<u8> {
    rec(&[
        (1, b"2"),
        (2, no),
        (8, b"081130"),
        (14, b"081201"),
        (20, amount),
        (30, b"0000000000"),
        (40, b"0000000000"),
        (50, &k(name)),
        (98, &k("ﾐﾂｲｽﾐﾄﾓ")),
        (113, &k("ｼﾌﾞﾔ")),
        (128, &[cancel]),
        (129, &k(edi)),
    ])
}

/// 01 trailer: 振込合計件数 2/6, 金額 8/12, 取消合計件数 20/6, 金額 26/12.
fn trailer01(count: &[u8; 6], sum: &[u8; 12], ccount: &[u8; 6], csum: &[u8; 12]) -> Vec<u8> {
    rec(&[(1, b"8"), (2, count), (8, sum), (20, ccount), (26, csum)])
}

fn end() -> Vec<u8> {
    rec(&[(1, b"9")])
}

fn file01a() -> Vec<u8> {
    join(
        &[
            header01(b'0'),
            data01a(b"000101", b"0000110000", "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ", b'0', "INV 0004521"),
            data01a(b"000102", b"0000009120", "1234566 ｽｽﾞｷ ﾀﾛｳ", b' ', ""),
            data01a(b"000101", b"0000110000", "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ", b'1', ""),
            trailer01(b"000003", b"000000229120", b"000001", b"000000110000"),
            end(),
        ],
        b"\r\n",
    )
}

fn lines(bytes: &[u8]) -> Result<Vec<String>, StatementError> {
    parse(bytes).map(|s| s.entries.iter().map(|e| e.json_line()).collect())
}

#[test]
fn zengin_01_format_a_reads_as_the_layout_says() {
    let st = parse(&file01a()).expect("a valid 01 A file");
    assert_eq!(st.format, Format::Zengin01A);
    let got = lines(&file01a()).expect("parses");
    assert_eq!(
        got,
        [
            r#"{"format":"zengin-01a","account":"0001-100-1-1234567","entry_id":"2026-11-30-000101","booking_date":"2026-11-30","value_date":"2026-12-01","direction":"credit","amount":"110000","currency":"JPY","payer_name":"ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ","payer_name_normalized":"ヤマダシヨウジ","reference":"INV 0004521","reversal":false}"#,
            r#"{"format":"zengin-01a","account":"0001-100-1-1234567","entry_id":"2026-11-30-000102","booking_date":"2026-11-30","value_date":"2026-12-01","direction":"credit","amount":"9120","currency":"JPY","payer_name":"1234566 ｽｽﾞｷ ﾀﾛｳ","payer_name_normalized":"スズキタロウ","reference":null,"reversal":false}"#,
            r#"{"format":"zengin-01a","account":"0001-100-1-1234567","entry_id":"2026-11-30-000101-cancel","booking_date":"2026-11-30","value_date":"2026-12-01","direction":"debit","amount":"110000","currency":"JPY","payer_name":"ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ","payer_name_normalized":"ヤマダシヨウジ","reference":null,"reversal":true}"#,
        ]
    );
    assert_eq!(
        st.entries[2].names.as_deref(),
        Some("000101"),
        "a cancellation names its 照会番号"
    );
}

/// 01 data, format B: 金額(1) 20/10, then 取消区分 128/1, 金額(2) 129/12, 他店券(2) 141/12, EDI 153/20.
fn data01b(no: &[u8; 6], amount1: &[u8; 10], amount2: &[u8; 12], name: &str, edi: &str) -> Vec<u8> {
    rec(&[
        (1, b"2"),
        (2, no),
        (8, b"010501"),
        (14, b"000000"),
        (20, amount1),
        (30, b"0000000000"),
        (40, b"0000000000"),
        (50, &k(name)),
        (128, b"0"),
        (129, amount2),
        (141, b"000000000000"),
        (153, &k(edi)),
    ])
}

fn file01b() -> Vec<u8> {
    join(
        &[
            header01(b'0'),
            data01b(
                b"000001",
                b"0000050000",
                b"000000000000",
                "ﾄﾞ)ｱｵｿﾞﾗ",
                "EDI-B-1",
            ),
            // Beyond ten digits: 金額(1) zero, 金額(2) holds 12,345,678,901 yen.
            data01b(b"000002", b"0000000000", b"012345678901", "ｻﾞｲ)ﾐﾗｲｷｷﾝ", ""),
            trailer01(b"000002", b"012345728901", b"000000", b"000000000000"),
            end(),
        ],
        b"\n",
    )
}

#[test]
fn zengin_01_format_b_reads_both_amount_fields_and_the_moved_edi() {
    let file = file01b();
    let st = parse(&file).expect("a valid 01 B file");
    assert_eq!(st.format, Format::Zengin01B);
    let e = &st.entries;
    assert_eq!(e[0].amount.to_string(), "50000");
    assert_eq!(e[0].reference.as_deref(), Some("EDI-B-1"));
    assert_eq!(
        e[0].booking_date.to_string(),
        "2019-05-01",
        "令和元年5月1日"
    );
    assert_eq!(
        e[0].value_date, e[0].booking_date,
        "blank 起算日 is the booking date"
    );
    assert_eq!(e[1].amount.to_string(), "12345678901");
    assert_eq!(e[1].payer_name_normalized.as_deref(), Some("ミライキキン"));
    assert!(e.iter().all(|x| x.format == Format::Zengin01B));
}

/// 03 header: 種別 03, 銀行 23/4, 支店 42/3, ダミー 60/3 "000", 預金種目 63/1, 口座番号 64/10, 口座名 74/40,
/// 貸越区分 114/1, 通帳・証書区分 115/1, 取引前残高 116/14.
fn header03(account: &[u8; 10], opening: &[u8; 14]) -> Vec<u8> {
    rec(&[
        (1, b"1"),
        (2, b"03"),
        (4, b"0"),
        (5, b"081130"),
        (11, b"081101"),
        (17, b"081130"),
        (23, b"0005"),
        (27, &k("ﾐﾂﾋﾞｼ")),
        (42, b"200"),
        (45, &k("ｼﾝｼﾞﾕｸ")),
        (60, b"000"),
        (63, b"2"),
        (64, account),
        (74, &k("ｾｲｷﾕｳ(ｶ")),
        (114, b"1"),
        (115, b"1"),
        (116, opening),
    ])
}

/// 03 data: 照会番号 2/8, 勘定日 10/6, 預入・払出日 16/6, 入払区分 22/1, 取引区分 23/2, 取引金額 25/12,
/// 他店券 37/12, 依頼人コード 72/10, 依頼人名 82/48, 摘要 160/20, EDI 180/20.
fn data03(
    no: &[u8; 8],
    dir: u8,
    kind: &[u8; 2],
    amount: &[u8; 12],
    name: &str,
    memo: &str,
    edi: &str,
) -> Vec<u8> {
    rec(&[
        (1, b"2"),
        (2, no),
        (10, b"081105"),
        (16, b"081105"),
        (22, &[dir]),
        (23, kind),
        (25, amount),
        (37, b"000000000000"),
        (49, b"000000"),
        (55, b"000000"),
        (61, b"0"),
        (62, b"0000000"),
        (69, b"000"),
        (72, b"0000000000"),
        (82, &k(name)),
        (160, &k(memo)),
        (180, &k(edi)),
    ])
}

/// 03 trailer: 入金件数 2/6, 入金額合計 8/13, 出金件数 21/6, 出金額合計 27/13, 貸越区分 40/1, 取引後残高
/// 41/14, データ・レコード件数 55/7.
fn trailer03(
    cr: &[u8; 6],
    crs: &[u8; 13],
    dr: &[u8; 6],
    drs: &[u8; 13],
    closing: &[u8; 14],
    n: &[u8; 7],
) -> Vec<u8> {
    rec(&[
        (1, b"8"),
        (2, cr),
        (8, crs),
        (21, dr),
        (27, drs),
        (40, b"1"),
        (41, closing),
        (55, n),
    ])
}

/// End of a 03 file: レコード総件数 2/10 (the end record included), 口座数 12/5.
fn end03(total: &[u8; 10], accounts: &[u8; 5]) -> Vec<u8> {
    rec(&[(1, b"9"), (2, total), (12, accounts)])
}

fn file03() -> Vec<u8> {
    join(
        &[
            header03(b"0007654321", b"00000001000000"),
            data03(
                b"00000001",
                b'1',
                b"11",
                b"000000055000",
                "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ",
                "ﾌﾘｺﾐ",
                "EDI03",
            ),
            data03(b"00000002", b'2', b"14", b"000000020000", "", "ﾃﾞﾝｷﾀﾞｲ", ""),
            data03(
                b"00000003",
                b'2',
                b"19",
                b"000000055000",
                "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ",
                "ﾃｲｾｲ",
                "",
            ),
            trailer03(
                b"000001",
                b"0000000055000",
                b"000002",
                b"0000000075000",
                b"00000000980000",
                b"0000003",
            ),
            header03(b"0001111111", b"00000000000000"),
            data03(b"00000009", b'1', b"10", b"000000001000", "", "", ""),
            trailer03(
                b"000001",
                b"0000000001000",
                b"000000",
                b"0000000000000",
                b"00000000001000",
                b"0000001",
            ),
            end03(b"0000000009", b"00002"),
        ],
        b"",
    )
}

#[test]
fn zengin_03_two_accounts_no_separators_corrections_reverse() {
    let st = parse(&file03()).expect("a valid 03 file");
    assert_eq!(st.format, Format::Zengin03);
    let e = &st.entries;
    assert_eq!(e.len(), 4);
    assert_eq!(
        e[0].account, "0005-200-2-7654321",
        "a 10-digit 口座番号 becomes 7 digits"
    );
    assert_eq!(e[0].entry_id, "2026-11-05-00000001");
    assert_eq!(e[0].direction, Direction::Credit);
    assert_eq!(
        e[0].reference.as_deref(),
        Some("EDI03"),
        "the reference is EDI, never 摘要"
    );
    assert_eq!(e[1].direction, Direction::Debit);
    assert_eq!(e[1].reference, None, "摘要 is never the reference");
    assert!(
        e[2].reversal && e[2].direction == Direction::Debit,
        "取引区分 19 is a correction"
    );
    assert_eq!(e[3].account, "0005-200-2-1111111");
    assert!(!e[3].reversal);
}

#[test]
fn separators_lf_none_and_a_final_eof_mark_all_read() {
    let records = [
        header01(b'0'),
        data01a(b"000001", b"0000001000", "ﾃｽﾄ", b'0', ""),
        trailer01(b"000001", b"000000001000", b"000000", b"000000000000"),
        end(),
    ];
    for (sep, tail) in [
        (&b"\r\n"[..], &b"\r\n\x1a"[..]),
        (b"\n", b"\n"),
        (b"", b"\x1a"),
        (b"", b""),
    ] {
        let mut f = join(&records, sep);
        f.extend(tail);
        let st = parse(&f).unwrap_or_else(|e| panic!("{sep:?} {tail:?}: {e}"));
        assert_eq!(st.entries.len(), 1);
    }
}

fn refused(bytes: &[u8]) -> String {
    match parse(bytes) {
        Ok(s) => panic!("accepted: {:?}", s.entries.len()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn refusals_name_the_record_and_the_reason() {
    let good = file01a();
    // truncated: the last record cut
    let cut = &good[..good.len() - 50];
    assert!(
        refused(cut).starts_with("record 6: 150 bytes"),
        "{}",
        refused(cut)
    );
    // a line of 199 bytes
    let mut short = good.clone();
    short.remove(250);
    let msg = refused(&short);
    assert!(
        msg.starts_with("record 2:") && msg.contains("200 bytes"),
        "{msg}"
    );
    // the trailer's count and sum
    let mut bad = vec![
        header01(b'0'),
        data01a(b"000001", b"0000001000", "ﾃｽﾄ", b'0', ""),
        trailer01(b"000002", b"000000001000", b"000000", b"000000000000"),
        end(),
    ];
    let msg = refused(&join(&bad, b"\r\n"));
    assert!(
        msg.starts_with("record 3: trailer 振込合計件数 is 2, but the records add up to 1"),
        "{msg}"
    );
    bad[2] = trailer01(b"000001", b"000000001001", b"000000", b"000000000000");
    assert!(refused(&join(&bad, b"\r\n")).contains("振込合計金額 is 1001"));
    bad[2] = trailer01(b"000001", b"000000001000", b"000001", b"000000001000");
    assert!(refused(&join(&bad, b"\r\n")).contains("取消合計件数 is 1"));
    // EBCDIC: declared, or the bytes themselves
    bad[0] = header01(b'1');
    bad[2] = trailer01(b"000001", b"000000001000", b"000000", b"000000000000");
    let msg = refused(&join(&bad, b"\r\n"));
    assert!(msg.starts_with("record 1: コード区分 1 (EBCDIC)"), "{msg}");
    assert!(refused(&[0xF1, 0xF0, 0xF1, 0xF1]).contains("EBCDIC"));
    // unknown formats
    assert!(refused(b"hello").contains("unknown format"));
    assert!(refused(b"").contains("empty"));
    let mut other = header01(b'0');
    other[1..3].copy_from_slice(b"21");
    assert!(refused(&other).contains("種別コード \"21\""));
    // no end record
    let msg = refused(&join(
        &bad[..3]
            .iter()
            .cloned()
            .map(|mut r| {
                if r[0] == b'1' {
                    r[3] = b'0'
                }
                r
            })
            .collect::<Vec<_>>(),
        b"\r\n",
    ));
    assert!(msg.contains("without its end record"), "{msg}");
    // format A and B mixed
    let mixed = join(
        &[
            header01(b'0'),
            data01a(b"000001", b"0000001000", "ﾃｽﾄ", b'0', ""),
            data01b(b"000002", b"0000001000", b"000000000000", "ﾃｽﾄ", ""),
            trailer01(b"000002", b"000000002000", b"000000", b"000000000000"),
            end(),
        ],
        b"\r\n",
    );
    assert!(refused(&mixed).starts_with("record 3: format A and format B"));
    // 令和元年4月 never existed
    let mut r = data01a(b"000001", b"0000001000", "ﾃｽﾄ", b'0', "");
    r[7..13].copy_from_slice(b"010430");
    let msg = refused(&join(
        &[
            header01(b'0'),
            r,
            trailer01(b"000001", b"000000001000", b"000000", b"000000000000"),
            end(),
        ],
        b"\r\n",
    ));
    assert!(
        msg.starts_with("record 2: 勘定日") && msg.contains("令和"),
        "{msg}"
    );
    // 03: the end record's total and the balance
    let mut f = file03();
    f[8 * 200 + 10] = b'8';
    assert!(refused(&f).contains("レコード総件数 is 8"));
    let mut f = file03();
    f[4 * 200 + 53] = b'1';
    assert!(refused(&f).contains("取引後残高"), "{}", refused(&f));
}

#[test]
fn the_independent_reader_agrees_on_01_files() {
    use zengin_fmt::payment_notice::Format as F;
    let written = seikyu_banking::zengin::write::notice(
        &seikyu_banking::zengin::write::AccountHead {
            bank: "0009".into(),
            branch: "001".into(),
            kind: 1,
            number: "7654321".into(),
            name: "ｾｲｷﾕｳ".into(),
        },
        chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("a date"),
        &[seikyu_banking::zengin::write::Deposit {
            reference_no: 7,
            date: chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("a date"),
            amount: 12_345,
            payer: "ｶ)ﾃｽﾄ".into(),
            remitter_code: None,
            edi: Some("X1".into()),
            cancelled: false,
        }],
    );
    for (file, format) in [(file01a(), F::A), (file01b(), F::B), (written, F::A)] {
        let oracle = zengin_fmt::parse_payment_notice(&file).expect("zengin-fmt reads the file");
        assert_eq!(oracle.format, format);
        let ours = parse(&file).expect("we read it");
        assert_eq!(oracle.details.len(), ours.entries.len());
        for (o, e) in oracle.details.iter().zip(&ours.entries) {
            assert_eq!(o.amount.to_string(), e.amount.to_string());
            assert_eq!(
                o.remitter_name.trim_end(),
                e.payer_name.as_deref().unwrap_or("")
            );
            assert_eq!(o.edi_info.trim(), e.reference.as_deref().unwrap_or(""));
            assert_eq!(o.cancellation_type == "1", e.reversal);
            assert!(e.entry_id.contains(&o.inquiry_number));
        }
        assert_eq!(oracle.trailer.total_count as usize, ours.entries.len());
    }
}
