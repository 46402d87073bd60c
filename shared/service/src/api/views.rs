//! The JSON the API answers with: the public views of stored records and of outcomes. Amounts are
//! decimal strings ([`plain`]), dates ISO 8601.

use seikyu_domain::money::plain;
use serde_json::{Value, json};

use crate::dunning::schedule::{next_action, plan_parts};
use crate::payments::PaymentOutcome;
use crate::record::{InvoiceRecord, ReceiptRecord, StoredResponse};

/// An invoice or credit note (`GET /invoices/{id}` and every answer that returns one).
pub fn invoice(r: &InvoiceRecord) -> Value {
    json!({
        "id": r.invoice_id,
        "number": r.number,
        "document_type": r.input.document_type,
        "format": r.format,
        "status": r.status.as_str(),
        "issue_date": r.issue_date,
        "due_date": r.due_date,
        "currency": r.currency,
        "buyer": { "name": r.buyer_name, "customer_id": r.customer_id },
        "totals": {
            "line_total": plain(r.line_total),
            "tax_total": plain(r.tax_total),
            "payable": plain(r.payable),
            "tax_breakdown": r.tax_breakdown.iter().map(|(c, rate, taxable, tax)| json!({
                "category": c, "rate": rate.map(plain), "taxable": plain(*taxable), "tax": plain(*tax)
            })).collect::<Vec<_>>(),
        },
        "ubl": { "sha256": r.ubl_sha256, "href": format!("/invoices/{}/ubl", r.invoice_id) },
        "pdf": r.pdf.as_ref().map(|p| json!({ "sha256": p.sha256, "href": format!("/invoices/{}/pdf", r.invoice_id) })),
        "screening": r.screening,
        "email": r.email,
        "dispute": r.dispute,
        "voided": r.voided,
        "credits": r.credits,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
        "version": r.version,
        "paid_total": plain(r.paid_total),
        "open_balance": plain(r.open_balance()),
        "overpaid": plain(r.overpaid),
        "fees_absorbed": plain(r.fees_absorbed),
        // How to pay: the account (a virtual account when the buyer has one) and what to quote.
        "payment_instructions": {
            "account": r.input.seller.bank_account,
            "reference": r.input.payment_reference.clone().unwrap_or_else(|| r.number.clone()),
        },
        "installments": installments(r),
        "reminders": reminders(r),
    })
}

/// The 201 answer to `POST /invoices`, stored with the invoice for an idempotent replay.
pub fn created_invoice(r: &InvoiceRecord) -> StoredResponse {
    StoredResponse {
        status: 201,
        body: invoice(r).to_string(),
    }
}

/// The plan: each part with what is paid and still owed.
fn installments(r: &InvoiceRecord) -> Value {
    let Some(plan) = &r.installments else {
        return Value::Null;
    };
    let parts: Vec<_> = plan_parts(r, plan)
        .into_iter()
        .zip(1..)
        .map(|((due_date, amount, paid), part)| {
            json!({
                "part": part,
                "due_date": due_date,
                "amount": plain(amount),
                "paid": plain(paid),
                "open": plain(amount - paid),
            })
        })
        .collect();
    json!({ "created_at": plan.created_at, "parts": parts })
}

/// The reminder history, and the next scheduled day.
fn reminders(r: &InvoiceRecord) -> Value {
    let items: Vec<_> = r
        .dunning
        .reminders
        .iter()
        .map(|x| {
            json!({
                "part": x.part,
                "stage": x.stage,
                "due_date": x.due_date,
                "as_of": x.as_of,
                "amount": plain(x.amount),
                "late_fee": plain(x.late_fee),
                "at": x.at,
                "message_id": x.message_id,
                "to": x.to,
                "note": x.note,
            })
        })
        .collect();
    json!({ "sent": items, "next_action": next_action(r), "policy": r.dunning.policy })
}

/// A receipt (`GET /receipts/{id}`).
pub fn receipt(r: &ReceiptRecord) -> Value {
    json!({
        "id": r.receipt_id,
        "number": r.number,
        "status": r.status,
        "payment": r.payment,
        "method": r.method,
        "invoice_id": r.invoice_id,
        "issue_date": r.issue_date,
        "currency": r.currency,
        "amount": plain(r.amount),
        "applied": plain(r.applied),
        "credit": plain(r.credit),
        "tax_breakdown": r.breakdown.iter().map(|b| json!({
            "category": b.category, "rate": b.rate.map(plain), "amount": plain(b.amount), "tax": plain(b.tax)
        })).collect::<Vec<_>>(),
        "recipient": r.recipient,
        "purpose": r.purpose,
        "issuer": { "name": r.issuer_name, "registration_number": r.issuer_registration },
        "document": { "sha256": r.document_sha256, "href": format!("/receipts/{}/document", r.receipt_id) },
        "pdf": r.pdf.as_ref().map(|p| json!({ "sha256": p.sha256, "href": format!("/receipts/{}/pdf", r.receipt_id) })),
        "replaces": r.replaces,
        "cancelled": r.cancelled.as_ref().map(|c| json!({
            "at": c.at, "reason": c.reason, "refunded": plain(c.refunded), "replaced_by": c.replaced_by
        })),
        "email": r.email,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
        "version": r.version,
    })
}

/// What a payment event or a payment applied by hand did (the answer to the provider, and to a person).
pub fn payment_outcome(o: &PaymentOutcome) -> Value {
    match o {
        PaymentOutcome::Duplicate => json!({ "received": true, "duplicate": true }),
        PaymentOutcome::Applied {
            invoice_id,
            status,
            net_delta,
            paid_total,
            open_balance,
            overpaid,
        } => json!({
            "received": true, "invoice_id": invoice_id, "status": status.as_str(),
            "applied": plain(*net_delta), "paid_total": plain(*paid_total),
            "open_balance": plain(*open_balance), "credit": plain(*overpaid)
        }),
        PaymentOutcome::Unapplied { payment, reason } => {
            json!({ "received": true, "unapplied": payment, "reason": reason })
        }
    }
}

/// A payment as `GET /payments/{key}` shows it; a bank deposit with where it came from and why it went
/// where it went (rule, identity, allocations, fee) or why it stayed unapplied (reason, candidates).
pub fn payment(p: &crate::record::PaymentRecord) -> Value {
    json!({
        "key": p.key(),
        "provider": p.ledger.provider,
        "currency": p.ledger.currency,
        "received": plain(p.ledger.received),
        "refunded": plain(p.ledger.refunded),
        "net": plain(p.ledger.net()),
        "applied_to": p.applied_to,
        "unapplied": p.unapplied,
        "receipts": p.receipts,
        "bank": p.bank,
        "updated_at": p.updated_at,
    })
}
