//! Published self-check claims: `breachcheck selfcheck publish` makes one from a sample
//! (every distinct e-mail and phone, each with what a person who knows it may learn) into
//! the server's data folder and database, where `serve` answers customers' private
//! queries about it (`crate::check`). Withdrawing a claim stops the answers; republishing
//! after a new sample or a key rotation adds a new publication that replaces the last.
//!
//! A claim is published by another process than the running server (the server holds the
//! data folder's lock), so everything here works beside a running server: the file is
//! written atomically under `DATA/claims/NAME/`, then its row is inserted, and the server
//! picks the newest row of a claim up within a second.
use crate::db::{Db, Row};
use crate::error::{Error, Result};
use breachcheck_core::SecretKey;
use breachcheck_index::Index;
use breachcheck_ingest::IngestOptions;
use breachcheck_normalize::country::Region;
use breachcheck_pipeline::{MatchedLines, Progress, Verifier};
use breachcheck_selfcheck::{ClaimInfo, ClaimKey, Published};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The setting under which `serve` records its index, so that `selfcheck publish` reads a
/// sample with the same phone regions and verifies it against the same index.
pub const INDEX_SETTING: &str = "index";

/// A claim's publication as its row holds it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ClaimRow {
    /// The publication's id (increasing: the newest row of a name is the claim's current).
    pub id: i64,
    /// The claim's name.
    pub name: String,
    /// The claim file, relative to the data folder.
    pub file: String,
    /// SHA-256 of the claim file.
    pub file_sha256: String,
    /// The claim's OPRF public key (hex).
    pub public_key: String,
    /// Bucket bits.
    pub bucket_bits: i64,
    /// Entries, dummies included.
    pub entries: i64,
    /// Distinct e-mails and phones published.
    pub values_published: i64,
    /// SHA-256 of the sample.
    pub sample_sha256: String,
    /// Records read from the sample.
    pub records: i64,
    /// The verdict class of the verify run the disclosures' matches come from, if any.
    pub verdict: Option<String>,
    /// When it was published (RFC 3339).
    pub published: String,
    /// Who published it.
    pub published_by: String,
    /// When it was withdrawn, if it was.
    pub withdrawn: Option<String>,
    /// Why, in the company's words.
    pub withdrawn_reason: Option<String>,
}

const COLUMNS: &str = "id, name, file, file_sha256, public_key, bucket_bits, entries, \
     values_published, sample_sha256, records, verdict, published, published_by, withdrawn, \
     withdrawn_reason";

fn claim_row(r: &Row) -> ClaimRow {
    ClaimRow {
        id: r.int(0),
        name: r.text(1),
        file: r.text(2),
        file_sha256: r.text(3),
        public_key: r.text(4),
        bucket_bits: r.int(5),
        entries: r.int(6),
        values_published: r.int(7),
        sample_sha256: r.text(8),
        records: r.int(9),
        verdict: r.opt_text(10),
        published: r.text(11),
        published_by: r.text(12),
        withdrawn: r.opt_text(13),
        withdrawn_reason: r.opt_text(14),
    }
}

/// The newest publication of claim `name`, withdrawn or not.
pub fn current(db: &Db, name: &str) -> Result<Option<ClaimRow>> {
    let r = db.tx(|tx| {
        tx.one(
            &format!("SELECT {COLUMNS} FROM claims WHERE name = $1 ORDER BY id DESC LIMIT 1"),
            &[name.into()],
        )
    })?;
    Ok(r.as_ref().map(claim_row))
}

/// Every claim's newest publication, newest first.
pub fn list(db: &Db) -> Result<Vec<ClaimRow>> {
    let rows = db.tx(|tx| {
        tx.query(
            &format!(
                "SELECT {COLUMNS} FROM claims c WHERE id = \
                 (SELECT MAX(id) FROM claims d WHERE d.name = c.name) ORDER BY id DESC"
            ),
            &[],
        )
    })?;
    Ok(rows.iter().map(claim_row).collect())
}

/// Withdraws claim `name`: its answers stop (`410 Gone`); its rows stay as the record of
/// what was published. Returns the withdrawn row, or `None` when there is no such claim or
/// it was already withdrawn.
pub fn withdraw(db: &Db, name: &str, reason: Option<&str>) -> Result<Option<ClaimRow>> {
    // One statement: a publication landing at the same time is either withdrawn or newer
    // and live, never an older row withdrawn while the newest stays up.
    let changed = db.tx(|tx| {
        tx.exec(
            "UPDATE claims SET withdrawn = $1, withdrawn_reason = $2 \
             WHERE id = (SELECT MAX(id) FROM claims WHERE name = $3) AND withdrawn IS NULL",
            &[
                breachcheck_pipeline::time::now_rfc3339().into(),
                reason.map(str::to_owned).into(),
                name.into(),
            ],
        )
    })?;
    if changed == 0 {
        return Ok(None);
    }
    current(db, name)
}

/// A setting (`INDEX_SETTING`, …).
pub fn setting(db: &Db, name: &str) -> Result<Option<String>> {
    Ok(db
        .tx(|tx| tx.one("SELECT value FROM settings WHERE name = $1", &[name.into()]))?
        .map(|r| r.text(0)))
}

/// Records a setting.
pub fn set_setting(db: &Db, name: &str, value: &str) -> Result<()> {
    db.tx(|tx| {
        tx.exec("DELETE FROM settings WHERE name = $1", &[name.into()])?;
        tx.exec(
            "INSERT INTO settings (name, value) VALUES ($1, $2)",
            &[name.into(), value.into()],
        )
    })?;
    Ok(())
}

/// What to publish.
pub struct PublishRequest<'a> {
    /// The server's data folder.
    pub data: &'a Path,
    /// The server's database URL, when not the data folder's SQLite.
    pub database: Option<&'a str>,
    /// The company key (the claim's OPRF key is derived from it and the claim name).
    pub key: &'a SecretKey,
    /// The claim's name.
    pub claim: &'a str,
    /// K, the smallest bucket.
    pub min_bucket: usize,
    /// The sample.
    pub sample: &'a Path,
    /// The index to read phone numbers and verify against; default: the one `serve`
    /// recorded in the database.
    pub index: Option<PathBuf>,
    /// Default region for phone numbers written without a country code.
    pub region: Option<Region>,
    /// Ingest options, as for `verify`.
    pub options: IngestOptions,
    /// Who publishes (recorded).
    pub by: &'a str,
    /// Progress of the reading.
    pub progress: &'a dyn Progress,
}

/// What a publication did.
#[derive(Debug, Serialize)]
pub struct PublishSummary {
    /// The new row.
    pub row: ClaimRow,
    /// The claim's public info (what clients pin).
    pub info: ClaimInfo,
    /// The index the sample was read and verified against, if any.
    pub index: Option<PathBuf>,
    /// Lines of the sample the verify run matched to the company's records.
    pub matched_lines: Option<u64>,
    /// The server's job whose verification was reused (none: verified now, or no index).
    pub verified_by_job: Option<i64>,
    /// Smallest and largest bucket.
    pub bucket_sizes: (usize, usize),
    /// Seconds spent verifying, reading values and evaluating the OPRF.
    pub seconds: Timings,
}

/// Where a publication's time went.
#[derive(Debug, Default, Serialize)]
pub struct Timings {
    /// The verify run (0 without an index).
    pub verify: f64,
    /// Reading and canonicalizing the sample's values.
    pub read: f64,
    /// OPRF evaluations, sealing, bucketing.
    pub publish: f64,
}

/// Publishes claim `req.claim` from `req.sample`: learns which lines match the company's
/// records from the server's own verification of this sample against this index, else
/// verifies it now (when an index is known), gathers every
/// distinct canonical e-mail and phone with its disclosure, evaluates them under the
/// claim's key, and stores the claim file and row. A claim published before under the same
/// name is replaced (its rows stay).
pub fn publish(req: PublishRequest<'_>) -> Result<PublishSummary> {
    breachcheck_selfcheck::key::check_claim_name(req.claim)?;
    let db = Db::open(req.database, req.data)?;
    let index = match req.index.clone() {
        Some(i) => Some(i),
        None => setting(&db, INDEX_SETTING)?.map(PathBuf::from),
    };
    let sample_sha256 =
        breachcheck_ingest::sha256_file(req.sample).map_err(Error::io("cannot read the sample"))?;
    let mut timings = Timings::default();
    let mut from_server_job = None;
    let (phone_regions, matched, verdict) = match &index {
        Some(dir) => {
            let opened = Index::open(dir).map_err(breachcheck_pipeline::Error::from)?;
            opened
                .require_key(req.key)
                .map_err(breachcheck_pipeline::Error::from)?;
            let regions = breachcheck_pipeline::company_phone_regions(opened.manifest());
            let commitment = opened.manifest().commitment.root.clone();
            drop(opened);
            // The server verified this very sample against this very index: its per-line
            // outcomes are the verify run's, read back instead of verifying again.
            if let Some((matched, verdict, job)) =
                server_verification(&db, req.data, &sample_sha256, &commitment)?
            {
                from_server_job = Some(job);
                (regions, Some(matched), Some(verdict))
            } else {
                let t = std::time::Instant::now();
                let mut matched = MatchedLines::new();
                let outputs = Mutex::new(breachcheck_files::Outputs::new());
                let report = Verifier::new(req.key, dir)
                    .options(req.options.clone())
                    .region(req.region)
                    .progress(req.progress)
                    .run_with_sink(req.sample, &outputs, Some(&mut matched))?;
                timings.verify = t.elapsed().as_secs_f64();
                (
                    regions,
                    Some(matched),
                    Some(report.verdict.class.as_str().to_owned()),
                )
            }
        }
        None => (Vec::new(), None, None),
    };
    let t = std::time::Instant::now();
    let values = breachcheck_pipeline::selfcheck_values(
        req.sample,
        &req.options,
        req.region,
        phone_regions,
        matched.as_ref(),
        req.progress,
    )?;
    timings.read = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    let key = ClaimKey::derive(req.key, req.claim)?;
    let published = breachcheck_selfcheck::publish(&key, &values.values, req.min_bucket)?;
    timings.publish = t.elapsed().as_secs_f64();
    let now = breachcheck_pipeline::time::now_rfc3339();
    let info = published.info().clone();
    let rel = format!(
        "claims/{}/{}-{}.bcself",
        req.claim,
        now.replace([':', '-'], ""),
        &breachcheck_core::hex(&info.salt.0)[..8]
    );
    let path = req.data.join(&rel);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io("cannot create the claims folder"))?;
    }
    published.save(&path)?;
    let file_sha256 =
        breachcheck_ingest::sha256_file(&path).map_err(Error::io("cannot read the claim file"))?;
    let id = db.tx(|tx| {
        tx.one(
            "INSERT INTO claims (name, file, file_sha256, public_key, bucket_bits, entries, \
             values_published, sample_sha256, records, verdict, published, published_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
            &[
                req.claim.into(),
                rel.clone().into(),
                file_sha256.clone().into(),
                info.public_key.to_hex().into(),
                i64::from(info.bucket_bits).into(),
                i64::try_from(info.entries).unwrap_or(i64::MAX).into(),
                i64::try_from(values.values.len())
                    .unwrap_or(i64::MAX)
                    .into(),
                sample_sha256.clone().into(),
                i64::try_from(values.records).unwrap_or(i64::MAX).into(),
                verdict.clone().into(),
                now.clone().into(),
                req.by.into(),
            ],
        )?
        .map(|r| r.int(0))
        .ok_or_else(|| Error::Internal("no id for the new claim".into()))
    })?;
    let row = current(&db, req.claim)?
        .filter(|r| r.id == id)
        .ok_or_else(|| Error::Internal("the new claim's row is gone".into()))?;
    Ok(PublishSummary {
        bucket_sizes: published.bucket_size_range(),
        row,
        info,
        index,
        matched_lines: matched.as_ref().map(MatchedLines::matched),
        verified_by_job: from_server_job,
        seconds: timings,
    })
}

/// The newest verification the server made of the sample with SHA-256 `sample_sha256`
/// against the index with commitment `commitment`: its matched lines (read from the job's
/// matches file: a line matched when its evidence class is a whole-record one), its verdict
/// class and its job id. `None` when there is none (or its files are gone).
fn server_verification(
    db: &Db,
    data: &Path,
    sample_sha256: &str,
    commitment: &str,
) -> Result<Option<(MatchedLines, String, i64)>> {
    let rows = db.tx(|tx| {
        tx.query(
            "SELECT r.matches, r.summary, r.job_id, s.case_id FROM reports r \
             JOIN samples s ON s.id = r.sample_id WHERE s.sha256 = $1 ORDER BY r.job_id DESC",
            &[sample_sha256.into()],
        )
    })?;
    for r in rows {
        let (Some(matches), Ok(summary)) = (
            r.opt_text(0),
            serde_json::from_str::<serde_json::Value>(&r.text(1)),
        ) else {
            continue;
        };
        if summary["index_commitment"].as_str() != Some(commitment) {
            continue;
        }
        let Some(class) = summary["class"].as_str() else {
            continue;
        };
        let path = data.join("cases").join(r.int(3).to_string()).join(matches);
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if let Some(m) = matched_lines_of_csv(&text) {
            return Ok(Some((m, class.to_owned(), r.int(2))));
        }
    }
    Ok(None)
}

/// Reads a matches file (`line,evidence,…`, the pipeline's `MatchesFile`) into the set of
/// lines whose evidence is a whole-record match; `None` when it is not one.
fn matched_lines_of_csv(text: &str) -> Option<MatchedLines> {
    let mut lines = text.lines();
    if !lines.next()?.starts_with("line,evidence,") {
        return None;
    }
    let mut m = MatchedLines::new();
    for l in lines {
        let mut cells = l.splitn(3, ',');
        let line: u64 = cells.next()?.parse().ok()?;
        let evidence = cells.next()?;
        let class = breachcheck_core::EvidenceClass::STRONGEST_FIRST
            .into_iter()
            .find(|c| c.as_str() == evidence)?;
        m.set(line, class.is_genuine());
    }
    Some(m)
}

/// A claim loaded for answering: its file (checked against its row's hash and the key)
/// and its key.
pub struct Loaded {
    /// The row it was loaded from.
    pub row: ClaimRow,
    /// The published claim.
    pub published: Published,
    /// The claim's OPRF key.
    pub key: ClaimKey,
}

/// Loads publication `row` with the company key: the file must hash to the row's
/// SHA-256 and have been published under the key derived from `company` and the name.
pub fn load(data: &Path, row: ClaimRow, company: &SecretKey) -> Result<Loaded> {
    let path = data.join(&row.file);
    let bytes = std::fs::read(&path).map_err(Error::io("cannot read a claim file"))?;
    if breachcheck_report::custody::sha256_hex(&bytes) != row.file_sha256 {
        return Err(Error::Internal(format!(
            "the file of claim {:?} (publication {}) changed since it was published",
            row.name, row.id
        )));
    }
    let published = Published::from_bytes(&bytes).map_err(|reason| {
        Error::Internal(format!(
            "the file of claim {:?} is not readable: {reason}",
            row.name
        ))
    })?;
    let key = ClaimKey::derive(company, &row.name)?;
    published.check_key(&key)?;
    Ok(Loaded {
        row,
        published,
        key,
    })
}
