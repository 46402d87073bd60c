//! `seikyu serve` as a person uses it: start it on an empty data folder, run the README's curl session
//! against it, kill it with SIGKILL while the mails are still queued, start it again and check that the
//! data is there, each mail goes out exactly once, nothing is delivered twice after another SIGKILL, and
//! SIGTERM stops it cleanly. Needs curl, jq and openssl (skipped with a message where one is missing,
//! except under CI=true).

#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn tools_missing() -> Option<String> {
    let missing: Vec<&str> = ["curl", "jq", "openssl"]
        .into_iter()
        .filter(|t| {
            Command::new(t)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_err()
        })
        .collect();
    (!missing.is_empty()).then(|| missing.join(", "))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

struct Server {
    child: Child,
    url: String,
}

impl Server {
    /// Start `seikyu serve` and wait for its banner; the admin key when it printed a new one.
    fn start(data: &Path, port: u16, jobs: bool) -> (Server, Option<String>) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_seikyu"));
        cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data"])
            .arg(data)
            .env_remove("SEIKYU_ADMIN_KEY")
            .env_remove("SEIKYU_SMTP_URL")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(data.with_extension("log"))
                    .expect("log file"),
            ));
        if !jobs {
            cmd.arg("--no-jobs");
        }
        let mut child = cmd.spawn().expect("seikyu serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let banner = lines.next().expect("a banner").expect("banner text");
        assert!(banner.starts_with("Seikyu serving http://"), "{banner}");
        let key = lines
            .next()
            .and_then(Result::ok)
            .and_then(|l| l.split(": ").nth(1).map(str::to_string))
            .filter(|k| k.starts_with("sk_admin_"));
        // Keep reading so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let url = format!("http://127.0.0.1:{port}");
        (Server { child, url }, key)
    }

    fn kill9(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn get(url: &str, key: &str) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let mut r = agent
        .get(url)
        .header("authorization", &format!("Bearer {key}"))
        .call()
        .expect("GET");
    let status = r.status().as_u16();
    let body = r.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// The README's session, made to run here: this server's URL and admin key, this data folder, the
/// fixtures by absolute path. The line that starts the server is the test's own start.
fn session_script(server: &Server, admin: &str, data: &Path) -> String {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    let start = readme
        .find("<!-- serve-session -->")
        .expect("the README has the serve session");
    let end = readme[start..]
        .find("<!-- /serve-session -->")
        .expect("the session ends")
        + start;
    let block = &readme[start..end];
    let code = block
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a sh block");
    let fixtures = repo().join("tests/fixtures/");
    code.lines()
        .filter(|l| !l.starts_with("cargo run"))
        .map(|l| {
            l.replace("http://127.0.0.1:8080", &server.url)
                .replace("sk_admin_...", admin)
                .replace("seikyu-data", &data.display().to_string())
                .replace("tests/fixtures/", &fixtures.display().to_string())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn mails(data: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(data.join("mail"))
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().ends_with(".eml"))
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The mails whose attachments name `file` (the invoice's UBL, the receipt's PDF).
fn mails_with(data: &Path, file: &str) -> usize {
    mails(data).iter().filter(|m| m.contains(file)).count()
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let until = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn serve_survives_kill_9_and_sends_each_mail_once() {
    if let Some(missing) = tools_missing() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the serve session needs {missing}"
        );
        eprintln!("skipped: the serve session needs {missing}");
        return;
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    let data = tmp.path().join("seikyu-data");
    let port = free_port();

    // 1. The API alone: the session's mails wait in the queue.
    let (server, admin) = Server::start(&data, port, false);
    let admin = admin.expect("the first start prints an admin key");
    let script = session_script(&server, &admin, &data);
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(tmp.path())
        .output()
        .expect("bash runs the session");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the README session failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(r#""id":"AOZ-2026-000001""#), "{stdout}");
    assert!(stdout.contains(r#""status":"paid""#), "{stdout}");
    let ubl = std::fs::read_to_string(tmp.path().join("AOZ-2026-000001.xml")).expect("UBL saved");
    assert!(ubl.contains("<cbc:ID>AOZ-2026-000001</cbc:ID>"), "{ubl}");
    assert!(mails(&data).is_empty(), "no mail while the jobs are off");

    // The seller's key, for the checks below (the session kept it in a shell variable).
    let (status, created) = {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut r = agent
            .post(format!("{}/admin/sellers/aozora/keys", server.url))
            .header("authorization", &format!("Bearer {admin}"))
            .send_empty()
            .expect("POST keys");
        let s = r.status().as_u16();
        (s, r.body_mut().read_to_string().unwrap_or_default())
    };
    assert_eq!(status, 201, "{created}");
    let key = serde_json::from_str::<Value>(&created).expect("json")["api_key"]
        .as_str()
        .expect("api_key")
        .to_string();

    // 2. SIGKILL with the invoice mail and the receipt queued.
    server.kill9();

    // 3. Started again with the jobs: the data is there and each mail goes out once.
    let (server, again) = Server::start(&data, port, true);
    assert_eq!(again, None, "the admin key is printed only once");
    let (status, inv) = get(&format!("{}/invoices/AOZ-2026-000001", server.url), &key);
    assert_eq!(status, 200, "{inv}");
    assert_eq!(inv["status"], "paid", "{inv}");
    // The receipt's number is of the fiscal year of the day it is issued (today): read it back.
    let mut receipt_id = String::new();
    wait_for("the receipt", Duration::from_secs(120), || {
        let (_, p) = get(&format!("{}/payments/generic:pay-1", server.url), &key);
        receipt_id = p["receipts"][0].as_str().unwrap_or_default().to_string();
        !receipt_id.is_empty()
    });
    wait_for(
        "the invoice mail and the receipt mail",
        Duration::from_secs(240),
        || mails_with(&data, "AOZ-2026-000001.xml") == 1 && mails_with(&data, &receipt_id) >= 1,
    );
    let (status, receipt) = get(&format!("{}/receipts/{receipt_id}", server.url), &key);
    assert_eq!(status, 200, "{receipt}");
    wait_for("the receipt's PDF", Duration::from_secs(60), || {
        get(&format!("{}/receipts/{receipt_id}/pdf", server.url), &key).0 == 200
    });
    let (status, _) = get(
        &format!("{}/invoices/AOZ-2026-000001/pdf", server.url),
        &key,
    );
    assert_eq!(status, 200);

    // 4. SIGKILL once more and start again: nothing acknowledged comes back, nothing is sent twice.
    let before = mails(&data);
    server.kill9();
    let (mut server, _) = Server::start(&data, port, true);
    // A new invoice after the restart: once its mail is out, the mailer has been through whatever the
    // queue held before it (first in, first out), so a redelivered old mail would be there by now.
    let fixture = std::fs::read(repo().join("tests/fixtures/valid/jp-standard-10-lines.json"))
        .expect("fixture");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent
        .post(format!("{}/invoices", server.url))
        .header("authorization", &format!("Bearer {key}"))
        .header("idempotency-key", "after-restart")
        .send(&fixture[..])
        .expect("POST /invoices");
    let body = r.body_mut().read_to_string().unwrap_or_default();
    assert_eq!(r.status().as_u16(), 201, "{body}");
    assert!(body.contains(r#""id":"AOZ-2026-000002""#), "{body}");
    wait_for("the new invoice's mail", Duration::from_secs(120), || {
        mails_with(&data, "AOZ-2026-000002.xml") == 1
    });
    assert_eq!(
        mails(&data).len(),
        before.len() + 1,
        "no mail sent twice after a restart"
    );
    assert_eq!(mails_with(&data, "AOZ-2026-000001.xml"), 1);
    assert_eq!(mails_with(&data, &receipt_id), 1, "one receipt mail");

    // 5. SIGTERM: a clean stop.
    let pid = server.child.id().to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    let exit = server.child.wait().expect("exit");
    assert!(exit.success(), "exit status after SIGTERM: {exit}");
    let log = std::fs::read_to_string(data.with_extension("log")).unwrap_or_default();
    assert!(log.contains(r#""message":"stopped""#), "{log}");
}
