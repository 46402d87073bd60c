//! THE one MIME writer: every mail Seikyu sends (invoice, credit note, receipt, reminder, escalation
//! note) is written here.
//!
//! The shapes:
//! - text only: a single `text/plain` part;
//! - text and HTML: `multipart/alternative` { text, HTML };
//! - text, HTML and an attachment: `multipart/mixed` { `multipart/alternative` { text, HTML }, attachment };
//! - text and an attachment: `multipart/mixed` { text, attachment }.
//!
//! Every body is UTF-8 in base64 (RFC 2045), in lines of 76 characters; the subject is RFC 2047
//! encoded-words when it is not plain ASCII. Boundaries are `seikyu-mix-{tag}` and `seikyu-alt-{tag}`,
//! `tag` being the first 24 hex digits of the SHA-256 of the attachment (of the HTML when there is no
//! attachment): neither is a prefix of the other (RFC 2046 5.1.1), and a base64 body never holds a `-`,
//! so it can never contain a boundary line.

use std::fmt::Write as _;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// Who, when, and the Message-ID's local part (the writer writes
/// `Message-ID: <{message_id}@seikyu.invalid>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub date: DateTime<Utc>,
    pub message_id: String,
}

/// A file attached to the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment<'a> {
    /// E.g. `application/xml`, `text/html; charset=UTF-8`; the writer adds `; name="{filename}"`.
    pub content_type: &'a str,
    /// Usually [`file_name`]'s.
    pub filename: String,
    pub bytes: &'a [u8],
}

/// One mail: the envelope, the subject, the plain text, and optionally an HTML alternative and
/// attachments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<'a> {
    pub envelope: &'a Envelope<'a>,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: Option<&'a [u8]>,
    pub attachments: &'a [Attachment<'a>],
}

const TEXT_PART: &str =
    "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
const HTML_PART: &str =
    "Content-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";

impl Message<'_> {
    /// The complete message, as a mail provider's raw-send takes it.
    pub fn to_bytes(&self) -> Vec<u8> {
        let e = self.envelope;
        let mut m = String::new();
        let _ = write!(
            m,
            "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: <{}@seikyu.invalid>\r\nMIME-Version: 1.0\r\n",
            header_value(e.from),
            header_value(e.to),
            encode_header(self.subject),
            e.date.to_rfc2822(),
            header_value(&e.message_id)
        );
        if self.attachments.is_empty() {
            match self.html {
                None => {
                    let _ = write!(m, "{TEXT_PART}{}", base64_lines(self.text.as_bytes()));
                }
                Some(html) => {
                    let alt = format!("seikyu-alt-{}", tag(html));
                    alternative(&mut m, &alt, self.text, html);
                }
            }
            return m.into_bytes();
        }
        // The boundary comes from the attachments' bytes, which never contain it once base64-encoded.
        let mut all = Vec::new();
        for a in self.attachments {
            all.extend_from_slice(a.bytes);
        }
        let tag = tag(&all);
        let boundary = format!("seikyu-mix-{tag}");
        let _ = write!(
            m,
            "Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n--{boundary}\r\n"
        );
        match self.html {
            Some(html) => alternative(&mut m, &format!("seikyu-alt-{tag}"), self.text, html),
            None => {
                let _ = write!(m, "{TEXT_PART}{}", base64_lines(self.text.as_bytes()));
            }
        }
        for a in self.attachments {
            let file = quoted_value(&a.filename);
            let _ = write!(
                m,
                "--{boundary}\r\nContent-Type: {}; name=\"{file}\"\r\nContent-Disposition: attachment; filename=\"{file}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}",
                header_value(a.content_type),
                base64_lines(a.bytes)
            );
        }
        let _ = write!(m, "--{boundary}--\r\n");
        m.into_bytes()
    }
}

/// A `multipart/alternative` part (its header and its body) holding the text and the HTML.
fn alternative(m: &mut String, alt: &str, text: &str, html: &[u8]) {
    let _ = write!(
        m,
        "Content-Type: multipart/alternative; boundary=\"{alt}\"\r\n\r\n--{alt}\r\n{TEXT_PART}{}--{alt}\r\n{HTML_PART}{}--{alt}--\r\n",
        base64_lines(text.as_bytes()),
        base64_lines(html)
    );
}

/// The first 24 lower-case hex digits of the SHA-256 of `bytes`.
fn tag(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(24);
    for b in Sha256::digest(bytes).iter().take(12) {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A header value as given, without control characters (a line break would start a new header).
fn header_value(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

/// A value inside a quoted string: also without `"` and `\`.
fn quoted_value(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() && *c != '"' && *c != '\\')
        .collect()
}

/// An RFC 2047 header value: plain ASCII as it is; anything else (or a control character, or more than
/// 900 characters) as encoded-words of at most 75 characters, each holding whole characters (at most 45
/// bytes, 60 in base64), folded onto continuation lines.
pub fn encode_header(s: &str) -> String {
    if s.is_ascii() && s.len() <= 900 && !s.bytes().any(|b| b.is_ascii_control()) {
        return s.to_string();
    }
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in s.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(encoded_word(&chunk));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(encoded_word(&chunk));
    }
    words.join("\r\n ")
}

fn encoded_word(chunk: &str) -> String {
    format!(
        "=?UTF-8?B?{}?=",
        base64::engine::general_purpose::STANDARD.encode(chunk)
    )
}

/// Base64 in 76-character lines, each ended by CRLF (RFC 2045).
pub fn base64_lines(bytes: &[u8]) -> String {
    let b = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut out = String::with_capacity(b.len() + b.len() / 76 * 2 + 2);
    for chunk in b.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push_str("\r\n");
    }
    out
}

/// The attachment's file name: `AOZ-2026-000001` -> `AOZ-2026-000001.xml`; every character that is not
/// an ASCII letter, digit or `-` becomes `_`.
pub fn file_name(number: &str, extension: &str) -> String {
    format!(
        "{}.{extension}",
        number.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_plain_ascii() {
        assert_eq!(file_name("AOZ-2026-000001", "xml"), "AOZ-2026-000001.xml");
        assert_eq!(file_name("A/B 請求 1", "html"), "A_B____1.html");
        assert_eq!(file_name("", "xml"), ".xml");
    }

    #[test]
    fn ascii_headers_stay_as_they_are() {
        assert_eq!(encode_header("Invoice 1"), "Invoice 1");
        assert_eq!(encode_header(""), "");
        assert!(encode_header("a\r\nBcc: x@example.com").starts_with("=?UTF-8?B?"));
        assert!(encode_header(&"a".repeat(901)).starts_with("=?UTF-8?B?"));
    }

    #[test]
    fn tag_is_the_hash_prefix() {
        // SHA-256 of the empty string: e3b0c44298fc1c149afbf4c8996fb924...
        assert_eq!(tag(b""), "e3b0c44298fc1c149afbf4c8");
    }

    #[test]
    fn header_values_lose_line_breaks() {
        assert_eq!(header_value("a@b.example\r\nBcc: c"), "a@b.exampleBcc: c");
        assert_eq!(quoted_value("a\"b\\c.xml"), "abc.xml");
    }
}
