//! The `seikyu` binary as a person uses it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use seikyu_tests::{fatal_findings, repo_root, validate_files, validator};

fn seikyu(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seikyu"))
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("runs seikyu")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn every_command_has_help() {
    for args in [
        &["--help"][..],
        &["render", "--help"],
        &["demo", "--help"],
        &["schema", "--help"],
        &["statement", "--help"],
    ] {
        let o = seikyu(args);
        assert!(o.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("Usage:"),
            "{args:?}"
        );
    }
    let o = seikyu(&[]);
    assert_eq!(o.status.code(), Some(2), "no command is a usage error");
}

#[test]
fn render_writes_ubl_and_prints_totals() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("x.xml");
    let o = seikyu(&[
        "render",
        "tests/fixtures/valid/jp-three-lines-105-yen-floor.json",
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let xml = std::fs::read_to_string(&out).expect("written");
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    assert!(
        xml.contains("<cbc:TaxAmount currencyID=\"JPY\">31</cbc:TaxAmount>"),
        "{xml}"
    );
    let err = stderr(&o);
    assert!(err.contains("amount due") && err.contains("346"), "{err}");
    // To standard output when no -o is given.
    let o = seikyu(&["render", "tests/fixtures/valid/eu-peppol-eur-standard.json"]);
    assert!(o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("urn:fdc:peppol.eu:2017:poacc:billing:3.0")
    );
}

#[test]
fn pdf_renders_a_ubl_and_refuses_what_is_not_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let xml = dir.path().join("x.xml");
    let o = seikyu(&[
        "render",
        "tests/fixtures/valid/jp-three-lines-105-yen-floor.json",
        "-o",
        xml.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = seikyu(&["pdf", xml.to_str().expect("utf-8")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let pdf = std::fs::read(dir.path().join("x.pdf")).expect("x.pdf written beside it");
    assert!(pdf.starts_with(b"%PDF-1.7"));
    let ubl = std::fs::read(&xml).expect("xml");
    assert!(
        pdf == seikyu_documents::pdf::invoice(&ubl).expect("pdf"),
        "the library's bytes"
    );
    let junk = dir.path().join("junk.xml");
    std::fs::write(&junk, "<Invoice>").expect("write");
    let o = seikyu(&["pdf", junk.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("refused"), "{}", stderr(&o));
    assert!(!dir.path().join("junk.pdf").exists());
}

#[test]
fn refusals_list_every_problem_and_exit_1() {
    let o = seikyu(&[
        "render",
        "tests/fixtures/invalid/many-problems-at-once.json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    for code in [
        "(due_before_issue)",
        "(invalid_currency)",
        "(invalid_code)",
        "(required)",
        "(invalid_format)",
    ] {
        assert!(err.contains(code), "{code} missing in {err}");
    }
    assert!(o.stdout.is_empty(), "no XML for a refused invoice");
    let o = seikyu(&[
        "render",
        "--json-errors",
        "tests/fixtures/invalid/registration-check-digit.json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(stderr(&o).trim()).expect("JSON errors");
    assert_eq!(v["errors"][0]["code"], "registration_check_digit");
    assert_eq!(v["errors"][0]["path"], "seller.tax_id");
}

#[test]
fn missing_number_and_missing_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src =
        std::fs::read_to_string(repo_root().join("tests/fixtures/valid/jp-standard-10-lines.json"))
            .expect("fixture");
    let mut v: serde_json::Value = serde_json::from_str(&src).expect("json");
    v.as_object_mut().expect("object").remove("number");
    let f = dir.path().join("no-number.json");
    std::fs::write(&f, v.to_string()).expect("write");
    let path = f.to_str().expect("utf-8");
    let o = seikyu(&["render", path]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("number: "), "{}", stderr(&o));
    let o = seikyu(&["render", path, "--number", "X-1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = seikyu(&["render", "does/not/exist.json"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("cannot read"));
}

#[test]
fn the_demo_issues_documents_that_pass_the_official_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = seikyu(&["demo", "--out", dir.path().to_str().expect("utf-8")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("AOZ-2026-000001")
            && stdout.contains("BW-2026-000001")
            && stdout.contains("AOZ-CN-2026-000001"),
        "{stdout}"
    );
    // The clock walk shows every reminder stage, the pause for a dispute and an installment plan.
    for stage in [
        "payment notice",
        "gentle reminder",
        "firm reminder",
        "final notice",
        "escalated to the seller",
    ] {
        assert!(
            stdout.contains(&format!(
                "AOZ-2026-000004 {stage}: 5,420.76 USD outstanding"
            )),
            "{stage} missing:\n{stdout}"
        );
    }
    for want in [
        "58,136 JPY paid by card on AOZ-2026-000001, now paid (nothing left open)",
        "delivered again, nothing changed",
        "50,000 JPY refunded on AOZ-2026-000003, now partially paid (319,800 JPY still open)",
        "receipt AOZ-R-2026-000003 issued for 250,000 JPY on AOZ-2026-000003, replacing \
         AOZ-R-2026-000002 (cancelled), rendered as PDF and mailed to ap@midori.example.jp",
        "documents rendered as PDF/A-3 (their UBL embedded) and mailed with the PDF and the UBL attached",
        "event bus: invoice.paid for AOZ-2026-000001 (nothing left open)",
        "disputed by the buyer (reminders pause)",
        "dispute resolved (reminders resume)",
        "installment plan agreed: 106,600 JPY by 2026-12-25",
        "AOZ-2026-000003 part 2 payment notice",
        "late fee 45.53 USD",
        "receipt AOZ-R-2026-000004 to ap@midori.example.jp",
        "escalation notice for AOZ-2026-000004 to billing@aozora.example.jp",
        "credit limit 600,000 JPY",
        "identified by its payer code; the amount equals the open balance",
        "the amount is the sum of the open balances of",
        "short of the open balance by a transfer fee",
        "unapplied: no identifier and no registered name matches the payer",
        "is learned as CUST-TANAKA's name",
        "next day's statement (zengin-01a, 1 deposits): 1 applied automatically",
        "all six invoices are paid",
    ] {
        assert!(stdout.contains(want), "{want} missing:\n{stdout}");
    }
    // Prose, not Rust values: no debug structs, options or quoted JSON strings, and no snake_case
    // identifier (`pending_review`, `no_invoice_reference`); ids such as evt_demo_0001 are data.
    for debug in ["{", "}", "Some(", "None", "\""] {
        assert!(
            !stdout.contains(debug),
            "{debug:?} in the summary:\n{stdout}"
        );
    }
    for word in stdout.split(|c: char| c.is_whitespace() || "(),;:.".contains(c)) {
        assert!(
            !(word.contains('_') && word.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
                || word == "partially_paid",
            "{word:?} in the summary:\n{stdout}"
        );
    }
    let mails = std::fs::read_dir(dir.path().join("mail"))
        .expect("mail folder")
        .count();
    assert!(mails >= 20, "{mails} mails");
    let mut files = Vec::new();
    collect_xml(dir.path(), &mut files);
    // 7 documents of the lifecycle, 6 invoices paid by bank transfer (step 12).
    assert_eq!(files.len(), 13, "{files:?}");
    // A PDF for each document the mailer handled (6 invoices and the credit note; the voided invoice
    // was never sent) and for each of the 12 receipts; each invoice PDF beside its UBL.
    let mut pdfs = Vec::new();
    collect(dir.path(), "pdf", &mut pdfs);
    assert_eq!(pdfs.len(), 18, "{pdfs:?}");
    for pdf in &pdfs {
        let bytes = std::fs::read(pdf).expect("pdf");
        assert!(bytes.starts_with(b"%PDF-1.7"), "{}", pdf.display());
        let name = pdf
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let number = name.rsplit_once('-').map(|(n, _)| n).expect("number-hash");
        if !number.contains("-R-") {
            assert!(
                files.iter().any(|x| x
                    .file_name()
                    .is_some_and(|f| f.to_string_lossy().starts_with(&format!("{number}-")))),
                "{name} has no UBL beside it"
            );
        }
    }
    let Some(v) = validator() else { return };
    let fatal = fatal_findings(&validate_files(&v, &files));
    assert!(fatal.is_empty(), "{}", fatal.join("\n"));
}

fn collect_xml(dir: &Path, out: &mut Vec<PathBuf>) {
    collect(dir, "xml", out);
}

fn collect(dir: &Path, extension: &str, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, extension, out);
        } else if p.extension().is_some_and(|x| x == extension) {
            out.push(p);
        }
    }
}

#[test]
fn the_committed_schema_is_the_generated_one() {
    let o = seikyu(&["schema"]);
    assert!(o.status.success());
    let committed = std::fs::read_to_string(repo_root().join("docs/invoice-input.schema.json"))
        .expect("schema file");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        committed.trim(),
        "docs/invoice-input.schema.json is stale: run `cargo run -p seikyu-cli -- schema > docs/invoice-input.schema.json`"
    );
}

#[test]
fn the_documented_example_renders() {
    let o = seikyu(&["render", "docs/invoice-example.json", "-o", "/dev/null"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn statement_prints_one_json_line_per_entry_or_refuses_with_the_record() {
    use seikyu_banking::zengin::write::{AccountHead, Deposit, notice};
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("a date");
    let deposit = |no: u32, amount: u64, payer: &str, cancelled: bool| Deposit {
        reference_no: no,
        date: day,
        amount,
        payer: payer.into(),
        remitter_code: None,
        edi: Some("EDI1".into()),
        cancelled,
    };
    let head = AccountHead {
        bank: "0001".into(),
        branch: "100".into(),
        kind: 1,
        number: "1234567".into(),
        name: "ｾｲｷﾕｳ".into(),
    };
    let file = notice(
        &head,
        day,
        &[
            deposit(1, 110_000, "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ", false),
            deposit(1, 110_000, "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ", true),
        ],
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good.txt");
    std::fs::write(&good, &file).expect("written");
    let o = seikyu(&[
        "statement",
        "--as-of",
        "2026-12-01",
        good.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).expect("utf-8");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(lines.len(), 2);
    let keys: Vec<&str> = lines[0]
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut want = vec![
        "format",
        "account",
        "entry_id",
        "booking_date",
        "value_date",
        "direction",
        "amount",
        "currency",
        "payer_name",
        "payer_name_normalized",
        "reference",
        "reversal",
    ];
    want.sort_unstable();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(keys, want);
    assert_eq!(lines[0]["amount"], "110000");
    assert_eq!(lines[1]["direction"], "debit");
    assert_eq!(lines[1]["reversal"], true);
    // A file that fails its own trailer: nothing on standard output, exit 1, the record on stderr.
    let mut bad = file.clone();
    let trailer = bad.len() - 2 * 202 + 2;
    bad[trailer + 7] = b'9';
    let bad_path = dir.path().join("bad.txt");
    std::fs::write(&bad_path, &bad).expect("written");
    let o = seikyu(&[
        "statement",
        "--as-of",
        "2026-12-01",
        bad_path.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    assert!(stderr(&o).contains("record 4: trailer"), "{}", stderr(&o));
}

#[test]
fn a_statement_file_of_200_mb_is_refused_without_reading_it_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("huge.txt");
    // Sparse: 200 MB on paper, nothing on disk.
    std::fs::File::create(&path)
        .and_then(|f| f.set_len(200 * 1024 * 1024))
        .expect("sparse file");
    let o = seikyu(&[
        "statement",
        "--as-of",
        "2026-12-01",
        path.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    assert!(
        stderr(&o).contains("a statement is at most 64 MB"),
        "{}",
        stderr(&o)
    );
}
