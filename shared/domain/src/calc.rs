//! Invoice totals: line nets, document allowances and charges, the tax breakdown and EN 16931 totals.
//!
//! Tax is computed once per (category, rate) on the sum of that group's taxable amounts and rounded once
//! with the seller's mode. That is the Japanese qualified-invoice rule (消費税法施行令第70条の10: one
//! rounding per invoice per rate) and what EN 16931 BR-CO-17 expects; it is never computed per line.
//! Every sum obeys BR-CO-10..16, which `Totals::check_invariants` states in code.

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;
use thiserror::Error;

use crate::model::{AllowanceCharge, ChargeKind, InvoiceInput, RoundingMode, TaxCategory};
use crate::money::{self, round_amount, round_tax};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalcError {
    #[error("{0}: amount is too large to compute")]
    Overflow(String),
    #[error("currency {0} is not an ISO 4217 code")]
    UnknownCurrency(String),
    #[error("{0}: give an amount, or a percent with a base")]
    MissingAmount(String),
}

/// The amounts of one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineTotals {
    /// Quantity x unit price, rounded.
    pub gross: Decimal,
    /// Each line allowance or charge amount, in input order, rounded.
    pub allowance_charge_amounts: Vec<Decimal>,
    /// Line net amount (BT-131): gross - allowances + charges.
    pub net: Decimal,
}

/// One row of the tax breakdown (BG-23).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxSubtotal {
    pub category: TaxCategory,
    /// `None` only for category O.
    pub rate: Option<Decimal>,
    /// BT-116
    pub taxable: Decimal,
    /// BT-117, rounded once.
    pub tax: Decimal,
    /// BT-120, from the first line or allowance of the group that gives one.
    pub exemption_reason: Option<String>,
    /// This group's tax in the tax accounting currency, when there is one.
    pub tax_in_tax_currency: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    /// Decimal places every amount is rounded to.
    pub decimals: u32,
    pub lines: Vec<LineTotals>,
    /// Each document-level allowance or charge amount, in input order.
    pub document_allowance_charge_amounts: Vec<Decimal>,
    pub breakdown: Vec<TaxSubtotal>,
    /// BT-106
    pub line_total: Decimal,
    /// BT-107
    pub allowance_total: Decimal,
    /// BT-108
    pub charge_total: Decimal,
    /// BT-109
    pub tax_exclusive: Decimal,
    /// BT-110
    pub tax_total: Decimal,
    /// BT-111 with its currency
    pub tax_total_in_tax_currency: Option<(String, Decimal)>,
    /// BT-112
    pub tax_inclusive: Decimal,
    /// BT-113
    pub prepaid: Decimal,
    /// BT-115
    pub payable: Decimal,
}

/// Decimal places for an e-invoice in `currency`: its ISO 4217 minor unit, capped at the two decimals
/// EN 16931 and PINT allow.
pub fn document_decimals(currency: &str) -> Result<u32, CalcError> {
    money::minor_units(currency)
        .map(|d| d.min(money::E_INVOICE_MAX_DECIMALS))
        .ok_or_else(|| CalcError::UnknownCurrency(currency.to_string()))
}

/// Totals of an e-invoice: amounts to the document's decimals, tax rounded with the seller's mode.
pub fn compute(invoice: &InvoiceInput) -> Result<Totals, CalcError> {
    let decimals = document_decimals(&invoice.currency)?;
    compute_with(invoice, decimals, invoice.resolved_rounding())
}

fn ovf(path: impl fmt::Display) -> CalcError {
    CalcError::Overflow(path.to_string())
}

/// Where an amount comes from, written out only for an error: `lines[2]`,
/// `lines[2].allowances_charges[0]`, `allowances_charges[1]`, or a name.
#[derive(Clone, Copy)]
enum At {
    Name(&'static str),
    Line(usize),
    LineCharge(usize, usize),
    DocCharge(usize),
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            At::Name(n) => f.write_str(n),
            At::Line(i) => write!(f, "lines[{i}]"),
            At::LineCharge(i, j) => write!(f, "lines[{i}].allowances_charges[{j}]"),
            At::DocCharge(j) => write!(f, "allowances_charges[{j}]"),
        }
    }
}

fn add(a: Decimal, b: Decimal, path: At) -> Result<Decimal, CalcError> {
    a.checked_add(b).ok_or_else(|| ovf(path))
}

fn mul(a: Decimal, b: Decimal, path: At) -> Result<Decimal, CalcError> {
    a.checked_mul(b).ok_or_else(|| ovf(path))
}

/// The amount of an allowance or charge; `default_base` is used when a percent comes without a base.
fn allowance_charge_amount(
    ac: &AllowanceCharge,
    default_base: Option<Decimal>,
    decimals: u32,
    path: At,
) -> Result<Decimal, CalcError> {
    if let Some(amount) = ac.amount {
        return Ok(round_amount(amount.get(), decimals));
    }
    let base = ac.base_amount.map(|b| b.get()).or(default_base);
    let (Some(percent), Some(base)) = (ac.percent, base) else {
        return Err(CalcError::MissingAmount(path.to_string()));
    };
    let raw = mul(base, percent.get(), path)?
        .checked_div(Decimal::ONE_HUNDRED)
        .ok_or_else(|| ovf(path))?;
    Ok(round_amount(raw, decimals))
}

/// Sign of an allowance (-) or charge (+) applied to an amount.
fn signed(kind: ChargeKind, amount: Decimal) -> Decimal {
    match kind {
        ChargeKind::Allowance => -amount,
        ChargeKind::Charge => amount,
    }
}

type GroupKey = (TaxCategory, Option<Decimal>);

/// Rates are compared by value (`8` and `8.00` are one group).
fn group_key(category: TaxCategory, rate: Option<Decimal>) -> GroupKey {
    (category, rate.map(|r| r.normalize()))
}

/// Totals with an explicit precision and rounding mode (the pure core of [`compute`]).
pub fn compute_with(
    invoice: &InvoiceInput,
    decimals: u32,
    rounding: RoundingMode,
) -> Result<Totals, CalcError> {
    let mut lines = Vec::with_capacity(invoice.lines.len());
    let mut groups: BTreeMap<GroupKey, (Decimal, Option<String>)> = BTreeMap::new();
    let mut line_total = Decimal::ZERO;

    for (i, line) in invoice.lines.iter().enumerate() {
        let path = At::Line(i);
        let gross = round_amount(
            mul(line.quantity.get(), line.unit_price.get(), path)?,
            decimals,
        );
        let mut net = gross;
        let mut amounts = Vec::with_capacity(line.allowances_charges.len());
        for (j, ac) in line.allowances_charges.iter().enumerate() {
            let ac_path = At::LineCharge(i, j);
            let amount = allowance_charge_amount(ac, Some(gross), decimals, ac_path)?;
            net = add(net, signed(ac.kind, amount), ac_path)?;
            amounts.push(amount);
        }
        line_total = add(line_total, net, At::Name("lines"))?;
        let group = groups
            .entry(group_key(line.tax_category, line.tax_rate.map(|r| r.get())))
            .or_insert((Decimal::ZERO, None));
        group.0 = add(group.0, net, path)?;
        if group.1.is_none() {
            group.1.clone_from(&line.exemption_reason);
        }
        lines.push(LineTotals {
            gross,
            allowance_charge_amounts: amounts,
            net,
        });
    }

    let mut allowance_total = Decimal::ZERO;
    let mut charge_total = Decimal::ZERO;
    let mut doc_amounts = Vec::with_capacity(invoice.allowances_charges.len());
    for (j, ac) in invoice.allowances_charges.iter().enumerate() {
        let path = At::DocCharge(j);
        let amount = allowance_charge_amount(ac, None, decimals, path)?;
        match ac.kind {
            ChargeKind::Allowance => allowance_total = add(allowance_total, amount, path)?,
            ChargeKind::Charge => charge_total = add(charge_total, amount, path)?,
        }
        // Validation guarantees a category on document level; without one the amount cannot be taxed,
        // so it is booked as not subject to tax rather than dropped.
        let category = ac.tax_category.unwrap_or(TaxCategory::O);
        let group = groups
            .entry(group_key(category, ac.tax_rate.map(|r| r.get())))
            .or_insert((Decimal::ZERO, None));
        group.0 = add(group.0, signed(ac.kind, amount), path)?;
        if group.1.is_none() {
            group.1.clone_from(&ac.exemption_reason);
        }
        doc_amounts.push(amount);
    }

    let fx = invoice
        .tax_currency
        .as_ref()
        .map(|tc| document_decimals(&tc.code).map(|d| (tc.code.clone(), tc.exchange_rate.get(), d)))
        .transpose()?;

    let mut breakdown = Vec::with_capacity(groups.len());
    let mut tax_total = Decimal::ZERO;
    let mut tax_total_fx = Decimal::ZERO;
    for ((category, rate), (taxable, exemption_reason)) in groups {
        let exact = match rate {
            Some(r) => mul(taxable, r, At::Name("tax"))?
                .checked_div(Decimal::ONE_HUNDRED)
                .ok_or_else(|| ovf(At::Name("tax")))?,
            None => Decimal::ZERO,
        };
        let tax = round_tax(exact, decimals, rounding);
        tax_total = add(tax_total, tax, At::Name("tax"))?;
        let tax_in_tax_currency = match &fx {
            Some((_, rate, fx_decimals)) => {
                let converted = round_tax(
                    mul(tax, *rate, At::Name("tax_currency"))?,
                    *fx_decimals,
                    rounding,
                );
                tax_total_fx = add(tax_total_fx, converted, At::Name("tax_currency"))?;
                Some(converted)
            }
            None => None,
        };
        breakdown.push(TaxSubtotal {
            category,
            rate,
            taxable,
            tax,
            exemption_reason,
            tax_in_tax_currency,
        });
    }

    let tax_exclusive = add(
        add(line_total, -allowance_total, At::Name("totals"))?,
        charge_total,
        At::Name("totals"),
    )?;
    let tax_inclusive = add(tax_exclusive, tax_total, At::Name("totals"))?;
    let prepaid = round_amount(
        invoice.prepaid_amount.map_or(Decimal::ZERO, |p| p.get()),
        decimals,
    );
    let payable = add(tax_inclusive, -prepaid, At::Name("prepaid_amount"))?;

    Ok(Totals {
        decimals,
        lines,
        document_allowance_charge_amounts: doc_amounts,
        breakdown,
        line_total,
        allowance_total,
        charge_total,
        tax_exclusive,
        tax_total,
        tax_total_in_tax_currency: fx.map(|(code, _, _)| (code, tax_total_fx)),
        tax_inclusive,
        prepaid,
        payable,
    })
}

impl Totals {
    /// EN 16931 BR-CO-10..16 and the breakdown sums, as equalities. Empty when all hold.
    pub fn check_invariants(&self) -> Vec<&'static str> {
        let mut broken = Vec::new();
        let sum = |it: &mut dyn Iterator<Item = Decimal>| it.fold(Decimal::ZERO, |a, b| a + b);
        if self.line_total != sum(&mut self.lines.iter().map(|l| l.net)) {
            broken.push("BR-CO-10 line total = sum of line nets");
        }
        if self.tax_exclusive != self.line_total - self.allowance_total + self.charge_total {
            broken.push("BR-CO-13 tax exclusive = lines - allowances + charges");
        }
        if self.tax_total != sum(&mut self.breakdown.iter().map(|b| b.tax)) {
            broken.push("BR-CO-14 tax total = sum of category tax");
        }
        if self.tax_inclusive != self.tax_exclusive + self.tax_total {
            broken.push("BR-CO-15 tax inclusive = tax exclusive + tax");
        }
        if self.payable != self.tax_inclusive - self.prepaid {
            broken.push("BR-CO-16 payable = tax inclusive - prepaid");
        }
        if sum(&mut self.breakdown.iter().map(|b| b.taxable)) != self.tax_exclusive {
            broken.push("BR-CO-18/BR-S-08 sum of taxable amounts = tax exclusive");
        }
        let scale_ok = |d: &Decimal| d.normalize().scale() <= self.decimals;
        let all = [
            self.line_total,
            self.allowance_total,
            self.charge_total,
            self.tax_exclusive,
            self.tax_total,
            self.tax_inclusive,
            self.payable,
        ];
        if !all.iter().all(scale_ok)
            || !self.lines.iter().all(|l| scale_ok(&l.net))
            || !self.breakdown.iter().all(|b| scale_ok(&b.tax))
        {
            broken.push("amounts are rounded to the document's minor unit");
        }
        broken
    }
}
