//! The bundled font covers what Japanese business documents print: every JIS X 0208 character (the
//! 6,879 of the 94×94 table), half-width kana, and the symbols the layouts use.

use seikyu_documents::pdf::font_has_glyph;

/// Every character of JIS X 0208, decoded from its EUC-JP code: rows 1-8 (symbols, kana, Greek,
/// Cyrillic, box drawing) and 16-84 (kanji levels 1 and 2); unassigned cells skipped. Rows 9-15 and
/// 85-94 hold vendor extensions (NEC, IBM), not JIS X 0208.
fn jis_x_0208() -> Vec<char> {
    let mut chars = Vec::new();
    for hi in (0xA1u8..=0xA8).chain(0xB0..=0xF4) {
        for lo in 0xA1u8..=0xFE {
            let code = [hi, lo];
            let (s, _, bad) = encoding_rs::EUC_JP.decode(&code);
            if bad {
                continue;
            }
            let mut it = s.chars();
            if let (Some(c), None) = (it.next(), it.next())
                && c != '\u{FFFD}'
            {
                chars.push(c);
            }
        }
    }
    chars
}

#[test]
fn every_jis_x_0208_character_has_a_glyph() {
    let all = jis_x_0208();
    assert_eq!(all.len(), 6_879, "JIS X 0208 has 6,879 graphic characters");
    let missing: Vec<char> = all.into_iter().filter(|c| !font_has_glyph(*c)).collect();
    assert!(missing.is_empty(), "{} missing: {missing:?}", missing.len());
}

#[test]
fn ascii_half_width_kana_and_the_symbols_have_glyphs() {
    let half_width = ('\u{FF61}'..='\u{FF9F}').collect::<Vec<_>>();
    assert_eq!(half_width.len(), 63);
    let ascii = (' '..='~').collect::<Vec<_>>();
    for c in half_width
        .into_iter()
        .chain(ascii)
        .chain(['¥', '※', '〒', '〓', '〜', '№', '－', '–', '€'])
    {
        assert!(font_has_glyph(c), "{c:?} (U+{:04X})", c as u32);
    }
}

#[test]
fn what_cannot_be_printed_becomes_geta_and_invisible_marks_go() {
    use seikyu_documents::pdf::printable;
    assert_eq!(printable("株式会社𠮷野家 🍣"), "株式会社〓野家 〓");
    assert_eq!(printable("a\u{200D}b\u{FE0F}c\u{FEFF}d\u{202E}e"), "abcde");
    assert_eq!(printable("行1\n行2\t¥1,234"), "行1 行2 ¥1,234");
    assert_eq!(printable("ｶ)ﾔﾏﾀﾞ -1,000.50 10%"), "ｶ)ﾔﾏﾀﾞ -1,000.50 10%");
}
