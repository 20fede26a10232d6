//! Personal names: NFKC, transliteration of any script to Latin, case and diacritics
//! folded, honorifics dropped, and tokens sorted so that given/family order and swapped
//! columns do not matter.

use crate::script::romanize_word;
use crate::text::{fold, is_cjk};

/// Titles and honorifics that are not part of a person's name.
const HONORIFICS: &[&str] = &[
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "herr", "frau", "mme", "mlle",
    "monsieur", "madame", "sr", "sra", "srta", "dona", "sig", "sigra", "pan", "pani", "dipl",
    "ing", "phd", "md", "jr", "sr", "ii", "iii",
];

/// Name particles, kept out of the key so that "Jan van den Berg" and "Jan Berg" (or
/// "García y López" and "García López") agree; the raw-form tag still tells them apart.
const PARTICLES: &[&str] = &[
    "van", "von", "der", "den", "de", "da", "di", "du", "la", "le", "del", "della", "dos", "das",
    "do", "ten", "ter", "zu", "y", "e", "bin", "ibn", "binti", "al", "el",
];

/// Spelling variation that transliteration and habit put into the same name: `y` and `i`
/// (Dmitry/Dmitrii, Yulia/Iuliia), doubled vowels (Raahul, Saara), and umlauts written out
/// (Müller/Mueller/Muller, Jürgen/Juergen, Schäfer/Schaefer: an `e` after a, o or u goes
/// unless it ends the word),
/// so a name written in its own script and the same name typed in Latin letters agree. A
/// few distinct names meet (Michael/Michal): a whole-record match needs the other fields too.
fn settle(token: &str) -> String {
    let mut out = String::with_capacity(token.len());
    let mut chars = token.chars().peekable();
    while let Some(c) = chars.next() {
        let c = if c == 'y' { 'i' } else { c };
        if "aeiou".contains(c) && out.ends_with(c) {
            continue;
        }
        // An umlaut written out is never word-final (Zoe keeps its e).
        if c == 'e'
            && chars.peek().is_some()
            && (out.ends_with('a') || out.ends_with('o') || out.ends_with('u'))
        {
            continue;
        }
        out.push(c);
    }
    out
}

/// Tokens of one name part (a first name, a last name or a whole name). A part written in
/// a script without spaces (Han, kana, Hangul) becomes one token per space-separated run,
/// because transliteration inserts spaces between syllables that the name never had.
/// A whole name in such a script without any space splits its first character off as the
/// family name, as Chinese and Korean names are written. `family` says the part is a family
/// name (Korean family names then take their customary spelling).
pub fn tokens(part: &str, whole_name: bool) -> Vec<String> {
    tokens_of(part, whole_name, false)
}

fn tokens_of(part: &str, whole_name: bool, family: bool) -> Vec<String> {
    let mut raw_tokens = Vec::new();
    let runs: Vec<&str> = part.split_whitespace().collect();
    // Han and Hangul names without a space split after the one-character family name;
    // kana names have no such rule and stay one token.
    let han_or_hangul = |c: char| is_cjk(c) && !matches!(c as u32, 0x3040..=0x30FF);
    if whole_name
        && runs.len() == 1
        && runs[0].chars().all(han_or_hangul)
        && runs[0].chars().count() >= 2
    {
        let first_len = runs[0].chars().next().map_or(0, char::len_utf8);
        let (family_name, given) = runs[0].split_at(first_len);
        push_run(&romanize_word(family_name, true), &mut raw_tokens);
        push_run(&romanize_word(given, false), &mut raw_tokens);
    } else {
        for (i, run) in runs.iter().enumerate() {
            // In a whole name written in Hangul, the first word is the family name.
            let is_family = family || (whole_name && i == 0 && run.chars().any(is_cjk));
            let romanized = romanize_word(run, is_family);
            if run.chars().any(is_cjk) {
                push_run(&romanized, &mut raw_tokens);
            } else {
                raw_tokens.extend(
                    fold(&romanized)
                        .split(' ')
                        .filter(|t| !t.is_empty())
                        .map(str::to_owned),
                );
            }
        }
    }
    // Settle spelling first, so that the filters below see what a second pass would see
    // (normalizing twice changes nothing).
    raw_tokens
        .iter()
        .map(|t| settle(t))
        .filter(|t| !settled(HONORIFICS, &HONORIFICS_SETTLED).contains(t))
        .collect()
}

static HONORIFICS_SETTLED: std::sync::OnceLock<std::collections::HashSet<String>> =
    std::sync::OnceLock::new();
static PARTICLES_SETTLED: std::sync::OnceLock<std::collections::HashSet<String>> =
    std::sync::OnceLock::new();

/// A word list in settled spelling, computed once.
fn settled<'a>(
    list: &[&str],
    cell: &'a std::sync::OnceLock<std::collections::HashSet<String>>,
) -> &'a std::collections::HashSet<String> {
    cell.get_or_init(|| list.iter().map(|w| settle(w)).collect())
}

/// Drops particles from a whole name's tokens, unless nothing else would remain.
fn without_particles(tokens: Vec<String>) -> Vec<String> {
    let kept: Vec<String> = tokens
        .iter()
        .filter(|t| !settled(PARTICLES, &PARTICLES_SETTLED).contains(*t))
        .cloned()
        .collect();
    if kept.is_empty() {
        tokens
    } else {
        kept
    }
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
        toks.extend(tokens_of(f, true, false));
    }
    if toks.is_empty() {
        if let Some(f) = first {
            toks.extend(tokens_of(f, false, false));
        }
        if let Some(l) = last {
            toks.extend(tokens_of(l, false, true));
        }
    }
    if toks.is_empty() {
        return None;
    }
    let mut toks = without_particles(toks);
    toks.sort_unstable();
    Some(toks.join(" "))
}

/// The name in its own script, when it is written in a non-Latin script: NFKC, lower case,
/// letters only, words sorted (a run without spaces stays one word). `None` for Latin names.
pub fn native_key(first: Option<&str>, last: Option<&str>, full: Option<&str>) -> Option<String> {
    use unicode_normalization::UnicodeNormalization;
    let parts: Vec<&str> = match full {
        Some(f) if !f.trim().is_empty() => vec![f],
        _ => [first, last].into_iter().flatten().collect(),
    };
    // NFKC of ASCII is ASCII, which is Latin: the commonest case needs no work.
    if parts.iter().all(|p| p.is_ascii()) {
        return None;
    }
    let text: String = parts.join(" ").nfkc().collect::<String>().to_lowercase();
    if !text
        .chars()
        .any(|c| c.is_alphabetic() && !c.is_ascii() && !is_latin_letter(c))
    {
        return None;
    }
    let mut words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    words.sort_unstable();
    Some(words.join(" "))
}

/// Latin letters with diacritics (À..ɏ and Latin Extended Additional).
fn is_latin_letter(c: char) -> bool {
    matches!(c as u32, 0x00C0..=0x024F | 0x1E00..=0x1EFF)
}

/// A phonetic key for fuzzy blocking: per token the first letter and the consonant
/// skeleton with similar sounds merged (c/k/q, s/z, f/v/w/ph, d/t, b/p, m/n) and repeats
/// collapsed; tokens sorted. "Mohamed" and "محمد" (mhmd), "Meyer" and "Maier" agree.
pub fn phonetic_key(canonical_name: &str) -> String {
    // One buffer for every token's key, then the keys sorted by range: a name's key is
    // computed for every record indexed and probed, so it allocates twice, not per token.
    let mut buf = String::with_capacity(canonical_name.len());
    let mut ranges: Vec<(usize, usize)> = Vec::with_capacity(4);
    for t in canonical_name.split(' ').filter(|t| !t.is_empty()) {
        let start = buf.len();
        let b = t.as_bytes();
        let (mut j, mut i, mut last) = (0usize, 0usize, None::<char>);
        while j < b.len() {
            // Digraphs first, longest first: sch → s, ph → f, ck → k, sh → s, ch → k.
            let (c, step) = match (b[j], b.get(j + 1), b.get(j + 2)) {
                (b's', Some(b'c'), Some(b'h')) => ('s', 3),
                (b'p', Some(b'h'), _) => ('f', 2),
                (b'c', Some(b'k'), _) => ('k', 2),
                (b's', Some(b'h'), _) => ('s', 2),
                (b'c', Some(b'h'), _) => ('k', 2),
                _ => {
                    let c = t[j..].chars().next().unwrap_or(' ');
                    (c, c.len_utf8())
                }
            };
            j += step;
            let m = match c {
                'a' | 'e' | 'i' | 'o' | 'u' | 'y' | 'h' | 'w' if i > 0 => None,
                'a' | 'e' | 'i' | 'o' | 'u' | 'y' => Some('a'),
                'c' | 'k' | 'q' | 'g' => Some('k'),
                's' | 'z' | 'x' => Some('s'),
                'f' | 'v' | 'w' => Some('f'),
                'd' | 't' => Some('t'),
                'b' | 'p' => Some('p'),
                'm' | 'n' => Some('n'),
                c if c.is_ascii_alphanumeric() => Some(c),
                _ => None,
            };
            i += 1;
            if let Some(m) = m {
                if last != Some(m) {
                    buf.push(m);
                }
                last = Some(m);
            }
        }
        if buf.len() > start {
            ranges.push((start, buf.len()));
        }
    }
    ranges.sort_unstable_by(|x, y| buf[x.0..x.1].cmp(&buf[y.0..y.1]));
    let mut out = String::with_capacity(buf.len() + ranges.len());
    for (k, (a, b)) in ranges.iter().enumerate() {
        if k > 0 {
            out.push(' ');
        }
        out.push_str(&buf[*a..*b]);
    }
    out
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
        assert_eq!(
            canonical(None, None, Some("Jan van den Berg")),
            canonical(Some("Jan"), Some("Berg"), None)
        );
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
