//! `breachcheck log …`: the transparency log of index commitments, verification statements,
//! audit transcripts and public updates (see `breachcheck-log`).
use crate::{keyfile, time};
use anyhow::{bail, Context, Result};
use breachcheck_log::{
    check_consistency, check_inclusion, verify_publication, verify_publication_entry,
    ConsistencyProof, DirPublication, EntryAt, InclusionProof, Log, LogKey, Publication, Statement,
};
use clap::Subcommand;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub(crate) enum LogCommand {
    /// Create a log, signed with a key from `sign-key generate`.
    #[command(
        after_help = "Example:\n  breachcheck log init --log translog --origin log.acme.example --sign-key log.sign"
    )]
    Init {
        /// Log directory.
        #[arg(long)]
        log: PathBuf,
        /// The log's name (its origin line; no spaces or '+'), e.g. your domain.
        #[arg(long)]
        origin: String,
        /// Signing key file.
        #[arg(long)]
        sign_key: PathBuf,
    },
    /// Append one statement: an index commitment, a report's verification statement, an
    /// audit transcript's hash, or a public update.
    #[command(
        after_help = "Examples:\n  breachcheck log append --log translog --sign-key log.sign --index idx\n  breachcheck log append --log translog --sign-key log.sign --report report.json\n  breachcheck log append --log translog --sign-key log.sign --update \"We found no match.\""
    )]
    Append {
        /// Log directory.
        #[arg(long)]
        log: PathBuf,
        /// Signing key file (the log's).
        #[arg(long)]
        sign_key: PathBuf,
        /// Commit to this index: its systems, snapshots, record counts and commitment.
        #[arg(long, group = "what")]
        index: Option<PathBuf>,
        /// State this report's outcome: sample and report hashes, verdict, counts.
        #[arg(long, group = "what")]
        report: Option<PathBuf>,
        /// Log an audit transcript by its SHA-256.
        #[arg(long, group = "what")]
        transcript: Option<PathBuf>,
        /// A public update, in your words (no personal data: the log is public and
        /// permanent).
        #[arg(long, group = "what")]
        update: Option<String>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Print the log's signed head (size and root) and its verifier key.
    #[command(after_help = "Example:\n  breachcheck log head --log translog --json")]
    Head {
        /// Log directory.
        #[arg(long)]
        log: PathBuf,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Write an inclusion proof of one entry (RFC 9162 audit path).
    #[command(
        after_help = "Example:\n  breachcheck log prove --log translog --entry 3 --out entry3.proof.json"
    )]
    Prove {
        /// Log directory.
        #[arg(long)]
        log: PathBuf,
        /// Entry index (0-based).
        #[arg(long)]
        entry: u64,
        /// Tree size to prove against (default: the current).
        #[arg(long)]
        size: Option<u64>,
        /// Where to write the proof (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write a consistency proof: the log at an older size is a prefix of the current one.
    #[command(
        after_help = "Example:\n  breachcheck log consistency --log translog --old-size 3 --out c.json"
    )]
    Consistency {
        /// Log directory.
        #[arg(long)]
        log: PathBuf,
        /// The older size.
        #[arg(long)]
        old_size: u64,
        /// Where to write the proof (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Copy the log's public files to a directory any static web server can host, with a
    /// human page of every statement (index.html, no script) and an Atom feed (feed.xml).
    #[command(
        after_help = "Examples:\n  breachcheck log publish --log translog --out /var/www/log\n  breachcheck log publish --log translog --out /var/www/log --base-url https://log.acme.example/"
    )]
    Publish {
        /// Log directory.
        #[arg(long)]
        log: PathBuf,
        /// Publication directory.
        #[arg(long)]
        out: PathBuf,
        /// Where the publication is served (https://…): the page's and the feed's links
        /// become absolute and their check commands read the log from there (without it,
        /// links are relative and commands read the current directory).
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
    },
    /// Check a published log without trusting its host (signature under the pinned key,
    /// every entry, the root; with --checkpoint, that an older checkpoint you kept is a
    /// prefix of it), or check a proof file.
    #[command(
        after_help = "Examples:\n  breachcheck log verify --from /mirror/log --public-key 'log.acme.example+1a2b3c4d+AX…' --checkpoint seen-before.checkpoint\n  breachcheck log verify --proof entry3.proof.json --from /mirror/log"
    )]
    Verify {
        /// The published log: an `https://` (or `http://`) URL, a `file://` URL or a
        /// directory.
        #[arg(long)]
        from: String,
        /// The log's verifier key you pinned (default: the one the publication names,
        /// which only proves self-consistency).
        #[arg(long)]
        public_key: Option<String>,
        /// An older checkpoint you kept: the log must extend it.
        #[arg(long)]
        checkpoint: Option<PathBuf>,
        /// An inclusion or consistency proof to check against the published head.
        #[arg(long)]
        proof: Option<PathBuf>,
        /// Also print entry N (0-based) as the verified log holds it: its statement, in
        /// plain language and as JSON, and its leaf hash (what the log's page and feed
        /// link to as `#entry-N`).
        #[arg(long, value_name = "N")]
        entry: Option<u64>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

/// The log's signing key: the seed in `sign_key` under the log's own origin name.
pub(crate) fn signing_key(log: &Log, sign_key: &Path) -> Result<LogKey> {
    let seed = keyfile::read_signing_seed(sign_key)?;
    let origin = log
        .head()
        .context("the log's checkpoint does not verify")?
        .origin;
    Ok(LogKey::new(&origin, &seed)?)
}

pub(crate) fn today() -> String {
    time::now_rfc3339().chars().take(10).collect()
}

fn sha256_hex(path: &Path) -> Result<String> {
    breachcheck_ingest::sha256_file(path).with_context(|| format!("cannot read {}", path.display()))
}

fn statement_of_index(dir: &Path) -> Result<Statement> {
    let index = breachcheck_index::Index::open(dir)?;
    let m = index.manifest();
    Ok(Statement::index_commitment(
        m,
        today(),
        breachcheck_pipeline::company_phone_region_codes(m),
    ))
}

fn statement_of_report(path: &Path) -> Result<Statement> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Statement::verification_of_json(&bytes, today())
        .with_context(|| format!("{} is not a breachcheck report", path.display()))
}

fn write_or_print(out: Option<&Path>, json: &str) -> Result<()> {
    match out {
        Some(p) => breachcheck_files::write_atomic(p, json.as_bytes())?,
        None => outln!("{json}"),
    }
    Ok(())
}

/// A log published on a web server, read file by file.
struct HttpPublication {
    base: String,
    agent: ureq::Agent,
}

/// Largest published file read (a checkpoint or an entry is a few hundred bytes).
const MAX_PUBLISHED_FILE: u64 = 16 << 20;

impl Publication for HttpPublication {
    fn get(&self, name: &str) -> breachcheck_log::Result<Vec<u8>> {
        let url = format!("{}/{name}", self.base.trim_end_matches('/'));
        let fail = |why: String| breachcheck_log::Error::Fetch {
            name: url.clone(),
            why,
        };
        let mut resp = self
            .agent
            .get(&url)
            .call()
            .map_err(|e| fail(e.to_string()))?;
        resp.body_mut()
            .with_config()
            .limit(MAX_PUBLISHED_FILE)
            .read_to_vec()
            .map_err(|e| fail(e.to_string()))
    }
}

/// `--base-url`: an http(s) URL, given a final `/` so file names join onto it.
fn base_url_of(url: &str) -> Result<String> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        bail!("--base-url must be an https:// (or http://) URL, the address the publication is served at");
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        bail!("--base-url must not contain spaces or control characters");
    }
    Ok(if url.ends_with('/') {
        url.to_owned()
    } else {
        format!("{url}/")
    })
}

pub(crate) fn publication(from: &str) -> Box<dyn Publication> {
    if from.starts_with("http://") || from.starts_with("https://") {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(std::time::Duration::from_secs(30)))
            .build()
            .into();
        return Box::new(HttpPublication {
            base: from.to_owned(),
            agent,
        });
    }
    let dir = from.strip_prefix("file://").unwrap_or(from);
    Box::new(DirPublication(PathBuf::from(dir)))
}

pub(crate) fn run(cmd: LogCommand) -> Result<()> {
    match cmd {
        LogCommand::Init {
            log,
            origin,
            sign_key,
        } => {
            let seed = keyfile::read_signing_seed(&sign_key)?;
            let key = LogKey::new(&origin, &seed)?;
            let l = Log::init(&log, &key)?;
            outln!(
                "created log {} at {}; publish this verifier key for clients to pin:\n{}",
                origin,
                log.display(),
                l.verifier_key()
            );
        }
        LogCommand::Append {
            log,
            sign_key,
            index,
            report,
            transcript,
            update,
            json,
        } => {
            let l = Log::open(&log)?;
            let key = signing_key(&l, &sign_key)?;
            let statement = if let Some(dir) = index {
                statement_of_index(&dir)?
            } else if let Some(r) = report {
                statement_of_report(&r)?
            } else if let Some(t) = transcript {
                Statement::AuditTranscript {
                    date: today(),
                    transcript_sha256: sha256_hex(&t)?,
                }
            } else if let Some(text) = update {
                Statement::Update {
                    date: today(),
                    text,
                }
            } else {
                bail!("say what to append: --index, --report, --transcript or --update");
            };
            let head = l.append(&statement, &key)?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&head)?);
            } else {
                outln!(
                    "appended entry {} to {}; size {}, root {}",
                    head.size - 1,
                    head.origin,
                    head.size,
                    head.root
                );
            }
        }
        LogCommand::Head { log, json } => {
            let l = Log::open(&log)?;
            let head = l.head()?;
            if json {
                let v = serde_json::json!({
                    "origin": head.origin, "size": head.size, "root": head.root,
                    "verifier_key": l.verifier_key(),
                });
                outln!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                outln!(
                    "{}: {} entries, root {}\nverifier key: {}",
                    head.origin,
                    head.size,
                    head.root,
                    l.verifier_key()
                );
            }
        }
        LogCommand::Prove {
            log,
            entry,
            size,
            out,
        } => {
            let p = Log::open(&log)?.prove_inclusion(entry, size)?;
            write_or_print(out.as_deref(), &serde_json::to_string_pretty(&p)?)?;
        }
        LogCommand::Consistency { log, old_size, out } => {
            let p = Log::open(&log)?.prove_consistency(old_size)?;
            write_or_print(out.as_deref(), &serde_json::to_string_pretty(&p)?)?;
        }
        LogCommand::Publish { log, out, base_url } => {
            let base_url = base_url.map(|u| base_url_of(&u)).transpose()?;
            let head = Log::open(&log)?.publish_at(&out, base_url.as_deref())?;
            outln!(
                "published {} entries of {} to {} (root {})",
                head.size,
                head.origin,
                out.display(),
                head.root
            );
        }
        LogCommand::Verify {
            from,
            public_key,
            checkpoint,
            proof,
            entry,
            json,
        } => {
            let src = publication(&from);
            let older = checkpoint
                .map(|p| std::fs::read(&p).with_context(|| format!("cannot read {}", p.display())))
                .transpose()?;
            let (v, kept) = match entry {
                Some(n) => {
                    let (v, e, leaf) = verify_publication_entry(
                        src.as_ref(),
                        public_key.as_deref(),
                        older.as_deref(),
                        n,
                    )?;
                    (v, Some((n, e, leaf)))
                }
                None => (
                    verify_publication(src.as_ref(), public_key.as_deref(), older.as_deref())?,
                    None,
                ),
            };
            let mut proof_kind = None;
            if let Some(p) = proof {
                let text = std::fs::read_to_string(&p)
                    .with_context(|| format!("cannot read {}", p.display()))?;
                if let Ok(ip) = serde_json::from_str::<InclusionProof>(&text) {
                    check_inclusion(&ip)?;
                    if ip.size == v.head.size && ip.root != v.head.root {
                        bail!("the proof's root is not the published head's");
                    }
                    proof_kind = Some(format!("entry {} is in the tree of {}", ip.index, ip.size));
                } else {
                    let cp: ConsistencyProof = serde_json::from_str(&text)
                        .context("not an inclusion or consistency proof")?;
                    check_consistency(&cp)?;
                    if cp.size == v.head.size && cp.root != v.head.root {
                        bail!("the proof's root is not the published head's");
                    }
                    proof_kind = Some(format!(
                        "the tree of {} is a prefix of the tree of {}",
                        cp.old_size, cp.size
                    ));
                }
            }
            if json {
                let mut out = serde_json::to_value(&v)?;
                out["pinned_key"] = serde_json::Value::Bool(public_key.is_some());
                if let Some(k) = &proof_kind {
                    out["proof"] = serde_json::Value::String(k.clone());
                }
                if let Some((n, e, leaf)) = &kept {
                    out["entry"] = serde_json::json!({
                        "index": n, "leaf_hash": leaf, "statement": e.statement,
                    });
                }
                outln!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                outln!(
                    "ok: {} — {} entries, every statement signed, root {} recomputed{}{}",
                    v.head.origin,
                    v.head.size,
                    v.head.root,
                    v.consistent_with
                        .map(|s| format!("; extends the checkpoint of {s} entries seen before"))
                        .unwrap_or_default(),
                    proof_kind
                        .map(|k| format!("; proof checks: {k}"))
                        .unwrap_or_default()
                );
                if let Some((n, e, leaf)) = &kept {
                    let d = e.statement.describe(&EntryAt {
                        entry: *n,
                        from: &from,
                        verifier_key: public_key.as_deref().unwrap_or(""),
                    });
                    outln!(
                        "entry {n} (leaf hash {leaf}), {}: {}\n{}",
                        d.date,
                        d.title,
                        d.summary
                    );
                    for f in &d.facts {
                        outln!("  {}: {}", f.label, f.value);
                    }
                    outln!("{}", serde_json::to_string_pretty(&e.statement)?);
                }
                if public_key.is_none() {
                    outln!("note: checked against the key the publication names; pin the log's key with --public-key to rule out a substituted log");
                }
            }
            // A log directory checked in place: say what an interrupted append left.
            let local = Path::new(from.strip_prefix("file://").unwrap_or(&from));
            if local.join("entries").is_dir() {
                if let Ok(left) = Log::open(local).and_then(|l| l.leftovers()) {
                    if !left.is_empty() {
                        eprintln!(
                            "note: {} leftover file(s) of an interrupted append (nothing reads them; the next append removes them)",
                            left.len()
                        );
                    }
                }
            }
        }
    }
    Ok(())
}
