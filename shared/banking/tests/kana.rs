//! The normaliser's properties over random katakana names.

use proptest::prelude::*;
use seikyu_banking::kana::normalize;

const KATAKANA: &str = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワンガギグゲゴザジズゼゾダデドバビブベボパピプペポァィゥェォッャュョー";

fn to_half_width(s: &str) -> String {
    // The half-width forms banks send, from the full-width ones (voiced marks as separate characters).
    let table: [(&str, &str); 3] = [("ガ", "ｶﾞ"), ("パ", "ﾊﾟ"), ("ー", "ｰ")];
    let mut out = String::new();
    for c in s.chars() {
        let full = c.to_string();
        if let Some((_, h)) = table.iter().find(|(f, _)| *f == full) {
            out.push_str(h);
            continue;
        }
        let half = match c {
            'ア'..='ン' | 'ァ'..='ョ' => halfwidth(c),
            _ => None,
        };
        out.push_str(&half.unwrap_or(full));
    }
    out
}

/// JIS X 0201 half-width katakana for a full-width one, via Shift_JIS round trip of the voiceless form.
fn halfwidth(c: char) -> Option<String> {
    const FULL: &str = "ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン";
    let i = FULL.chars().position(|f| f == c)?;
    char::from_u32(0xFF66 + u32::try_from(i).ok()?).map(String::from)
}

fn name() -> impl Strategy<Value = String> {
    let chars: Vec<char> = KATAKANA.chars().collect();
    prop::collection::vec(prop::sample::select(chars), 1..20).prop_map(|v| v.into_iter().collect())
}

proptest! {
    #[test]
    fn normalising_twice_changes_nothing(n in name()) {
        let once = normalize(&n);
        prop_assert_eq!(normalize(&once), once);
    }

    #[test]
    fn spaces_half_width_and_legal_forms_do_not_matter(n in name(), cut in 0usize..20) {
        let base = normalize(&n);
        let chars: Vec<char> = n.chars().collect();
        let at = cut.min(chars.len());
        let spaced: String = chars[..at].iter().chain([' '].iter()).chain(chars[at..].iter()).collect();
        prop_assert_eq!(normalize(&spaced), base.clone());
        prop_assert_eq!(normalize(&to_half_width(&n)), base.clone());
        prop_assert_eq!(normalize(&format!("ｶ){}", to_half_width(&n))), base.clone());
        prop_assert_eq!(normalize(&format!("{}(ｶ", n)), base.clone());
        prop_assert_eq!(normalize(&format!("カブシキガイシャ {n}")), base);
    }

    #[test]
    fn the_result_has_no_small_kana_spaces_or_half_width_forms(n in name()) {
        let out = normalize(&to_half_width(&n));
        prop_assert!(!out.chars().any(|c| "ァィゥェォッャュョ ー".contains(c) || ('\u{FF61}'..='\u{FF9F}').contains(&c)), "{}", out);
    }
}
