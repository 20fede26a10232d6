//! How a value was *written*, as a small class code: the shape of its raw form with the
//! value itself taken out ("+D D D" for "+49 151 2345678", "DD.MM.YYYY" for a dotted date,
//! an all-capital e-mail). Classes are what the index keeps statistics of (how often each
//! system writes each field each way, counts only) and what the verdict weighs a
//! reproduced raw form by: a form many services share (a lower-case e-mail, a phone in
//! plain digits, an address as the customer typed it) says little about where a copy
//! came from; a rare one (dashes in phone numbers, postal codes that lost their leading
//! zero, dates as `YYYYMMDD`) says a lot.
//!
//! Written by hand: the classes are breachcheck's own vocabulary, stable within a rules
//! version ([`breachcheck_core::RULES_VERSION`]). Class 0 means "written canonically" (not
//! quirky) for every field.

use breachcheck_core::MatchField;

/// Class of `raw`, a quirky raw form of `field` (one whose text differs from the canonical
/// value). 0 for fields whose raw forms are not classified.
pub fn class(field: MatchField, raw: &str) -> u8 {
    match field {
        MatchField::Email => email(raw),
        MatchField::Phone => phone(raw),
        MatchField::Address => address(raw),
        MatchField::PostalCode => postal(raw),
        MatchField::BirthDate => date(raw),
        _ => 0,
    }
}

/// Share of independent services that would write a value of `field` in class `class`, as
/// far as the tool knows before looking at any index: the prior the verdict mixes with the
/// company's own statistics. Hand-set from how exports in the wild look; the numbers only
/// need to say "common" (0.2–0.5), "uncommon" (0.05–0.1) or "rare" (≤ 0.03).
pub fn common_share(field: MatchField, class: u8) -> f64 {
    match field {
        MatchField::Email => match class {
            EMAIL_CAPITALIZED => 0.4,
            EMAIL_MIXED => 0.3,
            _ => 0.03,
        },
        MatchField::Phone => {
            let (prefix, sep) = (class / 8, class % 8);
            match (prefix, sep) {
                // Plain digits, with or without a trunk or international prefix: what a
                // form field that strips punctuation keeps.
                (_, SEP_NONE) => 0.3,
                // libphonenumber's international and national formats, and as typed.
                (PREFIX_PLUS, SEP_SPACE) | (PREFIX_TRUNK, SEP_SPACE) => 0.3,
                (PREFIX_BARE, SEP_SPACE) => 0.15,
                (_, SEP_PAREN) => 0.1,
                _ => 0.05,
            }
        }
        MatchField::Address => match class & 0b11 {
            CASE_TITLE => 0.5,
            CASE_LOWER => 0.1,
            CASE_UPPER => 0.05,
            _ => 0.1,
        },
        MatchField::PostalCode => match class {
            POSTAL_SPACED => 0.25,
            POSTAL_SHORT => 0.1,
            POSTAL_LOWER => 0.05,
            _ => 0.05,
        },
        MatchField::BirthDate => match class {
            DATE_DOT_DMY | DATE_SLASH_DMY | DATE_SLASH_MDY => 0.25,
            DATE_DASH_DMY => 0.1,
            _ => 0.03,
        },
        _ => 0.5,
    }
}

/// A short name of a class for reports ("phone: + with spaces").
pub fn describe(field: MatchField, class: u8) -> String {
    match field {
        MatchField::Email => match class {
            EMAIL_CAPITALIZED => "capitalized".into(),
            EMAIL_UPPER => "all capitals".into(),
            _ => "mixed case".into(),
        },
        MatchField::Phone => {
            let prefix = match class / 8 {
                PREFIX_PLUS => "+country code",
                PREFIX_DOUBLE_ZERO => "00 country code",
                PREFIX_TRUNK => "trunk 0",
                _ => "no prefix",
            };
            let sep = match class % 8 {
                SEP_NONE => "digits only",
                SEP_SPACE => "spaces",
                SEP_DASH => "dashes",
                SEP_DOT => "dots",
                SEP_PAREN => "parentheses",
                SEP_SLASH => "slashes",
                _ => "mixed separators",
            };
            format!("{prefix}, {sep}")
        }
        MatchField::Address => {
            let case = match class & 0b11 {
                CASE_TITLE => "title case",
                CASE_LOWER => "lower case",
                CASE_UPPER => "capitals",
                _ => "mixed case",
            };
            let abbrev = if class & ABBREVIATED != 0 {
                ", abbreviated"
            } else {
                ""
            };
            let comma = if class & COMMA != 0 { ", comma" } else { "" };
            format!("{case}{abbrev}{comma}")
        }
        MatchField::PostalCode => match class {
            POSTAL_SPACED => "with a space or dash".into(),
            POSTAL_SHORT => "leading zeros lost".into(),
            POSTAL_LOWER => "lower-case letters".into(),
            _ => "other".into(),
        },
        MatchField::BirthDate => match class {
            DATE_DOT_DMY => "DD.MM.YYYY".into(),
            DATE_SLASH_DMY => "DD/MM/YYYY".into(),
            DATE_SLASH_MDY => "MM/DD/YYYY".into(),
            DATE_DASH_DMY => "DD-MM-YYYY".into(),
            DATE_COMPACT => "YYYYMMDD".into(),
            DATE_SHORT_YEAR => "two-digit year".into(),
            DATE_OTHER_YMD => "year first, other separator".into(),
            _ => "other".into(),
        },
        _ => "other".into(),
    }
}

const EMAIL_CAPITALIZED: u8 = 1;
const EMAIL_UPPER: u8 = 2;
const EMAIL_MIXED: u8 = 3;

fn email(raw: &str) -> u8 {
    let letters = raw.chars().filter(|c| c.is_alphabetic());
    let (mut upper, mut lower) = (0usize, 0usize);
    for c in letters {
        if c.is_uppercase() {
            upper += 1;
        } else {
            lower += 1;
        }
    }
    let first_upper = raw.chars().next().is_some_and(char::is_uppercase);
    if lower == 0 && upper > 0 {
        EMAIL_UPPER
    } else if first_upper && upper == 1 {
        EMAIL_CAPITALIZED
    } else {
        EMAIL_MIXED
    }
}

const PREFIX_PLUS: u8 = 1;
const PREFIX_DOUBLE_ZERO: u8 = 2;
const PREFIX_TRUNK: u8 = 3;
const PREFIX_BARE: u8 = 0;
const SEP_NONE: u8 = 1;
const SEP_SPACE: u8 = 2;
const SEP_DASH: u8 = 3;
const SEP_DOT: u8 = 4;
const SEP_PAREN: u8 = 5;
const SEP_SLASH: u8 = 6;
const SEP_MIXED: u8 = 7;

fn phone(raw: &str) -> u8 {
    let s = raw.trim();
    let prefix = if s.starts_with('+') {
        PREFIX_PLUS
    } else if s.starts_with("00") {
        PREFIX_DOUBLE_ZERO
    } else if s.starts_with('0') || s.starts_with("(0") {
        PREFIX_TRUNK
    } else {
        PREFIX_BARE
    };
    let mut seps = [false; 5];
    for c in s.chars() {
        match c {
            ' ' => seps[0] = true,
            '-' => seps[1] = true,
            '.' => seps[2] = true,
            '(' | ')' => seps[3] = true,
            '/' => seps[4] = true,
            _ => {}
        }
    }
    let sep = match seps.iter().filter(|s| **s).count() {
        0 => SEP_NONE,
        1 => match seps.iter().position(|s| *s) {
            Some(0) => SEP_SPACE,
            Some(1) => SEP_DASH,
            Some(2) => SEP_DOT,
            Some(3) => SEP_PAREN,
            _ => SEP_SLASH,
        },
        // "(030) 1234 567" is one style, parentheses with spaces.
        2 if seps[3] && seps[0] => SEP_PAREN,
        _ => SEP_MIXED,
    };
    prefix * 8 + sep
}

const CASE_TITLE: u8 = 0;
const CASE_LOWER: u8 = 1;
const CASE_UPPER: u8 = 2;
const CASE_MIXED: u8 = 3;
const ABBREVIATED: u8 = 4;
const COMMA: u8 = 8;

fn address(raw: &str) -> u8 {
    let words: Vec<&str> = raw
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| w.chars().any(char::is_alphabetic))
        .collect();
    let upper = words
        .iter()
        .all(|w| !w.chars().any(char::is_lowercase) && w.chars().any(char::is_uppercase));
    let lower = words.iter().all(|w| !w.chars().any(char::is_uppercase));
    let title = words.iter().any(|w| {
        let mut c = w.chars();
        c.next().is_some_and(char::is_uppercase) && c.any(char::is_lowercase)
    });
    let case = if words.is_empty() {
        CASE_MIXED
    } else if upper {
        CASE_UPPER
    } else if lower {
        CASE_LOWER
    } else if title {
        CASE_TITLE
    } else {
        CASE_MIXED
    };
    let mut class = case;
    if raw.contains('.') {
        class |= ABBREVIATED;
    }
    if raw.contains(',') {
        class |= COMMA;
    }
    class
}

const POSTAL_SPACED: u8 = 1;
const POSTAL_SHORT: u8 = 2;
const POSTAL_LOWER: u8 = 3;
const POSTAL_OTHER: u8 = 4;

fn postal(raw: &str) -> u8 {
    let s = raw.trim();
    if s.chars().any(|c| c == ' ' || c == '-') {
        POSTAL_SPACED
    } else if s.chars().any(char::is_lowercase) {
        POSTAL_LOWER
    } else if s.bytes().all(|b| b.is_ascii_digit()) {
        // Digits only and still not canonical: the canonical form was padded, i.e. the
        // source lost leading zeros (spreadsheets do).
        POSTAL_SHORT
    } else {
        POSTAL_OTHER
    }
}

const DATE_DOT_DMY: u8 = 1;
const DATE_SLASH_DMY: u8 = 2;
const DATE_SLASH_MDY: u8 = 3;
const DATE_DASH_DMY: u8 = 4;
const DATE_COMPACT: u8 = 5;
const DATE_SHORT_YEAR: u8 = 6;
const DATE_OTHER_YMD: u8 = 7;
const DATE_OTHER: u8 = 8;

fn date(raw: &str) -> u8 {
    let s = raw.trim();
    let parts: Vec<&str> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .collect();
    let sep = s.chars().find(|c| !c.is_ascii_digit());
    match (parts.as_slice(), sep) {
        ([one], None) if one.len() == 8 => DATE_COMPACT,
        ([y, _, _], Some(_)) if y.len() == 4 => DATE_OTHER_YMD,
        ([_, b, y], Some(sep)) if y.len() == 4 => {
            // Month first shows when the second number cannot be a month.
            let second: u32 = b.parse().unwrap_or(0);
            match sep {
                '.' => DATE_DOT_DMY,
                '-' => DATE_DASH_DMY,
                '/' if second > 12 => DATE_SLASH_MDY,
                '/' => DATE_SLASH_DMY,
                _ => DATE_OTHER,
            }
        }
        ([_, _, y], Some(_)) if y.len() == 2 => DATE_SHORT_YEAR,
        _ => DATE_OTHER,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_take_the_value_out() {
        let p = |s| class(MatchField::Phone, s);
        assert_eq!(p("+49 151 2345678"), p("+33 6 12 34 56 78"));
        assert_ne!(p("+49 151 2345678"), p("0151 2345678"));
        assert_ne!(p("015123456789"), p("0151-234-56789"));
        assert_eq!(p("(030) 1234 567"), p("(089) 98 76 54"));
        let e = |s| class(MatchField::Email, s);
        assert_eq!(e("Ana.Lopez@Mail.es"), e("Bob@Web.de"));
        assert_ne!(e("ANA@MAIL.ES"), e("Ana@mail.es"));
        let d = |s| class(MatchField::BirthDate, s);
        assert_eq!(d("03.04.1980"), d("12.11.1975"));
        assert_ne!(d("03.04.1980"), d("03/04/1980"));
        assert_eq!(d("19800403"), DATE_COMPACT);
        assert_eq!(d("04/23/1980"), DATE_SLASH_MDY);
        let a = |s| class(MatchField::Address, s);
        assert_eq!(a("Hauptstr. 5"), a("Main St. 12"));
        assert_ne!(a("HAUPTSTRASSE 5"), a("Hauptstraße 5"));
        assert_eq!(class(MatchField::PostalCode, "1067"), POSTAL_SHORT);
    }

    #[test]
    fn common_forms_are_common_and_rare_forms_rare() {
        let p = |s| common_share(MatchField::Phone, class(MatchField::Phone, s));
        assert!(p("015123456789") >= 0.2);
        assert!(p("+49 151 23456789") >= 0.2);
        assert!(p("0151-234-56789") <= 0.05);
        let e = |s| common_share(MatchField::Email, class(MatchField::Email, s));
        assert!(e("Ana@mail.es") >= 0.3);
        assert!(e("ANA@MAIL.ES") <= 0.05);
        assert!(
            common_share(
                MatchField::PostalCode,
                class(MatchField::PostalCode, "1067")
            ) <= 0.1
        );
    }
}
