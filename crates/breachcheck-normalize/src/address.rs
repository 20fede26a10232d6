//! Street addresses, postal codes and cities, table-driven (no libpostal build is possible
//! here). Street and house number fold into one key whose tokens are sorted, so "12 Main
//! Street", "Main St. 12" and street="Main St", house_number="12" agree.

use crate::text::fold;

/// Street-type words and their canonical abbreviation, across the languages of the
/// countries most represented in customer data.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("street", "st"),
    ("str", "st"),
    ("strasse", "st"),
    ("strase", "st"),
    ("st", "st"),
    ("avenue", "ave"),
    ("av", "ave"),
    ("ave", "ave"),
    ("avda", "ave"),
    ("avenida", "ave"),
    ("road", "rd"),
    ("rd", "rd"),
    ("boulevard", "blvd"),
    ("blvd", "blvd"),
    ("bd", "blvd"),
    ("drive", "dr"),
    ("dr", "dr"),
    ("lane", "ln"),
    ("ln", "ln"),
    ("place", "pl"),
    ("pl", "pl"),
    ("platz", "pl"),
    ("plaza", "pl"),
    ("piazza", "pl"),
    ("court", "ct"),
    ("ct", "ct"),
    ("square", "sq"),
    ("sq", "sq"),
    ("terrace", "ter"),
    ("highway", "hwy"),
    ("parkway", "pkwy"),
    ("circle", "cir"),
    ("gasse", "g"),
    ("weg", "weg"),
    ("allee", "allee"),
    ("calle", "c"),
    ("c", "c"),
    ("rua", "r"),
    ("rue", "r"),
    ("r", "r"),
    ("via", "via"),
    ("viale", "vle"),
    ("ulitsa", "ul"),
    ("ul", "ul"),
    ("ulica", "ul"),
    ("chemin", "ch"),
    ("north", "n"),
    ("south", "s"),
    ("east", "e"),
    ("west", "w"),
    // Dutch, Portuguese, Spanish, Italian, French, Polish, Turkish, Russian.
    ("straat", "st"),
    ("laan", "ln"),
    ("plein", "pl"),
    ("travessa", "tv"),
    ("praca", "pl"),
    ("alameda", "al"),
    ("estrada", "estr"),
    ("paseo", "po"),
    ("carrera", "cra"),
    ("colonia", "col"),
    ("corso", "cso"),
    ("largo", "lgo"),
    ("vicolo", "vlo"),
    ("impasse", "imp"),
    ("route", "rte"),
    ("aleja", "al"),
    ("al", "al"),
    ("osiedle", "os"),
    ("plac", "pl"),
    ("caddesi", "cd"),
    ("cad", "cd"),
    ("cd", "cd"),
    ("sokak", "sk"),
    ("sokagi", "sk"),
    ("sk", "sk"),
    ("mahallesi", "mh"),
    ("mah", "mh"),
    ("bulvari", "blvd"),
    ("prospekt", "pr"),
    ("pereulok", "per"),
    ("shosse", "sh"),
];

/// Words that introduce a unit (apartment, suite, floor): the word and the token after it
/// are left out of the key, so "Hauptstr. 5, Whg. 3" and "Hauptstr. 5" agree.
const UNIT_WORDS: &[&str] = &[
    "apt",
    "apartment",
    "unit",
    "suite",
    "ste",
    "flat",
    "fl",
    "floor",
    "wohnung",
    "whg",
    "etage",
    "og",
    "kv",
    "kvartira",
    "piso",
    "appartement",
    "app",
    "interior",
    "int",
    "depto",
    "dpto",
];

/// Words that only say "number" ("No. 5", "Nr. 5", "nº 5"): left out of the key.
const NUMBER_WORDS: &[&str] = &["no", "nr", "num", "numero", "n", "dom", "d"];

/// Compound suffixes written glued to the street name ("Hauptstraße", "Hauptstr.").
const GLUED_SUFFIXES: &[(&str, &str)] = &[
    ("strasse", "st"),
    ("strase", "st"),
    ("straat", "st"),
    ("str", "st"),
    ("gasse", "g"),
    ("platz", "pl"),
    ("plein", "pl"),
    ("weg", "weg"),
    ("allee", "allee"),
    ("laan", "ln"),
];

/// Canonical address key from a street (possibly with number), a separate house number,
/// or a whole address line. `None` when nothing remains.
pub fn canonical(street: Option<&str>, house_number: Option<&str>) -> Option<String> {
    let mut toks: Vec<String> = Vec::new();
    for part in [street, house_number].into_iter().flatten() {
        let folded = fold(part);
        let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
        let mut i = 0;
        while i < words.len() {
            let w = words[i];
            if UNIT_WORDS.contains(&w) {
                i += 2;
                continue;
            }
            if NUMBER_WORDS.contains(&w)
                && words
                    .get(i + 1)
                    .is_some_and(|n| n.starts_with(|c: char| c.is_ascii_digit()))
            {
                i += 1;
                continue;
            }
            // "12 a" → "12a": a house-number letter written apart.
            if w.bytes().all(|b| b.is_ascii_digit())
                && words
                    .get(i + 1)
                    .is_some_and(|n| n.len() == 1 && n.bytes().all(|b| b.is_ascii_alphabetic()))
                && !ABBREVIATIONS
                    .iter()
                    .any(|(k, _)| *k == words[i + 1] && words[i + 1].len() > 1)
            {
                toks.push(format!("{w}{}", words[i + 1]));
                i += 2;
                continue;
            }
            toks.push(word(w));
            i += 1;
        }
    }
    toks.retain(|t| !t.is_empty());
    if toks.is_empty() {
        return None;
    }
    toks.sort_unstable();
    Some(toks.join(" "))
}

fn word(w: &str) -> String {
    if let Some((_, abbr)) = ABBREVIATIONS.iter().find(|(k, _)| *k == w) {
        return (*abbr).to_owned();
    }
    // Ordinals: "1st", "2nd", "3rd", "4th" → the number.
    let digits = w.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0
        && matches!(
            &w[digits..],
            "st" | "nd" | "rd" | "th" | "e" | "er" | "o" | "a"
        )
        && w.len() > digits + 1
    {
        return w[..digits].to_owned();
    }
    for (suffix, abbr) in GLUED_SUFFIXES {
        if let Some(stem) = w.strip_suffix(suffix) {
            if stem.len() >= 3 && stem.bytes().all(|b| b.is_ascii_alphabetic()) {
                return format!("{stem} {abbr}");
            }
        }
    }
    w.to_owned()
}

/// Canonical city: folded, with "Saint"/"St." unified.
pub fn city(raw: &str) -> Option<String> {
    let f = fold(raw);
    let toks: Vec<&str> = f
        .split(' ')
        .filter(|t| !t.is_empty())
        .map(|t| match t {
            "saint" | "sankt" | "san" | "santo" | "st" => "st",
            "sainte" | "ste" | "santa" => "ste",
            t => t,
        })
        .collect();
    // Joined without spaces: a city transliterated syllable by syllable (北京 → "bei jing")
    // and typed as one word (Beijing) agree.
    (!toks.is_empty()).then(|| toks.concat())
}

/// Canonical postal code for a country (ISO alpha-2, if known): upper case without spaces
/// or hyphens; US ZIP+4 cut to five digits; leading zeros that spreadsheets drop restored
/// where the country's codes have a fixed length.
pub fn postal_code(raw: &str, country: Option<&str>) -> Option<String> {
    crate::text::or_ascii_forms(raw, |raw| postal_code_as_is(raw, country))
}

/// [`postal_code`] of text as it is.
fn postal_code_as_is(raw: &str, country: Option<&str>) -> Option<String> {
    let mut s: String = raw
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if s.is_empty() || s.len() > 10 {
        return None;
    }
    let digits_only = s.bytes().all(|b| b.is_ascii_digit());
    let fixed_len = match country {
        Some("US") => {
            if digits_only && s.len() == 9 {
                s.truncate(5);
            }
            Some(5)
        }
        Some("DE" | "FR" | "ES" | "IT" | "FI" | "MX" | "TR" | "MY" | "TH" | "KR" | "UA") => Some(5),
        Some("AT" | "BE" | "CH" | "DK" | "NO" | "AU" | "NZ" | "ZA" | "HU" | "BG") => Some(4),
        _ => None,
    };
    if let Some(n) = fixed_len {
        if digits_only && s.len() < n && s.len() + 2 >= n {
            s = format!("{s:0>n$}");
        }
    }
    Some(s)
}

/// Whether a canonical postal code (upper case, no spaces or hyphens) fits its country's
/// format, for the countries whose formats are fixed. Unknown countries pass.
/// Hand-written matchers: each is a few character classes, no regex needed.
pub fn postal_code_valid(code: &str, country: &str) -> bool {
    let b = code.as_bytes();
    let d = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let a = |i: usize| b.get(i).is_some_and(u8::is_ascii_uppercase);
    let digits = |n: usize| b.len() == n && (0..n).all(d);
    match country {
        "US" | "DE" | "FR" | "IT" | "ES" | "MX" | "TR" | "KR" | "FI" | "MY" | "TH" | "UA"
        | "HR" => digits(5),
        "AT" | "CH" | "BE" | "DK" | "NO" | "AU" | "NZ" | "ZA" | "HU" | "BG" | "LU" | "SI"
        | "CY" | "GE" | "PH" => digits(4),
        "RU" | "CN" | "IN" | "SG" | "BY" | "KZ" | "RO" | "VN" => {
            digits(6) && !(country == "IN" && b[0] == b'0')
        }
        "PL" | "PT" => digits(5) || digits(7),
        "BR" => digits(8),
        "JP" => digits(7),
        "SE" | "CZ" | "SK" | "GR" => digits(5),
        "NL" => b.len() == 6 && (0..4).all(d) && a(4) && a(5) && b[0] != b'0',
        "CA" => b.len() == 6 && a(0) && d(1) && a(2) && d(3) && a(4) && d(5),
        "IE" => {
            b.len() == 7 && a(0) && (1..3).all(|i| d(i) || a(i)) && (3..7).all(|i| d(i) || a(i))
        }
        "GB" => {
            // Outward code (A9, A99, AA9, AA99, A9A, AA9A) + inward code (9AA).
            let n = b.len();
            (5..=7).contains(&n) && d(n - 3) && a(n - 2) && a(n - 1) && a(0) && {
                let out = &code[..n - 3];
                let ob = out.as_bytes();
                ob.iter().all(u8::is_ascii_alphanumeric) && ob.iter().any(u8::is_ascii_digit)
            }
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn street_forms_agree() {
        let a = canonical(Some("Hauptstraße"), Some("5a"));
        assert_eq!(a, canonical(Some("Hauptstr. 5 A"), None));
        assert_eq!(a, canonical(Some("HAUPTSTRASSE 5a"), None));
        assert_eq!(a.as_deref(), Some("5a haupt st"));
        let b = canonical(Some("12 Main Street"), None);
        assert_eq!(b, canonical(Some("Main St."), Some("12")));
        assert_eq!(
            canonical(Some("5th Avenue 10"), None),
            canonical(Some("10 5 Ave"), None)
        );
        assert_eq!(canonical(Some("  "), None), None);
    }

    #[test]
    fn postal_codes() {
        assert_eq!(
            postal_code("sw1a 1aa", Some("GB")).as_deref(),
            Some("SW1A1AA")
        );
        assert_eq!(postal_code("1067", Some("DE")).as_deref(), Some("01067"));
        assert_eq!(
            postal_code("02134-1234", Some("US")).as_deref(),
            Some("02134")
        );
        assert_eq!(postal_code("75001", None).as_deref(), Some("75001"));
        assert_eq!(postal_code("", None), None);
    }

    #[test]
    fn postal_formats() {
        for (code, cc) in [
            ("01067", "DE"),
            ("SW1A1AA", "GB"),
            ("M11AE", "GB"),
            ("K1A0B1", "CA"),
            ("1012AB", "NL"),
            ("1000001", "JP"),
            ("01310100", "BR"),
            ("D02X285", "IE"),
            ("110001", "IN"),
            ("1010", "AT"),
        ] {
            assert!(postal_code_valid(code, cc), "{code} {cc}");
        }
        for (code, cc) in [
            ("1234", "DE"),
            ("ABCDE", "US"),
            ("0123AB", "NL"),
            ("12345", "GB"),
            ("011000", "IN"),
        ] {
            assert!(!postal_code_valid(code, cc), "{code} {cc}");
        }
        assert!(postal_code_valid("anything", "ZZ"));
    }

    #[test]
    fn cities() {
        assert_eq!(city("St. Gallen"), city("Sankt Gallen"));
        assert_eq!(city("MÜNCHEN").as_deref(), Some("munchen"));
    }
}
