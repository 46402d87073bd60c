//! ISO 20022 camt.053 (bank to customer statement) and camt.054 (debit/credit notification), versions
//! .001.02 to .001.13, including the Japanese ZEDI notification whose file holds several XML documents one
//! after another.
//!
//! Read as a stream: one entry (`Ntry`) at a time is held as a small tree, so memory follows the entry,
//! not the file. No DTD is accepted (no entity expansion, no external entity: a `<!DOCTYPE` is refused),
//! only the five predefined entities and character references are resolved, elements nest at most 64
//! deep, and the file is bounded by [`crate::MAX_STATEMENT_BYTES`].
//!
//! One line per `TxDtls` of each booked entry (an entry without details is one line), with the entry's
//! dates. Direction from `CdtDbtInd` (the transaction's, else the entry's), reversal from `RvslInd`. The
//! payer is `RltdPties/Dbtr/Nm` (to .001.07) or `RltdPties/Dbtr/Pty/Nm` (.001.08 on). The reference is
//! `RmtInf/Strd/CdtrRefInf/Ref` (an `RF` reference only when its ISO 11649 check digits hold), else the
//! `Ustrd` texts joined by a space, else none.

use std::io::BufRead;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use rust_decimal::Decimal;

use crate::{
    Direction, Entry, Format, Statement, StatementError, at_currency_decimals, normalized_name, rf,
};

const MAX_DEPTH: usize = 64;

/// Read camt XML from memory.
pub fn parse(bytes: &[u8]) -> Result<Statement, StatementError> {
    read(bytes)
}

/// A parsed element inside an entry.
#[derive(Debug, Default)]
struct El {
    name: String,
    /// The element's namespace prefix (`None` unprefixed).
    prefix: Option<String>,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<El>,
}

impl El {
    fn child(&self, name: &str) -> Option<&El> {
        self.children.iter().find(|c| c.name == name)
    }
    fn path(&self, names: &[&str]) -> Option<&El> {
        names.iter().try_fold(self, |el, n| el.child(n))
    }
    fn text_at(&self, names: &[&str]) -> Option<&str> {
        self.path(names)
            .map(|e| e.text.trim())
            .filter(|t| !t.is_empty())
    }
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn local(name: &str) -> String {
    match name.rsplit_once(':') {
        Some((_, l)) => l.to_string(),
        None => name.to_string(),
    }
}

fn element(start: &BytesStart<'_>, at: &dyn Fn() -> String) -> Result<El, StatementError> {
    let raw = start.name();
    let raw = raw.as_ref();
    let mut el = El {
        name: local(raw),
        prefix: raw.rsplit_once(':').map(|(p, _)| p.to_string()),
        ..El::default()
    };
    for a in start.attributes() {
        let a = a.map_err(|e| err(at(), e.to_string()))?;
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| err(at(), e.to_string()))?
            .into_owned();
        el.attrs.push((a.key.as_ref().to_string(), value));
    }
    Ok(el)
}

fn err(at: String, reason: impl Into<String>) -> StatementError {
    StatementError {
        at,
        reason: reason.into(),
    }
}

/// What the reader knows about the document and statement it is in.
#[derive(Default)]
struct Context {
    document: u64,
    format: Option<Format>,
    account: Option<String>,
    account_currency: Option<String>,
    entry: u64,
}

/// Read camt XML from any reader.
pub fn read(input: impl BufRead) -> Result<Statement, StatementError> {
    let mut reader = Reader::from_reader(input);
    let mut buf = Vec::new();
    // Names of the open elements outside an entry; the entry being read as a tree.
    let mut path: Vec<String> = Vec::new();
    let mut tree: Vec<El> = Vec::new();
    let mut text = String::new();
    let mut cx = Context::default();
    let mut entries = Vec::new();
    let mut format = None;
    loop {
        let pos = reader.buffer_position();
        let doc = cx.document;
        let at = || {
            if doc == 0 {
                format!("byte {pos}")
            } else {
                format!("document {doc}, byte {pos}")
            }
        };
        let ev = reader
            .read_event_into(&mut buf)
            .map_err(|e| err(at(), format!("not well-formed XML: {e}")))?;
        match ev {
            Event::DocType(_) => {
                return Err(err(
                    at(),
                    "a DOCTYPE is refused: statements use no DTD and no entity is expanded",
                ));
            }
            Event::Start(s) | Event::Empty(s) if path.len() + tree.len() >= MAX_DEPTH => {
                let _ = s;
                return Err(err(at(), "elements nested too deeply"));
            }
            Event::Start(s) => {
                let el = element(&s, &at)?;
                if !tree.is_empty() || el.name == "Ntry" && inside_statement(&path) {
                    tree.push(el);
                } else {
                    open(&mut cx, &path, &el, &at)?;
                    path.push(el.name);
                }
                text.clear();
            }
            Event::Empty(s) => {
                let el = element(&s, &at)?;
                if let Some(parent) = tree.last_mut() {
                    parent.children.push(el);
                } else {
                    open(&mut cx, &path, &el, &at)?;
                }
            }
            Event::End(_) => {
                if let Some(el) = tree.pop() {
                    match tree.last_mut() {
                        Some(parent) => parent.children.push(el),
                        None => {
                            cx.entry += 1;
                            let where_ = format!("document {}, entry {}", cx.document, cx.entry);
                            entries.extend(entry_lines(&cx, &el, &where_)?);
                        }
                    }
                } else {
                    let name = path.pop().unwrap_or_default();
                    close(&mut cx, &path, &name, std::mem::take(&mut text));
                    if path.is_empty() {
                        format = merge(format, cx.format, &at)?;
                    }
                }
            }
            Event::Text(t) => {
                let s = t.xml10_content();
                match tree.last_mut() {
                    Some(el) => el.text.push_str(&s),
                    None => text.push_str(&s),
                }
            }
            Event::CData(t) => {
                let s = t.xml10_content();
                match tree.last_mut() {
                    Some(el) => el.text.push_str(&s),
                    None => text.push_str(&s),
                }
            }
            Event::GeneralRef(r) => {
                let c = if r.is_char_ref() {
                    r.resolve_char_ref().map_err(|e| err(at(), e.to_string()))?
                } else {
                    Some(match &*r.xml10_content() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => {
                            return Err(err(
                                at(),
                                format!(
                                    "entity &{other}; is not one of XML's five: no entity is expanded"
                                ),
                            ));
                        }
                    })
                };
                if let Some(c) = c {
                    match tree.last_mut() {
                        Some(el) => el.text.push(c),
                        None => text.push(c),
                    }
                }
            }
            Event::Eof => {
                if !path.is_empty() || !tree.is_empty() {
                    return Err(err(at(), "the document ends inside an element: truncated"));
                }
                break;
            }
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
        }
        buf.clear();
    }
    let format = format
        .ok_or_else(|| StatementError::file("no camt.053 or camt.054 document in the file"))?;
    Ok(Statement { format, entries })
}

/// Statements (053) and notifications (054) hold the entries.
fn inside_statement(path: &[String]) -> bool {
    matches!(path.last().map(String::as_str), Some("Stmt" | "Ntfctn"))
}

/// An element opens outside an entry: the document root names the message and version.
fn open(
    cx: &mut Context,
    path: &[String],
    el: &El,
    at: &dyn Fn() -> String,
) -> Result<(), StatementError> {
    if path.is_empty() {
        if el.name != "Document" {
            return Err(err(
                at(),
                format!("root element {} is not an ISO 20022 Document", el.name),
            ));
        }
        cx.document += 1;
        cx.entry = 0;
        // The root's own namespace: `xmlns` when unprefixed, `xmlns:{prefix}` otherwise (other
        // declarations, such as xmlns:xsi written first by some serializers, do not count).
        let own = match &el.prefix {
            Some(p) => format!("xmlns:{p}"),
            None => "xmlns".to_string(),
        };
        let ns = el
            .attrs
            .iter()
            .find(|(k, _)| *k == own)
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        cx.format = Some(message(ns).ok_or_else(|| {
            err(
                at(),
                format!("namespace {ns:?} is not camt.053 or camt.054 version .001.02 to .001.13"),
            )
        })?);
    }
    if el.name == "Stmt" || el.name == "Ntfctn" {
        // A new statement or notification: its account is read afresh.
        cx.account = None;
        cx.account_currency = None;
    }
    Ok(())
}

/// The text of an element outside an entry: the statement's account (`Acct/Id/IBAN`, else
/// `Acct/Id/Othr/Id`) and currency (`Acct/Ccy`).
fn close(cx: &mut Context, path: &[String], name: &str, text: String) {
    let in_statement = |suffix: &[&str]| {
        let n = path.len();
        n > suffix.len()
            && matches!(path[n - suffix.len() - 1].as_str(), "Stmt" | "Ntfctn")
            && path[n - suffix.len()..]
                .iter()
                .zip(suffix)
                .all(|(a, b)| a == b)
    };
    let text = text.trim().to_string();
    let iban = name == "IBAN" && in_statement(&["Acct", "Id"]);
    let other = name == "Id" && in_statement(&["Acct", "Id", "Othr"]) && cx.account.is_none();
    if (iban || other) && !text.is_empty() {
        cx.account = Some(text);
    } else if name == "Ccy" && in_statement(&["Acct"]) {
        cx.account_currency = Some(text);
    }
}

/// The message and version a namespace names.
fn message(ns: &str) -> Option<Format> {
    let rest = ns.strip_prefix("urn:iso:std:iso:20022:tech:xsd:camt.")?;
    let (msg, version) = rest.split_once(".001.")?;
    let v: u32 = version.parse().ok()?;
    if !(2..=13).contains(&v) || version.len() != 2 {
        return None;
    }
    match msg {
        "053" => Some(Format::Camt053),
        "054" => Some(Format::Camt054),
        _ => None,
    }
}

/// One file holds one message type (a ZEDI file may hold several documents of it).
fn merge(
    have: Option<Format>,
    doc: Option<Format>,
    at: &dyn Fn() -> String,
) -> Result<Option<Format>, StatementError> {
    match (have, doc) {
        (Some(a), Some(b)) if a != b => {
            Err(err(at(), "camt.053 and camt.054 documents in one file"))
        }
        (a, b) => Ok(a.or(b)),
    }
}

fn date_of(el: Option<&El>) -> Option<chrono::NaiveDate> {
    let el = el?;
    let t = el.text_at(&["Dt"]).or_else(|| el.text_at(&["DtTm"]))?;
    chrono::NaiveDate::parse_from_str(t.get(..10)?, "%Y-%m-%d").ok()
}

fn amount_of(el: &El, at: &str) -> Result<(Decimal, String), StatementError> {
    let ccy = el
        .attr("Ccy")
        .ok_or_else(|| err(at.into(), "Amt has no Ccy"))?
        .to_string();
    let raw = el.text.trim();
    let v: Decimal = raw
        .parse()
        .map_err(|_| err(at.into(), format!("amount {raw:?} is not a decimal")))?;
    if v < Decimal::ZERO {
        return Err(err(
            at.into(),
            format!("amount {raw} is negative (the direction is CdtDbtInd)"),
        ));
    }
    if v > Decimal::from(1_000_000_000_000_000_i64) {
        return Err(err(
            at.into(),
            format!("amount {raw} is beyond any deposit (at most 10^15)"),
        ));
    }
    let v = at_currency_decimals(v, &ccy).ok_or_else(|| {
        err(
            at.into(),
            format!("amount {raw} {ccy}: not an ISO 4217 currency, or more decimals than it has"),
        )
    })?;
    Ok((v, ccy))
}

fn direction(t: Option<&str>, at: &str) -> Result<Direction, StatementError> {
    match t {
        Some("CRDT") => Ok(Direction::Credit),
        Some("DBIT") => Ok(Direction::Debit),
        other => Err(err(
            at.into(),
            format!("CdtDbtInd {other:?} is not CRDT or DBIT"),
        )),
    }
}

/// The lines of one entry: none when it is not booked; one per `TxDtls`, else one for the entry.
fn entry_lines(cx: &Context, ntry: &El, at: &str) -> Result<Vec<Entry>, StatementError> {
    let status = ntry
        .text_at(&["Sts", "Cd"])
        .or_else(|| ntry.text_at(&["Sts"]));
    if status != Some("BOOK") {
        return Ok(Vec::new());
    }
    let format = cx
        .format
        .ok_or_else(|| err(at.into(), "entry outside a document"))?;
    let account = cx.account.clone().ok_or_else(|| {
        err(
            at.into(),
            "the statement names no account (Acct/Id/IBAN or Acct/Id/Othr/Id)",
        )
    })?;
    let amt = ntry
        .child("Amt")
        .ok_or_else(|| err(at.into(), "entry without Amt"))?;
    let (total, currency) = amount_of(amt, at)?;
    if let Some(c) = &cx.account_currency
        && *c != currency
    {
        return Err(err(
            at.into(),
            format!("entry in {currency}, the account is in {c}"),
        ));
    }
    let entry_dir = direction(ntry.text_at(&["CdtDbtInd"]), at)?;
    let reversal = matches!(ntry.text_at(&["RvslInd"]), Some("true" | "1"));
    let booking = date_of(ntry.child("BookgDt"))
        .ok_or_else(|| err(at.into(), "booked entry without BookgDt/Dt"))?;
    let value = date_of(ntry.child("ValDt")).unwrap_or(booking);
    let entry_ref = ntry
        .text_at(&["AcctSvcrRef"])
        .or_else(|| ntry.text_at(&["NtryRef"]))
        .ok_or_else(|| {
            err(
                at.into(),
                "entry has neither AcctSvcrRef nor NtryRef: no identity to apply it once",
            )
        })?
        .to_string();
    let txs: Vec<&El> = ntry
        .children
        .iter()
        .filter(|c| c.name == "NtryDtls")
        .flat_map(|d| d.children.iter().filter(|c| c.name == "TxDtls"))
        .collect();
    let base = |id: String, amount: Decimal, dir: Direction, tx: Option<&El>| {
        // ISO 20022 names are at most 140 characters; longer text is cut there.
        let payer = tx.and_then(|t| {
            t.text_at(&["RltdPties", "Dbtr", "Pty", "Nm"])
                .or_else(|| t.text_at(&["RltdPties", "Dbtr", "Nm"]))
                .map(|n| n.chars().take(140).collect::<String>())
        });
        let reference = tx.and_then(reference);
        Entry {
            format,
            account: account.clone(),
            entry_id: id,
            booking_date: booking,
            value_date: value,
            direction: dir,
            amount,
            currency: currency.clone(),
            payer_name_normalized: normalized_name(payer.as_deref()),
            payer_name: payer,
            reference,
            reversal,
            remitter_code: None,
            names: None,
            position: cx.entry,
        }
    };
    if txs.is_empty() {
        return Ok(vec![base(entry_ref, total, entry_dir, None)]);
    }
    let mut lines = Vec::with_capacity(txs.len());
    let mut sum = Decimal::ZERO;
    let single = txs.len() == 1;
    for (i, tx) in txs.iter().enumerate() {
        let tx_at = format!("{at}, TxDtls {}", i + 1);
        let amount = match tx
            .child("Amt")
            .or_else(|| tx.path(&["AmtDtls", "TxAmt", "Amt"]))
        {
            Some(a) => {
                let (v, c) = amount_of(a, &tx_at)?;
                if c != currency {
                    return Err(err(
                        tx_at,
                        format!("transaction in {c}, its entry in {currency}"),
                    ));
                }
                v
            }
            None if single => total,
            None => return Err(err(tx_at, "a batch transaction without its amount")),
        };
        sum += amount;
        let dir = match tx.text_at(&["CdtDbtInd"]) {
            Some(t) => direction(Some(t), &tx_at)?,
            None => entry_dir,
        };
        let id = if single {
            entry_ref.clone()
        } else {
            let tx_ref = tx
                .text_at(&["Refs", "AcctSvcrRef"])
                .map(str::to_string)
                .unwrap_or_else(|| (i + 1).to_string());
            format!("{entry_ref}/{tx_ref}")
        };
        lines.push(base(id, amount, dir, Some(tx)));
    }
    if sum != total {
        return Err(err(
            at.into(),
            format!("the transactions add up to {sum} {currency}, the entry says {total}"),
        ));
    }
    Ok(lines)
}

/// The structured creditor reference (an RF one only with valid check digits), else the unstructured
/// remittance text.
fn reference(tx: &El) -> Option<String> {
    let rmt = tx.child("RmtInf")?;
    let structured = rmt
        .children
        .iter()
        .filter(|c| c.name == "Strd")
        .filter_map(|s| s.text_at(&["CdtrRefInf", "Ref"]))
        .find_map(|r| {
            let upper = r.trim().to_ascii_uppercase();
            if upper.starts_with("RF") {
                rf::parse(r)
            } else {
                Some(r.trim().chars().take(35).collect())
            }
        });
    structured.or_else(|| {
        let texts: Vec<&str> = rmt
            .children
            .iter()
            .filter(|c| c.name == "Ustrd")
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
            .collect();
        // Each Ustrd is at most 140 characters; a few of them are kept.
        (!texts.is_empty()).then(|| texts.join(" ").chars().take(560).collect())
    })
}
