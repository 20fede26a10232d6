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
/// company's domain and phones, given a prefix, into the company's number range.
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
    let people = breachcheck_synth::Population::fabricate(seed, spec.count);
    let columns: Vec<&str> = spec.columns.iter().map(String::as_str).collect();
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    {
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        let mut csv = csv_writer(&mut w);
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
        w.flush()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(out)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", out.display()))?;
    Ok(())
}

/// A minimal CSV line writer (quotes fields holding a comma, quote or line break).
fn csv_writer<'w>(w: &'w mut impl Write) -> impl FnMut(&[String]) -> std::io::Result<()> + 'w {
    move |cells: &[String]| {
        let line: Vec<String> = cells
            .iter()
            .map(|c| {
                if c.contains([',', '"', '\n', '\r']) {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c.clone()
                }
            })
            .collect();
        writeln!(w, "{}", line.join(","))
    }
}
