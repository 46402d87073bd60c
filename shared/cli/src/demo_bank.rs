//! The demo's bank reconciliation (入金消込): aozora's buyers pay by bank transfer, the bank's Zengin 01
//! statement is imported, and every rule shows: a combined payment under a kana-variant name, a payment
//! quoting a payer code, a fee-deducted payment, and a deposit no rule can place, which a person splits
//! and so teaches the payer's name; the payer's next transfer, in the next day's statement, is placed
//! automatically.

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use seikyu_banking::matcher::Decision;
use seikyu_banking::zengin::write::{AccountHead, Deposit, notice};
use seikyu_domain::InvoiceInput;
use seikyu_domain::values::{Amount, Count};
use seikyu_service::CustomerUpdate;
use seikyu_service::reconciliation::deposits::ManualAllocation;
use seikyu_service::record::{BankSettings, InvoiceRecord, SellerAccount};

use crate::demo::{DemoApp, DemoError};
use crate::summary::money;

const ACCOUNT: &str = "1234567";

fn step(what: &str) -> impl Fn(seikyu_service::AppError) -> DemoError + '_ {
    move |e| DemoError::Step(what.to_string(), e)
}

fn jpy(v: Decimal) -> String {
    format!("{} JPY", money(v, 0))
}

fn yen(v: Decimal) -> u64 {
    u64::try_from(v.mantissa()).unwrap_or(0)
}

fn deposit(no: u32, day: NaiveDate, amount: Decimal, payer: &str) -> Deposit {
    Deposit {
        reference_no: no,
        date: day,
        amount: yen(amount),
        payer: payer.into(),
        remitter_code: None,
        edi: None,
        cancelled: false,
    }
}

/// Import `file` as the importer function does after the archive's notification; one line per deposit.
async fn import(
    app: &DemoApp,
    seller: &SellerAccount,
    file: &[u8],
    label: &str,
) -> Result<String, DemoError> {
    let received = app
        .receive_statement(seller, file, Some(label))
        .await
        .map_err(step("receiving a statement"))?;
    let done = app
        .import_statement(&received.archive_key)
        .await
        .map_err(|e| DemoError::Data("statement import", e.to_string()))?;
    let statement = seikyu_banking::parse(file, received.created_at.date_naive())
        .map_err(|e| DemoError::Data("statement", e.to_string()))?;
    let mut log = format!(
        "    {label} ({}, {} deposits): {} applied automatically, {} left for a person, fees absorbed {}\n",
        done.format,
        done.credits,
        done.applied,
        done.unapplied,
        jpy(done.fees_absorbed),
    );
    for e in &statement.entries {
        let id = seikyu_service::reconciliation::deposit_id(&e.account, &e.entry_id);
        let p = app
            .payment(seller, &format!("bank:{id}"))
            .await
            .map_err(step("reading a deposit"))?;
        let why = p
            .bank
            .as_ref()
            .and_then(|b| b.decision.as_ref())
            .map(|d| d.explanation.clone())
            .unwrap_or_default();
        log.push_str(&format!(
            "      {:>10} from {:<24} {why}\n",
            jpy(e.amount),
            e.payer_name.as_deref().unwrap_or("-"),
        ));
    }
    Ok(log)
}

async fn customer(
    app: &DemoApp,
    s: &SellerAccount,
    id: &str,
    kana: &[&str],
) -> Result<(), DemoError> {
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
    .map(|_| ())
    .map_err(step("registering a buyer's kana name"))
}

async fn invoice(
    app: &DemoApp,
    s: &SellerAccount,
    template: &InvoiceInput,
    customer: &str,
    buyer: &str,
) -> Result<InvoiceRecord, DemoError> {
    let mut input = template.clone();
    input.buyer.customer_id = Some(
        customer
            .parse()
            .map_err(|e: seikyu_domain::id::IdError| DemoError::Data("customer", e.to_string()))?,
    );
    input.buyer.name = buyer.into();
    app.create_invoice(s, input)
        .await
        .map_err(step("invoicing a bank-transfer buyer"))
}

/// Step 12 of the demo. `template` is one of aozora's invoices; `day` the statement's date.
pub async fn run(
    app: &DemoApp,
    aozora: &SellerAccount,
    template: &InvoiceInput,
    day: NaiveDate,
) -> Result<String, DemoError> {
    let aozora = app
        .set_bank_settings(
            aozora,
            BankSettings {
                accounts: vec![format!("0001-100-1-{ACCOUNT}")],
                payer_codes: true,
                ..BankSettings::default()
            },
        )
        .await
        .map_err(step("bank settings"))?;
    customer(app, &aozora, "CUST-YAMADA", &["ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ"]).await?;
    customer(app, &aozora, "CUST-SUZUKI", &["ｽｽﾞｷｼﾖｳｶｲ"]).await?;
    let y1 = invoice(app, &aozora, template, "CUST-YAMADA", "株式会社山田商事").await?;
    let y2 = invoice(app, &aozora, template, "CUST-YAMADA", "株式会社山田商事").await?;
    let k1 = invoice(app, &aozora, template, "CUST-KATO", "加藤工業株式会社").await?;
    let s1 = invoice(app, &aozora, template, "CUST-SUZUKI", "鈴木商会").await?;
    let t1 = invoice(app, &aozora, template, "CUST-TANAKA", "田中一郎").await?;
    let t2 = invoice(app, &aozora, template, "CUST-TANAKA", "田中一郎").await?;
    app.queue.drain(seikyu_service::record::QueueName::Issued);
    let code = k1.input.payment_reference.clone().unwrap_or_default();
    let mut log = format!(
        "12. bank transfers (入金消込): six invoices ask to be paid to 普通 {ACCOUNT}; each buyer has a payer code \
         to put before its name (加藤工業: {code})\n"
    );
    let head = AccountHead {
        bank: "0001".into(),
        branch: "100".into(),
        kind: 1,
        number: ACCOUNT.into(),
        name: "ｶ)ｱｵｿﾞﾗｼﾖｳｼﾞ".into(),
    };
    let odd = t1.payable + Decimal::from(10_000);
    let first = notice(
        &head,
        day,
        &[
            deposit(1, day, y1.payable + y2.payable, "ﾔﾏﾀﾞｼﾖｳｼﾞ(ｶ"),
            deposit(2, day, k1.payable, &format!("{code} ｶﾄｳｺｳｷﾞﾖｳ(ｶ")),
            deposit(3, day, s1.payable - Decimal::from(660), "ｽｽﾞｷ ｼﾖｳｶｲ"),
            deposit(4, day, odd, "ﾀﾅｶ ｲﾁﾛｳ"),
        ],
    );
    log.push_str(&import(app, &aozora, &first, "zengin-01 statement").await?);
    let unplaced = app
        .unapplied_payments(&aozora)
        .await
        .map_err(step("listing unapplied deposits"))?;
    let Some(p) = unplaced.iter().find(|p| p.bank.is_some()) else {
        return Err(DemoError::Data(
            "statement",
            "the odd deposit was placed".into(),
        ));
    };
    let candidates = match p
        .bank
        .as_ref()
        .and_then(|b| b.decision.as_ref())
        .map(|d| &d.decision)
    {
        Some(Decision::Unapplied { candidates, .. }) => candidates
            .iter()
            .map(|c| format!("{} {}", c.buyer, c.invoice_ids.join("+")))
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    };
    let amount =
        |v: Decimal| Amount::new(v).map_err(|e| DemoError::Data("allocation", e.to_string()));
    let split = [
        ManualAllocation {
            invoice_id: t1.invoice_id.clone(),
            amount: amount(t1.payable)?,
        },
        ManualAllocation {
            invoice_id: t2.invoice_id.clone(),
            amount: amount(Decimal::from(10_000))?,
        },
    ];
    app.apply_deposit_by_hand(&aozora, &p.ledger.payment_id, &split)
        .await
        .map_err(step("applying a deposit by hand"))?;
    log.push_str(&format!(
        "    a person looks at the candidates offered ({candidates}) and splits the ﾀﾅｶ ｲﾁﾛｳ deposit over {} and \
         10,000 JPY of {}; ﾀﾅｶ ｲﾁﾛｳ is learned as CUST-TANAKA's name\n",
        t1.number, t2.number
    ));
    let next = day + Duration::days(1);
    let second = notice(
        &head,
        next,
        &[deposit(
            1,
            next,
            t2.payable - Decimal::from(10_000),
            "ﾀﾅｶ ｲﾁﾛｳ",
        )],
    );
    log.push_str(&import(app, &aozora, &second, "next day's statement").await?);
    for inv in [&y1, &y2, &k1, &s1, &t1, &t2] {
        let now = app
            .get(&aozora, &inv.invoice_id)
            .await
            .map_err(step("reading an invoice"))?;
        if now.status != seikyu_service::record::InvoiceStatus::Paid {
            return Err(DemoError::Data(
                "statement",
                format!("{} is {:?}", now.number, now.status),
            ));
        }
    }
    log.push_str("    all six invoices are paid\n");
    Ok(log)
}
