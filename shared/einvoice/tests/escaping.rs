//! Any Unicode text a client may send (Japanese, emoji, markup characters, CR/LF/tab) survives
//! render -> XML parser -> read unchanged.

use proptest::prelude::*;
use seikyu_domain::parse::invoice_from_json;
use seikyu_domain::{InvoiceInput, compute};
use seikyu_einvoice::{read, render};

fn base() -> InvoiceInput {
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/valid/jp-unicode-and-markup.json"
    );
    invoice_from_json(&std::fs::read(fixture).expect("fixture")).expect("parses")
}

fn roundtrip(text: &str) {
    let mut inv = base();
    inv.note = Some(text.to_string());
    inv.buyer.name = text.to_string();
    inv.lines[0].name = text.to_string();
    inv.lines[0].description = Some(text.to_string());
    inv.seller.contact.as_mut().expect("contact").name = Some(text.to_string());
    let totals = compute(&inv).expect("computes");
    let xml = render(&inv, &totals, Vec::new()).expect("renders");
    let xml = String::from_utf8(xml).expect("utf-8");
    let doc = read(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    assert_eq!(doc.invoice.note.as_deref(), Some(text));
    assert_eq!(doc.invoice.buyer.name, text);
    assert_eq!(doc.invoice.lines[0].name, text);
    assert_eq!(doc.invoice.lines[0].description.as_deref(), Some(text));
    assert_eq!(doc.invoice, inv.ubl_view());
}

#[test]
fn markup_characters_and_emoji() {
    for s in [
        "<&>\"'",
        "&amp; is not decoded twice &lt;",
        "]]> CDATA end",
        "請求書 🧾 👨‍👩‍👧 𠮷",
        "line1\r\nline2\rline3\n\ttabbed",
        "  leading and trailing  ",
        "\u{7f}\u{85}\u{2028}\u{FEFF}",
    ] {
        roundtrip(s);
    }
}

fn xml_char() -> impl Strategy<Value = char> {
    any::<char>().prop_filter("XML 1.0 Char", |&c| {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn any_xml_text_round_trips(s in prop::collection::vec(xml_char(), 1..60).prop_map(|v| v.into_iter().collect::<String>())) {
        roundtrip(&s);
    }
}
