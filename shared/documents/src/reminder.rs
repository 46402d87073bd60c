//! Dunning (督促) wording: the reminder to the buyer per stage (polite, then firmer, never threatening)
//! and the note to the seller when a case is escalated to a person.

use std::fmt::Write as _;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use seikyu_domain::InvoiceInput;
use seikyu_domain::dunning::{Part, Stage};

use crate::format::{amount, bank_transfer_lines};

/// What a reminder to the buyer shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReminderDoc<'a> {
    pub number: &'a str,
    pub issue_date: NaiveDate,
    /// Buyer and seller names, seller contact, bank account, payment terms, currency.
    pub input: &'a InvoiceInput,
    pub part: &'a Part,
    pub stage: Stage,
    pub as_of: NaiveDate,
    /// Late fee accrued to `as_of` (zero: none shown).
    pub fee: Decimal,
    /// The policy's yearly late-fee rate, if any.
    pub late_fee_percent: Option<Decimal>,
    /// For the final notice: the day to pay or get in touch by.
    pub escalation_day: Option<NaiveDate>,
}

/// Subject line and opening paragraphs (Japanese, English) per stage: polite, then firmer, never
/// threatening.
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

/// The subject line of a reminder.
pub fn subject(d: &ReminderDoc) -> String {
    format!(
        "{} 請求書 {} ({})",
        wording(d.stage).0,
        d.number,
        d.input.seller.name
    )
}

/// The reminder's plain-text body.
pub fn text(d: &ReminderDoc) -> String {
    let inv = d.input;
    let part = d.part;
    let as_of = d.as_of;
    let cur = &inv.currency;
    let amount = |v| amount(v, cur);
    let (_, ja, en) = wording(d.stage);
    let mut s = String::new();
    let _ = write!(
        s,
        "{0} 御中 / Dear {0},\r\n\r\nいつもお世話になっております。{1}です。\r\n{ja}\r\n\r\n{en}\r\n\r\n",
        inv.buyer.name, inv.seller.name
    );
    let _ = write!(s, "請求書番号 / Invoice: {}\r\n", d.number);
    if part.of > 0 {
        let _ = write!(
            s,
            "分割払い / Installment: 第{0}回（全{1}回） / part {0} of {1}\r\n",
            part.index, part.of
        );
    }
    let _ = write!(s, "発行日 / Issue date: {}\r\n", d.issue_date);
    let _ = write!(s, "お支払期日 / Due date: {}\r\n", part.due_date);
    let _ = write!(
        s,
        "ご請求残高 / Amount outstanding: {} {cur}\r\n",
        amount(part.open)
    );
    if let Some(rate) = d.late_fee_percent
        && d.fee > Decimal::ZERO
    {
        let days = (as_of - part.due_date).num_days();
        let _ = write!(
            s,
            "延滞金 / Late fee: {} {cur}（年率 {rate}%、{days}日分、単利 / {rate}% a year, simple interest, {days} days to {as_of}）\r\n",
            amount(d.fee),
            rate = rate.normalize()
        );
        let _ = write!(
            s,
            "合計 / Total now due: {} {cur}\r\n",
            amount(part.open.saturating_add(d.fee))
        );
    }
    if d.stage >= Stage::Final
        && let Some(day) = d.escalation_day
    {
        let _ = write!(s, "ご連絡期限 / Please pay or contact us by: {day}\r\n");
    }
    let _ = write!(s, "\r\nお支払方法 / How to pay:\r\n");
    match bank_transfer_lines(inv, d.number) {
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
                d.number
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

/// One reminder sent before, as the escalation note lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent<'a> {
    pub as_of: NaiveDate,
    pub stage: Stage,
    /// `None`: carried out without a mail (no address on file).
    pub message_id: Option<&'a str>,
}

/// What the note to the seller shows when a case is escalated.
#[derive(Debug, Clone, PartialEq)]
pub struct EscalationDoc<'a> {
    pub number: &'a str,
    pub seller_name: &'a str,
    pub buyer_name: &'a str,
    pub customer_id: Option<&'a str>,
    pub currency: &'a str,
    pub part: &'a Part,
    pub as_of: NaiveDate,
    /// Late fee accrued to `as_of` (zero: none shown).
    pub fee: Decimal,
    /// The reminders sent for this part, in order.
    pub sent: Vec<Sent<'a>>,
}

/// The subject line of the note to the seller.
pub fn escalation_subject(d: &EscalationDoc) -> String {
    format!(
        "【要対応】督促の引き継ぎ 請求書 {0} / Escalated: invoice {0} unpaid",
        d.number
    )
}

/// The note to the seller when a case is escalated.
pub fn escalation_text(d: &EscalationDoc) -> String {
    let part = d.part;
    let as_of = d.as_of;
    let cur = d.currency;
    let amount = |v| amount(v, cur);
    let mut s = String::new();
    let _ = write!(
        s,
        "{0} ご担当者様 / Dear {0},\r\n\r\n下記のご請求は最終のご案内後もご入金が確認できないため、自動督促を停止し、貴社ご担当者様へお引き継ぎいたします。\r\nThe invoice below is still unpaid after the final reminder. Automatic reminders have stopped; please take the case over.\r\n\r\n",
        d.seller_name
    );
    let _ = write!(s, "請求書番号 / Invoice: {}\r\n", d.number);
    let _ = write!(s, "請求先 / Buyer: {}\r\n", d.buyer_name);
    if let Some(c) = d.customer_id {
        let _ = write!(s, "顧客ID / Customer: {c}\r\n");
    }
    if part.of > 0 {
        let _ = write!(s, "分割 / Installment: {} / {}\r\n", part.index, part.of);
    }
    let _ = write!(s, "お支払期日 / Due date: {}\r\n", part.due_date);
    let _ = write!(s, "未入金額 / Outstanding: {} {cur}\r\n", amount(part.open));
    if d.fee > Decimal::ZERO {
        let _ = write!(
            s,
            "延滞金 / Late fee to {as_of}: {} {cur}\r\n",
            amount(d.fee)
        );
    }
    let _ = write!(s, "督促履歴 / Reminders sent:\r\n");
    for x in &d.sent {
        let _ = write!(
            s,
            "  {} {} {}\r\n",
            x.as_of,
            x.stage.as_str(),
            x.message_id.unwrap_or("(not mailed)")
        );
    }
    s
}
