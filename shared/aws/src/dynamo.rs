//! DynamoDB adapter: one table for everything Seikyu stores.
//!
//! | item | PK | SK | notes |
//! |---|---|---|---|
//! | seller | `SELLER#{id}` | `PROFILE` | `doc` = SellerAccount JSON |
//! | customer | `SELLER#{id}` | `CUSTOMER#{cid}` | `doc` = Customer JSON |
//! | API key | `APIKEY#{sha256}` | `APIKEY` | `seller_id` |
//! | sequence | `SEQ#{seller}#{kind}#{fy}` | `SEQ` | `n` = last number taken |
//! | invoice | `SELLER#{id}` | `INV#{invoice}` | `doc`, `version`, `status`, `payable`, ... + index keys |
//! | outbox | `OUTBOX` | `{created_at}#{id}` | `doc` = OutboxEntry JSON |
//! | idempotency | `IDEM#{seller}#{key}` | `IDEM` | request hash, response, `expires_at` (TTL) |
//! | applied event | `SELLER#{id}` | `EVT#{provider}#{event}` | the exactly-once marker of a webhook event |
//! | payment | `SELLER#{id}` | `PAY#{provider}:{payment}` | `doc` = PaymentRecord JSON, `version` |
//! | receipt | `SELLER#{id}` | `RCPT#{receipt}` | `doc` = ReceiptRecord JSON, `version` |
//! | bank lookup | `BANK#{seller}` | `{key}` (`va:…`, `pc:…`, `name:…`, …) | `vals`: a string set |
//! | statement import | `SELLER#{id}` | `STMT#{sha256}` | `doc` = StatementImport JSON |
//!
//! Indexes (the first three project every attribute): `ByCustomer` (GSI1: seller#customer / date#id),
//! `ByIssueDate` (GSI2: seller / date#id), `ByAmount` (GSI3: seller / amount#id) and the sparse
//! `ByNextAction` (GSI4: `REMIND#{shard}` / `{next action day}#seller#id`, keys only, present only while
//! the invoice can be reminded: the dunning scheduler reads exactly the invoices due).

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use base64::Engine as _;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rust_decimal::Decimal;
use seikyu_domain::DocumentType;
use seikyu_service::dunning;
use seikyu_service::ports::{
    BankStore, Claim, DueReminders, IdempotencyStore, InvoiceStore, OpenBalance, OpenItem,
    OutboxStore, PaymentStore, ReceiptStore, StoreError, TenantStore, Write,
};
use seikyu_service::record::{
    Customer, InvoiceRecord, OutboxEntry, Page, PaymentRecord, ReceiptRecord, SearchQuery,
    SellerAccount, StatementImport, StoredResponse,
};
use seikyu_service::search::{self, Index};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub type Item = HashMap<String, AttributeValue>;

#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn unavailable<E: std::fmt::Debug>(e: E) -> StoreError {
    StoreError::Unavailable(format!("{e:?}").chars().take(600).collect())
}

fn to_doc<T: Serialize>(v: &T) -> Result<AttributeValue, StoreError> {
    serde_json::to_string(v)
        .map(AttributeValue::S)
        .map_err(|e| StoreError::Unavailable(format!("serialize: {e}")))
}

fn from_doc<T: DeserializeOwned>(item: &Item) -> Result<T, StoreError> {
    let doc = item
        .get("doc")
        .and_then(|v| v.as_s().ok())
        .ok_or_else(|| StoreError::Unavailable("item without doc".into()))?;
    serde_json::from_str(doc)
        .map_err(|e| StoreError::Unavailable(format!("stored document unreadable: {e}")))
}

fn get_s<'a>(item: &'a Item, k: &str) -> Option<&'a str> {
    item.get(k).and_then(|v| v.as_s().ok()).map(String::as_str)
}

fn invoice_pk(seller: &str) -> String {
    format!("SELLER#{seller}")
}

fn invoice_sk(id: &str) -> String {
    format!("INV#{id}")
}

/// Every attribute of an invoice item: keys, index keys (sparse where they do not apply), filters. Public
/// for bulk loads (the dunning scale benchmark writes its invoices with BatchWriteItem).
pub fn invoice_item(r: &InvoiceRecord) -> Result<Item, StoreError> {
    let mut item: Item = HashMap::new();
    item.insert("PK".into(), s(invoice_pk(&r.seller_id)));
    item.insert("SK".into(), s(invoice_sk(&r.invoice_id)));
    item.insert("doc".into(), to_doc(r)?);
    item.insert("version".into(), n(r.version));
    item.insert("status".into(), s(r.status.as_str()));
    item.insert("payable".into(), n(r.payable));
    item.insert("paid_total".into(), n(r.paid_total));
    item.insert("fees_absorbed".into(), n(r.fees_absorbed));
    item.insert("currency".into(), s(&r.currency));
    item.insert("issue_date".into(), s(r.issue_date.to_string()));
    item.insert(
        "document_type".into(),
        s(match r.document_type {
            DocumentType::Invoice => "invoice",
            DocumentType::CreditNote => "credit_note",
        }),
    );
    if let Some(d) = r.due_date {
        item.insert("due_date".into(), s(d.to_string()));
    }
    let date_key = search::date_key(r);
    if let Some(c) = &r.customer_id {
        item.insert("GSI1PK".into(), s(format!("{}#{c}", r.seller_id)));
        item.insert("GSI1SK".into(), s(date_key.clone()));
    }
    item.insert("GSI2PK".into(), s(&r.seller_id));
    item.insert("GSI2SK".into(), s(date_key));
    item.insert("GSI3PK".into(), s(&r.seller_id));
    item.insert(
        "GSI3SK".into(),
        s(search::amount_key(r.payable, &r.invoice_id)),
    );
    if let Some(day) = dunning::next_action(r) {
        item.insert(
            "GSI4PK".into(),
            s(format!("REMIND#{:02}", shard(&r.seller_id, &r.invoice_id))),
        );
        item.insert(
            "GSI4SK".into(),
            s(format!("{day}#{}#{}", r.seller_id, r.invoice_id)),
        );
    }
    Ok(item)
}

async fn query_due_shard(
    client: &Client,
    table: &str,
    shard: u32,
    as_of: NaiveDate,
) -> Result<DueReminders, StoreError> {
    let mut due = DueReminders::default();
    let mut start = None;
    loop {
        let out = client
            .query()
            .table_name(table)
            .index_name("ByNextAction")
            .key_condition_expression("GSI4PK = :pk AND GSI4SK <= :until")
            .expression_attribute_values(":pk", s(format!("REMIND#{shard:02}")))
            .expression_attribute_values(":until", s(format!("{as_of}#~")))
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(unavailable)?;
        due.items_read += usize::try_from(out.count).unwrap_or_default();
        for i in out.items.unwrap_or_default() {
            let mut key = get_s(&i, "GSI4SK").unwrap_or_default().splitn(3, '#');
            match (key.next(), key.next(), key.next()) {
                (Some(_), Some(seller), Some(invoice)) => {
                    due.invoices.push((seller.to_string(), invoice.to_string()));
                }
                _ => {
                    tracing::error!(key = ?i.get("GSI4SK"), "unreadable next-action index key skipped")
                }
            }
        }
        match out.last_evaluated_key {
            Some(k) => start = Some(k),
            None => return Ok(due),
        }
    }
}

/// Partitions of the next-action index: invoices spread over them by a hash of their key, so the
/// reminders of a busy day do not all land on one index partition; the scheduler queries them all.
pub const REMIND_SHARDS: u32 = 16;

/// FNV-1a of `seller#invoice`, modulo [`REMIND_SHARDS`] (stable across releases: it is stored).
fn shard(seller: &str, invoice: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in seller
        .bytes()
        .chain(std::iter::once(b'#'))
        .chain(invoice.bytes())
    {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h % REMIND_SHARDS
}

fn receipt_sk(id: &str) -> String {
    format!("RCPT#{id}")
}

fn receipt_item(r: &ReceiptRecord) -> Result<Item, StoreError> {
    let mut item: Item = HashMap::new();
    item.insert("PK".into(), s(invoice_pk(&r.seller_id)));
    item.insert("SK".into(), s(receipt_sk(&r.receipt_id)));
    item.insert("doc".into(), to_doc(r)?);
    item.insert("version".into(), n(r.version));
    Ok(item)
}

fn hex_token(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn outbox_sk(e: &OutboxEntry) -> String {
    format!(
        "{}#{}",
        e.created_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        e.id
    )
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    async fn get_item(&self, pk: String, sk: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("PK", s(pk))
            .key("SK", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.item)
    }

    /// Put with `attribute_not_exists(PK)`; `Conflict` when the item exists.
    async fn put_new(&self, item: Item, what: &str) -> Result<(), StoreError> {
        let r = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Err(StoreError::Conflict(format!("{what} exists")))
            }
            Err(e) => Err(unavailable(e)),
        }
    }
}

impl TenantStore for DynamoStore {
    async fn create_seller(&self, account: &SellerAccount) -> Result<(), StoreError> {
        let mut item: Item = HashMap::new();
        item.insert("PK".into(), s(format!("SELLER#{}", account.seller_id)));
        item.insert("SK".into(), s("PROFILE"));
        item.insert("doc".into(), to_doc(account)?);
        self.put_new(item, &format!("seller {}", account.seller_id))
            .await
    }

    async fn update_seller(&self, account: &SellerAccount) -> Result<(), StoreError> {
        let out = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("PK", s(format!("SELLER#{}", account.seller_id)))
            .item("SK", s("PROFILE"))
            .item("doc", to_doc(account)?)
            .condition_expression("attribute_exists(PK)")
            .send()
            .await;
        match out {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Err(StoreError::Conflict(format!(
                    "no seller {}",
                    account.seller_id
                )))
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn get_seller(&self, seller_id: &str) -> Result<Option<SellerAccount>, StoreError> {
        self.get_item(format!("SELLER#{seller_id}"), "PROFILE")
            .await?
            .map(|i| from_doc(&i))
            .transpose()
    }

    async fn add_api_key(&self, key_sha256: &str, seller_id: &str) -> Result<(), StoreError> {
        let mut item: Item = HashMap::new();
        item.insert("PK".into(), s(format!("APIKEY#{key_sha256}")));
        item.insert("SK".into(), s("APIKEY"));
        item.insert("seller_id".into(), s(seller_id));
        self.put_new(item, "api key").await
    }

    async fn seller_for_key(&self, key_sha256: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .get_item(format!("APIKEY#{key_sha256}"), "APIKEY")
            .await?
            .and_then(|i| get_s(&i, "seller_id").map(str::to_string)))
    }

    async fn put_customer(&self, c: &Customer) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("PK", s(format!("SELLER#{}", c.seller_id)))
            .item("SK", s(format!("CUSTOMER#{}", c.customer_id)))
            .item("doc", to_doc(c)?)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn get_customer(
        &self,
        seller_id: &str,
        customer_id: &str,
    ) -> Result<Option<Customer>, StoreError> {
        self.get_item(
            format!("SELLER#{seller_id}"),
            &format!("CUSTOMER#{customer_id}"),
        )
        .await?
        .map(|i| from_doc(&i))
        .transpose()
    }
}

fn idem_pk(seller: &str, key: &str) -> String {
    format!("IDEM#{seller}#{key}")
}

impl IdempotencyStore for DynamoStore {
    async fn claim(
        &self,
        seller_id: &str,
        key: &str,
        request_sha256: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Claim, StoreError> {
        let r = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("PK", s(idem_pk(seller_id, key)))
            .item("SK", s("IDEM"))
            .item("request_sha256", s(request_sha256))
            .item("lease_until", n(lease_until.timestamp()))
            .item("expires_at", n(expires_at.timestamp()))
            // Free, expired (TTL deletion lags), or an unfinished claim of the same request whose holder
            // died before committing (a commit finishes the key in its own transaction).
            .condition_expression(
                "attribute_not_exists(PK) OR expires_at < :now \
                 OR (attribute_not_exists(response_status) AND lease_until < :now AND request_sha256 = :h)",
            )
            .expression_attribute_values(":now", n(now.timestamp()))
            .expression_attribute_values(":h", s(request_sha256))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match r {
            Ok(_) => Ok(Claim::Started),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                let existing = match e.err() {
                    aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(c) => c.item.clone(),
                    _ => None,
                };
                let existing = match existing {
                    Some(i) => i,
                    None => self
                        .get_item(idem_pk(seller_id, key), "IDEM")
                        .await?
                        .unwrap_or_default(),
                };
                if get_s(&existing, "request_sha256") != Some(request_sha256) {
                    return Ok(Claim::Mismatch);
                }
                match (
                    existing.get("response_status").and_then(|v| v.as_n().ok()),
                    get_s(&existing, "response_body"),
                ) {
                    (Some(status), Some(body)) => Ok(Claim::Replay(StoredResponse {
                        status: status.parse().unwrap_or(200),
                        body: body.to_string(),
                    })),
                    _ => Ok(Claim::InProgress),
                }
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn finish(
        &self,
        seller_id: &str,
        key: &str,
        response: &StoredResponse,
    ) -> Result<(), StoreError> {
        let u = finish_update(&self.table, seller_id, key, response)?;
        self.write_one(TransactWriteItem::builder().update(u).build())
            .await
    }

    async fn release(&self, seller_id: &str, key: &str) -> Result<(), StoreError> {
        let r = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("PK", s(idem_pk(seller_id, key)))
            .key("SK", s("IDEM"))
            // A finished key keeps its response.
            .condition_expression("attribute_not_exists(response_status)")
            .send()
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Ok(())
            }
            Err(e) => Err(unavailable(e)),
        }
    }
}

/// The update that stores an idempotent response (alone, or inside the commit it belongs to).
fn finish_update(
    table: &str,
    seller_id: &str,
    key: &str,
    response: &StoredResponse,
) -> Result<Update, StoreError> {
    Update::builder()
        .table_name(table)
        .key("PK", s(idem_pk(seller_id, key)))
        .key("SK", s("IDEM"))
        .update_expression("SET response_status = :st, response_body = :b")
        .condition_expression("attribute_exists(PK)")
        .expression_attribute_values(":st", n(response.status))
        .expression_attribute_values(":b", s(&response.body))
        .build()
        .map_err(unavailable)
}

fn tx_put(
    table: &str,
    item: Item,
    condition: &str,
    values: Vec<(&str, AttributeValue)>,
) -> Result<TransactWriteItem, StoreError> {
    let mut put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(condition);
    for (k, v) in values {
        put = put.expression_attribute_values(k, v);
    }
    Ok(TransactWriteItem::builder()
        .put(put.build().map_err(unavailable)?)
        .build())
}

/// Cursor: the LastEvaluatedKey of the index query, all string attributes, as base64url JSON.
fn encode_cursor(key: &Item) -> String {
    let m: HashMap<&str, &str> = key
        .iter()
        .filter_map(|(k, v)| v.as_s().ok().map(|v| (k.as_str(), v.as_str())))
        .collect();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&m).unwrap_or_default())
}

fn decode_cursor(c: &str, seller: &str) -> Result<Item, StoreError> {
    let bad = || StoreError::BadRequest("cursor is not one this service issued".into());
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .map_err(|_| bad())?;
    let m: HashMap<String, String> =
        seikyu_domain::json::from_slice(&bytes, 1024).map_err(|_| bad())?;
    // A cursor can only continue inside the caller's own partition.
    if m.get("PK").map(String::as_str) != Some(invoice_pk(seller).as_str()) || m.len() > 4 {
        return Err(bad());
    }
    Ok(m.into_iter().map(|(k, v)| (k, s(v))).collect())
}

impl DynamoStore {
    /// A single transaction item as a plain conditional PutItem / UpdateItem.
    async fn write_one(&self, item: TransactWriteItem) -> Result<(), StoreError> {
        let conflict = |what: &str| StoreError::Conflict(format!("condition failed: {what}"));
        if let Some(p) = item.put {
            let r = self
                .client
                .put_item()
                .table_name(p.table_name)
                .set_item(Some(p.item))
                .set_condition_expression(p.condition_expression)
                .set_expression_attribute_values(p.expression_attribute_values)
                .send()
                .await;
            return match r {
                Ok(_) => Ok(()),
                Err(SdkError::ServiceError(e))
                    if e.err().is_conditional_check_failed_exception() =>
                {
                    Err(conflict("put"))
                }
                Err(e) => Err(unavailable(e)),
            };
        }
        if let Some(u) = item.update {
            let r = self
                .client
                .update_item()
                .table_name(u.table_name)
                .set_key(Some(u.key))
                .update_expression(u.update_expression)
                .set_condition_expression(u.condition_expression)
                .set_expression_attribute_values(u.expression_attribute_values)
                .send()
                .await;
            return match r {
                Ok(_) => Ok(()),
                Err(SdkError::ServiceError(e))
                    if e.err().is_conditional_check_failed_exception() =>
                {
                    Err(conflict("update"))
                }
                Err(e) => Err(unavailable(e)),
            };
        }
        Err(StoreError::Unavailable("empty write".into()))
    }
}

impl InvoiceStore for DynamoStore {
    async fn sequence_value(&self, sequence: &str) -> Result<u64, StoreError> {
        Ok(self
            .get_item(format!("SEQ#{sequence}"), "SEQ")
            .await?
            .and_then(|i| {
                i.get("n")
                    .and_then(|v| v.as_n().ok())
                    .and_then(|v| v.parse().ok())
            })
            .unwrap_or(0))
    }

    async fn commit(&self, writes: &[Write<'_>]) -> Result<(), StoreError> {
        let mut items = Vec::with_capacity(writes.len());
        for w in writes {
            items.push(match w {
                Write::NextNumber { sequence, expected } => {
                    let (cond, values) = if *expected == 0 {
                        ("attribute_not_exists(PK)", vec![(":next", n(1))])
                    } else {
                        (
                            "n = :expected",
                            vec![(":next", n(expected + 1)), (":expected", n(*expected))],
                        )
                    };
                    let mut u = Update::builder()
                        .table_name(&self.table)
                        .key("PK", s(format!("SEQ#{sequence}")))
                        .key("SK", s("SEQ"))
                        .update_expression("SET n = :next")
                        .condition_expression(cond);
                    for (k, v) in values {
                        u = u.expression_attribute_values(k, v);
                    }
                    TransactWriteItem::builder()
                        .update(u.build().map_err(unavailable)?)
                        .build()
                }
                Write::Insert(r) => tx_put(
                    &self.table,
                    invoice_item(r)?,
                    "attribute_not_exists(PK)",
                    vec![],
                )?,
                Write::Update {
                    record,
                    expected_version,
                } => tx_put(
                    &self.table,
                    invoice_item(record)?,
                    "version = :v",
                    vec![(":v", n(*expected_version))],
                )?,
                Write::MarkEvent {
                    seller_id,
                    provider,
                    event_id,
                } => {
                    let mut item: Item = HashMap::new();
                    item.insert("PK".into(), s(invoice_pk(seller_id)));
                    item.insert("SK".into(), s(format!("EVT#{provider}#{event_id}")));
                    tx_put(&self.table, item, "attribute_not_exists(PK)", vec![])?
                }
                Write::PutPayment {
                    record,
                    expected_version,
                } => {
                    let mut item: Item = HashMap::new();
                    item.insert("PK".into(), s(invoice_pk(&record.seller_id)));
                    item.insert("SK".into(), s(format!("PAY#{}", record.key())));
                    item.insert("doc".into(), to_doc(*record)?);
                    item.insert("version".into(), n(record.version));
                    if record.unapplied.is_some() {
                        item.insert("unapplied".into(), s("1"));
                    }
                    if *expected_version == 0 {
                        tx_put(&self.table, item, "attribute_not_exists(PK)", vec![])?
                    } else {
                        tx_put(
                            &self.table,
                            item,
                            "version = :v",
                            vec![(":v", n(*expected_version))],
                        )?
                    }
                }
                Write::InsertReceipt(r) => tx_put(
                    &self.table,
                    receipt_item(r)?,
                    "attribute_not_exists(PK)",
                    vec![],
                )?,
                Write::UpdateReceipt {
                    record,
                    expected_version,
                } => tx_put(
                    &self.table,
                    receipt_item(record)?,
                    "version = :v",
                    vec![(":v", n(*expected_version))],
                )?,
                Write::FinishIdempotency {
                    seller_id,
                    key,
                    response,
                } => TransactWriteItem::builder()
                    .update(finish_update(&self.table, seller_id, key, response)?)
                    .build(),
                Write::Outbox(e) => {
                    let mut item: Item = HashMap::new();
                    item.insert("PK".into(), s("OUTBOX"));
                    item.insert("SK".into(), s(outbox_sk(e)));
                    item.insert("doc".into(), to_doc(*e)?);
                    tx_put(&self.table, item, "attribute_not_exists(PK)", vec![])?
                }
            });
        }
        // One write needs no transaction: a conditional write is atomic and costs half the capacity.
        if let [single] = items.as_slice() {
            return self.write_one(single.clone()).await;
        }
        // A fresh token per commit call: the SDK's own retries of this call resend it, so a commit whose
        // response was lost is recognised by DynamoDB as done (for 10 minutes) instead of failing on the
        // moved sequence. It must not be derived from the content: two identical invoices racing for one
        // number would then look like one request and both "succeed".
        let token = {
            let mut r = [0u8; 16];
            getrandom::fill(&mut r)
                .map_err(|e| StoreError::Unavailable(format!("random source: {e}")))?;
            hex_token(&r)
        };
        let r = self
            .client
            .transact_write_items()
            .client_request_token(token)
            .set_transact_items(Some(items))
            .send()
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if e.err().is_transaction_canceled_exception() => Err(
                StoreError::Conflict(format!("transaction cancelled: {}", e.err())),
            ),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn get(
        &self,
        seller_id: &str,
        invoice_id: &str,
    ) -> Result<Option<InvoiceRecord>, StoreError> {
        self.get_item(invoice_pk(seller_id), &invoice_sk(invoice_id))
            .await?
            .map(|i| from_doc(&i))
            .transpose()
    }

    async fn search(&self, seller_id: &str, q: &SearchQuery) -> Result<Page, StoreError> {
        let index = search::plan(q);
        let limit = search::effective_limit(q);
        let (index_name, pk_attr, sk_attr, pk) = match index {
            Index::ByCustomer => (
                "ByCustomer",
                "GSI1PK",
                "GSI1SK",
                format!("{seller_id}#{}", q.customer.as_deref().unwrap_or_default()),
            ),
            Index::ByIssueDate => ("ByIssueDate", "GSI2PK", "GSI2SK", seller_id.to_string()),
            Index::ByAmount => ("ByAmount", "GSI3PK", "GSI3SK", seller_id.to_string()),
        };
        let (lo, hi) = search::key_range(q, index);
        let mut key_cond = "#pk = :pk".to_string();
        let mut values: Vec<(String, AttributeValue)> = vec![(":pk".into(), s(pk))];
        match (&lo, &hi) {
            (Some(lo), Some(hi)) => {
                key_cond.push_str(" AND #sk BETWEEN :lo AND :hi");
                values.push((":lo".into(), s(lo)));
                values.push((":hi".into(), s(hi)));
            }
            (Some(lo), None) => {
                key_cond.push_str(" AND #sk >= :lo");
                values.push((":lo".into(), s(lo)));
            }
            (None, Some(hi)) => {
                key_cond.push_str(" AND #sk <= :hi");
                values.push((":hi".into(), s(hi)));
            }
            (None, None) => {}
        }
        // Conditions the key does not cover, evaluated on the items the index returns.
        let mut filters = Vec::new();
        if index == Index::ByAmount || index == Index::ByCustomer {
            if let Some(f) = q.from {
                filters.push("issue_date >= :from");
                values.push((":from".into(), s(f.to_string())));
            }
            if let Some(t) = q.to {
                filters.push("issue_date <= :to");
                values.push((":to".into(), s(t.to_string())));
            }
        }
        if index != Index::ByAmount {
            if let Some(a) = q.min_amount {
                filters.push("payable >= :min");
                values.push((":min".into(), n(a)));
            }
            if let Some(a) = q.max_amount {
                filters.push("payable <= :max");
                values.push((":max".into(), n(a)));
            }
        }
        if let Some(st) = q.status {
            filters.push("#status = :status");
            values.push((":status".into(), s(st.as_str())));
        }
        let mut start = q
            .cursor
            .as_deref()
            .map(|c| decode_cursor(c, seller_id))
            .transpose()?;
        let mut items = Vec::new();
        let mut read = 0usize;
        let mut next = None;
        loop {
            let mut req = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index_name)
                .key_condition_expression(&key_cond)
                .expression_attribute_names("#pk", pk_attr)
                .scan_index_forward(false)
                .limit(i32::try_from(limit - items.len()).unwrap_or(200))
                .set_exclusive_start_key(start.take());
            if lo.is_some() || hi.is_some() {
                req = req.expression_attribute_names("#sk", sk_attr);
            }
            if !filters.is_empty() {
                req = req.filter_expression(filters.join(" AND "));
            }
            if q.status.is_some() {
                req = req.expression_attribute_names("#status", "status");
            }
            for (k, v) in &values {
                req = req.expression_attribute_values(k, v.clone());
            }
            let out = req.send().await.map_err(|e| match &e {
                // A start key that does not fit this query (a tampered or reused cursor) is the caller's error.
                SdkError::ServiceError(se)
                    if se.err().meta().code() == Some("ValidationException") =>
                {
                    StoreError::BadRequest("cursor does not belong to this search".into())
                }
                _ => unavailable(e),
            })?;
            read += usize::try_from(out.scanned_count).unwrap_or(0);
            for i in out.items.unwrap_or_default() {
                items.push(from_doc::<InvoiceRecord>(&i)?);
            }
            match out.last_evaluated_key {
                Some(k) if items.len() == limit => {
                    next = Some(encode_cursor(&k));
                    break;
                }
                Some(k) => start = Some(k),
                None => break,
            }
        }
        Ok(Page {
            items,
            next,
            items_read: read,
        })
    }

    async fn open_balance(
        &self,
        seller_id: &str,
        customer_id: &str,
        currency: &str,
        today: NaiveDate,
    ) -> Result<OpenBalance, StoreError> {
        let mut balance = OpenBalance::default();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name("ByCustomer")
                .key_condition_expression("GSI1PK = :pk")
                .filter_expression(
                    "currency = :c AND document_type = :inv AND #st IN (:s1, :s2, :s3, :s4, :s5)",
                )
                .expression_attribute_names("#st", "status")
                .expression_attribute_values(":pk", s(format!("{seller_id}#{customer_id}")))
                .expression_attribute_values(":c", s(currency))
                .expression_attribute_values(":inv", s("invoice"))
                .expression_attribute_values(":s1", s("issued"))
                .expression_attribute_values(":s2", s("pending_review"))
                .expression_attribute_values(":s3", s("disputed"))
                .expression_attribute_values(":s4", s("partially_paid"))
                .expression_attribute_values(":s5", s("escalated"))
                .projection_expression("payable, paid_total, due_date")
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            for i in out.items.unwrap_or_default() {
                let payable: Decimal = i
                    .get("payable")
                    .and_then(|v| v.as_n().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_default();
                let paid: Decimal = i
                    .get("paid_total")
                    .and_then(|v| v.as_n().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_default();
                balance.outstanding = balance
                    .outstanding
                    .saturating_add(payable.saturating_sub(paid).max(Decimal::ZERO));
                let overdue = get_s(&i, "due_date")
                    .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                    .is_some_and(|d| d < today);
                if overdue {
                    balance.overdue_invoices += 1;
                }
            }
            match out.last_evaluated_key {
                Some(k) => start = Some(k),
                None => return Ok(balance),
            }
        }
    }

    /// One query per index shard, all at once: `GSI4SK <= "{as_of}#~"` reads exactly the invoices whose
    /// next action day has come (including days a missed run left behind).
    async fn reminders_due(&self, as_of: NaiveDate) -> Result<DueReminders, StoreError> {
        let mut tasks = tokio::task::JoinSet::new();
        for shard in 0..REMIND_SHARDS {
            let (client, table) = (self.client.clone(), self.table.clone());
            tasks.spawn(async move { query_due_shard(&client, &table, shard, as_of).await });
        }
        let mut due = DueReminders::default();
        while let Some(done) = tasks.join_next().await {
            let part = done.map_err(|e| StoreError::Unavailable(e.to_string()))??;
            due.items_read += part.items_read;
            due.invoices.extend(part.invoices);
        }
        due.invoices.sort();
        Ok(due)
    }
}

impl PaymentStore for DynamoStore {
    async fn get_payment(
        &self,
        seller_id: &str,
        provider: &str,
        payment_id: &str,
    ) -> Result<Option<PaymentRecord>, StoreError> {
        self.get_item(
            invoice_pk(seller_id),
            &format!("PAY#{provider}:{payment_id}"),
        )
        .await?
        .map(|i| from_doc(&i))
        .transpose()
    }

    async fn event_applied(
        &self,
        seller_id: &str,
        provider: &str,
        event_id: &str,
    ) -> Result<bool, StoreError> {
        Ok(self
            .get_item(invoice_pk(seller_id), &format!("EVT#{provider}#{event_id}"))
            .await?
            .is_some())
    }

    async fn unapplied(&self, seller_id: &str) -> Result<Vec<PaymentRecord>, StoreError> {
        let mut all = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk AND begins_with(SK, :pay)")
                .filter_expression("attribute_exists(unapplied)")
                .expression_attribute_values(":pk", s(invoice_pk(seller_id)))
                .expression_attribute_values(":pay", s("PAY#"))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            for i in out.items.unwrap_or_default() {
                all.push(from_doc::<PaymentRecord>(&i)?);
            }
            match out.last_evaluated_key {
                Some(k) => start = Some(k),
                None => break,
            }
        }
        all.sort_by_key(|p| p.updated_at);
        Ok(all)
    }
}

fn bank_pk(seller: &str) -> String {
    format!("BANK#{seller}")
}

fn decimal(i: &Item, k: &str) -> Decimal {
    i.get(k)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_default()
}

impl DynamoStore {
    /// `ADD` or `DELETE` one value of a lookup set.
    async fn change_bank_key(
        &self,
        seller_id: &str,
        key: &str,
        value: &str,
        add: bool,
    ) -> Result<(), StoreError> {
        let expr = if add { "ADD vals :v" } else { "DELETE vals :v" };
        self.client
            .update_item()
            .table_name(&self.table)
            .key("PK", s(bank_pk(seller_id)))
            .key("SK", s(key))
            .update_expression(expr)
            .expression_attribute_values(":v", AttributeValue::Ss(vec![value.to_string()]))
            .send()
            .await
            .map_err(unavailable)?;
        if !add {
            // The last value gone leaves an item without `vals`: remove it, so prefix queries (the
            // free virtual accounts) do not page over emptied items.
            let r = self
                .client
                .delete_item()
                .table_name(&self.table)
                .key("PK", s(bank_pk(seller_id)))
                .key("SK", s(key))
                .condition_expression("attribute_not_exists(vals)")
                .send()
                .await;
            match r {
                Ok(_) => {}
                Err(SdkError::ServiceError(e))
                    if e.err().is_conditional_check_failed_exception() => {}
                Err(e) => return Err(unavailable(e)),
            }
        }
        Ok(())
    }
}

impl BankStore for DynamoStore {
    async fn bank_key(&self, seller_id: &str, key: &str) -> Result<Vec<String>, StoreError> {
        let item = self.get_item(bank_pk(seller_id), key).await?;
        let mut v = item
            .and_then(|i| i.get("vals").and_then(|v| v.as_ss().ok()).cloned())
            .unwrap_or_default();
        v.sort();
        Ok(v)
    }
    async fn add_bank_key(
        &self,
        seller_id: &str,
        key: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        self.change_bank_key(seller_id, key, value, true).await
    }
    async fn remove_bank_key(
        &self,
        seller_id: &str,
        key: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        self.change_bank_key(seller_id, key, value, false).await
    }
    async fn claim_bank_key(
        &self,
        seller_id: &str,
        key: &str,
        value: &str,
    ) -> Result<bool, StoreError> {
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("PK", s(bank_pk(seller_id)))
            .key("SK", s(key))
            .update_expression("ADD vals :v")
            .condition_expression("attribute_not_exists(vals) OR contains(vals, :s)")
            .expression_attribute_values(":v", AttributeValue::Ss(vec![value.to_string()]))
            .expression_attribute_values(":s", s(value))
            .send()
            .await;
        match r {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Ok(false)
            }
            Err(e) => Err(unavailable(e)),
        }
    }
    async fn bank_keys_with_prefix(
        &self,
        seller_id: &str,
        prefix: &str,
        limit: usize,
    ) -> Result<Vec<(String, Vec<String>)>, StoreError> {
        let mut all = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk AND begins_with(SK, :p)")
                .filter_expression("attribute_exists(vals)")
                .expression_attribute_values(":pk", s(bank_pk(seller_id)))
                .expression_attribute_values(":p", s(prefix))
                .set_limit(i32::try_from(limit.min(1000)).ok())
                .set_exclusive_start_key(start.take())
                .consistent_read(true)
                .send()
                .await
                .map_err(unavailable)?;
            for i in out.items.unwrap_or_default() {
                let key = get_s(&i, "SK").unwrap_or_default().to_string();
                let mut vals = i
                    .get("vals")
                    .and_then(|v| v.as_ss().ok())
                    .cloned()
                    .unwrap_or_default();
                vals.sort();
                all.push((key, vals));
                if all.len() >= limit {
                    return Ok(all);
                }
            }
            match out.last_evaluated_key {
                Some(k) => start = Some(k),
                None => return Ok(all),
            }
        }
    }
    async fn open_invoices(
        &self,
        seller_id: &str,
        customer_id: &str,
        currency: &str,
    ) -> Result<Vec<OpenItem>, StoreError> {
        let mut all = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name("ByCustomer")
                .key_condition_expression("GSI1PK = :pk")
                .filter_expression(
                    "currency = :c AND document_type = :inv AND #st IN (:s1, :s2, :s3)",
                )
                .expression_attribute_names("#st", "status")
                .expression_attribute_values(":pk", s(format!("{seller_id}#{customer_id}")))
                .expression_attribute_values(":c", s(currency))
                .expression_attribute_values(":inv", s("invoice"))
                .expression_attribute_values(":s1", s("issued"))
                .expression_attribute_values(":s2", s("partially_paid"))
                .expression_attribute_values(":s3", s("escalated"))
                .projection_expression(
                    "SK, payable, paid_total, fees_absorbed, due_date, issue_date",
                )
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            for i in out.items.unwrap_or_default() {
                let id = get_s(&i, "SK")
                    .unwrap_or_default()
                    .trim_start_matches("INV#")
                    .to_string();
                let balance = decimal(&i, "payable")
                    - decimal(&i, "paid_total")
                    - decimal(&i, "fees_absorbed");
                if balance <= Decimal::ZERO {
                    continue;
                }
                let date = |k: &str| get_s(&i, k).and_then(|d| d.parse::<NaiveDate>().ok());
                all.push(OpenItem {
                    number: id.clone(),
                    invoice_id: id,
                    due_date: date("due_date"),
                    issue_date: date("issue_date").unwrap_or_default(),
                    balance,
                });
            }
            match out.last_evaluated_key {
                Some(k) => start = Some(k),
                None => return Ok(all),
            }
        }
    }
    async fn put_import(&self, import: &StatementImport) -> Result<StatementImport, StoreError> {
        let mut item: Item = HashMap::new();
        item.insert("PK".into(), s(invoice_pk(&import.seller_id)));
        item.insert("SK".into(), s(format!("STMT#{}", import.import_id)));
        item.insert("doc".into(), to_doc(import)?);
        match self.put_new(item, "statement import").await {
            Ok(()) => Ok(import.clone()),
            Err(StoreError::Conflict(_)) => self
                .get_import(&import.seller_id, &import.import_id)
                .await?
                .ok_or_else(|| StoreError::Unavailable("import vanished".into())),
            Err(e) => Err(e),
        }
    }
    async fn update_import(&self, import: &StatementImport) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("PK", s(invoice_pk(&import.seller_id)))
            .item("SK", s(format!("STMT#{}", import.import_id)))
            .item("doc", to_doc(import)?)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
    async fn get_import(
        &self,
        seller_id: &str,
        import_id: &str,
    ) -> Result<Option<StatementImport>, StoreError> {
        self.get_item(invoice_pk(seller_id), &format!("STMT#{import_id}"))
            .await?
            .map(|i| from_doc(&i))
            .transpose()
    }
    async fn imports(
        &self,
        seller_id: &str,
        limit: usize,
    ) -> Result<Vec<StatementImport>, StoreError> {
        let mut all: Vec<StatementImport> = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk AND begins_with(SK, :p)")
                .expression_attribute_values(":pk", s(invoice_pk(seller_id)))
                .expression_attribute_values(":p", s("STMT#"))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            for i in out.items.unwrap_or_default() {
                all.push(from_doc(&i)?);
            }
            match out.last_evaluated_key {
                Some(k) => start = Some(k),
                None => break,
            }
        }
        all.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then(b.import_id.cmp(&a.import_id))
        });
        all.truncate(limit);
        Ok(all)
    }
}

impl ReceiptStore for DynamoStore {
    async fn get_receipt(
        &self,
        seller_id: &str,
        receipt_id: &str,
    ) -> Result<Option<ReceiptRecord>, StoreError> {
        self.get_item(invoice_pk(seller_id), &receipt_sk(receipt_id))
            .await?
            .map(|i| from_doc(&i))
            .transpose()
    }
}

impl OutboxStore for DynamoStore {
    async fn pending(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND SK <= :before")
            .expression_attribute_values(":pk", s("OUTBOX"))
            .expression_attribute_values(
                ":before",
                s(format!(
                    "{}#~",
                    before.to_rfc3339_opts(SecondsFormat::Micros, true)
                )),
            )
            .limit(i32::try_from(limit).unwrap_or(100))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        // An unreadable entry is logged and skipped so it cannot stop the sweep.
        Ok(out
            .items
            .unwrap_or_default()
            .iter()
            .filter_map(|i| match from_doc::<OutboxEntry>(i) {
                Ok(e) => Some(e),
                Err(e) => {
                    tracing::error!(error = %e, sk = get_s(i, "SK").unwrap_or_default(), "unreadable outbox entry skipped");
                    None
                }
            })
            .collect())
    }

    async fn delete(&self, entry: &OutboxEntry) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("PK", s("OUTBOX"))
            .key("SK", s(outbox_sk(entry)))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
