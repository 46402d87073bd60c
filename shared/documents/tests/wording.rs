//! What the reminders and the escalation note say: firmer by stage, never threatening; the late fee only
//! once there is one; amounts in the invoice's decimals.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use seikyu_documents::reminder::{self, ReminderDoc};
use seikyu_domain::dunning::{Part, Stage};

/// Words a reminder never uses: legal steps, debt collection, punishment.
const THREATS: [&str; 5] = ["法的", "訴訟", "取立", "legal action", "collection agency"];
const THREAT_WORDS: [&str; 4] = ["court", "lawyer", "sue", "penalty"];

fn threats_in(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut found: Vec<String> = THREATS
        .iter()
        .filter(|t| lower.contains(*t))
        .map(|t| t.to_string())
        .collect();
    found.extend(
        lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| THREAT_WORDS.contains(w))
            .map(str::to_string),
    );
    found
}

#[test]
fn the_threat_check_finds_whole_words_only() {
    assert_eq!(threats_in("We will SUE you."), ["sue"]);
    assert_eq!(threats_in("法的措置"), ["法的"]);
    assert!(threats_in("The invoice was issued; pursue payment.").is_empty());
}

#[test]
fn no_stage_threatens() {
    let inv = jp_mixed();
    let part = whole(&inv);
    for stage in Stage::ALL {
        let doc = reminder(&inv, &part, stage);
        for text in [reminder::subject(&doc), reminder::text(&doc)] {
            assert_eq!(threats_in(&text), Vec::<String>::new(), "{stage:?}: {text}");
        }
    }
    let inst = installment(2);
    let e = escalation(&inv, &inst);
    for text in [
        reminder::escalation_subject(&e),
        reminder::escalation_text(&e),
    ] {
        assert_eq!(threats_in(&text), Vec::<String>::new(), "{text}");
    }
}

#[test]
fn stages_get_firmer() {
    let inv = jp_mixed();
    let part = whole(&inv);
    let subject = |stage| reminder::subject(&reminder(&inv, &part, stage));
    assert!(
        subject(Stage::PreDue)
            .starts_with("【お支払期日のご案内】 / Payment due soon 請求書 AOZ-2026-000103")
    );
    assert!(subject(Stage::Gentle).contains("Payment reminder"));
    assert!(subject(Stage::Firm).contains("Second reminder: payment overdue"));
    assert!(subject(Stage::Final).contains("Final reminder"));
    assert!(subject(Stage::Final).ends_with("(株式会社青空商事)"));
}

#[test]
fn the_pre_due_notice_has_no_late_fee() {
    let inv = jp_mixed();
    let part = whole(&inv);
    let doc = reminder(&inv, &part, Stage::PreDue);
    assert!(doc.late_fee_percent.is_some(), "the policy has a late fee");
    let text = reminder::text(&doc);
    for absent in ["延滞金", "Late fee", "Total now due", "contact us by"] {
        assert!(!text.contains(absent), "{absent} in:\n{text}");
    }
    assert!(text.contains("ご請求残高 / Amount outstanding: 58,544 JPY\r\n"));
}

#[test]
fn no_fee_line_without_a_fee_or_a_rate() {
    let inv = jp_mixed();
    let part = whole(&inv);
    let base = reminder(&inv, &part, Stage::Firm);
    let no_rate = ReminderDoc {
        late_fee_percent: None,
        ..base
    };
    let no_fee = ReminderDoc {
        fee: d("0"),
        ..base
    };
    for doc in [no_rate, no_fee] {
        let text = reminder::text(&doc);
        assert!(
            !text.contains("延滞金") && !text.contains("Total now due"),
            "{text}"
        );
    }
}

#[test]
fn the_firm_reminder_shows_the_late_fee_and_the_total() {
    let inv = jp_mixed();
    let part = whole(&inv);
    let doc = reminder(&inv, &part, Stage::Firm);
    // 58,544 JPY at 14.6 % a year for 7 days: 163.9 -> 163.
    assert_eq!(doc.fee, d("163"));
    let text = reminder::text(&doc);
    let fee_line = text
        .split("\r\n")
        .find(|l| l.starts_with("延滞金 / Late fee: "))
        .unwrap_or_else(|| panic!("no late fee line in:\n{text}"));
    assert!(
        fee_line.starts_with("延滞金 / Late fee: 163 JPY（年率 14.6%、7日分"),
        "{fee_line}"
    );
    assert!(fee_line.contains("14.6% a year, simple interest, 7 days to 2026-12-07"));
    assert!(
        text.contains("合計 / Total now due: 58,707 JPY\r\n"),
        "{text}"
    );
}

#[test]
fn the_final_notice_gives_the_day_to_get_in_touch_by() {
    let inv = jp_mixed();
    let part = whole(&inv);
    let doc = reminder(&inv, &part, Stage::Final);
    let text = reminder::text(&doc);
    assert!(
        text.contains("ご連絡期限 / Please pay or contact us by: 2026-12-21\r\n"),
        "{text}"
    );
    // Only from the final notice on, and only with a day.
    let firm = ReminderDoc {
        escalation_day: Some(ymd(2026, 12, 21)),
        ..reminder(&inv, &part, Stage::Firm)
    };
    assert!(!reminder::text(&firm).contains("contact us by"));
    let no_day = ReminderDoc {
        escalation_day: None,
        ..doc
    };
    assert!(!reminder::text(&no_day).contains("contact us by"));
}

#[test]
fn installments_name_the_part() {
    let inv = jp_mixed();
    let part = installment(1);
    let text = reminder::text(&reminder(&inv, &part, Stage::Gentle));
    assert!(text.contains("分割払い / Installment: 第1回（全3回） / part 1 of 3\r\n"));
    assert!(text.contains("ご請求残高 / Amount outstanding: 19,514 JPY\r\n"));
    let whole_invoice = whole(&inv);
    let text = reminder::text(&reminder(&inv, &whole_invoice, Stage::Gentle));
    assert!(!text.contains("Installment"));
}

/// A BHD invoice is an e-invoice with two decimals (EN 16931 allows no more, whatever the currency's
/// minor unit), so the amounts it states, and the open balance computed from them, have two decimals. A
/// reminder must quote them as the invoice does (`12,345.68 BHD`), not in the currency's three-decimal
/// minor unit (`12,345.680 BHD`), or the buyer compares two different-looking amounts.
#[test]
fn a_bhd_reminder_shows_the_invoice_decimals() {
    let inv = bhd();
    assert_eq!(
        inv.totals.decimals, 2,
        "the BHD invoice itself has 2 decimals"
    );
    let part = Part {
        open: d("12345.68"),
        ..whole(&inv)
    };
    let doc = reminder(&inv, &part, Stage::Firm);
    let text = reminder::text(&doc);
    assert!(
        text.contains("ご請求残高 / Amount outstanding: 12,345.68 BHD\r\n"),
        "{text}"
    );
    assert!(text.contains("延滞金 / Late fee: 9.87 BHD"), "{text}");
    assert!(
        text.contains("合計 / Total now due: 12,355.55 BHD\r\n"),
        "{text}"
    );
    assert!(!text.contains(".680"), "no third decimal: {text}");

    let e = reminder::EscalationDoc {
        currency: "BHD",
        ..escalation(&inv, &part)
    };
    assert!(reminder::escalation_text(&e).contains("未入金額 / Outstanding: 12,345.68 BHD\r\n"));
}

#[test]
fn the_escalation_note_lists_what_was_sent() {
    let inv = jp_mixed();
    let part = installment(2);
    let e = escalation(&inv, &part);
    let text = reminder::escalation_text(&e);
    assert!(text.starts_with("株式会社青空商事 ご担当者様 / Dear 株式会社青空商事,\r\n"));
    assert!(text.contains("顧客ID / Customer: CUST-0042\r\n"));
    assert!(text.contains("分割 / Installment: 2 / 3\r\n"));
    assert!(
        text.ends_with("  2026-12-07 firm 0100019a-firm\r\n  2026-12-14 final (not mailed)\r\n")
    );
    assert_eq!(
        reminder::escalation_subject(&e),
        "【要対応】督促の引き継ぎ 請求書 AOZ-2026-000103 / Escalated: invoice AOZ-2026-000103 unpaid"
    );
    let bare = reminder::EscalationDoc {
        customer_id: None,
        fee: d("0"),
        sent: vec![],
        ..e
    };
    let text = reminder::escalation_text(&bare);
    assert!(!text.contains("顧客ID") && !text.contains("延滞金"));
    assert!(text.ends_with("督促履歴 / Reminders sent:\r\n"));
}

#[test]
fn extreme_amounts_and_dates_do_not_panic() {
    let inv = jp_mixed();
    let max = rust_decimal::Decimal::MAX;
    let part = Part {
        index: u32::MAX,
        of: u32::MAX,
        due_date: chrono::NaiveDate::MIN,
        open: max,
    };
    // Built field by field: the fixture's fee (domain `late_fee`) is not what is under test here.
    let doc = ReminderDoc {
        number: inv.number(),
        issue_date: inv.input.issue_date,
        input: &inv.input,
        part: &part,
        stage: Stage::Final,
        as_of: chrono::NaiveDate::MAX,
        fee: max,
        late_fee_percent: Some(max),
        escalation_day: Some(chrono::NaiveDate::MAX),
    };
    let text = reminder::text(&doc);
    assert!(text.contains("Total now due"));
    let e = reminder::EscalationDoc {
        number: "",
        seller_name: "",
        buyer_name: "",
        customer_id: Some(""),
        currency: "",
        part: &part,
        as_of: chrono::NaiveDate::MIN,
        fee: max,
        sent: vec![],
    };
    assert!(reminder::escalation_text(&e).contains("未入金額"));
}
