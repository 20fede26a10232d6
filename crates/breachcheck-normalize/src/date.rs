//! Dates of birth to ISO 8601 (`YYYY-MM-DD`). Hand-written: the formats are few and a date
//! crate would add build time for what is a dozen lines of parsing.

/// Canonical ISO date, or `None` if `raw` is not a plausible calendar date.
/// `month_first` decides `03/04/1985` (true: March 4th, as in the US); a first part above
/// 12 decides by itself.
pub fn canonical(raw: &str, month_first: bool) -> Option<String> {
    let (y, m, d) = crate::text::or_ascii_forms(raw, |raw| parse(raw.trim(), month_first))?;
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

fn parse(s: &str, month_first: bool) -> Option<(u32, u32, u32)> {
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
    s.len() >= 8 && s.len() <= 25 && parse(s, false).is_some()
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
