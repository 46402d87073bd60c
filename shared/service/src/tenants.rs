//! Tenants: the agency's client businesses (sellers), their API keys, their buyers' settings
//! (customers) and their dunning policy.

use std::fmt::Write as _;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use seikyu_domain::dunning::{Policy, PolicyError};
use seikyu_domain::id::{ID_RULE, Id, is_id};
use seikyu_domain::values::{Amount, Count, Month};
use seikyu_domain::{Code, DocumentType, FieldError, InvoiceInput, Seller, validate};

use crate::app::App;
use crate::digest::sha256_hex;
use crate::error::{AppError, ConflictCode, field};
use crate::ports::{Clock, DocumentArchive, EventBus, MessageQueue, Store, StoreError};
use crate::record::{BankSettings, Customer, SellerAccount};

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
    /// Bank reconciliation (the seller's accounts, fee tolerance, payer codes); default: none of it.
    #[serde(default)]
    pub banking: Option<BankSettings>,
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
    /// The buyer's names as its bank writes them (kana, e.g. `ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ`): a deposit from a payer of
    /// that name (normalised) is the buyer's when no other buyer has it. Replaces the registered names;
    /// names learned from manual matches stay.
    #[serde(default)]
    pub kana_names: Vec<String>,
}

/// Most kana names a buyer registers.
pub const MAX_KANA_NAMES: usize = 10;

fn no_late_payments() -> Count {
    Count::known(0)
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
    /// Create a seller and its first API key (returned once; only its hash is stored).
    pub async fn create_seller(&self, new: NewSeller) -> Result<(SellerAccount, String), AppError> {
        if !is_id(&new.number_prefix) || new.number_prefix.len() > 16 {
            return Err(field(
                "number_prefix",
                Code::InvalidFormat,
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
        if let Some(b) = &new.banking {
            check_banking(b, "banking.")?;
        }
        let account = SellerAccount {
            seller_id: new.seller_id.into(),
            number_prefix: new.number_prefix,
            fiscal_year_start_month: u32::try_from(new.fiscal_year_start_month.get()).unwrap_or(4),
            profile: new.profile,
            default_credit_limit: new.default_credit_limit.map(Amount::get),
            dunning_policy: new.dunning_policy,
            banking: new.banking.unwrap_or_default(),
            created_at: self.clock.now(),
        };
        self.store
            .create_seller(&account)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => AppError::Conflict {
                    code: ConflictCode::SellerExists,
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
            return Err(field("customer_id", Code::InvalidFormat, ID_RULE));
        }
        if update.kana_names.len() > MAX_KANA_NAMES {
            return Err(field(
                "kana_names",
                Code::OutOfRange,
                format!("at most {MAX_KANA_NAMES} names"),
            ));
        }
        for (i, n) in update.kana_names.iter().enumerate() {
            if n.chars().count() > 100 || seikyu_banking::kana::normalize(n).is_empty() {
                return Err(field(
                    &format!("kana_names[{i}]"),
                    Code::InvalidFormat,
                    "a name of 1 to 100 characters that is more than spaces and a legal form",
                ));
            }
        }
        let old = self
            .store
            .get_customer(&seller.seller_id, customer_id)
            .await?;
        let c = Customer {
            seller_id: seller.seller_id.clone(),
            customer_id: customer_id.to_string(),
            credit_limit: update.credit_limit.map(Amount::get),
            late_payments_12m: u32::try_from(update.late_payments_12m.get()).unwrap_or(u32::MAX),
            kana_names: update.kana_names,
            aliases: old.as_ref().map(|o| o.aliases.clone()).unwrap_or_default(),
            payer_code: old.as_ref().and_then(|o| o.payer_code.clone()),
            virtual_account: old.as_ref().and_then(|o| o.virtual_account.clone()),
        };
        let previous = old.map(|o| o.kana_names).unwrap_or_default();
        self.index_names(&seller.seller_id, customer_id, &previous, &c.kana_names)
            .await?;
        self.store.put_customer(&c).await?;
        Ok(c)
    }

    /// Replace the seller's bank reconciliation settings.
    pub async fn set_bank_settings(
        &self,
        seller: &SellerAccount,
        settings: BankSettings,
    ) -> Result<SellerAccount, AppError> {
        check_banking(&settings, "")?;
        let mut account = seller.clone();
        account.banking = settings;
        self.store.update_seller(&account).await?;
        Ok(account)
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
}

/// Bank settings within their bounds: the fee tolerance 0 to 10,000 (no transfer fee is larger), a
/// combined payment of at most 6 invoices searched among at most 24, at most 100 accounts.
fn check_banking(b: &BankSettings, prefix: &str) -> Result<(), AppError> {
    let m = &b.matching;
    if m.fee_tolerance < Decimal::ZERO || m.fee_tolerance > Decimal::from(10_000) {
        return Err(field(
            &format!("{prefix}matching.fee_tolerance"),
            Code::OutOfRange,
            "0 to 10000",
        ));
    }
    if !(1..=6).contains(&m.max_combination) {
        return Err(field(
            &format!("{prefix}matching.max_combination"),
            Code::OutOfRange,
            "1 to 6",
        ));
    }
    if !(1..=24).contains(&m.max_searched) {
        return Err(field(
            &format!("{prefix}matching.max_searched"),
            Code::OutOfRange,
            "1 to 24",
        ));
    }
    if b.accounts.len() > 100 {
        return Err(field(
            &format!("{prefix}accounts"),
            Code::OutOfRange,
            "at most 100 accounts",
        ));
    }
    for (i, a) in b.accounts.iter().enumerate() {
        if !crate::reconciliation::identifiers::is_account(a) {
            return Err(field(
                &format!("{prefix}accounts[{i}]"),
                Code::InvalidFormat,
                "a Zengin account bank-branch-type-number (0001-100-1-1234567) or an IBAN",
            ));
        }
    }
    Ok(())
}

/// A policy's errors as field errors under `prefix` (e.g. `dunning_policy.`).
fn check_policy(p: &Policy, prefix: &str) -> Result<(), AppError> {
    p.check().map_err(|e| {
        let name = match &e {
            PolicyError::OutOfOrder(n) | PolicyError::TooFar(n) => *n,
            PolicyError::PreDueNotBefore => "pre_due",
            PolicyError::LateFee => "late_fee_percent",
        };
        field(&format!("{prefix}{name}"), Code::OutOfRange, e.to_string())
    })
}

/// The seller profile as every invoice will carry it: checked with a minimal invoice around it.
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
        payment_reference: None,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_keys_are_long_and_distinct() {
        let a = generate_api_key().unwrap_or_default();
        let b = generate_api_key().unwrap_or_default();
        assert_eq!(a.len(), 3 + 64);
        assert_ne!(a, b);
    }
}
