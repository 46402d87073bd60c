//! Payer names as a careful person compares them.
//!
//! A bank's remitter name is half-width kana from the Zengin character set: no small kana (ショウジ
//! arrives as ｼﾖｳｼﾞ), the long vowel as `ｰ` or `-`, the legal form abbreviated (`ｶ)` for 株式会社 before
//! the name, `(ｶ` after it, `(ｶ)` in the middle), spaces wherever the payer typed them, and the whole cut
//! at 48 half-width characters. [`normalize`] maps every such variant of one name to one string:
//!
//! 1. NFKC: half-width kana to full width with voiced marks composed (ｶﾞ → ガ), full-width Latin and
//!    digits to ASCII;
//! 2. small kana to large (ャ → ヤ), and the kana banks cannot send to the ones they send instead
//!    (ヲ → オ, ヰ → イ, ヱ → エ, ヂ → ジ, ヅ → ズ, ヴ → ブ); hiragana to katakana;
//! 3. every long-vowel or dash form (ー, ｰ, －, ‐, −, ―) to `-`;
//! 4. legal forms removed in any position: the abbreviations `カ)`, `(カ`, `(カ)` and their kin for
//!    有限 (ユ), 合同 (ド), 合名 (メ), 合資 (シ), 医療法人 (イ), 財団 (ザイ), 社団 (シヤ), 一般社団 (シヤ),
//!    学校法人 (ガク), 社会福祉法人 (フク), 特定非営利 (トクヒ), 宗教 (シユウ), 相互 (ソ) and a few more, and the
//!    spelled-out forms (カブシキガイシヤ, ...). `X)` counts where a word starts, `(X` only at the end;
//! 5. spaces of every width, `.`, `,` and `・` removed; Latin letters upper case.
//!
//! The result is for comparing, never for showing: the file's own text is kept beside it.

use unicode_normalization::UnicodeNormalization;

/// The legal-form marks a remitter name may carry, as they read after steps 1 to 3. Longest first so
/// that `ザイ` is not read as `イ` with a leftover `ザ`.
/// From the 全銀協 abbreviation table (法人略語) as banks apply it to remitter names.
const FORMS: [&str; 19] = [
    "トクヒ",
    "シユウ",
    "シヤ",
    "ザイ",
    "ガク",
    "フク",
    "ドク",
    "ベン",
    "ゼイ",
    "ノウ",
    "ホゴ",
    "カ",
    "ユ",
    "ド",
    "メ",
    "シ",
    "イ",
    "ソ",
    "ダイ",
];

/// Legal forms spelled out (after steps 1 to 3).
const SPELLED: [&str; 8] = [
    "カブシキガイシヤ",
    "カブシキカイシヤ",
    "ユウゲンガイシヤ",
    "ユウゲンカイシヤ",
    "ゴウドウガイシヤ",
    "ゴウドウカイシヤ",
    "イリヨウホウジン",
    "イツパンシヤダンホウジン",
];

/// One character after NFKC, as banks write it.
fn fold(c: char) -> Option<char> {
    Some(match c {
        // hiragana to katakana (a payer name typed in hiragana reads the same)
        'ぁ'..='ゖ' => return fold(char::from_u32(c as u32 + 0x60).unwrap_or(c)),
        'ァ' => 'ア',
        'ィ' => 'イ',
        'ゥ' => 'ウ',
        'ェ' => 'エ',
        'ォ' => 'オ',
        'ッ' => 'ツ',
        'ャ' => 'ヤ',
        'ュ' => 'ユ',
        'ョ' => 'ヨ',
        'ヮ' => 'ワ',
        'ヵ' => 'カ',
        'ヶ' => 'ケ',
        'ヲ' => 'オ',
        'ヰ' => 'イ',
        'ヱ' => 'エ',
        'ヂ' => 'ジ',
        'ヅ' => 'ズ',
        'ヴ' => 'ブ',
        'ー' | '－' | '‐' | '−' | '―' | '‑' | '–' | '—' => '-',
        '（' => '(',
        '）' => ')',
        // Spaces mark where words start until the legal forms are gone, then are dropped.
        ' ' | '\u{3000}' => ' ',
        '.' | ',' | '・' | '、' | '。' => return None,
        c if c.is_ascii_lowercase() => c.to_ascii_uppercase(),
        c => c,
    })
}

/// The comparable form of a payer or buyer name (see the module documentation).
pub fn normalize(name: &str) -> String {
    // A space a system put between a half-width kana and its voiced mark (ﾃ ﾞ) would keep them apart.
    let joined = rejoin_voiced_marks(name);
    let folded: String = joined.nfkc().filter_map(fold).collect();
    strip_forms(&folded).replace(' ', "")
}

fn rejoin_voiced_marks(name: &str) -> std::borrow::Cow<'_, str> {
    if !name.contains(['\u{FF9E}', '\u{FF9F}']) {
        return std::borrow::Cow::Borrowed(name);
    }
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len());
    for (i, c) in chars.iter().enumerate() {
        let before_mark = chars[i + 1..]
            .iter()
            .find(|n| !n.is_whitespace())
            .is_some_and(|n| matches!(n, '\u{FF9E}' | '\u{FF9F}'));
        if c.is_whitespace() && before_mark {
            continue;
        }
        out.push(*c);
    }
    std::borrow::Cow::Owned(out)
}

/// Remove the legal-form marks: `(X)` anywhere, `X)` where a word starts (the beginning, or after
/// anything but kana: a payer code, a space, a parenthesis), `(X` at the end of the name or before a
/// space (where banks put a form that follows the name; "(シテン)" inside a name is kept), for every X
/// in [`FORMS`]; and the spelled-out forms. One pass over the characters.
fn strip_forms(s: &str) -> String {
    let mut out = s.to_string();
    if out.contains("シヤ") || out.contains("ホウジン") {
        for spelled in SPELLED {
            out = out.replace(spelled, "");
        }
    }
    if !out.contains(['(', ')']) {
        return out;
    }
    let chars: Vec<char> = out.chars().collect();
    let mut result = String::with_capacity(out.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '('
            && let Some(len) = form_at(&chars[i + 1..])
        {
            let after = i + 1 + len;
            match chars.get(after) {
                Some(')') => {
                    i = after + 1;
                    continue;
                }
                None | Some(' ') => {
                    i = after;
                    continue;
                }
                _ => {}
            }
        }
        let word_start = i == 0 || !is_kana(chars[i - 1]);
        if word_start
            && let Some(len) = form_at(&chars[i..])
            && chars.get(i + len) == Some(&')')
        {
            i += len + 1;
            continue;
        }
        result.push(chars[i]);
        i += 1;
    }
    result
}

/// The length of the legal form `chars` starts with (longest first), if any.
fn form_at(chars: &[char]) -> Option<usize> {
    FORMS.iter().find_map(|f| {
        let n = f.chars().count();
        (chars.len() >= n && f.chars().zip(chars).all(|(a, b)| a == *b)).then_some(n)
    })
}

fn is_kana(c: char) -> bool {
    ('\u{30A0}'..='\u{30FF}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn variants_of_one_name_read_the_same() {
        let want = "ヤマダシヨウジ";
        for v in [
            "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ",
            "ｶ) ﾔﾏﾀﾞ ｼﾖｳｼﾞ",
            "ﾔﾏﾀﾞｼﾖｳｼﾞ(ｶ",
            "ﾔﾏﾀﾞｼｮｳｼﾞ(ｶ)",
            "(ｶ)ﾔﾏﾀﾞｼｮｳｼﾞ",
            "カ）ヤマダショウジ",
            "カブシキガイシャ ヤマダショウジ",
            "ヤマダショウジ　カブシキガイシャ",
            "やまだしょうじ",
        ] {
            assert_eq!(normalize(v), want, "{v}");
        }
    }

    #[test]
    fn long_vowels_and_forms_of_other_kinds() {
        assert_eq!(normalize("ｻｰﾋﾞｽ ﾕ)"), "サ-ビス");
        assert_eq!(normalize("ｻ-ﾋﾞｽ"), "サ-ビス");
        assert_eq!(normalize("ｻｰﾋﾞｽ(ﾕ"), "サ-ビス");
        assert_eq!(normalize("ｲ)ｹﾝｺｳｶｲ"), "ケンコウカイ");
        assert_eq!(normalize("ｻﾞｲ)ﾐﾗｲｷｷﾝ"), "ミライキキン");
        assert_eq!(normalize("ﾐﾗｲｷｷﾝ(ｻﾞｲ"), "ミライキキン");
        assert_eq!(normalize("ﾄﾞ)ｱｵｿﾞﾗ"), "アオゾラ");
        assert_eq!(normalize("acme gmbh"), "ACMEGMBH");
    }

    #[test]
    fn a_kana_before_a_parenthesis_inside_a_name_is_kept() {
        // "ﾐｶ)" is not a legal form: the ｶ belongs to ミカ.
        assert_eq!(normalize("ﾐｶ)ｼﾃﾝ"), "ミカ)シテン");
    }

    #[test]
    fn an_opening_form_inside_a_name_is_kept() {
        assert_eq!(normalize("ﾔﾏﾀﾞ(ｼﾃﾝ)"), "ヤマダ(シテン)");
    }

    #[test]
    fn a_voiced_mark_cut_from_its_kana_joins_it_again() {
        assert_eq!(normalize("ｶ) ﾃﾐﾃ ﾞﾝｷ"), "テミデンキ");
    }

    #[test]
    fn payer_code_before_the_name_stays() {
        assert_eq!(normalize("1234567 ｶ)ﾔﾏﾀﾞ"), "1234567ヤマダ");
    }
}
