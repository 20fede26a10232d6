//! `breachcheck canary generate`: realistic records to plant in a system, whose e-mails and
//! phone numbers the company controls, so a copy of the system can be recognised by them
//! and mail or calls to them are seen. Written as CSV and registered in the index.
use anyhow::{bail, Context, Result};
use rand::TryRngCore;
use std::io::Write;
use std::path::Path;

/// Columns a canary file can have.
pub(crate) const COLUMNS: &[&str] = &[
    "customer_id",
    "email",
    "first_name",
    "last_name",
    "full_name",
    "phone",
    "birth_date",
    "country",
    "street",
    "postal_code",
    "city",
];

/// What to generate.
pub(crate) struct Spec<'a> {
    pub count: usize,
    pub columns: &'a [String],
    pub email_domain: &'a str,
    pub phone_prefix: Option<&'a str>,
}

/// Writes `spec.count` canary records to `out` (CSV with a header, atomically; never over
/// an existing file). People come from the synthetic generator seeded from the operating
/// system's random source, so nobody can regenerate them; e-mails are moved to the
/// company's domain and phones, given a prefix, into the company's number range. Each
/// canary is one plausible customer: name, address and postal code are of the country the
/// number range belongs to (see [`canary_countries`]).
pub(crate) fn generate(spec: &Spec<'_>, out: &Path) -> Result<()> {
    if out.exists() {
        bail!(
            "{} already exists; canary files are never overwritten",
            out.display()
        );
    }
    if spec.count == 0 || spec.count > 1_000_000 {
        bail!("--count takes 1 to 1,000,000");
    }
    // The e-mail normalizer validates the domain and gives its ASCII (IDNA) form.
    let domain =
        breachcheck_normalize::email::canonical(&format!("canary@{}", spec.email_domain.trim()))
            .and_then(|e| e.split_once('@').map(|(_, d)| d.to_owned()))
            .filter(|d| d.contains('.'))
            .context(
                "--email-domain takes a domain the company controls, e.g. kundenpost-relay.de",
            )?;
    let prefix = spec
        .phone_prefix
        .map(|p| {
            let digits: String = p.chars().filter(char::is_ascii_digit).collect();
            if !p.trim_start().starts_with('+') || digits.len() < 4 || digits.len() > 12 {
                bail!("--phone-prefix takes the start of an international number the company owns, e.g. +4915790012");
            }
            Ok(digits)
        })
        .transpose()?;
    if let Some(p) = &prefix {
        let tail_len = 13usize.saturating_sub(p.len()).max(3);
        if spec.count as f64 > 0.5 * 10f64.powi(tail_len as i32) {
            bail!(
                "--phone-prefix leaves room for too few numbers for --count {}",
                spec.count
            );
        }
    }
    for c in spec.columns {
        if !COLUMNS.contains(&c.as_str()) {
            bail!(
                "unknown canary column {c:?}; columns: {}",
                COLUMNS.join(", ")
            );
        }
    }
    let mut rng = rand::rngs::OsRng;
    let seed = rng
        .try_next_u64()
        .context("the operating system's random source failed")?;
    let people = canary_countries(prefix.as_deref(), &domain)
        .iter()
        .find_map(|c| breachcheck_synth::Population::fabricate_in(seed, spec.count, c))
        .unwrap_or_else(|| breachcheck_synth::Population::fabricate(seed, spec.count));
    let columns: Vec<&str> = spec.columns.iter().map(String::as_str).collect();
    let mut tmp = breachcheck_files::AtomicFile::create(out)?;
    {
        let mut csv = csv_writer(&mut tmp);
        csv(&columns.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>())?;
        let (mut emails, mut phones) = (
            std::collections::HashSet::new(),
            std::collections::HashSet::new(),
        );
        for p in &people {
            let mut cells = p.cells(&columns);
            for (col, cell) in columns.iter().zip(cells.iter_mut()) {
                match *col {
                    "email" => {
                        // The generator's mailbox name without its (long, unique) digits,
                        // then a few random ones, as people pick them.
                        let local: String = cell
                            .split('@')
                            .next()
                            .unwrap_or("c")
                            .to_lowercase()
                            .chars()
                            .filter(|c| !c.is_ascii_digit())
                            .collect();
                        let n =
                            10u32.pow(1 + rng.try_next_u32().context("random source failed")? % 3);
                        let num = rng.try_next_u32().context("random source failed")? % n;
                        let local = local.trim_end_matches(['.', '_']);
                        let mut email = format!("{local}{num}@{domain}");
                        while !emails.insert(email.clone()) {
                            email = format!("{local}{num}{}@{domain}", emails.len());
                        }
                        *cell = email;
                    }
                    "phone" => {
                        if let Some(prefix) = &prefix {
                            // Distinct numbers of the range, 13 digits in all (or 3 more
                            // than the prefix).
                            let tail_len = 13usize.saturating_sub(prefix.len()).max(3);
                            loop {
                                let mut tail = String::with_capacity(tail_len);
                                for _ in 0..tail_len {
                                    let d =
                                        rng.try_next_u32().context("random source failed")? % 10;
                                    tail.push(char::from(b'0' + d as u8));
                                }
                                let phone = format!("+{prefix}{tail}");
                                if phones.insert(phone.clone()) {
                                    *cell = phone;
                                    break;
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
            csv(&cells)?;
        }
        drop(csv);
    }
    tmp.stage()?
        .commit_new("canary files are never overwritten")?;
    Ok(())
}

/// The countries canaries may be people of, best first: the region the phone range
/// belongs to, read by libphonenumber (through the normalizer) from the prefix completed to
/// a whole number, then the country of the mail domain's country-code TLD, standing in for
/// the company's own. A German number under a Turkish name and a French address is no
/// customer anyone has, and a seller who looks would see it. The caller takes the first
/// country the generator has tables for; with none (no prefix, a generic TLD) canaries stay
/// of mixed countries, each consistent in itself.
fn canary_countries(prefix_digits: Option<&str>, domain: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(prefix) = prefix_digits {
        // Completed with each digit to each length: a shared calling code (+1, +7) is told
        // apart only by a valid number.
        let region = (prefix.len().max(8)..=15)
            .flat_map(|len| {
                (b'0'..=b'9').map(move |d| {
                    let tail = String::from(char::from(d)).repeat(len - prefix.len());
                    format!("+{prefix}{tail}")
                })
            })
            .find_map(|n| breachcheck_normalize::phone::international_region(&n));
        out.extend(region);
    }
    if let Some((_, tld)) = domain.rsplit_once('.') {
        if tld.len() == 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()) {
            let iso = tld.to_ascii_uppercase();
            let iso = if iso == "UK" { "GB".to_owned() } else { iso };
            if !out.contains(&iso) {
                out.push(iso);
            }
        }
    }
    out
}

/// A minimal CSV line writer (quotes fields holding a comma, quote or line break).
fn csv_writer<'w>(w: &'w mut impl Write) -> impl FnMut(&[String]) -> std::io::Result<()> + 'w {
    move |cells: &[String]| writeln!(w, "{}", breachcheck_files::csv_line(cells))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_from_the_number_range_then_the_mail_domain() {
        let c = |p: Option<&str>, d: &str| canary_countries(p, d);
        assert_eq!(c(Some("4915790012"), "relay.example.com"), ["DE"]);
        assert_eq!(c(Some("4930901820"), "kundenpost-relay.de"), ["DE"]);
        assert_eq!(c(Some("12025550"), "example.com"), ["US"]);
        assert_eq!(c(Some("4475000"), "example.co.uk"), ["GB"]);
        assert_eq!(c(Some("41791234"), "post.fr"), ["CH", "FR"]);
        assert_eq!(c(None, "mail.example.es"), ["ES"]);
        assert!(c(Some("8001234"), "example.com").len() <= 1);
        assert!(c(None, "example.com").is_empty());
    }

    /// Canaries in a German number range are German: country, postal code, phone, and
    /// names of the generator's German table.
    #[test]
    fn canaries_in_a_german_range_are_german() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("canaries.csv");
        let columns: Vec<String> = [
            "first_name",
            "last_name",
            "phone",
            "country",
            "street",
            "postal_code",
            "city",
            "email",
        ]
        .map(String::from)
        .to_vec();
        generate(
            &Spec {
                count: 60,
                columns: &columns,
                email_domain: "relay.example.com",
                phone_prefix: Some("+49 157 90012"),
            },
            &out,
        )
        .expect("generated");
        // Every German name and city the generator has (a few thousand draws from tables
        // of tens cover them all).
        let german = breachcheck_synth::Population::fabricate_in(1, 5000, "DE").expect("DE");
        let known = |col: &str| -> std::collections::HashSet<String> {
            german.iter().map(|p| p.cells(&[col]).remove(0)).collect()
        };
        let (first, last, cities) = (known("first_name"), known("last_name"), known("city"));
        let text = std::fs::read_to_string(&out).expect("written");
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some(columns.join(",").as_str()));
        let mut n = 0;
        for line in lines {
            n += 1;
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(cells.len(), columns.len(), "{line}");
            assert!(
                first.contains(cells[0]) && last.contains(cells[1]),
                "{line}"
            );
            assert!(cells[2].starts_with("+4915790012"), "{line}");
            assert_eq!(cells[3], "DE", "{line}");
            assert!(cells[4].chars().any(|c| c.is_ascii_digit()), "{line}");
            assert!(
                cells[5].len() == 5 && cells[5].bytes().all(|b| b.is_ascii_digit()),
                "{line}"
            );
            assert!(cities.contains(cells[6]), "{line}");
            assert!(cells[7].ends_with("@relay.example.com"), "{line}");
        }
        assert_eq!(n, 60);
    }
}
