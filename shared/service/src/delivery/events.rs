//! What Seikyu tells others, as outbox entries: the queue messages that start its own jobs
//! (`invoice.issued`, `receipt.requested`) and the events on the sellers' bus (`invoice.paid`, ...,
//! `invoice.escalated`). Each entry's id is deterministic per change, so one change cannot enqueue twice.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use seikyu_domain::money::plain;

use crate::record::{
    BusEvent, Delivery, EVENT_INVOICE_ISSUED, EVENT_RECEIPT_REQUESTED, InvoiceRecord,
    InvoiceStatus, OutboxEntry, PaymentRecord, QueueMessage,
};

impl OutboxEntry {
    /// Ask invoice-mailer to send an invoice or credit note to its buyer.
    pub fn issued(seller_id: &str, invoice_id: &str, at: DateTime<Utc>) -> Self {
        OutboxEntry {
            id: format!("{EVENT_INVOICE_ISSUED}#{seller_id}#{invoice_id}"),
            delivery: Delivery::Queue(QueueMessage {
                event: EVENT_INVOICE_ISSUED.into(),
                seller_id: seller_id.into(),
                invoice_id: invoice_id.into(),
                payment: None,
                as_of: None,
                receipt_id: None,
            }),
            created_at: at,
        }
    }

    /// Ask receipt-issuer to bring a payment's receipt in line with its money. One per payment version,
    /// so every change of the payment is looked at.
    pub fn receipt_requested(p: &PaymentRecord, invoice_id: &str, at: DateTime<Utc>) -> Self {
        OutboxEntry {
            id: format!(
                "{EVENT_RECEIPT_REQUESTED}#{}#{}#{}",
                p.seller_id,
                p.key(),
                p.version
            ),
            delivery: Delivery::Queue(QueueMessage {
                event: EVENT_RECEIPT_REQUESTED.into(),
                seller_id: p.seller_id.clone(),
                invoice_id: invoice_id.into(),
                payment: Some(p.key()),
                as_of: None,
                receipt_id: None,
            }),
            created_at: at,
        }
    }

    /// `invoice.paid` / `invoice.partially_paid` / `invoice.payment_refunded` for the seller's systems,
    /// describing the invoice as the payment left it. `detail.event_id` is stable across redeliveries, so
    /// consumers can drop duplicates (EventBridge delivers at least once).
    pub fn payment_event(
        inv: &InvoiceRecord,
        payment: &PaymentRecord,
        net_delta: Decimal,
        at: DateTime<Utc>,
    ) -> Self {
        // A part payment of a disputed or escalated invoice keeps its status: the sign says what happened.
        let detail_type = match inv.status {
            InvoiceStatus::Paid => "invoice.paid",
            InvoiceStatus::PartiallyPaid => "invoice.partially_paid",
            InvoiceStatus::Issued => "invoice.payment_refunded",
            _ if net_delta > Decimal::ZERO => "invoice.partially_paid",
            _ => "invoice.payment_refunded",
        };
        OutboxEntry::invoice_event(
            inv,
            detail_type,
            serde_json::json!({
                "payable": plain(inv.payable),
                "paid_total": plain(inv.paid_total),
                "overpaid": plain(inv.overpaid),
                "payment": {
                    "id": payment.key(),
                    "method": payment.ledger.method,
                    "net_delta": plain(net_delta),
                },
            }),
            at,
        )
    }

    /// `invoice.escalated` for the seller's systems: the final notice went unanswered and a person
    /// should take the case over.
    pub fn escalated(inv: &InvoiceRecord, at: DateTime<Utc>) -> Self {
        let reminders_sent = inv
            .dunning
            .reminders
            .iter()
            .filter(|r| r.message_id.is_some())
            .count();
        OutboxEntry::invoice_event(
            inv,
            "invoice.escalated",
            serde_json::json!({
                "buyer_name": inv.buyer_name,
                "due_date": inv.due_date,
                "reminders_sent": reminders_sent,
            }),
            at,
        )
    }

    /// An event about an invoice for the sellers' bus: the invoice's identity, status and open balance,
    /// plus `extra` fields. `detail.event_id` is stable per invoice version, so consumers can drop
    /// duplicates (EventBridge delivers at least once).
    fn invoice_event(
        inv: &InvoiceRecord,
        detail_type: &str,
        extra: serde_json::Value,
        at: DateTime<Utc>,
    ) -> Self {
        let id = format!(
            "{detail_type}#{}#{}#{}",
            inv.seller_id, inv.invoice_id, inv.version
        );
        let mut detail = serde_json::json!({
            "event_id": id,
            "seller_id": inv.seller_id,
            "invoice_id": inv.invoice_id,
            "invoice_number": inv.number,
            "customer_id": inv.customer_id,
            "status": inv.status.as_str(),
            "currency": inv.currency,
            "open_balance": plain(inv.open_balance()),
            "at": at,
        });
        if let (Some(d), serde_json::Value::Object(extra)) = (detail.as_object_mut(), extra) {
            d.extend(extra);
        }
        OutboxEntry {
            id,
            delivery: Delivery::Bus(BusEvent {
                detail_type: detail_type.into(),
                detail: detail.to_string(),
            }),
            created_at: at,
        }
    }
}
