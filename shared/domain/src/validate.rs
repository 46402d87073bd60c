//! Data screening of an invoice (the data half of 審査): every failure at once, each with the field path
//! and a machine-readable code. A document that passes renders to UBL the official rules accept.

use std::collections::{HashMap, HashSet};
use std::fmt;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::calc::{self, CalcError};
use crate::codes;
use crate::model::{
    Address, AllowanceCharge, ChargeKind, Contact, DocumentType, Endpoint, Format, Identifier,
    InvoiceInput, Period, RegistrantKind, TaxCategory,
};
use crate::money;
use crate::regno::{self, RegNoError};

/// Machine-readable reason of a failure. The wire form is the snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// The body is not JSON.
    InvalidJson,
    /// A field the format does not know.
    UnknownField,
    /// A value of the wrong type or shape (e.g. a date that is not YYYY-MM-DD).
    InvalidValue,
    Required,
    NotAllowed,
    TooLong,
    InvalidCharacter,
    InvalidFormat,
    InvalidCode,
    InvalidCurrency,
    CurrencyMismatch,
    InvalidRegistrationNumber,
    RegistrationCheckDigit,
    InvalidEndpointId,
    DueBeforeIssue,
    PeriodInverted,
    OutsidePeriod,
    OutOfRange,
    TooManyDecimals,
    NoLines,
    TooManyLines,
    Duplicate,
    TaxCategoryNotAllowed,
    TaxRateNotAllowed,
    ConflictingExemptionReason,
    MixedNotSubjectToTax,
    AmountOrPercent,
    NegativeTotal,
    LineRounding,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidJson => "invalid_json",
            Code::UnknownField => "unknown_field",
            Code::InvalidValue => "invalid_value",
            Code::Required => "required",
            Code::NotAllowed => "not_allowed",
            Code::TooLong => "too_long",
            Code::InvalidCharacter => "invalid_character",
            Code::InvalidFormat => "invalid_format",
            Code::InvalidCode => "invalid_code",
            Code::InvalidCurrency => "invalid_currency",
            Code::CurrencyMismatch => "currency_mismatch",
            Code::InvalidRegistrationNumber => "invalid_registration_number",
            Code::RegistrationCheckDigit => "registration_check_digit",
            Code::InvalidEndpointId => "invalid_endpoint_id",
            Code::DueBeforeIssue => "due_before_issue",
            Code::PeriodInverted => "period_inverted",
            Code::OutsidePeriod => "outside_period",
            Code::OutOfRange => "out_of_range",
            Code::TooManyDecimals => "too_many_decimals",
            Code::NoLines => "no_lines",
            Code::TooManyLines => "too_many_lines",
            Code::Duplicate => "duplicate",
            Code::TaxCategoryNotAllowed => "tax_category_not_allowed",
            Code::TaxRateNotAllowed => "tax_rate_not_allowed",
            Code::ConflictingExemptionReason => "conflicting_exemption_reason",
            Code::MixedNotSubjectToTax => "mixed_not_subject_to_tax",
            Code::AmountOrPercent => "amount_or_percent",
            Code::NegativeTotal => "negative_total",
            Code::LineRounding => "line_rounding",
        }
    }
}

/// One failure: where, what, and a sentence a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub path: String,
    pub code: Code,
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} ({})",
            self.path,
            self.message,
            self.code.as_str()
        )
    }
}

/// All failures of one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidationErrors {
    pub errors: Vec<FieldError>,
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} problem(s):", self.errors.len())?;
        for e in &self.errors {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

// Bounds. Generous for real invoices, tight enough that no sum can overflow a Decimal (the numbers
// themselves are bounded by their types, see crate::values).
pub const MAX_LINES: usize = 10_000;
const MAX_NAME: usize = 300;
const MAX_ADDRESS_LINE: usize = 300;
const MAX_ID: usize = 100;
const MAX_NOTE: usize = 5_000;
const MAX_ITEM_NAME: usize = 500;

struct V<'a> {
    errors: Vec<FieldError>,
    format: Format,
    input: &'a InvoiceInput,
}

/// Characters XML 1.0 forbids (§2.2 Char): C0 controls other than tab, LF, CR, and U+FFFE / U+FFFF.
/// Rust `char` already excludes surrogates.
fn xml_forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')
}

/// A field's path, `parent.field`, written out only when something there is wrong: a valid invoice
/// builds no path strings.
#[derive(Clone, Copy)]
struct P<'a>(&'a str, &'a str);

impl fmt::Display for P<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str(self.1)
        } else {
            write!(f, "{}.{}", self.0, self.1)
        }
    }
}

/// Whether `value` may hold a character XML 1.0 forbids: a C0 control byte other than tab, LF and CR,
/// or the lead byte of U+FFFE / U+FFFF. A quick byte scan; [`xml_forbidden`] decides.
fn maybe_xml_forbidden(value: &str) -> bool {
    value
        .bytes()
        .any(|b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0xEF)
}

impl V<'_> {
    fn err(&mut self, path: impl fmt::Display, code: Code, message: impl Into<String>) {
        self.errors.push(FieldError {
            path: path.to_string(),
            code,
            message: message.into(),
        });
    }

    /// A text field: not blank (UBL forbids empty elements), at most `max` characters, XML-safe.
    fn text(&mut self, path: impl fmt::Display + Copy, value: &str, max: usize) {
        if value.trim().is_empty() {
            self.err(path, Code::Required, "must not be empty or only spaces");
            return;
        }
        // A string of at most `max` bytes has at most `max` characters.
        if value.len() > max {
            let n = value.chars().count();
            if n > max {
                self.err(
                    path,
                    Code::TooLong,
                    format!("{n} characters; at most {max} allowed"),
                );
            }
        }
        if maybe_xml_forbidden(value)
            && let Some(c) = value.chars().find(|&c| xml_forbidden(c))
        {
            self.err(
                path,
                Code::InvalidCharacter,
                format!("contains U+{:04X}, which XML 1.0 does not allow", c as u32),
            );
        }
    }

    fn opt_text(&mut self, path: impl fmt::Display + Copy, value: Option<&str>, max: usize) {
        if let Some(v) = value {
            self.text(path, v, max);
        }
    }

    /// A money amount in the document's currency: no more decimal places than the document shows
    /// (refused, not rounded away).
    fn money(&mut self, path: impl fmt::Display + Copy, value: Decimal) {
        let Ok(places) = calc::document_decimals(&self.input.currency) else {
            return; // the currency itself is reported
        };
        if value.normalize().scale() > places {
            self.err(
                path,
                Code::TooManyDecimals,
                format!(
                    "{value} has more decimal places than an e-invoice in {} shows ({places})",
                    self.input.currency
                ),
            );
        }
    }

    fn date(&mut self, path: impl fmt::Display + Copy, d: NaiveDate) {
        if !(2000..=2199).contains(&d.year()) {
            self.err(
                path,
                Code::OutOfRange,
                format!("{d} is not a plausible invoice date"),
            );
        }
    }

    fn period(&mut self, path: &str, p: &Period) {
        match (p.start, p.end) {
            (None, None) => self.err(path, Code::Required, "give a start or an end date"),
            (Some(s), Some(e)) if e < s => self.err(
                P(path, "end"),
                Code::PeriodInverted,
                format!("{e} is before the start {s}"),
            ),
            _ => {}
        }
        for d in [p.start, p.end].into_iter().flatten() {
            self.date(path, d);
        }
    }

    fn address(&mut self, path: &str, a: &Address) {
        self.opt_text(P(path, "street"), a.street.as_deref(), MAX_ADDRESS_LINE);
        self.opt_text(
            P(path, "additional_street"),
            a.additional_street.as_deref(),
            MAX_ADDRESS_LINE,
        );
        self.opt_text(P(path, "city"), a.city.as_deref(), MAX_ADDRESS_LINE);
        self.opt_text(P(path, "postal_code"), a.postal_code.as_deref(), 20);
        self.opt_text(
            P(path, "subdivision"),
            a.subdivision.as_deref(),
            MAX_ADDRESS_LINE,
        );
        if !codes::is_country(&a.country) {
            self.err(
                P(path, "country"),
                Code::InvalidCode,
                format!("'{}' is not an ISO 3166-1 alpha-2 country code", a.country),
            );
        }
    }

    fn contact(&mut self, path: &str, c: &Contact) {
        self.opt_text(P(path, "name"), c.name.as_deref(), MAX_NAME);
        self.opt_text(P(path, "phone"), c.phone.as_deref(), 50);
        if let Some(email) = c.email.as_deref() {
            let p = P(path, "email");
            self.text(p, email, 254);
            let ok = email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }) && !email.chars().any(char::is_whitespace);
            if !ok {
                self.err(
                    p,
                    Code::InvalidFormat,
                    format!("'{email}' is not an email address"),
                );
            }
        }
    }

    fn endpoint(&mut self, path: &str, e: Option<&Endpoint>) {
        let Some(e) = e else {
            self.err(
                path,
                Code::Required,
                format!(
                    "a Peppol electronic address is required by {}",
                    format_name(self.format)
                ),
            );
            return;
        };
        self.text(P(path, "id"), &e.id, MAX_ID);
        if !codes::is_endpoint_scheme(&e.scheme) {
            self.err(
                P(path, "scheme"),
                Code::InvalidCode,
                format!("'{}' is not a CEF Electronic Address Scheme code", e.scheme),
            );
        } else if let Some(why) = scheme_id_problem(&e.scheme, &e.id) {
            self.err(P(path, "id"), Code::InvalidEndpointId, why);
        }
    }

    fn identifier(&mut self, path: &str, id: &Identifier) {
        self.text(P(path, "id"), &id.id, MAX_ID);
        if let Some(scheme) = id.scheme.as_deref() {
            if !codes::is_icd(scheme) {
                self.err(
                    P(path, "scheme"),
                    Code::InvalidCode,
                    format!("'{scheme}' is not an ISO 6523 ICD code"),
                );
            } else if let Some(why) = scheme_id_problem(scheme, &id.id) {
                self.err(P(path, "id"), Code::InvalidFormat, why);
            }
        }
    }

    /// Tax category and rate of a line or document allowance/charge, at `path` (the owning object).
    fn tax(
        &mut self,
        path: &str,
        category: TaxCategory,
        rate: Option<Decimal>,
        reason: Option<&str>,
    ) {
        let allowed: &[TaxCategory] = match self.format {
            // aligned-ibrp-cl-01-jp: AA E S G O.
            Format::PintJp => &[
                TaxCategory::S,
                TaxCategory::AA,
                TaxCategory::E,
                TaxCategory::G,
                TaxCategory::O,
            ],
            // EN 16931 has no AA: a reduced rate there is S with its own rate.
            Format::PeppolBis3 => &[
                TaxCategory::S,
                TaxCategory::E,
                TaxCategory::Z,
                TaxCategory::G,
                TaxCategory::O,
            ],
        };
        if !allowed.contains(&category) {
            let hint = match (self.format, category) {
                (Format::PeppolBis3, TaxCategory::AA) => "; use S with the reduced rate",
                (Format::PintJp, TaxCategory::Z) => "; a Japanese zero-rated export is G",
                _ => "",
            };
            self.err(
                P(path, "tax_category"),
                Code::TaxCategoryNotAllowed,
                format!(
                    "{} is not allowed in {}{hint}",
                    category.code(),
                    format_name(self.format)
                ),
            );
        }
        let rate_path = P(path, "tax_rate");
        match (category, rate) {
            (TaxCategory::O, Some(_)) => self.err(
                rate_path,
                Code::NotAllowed,
                "category O (not subject to tax) takes no rate",
            ),
            (TaxCategory::O, None) => {}
            (_, None) => self.err(
                rate_path,
                Code::Required,
                format!("category {} needs a rate", category.code()),
            ),
            (TaxCategory::E | TaxCategory::Z | TaxCategory::G, Some(r)) if !r.is_zero() => self
                .err(
                    rate_path,
                    Code::TaxRateNotAllowed,
                    format!("category {} is charged at 0%, not {r}%", category.code()),
                ),
            (TaxCategory::S | TaxCategory::AA, Some(r)) => {
                // The type bounds the rate to 0..=100 with two places; a taxed category needs more than 0.
                if r <= Decimal::ZERO {
                    self.err(
                        rate_path,
                        Code::OutOfRange,
                        format!("category {} is taxed at more than 0%", category.code()),
                    );
                } else if self.format == Format::PintJp {
                    // Japan since 2019-10-01: standard 10%, reduced 8% (消費税法第29条, 平成28年改正法附則第34条).
                    let want = if category == TaxCategory::S { 10 } else { 8 };
                    if r != Decimal::from(want) {
                        self.err(
                            rate_path,
                            Code::TaxRateNotAllowed,
                            format!("Japanese category {} is {want}%, not {r}%", category.code()),
                        );
                    }
                }
            }
            _ => {}
        }
        match reason {
            None if category.needs_exemption_reason() => self.err(
                P(path, "exemption_reason"),
                Code::Required,
                format!(
                    "category {} must say why no tax is charged",
                    category.code()
                ),
            ),
            Some(_) if !category.needs_exemption_reason() => self.err(
                P(path, "exemption_reason"),
                Code::NotAllowed,
                format!(
                    "category {} is taxed; it takes no exemption reason",
                    category.code()
                ),
            ),
            Some(r) => self.text(P(path, "exemption_reason"), r, 1_000),
            None => {}
        }
    }

    fn allowance_charge(&mut self, path: &str, ac: &AllowanceCharge, document_level: bool) {
        match (ac.amount, ac.percent) {
            (Some(_), Some(_)) | (None, None) => self.err(
                path,
                Code::AmountOrPercent,
                "give either an amount or a percent, not both and not neither",
            ),
            _ => {}
        }
        if let Some(a) = ac.amount {
            self.money(P(path, "amount"), a.get());
        }
        if ac.percent.is_some() && document_level && ac.base_amount.is_none() {
            self.err(
                P(path, "base_amount"),
                Code::Required,
                "a document-level percent needs a base amount",
            );
        }
        if let Some(b) = ac.base_amount {
            self.money(P(path, "base_amount"), b.get());
            if ac.percent.is_none() {
                self.err(
                    P(path, "base_amount"),
                    Code::NotAllowed,
                    "a base amount goes with a percent",
                );
            }
        }
        self.opt_text(P(path, "reason"), ac.reason.as_deref(), 1_000);
        match ac.reason_code.as_deref() {
            None if ac.reason.is_none() => self.err(
                P(path, "reason"),
                Code::Required,
                "give a reason or a reason code",
            ),
            Some(code) => {
                let ok = match ac.kind {
                    ChargeKind::Allowance => codes::is_allowance_reason(code),
                    ChargeKind::Charge => codes::is_charge_reason(code),
                };
                if !ok {
                    let list = if ac.kind == ChargeKind::Allowance {
                        "UNCL 5189"
                    } else {
                        "UNCL 7161"
                    };
                    self.err(
                        P(path, "reason_code"),
                        Code::InvalidCode,
                        format!("'{code}' is not a {list} code"),
                    );
                }
            }
            None => {}
        }
        if document_level {
            match ac.tax_category {
                Some(cat) => self.tax(
                    path,
                    cat,
                    ac.tax_rate.map(|r| r.get()),
                    ac.exemption_reason.as_deref(),
                ),
                None => self.err(
                    P(path, "tax_category"),
                    Code::Required,
                    "a document-level allowance or charge needs a tax category",
                ),
            }
        } else {
            for (field, present) in [
                ("tax_category", ac.tax_category.is_some()),
                ("tax_rate", ac.tax_rate.is_some()),
                ("exemption_reason", ac.exemption_reason.is_some()),
            ] {
                if present {
                    self.err(
                        format!("{path}.{field}"),
                        Code::NotAllowed,
                        "a line allowance or charge is taxed with its line",
                    );
                }
            }
        }
    }
}

pub fn format_name(f: Format) -> &'static str {
    match f {
        Format::PintJp => "PINT JP",
        Format::PeppolBis3 => "Peppol BIS Billing 3.0",
    }
}

/// Check-digit rules of the identifier schemes the official rules verify, so the client hears it from us
/// with a field path rather than from a rejected document.
fn scheme_id_problem(scheme: &str, id: &str) -> Option<String> {
    let digits = |n: usize| id.len() == n && id.bytes().all(|b| b.is_ascii_digit());
    match scheme {
        // Japanese corporate number (法人番号): check digit per 平成26年財務省令第70号 第2条.
        "0188" if !regno::is_valid_corporate_number(id) => Some(format!(
            "'{id}' is not a corporate number (13 digits with a valid check digit)"
        )),
        // GS1 GLN: 13 digits, mod-10 check digit (ibr-068, PEPPOL-COMMON-R040).
        "0088" => {
            if !digits(13) {
                return Some(format!("'{id}' is not a GLN (13 digits)"));
            }
            let b = id.as_bytes();
            let sum: u32 = b[..12]
                .iter()
                .rev()
                .enumerate()
                .map(|(i, d)| u32::from(d - b'0') * if i % 2 == 0 { 3 } else { 1 })
                .sum();
            let check = (10 - sum % 10) % 10;
            (u32::from(b[12] - b'0') != check)
                .then(|| format!("'{id}' has a wrong GLN check digit"))
        }
        // Belgian enterprise number: 10 digits, first 0 or 1, last two = 97 - (first eight mod 97) (ibr-113).
        "0208" => {
            if !digits(10) || !matches!(id.as_bytes()[0], b'0' | b'1') {
                return Some(format!(
                    "'{id}' is not a Belgian enterprise number (10 digits, starting 0 or 1)"
                ));
            }
            let head: u64 = id[..8].parse().ok()?;
            let tail: u64 = id[8..].parse().ok()?;
            (97 - head % 97 != tail)
                .then(|| format!("'{id}' has a wrong Belgian enterprise number check"))
        }
        _ => None,
    }
}

/// Screen an invoice. `Ok` means it can be numbered, computed and rendered.
pub fn validate(input: &InvoiceInput) -> Result<(), ValidationErrors> {
    let format = input.resolved_format();
    let mut v = V {
        errors: Vec::new(),
        format,
        input,
    };
    check_header(&mut v);
    check_seller(&mut v);
    check_buyer(&mut v);
    check_lines(&mut v);
    for (j, ac) in input.allowances_charges.iter().enumerate() {
        v.allowance_charge(&format!("allowances_charges[{j}]"), ac, true);
    }
    check_tax_groups(&mut v);
    // Totals-dependent rules only once the parts are sound, so one mistake is reported once.
    if v.errors.is_empty() {
        check_totals(&mut v);
    }
    if v.errors.is_empty() {
        Ok(())
    } else {
        Err(ValidationErrors { errors: v.errors })
    }
}

fn check_header(v: &mut V<'_>) {
    let input = v.input;
    v.opt_text("number", input.number.as_deref(), 64);
    v.date("issue_date", input.issue_date);
    if let Some(due) = input.due_date {
        v.date("due_date", due);
        if due < input.issue_date {
            v.err(
                "due_date",
                Code::DueBeforeIssue,
                format!("{due} is before the issue date {}", input.issue_date),
            );
        }
    }
    if !money::is_money(&input.currency) {
        v.err(
            "currency",
            Code::InvalidCurrency,
            format!(
                "'{}' is not an ISO 4217 currency one invoices in",
                input.currency
            ),
        );
    }
    if let Some(tc) = &input.tax_currency {
        if !money::is_money(&tc.code) {
            v.err(
                "tax_currency.code",
                Code::InvalidCurrency,
                format!("'{}' is not an ISO 4217 currency one invoices in", tc.code),
            );
        } else if tc.code == input.currency {
            v.err(
                "tax_currency.code",
                Code::CurrencyMismatch,
                "the tax currency must differ from the document currency; leave it out instead",
            );
        } else if v.format == Format::PintJp && tc.code != "JPY" {
            v.err(
                "tax_currency.code",
                Code::CurrencyMismatch,
                "PINT JP accounts tax in JPY only (aligned-ibr-jp-05)",
            );
        }
    }
    if let Some(p) = &input.period {
        v.period("period", p);
    }
    if let Some(d) = input.delivery_date {
        v.date("delivery_date", d);
    }
    v.opt_text("payment_terms", input.payment_terms.as_deref(), 1_000);
    v.opt_text("note", input.note.as_deref(), MAX_NOTE);
    v.opt_text("buyer_reference", input.buyer_reference.as_deref(), MAX_ID);
    v.opt_text("order_reference", input.order_reference.as_deref(), MAX_ID);
    v.opt_text(
        "contract_reference",
        input.contract_reference.as_deref(),
        MAX_ID,
    );
    if let Some(pre) = &input.preceding_invoice {
        v.text("preceding_invoice.number", &pre.number, 64);
        if let Some(d) = pre.issue_date {
            v.date("preceding_invoice.issue_date", d);
            if d > input.issue_date {
                v.err(
                    "preceding_invoice.issue_date",
                    Code::OutOfRange,
                    "the credited invoice cannot be issued after this document",
                );
            }
        }
    } else if input.document_type == DocumentType::CreditNote {
        v.err(
            "preceding_invoice",
            Code::Required,
            "a credit note must reference the invoice it credits",
        );
    }
    if let Some(p) = input.prepaid_amount {
        v.money("prepaid_amount", p.get());
    }
    if v.format == Format::PeppolBis3
        && input.buyer_reference.is_none()
        && input.order_reference.is_none()
    {
        v.err(
            "buyer_reference",
            Code::Required,
            "Peppol BIS needs a buyer reference or an order reference (PEPPOL-EN16931-R003)",
        );
    }
    if v.format == Format::PintJp
        && input.period.is_none()
        && !input.lines.iter().all(|l| l.period.is_some())
    {
        v.err("period", Code::Required, "a Japanese qualified invoice states the transaction date: give the invoicing period (aligned-ibrp-052)");
    }
}

fn check_seller(v: &mut V<'_>) {
    let s = &v.input.seller;
    v.text("seller.name", &s.name, MAX_NAME);
    v.opt_text("seller.trading_name", s.trading_name.as_deref(), MAX_NAME);
    v.address("seller.address", &s.address);
    if let Some(c) = &s.contact {
        v.contact("seller.contact", c);
    }
    if let Some(id) = &s.legal_id {
        v.identifier("seller.legal_id", id);
    }
    v.endpoint("seller.endpoint", s.endpoint.as_ref());
    if let Some(b) = &s.bank_account {
        v.text("seller.bank_account.account_id", &b.account_id, MAX_ID);
        v.opt_text(
            "seller.bank_account.account_name",
            b.account_name.as_deref(),
            MAX_NAME,
        );
        v.opt_text("seller.bank_account.bank_id", b.bank_id.as_deref(), MAX_ID);
    }
    let japanese = v.format == Format::PintJp || s.address.country == "JP";
    match s.tax_id.as_deref() {
        None if v.format == Format::PintJp => {
            v.err("seller.tax_id", Code::Required, "a Japanese qualified invoice needs the seller's registration number (aligned-ibr-jp-04)")
        }
        None => {
            let taxed = v.input.lines.iter().any(|l| l.tax_category != TaxCategory::O);
            if taxed && s.legal_id.is_none() {
                v.err("seller.tax_id", Code::Required, "a taxed invoice needs the seller's VAT identifier (BR-S-02)");
            }
        }
        Some(t) if japanese && (t.starts_with('T') || v.format == Format::PintJp) => {
            match s.registrant_kind {
                None => v.err("seller.registrant_kind", Code::Required, "say whether the registrant is a corporation (its number has a check digit) or other"),
                Some(kind) => match regno::check_registration_number(t, kind) {
                    Ok(()) => {}
                    Err(RegNoError::Format) => v.err("seller.tax_id", Code::InvalidRegistrationNumber, format!("'{t}' is not 'T' followed by 13 digits")),
                    Err(RegNoError::CheckDigit) => v.err("seller.tax_id", Code::RegistrationCheckDigit, format!("'{t}': the corporate number's check digit does not match")),
                },
            }
        }
        Some(t) => {
            v.text("seller.tax_id", t, 30);
            let ok = t.len() >= 4
                && t.as_bytes()[..2].iter().all(u8::is_ascii_uppercase)
                && t[2..].bytes().all(|b| b.is_ascii_alphanumeric() || b"+*.".contains(&b));
            if !ok {
                v.err("seller.tax_id", Code::InvalidFormat, format!("'{t}' is not a VAT identifier with a country prefix (BR-CO-09)"));
            }
        }
    }
    if s.tax_id.is_none() && s.registrant_kind.is_some() {
        v.err(
            "seller.registrant_kind",
            Code::NotAllowed,
            "only meaningful with a Japanese registration number",
        );
    }
}

fn check_buyer(v: &mut V<'_>) {
    let b = &v.input.buyer;
    v.text("buyer.name", &b.name, MAX_NAME);
    v.opt_text("buyer.trading_name", b.trading_name.as_deref(), MAX_NAME);
    v.address("buyer.address", &b.address);
    if let Some(t) = b.tax_id.as_deref() {
        v.text("buyer.tax_id", t, 30);
        if b.address.country == "JP"
            && t.starts_with('T')
            && regno::check_registration_number(t, RegistrantKind::Other).is_err()
        {
            v.err(
                "buyer.tax_id",
                Code::InvalidRegistrationNumber,
                format!("'{t}' is not 'T' followed by 13 digits"),
            );
        }
    }
    if let Some(id) = &b.legal_id {
        v.identifier("buyer.legal_id", id);
    }
    if let Some(c) = &b.contact {
        v.contact("buyer.contact", c);
    }
    v.endpoint("buyer.endpoint", b.endpoint.as_ref());
}

fn check_lines(v: &mut V<'_>) {
    let lines = &v.input.lines;
    if lines.is_empty() {
        v.err("lines", Code::NoLines, "an invoice needs at least one line");
    }
    if lines.len() > MAX_LINES {
        v.err(
            "lines",
            Code::TooManyLines,
            format!("{} lines; at most {MAX_LINES}", lines.len()),
        );
    }
    let mut ids = HashSet::new();
    for (i, line) in lines.iter().enumerate() {
        let p = format!("lines[{i}]");
        let id = line.id.clone().unwrap_or_else(|| (i + 1).to_string());
        if let Some(given) = &line.id {
            v.text(P(&p, "id"), given, 50);
        }
        if !ids.insert(id.clone()) {
            v.err(
                P(&p, "id"),
                Code::Duplicate,
                format!("line id '{id}' is used twice"),
            );
        }
        v.text(P(&p, "name"), &line.name, MAX_ITEM_NAME);
        v.opt_text(P(&p, "description"), line.description.as_deref(), MAX_NOTE);
        v.opt_text(
            P(&p, "seller_item_id"),
            line.seller_item_id.as_deref(),
            MAX_ID,
        );
        v.opt_text(
            P(&p, "order_line_reference"),
            line.order_line_reference.as_deref(),
            MAX_ID,
        );
        v.opt_text(P(&p, "note"), line.note.as_deref(), 1_000);
        if !codes::is_unit(&line.unit_code) {
            v.err(
                P(&p, "unit_code"),
                Code::InvalidCode,
                format!(
                    "'{}' is not a UN/ECE Recommendation 20 unit code (e.g. C62, H87, HUR)",
                    line.unit_code
                ),
            );
        }
        v.tax(
            &p,
            line.tax_category,
            line.tax_rate.map(|r| r.get()),
            line.exemption_reason.as_deref(),
        );
        if line.allowances_charges.len() > 100 {
            v.err(
                P(&p, "allowances_charges"),
                Code::TooManyLines,
                "at most 100 allowances and charges per line",
            );
        }
        for (j, ac) in line.allowances_charges.iter().enumerate() {
            v.allowance_charge(&format!("{p}.allowances_charges[{j}]"), ac, false);
        }
        if let Some(lp) = &line.period {
            let pp = format!("{p}.period");
            v.period(&pp, lp);
            if let Some(ip) = &v.input.period {
                let outside = |d: Option<NaiveDate>| {
                    d.is_some_and(|d| {
                        ip.start.is_some_and(|s| d < s) || ip.end.is_some_and(|e| d > e)
                    })
                };
                if outside(lp.start) || outside(lp.end) {
                    v.err(
                        pp,
                        Code::OutsidePeriod,
                        "a line period must lie within the invoicing period (ibr-085/086)",
                    );
                }
            }
        }
    }
    if v.input.allowances_charges.len() > 1_000 {
        v.err(
            "allowances_charges",
            Code::TooManyLines,
            "at most 1000 document-level allowances and charges",
        );
    }
}

/// One exemption reason per tax group (one breakdown row per category and rate), and the EN 16931 rule
/// that "not subject to tax" does not mix with taxed supplies.
fn check_tax_groups(v: &mut V<'_>) {
    let input = v.input;
    let mut reasons: HashMap<(TaxCategory, Option<Decimal>), &str> = HashMap::new();
    // (list, index): the path is written only for a conflict.
    let items = input
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            (
                ("lines", i),
                l.tax_category,
                l.tax_rate.map(|r| r.get()),
                l.exemption_reason.as_deref(),
            )
        })
        .chain(
            input
                .allowances_charges
                .iter()
                .enumerate()
                .filter_map(|(j, ac)| {
                    ac.tax_category.map(|c| {
                        (
                            ("allowances_charges", j),
                            c,
                            ac.tax_rate.map(|r| r.get()),
                            ac.exemption_reason.as_deref(),
                        )
                    })
                }),
        );
    let mut categories = HashSet::new();
    for ((list, index), cat, rate, reason) in items {
        categories.insert(cat);
        if let Some(r) = reason {
            let key = (cat, rate.map(|x| x.normalize()));
            match reasons.get(&key) {
                Some(first) if *first != r => v.err(
                    format!("{list}[{index}].exemption_reason"),
                    Code::ConflictingExemptionReason,
                    format!("all {} items share one breakdown row and one reason; the first says '{first}'", cat.code()),
                ),
                Some(_) => {}
                None => {
                    reasons.insert(key, r);
                }
            }
        }
    }
    if v.format == Format::PeppolBis3 && categories.contains(&TaxCategory::O) {
        if categories.len() > 1 {
            v.err("lines", Code::MixedNotSubjectToTax, "EN 16931 does not allow 'not subject to tax' (O) items beside taxed ones (BR-O-11..14)");
        }
        if input.seller.tax_id.is_some() {
            v.err(
                "seller.tax_id",
                Code::NotAllowed,
                "an invoice not subject to VAT carries no seller VAT identifier (BR-O-02)",
            );
        }
        if input.buyer.tax_id.is_some() {
            v.err(
                "buyer.tax_id",
                Code::NotAllowed,
                "an invoice not subject to VAT carries no buyer VAT identifier (BR-O-02)",
            );
        }
    }
}

fn check_totals(v: &mut V<'_>) {
    let input = v.input;
    let totals = match calc::compute(input) {
        Ok(t) => t,
        Err(CalcError::Overflow(path)) => {
            v.err(path, Code::OutOfRange, "amounts too large to compute");
            return;
        }
        Err(e @ CalcError::UnknownCurrency(_)) => {
            v.err("currency", Code::InvalidCurrency, e.to_string());
            return;
        }
        Err(CalcError::MissingAmount(path)) => {
            v.err(
                path,
                Code::AmountOrPercent,
                "give an amount, or a percent with a base",
            );
            return;
        }
    };
    if totals.tax_inclusive > crate::values::MAX_AMOUNT {
        v.err(
            "lines",
            Code::OutOfRange,
            format!(
                "the invoice totals {} {}; at most {} is accepted",
                totals.tax_inclusive,
                input.currency,
                crate::values::MAX_AMOUNT
            ),
        );
    }
    if totals.payable < Decimal::ZERO || totals.tax_exclusive < Decimal::ZERO {
        let what = match input.document_type {
            DocumentType::Invoice => {
                "an invoice cannot total less than zero; issue a credit note instead"
            }
            DocumentType::CreditNote => {
                "a credit note cannot total less than zero; issue an invoice instead"
            }
        };
        v.err("lines", Code::NegativeTotal, what);
    }
    if totals.payable > Decimal::ZERO && input.due_date.is_none() && input.payment_terms.is_none() {
        v.err(
            "due_date",
            Code::Required,
            "an amount is due: give a due date or payment terms (BR-CO-25)",
        );
    }
    // PEPPOL-EN16931-R120 allows 0.02 between the line net and quantity x price; in a currency without
    // decimals a fractional product breaks it.
    if v.format == Format::PeppolBis3 {
        for (i, (line, t)) in input.lines.iter().zip(&totals.lines).enumerate() {
            let exact = line.quantity.get() * line.unit_price.get();
            if (exact - t.gross).abs() > Decimal::new(2, 2) {
                v.err(
                    format!("lines[{i}].quantity"),
                    Code::LineRounding,
                    format!("quantity x price = {exact} cannot be shown in {} to within 0.02 as Peppol requires", input.currency),
                );
            }
        }
    }
}
