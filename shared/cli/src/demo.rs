//! The embedded demo: the invoice lifecycle in one process on the in-memory adapters, no emulator and no
//! network, through the same service code the Lambda functions run.
//!
//! Two sellers are onboarded; invoices are screened (one waits for review and is approved), numbered,
//! rendered in both formats and archived; one is voided with a credit note; the mailer sends every
//! issued document with its UBL attached. Signed payment webhooks pay invoices (one delivered twice);
//! the receipt issuer issues and mails a receipt per payment, and a partial refund cancels one receipt
//! and replaces it. Documents, receipts and mails are written to a folder.

use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;
use seikyu_domain::InvoiceInput;
use seikyu_domain::parse::invoice_from_json;
use seikyu_domain::values::{Amount, Count, Month, Percent};
use seikyu_einvoice::read;
use seikyu_service::delivery::invoice_mail::{MailOutcome, MailerOutcome};
use seikyu_service::memory::{
    FixedClock, MemoryArchive, MemoryBus, MemoryMailer, MemoryQueue, MemoryStore,
};
use seikyu_service::ports::{Clock, DocumentArchive};
use seikyu_service::record::{InvoiceStatus, QueueMessage, QueueName, SellerAccount};
use seikyu_service::{App, AppError, CustomerUpdate, NewSeller, sha256_hex};

use crate::summary::money;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("demo data {0} is broken: {1}")]
    Data(&'static str, String),
    #[error("{0} failed: {1}")]
    Step(String, AppError),
    #[error("archived document {0} does not read back as issued: {1}")]
    ReadBack(String, String),
    #[error("writing {0}: {1}")]
    Io(PathBuf, std::io::Error),
}

/// Demo invoices: the repository's fixtures, embedded at build time.
macro_rules! fixture {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../tests/fixtures/valid/",
                $name,
                ".json"
            )),
        )
    };
}

const AOZORA: [(&str, &str); 4] = [
    fixture!("jp-standard-10-lines"),
    fixture!("jp-mixed-standard-reduced"),
    fixture!("jp-exempt-and-export"),
    fixture!("jp-usd-with-jpy-tax-currency"),
];
const WIDGETS: [(&str, &str); 2] = [
    fixture!("eu-peppol-eur-standard"),
    fixture!("eu-peppol-allowances"),
];

fn parse(name: &'static str, json: &str) -> Result<InvoiceInput, DemoError> {
    invoice_from_json(json.as_bytes()).map_err(|e| DemoError::Data(name, e.to_string()))
}

pub struct DemoOutput {
    /// Files written, in order.
    pub files: Vec<PathBuf>,
    /// What happened, for a person.
    pub summary: String,
}

pub(crate) type DemoApp = App<MemoryStore, MemoryArchive, MemoryQueue, MemoryBus, FixedClock>;

/// `58,136 JPY`: an amount with its currency's decimals, thousands separators and code.
fn amount(v: Decimal, currency: &str) -> String {
    let d = seikyu_domain::calc::document_decimals(currency).unwrap_or(2);
    format!("{} {currency}", money(v, d))
}

/// What is still owed, in words.
fn still_open(v: Decimal, currency: &str) -> String {
    if v.is_zero() {
        "nothing left open".into()
    } else {
        format!("{} still open", amount(v, currency))
    }
}

/// A reminder stage as the seller's staff would name it.
fn stage_words(stage: seikyu_domain::dunning::Stage) -> &'static str {
    use seikyu_domain::dunning::Stage;
    match stage {
        Stage::PreDue => "payment notice",
        Stage::Gentle => "gentle reminder",
        Stage::Firm => "firm reminder",
        Stage::Final => "final notice",
        Stage::Escalated => "escalated to the seller",
    }
}

/// `partially paid`, not `partially_paid`.
fn status_words(s: InvoiceStatus) -> String {
    s.as_str().replace('_', " ")
}

/// A payment outcome in words: what moved, on which invoice, and what is left.
async fn payment_words(
    app: &DemoApp,
    seller: &SellerAccount,
    how: &str,
    outcome: &seikyu_service::payments::PaymentOutcome,
) -> Result<String, DemoError> {
    use seikyu_service::payments::PaymentOutcome;
    Ok(match outcome {
        PaymentOutcome::Applied {
            invoice_id,
            status,
            net_delta,
            open_balance,
            ..
        } => {
            let inv = app
                .get(seller, invoice_id)
                .await
                .map_err(|e| DemoError::Step(format!("reading {invoice_id}"), e))?;
            let cur = &inv.currency;
            let moved = if net_delta.is_sign_negative() {
                format!("{} refunded on {}", amount(-*net_delta, cur), inv.number)
            } else {
                format!("{} {how} on {}", amount(*net_delta, cur), inv.number)
            };
            format!(
                "{moved}, now {} ({})",
                status_words(*status),
                still_open(*open_balance, cur)
            )
        }
        PaymentOutcome::Duplicate => "delivered again, nothing changed".into(),
        PaymentOutcome::Unapplied { payment, reason } => {
            format!(
                "{payment} kept for a person to match by hand: {}",
                unmatched_words(reason)
            )
        }
    })
}

/// Why a payment could not be applied, in words.
fn unmatched_words(reason: &seikyu_payments::ledger::Unmatched) -> String {
    use seikyu_payments::ledger::Unmatched;
    match reason {
        Unmatched::NoInvoiceReference => "it names no invoice".into(),
        Unmatched::UnknownInvoice => "the invoice it names does not exist".into(),
        Unmatched::CurrencyMismatch { invoice, payment } => {
            format!("paid in {payment}, invoiced in {invoice}")
        }
        Unmatched::SellerMismatch => "it names another seller".into(),
        Unmatched::NotPayable => "the invoice takes no payments (void or a credit note)".into(),
        Unmatched::Deposit { reason } => format!("no rule could place the deposit ({reason})"),
    }
}

/// Who sent a webhook, as an operator would say it.
fn provider_words(p: seikyu_payments::Provider) -> &'static str {
    match p {
        seikyu_payments::Provider::Stripe => "Stripe",
        seikyu_payments::Provider::Komoju => "KOMOJU",
        seikyu_payments::Provider::Generic => "bank connector",
        seikyu_payments::Provider::Bank => "bank statement",
    }
}

async fn onboard(
    app: &DemoApp,
    id: &str,
    prefix: &str,
    fy: u32,
    first: &InvoiceInput,
    dunning_policy: seikyu_domain::dunning::Policy,
) -> Result<SellerAccount, DemoError> {
    let new = NewSeller {
        seller_id: id
            .parse()
            .map_err(|e: seikyu_domain::id::IdError| DemoError::Data("seller", e.to_string()))?,
        number_prefix: prefix.into(),
        fiscal_year_start_month: Month::new(i64::from(fy))
            .map_err(|e| DemoError::Data("seller", e.to_string()))?,
        profile: first.seller.clone(),
        default_credit_limit: None,
        dunning_policy: Some(dunning_policy),
        banking: None,
    };
    app.create_seller(new)
        .await
        .map(|(a, _key)| a)
        .map_err(|e| DemoError::Step(format!("onboarding {id}"), e))
}

const BANK_SECRET: &[u8] = b"demo-bank-connector";

/// One webhook delivery: provider, headers, raw body.
type Delivery = (seikyu_payments::Provider, Vec<(String, String)>, String);

/// A bank connector event in Seikyu's generic scheme, signed as the connector would.
fn bank_delivery(now: i64, event_id: &str, body: &str) -> Delivery {
    let ts = now.to_string();
    let sig = seikyu_payments::signature::sign(
        &seikyu_payments::Secret::new(BANK_SECRET.to_vec()),
        &[
            ts.as_bytes(),
            b".",
            event_id.as_bytes(),
            b".",
            body.as_bytes(),
        ],
    );
    (
        seikyu_payments::Provider::Generic,
        vec![
            ("seikyu-timestamp".into(), ts),
            ("seikyu-event-id".into(), event_id.into()),
            ("seikyu-signature".into(), format!("v1={sig}")),
        ],
        body.to_string(),
    )
}

/// Verify and apply webhook deliveries as payment-webhook does; one log line each.
async fn deliver(
    app: &DemoApp,
    seller: &SellerAccount,
    step: &str,
    deliveries: Vec<Delivery>,
    secrets: &[(seikyu_payments::Provider, seikyu_payments::Secret)],
) -> Result<String, DemoError> {
    use seikyu_payments::{WebhookRequest, verify_and_parse};
    let now = app.clock.now().timestamp();
    let mut log = String::new();
    for (provider, headers, body) in deliveries {
        let req = WebhookRequest {
            provider,
            headers: &headers,
            body: body.as_bytes(),
        };
        let keys: Vec<_> = secrets
            .iter()
            .filter(|(p, _)| *p == provider)
            .map(|(_, s)| s.clone())
            .collect();
        let event = verify_and_parse(&req, &keys, now)
            .map_err(|e| DemoError::Data("webhook", e.to_string()))?;
        let outcome = app
            .apply_payment(seller, &event)
            .await
            .map_err(|e| DemoError::Step(format!("payment {}", event.event_id), e))?;
        let how = match provider {
            seikyu_payments::Provider::Stripe => "paid by card",
            _ => "paid by bank transfer",
        };
        let what = payment_words(app, seller, how, &outcome).await?;
        log.push_str(&format!(
            "{step}. {} webhook {} (signature verified): {what}\n",
            provider_words(provider),
            event.event_id
        ));
    }
    Ok(log)
}

/// A Stripe card payment for the first invoice (delivered twice, as providers do) and a partial bank
/// transfer through the generic scheme for the third.
async fn pay(
    app: &DemoApp,
    seller: &SellerAccount,
    issued: &[seikyu_service::record::InvoiceRecord],
) -> Result<String, DemoError> {
    use seikyu_payments::signature::sign;
    use seikyu_payments::{Provider, Secret};
    let now = app.clock.now().timestamp();
    let stripe_secret = Secret::new(b"whsec_demo_aozora".to_vec());
    let first = &issued[0];
    let stripe_body = serde_json::json!({
        "id": "evt_demo_0001", "object": "event", "type": "payment_intent.succeeded", "created": now,
        "data": {"object": {"id": "pi_demo_0001", "object": "payment_intent", "amount": 58136, "amount_received": 58136,
            "currency": "jpy", "payment_method_types": ["card"], "status": "succeeded",
            "metadata": {"invoice_id": first.invoice_id, "seller_id": seller.seller_id}}}
    })
    .to_string();
    let header = format!(
        "t={now},v1={}",
        sign(
            &stripe_secret,
            &[now.to_string().as_bytes(), b".", stripe_body.as_bytes()]
        )
    );
    let stripe = |h: &str| {
        (
            Provider::Stripe,
            vec![("stripe-signature".to_string(), h.to_string())],
            stripe_body.clone(),
        )
    };
    let bank_body = serde_json::json!({
        "type": "payment.received", "payment_id": "zengin-demo-1", "amount": "300000", "currency": "JPY",
        "reference": issued[2].invoice_id, "method": "bank_transfer"
    })
    .to_string();
    deliver(
        app,
        seller,
        "7",
        vec![
            stripe(&header),
            stripe(&header),
            bank_delivery(now, "bank-demo-1", &bank_body),
        ],
        &[
            (Provider::Stripe, stripe_secret.clone()),
            (Provider::Generic, Secret::new(BANK_SECRET.to_vec())),
        ],
    )
    .await
}

/// The clock walks day by day to March: each morning at 09:00 JST the dunning scheduler queues the
/// invoices due a reminder and the reminder-sender mails them (as the two functions do with EventBridge
/// and SQS). Meanwhile a buyer disputes an invoice and the seller resolves it, a partly paid invoice is
/// put on an installment plan whose first part is paid, and another invoice is paid before its notice.
async fn dunning_walk(
    app: &DemoApp,
    mailer: &MemoryMailer,
    aozora: &SellerAccount,
    widgets: &SellerAccount,
    issued: &[seikyu_service::record::InvoiceRecord],
) -> Result<String, DemoError> {
    use chrono::{Datelike, NaiveDate};
    use seikyu_service::dunning::{InstallmentRequest, RemindOutcome};
    let step = |what: &str, e| DemoError::Step(what.into(), e);
    let (plan_id, disputed, paid_early) = (
        issued[2].invoice_id.clone(),
        issued[4].invoice_id.clone(),
        issued[5].invoice_id.clone(),
    );
    let mut log = String::from(
        "13. dunning: the clock walks to 2027-03-01, the scheduler runs every day at 09:00 JST\n",
    );
    let mut day = NaiveDate::from_ymd_opt(2026, 11, 9).unwrap_or_default();
    let end = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap_or_default();
    while day <= end {
        let nine = Utc
            .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
            .single()
            .unwrap_or_default();
        app.clock.set(nine);
        let md = (day.month(), day.day());
        if md == (11, 20) {
            app.dispute(widgets, &disputed, "Quantity differs from the order")
                .await
                .map_err(|e| step("dispute", e))?;
            log.push_str(&format!(
                "    {day}  {}: disputed by the buyer (reminders pause)\n",
                issued[4].number
            ));
        }
        if md == (11, 25) {
            let r = app
                .apply_payment(
                    widgets,
                    &demo_payment(widgets, &paid_early, "4688.15", "EUR"),
                )
                .await
                .map_err(|e| step("payment", e))?;
            let words = payment_words(app, widgets, "paid by bank transfer", &r).await?;
            log.push_str(&format!("    {day}  {words}\n"));
            log.push_str(&issue_receipts(app, mailer, &[aozora, widgets], RECEIPT_INDENT).await?);
        }
        if md == (12, 2) {
            let dates = ["2026-12-25", "2027-01-25", "2027-02-25"]
                .iter()
                .filter_map(|d| d.parse().ok())
                .collect();
            let r = app
                .installments(aozora, &plan_id, &InstallmentRequest { due_dates: dates })
                .await
                .map_err(|e| step("installments", e))?;
            let parts: Vec<String> = r
                .installments
                .iter()
                .flat_map(|p| &p.parts)
                .map(|p| format!("{} by {}", amount(p.amount, &r.currency), p.due_date))
                .collect();
            log.push_str(&format!(
                "    {day}  {}: installment plan agreed: {}\n",
                r.number,
                parts.join(", ")
            ));
        }
        if md == (12, 10) {
            app.resolve_dispute(widgets, &disputed, "Delivery note confirms the quantity")
                .await
                .map_err(|e| step("resolve dispute", e))?;
            log.push_str(&format!(
                "    {day}  {}: dispute resolved (reminders resume)\n",
                issued[4].number
            ));
        }
        if md == (12, 24) {
            let r = app
                .apply_payment(aozora, &demo_payment(aozora, &plan_id, "106600", "JPY"))
                .await
                .map_err(|e| step("payment", e))?;
            let words = payment_words(app, aozora, "paid by bank transfer", &r).await?;
            log.push_str(&format!("    {day}  installment part 1: {words}\n"));
            log.push_str(&issue_receipts(app, mailer, &[aozora, widgets], RECEIPT_INDENT).await?);
        }
        app.schedule_reminders(seikyu_domain::dates::tokyo_date(nine))
            .await
            .map_err(|e| step("scheduler", e))?;
        for msg in app.queue.drain(QueueName::Reminders) {
            let outcome = app
                .remind(mailer, "billing@seikyu.test", &msg)
                .await
                .map_err(|e| DemoError::Data("reminder", e.to_string()))?;
            let seller = if msg.seller_id == aozora.seller_id {
                aozora
            } else {
                widgets
            };
            let inv = app
                .get(seller, &msg.invoice_id)
                .await
                .map_err(|e| step("read", e))?;
            let last = inv.dunning.reminders.last();
            let what = match &outcome {
                RemindOutcome::Sent { .. } if inv.status == InvoiceStatus::Escalated => format!(
                    "mailed to {}; no more reminders",
                    last.map(|l| l.to.join(", ")).unwrap_or_default()
                ),
                RemindOutcome::Sent { .. } => format!(
                    "mailed to {}",
                    last.map(|l| l.to.join(", ")).unwrap_or_default()
                ),
                RemindOutcome::NoRecipient { .. } => {
                    "recorded, not mailed (no email address on file)".into()
                }
                RemindOutcome::NothingDue | RemindOutcome::NotRemindable(_) => String::new(),
            };
            if let Some(l) = last.filter(|_| {
                !matches!(
                    outcome,
                    RemindOutcome::NothingDue | RemindOutcome::NotRemindable(_)
                )
            }) {
                let part = if l.part > 0 {
                    format!(" part {}", l.part)
                } else {
                    String::new()
                };
                let fee = if l.late_fee.is_zero() {
                    String::new()
                } else {
                    format!(", late fee {}", amount(l.late_fee, &inv.currency))
                };
                log.push_str(&format!(
                    "    {day}  {}{part} {}: {} outstanding{fee}; {what}\n",
                    inv.number,
                    stage_words(l.stage),
                    amount(l.amount, &inv.currency),
                ));
            }
        }
        day = day.succ_opt().unwrap_or(end + chrono::Duration::days(1));
    }
    Ok(log)
}

fn demo_payment(
    seller: &SellerAccount,
    invoice_id: &str,
    amount: &str,
    currency: &str,
) -> seikyu_payments::PaymentEvent {
    seikyu_payments::PaymentEvent {
        provider: seikyu_payments::Provider::Generic,
        event_id: format!("bank-{invoice_id}-{amount}"),
        payment_id: format!("zengin-{invoice_id}-{amount}"),
        kind: seikyu_payments::EventKind::Received {
            total: amount.parse().unwrap_or_default(),
        },
        currency: Some(currency.into()),
        invoice_id: Some(invoice_id.into()),
        seller_id: Some(seller.seller_id.clone()),
        reference: None,
        method: Some("bank_transfer".into()),
        created: 0,
    }
}

/// Receipts issued during the walk line up under its events.
const RECEIPT_INDENT: &str = "                ";

/// Run invoice-mailer over the `Issued` queue, as the function does with SQS: each message and what the
/// mailer did with it.
async fn run_mailer(
    app: &DemoApp,
    mailer: &MemoryMailer,
) -> Result<Vec<(QueueMessage, MailerOutcome)>, DemoError> {
    let mut done = Vec::new();
    for msg in app.queue.drain(QueueName::Issued) {
        let outcome = seikyu_service::delivery::invoice_mail::handle_message(
            &app.store,
            &app.archive,
            mailer,
            &app.clock,
            "billing@seikyu.test",
            &msg,
        )
        .await
        .map_err(|e| DemoError::Data("mail", format!("{} {}: {e}", msg.event, msg.invoice_id)))?;
        done.push((msg, outcome));
    }
    Ok(done)
}

/// Run the receipt issuer over the receipt queue, as the receipt-issuer function does with SQS.
async fn issue_receipts(
    app: &DemoApp,
    mailer: &MemoryMailer,
    sellers: &[&SellerAccount],
    prefix: &str,
) -> Result<String, DemoError> {
    use seikyu_service::receipts::{ReceiptMail, ReceiptOutcome};
    let messages: Vec<(String, String)> = app
        .queue
        .drain(QueueName::Receipts)
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            (
                format!("r{i}"),
                serde_json::to_string(&m).unwrap_or_default(),
            )
        })
        .collect();
    let mut log = String::new();
    for (id, body) in &messages {
        let msg: seikyu_service::record::QueueMessage = serde_json::from_str(body)
            .map_err(|e| DemoError::Data("receipt message", e.to_string()))?;
        let (outcome, next) = seikyu_service::receipts::handle_message(
            &app.store,
            &app.archive,
            &app.queue,
            &app.clock,
            &msg,
        )
        .await
        .map_err(|e| {
            DemoError::Data(
                "receipt",
                format!("{id} for {}: {e}", msg.payment.clone().unwrap_or_default()),
            )
        })?;
        let seller = sellers
            .iter()
            .find(|s| s.seller_id == msg.seller_id)
            .ok_or_else(|| DemoError::Data("receipt message", msg.seller_id.clone()))?;
        let receipt = |id: String| async move {
            app.receipt(seller, &id)
                .await
                .map_err(|e| DemoError::Step(format!("reading receipt {id}"), e))
        };
        let what = match &outcome {
            ReceiptOutcome::Issued {
                receipt_id,
                replaces,
            } => {
                let r = receipt(receipt_id.clone()).await?;
                let replaces = replaces
                    .as_ref()
                    .map(|old| format!(", replacing {old} (cancelled)"))
                    .unwrap_or_default();
                format!(
                    "receipt {} issued for {} on {}{replaces}",
                    r.number,
                    amount(r.amount, &r.currency),
                    r.invoice_id
                )
            }
            ReceiptOutcome::Current { receipt_id } => {
                format!("receipt {receipt_id} already shows this payment")
            }
            ReceiptOutcome::Cancelled { receipt_id } => {
                format!("receipt {receipt_id} cancelled: the payment was refunded in full")
            }
            ReceiptOutcome::NothingToIssue => "no receipt: nothing was paid".into(),
        };
        // invoice-mailer renders the receipt's PDF and mails it.
        let mail = match next {
            Some(_) => run_mailer(app, mailer)
                .await?
                .into_iter()
                .find_map(|(_, o)| match o {
                    MailerOutcome::Receipt(m) => Some(m),
                    MailerOutcome::Invoice(_) => None,
                }),
            None => None,
        };
        let mailed = match mail {
            Some(ReceiptMail::Sent { message_id }) => {
                let to = mailer
                    .sent()
                    .into_iter()
                    .find(|m| m.message_id == message_id)
                    .map(|m| m.to.join(", "))
                    .unwrap_or_default();
                format!(", rendered as PDF and mailed to {to}")
            }
            Some(ReceiptMail::AlreadySent) => ", mailed before".into(),
            Some(ReceiptMail::NoRecipient) => ", not mailed (no email address on file)".into(),
            Some(ReceiptMail::Cancelled) => ", not mailed (cancelled first)".into(),
            None => String::new(),
        };
        log.push_str(&format!("{prefix}{what}{mailed}\n"));
    }
    Ok(log)
}

/// What a mail is, from its Message-ID (`<AOZ-R-2026-000001.aozora@...>`,
/// `<reminder.AOZ-2026-000004.0.firm.aozora@...>`): "receipt AOZ-R-2026-000001", "firm reminder for
/// AOZ-2026-000004", "escalation notice for AOZ-2026-000004".
fn mail_words(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let id = text
        .lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix("Message-ID: <"))
        .and_then(|l| l.split('@').next())
        .unwrap_or_default();
    let parts: Vec<&str> = id.split('.').collect();
    match parts.as_slice() {
        ["reminder", invoice, part, stage, ..] => {
            let part = match *part {
                "0" => String::new(),
                p => format!(" (part {p})"),
            };
            let stage = match seikyu_domain::dunning::Stage::ALL
                .into_iter()
                .find(|s| s.as_str() == *stage)
            {
                Some(seikyu_domain::dunning::Stage::Escalated) => "escalation notice".into(),
                Some(s) => stage_words(s).to_string(),
                None => stage.replace('_', " "),
            };
            format!("{stage} for {invoice}{part}")
        }
        [doc, ..] if doc.contains("-R-") => format!("receipt {doc}"),
        [doc, ..] if doc.contains("-CN-") => format!("credit note {doc}"),
        [doc, ..] if !doc.is_empty() => format!("invoice {doc}"),
        _ => "mail".into(),
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), DemoError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| DemoError::Io(parent.to_path_buf(), e))?;
    }
    std::fs::write(path, bytes).map_err(|e| DemoError::Io(path.to_path_buf(), e))
}

pub async fn run(out: &Path) -> Result<DemoOutput, DemoError> {
    // 10:00 JST on the issue date of the demo invoices.
    let clock = FixedClock::new(
        Utc.with_ymd_and_hms(2026, 11, 5, 1, 0, 0)
            .single()
            .unwrap_or_default(),
    );
    let app = App {
        store: MemoryStore::default(),
        archive: MemoryArchive::default(),
        queue: MemoryQueue::default(),
        bus: MemoryBus::default(),
        clock,
    };
    let mailer = MemoryMailer::default();
    let mut log = String::from("Seikyu demo (in-memory store, archive, queue and mailer)\n\n");

    let aozora_inputs = AOZORA
        .iter()
        .map(|&(n, j)| parse(n, j))
        .collect::<Result<Vec<_>, _>>()?;
    let widgets_inputs = WIDGETS
        .iter()
        .map(|&(n, j)| parse(n, j))
        .collect::<Result<Vec<_>, _>>()?;
    // Reminders: the documented defaults; aozora adds the usual contractual late fee (年14.6%), widgets
    // (in Belgium) counts calendar days, not Japanese business days.
    let aozora_policy = seikyu_domain::dunning::Policy {
        late_fee_percent: Some(
            Percent::new(Decimal::new(146, 1))
                .map_err(|e| DemoError::Data("policy", e.to_string()))?,
        ),
        ..Default::default()
    };
    let widgets_policy = seikyu_domain::dunning::Policy {
        business_days_only: false,
        ..Default::default()
    };
    let aozora = onboard(&app, "aozora", "AOZ", 4, &aozora_inputs[0], aozora_policy).await?;
    // What bank-transfer buyers are invoiced (step 12).
    let transfer_template = aozora_inputs[0].clone();
    let widgets = onboard(&app, "widgets", "BW", 1, &widgets_inputs[0], widgets_policy).await?;
    log.push_str("1. onboarded sellers aozora (株式会社青空商事, PINT JP) and widgets (Brussels Widgets SA, Peppol BIS)\n");

    // The Japanese buyer may owe at most ¥600,000 before a person has to look.
    let limit = Decimal::from(600_000);
    app.put_customer(
        &aozora,
        "CUST-0042",
        CustomerUpdate {
            credit_limit: Some(
                Amount::new(limit).map_err(|e| DemoError::Data("customer", e.to_string()))?,
            ),
            late_payments_12m: Count::known(0),
            kana_names: Vec::new(),
        },
    )
    .await
    .map_err(|e| DemoError::Step("customer".into(), e))?;
    log.push_str(&format!(
        "2. customer CUST-0042 of aozora: credit limit {}\n",
        amount(limit, "JPY")
    ));

    let mut issued = Vec::new();
    for (seller, inputs) in [(&aozora, aozora_inputs), (&widgets, widgets_inputs)] {
        for input in inputs {
            let r = app
                .create_invoice(seller, input)
                .await
                .map_err(|e| DemoError::Step(format!("invoice for {}", seller.seller_id), e))?;
            log.push_str(&format!(
                "3. {} {:<16} {:>16}  {}\n",
                r.seller_id,
                r.number,
                amount(r.payable, &r.currency),
                status_words(r.status)
            ));
            issued.push(r);
        }
    }
    // Screening held one invoice back; a person approves it.
    for r in issued
        .iter_mut()
        .filter(|r| r.status == InvoiceStatus::PendingReview)
    {
        *r = app
            .approve(&aozora, &r.invoice_id)
            .await
            .map_err(|e| DemoError::Step("approve".into(), e))?;
        log.push_str(&format!(
            "4. {} approved after review (exposure over the credit limit)\n",
            r.number
        ));
    }
    // The buyer cancels the second order: void it with a credit note.
    let (voided, credit_note) = app
        .void(&aozora, &issued[1].invoice_id)
        .await
        .map_err(|e| DemoError::Step("void".into(), e))?;
    log.push_str(&format!(
        "5. {} voided by credit note {}\n",
        voided.number, credit_note.number
    ));

    // The mailer consumes the queue, as the invoice-mailer function does with SQS.
    let (mut mailed, mut no_address, mut skipped) = (0, 0, Vec::new());
    for (msg, outcome) in run_mailer(&app, &mailer).await? {
        match outcome {
            MailerOutcome::Invoice(MailOutcome::Sent { .. }) => mailed += 1,
            MailerOutcome::Invoice(MailOutcome::NoRecipient) => no_address += 1,
            MailerOutcome::Invoice(MailOutcome::Skipped(status)) => {
                skipped.push(format!("{} ({})", msg.invoice_id, status_words(status)))
            }
            _ => {}
        }
    }
    log.push_str(&format!(
        "6. invoice mailer: {mailed} documents rendered as PDF/A-3 (their UBL embedded) and mailed with the \
         PDF and the UBL attached; {no_address} rendered, not mailed: no email address on file (left for \
         Peppol or post){}\n",
        if skipped.is_empty() {
            String::new()
        } else {
            format!("; {} skipped: {}", skipped.len(), skipped.join(", "))
        }
    ));

    // Payments arrive by webhook: signatures checked on the raw bytes, then applied exactly once.
    log.push_str(&pay(&app, &aozora, &issued).await?);
    log.push_str(&issue_receipts(&app, &mailer, &[&aozora, &widgets], "8. ").await?);
    // The bank returns ¥50,000 of the transfer: the receipt is cancelled and replaced for the rest.
    app.clock.set(app.clock.now() + chrono::Duration::days(3));
    let refund = serde_json::json!({
        "type": "payment.refunded", "payment_id": "zengin-demo-1", "amount": "50000", "currency": "JPY"
    })
    .to_string();
    let now = app.clock.now().timestamp();
    log.push_str(
        &deliver(
            &app,
            &aozora,
            "9",
            vec![bank_delivery(now, "bank-demo-2", &refund)],
            &[(
                seikyu_payments::Provider::Generic,
                seikyu_payments::Secret::new(BANK_SECRET.to_vec()),
            )],
        )
        .await?,
    );
    log.push_str(&issue_receipts(&app, &mailer, &[&aozora, &widgets], "10. ").await?);
    // What the sellers' systems heard on the event bus (EventBridge in AWS).
    for e in app.bus.events() {
        let detail: serde_json::Value = serde_json::from_str(&e.detail).unwrap_or_default();
        let text = |k: &str| detail[k].as_str().unwrap_or_default().to_string();
        let open = text("open_balance").parse().unwrap_or_default();
        log.push_str(&format!(
            "11. event bus: {} for {} ({})\n",
            e.detail_type,
            text("invoice_number"),
            still_open(open, &text("currency"))
        ));
    }

    let statement_day = seikyu_domain::dates::tokyo_date(app.clock.now());
    log.push_str(&crate::demo_bank::run(&app, &aozora, &transfer_template, statement_day).await?);
    log.push_str(&issue_receipts(&app, &mailer, &[&aozora, &widgets], "    ").await?);

    log.push_str(&dunning_walk(&app, &mailer, &aozora, &widgets, &issued).await?);

    let mut files = Vec::new();
    for (key, bytes) in app.archive.objects() {
        // UBL documents are read back; statements (Shift_JIS, or camt) are written as received.
        if key.ends_with(".xml") && !key.starts_with("statements/") {
            let text = String::from_utf8(bytes.clone())
                .map_err(|e| DemoError::ReadBack(key.clone(), e.to_string()))?;
            read(&text).map_err(|e| DemoError::ReadBack(key.clone(), e.to_string()))?;
        }
        let path = out.join(&key);
        write(&path, &bytes)?;
        files.push(path);
    }
    let sent = mailer.sent();
    log.push_str(&format!(
        "14. {} mails sent, written as .eml files under {}:\n",
        sent.len(),
        out.join("mail").display()
    ));
    for mail in sent {
        let name = format!("{}.eml", mail.message_id);
        let path = out.join("mail").join(&name);
        write(&path, &mail.raw)?;
        log.push_str(&format!(
            "    {name}  {} to {}\n",
            mail_words(&mail.raw),
            mail.to.join(", ")
        ));
        files.push(path);
    }
    // Every stored document verifies against the hash recorded at issue.
    for seller in [&aozora, &widgets] {
        let page = app
            .search(seller, &Default::default())
            .await
            .map_err(|e| DemoError::Step("search".into(), e))?;
        for r in page.items {
            let bytes = app
                .archive
                .get(&r.ubl_key)
                .await
                .ok()
                .flatten()
                .unwrap_or_default();
            if sha256_hex(&bytes) != r.ubl_sha256 {
                return Err(DemoError::ReadBack(r.ubl_key, "hash differs".into()));
            }
        }
    }
    log.push_str(&format!(
        "\n{} files written under {} (UBL documents and their PDFs, receipts as .html and .pdf, mails as .eml); every UBL document was read back.\n\
         Check the documents against the official rules: ../shared/einvoice/validate $(find {} -name '*.xml')\n",
        files.len(),
        out.display(),
        out.display()
    ));
    Ok(DemoOutput {
        files,
        summary: log,
    })
}
