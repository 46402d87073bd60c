//! One statement entry applied exactly once.
//!
//! A credit becomes a deposit: its own payment record `bank:{deposit id}` (the money and the decision),
//! and, when the matcher places it, one part `bank:{deposit id}.p{n}` per invoice, each a payment applied
//! to its invoice exactly as a card payment is (the invoice's paid total, a receipt request, a bus event).
//! The deposit id is the exactly-once event id, marked in the same commit, so a second import of the same
//! entry (the same file, an overlapping statement, a racing importer) changes nothing.
//!
//! A reversal (a 01 取消, a 03 訂正, camt `RvslInd`) finds the deposit it names and refunds each of its
//! parts in one commit: the invoices are owed again, their receipts are cancelled by the receipt issuer.
//!
//! A person applies an unapplied deposit by splitting it over invoices; the payer's name is then learned
//! as an alias of the buyer, so the next deposit from that payer is placed by the matcher.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use rust_decimal::Decimal;
use seikyu_banking::matcher::{
    self, Account, Allocation, Clues, Decision, IdentifiedBy, OpenInvoice, Reason, Rule,
};
use seikyu_banking::{Direction, Entry, payer_code};
use seikyu_domain::Code;
use seikyu_domain::id::is_id;
use seikyu_payments::{EventKind, PaymentEvent, PaymentLedger, Provider, Unmatched};

use super::identifiers::number_from_rf;
use super::{auto_payable, deposit_id};
use crate::app::App;
use crate::error::{AppError, ConflictCode, field, invalid_state};
use crate::payments::apply::{apply_settlement, paid_sum};
use crate::ports::{Clock, DocumentArchive, EventBus, MessageQueue, Store, StoreError, Write};
use crate::record::{
    BankDeposit, DepositDecision, InvoiceRecord, OutboxEntry, PaymentRecord, SellerAccount,
};
use crate::retry::{CONTENDED, Retry};

/// The provider name of bank deposits in payment keys and exactly-once marks.
pub const BANK: &str = "bank";

/// Deposits of one amount to one account in a month that a reversal looks through; more, and the
/// reversal is held for a person.
const REVERSAL_WINDOW: usize = 200;

/// Most allocations a person may split one deposit into.
pub const MAX_SPLIT: usize = 20;

/// What applying one statement entry did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryOutcome {
    /// Placed by the matcher.
    Applied {
        deposit: String,
        rule: Rule,
        fee: Decimal,
    },
    /// Kept for a person, with the reason.
    Unapplied { deposit: String, reason: Reason },
    /// This entry was applied before (this file again, an overlapping statement, a racing importer).
    Duplicate { deposit: String },
    /// A reversal: the deposit it names was reversed (or, when unknown, kept for a person).
    Reversed { deposit: String, of: Option<String> },
    /// A debit that reverses nothing (the seller's own payment): read, not matched.
    Ignored,
}

/// One allocation of a deposit applied by hand.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManualAllocation {
    pub invoice_id: String,
    pub amount: seikyu_domain::values::Amount,
}

fn bank_event(id: &str, kind: EventKind, currency: &str, invoice: Option<&str>) -> PaymentEvent {
    PaymentEvent {
        provider: Provider::Bank,
        event_id: id.to_string(),
        payment_id: id.to_string(),
        kind,
        currency: Some(currency.to_string()),
        invoice_id: invoice.map(str::to_string),
        seller_id: None,
        reference: None,
        method: Some("bank_transfer".into()),
        created: 0,
    }
}

/// A payment record for a deposit (or one of its parts) holding `amount`.
fn bank_payment(
    seller_id: &str,
    id: &str,
    amount: Decimal,
    currency: &str,
    invoice: Option<&str>,
    bank: BankDeposit,
    now: DateTime<Utc>,
) -> PaymentRecord {
    let mut ledger = PaymentLedger::new(Provider::Bank, id);
    ledger.apply(&bank_event(
        id,
        EventKind::Received { total: amount },
        currency,
        invoice,
    ));
    PaymentRecord {
        seller_id: seller_id.to_string(),
        ledger,
        applied_to: invoice.map(str::to_string),
        unapplied: None,
        receipts: Vec::new(),
        bank: Some(bank),
        version: 1,
        updated_at: now,
    }
}

/// A sentence for a person: why the deposit went where it went.
pub fn explain(d: &Decision, fee_settles: bool) -> String {
    match d {
        Decision::Apply {
            buyer,
            identified_by,
            rule,
            allocations,
        } => {
            let who = match identified_by {
                IdentifiedBy::VirtualAccount => "its virtual account",
                IdentifiedBy::PayerCode => "its payer code",
                IdentifiedBy::Rf => "its RF reference",
                IdentifiedBy::Name => "its registered name",
                IdentifiedBy::Person => "a person",
            };
            let invoices: Vec<&str> = allocations.iter().map(|a| a.invoice_id.as_str()).collect();
            let how = match rule {
                Rule::Exact => "the amount equals the open balance of",
                Rule::Combined => "the amount is the sum of the open balances of",
                Rule::FeeDeducted => {
                    "the amount is short of the open balance by a transfer fee for"
                }
                Rule::CombinedFeeDeducted => "the amount is short of the sum by a transfer fee for",
                Rule::Overpaid => "the amount is more than is owed; paid with a credit:",
                Rule::PartPayment => {
                    "the amount is less than the oldest open balance; a part payment of"
                }
                Rule::Manual => "applied by hand to",
            };
            let fee = if allocations.iter().any(|a| !a.fee.is_zero()) {
                if fee_settles {
                    " (the fee is absorbed: the invoice counts as paid)"
                } else {
                    " (the fee stays open on the invoice)"
                }
            } else {
                ""
            };
            format!(
                "buyer {buyer} identified by {who}; {how} {}{fee}",
                invoices.join(", ")
            )
        }
        Decision::Unapplied { reason, candidates } => {
            let why = match reason {
                Reason::UnknownPayer => "no identifier and no registered name matches the payer",
                Reason::NameShared => "the payer's name is registered for several buyers",
                Reason::IdentitiesDisagree => {
                    "the identifiers point at different buyers or invoices"
                }
                Reason::NothingOpen => "the buyer has nothing open in this currency",
                Reason::InvoiceNotOpen => "the invoice the identifier names is not open",
                Reason::Tie => "the amount fits several sets of invoices equally",
                Reason::NoRule => "the amount fits no rule",
                Reason::NotADeposit => "not a deposit",
                Reason::UnknownReversal => "a reversal of a deposit Seikyu has not seen",
                Reason::AmbiguousReversal => "a reversal that could take back several deposits",
                Reason::PossibleDuplicate => {
                    "the same money (account, day, amount, payer) arrived in a statement of another format"
                }
            };
            format!(
                "unapplied: {why}; {} candidate(s) for a person",
                candidates.len()
            )
        }
    }
}

fn reason_name(r: Reason) -> String {
    serde_json::to_value(r)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The deposit record's key (`bank:{id}`).
pub fn deposit_key(id: &str) -> String {
    format!("{BANK}:{id}")
}

impl<S, A, Q, B, C> App<S, A, Q, B, C>
where
    S: Store,
    A: DocumentArchive,
    Q: MessageQueue,
    B: EventBus,
    C: Clock,
{
    /// Apply one statement entry of an import exactly once.
    pub async fn apply_entry(
        &self,
        seller: &SellerAccount,
        import_id: &str,
        entry: &Entry,
    ) -> Result<EntryOutcome, AppError> {
        let id = deposit_id(&entry.account, &entry.entry_id);
        match (entry.reversal, entry.direction) {
            // A debit reversal takes back a deposit.
            (true, Direction::Debit) => {
                return Box::pin(self.reverse(seller, import_id, entry, &id)).await;
            }
            // A credit reversal returns one of the seller's own payments, and a plain debit is one: no
            // receivable is involved.
            (true, Direction::Credit) | (false, Direction::Debit) => {
                return Ok(EntryOutcome::Ignored);
            }
            (false, Direction::Credit) => {}
        }
        let sid = &seller.seller_id;
        // The keys a later reversal looks the deposit up by, one item per deposit under the month it was
        // booked in (idempotent; harmless if the commit never happens: a key naming no deposit is skipped).
        for key in reversal_keys(entry, &id) {
            self.store.add_bank_key(sid, &key, "1").await?;
        }
        // The same money may arrive in a statement of another format for this account (a 01 notice and a
        // 03 statement number their entries differently): that one is held for a person.
        let dup_key = duplicate_key(entry);
        let mine = format!("{}:{id}", family(entry));
        // Added before it is read: two imports racing on the two formats both see both, and both hold.
        self.store.add_bank_key(sid, &dup_key, &mine).await?;
        let possible_duplicate = self
            .store
            .bank_key(sid, &dup_key)
            .await?
            .iter()
            .any(|v| v.split(':').next() != mine.split(':').next());
        let mut retry = Retry::new(CONTENDED);
        loop {
            if self.store.event_applied(sid, BANK, &id).await? {
                return Ok(EntryOutcome::Duplicate {
                    deposit: deposit_key(&id),
                });
            }
            let (clues, accounts, seen) = Box::pin(self.clues(seller, entry)).await?;
            let decision = if possible_duplicate {
                Decision::Unapplied {
                    reason: Reason::PossibleDuplicate,
                    candidates: Vec::new(),
                }
            } else {
                matcher::decide(entry.amount, &clues, &accounts, &seller.banking.matching)
            };
            let now = self.clock.now();
            let bank = BankDeposit {
                import_id: import_id.to_string(),
                account: entry.account.clone(),
                entry_id: entry.entry_id.clone(),
                booking_date: entry.booking_date,
                amount: Some(entry.amount),
                payer_name: entry.payer_name.clone(),
                payer_name_normalized: entry.payer_name_normalized.clone(),
                reference: entry.reference.clone(),
                part_of: None,
                decision: None,
                reversed_by: None,
            };
            let mut deposit =
                bank_payment(sid, &id, entry.amount, &entry.currency, None, bank, now);
            let outcome = match &decision {
                Decision::Apply {
                    rule, allocations, ..
                } => EntryOutcome::Applied {
                    deposit: deposit_key(&id),
                    rule: *rule,
                    fee: allocations.iter().map(|a| a.fee).sum(),
                },
                Decision::Unapplied { reason, .. } => {
                    deposit.unapplied = Some(Unmatched::Deposit {
                        reason: reason_name(*reason),
                    });
                    EntryOutcome::Unapplied {
                        deposit: deposit_key(&id),
                        reason: *reason,
                    }
                }
            };
            deposit.version = 0;
            let result = Box::pin(self.commit_decision(
                seller,
                Some(&id),
                &mut deposit,
                decision,
                Some(&seen),
                now,
            ))
            .await;
            match result {
                Ok(()) => return Ok(outcome),
                Err(StoreError::Conflict(_)) => {
                    retry.again(|| format!("deposit {id}")).await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The identities the seller's lookups find for an entry, and the open invoices of every buyer they
    /// name (for the matcher), with the invoice records read (to update).
    async fn clues(
        &self,
        seller: &SellerAccount,
        entry: &Entry,
    ) -> Result<(Clues, Vec<Account>, BTreeMap<String, u64>), AppError> {
        let sid = &seller.seller_id;
        let mut clues = Clues {
            virtual_account: self
                .target_at(sid, &format!("va:{}", entry.account))
                .await?,
            ..Clues::default()
        };
        if let Some(code) = payer_code::find(
            entry.remitter_code.as_deref(),
            entry.payer_name.as_deref(),
            entry.reference.as_deref(),
        ) {
            clues.payer_code = self.target_at(sid, &format!("pc:{code}")).await?;
        }
        if let Some(number) = entry
            .reference
            .as_deref()
            .and_then(|r| number_from_rf(r, &seller.number_prefix))
            && let Some(inv) = self.store.get(sid, &number).await?
            && let Some(buyer) = inv.customer_id.clone()
        {
            clues.rf = Some(matcher::Target {
                buyer,
                invoice: Some(inv.invoice_id),
            });
        }
        if let Some(name) = entry.payer_name_normalized.as_deref() {
            // Only a Zengin remitter name of exactly 48 characters was cut by the bank.
            let cut = !matches!(
                entry.format,
                seikyu_banking::Format::Camt053 | seikyu_banking::Format::Camt054
            ) && entry
                .payer_name
                .as_deref()
                .is_some_and(|r| r.chars().count() == 48);
            clues.names = self.buyers_named(sid, name, cut).await?;
        }
        let mut buyers: Vec<String> = [&clues.virtual_account, &clues.payer_code, &clues.rf]
            .into_iter()
            .flatten()
            .map(|t| t.buyer.clone())
            .chain(clues.names.iter().cloned())
            .collect();
        buyers.sort();
        buyers.dedup();
        if buyers.is_empty() {
            // Nobody identified: offer a person buyers of a similar name, else of a similar open amount.
            if let Some(name) = entry.payer_name_normalized.as_deref() {
                clues.similar = self.similar_buyers(sid, name).await?;
            }
            if clues.similar.is_empty() {
                clues.similar = self.buyers_owing_about(seller, entry).await?;
            }
            buyers.clone_from(&clues.similar);
        }
        // The index finds a buyer's open invoices; each is read again (consistently) for its balance and
        // version, and the commit checks that version: a deposit is never placed on a stale balance.
        let mut accounts = Vec::new();
        let mut seen = BTreeMap::new();
        for b in buyers.iter().take(8) {
            let mut open = Vec::new();
            for o in self.store.open_invoices(sid, b, &entry.currency).await? {
                let Some(inv) = self.store.get(sid, &o.invoice_id).await? else {
                    continue;
                };
                if !auto_payable(&inv) || inv.currency != entry.currency {
                    continue;
                }
                seen.insert(inv.invoice_id.clone(), inv.version);
                open.push(OpenInvoice {
                    invoice_id: inv.invoice_id.clone(),
                    number: inv.number.clone(),
                    due_date: inv.due_date.unwrap_or(inv.issue_date),
                    balance: inv.open_balance(),
                });
            }
            accounts.push(Account {
                buyer: b.clone(),
                open,
            });
        }
        Ok((clues, accounts, seen))
    }

    /// Buyers whose registered name or alias is `name`; for a name the bank cut at 48 characters, those
    /// whose name starts with it (only when one buyer does).
    async fn buyers_named(
        &self,
        sid: &str,
        name: &str,
        cut: bool,
    ) -> Result<Vec<String>, AppError> {
        let exact = self.store.bank_key(sid, &format!("name:{name}")).await?;
        let mut buyers: Vec<String> = exact
            .iter()
            .filter_map(|v| v.strip_prefix("buyer:").map(str::to_string))
            .collect();
        // A name the bank cut at 48 half-width characters: the names it begins. The cut may split a
        // voiced mark from its kana (ﾀ|ﾞ), so without a match the last character is dropped too.
        // The shorter prefix only when the last character could have lost a voiced mark (カ|ﾞ → ガ),
        // and only names that go on with that voiced form.
        let last = name.chars().last();
        let voiceable = last.is_some_and(|c| voiced(c).is_some());
        let shorter: String = name
            .chars()
            .take(name.chars().count().saturating_sub(1))
            .collect();
        for (i, prefix) in [name, shorter.as_str()].into_iter().enumerate() {
            if !buyers.is_empty() || !cut || prefix.chars().count() < 8 || (i == 1 && !voiceable) {
                break;
            }
            let found = self
                .store
                .bank_keys_with_prefix(sid, &format!("name:{prefix}"), 10)
                .await?;
            let mut all: Vec<String> = found
                .iter()
                .flat_map(|(_, v)| {
                    v.iter()
                        .filter_map(|x| x.strip_prefix("buyer:").map(str::to_string))
                })
                .collect();
            if i == 1 {
                let want: Vec<char> = last.and_then(voiced).into_iter().flatten().collect();
                let keep: Vec<String> = found
                    .iter()
                    .filter(|(k, _)| {
                        k.trim_start_matches("name:")
                            .chars()
                            .nth(prefix.chars().count())
                            .is_some_and(|c| want.contains(&c))
                    })
                    .flat_map(|(_, v)| {
                        v.iter()
                            .filter_map(|x| x.strip_prefix("buyer:").map(str::to_string))
                    })
                    .collect();
                all = keep;
            }
            all.sort();
            all.dedup();
            buyers = all;
        }
        Ok(buyers)
    }

    /// Up to three buyers with an open invoice of about the deposit's amount (80% of it to the amount plus
    /// the fee tolerance), closest first, through the by-amount index (for candidates only).
    async fn buyers_owing_about(
        &self,
        seller: &SellerAccount,
        entry: &Entry,
    ) -> Result<Vec<String>, AppError> {
        let tolerance = seller.banking.matching.fee_tolerance;
        let query = crate::record::SearchQuery {
            min_amount: Some(entry.amount * Decimal::new(8, 1)),
            max_amount: Some(entry.amount + tolerance),
            limit: 20,
            ..Default::default()
        };
        let page = self.store.search(&seller.seller_id, &query).await?;
        let mut near: Vec<(Decimal, String)> = page
            .items
            .iter()
            .filter(|i| super::auto_payable(i) && i.currency == entry.currency)
            .filter_map(|i| {
                let c = i.customer_id.clone()?;
                Some(((i.open_balance() - entry.amount).abs(), c))
            })
            .collect();
        near.sort();
        let mut out: Vec<String> = Vec::new();
        for (_, c) in near {
            if !out.contains(&c) {
                out.push(c);
            }
            if out.len() == 3 {
                break;
            }
        }
        Ok(out)
    }

    /// Up to three buyers whose names look like `name` and begin as it does (for candidates only).
    async fn similar_buyers(&self, sid: &str, name: &str) -> Result<Vec<String>, AppError> {
        // Names sharing the first two characters: a bounded index range, not every name.
        let head: String = name.chars().take(2).collect();
        let all = self
            .store
            .bank_keys_with_prefix(sid, &format!("name:{head}"), 200)
            .await?;
        let mut scored: Vec<(u32, String)> = all
            .iter()
            .map(|(k, v)| (matcher::similarity(name, k.trim_start_matches("name:")), v))
            .filter(|(score, _)| *score >= 50)
            .flat_map(|(score, v)| {
                v.iter()
                    .filter_map(move |b| b.strip_prefix("buyer:").map(|b| (score, b.to_string())))
            })
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut out: Vec<String> = Vec::new();
        for (_, b) in scored {
            if !out.contains(&b) {
                out.push(b);
            }
            if out.len() == 3 {
                break;
            }
        }
        Ok(out)
    }

    /// Commit a decision on a deposit: the exactly-once mark (`mark`, for an entry), the deposit at its
    /// next version, and for an application one part per allocation with its invoice, receipt request
    /// and bus event; delivered after the commit.
    async fn commit_decision(
        &self,
        seller: &SellerAccount,
        mark: Option<&str>,
        deposit: &mut PaymentRecord,
        decision: Decision,
        seen: Option<&BTreeMap<String, u64>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        // The deposit as stored (0: new): it is written at the next version if still that one.
        let expected = deposit.version;
        let sid = &seller.seller_id;
        let settles = seller.banking.matching.fee_settles;
        let currency = deposit.ledger.currency.clone().unwrap_or_default();
        let id = deposit.ledger.payment_id.clone();
        let base = deposit
            .bank
            .clone()
            .ok_or_else(|| StoreError::BadRequest(format!("payment {id} is not a bank deposit")))?;
        let mut parts = Vec::new();
        let mut invoices: Vec<(InvoiceRecord, u64)> = Vec::new();
        if let Decision::Apply { allocations, .. } = &decision {
            for (n, a) in allocations.iter().enumerate() {
                let Some(inv) = self.store.get(sid, &a.invoice_id).await? else {
                    return Err(StoreError::Conflict(format!(
                        "invoice {} is gone",
                        a.invoice_id
                    )));
                };
                // The invoice as the decision saw it, and still one that takes money: else decide again.
                let changed = seen.is_some_and(|v| v.get(&inv.invoice_id) != Some(&inv.version));
                let payable = inv.document_type == seikyu_domain::DocumentType::Invoice
                    && inv.status != crate::record::InvoiceStatus::Void;
                if changed || !payable {
                    return Err(StoreError::Conflict(format!(
                        "invoice {} changed since the deposit was matched",
                        inv.invoice_id
                    )));
                }
                let mut next = inv.clone();
                next.paid_total = paid_sum(next.paid_total, a.amount)
                    .map_err(|e| StoreError::BadRequest(e.to_string()))?;
                if settles {
                    next.fees_absorbed += a.fee;
                }
                apply_settlement(&mut next);
                next.version += 1;
                next.updated_at = now;
                let mut bank = base.clone();
                bank.part_of = Some(deposit_key(&id));
                bank.decision = None;
                let part_id = format!("{id}.p{}", n + 1);
                parts.push(bank_payment(
                    sid,
                    &part_id,
                    a.amount,
                    &currency,
                    Some(&a.invoice_id),
                    bank,
                    now,
                ));
                invoices.push((next, inv.version));
            }
        }
        let fee: Decimal = match &decision {
            Decision::Apply { allocations, .. } => allocations.iter().map(|a| a.fee).sum(),
            Decision::Unapplied { .. } => Decimal::ZERO,
        };
        if let Some(bank) = deposit.bank.as_mut() {
            bank.decision = Some(DepositDecision {
                explanation: explain(&decision, settles),
                parts: parts.iter().map(PaymentRecord::key).collect(),
                fee,
                fees_absorbed: settles && !fee.is_zero(),
                decision,
                at: now,
            });
        }
        if !parts.is_empty() {
            deposit.unapplied = None;
        }
        deposit.version = expected + 1;
        deposit.updated_at = now;
        let entries: Vec<OutboxEntry> = parts
            .iter()
            .zip(&invoices)
            .flat_map(|(p, (next, _))| {
                [
                    OutboxEntry::receipt_requested(p, &next.invoice_id, now),
                    OutboxEntry::payment_event(next, p, p.ledger.net(), now),
                ]
            })
            .collect();
        let mut writes: Vec<Write<'_>> = Vec::new();
        if let Some(event_id) = mark {
            writes.push(Write::MarkEvent {
                seller_id: sid,
                provider: BANK,
                event_id,
            });
        }
        writes.push(Write::PutPayment {
            record: deposit,
            expected_version: expected,
        });
        for p in &parts {
            writes.push(Write::PutPayment {
                record: p,
                expected_version: 0,
            });
        }
        for (next, version) in &invoices {
            writes.push(Write::Update {
                record: next,
                expected_version: *version,
            });
        }
        writes.extend(entries.iter().map(Write::Outbox));
        self.store.commit(&writes).await?;
        for e in &entries {
            self.deliver(e).await;
        }
        Ok(())
    }

    /// A reversal entry: refund every part of the deposit it names, in one commit with its mark.
    async fn reverse(
        &self,
        seller: &SellerAccount,
        import_id: &str,
        entry: &Entry,
        id: &str,
    ) -> Result<EntryOutcome, AppError> {
        let sid = &seller.seller_id;
        let mut retry = Retry::new(CONTENDED);
        loop {
            if self.store.event_applied(sid, BANK, id).await? {
                return Ok(EntryOutcome::Duplicate {
                    deposit: deposit_key(id),
                });
            }
            let now = self.clock.now();
            let original = Box::pin(self.reversed_deposit(seller, entry)).await?;
            let mut original = match original {
                Ok(p) => p,
                // Nothing (or more than one deposit) to reverse: kept for a person, marked so it is
                // counted once.
                Err(reason) => {
                    let bank = BankDeposit {
                        import_id: import_id.to_string(),
                        account: entry.account.clone(),
                        entry_id: entry.entry_id.clone(),
                        booking_date: entry.booking_date,
                        amount: Some(entry.amount),
                        payer_name: entry.payer_name.clone(),
                        payer_name_normalized: entry.payer_name_normalized.clone(),
                        reference: entry.reference.clone(),
                        part_of: None,
                        decision: None,
                        reversed_by: None,
                    };
                    let mut record =
                        bank_payment(sid, id, Decimal::ZERO, &entry.currency, None, bank, now);
                    record.version = 0;
                    record.unapplied = Some(Unmatched::Deposit {
                        reason: reason_name(reason),
                    });
                    let decision = Decision::Unapplied {
                        reason,
                        candidates: Vec::new(),
                    };
                    match self
                        .commit_decision(seller, Some(id), &mut record, decision, None, now)
                        .await
                    {
                        Ok(()) => {
                            return Ok(EntryOutcome::Unapplied {
                                deposit: deposit_key(id),
                                reason,
                            });
                        }
                        Err(StoreError::Conflict(_)) => {
                            retry.again(|| format!("reversal {id}")).await?;
                            continue;
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            };
            match Box::pin(self.take_back(seller, &mut original, id, &entry.currency, None, now))
                .await
            {
                Ok(()) => {
                    return Ok(EntryOutcome::Reversed {
                        deposit: deposit_key(id),
                        of: Some(original.key()),
                    });
                }
                Err(StoreError::Conflict(_)) => {
                    retry.again(|| format!("reversal {id}")).await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Take a deposit back for the reversal `reversal_id`: refund each of its parts (the invoices owed
    /// again, their receipts cancelled by the receipt issuer), all in one commit with the reversal's
    /// exactly-once mark, or, for a reversal a person resolves (`held`), its record at its next version.
    async fn take_back(
        &self,
        seller: &SellerAccount,
        original: &mut PaymentRecord,
        reversal_id: &str,
        currency: &str,
        held: Option<&PaymentRecord>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sid = &seller.seller_id;
        let expected = original.version;
        let part_keys = original
            .bank
            .as_ref()
            .and_then(|b| b.decision.as_ref())
            .map(|d| d.parts.clone())
            .unwrap_or_default();
        let mut parts = Vec::new();
        let mut invoices = Vec::new();
        for key in &part_keys {
            let pid = key.trim_start_matches("bank:");
            let Some(mut part) = self.store.get_payment(sid, BANK, pid).await? else {
                continue;
            };
            let before = part.version;
            let refund = part.ledger.received;
            let change = part.ledger.apply(&bank_event(
                pid,
                EventKind::Refunded { total: refund },
                currency,
                part.applied_to.as_deref(),
            ));
            part.version += 1;
            part.updated_at = now;
            if let Some(inv_id) = part.applied_to.clone()
                && let Some(inv) = self.store.get(sid, &inv_id).await?
            {
                let mut next = inv.clone();
                next.paid_total = paid_sum(next.paid_total, change.net_delta)
                    .map_err(|e| StoreError::BadRequest(e.to_string()))?;
                let fee = fee_of(original, &inv_id);
                next.fees_absorbed = (next.fees_absorbed - fee).max(Decimal::ZERO);
                apply_settlement(&mut next);
                next.version += 1;
                next.updated_at = now;
                invoices.push((next, inv.version, change.net_delta, parts.len()));
            }
            parts.push((part, before));
        }
        original.ledger.apply(&bank_event(
            &original.ledger.payment_id.clone(),
            EventKind::Refunded {
                total: original.ledger.received,
            },
            currency,
            None,
        ));
        original.unapplied = None;
        if let Some(b) = original.bank.as_mut() {
            b.reversed_by = Some(deposit_key(reversal_id));
        }
        original.version += 1;
        original.updated_at = now;
        let entries: Vec<OutboxEntry> = invoices
            .iter()
            .flat_map(|(next, _, delta, i)| {
                let p = &parts[*i].0;
                [
                    OutboxEntry::receipt_requested(p, &next.invoice_id, now),
                    OutboxEntry::payment_event(next, p, *delta, now),
                ]
            })
            .collect();
        let mut writes = vec![Write::PutPayment {
            record: original,
            expected_version: expected,
        }];
        match held {
            None => writes.push(Write::MarkEvent {
                seller_id: sid,
                provider: BANK,
                event_id: reversal_id,
            }),
            Some(h) => writes.push(Write::PutPayment {
                record: h,
                expected_version: h.version - 1,
            }),
        }
        for (p, before) in &parts {
            writes.push(Write::PutPayment {
                record: p,
                expected_version: *before,
            });
        }
        for (next, version, _, _) in &invoices {
            writes.push(Write::Update {
                record: next,
                expected_version: *version,
            });
        }
        writes.extend(entries.iter().map(Write::Outbox));
        self.store.commit(&writes).await?;
        for e in &entries {
            self.deliver(e).await;
        }
        Ok(())
    }

    /// A reversal held for a person (unknown or ambiguous) resolved by hand: `deposit` is the deposit it
    /// takes back (the same account and amount, not reversed yet).
    pub async fn reverse_by_hand(
        &self,
        seller: &SellerAccount,
        reversal_id: &str,
        deposit: &str,
    ) -> Result<PaymentRecord, AppError> {
        let target = deposit.strip_prefix("bank:").unwrap_or(deposit);
        if !seikyu_domain::id::is_external_ref(reversal_id)
            || !seikyu_domain::id::is_external_ref(target)
        {
            return Err(AppError::NotFound(format!("payment bank:{reversal_id}")));
        }
        let mut retry = Retry::new(CONTENDED);
        loop {
            let held = self.payment(seller, &deposit_key(reversal_id)).await?;
            let amount = held.bank.as_ref().and_then(|b| b.amount);
            let (Some(bank), Some(amount)) = (held.bank.clone(), amount) else {
                return Err(AppError::NotFound(format!(
                    "held reversal bank:{reversal_id}"
                )));
            };
            if held.unapplied.is_none() {
                return Err(AppError::Conflict {
                    code: ConflictCode::AlreadyApplied,
                    message: format!("reversal bank:{reversal_id} is resolved"),
                });
            }
            let mut original = self.payment(seller, &deposit_key(target)).await?;
            let fits = original.bank.as_ref().is_some_and(|b| {
                b.part_of.is_none() && b.reversed_by.is_none() && b.account == bank.account
            }) && original.ledger.received == amount
                && original.ledger.refunded.is_zero();
            if !fits {
                return Err(field(
                    "deposit",
                    Code::InvalidFormat,
                    format!(
                        "a deposit of {amount} to {} that is not reversed yet",
                        bank.account
                    ),
                ));
            }
            let now = self.clock.now();
            let mut resolved = held.clone();
            resolved.unapplied = None;
            resolved.version += 1;
            resolved.updated_at = now;
            if let Some(d) = resolved.bank.as_mut().and_then(|b| b.decision.as_mut()) {
                d.explanation = format!("{}; a person chose {}", d.explanation, original.key());
            }
            let currency = original.ledger.currency.clone().unwrap_or_default();
            match Box::pin(self.take_back(
                seller,
                &mut original,
                reversal_id,
                &currency,
                Some(&resolved),
                now,
            ))
            .await
            {
                Ok(()) => return Ok(resolved),
                Err(StoreError::Conflict(_)) => {
                    retry.again(|| format!("reversal {reversal_id}")).await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Close an unapplied deposit without applying it (a copy of money already placed, money that is not
    /// the seller's and goes back, a reversal handled otherwise), with a person's note. Its money leaves
    /// the unapplied list; nothing else changes.
    pub async fn dismiss_deposit(
        &self,
        seller: &SellerAccount,
        id: &str,
        note: &str,
    ) -> Result<PaymentRecord, AppError> {
        if !seikyu_domain::id::is_external_ref(id) {
            return Err(AppError::NotFound(format!("payment bank:{id}")));
        }
        let note = note.trim();
        if note.is_empty() || note.chars().count() > 500 {
            return Err(field(
                "note",
                Code::OutOfRange,
                "1 to 500 characters: why it is closed",
            ));
        }
        let mut retry = Retry::new(CONTENDED);
        loop {
            let mut p = self.payment(seller, &deposit_key(id)).await?;
            if p.bank.as_ref().is_none_or(|b| b.part_of.is_some()) {
                return Err(AppError::NotFound(format!("deposit bank:{id}")));
            }
            if p.unapplied.is_none() {
                return Err(AppError::Conflict {
                    code: ConflictCode::AlreadyApplied,
                    message: format!("deposit bank:{id} is applied or closed"),
                });
            }
            let expected = p.version;
            let now = self.clock.now();
            let received = p.ledger.received;
            p.ledger.apply(&bank_event(
                id,
                EventKind::Refunded { total: received },
                p.ledger.currency.clone().unwrap_or_default().as_str(),
                None,
            ));
            p.unapplied = None;
            p.version += 1;
            p.updated_at = now;
            if let Some(d) = p.bank.as_mut().and_then(|b| b.decision.as_mut()) {
                d.explanation = format!("{}; closed by a person: {note}", d.explanation);
            }
            match self
                .store
                .commit(&[Write::PutPayment {
                    record: &p,
                    expected_version: expected,
                }])
                .await
            {
                Ok(()) => return Ok(p),
                Err(StoreError::Conflict(_)) => {
                    retry.again(|| format!("deposit {id}")).await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The deposit a reversal names: by the bank reference it carries (a Zengin 01 取消 repeats the
    /// 照会番号), else a deposit to the account of the same amount (and payer, when both name one), booked
    /// in the reversal's month or the one before, not yet reversed. None found is `UnknownReversal`;
    /// more than one is `AmbiguousReversal` (a person chooses: precision first).
    async fn reversed_deposit(
        &self,
        seller: &SellerAccount,
        entry: &Entry,
    ) -> Result<Result<PaymentRecord, Reason>, AppError> {
        let sid = &seller.seller_id;
        let mut ids = Vec::new();
        for month in months_back(entry.booking_date) {
            let prefix = match &entry.names {
                Some(r) => format!("ref:{}:{r}:{month}", entry.account),
                None => format!("amt:{}:{}:{month}", entry.account, entry.amount),
            };
            let keys = self
                .store
                .bank_keys_with_prefix(sid, &prefix, REVERSAL_WINDOW)
                .await?;
            // More deposits of this amount in a month than are read: which one is meant is not certain.
            if keys.len() >= REVERSAL_WINDOW {
                return Ok(Err(Reason::AmbiguousReversal));
            }
            for (key, _) in keys {
                if let Some((_, id)) = key.rsplit_once(':') {
                    ids.push(id.to_string());
                }
            }
        }
        let mut found: Vec<PaymentRecord> = Vec::new();
        for k in ids {
            if let Some(p) = self.store.get_payment(sid, BANK, &k).await?
                && let Some(b) = &p.bank
                && b.part_of.is_none()
                && b.reversed_by.is_none()
                && p.ledger.received == entry.amount
                && b.booking_date <= entry.booking_date
                && (entry.payer_name_normalized.is_none()
                    || b.payer_name_normalized.is_none()
                    || b.payer_name_normalized == entry.payer_name_normalized)
                && !found.iter().any(|f| f.key() == p.key())
            {
                found.push(p);
            }
        }
        Ok(match found.len() {
            0 => Err(Reason::UnknownReversal),
            1 => Ok(found.remove(0)),
            _ => Err(Reason::AmbiguousReversal),
        })
    }

    /// Apply an unapplied deposit by hand, split over one or more invoices (the amounts add up to the
    /// deposit; an amount beyond an invoice's balance is its credit). The payer's name is learned as an
    /// alias of the buyer when every invoice is that buyer's.
    pub async fn apply_deposit_by_hand(
        &self,
        seller: &SellerAccount,
        deposit_id: &str,
        allocations: &[ManualAllocation],
    ) -> Result<PaymentRecord, AppError> {
        if !seikyu_domain::id::is_external_ref(deposit_id) {
            return Err(AppError::NotFound(format!("deposit bank:{deposit_id}")));
        }
        if allocations.is_empty() || allocations.len() > MAX_SPLIT {
            return Err(field(
                "allocations",
                Code::OutOfRange,
                format!("1 to {MAX_SPLIT} allocations"),
            ));
        }
        let sid = &seller.seller_id;
        let mut retry = Retry::new(CONTENDED);
        loop {
            let Some(mut deposit) = self.store.get_payment(sid, BANK, deposit_id).await? else {
                return Err(AppError::NotFound(format!("payment bank:{deposit_id}")));
            };
            let Some(bank) = deposit.bank.clone().filter(|b| b.part_of.is_none()) else {
                return Err(AppError::NotFound(format!("deposit bank:{deposit_id}")));
            };
            if deposit.unapplied.is_none() || deposit.ledger.net() <= Decimal::ZERO {
                return Err(AppError::Conflict {
                    code: ConflictCode::AlreadyApplied,
                    message: format!("deposit bank:{deposit_id} is applied or reversed"),
                });
            }
            let currency = deposit.ledger.currency.clone().unwrap_or_default();
            let mut allocs = Vec::new();
            let mut buyers = Vec::new();
            let mut total = Decimal::ZERO;
            for (i, a) in allocations.iter().enumerate() {
                let path = format!("allocations[{i}].invoice_id");
                if !is_id(&a.invoice_id)
                    || allocations[..i]
                        .iter()
                        .any(|b| b.invoice_id == a.invoice_id)
                {
                    return Err(field(
                        &path,
                        Code::InvalidFormat,
                        "an invoice id, each once",
                    ));
                }
                let inv = self.get(seller, &a.invoice_id).await?;
                if inv.document_type != seikyu_domain::DocumentType::Invoice
                    || inv.status == crate::record::InvoiceStatus::Void
                {
                    return Err(invalid_state(
                        &inv,
                        inv.status,
                        "apply a deposit to",
                        "an invoice that is not void",
                    ));
                }
                if inv.currency != currency {
                    return Err(field(
                        &path,
                        Code::CurrencyMismatch,
                        format!(
                            "invoice {} is in {}; the deposit is in {currency}",
                            inv.invoice_id, inv.currency
                        ),
                    ));
                }
                let amount = a.amount.get();
                let decimals = seikyu_domain::money::minor_units(&currency).unwrap_or(2);
                if amount.round_dp(decimals) != amount || amount.is_zero() {
                    return Err(field(
                        &format!("allocations[{i}].amount"),
                        Code::InvalidFormat,
                        format!("more than zero, with at most {decimals} decimals in {currency}"),
                    ));
                }
                total += amount;
                buyers.push(inv.customer_id.clone());
                allocs.push(Allocation {
                    invoice_id: inv.invoice_id.clone(),
                    amount,
                    credit: (amount - inv.open_balance()).max(Decimal::ZERO),
                    fee: Decimal::ZERO,
                });
            }
            if total != deposit.ledger.net() {
                return Err(field(
                    "allocations",
                    Code::OutOfRange,
                    format!(
                        "the amounts add up to {total}; the deposit is {}",
                        deposit.ledger.net()
                    ),
                ));
            }
            buyers.dedup();
            let buyer = match buyers.as_slice() {
                [Some(b)] => Some(b.clone()),
                _ => None,
            };
            let decision = Decision::Apply {
                buyer: buyer.clone().unwrap_or_default(),
                identified_by: IdentifiedBy::Person,
                rule: Rule::Manual,
                allocations: allocs,
            };
            let now = self.clock.now();
            match Box::pin(self.commit_decision(seller, None, &mut deposit, decision, None, now))
                .await
            {
                Ok(()) => {
                    // Learning the name is a help, not part of the application: a failure is logged.
                    if let (Some(b), Some(name)) = (buyer, bank.payer_name_normalized.as_deref())
                        && let Err(e) = self.learn_alias(sid, &b, name).await
                    {
                        tracing::warn!(deposit = %deposit_id, error = %e, "applied; the payer's name was not learned");
                    }
                    return Ok(deposit);
                }
                Err(StoreError::Conflict(_)) => {
                    retry.again(|| format!("deposit {deposit_id}")).await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Apply a whole unapplied deposit to one invoice (`POST /payments/apply` with a `bank:` key).
    pub async fn apply_deposit_whole(
        &self,
        seller: &SellerAccount,
        deposit_id: &str,
        invoice_id: &str,
    ) -> Result<PaymentRecord, AppError> {
        let deposit = self.payment(seller, &deposit_key(deposit_id)).await?;
        let amount = seikyu_domain::values::Amount::new(deposit.ledger.net()).map_err(|_| {
            AppError::Conflict {
                code: ConflictCode::NothingToApply,
                message: format!("deposit bank:{deposit_id} holds no money"),
            }
        })?;
        let allocation = ManualAllocation {
            invoice_id: invoice_id.to_string(),
            amount,
        };
        self.apply_deposit_by_hand(seller, deposit_id, &[allocation])
            .await
    }

    /// Remember `name` (normalised) as a name `buyer` pays under.
    async fn learn_alias(&self, sid: &str, buyer: &str, name: &str) -> Result<(), AppError> {
        self.store
            .add_bank_key(sid, &format!("name:{name}"), &format!("buyer:{buyer}"))
            .await?;
        if let Some(mut c) = self.store.get_customer(sid, buyer).await?
            && !c.aliases.iter().any(|a| a == name)
        {
            c.aliases.push(name.to_string());
            self.store.put_customer(&c).await?;
        }
        Ok(())
    }
}

/// The fee a deposit's decision had the seller absorb for `invoice` (zero when the fee stayed open).
fn fee_of(deposit: &PaymentRecord, invoice: &str) -> Decimal {
    match deposit.bank.as_ref().and_then(|b| b.decision.as_ref()) {
        Some(DepositDecision {
            decision: Decision::Apply { allocations, .. },
            fees_absorbed: true,
            ..
        }) => allocations
            .iter()
            .filter(|a| a.invoice_id == invoice)
            .map(|a| a.fee)
            .sum(),
        _ => Decimal::ZERO,
    }
}

/// The voiced and semi-voiced forms of a kana (カ → ガ; ハ → バ, パ), if it has any.
fn voiced(c: char) -> Option<Vec<char>> {
    const PAIRS: &str = "カガキギクグケゲコゴサザシジスズセゼソゾタダチヂツヅテデトドウヴ";
    let p: Vec<char> = PAIRS.chars().collect();
    if let Some(i) = p.chunks(2).position(|w| w[0] == c) {
        return Some(vec![p[i * 2 + 1]]);
    }
    const HA: &str = "ハバパヒビピフブプヘベペホボポ";
    let h: Vec<char> = HA.chars().collect();
    h.chunks(3).find(|w| w[0] == c).map(|w| vec![w[1], w[2]])
}

/// Lookup keys a reversal finds a deposit by: its 照会番号 (Zengin), and its amount; each under the month
/// booked (`{YYYY-MM}`) and ending in the deposit id, one item per deposit (never a growing set).
fn reversal_keys(entry: &Entry, id: &str) -> Vec<String> {
    let month = entry.booking_date.format("%Y-%m");
    let day = entry.booking_date;
    let mut keys = vec![format!(
        "amt:{}:{}:{month}:{day}:{id}",
        entry.account, entry.amount
    )];
    if let Some(no) = zengin_reference(&entry.entry_id) {
        keys.push(format!("ref:{}:{no}:{month}:{day}:{id}", entry.account));
    }
    keys
}

/// The months a reversal looks back over: its own and the one before.
fn months_back(day: chrono::NaiveDate) -> [String; 2] {
    let previous = day.with_day(1).and_then(|d| d.pred_opt()).unwrap_or(day);
    [
        day.format("%Y-%m").to_string(),
        previous.format("%Y-%m").to_string(),
    ]
}

/// Which numbering an entry id belongs to: Zengin 01 (A or B), Zengin 03, camt.053, camt.054.
fn family(entry: &Entry) -> &'static str {
    match entry.format {
        seikyu_banking::Format::Zengin01A | seikyu_banking::Format::Zengin01B => "zengin-01",
        seikyu_banking::Format::Zengin03 => "zengin-03",
        seikyu_banking::Format::Camt053 => "camt.053",
        seikyu_banking::Format::Camt054 => "camt.054",
    }
}

/// The same money as statements of any format describe it: account, day, amount, payer.
fn duplicate_key(entry: &Entry) -> String {
    format!(
        "dup:{}:{}:{}:{}",
        entry.account,
        entry.booking_date,
        entry.amount,
        entry.payer_name_normalized.as_deref().unwrap_or("-")
    )
}

/// The 照会番号 in a Zengin entry id (`{date}-{number}`), which a cancellation names.
fn zengin_reference(entry_id: &str) -> Option<&str> {
    let (_, no) = entry_id.rsplit_once('-')?;
    (no.len() == 6 && no.bytes().all(|b| b.is_ascii_digit())).then_some(no)
}
