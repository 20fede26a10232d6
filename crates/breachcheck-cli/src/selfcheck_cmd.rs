//! `breachcheck selfcheck`: the customers' private self-check. `publish` makes a claim from
//! a sample into a server's data folder (and `withdraw` ends it); `query` is the client a
//! person (or a helpdesk) runs: it canonicalizes the value locally, sends only the bucket
//! and a blinded element, verifies the answer and opens its entry.
use crate::ReadArgs;
use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use breachcheck_selfcheck::{ClaimInfo, Disclosure, Kind, Query};
use clap::Subcommand;
use serde::Serialize;
#[cfg(feature = "serve")]
use std::path::PathBuf;

#[derive(Subcommand)]
pub(crate) enum SelfcheckCommand {
    /// Publish a claim from a sample: every distinct e-mail and phone, canonicalized as
    /// `verify` does, becomes one entry a person can look up privately on the server
    /// (`GET /check/NAME`). Without a verify run, whether lines matched is "unknown".
    #[cfg(feature = "serve")]
    #[command(
        after_help = "Example:\n  breachcheck selfcheck publish --data /srv/bc --key company.key --claim acme-2026-11 sample.csv\n\nThe sample is verified against the server's index (or --index) first, so each entry\nsays whether its lines matched the company's records. Publishing again under the same\nname replaces the claim (new salt, new entries); `selfcheck withdraw` ends it."
    )]
    Publish {
        /// The server's data folder.
        #[arg(long)]
        data: PathBuf,
        /// `postgres://…` when the server keeps its data in PostgreSQL.
        #[arg(long, value_name = "URL")]
        database: Option<String>,
        /// The company key file (the claim's OPRF key is derived from it and the name).
        #[arg(long)]
        key: PathBuf,
        /// The claim's name (letters, digits, '.', '_', '-'; in URLs and key derivation).
        #[arg(long)]
        claim: String,
        /// K: every bucket holds at least this many entries (dummies when the sample is
        /// smaller).
        #[arg(long, value_name = "K", default_value_t = breachcheck_selfcheck::bucket::DEFAULT_MIN_BUCKET)]
        min_bucket: usize,
        /// The index to read phone numbers with and verify against (default: the one the
        /// server runs with).
        #[arg(long)]
        index: Option<PathBuf>,
        /// Who publishes (recorded with the claim).
        #[arg(long, default_value = "selfcheck publish")]
        by: String,
        /// State the publication in this transparency log (with --log-sign-key): claim,
        /// public key, salt, entries root, counts, the sample's SHA-256 and the verdict —
        /// what clients pin.
        #[arg(long, requires = "log_sign_key")]
        log: Option<PathBuf>,
        /// The log's signing key file.
        #[arg(long, requires = "log")]
        log_sign_key: Option<PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        read: ReadArgs,
        /// The sample.
        sample: PathBuf,
    },
    /// Withdraw a claim: the server answers its queries with 410 Gone from then on.
    #[cfg(feature = "serve")]
    #[command(
        after_help = "Example:\n  breachcheck selfcheck withdraw --data /srv/bc --claim acme-2026-11 --reason 'superseded by acme-2026-12'"
    )]
    Withdraw {
        /// The server's data folder.
        #[arg(long)]
        data: PathBuf,
        /// `postgres://…` when the server keeps its data in PostgreSQL.
        #[arg(long, value_name = "URL")]
        database: Option<String>,
        /// The claim's name.
        #[arg(long)]
        claim: String,
        /// Why (public: shown to whoever asks about the claim).
        #[arg(long)]
        reason: Option<String>,
        /// State the withdrawal in this transparency log (with --log-sign-key).
        #[arg(long, requires = "log_sign_key")]
        log: Option<PathBuf>,
        /// The log's signing key file.
        #[arg(long, requires = "log")]
        log_sign_key: Option<PathBuf>,
    },
    /// List the published claims.
    #[cfg(feature = "serve")]
    #[command(after_help = "Example:\n  breachcheck selfcheck list --data /srv/bc --json")]
    List {
        /// The server's data folder.
        #[arg(long)]
        data: PathBuf,
        /// `postgres://…` when the server keeps its data in PostgreSQL.
        #[arg(long, value_name = "URL")]
        database: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Ask a server privately whether an e-mail or phone is in a claim's sample. The
    /// value is canonicalized here; the server sees only its bucket (one of at least K
    /// values) and a blinded element. Exit status 0 whether found or not.
    #[command(
        after_help = "Example:\n  breachcheck selfcheck query --server https://check.acme.example --claim acme-2026-11 --email ana@example.org\n  breachcheck selfcheck query --server https://check.acme.example --claim acme-2026-11 --phone '030 901820' --country DE --json"
    )]
    Query {
        /// The server's address (`https://…`).
        #[arg(long)]
        server: String,
        /// The claim's name.
        #[arg(long)]
        claim: String,
        /// The e-mail address to check.
        #[arg(long, conflicts_with = "phone", required_unless_present = "phone")]
        email: Option<String>,
        /// The phone number to check (with `+` and country code, or with --country).
        #[arg(long)]
        phone: Option<String>,
        /// Country (ISO 3166 alpha-2) of a phone number written without its code.
        #[arg(long, value_name = "CC", requires = "phone")]
        country: Option<String>,
        /// Refuse the answer unless the claim's public key is this one (hex), e.g. as
        /// the company's transparency log states it.
        #[arg(long, value_name = "HEX")]
        public_key: Option<String>,
        /// Refuse the answer unless the claim's entries root is this one (hex).
        #[arg(long, value_name = "HEX")]
        entries_root: Option<String>,
        /// Print `{"found", "lines", "fields", "matched_company_records"}`.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn run(c: SelfcheckCommand) -> Result<()> {
    match c {
        #[cfg(feature = "serve")]
        SelfcheckCommand::Publish {
            data,
            database,
            key,
            claim,
            min_bucket,
            index,
            by,
            log,
            log_sign_key,
            json,
            read,
            sample,
        } => {
            let key = crate::keyfile::read(&key)?;
            // The log and its key are opened first: a publication is stated or not made.
            let logged = open_log(log.as_deref(), log_sign_key.as_deref())?;
            let region = read.region()?;
            let bar = crate::progress::Bar::new(!json);
            let s =
                breachcheck_server::claims::publish(breachcheck_server::claims::PublishRequest {
                    data: &data,
                    database: database.as_deref(),
                    key: &key,
                    claim: &claim,
                    min_bucket,
                    sample: &sample,
                    index,
                    region,
                    options: read.options(),
                    by: &by,
                    progress: &bar,
                })?;
            let head = match &logged {
                Some((l, k)) => {
                    let facts = breachcheck_log::SelfcheckFacts {
                        claim: s.info.claim.clone(),
                        public_key: s.info.public_key.to_hex(),
                        salt: breachcheck_core::hex(&s.info.salt.0),
                        entries_root: breachcheck_core::hex(&s.info.entries_root.0),
                        bucket_bits: s.info.bucket_bits,
                        min_bucket: s.info.min_bucket,
                        entries: s.info.entries,
                        sample_sha256: s.row.sample_sha256.clone(),
                    };
                    let st = breachcheck_log::Statement::selfcheck_claim(
                        crate::translog::today(),
                        facts,
                        s.row.verdict.clone(),
                    );
                    Some(l.append(&st, k)?)
                }
                None => None,
            };
            if json {
                let mut v = serde_json::to_value(&s)?;
                if let Some(h) = &head {
                    v["log_entry"] = serde_json::json!(h.size - 1);
                }
                outln!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                outln!(
                    "published claim {:?}: {} distinct e-mails and phones from {} lines, {} entries in {} buckets of {} to {} (K = {})",
                    s.row.name,
                    s.row.values_published,
                    s.row.records,
                    s.info.entries,
                    1u64 << s.info.bucket_bits,
                    s.bucket_sizes.0,
                    s.bucket_sizes.1,
                    s.info.min_bucket
                );
                match (&s.index, s.matched_lines, &s.row.verdict) {
                    (Some(i), Some(m), Some(v)) => outln!(
                        "verified against {}: verdict {v}, {m} lines matched the company's records",
                        i.display()
                    ),
                    _ => outln!(
                        "no index known (serve has not run on this data folder; give --index): whether lines matched is published as unknown"
                    ),
                }
                outln!("public key   {}", s.info.public_key.to_hex());
                outln!(
                    "entries root {}",
                    breachcheck_core::hex(&s.info.entries_root.0)
                );
                outln!(
                    "took {:.1} s verifying, {:.1} s reading, {:.1} s evaluating; customers check at /check/{}",
                    s.seconds.verify,
                    s.seconds.read,
                    s.seconds.publish,
                    s.row.name
                );
                if let Some(h) = head {
                    outln!(
                        "stated in the transparency log as entry {} (publish the log for clients to pin it)",
                        h.size - 1
                    );
                }
            }
            Ok(())
        }
        #[cfg(feature = "serve")]
        SelfcheckCommand::Withdraw {
            data,
            database,
            claim,
            reason,
            log,
            log_sign_key,
        } => {
            let logged = open_log(log.as_deref(), log_sign_key.as_deref())?;
            let db = breachcheck_server::db::Db::open(database.as_deref(), &data)?;
            let Some(row) = breachcheck_server::claims::withdraw(&db, &claim, reason.as_deref())?
            else {
                bail!("no published claim {claim:?} to withdraw (never published, or already withdrawn)");
            };
            outln!(
                "withdrew claim {:?} (publication {}, {}): its queries are answered 410 Gone",
                row.name,
                row.id,
                row.withdrawn.as_deref().unwrap_or("")
            );
            if let Some((l, k)) = logged {
                let st = breachcheck_log::Statement::selfcheck_withdrawal(
                    crate::translog::today(),
                    claim,
                    reason,
                );
                let h = l.append(&st, &k)?;
                outln!("stated in the transparency log as entry {}", h.size - 1);
            }
            Ok(())
        }
        #[cfg(feature = "serve")]
        SelfcheckCommand::List {
            data,
            database,
            json,
        } => {
            let db = breachcheck_server::db::Db::open(database.as_deref(), &data)?;
            let rows = breachcheck_server::claims::list(&db)?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&rows)?);
            } else if rows.is_empty() {
                outln!("no claims published");
            } else {
                for r in rows {
                    outln!(
                        "{:<24} {:<9} {} values from {} lines, verdict {}, published {}{}",
                        r.name,
                        if r.withdrawn.is_some() {
                            "withdrawn"
                        } else {
                            "live"
                        },
                        r.values_published,
                        r.records,
                        r.verdict.as_deref().unwrap_or("unknown"),
                        r.published,
                        r.withdrawn
                            .as_deref()
                            .map(|w| format!(", withdrawn {w}"))
                            .unwrap_or_default()
                    );
                }
            }
            Ok(())
        }
        SelfcheckCommand::Query {
            server,
            claim,
            email,
            phone,
            country,
            public_key,
            entries_root,
            json,
        } => {
            let (kind, canonical) = canonicalize(email, phone, country)?;
            let found = query(
                &server,
                &claim,
                kind,
                &canonical,
                public_key.as_deref(),
                entries_root.as_deref(),
            )?;
            print_answer(found.as_ref(), json)
        }
    }
}

/// The transparency log and its signing key, when asked for.
#[cfg(feature = "serve")]
fn open_log(
    log: Option<&std::path::Path>,
    sign_key: Option<&std::path::Path>,
) -> Result<Option<(breachcheck_log::Log, breachcheck_log::LogKey)>> {
    match (log, sign_key) {
        (Some(l), Some(k)) => {
            let log = breachcheck_log::Log::open(l)?;
            let key = crate::translog::signing_key(&log, k)?;
            Ok(Some((log, key)))
        }
        _ => Ok(None),
    }
}

/// The value as the claim's publisher canonicalized it (the same rules as `verify`).
fn canonicalize(
    email: Option<String>,
    phone: Option<String>,
    country: Option<String>,
) -> Result<(Kind, String)> {
    if let Some(e) = email {
        let c = breachcheck_normalize::email::canonical(&e)
            .context("--email is not an e-mail address")?;
        return Ok((Kind::Email, c));
    }
    let Some(p) = phone else {
        bail!("give --email or --phone");
    };
    let region = country
        .as_deref()
        .map(|c| {
            breachcheck_normalize::country::region(&c.to_ascii_uppercase())
                .context("--country takes an ISO 3166 alpha-2 code such as DE or US")
        })
        .transpose()?;
    let c = breachcheck_normalize::phone::canonical(&p, region).context(
        "--phone is not a phone number (write it with + and the country code, or give --country)",
    )?;
    Ok((Kind::Phone, c.e164))
}

/// What a person learns.
#[derive(Serialize)]
struct Answer<'a> {
    found: bool,
    lines: u64,
    fields: &'a [String],
    matched_company_records: Option<bool>,
}

fn print_answer(found: Option<&Disclosure>, json: bool) -> Result<()> {
    if json {
        let a = match found {
            Some(d) => Answer {
                found: true,
                lines: d.lines,
                fields: &d.fields,
                matched_company_records: d.matched_company_records,
            },
            None => Answer {
                found: false,
                lines: 0,
                fields: &[],
                matched_company_records: None,
            },
        };
        outln!("{}", serde_json::to_string(&a)?);
        return Ok(());
    }
    match found {
        Some(d) => outln!(
            "found in {} line{}; they carry: {}; matched our records: {}",
            d.lines,
            if d.lines == 1 { "" } else { "s" },
            if d.fields.is_empty() {
                "nothing else".to_owned()
            } else {
                d.fields.join(", ")
            },
            match d.matched_company_records {
                Some(true) => "yes",
                Some(false) => "no",
                None => "unknown (the company has not verified this sample)",
            }
        ),
        None => outln!("not found"),
    }
    Ok(())
}

/// The HTTP agent: HTTPS through rustls, a 30 s bound on each call, error statuses read
/// as answers (their JSON says why).
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(30)))
        .http_status_as_error(false)
        .build()
        .into()
}

/// A refusal's message from its JSON body, or its status.
fn refusal(status: u16, body: &str, retry_after: Option<String>) -> anyhow::Error {
    let message = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
        .unwrap_or_else(|| format!("HTTP {status}"));
    match retry_after {
        Some(s) => anyhow::anyhow!("the server refused ({status}): {message}; retry after {s} s"),
        None => anyhow::anyhow!("the server refused ({status}): {message}"),
    }
}

/// Runs one private query against `server` and returns the verified answer.
fn query(
    server: &str,
    claim: &str,
    kind: Kind,
    canonical: &str,
    pin_key: Option<&str>,
    pin_root: Option<&str>,
) -> Result<Option<Disclosure>> {
    breachcheck_selfcheck::key::check_claim_name(claim)?;
    let base = server.trim_end_matches('/');
    let agent = agent();
    let mut resp = agent
        .get(&format!("{base}/api/v1/check/{claim}/info"))
        .call()
        .with_context(|| format!("cannot reach {base}"))?;
    let status = resp.status().as_u16();
    let body = resp
        .body_mut()
        .with_config()
        .limit(64 * 1024)
        .read_to_string()
        .context("cannot read the claim's info")?;
    if status != 200 {
        return Err(refusal(status, &body, None));
    }
    let info = claim_info(&body)?;
    if let Some(k) = pin_key {
        if !info.public_key.to_hex().eq_ignore_ascii_case(k.trim()) {
            bail!("the server's public key for the claim is not the pinned one: do not trust its answers");
        }
    }
    if let Some(r) = pin_root {
        if !breachcheck_core::hex(&info.entries_root.0).eq_ignore_ascii_case(r.trim()) {
            bail!("the server's entries root for the claim is not the pinned one: do not trust its answers");
        }
    }
    let q = Query::new(kind, canonical.as_bytes(), info.bucket_bits)?;
    let request = serde_json::json!({"bucket": q.bucket(), "blinded": B64.encode(q.blinded())});
    let mut resp = agent
        .post(&format!("{base}/api/v1/check/{claim}"))
        .header("Accept", "application/octet-stream")
        .header("Content-Type", "application/json")
        .send(request.to_string().as_bytes())
        .with_context(|| format!("cannot reach {base}"))?;
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = resp
        .body_mut()
        .with_config()
        .limit(4 << 20)
        .read_to_vec()
        .context("cannot read the answer")?;
    if status != 200 {
        return Err(refusal(status, &String::from_utf8_lossy(&bytes), retry));
    }
    let a = breachcheck_selfcheck::wire::Answer::decode(&bytes)?;
    Ok(q.finish(&info, &a.evaluated, &a.proof, &a.entries, &a.bucket_proof)?)
}

/// The claim's info from the server's JSON (extra fields, such as the verdict class, are
/// the server's and not part of what the query checks).
fn claim_info(body: &str) -> Result<ClaimInfo> {
    let mut v: serde_json::Value =
        serde_json::from_str(body).context("the claim's info is not JSON")?;
    let obj = v
        .as_object_mut()
        .context("the claim's info is not a JSON object")?;
    const FIELDS: [&str; 9] = [
        "format",
        "claim",
        "suite",
        "public_key",
        "salt",
        "bucket_bits",
        "min_bucket",
        "entries",
        "entries_root",
    ];
    obj.retain(|k, _| FIELDS.contains(&k.as_str()));
    let info: ClaimInfo =
        serde_json::from_value(v).context("the claim's info lacks a field or is malformed")?;
    info.check()?;
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_canonicalized_like_the_sample() {
        let (k, c) = canonicalize(Some(" Ana.Lopez+news@GoogleMail.com ".into()), None, None)
            .expect("email");
        assert_eq!((k, c.as_str()), (Kind::Email, "analopez@gmail.com"));
        let (k, c) =
            canonicalize(None, Some("030 901820".into()), Some("de".into())).expect("phone");
        assert_eq!((k, c.as_str()), (Kind::Phone, "+4930901820"));
        assert!(canonicalize(None, Some("030 901820".into()), Some("XX".into())).is_err());
        assert!(canonicalize(Some("not an address".into()), None, None).is_err());
    }
}
