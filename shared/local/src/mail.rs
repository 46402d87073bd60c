//! Outgoing mail on one machine: to an SMTP server when one is configured, otherwise each message is
//! written whole as an `.eml` file in the data folder's `mail/` (open it with any mail program).
//!
//! SMTP URLs are lettre's: `smtps://` is TLS from the first byte; `smtp://` requires STARTTLS (the
//! password and the invoices never cross the network in clear) unless the host is this machine (a
//! local mail catcher), where STARTTLS is used when offered. `?tls=none|opportunistic|required` in the
//! URL says otherwise explicitly.

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
        AsyncSmtpTransport::<Tokio1Executor>::from_url(&smtp_url_with_tls(url)?)
            .map(|b| LocalMailer::Smtp(b.build()))
            .map_err(|e| format!("SMTP URL: {e}"))
    }
}

/// `url` with the TLS policy made explicit, as lettre reads it: lettre takes `smtp://` without `tls=` as
/// no encryption at all, so that is what `tls=none` asks for here.
pub fn smtp_url_with_tls(url: &str) -> Result<String, String> {
    let mut parsed = url::Url::parse(url).map_err(|e| format!("SMTP URL: {e}"))?;
    if parsed.scheme() != "smtp" {
        return Ok(url.to_string());
    }
    let asked = parsed
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    let tls = match asked.as_deref() {
        Some("none") => None,
        Some(t @ ("required" | "opportunistic")) => Some(t.to_string()),
        Some(t) => {
            return Err(format!(
                "SMTP URL: tls={t:?}; use none, opportunistic or required"
            ));
        }
        None => {
            // `smtp` is not a scheme the URL standard knows, so its host comes back as text.
            let local = match parsed.host() {
                Some(url::Host::Domain(d)) => {
                    d.eq_ignore_ascii_case("localhost")
                        || d.trim_start_matches('[')
                            .trim_end_matches(']')
                            .parse::<std::net::IpAddr>()
                            .is_ok_and(|a| a.is_loopback())
                }
                Some(url::Host::Ipv4(a)) => a.is_loopback(),
                Some(url::Host::Ipv6(a)) => a.is_loopback(),
                None => false,
            };
            Some(if local { "opportunistic" } else { "required" }.to_string())
        }
    };
    let rest: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, _)| k != "tls")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    parsed.set_query(None);
    if !rest.is_empty() || tls.is_some() {
        let mut q = parsed.query_pairs_mut();
        q.extend_pairs(rest);
        if let Some(t) = tls {
            q.append_pair("tls", &t);
        }
    }
    Ok(parsed.to_string())
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

#[cfg(test)]
mod tests {
    use super::smtp_url_with_tls;

    #[test]
    fn smtp_never_goes_out_in_clear_unless_asked() {
        let t = |u: &str| smtp_url_with_tls(u).expect("url");
        assert_eq!(
            t("smtp://u:p@mail.example.com:587"),
            "smtp://u:p@mail.example.com:587?tls=required"
        );
        assert_eq!(
            t("smtp://localhost:1025"),
            "smtp://localhost:1025?tls=opportunistic"
        );
        assert_eq!(
            t("smtp://127.0.0.1:1025"),
            "smtp://127.0.0.1:1025?tls=opportunistic"
        );
        assert_eq!(
            t("smtp://[::1]:1025"),
            "smtp://[::1]:1025?tls=opportunistic"
        );
        assert_eq!(
            t("smtp://127.0.0.2.example.com"),
            "smtp://127.0.0.2.example.com?tls=required"
        );
        assert_eq!(
            t("smtp://mail.example.com?tls=opportunistic"),
            "smtp://mail.example.com?tls=opportunistic"
        );
        assert_eq!(
            t("smtp://mail.example.com:25?tls=none"),
            "smtp://mail.example.com:25"
        );
        assert_eq!(t("smtps://mail.example.com"), "smtps://mail.example.com");
        assert!(smtp_url_with_tls("smtp://mail.example.com?tls=maybe").is_err());
    }
}
