//! Bank statements in, deposits matched (入金消込). Pure: the parsers read the bytes they are given, the
//! matcher decides from the data it is given; nothing here reads a clock, a store or the network.
//!
//! - [`zengin`]: 全銀協 fixed-length files, 振込入金通知 (01, formats A and B) and 入出金取引明細 (03);
//! - [`camt`]: ISO 20022 camt.053 statements and camt.054 notifications (ZEDI included);
//! - [`kana`]: payer names normalised for comparison; [`payer_code`]: 振込依頼人番号; [`rf`]: ISO 11649;
//! - [`matcher`]: which invoice(s) a deposit pays, and why; or why no rule could place it.
//!
//! Every format becomes the same [`Entry`]; [`Entry::json_line`] is what `seikyu statement` prints.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

pub mod camt;
pub mod kana;
pub mod matcher;
pub mod payer_code;
pub mod rf;
pub mod wareki;
pub mod zengin;

/// Largest statement file read (a month of a busy account is a few MB; a 10,000-entry camt.054 about
/// 15 MB). A larger file is refused before it is parsed.
pub const MAX_STATEMENT_BYTES: u64 = 64 * 1024 * 1024;

/// The format a statement was read as; printed as `zengin-01a`, `zengin-01b`, `zengin-03`, `camt.053`,
/// `camt.054`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub enum Format {
    #[serde(rename = "zengin-01a")]
    Zengin01A,
    #[serde(rename = "zengin-01b")]
    Zengin01B,
    #[serde(rename = "zengin-03")]
    Zengin03,
    #[serde(rename = "camt.053")]
    Camt053,
    #[serde(rename = "camt.054")]
    Camt054,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Zengin01A => "zengin-01a",
            Format::Zengin01B => "zengin-01b",
            Format::Zengin03 => "zengin-03",
            Format::Camt053 => "camt.053",
            Format::Camt054 => "camt.054",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Credit,
    Debit,
}

/// One booked movement on an account, whatever file it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Entry {
    pub format: Format,
    /// Zengin: `bank-branch-type-number` (`0001-123-1-1234567`, the number as 7 digits); camt: the IBAN
    /// or the other identification of the statement's account.
    pub account: String,
    /// The bank's own identity of the entry, stable across files: Zengin `勘定日-照会番号` (with `-cancel`
    /// on a 01 cancellation); camt the entry's reference (`AcctSvcrRef`, else `NtryRef`) and the
    /// transaction's (`TxDtls/Refs/AcctSvcrRef`, else its position) when an entry holds a batch.
    pub entry_id: String,
    pub booking_date: NaiveDate,
    pub value_date: NaiveDate,
    pub direction: Direction,
    /// In major units, at the currency's decimals.
    pub amount: Decimal,
    pub currency: String,
    /// As in the file, decoded.
    pub payer_name: Option<String>,
    pub payer_name_normalized: Option<String>,
    /// Zengin: the EDI field; camt: the structured creditor reference, else the unstructured text.
    pub reference: Option<String>,
    pub reversal: bool,
    /// Zengin's 振込依頼人コード, when the bank filled it (not printed).
    #[serde(skip)]
    pub remitter_code: Option<String>,
    /// The bank reference a reversal names (Zengin 照会番号, camt `AcctSvcrRef`), when known (not printed).
    #[serde(skip)]
    pub names: Option<String>,
    /// Where in the file the entry is (record or entry number), for messages (not printed).
    #[serde(skip)]
    pub position: u64,
}

impl Entry {
    /// The JSON line `seikyu statement` prints: exactly the documented keys, amount as a decimal string.
    pub fn json_line(&self) -> String {
        #[derive(Serialize)]
        struct Line<'a> {
            format: &'static str,
            account: &'a str,
            entry_id: &'a str,
            booking_date: String,
            value_date: String,
            direction: Direction,
            amount: String,
            currency: &'a str,
            payer_name: Option<&'a str>,
            payer_name_normalized: Option<&'a str>,
            reference: Option<&'a str>,
            reversal: bool,
        }
        let line = Line {
            format: self.format.as_str(),
            account: &self.account,
            entry_id: &self.entry_id,
            booking_date: self.booking_date.to_string(),
            value_date: self.value_date.to_string(),
            direction: self.direction,
            amount: self.amount.to_string(),
            currency: &self.currency,
            payer_name: self.payer_name.as_deref(),
            payer_name_normalized: self.payer_name_normalized.as_deref(),
            reference: self.reference.as_deref(),
            reversal: self.reversal,
        };
        serde_json::to_string(&line).unwrap_or_default()
    }
}

/// A statement refused, with where and why. Nothing from a refused file is used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {reason}")]
pub struct StatementError {
    /// `record 12` (Zengin), `document 2, entry 5` (camt), or `file`.
    pub at: String,
    pub reason: String,
}

impl StatementError {
    pub fn file(reason: impl Into<String>) -> Self {
        StatementError {
            at: "file".into(),
            reason: reason.into(),
        }
    }
    pub fn record(n: u64, reason: impl Into<String>) -> Self {
        StatementError {
            at: format!("record {n}"),
            reason: reason.into(),
        }
    }
}

/// A statement read whole: its format and every entry in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub format: Format,
    pub entries: Vec<Entry>,
}

/// Read a statement of any supported format from `bytes` (at most [`MAX_STATEMENT_BYTES`]) on `today`
/// (which decides the era of Zengin's two-digit 和暦 years). The format is told by the content: `<`
/// (after a BOM or blank) is camt, `1` then `01`/`03` is Zengin.
pub fn parse(bytes: &[u8], today: NaiveDate) -> Result<Statement, StatementError> {
    if bytes.len() as u64 > MAX_STATEMENT_BYTES {
        return Err(StatementError::file(format!(
            "more than {} bytes; a statement is at most {} MB",
            MAX_STATEMENT_BYTES,
            MAX_STATEMENT_BYTES / 1024 / 1024
        )));
    }
    let start = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(bytes)
        .iter()
        .position(|b| !b.is_ascii_whitespace());
    match start.map(|i| bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)[i]) {
        Some(b'<') => camt::parse(bytes),
        Some(b'1') => zengin::parse(bytes, today),
        // '1' in EBCDIC: a Zengin file in コード区分 1.
        Some(0xF1) => Err(StatementError::record(
            1,
            "the file is in EBCDIC (コード区分 1); Seikyu reads Zengin files in JIS (コード区分 0): ask the bank for JIS",
        )),
        Some(_) => Err(StatementError::file(
            "unknown format: neither a Zengin file (a header record starting 101 or 103) nor ISO 20022 XML",
        )),
        None => Err(StatementError::file("the file is empty")),
    }
}

/// An amount at a currency's decimals: more decimals than the currency has are refused.
pub(crate) fn at_currency_decimals(amount: Decimal, currency: &str) -> Option<Decimal> {
    let units = seikyu_domain::money::minor_units(currency)?;
    let scaled = amount.round_dp(units);
    (scaled == amount).then(|| {
        let mut v = scaled;
        v.rescale(units);
        v
    })
}

/// Build the normalised payer name beside the file's own text (None for no name).
pub(crate) fn normalized_name(name: Option<&str>) -> Option<String> {
    let name = name?;
    let (_, rest) = payer_code::split_name(name);
    let n = kana::normalize(rest);
    (!n.is_empty()).then_some(n)
}
