//! camt.053 and camt.054 written by hand from the ISO 20022 message definitions (element paths as the
//! schemas name them), versions .001.02 and .001.08, a ZEDI file of several documents, and refusals.

use seikyu_banking::{Direction, Format, Statement, StatementError};

fn parse(bytes: &[u8]) -> Result<Statement, StatementError> {
    seikyu_banking::parse(
        bytes,
        chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("a date"),
    )
}

fn doc053(version: &str, entries: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>STMT-1</MsgId><CreDtTm>2026-11-30T18:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>S1</Id>
      <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
      <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-30</Dt></Dt></Bal>
      {entries}
    </Stmt>
  </BkToCstmrStmt>
</Document>"#
    )
}

/// A .001.02 entry: status as text, the debtor's name directly under Dbtr, the amount under AmtDtls.
const V02_ENTRY: &str = r#"
      <Ntry>
        <NtryRef>E-1</NtryRef>
        <Amt Ccy="EUR">1190.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>2026-11-30</Dt></BookgDt>
        <ValDt><Dt>2026-12-01</Dt></ValDt>
        <AcctSvcrRef>BANKREF-1</AcctSvcrRef>
        <BkTxCd/>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
          <AmtDtls><TxAmt><Amt Ccy="EUR">1190.00</Amt></TxAmt></AmtDtls>
          <RltdPties><Dbtr><Nm>Acme GmbH &amp; Co. KG</Nm></Dbtr></RltdPties>
          <RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>RF18 5390 0754 7034</Ref></CdtrRefInf></Strd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>
      <Ntry>
        <NtryRef>E-2</NtryRef>
        <Amt Ccy="EUR">50.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>PDNG</Sts>
        <BookgDt><Dt>2026-11-30</Dt></BookgDt>
      </Ntry>"#;

#[test]
fn camt_053_v02_booked_entries_with_an_rf_reference() {
    let st = parse(doc053("02", V02_ENTRY).as_bytes()).expect("valid camt.053.001.02");
    assert_eq!(st.format, Format::Camt053);
    assert_eq!(st.entries.len(), 1, "a pending entry is not printed");
    assert_eq!(
        st.entries[0].json_line(),
        r#"{"format":"camt.053","account":"DE89370400440532013000","entry_id":"BANKREF-1","booking_date":"2026-11-30","value_date":"2026-12-01","direction":"credit","amount":"1190.00","currency":"EUR","payer_name":"Acme GmbH & Co. KG","payer_name_normalized":"ACMEGMBH&COKG","reference":"RF18539007547034","reversal":false}"#
    );
}

/// A .001.08 batch: status as a code, the debtor under Pty, amounts per transaction, a reversal, an RF
/// reference with wrong check digits (so the unstructured text is the reference).
const V08_ENTRIES: &str = r#"
      <Ntry>
        <Amt Ccy="EUR">300.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><DtTm>2026-11-29T10:00:00+01:00</DtTm></BookgDt>
        <ValDt><Dt>2026-11-29</Dt></ValDt>
        <AcctSvcrRef>B-77</AcctSvcrRef>
        <BkTxCd/>
        <NtryDtls>
          <Btch><NbOfTxs>2</NbOfTxs></Btch>
          <TxDtls>
            <Refs><AcctSvcrRef>T-1</AcctSvcrRef></Refs>
            <Amt Ccy="EUR">100.00</Amt>
            <CdtDbtInd>CRDT</CdtDbtInd>
            <RltdPties><Dbtr><Pty><Nm>Jan Jansen</Nm></Pty></Dbtr></RltdPties>
            <RmtInf><Ustrd>Invoice 2026-17</Ustrd><Ustrd>thank you</Ustrd>
              <Strd><CdtrRefInf><Ref>RF19 5390 0754 7034</Ref></CdtrRefInf></Strd></RmtInf>
          </TxDtls>
          <TxDtls>
            <Amt Ccy="EUR">200.00</Amt>
            <CdtDbtInd>CRDT</CdtDbtInd>
          </TxDtls>
        </NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="EUR">1190.00</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <RvslInd>true</RvslInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-11-30</Dt></BookgDt>
        <AcctSvcrRef>BANKREF-1-R</AcctSvcrRef>
        <BkTxCd/>
      </Ntry>"#;

#[test]
fn camt_053_v08_batches_reversals_and_checked_rf() {
    let st = parse(doc053("08", V08_ENTRIES).as_bytes()).expect("valid camt.053.001.08");
    let e = &st.entries;
    assert_eq!(e.len(), 3);
    assert_eq!(e[0].entry_id, "B-77/T-1");
    assert_eq!(
        e[1].entry_id, "B-77/2",
        "a transaction without its own reference is named by position"
    );
    assert_eq!(e[0].payer_name.as_deref(), Some("Jan Jansen"));
    assert_eq!(
        e[0].reference.as_deref(),
        Some("Invoice 2026-17 thank you"),
        "a wrong RF is no reference"
    );
    assert_eq!(e[0].booking_date.to_string(), "2026-11-29");
    assert_eq!(e[1].payer_name, None);
    assert_eq!(e[1].reference, None);
    assert_eq!(e[2].direction, Direction::Debit);
    assert!(e[2].reversal);
    assert_eq!(e[2].value_date, e[2].booking_date);
}

fn doc054(version: &str, account: &str, body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.{version}">
<BkToCstmrDbtCdtNtfctn>
<GrpHdr><MsgId>ZEDI</MsgId><CreDtTm>2026-11-30T09:00:00</CreDtTm></GrpHdr>
<Ntfctn><Id>N1</Id><Acct><Id><Othr><Id>{account}</Id></Othr></Id><Ccy>JPY</Ccy></Acct>{body}</Ntfctn>
</BkToCstmrDbtCdtNtfctn>
</Document>
"#
    )
}

#[test]
fn camt_054_zedi_several_documents_in_one_file() {
    let entry = |r: &str, amt: &str, name: &str, edi: &str| {
        format!(
            r#"<Ntry><Amt Ccy="JPY">{amt}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-11-30</Dt></BookgDt><AcctSvcrRef>{r}</AcctSvcrRef><BkTxCd/><NtryDtls><TxDtls><RltdPties><Dbtr><Nm>{name}</Nm></Dbtr></RltdPties><RmtInf><Ustrd>{edi}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"#
        )
    };
    let file = format!(
        "{}{}",
        doc054(
            "04",
            "0001-100-1-1234567",
            &entry("Z-1", "110000", "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ", "1234566")
        ),
        doc054(
            "04",
            "0001-100-1-7654321",
            &entry("Z-2", "9120", "ｽｽﾞｷ ﾀﾛｳ", "")
        ),
    );
    let st = parse(file.as_bytes()).expect("a ZEDI file of two documents");
    assert_eq!(st.format, Format::Camt054);
    assert_eq!(st.entries.len(), 2);
    assert_eq!(st.entries[0].account, "0001-100-1-1234567");
    assert_eq!(st.entries[1].account, "0001-100-1-7654321");
    assert_eq!(st.entries[0].amount.to_string(), "110000");
    assert_eq!(
        st.entries[0].payer_name_normalized.as_deref(),
        Some("ヤマダシヨウジ")
    );
    assert_eq!(st.entries[0].reference.as_deref(), Some("1234566"));
    assert_eq!(st.entries[1].reference, None);
}

fn refused(xml: &str) -> String {
    match parse(xml.as_bytes()) {
        Ok(s) => panic!("accepted {} entries", s.entries.len()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn hostile_or_broken_xml_is_refused() {
    let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>&lol2;</BkToCstmrStmt></Document>"#;
    assert!(refused(laughs).contains("DOCTYPE is refused"));
    let external = r#"<?xml version="1.0"?><!DOCTYPE d SYSTEM "file:///etc/passwd"><Document/>"#;
    assert!(refused(external).contains("DOCTYPE"));
    let entity = doc053("02", "").replace("<Id>S1</Id>", "<Id>&xxe;</Id>");
    assert!(refused(&entity).contains("entity &xxe;"));
    let truncated = &doc053("02", V02_ENTRY)[..900];
    assert!(refused(truncated).contains("truncated") || refused(truncated).contains("well-formed"));
    let pain = doc053("02", "").replace("camt.053.001.02", "pain.001.001.03");
    assert!(refused(&pain).contains("is not camt.053 or camt.054"));
    let v01 = doc053("01", "");
    assert!(refused(&v01).contains("namespace"));
    let deep = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
    assert!(
        refused(&deep).contains("not an ISO 20022 Document") || refused(&deep).contains("deeply")
    );
    let bad_sum = doc053("08", V08_ENTRIES).replace(
        r#"<Amt Ccy="EUR">200.00</Amt>"#,
        r#"<Amt Ccy="EUR">201.00</Amt>"#,
    );
    assert!(refused(&bad_sum).contains("add up to 301.00"));
    let decimals = doc053("02", V02_ENTRY).replace(
        "1190.00</Amt>\n        <CdtDbtInd>",
        "1190.001</Amt>\n        <CdtDbtInd>",
    );
    assert!(
        refused(&decimals).contains("more decimals"),
        "{}",
        refused(&decimals)
    );
    let mixed = format!("{}{}", doc053("02", ""), doc054("04", "X", ""));
    assert!(refused(&mixed).contains("camt.053 and camt.054"));
}

#[test]
fn another_namespace_declared_first_does_not_hide_the_message() {
    let xml = doc053("08", V08_ENTRIES).replace(
        r#"<Document xmlns="urn"#,
        r#"<Document xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="urn"#,
    );
    assert_eq!(parse(xml.as_bytes()).map(|s| s.entries.len()), Ok(3));
    let prefixed = doc053("02", V02_ENTRY)
        .replace(
            "<Document xmlns=",
            "<c:Document xmlns:x=\"urn:other\" xmlns:c=",
        )
        .replace("</Document>", "</c:Document>");
    assert_eq!(parse(prefixed.as_bytes()).map(|s| s.entries.len()), Ok(1));
}

#[test]
fn amounts_beyond_any_deposit_are_refused() {
    let huge = doc053("08", V08_ENTRIES).replace(">300.00<", ">50000000000000000000000000.00<");
    assert!(parse(huge.as_bytes()).is_err());
}

#[test]
fn every_version_from_02_to_08_reads() {
    for v in ["02", "03", "04", "05", "06", "07", "08"] {
        let st = parse(doc053(v, V02_ENTRY).as_bytes()).unwrap_or_else(|e| panic!("{v}: {e}"));
        assert_eq!(st.entries.len(), 1);
        let st = parse(doc053(v, V08_ENTRIES).as_bytes()).unwrap_or_else(|e| panic!("{v}: {e}"));
        assert_eq!(st.entries.len(), 3);
    }
}
