//! The embedded demo: the invoice lifecycle in one process on the in-memory adapters, no emulator and no
//! network. It issues invoices for two sellers in both formats, credits one, reads every archived
//! document back and writes them to a folder.

use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use seikyu_domain::InvoiceInput;
use seikyu_domain::parse::invoice_from_json;
use seikyu_einvoice::read;
use seikyu_service::memory::{FixedClock, MemoryArchive, MemoryStore};
use seikyu_service::ports::DocumentArchive;
use seikyu_service::{IssueError, Issuer, SellerProfile, sha256_hex};

use crate::summary::money;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("demo data {0} is broken: {1}")]
    Data(&'static str, String),
    #[error("issuing {0} failed: {1}")]
    Issue(&'static str, IssueError),
    #[error("archived document {0} does not read back as issued: {1}")]
    ReadBack(String, String),
    #[error("writing {0}: {1}")]
    Io(PathBuf, std::io::Error),
}

/// Demo invoices: the repository's fixtures, embedded at build time.
macro_rules! fixture {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../tests/fixtures/valid/",
                $name,
                ".json"
            )),
        )
    };
}

const AOZORA: [(&str, &str); 4] = [
    fixture!("jp-standard-10-lines"),
    fixture!("jp-mixed-standard-reduced"),
    fixture!("jp-exempt-and-export"),
    fixture!("jp-usd-with-jpy-tax-currency"),
];
const WIDGETS: [(&str, &str); 2] = [
    fixture!("eu-peppol-eur-standard"),
    fixture!("eu-peppol-allowances"),
];
const CREDIT: (&str, &str) = fixture!("jp-credit-note");

fn parse(name: &'static str, json: &str) -> Result<InvoiceInput, DemoError> {
    invoice_from_json(json.as_bytes()).map_err(|e| DemoError::Data(name, e.to_string()))
}

pub struct DemoOutput {
    /// Files written, in order.
    pub files: Vec<PathBuf>,
    /// What happened, for a person.
    pub summary: String,
}

pub async fn run(out: &Path) -> Result<DemoOutput, DemoError> {
    let store = MemoryStore::default();
    let archive = MemoryArchive::default();
    // 10:00 JST on the issue date of the demo invoices.
    let clock = FixedClock::new(
        Utc.with_ymd_and_hms(2026, 11, 5, 1, 0, 0)
            .single()
            .unwrap_or_default(),
    );
    let issuer = Issuer {
        store: &store,
        archive: &archive,
        clock: &clock,
    };
    let aozora = SellerProfile {
        seller_id: "aozora".into(),
        number_prefix: "AOZ".into(),
        fiscal_year_start_month: 4,
    };
    let widgets = SellerProfile {
        seller_id: "widgets".into(),
        number_prefix: "BW".into(),
        fiscal_year_start_month: 1,
    };

    let mut issued = Vec::new();
    for (seller, batch) in [(&aozora, &AOZORA[..]), (&widgets, &WIDGETS[..])] {
        for &(name, json) in batch {
            let input = parse(name, json)?;
            let done = issuer
                .issue(seller, input)
                .await
                .map_err(|e| DemoError::Issue(name, e))?;
            issued.push(done);
        }
    }
    // Goods came back: credit the first invoice.
    let mut credit = parse(CREDIT.0, CREDIT.1)?;
    if let (Some(pre), Some(first)) = (credit.preceding_invoice.as_mut(), issued.first()) {
        pre.number = first.record.number.clone();
        pre.issue_date = Some(first.record.issue_date);
    }
    issued.push(
        issuer
            .issue(&aozora, credit)
            .await
            .map_err(|e| DemoError::Issue(CREDIT.0, e))?,
    );

    let mut summary =
        String::from("Seikyu demo: issued documents (in-memory store and archive)\n\n");
    summary.push_str(&format!(
        "  {:<22} {:<12} {:<8} {:>16}  {:<10} {}\n",
        "number", "format", "currency", "amount due", "due", "archived sha256"
    ));
    let mut files = Vec::new();
    for done in &issued {
        let r = &done.record;
        // Read the archived bytes back: hash and content must be what was issued.
        let bytes = archive
            .get(&r.ubl_key)
            .await
            .ok()
            .flatten()
            .ok_or_else(|| DemoError::ReadBack(r.ubl_key.clone(), "missing".into()))?;
        if sha256_hex(&bytes) != r.ubl_sha256 {
            return Err(DemoError::ReadBack(
                r.ubl_key.clone(),
                "hash differs".into(),
            ));
        }
        let text = String::from_utf8(bytes.clone())
            .map_err(|e| DemoError::ReadBack(r.ubl_key.clone(), e.to_string()))?;
        let doc = read(&text).map_err(|e| DemoError::ReadBack(r.ubl_key.clone(), e.to_string()))?;
        if doc.invoice != r.input.ubl_view() {
            return Err(DemoError::ReadBack(
                r.ubl_key.clone(),
                "content differs".into(),
            ));
        }
        let path = out.join(&r.ubl_key);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| DemoError::Io(parent.to_path_buf(), e))?;
        }
        std::fs::write(&path, &bytes).map_err(|e| DemoError::Io(path.clone(), e))?;
        files.push(path);
        summary.push_str(&format!(
            "  {:<22} {:<12} {:<8} {:>16}  {:<10} {}…\n",
            r.number,
            r.format.as_str(),
            r.currency,
            money(r.payable, done.totals.decimals),
            r.due_date
                .map(|d| d.to_string())
                .unwrap_or_else(|| "-".into()),
            &r.ubl_sha256[..16]
        ));
    }
    summary.push_str(&format!(
        "\n{} documents written under {}; each was read back and matched what was issued.\n\
         Check them against the official rules with: ../shared/einvoice/validate {}/*/*/*.xml\n",
        files.len(),
        out.display(),
        out.display()
    ));
    Ok(DemoOutput { files, summary })
}
