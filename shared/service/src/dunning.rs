//! Dunning (督促) in the service: which reminder an invoice needs on a day, installment plans, the
//! reminder mail, the scheduler's run and the reminder-sender's handler.
//!
//! The schedule itself is pure domain code ([`seikyu_domain::dunning::Policy`]); each invoice keeps the
//! policy it was issued under. The store indexes every invoice by its *next action day*
//! ([`next_action`]), only while it can be reminded, so the scheduler reads the invoices due today and
//! nothing else.

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use seikyu_domain::DocumentType;
use seikyu_domain::dunning::{Stage, late_fee};
use seikyu_domain::money::minor_units;
use serde::Deserialize;

use crate::app::{App, AppError, field, invalid_state, tokyo_date};
use crate::mail::{
    MailJobError, SEND_CLAIM_SECONDS, amount, bank_transfer_lines, base64_lines, each_message,
    encode_header,
};
use crate::ports::{Clock, DocumentArchive, EventBus, Mailer, MessageQueue, Store};
use crate::record::{
    EVENT_REMINDER_DUE, Installment, InstallmentPlan, InvoiceRecord, InvoiceStatus, OutboxEntry,
    QueueMessage, ReminderClaim, ReminderRecord,
};
use crate::send_once::{self, Decision, Record};

/// The part of an invoice the schedule is about: the invoice itself (index 0) or the first installment
/// not yet paid in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub index: u32,
    /// How many installments the plan has (0: no plan).
    pub of: u32,
    pub due_date: NaiveDate,
    /// Still owed on this part.
    pub open: Decimal,
}

/// Whether reminders may go out at all: an invoice sent to the buyer and not paid, void, disputed or
/// escalated.
pub fn remindable(r: &InvoiceRecord) -> bool {
    r.document_type == DocumentType::Invoice
        && matches!(
            r.status,
            InvoiceStatus::Issued | InvoiceStatus::PartiallyPaid
        )
}

/// The part the schedule follows. Payments pay the parts in order; money refunded from before the plan
/// is owed again on the first part.
pub fn current_part(r: &InvoiceRecord) -> Option<Part> {
    if r.open_balance() <= Decimal::ZERO {
        return None;
    }
    let Some(plan) = &r.installments else {
        return Some(Part {
            index: 0,
            of: 0,
            due_date: r.due_date?,
            open: r.open_balance(),
        });
    };
    let of = u32::try_from(plan.parts.len()).unwrap_or(u32::MAX);
    plan_parts(r, plan)
        .into_iter()
        .zip(1u32..)
        .find(|((_, amount, paid), _)| paid < amount)
        .map(|((due_date, amount, paid), index)| Part {
            index,
            of,
            due_date,
            open: amount - paid,
        })
}

/// Each part of a plan as (due date, amount, paid): payments since the plan pay the parts in order;
/// money from before the plan that was refunded since is owed again on the first part.
fn plan_parts(r: &InvoiceRecord, plan: &InstallmentPlan) -> Vec<(NaiveDate, Decimal, Decimal)> {
    let mut left = (r.paid_total - plan.paid_before).max(Decimal::ZERO);
    let owed_again = (plan.paid_before - r.paid_total).max(Decimal::ZERO);
    plan.parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let amount = if i == 0 {
                p.amount + owed_again
            } else {
                p.amount
            };
            let paid = left.min(amount);
            left -= paid;
            (p.due_date, amount, paid)
        })
        .collect()
}

/// The stages carried out for a part, with the day each was.
fn sent(r: &InvoiceRecord, part: u32) -> Vec<(Stage, NaiveDate)> {
    r.dunning
        .reminders
        .iter()
        .filter(|x| x.part == part)
        .map(|x| (x.stage, x.as_of))
        .collect()
}

/// The (Tokyo) day the scheduler should next look at this invoice; `None`: never (nothing to remind).
/// The store indexes invoices by it.
pub fn next_action(r: &InvoiceRecord) -> Option<NaiveDate> {
    if !remindable(r) {
        return None;
    }
    let part = current_part(r)?;
    r.dunning
        .policy
        .next_action_day(part.due_date, &sent(r, part.index))
}

/// The stage to carry out on `as_of`, if any.
pub fn due(r: &InvoiceRecord, as_of: NaiveDate) -> Option<(Part, Stage)> {
    if !remindable(r) {
        return None;
    }
    let part = current_part(r)?;
    let (stage, _) = r
        .dunning
        .policy
        .due_stage(part.due_date, as_of, &sent(r, part.index))?;
    Some((part, stage))
}

fn decimals(r: &InvoiceRecord) -> u32 {
    minor_units(&r.currency).unwrap_or(2)
}

/// The late fee (延滞金) accrued on a part on `as_of` under the invoice's policy (zero without one).
pub fn accrued_fee(r: &InvoiceRecord, part: &Part, as_of: NaiveDate) -> Decimal {
    r.dunning
        .policy
        .late_fee_percent
        .map_or(Decimal::ZERO, |p| {
            late_fee(part.open, p.get(), part.due_date, as_of, decimals(r))
        })
}

// ---- installments ------------------------------------------------------------------------------

/// `POST /invoices/{id}/installments`: the dates of the parts; the open balance is split evenly in the
/// currency's minor unit, the remainder on the last part.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstallmentRequest {
    pub due_dates: Vec<NaiveDate>,
}

pub const MAX_INSTALLMENTS: usize = 36;

/// Split `open` into `n` parts of `decimals` minor units: equal parts rounded down, the remainder on the
/// last. `None` when a part would be zero.
pub fn split(open: Decimal, n: usize, decimals: u32) -> Option<Vec<Decimal>> {
    let count = Decimal::from(u64::try_from(n).ok()?);
    if n == 0 || open <= Decimal::ZERO {
        return None;
    }
    let each =
        (open / count).round_dp_with_strategy(decimals, rust_decimal::RoundingStrategy::ToZero);
    if each <= Decimal::ZERO {
        return None;
    }
    let mut parts = vec![each; n];
    parts[n - 1] = open - each * Decimal::from(u64::try_from(n - 1).ok()?);
    Some(parts)
}

fn check_installments(req: &InstallmentRequest, today: NaiveDate) -> Result<(), AppError> {
    use seikyu_domain::Code;
    let n = req.due_dates.len();
    if !(2..=MAX_INSTALLMENTS).contains(&n) {
        return Err(field(
            "due_dates",
            Code::OutOfRange,
            format!("an installment plan has 2 to {MAX_INSTALLMENTS} parts"),
        ));
    }
    if req.due_dates[0] < today {
        return Err(field(
            "due_dates[0]",
            Code::OutOfRange,
            format!("the first part cannot be due before today ({today}, Tokyo)"),
        ));
    }
    for i in 1..n {
        if req.due_dates[i] <= req.due_dates[i - 1] {
            return Err(field(
                &format!("due_dates[{i}]"),
                Code::InvalidValue,
                "due dates must be strictly increasing",
            ));
        }
    }
    if let Some(last) = req.due_dates.last()
        && (*last - today).num_days() > 3 * 365
    {
        return Err(field(
            &format!("due_dates[{}]", n - 1),
            Code::OutOfRange,
            "a plan ends within three years",
        ));
    }
    Ok(())
}

/// The plan on `GET /invoices/{id}`: each part with what is paid and still owed.
pub fn installments_json(r: &InvoiceRecord) -> serde_json::Value {
    let Some(plan) = &r.installments else {
        return serde_json::Value::Null;
    };
    let money = |d: Decimal| d.normalize().to_string();
    let parts: Vec<_> = plan_parts(r, plan)
        .into_iter()
        .zip(1..)
        .map(|((due_date, amount, paid), part)| {
            serde_json::json!({
                "part": part,
                "due_date": due_date,
                "amount": money(amount),
                "paid": money(paid),
                "open": money(amount - paid),
            })
        })
        .collect();
    serde_json::json!({ "created_at": plan.created_at, "parts": parts })
}

/// The reminder history on `GET /invoices/{id}`, and the next scheduled day.
pub fn history_json(r: &InvoiceRecord) -> serde_json::Value {
    let money = |d: Decimal| d.normalize().to_string();
    let items: Vec<_> = r
        .dunning
        .reminders
        .iter()
        .map(|x| {
            serde_json::json!({
                "part": x.part,
                "stage": x.stage,
                "due_date": x.due_date,
                "as_of": x.as_of,
                "amount": money(x.amount),
                "late_fee": money(x.late_fee),
                "at": x.at,
                "message_id": x.message_id,
                "to": x.to,
                "note": x.note,
            })
        })
        .collect();
    serde_json::json!({ "sent": items, "next_action": next_action(r), "policy": r.dunning.policy })
}

// ---- the reminder mail -------------------------------------------------------------------------

/// Subject line and opening paragraphs per stage: polite, then firmer, never threatening.
fn wording(stage: Stage) -> (&'static str, &'static str, &'static str) {
    match stage {
        Stage::PreDue => (
            "【お支払期日のご案内】 / Payment due soon",
            "下記のご請求につきまして、お支払期日が近づいておりますのでご案内申し上げます。\r\n既にお手続きがお済みの場合は、本メールと行き違いとなりましたことをご容赦ください。",
            "This is a courtesy note that the invoice below falls due soon.\r\nIf you have already arranged payment, thank you, and please disregard this message.",
        ),
        Stage::Gentle => (
            "【お支払いのお願い】 / Payment reminder",
            "下記のご請求につきまして、お支払期日を過ぎておりますが、本日時点でご入金を確認できておりません。\r\nお手数をおかけいたしますが、ご確認のうえお手続きをお願い申し上げます。\r\n行き違いでお支払い済みの場合は、何卒ご容赦ください。",
            "Our records show that the invoice below is past its due date and still open.\r\nWe would be grateful if you could check and arrange payment.\r\nIf your payment has crossed with this message, thank you, and please disregard it.",
        ),
        Stage::Firm => (
            "【再度のお願い】お支払いのご確認 / Second reminder: payment overdue",
            "先日ご案内いたしました下記のご請求につきまして、現在もご入金を確認できておりません。\r\n至急ご確認のうえ、お支払いくださいますようお願い申し上げます。\r\nお支払いが難しいご事情や、ご請求内容についてご不明な点がございましたら、下記までご連絡ください。分割でのお支払いのご相談も承ります。",
            "We wrote to you earlier about the invoice below, which remains unpaid.\r\nPlease arrange payment as soon as possible.\r\nIf something prevents payment, or if you have a question about the invoice, please contact us: we can also arrange payment in installments.",
        ),
        Stage::Final | Stage::Escalated => (
            "【最終のご案内】お支払いのお願い / Final reminder",
            "これまでご案内を差し上げております下記のご請求につきまして、未だご入金を確認できておりません。\r\n下記の日付までにお支払いいただくか、ご連絡をいただけますよう、重ねてお願い申し上げます。\r\nご連絡がない場合は、弊社担当者より直接ご連絡させていただきます。",
            "Despite our earlier reminders, the invoice below is still unpaid.\r\nPlease pay, or contact us, by the date below.\r\nIf we do not hear from you, a member of our staff will contact you personally to settle the matter.",
        ),
    }
}

/// The reminder's plain-text body.
pub fn reminder_text(
    r: &InvoiceRecord,
    part: &Part,
    stage: Stage,
    as_of: NaiveDate,
    fee: Decimal,
) -> String {
    let inv = &r.input;
    let d = decimals(r);
    let cur = &r.currency;
    let (_, ja, en) = wording(stage);
    let mut s = String::new();
    let _ = write!(
        s,
        "{0} 御中 / Dear {0},\r\n\r\nいつもお世話になっております。{1}です。\r\n{ja}\r\n\r\n{en}\r\n\r\n",
        inv.buyer.name, inv.seller.name
    );
    let _ = write!(s, "請求書番号 / Invoice: {}\r\n", r.number);
    if part.of > 0 {
        let _ = write!(
            s,
            "分割払い / Installment: 第{0}回（全{1}回） / part {0} of {1}\r\n",
            part.index, part.of
        );
    }
    let _ = write!(s, "発行日 / Issue date: {}\r\n", r.issue_date);
    let _ = write!(s, "お支払期日 / Due date: {}\r\n", part.due_date);
    let _ = write!(
        s,
        "ご請求残高 / Amount outstanding: {} {cur}\r\n",
        amount(part.open, d)
    );
    if let Some(rate) = r.dunning.policy.late_fee_percent
        && fee > Decimal::ZERO
    {
        let days = (as_of - part.due_date).num_days();
        let _ = write!(
            s,
            "延滞金 / Late fee: {} {cur}（年率 {rate}%、{days}日分、単利 / {rate}% a year, simple interest, {days} days to {as_of}）\r\n",
            amount(fee, d),
            rate = rate.normalize()
        );
        let _ = write!(
            s,
            "合計 / Total now due: {} {cur}\r\n",
            amount(part.open + fee, d)
        );
    }
    if stage >= Stage::Final
        && let Some(day) = r.dunning.policy.escalation_day(part.due_date, Some(as_of))
    {
        let _ = write!(s, "ご連絡期限 / Please pay or contact us by: {day}\r\n");
    }
    let _ = write!(s, "\r\nお支払方法 / How to pay:\r\n");
    match bank_transfer_lines(inv, &r.number) {
        Some(lines) => {
            let _ = write!(s, "  銀行振込 / Bank transfer:\r\n");
            for l in lines {
                let _ = write!(s, "    {l}\r\n");
            }
        }
        None => {
            let _ = write!(
                s,
                "  請求書記載の方法でお支払いください / Please pay as stated on invoice {}.\r\n",
                r.number
            );
        }
    }
    if let Some(t) = &inv.payment_terms {
        let _ = write!(s, "  {t}\r\n");
    }
    let _ = write!(
        s,
        "\r\nお問い合わせ / Contact:\r\n  {}\r\n",
        inv.seller.name
    );
    if let Some(c) = &inv.seller.contact {
        for v in [&c.name, &c.phone, &c.email].into_iter().flatten() {
            let _ = write!(s, "  {v}\r\n");
        }
    }
    let _ = write!(
        s,
        "\r\n本メールは {0} の請求業務を代行する Seikyu よりお送りしています。\r\nThis message is sent by Seikyu, billing agent for {0}.\r\n",
        inv.seller.name
    );
    s
}

/// The note to the seller when a case is escalated.
pub fn escalation_text(r: &InvoiceRecord, part: &Part, as_of: NaiveDate, fee: Decimal) -> String {
    let d = decimals(r);
    let cur = &r.currency;
    let mut s = String::new();
    let _ = write!(
        s,
        "{0} ご担当者様 / Dear {0},\r\n\r\n下記のご請求は最終のご案内後もご入金が確認できないため、自動督促を停止し、貴社ご担当者様へお引き継ぎいたします。\r\nThe invoice below is still unpaid after the final reminder. Automatic reminders have stopped; please take the case over.\r\n\r\n",
        r.input.seller.name
    );
    let _ = write!(s, "請求書番号 / Invoice: {}\r\n", r.number);
    let _ = write!(s, "請求先 / Buyer: {}\r\n", r.buyer_name);
    if let Some(c) = &r.customer_id {
        let _ = write!(s, "顧客ID / Customer: {c}\r\n");
    }
    if part.of > 0 {
        let _ = write!(s, "分割 / Installment: {} / {}\r\n", part.index, part.of);
    }
    let _ = write!(s, "お支払期日 / Due date: {}\r\n", part.due_date);
    let _ = write!(
        s,
        "未入金額 / Outstanding: {} {cur}\r\n",
        amount(part.open, d)
    );
    if fee > Decimal::ZERO {
        let _ = write!(
            s,
            "延滞金 / Late fee to {as_of}: {} {cur}\r\n",
            amount(fee, d)
        );
    }
    let _ = write!(s, "督促履歴 / Reminders sent:\r\n");
    for x in r.dunning.reminders.iter().filter(|x| x.part == part.index) {
        let _ = write!(
            s,
            "  {} {} {}\r\n",
            x.as_of,
            x.stage.as_str(),
            x.message_id.as_deref().unwrap_or("(not mailed)")
        );
    }
    s
}

/// What a stage mails, before it is addressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderMail {
    pub subject: String,
    /// `None`: no address on file.
    pub to: Option<String>,
    pub text: String,
}

fn compose(
    r: &InvoiceRecord,
    part: &Part,
    stage: Stage,
    mail: &ReminderMail,
    from: &str,
    to: &str,
    now: DateTime<Utc>,
) -> Vec<u8> {
    let mut m = String::new();
    let _ = write!(
        m,
        "From: {from}\r\nTo: {to}\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: <reminder.{}.{}.{}.{}@seikyu.invalid>\r\n",
        encode_header(&mail.subject),
        now.to_rfc2822(),
        r.invoice_id,
        part.index,
        stage.as_str(),
        r.seller_id
    );
    let _ = write!(
        m,
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}",
        base64_lines(mail.text.as_bytes())
    );
    m.into_bytes()
}

/// Subject, recipient and body of the mail a stage sends: the buyer is reminded; at escalation the
/// seller is told. `None` recipient: no address on file.
pub fn message(r: &InvoiceRecord, part: &Part, stage: Stage, as_of: NaiveDate) -> ReminderMail {
    let fee = accrued_fee(r, part, as_of);
    if stage == Stage::Escalated {
        let to = r
            .input
            .seller
            .contact
            .as_ref()
            .and_then(|c| c.email.clone());
        let subject = format!(
            "【要対応】督促の引き継ぎ 請求書 {0} / Escalated: invoice {0} unpaid",
            r.number
        );
        return ReminderMail {
            subject,
            to,
            text: escalation_text(r, part, as_of, fee),
        };
    }
    let to = r.input.buyer.contact.as_ref().and_then(|c| c.email.clone());
    let subject = format!(
        "{} 請求書 {} ({})",
        wording(stage).0,
        r.number,
        r.input.seller.name
    );
    ReminderMail {
        subject,
        to,
        text: reminder_text(r, part, stage, as_of, fee),
    }
}

// ---- scheduler and sender ----------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleReport {
    pub as_of: NaiveDate,
    /// Reminders put on the queue.
    pub queued: usize,
    /// Index items the store read to find them.
    pub items_read: usize,
}

/// The Tokyo day a scheduler run is for: the scheduled event's `time` (when EventBridge fired it, so a
/// retried invocation runs for the same day), or `now` for an event without one. A time that is not
/// RFC 3339, or more than a year from `now`, is refused.
pub fn run_day(event: &serde_json::Value, now: DateTime<Utc>) -> Result<NaiveDate, String> {
    let at = match event.get("time") {
        None | Some(serde_json::Value::Null) => now,
        Some(serde_json::Value::String(t)) => DateTime::parse_from_rfc3339(t)
            .map_err(|e| format!("time: not an RFC 3339 timestamp ({e})"))?
            .with_timezone(&Utc),
        Some(_) => return Err("time: not a string".into()),
    };
    if (at - now).num_days().abs() > 366 {
        return Err(format!("time: {at} is more than a year from now ({now})"));
    }
    Ok(tokyo_date(at))
}

/// A reminder that ends before the send.
enum Early {
    Outcome(RemindOutcome),
    /// The stage is due but there is no address: recorded without a mail.
    Unmailed(Box<InvoiceRecord>, Part, Stage),
}

/// What one `reminder.due` message led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemindOutcome {
    /// The reminder (or, at escalation, the note to the seller) went out.
    Sent {
        part: u32,
        stage: Stage,
        message_id: String,
    },
    /// The stage was carried out without a mail: no address on file (recorded in the history).
    NoRecipient { part: u32, stage: Stage },
    /// Nothing is due on this day (already sent, or not yet).
    NothingDue,
    /// Paid, void, disputed, escalated or not yet sent: never reminded.
    NotRemindable(InvoiceStatus),
}

impl<S, A, Q, B, C> App<S, A, Q, B, C>
where
    S: Store,
    A: DocumentArchive,
    Q: MessageQueue,
    B: EventBus,
    C: Clock,
{
    /// The scheduler's run for `as_of` (a Tokyo date): one `reminder.due` message per invoice whose next
    /// action day has come, found through the store's next-action index.
    pub async fn schedule_reminders(&self, as_of: NaiveDate) -> Result<ScheduleReport, AppError> {
        let found = self.store.reminders_due(as_of).await?;
        let messages: Vec<QueueMessage> = found
            .invoices
            .iter()
            .map(|(seller_id, invoice_id)| QueueMessage {
                event: EVENT_REMINDER_DUE.into(),
                seller_id: seller_id.clone(),
                invoice_id: invoice_id.clone(),
                payment: None,
                as_of: Some(as_of),
            })
            .collect();
        self.queue
            .send_batch(&messages)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(ScheduleReport {
            as_of,
            queued: messages.len(),
            items_read: found.items_read,
        })
    }

    /// Handle one `reminder.due` message: re-read the invoice, and if a stage is due, claim it, mail it
    /// and record it. A payment or dispute that lands before the claim cancels the send; the claim (a
    /// conditional write on the version read) makes two deliveries send at most once.
    pub async fn remind<M: Mailer>(
        &self,
        mailer: &M,
        from: &str,
        msg: &QueueMessage,
    ) -> Result<RemindOutcome, MailJobError> {
        if msg.event != EVENT_REMINDER_DUE {
            return Err(MailJobError::Permanent(format!(
                "unknown event {:?}",
                msg.event
            )));
        }
        let now = self.clock.now();
        // A message handled late (redelivered, queue backlog) acts on today, never on a past day.
        let as_of = msg.as_of.unwrap_or(tokyo_date(now)).max(tokyo_date(now));
        let load = || self.load(&msg.seller_id, &msg.invoice_id);
        let what = format!("invoice {}", msg.invoice_id);
        let claimed = send_once::claim(&self.store, &what, load, |r: &InvoiceRecord| {
            if !remindable(r) {
                return Ok(Decision::Done(Early::Outcome(
                    RemindOutcome::NotRemindable(r.status),
                )));
            }
            let Some((part, stage)) = due(r, as_of) else {
                return Ok(Decision::Done(Early::Outcome(RemindOutcome::NothingDue)));
            };
            if r.dunning.sending.as_ref().is_some_and(|c| c.until > now) {
                return Err(MailJobError::Retryable(format!(
                    "invoice {} has a reminder being sent",
                    r.invoice_id
                )));
            }
            let mail = message(r, &part, stage, as_of);
            let Some(to) = mail.to.clone() else {
                return Ok(Decision::Done(Early::Unmailed(
                    Box::new(r.clone()),
                    part,
                    stage,
                )));
            };
            let mut claim = r.clone();
            claim.dunning.sending = Some(ReminderClaim {
                part: part.index,
                stage,
                until: now + chrono::Duration::seconds(SEND_CLAIM_SECONDS),
            });
            Ok(Decision::Claim(claim, (part, stage, mail, to)))
        })
        .await?;
        let (record, (part, stage, mail, to)) = match claimed {
            Ok(c) => c,
            Err(Early::Outcome(o)) => return Ok(o),
            Err(Early::Unmailed(r, part, stage)) => {
                let note = if stage == Stage::Escalated {
                    "escalated; the seller has no contact email (the event went to the seller's bus)"
                } else {
                    "not mailed: the buyer has no email address"
                };
                let rec = record_for(&r, &part, stage, as_of, now, None, vec![], Some(note));
                self.record_reminder(*r, rec).await?;
                return Ok(RemindOutcome::NoRecipient {
                    part: part.index,
                    stage,
                });
            }
        };
        let raw = compose(&record, &part, stage, &mail, from, &to, now);
        let message_id = send_once::send(
            &self.store,
            mailer,
            &record,
            |r| r.dunning.sending = None,
            from,
            &to,
            &raw,
        )
        .await?;
        // Sent: from here on the message is never reported as failed, or it would be sent again.
        let rec = record_for(
            &record,
            &part,
            stage,
            as_of,
            now,
            Some(message_id.clone()),
            vec![to],
            None,
        );
        if let Err(e) = self.record_reminder(record, rec).await {
            tracing::error!(invoice_id = %msg.invoice_id, message_id = %message_id, error = %e, "reminder sent, but not recorded");
        }
        Ok(RemindOutcome::Sent {
            part: part.index,
            stage,
            message_id,
        })
    }

    async fn load(&self, seller_id: &str, invoice_id: &str) -> Result<InvoiceRecord, MailJobError> {
        self.store.get(seller_id, invoice_id).await?.ok_or_else(|| {
            MailJobError::Permanent(format!("no invoice {invoice_id} for seller {seller_id}"))
        })
    }

    /// Add a carried-out stage to the history (and, at escalation, mark the invoice escalated and tell
    /// the seller's bus), on the latest record.
    async fn record_reminder(
        &self,
        current: InvoiceRecord,
        rec: ReminderRecord,
    ) -> Result<(), MailJobError> {
        let (seller_id, invoice_id) = (current.seller_id.clone(), current.invoice_id.clone());
        let load = || self.load(&seller_id, &invoice_id);
        let what = format!("invoice {invoice_id}");
        let event = send_once::record(&self.store, &what, current, load, |r| {
            if r.dunning
                .reminders
                .iter()
                .any(|x| x.part == rec.part && x.stage == rec.stage)
            {
                return Record::Already;
            }
            r.updated_at = rec.at;
            if r.dunning
                .sending
                .as_ref()
                .is_some_and(|c| c.part == rec.part && c.stage == rec.stage)
            {
                r.dunning.sending = None;
            }
            let escalate = rec.stage == Stage::Escalated && remindable(r);
            r.dunning.reminders.push(rec.clone());
            if escalate {
                r.status = InvoiceStatus::Escalated;
            }
            Record::Changed(escalate.then(|| OutboxEntry::escalated(r, rec.at)))
        })
        .await?;
        if let Some(e) = &event {
            self.deliver(e).await;
        }
        Ok(())
    }

    /// Handle a batch of `reminder.due` messages `(message id, body)`; returns the ids that failed.
    pub async fn remind_batch<M: Mailer>(
        &self,
        mailer: &M,
        from: &str,
        messages: &[(String, String)],
    ) -> Vec<String> {
        each_message(messages, |msg| async move {
            self.remind(mailer, from, &msg).await
        })
        .await
    }

    /// Agree an installment plan (分割払い) on an invoice's open balance. Repeating the same request
    /// answers with the plan made; another plan on the same invoice is refused.
    pub async fn installments(
        &self,
        seller: &crate::record::SellerAccount,
        id: &str,
        req: &InstallmentRequest,
    ) -> Result<InvoiceRecord, AppError> {
        let now = self.clock.now();
        check_installments(req, tokyo_date(now))?;
        let current = self.get(seller, id).await?;
        if let Some(plan) = &current.installments {
            let same: Vec<NaiveDate> = plan.parts.iter().map(|p| p.due_date).collect();
            if same == req.due_dates {
                return Ok(current);
            }
            return Err(AppError::Conflict {
                code: "plan_exists",
                message: format!("invoice {id} has an installment plan already"),
            });
        }
        self.update_with(
            seller,
            id,
            |r| {
                if r.installments.is_some() {
                    return Err(AppError::Conflict {
                        code: "plan_exists",
                        message: format!("invoice {id} has an installment plan already"),
                    });
                }
                if r.document_type != DocumentType::Invoice
                    || !matches!(
                        r.status,
                        InvoiceStatus::Issued
                            | InvoiceStatus::PartiallyPaid
                            | InvoiceStatus::Escalated
                    )
                {
                    return Err(invalid_state(
                        r,
                        r.status,
                        "split",
                        "issued, partially_paid or escalated invoices",
                    ));
                }
                let amounts = split(r.open_balance(), req.due_dates.len(), decimals(r))
                    .ok_or_else(|| {
                        field(
                            "due_dates",
                            seikyu_domain::Code::OutOfRange,
                            "too many parts for the open balance",
                        )
                    })?;
                r.installments = Some(InstallmentPlan {
                    created_at: now,
                    paid_before: r.paid_total,
                    parts: req
                        .due_dates
                        .iter()
                        .zip(amounts)
                        .map(|(d, a)| Installment {
                            due_date: *d,
                            amount: a,
                        })
                        .collect(),
                });
                // An escalated case a person settled with a plan goes back on the schedule.
                if r.status == InvoiceStatus::Escalated {
                    r.status = if r.paid_total > Decimal::ZERO {
                        InvoiceStatus::PartiallyPaid
                    } else {
                        InvoiceStatus::Issued
                    };
                }
                Ok(())
            },
            false,
        )
        .await
    }
}

#[allow(clippy::too_many_arguments)]
fn record_for(
    r: &InvoiceRecord,
    part: &Part,
    stage: Stage,
    as_of: NaiveDate,
    at: DateTime<Utc>,
    message_id: Option<String>,
    to: Vec<String>,
    note: Option<&str>,
) -> ReminderRecord {
    ReminderRecord {
        part: part.index,
        stage,
        due_date: part.due_date,
        as_of,
        amount: part.open,
        late_fee: accrued_fee(r, part, as_of),
        at,
        message_id,
        to,
        note: note.map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    #[test]
    fn split_puts_the_remainder_last() {
        assert_eq!(
            split(d("100000"), 3, 0),
            Some(vec![d("33333"), d("33333"), d("33334")])
        );
        assert_eq!(
            split(d("100.00"), 3, 2),
            Some(vec![d("33.33"), d("33.33"), d("33.34")])
        );
        assert_eq!(split(d("2"), 3, 0), None);
        assert_eq!(split(d("0"), 2, 0), None);
    }

    proptest! {
        #[test]
        fn split_sums_exactly(open in 1u64..10_000_000_000u64, n in 2usize..37, dec in 0u32..3) {
            let open = Decimal::new(i64::try_from(open).unwrap_or(1), dec);
            if let Some(parts) = split(open, n, dec) {
                prop_assert_eq!(parts.len(), n);
                prop_assert_eq!(parts.iter().copied().sum::<Decimal>(), open);
                prop_assert!(parts.iter().all(|p| *p > Decimal::ZERO));
                prop_assert!(parts[..n - 1].windows(2).all(|w| w[0] == w[1]));
                prop_assert!(parts[n - 1] >= parts[0]);
            }
        }
    }
}
