//! The MIME writer: header encoding, line lengths, boundaries, the four shapes, and the invoice and
//! receipt mails read back part by part.
#![allow(clippy::unwrap_used)]

mod common;

use base64::Engine as _;
use common::*;
use seikyu_documents::mime::{
    Attachment, Envelope, Message, base64_lines, encode_header, file_name,
};
use seikyu_documents::{invoice, receipt, reminder};
use seikyu_domain::dunning::Stage;

fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

/// An RFC 2047 header value (as [`encode_header`] writes it) decoded.
fn decode_header(v: &str) -> String {
    let mut out = Vec::new();
    for w in v.split("\r\n ") {
        match w
            .strip_prefix("=?UTF-8?B?")
            .and_then(|w| w.strip_suffix("?="))
        {
            Some(b) => out.extend(b64(b)),
            None => out.extend(w.as_bytes()),
        }
    }
    String::from_utf8(out).unwrap()
}

/// A MIME entity: its (unfolded) headers and its body.
#[derive(Debug)]
struct Entity {
    headers: Vec<(String, String)>,
    body: String,
}

impl Entity {
    fn parse(raw: &str) -> Entity {
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.split("\r\n") {
            if let Some(cont) = line.strip_prefix(' ') {
                let last = headers.last_mut().unwrap();
                last.1.push_str("\r\n ");
                last.1.push_str(cont);
            } else {
                let (k, v) = line.split_once(": ").unwrap();
                headers.push((k.to_string(), v.to_string()));
            }
        }
        Entity {
            headers,
            body: body.to_string(),
        }
    }

    fn header(&self, name: &str) -> &str {
        let found: Vec<_> = self.headers.iter().filter(|(k, _)| k == name).collect();
        assert_eq!(found.len(), 1, "{name} in {:?}", self.headers);
        &found[0].1
    }

    fn boundary(&self) -> Option<String> {
        let ct = self.header("Content-Type");
        let start = ct.find("boundary=\"")? + 10;
        Some(ct[start..].split('"').next()?.to_string())
    }

    /// The parts of a multipart entity.
    fn parts(&self) -> Vec<Entity> {
        let b = self.boundary().unwrap();
        let (inner, rest) = self
            .body
            .split_once(&format!("--{b}--\r\n"))
            .unwrap_or_else(|| panic!("no closing --{b}--"));
        assert_eq!(rest, "", "nothing after the closing boundary");
        let inner = inner
            .strip_prefix(&format!("--{b}\r\n"))
            .unwrap_or_else(|| panic!("body does not start with --{b}"));
        inner
            .split(&format!("--{b}\r\n"))
            .map(Entity::parse)
            .collect()
    }

    /// The decoded body of a leaf (base64, 76-character lines, each ended by CRLF).
    fn decoded(&self) -> Vec<u8> {
        assert_eq!(self.header("Content-Transfer-Encoding"), "base64");
        if self.body.is_empty() {
            return Vec::new();
        }
        let body = self.body.strip_suffix("\r\n").unwrap();
        for line in body.split("\r\n") {
            assert!(line.len() <= 76, "base64 line of {} chars", line.len());
            assert!(!line.is_empty());
        }
        b64(&body.replace("\r\n", ""))
    }
}

fn parse(bytes: &[u8]) -> Entity {
    Entity::parse(std::str::from_utf8(bytes).expect("a message is ASCII"))
}

fn assert_crlf_only(bytes: &[u8]) {
    assert!(bytes.is_ascii(), "a message is 7-bit");
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\n' {
            assert!(i > 0 && bytes[i - 1] == b'\r', "bare LF at {i}");
        }
    }
}

fn env() -> Envelope<'static> {
    envelope("ap@midori.example.jp", "inv-103.seller-aozora")
}

/// Subjects that need encoding: Japanese, long, emoji, mixed scripts, a single 4-byte character.
fn subjects() -> Vec<String> {
    let jp = jp_mixed();
    let part = whole(&jp);
    let mut s = vec![
        invoice::subject(&jp.doc()),
        invoice::subject(&jp_credit_note().doc()),
        receipt::subject(&receipt_full(&jp).note()),
        reminder::escalation_subject(&escalation(&jp, &part)),
        "請求書".repeat(60),
        "é".repeat(200),
        "🧾 Receipt 領収書 ".repeat(9),
        "𠮷".to_string(),
        format!("{}€", "a".repeat(44)),
        "ASCII but\r\nBcc: x@example.com".to_string(),
    ];
    s.extend(Stage::ALL.map(|stage| reminder::subject(&reminder(&jp, &part, stage))));
    s
}

#[test]
fn encoded_words_are_short_and_decode_back() {
    for subject in subjects() {
        let h = encode_header(&subject);
        for word in h.split("\r\n ") {
            assert!(word.len() <= 75, "{} chars: {word}", word.len());
            assert!(
                word.starts_with("=?UTF-8?B?") && word.ends_with("?="),
                "{word}"
            );
            assert!(word.is_ascii());
        }
        assert_eq!(decode_header(&h), subject);
    }
    assert_eq!(
        encode_header("Invoice BW-2026-0042"),
        "Invoice BW-2026-0042"
    );
}

#[test]
fn base64_lines_are_at_most_76_chars() {
    for n in [0usize, 1, 56, 57, 58, 114, 1000] {
        let bytes: Vec<u8> = (0..n).map(|i| (i * 7 % 256) as u8).collect();
        let s = base64_lines(&bytes);
        if n == 0 {
            assert_eq!(s, "");
            continue;
        }
        assert!(s.ends_with("\r\n"));
        for line in s.strip_suffix("\r\n").unwrap().split("\r\n") {
            assert!(!line.is_empty() && line.len() <= 76);
        }
        assert_eq!(b64(&s.replace("\r\n", "")), bytes);
    }
    // 57 bytes make exactly one full line.
    assert_eq!(base64_lines(&[0; 57]).len(), 78);
}

#[test]
fn the_invoice_mail_reads_back() {
    let inv = jp_mixed();
    let doc = inv.doc();
    let raw = invoice::mail(&doc, PDF, UBL, &env());
    assert_crlf_only(&raw);
    let m = parse(&raw);
    assert_eq!(m.header("From"), "Seikyu <billing@seikyu.example>");
    assert_eq!(m.header("To"), "ap@midori.example.jp");
    assert_eq!(decode_header(m.header("Subject")), invoice::subject(&doc));
    assert_eq!(m.header("Date"), "Thu, 5 Nov 2026 01:02:03 +0000");
    assert_eq!(
        m.header("Message-ID"),
        "<inv-103.seller-aozora@seikyu.invalid>"
    );
    assert_eq!(m.header("MIME-Version"), "1.0");
    let mixed = m.boundary().unwrap();
    assert!(mixed.starts_with("seikyu-mix-"));
    let parts = m.parts();
    assert_eq!(parts.len(), 3);
    let alt = parts[0].boundary().unwrap();
    assert!(alt.starts_with("seikyu-alt-"));
    assert!(
        !mixed.starts_with(&alt) && !alt.starts_with(&mixed),
        "{mixed} / {alt}"
    );
    assert_eq!(mixed["seikyu-mix-".len()..], alt["seikyu-alt-".len()..]);
    assert_eq!(mixed.len(), "seikyu-mix-".len() + 24);

    let texts = parts[0].parts();
    assert_eq!(texts.len(), 2);
    assert_eq!(texts[0].header("Content-Type"), "text/plain; charset=UTF-8");
    assert_eq!(texts[0].decoded(), invoice::text_body(&doc).into_bytes());
    assert_eq!(texts[1].header("Content-Type"), "text/html; charset=UTF-8");
    assert_eq!(texts[1].decoded(), invoice::html_body(&doc).into_bytes());

    let pdf = &parts[1];
    assert_eq!(
        pdf.header("Content-Type"),
        "application/pdf; name=\"AOZ-2026-000103.pdf\""
    );
    assert_eq!(pdf.decoded(), PDF);
    let xml = &parts[2];
    assert_eq!(
        xml.header("Content-Type"),
        "application/xml; name=\"AOZ-2026-000103.xml\""
    );
    assert_eq!(
        xml.header("Content-Disposition"),
        "attachment; filename=\"AOZ-2026-000103.xml\""
    );
    assert_eq!(xml.decoded(), UBL);
}

#[test]
fn the_boundary_tag_is_the_attachments_hash() {
    let inv = jp_mixed();
    let a = parse(&invoice::mail(&inv.doc(), PDF, UBL, &env()));
    let b = parse(&invoice::mail(&inv.doc(), PDF, b"<other/>", &env()));
    assert_ne!(a.boundary(), b.boundary());
    let empty = parse(&invoice::mail(&inv.doc(), b"", b"", &env()));
    // SHA-256 of no bytes: e3b0c44298fc1c149afbf4c8996fb924...
    assert_eq!(
        empty.boundary().unwrap(),
        "seikyu-mix-e3b0c44298fc1c149afbf4c8"
    );
    assert_eq!(empty.parts()[1].decoded(), b"");
    assert_eq!(empty.parts()[2].decoded(), b"");
}

#[test]
fn the_receipt_mail_carries_the_archived_page_and_the_pdf() {
    let inv = jp_mixed();
    let r = receipt_full(&inv);
    let html = receipt::html(&r);
    let raw = receipt::mail(&r.note(), html.as_bytes(), PDF, &env());
    assert_crlf_only(&raw);
    let m = parse(&raw);
    assert_eq!(
        decode_header(m.header("Subject")),
        receipt::subject(&r.note())
    );
    let parts = m.parts();
    let texts = parts[0].parts();
    assert_eq!(texts[0].decoded(), receipt::text(&r.note()).into_bytes());
    assert_eq!(texts[1].decoded(), html.as_bytes());
    assert_eq!(
        parts[1].header("Content-Type"),
        "application/pdf; name=\"AOZ-R-2026-000002.pdf\""
    );
    assert_eq!(
        parts[1].header("Content-Disposition"),
        "attachment; filename=\"AOZ-R-2026-000002.pdf\""
    );
    assert_eq!(parts[1].decoded(), PDF);
}

#[test]
fn a_text_only_message_is_single_part() {
    let inv = jp_mixed();
    let part = whole(&inv);
    let doc = reminder(&inv, &part, Stage::Gentle);
    let (subject, text) = (reminder::subject(&doc), reminder::text(&doc));
    let e = envelope(
        "ap@midori.example.jp",
        "reminder.inv-103.0.gentle.seller-aozora",
    );
    let raw = Message {
        envelope: &e,
        subject: &subject,
        text: &text,
        html: None,
        attachments: &[],
    }
    .to_bytes();
    assert_crlf_only(&raw);
    let s = String::from_utf8(raw.clone()).unwrap();
    assert!(!s.contains("multipart") && !s.contains("boundary"));
    let m = parse(&raw);
    assert_eq!(m.header("Content-Type"), "text/plain; charset=UTF-8");
    assert_eq!(
        m.header("Message-ID"),
        "<reminder.inv-103.0.gentle.seller-aozora@seikyu.invalid>"
    );
    assert_eq!(m.decoded(), text.into_bytes());
}

#[test]
fn text_and_html_without_an_attachment_are_alternatives() {
    let e = env();
    let html = b"<p>Hello</p>".as_slice();
    let raw = Message {
        envelope: &e,
        subject: "Hello",
        text: "Hello\r\n",
        html: Some(html),
        attachments: &[],
    }
    .to_bytes();
    assert_crlf_only(&raw);
    let m = parse(&raw);
    assert!(
        m.header("Content-Type")
            .starts_with("multipart/alternative; ")
    );
    let b = m.boundary().unwrap();
    assert!(b.starts_with("seikyu-alt-") && b.len() == "seikyu-alt-".len() + 24);
    assert!(!String::from_utf8_lossy(&raw).contains("seikyu-mix-"));
    let parts = m.parts();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].header("Content-Type"), "text/plain; charset=UTF-8");
    assert_eq!(parts[0].decoded(), b"Hello\r\n");
    assert_eq!(parts[1].header("Content-Type"), "text/html; charset=UTF-8");
    assert_eq!(parts[1].decoded(), html);
}

#[test]
fn text_and_an_attachment_are_mixed() {
    let e = env();
    let raw = Message {
        envelope: &e,
        subject: "請求書",
        text: "本文",
        html: None,
        attachments: &[
            Attachment {
                content_type: "application/pdf",
                filename: file_name("A 1", "pdf"),
                bytes: b"%PDF-1.7",
            },
            Attachment {
                content_type: "application/xml",
                filename: file_name("A 1", "xml"),
                bytes: b"<Invoice/>",
            },
        ],
    }
    .to_bytes();
    assert_crlf_only(&raw);
    let m = parse(&raw);
    assert!(m.header("Content-Type").starts_with("multipart/mixed; "));
    assert!(!String::from_utf8_lossy(&raw).contains("seikyu-alt-"));
    let parts = m.parts();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0].header("Content-Type"), "text/plain; charset=UTF-8");
    assert_eq!(parts[0].decoded(), "本文".as_bytes());
    assert_eq!(
        parts[1].header("Content-Type"),
        "application/pdf; name=\"A_1.pdf\""
    );
    assert_eq!(parts[1].decoded(), b"%PDF-1.7");
    assert_eq!(
        parts[2].header("Content-Disposition"),
        "attachment; filename=\"A_1.xml\""
    );
    assert_eq!(parts[2].decoded(), b"<Invoice/>");
}

#[test]
fn header_values_cannot_add_headers() {
    let e = Envelope {
        from: "a@example.com\r\nBcc: x@example.com",
        to: "b@example.com\nX-Evil: 1",
        date: at(),
        message_id: "id\r\nX-Evil: 2".into(),
    };
    let raw = Message {
        envelope: &e,
        subject: "Hi\r\nX-Evil: 3",
        text: "",
        html: None,
        attachments: &[Attachment {
            content_type: "text/plain\r\nX-Evil: 4",
            filename: "a\"\r\nX-Evil: 5.txt".into(),
            bytes: b"",
        }],
    }
    .to_bytes();
    assert_crlf_only(&raw);
    let s = String::from_utf8(raw).unwrap();
    assert!(!s.contains("\nBcc") && !s.contains("\nX-Evil"), "{s}");
    let m = parse(s.as_bytes());
    assert_eq!(decode_header(m.header("Subject")), "Hi\r\nX-Evil: 3");
    assert_eq!(m.parts()[0].decoded(), b"");
}

#[test]
fn file_names() {
    assert_eq!(file_name("AOZ-2026-000001", "xml"), "AOZ-2026-000001.xml");
    assert_eq!(file_name("AOZ/2026 #1", "html"), "AOZ_2026__1.html");
    assert_eq!(file_name("請求-1", "xml"), "__-1.xml");
}

/// Many generated subjects (xorshift, fixed seed): every encoding is ASCII, folds only between words,
/// keeps words within 75 characters and decodes back.
#[test]
fn generated_subjects_round_trip() {
    const POOL: [char; 14] = [
        'a', 'Z', ' ', '"', '\r', '\n', '\0', '\t', 'é', '請', '🧾', '\u{301}', '\u{feff}', '=',
    ];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..2000 {
        let len = (next() % 120) as usize;
        let s: String = (0..len)
            .map(|_| POOL[(next() % POOL.len() as u64) as usize])
            .collect();
        let h = encode_header(&s);
        assert!(h.is_ascii(), "{s:?}");
        if h == s {
            assert!(!s.bytes().any(|b| b.is_ascii_control()), "{s:?}");
            continue;
        }
        for word in h.split("\r\n ") {
            assert!(word.len() <= 75 && !word.contains(['\r', '\n']), "{s:?}");
        }
        assert_eq!(decode_header(&h), s);
    }
}
