//! Outgoing mail on one machine: to an SMTP server when one is configured (`smtp://` with STARTTLS
//! when offered, `smtps://` for TLS, credentials in the URL, as lettre reads it), otherwise each message
//! is written whole as an `.eml` file in the data folder's `mail/` (open it with any mail program).

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use lettre::address::Envelope;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use seikyu_service::ports::{Clock, MailError, Mailer};

#[derive(Clone)]
pub enum LocalMailer {
    /// `.eml` files in `dir`, named by the time `clock` gives (so they sort as they were sent).
    Files {
        dir: PathBuf,
        clock: Arc<dyn Clock>,
    },
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl std::fmt::Debug for LocalMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LocalMailer::Files { dir, .. } => write!(f, "LocalMailer::Files({})", dir.display()),
            LocalMailer::Smtp(_) => f.write_str("LocalMailer::Smtp"),
        }
    }
}

impl LocalMailer {
    /// `.eml` files in `dir`.
    pub fn files(dir: PathBuf, clock: Arc<dyn Clock>) -> Self {
        LocalMailer::Files { dir, clock }
    }

    /// SMTP at `url` (e.g. `smtp://user:pass@mail.example.com:587`); the password is never logged.
    pub fn smtp(url: &str) -> Result<Self, String> {
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map(|b| LocalMailer::Smtp(b.build()))
            .map_err(|e| format!("SMTP URL: {e}"))
    }
}

fn random_hex() -> Result<String, MailError> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).map_err(|e| MailError::Unavailable(e.to_string()))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

fn address(a: &str) -> Result<Address, MailError> {
    a.parse()
        .map_err(|e| MailError::Rejected(format!("{a:?} is not a mail address: {e}")))
}

impl Mailer for LocalMailer {
    async fn send_raw(&self, from: &str, to: &[String], raw: &[u8]) -> Result<String, MailError> {
        match self {
            LocalMailer::Files { dir, clock } => {
                // Refused as SES refuses them, so a bad address fails here as it would in AWS.
                address(from)?;
                for t in to {
                    address(t)?;
                }
                let id = format!(
                    "local-{}-{}",
                    clock.now().format("%Y%m%dT%H%M%S%.3f"),
                    random_hex()?
                );
                let written = (|| {
                    std::fs::create_dir_all(dir)?;
                    let tmp = dir.join(format!(".{id}.tmp"));
                    let mut f = std::fs::File::create(&tmp)?;
                    f.write_all(raw)?;
                    std::fs::rename(&tmp, dir.join(format!("{id}.eml")))
                })();
                written.map_err(|e| MailError::Unavailable(format!("mail folder: {e}")))?;
                Ok(id)
            }
            LocalMailer::Smtp(transport) => {
                let envelope = Envelope::new(
                    Some(address(from)?),
                    to.iter().map(|t| address(t)).collect::<Result<_, _>>()?,
                )
                .map_err(|e| MailError::Rejected(e.to_string()))?;
                match transport.send_raw(&envelope, raw).await {
                    Ok(r) => Ok(r.message().collect::<Vec<_>>().join(" ")),
                    Err(e) if e.is_permanent() => Err(MailError::Rejected(e.to_string())),
                    Err(e) => Err(MailError::Unavailable(e.to_string())),
                }
            }
        }
    }
}
