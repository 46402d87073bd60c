//! The bank reconciliation contract (入金消込), run on every store: statements received and imported,
//! deposits placed by name, payer code and virtual account, combined and fee-short payments, a deposit no
//! rule places applied by hand (and its payer learned), re-imports, overlapping statements, a reversal,
//! racing importers, a crash between entries, and refused files that change nothing.

use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use seikyu_banking::zengin::write::{AccountHead, Deposit, notice};
use seikyu_domain::InvoiceInput;
use seikyu_domain::values::Count;
use seikyu_service::api::{HttpResponse, handle};
use seikyu_service::record::{
    BankSettings, ImportStatus, InvoiceRecord, InvoiceStatus, QueueName, SellerAccount,
};
use seikyu_service::{CustomerUpdate, NewSeller};
use serde_json::{Value, json};

use crate::contract::{Store, TestApp, api_config, fixture, request, unique};

const MAIN: &str = "1234567";

fn head(number: &str) -> AccountHead {
    AccountHead {
        bank: "0001".into(),
        branch: "100".into(),
        kind: 1,
        number: number.into(),
        name: "ｱｵｿﾞﾗｼﾖｳｼﾞ".into(),
    }
}

fn account(number: &str) -> String {
    format!("0001-100-1-{number}")
}

fn dep(no: u32, day: NaiveDate, amount: Decimal, payer: &str) -> Deposit {
    Deposit {
        reference_no: no,
        date: day,
        amount: u64::try_from(amount.mantissa()).expect("a yen amount"),
        payer: payer.into(),
        remitter_code: None,
        edi: None,
        cancelled: false,
    }
}

/// A seller that reconciles: its own account, payer codes, and a pool of one virtual account.
async fn bank_seller<S: Store>(app: &TestApp<S>) -> (SellerAccount, String) {
    let new = NewSeller {
        seller_id: unique("bk").parse().expect("id"),
        number_prefix: "AOZ".into(),
        fiscal_year_start_month: seikyu_domain::values::Month::known(4),
        profile: fixture("jp-standard-10-lines").seller,
        default_credit_limit: None,
        dunning_policy: None,
        banking: Some(BankSettings {
            accounts: vec![account(MAIN)],
            payer_codes: true,
            ..BankSettings::default()
        }),
    };
    app.create_seller(new).await.expect("seller created")
}

fn for_buyer(name: &str, customer: &str, buyer_name: &str) -> InvoiceInput {
    let mut i = fixture(name);
    i.buyer.customer_id = Some(customer.parse().expect("id"));
    i.buyer.name = buyer_name.into();
    i
}

async fn invoice<S: Store>(
    app: &TestApp<S>,
    s: &SellerAccount,
    input: InvoiceInput,
) -> InvoiceRecord {
    app.create_invoice(s, input).await.expect("invoice created")
}

async fn reread<S: Store>(app: &TestApp<S>, s: &SellerAccount, id: &str) -> InvoiceRecord {
    app.get(s, id).await.expect("invoice")
}

async fn customer<S: Store>(app: &TestApp<S>, s: &SellerAccount, id: &str, kana: &[&str]) {
    app.put_customer(
        s,
        id,
        CustomerUpdate {
            credit_limit: None,
            late_payments_12m: Count::known(0),
            kana_names: kana.iter().map(|k| k.to_string()).collect(),
        },
    )
    .await
    .expect("customer");
}

fn body(r: &HttpResponse) -> Value {
    serde_json::from_slice(&r.body).unwrap_or(Value::Null)
}

/// Receive over the API (the archive is the trigger), then import as the importer function does.
async fn import<S: Store>(app: &TestApp<S>, key: &str, file: &[u8]) -> Value {
    let mut req = request("POST", "/bank-statements", key, None);
    req.body = file.to_vec();
    req.query = vec![("file_name".into(), "statement.txt".into())];
    let r = handle(app, &api_config(), req).await;
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    let received = body(&r);
    let archived = received["archive_key"]
        .as_str()
        .expect("archive key")
        .to_string();
    let done = app.import_statement(&archived).await.expect("imported");
    assert_eq!(done.status, ImportStatus::Done);
    json!(done)
}

pub async fn bank_reconciliation<S: Store>(app: Arc<TestApp<S>>) {
    // On the heap: the check's future is larger than a test thread's stack in debug builds.
    Box::pin(reconciliation(app)).await;
}

async fn reconciliation<S: Store>(app: Arc<TestApp<S>>) {
    let (s, key) = bank_seller(&app).await;
    let day = crate::dates::test_date();
    let va = "7000001";
    let pool = handle(
        &*app,
        &api_config(),
        request(
            "POST",
            "/bank/virtual-accounts",
            &key,
            Some(&json!({ "accounts": [account(va)] })),
        ),
    )
    .await;
    assert_eq!(
        body(&pool),
        json!({ "loaded": 1, "free": 1 }),
        "{}",
        String::from_utf8_lossy(&pool.body)
    );

    // Buyers: C takes the one virtual account; A is known by its kana name; B pays with its payer code;
    // D is unknown to the matcher until a person places its deposit.
    customer(&app, &s, "CUST-A", &["ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ"]).await;
    customer(&app, &s, "CUST-B", &["ｽｽﾞｷｼﾖｳｶｲ"]).await;
    let c1 = invoice(
        &app,
        &s,
        for_buyer("jp-standard-10-lines", "CUST-C", "C商事"),
    )
    .await;
    let a1 = invoice(
        &app,
        &s,
        for_buyer("jp-standard-10-lines", "CUST-A", "山田商事"),
    )
    .await;
    let a2 = invoice(
        &app,
        &s,
        for_buyer("jp-standard-10-lines", "CUST-A", "山田商事"),
    )
    .await;
    let b1 = invoice(
        &app,
        &s,
        for_buyer("jp-mixed-standard-reduced", "CUST-B", "鈴木商会"),
    )
    .await;
    let d1 = invoice(
        &app,
        &s,
        for_buyer("jp-mixed-standard-reduced", "CUST-D", "田中"),
    )
    .await;
    let d2 = invoice(
        &app,
        &s,
        for_buyer("jp-standard-10-lines", "CUST-D", "田中"),
    )
    .await;
    app.queue.drain(QueueName::Issued);

    // The invoices carry their identifiers: C's virtual account, everyone's payer code.
    let customer_c = app
        .store
        .get_customer(&s.seller_id, "CUST-C")
        .await
        .expect("read")
        .expect("C");
    assert_eq!(
        customer_c.virtual_account.as_deref(),
        Some(account(va).as_str())
    );
    let account_shown = c1.input.seller.bank_account.as_ref().expect("bank account");
    assert_eq!(account_shown.account_id, format!("普通 {va}"));
    let code_b = app
        .store
        .get_customer(&s.seller_id, "CUST-B")
        .await
        .expect("read")
        .and_then(|c| c.payer_code)
        .expect("B has a payer code");
    assert_eq!(b1.input.payment_reference.as_deref(), Some(code_b.as_str()));
    let ubl = String::from_utf8(app.ubl(&s, &b1.invoice_id).await.expect("ubl")).expect("utf-8");
    assert!(
        ubl.contains(&format!("<cbc:PaymentID>{code_b}</cbc:PaymentID>")),
        "{ubl}"
    );
    let a1_ubl = app.ubl(&s, &a1.invoice_id).await.expect("ubl");
    let c1_ubl = app.ubl(&s, &c1.invoice_id).await.expect("ubl");
    crate::validate_generated(&[
        ("bank-b1.xml", ubl.as_bytes()),
        ("bank-a1.xml", &a1_ubl),
        ("bank-c1.xml", &c1_ubl),
    ]);

    // Statement 1, the seller's own account: A pays A1 + A2 together under a name variant, B pays B1 less
    // a ¥440 fee quoting its code, and someone unknown sends D1 plus 5,000.
    let odd = d1.payable + Decimal::from(5_000);
    let s1 = notice(
        &head(MAIN),
        day,
        &[
            dep(101, day, a1.payable + a2.payable, "ﾔﾏﾀﾞｼﾖｳｼﾞ(ｶ"),
            dep(
                102,
                day,
                b1.payable - Decimal::from(440),
                &format!("{code_b} ｽｽﾞｷ ｼﾖｳｶｲ"),
            ),
            dep(103, day, odd, "ﾀﾅｶ ｲﾁﾛｳ"),
        ],
    );
    let done = import(&app, &key, &s1).await;
    assert_eq!(
        (
            done["entries"].clone(),
            done["credits"].clone(),
            done["applied"].clone(),
            done["unapplied"].clone()
        ),
        (json!(3), json!(3), json!(2), json!(1)),
        "{done}"
    );
    assert_eq!(done["fees_absorbed"], "440");
    for id in [&a1.invoice_id, &a2.invoice_id, &b1.invoice_id] {
        assert_eq!(
            reread(&app, &s, id).await.status,
            InvoiceStatus::Paid,
            "{id}"
        );
    }
    let b1_now = reread(&app, &s, &b1.invoice_id).await;
    assert_eq!(b1_now.fees_absorbed, Decimal::from(440));
    // One receipt request per invoice paid, one bus event each.
    assert_eq!(app.queue.drain(QueueName::Receipts).len(), 3);
    // The payment explains itself.
    let deposit = |no: u32| format!("bank:{}.{day}-{no:06}", account(MAIN));
    let why = handle(
        &*app,
        &api_config(),
        request("GET", &format!("/payments/{}", deposit(101)), &key, None),
    )
    .await;
    let why = body(&why);
    assert_eq!(
        why["bank"]["decision"]["decision"]["rule"], "combined",
        "{why}"
    );
    assert_eq!(why["bank"]["decision"]["decision"]["identified_by"], "name");
    assert!(
        why["bank"]["decision"]["explanation"]
            .as_str()
            .unwrap_or("")
            .contains("registered name")
    );
    let why = body(
        &handle(
            &*app,
            &api_config(),
            request("GET", &format!("/payments/{}", deposit(102)), &key, None),
        )
        .await,
    );
    assert_eq!(
        why["bank"]["decision"]["decision"]["rule"], "fee_deducted",
        "{why}"
    );
    assert_eq!(
        why["bank"]["decision"]["decision"]["identified_by"],
        "payer_code"
    );

    // The same file again: nothing changes, counts stay.
    let again = import(&app, &key, &s1).await;
    assert_eq!(
        (again["applied"].clone(), again["unapplied"].clone()),
        (json!(2), json!(1)),
        "{again}"
    );
    assert_eq!(
        reread(&app, &s, &a1.invoice_id).await.paid_total,
        a1.payable
    );
    assert!(app.queue.drain(QueueName::Receipts).is_empty());

    // Statement 2, the virtual account, imported by two importers at once: C1 paid once.
    let s2 = notice(&head(va), day, &[dep(1, day, c1.payable, "ｼ-ｴﾇ(ｶ")]);
    let mut req = request("POST", "/bank-statements", &key, None);
    req.body = s2.clone();
    let received = body(&handle(&*app, &api_config(), req).await);
    let k2 = received["archive_key"].as_str().expect("key").to_string();
    let (x, y) = tokio::join!(app.import_statement(&k2), app.import_statement(&k2));
    let (x, y) = (x.expect("first importer"), y.expect("second importer"));
    assert_eq!(
        x.applied + y.applied,
        2,
        "each importer reports the file's one application"
    );
    let c1_now = reread(&app, &s, &c1.invoice_id).await;
    assert_eq!(
        (c1_now.status, c1_now.paid_total),
        (InvoiceStatus::Paid, c1.payable)
    );
    assert_eq!(app.queue.drain(QueueName::Receipts).len(), 1);

    // The unknown deposit is listed with its reason; a person splits it over D1 and D2.
    let unapplied = body(
        &handle(
            &*app,
            &api_config(),
            request("GET", "/payments/unapplied", &key, None),
        )
        .await,
    );
    let items = unapplied["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "{unapplied}");
    assert_eq!(items[0]["unapplied"]["deposit"]["reason"], "unknown_payer");
    let split = json!({ "allocations": [
        { "invoice_id": d1.invoice_id, "amount": d1.payable.to_string() },
        { "invoice_id": d2.invoice_id, "amount": "5000" },
    ]});
    let over = json!({ "allocations": [{ "invoice_id": d1.invoice_id, "amount": odd.to_string() }, { "invoice_id": d2.invoice_id, "amount": "1" }]});
    let r = handle(
        &*app,
        &api_config(),
        request(
            "POST",
            &format!("/payments/{}/apply", deposit(103)),
            &key,
            Some(&over),
        ),
    )
    .await;
    assert_eq!(
        (r.status, body(&r)["error"]["fields"][0]["path"].clone()),
        (400, json!("allocations")),
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let r = handle(
        &*app,
        &api_config(),
        request(
            "POST",
            &format!("/payments/{}/apply", deposit(103)),
            &key,
            Some(&split),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        reread(&app, &s, &d1.invoice_id).await.status,
        InvoiceStatus::Paid
    );
    let d2_now = reread(&app, &s, &d2.invoice_id).await;
    assert_eq!(
        (d2_now.status, d2_now.paid_total),
        (InvoiceStatus::PartiallyPaid, Decimal::from(5_000))
    );
    let r = handle(
        &*app,
        &api_config(),
        request(
            "POST",
            &format!("/payments/{}/apply", deposit(103)),
            &key,
            Some(&split),
        ),
    )
    .await;
    assert_eq!(r.status, 409, "a deposit is applied once");
    app.queue.drain(QueueName::Receipts);

    // Statement 3, the next day, overlapping statement 1 (its B entry again): Tanaka's second payment is
    // placed by the learned name; A's transfer is cancelled (取消, same 照会番号). The importer crashes after
    // the first entry, and the re-run finishes the rest.
    let next = day + chrono::Duration::days(1);
    let mut cancel = dep(101, next, a1.payable + a2.payable, "ﾔﾏﾀﾞｼﾖｳｼﾞ(ｶ");
    cancel.cancelled = true;
    let s3 = notice(
        &head(MAIN),
        next,
        &[
            dep(201, next, d2.payable - Decimal::from(5_000), "ﾀﾅｶ ｲﾁﾛｳ"),
            dep(
                102,
                day,
                b1.payable - Decimal::from(440),
                &format!("{code_b} ｽｽﾞｷ ｼﾖｳｶｲ"),
            ),
            cancel,
        ],
    );
    let mut req = request("POST", "/bank-statements", &key, None);
    req.body = s3.clone();
    let received = body(&handle(&*app, &api_config(), req).await);
    let k3 = received["archive_key"].as_str().expect("key").to_string();
    let parsed = seikyu_banking::parse(&s3, next).expect("parses");
    let first = app
        .apply_entry(
            &s,
            received["import_id"].as_str().expect("id"),
            &parsed.entries[0],
        )
        .await
        .expect("first entry");
    assert!(
        matches!(
            first,
            seikyu_service::reconciliation::deposits::EntryOutcome::Applied { .. }
        ),
        "{first:?}"
    );
    let done = app.import_statement(&k3).await.expect("the re-run");
    assert_eq!(
        (done.applied, done.duplicates, done.reversed, done.unapplied),
        (1, 1, 1, 0),
        "{done:?}"
    );
    assert_eq!(
        reread(&app, &s, &d2.invoice_id).await.status,
        InvoiceStatus::Paid,
        "placed by the learned alias"
    );
    for id in [&a1.invoice_id, &a2.invoice_id] {
        let inv = reread(&app, &s, id).await;
        assert_eq!(
            (inv.status, inv.paid_total),
            (InvoiceStatus::Issued, Decimal::ZERO),
            "{id} reversed"
        );
    }
    // Receipts follow: one for D2, and A1's and A2's are cancelled.
    assert_eq!(app.queue.drain(QueueName::Receipts).len(), 3);

    // Refused files change nothing: another seller's account, a trailer that does not add up.
    let before = body(
        &handle(
            &*app,
            &api_config(),
            request("GET", "/bank-statements", &key, None),
        )
        .await,
    );
    let foreign = notice(
        &head("7654321"),
        day,
        &[dep(1, day, Decimal::from(1_000), "ﾃｽﾄ")],
    );
    let mut req = request("POST", "/bank-statements", &key, None);
    req.body = foreign;
    let r = handle(&*app, &api_config(), req).await;
    assert_eq!(
        (r.status, body(&r)["error"]["code"].clone()),
        (422, json!("statement_refused")),
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    assert!(
        body(&r)["error"]["details"]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("0001-100-1-7654321")
    );
    let mut bad = notice(
        &head(MAIN),
        day,
        &[dep(9, day, Decimal::from(1_000), "ﾃｽﾄ")],
    );
    let trailer = bad.len() - 2 * 202 + 2;
    bad[trailer + 7] = b'9';
    let mut req = request("POST", "/bank-statements", &key, None);
    req.body = bad;
    let r = handle(&*app, &api_config(), req).await;
    assert_eq!(
        (r.status, body(&r)["error"]["details"]["at"].clone()),
        (422, json!("record 3")),
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let after = body(
        &handle(
            &*app,
            &api_config(),
            request("GET", "/bank-statements", &key, None),
        )
        .await,
    );
    assert_eq!(before, after);
    assert_eq!(after["items"].as_array().map(Vec::len), Some(3));
}

/// An EU seller's invoice carries an ISO 11649 RF reference as its payment id; a camt.054 credit quoting
/// it (structured creditor reference) pays the invoice, whoever the debtor is.
pub async fn rf_references_over_camt<S: Store>(app: Arc<TestApp<S>>) {
    Box::pin(rf_over_camt(app)).await;
}

async fn rf_over_camt<S: Store>(app: Arc<TestApp<S>>) {
    let profile = fixture("eu-peppol-eur-standard").seller;
    let iban = profile
        .bank_account
        .as_ref()
        .expect("an IBAN")
        .account_id
        .clone();
    let (s, key) = app
        .create_seller(NewSeller {
            seller_id: unique("rf").parse().expect("id"),
            number_prefix: "BW".into(),
            fiscal_year_start_month: seikyu_domain::values::Month::known(1),
            profile,
            default_credit_limit: None,
            dunning_policy: None,
            banking: Some(BankSettings {
                accounts: vec![iban.clone()],
                rf_references: true,
                ..BankSettings::default()
            }),
        })
        .await
        .expect("seller");
    let inv = invoice(
        &app,
        &s,
        for_buyer("eu-peppol-eur-standard", "EU-BUYER", "Acme BV"),
    )
    .await;
    let rf = inv
        .input
        .payment_reference
        .clone()
        .expect("an RF reference");
    assert!(seikyu_banking::rf::parse(&rf).is_some(), "{rf}");
    let ubl = app.ubl(&s, &inv.invoice_id).await.expect("ubl");
    assert!(
        String::from_utf8_lossy(&ubl).contains(&format!("<cbc:PaymentID>{rf}</cbc:PaymentID>"))
    );
    crate::validate_generated(&[("bank-rf.xml", &ubl)]);
    let day = crate::dates::test_date();
    let camt = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>
<GrpHdr><MsgId>N</MsgId><CreDtTm>{day}T18:00:00</CreDtTm></GrpHdr>
<Ntfctn><Id>N1</Id><Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>{day}</Dt></BookgDt><AcctSvcrRef>REF-{n}</AcctSvcrRef><BkTxCd/>
<NtryDtls><TxDtls><RltdPties><Dbtr><Pty><Nm>Someone Else Ltd</Nm></Pty></Dbtr></RltdPties>
<RmtInf><Strd><CdtrRefInf><Ref>{grouped}</Ref></CdtrRefInf></Strd></RmtInf></TxDtls></NtryDtls></Ntry>
</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"#,
        amount = inv.payable,
        n = s.seller_id,
        grouped = seikyu_banking::rf::grouped(&rf),
    );
    let done = import(&app, &key, camt.as_bytes()).await;
    assert_eq!(
        (done["format"].clone(), done["applied"].clone()),
        (json!("camt.054"), json!(1)),
        "{done}"
    );
    let paid = reread(&app, &s, &inv.invoice_id).await;
    assert_eq!(
        (paid.status, paid.paid_total),
        (InvoiceStatus::Paid, inv.payable)
    );
    let id = seikyu_service::reconciliation::deposit_id(&iban, &format!("REF-{}", s.seller_id));
    let why = body(
        &handle(
            &*app,
            &api_config(),
            request("GET", &format!("/payments/bank:{id}"), &key, None),
        )
        .await,
    );
    assert_eq!(
        why["bank"]["decision"]["decision"]["identified_by"], "rf",
        "{why}"
    );
}

/// A 01 notice and a 03 statement of one account describe the same transfer with different entry ids:
/// the second is held as a possible duplicate, the invoice paid once. A 03 correction (訂正) that could
/// take back either of two equal deposits is held for a person; a credit reversal is ignored.
pub async fn statements_of_two_formats<S: Store>(app: Arc<TestApp<S>>) {
    Box::pin(two_formats(app)).await;
}

async fn two_formats<S: Store>(app: Arc<TestApp<S>>) {
    use seikyu_banking::zengin::write::{Movement, statement};
    let (s, key) = bank_seller(&app).await;
    customer(&app, &s, "CUST-P", &["ｶ)ﾎｼﾉﾃﾞﾝｷ"]).await;
    customer(&app, &s, "CUST-Q", &["ｶ)ﾂｷﾉｹﾝｾﾂ"]).await;
    let p1 = invoice(
        &app,
        &s,
        for_buyer("jp-standard-10-lines", "CUST-P", "星野電機"),
    )
    .await;
    let q1 = invoice(
        &app,
        &s,
        for_buyer("jp-standard-10-lines", "CUST-Q", "月野建設"),
    )
    .await;
    let day = crate::dates::test_date();
    let yen = |d: Decimal| u64::try_from(d.mantissa()).expect("yen");
    let s01 = notice(
        &head(MAIN),
        day,
        &[
            dep(1, day, p1.payable, "ﾎｼﾉﾃﾞﾝｷ(ｶ"),
            dep(2, day, q1.payable, "ﾂｷﾉｹﾝｾﾂ(ｶ"),
        ],
    );
    let done = import(&app, &key, &s01).await;
    assert_eq!(done["applied"], 2, "{done}");
    let mv = |no: u32, credit: bool, kind: u8, amount: u64, payer: &str| Movement {
        reference_no: no,
        date: day,
        credit,
        kind,
        amount,
        payer: payer.into(),
    };
    let s03 = statement(
        &head(MAIN),
        day,
        1_000_000,
        &[
            // The same transfer as the 01 notice's first entry.
            mv(10, true, 11, yen(p1.payable), "ﾎｼﾉﾃﾞﾝｷ(ｶ"),
            // A correction without a payer that could take back either deposit of that amount.
            mv(11, false, 19, yen(p1.payable), ""),
            // The seller's own payment, returned: a credit reversal, no receivable involved.
            mv(12, true, 19, 5_000, ""),
        ],
    );
    let done = import(&app, &key, &s03).await;
    assert_eq!(
        (
            done["applied"].clone(),
            done["unapplied"].clone(),
            done["reversed"].clone(),
            done["ignored"].clone()
        ),
        (json!(0), json!(2), json!(0), json!(1)),
        "{done}"
    );
    for (inv, who) in [(&p1, "P"), (&q1, "Q")] {
        let now = reread(&app, &s, &inv.invoice_id).await;
        assert_eq!(
            (now.status, now.paid_total),
            (InvoiceStatus::Paid, inv.payable),
            "{who} paid once, not reversed"
        );
    }
    let unapplied = body(
        &handle(
            &*app,
            &api_config(),
            request("GET", "/payments/unapplied", &key, None),
        )
        .await,
    );
    let mut reasons: Vec<String> = unapplied["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|i| {
            i["unapplied"]["deposit"]["reason"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        ["ambiguous_reversal", "possible_duplicate"],
        "{unapplied}"
    );

    // A person resolves both: the correction takes back P's transfer (the 01 deposit), the 03 copy is
    // closed as a duplicate.
    let held = |reason: &str| {
        unapplied["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|i| i["unapplied"]["deposit"]["reason"] == reason)
            .and_then(|i| i["ledger"]["payment_id"].as_str())
            .map(|id| format!("bank:{id}"))
            .expect("held")
    };
    let p_deposit = format!(
        "bank:{}",
        seikyu_service::reconciliation::deposit_id(&account(MAIN), &format!("{day}-000001"))
    );
    let reverse = request(
        "POST",
        &format!("/payments/{}/reverse", held("ambiguous_reversal")),
        &key,
        Some(&json!({ "deposit": p_deposit })),
    );
    let r = handle(&*app, &api_config(), reverse.clone()).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let p_now = reread(&app, &s, &p1.invoice_id).await;
    assert_eq!(
        (p_now.status, p_now.paid_total),
        (InvoiceStatus::Issued, Decimal::ZERO)
    );
    assert_eq!(
        reread(&app, &s, &q1.invoice_id).await.status,
        InvoiceStatus::Paid
    );
    assert_eq!(
        handle(&*app, &api_config(), reverse).await.status,
        409,
        "resolved once"
    );
    let dismiss = request(
        "POST",
        &format!("/payments/{}/dismiss", held("possible_duplicate")),
        &key,
        Some(&json!({ "note": "the 01 notice had it" })),
    );
    let r = handle(&*app, &api_config(), dismiss).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let left = body(
        &handle(
            &*app,
            &api_config(),
            request("GET", "/payments/unapplied", &key, None),
        )
        .await,
    );
    assert_eq!(left["items"], json!([]), "{left}");
}

/// Per-invoice identifiers (`"assign": "invoice"`): each invoice of one buyer gets its own virtual account
/// and payer code; a deposit to the second invoice's account pays that invoice, even when the amount would
/// fit the older one too.
pub async fn identifiers_per_invoice<S: Store>(app: Arc<TestApp<S>>) {
    Box::pin(per_invoice(app)).await;
}

async fn per_invoice<S: Store>(app: Arc<TestApp<S>>) {
    let new = NewSeller {
        seller_id: unique("pi").parse().expect("id"),
        number_prefix: "AOZ".into(),
        fiscal_year_start_month: seikyu_domain::values::Month::known(4),
        profile: fixture("jp-standard-10-lines").seller,
        default_credit_limit: None,
        dunning_policy: None,
        banking: Some(BankSettings {
            accounts: vec![account(MAIN)],
            payer_codes: true,
            assign: seikyu_service::record::AssignPer::Invoice,
            ..BankSettings::default()
        }),
    };
    let (s, key) = app.create_seller(new).await.expect("seller");
    let pool = json!({ "accounts": [account("7100001"), account("7100002")] });
    let r = handle(
        &*app,
        &api_config(),
        request("POST", "/bank/virtual-accounts", &key, Some(&pool)),
    )
    .await;
    assert_eq!(body(&r), json!({ "loaded": 2, "free": 2 }));
    let first = invoice(
        &app,
        &s,
        for_buyer("jp-standard-10-lines", "CUST-R", "R商事"),
    )
    .await;
    let second = invoice(
        &app,
        &s,
        for_buyer("jp-standard-10-lines", "CUST-R", "R商事"),
    )
    .await;
    let shown = |i: &InvoiceRecord| {
        i.input
            .seller
            .bank_account
            .as_ref()
            .map(|b| b.account_id.clone())
    };
    assert_ne!(
        shown(&first),
        shown(&second),
        "each invoice its own virtual account"
    );
    assert_ne!(
        first.input.payment_reference, second.input.payment_reference,
        "and its own payer code"
    );
    let va = shown(&second)
        .expect("an account")
        .trim_start_matches("普通 ")
        .to_string();
    let day = crate::dates::test_date();
    // The same amount as both invoices: the virtual account names the second.
    let file = notice(&head(&va), day, &[dep(1, day, second.payable, "ﾅﾆｶﾞｼ")]);
    let done = import(&app, &key, &file).await;
    assert_eq!(done["applied"], 1, "{done}");
    assert_eq!(
        reread(&app, &s, &second.invoice_id).await.status,
        InvoiceStatus::Paid
    );
    assert_eq!(
        reread(&app, &s, &first.invoice_id).await.status,
        InvoiceStatus::Issued
    );
    let r = handle(
        &*app,
        &api_config(),
        request("GET", "/bank/virtual-accounts", &key, None),
    )
    .await;
    assert_eq!(body(&r), json!({ "loaded": 2, "free": 0 }));
}
