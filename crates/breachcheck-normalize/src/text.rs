//! Folding shared by names, cities and addresses, and the ASCII forms that phone numbers,
//! e-mail addresses, postal codes and dates are read in where they read as nothing as written.
use unicode_normalization::UnicodeNormalization;

/// NFKC, transliteration of any script to Latin (`deunicode`, which also drops
/// diacritics), lower case, and every run of non-alphanumeric characters to one space.
pub(crate) fn fold(s: &str) -> String {
    // ASCII text is its own NFKC form and its own transliteration: most names, streets
    // and cities in most samples are ASCII, and they skip both steps and their two
    // allocations.
    if s.is_ascii() {
        return fold_latin(s);
    }
    let nfkc: String = s.nfkc().collect();
    fold_latin(&deunicode::deunicode(&nfkc))
}

/// `s` with every decimal digit of another script (full-width `０`–`９`, Arabic-Indic
/// `٠`–`٩`, Devanagari, …) written as its ASCII digit, full-width punctuation and letters
/// (`＋`, `－`, `＠`, `ａ`…) and the ideographic space as their ASCII forms, the dashes
/// phone numbers and dates are written with (`‐`–`―`, `−`, and the katakana `ー`) as `-`,
/// other characters as they are.
///
/// Why: a Japanese or Chinese export writes phone numbers, postal codes and dates in
/// full-width forms, an Arabic one in Arabic-Indic digits; the same person's values must
/// read the same whichever a seller's copy uses. Names, streets and cities have `fold`
/// (NFKC and transliteration); the fields whose canonical form is ASCII read these forms
/// through `or_ascii_forms`, only where the text as written reads as nothing. The digit
/// values are the phone library's table of Unicode's decimal digits. The self-check's
/// browser client does the same (`web/selfcheck/src/ascii.js`): change both.
pub fn ascii_forms(s: &str) -> std::borrow::Cow<'_, str> {
    if s.is_ascii() {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| match c {
                _ if c.is_ascii() => c,
                '\u{3000}' => ' ',
                // Full-width forms of ASCII's printable characters.
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{30FC}' | '\u{FF70}' => '-',
                _ => crate::phone::digit_value(c).unwrap_or(c),
            })
            .collect(),
    )
}

/// `read(raw)`; where that reads nothing and `raw` is not ASCII, `read` of its
/// [`ascii_forms`].
///
/// Why only then: a value that read as something under these rules must keep its tag, or
/// an index built before would silently stop matching it (what `RULES_VERSION` guards).
/// Values that read as nothing had no tag, so reading them now changes no tag of an
/// existing index. Identifiers keep their characters for the same reason: written in
/// full-width digits, they already had a tag.
pub(crate) fn or_ascii_forms<T>(raw: &str, read: impl Fn(&str) -> Option<T>) -> Option<T> {
    read(raw).or_else(|| {
        // No phone number, e-mail address, postal code or date is longer (254 bytes of
        // ASCII at most, three bytes a character in full-width forms).
        if raw.is_ascii() || raw.len() > MAX_ASCII_FORMS_INPUT {
            None
        } else {
            read(&ascii_forms(raw))
        }
    })
}

/// Longest text [`or_ascii_forms`] reads again.
const MAX_ASCII_FORMS_INPUT: usize = 1024;

/// [`fold`]'s last step, on text already in Latin letters.
fn fold_latin(latin: &str) -> String {
    let mut out = String::with_capacity(latin.len());
    let mut pending_space = false;
    for c in latin.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c.to_ascii_lowercase());
        } else if c == '\'' || c == '`' {
            // O'Brien and OBrien are the same name.
        } else {
            pending_space = true;
        }
    }
    out
}

/// Whether the text holds characters of a script written without spaces between
/// syllables (Han, kana, Hangul), whose transliteration must not be split into tokens.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF
        | 0xAC00..=0xD7AF | 0x1100..=0x11FF | 0x3130..=0x318F | 0x20000..=0x2FA1F)
}

/// `s` with its ASCII digits written in the script whose zero is `zero` (`0xFF10`
/// full-width, `0x0660` Arabic-Indic…): the forms tests read back through [`ascii_forms`].
#[cfg(test)]
pub(crate) fn in_digits_of(s: &str, zero: u32) -> String {
    s.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_u32(zero + d).unwrap_or(c),
            None => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_forms_are_read_again_only_where_the_text_reads_nothing_and_is_short() {
        let read = |s: &str| s.bytes().all(|b| b == b'7').then_some(s.len());
        assert_eq!(or_ascii_forms("777", read), Some(3));
        assert_eq!(or_ascii_forms("７７７", read), Some(3));
        assert_eq!(or_ascii_forms("abc", read), None);
        let long = in_digits_of(&"7".repeat(400), 0xFF10);
        assert!(long.len() > MAX_ASCII_FORMS_INPUT);
        assert_eq!(or_ascii_forms(&long, read), None);
        assert_eq!(or_ascii_forms(&long[..300], read), Some(100));
    }

    proptest::proptest! {
        /// The ASCII shortcut gives what NFKC and transliteration would have given.
        #[test]
        fn ascii_shortcut_is_the_general_path(s in "[ -~\t]{0,40}") {
            let general = fold_latin(&deunicode::deunicode(&s.nfkc().collect::<String>()));
            proptest::prop_assert_eq!(fold(&s), general);
        }
    }

    #[test]
    fn folds_case_diacritics_and_scripts() {
        assert_eq!(fold("  Ángel  GARCÍA-López "), "angel garcia lopez");
        assert_eq!(fold("O'Brien"), "obrien");
        assert_eq!(fold("Иван"), "ivan");
        assert_eq!(fold("ｆｕｌｌｗｉｄｔｈ"), "fullwidth");
    }
}
