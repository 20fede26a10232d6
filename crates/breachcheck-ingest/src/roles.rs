//! Column roles inferred from header names *and* values, with a confidence. A header is a
//! hint that the values must not contradict; without a header the values decide alone and
//! the confidence says how sure that is.
mod content;

use crate::header;
use breachcheck_core::FieldRole;
use breachcheck_normalize::{date, email};
use content::Stats;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Where a column's role came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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

/// An IPv4 address (a dotted quad of 0–255, perhaps with a port) or an IPv6 address.
/// Phone punctuation admits a dotted quad — `10.137.62.75` has nine digits — so addresses
/// are ruled out before a column is read as phones.
fn looks_like_ip(v: &str) -> bool {
    // `[2001:db8::1]:443`, `fe80::1%eth0`.
    let host = v
        .strip_prefix('[')
        .and_then(|r| r.split_once(']'))
        .map_or(v, |(h, _)| h);
    let host = host.split_once('%').map_or(host, |(h, _)| h);
    if host.contains("::") || host.matches(':').count() >= 2 {
        return host.parse::<std::net::Ipv6Addr>().is_ok();
    }
    let addr = match host.rsplit_once(':') {
        Some((a, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => a,
        _ => host,
    };
    let parts: Vec<&str> = addr.split('.').collect();
    // Addresses are written without leading zeros, or with every part padded to three
    // digits; a Belgian `02.123.45.67` is a phone number.
    let padded = parts.iter().all(|p| p.len() == 3);
    parts.len() == 4
        && parts.iter().all(|p| {
            (1..=3).contains(&p.len())
                && p.bytes().all(|b| b.is_ascii_digit())
                && (padded || p.len() == 1 || !p.starts_with('0'))
                && p.parse::<u16>().is_ok_and(|x| x <= 255)
        })
}

/// A Unix time in seconds or milliseconds between 2001 and 2033 (ten or thirteen digits
/// starting with 1). No phone number is written that way: without a country code, North
/// American area codes never start with 1, and elsewhere a national number starts with
/// its trunk 0.
fn looks_like_epoch(v: &str) -> bool {
    matches!(v.len(), 10 | 13) && v.starts_with('1') && v.bytes().all(|b| b.is_ascii_digit())
}

/// An amount with one or two decimals (`1299.00`, `-17.5`): prices and balances.
fn looks_like_amount(v: &str) -> bool {
    let v = v.strip_prefix('-').unwrap_or(v);
    v.split_once('.').is_some_and(|(int, dec)| {
        !int.is_empty()
            && (1..=2).contains(&dec.len())
            && int.bytes().chain(dec.bytes()).all(|b| b.is_ascii_digit())
    })
}

/// A US ZIP code, `12345` or ZIP+4 `12345-6789`; `Some(true)` for ZIP+4.
fn zip_shape(v: &str) -> Option<bool> {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    match v.split_once('-') {
        None => digits(v, 5).then_some(false),
        Some((zip, plus4)) => (digits(zip, 5) && digits(plus4, 4)).then_some(true),
    }
}

/// A national identifier recognisable by its shape alone: a US social security number
/// (`123-45-6789`, of the ranges ever issued), a UK National Insurance number
/// (`AB 12 34 56 C`), a Spanish DNI or NIE with its check letter (`12345678Z`).
/// Written with dashes, an SSN has phone punctuation and nine digits.
fn looks_like_national_id(v: &str) -> bool {
    let b = v.as_bytes();
    let num = |r: std::ops::Range<usize>| {
        v.get(r)
            .filter(|s| s.bytes().all(|c| c.is_ascii_digit()))
            .and_then(|s| s.parse::<u32>().ok())
    };
    // US SSN: area 001–899 but 666, group 01–99, serial 0001–9999.
    if b.len() == 11 && b[3] == b'-' && b[6] == b'-' {
        if let (Some(area), Some(group), Some(serial)) = (num(0..3), num(4..6), num(7..11)) {
            return (1..900).contains(&area) && area != 666 && group != 0 && serial != 0;
        }
    }
    let compact: String = v
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect::<String>()
        .to_ascii_uppercase();
    let c = compact.as_bytes();
    // UK NINO: two prefix letters (not D, F, I, Q, U, V; the second not O either), six
    // digits, a suffix A–D.
    if c.len() == 9
        && !b"DFIQUV".contains(&c[0])
        && !b"DFIQUVO".contains(&c[1])
        && c[..2].iter().all(u8::is_ascii_uppercase)
        && c[2..8].iter().all(u8::is_ascii_digit)
        && (b'A'..=b'D').contains(&c[8])
    {
        return true;
    }
    // Spanish DNI (8 digits) or NIE (X, Y or Z and 7 digits), the letter a check on the
    // number modulo 23.
    if c.len() == 9 && c[8].is_ascii_uppercase() {
        let lead = match c[0] {
            b'X' => Some(0),
            b'Y' => Some(1),
            b'Z' => Some(2),
            d if d.is_ascii_digit() => Some(u32::from(d - b'0')),
            _ => None,
        };
        let rest = std::str::from_utf8(&c[1..8])
            .ok()
            .filter(|r| r.bytes().all(|d| d.is_ascii_digit()))
            .and_then(|r| r.parse::<u32>().ok());
        if let (Some(lead), Some(rest)) = (lead, rest) {
            let n = lead * 10_000_000 + rest;
            return b"TRWAGMYFPDXBNJZSQVHLCKE"[(n % 23) as usize] == c[8];
        }
    }
    false
}

fn looks_like_street(v: &str) -> bool {
    v.split_whitespace().count() >= 2
        && v.chars().any(|c| c.is_ascii_digit())
        && v.chars().filter(|c| c.is_alphabetic()).count() >= 3
        && !email::looks_like(v)
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
        // "Flores, Barbara" under `name`.
        FieldRole::FullName => s.share(s.name + s.last_first) >= 0.5,
        FieldRole::FirstName | FieldRole::LastName | FieldRole::City => s.share(s.name) >= 0.5,
        _ => true,
    }
}

/// Infers a role for each of `width` columns from header `names` (possibly empty) and
/// body `rows`: a header name the values do not contradict gives the role; the other
/// columns get theirs from their values and their neighbours ([`content::assign`]).
pub(crate) fn infer(names: &[String], rows: &[Vec<String>], width: usize) -> Vec<Column> {
    // Columns are independent: summed up on the thread pool (a wide sample's columns are
    // most of the time a small verify spends before its first lookup).
    let stats: Vec<Stats> = (0..width)
        .into_par_iter()
        .map(|i| content::stats(rows, i))
        .collect();
    let mut cols = Vec::with_capacity(width);
    let mut guesses = Vec::with_capacity(width);
    for (i, s) in stats.iter().enumerate() {
        let fill_rate = if rows.is_empty() {
            0.0
        } else {
            s.n as f32 / rows.len() as f32
        };
        let hint = names
            .get(i)
            .and_then(|n| header_role(n))
            .filter(|h| compatible(*h, s));
        let (role, confidence, source) = match hint {
            Some(h) => (h, if s.n == 0 { 0.5 } else { 0.95 }, RoleSource::Header),
            None => (FieldRole::Ignore, 0.0, RoleSource::Content),
        };
        cols.push(Column {
            position: i + 1,
            role,
            confidence,
            source,
            fill_rate,
        });
        guesses.push(hint.is_none().then(|| content::guess(s)));
    }
    content::assign(&mut cols, guesses, &stats);
    resolve_combolist(
        &mut cols,
        &names.iter().map(|n| header_role(n)).collect::<Vec<_>>(),
        &stats,
    );
    cols
}

/// Header words of an IP address column, and names written run together that end in
/// `ip` (`lastloginip`): the part before it must be one of these, since `zip`, `vip` or
/// `ship` end in `ip` too.
const IP_WORDS: &[&str] = &["ip", "ips", "ipv4", "ipv6", "ipaddr", "ipaddress"];
const IP_PREFIXES: &[&str] = &[
    "",
    "last",
    "signup",
    "login",
    "lastlogin",
    "reg",
    "registration",
    "register",
    "remote",
    "client",
    "user",
    "created",
    "creation",
    "source",
    "src",
    "current",
    "origin",
    "request",
    "public",
    "host",
    "device",
    "visitor",
    "customer",
    "order",
    "checkout",
    "payment",
];

/// Header names of national identifiers: social security, tax, passport and identity-card
/// numbers, in the languages of customer data, written as one word or several
/// (`soc_sec_id`, `socialSecurityNumber`, `tax_id`, `passport_no`).
const NATIONAL_ID_WORDS: &[&str] = &[
    "aadhaar",
    "aadhar",
    "afm",
    "ahv",
    "ahvnr",
    "ahvnummer",
    "amka",
    "bsn",
    "burgerservicenummer",
    "cedula",
    "cnp",
    "codicefiscale",
    "cpf",
    "cpr",
    "cprnr",
    "cprnummer",
    "curp",
    "dni",
    "dui",
    "egn",
    "emso",
    "fodselsnummer",
    "fodselsnr",
    "henkilotunnus",
    "hetu",
    "hkid",
    "idcard",
    "idcardno",
    "idcardnumber",
    "identitycard",
    "identitycardnumber",
    "identitydocument",
    "identitynumber",
    "insee",
    "jmbg",
    "mynumber",
    "nationalid",
    "nationalidentificationnumber",
    "nationalidentifier",
    "nationalidentitynumber",
    "nationalidno",
    "nationalidnumber",
    "nationalinsurance",
    "nationalinsuranceno",
    "nationalinsurancenumber",
    "nif",
    "nino",
    "nric",
    "oib",
    "passport",
    "passportid",
    "passportno",
    "passportnr",
    "passportnum",
    "passportnumber",
    "personalidentificationnumber",
    "personalidentitynumber",
    "personalidnumber",
    "personnummer",
    "pesel",
    "ppsn",
    "ppsno",
    "rrn",
    "socialinsurancenumber",
    "socialsec",
    "socialsecurity",
    "socialsecurityid",
    "socialsecurityno",
    "socialsecuritynumber",
    "socsec",
    "socsecid",
    "socsecno",
    "socsecnum",
    "socsecnumber",
    "sozialversicherungsnummer",
    "ssn",
    "steuerid",
    "steueridentifikationsnummer",
    "steueridnr",
    "steuernummer",
    "svnr",
    "taxid",
    "taxidentificationnumber",
    "taxidno",
    "taxidnumber",
    "taxno",
    "taxnumber",
    "taxpayerid",
    "tckimlikno",
    "tckn",
    "tfn",
];
/// Short or common names that mean a national identifier only as the whole header: `sin`
/// is Spanish for "without", `nie` Polish for "not", `id_no` may be any id.
const NATIONAL_ID_WHOLE: &[&str] = &[
    "idno", "idnr", "idnumber", "nid", "nie", "nin", "nir", "rfc", "rut", "sin", "tin",
];

/// A header name's words, lower case: split at anything not a letter or digit and where
/// camel case starts a word (`lastLoginIP` → last, login, ip).
fn header_words(name: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for ch in name.chars() {
        if !ch.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if ch.is_ascii_uppercase() && prev_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        current.push(ch.to_ascii_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// The role a header name gives a column: [`header::role_of`], except that a column named
/// for an IP address (`signup_ip`, `lastLoginIP`, `ip_address`) is left alone, and one
/// named for a national identifier (`ssn`, `soc_sec_id`, `tax_id`, `passport_no`) is
/// one — never a customer id, where its matches would read as the company's own ids.
fn header_role(name: &str) -> Option<FieldRole> {
    let words = header_words(name);
    let folded = header::fold(name);
    let ip = words.iter().any(|w| IP_WORDS.contains(&w.as_str()))
        || folded
            .strip_suffix("ip")
            .is_some_and(|before| IP_PREFIXES.contains(&before))
        || ["ipaddress", "ipaddr", "remoteaddr", "remoteaddress"]
            .iter()
            .any(|end| folded.ends_with(end));
    if ip {
        return Some(FieldRole::Ignore);
    }
    // A run of words ending the name (`customer_ssn`, `tax_id`): `passport_country` or
    // `national_id_type` name something else.
    let ends_with_id = (0..words.len()).any(|i| {
        let run: String = words[i..].concat();
        NATIONAL_ID_WORDS.contains(&run.as_str())
    });
    // The same before a trailing "no", "number" and the like (`passport_no`, `ssn_number`).
    let generic = ["no", "nr", "num", "number", "nummer", "id", "code"];
    let core = words
        .iter()
        .rposition(|w| !generic.contains(&w.as_str()))
        .map_or(&words[..0], |last| &words[..=last]);
    let ends_with_id_before_no = (0..core.len()).any(|i| {
        let run: String = core[i..].concat();
        NATIONAL_ID_WORDS.contains(&run.as_str())
    });
    if ends_with_id || ends_with_id_before_no || NATIONAL_ID_WHOLE.contains(&folded.as_str()) {
        return Some(FieldRole::NationalId);
    }
    header::role_of(name)
}

/// Combolists (`email:password`, `email;hash`, `user|email|hash`): in a file of at most
/// three columns with an e-mail column, a column before it is a user name and one after it
/// a password or its hash — never a first name or an id, which would make false matches
/// (`Sunshine` and `qwerty123` pass for both) — unless its values have a shape no
/// password has ([`content::not_a_password`]).
fn resolve_combolist(cols: &mut [Column], hints: &[Option<FieldRole>], stats: &[Stats]) {
    if cols.len() > 3 {
        return;
    }
    let Some(e) = cols.iter().position(|c| c.role == FieldRole::Email) else {
        return;
    };
    for (i, c) in cols.iter_mut().enumerate() {
        if i == e
            || hints.get(i).copied().flatten().is_some()
            || c.source == RoleSource::Header
            || stats
                .get(i)
                .is_some_and(|s| content::not_a_password(c.role, s))
        {
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
    // On the thread pool: a region's first number compiles its numbering plan's patterns
    // (2–10 ms each, in the phone library), and a sample of many nationalities meets dozens
    // of regions here first, before any other work could overlap them.
    let values: Vec<&String> = rows.iter().filter_map(|r| r.get(i)).take(1000).collect();
    let regions: Vec<Option<String>> = values
        .par_iter()
        .map(|v| breachcheck_normalize::phone::international_region(v))
        .collect();
    for r in regions.into_iter().flatten() {
        *counts.entry(r).or_insert(0) += 1;
        total += 1;
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

    fn roles_of(names: &[&str], body: &[Vec<String>]) -> Vec<FieldRole> {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let width = body.first().map_or(names.len(), Vec::len);
        infer(&names, body, width).iter().map(|c| c.role).collect()
    }

    /// `n` rows of synthetic values, one column per generator.
    fn table(n: usize, gens: &[&dyn Fn(usize) -> String]) -> Vec<Vec<String>> {
        (0..n)
            .map(|i| gens.iter().map(|g| g(i)).collect())
            .collect()
    }

    fn ipv4(i: usize) -> String {
        format!("10.{}.{}.{}", i * 37 % 256, i * 11 % 256, 1 + i % 254)
    }

    #[test]
    fn an_ip_address_column_is_no_phone() {
        // Header-less: e-mail, first name, last name, phone, IP.
        let first = ["Ana", "Bo", "Jürgen", "Li", "Marta", "Noah"];
        let last = ["Lopez", "Weber", "Müller", "Chen", "Rossi", "Smith"];
        let body = table(
            20,
            &[
                &|i| format!("user{i}@example.org"),
                &|i| first[i % 6].to_owned(),
                &|i| last[(i / 6) % 6].to_owned(),
                &|i| format!("+49 151 {:08}", 20_000_000 + i * 7_919),
                &ipv4,
            ],
        );
        assert_eq!(
            roles_of(&[], &body),
            [
                FieldRole::Email,
                FieldRole::FirstName,
                FieldRole::LastName,
                FieldRole::Phone,
                FieldRole::Ignore
            ]
        );
        // IPv6, and addresses with ports or zero-padded.
        for v in [
            "2001:db8::8a2e:370:7334",
            "fe80::1%eth0",
            "[2001:db8::1]:443",
            "::ffff:10.1.2.3",
            "10.137.62.75",
            "192.168.0.1:8080",
            "010.001.002.003",
        ] {
            assert!(looks_like_ip(v), "{v}");
        }
        for v in [
            "02.123.45.67",
            "06.12.34.56.78",
            "10.137.62",
            "256.1.1.1",
            "12:30:45",
        ] {
            assert!(!looks_like_ip(v), "{v}");
        }
        let body = table(20, &[&|i| format!("2001:db8:85a3::{:x}", 4096 + i * 77)]);
        assert_eq!(roles_of(&[], &body), [FieldRole::Ignore]);
    }

    #[test]
    fn an_ip_header_is_ignored_whatever_its_values() {
        let body = table(20, &[&|i| format!("user{i}@example.org"), &ipv4]);
        for name in [
            "signup_ip",
            "ip",
            "ip_address",
            "last_ip",
            "ipv4",
            "IPv6",
            "lastLoginIP",
            "current_sign_in_ip",
            "REMOTE_ADDR",
            "lastloginip",
            "user.last_ip",
        ] {
            assert_eq!(header_role(name), Some(FieldRole::Ignore), "{name}");
            let cols = infer(&["email".to_owned(), name.to_owned()], &body, 2);
            assert_eq!(
                (cols[1].role, cols[1].source),
                (FieldRole::Ignore, RoleSource::Header),
                "{name}"
            );
        }
        // A header that says phone over a column of addresses is not trusted.
        let c = &infer(&["email".to_owned(), "phone".to_owned()], &body, 2)[1];
        assert_eq!((c.role, c.source), (FieldRole::Ignore, RoleSource::Content));
        for name in ["zip", "vip_level", "ship_to", "membership", "zipcode"] {
            assert_ne!(header_role(name), Some(FieldRole::Ignore), "{name}");
        }
    }

    #[test]
    fn other_numbers_of_dumps_are_no_phones() {
        let cases: [(&str, &dyn Fn(usize) -> String); 7] = [
            ("epoch seconds", &|i| {
                format!("{}", 1_699_999_999 - i * 86_413)
            }),
            ("epoch milliseconds", &|i| {
                format!("{}", 1_699_999_999_123u64 - i as u64 * 8_641_307)
            }),
            ("prices", &|i| format!("{}.{:02}", 10 + i * 37, i % 100)),
            ("large amounts", &|i| {
                format!("{}.{:02}", 1_000_000 + i * 3_701, i % 100)
            }),
            ("ZIP+4", &|i| {
                format!("{:05}-{:04}", 10_001 + i * 97, 1_000 + i * 13)
            }),
            ("dotted birth dates", &|i| {
                format!("{:02}.{:02}.{}", 1 + i % 28, 1 + i % 12, 1950 + i)
            }),
            ("SSNs", &|i| {
                format!("{:03}-{:02}-{:04}", 100 + i * 13, 10 + i, 1_000 + i * 77)
            }),
        ];
        for (what, g) in cases {
            let body = table(40, &[g]);
            let role = roles_of(&[], &body)[0];
            assert_ne!(role, FieldRole::Phone, "{what}");
            // Nor under a header that says phone.
            let names = vec!["phone".to_owned()];
            assert_ne!(infer(&names, &body, 1)[0].role, FieldRole::Phone, "{what}");
        }
        let role = |g: &dyn Fn(usize) -> String| roles_of(&[], &table(40, &[g]))[0];
        assert_eq!(
            role(&|i| format!("{}", 1_699_999_999_123u64 - i as u64 * 8_641_307)),
            FieldRole::Ignore
        );
        assert_eq!(
            role(&|i| format!("{:02}.{:02}.{}", 1 + i % 28, 1 + i % 12, 1950 + i)),
            FieldRole::BirthDate
        );
        assert_eq!(role(&|_| "12.03.1985".to_owned()), FieldRole::BirthDate);
        assert_eq!(
            role(&|i| if i % 2 == 0 {
                format!("{:05}", 10_001 + i * 97)
            } else {
                format!("{:05}-{:04}", 10_001 + i * 97, 1_000 + i)
            }),
            FieldRole::PostalCode
        );
        // Phones keep their role: dotted, dashed, international, North American.
        for g in [
            &(|i: usize| format!("06.12.34.{:02}.{:02}", i % 100, (i * 7) % 100))
                as &dyn Fn(usize) -> String,
            &|i| format!("0151-{:08}", 23_456_789 + i * 31),
            &|i| format!("(201) 555-{:04}", 100 + i),
            &|i| format!("+1 202 555 {:04}", 100 + i),
        ] {
            assert_eq!(role(g), FieldRole::Phone);
        }
    }

    #[test]
    fn national_ids_by_header_and_by_shape() {
        for name in [
            "ssn",
            "SSN",
            "soc_sec_id",
            "social_security_number",
            "socialSecurityNumber",
            "national_id",
            "tax_id",
            "TaxID",
            "tin",
            "nino",
            "passport",
            "passport_no",
            "passportNumber",
            "id_number",
            "personnummer",
            "bsn",
            "nif",
            "dni",
            "customer_ssn",
            "codice_fiscale",
        ] {
            assert_eq!(header_role(name), Some(FieldRole::NationalId), "{name}");
        }
        for (name, want) in [
            ("passport_country", Some(FieldRole::Country)),
            ("national_id_type", None),
            ("precio_sin_iva", None),
            ("destination", None),
            ("business", None),
            ("customer_id", Some(FieldRole::CustomerId)),
            ("order_id", Some(FieldRole::OrderId)),
            ("id", Some(FieldRole::CustomerId)),
        ] {
            assert_eq!(header_role(name), want, "{name}");
        }
        for v in [
            "123-45-6789",
            "AB 12 34 56 C",
            "JG103728A",
            "12345678Z",
            "X1234567L",
        ] {
            assert!(looks_like_national_id(v), "{v}");
        }
        for v in [
            "000-12-3456",
            "666-12-3456",
            "912-34-5678",
            "123-00-4567",
            "12345678A",
            "+1 555 123 4567",
        ] {
            assert!(!looks_like_national_id(v), "{v}");
        }
        let body = table(
            30,
            &[&|i| format!("user{i}@example.org"), &|i| {
                format!("{:03}-{:02}-{:04}", 101 + i * 29, 1 + i, 1 + i * 313)
            }],
        );
        assert_eq!(
            roles_of(&[], &body),
            [FieldRole::Email, FieldRole::NationalId]
        );
    }

    #[test]
    fn febrl_columns() {
        // FEBRL's synthetic record layout (values made up in its style).
        let names = [
            "rec_id",
            "given_name",
            "surname",
            "street_number",
            "address_1",
            "address_2",
            "suburb",
            "postcode",
            "state",
            "date_of_birth",
            "soc_sec_id",
        ];
        let given = ["michaela", "courtney", "charles", "vanessa", "mikayla"];
        let surnames = ["neumann", "painter", "green", "parr", "malloy"];
        let streets = [
            "stanley street",
            "pinkerton circuit",
            "sculptor street",
            "ballard place",
        ];
        let suburbs = ["winston hills", "richlands", "bonnet bay", "east preston"];
        let body = table(
            40,
            &[
                &|i| {
                    format!(
                        "rec-{}-{}",
                        1000 + i * 37,
                        if i % 2 == 0 { "org" } else { "dup-0" }
                    )
                },
                &|i| given[i % 5].to_owned(),
                &|i| surnames[(i / 5) % 5].to_owned(),
                &|i| (1 + i * 3 % 90).to_string(),
                &|i| streets[i % 4].to_owned(),
                &|i| {
                    if i % 3 == 0 {
                        "miami".to_owned()
                    } else {
                        String::new()
                    }
                },
                &|i| suburbs[i % 4].to_owned(),
                &|i| (2000 + i * 53 % 7000).to_string(),
                &|i| ["nsw", "vic", "qld", "wa"][i % 4].to_owned(),
                &|i| format!("19{:02}{:02}{:02}", 20 + i % 70, 1 + i % 12, 1 + i % 28),
                &|i| (1_000_000 + i * 123_457).to_string(),
            ],
        );
        let roles = roles_of(&names, &body);
        assert_eq!(roles[0], FieldRole::CustomerId, "{roles:?}");
        assert_eq!(roles[1], FieldRole::FirstName, "{roles:?}");
        assert_eq!(roles[2], FieldRole::LastName, "{roles:?}");
        assert_eq!(roles[9], FieldRole::BirthDate, "{roles:?}");
        assert_eq!(roles[10], FieldRole::NationalId, "{roles:?}");
        assert_eq!(
            roles
                .iter()
                .filter(|r| **r == FieldRole::CustomerId)
                .count(),
            1,
            "{roles:?}"
        );
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
