//! Test support: the repository's fixtures and the kit's e-invoice validator.
//!
//! The validator is found through `SEIKYU_EINVOICE_VALIDATE`, default `../shared/einvoice/validate`
//! beside the repository. Outside CI a missing validator (or missing Python packages) skips the tests
//! that need it, saying what is missing; with `CI=true` it fails them.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

/// The repository root (the workspace).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

pub fn fixtures_dir(kind: &str) -> PathBuf {
    repo_root().join("tests").join("fixtures").join(kind)
}

/// The invoice fixtures of `kind` (`valid` or `invalid`), sorted by name, without expectation files.
pub fn fixtures(kind: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(fixtures_dir(kind))
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.retain(|p| {
        p.extension().is_some_and(|e| e == "json")
            && !p.to_string_lossy().ends_with(".expected.json")
    });
    v.sort();
    v
}

pub fn kit_dir() -> PathBuf {
    repo_root().join("..").join("shared")
}

/// Where the validator is expected.
pub fn validator_path() -> PathBuf {
    std::env::var_os("SEIKYU_EINVOICE_VALIDATE")
        .map(PathBuf::from)
        .unwrap_or_else(|| kit_dir().join("einvoice").join("validate"))
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The validator, or `None` after printing why it is skipped. Panics under CI when it is unusable.
pub fn validator() -> Option<PathBuf> {
    let path = validator_path();
    let problem = if !path.exists() {
        Some(format!(
            "{} does not exist (set SEIKYU_EINVOICE_VALIDATE)",
            path.display()
        ))
    } else {
        match Command::new(&path).arg("--check").output() {
            Ok(o) if o.status.success() => None,
            Ok(o) => Some(format!(
                "{} --check failed: {}{}(install with: pip install -r ../shared/einvoice/requirements.txt)",
                path.display(),
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )),
            Err(e) => Some(format!("{} cannot run: {e}", path.display())),
        }
    };
    match problem {
        None => Some(path),
        Some(why) if in_ci() => panic!("e-invoice validator unusable under CI: {why}"),
        Some(why) => {
            eprintln!("SKIPPED: e-invoice validator unusable: {why}");
            None
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct FileReport {
    pub file: String,
    pub pass: bool,
    pub customization_id: Option<String>,
    pub layers: std::collections::BTreeMap<String, LayerReport>,
}

#[derive(Debug, Deserialize)]
pub struct LayerReport {
    pub status: String,
    #[serde(default)]
    pub fatal: Vec<Finding>,
}

#[derive(Debug, Deserialize)]
pub struct Finding {
    pub id: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub location: String,
}

/// Run the validator once over all `files`; returns one report per file.
pub fn validate_files(validator: &Path, files: &[PathBuf]) -> Vec<FileReport> {
    let out = Command::new(validator)
        .arg("--format")
        .arg("json")
        .args(files)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", validator.display()));
    let code = out.status.code();
    assert!(
        matches!(code, Some(0) | Some(1)),
        "validator exited {code:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "validator output is not the expected JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Every fatal finding in `reports`, one line each; empty when all passed. A layer that could not run
/// (status ERROR) counts as fatal too.
pub fn fatal_findings(reports: &[FileReport]) -> Vec<String> {
    let mut out = Vec::new();
    for r in reports {
        for (layer, l) in &r.layers {
            for f in &l.fatal {
                out.push(format!(
                    "{}: [{layer}] {} at {}: {}",
                    r.file, f.id, f.location, f.message
                ));
            }
            if l.status == "ERROR" && l.fatal.is_empty() {
                out.push(format!("{}: [{layer}] layer errored", r.file));
            }
        }
        if !r.pass && out.is_empty() {
            out.push(format!("{}: failed without a finding", r.file));
        }
    }
    out
}
