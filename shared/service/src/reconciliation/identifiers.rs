//! What an invoice carries so that its payment can be placed, and the names buyers pay under.
//!
//! - **Virtual accounts (バーチャル口座)**: the seller loads a pool; each buyer (or each invoice, per the
//!   seller's setting) takes a free one, atomically (`claim_bank_key`), and the invoice's payment
//!   instructions (mail and UBL `PayeeFinancialAccount`) show it instead of the seller's own account.
//! - **Payer codes (振込依頼人番号)**: seven digits with a check digit from a gapless per-seller sequence,
//!   written as the UBL `PaymentID` and asked for before the payer's name in the mail.
//! - **RF references**: a Peppol BIS invoice's `PaymentID` is `RF` + check digits + its number without
//!   separators; read back to the number through the seller's prefix, so no lookup item is needed.
//! - **Kana names**: a buyer's registered names and learned aliases, normalised, each under `name:`.
//!
//! A per-invoice identifier is claimed before the invoice has its number, with a `pending:` value, and
//! pointed at the invoice after the commit; one left pending by a crash identifies nothing (precision
//! first: a deposit to it is placed by another rule or by a person).

use seikyu_banking::matcher::Target;
use seikyu_banking::{kana, payer_code, rf};
use seikyu_domain::{Code, DocumentType, Format, InvoiceInput};

use super::{parse_target, target_value};
use crate::app::App;
use crate::error::{AppError, field};
use crate::ports::{Clock, DocumentArchive, EventBus, MessageQueue, Store, StoreError, Write};
use crate::record::{AssignPer, Customer, SellerAccount};
use crate::retry::{CONTENDED, Retry};

/// Most accounts loaded into a pool in one request.
pub const MAX_POOL_LOAD: usize = 1_000;

/// The pool's state.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PoolStatus {
    pub loaded: usize,
    pub free: usize,
}

/// Identifiers claimed for an invoice still to be numbered: pointed at it once it is stored.
#[derive(Debug, Default)]
pub struct Pending {
    keys: Vec<(String, String)>,
    customer: Option<String>,
}

/// A Zengin account as statements name it: `bank-branch-type-number` (4, 3, 1 and 7 digits).
pub fn is_zengin_account(a: &str) -> bool {
    let parts: Vec<&str> = a.split('-').collect();
    matches!(parts.as_slice(), [b, br, t, n]
        if b.len() == 4 && br.len() == 3 && t.len() == 1 && n.len() == 7
            && a.bytes().all(|c| c.is_ascii_digit() || c == b'-'))
}

/// An account a statement may name: Zengin form or an IBAN / other account id (5-34 letters and digits).
pub fn is_account(a: &str) -> bool {
    is_zengin_account(a)
        || ((5..=34).contains(&a.len()) && a.bytes().all(|c| c.is_ascii_alphanumeric()))
}

/// How an invoice shows a Zengin account: type and number, and bank-branch.
fn shown(account: &str) -> (String, Option<String>) {
    match account.split('-').collect::<Vec<_>>().as_slice() {
        [bank, branch, kind, number] => {
            let kind = match *kind {
                "1" => "普通",
                "2" => "当座",
                "4" => "貯蓄",
                _ => "口座",
            };
            (format!("{kind} {number}"), Some(format!("{bank}-{branch}")))
        }
        _ => (account.to_string(), None),
    }
}

/// The RF reference of an invoice number, when the number without separators fits (21 characters).
pub fn rf_for(number: &str) -> Option<String> {
    let base: String = number.chars().filter(char::is_ascii_alphanumeric).collect();
    rf::create(&base)
}

/// The invoice number an RF reference names, for a seller with `prefix` (`{prefix}-{fy}-{seq:06}`).
pub fn number_from_rf(reference: &str, prefix: &str) -> Option<String> {
    let rf = rf::parse(reference)?;
    let base = &rf[4..];
    let plain: String = prefix.chars().filter(char::is_ascii_alphanumeric).collect();
    let rest = base.strip_prefix(plain.to_ascii_uppercase().as_str())?;
    (rest.len() == 10 && rest.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("{prefix}-{}-{}", &rest[..4], &rest[4..]))
}

/// A nonce for a pending claim.
fn nonce() -> Result<String, AppError> {
    let mut b = [0u8; 12];
    getrandom::fill(&mut b).map_err(|e| AppError::Internal(format!("random source: {e}")))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

impl<S, A, Q, B, C> App<S, A, Q, B, C>
where
    S: Store,
    A: DocumentArchive,
    Q: MessageQueue,
    B: EventBus,
    C: Clock,
{
    /// Load virtual accounts into the seller's pool (loading one again changes nothing).
    pub async fn load_virtual_accounts(
        &self,
        seller: &SellerAccount,
        accounts: &[String],
    ) -> Result<PoolStatus, AppError> {
        if accounts.is_empty() || accounts.len() > MAX_POOL_LOAD {
            return Err(field(
                "accounts",
                Code::OutOfRange,
                format!("1 to {MAX_POOL_LOAD} accounts per request"),
            ));
        }
        for (i, a) in accounts.iter().enumerate() {
            if !is_account(a) {
                return Err(field(
                    &format!("accounts[{i}]"),
                    Code::InvalidFormat,
                    "a Zengin account bank-branch-type-number (0001-100-1-1234567) or an IBAN",
                ));
            }
        }
        let sid = &seller.seller_id;
        for a in accounts {
            self.store
                .add_bank_key(sid, &format!("vapool:{a}"), "1")
                .await?;
            if self
                .store
                .bank_key(sid, &format!("va:{a}"))
                .await?
                .is_empty()
            {
                self.store
                    .add_bank_key(sid, &format!("vafree:{a}"), "1")
                    .await?;
            }
        }
        self.pool_status(seller).await
    }

    pub async fn pool_status(&self, seller: &SellerAccount) -> Result<PoolStatus, AppError> {
        let sid = &seller.seller_id;
        let loaded = self
            .store
            .bank_keys_with_prefix(sid, "vapool:", usize::MAX)
            .await?
            .len();
        let free = self
            .store
            .bank_keys_with_prefix(sid, "vafree:", usize::MAX)
            .await?
            .len();
        Ok(PoolStatus { loaded, free })
    }

    /// Whether a statement may be about `account`: the seller's own, or one of its pool.
    pub(crate) async fn owns_account(
        &self,
        seller: &SellerAccount,
        account: &str,
    ) -> Result<bool, AppError> {
        Ok(seller.banking.accounts.iter().any(|a| a == account)
            || !self
                .store
                .bank_key(&seller.seller_id, &format!("vapool:{account}"))
                .await?
                .is_empty())
    }

    /// Take a free virtual account for `value` (a target or a pending claim), if the pool has one.
    async fn take_virtual_account(
        &self,
        seller: &SellerAccount,
        value: &str,
    ) -> Result<Option<String>, AppError> {
        let sid = &seller.seller_id;
        let mut retry = Retry::new(CONTENDED);
        loop {
            let free = self.store.bank_keys_with_prefix(sid, "vafree:", 1).await?;
            let Some((key, _)) = free.into_iter().next() else {
                return Ok(None);
            };
            let account = key.trim_start_matches("vafree:").to_string();
            let claimed = self
                .store
                .claim_bank_key(sid, &format!("va:{account}"), value)
                .await?;
            self.store.remove_bank_key(sid, &key, "1").await?;
            if claimed {
                return Ok(Some(account));
            }
            // Another request took it between the read and the claim: try the next free one.
            retry
                .again(|| format!("the virtual accounts of seller {sid}"))
                .await?;
        }
    }

    /// The next payer code of the seller's sequence, claimed for `value`.
    async fn take_payer_code(
        &self,
        seller: &SellerAccount,
        value: &str,
    ) -> Result<String, AppError> {
        let sequence = format!("{}#PAYER-CODE", seller.seller_id);
        let mut retry = Retry::new(CONTENDED);
        loop {
            let current = self.store.sequence_value(&sequence).await?;
            let code = payer_code::create(u32::try_from(current + 1).unwrap_or(u32::MAX))
                .ok_or_else(|| AppError::Internal("the seller's payer codes are used up".into()))?;
            match self
                .store
                .commit(&[Write::NextNumber {
                    sequence: &sequence,
                    expected: current,
                }])
                .await
            {
                Ok(()) => {
                    if self
                        .store
                        .claim_bank_key(&seller.seller_id, &format!("pc:{code}"), value)
                        .await?
                    {
                        return Ok(code);
                    }
                }
                Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
            retry
                .again(|| format!("the payer codes of seller {}", seller.seller_id))
                .await?;
        }
    }

    /// Put the buyer's (or a new invoice's) virtual account and payer code on `input` before it is
    /// numbered: the account replaces the seller's own in the payment instructions, the code becomes the
    /// payment reference. Returns the claims to point at the invoice once it is stored.
    pub(crate) async fn assign_identifiers(
        &self,
        seller: &SellerAccount,
        input: &mut InvoiceInput,
    ) -> Result<Pending, AppError> {
        let mut pending = Pending::default();
        let uses_pool = !self
            .store
            .bank_keys_with_prefix(&seller.seller_id, "vapool:", 1)
            .await?
            .is_empty();
        let Some(customer_id) = input
            .buyer
            .customer_id
            .as_ref()
            .map(|c| c.as_str().to_string())
        else {
            return Ok(pending);
        };
        if input.document_type != DocumentType::Invoice
            || input.seller.bank_account.is_none()
            || input.resolved_format() != Format::PintJp
            || !(uses_pool || seller.banking.payer_codes)
        {
            return Ok(pending);
        }
        let (va, code) = match seller.banking.assign {
            AssignPer::Buyer => {
                self.buyer_identifiers(seller, &customer_id, uses_pool)
                    .await?
            }
            AssignPer::Invoice => {
                let value = format!("pending:{}", nonce()?);
                let va = if uses_pool {
                    self.take_virtual_account(seller, &value).await?
                } else {
                    None
                };
                let code = if seller.banking.payer_codes {
                    Some(self.take_payer_code(seller, &value).await?)
                } else {
                    None
                };
                pending
                    .keys
                    .extend(va.iter().map(|a| (format!("va:{a}"), value.clone())));
                pending
                    .keys
                    .extend(code.iter().map(|c| (format!("pc:{c}"), value.clone())));
                pending.customer = Some(customer_id.clone());
                (va, code)
            }
        };
        if let (Some(account), Some(bank)) = (va, input.seller.bank_account.as_mut()) {
            let (id, bank_id) = shown(&account);
            bank.account_id = id;
            if bank_id.is_some() {
                bank.bank_id = bank_id;
            }
        }
        if code.is_some() && input.payment_reference.is_none() {
            input.payment_reference = code;
        }
        Ok(pending)
    }

    /// The buyer's virtual account and payer code, given on first use and kept on the customer.
    async fn buyer_identifiers(
        &self,
        seller: &SellerAccount,
        customer_id: &str,
        uses_pool: bool,
    ) -> Result<(Option<String>, Option<String>), AppError> {
        let mut customer = self
            .store
            .get_customer(&seller.seller_id, customer_id)
            .await?
            .unwrap_or_else(|| Customer {
                seller_id: seller.seller_id.clone(),
                customer_id: customer_id.to_string(),
                credit_limit: None,
                late_payments_12m: 0,
                kana_names: Vec::new(),
                aliases: Vec::new(),
                payer_code: None,
                virtual_account: None,
            });
        let value = target_value(&Target {
            buyer: customer_id.to_string(),
            invoice: None,
        });
        let mut changed = false;
        if uses_pool && customer.virtual_account.is_none() {
            customer.virtual_account = self.take_virtual_account(seller, &value).await?;
            changed |= customer.virtual_account.is_some();
        }
        if seller.banking.payer_codes && customer.payer_code.is_none() {
            customer.payer_code = Some(self.take_payer_code(seller, &value).await?);
            changed = true;
        }
        if changed {
            self.store.put_customer(&customer).await?;
        }
        Ok((customer.virtual_account, customer.payer_code))
    }

    /// Point per-invoice claims at the stored invoice.
    pub(crate) async fn finish_identifiers(
        &self,
        seller: &SellerAccount,
        pending: Pending,
        invoice_id: &str,
    ) -> Result<(), AppError> {
        let Some(customer) = pending.customer else {
            return Ok(());
        };
        let value = target_value(&Target {
            buyer: customer,
            invoice: Some(invoice_id.to_string()),
        });
        for (key, placeholder) in pending.keys {
            self.store
                .add_bank_key(&seller.seller_id, &key, &value)
                .await?;
            self.store
                .remove_bank_key(&seller.seller_id, &key, &placeholder)
                .await?;
        }
        Ok(())
    }

    /// Register a buyer's kana names (replacing the registered ones; learned aliases stay).
    pub(crate) async fn index_names(
        &self,
        seller_id: &str,
        customer_id: &str,
        old: &[String],
        new: &[String],
    ) -> Result<(), AppError> {
        let value = format!("buyer:{customer_id}");
        for n in old.iter().filter(|n| !new.contains(n)) {
            self.store
                .remove_bank_key(seller_id, &format!("name:{}", kana::normalize(n)), &value)
                .await?;
        }
        for n in new {
            self.store
                .add_bank_key(seller_id, &format!("name:{}", kana::normalize(n)), &value)
                .await?;
        }
        Ok(())
    }

    /// Where a lookup key points (`None` for none, several values, or a pending claim).
    pub(crate) async fn target_at(
        &self,
        seller_id: &str,
        key: &str,
    ) -> Result<Option<Target>, AppError> {
        let values = self.store.bank_key(seller_id, key).await?;
        let targets: Vec<Target> = values.iter().filter_map(|v| parse_target(v)).collect();
        Ok(match targets.as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rf_references_read_back_to_the_number() {
        let rf = rf_for("AOZ-2026-000004").expect("fits");
        assert!(rf::parse(&rf).is_some());
        assert_eq!(
            number_from_rf(&rf, "AOZ").as_deref(),
            Some("AOZ-2026-000004")
        );
        assert_eq!(number_from_rf(&rf, "XYZ"), None);
        assert_eq!(
            number_from_rf(&rf::grouped(&rf), "AOZ").as_deref(),
            Some("AOZ-2026-000004")
        );
        assert_eq!(rf_for("A-VERY-LONG-PREFIX-2026-000001"), None);
    }

    #[test]
    fn accounts_are_zengin_or_iban() {
        assert!(is_zengin_account("0001-100-1-1234567"));
        assert!(!is_zengin_account("0001-100-1-123456"));
        assert!(is_account("DE89370400440532013000"));
        assert!(!is_account("no"));
        assert_eq!(
            shown("0001-100-1-1234567"),
            ("普通 1234567".to_string(), Some("0001-100".to_string()))
        );
    }
}
