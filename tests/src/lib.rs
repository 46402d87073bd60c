//! Test support: the repository's fixtures, the kit's e-invoice validator, the local stack (its settings
//! and its functions' clock), dates that follow the suite's clock ([`dates`]), and the contract suite.
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
/// Run documents a test generated (`(file name, bytes)`) through the validator: zero fatal findings, or
/// skipped as [`validator`] says.
pub fn validate_generated(docs: &[(&str, &[u8])]) {
    let Some(v) = validator() else { return };
    let dir = std::env::temp_dir().join(format!("seikyu-generated-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let files: Vec<PathBuf> = docs
        .iter()
        .map(|(name, bytes)| {
            let p = dir.join(name);
            std::fs::write(&p, bytes).expect("written");
            p
        })
        .collect();
    let fatal = fatal_findings(&validate_files(&v, &files));
    assert!(fatal.is_empty(), "{}", fatal.join("\n"));
}

/// JSON pointers (RFC 6901) of every leaf of `v`, for tests that replace one leaf at a time.
pub fn json_leaves(v: &serde_json::Value, at: String, out: &mut Vec<String>) {
    use serde_json::Value;
    match v {
        Value::Object(m) => m.iter().for_each(|(k, v)| {
            json_leaves(
                v,
                format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                out,
            )
        }),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, v)| json_leaves(v, format!("{at}/{i}"), out)),
        _ => out.push(at),
    }
}

pub mod banking;
pub mod contract;
pub mod dates;
pub mod dunning;
pub mod generate;
pub mod reconcile_month;

/// The local AWS stack started by `scripts/local-stack.sh up`, if it is running.
pub struct LocalStack {
    pub env: std::collections::HashMap<String, String>,
}

impl LocalStack {
    pub fn get(&self, key: &str) -> &str {
        self.env.get(key).map(String::as_str).unwrap_or_else(|| {
            panic!("{key} missing in .local/stack.env: run scripts/local-stack.sh up")
        })
    }

    /// The functions' clock: the system clock moved by the offset `scripts/local-stack.sh` started them
    /// with (`SEIKYU_TEST_DATE`; 0 without one), as it recorded it in `.local/stack.env`.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let raw = self.get("SEIKYU_TEST_CLOCK_OFFSET_SECONDS");
        let offset: i64 = raw.parse().unwrap_or_else(|e| {
            panic!("SEIKYU_TEST_CLOCK_OFFSET_SECONDS={raw:?} in .local/stack.env: {e}")
        });
        chrono::Utc::now() + chrono::Duration::seconds(offset)
    }

    /// The functions' Tokyo date now.
    pub fn today(&self) -> chrono::NaiveDate {
        seikyu_domain::dates::tokyo_date(self.now())
    }

    /// SDK configuration pointing at LocalStack with its test credentials.
    pub async fn sdk(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(self.get("AWS_ENDPOINT_URL"))
            .region(aws_sdk_dynamodb::config::Region::new(
                self.get("AWS_REGION").to_string(),
            ))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "test",
                "test",
                None,
                None,
                "localstack",
            ))
            .load()
            .await
    }
}

/// Whether tests that need the local stack must run (CI brings the stack up and sets this).
fn stack_required() -> bool {
    in_ci() || std::env::var("SEIKYU_E2E").is_ok_and(|v| v == "1")
}

/// The running local stack, or `None` after saying why the test is skipped (a panic when required).
pub fn local_stack() -> Option<LocalStack> {
    let path = repo_root().join(".local").join("stack.env");
    let problem = match std::fs::read_to_string(&path) {
        Err(_) => Some(format!(
            "{} not found: run scripts/local-stack.sh up",
            path.display()
        )),
        Ok(text) => {
            let env: std::collections::HashMap<String, String> = text
                .lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .collect();
            let endpoint = env.get("AWS_ENDPOINT_URL").cloned().unwrap_or_default();
            let addr = endpoint.trim_start_matches("http://").to_string();
            match std::net::TcpStream::connect(&addr) {
                Ok(_) => return Some(LocalStack { env }),
                Err(e) => Some(format!(
                    "LocalStack at {addr} not reachable ({e}): run scripts/local-stack.sh up"
                )),
            }
        }
    };
    let why = problem.unwrap_or_default();
    if stack_required() {
        panic!("the local stack is required here but unusable: {why}");
    }
    eprintln!("SKIPPED: {why}");
    None
}
