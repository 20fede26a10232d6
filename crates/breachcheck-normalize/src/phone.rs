//! Phone numbers to E.164 through `rlibphonenumber`, a maintained port of Google's
//! libphonenumber. The region for national-format numbers comes from the record's country,
//! else the caller's default.

use rlibphonenumber::{PhoneNumber, PhoneNumberFormat, PhoneNumberType, PhoneNumberUtil, Region};

/// One phone utility for the process. Building one compiles its regexes (and each
/// region's, lazily, on first use): per thread, that was a third of a 1,000-line verify's
/// CPU (about 0.1 s of three threads compiling the same patterns). Shared, matches from
/// other threads take the regex crate's sharded cache pool instead of the owner's fast
/// path, which measured no slower on a 100,000-line verify (2.12–2.18 s CPU against
/// 2.15–2.31 s per thread; `bench --cold`, 10M records).
static UTIL: std::sync::OnceLock<Option<PhoneNumberUtil>> = std::sync::OnceLock::new();

/// The vendored `rlibphonenumber` (third_party/rlibphonenumber, `PATCHES.md`) is the one in
/// use: the published crate has no such constant, so a build with it would not compile.
const _VENDORED: &str = rlibphonenumber::BREACHCHECK_PATCHED;

/// Runs `f` with the process's phone utility (`None` only if the built-in metadata failed
/// to load, which the tests would show).
fn with_util<T>(f: impl FnOnce(&PhoneNumberUtil) -> Option<T>) -> Option<T> {
    UTIL.get_or_init(|| PhoneNumberUtil::new().ok())
        .as_ref()
        .and_then(f)
}

/// Longest input handed to the parser: no phone number is longer, and the cap keeps
/// pathological cells from costing parse time.
const MAX_INPUT: usize = 64;

/// A phone number in canonical form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CanonicalPhone {
    /// E.164 (`+` and up to 15 digits).
    pub e164: String,
    /// Whether the number is valid for its region according to the numbering plan.
    /// Invalid numbers still get a canonical form (a copy reproduces them) but are
    /// counted: many of them in a sample are a sign of fabrication.
    pub valid: bool,
    /// Whether the number is a mobile number (or could be one).
    pub mobile: bool,
    /// Country calling code (49 for Germany).
    pub country_code: u16,
    /// Whether the text carried its country code (`+…`, `00…`): then no region was needed
    /// to read it.
    pub international: bool,
}

/// Parses and canonicalizes `raw`; `region` is used for numbers written without a
/// country code. `None` when the text cannot be a phone number.
pub fn canonical(raw: &str, region: Option<Region>) -> Option<CanonicalPhone> {
    read(raw, region, true)
}

/// The E.164 form and country calling code of `raw`, as [`canonical`] gives them, without
/// looking up what the numbering plan says of the number (valid, mobile): for readers that
/// need only its form. The type lookup is about 40% of reading a number and a twelfth of
/// an index build's CPU.
pub fn e164(raw: &str, region: Option<Region>) -> Option<(String, u16)> {
    read(raw, region, false).map(|p| (p.e164, p.country_code))
}

/// The decimal value of `c` if it is a decimal digit of any script (`٣`, `３`, `३`…),
/// from the phone library's table of Unicode's decimal digits; for
/// [`crate::ascii_forms`].
pub(crate) fn digit_value(c: char) -> Option<char> {
    // Every decimal digit is numeric; the library's lookup allocates, and `ascii_forms`
    // asks for every other character of a name or an address in role inference.
    if !c.is_numeric() {
        return None;
    }
    let mut buf = [0u8; 4];
    with_util(|util| {
        let digit = util.normalize_digits_only(c.encode_utf8(&mut buf));
        let mut chars = digit.chars();
        chars.next().filter(|_| chars.next().is_none())
    })
}

/// [`canonical`]; with `typed` false, `valid` and `mobile` are not looked up (false).
fn read(raw: &str, region: Option<Region>, typed: bool) -> Option<CanonicalPhone> {
    crate::text::or_ascii_forms(raw, |raw| read_as_is(raw, region, typed))
}

/// [`read`] of text as it is.
fn read_as_is(raw: &str, region: Option<Region>, typed: bool) -> Option<CanonicalPhone> {
    let s = raw.trim();
    if s.is_empty() || s.len() > MAX_INPUT {
        return None;
    }
    let digits = s.chars().filter(|c| c.is_ascii_digit()).count();
    // Up to 17 significant digits, plus a country code and an international prefix.
    if !(4..=22).contains(&digits) {
        return None;
    }
    // "0049 30 …" without a known region: the 00 international prefix is the most common.
    let owned;
    let s = if region.is_none() && s.starts_with("00") {
        owned = format!("+{}", &s[2..]);
        owned.as_str()
    } else {
        s
    };
    with_util(|util| {
        let mut number: PhoneNumber = util.parse(s, region).ok()?;
        // E.164 stored without its "+" ("4915123456789" in a German record) reads,
        // nationally, as a longer German number; when the digits start with the region's
        // own country code and the international reading is a valid number of that region,
        // it is the one meant.
        if let Some(r) = region {
            if s.bytes().all(|b| b.is_ascii_digit()) && !s.starts_with('0') && s.len() >= 10 {
                let code = util.get_country_code_for_region(r).map(|c| c.to_string());
                if code.is_some_and(|c| s.starts_with(&c)) {
                    if let Ok(intl) = util.parse(format!("+{s}"), None) {
                        if util.is_valid_number(&intl)
                            && util.get_region_for_number(&intl) == Some(r)
                        {
                            number = intl;
                        }
                    }
                }
            }
        }
        let e164 = util.format(&number, PhoneNumberFormat::E164).into_owned();
        // A number is valid exactly when its type is known (libphonenumber's
        // `isValidNumber` is `getNumberType(…) != UNKNOWN`), so one type lookup — the
        // costliest step after parsing — answers both.
        let kind = if typed {
            util.get_number_type(&number)
        } else {
            PhoneNumberType::Unknown
        };
        let valid = kind != PhoneNumberType::Unknown;
        let mobile = matches!(
            kind,
            PhoneNumberType::Mobile | PhoneNumberType::FixedLineOrMobile
        );
        Some(CanonicalPhone {
            e164,
            valid,
            mobile,
            country_code: u16::try_from(number.country_code).unwrap_or(0),
            international: s.starts_with('+'),
        })
    })
}

/// `raw` read as an international number written without its "+" or "00": digits only
/// (spaces, dots and dashes aside), at least 8 of them, not starting with a trunk 0.
pub fn international_digits(raw: &str) -> Option<CanonicalPhone> {
    crate::text::or_ascii_forms(raw, international_digits_as_is)
}

fn international_digits_as_is(raw: &str) -> Option<CanonicalPhone> {
    let s = raw.trim();
    if s.len() > MAX_INPUT
        || s.starts_with('0')
        || !s
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | '-'))
    {
        return None;
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 8 {
        return None;
    }
    canonical(&format!("+{digits}"), None).map(|mut p| {
        p.international = false;
        p
    })
}

/// The main regions of country calling codes counted in `codes` (code → numbers), most
/// common first, keeping codes with at least `min_share` of the numbers.
pub fn regions_of_codes(
    codes: &std::collections::BTreeMap<u16, u64>,
    min_share: f64,
) -> Vec<Region> {
    let total: u64 = codes.values().sum();
    let mut by_count: Vec<(u16, u64)> = codes
        .iter()
        .map(|(c, n)| (*c, *n))
        .filter(|(_, n)| total > 0 && *n as f64 >= min_share * total as f64)
        .collect();
    by_count.sort_by_key(|(c, n)| (std::cmp::Reverse(*n), *c));
    by_count
        .into_iter()
        .filter_map(|(c, _)| with_util(|u| u.get_region_for_country_code(i32::from(c))))
        .collect()
}

/// The region of a number written with its country code (`+…` or `00…`), for finding a
/// sample's dominant region; `None` for national formats or unknown codes.
pub fn international_region(raw: &str) -> Option<String> {
    crate::text::or_ascii_forms(raw, international_region_as_is)
}

fn international_region_as_is(raw: &str) -> Option<String> {
    let s = raw.trim();
    if !(s.starts_with('+') || s.starts_with("00")) || s.len() > MAX_INPUT {
        return None;
    }
    let s = s
        .strip_prefix("00")
        .map_or_else(|| s.to_owned(), |rest| format!("+{rest}"));
    with_util(|util| {
        let n: PhoneNumber = util.parse(&s, None).ok()?;
        util.get_region_for_number(&n)
            .map(|r| r.as_region_str().to_string())
    })
}

/// Whether a value looks like a phone number, for role inference: phone punctuation only,
/// 7 to 15 digits, not shaped like a date.
pub fn looks_like(raw: &str) -> bool {
    // Three bytes a character at most in the forms `ascii_forms` reads.
    if raw.len() > 3 * MAX_INPUT {
        return false;
    }
    let raw = crate::ascii_forms(raw);
    let s = raw.trim();
    if s.len() > MAX_INPUT {
        return false;
    }
    let mut digits = 0;
    for c in s.chars() {
        match c {
            '0'..='9' => digits += 1,
            '+' | '(' | ')' | '-' | '.' | ' ' | '/' => {}
            _ => return false,
        }
    }
    // The character check first: it settles most cells, and the date check reads words.
    (7..=15).contains(&digits) && !crate::date::looks_like(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(raw: &str, region: Option<&str>) -> Option<String> {
        canonical(raw, region.and_then(|r| Region::from_code(r).ok())).map(|p| p.e164)
    }

    #[test]
    fn formats_agree() {
        let want = Some("+4915123456789".to_owned());
        assert_eq!(e164("+49 151 23456789", None), want);
        assert_eq!(e164("0151 23456789", Some("DE")), want);
        assert_eq!(e164("0049 (151) 234-567-89", None), want);
        assert_eq!(e164("0151/23456789", Some("DE")), want);
        assert_eq!(
            e164("(201) 555-0123", Some("US")),
            Some("+12015550123".to_owned())
        );
        assert_eq!(
            e164("06 12 34 56 78", Some("FR")),
            Some("+33612345678".to_owned())
        );
    }

    #[test]
    fn validity_is_the_librarys() {
        // Valid and invalid numbers of many plans, national and international, non-geographic
        // (+800) and short: `valid` must be exactly what `is_valid_number` says.
        let cases = [
            ("+49 151 23456789", None),
            ("+49 30 1234567", None),
            ("+49 0000 1", None),
            ("(201) 555-0123", Some("US")),
            ("+1 201 555 0123", None),
            ("+1 999 555 0123", None),
            ("06 12 34 56 78", Some("FR")),
            ("+33 1 23 45 67 89", None),
            ("+33 9 99", None),
            ("+44 7700 900123", None),
            ("+44 20 7946 0958", None),
            ("020 7946 0958", Some("GB")),
            ("+81 90-1234-5678", None),
            ("+86 138 0013 8000", None),
            ("+7 912 345-67-89", None),
            ("+91 98765 43210", None),
            ("+55 11 91234-5678", None),
            ("+234 803 123 4567", None),
            ("+800 1234 5678", None),
            ("+882 1234 5678", None),
            ("+61 4 1234 5678", None),
            ("12345", Some("DE")),
            ("4915123456789", Some("DE")),
            ("+999 123456789", None),
        ];
        let mut seen = [0usize; 2];
        for (raw, region) in cases {
            let region = region.and_then(|r| Region::from_code(r).ok());
            let Some(p) = canonical(raw, region) else {
                continue;
            };
            let library = with_util(|util| {
                let number: PhoneNumber = util.parse(&p.e164, None).ok()?;
                Some(util.is_valid_number(&number))
            })
            .expect("a canonical number parses again");
            assert_eq!(p.valid, library, "{raw}");
            seen[usize::from(p.valid)] += 1;
        }
        // Both answers must have been compared, or the test says nothing.
        assert!(seen[0] >= 2 && seen[1] >= 10, "{seen:?}");
    }

    #[test]
    fn validity_and_type() {
        let p = canonical("+49 151 23456789", None).expect("parses");
        assert!(p.valid && p.mobile);
        let bad = canonical("+49 0000 1", None);
        assert!(bad.is_none_or(|p| !p.valid));
        assert_eq!(canonical("hello", None), None);
        assert_eq!(canonical(&"9".repeat(200), None), None);
    }

    /// Every region's example number of every type it has, read back from its national and
    /// international forms (and from the national form in full-width digits) to the same
    /// E.164, valid and of its type. What it guards: the vendored library compiles its
    /// numbering-plan patterns with ASCII digit classes (third_party/rlibphonenumber); every
    /// region's patterns of every type must still compile and still say what Google's
    /// metadata says of its own examples (the same checks passed on the crate as published).
    #[test]
    fn every_regions_examples_read_back_valid_and_of_their_type() {
        let mut checked = 0;
        let mut regions = 0;
        with_util(|util| {
            for region in util.get_supported_regions() {
                regions += 1;
                for kind in util
                    .get_supported_types_for_region(region)
                    .unwrap_or_default()
                {
                    let Ok(example) = util.get_example_number_for_type_and_region(region, kind)
                    else {
                        continue;
                    };
                    let e164 = util.format(&example, PhoneNumberFormat::E164).into_owned();
                    let national = util
                        .format(&example, PhoneNumberFormat::National)
                        .into_owned();
                    let international = util
                        .format(&example, PhoneNumberFormat::International)
                        .into_owned();
                    let of_kind = util.get_number_type(&example);
                    assert!(
                        of_kind == kind
                            || (of_kind == PhoneNumberType::FixedLineOrMobile
                                && matches!(
                                    kind,
                                    PhoneNumberType::FixedLine | PhoneNumberType::Mobile
                                )),
                        "{region:?} {kind:?}: {of_kind:?}"
                    );
                    for (text, from) in [(international, None), (national.clone(), Some(region))] {
                        let read = read(&text, from, true);
                        let read = read.unwrap_or_else(|| panic!("{region:?} {kind:?}: unread"));
                        assert_eq!(read.e164, e164, "{region:?} {kind:?}");
                        assert!(read.valid, "{region:?} {kind:?}");
                    }
                    // The library's own reading of other scripts' digits (this crate folds
                    // them before, see `fold`) must still reach the same patterns.
                    let wide: PhoneNumber = util
                        .parse(crate::text::in_digits_of(&national, 0xFF10), Some(region))
                        .unwrap_or_else(|e| panic!("{region:?} {kind:?}: {e:?}"));
                    assert_eq!(wide, example, "{region:?} {kind:?}");
                    checked += 1;
                }
            }
            Some(())
        });
        // All of the metadata's regions, most of their types.
        assert!(regions >= 240 && checked >= 1000, "{regions} {checked}");
    }

    #[test]
    fn digits_of_other_scripts_read_as_their_ascii_digits() {
        let jp = Some("+81312345678".to_owned());
        assert_eq!(e164("03-1234-5678", Some("JP")), jp);
        // Full-width digits, hyphens, plus and the ideographic space (Japanese, Chinese).
        assert_eq!(e164("０３－１２３４－５６７８", Some("JP")), jp);
        assert_eq!(
            e164("＋８１\u{3000}３\u{3000}１２３４\u{3000}５６７８", None),
            jp
        );
        // Arabic-Indic (Egypt) and Extended Arabic-Indic (Iran) digits.
        assert_eq!(
            e164("٠١٠٠ ١٢٣ ٤٥٦٧", Some("EG")),
            e164("0100 123 4567", Some("EG"))
        );
        assert!(e164("0100 123 4567", Some("EG")).is_some());
        assert_eq!(
            e164("۰۹۱۲ ۳۴۵ ۶۷۸۹", Some("IR")),
            e164("0912 345 6789", Some("IR"))
        );
        assert!(e164("0912 345 6789", Some("IR")).is_some());
        assert!(canonical(
            "０３－１２３４－５６７８",
            Some(Region::from_code("JP").expect("a region"))
        )
        .is_some_and(|p| p.valid));
        // Katakana prolonged-sound marks and Unicode dashes as hyphens.
        assert_eq!(e164("０３ー１２３４ー５６７８", Some("JP")), jp);
        assert_eq!(e164("03‐1234‐5678", Some("JP")), jp);
        // Role inference sees a phone column whatever its digits.
        assert!(looks_like("０９０－１２３４－５６７８"));
        assert!(looks_like("０９０ー１２３４ー５６７８"));
        assert!(looks_like("٠١٠٠ ١٢٣ ٤٥٦٧"));
        assert_eq!(
            international_region("＋８１ ３ １２３４ ５６７８").as_deref(),
            Some("JP")
        );
        assert!(international_digits("８１ ３ １２３４ ５６７８").is_some());
        // Other characters are left as they are.
        assert_eq!(crate::ascii_forms("電話：０３ 1ⅷ"), "電話:03 1ⅷ");
        assert_eq!(e164("０３", Some("JP")), None);
    }

    #[test]
    fn looks_like_phone_not_date() {
        assert!(looks_like("+33 6 12 34 56 78"));
        assert!(!looks_like("1985-03-02"));
        assert!(!looks_like("12.03.1985"));
        assert!(!looks_like("alice"));
    }
}
