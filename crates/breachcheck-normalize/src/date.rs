//! Dates of birth to ISO 8601 (`YYYY-MM-DD`). Hand-written: the formats are few and a date
//! crate would add build time for what is a dozen lines of parsing, and the date crates
//! read English month names only.

/// Canonical ISO date, or `None` if `raw` is not a plausible calendar date.
/// `month_first` decides `03/04/1985` (true: March 4th, as in the US); a first part above
/// 12 decides by itself.
pub fn canonical(raw: &str, month_first: bool) -> Option<String> {
    let (y, m, d) = crate::text::or_ascii_forms(raw, |raw| parse(raw.trim(), month_first))?;
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

/// Numeric dates first; what they do not read, as a date with its month written in words
/// or with CJK year, month and day marks. (Only what the numeric forms read as nothing:
/// a value that read as a date under these rules keeps its reading.)
fn parse(s: &str, month_first: bool) -> Option<(u32, u32, u32)> {
    numeric(s, month_first)
        .or_else(|| marked(s))
        .or_else(|| worded(s))
}

/// `1985年3月2日` (Japanese, Chinese) and `1985년 3월 2일` (Korean): year, month and day,
/// each followed by its mark.
fn marked(s: &str) -> Option<(u32, u32, u32)> {
    let mut n = [0u32; 3];
    let mut rest = s.trim();
    for (i, marks) in [['年', '년'], ['月', '월'], ['日', '일']]
        .iter()
        .enumerate()
    {
        let end = rest.find(|c: char| marks.contains(&c))?;
        let digits = rest[..end].trim();
        if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        n[i] = digits.parse().ok()?;
        rest = &rest[end..];
        rest = rest[rest.chars().next()?.len_utf8()..].trim_start();
    }
    if !rest.is_empty() || n[0] < 1000 {
        return None;
    }
    valid(n[0], n[1], n[2])
}

/// Month names and their common abbreviations, folded (lower case, no accents, other
/// scripts transliterated as `text::fold` does), in English, German, French, Spanish,
/// Italian, Portuguese, Dutch, Swedish, Danish, Russian (both cases: `марта`, `март`),
/// Polish (both cases), Turkish, Czech, Slovak, Croatian, Hungarian, Romanian, Finnish,
/// Greek (`Μαρτίου`, `Μάρτιος`) and Arabic (`مارس`, and the Levantine names written as one
/// word: `آذار`). No name or abbreviation means two different months across these
/// languages (`month_names_are_unambiguous`). Left out for that reason: `listopad` and
/// `listopada` (November in Polish and Czech, October in Croatian; the Czech genitive
/// `listopadu`, the one a Czech date uses, is read), Polish `lip.` (July; June in
/// Croatian); left out as too short to be a month outside a date: Arabic `آب` (`ab`,
/// August) and `أيار` (`yr`, May); the Levantine months of two words (`كانون الثاني`) are
/// not read.
const MONTHS: [&[&str]; 12] = [
    &[
        "january",
        "jan",
        "januar",
        "janner",
        "janvier",
        "janv",
        "enero",
        "ene",
        "gennaio",
        "gen",
        "janeiro",
        "januari",
        "ianvaria",
        "ianvar",
        "ianv",
        "stycznia",
        "styczen",
        "sty",
        "ocak",
        "oca",
        "leden",
        "ledna",
        "januara",
        "sijecanj",
        "sijecnja",
        "ianuarie",
        "tammikuu",
        "tammikuuta",
        "ianouarios",
        "ianouariou",
        "ian",
        "ynyr",
    ],
    &[
        "february",
        "feb",
        "februar",
        "fevrier",
        "fevr",
        "fev",
        "febrero",
        "febbraio",
        "fevereiro",
        "februari",
        "fevralia",
        "fevral",
        "lutego",
        "luty",
        "lut",
        "subat",
        "sub",
        "febr",
        "unor",
        "unora",
        "februara",
        "veljaca",
        "veljace",
        "februarie",
        "helmikuu",
        "helmikuuta",
        "phebrouarios",
        "phebrouariou",
        "pheb",
        "fbryr",
        "shbt",
    ],
    &[
        "march",
        "mar",
        "marz",
        "maerz",
        "mars",
        "marzo",
        "marco",
        "maart",
        "mrt",
        "marta",
        "mart",
        "marca",
        "marzec",
        "marts",
        "brezen",
        "brezna",
        "marec",
        "marcius",
        "ozujak",
        "ozujka",
        "martie",
        "maaliskuu",
        "maaliskuuta",
        "martios",
        "martiou",
        "mrs",
        "adhr",
    ],
    &[
        "april",
        "apr",
        "avril",
        "avr",
        "abril",
        "abr",
        "aprile",
        "aprelia",
        "aprel",
        "kwietnia",
        "kwiecien",
        "kwi",
        "nisan",
        "nis",
        "duben",
        "dubna",
        "aprila",
        "aprilis",
        "travanj",
        "travnja",
        "aprilie",
        "huhtikuu",
        "huhtikuuta",
        "aprilios",
        "apriliou",
        "bryl",
        "nysn",
    ],
    &[
        "may",
        "mai",
        "mayo",
        "maggio",
        "mag",
        "maio",
        "mei",
        "maia",
        "maja",
        "maj",
        "mayis",
        "kveten",
        "kvetna",
        "majus",
        "svibanj",
        "svibnja",
        "toukokuu",
        "toukokuuta",
        "maios",
        "maiou",
        "myw",
    ],
    &[
        "june",
        "jun",
        "juni",
        "juin",
        "junio",
        "giugno",
        "giu",
        "junho",
        "iiunia",
        "iiun",
        "czerwca",
        "czerwiec",
        "cze",
        "haziran",
        "haz",
        "cerven",
        "cervna",
        "juna",
        "junius",
        "lipanj",
        "lipnja",
        "iunie",
        "kesakuu",
        "kesakuuta",
        "iounios",
        "iouniou",
        "ioun",
        "ywnyw",
        "hzyrn",
    ],
    &[
        "july",
        "jul",
        "juli",
        "juillet",
        "juil",
        "julio",
        "luglio",
        "lug",
        "julho",
        "iiulia",
        "iiul",
        "lipca",
        "lipiec",
        "temmuz",
        "tem",
        "cervenec",
        "cervence",
        "jula",
        "julius",
        "srpanj",
        "srpnja",
        "iulie",
        "heinakuu",
        "heinakuuta",
        "ioulios",
        "iouliou",
        "ioul",
        "ywlyw",
        "tmwz",
    ],
    &[
        "august",
        "aug",
        "aout",
        "agosto",
        "ago",
        "augustus",
        "avgusta",
        "avgust",
        "avg",
        "sierpnia",
        "sierpien",
        "sie",
        "agustos",
        "agu",
        "augusti",
        "srpen",
        "srpna",
        "augusta",
        "augusztus",
        "kolovoz",
        "kolovoza",
        "elokuu",
        "elokuuta",
        "augoustos",
        "augoustou",
        "gsts",
    ],
    &[
        "september",
        "sep",
        "sept",
        "septembre",
        "septiembre",
        "setiembre",
        "set",
        "settembre",
        "setembro",
        "sentiabria",
        "sentiabr",
        "sen",
        "sent",
        "wrzesnia",
        "wrzesien",
        "wrz",
        "eylul",
        "eyl",
        "zari",
        "septembra",
        "szeptember",
        "rujan",
        "rujna",
        "septembrie",
        "syyskuu",
        "syyskuuta",
        "septembrios",
        "septembriou",
        "sbtmbr",
        "ylwl",
    ],
    &[
        "october",
        "oct",
        "oktober",
        "okt",
        "octobre",
        "octubre",
        "ottobre",
        "ott",
        "outubro",
        "out",
        "oktiabria",
        "oktiabr",
        "pazdziernika",
        "pazdziernik",
        "paz",
        "ekim",
        "eki",
        "rijen",
        "rijna",
        "oktobra",
        "octombrie",
        "lokakuu",
        "lokakuuta",
        "oktobrios",
        "oktobriou",
        "ktwbr",
    ],
    &[
        "november",
        "nov",
        "novembre",
        "noviembre",
        "novembro",
        "noiabria",
        "noiabr",
        "noia",
        "kasim",
        "kas",
        "listopadu",
        "novembra",
        "studeni",
        "studenog",
        "studenoga",
        "noiembrie",
        "marraskuu",
        "marraskuuta",
        "noembrios",
        "noembriou",
        "noe",
        "nwfmbr",
    ],
    &[
        "december",
        "dec",
        "dezember",
        "dez",
        "decembre",
        "diciembre",
        "dic",
        "dicembre",
        "dezembro",
        "dekabria",
        "dekabr",
        "dek",
        "grudnia",
        "grudzien",
        "gru",
        "aralik",
        "ara",
        "prosinec",
        "prosince",
        "decembra",
        "prosinac",
        "prosinca",
        "decembrie",
        "joulukuu",
        "joulukuuta",
        "dekembrios",
        "dekembriou",
        "dysmbr",
    ],
];

/// Words a written date may carry besides its day, month and year: weekdays in full
/// (English, German, French, Spanish, Italian, Portuguese, Dutch), their three-letter
/// forms in English, Spanish, French, Italian and Portuguese (not the Spanish, French and
/// Italian `mar`, which is March), the two-letter German and Dutch ones ("Mo., 2. März
/// 1985", "za 2 maart 1985"), joining words ("2 de marzo de 1985", "the 2nd of March") and
/// the year's word ("1 января 2000 г.").
const FILLERS: &[&str] = &[
    "monday",
    "mon",
    "tuesday",
    "tue",
    "tues",
    "wednesday",
    "wed",
    "thursday",
    "thu",
    "thur",
    "thurs",
    "friday",
    "fri",
    "saturday",
    "sat",
    "sunday",
    "sun",
    "montag",
    "dienstag",
    "mittwoch",
    "donnerstag",
    "freitag",
    "samstag",
    "sonntag",
    "lundi",
    "mardi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "dimanche",
    "lunes",
    "martes",
    "miercoles",
    "jueves",
    "viernes",
    "sabado",
    "domingo",
    "lunedi",
    "martedi",
    "mercoledi",
    "giovedi",
    "venerdi",
    "sabato",
    "domenica",
    "segunda",
    "terca",
    "quarta",
    "quinta",
    "sexta",
    "feira",
    "maandag",
    "dinsdag",
    "woensdag",
    "donderdag",
    "vrijdag",
    "zaterdag",
    "zondag",
    "lun",
    "mie",
    "mer",
    "jue",
    "jeu",
    "gio",
    "vie",
    "ven",
    "sab",
    "sam",
    "dom",
    "dim",
    "seg",
    "ter",
    "qua",
    "qui",
    "sex",
    // German and Dutch two-letter weekdays.
    "mo",
    "di",
    "mi",
    "do",
    "fr",
    "sa",
    "so",
    "ma",
    "wo",
    "vr",
    "za",
    "zo",
    "de",
    "del",
    "of",
    "the",
    "le",
    "den",
    "der",
    // Russian "г." and "года", Polish "r." and "roku": the year's word after its number.
    "g",
    "goda",
    "r",
    "roku",
];

/// `2 March 1985`, `March 2nd, 1985`, `02-MAR-1985`, `2. März 1985`, `1er mars 1985`,
/// `2 de marzo de 1985`, `Sat, 02 Mar 1985 00:00:00`: a day, a month in words and a year
/// of four digits, in any order, with weekdays, joining words and a time of day around
/// them. Two-digit years stay unread, as in numeric dates.
fn worded(s: &str) -> Option<(u32, u32, u32)> {
    if !s.chars().any(|c| c.is_alphabetic()) {
        return None;
    }
    // A time of day ("00:00:00", "10:30") and its zone ("+0000", "GMT") are not part of
    // the date.
    let without_time: String = s
        .split_whitespace()
        .filter(|w| {
            let zone = w.starts_with('+')
                || (w.starts_with('-') && w.len() > 1)
                || ["gmt", "utc", "z"].contains(&w.to_ascii_lowercase().as_str());
            !(w.contains(':') || zone)
        })
        .collect::<Vec<_>>()
        .join(" ");
    let folded = crate::text::fold(&without_time);
    let (mut day, mut month, mut year) = (None, None, None);
    for word in folded.split(' ').filter(|w| !w.is_empty()) {
        if FILLERS.contains(&word) {
            continue;
        }
        if let Some(m) = MONTHS.iter().position(|names| names.contains(&word)) {
            if month.replace(m as u32 + 1).is_some() {
                return None;
            }
            continue;
        }
        let digits = word.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        let suffix = &word[digits.len()..];
        if digits.is_empty()
            || !digits.bytes().all(|b| b.is_ascii_digit())
            || !["", "st", "nd", "rd", "th", "er", "e", "o"].contains(&suffix)
        {
            return None;
        }
        let n: u32 = digits.parse().ok()?;
        let slot = if digits.len() == 4 && suffix.is_empty() {
            &mut year
        } else if digits.len() <= 2 {
            &mut day
        } else {
            return None;
        };
        if slot.replace(n).is_some() {
            return None;
        }
    }
    valid(year?, month?, day?)
}

fn numeric(s: &str, month_first: bool) -> Option<(u32, u32, u32)> {
    // Drop a time part: "1985-03-02T00:00:00", "1985-03-02 00:00:00".
    let s = s.split(['T', ' ']).next()?;
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        let y = s[..4].parse().ok()?;
        let m = s[4..6].parse().ok()?;
        let d = s[6..].parse().ok()?;
        return valid(y, m, d);
    }
    let sep = s.chars().find(|c| matches!(c, '-' | '/' | '.'))?;
    let parts: Vec<&str> = s.split(sep).collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let n: Vec<u32> = parts.iter().filter_map(|p| p.parse().ok()).collect();
    if n.len() != 3 {
        return None;
    }
    if parts[0].len() == 4 {
        return valid(n[0], n[1], n[2]);
    }
    if parts[2].len() != 4 {
        return None; // two-digit years are ambiguous by a century
    }
    let (a, b, y) = (n[0], n[1], n[2]);
    // A first part above 12 can only be a day; a second above 12 only a day; otherwise
    // slashes follow the country's habit and dots or dashes are day first.
    let month_is_first = a <= 12 && (b > 12 || (month_first && sep == '/'));
    let (m, d) = if month_is_first { (a, b) } else { (b, a) };
    valid(y, m, d)
}

fn valid(y: u32, m: u32, d: u32) -> Option<(u32, u32, u32)> {
    let leap = (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    ((1800..=2200).contains(&y) && (1..=days).contains(&d)).then_some((y, m, d))
}

/// What a written date says about the order of day and month: `Some(true)` if only a
/// month-first reading is possible (`03/25/1985`), `Some(false)` if only day-first
/// (`25/03/1985`), `None` when both or neither are (year-first and ambiguous dates).
pub fn order_evidence(raw: &str) -> Option<bool> {
    let s = raw.trim().split(['T', ' ']).next()?;
    let sep = s.chars().find(|c| matches!(c, '/' | '.' | '-'))?;
    let parts: Vec<u32> = s
        .split(sep)
        .map(|p| p.parse().ok())
        .collect::<Option<Vec<_>>>()?;
    let [a, b, y] = parts[..] else { return None };
    if y < 100 || a > 31 {
        return None;
    }
    match (a > 12, b > 12) {
        (true, false) => Some(false),
        (false, true) => Some(true),
        _ => None,
    }
}

/// Whether a value looks like a date, for role inference.
pub fn looks_like(raw: &str) -> bool {
    let raw = crate::ascii_forms(raw);
    let s = raw.trim();
    // Numeric dates up to 25 bytes (as under the rules before dates in words); a date in
    // words or with CJK marks up to 40 ("Wednesday, 25 September 1985").
    s.len() >= 8
        && ((s.len() <= 25 && numeric(s, false).is_some())
            || (s.len() <= 40 && marked(s).or_else(|| worded(s)).is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let want = Some("1985-03-02".to_owned());
        assert_eq!(canonical("1985-03-02", false), want);
        assert_eq!(canonical("02.03.1985", false), want);
        assert_eq!(canonical("02/03/1985", false), want);
        assert_eq!(canonical("03/02/1985", true), want);
        assert_eq!(canonical("19850302", false), want);
        assert_eq!(canonical("1985-03-02T00:00:00Z", false), want);
        assert_eq!(canonical("1985/3/2", false), want);
        assert_eq!(canonical("31/12/1985", true).as_deref(), Some("1985-12-31"));
    }

    /// Russian (Cyrillic, either case), Polish, Turkish, Swedish and Danish months, short
    /// weekdays of the Romance languages and the year's word read as the date they write.
    #[test]
    fn months_in_more_languages() {
        for (s, want) in [
            ("15 марта 1985", "1985-03-15"),
            ("15 МАРТА 1985", "1985-03-15"),
            ("1 января 2000 г.", "2000-01-01"),
            ("1 января 2000 года", "2000-01-01"),
            ("март 3 1990", "1990-03-03"),
            ("3 stycznia 1990", "1990-01-03"),
            ("5 maja 1985 r.", "1985-05-05"),
            ("21 października 1979", "1979-10-21"),
            ("12 Ekim 1975", "1975-10-12"),
            ("29 Şubat 1988", "1988-02-29"),
            ("2 augusti 1985", "1985-08-02"),
            ("15. marts 1985", "1985-03-15"),
            ("sáb, 2 abr 1985", "1985-04-02"),
            ("sáb 2 mar 1985", "1985-03-02"),
            ("dom 31 dic 1989", "1989-12-31"),
            ("seg, 4 mar 1985", "1985-03-04"),
            ("sabato 2 marzo 1985", "1985-03-02"),
            ("2 Eki 1985", "1985-10-02"),
            ("Mo., 4. März 1985", "1985-03-04"),
            ("za 2 maart 1985", "1985-03-02"),
            ("21. listopadu 1979", "1979-11-21"),
            ("3. března 1990", "1990-03-03"),
            ("5. srpnja 1985.", "1985-07-05"),
            ("5. srpna 1985", "1985-08-05"),
            ("1985. március 15.", "1985-03-15"),
            ("15 martie 1985", "1985-03-15"),
            ("15. maaliskuuta 1985", "1985-03-15"),
            ("15 Μαρτίου 1985", "1985-03-15"),
            ("15 ΜΑΡΤΙΟΥ 1985", "1985-03-15"),
            ("15 مارس 1985", "1985-03-15"),
            ("15 آذار 1985", "1985-03-15"),
            ("٢ أغسطس ١٩٨٥", "1985-08-02"),
        ] {
            assert_eq!(canonical(s, false).as_deref(), Some(want), "{s}");
            assert!(looks_like(s), "{s}");
        }
        // Not dates: no month, two months, a two-digit year, February 30th.
        for s in [
            "15 1985 г.",
            "3 stycznia marca 1990",
            "12 Ekim 75",
            "30 lutego 1990",
            // November in Polish, October in Croatian.
            "21 listopada 1979",
            "21 listopad 1979",
        ] {
            assert_eq!(canonical(s, false), None, "{s}");
        }
    }

    /// Every month name stands for one month and is no filler word, so that no written
    /// date reads as two different ones.
    #[test]
    fn month_names_are_unambiguous() {
        let mut seen = std::collections::HashMap::new();
        for (m, names) in MONTHS.iter().enumerate() {
            for name in *names {
                assert_eq!(crate::text::fold(name), *name, "{name} is not folded");
                assert!(!FILLERS.contains(name), "{name} is a filler too");
                if let Some(other) = seen.insert(*name, m) {
                    assert_eq!(other, m, "{name} names two months");
                }
            }
        }
    }

    #[test]
    fn months_in_words_and_cjk_marks() {
        let want = Some("1985-03-02".to_owned());
        for s in [
            "2 March 1985",
            "2 Mar 1985",
            "March 2, 1985",
            "Mar 2nd, 1985",
            "the 2nd of March 1985",
            "02-MAR-1985",
            "02-Mar-1985",
            "Sat, 02 Mar 1985 00:00:00 +0000",
            "Saturday, March 2, 1985",
            "2. März 1985",
            "2. Maerz 1985",
            "2 mars 1985",
            "samedi 2 mars 1985",
            "2 de marzo de 1985",
            "2 marzo 1985",
            "2 de março de 1985",
            "2 maart 1985",
            "1985年3月2日",
            "1985年03月02日",
            "1985년 3월 2일",
        ] {
            assert_eq!(canonical(s, false), want, "{s}");
            assert_eq!(canonical(s, true), want, "{s}");
            assert!(looks_like(s), "{s}");
        }
        assert_eq!(
            canonical("1er août 1985", false).as_deref(),
            Some("1985-08-01")
        );
        // Role inference: dates in words up to 40 bytes, numeric ones up to 25 as before (a
        // timestamp with microseconds and a zone is not a birth date).
        assert!(looks_like("Wednesday, 25 September 1985"));
        assert!(!looks_like("2023-05-17 14:22:31.482913+00"));
        assert!(looks_like("2023-05-17 14:22:31"));
        assert_eq!(
            canonical("31 dic 1985", false).as_deref(),
            Some("1985-12-31")
        );
        assert_eq!(
            canonical("Okt. 3, 1990", false).as_deref(),
            Some("1990-10-03")
        );
        for s in [
            "2 March 85",
            "02-MAR-85",
            "31 February 1985",
            "March 1985",
            "2 March",
            "2 3 March 1985",
            "2 March May 1985",
            "March the second 1985",
            "Main Street 12",
            "1985年3月",
            "85年3月2日",
        ] {
            assert_eq!(canonical(s, false), None, "{s}");
        }
    }

    #[test]
    fn order_evidence_from_unambiguous_dates() {
        assert_eq!(order_evidence("25/03/1985"), Some(false));
        assert_eq!(order_evidence("03/25/1985"), Some(true));
        assert_eq!(order_evidence("03/04/1985"), None);
        assert_eq!(order_evidence("1985-03-25"), None);
    }

    #[test]
    fn rejects_impossible() {
        for s in [
            "1985-02-30",
            "1985-13-01",
            "02.03.85",
            "abc",
            "",
            "2001-02-29",
        ] {
            assert_eq!(canonical(s, false), None, "{s}");
        }
        assert_eq!(
            canonical("2000-02-29", false).as_deref(),
            Some("2000-02-29")
        );
    }
}
