//! The dunning (督促) contract: the scheduler's index query, the reminder-sender and the HTTP routes over
//! the store under test, with an injected clock walking the calendar. Run on the in-memory store by
//! `tests/contract_memory.rs` and on DynamoDB (LocalStack) by `tests/contract_dynamo.rs`.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use seikyu_domain::dunning::{Policy, Stage};
use seikyu_payments::{EventKind, PaymentEvent, Provider};
use seikyu_service::api::handle;
use seikyu_service::dunning::{RemindOutcome, run_day};
use seikyu_service::memory::MemoryMailer;
use seikyu_service::record::{InvoiceRecord, InvoiceStatus, QueueName, SellerAccount};
use serde_json::{Value, json};

use crate::contract::{Store, TestApp, api_config, fixture_issued, request, seller};

const FROM: &str = "billing@seikyu.test";

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// The day these checks start on. They assert the 2026-27 calendar day by day (weekends, New Year's
/// Day, business-day moves, the late fee over a given number of days), so they run on it whatever
/// `SEIKYU_TEST_DATE` says: each starts its clock at 10:00 JST on this day, and their invoices are
/// issued on it. The rest of the contract suite follows `SEIKYU_TEST_DATE`.
fn calendar_start() -> NaiveDate {
    ymd(2026, 11, 5)
}

/// Put `app`'s clock on [`calendar_start`].
fn on_the_calendar<S: Store>(app: &TestApp<S>) {
    app.clock.set(crate::dates::ten_jst(calendar_start()));
}

/// 09:00 in Tokyo on `day` (00:00 UTC): when the default schedule fires.
fn nine_jst(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).expect("time"))
}

/// One scheduler run at `at` followed by the reminder-sender handling what it queued for `seller`:
/// (invoice id, outcome) per message.
pub async fn run<S: Store>(
    app: &TestApp<S>,
    mailer: &MemoryMailer,
    seller: &str,
    at: DateTime<Utc>,
) -> Vec<(String, RemindOutcome)> {
    app.clock.set(at);
    let as_of = run_day(&json!({ "time": at.to_rfc3339() }), at).expect("run day");
    app.schedule_reminders(as_of).await.expect("scheduled");
    let mut out = Vec::new();
    for m in app.queue.drain(QueueName::Reminders) {
        if m.seller_id == seller {
            let outcome = app.remind(mailer, FROM, &m).await.expect("handled");
            out.push((m.invoice_id.clone(), outcome));
        }
    }
    out
}

fn sent_stage(o: &RemindOutcome) -> Option<Stage> {
    match o {
        RemindOutcome::Sent { stage, .. } | RemindOutcome::NoRecipient { stage, .. } => {
            Some(*stage)
        }
        _ => None,
    }
}

/// The decoded text of a reminder mail.
pub fn mail_text(raw: &[u8]) -> String {
    let raw = String::from_utf8_lossy(raw);
    let body = raw.split("\r\n\r\n").nth(1).unwrap_or_default();
    let b64: String = body.split_whitespace().collect();
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("base64 body"),
    )
    .expect("utf-8 body")
}

fn subject(raw: &[u8]) -> String {
    let raw = String::from_utf8_lossy(raw);
    raw.lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .unwrap_or_default()
        .to_string()
}

async fn invoice<S: Store>(
    app: &TestApp<S>,
    account: &SellerAccount,
    due: NaiveDate,
) -> InvoiceRecord {
    let mut input = fixture_issued("jp-standard-10-lines", calendar_start());
    input.due_date = Some(due);
    app.create_invoice(account, input).await.expect("invoice")
}

fn payment(account: &SellerAccount, inv: &InvoiceRecord, n: &str, total: Decimal) -> PaymentEvent {
    PaymentEvent {
        provider: Provider::Stripe,
        event_id: format!("{}-ev-{n}", account.seller_id),
        payment_id: format!("{}-pi-{n}", account.seller_id),
        kind: EventKind::Received { total },
        currency: Some("JPY".into()),
        invoice_id: Some(inv.invoice_id.clone()),
        seller_id: Some(account.seller_id.clone()),
        reference: None,
        method: Some("bank_transfer".into()),
        created: 0,
    }
}

async fn with_late_fee<S: Store>(app: &TestApp<S>) -> (SellerAccount, String) {
    let (account, key) = seller(app, None).await;
    let account = app
        .set_dunning_policy(
            &account,
            Policy {
                late_fee_percent: Some("14.6".parse().expect("percent")),
                ..Default::default()
            },
        )
        .await
        .expect("policy");
    (account, key)
}

/// An invoice due Mon 2026-11-30 walks the default schedule day by day: the notice on Fri 11-27, gentle
/// on Tue 12-01, firm on Mon 12-07, final on Mon 12-14, escalation on Mon 12-21, one mail each and
/// nothing on any other day; a second firing of the schedule and a redelivered message send nothing.
pub async fn walks_every_stage<S: Store>(app: Arc<TestApp<S>>) {
    on_the_calendar(&app);
    let (account, key) = with_late_fee(&app).await;
    let mailer = MemoryMailer::default();
    let inv = invoice(&app, &account, ymd(2026, 11, 30)).await;
    let mut by_day: BTreeMap<NaiveDate, Vec<Stage>> = BTreeMap::new();
    let mut day = ymd(2026, 11, 20);
    while day <= ymd(2026, 12, 28) {
        for (id, o) in run(&app, &mailer, &account.seller_id, nine_jst(day)).await {
            assert_eq!(id, inv.invoice_id);
            if let Some(s) = sent_stage(&o) {
                by_day.entry(day).or_default().push(s);
            }
        }
        if day == ymd(2026, 12, 1) {
            // The schedule fires twice the same day, and SQS redelivers: nothing more is sent.
            let again = run(&app, &mailer, &account.seller_id, nine_jst(day)).await;
            assert!(
                again.iter().all(|(_, o)| sent_stage(o).is_none()),
                "{again:?}"
            );
        }
        day = day.succ_opt().expect("next day");
    }
    let expected: BTreeMap<NaiveDate, Vec<Stage>> = [
        (ymd(2026, 11, 27), vec![Stage::PreDue]),
        (ymd(2026, 12, 1), vec![Stage::Gentle]),
        (ymd(2026, 12, 7), vec![Stage::Firm]),
        (ymd(2026, 12, 14), vec![Stage::Final]),
        (ymd(2026, 12, 21), vec![Stage::Escalated]),
    ]
    .into_iter()
    .collect();
    assert_eq!(by_day, expected);

    let sent = mailer.sent();
    assert_eq!(sent.len(), 5, "one mail per stage");
    let buyer = ["ap@midori.example.jp".to_string()];
    for m in &sent[..4] {
        assert_eq!(m.to, buyer);
    }
    // The escalation goes to the seller's contact, not the buyer.
    assert_eq!(sent[4].to, ["billing@aozora.example.jp".to_string()]);
    assert!(
        subject(&sent[0].raw).contains("=?UTF-8?"),
        "encoded subject"
    );

    let notice = mail_text(&sent[0].raw);
    for want in [
        "お支払期日が近づいております",
        "58,136 JPY",
        "Due date: 2026-11-30",
        "How to pay",
        "Contact",
        &inv.number,
    ] {
        assert!(notice.contains(want), "notice lacks {want:?}:\n{notice}");
    }
    assert!(
        !notice.contains("延滞金"),
        "no late fee before the due date"
    );
    // Firm, 7 days late: 58,136 x 14.6% x 7 / 365 = 162.77 -> 162 yen (rounded down, simple interest).
    let firm = mail_text(&sent[2].raw);
    assert!(firm.contains("延滞金 / Late fee: 162 JPY"), "{firm}");
    assert!(firm.contains("Total now due: 58,298 JPY"), "{firm}");
    // Final, 14 days late: 325.54 -> 325 (twice the 7-day fee within a yen: never compounded).
    let fin = mail_text(&sent[3].raw);
    assert!(fin.contains("Late fee: 325 JPY"), "{fin}");
    assert!(fin.contains("contact us by: 2026-12-21"), "{fin}");
    for text in [&notice, &firm, &fin] {
        for threat in ["法的", "訴訟", "取立", "legal action", "collection agency"] {
            assert!(!text.contains(threat), "never threatening: {threat}");
        }
        let words: Vec<&str> = text.split(|c: char| !c.is_ascii_alphabetic()).collect();
        for threat in ["court", "lawyer", "sue", "penalty"] {
            assert!(!words.contains(&threat), "never threatening: {threat}");
        }
    }
    let escalation = mail_text(&sent[4].raw);
    assert!(
        escalation.contains("Automatic reminders have stopped"),
        "{escalation}"
    );

    let after = app.get(&account, &inv.invoice_id).await.expect("invoice");
    assert_eq!(after.status, InvoiceStatus::Escalated);
    let stages: Vec<Stage> = after.dunning.reminders.iter().map(|r| r.stage).collect();
    assert_eq!(stages, Stage::ALL);
    assert!(after.dunning.sending.is_none());
    assert!(
        app.bus
            .events()
            .iter()
            .any(|e| e.detail_type == "invoice.escalated" && e.detail.contains(&inv.invoice_id)),
        "the seller's bus hears of the escalation"
    );

    // The history on GET /invoices/{id}: stage, time, SES message id.
    let r = handle(
        &*app,
        &api_config(),
        request("GET", &format!("/invoices/{}", inv.invoice_id), &key, None),
    )
    .await;
    assert_eq!(r.status, 200);
    let v: Value = serde_json::from_slice(&r.body).expect("json");
    assert_eq!(v["status"], "escalated");
    let history = v["reminders"]["sent"].as_array().expect("history");
    assert_eq!(history.len(), 5);
    assert_eq!(history[2]["stage"], "firm");
    assert_eq!(history[2]["as_of"], "2026-12-07");
    assert_eq!(history[2]["late_fee"], "162");
    assert_eq!(
        history[2]["message_id"],
        Value::String(sent[2].message_id.clone())
    );
    assert!(
        history[2]["at"]
            .as_str()
            .is_some_and(|t| t.starts_with("2026-12-07T00:00:00"))
    );
    assert_eq!(v["reminders"]["next_action"], Value::Null);
}

/// The run's day is the Tokyo date of the scheduled event's time: 14:59:59 UTC on 11-26 is still the
/// 26th in Tokyo (nothing due), 15:00 UTC is the 27th (the notice). A holiday moves a stage to the next
/// business day: due Thu 2026-12-31, the gentle reminder (+1) skips New Year's Day and the weekend to
/// Mon 2027-01-04.
pub async fn tokyo_days_and_holidays<S: Store>(app: Arc<TestApp<S>>) {
    on_the_calendar(&app);
    let (account, _) = seller(&app, None).await;
    let mailer = MemoryMailer::default();
    let inv = invoice(&app, &account, ymd(2026, 11, 30)).await;
    let before = Utc
        .with_ymd_and_hms(2026, 11, 26, 14, 59, 59)
        .single()
        .expect("t");
    assert!(
        run(&app, &mailer, &account.seller_id, before)
            .await
            .is_empty()
    );
    let after = Utc
        .with_ymd_and_hms(2026, 11, 26, 15, 0, 0)
        .single()
        .expect("t");
    let o = run(&app, &mailer, &account.seller_id, after).await;
    assert_eq!(o.len(), 1);
    assert_eq!(sent_stage(&o[0].1), Some(Stage::PreDue), "{o:?}");
    assert_eq!(o[0].0, inv.invoice_id);
    assert_eq!(mailer.sent().len(), 1);

    let (account, _) = seller(&app, None).await;
    let nye = invoice(&app, &account, ymd(2026, 12, 31)).await;
    let mut sent_on = Vec::new();
    let mut day = ymd(2026, 12, 25);
    while day <= ymd(2027, 1, 8) {
        for (_, o) in run(&app, &mailer, &account.seller_id, nine_jst(day)).await {
            if let Some(s) = sent_stage(&o) {
                sent_on.push((day, s));
            }
        }
        day = day.succ_opt().expect("next day");
    }
    // Notice: 12-28 (Mon); gentle: 01-01 is a holiday, 01-02/03 a weekend, so 01-04; firm: 01-07.
    assert_eq!(
        sent_on,
        [
            (ymd(2026, 12, 28), Stage::PreDue),
            (ymd(2027, 1, 4), Stage::Gentle),
            (ymd(2027, 1, 7), Stage::Firm)
        ]
    );
    let r = app.get(&account, &nye.invoice_id).await.expect("invoice");
    assert_eq!(r.dunning.reminders.len(), 3);

    // A scheduled event with a bad time is refused, not guessed.
    assert!(run_day(&json!({ "time": "yesterday" }), after).is_err());
    assert!(run_day(&json!({ "time": "2099-01-01T00:00:00Z" }), after).is_err());
    assert_eq!(run_day(&json!({}), after), Ok(ymd(2026, 11, 27)));
}

/// A payment that lands between the scheduler's run and the send cancels the send; a paid invoice
/// leaves the index. A dispute pauses the schedule (a queued reminder is dropped) and resolving it
/// resumes where it was.
pub async fn payment_race_and_disputes<S: Store>(app: Arc<TestApp<S>>) {
    on_the_calendar(&app);
    let (account, key) = seller(&app, None).await;
    let mailer = MemoryMailer::default();
    let paid = invoice(&app, &account, ymd(2026, 11, 30)).await;
    let disputed = invoice(&app, &account, ymd(2026, 11, 30)).await;

    // 11-27: both are due a notice; the scheduler queues two messages.
    let at = nine_jst(ymd(2026, 11, 27));
    app.clock.set(at);
    app.schedule_reminders(ymd(2026, 11, 27))
        .await
        .expect("run");
    let queued: Vec<_> = app
        .queue
        .drain(QueueName::Reminders)
        .into_iter()
        .filter(|m| m.seller_id == account.seller_id)
        .collect();
    assert_eq!(queued.len(), 2);
    // The payment arrives first: the sender re-checks and sends nothing.
    app.apply_payment(&account, &payment(&account, &paid, "full", paid.payable))
        .await
        .expect("paid");
    // The dispute too.
    let r = handle(
        &*app,
        &api_config(),
        request(
            "POST",
            &format!("/invoices/{}/dispute", disputed.invoice_id),
            &key,
            Some(&json!({ "reason": "数量が発注と異なる / quantity differs from the order" })),
        ),
    )
    .await;
    assert_eq!(r.status, 200);
    for m in &queued {
        let o = app.remind(&mailer, FROM, m).await.expect("handled");
        let want = if m.invoice_id == paid.invoice_id {
            InvoiceStatus::Paid
        } else {
            InvoiceStatus::Disputed
        };
        assert_eq!(o, RemindOutcome::NotRemindable(want));
    }
    assert!(
        mailer.sent().is_empty(),
        "nothing sent after a payment or a dispute"
    );

    // Neither is found again while paid or disputed.
    for day in [ymd(2026, 12, 1), ymd(2026, 12, 7)] {
        assert!(
            run(&app, &mailer, &account.seller_id, nine_jst(day))
                .await
                .is_empty()
        );
    }
    // Resolving needs a note; then the schedule resumes at the stage reached (firm, from 12-07).
    let resolve = |body: Value| {
        request(
            "POST",
            &format!("/invoices/{}/dispute/resolve", disputed.invoice_id),
            &key,
            Some(&body),
        )
    };
    let r = handle(&*app, &api_config(), resolve(json!({ "note": " " }))).await;
    assert_eq!(r.status, 400);
    let e: Value = serde_json::from_slice(&r.body).expect("json");
    assert_eq!(e["error"]["fields"][0]["path"], "note", "{e}");
    app.clock.set(nine_jst(ymd(2026, 12, 8)));
    let r = handle(
        &*app,
        &api_config(),
        resolve(json!({ "note": "納品書で数量を確認済み / quantity confirmed" })),
    )
    .await;
    assert_eq!(r.status, 200);
    let v: Value = serde_json::from_slice(&r.body).expect("json");
    assert_eq!(v["status"], "issued");
    assert_eq!(v["reminders"]["next_action"], "2026-11-27");
    let r = handle(&*app, &api_config(), resolve(json!({ "note": "again" }))).await;
    assert_eq!(r.status, 409, "resolving twice");
    let o = run(
        &app,
        &mailer,
        &account.seller_id,
        nine_jst(ymd(2026, 12, 9)),
    )
    .await;
    assert_eq!(o.len(), 1);
    assert_eq!(sent_stage(&o[0].1), Some(Stage::Firm), "{o:?}");
    assert_eq!(mailer.sent().len(), 1);
    // A part payment while disputed keeps the dispute (a person ends it).
    let r = handle(
        &*app,
        &api_config(),
        request(
            "POST",
            &format!("/invoices/{}/dispute", disputed.invoice_id),
            &key,
            Some(&json!({ "reason": "again" })),
        ),
    )
    .await;
    assert_eq!(r.status, 200);
    app.apply_payment(
        &account,
        &payment(&account, &disputed, "part", Decimal::from(10_000)),
    )
    .await
    .expect("applied");
    let d = app
        .get(&account, &disputed.invoice_id)
        .await
        .expect("invoice");
    assert_eq!(d.status, InvoiceStatus::Disputed);
    assert!(
        run(
            &app,
            &mailer,
            &account.seller_id,
            nine_jst(ymd(2026, 12, 15))
        )
        .await
        .is_empty()
    );
    // Resolved long after the escalation day (12-21): the final notice goes first, naming a deadline a
    // full week later, and escalation follows only then (Tue 01-12 -> Tue 01-19).
    app.clock.set(nine_jst(ymd(2027, 1, 12)));
    app.resolve_dispute(&account, &disputed.invoice_id, "settled on the phone")
        .await
        .expect("resolved");
    let o = run(
        &app,
        &mailer,
        &account.seller_id,
        nine_jst(ymd(2027, 1, 12)),
    )
    .await;
    assert_eq!(sent_stage(&o[0].1), Some(Stage::Final), "{o:?}");
    let text = mail_text(&mailer.sent().last().expect("mail").raw);
    assert!(text.contains("contact us by: 2027-01-19"), "{text}");
    assert!(text.contains("Amount outstanding: 48,136 JPY"), "{text}");
    let quiet = run(
        &app,
        &mailer,
        &account.seller_id,
        nine_jst(ymd(2027, 1, 18)),
    )
    .await;
    assert!(quiet.is_empty(), "{quiet:?}");
    let o = run(
        &app,
        &mailer,
        &account.seller_id,
        nine_jst(ymd(2027, 1, 19)),
    )
    .await;
    assert_eq!(sent_stage(&o[0].1), Some(Stage::Escalated), "{o:?}");
    let d = app
        .get(&account, &disputed.invoice_id)
        .await
        .expect("invoice");
    assert_eq!(d.status, InvoiceStatus::Escalated);
}

/// `POST /invoices/{id}/installments` splits the open balance (remainder on the last part); reminders
/// follow the first part not paid; payments pay the parts in order.
pub async fn installments<S: Store>(app: Arc<TestApp<S>>) {
    on_the_calendar(&app);
    let (account, key) = seller(&app, None).await;
    let mailer = MemoryMailer::default();
    let inv = invoice(&app, &account, ymd(2026, 11, 30)).await;
    // 10,000 paid before the plan: 48,136 open over three parts -> 16,045 / 16,045 / 16,046.
    app.apply_payment(
        &account,
        &payment(&account, &inv, "before", Decimal::from(10_000)),
    )
    .await
    .expect("applied");
    app.clock.set(nine_jst(ymd(2026, 11, 25)));
    let post = |body: Value| {
        request(
            "POST",
            &format!("/invoices/{}/installments", inv.invoice_id),
            &key,
            Some(&body),
        )
    };
    for (body, path) in [
        (json!({ "due_dates": ["2026-12-15"] }), "due_dates"),
        (
            json!({ "due_dates": ["2026-12-15", "2026-12-15"] }),
            "due_dates[1]",
        ),
        (
            json!({ "due_dates": ["2026-11-01", "2026-12-15"] }),
            "due_dates[0]",
        ),
        (
            json!({ "due_dates": ["2026-12-15", "soon"] }),
            "due_dates[1]",
        ),
        (json!({ "dates": [] }), "dates"),
    ] {
        let r = handle(&*app, &api_config(), post(body.clone())).await;
        assert_eq!(r.status, 400, "{body}");
        let e: Value = serde_json::from_slice(&r.body).expect("json");
        assert_eq!(e["error"]["fields"][0]["path"], path, "{body}: {e}");
    }
    let plan = json!({ "due_dates": ["2026-12-15", "2027-01-15", "2027-02-15"] });
    let r = handle(&*app, &api_config(), post(plan.clone())).await;
    assert_eq!(r.status, 200);
    let v: Value = serde_json::from_slice(&r.body).expect("json");
    let amounts: Vec<&str> = v["installments"]["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .map(|p| p["amount"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(amounts, ["16045", "16045", "16046"]);
    // Part 1's notice: 12-15 - 3 is Saturday 12-12, moved to Monday 12-14.
    assert_eq!(v["reminders"]["next_action"], "2026-12-14");
    // The same plan again answers with it; another plan is refused.
    let r = handle(&*app, &api_config(), post(plan)).await;
    assert_eq!(r.status, 200);
    let r = handle(
        &*app,
        &api_config(),
        post(json!({ "due_dates": ["2026-12-20", "2027-01-20"] })),
    )
    .await;
    assert_eq!(r.status, 409);
    let e: Value = serde_json::from_slice(&r.body).expect("json");
    assert_eq!(e["error"]["code"], "plan_exists");

    // The original due date's notice (11-27) no longer applies: the plan's part 1 does.
    let mut sent_on = Vec::new();
    let mut day = ymd(2026, 11, 26);
    while day <= ymd(2026, 12, 20) {
        if day == ymd(2026, 12, 17) {
            // Part 1 paid exactly (late): reminders move on to part 2.
            app.apply_payment(
                &account,
                &payment(&account, &inv, "part1", Decimal::from(16_045)),
            )
            .await
            .expect("applied");
        }
        for (_, o) in run(&app, &mailer, &account.seller_id, nine_jst(day)).await {
            if let RemindOutcome::Sent { part, stage, .. } = o {
                sent_on.push((day, part, stage));
            }
        }
        day = day.succ_opt().expect("next day");
    }
    // Part 1 due Tue 12-15: notice Sat 12-12 -> Mon 12-14 (business days), gentle Wed 12-16.
    assert_eq!(
        sent_on,
        [
            (ymd(2026, 12, 14), 1, Stage::PreDue),
            (ymd(2026, 12, 16), 1, Stage::Gentle),
        ]
    );
    let text = mail_text(&mailer.sent()[1].raw);
    assert!(text.contains("part 1 of 3"), "{text}");
    assert!(text.contains("Amount outstanding: 16,045 JPY"), "{text}");
    let r = app.get(&account, &inv.invoice_id).await.expect("invoice");
    let next = seikyu_service::dunning::next_action(&r);
    // Part 2 due Fri 2027-01-15: its notice on Tue 01-12.
    assert_eq!(next, Some(ymd(2027, 1, 12)));
    let v = seikyu_service::api::views::invoice(&r)["installments"].clone();
    assert_eq!(v["parts"][0]["open"], "0");
    assert_eq!(v["parts"][1]["open"], "16045");
    // A payment across parts pays them in order.
    app.apply_payment(
        &account,
        &payment(&account, &inv, "more", Decimal::from(20_000)),
    )
    .await
    .expect("applied");
    let r = app.get(&account, &inv.invoice_id).await.expect("invoice");
    let v = seikyu_service::api::views::invoice(&r)["installments"].clone();
    assert_eq!(v["parts"][1]["open"], "0");
    assert_eq!(v["parts"][2]["paid"], "3955");
    assert_eq!(v["parts"][2]["open"], "12091");
    assert_eq!(
        seikyu_service::dunning::next_action(&r),
        Some(ymd(2027, 2, 12))
    );
}

/// `GET`/`PUT /dunning-policy`: the defaults, a refused policy with its field, and new invoices
/// following the seller's policy (existing ones keep theirs).
pub async fn policy_api<S: Store>(app: Arc<TestApp<S>>) {
    on_the_calendar(&app);
    let (account, key) = seller(&app, None).await;
    let old = invoice(&app, &account, ymd(2026, 11, 30)).await;
    let r = handle(
        &*app,
        &api_config(),
        request("GET", "/dunning-policy", &key, None),
    )
    .await;
    assert_eq!(r.status, 200);
    let v: Value = serde_json::from_slice(&r.body).expect("json");
    assert_eq!(v["default"], true);
    assert_eq!(v["policy"]["pre_due"], -3);
    assert_eq!(v["policy"]["escalate"], 21);
    for (body, path) in [
        (json!({ "gentle": 10, "firm": 7 }), "firm"),
        (json!({ "late_fee_percent": "20" }), "late_fee_percent"),
        (json!({ "pre_due": 2 }), "pre_due"),
        (json!({ "gentel": 2 }), ""),
    ] {
        let r = handle(
            &*app,
            &api_config(),
            request("PUT", "/dunning-policy", &key, Some(&body)),
        )
        .await;
        assert_eq!(r.status, 400, "{body}");
        let e: Value = serde_json::from_slice(&r.body).expect("json");
        if !path.is_empty() {
            assert_eq!(e["error"]["fields"][0]["path"], path, "{body}: {e}");
        }
    }
    let body = json!({ "pre_due": null, "gentle": 3, "firm": 10, "final_notice": 20, "escalate": 30,
                       "business_days_only": false, "late_fee_percent": "3" });
    let r = handle(
        &*app,
        &api_config(),
        request("PUT", "/dunning-policy", &key, Some(&body)),
    )
    .await;
    assert_eq!(r.status, 200);
    let account = app
        .store
        .get_seller(&account.seller_id)
        .await
        .expect("read")
        .expect("seller");
    let new = invoice(&app, &account, ymd(2026, 11, 30)).await;
    assert_eq!(new.dunning.policy.gentle.map(|g| g.get()), Some(3));
    assert_eq!(new.dunning.policy.pre_due, None);
    assert_eq!(
        seikyu_service::dunning::next_action(&new),
        Some(ymd(2026, 12, 3))
    );
    let old = app.get(&account, &old.invoice_id).await.expect("invoice");
    assert_eq!(
        seikyu_service::dunning::next_action(&old),
        Some(ymd(2026, 11, 27))
    );
}

/// The send is claimed before SES is called: an SES failure gives the claim back and the redelivery
/// sends; parallel deliveries of the same reminder send one mail; a claim left by a crashed delivery
/// holds until it lapses; poison messages fail without touching the invoice.
pub async fn reminder_sends_once<S: Store>(app: Arc<TestApp<S>>) {
    use seikyu_service::JobError;
    use seikyu_service::ports::Write;
    use seikyu_service::record::{QueueMessage, ReminderClaim};
    on_the_calendar(&app);
    let (account, _) = seller(&app, None).await;
    let mailer = Arc::new(MemoryMailer::default());
    let inv = invoice(&app, &account, ymd(2026, 11, 30)).await;
    let msg = |day: NaiveDate| QueueMessage {
        event: "reminder.due".into(),
        seller_id: account.seller_id.clone(),
        invoice_id: inv.invoice_id.clone(),
        payment: None,
        as_of: Some(day),
        receipt_id: None,
    };
    app.clock.set(nine_jst(ymd(2026, 11, 27)));
    mailer.fail_next(1);
    let failed = app.remind(&*mailer, FROM, &msg(ymd(2026, 11, 27))).await;
    assert!(matches!(failed, Err(JobError::Retryable(_))), "{failed:?}");
    let r = app.get(&account, &inv.invoice_id).await.expect("invoice");
    assert!(r.dunning.sending.is_none(), "the claim was given back");
    assert!(r.dunning.reminders.is_empty());
    let sent = app.remind(&*mailer, FROM, &msg(ymd(2026, 11, 27))).await;
    assert!(
        matches!(
            sent,
            Ok(RemindOutcome::Sent {
                stage: Stage::PreDue,
                ..
            })
        ),
        "{sent:?}"
    );

    // Four deliveries of the gentle reminder at once: one mail.
    app.clock.set(nine_jst(ymd(2026, 12, 1)));
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let (app, mailer, m) = (app.clone(), mailer.clone(), msg(ymd(2026, 12, 1)));
            tokio::spawn(async move { app.remind(&*mailer, FROM, &m).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.expect("task"));
    }
    let sent = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(RemindOutcome::Sent { .. })))
        .count();
    assert_eq!(sent, 1, "{outcomes:?}");
    assert_eq!(mailer.sent().len(), 2);
    // The ones that lost say so (retry later, or nothing due), none sends.
    for _ in 0..3 {
        let again = app.remind(&*mailer, FROM, &msg(ymd(2026, 12, 1))).await;
        assert_eq!(again, Ok(RemindOutcome::NothingDue));
    }

    // A delivery that claimed the firm reminder and crashed: the claim holds until it lapses.
    app.clock.set(nine_jst(ymd(2026, 12, 7)));
    let current = app.get(&account, &inv.invoice_id).await.expect("invoice");
    let mut crashed = current.clone();
    crashed.version += 1;
    crashed.dunning.sending = Some(ReminderClaim {
        part: 0,
        stage: Stage::Firm,
        until: nine_jst(ymd(2026, 12, 7)) + chrono::Duration::seconds(120),
    });
    app.store
        .commit(&[Write::Update {
            record: &crashed,
            expected_version: current.version,
        }])
        .await
        .expect("claim");
    let held = app.remind(&*mailer, FROM, &msg(ymd(2026, 12, 7))).await;
    assert!(matches!(held, Err(JobError::Retryable(_))), "{held:?}");
    app.clock
        .set(nine_jst(ymd(2026, 12, 7)) + chrono::Duration::seconds(121));
    let sent = app.remind(&*mailer, FROM, &msg(ymd(2026, 12, 7))).await;
    assert!(
        matches!(
            sent,
            Ok(RemindOutcome::Sent {
                stage: Stage::Firm,
                ..
            })
        ),
        "{sent:?}"
    );
    assert_eq!(mailer.sent().len(), 3);

    // A message from a past day acts on today (the firm reminder is done: nothing more).
    let stale = app.remind(&*mailer, FROM, &msg(ymd(2026, 11, 27))).await;
    assert_eq!(stale, Ok(RemindOutcome::NothingDue));

    // Poison: not JSON, an unknown event, an unknown invoice. The invoice is untouched.
    let before = app.get(&account, &inv.invoice_id).await.expect("invoice");
    let unknown_event = serde_json::to_string(&QueueMessage {
        event: "reminder.whatever".into(),
        ..msg(ymd(2026, 12, 14))
    })
    .expect("json");
    let unknown_invoice = serde_json::to_string(&QueueMessage {
        invoice_id: "AOZ-2026-999999".into(),
        ..msg(ymd(2026, 12, 14))
    })
    .expect("json");
    let failed = app
        .remind_batch(
            &*mailer,
            FROM,
            &[
                ("a".into(), "{not json".into()),
                ("b".into(), unknown_event),
                ("c".into(), unknown_invoice),
            ],
        )
        .await;
    assert!(failed.failed.is_empty(), "{failed:?}");
    let dead: Vec<&str> = failed.dead.iter().map(|d| d.message_id.as_str()).collect();
    assert_eq!(
        dead,
        ["a", "b", "c"],
        "permanent failures go to the dead-letter queue at once"
    );
    let after = app.get(&account, &inv.invoice_id).await.expect("invoice");
    assert_eq!(before, after);
    assert_eq!(mailer.sent().len(), 3);
}
