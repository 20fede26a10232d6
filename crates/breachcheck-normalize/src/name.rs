//! Personal names: NFKC, transliteration of any script to Latin, case and diacritics
//! folded, honorifics dropped, and tokens sorted so that given/family order and swapped
//! columns do not matter.

use crate::text::{fold, is_cjk};

/// Titles and honorifics that are not part of a person's name.
const HONORIFICS: &[&str] = &[
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "herr", "frau", "mme", "mlle",
    "monsieur", "madame", "sr", "sra", "srta", "dona", "sig", "sigra", "pan", "pani", "dipl",
    "ing", "phd", "md", "jr", "sr", "ii", "iii",
];

/// Tokens of one name part (a first name, a last name or a whole name). A part written in
/// a script without spaces (Han, kana, Hangul) becomes one token per space-separated run,
/// because transliteration inserts spaces between syllables that the name never had.
/// A whole name in such a script without any space splits its first character off as the
/// family name, as Chinese and Korean names are written.
pub fn tokens(part: &str, whole_name: bool) -> Vec<String> {
    let mut out = Vec::new();
    let runs: Vec<&str> = part.split_whitespace().collect();
    if whole_name && runs.len() == 1 && runs[0].chars().all(is_cjk) && runs[0].chars().count() >= 2
    {
        let first_len = runs[0].chars().next().map_or(0, char::len_utf8);
        let (family, given) = runs[0].split_at(first_len);
        push_run(family, &mut out);
        push_run(given, &mut out);
        return out;
    }
    for run in runs {
        if run.chars().any(is_cjk) {
            push_run(run, &mut out);
        } else {
            for t in fold(run).split(' ') {
                if !t.is_empty() && !HONORIFICS.contains(&t) {
                    out.push(t.to_owned());
                }
            }
        }
    }
    out
}

fn push_run(run: &str, out: &mut Vec<String>) {
    let joined: String = fold(run).split(' ').collect();
    if !joined.is_empty() {
        out.push(joined);
    }
}

/// Canonical name key from name parts (any of first, last, full): all tokens, sorted,
/// space-joined. `None` when nothing name-like remains.
pub fn canonical(first: Option<&str>, last: Option<&str>, full: Option<&str>) -> Option<String> {
    let mut toks = Vec::new();
    if let Some(f) = full {
        toks.extend(tokens(f, true));
    }
    if toks.is_empty() {
        for p in [first, last].into_iter().flatten() {
            toks.extend(tokens(p, false));
        }
    }
    if toks.is_empty() {
        return None;
    }
    toks.sort_unstable();
    Some(toks.join(" "))
}

/// The country a name's script points to, for scripts used mainly by one country's
/// numbering plan: Cyrillic → RU, Greek → GR, Hangul → KR, kana → JP, Han → CN (JP when
/// kana appear too), Hebrew → IL, Devanagari → IN, Thai → TH, Georgian → GE, Armenian → AM.
/// Latin and Arabic are shared by too many countries to say.
pub fn script_region(name: &str) -> Option<&'static str> {
    let mut han = false;
    for ch in name.chars() {
        let region = match ch as u32 {
            0x0400..=0x04FF => "RU",
            0x0370..=0x03FF => "GR",
            0xAC00..=0xD7AF | 0x1100..=0x11FF | 0x3130..=0x318F => "KR",
            0x3040..=0x30FF => "JP",
            0x0590..=0x05FF => "IL",
            0x0900..=0x097F => "IN",
            0x0E00..=0x0E7F => "TH",
            0x10A0..=0x10FF => "GE",
            0x0530..=0x058F => "AM",
            0x4E00..=0x9FFF | 0x3400..=0x4DBF => {
                han = true;
                continue;
            }
            _ => continue,
        };
        return Some(region);
    }
    han.then_some("CN")
}

/// Whether a value looks like a name part, for role inference: letters of any script with
/// spaces, hyphens, apostrophes and dots; no digits; at most five words.
pub fn looks_like(raw: &str) -> bool {
    let s = raw.trim();
    !s.is_empty()
        && s.chars().count() <= 60
        && s.chars().any(char::is_alphabetic)
        && s.chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '.' | '’'))
        && s.split_whitespace().count() <= 5
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn order_case_diacritics_and_titles() {
        let a = canonical(Some("José"), Some("García López"), None);
        let b = canonical(None, None, Some("GARCIA LOPEZ, Jose"));
        let c = canonical(None, None, Some("Dr. José García-López"));
        assert_eq!(a.as_deref(), Some("garcia jose lopez"));
        assert_eq!(a, b);
        assert_eq!(a, c);
    }

    #[test]
    fn scripts() {
        assert_eq!(
            canonical(None, None, Some("Иван Петров")).as_deref(),
            Some("ivan petrov")
        );
        assert_eq!(
            canonical(Some("Ivan"), Some("Petrov"), None),
            canonical(None, None, Some("Петров Иван"))
        );
        // Han without spaces: family name is the first character, the given name stays one token.
        assert_eq!(
            canonical(None, None, Some("王小明")).as_deref(),
            Some("wang xiaoming")
        );
        assert_eq!(
            canonical(Some("小明"), Some("王"), None).as_deref(),
            Some("wang xiaoming")
        );
        assert_eq!(
            canonical(None, None, Some("김민준")),
            canonical(Some("민준"), Some("김"), None)
        );
    }

    #[test]
    fn script_regions() {
        assert_eq!(script_region("Иван"), Some("RU"));
        assert_eq!(script_region("佐藤 さくら"), Some("JP"));
        assert_eq!(script_region("王小明"), Some("CN"));
        assert_eq!(script_region("김민준"), Some("KR"));
        assert_eq!(script_region("Jürgen"), None);
    }

    #[test]
    fn empty_is_none() {
        assert_eq!(canonical(Some("  "), None, None), None);
        assert_eq!(canonical(None, None, Some("Dr.")), None);
    }

    proptest! {
        #[test]
        fn idempotent(s in "\\PC{0,30}") {
            if let Some(c) = canonical(None, None, Some(&s)) {
                prop_assert_eq!(canonical(None, None, Some(&c)), Some(c));
            }
        }
    }
}
