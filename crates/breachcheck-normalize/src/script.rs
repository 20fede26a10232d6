//! Transliteration to Latin by the standards used in passports and customer data, for the
//! scripts where the general-purpose transliterator (`deunicode`) follows another one:
//! kana → Hepburn (passport style, long vowels unmarked), Hangul → Revised Romanization
//! (with the customary spellings of common family names: 김 Kim, 이 Lee, 박 Park), Greek →
//! ELOT 743, Devanagari → common Hindi spelling with schwa deletion. Everything else goes
//! through `deunicode` afterwards. Hand-written: no crate
//! implements these standards.

/// Hiragana (U+3041..U+3096) romanized, Hepburn; katakana maps onto hiragana.
const KANA: [&str; 86] = [
    "a", "a", "i", "i", "u", "u", "e", "e", "o", "o", // ぁあぃいぅうぇえぉお
    "ka", "ga", "ki", "gi", "ku", "gu", "ke", "ge", "ko", "go", // かが…ご
    "sa", "za", "shi", "ji", "su", "zu", "se", "ze", "so", "zo", // さ…ぞ
    "ta", "da", "chi", "ji", "\u{3063}", "tsu", "zu", "te", "de", "to",
    "do", // た…ど (っ kept)
    "na", "ni", "nu", "ne", "no", // な…の
    "ha", "ba", "pa", "hi", "bi", "pi", "fu", "bu", "pu", "he", "be", "pe", "ho", "bo",
    "po", // は…ぽ
    "ma", "mi", "mu", "me", "mo", // ま…も
    "\u{3083}", "ya", "\u{3085}", "yu", "\u{3087}",
    "yo", // ゃやゅゆょよ (small ones kept)
    "ra", "ri", "ru", "re", "ro", // ら…ろ
    "wa", "wa", "i", "e", "o", "n", "vu", "ka", "ke", // ゎわゐゑをんゔゕゖ
];

fn kana_to_hepburn(run: &[char]) -> String {
    let mut out = String::new();
    let mut double_next = false;
    for &c in run {
        let c = match c as u32 {
            0x30A1..=0x30F6 => char::from_u32(c as u32 - 0x60).unwrap_or(c),
            _ => c,
        };
        let roman: &str = match c as u32 {
            0x3041..=0x3096 => KANA[(c as u32 - 0x3041) as usize],
            _ => continue, // ー and marks: long vowels are not written in passport Hepburn
        };
        match roman {
            "\u{3063}" => double_next = true,
            "\u{3083}" | "\u{3085}" | "\u{3087}" => {
                let v = match roman {
                    "\u{3083}" => 'a',
                    "\u{3085}" => 'u',
                    _ => 'o',
                };
                // きゃ → kya, しゃ → sha, ちゃ → cha, じゃ → ja.
                if out.ends_with("shi") || out.ends_with("chi") || out.ends_with("ji") {
                    out.pop();
                    out.push(v);
                } else if out.ends_with('i') {
                    out.pop();
                    out.push('y');
                    out.push(v);
                } else {
                    out.push('y');
                    out.push(v);
                }
            }
            r => {
                if double_next {
                    double_next = false;
                    if r.starts_with("ch") {
                        out.push('t');
                    } else if let Some(first) = r.chars().next().filter(|c| !"aiueo".contains(*c)) {
                        out.push(first);
                    }
                }
                out.push_str(r);
            }
        }
    }
    // Passport Hepburn leaves long vowels unmarked: さとう → sato, ゆうき → yuki.
    out.replace("ou", "o").replace("oo", "o").replace("uu", "u")
}

const INITIALS: [&str; 19] = [
    "g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p",
    "h",
];
const MEDIALS: [&str; 21] = [
    "a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we",
    "wi", "yu", "eu", "ui", "i",
];
const FINALS: [&str; 28] = [
    "", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "p", "l", "l", "p", "l", "m", "p", "p",
    "t", "t", "ng", "t", "t", "k", "t", "p", "t",
];

/// The customary Latin spelling of common Korean family names, which people write instead
/// of the Revised Romanization (김 is "Kim", not "Gim").
const FAMILY: &[(char, &str)] = &[
    ('김', "kim"),
    ('이', "lee"),
    ('박', "park"),
    ('최', "choi"),
    ('정', "jung"),
    ('강', "kang"),
    ('조', "cho"),
    ('윤', "yoon"),
    ('장', "jang"),
    ('임', "lim"),
    ('한', "han"),
    ('오', "oh"),
    ('서', "seo"),
    ('신', "shin"),
    ('권', "kwon"),
    ('황', "hwang"),
    ('안', "ahn"),
    ('송', "song"),
    ('류', "ryu"),
    ('전', "jeon"),
    ('홍', "hong"),
    ('고', "ko"),
    ('문', "moon"),
    ('양', "yang"),
    ('손', "son"),
    ('배', "bae"),
    ('백', "baek"),
    ('허', "heo"),
    ('유', "yoo"),
    ('남', "nam"),
    ('심', "shim"),
    ('노', "noh"),
    ('곽', "kwak"),
    ('성', "sung"),
    ('차', "cha"),
    ('주', "joo"),
    ('우', "woo"),
    ('구', "koo"),
    ('민', "min"),
    ('진', "jin"),
    ('엄', "eom"),
    ('채', "chae"),
    ('원', "won"),
    ('천', "cheon"),
    ('방', "bang"),
    ('공', "kong"),
    ('현', "hyun"),
    ('변', "byun"),
];

fn hangul_to_rr(run: &[char], family_position: bool) -> String {
    if family_position && run.len() == 1 {
        if let Some((_, s)) = FAMILY.iter().find(|(c, _)| *c == run[0]) {
            return (*s).to_owned();
        }
    }
    let mut out = String::new();
    for &c in run {
        let code = c as u32;
        if !(0xAC00..=0xD7A3).contains(&code) {
            continue;
        }
        let s = code - 0xAC00;
        let (i, m, f) = (
            (s / 588) as usize,
            ((s % 588) / 28) as usize,
            (s % 28) as usize,
        );
        out.push_str(INITIALS[i]);
        out.push_str(MEDIALS[m]);
        out.push_str(FINALS[f]);
    }
    out
}

fn greek_to_elot(word: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let plain: Vec<char> = word
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect();
    let mut out = String::new();
    let mut i = 0;
    while i < plain.len() {
        let pair: String = plain[i..plain.len().min(i + 2)].iter().collect();
        let at_start = i == 0;
        let digraph = match pair.as_str() {
            "ου" => Some("ou"),
            "αι" => Some("ai"),
            "ει" => Some("ei"),
            "οι" => Some("oi"),
            "αυ" => Some("av"),
            "ευ" => Some("ev"),
            "μπ" => Some(if at_start { "b" } else { "mb" }),
            "ντ" => Some(if at_start { "d" } else { "nt" }),
            "γγ" => Some("ng"),
            "γκ" => Some(if at_start { "g" } else { "gk" }),
            _ => None,
        };
        if let Some(d) = digraph {
            out.push_str(d);
            i += 2;
            continue;
        }
        let latin = match plain[i] {
            'α' => "a",
            'β' => "v",
            'γ' => "g",
            'δ' => "d",
            'ε' => "e",
            'ζ' => "z",
            'η' => "i",
            'θ' => "th",
            'ι' => "i",
            'κ' => "k",
            'λ' => "l",
            'μ' => "m",
            'ν' => "n",
            'ξ' => "x",
            'ο' => "o",
            'π' => "p",
            'ρ' => "r",
            'σ' | 'ς' => "s",
            'τ' => "t",
            'υ' => "y",
            'φ' => "f",
            'χ' => "ch",
            'ψ' => "ps",
            'ω' => "o",
            _ => "",
        };
        if latin.is_empty() {
            out.push(plain[i]);
        } else {
            out.push_str(latin);
        }
        i += 1;
    }
    out
}

/// Devanagari consonants (with their inherent vowel removed), U+0915..U+0939.
const DEVANAGARI_CONSONANTS: [&str; 37] = [
    "k", "kh", "g", "gh", "ng", "ch", "chh", "j", "jh", "ny", "t", "th", "d", "dh", "n", "t", "th",
    "d", "dh", "n", "nn", "p", "ph", "b", "bh", "m", "y", "r", "rr", "l", "ll", "lll", "v", "sh",
    "sh", "s", "h",
];

/// Devanagari to Latin as Hindi names are commonly spelled: inherent `a` after consonants
/// unless a vowel sign or virama follows, the final inherent vowel dropped (schwa deletion:
/// राहुल → rahul, शर्मा → sharma).
fn devanagari_to_latin(run: &[char]) -> String {
    let mut out = String::new();
    let mut pending_a = false;
    for &c in run {
        let code = c as u32;
        let flush = |out: &mut String, pending: &mut bool| {
            if *pending {
                out.push('a');
                *pending = false;
            }
        };
        match code {
            0x0915..=0x0939 => {
                flush(&mut out, &mut pending_a);
                out.push_str(DEVANAGARI_CONSONANTS[(code - 0x0915) as usize]);
                pending_a = true;
            }
            0x094D => pending_a = false, // virama
            0x093E..=0x094C => {
                pending_a = false;
                out.push_str(match code {
                    0x093E => "a",
                    0x093F | 0x0940 => "i",
                    0x0941 | 0x0942 => "u",
                    0x0943 | 0x0944 => "ri",
                    0x0945..=0x0947 => "e",
                    0x0948 => "ai",
                    0x0949..=0x094B => "o",
                    _ => "au",
                });
            }
            0x0904..=0x0914 => {
                flush(&mut out, &mut pending_a);
                out.push_str(match code {
                    0x0905 | 0x0906 => "a",
                    0x0907 | 0x0908 => "i",
                    0x0909 | 0x090A => "u",
                    0x090B | 0x090C => "ri",
                    0x090D..=0x090F => "e",
                    0x0910 => "ai",
                    0x0911..=0x0913 => "o",
                    _ => "au",
                });
            }
            0x0901 | 0x0902 => {
                flush(&mut out, &mut pending_a);
                out.push('n');
            }
            0x0903 => {
                flush(&mut out, &mut pending_a);
                out.push('h');
            }
            _ => {} // nukta, signs
        }
    }
    out // a pending final inherent vowel is dropped
}

fn is_devanagari(c: char) -> bool {
    matches!(c as u32, 0x0900..=0x097F)
}

fn is_kana(c: char) -> bool {
    matches!(c as u32, 0x3041..=0x30FF)
}
fn is_hangul(c: char) -> bool {
    matches!(c as u32, 0xAC00..=0xD7A3)
}
fn is_greek(c: char) -> bool {
    matches!(c as u32, 0x0370..=0x03FF | 0x1F00..=0x1FFF)
}

/// Replaces kana, Hangul, Greek and Devanagari runs of one word by their standard romanization;
/// `family_position` marks a word that is a family name (for Korean customary spellings).
pub(crate) fn romanize_word(word: &str, family_position: bool) -> std::borrow::Cow<'_, str> {
    if word.is_ascii()
        || !word
            .chars()
            .any(|c| is_kana(c) || is_hangul(c) || is_greek(c) || is_devanagari(c))
    {
        return std::borrow::Cow::Borrowed(word);
    }
    let chars: Vec<char> = word.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let class = |c: char| {
            if is_kana(c) {
                1
            } else if is_hangul(c) {
                2
            } else if is_greek(c) {
                3
            } else if is_devanagari(c) {
                4
            } else {
                0
            }
        };
        let k = class(c);
        let mut j = i + 1;
        while j < chars.len() && class(chars[j]) == k {
            j += 1;
        }
        let run = &chars[i..j];
        match k {
            1 => out.push_str(&kana_to_hepburn(run)),
            2 => out.push_str(&hangul_to_rr(run, family_position)),
            3 => out.push_str(&greek_to_elot(&run.iter().collect::<String>())),
            4 => out.push_str(&devanagari_to_latin(run)),
            _ => out.extend(run),
        }
        i = j;
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hepburn() {
        assert_eq!(romanize_word("しちつふじ", false), "shichitsufuji");
        assert_eq!(romanize_word("さとう", false), "sato");
        assert_eq!(romanize_word("きょうこ", false), "kyoko");
        assert_eq!(romanize_word("しゅんすけ", false), "shunsuke");
        assert_eq!(romanize_word("まっちゃ", false), "matcha");
        assert_eq!(romanize_word("サクラ", false), "sakura");
        assert_eq!(romanize_word("けんじ", false), "kenji");
    }

    #[test]
    fn revised_romanization() {
        assert_eq!(romanize_word("민준", false), "minjun");
        assert_eq!(romanize_word("서연", false), "seoyeon");
        assert_eq!(romanize_word("김", true), "kim");
        assert_eq!(romanize_word("김", false), "gim");
        assert_eq!(romanize_word("한국", false), "hanguk");
    }

    #[test]
    fn devanagari() {
        assert_eq!(romanize_word("राहुल", false), "rahul");
        assert_eq!(romanize_word("शर्मा", false), "sharma");
        assert_eq!(romanize_word("विक्रम", false), "vikram");
        assert_eq!(romanize_word("प्रिया", false), "priya");
        assert_eq!(romanize_word("गुप्ता", false), "gupta");
        assert_eq!(romanize_word("अमित", false), "amit");
    }

    #[test]
    fn elot_743() {
        assert_eq!(romanize_word("Γιώργος", false), "giorgos");
        assert_eq!(romanize_word("Παπαδόπουλος", false), "papadopoulos");
        assert_eq!(romanize_word("Χρήστος", false), "christos");
        assert_eq!(romanize_word("Μπακογιάννης", false), "bakogiannis");
    }
}
