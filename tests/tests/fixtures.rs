//! Every fixture through validation, totals, the UBL writer, the official validator and the reader.

use std::collections::BTreeSet;
use std::path::Path;

use seikyu_domain::parse::invoice_from_json;
use seikyu_domain::{InvoiceInput, compute, validate};
use seikyu_einvoice::{read, render_to_vec};
use seikyu_tests::{fatal_findings, fixtures, validate_files, validator};

fn load(path: &Path) -> InvoiceInput {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    invoice_from_json(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn there_are_at_least_25_valid_fixtures() {
    assert!(fixtures("valid").len() >= 25, "{}", fixtures("valid").len());
}

#[test]
fn all_valid_fixtures_render_and_pass_the_official_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut files = Vec::new();
    for path in fixtures("valid") {
        let invoice = load(&path);
        let (xml, totals) =
            render_to_vec(&invoice).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            totals.check_invariants().is_empty(),
            "{}: {:?}",
            path.display(),
            totals.check_invariants()
        );
        let name = path
            .file_stem()
            .expect("file name")
            .to_string_lossy()
            .into_owned();
        let out = dir.path().join(format!("{name}.xml"));
        std::fs::write(&out, xml).expect("write xml");
        files.push(out);
    }
    let Some(validator) = validator() else { return };
    // One call for all documents: the validator compiles its rule sets once.
    let reports = validate_files(&validator, &files);
    assert_eq!(reports.len(), files.len());
    let fatal = fatal_findings(&reports);
    assert!(
        fatal.is_empty(),
        "{} fatal finding(s):\n{}",
        fatal.len(),
        fatal.join("\n")
    );
    // Each format ran the layers its CustomizationID selects.
    for r in &reports {
        let ran: BTreeSet<&str> = r
            .layers
            .iter()
            .filter(|(_, l)| l.status == "PASS")
            .map(|(k, _)| k.as_str())
            .collect();
        let want: &[&str] = match r.customization_id.as_deref() {
            Some("urn:peppol:pint:billing-1@jp-1") => &["xsd", "pint-jp", "jp-extra"],
            _ => &["xsd", "en16931", "peppol"],
        };
        for layer in want {
            assert!(
                ran.contains(layer),
                "{}: layer {layer} did not pass ({ran:?})",
                r.file
            );
        }
    }
    eprintln!("validated {} documents: 0 fatal findings", reports.len());
}

#[test]
fn rendered_documents_read_back_as_the_same_invoice() {
    for path in fixtures("valid") {
        let invoice = load(&path);
        let (xml, totals) = render_to_vec(&invoice).expect("renders");
        let text = String::from_utf8(xml).expect("utf-8");
        let doc = read(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(doc.invoice, invoice.ubl_view(), "{}", path.display());
        assert_eq!(doc.totals.payable, totals.payable, "{}", path.display());
        assert_eq!(doc.totals.tax_total, totals.tax_total, "{}", path.display());
        assert_eq!(
            doc.totals.line_total,
            totals.line_total,
            "{}",
            path.display()
        );
        // Recomputing the read invoice with the seller's rounding gives the stated totals.
        let mut again = doc.invoice.clone();
        again.seller.tax_rounding = invoice.seller.tax_rounding;
        let recomputed = compute(&again).expect("computes");
        assert_eq!(recomputed, totals, "{}", path.display());
    }
}

#[derive(serde::Deserialize)]
struct Expected {
    errors: Vec<ExpectedError>,
}

#[derive(serde::Deserialize, PartialEq, Eq, PartialOrd, Ord, Debug, Clone)]
struct ExpectedError {
    path: String,
    code: String,
}

#[test]
fn invalid_fixtures_give_the_expected_codes() {
    let all = fixtures("invalid");
    assert!(all.len() >= 20);
    for path in all {
        let expected_path = path.with_extension("expected.json");
        let expected: Expected =
            serde_json::from_slice(&std::fs::read(&expected_path).expect("expected file"))
                .expect("expected json");
        let bytes = std::fs::read(&path).expect("fixture");
        let got: Vec<ExpectedError> = match invoice_from_json(&bytes) {
            Err(e) => vec![ExpectedError {
                path: e.path,
                code: e.code.as_str().to_string(),
            }],
            Ok(invoice) => match validate(&invoice) {
                Ok(()) => vec![],
                Err(errs) => errs
                    .errors
                    .into_iter()
                    .map(|e| ExpectedError {
                        path: e.path,
                        code: e.code.as_str().to_string(),
                    })
                    .collect(),
            },
        };
        let mut got_sorted = got.clone();
        got_sorted.sort();
        let mut want = expected.errors.clone();
        want.sort();
        assert_eq!(got_sorted, want, "{}", path.display());
    }
}
