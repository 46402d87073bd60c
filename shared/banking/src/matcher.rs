//! Which invoice(s) a deposit pays, precision first.
//!
//! A deposit is applied only when one reading is certain:
//!
//! 1. **The buyer is identified**: by its virtual account, its payer code, an RF reference, or an exact
//!    normalised name (a registered kana name or an alias learned from a manual match) that only one buyer
//!    has. Strong identities that disagree (a virtual account of one buyer, a payer code of another) place
//!    nothing. An identity may name one invoice (a per-invoice virtual account or payer code, an RF).
//! 2. **The amount has one reading** among that buyer's open invoices in the deposit's currency, oldest
//!    due first, tried in this order:
//!    - `exact`: one invoice's balance (several of equal balance: the oldest due);
//!    - `combined`: the sum of 2 to [`Settings::max_combination`] invoices (まとめ払い), searched among the
//!      oldest [`Settings::max_searched`]; two different sets with the sum are a tie;
//!    - `fee_deducted`: short of one invoice's balance by at most the transfer-fee tolerance (振込手数料);
//!      two invoices of different balances within it are a tie;
//!    - `combined_fee_deducted`: short of one set's sum by at most the tolerance, the set unique;
//!    - `overpaid`: more than everything open: all of it paid, the rest a credit on the newest invoice;
//!    - `part_payment`: less than the oldest invoice's balance beyond the tolerance, and less than every
//!      other open balance (else it could be that invoice paid with a credit: a tie): a part of the oldest.
//!
//!    When the identity names an invoice, the amount is read against that invoice alone (exact, fee,
//!    overpaid with a credit, or part).
//! 3. Anything else, or any tie, stays **unapplied** with the reason and up to three ranked candidates.
//!
//! Whatever the decision, `Σ allocations + fee + credit = deposit` (a credit is counted inside its
//! allocation's amount; see [`Allocation`]), and no invoice receives more than its balance except the one
//! that carries the credit.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Most invoices one deposit is placed on (an overpayment of everything open; a split by hand): each
/// costs four writes of the one transaction that applies the deposit (DynamoDB takes 100).
pub const MAX_ALLOCATIONS: usize = 20;

/// A seller's matching settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The largest shortfall read as a transfer fee the payer deducted (default ¥880, the highest fee on
    /// the banks' published lists).
    pub fee_tolerance: Decimal,
    /// Whether an invoice short by a fee counts as paid (the seller absorbs the fee) or stays open for
    /// the fee.
    pub fee_settles: bool,
    /// Most invoices one combined payment is read as.
    pub max_combination: usize,
    /// Open invoices of one buyer searched for a combination (the oldest due).
    pub max_searched: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            fee_tolerance: Decimal::from(880),
            fee_settles: true,
            max_combination: 4,
            max_searched: 16,
        }
    }
}

/// An open invoice of a buyer, as the matcher sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenInvoice {
    pub invoice_id: String,
    pub number: String,
    pub due_date: NaiveDate,
    /// What is still owed (payable − paid), > 0.
    pub balance: Decimal,
}

/// A buyer (customer) and its open invoices in the deposit's currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub buyer: String,
    pub open: Vec<OpenInvoice>,
}

/// What an identifier points at: a buyer, and an invoice when it names one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub buyer: String,
    pub invoice: Option<String>,
}

/// What the seller's indexes found for one deposit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Clues {
    pub virtual_account: Option<Target>,
    pub payer_code: Option<Target>,
    pub rf: Option<Target>,
    /// Buyers whose registered name or learned alias equals the payer's normalised name.
    pub names: Vec<String>,
    /// Buyers with a similar name, best first (for candidates only, never to apply).
    pub similar: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifiedBy {
    VirtualAccount,
    PayerCode,
    Rf,
    Name,
    /// A person chose (manual match).
    Person,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Exact,
    Combined,
    FeeDeducted,
    CombinedFeeDeducted,
    Overpaid,
    PartPayment,
    Manual,
}

/// Money of a deposit counted toward one invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    pub invoice_id: String,
    /// Money counted toward the invoice (its balance at most, plus `credit` on the one that carries it).
    pub amount: Decimal,
    /// The part of `amount` beyond the invoice's balance (an overpayment kept as a credit).
    pub credit: Decimal,
    /// A transfer fee the payer deducted from this invoice (not part of `amount`).
    pub fee: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// No identifier and no registered name matched the payer.
    UnknownPayer,
    /// The payer's name is registered for several buyers.
    NameShared,
    /// A virtual account, payer code or RF reference point at different buyers or invoices.
    IdentitiesDisagree,
    /// The buyer has nothing open in the deposit's currency.
    NothingOpen,
    /// The invoice an identifier names is not open.
    InvoiceNotOpen,
    /// Several readings of the amount fit equally.
    Tie,
    /// The amount fits no rule (between invoices, short of a set beyond the tolerance, ...).
    NoRule,
    /// A credit with no money in it, or not a credit.
    NotADeposit,
    /// A reversal (取消, 訂正, RvslInd) of a deposit Seikyu has not seen.
    UnknownReversal,
    /// A reversal that could name several deposits.
    AmbiguousReversal,
    /// The same account, day, amount and payer already arrived in a statement of another format (a 01
    /// notice and a 03 statement of one account name their entries differently).
    PossibleDuplicate,
}

/// A place a person might apply the deposit, best first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub buyer: String,
    pub invoice_ids: Vec<String>,
    /// The open balance of those invoices.
    pub balance: Decimal,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    Apply {
        buyer: String,
        identified_by: IdentifiedBy,
        rule: Rule,
        allocations: Vec<Allocation>,
    },
    Unapplied {
        reason: Reason,
        candidates: Vec<Candidate>,
    },
}

impl Decision {
    fn unapplied(reason: Reason, candidates: Vec<Candidate>) -> Self {
        Decision::Unapplied {
            reason,
            candidates: candidates.into_iter().take(3).collect(),
        }
    }
}

/// Decide where a deposit of `amount` goes, from the clues the seller's indexes gave and the open
/// invoices of every buyer they name (`accounts`; a buyer missing there has nothing open).
pub fn decide(
    amount: Decimal,
    clues: &Clues,
    accounts: &[Account],
    settings: &Settings,
) -> Decision {
    if amount <= Decimal::ZERO {
        return Decision::unapplied(Reason::NotADeposit, Vec::new());
    }
    let open = |buyer: &str| -> Vec<OpenInvoice> {
        let mut v: Vec<OpenInvoice> = accounts
            .iter()
            .filter(|a| a.buyer == buyer)
            .flat_map(|a| a.open.iter().cloned())
            .filter(|i| i.balance > Decimal::ZERO)
            .collect();
        v.sort_by(|a, b| (a.due_date, &a.number).cmp(&(b.due_date, &b.number)));
        v
    };
    let (target, by) = match identify(clues) {
        Ok(t) => t,
        Err((reason, buyers)) => {
            let candidates = buyers
                .iter()
                .filter_map(|b| {
                    candidate(
                        b,
                        &open(b),
                        amount,
                        "a buyer the payer's identity points at",
                    )
                })
                .collect();
            return Decision::unapplied(reason, candidates);
        }
    };
    let invoices = open(&target.buyer);
    let apply = |rule: Rule, allocations: Vec<Allocation>| Decision::Apply {
        buyer: target.buyer.clone(),
        identified_by: by,
        rule,
        allocations,
    };
    if let Some(id) = &target.invoice {
        let Some(inv) = invoices.iter().find(|i| &i.invoice_id == id) else {
            let c = candidate(
                &target.buyer,
                &invoices,
                amount,
                "the buyer's open invoices",
            );
            return Decision::unapplied(Reason::InvoiceNotOpen, c.into_iter().collect());
        };
        let (rule, alloc) = read_against_one(inv, amount, settings);
        return apply(rule, vec![alloc]);
    }
    if invoices.is_empty() {
        return Decision::unapplied(Reason::NothingOpen, Vec::new());
    }
    match read_amount(&invoices, amount, settings) {
        Ok((rule, allocations)) => apply(rule, allocations),
        Err(sets) => {
            let reason = if sets.len() > 1 {
                Reason::Tie
            } else {
                Reason::NoRule
            };
            let mut candidates: Vec<Candidate> = sets
                .into_iter()
                .map(|set| Candidate {
                    buyer: target.buyer.clone(),
                    balance: set.iter().map(|i| i.balance).sum(),
                    invoice_ids: set.iter().map(|i| i.invoice_id.clone()).collect(),
                    why: "the amount fits these invoices as well as another set".into(),
                })
                .collect();
            if candidates.is_empty() {
                candidates.extend(candidate(
                    &target.buyer,
                    &invoices,
                    amount,
                    "the buyer's invoice closest to the amount",
                ));
            }
            Decision::unapplied(reason, candidates)
        }
    }
}

/// The buyer (and invoice) the clues identify, or why they identify none with the buyers to offer.
fn identify(clues: &Clues) -> Result<(Target, IdentifiedBy), (Reason, Vec<String>)> {
    let strong: Vec<(&Target, IdentifiedBy)> = [
        (&clues.virtual_account, IdentifiedBy::VirtualAccount),
        (&clues.rf, IdentifiedBy::Rf),
        (&clues.payer_code, IdentifiedBy::PayerCode),
    ]
    .into_iter()
    .filter_map(|(t, by)| t.as_ref().map(|t| (t, by)))
    .collect();
    if let Some((first, by)) = strong.first() {
        let buyers: BTreeSet<&str> = strong.iter().map(|(t, _)| t.buyer.as_str()).collect();
        let invoices: BTreeSet<&str> = strong
            .iter()
            .filter_map(|(t, _)| t.invoice.as_deref())
            .collect();
        if buyers.len() > 1 || invoices.len() > 1 {
            return Err((
                Reason::IdentitiesDisagree,
                buyers.into_iter().map(str::to_string).collect(),
            ));
        }
        return Ok((
            Target {
                buyer: first.buyer.clone(),
                invoice: invoices.first().map(|s| s.to_string()),
            },
            *by,
        ));
    }
    match clues.names.as_slice() {
        [one] => Ok((
            Target {
                buyer: one.clone(),
                invoice: None,
            },
            IdentifiedBy::Name,
        )),
        [] => Err((Reason::UnknownPayer, clues.similar.clone())),
        many => Err((Reason::NameShared, many.to_vec())),
    }
}

/// A deposit read against the one invoice an identifier names.
fn read_against_one(inv: &OpenInvoice, amount: Decimal, s: &Settings) -> (Rule, Allocation) {
    let short = inv.balance - amount;
    let alloc = |amount: Decimal, credit: Decimal, fee: Decimal| Allocation {
        invoice_id: inv.invoice_id.clone(),
        amount,
        credit,
        fee,
    };
    if short.is_zero() {
        (Rule::Exact, alloc(amount, Decimal::ZERO, Decimal::ZERO))
    } else if short < Decimal::ZERO {
        (Rule::Overpaid, alloc(amount, -short, Decimal::ZERO))
    } else if short <= s.fee_tolerance {
        (Rule::FeeDeducted, alloc(amount, Decimal::ZERO, short))
    } else {
        (
            Rule::PartPayment,
            alloc(amount, Decimal::ZERO, Decimal::ZERO),
        )
    }
}

/// The one reading of `amount` over a buyer's open invoices (oldest due first), or the sets that tie
/// (none when nothing fits).
fn read_amount(
    invoices: &[OpenInvoice],
    amount: Decimal,
    s: &Settings,
) -> Result<(Rule, Vec<Allocation>), Vec<Vec<OpenInvoice>>> {
    let full = |inv: &OpenInvoice| Allocation {
        invoice_id: inv.invoice_id.clone(),
        amount: inv.balance,
        credit: Decimal::ZERO,
        fee: Decimal::ZERO,
    };
    // exact: the oldest due of those with this balance
    if let Some(inv) = invoices.iter().find(|i| i.balance == amount) {
        return Ok((Rule::Exact, vec![full(inv)]));
    }
    let searched = &invoices[..invoices.len().min(s.max_searched)];
    let exact_sets = combinations(searched, s.max_combination, |sum| sum == amount);
    match exact_sets.len() {
        1 => {
            return Ok((
                Rule::Combined,
                exact_sets[0].iter().map(|i| full(i)).collect(),
            ));
        }
        0 => {}
        _ => {
            return Err(exact_sets
                .into_iter()
                .map(|v| v.into_iter().cloned().collect())
                .collect());
        }
    }
    let within = |sum: Decimal| sum > amount && sum - amount <= s.fee_tolerance;
    // fee_deducted: one balance (several invoices of that balance: the oldest)
    let balances: BTreeSet<Decimal> = invoices
        .iter()
        .map(|i| i.balance)
        .filter(|b| within(*b))
        .collect();
    match balances.len() {
        1 => {
            let b = balances.first().copied().unwrap_or_default();
            if let Some(inv) = invoices.iter().find(|i| i.balance == b) {
                let (rule, alloc) = read_against_one(inv, amount, s);
                return Ok((rule, vec![alloc]));
            }
        }
        0 => {}
        _ => {
            return Err(balances
                .iter()
                .filter_map(|b| {
                    invoices
                        .iter()
                        .find(|i| i.balance == *b)
                        .map(|i| vec![i.clone()])
                })
                .collect());
        }
    }
    let fee_sets = combinations(searched, s.max_combination, within);
    match fee_sets.len() {
        1 => {
            let set = &fee_sets[0];
            let sum: Decimal = set.iter().map(|i| i.balance).sum();
            let mut allocations: Vec<Allocation> = set.iter().map(|i| full(i)).collect();
            // The fee is taken from the newest invoice of the set.
            if let Some(last) = allocations.last_mut() {
                last.fee = sum - amount;
                last.amount -= last.fee;
            }
            return Ok((Rule::CombinedFeeDeducted, allocations));
        }
        0 => {}
        _ => {
            return Err(fee_sets
                .into_iter()
                .map(|v| v.into_iter().cloned().collect())
                .collect());
        }
    }
    let total: Decimal = invoices.iter().map(|i| i.balance).sum();
    if amount > total && invoices.len() <= MAX_ALLOCATIONS {
        let mut allocations: Vec<Allocation> = invoices.iter().map(full).collect();
        if let Some(last) = allocations.last_mut() {
            last.credit = amount - total;
            last.amount += last.credit;
        }
        return Ok((Rule::Overpaid, allocations));
    }
    // A part payment only when the amount could not be another invoice paid with a credit: it is less
    // than every open balance (beyond the tolerance for the oldest).
    let oldest = &invoices[0];
    if amount < oldest.balance - s.fee_tolerance && invoices.iter().all(|i| amount < i.balance) {
        let (rule, alloc) = read_against_one(oldest, amount, s);
        return Ok((rule, vec![alloc]));
    }
    Err(Vec::new())
}

/// Sets of 2 to `max` invoices whose balance sum `fits`, oldest first, at most three. Sets that differ
/// only by invoices of equal balance are one reading (the oldest kept), so they are counted once; any
/// second distinct set is a tie.
fn combinations(
    invoices: &[OpenInvoice],
    max: usize,
    fits: impl Fn(Decimal) -> bool,
) -> Vec<Vec<&OpenInvoice>> {
    struct Walk<'a, 'f> {
        invoices: &'a [OpenInvoice],
        max: usize,
        fits: &'f dyn Fn(Decimal) -> bool,
        chosen: Vec<&'a OpenInvoice>,
        seen: BTreeSet<Vec<Decimal>>,
        found: Vec<Vec<&'a OpenInvoice>>,
    }
    impl<'a> Walk<'a, '_> {
        fn go(&mut self, from: usize, sum: Decimal) {
            if self.found.len() >= 3 {
                return;
            }
            if self.chosen.len() >= 2 && (self.fits)(sum) {
                let mut balances: Vec<Decimal> = self.chosen.iter().map(|i| i.balance).collect();
                balances.sort_unstable();
                if self.seen.insert(balances) {
                    self.found.push(self.chosen.clone());
                }
            }
            if self.chosen.len() == self.max {
                return;
            }
            for i in from..self.invoices.len() {
                let inv = &self.invoices[i];
                self.chosen.push(inv);
                self.go(i + 1, sum + inv.balance);
                self.chosen.pop();
            }
        }
    }
    let mut w = Walk {
        invoices,
        max: max.max(2),
        fits: &fits,
        chosen: Vec::new(),
        seen: BTreeSet::new(),
        found: Vec::new(),
    };
    w.go(0, Decimal::ZERO);
    w.found
}

/// The best place among a buyer's invoices for a person to look at.
fn candidate(buyer: &str, open: &[OpenInvoice], amount: Decimal, why: &str) -> Option<Candidate> {
    let best = open
        .iter()
        .min_by_key(|i| ((i.balance - amount).abs(), i.due_date))?;
    Some(Candidate {
        buyer: buyer.to_string(),
        invoice_ids: vec![best.invoice_id.clone()],
        balance: best.balance,
        why: why.to_string(),
    })
}

/// How alike two normalised names are, 0 to 100 (Dice coefficient of character bigrams), for ranking
/// candidates only.
pub fn similarity(a: &str, b: &str) -> u32 {
    let grams = |s: &str| -> Vec<(char, char)> {
        let c: Vec<char> = s.chars().collect();
        let mut g: Vec<(char, char)> = c.windows(2).map(|w| (w[0], w[1])).collect();
        g.sort_unstable();
        g
    };
    let (ga, gb) = (grams(a), grams(b));
    if ga.is_empty() || gb.is_empty() {
        return u32::from(a == b) * 100;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < ga.len() && j < gb.len() {
        match ga[i].cmp(&gb[j]) {
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
        }
    }
    u32::try_from(200 * common / (ga.len() + gb.len())).unwrap_or(0)
}
