//! Seikyu's use cases: tenants, invoices (screening, gapless numbers, UBL, archive, outbox), their
//! state changes, search, and outbox delivery. Same code on AWS, in the demo and in the tests.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, Utc};
use rust_decimal::Decimal;
use seikyu_domain::dunning::{Policy, PolicyError};
use seikyu_domain::id::{ID_RULE, Id, is_external_ref, is_id};
use seikyu_domain::screening::{self, Decision, Exposure, Screening};
use seikyu_domain::values::{Amount, Count, Month};
use seikyu_domain::{
    CalcError, DocumentType, FieldError, InvoiceInput, InvoiceReference, Seller, Totals, compute,
    validate,
};
use seikyu_einvoice::render;
use thiserror::Error;

use seikyu_payments::{PaymentEvent, PaymentLedger, Settlement, Unmatched, check_match, settle};

use crate::ports::{
    ArchiveError, Clock, DocumentArchive, EventBus, MessageQueue, Store, StoreError, Write,
};
use crate::record::{
    Customer, Delivery, DisputeRecord, InvoiceRecord, InvoiceStatus, OutboxEntry, Page,
    PaymentRecord, ReceiptRecord, SearchQuery, SellerAccount, StoredResponse, VoidRecord,
};

/// Japan Standard Time: business dates (issue dates, "overdue") are Tokyo dates.
pub fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("UTC+9 is a valid offset")
}

/// The Tokyo calendar date of `t`.
pub fn tokyo_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&jst()).date_naive()
}

/// The fiscal year `date` falls in, named by the calendar year it starts in.
pub fn fiscal_year(date: NaiveDate, start_month: u32) -> i32 {
    if date.month() >= start_month.clamp(1, 12) {
        date.year()
    } else {
        date.year() - 1
    }
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut s = String::with_capacity(64);
    for b in Sha256::digest(bytes) {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Errors a caller can act on. The HTTP layer maps them to 400/401/404/409/422; only `Internal` is a 5xx.
#[derive(Debug, Error)]
pub enum AppError {
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    #[error("authentication required")]
    Unauthorized,
    #[error("{0} not found")]
    NotFound(String),
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{message}")]
    Unprocessable {
        code: &'static str,
        message: String,
        details: serde_json::Value,
    },
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::BadRequest(m) => AppError::Invalid(vec![FieldError {
                path: "cursor".into(),
                code: seikyu_domain::Code::InvalidValue,
                message: m,
            }]),
            StoreError::Conflict(m) => AppError::Conflict {
                code: "conflict",
                message: m,
            },
            StoreError::Unavailable(m) => AppError::Internal(m),
        }
    }
}

impl From<ArchiveError> for AppError {
    fn from(e: ArchiveError) -> Self {
        AppError::Internal(e.to_string())
    }
}

impl From<CalcError> for AppError {
    fn from(e: CalcError) -> Self {
        AppError::Invalid(vec![FieldError {
            path: String::new(),
            code: seikyu_domain::Code::OutOfRange,
            message: e.to_string(),
        }])
    }
}

/// A new tenant, as `POST /admin/sellers` takes it.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSeller {
    pub seller_id: Id,
    pub number_prefix: String,
    #[serde(default = "default_fy_start")]
    pub fiscal_year_start_month: Month,
    pub profile: Seller,
    #[serde(default)]
    pub default_credit_limit: Option<Amount>,
    /// Reminder schedule and late fee (`None`: the defaults of [`Policy::default`]).
    #[serde(default)]
    pub dunning_policy: Option<Policy>,
}

fn default_fy_start() -> Month {
    Month::known(4)
}

/// Settings of a buyer, as `PUT /customers/{id}` takes them.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerUpdate {
    #[serde(default)]
    pub credit_limit: Option<Amount>,
    #[serde(default = "no_late_payments")]
    pub late_payments_12m: Count,
}

fn no_late_payments() -> Count {
    Count::known(0)
}

/// Largest invoice input stored with its record (DynamoDB's item limit is 400 KB; the rest of the record
/// and the index attributes need room too).
pub const MAX_STORED_INPUT_BYTES: usize = 300_000;

/// How many times a create races for the next number before giving up with 409.
const NUMBER_ATTEMPTS: usize = 20;
/// Outbox entries younger than this are left to the request that wrote them.
pub const OUTBOX_GRACE_SECONDS: i64 = 30;

/// How [`App::insert_numbered`] stores a new document.
struct Numbered<'a> {
    status: InvoiceStatus,
    screening: Option<Screening>,
    /// The invoice a credit note cancels; marked void, naming the credit note's number, in the same commit.
    voids: Option<&'a InvoiceRecord>,
    /// The request's claimed idempotency key, finished in the same commit.
    idempotency_key: Option<&'a str>,
}

pub struct App<S, A, Q, B, C> {
    pub store: S,
    pub archive: A,
    pub queue: Q,
    pub bus: B,
    pub clock: C,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub delivered: usize,
    pub failed: usize,
}

pub(crate) fn field(path: &str, code: seikyu_domain::Code, message: impl Into<String>) -> AppError {
    AppError::Invalid(vec![FieldError {
        path: path.into(),
        code,
        message: message.into(),
    }])
}

/// An invoice's paid total after `delta` more: every payment is bounded, and a sum of them beyond what a
/// Decimal holds is refused rather than wrapped or capped.
fn paid_sum(paid: Decimal, delta: Decimal) -> Result<Decimal, AppError> {
    paid.checked_add(delta)
        .ok_or_else(|| AppError::Unprocessable {
            code: "amount_too_large",
            message: "the payments on this invoice add up to more than Seikyu can hold".into(),
            details: serde_json::Value::Null,
        })
}

/// A new API key: `sk_` + 64 hex digits from the OS random source.
pub fn generate_api_key() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(format!("random source: {e}")))?;
    let mut key = String::from("sk_");
    for b in bytes {
        let _ = write!(key, "{b:02x}");
    }
    Ok(key)
}

impl<S, A, Q, B, C> App<S, A, Q, B, C>
where
    S: Store,
    A: DocumentArchive,
    Q: MessageQueue,
    B: EventBus,
    C: Clock,
{
    // ---- tenants -------------------------------------------------------------------------------

    /// Create a seller and its first API key (returned once; only its hash is stored).
    pub async fn create_seller(&self, new: NewSeller) -> Result<(SellerAccount, String), AppError> {
        if !is_id(&new.number_prefix) || new.number_prefix.len() > 16 {
            return Err(field(
                "number_prefix",
                seikyu_domain::Code::InvalidFormat,
                "1-16 letters, digits, '-' or '_'",
            ));
        }
        let errors = validate_profile(&new.profile);
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        if let Some(p) = &new.dunning_policy {
            check_policy(p, "dunning_policy.")?;
        }
        let account = SellerAccount {
            seller_id: new.seller_id.into(),
            number_prefix: new.number_prefix,
            fiscal_year_start_month: u32::try_from(new.fiscal_year_start_month.get()).unwrap_or(4),
            profile: new.profile,
            default_credit_limit: new.default_credit_limit.map(Amount::get),
            dunning_policy: new.dunning_policy,
            created_at: self.clock.now(),
        };
        self.store
            .create_seller(&account)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => AppError::Conflict {
                    code: "seller_exists",
                    message: format!("seller {} exists", account.seller_id),
                },
                e => e.into(),
            })?;
        let key = self.create_api_key(&account.seller_id).await?;
        Ok((account, key))
    }

    pub async fn create_api_key(&self, seller_id: &str) -> Result<String, AppError> {
        if self.store.get_seller(seller_id).await?.is_none() {
            return Err(AppError::NotFound(format!("seller {seller_id}")));
        }
        let key = generate_api_key()?;
        self.store
            .add_api_key(&sha256_hex(key.as_bytes()), seller_id)
            .await?;
        Ok(key)
    }

    /// The seller an API key belongs to.
    pub async fn authenticate(&self, api_key: &str) -> Result<SellerAccount, AppError> {
        let Some(seller_id) = self
            .store
            .seller_for_key(&sha256_hex(api_key.as_bytes()))
            .await?
        else {
            return Err(AppError::Unauthorized);
        };
        self.store
            .get_seller(&seller_id)
            .await?
            .ok_or(AppError::Unauthorized)
    }

    pub async fn put_customer(
        &self,
        seller: &SellerAccount,
        customer_id: &str,
        update: CustomerUpdate,
    ) -> Result<Customer, AppError> {
        if !is_id(customer_id) {
            return Err(field(
                "customer_id",
                seikyu_domain::Code::InvalidFormat,
                ID_RULE,
            ));
        }
        let c = Customer {
            seller_id: seller.seller_id.clone(),
            customer_id: customer_id.to_string(),
            credit_limit: update.credit_limit.map(Amount::get),
            late_payments_12m: u32::try_from(update.late_payments_12m.get()).unwrap_or(u32::MAX),
        };
        self.store.put_customer(&c).await?;
        Ok(c)
    }

    // ---- invoices ------------------------------------------------------------------------------

    /// Screen, number, render, archive and store an invoice; an approved one is queued for sending
    /// through the outbox written in the same transaction.
    pub async fn create_invoice(
        &self,
        seller: &SellerAccount,
        input: InvoiceInput,
    ) -> Result<InvoiceRecord, AppError> {
        self.create_invoice_with(seller, input, None).await
    }

    /// [`Self::create_invoice`] for a request holding the claimed `idempotency_key`: its 201 response is
    /// stored in the same transaction as the invoice, so a retry after any crash replays it.
    pub async fn create_invoice_with(
        &self,
        seller: &SellerAccount,
        mut input: InvoiceInput,
        idempotency_key: Option<&str>,
    ) -> Result<InvoiceRecord, AppError> {
        // The seller on the invoice is the tenant's stored profile; a request for another seller is refused.
        if input.seller.tax_id != seller.profile.tax_id {
            return Err(AppError::Unprocessable {
                code: "seller_mismatch",
                message: format!(
                    "the invoice's seller.tax_id {:?} is not the authenticated seller's {:?}",
                    input.seller.tax_id, seller.profile.tax_id
                ),
                details: serde_json::Value::Null,
            });
        }
        input.seller = seller.profile.clone();
        input.number = None;
        validate(&input).map_err(|e| AppError::Invalid(e.errors))?;
        // The stored record carries the input; DynamoDB items hold at most 400 KB.
        let size = serde_json::to_vec(&input).map_or(usize::MAX, |v| v.len());
        if size > MAX_STORED_INPUT_BYTES {
            return Err(field(
                "lines",
                seikyu_domain::Code::TooLong,
                format!(
                    "the invoice is {size} bytes as stored; at most {MAX_STORED_INPUT_BYTES}: split it into several invoices"
                ),
            ));
        }
        let totals = compute(&input)?;
        let now = self.clock.now();

        let screening = self
            .screen(seller, &input, &totals, tokyo_date(now))
            .await?;
        let status = match screening.decision {
            Decision::Rejected => {
                return Err(AppError::Unprocessable {
                    code: "screening_rejected",
                    message: "the buyer did not pass credit screening (審査)".into(),
                    details: serde_json::to_value(&screening).unwrap_or_default(),
                });
            }
            Decision::PendingReview => InvoiceStatus::PendingReview,
            Decision::Approved => InvoiceStatus::Issued,
        };
        let (record, _) = self
            .insert_numbered(
                seller,
                input,
                &totals,
                Numbered {
                    status,
                    screening: Some(screening),
                    voids: None,
                    idempotency_key,
                },
            )
            .await?;
        if record.status == InvoiceStatus::Issued {
            self.deliver(&OutboxEntry::issued(
                &record.seller_id,
                &record.invoice_id,
                record.created_at,
            ))
            .await;
        }
        Ok(record)
    }

    async fn screen(
        &self,
        seller: &SellerAccount,
        input: &InvoiceInput,
        totals: &Totals,
        today: NaiveDate,
    ) -> Result<Screening, AppError> {
        let (exposure, limit) = match input.buyer.customer_id.as_deref() {
            Some(cid) => {
                let customer = self.store.get_customer(&seller.seller_id, cid).await?;
                let open = self
                    .store
                    .open_balance(&seller.seller_id, cid, &input.currency, today)
                    .await?;
                (
                    Exposure {
                        outstanding: open.outstanding,
                        overdue_invoices: open.overdue_invoices,
                        late_payments_12m: customer.as_ref().map_or(0, |c| c.late_payments_12m),
                    },
                    customer
                        .and_then(|c| c.credit_limit)
                        .or(seller.default_credit_limit),
                )
            }
            None => (Exposure::default(), seller.default_credit_limit),
        };
        Ok(screening::screen(&exposure, totals.payable, limit))
    }

    /// Take the next number of the right sequence and commit the document with `extra` writes, retrying
    /// when a concurrent request took the number first. The number is used only if the commit succeeds,
    /// so the sequence has no gaps.
    /// `voids`: the invoice a credit note cancels; it is marked void, naming the credit note's number, in
    /// the same transaction.
    async fn insert_numbered(
        &self,
        seller: &SellerAccount,
        mut input: InvoiceInput,
        totals: &Totals,
        opts: Numbered<'_>,
    ) -> Result<(InvoiceRecord, Option<InvoiceRecord>), AppError> {
        let Numbered {
            status,
            screening,
            voids,
            idempotency_key,
        } = opts;
        let fy = fiscal_year(input.issue_date, seller.fiscal_year_start_month);
        let (kind, prefix) = match input.document_type {
            DocumentType::Invoice => ("INV", seller.number_prefix.clone()),
            DocumentType::CreditNote => ("CN", format!("{}-CN", seller.number_prefix)),
        };
        let sequence = format!("{}#{kind}#{fy}", seller.seller_id);
        let seller_policy = seller.dunning_policy.clone().unwrap_or_default();
        for attempt in 0..NUMBER_ATTEMPTS {
            let current = self.store.sequence_value(&sequence).await?;
            let number = format!("{prefix}-{fy}-{:06}", current + 1);
            input.number = Some(number.clone());
            let xml = render(
                &input,
                totals,
                Vec::with_capacity(4096 + 1024 * input.lines.len()),
            )
            .map_err(|e| AppError::Internal(e.to_string()))?;
            let sha = sha256_hex(&xml);
            // Content-addressed key: a lost race leaves an unreferenced object, never a clash.
            let key = format!("{}/{fy}/{number}-{}.xml", seller.seller_id, &sha[..16]);
            self.archive.put(&key, "application/xml", &xml).await?;
            let now = self.clock.now();
            let record = InvoiceRecord {
                seller_id: seller.seller_id.clone(),
                invoice_id: number.clone(),
                number,
                document_type: input.document_type,
                format: input.resolved_format(),
                status,
                version: 1,
                issue_date: input.issue_date,
                due_date: input.due_date,
                currency: input.currency.clone(),
                buyer_name: input.buyer.name.clone(),
                customer_id: input.buyer.customer_id.clone().map(String::from),
                line_total: totals.line_total,
                tax_total: totals.tax_total,
                payable: totals.payable,
                tax_breakdown: totals
                    .breakdown
                    .iter()
                    .map(|b| (b.category.code().to_string(), b.rate, b.taxable, b.tax))
                    .collect(),
                ubl_key: key,
                ubl_sha256: sha,
                screening: screening.clone(),
                email: None,
                paid_total: Decimal::ZERO,
                overpaid: Decimal::ZERO,
                email_sending_until: None,
                dispute: None,
                voided: None,
                dunning: crate::record::Dunning {
                    policy: seller_policy.clone(),
                    ..Default::default()
                },
                installments: None,
                credits: voids.map(|v| v.invoice_id.clone()),
                created_at: now,
                updated_at: now,
                input: input.clone(),
            };
            let outbox = OutboxEntry::issued(&record.seller_id, &record.invoice_id, now);
            let voided = voids.map(|v| {
                let mut v = v.clone();
                v.version += 1;
                v.status = InvoiceStatus::Void;
                v.voided = Some(VoidRecord {
                    credit_note_id: record.invoice_id.clone(),
                    at: now,
                });
                v.updated_at = now;
                v
            });
            let mut writes = vec![
                Write::NextNumber {
                    sequence: &sequence,
                    expected: current,
                },
                Write::Insert(&record),
            ];
            if status == InvoiceStatus::Issued {
                writes.push(Write::Outbox(&outbox));
            }
            if let (Some(v), Some(old)) = (&voided, voids) {
                writes.push(Write::Update {
                    record: v,
                    expected_version: old.version,
                });
            }
            let response = StoredResponse {
                status: 201,
                body: record.to_json().to_string(),
            };
            if let Some(key) = idempotency_key {
                writes.push(Write::FinishIdempotency {
                    seller_id: &seller.seller_id,
                    key,
                    response: &response,
                });
            }
            match self.store.commit(&writes).await {
                Ok(()) => return Ok((record, voided)),
                // The voided invoice changed underneath: the caller must look at it again.
                Err(StoreError::Conflict(m)) if voids.is_some() => {
                    return Err(AppError::Conflict {
                        code: "conflict",
                        message: m,
                    });
                }
                // Someone else took this number; back off and retry with the next.
                Err(StoreError::Conflict(_)) => backoff(attempt).await,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Conflict {
            code: "busy",
            message: "too many concurrent requests for this seller's numbers; retry".into(),
        })
    }

    /// Send an outbox entry (queue message or bus event) and remove the entry. A failure leaves the entry
    /// for the sweeper.
    pub(crate) async fn deliver(&self, entry: &OutboxEntry) -> bool {
        let sent = match &entry.delivery {
            Delivery::Queue(m) => self.queue.send(m).await.map_err(|e| e.to_string()),
            Delivery::Bus(e) => self.bus.publish(e).await.map_err(|e| e.to_string()),
        };
        match sent {
            Ok(()) => {
                if let Err(e) = self.store.delete(entry).await {
                    tracing::warn!(outbox = %entry.id, error = %e, "sent but not removed from the outbox; it will be sent again");
                }
                true
            }
            Err(e) => {
                tracing::warn!(outbox = %entry.id, error = %e, "send failed; the outbox sweeper will retry");
                false
            }
        }
    }

    /// Deliver outbox entries older than the grace period (written by requests that died before sending).
    pub async fn sweep_outbox(&self, limit: usize) -> Result<SweepReport, AppError> {
        let before = self.clock.now() - Duration::seconds(OUTBOX_GRACE_SECONDS);
        let mut report = SweepReport::default();
        for entry in self.store.pending(before, limit).await? {
            if self.deliver(&entry).await {
                report.delivered += 1;
            } else {
                report.failed += 1;
            }
        }
        Ok(report)
    }

    pub async fn get(&self, seller: &SellerAccount, id: &str) -> Result<InvoiceRecord, AppError> {
        self.store
            .get(&seller.seller_id, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("invoice {id}")))
    }

    /// The archived UBL bytes, verified against the hash recorded at issue.
    pub async fn ubl(&self, seller: &SellerAccount, id: &str) -> Result<Vec<u8>, AppError> {
        let r = self.get(seller, id).await?;
        let bytes = self.archive.get(&r.ubl_key).await?.ok_or_else(|| {
            AppError::Internal(format!("archived document {} is missing", r.ubl_key))
        })?;
        if sha256_hex(&bytes) != r.ubl_sha256 {
            return Err(AppError::Internal(format!(
                "archived document {} does not match its recorded hash",
                r.ubl_key
            )));
        }
        Ok(bytes)
    }

    pub async fn search(&self, seller: &SellerAccount, q: &SearchQuery) -> Result<Page, AppError> {
        Ok(self.store.search(&seller.seller_id, q).await?)
    }

    /// Apply `change` to the current record and store it, retrying when it changed underneath.
    pub(crate) async fn update_with<F>(
        &self,
        seller: &SellerAccount,
        id: &str,
        change: F,
        outbox: bool,
    ) -> Result<InvoiceRecord, AppError>
    where
        F: Fn(&mut InvoiceRecord) -> Result<(), AppError>,
    {
        for attempt in 0..NUMBER_ATTEMPTS {
            let mut r = self.get(seller, id).await?;
            let expected = r.version;
            change(&mut r)?;
            r.version += 1;
            r.updated_at = self.clock.now();
            let entry = OutboxEntry::issued(&r.seller_id, &r.invoice_id, r.updated_at);
            let mut writes = vec![Write::Update {
                record: &r,
                expected_version: expected,
            }];
            if outbox {
                writes.push(Write::Outbox(&entry));
            }
            match self.store.commit(&writes).await {
                Ok(()) => {
                    if outbox {
                        self.deliver(&entry).await;
                    }
                    return Ok(r);
                }
                Err(StoreError::Conflict(_)) => backoff(attempt).await,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Conflict {
            code: "busy",
            message: format!("invoice {id} keeps changing; retry"),
        })
    }

    /// Send a pending_review invoice after a person approved it.
    pub async fn approve(
        &self,
        seller: &SellerAccount,
        id: &str,
    ) -> Result<InvoiceRecord, AppError> {
        self.update_with(
            seller,
            id,
            |r| match r.status {
                InvoiceStatus::PendingReview => {
                    r.status = InvoiceStatus::Issued;
                    Ok(())
                }
                s => Err(invalid_state(r, s, "approve", "pending_review")),
            },
            true,
        )
        .await
    }

    /// Record the buyer's objection (異議申し立て).
    pub async fn dispute(
        &self,
        seller: &SellerAccount,
        id: &str,
        reason: &str,
    ) -> Result<InvoiceRecord, AppError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 2000 {
            return Err(field(
                "reason",
                seikyu_domain::Code::Required,
                "give the reason (1-2000 characters)",
            ));
        }
        let at = self.clock.now();
        self.update_with(
            seller,
            id,
            |r| {
                if r.document_type != DocumentType::Invoice {
                    return Err(invalid_state(r, r.status, "dispute", "an invoice"));
                }
                match r.status {
                    InvoiceStatus::Issued
                    | InvoiceStatus::PendingReview
                    | InvoiceStatus::PartiallyPaid
                    | InvoiceStatus::Escalated => {
                        r.dispute = Some(DisputeRecord {
                            reason: reason.to_string(),
                            at,
                            from: r.status,
                            resolved: None,
                        });
                        r.status = InvoiceStatus::Disputed;
                        Ok(())
                    }
                    s => Err(invalid_state(
                        r,
                        s,
                        "dispute",
                        "issued, pending_review, partially_paid or escalated",
                    )),
                }
            },
            false,
        )
        .await
    }

    /// A person resolved the buyer's objection: the invoice returns to the status the dispute
    /// interrupted (settled by any payment since) and its reminder schedule resumes where it was.
    pub async fn resolve_dispute(
        &self,
        seller: &SellerAccount,
        id: &str,
        note: &str,
    ) -> Result<InvoiceRecord, AppError> {
        let note = note.trim();
        if note.is_empty() || note.chars().count() > 2000 {
            return Err(field(
                "note",
                seikyu_domain::Code::Required,
                "say how it was resolved (1-2000 characters)",
            ));
        }
        let at = self.clock.now();
        self.update_with(
            seller,
            id,
            |r| {
                let (InvoiceStatus::Disputed, Some(d)) = (r.status, r.dispute.as_mut()) else {
                    return Err(invalid_state(
                        r,
                        r.status,
                        "resolve a dispute on",
                        "disputed",
                    ));
                };
                d.resolved = Some(crate::record::DisputeResolution {
                    note: note.to_string(),
                    at,
                });
                r.status = match d.from {
                    InvoiceStatus::PendingReview => InvoiceStatus::PendingReview,
                    InvoiceStatus::Escalated => InvoiceStatus::Escalated,
                    _ => InvoiceStatus::Issued,
                };
                if r.paid_total > Decimal::ZERO && r.status == InvoiceStatus::Issued {
                    r.status = InvoiceStatus::PartiallyPaid;
                }
                Ok(())
            },
            false,
        )
        .await
    }

    /// Replace the seller's dunning policy (it applies to invoices issued from now on; each invoice keeps
    /// the policy it was issued under).
    pub async fn set_dunning_policy(
        &self,
        seller: &SellerAccount,
        policy: Policy,
    ) -> Result<SellerAccount, AppError> {
        check_policy(&policy, "")?;
        let mut account = seller.clone();
        account.dunning_policy = Some(policy);
        self.store.update_seller(&account).await?;
        Ok(account)
    }

    /// Cancel an unpaid invoice: issue a credit note for its full amount and mark the invoice void, in one
    /// transaction. The credit note is queued for sending like an invoice.
    pub async fn void(
        &self,
        seller: &SellerAccount,
        id: &str,
    ) -> Result<(InvoiceRecord, InvoiceRecord), AppError> {
        for attempt in 0..3 {
            let invoice = self.get(seller, id).await?;
            // Only while unpaid: a paid or partly paid invoice is settled by refunds, not voided.
            if invoice.document_type != DocumentType::Invoice
                || !invoice.is_open()
                || !invoice.paid_total.is_zero()
            {
                return Err(invalid_state(
                    &invoice,
                    invoice.status,
                    "void",
                    "an unpaid invoice",
                ));
            }
            let now = self.clock.now();
            let mut cn = invoice.input.clone();
            cn.document_type = DocumentType::CreditNote;
            cn.number = None;
            cn.issue_date = tokyo_date(now).max(invoice.issue_date);
            cn.due_date = None;
            // BR-CO-25 wants terms for any amount due; for a cancellation they say nothing is to be paid.
            cn.payment_terms = Some(format!(
                "請求書 {0} の取消につきお支払いは不要です / Cancels invoice {0}: nothing is to be paid",
                invoice.number
            ));
            cn.prepaid_amount = None;
            cn.preceding_invoice = Some(InvoiceReference {
                number: invoice.number.clone(),
                issue_date: Some(invoice.issue_date),
            });
            cn.note = Some(format!(
                "請求書 {0} の取消 / Cancellation of invoice {0}",
                invoice.number
            ));
            validate(&cn)
                .map_err(|e| AppError::Internal(format!("credit note for {id} is invalid: {e}")))?;
            let totals = compute(&cn)?;
            match self
                .insert_numbered(
                    seller,
                    cn,
                    &totals,
                    Numbered {
                        status: InvoiceStatus::Issued,
                        screening: None,
                        voids: Some(&invoice),
                        idempotency_key: None,
                    },
                )
                .await
            {
                Ok((credit_note, Some(voided))) => {
                    self.deliver(&OutboxEntry::issued(
                        &credit_note.seller_id,
                        &credit_note.invoice_id,
                        credit_note.created_at,
                    ))
                    .await;
                    return Ok((voided, credit_note));
                }
                Ok(_) => {
                    return Err(AppError::Internal(
                        "void committed without the invoice update".into(),
                    ));
                }
                // The invoice changed underneath (paid, disputed, voided): look again.
                Err(AppError::Conflict { .. }) => backoff(attempt).await,
                Err(e) => return Err(e),
            }
        }
        Err(AppError::Conflict {
            code: "busy",
            message: format!("invoice {id} keeps changing; retry"),
        })
    }
}

/// What a payment event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentOutcome {
    /// This provider event was applied before: nothing changed.
    Duplicate,
    /// Counted toward an invoice (`net_delta` may be zero: a failure, an expiry, a late smaller total).
    Applied {
        invoice_id: String,
        status: InvoiceStatus,
        net_delta: Decimal,
        paid_total: Decimal,
        open_balance: Decimal,
        overpaid: Decimal,
    },
    /// Kept in the unapplied list for a person.
    Unapplied { payment: String, reason: Unmatched },
}

impl PaymentOutcome {
    /// The answer to the provider (and to a person applying by hand).
    pub fn to_json(&self) -> serde_json::Value {
        let money = |d: &Decimal| d.normalize().to_string();
        match self {
            PaymentOutcome::Duplicate => serde_json::json!({ "received": true, "duplicate": true }),
            PaymentOutcome::Applied {
                invoice_id,
                status,
                net_delta,
                paid_total,
                open_balance,
                overpaid,
            } => serde_json::json!({
                "received": true, "invoice_id": invoice_id, "status": status.as_str(),
                "applied": money(net_delta), "paid_total": money(paid_total),
                "open_balance": money(open_balance), "credit": money(overpaid)
            }),
            PaymentOutcome::Unapplied { payment, reason } => {
                serde_json::json!({ "received": true, "unapplied": payment, "reason": reason })
            }
        }
    }
}

impl<S, A, Q, B, C> App<S, A, Q, B, C>
where
    S: Store,
    A: DocumentArchive,
    Q: MessageQueue,
    B: EventBus,
    C: Clock,
{
    pub async fn receipt(
        &self,
        seller: &SellerAccount,
        id: &str,
    ) -> Result<ReceiptRecord, AppError> {
        self.store
            .get_receipt(&seller.seller_id, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("receipt {id}")))
    }

    /// The archived receipt document (HTML), verified against the hash recorded at issue.
    pub async fn receipt_document(
        &self,
        seller: &SellerAccount,
        id: &str,
    ) -> Result<Vec<u8>, AppError> {
        let r = self.receipt(seller, id).await?;
        let bytes = self.archive.get(&r.document_key).await?.ok_or_else(|| {
            AppError::Internal(format!("archived document {} is missing", r.document_key))
        })?;
        if sha256_hex(&bytes) != r.document_sha256 {
            return Err(AppError::Internal(format!(
                "archived document {} does not match its recorded hash",
                r.document_key
            )));
        }
        Ok(bytes)
    }

    /// Apply a verified provider event exactly once: the event id is recorded in the same transaction
    /// that updates the payment's ledger and its invoice, so a duplicate (even a parallel one) changes
    /// nothing. Totals are cumulative per provider payment, so order does not matter.
    pub async fn apply_payment(
        &self,
        seller: &SellerAccount,
        event: &PaymentEvent,
    ) -> Result<PaymentOutcome, AppError> {
        let provider = event.provider.as_str();
        for attempt in 0..NUMBER_ATTEMPTS {
            if self
                .store
                .event_applied(&seller.seller_id, provider, &event.event_id)
                .await?
            {
                return Ok(PaymentOutcome::Duplicate);
            }
            let now = self.clock.now();
            let current = self
                .store
                .get_payment(&seller.seller_id, provider, &event.payment_id)
                .await?;
            let expected = current.as_ref().map_or(0, |p| p.version);
            let was_applied = current.as_ref().and_then(|p| p.applied_to.clone());
            let mut payment = current.unwrap_or_else(|| PaymentRecord {
                seller_id: seller.seller_id.clone(),
                ledger: PaymentLedger::new(event.provider, event.payment_id.clone()),
                applied_to: None,
                unapplied: None,
                receipts: Vec::new(),
                version: 0,
                updated_at: now,
            });
            let change = payment.ledger.apply(event);
            payment.version = expected + 1;
            payment.updated_at = now;
            // The invoice: where this payment already went, else its metadata, else its reference.
            let target = was_applied
                .clone()
                .or_else(|| payment.ledger.invoice_id.clone())
                .or_else(|| event.reference.clone());
            let invoice = match &target {
                Some(id) if is_id(id) => self.store.get(&seller.seller_id, id).await?,
                _ => None,
            };
            let (matched, updated) = match (target, invoice) {
                (None, _) => (Err(Unmatched::NoInvoiceReference), None),
                (Some(_), None) => (Err(Unmatched::UnknownInvoice), None),
                (Some(id), Some(inv)) => {
                    let payable = inv.document_type == DocumentType::Invoice
                        && inv.status != InvoiceStatus::Void;
                    match check_match(
                        event,
                        &seller.seller_id,
                        &inv.currency,
                        payable || was_applied.is_some(),
                    ) {
                        Err(reason) => (Err(reason), None),
                        Ok(()) => {
                            // A payment matched for the first time brings everything it holds.
                            let delta = if was_applied.is_some() {
                                change.net_delta
                            } else {
                                payment.ledger.net()
                            };
                            let mut next = inv.clone();
                            if !delta.is_zero() {
                                // Every payment is bounded (values::Amount); their sum is checked.
                                next.paid_total = paid_sum(next.paid_total, delta)?;
                                apply_settlement(&mut next);
                                next.version += 1;
                                next.updated_at = now;
                            }
                            payment.applied_to = Some(id.clone());
                            payment.unapplied = None;
                            let outcome = PaymentOutcome::Applied {
                                invoice_id: id,
                                status: next.status,
                                net_delta: delta,
                                paid_total: next.paid_total,
                                open_balance: next.open_balance(),
                                overpaid: next.overpaid,
                            };
                            (
                                Ok(outcome),
                                (!delta.is_zero()).then_some((next, inv.version)),
                            )
                        }
                    }
                }
            };
            let outcome = match matched {
                Ok(o) => o,
                Err(reason) => {
                    payment.unapplied = Some(reason.clone());
                    PaymentOutcome::Unapplied {
                        payment: payment.key(),
                        reason,
                    }
                }
            };
            let mut writes = vec![
                Write::MarkEvent {
                    seller_id: &seller.seller_id,
                    provider,
                    event_id: &event.event_id,
                },
                Write::PutPayment {
                    record: &payment,
                    expected_version: expected,
                },
            ];
            // Money moved: the receipt must follow it, and the seller's systems hear of it.
            let entries = updated.as_ref().map(|(next, _)| {
                let delta = match &outcome {
                    PaymentOutcome::Applied { net_delta, .. } => *net_delta,
                    _ => Decimal::ZERO,
                };
                [
                    OutboxEntry::receipt_requested(&payment, &next.invoice_id, now),
                    OutboxEntry::payment_event(next, &payment, delta, now),
                ]
            });
            if let Some((next, version)) = &updated {
                writes.push(Write::Update {
                    record: next,
                    expected_version: *version,
                });
            }
            for e in entries.iter().flatten() {
                writes.push(Write::Outbox(e));
            }
            match self.store.commit(&writes).await {
                Ok(()) => {
                    for e in entries.iter().flatten() {
                        self.deliver(e).await;
                    }
                    return Ok(outcome);
                }
                // A parallel delivery of this event, or another event of this payment or invoice: look again.
                Err(StoreError::Conflict(_)) => backoff(attempt).await,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Conflict {
            code: "busy",
            message: format!("payment {} keeps changing; retry", event.payment_id),
        })
    }

    /// Payments holding money that could not be applied, oldest first (a failed or expired attempt
    /// without money is not listed: there is nothing to apply).
    pub async fn unapplied_payments(
        &self,
        seller: &SellerAccount,
    ) -> Result<Vec<PaymentRecord>, AppError> {
        let mut v = self.store.unapplied(&seller.seller_id).await?;
        v.retain(|p| p.ledger.net() > Decimal::ZERO);
        Ok(v)
    }

    /// Apply an unapplied payment to an invoice chosen by a person (消込 by hand). The payment's money
    /// counts toward the invoice, and its receipt and bus event follow, exactly as for a matched webhook.
    pub async fn apply_by_hand(
        &self,
        seller: &SellerAccount,
        payment_key: &str,
        invoice_id: &str,
    ) -> Result<PaymentOutcome, AppError> {
        // A key that cannot be one of ours names nothing (and never reaches the store as an oversized key).
        let Some((provider, payment_id)) = payment_key
            .split_once(':')
            .filter(|(p, id)| seikyu_payments::Provider::parse(p).is_some() && is_external_ref(id))
        else {
            return Err(AppError::NotFound("no such payment".into()));
        };
        if !is_id(invoice_id) {
            return Err(field(
                "invoice_id",
                seikyu_domain::Code::InvalidFormat,
                "an invoice id: letters, digits, '-' or '_'",
            ));
        }
        for attempt in 0..NUMBER_ATTEMPTS {
            let now = self.clock.now();
            let mut payment = self
                .store
                .get_payment(&seller.seller_id, provider, payment_id)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("payment {payment_key}")))?;
            if let Some(to) = &payment.applied_to {
                return Err(AppError::Conflict {
                    code: "already_applied",
                    message: format!("payment {payment_key} is applied to invoice {to}"),
                });
            }
            let amount = payment.ledger.net();
            if amount <= Decimal::ZERO {
                return Err(AppError::Conflict {
                    code: "nothing_to_apply",
                    message: format!("payment {payment_key} holds no money"),
                });
            }
            let inv = self
                .store
                .get(&seller.seller_id, invoice_id)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("invoice {invoice_id}")))?;
            if inv.document_type != DocumentType::Invoice || inv.status == InvoiceStatus::Void {
                return Err(invalid_state(
                    &inv,
                    inv.status,
                    "apply a payment to",
                    "an invoice that is not void",
                ));
            }
            if let Some(c) = &payment.ledger.currency
                && *c != inv.currency
            {
                return Err(field(
                    "invoice_id",
                    seikyu_domain::Code::CurrencyMismatch,
                    format!(
                        "invoice {invoice_id} is in {}; the payment is in {c}",
                        inv.currency
                    ),
                ));
            }
            let expected = payment.version;
            payment.version += 1;
            payment.updated_at = now;
            payment.applied_to = Some(inv.invoice_id.clone());
            payment.unapplied = None;
            let mut next = inv.clone();
            next.paid_total = paid_sum(next.paid_total, amount)?;
            apply_settlement(&mut next);
            next.version += 1;
            next.updated_at = now;
            let entries = [
                OutboxEntry::receipt_requested(&payment, &next.invoice_id, now),
                OutboxEntry::payment_event(&next, &payment, amount, now),
            ];
            let writes = [
                Write::PutPayment {
                    record: &payment,
                    expected_version: expected,
                },
                Write::Update {
                    record: &next,
                    expected_version: inv.version,
                },
                Write::Outbox(&entries[0]),
                Write::Outbox(&entries[1]),
            ];
            match self.store.commit(&writes).await {
                Ok(()) => {
                    for e in &entries {
                        self.deliver(e).await;
                    }
                    return Ok(PaymentOutcome::Applied {
                        invoice_id: next.invoice_id.clone(),
                        status: next.status,
                        net_delta: amount,
                        paid_total: next.paid_total,
                        open_balance: next.open_balance(),
                        overpaid: next.overpaid,
                    });
                }
                Err(StoreError::Conflict(_)) => backoff(attempt).await,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Conflict {
            code: "busy",
            message: format!("payment {payment_key} keeps changing; retry"),
        })
    }
}

/// Status and credit of an invoice from its paid total.
fn apply_settlement(inv: &mut InvoiceRecord) {
    match settle(inv.payable, inv.paid_total) {
        Settlement::Paid { credit } => {
            inv.status = InvoiceStatus::Paid;
            inv.overpaid = credit;
        }
        Settlement::PartiallyPaid { .. } => {
            // A part payment does not end a dispute, an escalation or a review: a person does.
            if matches!(
                inv.status,
                InvoiceStatus::Issued | InvoiceStatus::Paid | InvoiceStatus::PartiallyPaid
            ) {
                inv.status = InvoiceStatus::PartiallyPaid;
            }
            inv.overpaid = Decimal::ZERO;
        }
        Settlement::Unpaid => {
            // Refunded back to nothing: unpaid again (a dispute, escalation or review state is kept).
            if matches!(
                inv.status,
                InvoiceStatus::Paid | InvoiceStatus::PartiallyPaid
            ) {
                inv.status = InvoiceStatus::Issued;
            }
            inv.overpaid = Decimal::ZERO;
        }
    }
}

pub(crate) fn invalid_state(
    r: &InvoiceRecord,
    s: InvoiceStatus,
    action: &str,
    wanted: &str,
) -> AppError {
    AppError::Conflict {
        code: "invalid_state",
        message: format!(
            "cannot {action} {} {}: it is {}; only {wanted}",
            if r.document_type == DocumentType::Invoice {
                "invoice"
            } else {
                "credit note"
            },
            r.invoice_id,
            s.as_str()
        ),
    }
}

/// The seller profile as every invoice will carry it: checked with a minimal invoice around it.
/// A policy's errors as field errors under `dunning_policy`.
pub(crate) fn check_policy(p: &Policy, prefix: &str) -> Result<(), AppError> {
    p.check().map_err(|e| {
        let name = match &e {
            PolicyError::OutOfOrder(n) | PolicyError::TooFar(n) => *n,
            PolicyError::PreDueNotBefore => "pre_due",
            PolicyError::LateFee => "late_fee_percent",
        };
        field(
            &format!("{prefix}{name}"),
            seikyu_domain::Code::OutOfRange,
            e.to_string(),
        )
    })
}

fn validate_profile(profile: &Seller) -> Vec<FieldError> {
    let probe = InvoiceInput {
        document_type: DocumentType::Invoice,
        number: Some("PROBE-1".into()),
        format: None,
        issue_date: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or_default(),
        due_date: NaiveDate::from_ymd_opt(2026, 1, 31),
        currency: "JPY".into(),
        tax_currency: None,
        seller: profile.clone(),
        buyer: seikyu_domain::Buyer {
            name: "probe".into(),
            trading_name: None,
            address: seikyu_domain::Address {
                street: None,
                additional_street: None,
                city: None,
                postal_code: None,
                subdivision: None,
                country: "JP".into(),
            },
            customer_id: None,
            tax_id: None,
            legal_id: None,
            endpoint: Some(seikyu_domain::Endpoint {
                id: "7000012050002".into(),
                scheme: "0188".into(),
            }),
            contact: None,
        },
        lines: vec![],
        allowances_charges: vec![],
        period: None,
        delivery_date: None,
        payment_terms: None,
        note: None,
        buyer_reference: Some("probe".into()),
        order_reference: None,
        contract_reference: None,
        preceding_invoice: None,
        prepaid_amount: None,
    };
    match validate(&probe) {
        Ok(()) => vec![],
        Err(e) => e
            .errors
            .into_iter()
            .filter(|e| e.path.starts_with("seller."))
            .map(|mut e| {
                e.path = format!("profile.{}", &e.path["seller.".len()..]);
                e
            })
            .collect(),
    }
}

/// A short random pause before retrying a lost race: up to 2, 4, 8 ... 64 ms.
pub(crate) async fn backoff(attempt: usize) {
    let mut r = [0u8; 1];
    let _ = getrandom::fill(&mut r);
    let cap_ms = 2u64 << attempt.min(5);
    tokio::time::sleep(std::time::Duration::from_millis(
        u64::from(r[0]) % cap_ms + 1,
    ))
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokyo_dates() {
        let t = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 4, 15, 0, 0)
            .single()
            .unwrap_or_default();
        assert_eq!(
            tokyo_date(t),
            NaiveDate::from_ymd_opt(2026, 11, 5).unwrap_or_default()
        );
        let t = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 4, 14, 59, 59)
            .single()
            .unwrap_or_default();
        assert_eq!(
            tokyo_date(t),
            NaiveDate::from_ymd_opt(2026, 11, 4).unwrap_or_default()
        );
    }

    #[test]
    fn fiscal_years_start_in_the_sellers_month() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default();
        assert_eq!(fiscal_year(d(2026, 3, 31), 4), 2025);
        assert_eq!(fiscal_year(d(2026, 4, 1), 4), 2026);
        assert_eq!(fiscal_year(d(2026, 1, 1), 1), 2026);
    }

    #[test]
    fn api_keys_are_long_and_distinct() {
        let a = generate_api_key().unwrap_or_default();
        let b = generate_api_key().unwrap_or_default();
        assert_eq!(a.len(), 3 + 64);
        assert_ne!(a, b);
    }
}
