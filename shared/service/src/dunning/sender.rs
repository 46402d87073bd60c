//! reminder-sender's job: for one `reminder.due` message, re-read the invoice and, if a stage is due,
//! claim it, mail it (the buyer; at escalation the seller) and record it in the invoice's history.

use chrono::{DateTime, NaiveDate, Utc};
use seikyu_documents::mime::{Envelope, Message};
use seikyu_documents::reminder::{EscalationDoc, ReminderDoc, Sent};
use seikyu_domain::dates::tokyo_date;
use seikyu_domain::dunning::{Part, Stage};

use crate::app::App;
use crate::delivery::jobs::{BatchReport, each_message};
use crate::delivery::send_once::{self, Decision, Record, SEND_CLAIM_SECONDS};
use crate::dunning::schedule::{accrued_fee, due, remindable};
use crate::error::JobError;
use crate::ports::{Clock, DocumentArchive, EventBus, Mailer, MessageQueue, Store};
use crate::record::{
    EVENT_REMINDER_DUE, InvoiceRecord, InvoiceStatus, OutboxEntry, QueueMessage, ReminderClaim,
    ReminderRecord,
};

/// What a stage mails, before it is addressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderMail {
    pub subject: String,
    /// `None`: no address on file.
    pub to: Option<String>,
    pub text: String,
}

/// Subject, recipient and body of the mail a stage sends: the buyer is reminded; at escalation the
/// seller is told. `None` recipient: no address on file.
pub fn message(r: &InvoiceRecord, part: &Part, stage: Stage, as_of: NaiveDate) -> ReminderMail {
    let fee = accrued_fee(r, part, as_of);
    if stage == Stage::Escalated {
        let doc = EscalationDoc {
            number: &r.number,
            seller_name: &r.input.seller.name,
            buyer_name: &r.buyer_name,
            customer_id: r.customer_id.as_deref(),
            currency: &r.currency,
            part,
            as_of,
            fee,
            sent: r
                .dunning
                .reminders
                .iter()
                .filter(|x| x.part == part.index)
                .map(|x| Sent {
                    as_of: x.as_of,
                    stage: x.stage,
                    message_id: x.message_id.as_deref(),
                })
                .collect(),
        };
        return ReminderMail {
            subject: seikyu_documents::reminder::escalation_subject(&doc),
            to: r
                .input
                .seller
                .contact
                .as_ref()
                .and_then(|c| c.email.clone()),
            text: seikyu_documents::reminder::escalation_text(&doc),
        };
    }
    let doc = ReminderDoc {
        number: &r.number,
        issue_date: r.issue_date,
        input: &r.input,
        part,
        stage,
        as_of,
        fee,
        late_fee_percent: r.dunning.policy.late_fee_percent.map(|p| p.get()),
        escalation_day: r.dunning.policy.escalation_day(part.due_date, Some(as_of)),
    };
    ReminderMail {
        subject: seikyu_documents::reminder::subject(&doc),
        to: r.input.buyer.contact.as_ref().and_then(|c| c.email.clone()),
        text: seikyu_documents::reminder::text(&doc),
    }
}

/// The reminder as a MIME message (plain text).
fn compose(
    r: &InvoiceRecord,
    part: &Part,
    stage: Stage,
    mail: &ReminderMail,
    from: &str,
    to: &str,
    now: DateTime<Utc>,
) -> Vec<u8> {
    let envelope = Envelope {
        from,
        to,
        date: now,
        message_id: format!(
            "reminder.{}.{}.{}.{}",
            r.invoice_id,
            part.index,
            stage.as_str(),
            r.seller_id
        ),
    };
    Message {
        envelope: &envelope,
        subject: &mail.subject,
        text: &mail.text,
        html: None,
        attachments: &[],
    }
    .to_bytes()
}

/// A reminder that ends before the send.
enum Early {
    Outcome(RemindOutcome),
    /// The stage is due but there is no address: recorded without a mail.
    Unmailed(Box<InvoiceRecord>, Part, Stage),
}

/// What a delivery claims before sending: the part and stage, the mail, the address.
type Claimed = (Part, Stage, ReminderMail, String);

/// Whether `r` needs the reminder of `as_of` now, and if so the record with the send claimed.
fn decide(
    r: &InvoiceRecord,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Decision<InvoiceRecord, Claimed, Early>, JobError> {
    if !remindable(r) {
        return Ok(Decision::Done(Early::Outcome(
            RemindOutcome::NotRemindable(r.status),
        )));
    }
    let Some((part, stage)) = due(r, as_of) else {
        return Ok(Decision::Done(Early::Outcome(RemindOutcome::NothingDue)));
    };
    if r.dunning.sending.as_ref().is_some_and(|c| c.until > now) {
        return Err(JobError::Retryable(format!(
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
    /// Handle one `reminder.due` message: re-read the invoice, and if a stage is due, claim it, mail it
    /// and record it. A payment or dispute that lands before the claim cancels the send; the claim (a
    /// conditional write on the version read) makes two deliveries send at most once.
    pub async fn remind<M: Mailer>(
        &self,
        mailer: &M,
        from: &str,
        msg: &QueueMessage,
    ) -> Result<RemindOutcome, JobError> {
        if msg.event != EVENT_REMINDER_DUE {
            return Err(JobError::Permanent(format!(
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
            decide(r, as_of, now)
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

    async fn load(&self, seller_id: &str, invoice_id: &str) -> Result<InvoiceRecord, JobError> {
        self.store.get(seller_id, invoice_id).await?.ok_or_else(|| {
            JobError::Permanent(format!("no invoice {invoice_id} for seller {seller_id}"))
        })
    }

    /// Add a carried-out stage to the history (and, at escalation, mark the invoice escalated and tell
    /// the seller's bus), on the latest record.
    async fn record_reminder(
        &self,
        current: InvoiceRecord,
        rec: ReminderRecord,
    ) -> Result<(), JobError> {
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

    /// Handle a batch of `reminder.due` messages `(message id, body)`; the edge passes the report to
    /// [`crate::delivery::jobs::settle`].
    pub async fn remind_batch<M: Mailer>(
        &self,
        mailer: &M,
        from: &str,
        messages: &[(String, String)],
    ) -> BatchReport {
        each_message(messages, |msg| async move {
            self.remind(mailer, from, &msg).await
        })
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
