//! Fixed views the tests render: invoices from the workspace's valid fixtures, receipts, reminders and an
//! escalation note, with fixed dates (no clock).
#![allow(dead_code, clippy::unwrap_used)]

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use seikyu_documents::invoice::InvoiceDoc;
use seikyu_documents::mime::Envelope;
use seikyu_documents::receipt::{RateAmount, ReceiptDoc};
use seikyu_documents::reminder::{EscalationDoc, ReminderDoc, Sent};
use seikyu_domain::dunning::{Part, Stage, late_fee};
use seikyu_domain::parse::invoice_from_json;
use seikyu_domain::{InvoiceInput, Totals, compute};

pub const JP_MIXED: &str =
    include_str!("../../../../tests/fixtures/valid/jp-mixed-standard-reduced.json");
pub const JP_CREDIT_NOTE: &str =
    include_str!("../../../../tests/fixtures/valid/jp-credit-note.json");
pub const EU_EUR: &str =
    include_str!("../../../../tests/fixtures/valid/eu-peppol-eur-standard.json");

pub fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

pub fn ymd(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

/// An invoice request and its totals.
pub struct Invoice {
    pub input: InvoiceInput,
    pub totals: Totals,
}

impl Invoice {
    pub fn parse(json: &str) -> Self {
        Self::from_input(invoice_from_json(json.as_bytes()).expect("fixture parses"))
    }

    pub fn from_input(input: InvoiceInput) -> Self {
        let totals = compute(&input).expect("fixture computes");
        Invoice { input, totals }
    }

    pub fn number(&self) -> &str {
        self.input.number.as_deref().expect("fixture has a number")
    }

    pub fn doc(&self) -> InvoiceDoc<'_> {
        InvoiceDoc {
            number: self.number(),
            issue_date: self.input.issue_date,
            due_date: self.input.due_date,
            credits: self
                .input
                .preceding_invoice
                .as_ref()
                .map(|p| p.number.as_str()),
            format: self.input.resolved_format(),
            input: &self.input,
            totals: &self.totals,
        }
    }
}

pub fn jp_mixed() -> Invoice {
    Invoice::parse(JP_MIXED)
}

pub fn jp_credit_note() -> Invoice {
    Invoice::parse(JP_CREDIT_NOTE)
}

pub fn eu_eur() -> Invoice {
    Invoice::parse(EU_EUR)
}

/// The EUR invoice in Bahraini dinars (ISO 4217 minor unit 3; its e-invoice has 2 decimals).
pub fn bhd() -> Invoice {
    let mut input = invoice_from_json(EU_EUR.as_bytes()).expect("fixture parses");
    input.currency = "BHD".into();
    input.number = Some("BW-2026-0099".into());
    Invoice::from_input(input)
}

pub fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 5, 1, 2, 3)
        .single()
        .expect("time")
}

pub fn envelope(to: &'static str, message_id: &str) -> Envelope<'static> {
    Envelope {
        from: "Seikyu <billing@seikyu.example>",
        to,
        date: at(),
        message_id: message_id.to_string(),
    }
}

/// Stands in for the archived UBL document.
pub const UBL: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\"><cbc:ID>AOZ-2026-000103</cbc:ID></Invoice>\n";
/// Stands in for a rendered PDF where a test is about the mail around it (the PDF tests render real ones).
pub const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n";

/// The receipt for paying the JPY invoice in full and 1,456 JPY more, replacing an earlier receipt.
pub fn receipt_full(inv: &Invoice) -> ReceiptDoc<'_> {
    let t = &inv.totals;
    let amount = t.payable + d("1456");
    ReceiptDoc {
        number: "AOZ-R-2026-000002",
        issue_date: ymd(2026, 11, 20),
        replaces: Some("AOZ-R-2026-000001"),
        recipient: &inv.input.buyer.name,
        currency: &inv.input.currency,
        amount,
        applied: t.payable,
        credit: amount - t.payable,
        breakdown: t
            .breakdown
            .iter()
            .map(|b| RateAmount {
                category: b.category.code(),
                rate: b.rate,
                amount: b.taxable + b.tax,
                tax: b.tax,
            })
            .collect(),
        purpose: "請求書 AOZ-2026-000103 の代金として / for invoice AOZ-2026-000103",
        method: Some("bank_transfer"),
        payment: "generic:TX-20261120-001",
        issuer_name: &inv.input.seller.name,
        issuer_registration: inv.input.seller.tax_id.as_deref(),
        invoice_number: inv.number(),
        invoice_payable: t.payable,
        invoice: &inv.input,
    }
}

/// The receipt for 10,000 JPY of the JPY invoice (58,544 due), split over its two rates.
pub fn receipt_part(inv: &Invoice) -> ReceiptDoc<'_> {
    ReceiptDoc {
        number: "AOZ-R-2026-000003",
        issue_date: ymd(2026, 11, 21),
        replaces: None,
        recipient: &inv.input.buyer.name,
        currency: &inv.input.currency,
        amount: d("10000"),
        applied: d("10000"),
        credit: Decimal::ZERO,
        breakdown: vec![
            RateAmount {
                category: "S",
                rate: Some(d("10")),
                amount: d("4444"),
                tax: d("404"),
            },
            RateAmount {
                category: "AA",
                rate: Some(d("8")),
                amount: d("5556"),
                tax: d("411"),
            },
        ],
        purpose: "請求書 AOZ-2026-000103 の代金として / for invoice AOZ-2026-000103",
        method: Some("card"),
        payment: "stripe:pi_3QxExample",
        issuer_name: &inv.input.seller.name,
        issuer_registration: inv.input.seller.tax_id.as_deref(),
        invoice_number: inv.number(),
        invoice_payable: inv.totals.payable,
        invoice: &inv.input,
    }
}

/// The whole invoice as the part a reminder is about.
pub fn whole(inv: &Invoice) -> Part {
    Part {
        index: 0,
        of: 0,
        due_date: inv.input.due_date.expect("fixture has a due date"),
        open: inv.totals.payable,
    }
}

pub const LATE_FEE: &str = "14.6";

/// The late fee on `part` on `as_of` at 14.6 % a year, to the document's decimals.
pub fn fee(part: &Part, currency: &str, as_of: NaiveDate) -> Decimal {
    let decimals = seikyu_domain::calc::document_decimals(currency).unwrap_or(2);
    late_fee(part.open, d(LATE_FEE), part.due_date, as_of, decimals)
}

/// A reminder of `stage` on the default schedule of a part due 2026-11-30 (notice 11-27, gentle 12-01,
/// firm 12-07, final 12-14, escalation 12-21), with a 14.6 % late fee.
pub fn reminder<'a>(inv: &'a Invoice, part: &'a Part, stage: Stage) -> ReminderDoc<'a> {
    let as_of = match stage {
        Stage::PreDue => ymd(2026, 11, 27),
        Stage::Gentle => ymd(2026, 12, 1),
        Stage::Firm => ymd(2026, 12, 7),
        Stage::Final => ymd(2026, 12, 14),
        Stage::Escalated => ymd(2026, 12, 21),
    };
    ReminderDoc {
        number: inv.number(),
        issue_date: inv.input.issue_date,
        input: &inv.input,
        part,
        stage,
        as_of,
        fee: fee(part, &inv.input.currency, as_of),
        late_fee_percent: Some(d(LATE_FEE)),
        escalation_day: (stage >= Stage::Final).then(|| ymd(2026, 12, 21)),
    }
}

/// Part 2 of 3 of the JPY invoice escalated on 2026-12-21, the final notice sent without a mail.
pub fn escalation<'a>(inv: &'a Invoice, part: &'a Part) -> EscalationDoc<'a> {
    let as_of = ymd(2026, 12, 21);
    EscalationDoc {
        number: inv.number(),
        seller_name: &inv.input.seller.name,
        buyer_name: &inv.input.buyer.name,
        customer_id: inv.input.buyer.customer_id.as_deref(),
        currency: &inv.input.currency,
        part,
        as_of,
        fee: fee(part, &inv.input.currency, as_of),
        sent: vec![
            Sent {
                as_of: ymd(2026, 11, 27),
                stage: Stage::PreDue,
                message_id: Some("0100019a-pre-due"),
            },
            Sent {
                as_of: ymd(2026, 12, 1),
                stage: Stage::Gentle,
                message_id: Some("0100019a-gentle"),
            },
            Sent {
                as_of: ymd(2026, 12, 7),
                stage: Stage::Firm,
                message_id: Some("0100019a-firm"),
            },
            Sent {
                as_of: ymd(2026, 12, 14),
                stage: Stage::Final,
                message_id: None,
            },
        ],
    }
}

/// Part `index` of 3 of the JPY invoice (58,544 due: 19,514, 19,514, 19,516), due 2026-11-30.
pub fn installment(index: u32) -> Part {
    Part {
        index,
        of: 3,
        due_date: ymd(2026, 11, 30),
        open: if index == 3 { d("19516") } else { d("19514") },
    }
}
