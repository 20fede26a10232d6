//! Column roles inferred from header names *and* values, with a confidence. A header is a
//! hint that the values must not contradict; without a header the values decide alone and
//! the confidence says how sure that is.
use crate::header;
use breachcheck_core::FieldRole;
use breachcheck_normalize::{country, date, email, name, phone};
use serde::Serialize;

/// Where a column's role came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleSource {
    /// The header name, confirmed (or not contradicted) by the values.
    Header,
    /// The values alone.
    Content,
    /// The user's `--map`.
    User,
}

/// One column of an input and what it holds. Carries no values.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Column {
    /// 1-based position.
    pub position: usize,
    /// The inferred or given role.
    pub role: FieldRole,
    /// Confidence in the role, 0..1.
    pub confidence: f32,
    /// Where the role came from.
    pub source: RoleSource,
    /// Share of sniffed rows with a non-empty value.
    pub fill_rate: f32,
}

#[derive(Default)]
struct Stats {
    n: usize,
    email: usize,
    phone: usize,
    phone_marked: usize,
    date: usize,
    country: usize,
    hash: usize,
    id: usize,
    name: usize,
    street: usize,
    tokens: usize,
    distinct: usize,
    /// Dates in 2010 or later.
    recent_dates: usize,
}

impl Stats {
    fn share(&self, k: usize) -> f32 {
        if self.n == 0 {
            0.0
        } else {
            k as f32 / self.n as f32
        }
    }
}

fn looks_like_hash(v: &str) -> bool {
    let hex = v.len() >= 32
        && v.bytes().all(|b| b.is_ascii_hexdigit())
        && matches!(v.len(), 32 | 40 | 56 | 64 | 96 | 128);
    hex || v.starts_with("$2a$")
        || v.starts_with("$2b$")
        || v.starts_with("$2y$")
        || v.starts_with("$argon2")
        || v.starts_with("$6$")
        || v.starts_with("$5$")
        || v.starts_with("$1$")
}

fn looks_like_id(v: &str) -> bool {
    (1..=40).contains(&v.len())
        && v.bytes().any(|b| b.is_ascii_digit())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn looks_like_street(v: &str) -> bool {
    v.split_whitespace().count() >= 2
        && v.chars().any(|c| c.is_ascii_digit())
        && v.chars().filter(|c| c.is_alphabetic()).count() >= 3
        && !email::looks_like(v)
}

fn stats(rows: &[Vec<String>], i: usize) -> Stats {
    let mut s = Stats::default();
    let mut seen = std::collections::HashSet::new();
    for v in rows
        .iter()
        .filter_map(|r| r.get(i))
        .map(|v| v.trim())
        .filter(|v| !v.is_empty() && !breachcheck_normalize::is_null_placeholder(v))
    {
        s.n += 1;
        s.email += usize::from(email::looks_like(v));
        let ph = phone::looks_like(v);
        s.phone += usize::from(ph);
        s.phone_marked += usize::from(
            ph && (v.starts_with('+')
                || v.starts_with('0')
                || v.contains([' ', '-', '(', '/', '.'])),
        );
        let is_date = date::looks_like(v);
        s.date += usize::from(is_date);
        if is_date {
            let year = date::canonical(v, false)
                .and_then(|d| d.get(..4).and_then(|y| y.parse::<u32>().ok()));
            s.recent_dates += usize::from(year.is_some_and(|y| y >= 2010));
        }
        s.country += usize::from(country::looks_like(v));
        s.hash += usize::from(looks_like_hash(v));
        s.id += usize::from(looks_like_id(v));
        s.name += usize::from(name::looks_like(v));
        s.street += usize::from(looks_like_street(v));
        s.tokens += v.split_whitespace().count();
        if seen.len() < 100_000 {
            seen.insert(v);
        }
    }
    s.distinct = seen.len();
    s
}

/// Whether the values do not contradict a header's role.
fn compatible(role: FieldRole, s: &Stats) -> bool {
    if s.n == 0 {
        return true;
    }
    match role {
        FieldRole::Email => s.share(s.email) >= 0.5,
        FieldRole::Phone => s.share(s.phone) >= 0.5,
        FieldRole::BirthDate => s.share(s.date) >= 0.5,
        FieldRole::Country => s.share(s.country) >= 0.5,
        FieldRole::FirstName | FieldRole::LastName | FieldRole::FullName | FieldRole::City => {
            s.share(s.name) >= 0.5
        }
        _ => true,
    }
}

/// Infers a role for each of `width` columns from header `names` (possibly empty) and
/// body `rows`.
pub(crate) fn infer(names: &[String], rows: &[Vec<String>], width: usize) -> Vec<Column> {
    let mut cols = Vec::with_capacity(width);
    let mut name_like = Vec::new();
    for i in 0..width {
        let s = stats(rows, i);
        let fill_rate = if rows.is_empty() {
            0.0
        } else {
            s.n as f32 / rows.len() as f32
        };
        let hint = names.get(i).and_then(|n| header::role_of(n));
        let col = |role, confidence, source| Column {
            position: i + 1,
            role,
            confidence,
            source,
            fill_rate,
        };
        if let Some(h) = hint.filter(|h| compatible(*h, &s)) {
            cols.push(col(
                h,
                if s.n == 0 { 0.5 } else { 0.95 },
                RoleSource::Header,
            ));
            continue;
        }
        let sh = |k| s.share(k);
        let c = if sh(s.email) >= 0.8 {
            col(FieldRole::Email, sh(s.email), RoleSource::Content)
        } else if sh(s.hash) >= 0.8 {
            col(FieldRole::PasswordHash, sh(s.hash), RoleSource::Content)
        } else if sh(s.date) >= 0.8 && s.recent_dates * 2 < s.date {
            // Dates of birth lie well in the past; a column of recent dates is when an
            // account was made or last used.
            col(FieldRole::BirthDate, 0.7 * sh(s.date), RoleSource::Content)
        } else if sh(s.date) >= 0.8 {
            col(FieldRole::Ignore, 0.6, RoleSource::Content)
        } else if sh(s.phone) >= 0.8 && sh(s.phone_marked) >= 0.5 {
            col(FieldRole::Phone, sh(s.phone_marked), RoleSource::Content)
        } else if sh(s.country) >= 0.8 {
            col(FieldRole::Country, 0.9 * sh(s.country), RoleSource::Content)
        } else if sh(s.street) >= 0.7 {
            col(FieldRole::Address, 0.7 * sh(s.street), RoleSource::Content)
        } else if sh(s.id) >= 0.9 && s.distinct * 100 >= s.n * 95 {
            col(FieldRole::CustomerId, 0.5, RoleSource::Content)
        } else if sh(s.id) >= 0.9 {
            col(FieldRole::PostalCode, 0.4, RoleSource::Content)
        } else if s.n >= 30 && s.distinct <= 6 {
            // A handful of values over many rows is a category (title, gender, status),
            // never a name or a city.
            col(FieldRole::Ignore, 0.7, RoleSource::Content)
        } else if sh(s.name) >= 0.8 {
            name_like.push((i, s.tokens as f32 / s.n.max(1) as f32));
            col(FieldRole::Ignore, 0.0, RoleSource::Content)
        } else {
            col(FieldRole::Ignore, 0.3, RoleSource::Content)
        };
        cols.push(c);
    }
    resolve_names(&mut cols, &name_like);
    resolve_combolist(
        &mut cols,
        &names.iter().map(|n| header::role_of(n)).collect::<Vec<_>>(),
    );
    cols
}

/// Combolists (`email:password`, `email;hash`, `user|email|hash`): in a file of at most
/// three columns with an e-mail column, a column before it is a user name and one after it
/// a password or its hash — never a name or an id, which would make false matches.
fn resolve_combolist(cols: &mut [Column], hints: &[Option<FieldRole>]) {
    if cols.len() > 3 {
        return;
    }
    let Some(e) = cols.iter().position(|c| c.role == FieldRole::Email) else {
        return;
    };
    for (i, c) in cols.iter_mut().enumerate() {
        if i == e || hints.get(i).copied().flatten().is_some() || c.source == RoleSource::Header {
            continue;
        }
        c.role = if i < e {
            FieldRole::Username
        } else {
            FieldRole::PasswordHash
        };
        c.confidence = 0.6;
        c.source = RoleSource::Content;
    }
}

/// Name-like columns without a header: a multi-word column is a full name; single words in
/// order are first name, last name, then city (a name-like column after an address column
/// is a city).
fn resolve_names(cols: &mut [Column], name_like: &[(usize, f32)]) {
    let have = |cols: &[Column], r| cols.iter().any(|c| c.role == r);
    for &(i, mean_tokens) in name_like {
        let after_address = cols[..i]
            .iter()
            .any(|c| matches!(c.role, FieldRole::Address | FieldRole::Street));
        let role = if after_address && !have(cols, FieldRole::City) {
            FieldRole::City
        } else if mean_tokens >= 1.7 && !have(cols, FieldRole::FullName) {
            FieldRole::FullName
        } else if !have(cols, FieldRole::FirstName) && !have(cols, FieldRole::FullName) {
            FieldRole::FirstName
        } else if !have(cols, FieldRole::LastName) && !have(cols, FieldRole::FullName) {
            FieldRole::LastName
        } else if !have(cols, FieldRole::City) {
            FieldRole::City
        } else {
            FieldRole::Ignore
        };
        cols[i].role = role;
        cols[i].confidence = 0.5;
    }
}

/// The order of day and month in the birth-date column, from the values that can be read
/// only one way; `None` when none can, or when they contradict each other.
pub(crate) fn date_order(cols: &[Column], rows: &[Vec<String>]) -> Option<bool> {
    let i = cols.iter().position(|c| c.role == FieldRole::BirthDate)?;
    let (mut month_first, mut day_first) = (0usize, 0usize);
    for v in rows.iter().filter_map(|r| r.get(i)) {
        match date::order_evidence(v) {
            Some(true) => month_first += 1,
            Some(false) => day_first += 1,
            None => {}
        }
    }
    match (month_first, day_first) {
        (0, 0) => None,
        (m, 0) if m > 0 => Some(true),
        (0, d) if d > 0 => Some(false),
        _ => None,
    }
}

/// The dominant region of internationally written numbers in the phone column.
pub(crate) fn dominant_phone_region(cols: &[Column], rows: &[Vec<String>]) -> Option<String> {
    let i = cols.iter().position(|c| c.role == FieldRole::Phone)?;
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut total = 0;
    for v in rows.iter().filter_map(|r| r.get(i)).take(1000) {
        if let Some(r) = breachcheck_normalize::phone::international_region(v) {
            *counts.entry(r).or_insert(0) += 1;
            total += 1;
        }
    }
    let (region, n) = counts
        .into_iter()
        .max_by_key(|(r, n)| (*n, std::cmp::Reverse(r.clone())))?;
    (total >= 5 && n * 2 > total).then_some(region)
}

/// Applies `--map` overrides; the error names the column reference that matched nothing.
pub(crate) fn apply_overrides(
    cols: &mut Vec<Column>,
    names: &[String],
    map: &[(String, FieldRole)],
    strict: bool,
) -> Result<(), String> {
    for (reference, role) in map {
        let by_name = names
            .iter()
            .position(|n| n.trim().eq_ignore_ascii_case(reference.trim()))
            .or_else(|| {
                names
                    .iter()
                    .position(|n| header::fold(n) == header::fold(reference))
            });
        let idx = match by_name {
            Some(i) => i,
            None => match reference.trim().parse::<usize>() {
                Ok(n) if n >= 1 => n - 1,
                _ if strict => return Err(reference.clone()),
                _ => continue,
            },
        };
        while cols.len() <= idx {
            let position = cols.len() + 1;
            cols.push(Column {
                position,
                role: FieldRole::Ignore,
                confidence: 0.0,
                source: RoleSource::Content,
                fill_rate: 0.0,
            });
        }
        cols[idx].role = *role;
        cols[idx].confidence = 1.0;
        cols[idx].source = RoleSource::User;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(v: &[&[&str]]) -> Vec<Vec<String>> {
        v.iter()
            .map(|r| r.iter().map(|s| s.to_string()).collect())
            .collect()
    }

    #[test]
    fn infers_from_values_without_header() {
        let body = rows(&[
            &[
                "1001",
                "Ana",
                "Lopez",
                "ana@example.es",
                "+34 612 345 678",
                "Calle Mayor 5",
                "Madrid",
                "ES",
            ],
            &[
                "1002",
                "Bo",
                "Li",
                "bo@example.cn",
                "+86 139 1234 5678",
                "Nanjing Road 12",
                "Shanghai",
                "CN",
            ],
            &[
                "1003",
                "Jürgen",
                "Müller",
                "jm@example.de",
                "0151 23456789",
                "Hauptstr. 5",
                "Köln",
                "DE",
            ],
        ]);
        let roles: Vec<FieldRole> = infer(&[], &body, 8).iter().map(|c| c.role).collect();
        assert_eq!(
            roles,
            [
                FieldRole::CustomerId,
                FieldRole::FirstName,
                FieldRole::LastName,
                FieldRole::Email,
                FieldRole::Phone,
                FieldRole::Address,
                FieldRole::City,
                FieldRole::Country
            ]
        );
    }

    #[test]
    fn combolist_columns() {
        let body = rows(&[
            &["ana@example.org", "qwerty123"],
            &["bo@example.org", "Sunshine"],
            &["li@example.cn", "p4ss:w0rd"],
        ]);
        let roles: Vec<FieldRole> = infer(&[], &body, 2).iter().map(|c| c.role).collect();
        assert_eq!(roles, [FieldRole::Email, FieldRole::PasswordHash]);
        let body = rows(&[
            &[
                "ana77",
                "ana@example.org",
                "5f4dcc3b5aa765d61d8327deb882cf99",
            ],
            &["bo", "bo@example.org", "e10adc3949ba59abbe56e057f20f883e"],
        ]);
        let roles: Vec<FieldRole> = infer(&[], &body, 3).iter().map(|c| c.role).collect();
        assert_eq!(
            roles,
            [
                FieldRole::Username,
                FieldRole::Email,
                FieldRole::PasswordHash
            ]
        );
    }

    #[test]
    fn categories_are_not_names() {
        let titles = ["Mr", "Mrs", "Ms", "Dr"];
        let body: Vec<Vec<String>> = (0..40)
            .map(|i| {
                vec![
                    titles[i % 4].to_owned(),
                    format!("Person{}", (b'a' + (i % 26) as u8) as char)
                        .replace(|c: char| c.is_ascii_digit(), ""),
                ]
            })
            .collect();
        let roles: Vec<FieldRole> = infer(&[], &body, 2).iter().map(|c| c.role).collect();
        assert_eq!(roles[0], FieldRole::Ignore);
    }

    #[test]
    fn header_contradicted_by_values_is_not_trusted() {
        let names = vec!["phone".to_owned()];
        let body = rows(&[&["a@example.org"], &["b@example.org"]]);
        let c = &infer(&names, &body, 1)[0];
        assert_eq!((c.role, c.source), (FieldRole::Email, RoleSource::Content));
    }

    #[test]
    fn overrides_by_name_or_position() {
        let names = vec!["a".to_owned(), "b".to_owned()];
        let mut cols = infer(&names, &[], 2);
        apply_overrides(
            &mut cols,
            &names,
            &[
                ("B".into(), FieldRole::City),
                ("1".into(), FieldRole::Email),
            ],
            true,
        )
        .expect("known columns");
        assert_eq!(
            (cols[0].role, cols[1].role),
            (FieldRole::Email, FieldRole::City)
        );
        assert!(
            apply_overrides(&mut cols, &names, &[("zz".into(), FieldRole::City)], true).is_err()
        );
        assert!(
            apply_overrides(&mut cols, &names, &[("zz".into(), FieldRole::City)], false).is_ok()
        );
    }
}
