//! Golden tests: fixed views rendered and compared byte for byte with the files under `tests/golden/`.
//!
//! After a deliberate change of wording, write the files anew with
//! `SEIKYU_BLESS=1 cargo test -p seikyu-documents --test golden` and review the diff.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;

use common::*;
use seikyu_documents::{invoice, receipt, reminder};
use seikyu_domain::dunning::Stage;

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Compare `got` with `tests/golden/{name}`, or write it there when `SEIKYU_BLESS=1`.
fn check(name: &str, got: impl AsRef<[u8]>) {
    let got = got.as_ref();
    let path = golden_dir().join(name);
    if std::env::var("SEIKYU_BLESS").as_deref() == Ok("1") {
        std::fs::create_dir_all(golden_dir()).expect("create tests/golden");
        std::fs::write(&path, got).expect("write golden file");
        return;
    }
    let Ok(want) = std::fs::read(&path) else {
        panic!(
            "golden file {} is missing: write it with `SEIKYU_BLESS=1 cargo test -p seikyu-documents --test golden` and review it",
            path.display()
        );
    };
    if want != got {
        let (w, g) = (String::from_utf8_lossy(&want), String::from_utf8_lossy(got));
        let line = w
            .split('\n')
            .zip(g.split('\n'))
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| w.split('\n').count().min(g.split('\n').count()));
        panic!(
            "{name} differs from {} from line {}:\n--- want\n{}\n+++ got\n{}\n(if the change is deliberate: SEIKYU_BLESS=1 cargo test -p seikyu-documents --test golden)",
            path.display(),
            line + 1,
            w.split('\n').nth(line).unwrap_or("<end>"),
            g.split('\n').nth(line).unwrap_or("<end>"),
        );
    }
}

#[test]
fn jpy_invoice_with_reduced_rate_bank_account_and_contact() {
    let inv = jp_mixed();
    let doc = inv.doc();
    check("invoice-jpy.txt", invoice::text_body(&doc));
    check("invoice-jpy.html", invoice::html_body(&doc));
    let env = envelope("ap@midori.example.jp", "inv-103.seller-aozora");
    check("invoice-jpy.eml", invoice::mail(&doc, PDF, UBL, &env));
}

#[test]
fn credit_note() {
    let inv = jp_credit_note();
    let doc = inv.doc();
    check("credit-note-jpy.txt", invoice::text_body(&doc));
    check("credit-note-jpy.html", invoice::html_body(&doc));
    let env = envelope("ap@midori.example.jp", "cn-7.seller-aozora");
    check("credit-note-jpy.eml", invoice::mail(&doc, PDF, UBL, &env));
}

#[test]
fn eur_invoice() {
    let inv = eu_eur();
    let doc = inv.doc();
    check("invoice-eur.txt", invoice::text_body(&doc));
    check("invoice-eur.html", invoice::html_body(&doc));
}

#[test]
fn receipt_with_two_rates_a_replaced_receipt_and_credit() {
    let inv = jp_mixed();
    let r = receipt_full(&inv);
    let html = receipt::html(&r);
    check("receipt-full.html", &html);
    check("receipt-full.txt", receipt::text(&r.note()));
    let env = envelope("ap@midori.example.jp", "AOZ-R-2026-000002.seller-aozora");
    check(
        "receipt-full.eml",
        receipt::mail(&r.note(), html.as_bytes(), PDF, &env),
    );
}

#[test]
fn part_payment_receipt() {
    let inv = jp_mixed();
    let r = receipt_part(&inv);
    check("receipt-part.html", receipt::html(&r));
    check("receipt-part.txt", receipt::text(&r.note()));
}

#[test]
fn every_reminder_stage() {
    let inv = jp_mixed();
    let part = whole(&inv);
    for stage in [Stage::PreDue, Stage::Gentle, Stage::Firm, Stage::Final] {
        let doc = reminder::ReminderDoc {
            // The gentle reminder: a policy without a late fee.
            late_fee_percent: (stage != Stage::Gentle).then(|| d(LATE_FEE)),
            ..reminder(&inv, &part, stage)
        };
        check(
            &format!("reminder-{}.txt", stage.as_str()),
            reminder::text(&doc),
        );
    }
    let doc = reminder(&inv, &part, Stage::Firm);
    let env = envelope(
        "ap@midori.example.jp",
        "reminder.inv-103.0.firm.seller-aozora",
    );
    let subject = reminder::subject(&doc);
    let text = reminder::text(&doc);
    let mail = seikyu_documents::mime::Message {
        envelope: &env,
        subject: &subject,
        text: &text,
        html: None,
        attachments: &[],
    };
    check("reminder-firm.eml", mail.to_bytes());
}

#[test]
fn installment_reminder() {
    let inv = jp_mixed();
    let part = installment(1);
    check(
        "reminder-installment.txt",
        reminder::text(&reminder(&inv, &part, Stage::Gentle)),
    );
}

#[test]
fn reminder_without_a_bank_account() {
    let mut inv = eu_eur();
    inv.input.seller.bank_account = None;
    let part = whole(&inv);
    check(
        "reminder-no-bank.txt",
        reminder::text(&reminder(&inv, &part, Stage::Gentle)),
    );
}

#[test]
fn bhd_reminder() {
    let inv = bhd();
    let part = seikyu_domain::dunning::Part {
        open: d("12345.68"),
        ..whole(&inv)
    };
    check(
        "reminder-bhd.txt",
        reminder::text(&reminder(&inv, &part, Stage::Firm)),
    );
}

#[test]
fn escalation_note() {
    let inv = jp_mixed();
    let part = installment(2);
    let doc = escalation(&inv, &part);
    let text = reminder::escalation_text(&doc);
    check("escalation.txt", &text);
    let subject = reminder::escalation_subject(&doc);
    let env = envelope(
        "billing@aozora.example.jp",
        "reminder.inv-103.2.escalated.seller-aozora",
    );
    let mail = seikyu_documents::mime::Message {
        envelope: &env,
        subject: &subject,
        text: &text,
        html: None,
        attachments: &[],
    };
    check("escalation.eml", mail.to_bytes());
}

#[test]
fn subjects() {
    let jp = jp_mixed();
    let cn = jp_credit_note();
    let eur = eu_eur();
    let part = whole(&jp);
    let inst = installment(2);
    let mut s = String::new();
    for line in [
        invoice::subject(&jp.doc()),
        invoice::subject(&cn.doc()),
        invoice::subject(&eur.doc()),
        receipt::subject(&receipt_full(&jp).note()),
    ]
    .into_iter()
    .chain(
        [Stage::PreDue, Stage::Gentle, Stage::Firm, Stage::Final]
            .map(|stage| reminder::subject(&reminder(&jp, &part, stage))),
    )
    .chain([reminder::escalation_subject(&escalation(&jp, &inst))])
    {
        s.push_str(&line);
        s.push('\n');
    }
    check("subjects.txt", s);
}
