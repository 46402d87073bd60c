//! The PDF documents, read back with poppler (an independent reader): every fixture renders; the text
//! carries the number, dates, registration number, per-rate totals and tax and the amount due, equal to
//! the UBL's; fonts are embedded subsets; the embedded e-invoice is the UBL byte for byte and passes the
//! official rules; long invoices number their pages and repeat the table header; the same input gives
//! the same bytes; one golden text per document kind.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use seikyu_documents::pdf;
use seikyu_documents::receipt::{RateAmount, ReceiptDoc};
use seikyu_domain::parse::invoice_from_json;
use seikyu_domain::{Format, InvoiceInput};
use seikyu_einvoice::{read, render_to_vec};
use seikyu_tests::{fatal_findings, fixtures, fixtures_dir, repo_root, validate_files, validator};

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Whether poppler's tools run here; under CI their absence fails, elsewhere the tests skip.
fn poppler() -> bool {
    match Command::new("pdftotext").arg("-v").output() {
        Ok(_) => true,
        Err(e) if in_ci() => panic!("pdftotext (poppler-utils) unusable under CI: {e}"),
        Err(e) => {
            eprintln!("SKIPPED: pdftotext unusable ({e}); install poppler-utils");
            false
        }
    }
}

fn run(cmd: &str, args: &[&str]) -> String {
    let o = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(
        o.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("utf-8 output")
}

fn text_of(pdf: &Path) -> String {
    run(
        "pdftotext",
        &["-layout", "-enc", "UTF-8", &pdf.to_string_lossy(), "-"],
    )
}

fn load(path: &Path) -> InvoiceInput {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    invoice_from_json(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixture(name: &str) -> InvoiceInput {
    load(&fixtures_dir("valid").join(format!("{name}.json")))
}

fn ubl_of(input: &InvoiceInput) -> Vec<u8> {
    render_to_vec(input).expect("render").0
}

/// Thousands separators and exactly `decimals` places: written here, apart from the renderer's.
fn grouped(v: Decimal, decimals: u32) -> String {
    let s = format!("{:.*}", decimals as usize, v.abs());
    let (int, frac) = s.split_once('.').map_or((s.as_str(), ""), |(i, f)| (i, f));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    if v.is_sign_negative() && !v.is_zero() {
        format!("-{out}")
    } else {
        out
    }
}

fn decimals(currency: &str) -> u32 {
    match currency {
        "JPY" | "KRW" | "ISK" => 0,
        _ => 2,
    }
}

/// Every figure the qualified-invoice rules (or EN 16931) need, as the UBL states it, is in the text.
fn check_text_against_ubl(name: &str, text: &str, ubl: &[u8]) {
    let doc = read(std::str::from_utf8(ubl).expect("utf-8")).expect("read");
    let inv = &doc.invoice;
    let t = &doc.totals;
    let cur = inv.currency.as_str();
    let d = decimals(cur);
    // Columns in the layout are space-separated: compare on text without runs of spaces inside lines.
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let has = |what: &str, s: &str| {
        assert!(
            flat.contains(s),
            "{name}: {what} {s:?} not in the PDF text:\n{text}"
        );
    };
    has("number", inv.number.as_deref().expect("number"));
    let ja = inv.format == Some(Format::PintJp);
    let date = |d: NaiveDate| {
        if ja {
            format!("{}年{}月{}日", d.year(), d.month(), d.day())
        } else {
            d.format("%-d %B %Y").to_string()
        }
    };
    has("issue date", &date(inv.issue_date));
    if let Some(due) = inv.due_date {
        has("due date", &date(due));
    }
    if let Some(id) = &inv.seller.tax_id {
        has("registration / VAT id", id);
    }
    // Names as the fonts print them (a character without a glyph shows as 〓; the UBL keeps it).
    // A long name wraps: each of its words is in the text.
    for word in pdf::printable(&inv.buyer.name).split_whitespace() {
        has("buyer", word);
    }
    for (category, rate, taxable, tax) in &t.breakdown {
        has(
            &format!("taxable at {category:?} {rate:?}"),
            &grouped(*taxable, d),
        );
        has(&format!("tax at {category:?} {rate:?}"), &grouped(*tax, d));
        if let Some(r) = rate {
            has("rate", &format!("{}%", r.normalize()));
        }
    }
    has("tax total", &grouped(t.tax_total, d));
    has("amount due", &grouped(t.payable, d));
    if let Some(p) = &inv.preceding_invoice {
        has("the invoice a credit note corrects", &p.number);
    }
    if ja && inv.lines.iter().any(|l| l.tax_category.is_reduced()) {
        has("the reduced-rate mark", "※");
    }
}

fn fonts_are_embedded_subsets(name: &str, pdf: &Path) {
    let out = run("pdffonts", &[&pdf.to_string_lossy()]);
    let rows: Vec<&str> = out.lines().skip(2).collect();
    assert!(!rows.is_empty(), "{name}: no fonts:\n{out}");
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        // name type [encoding...] emb sub uni object ID: the three yes/no columns before the last two.
        let n = cols.len();
        assert!(n >= 7, "{name}: {row}");
        let (emb, sub, uni) = (cols[n - 5], cols[n - 4], cols[n - 3]);
        assert_eq!((emb, sub, uni), ("yes", "yes", "yes"), "{name}: {row}");
        let font = cols[0];
        assert!(
            font.len() > 7 && font.as_bytes()[6] == b'+',
            "{name}: {font} is not a subset name"
        );
    }
}

/// The one embedded file, saved; equal to the UBL.
fn embedded_file(pdf: &Path, out: &Path) -> Vec<u8> {
    let list = run("pdfdetach", &["-list", &pdf.to_string_lossy()]);
    assert!(list.starts_with("1 embedded files"), "{list}");
    run(
        "pdfdetach",
        &[
            "-save",
            "1",
            "-o",
            &out.to_string_lossy(),
            &pdf.to_string_lossy(),
        ],
    );
    std::fs::read(out).expect("saved attachment")
}

#[test]
fn every_fixture_renders_a_pdf_that_reads_back_as_its_ubl() {
    let dir = tempfile::tempdir().expect("tempdir");
    let check = poppler();
    let mut extracted = Vec::new();
    for path in fixtures("valid") {
        let name = path
            .file_stem()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let ubl = ubl_of(&load(&path));
        let bytes = pdf::invoice(&ubl).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(bytes.starts_with(b"%PDF-"), "{name}");
        if !check {
            continue;
        }
        let file = dir.path().join(format!("{name}.pdf"));
        std::fs::write(&file, &bytes).expect("write");
        check_text_against_ubl(&name, &text_of(&file), &ubl);
        fonts_are_embedded_subsets(&name, &file);
        let xml = dir.path().join(format!("{name}.embedded.xml"));
        assert_eq!(
            embedded_file(&file, &xml),
            ubl,
            "{name}: embedded UBL differs"
        );
        extracted.push(xml);
    }
    if extracted.is_empty() {
        return;
    }
    let Some(v) = validator() else { return };
    let fatal = fatal_findings(&validate_files(&v, &extracted));
    assert!(fatal.is_empty(), "{}", fatal.join("\n"));
    eprintln!(
        "{} PDFs read back; their embedded UBL passes the official rules",
        extracted.len()
    );
}

#[test]
fn the_pdf_declares_pdf_a_3b_and_carries_the_ubl_as_its_alternative() {
    let ubl = ubl_of(&fixture("jp-mixed-standard-reduced"));
    let bytes = pdf::invoice(&ubl).expect("pdf");
    let s = String::from_utf8_lossy(&bytes);
    // XMP (never compressed in PDF/A) declares the part and conformance; the catalog names the
    // associated file (/AF) and the sRGB output intent PDF/A asks for; the file specification says
    // how the file relates to the document (ISO 19005-3: /AFRelationship) and names it.
    for (what, token) in [
        ("pdfaid:part", "<pdfaid:part>3</pdfaid:part>"),
        (
            "pdfaid:conformance",
            "<pdfaid:conformance>B</pdfaid:conformance>",
        ),
        ("associated files in the catalog", "/AF["),
        ("relationship", "/AFRelationship/Alternative"),
        ("output intent", "/S/GTS_PDFA1"),
        ("file name", "/UF(AOZ-2026-000103.xml)"),
        ("MIME type", "/Subtype/application#2Fxml"),
    ] {
        assert!(s.contains(token), "{what}: {token} not in the PDF");
    }
    assert_eq!(
        s.matches("/AFRelationship").count(),
        1,
        "one associated file"
    );
    if !poppler() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("doc.pdf");
    std::fs::write(&file, &bytes).expect("write");
    let info = run("pdfinfo", &[&file.to_string_lossy()]);
    assert!(
        info.lines()
            .any(|l| l.starts_with("PDF version:") && l.ends_with("1.7")),
        "{info}"
    );
    let list = run("pdfdetach", &["-list", &file.to_string_lossy()]);
    assert_eq!(list.trim(), "1 embedded files\n1: AOZ-2026-000103.xml");
    assert_eq!(embedded_file(&file, &dir.path().join("x.xml")), ubl);
}

#[test]
fn a_500_line_invoice_numbers_its_pages_and_repeats_the_header() {
    if !poppler() {
        return;
    }
    let ubl = ubl_of(&fixture("jp-500-lines"));
    let bytes = pdf::invoice(&ubl).expect("pdf");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("long.pdf");
    std::fs::write(&file, &bytes).expect("write");
    let info = run("pdfinfo", &[&file.to_string_lossy()]);
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|p| p.trim().parse().ok())
        .expect("page count");
    assert!(pages > 5, "{pages} pages");
    let number = read(std::str::from_utf8(&ubl).expect("utf-8"))
        .expect("read")
        .invoice
        .number
        .expect("number");
    for page in 1..=pages {
        let p = page.to_string();
        let text = run(
            "pdftotext",
            &["-layout", "-f", &p, "-l", &p, &file.to_string_lossy(), "-"],
        );
        assert!(
            text.contains(&format!("{page} / {pages}")),
            "page {page} has no page number:\n{text}"
        );
        if page > 1 {
            assert!(text.contains(&number), "page {page} has no running header");
        }
        if page < pages {
            assert!(text.contains("品目"), "page {page} has no table header");
        }
    }
}

#[test]
fn the_same_document_renders_the_same_bytes() {
    let ubl = ubl_of(&fixture("eu-peppol-eur-standard"));
    let a = pdf::invoice(&ubl).expect("pdf");
    let _other = pdf::invoice(&ubl_of(&fixture("jp-credit-note"))).expect("pdf");
    let b = pdf::invoice(&ubl).expect("pdf");
    assert!(a == b, "two renders of one UBL differ");
}

#[test]
fn a_ubl_whose_totals_do_not_add_up_is_refused() {
    let ubl = String::from_utf8(ubl_of(&fixture("jp-standard-10-lines"))).expect("utf-8");
    let doc = read(&ubl).expect("read");
    let payable = format!("{}", doc.totals.payable);
    let tampered = ubl.replacen(
        &format!(">{payable}</cbc:PayableAmount>"),
        ">1</cbc:PayableAmount>",
        1,
    );
    assert_ne!(tampered, ubl);
    assert!(matches!(
        pdf::invoice(tampered.as_bytes()),
        Err(pdf::PdfError::Inconsistent(_))
    ));
    assert!(matches!(pdf::invoice(b"<nope"), Err(pdf::PdfError::Ubl(_))));
}

/// A receipt view over the mixed-rate invoice: ¥16,400 received in full.
fn receipt_doc(inv: &InvoiceInput) -> ReceiptDoc<'_> {
    ReceiptDoc {
        number: "AOZ-R-2026-000002",
        issue_date: NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
        replaces: Some("AOZ-R-2026-000001"),
        recipient: &inv.buyer.name,
        currency: "JPY",
        amount: Decimal::from(17_856),
        applied: Decimal::from(16_400),
        credit: Decimal::from(1_456),
        breakdown: vec![
            RateAmount {
                category: "S",
                rate: Some(Decimal::from(10)),
                amount: Decimal::from(11_000),
                tax: Decimal::from(1_000),
            },
            RateAmount {
                category: "AA",
                rate: Some(Decimal::from(8)),
                amount: Decimal::from(5_400),
                tax: Decimal::from(400),
            },
        ],
        purpose: "請求書 AOZ-2026-000103 のお支払として",
        method: Some("コンビニ払い / konbini"),
        payment: "stripe:pi_demo_1",
        issuer_name: &inv.seller.name,
        issuer_registration: inv.seller.tax_id.as_deref(),
        invoice_number: "AOZ-2026-000103",
        invoice_payable: Decimal::from(16_400),
        invoice: inv,
    }
}

#[test]
fn the_receipt_pdf_shows_what_the_receipt_says() {
    let inv = fixture("jp-mixed-standard-reduced");
    let bytes = pdf::receipt(&receipt_doc(&inv)).expect("pdf");
    assert!(
        bytes == pdf::receipt(&receipt_doc(&inv)).expect("pdf"),
        "deterministic"
    );
    if !poppler() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("receipt.pdf");
    std::fs::write(&file, &bytes).expect("write");
    let text = text_of(&file);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for s in [
        "領収書",
        "AOZ-R-2026-000002",
        "2026-11-20",
        "17,856 JPY",
        "1,000 JPY",
        "400 JPY",
        "AOZ-2026-000103",
        inv.seller.tax_id.as_deref().expect("T number"),
        "収入印紙",
    ] {
        assert!(flat.contains(s), "{s:?} not in the receipt:\n{text}");
    }
    fonts_are_embedded_subsets("receipt", &file);
    let info = run("pdfinfo", &[&file.to_string_lossy()]);
    assert!(
        info.lines()
            .any(|l| l.starts_with("Pages:") && l.trim_end().ends_with(" 1")),
        "one page:\n{info}"
    );
}

fn golden_dir() -> PathBuf {
    repo_root().join("tests/golden/pdf")
}

/// Compare the PDF's bytes (by SHA-256, blessed in another process) with `tests/golden/pdf/{name}.sha256`
/// and, where poppler runs, its text with `{name}.txt`; write both when `SEIKYU_BLESS=1`.
/// `SEIKYU_PDF_DUMP=DIR` also writes the PDFs there, to look at.
fn golden(name: &str, bytes: &[u8], text: bool) {
    if let Some(dir) = std::env::var_os("SEIKYU_PDF_DUMP") {
        std::fs::write(Path::new(&dir).join(format!("{name}.pdf")), bytes).expect("dump");
    }
    let bless = std::env::var("SEIKYU_BLESS").as_deref() == Ok("1");
    let rebless = "if deliberate: SEIKYU_BLESS=1 cargo test -p seikyu-tests --test pdf_documents";
    let sha_path = golden_dir().join(format!("{name}.sha256"));
    let sha = seikyu_service::sha256_hex(bytes);
    if bless {
        std::fs::create_dir_all(golden_dir()).expect("dir");
        std::fs::write(&sha_path, format!("{sha}\n")).expect("write golden hash");
    } else {
        let want = std::fs::read_to_string(&sha_path).unwrap_or_default();
        assert_eq!(
            want.trim(),
            sha,
            "{name}: the PDF's bytes changed ({rebless})"
        );
    }
    if !text {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("doc.pdf");
    std::fs::write(&file, bytes).expect("write");
    let got = text_of(&file);
    let path = golden_dir().join(format!("{name}.txt"));
    if bless {
        std::fs::write(&path, &got).expect("write golden");
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} is missing ({rebless})", path.display()));
    if want != got {
        let line = want
            .lines()
            .zip(got.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(want.lines().count().min(got.lines().count()));
        panic!(
            "{name} differs from {} at line {}:\n--- want\n{}\n+++ got\n{}\n({rebless})",
            path.display(),
            line + 1,
            want.lines().nth(line).unwrap_or("<end>"),
            got.lines().nth(line).unwrap_or("<end>")
        );
    }
}

#[test]
fn golden_text_and_bytes_per_document_kind() {
    let text = poppler();
    for (name, fixture_name) in [
        ("invoice-ja", "jp-mixed-standard-reduced"),
        ("credit-note-ja", "jp-credit-note"),
        ("invoice-en", "eu-peppol-eur-standard"),
        ("credit-note-en", "eu-peppol-credit-note"),
    ] {
        golden(
            name,
            &pdf::invoice(&ubl_of(&fixture(fixture_name))).expect("pdf"),
            text,
        );
    }
    let inv = fixture("jp-mixed-standard-reduced");
    golden(
        "receipt",
        &pdf::receipt(&receipt_doc(&inv)).expect("pdf"),
        text,
    );
}
