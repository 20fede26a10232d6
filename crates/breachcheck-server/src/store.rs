//! Cases, samples, jobs, reports and custody entries as rows: the queries the API, the
//! web app and the workers share, and the shapes they answer with (also the OpenAPI
//! document's schemas).
use crate::db::{Db, Row, Val};
use crate::error::{Error, Result};
use serde::Serialize;
use utoipa::ToSchema;

/// A case in the case list.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CaseSummary {
    /// The case's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// When it was opened (RFC 3339).
    pub created: String,
    /// The token name that opened it.
    pub created_by: String,
    /// Samples uploaded to it.
    pub samples: i64,
}

/// A job's reading progress.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct JobProgress {
    /// Records read.
    pub lines: u64,
    /// Bytes read.
    pub bytes: u64,
    /// The sample's size in bytes (0 when not counted, e.g. inside an archive).
    pub total_bytes: u64,
}

/// A verification job.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct JobView {
    /// The job's id.
    pub id: i64,
    /// The sample it verifies.
    pub sample_id: i64,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    /// How far it got.
    pub progress: JobProgress,
    /// Why it failed (no sample values), or why it was run again.
    pub error: Option<String>,
    /// Times it was started (more than 1 after a server restart interrupted it).
    pub attempts: i64,
    /// When it was queued, started and finished (RFC 3339).
    pub created: String,
    /// When it started.
    pub started: Option<String>,
    /// When it finished.
    pub finished: Option<String>,
}

/// A verdict, summarized from the report.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize, ToSchema)]
pub struct VerdictView {
    /// The verdict class (`genuine`, `mixed`, `recycled`, `fabricated`, …).
    pub class: String,
    /// Most likely source system.
    pub system: Option<String>,
    /// Most likely snapshot of it.
    pub snapshot: Option<String>,
    /// Estimated share of genuine lines.
    pub genuine_fraction: f64,
    /// Its 95% interval.
    pub ci95: [f64; 2],
    /// Records read.
    pub records: u64,
    /// Lines quarantined.
    pub quarantined: u64,
    /// Whether the report is signed.
    pub signed: bool,
    /// The index commitment it was checked against.
    pub index_commitment: String,
}

/// A sample of a case, with its latest job and verdict.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SampleView {
    /// The sample's id.
    pub id: i64,
    /// Its case.
    pub case_id: i64,
    /// The name it was uploaded as.
    pub filename: String,
    /// SHA-256 of its bytes (hex).
    pub sha256: String,
    /// Its size.
    pub bytes: i64,
    /// When it was uploaded.
    pub uploaded: String,
    /// The token name that uploaded it.
    pub uploaded_by: String,
    /// Its verification job.
    pub job: Option<JobView>,
    /// The verdict, once the job is done.
    pub verdict: Option<VerdictView>,
}

/// A case with its samples and custody log.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CaseDetail {
    /// The case's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// When it was opened.
    pub created: String,
    /// The token name that opened it.
    pub created_by: String,
    /// Its samples, oldest first.
    pub samples: Vec<SampleView>,
    /// Its custody entries, oldest first (`breachcheck.custody` entries: who, when, the
    /// sample's hash, the index commitment, the report files' hashes, the chain).
    #[schema(value_type = Vec<Object>)]
    pub custody: Vec<serde_json::Value>,
}

/// A stored sample, as the workers need it.
#[derive(Clone, Debug)]
pub struct SampleRow {
    /// Id.
    pub id: i64,
    /// Case.
    pub case_id: i64,
    /// Upload name.
    pub filename: String,
    /// SHA-256.
    pub sha256: String,
    /// Size.
    pub bytes: i64,
    /// Path inside the data folder.
    pub stored: String,
}

/// Where a sample's report files are, once its job is done.
#[derive(Clone, Debug)]
pub struct ReportRow {
    /// The case folder path of the report files without extension (`reports/0001-name`).
    pub base: String,
    /// Whether a signature file was written.
    pub signed: bool,
    /// Path of the matches CSV inside the case folder.
    pub matches: Option<String>,
    /// The verdict summary.
    pub summary: VerdictView,
}

const JOB_COLS: &str =
    "id, sample_id, state, lines, bytes, total_bytes, error, attempts, created, started, finished";

fn job_view(r: &Row) -> JobView {
    JobView {
        id: r.int(0),
        sample_id: r.int(1),
        state: r.text(2),
        progress: JobProgress {
            lines: r.int(3).max(0) as u64,
            bytes: r.int(4).max(0) as u64,
            total_bytes: r.int(5).max(0) as u64,
        },
        error: r.opt_text(6),
        attempts: r.int(7),
        created: r.text(8),
        started: r.opt_text(9),
        finished: r.opt_text(10),
    }
}

fn now() -> String {
    breachcheck_pipeline::time::now_rfc3339()
}

/// Whether `name` may name a case or a token: at most 200 characters, no control
/// character, not only spaces (the API's document says the same as a pattern).
pub fn valid_name(name: &str) -> bool {
    !name.trim().is_empty() && name.chars().count() <= 200 && !name.chars().any(char::is_control)
}

/// Opens a case.
pub fn create_case(db: &Db, name: &str, by: &str) -> Result<i64> {
    if !valid_name(name) {
        return Err(Error::BadRequest(
            "a case's name is 1 to 200 printable characters".into(),
        ));
    }
    let name = name.trim();
    db.tx(|tx| {
        tx.one(
            "INSERT INTO cases (name, created, created_by) VALUES ($1, $2, $3) RETURNING id",
            &[name.into(), now().into(), by.into()],
        )?
        .map(|r| r.int(0))
        .ok_or_else(|| Error::Internal("no id for the new case".into()))
    })
}

/// Every case, newest first.
pub fn list_cases(db: &Db) -> Result<Vec<CaseSummary>> {
    let rows = db.tx(|tx| {
        tx.query(
            "SELECT c.id, c.name, c.created, c.created_by, \
             (SELECT COUNT(*) FROM samples s WHERE s.case_id = c.id) \
             FROM cases c ORDER BY c.id DESC",
            &[],
        )
    })?;
    Ok(rows
        .iter()
        .map(|r| CaseSummary {
            id: r.int(0),
            name: r.text(1),
            created: r.text(2),
            created_by: r.text(3),
            samples: r.int(4),
        })
        .collect())
}

/// One case with its samples and custody entries.
pub fn case_detail(db: &Db, id: i64) -> Result<CaseDetail> {
    let (case, samples, custody) = db.tx(|tx| {
        let case = tx
            .one(
                "SELECT id, name, created, created_by FROM cases WHERE id = $1",
                &[id.into()],
            )?
            .ok_or(Error::NotFound("case"))?;
        let samples = tx.query(
            "SELECT id FROM samples WHERE case_id = $1 ORDER BY id",
            &[id.into()],
        )?;
        let custody = tx.query(
            "SELECT entry FROM custody WHERE case_id = $1 ORDER BY seq",
            &[id.into()],
        )?;
        Ok((case, samples, custody))
    })?;
    let samples = samples
        .iter()
        .map(|r| sample_view(db, r.int(0)))
        .collect::<Result<Vec<_>>>()?;
    let custody = custody
        .iter()
        .map(|r| serde_json::from_str(&r.text(0)).map_err(Error::from))
        .collect::<Result<Vec<_>>>()?;
    Ok(CaseDetail {
        id: case.int(0),
        name: case.text(1),
        created: case.text(2),
        created_by: case.text(3),
        samples,
        custody,
    })
}

/// Whether the case exists.
pub fn case_exists(db: &Db, id: i64) -> Result<bool> {
    Ok(db
        .tx(|tx| tx.one("SELECT id FROM cases WHERE id = $1", &[id.into()]))?
        .is_some())
}

/// A sample with its latest job and verdict.
pub fn sample_view(db: &Db, id: i64) -> Result<SampleView> {
    let s = sample(db, id)?;
    let (meta, job, report) = db.tx(|tx| {
        let meta = tx
            .one(
                "SELECT uploaded, uploaded_by FROM samples WHERE id = $1",
                &[id.into()],
            )?
            .ok_or(Error::NotFound("sample"))?;
        let job = tx.one(
            &format!("SELECT {JOB_COLS} FROM jobs WHERE sample_id = $1 ORDER BY id DESC LIMIT 1"),
            &[id.into()],
        )?;
        let report = tx.one(
            "SELECT summary FROM reports WHERE sample_id = $1",
            &[id.into()],
        )?;
        Ok((meta, job, report))
    })?;
    let verdict = report
        .map(|r| serde_json::from_str::<VerdictView>(&r.text(0)))
        .transpose()?;
    Ok(SampleView {
        id: s.id,
        case_id: s.case_id,
        filename: s.filename,
        sha256: s.sha256,
        bytes: s.bytes,
        uploaded: meta.text(0),
        uploaded_by: meta.text(1),
        job: job.as_ref().map(job_view),
        verdict,
    })
}

/// The stored sample `id`.
pub fn sample(db: &Db, id: i64) -> Result<SampleRow> {
    let r = db
        .tx(|tx| {
            tx.one(
                "SELECT id, case_id, filename, sha256, bytes, stored FROM samples WHERE id = $1",
                &[id.into()],
            )
        })?
        .ok_or(Error::NotFound("sample"))?;
    Ok(SampleRow {
        id: r.int(0),
        case_id: r.int(1),
        filename: r.text(2),
        sha256: r.text(3),
        bytes: r.int(4),
        stored: r.text(5),
    })
}

/// What [`add_sample`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Added {
    /// The sample (new, or the one with the same bytes already in the case).
    pub sample_id: i64,
    /// Its job.
    pub job_id: i64,
    /// Whether the case already had these bytes (nothing new was queued).
    pub duplicate: bool,
}

/// Records an upload of `sha256` to `case_id` and queues its job, unless the case already
/// holds the same bytes: then it is the same sample and the same job.
#[allow(clippy::too_many_arguments)]
pub fn add_sample(
    db: &Db,
    case_id: i64,
    filename: &str,
    sha256: &str,
    bytes: u64,
    stored: &str,
    by: &str,
) -> Result<Added> {
    db.tx(|tx| {
        let existing = tx.one(
            "SELECT id FROM samples WHERE case_id = $1 AND sha256 = $2",
            &[case_id.into(), sha256.into()],
        )?;
        if let Some(s) = existing {
            let sample_id = s.int(0);
            let job = tx
                .one(
                    "SELECT id FROM jobs WHERE sample_id = $1 ORDER BY id DESC LIMIT 1",
                    &[sample_id.into()],
                )?
                .ok_or_else(|| Error::Internal("a sample without a job".into()))?;
            return Ok(Added {
                sample_id,
                job_id: job.int(0),
                duplicate: true,
            });
        }
        let at = now();
        let sample_id = tx
            .one(
                "INSERT INTO samples (case_id, filename, sha256, bytes, stored, uploaded, uploaded_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                &[
                    case_id.into(),
                    filename.into(),
                    sha256.into(),
                    (bytes as i64).into(),
                    stored.into(),
                    at.clone().into(),
                    by.into(),
                ],
            )?
            .ok_or_else(|| Error::Internal("no id for the new sample".into()))?
            .int(0);
        let job_id = tx
            .one(
                "INSERT INTO jobs (sample_id, state, total_bytes, operator, created) \
                 VALUES ($1, 'queued', $2, $3, $4) RETURNING id",
                &[
                    sample_id.into(),
                    (bytes as i64).into(),
                    by.into(),
                    at.into(),
                ],
            )?
            .ok_or_else(|| Error::Internal("no id for the new job".into()))?
            .int(0);
        Ok(Added {
            sample_id,
            job_id,
            duplicate: false,
        })
    })
}

/// The job `id`.
pub fn job(db: &Db, id: i64) -> Result<JobView> {
    db.tx(|tx| {
        tx.one(
            &format!("SELECT {JOB_COLS} FROM jobs WHERE id = $1"),
            &[id.into()],
        )
    })?
    .as_ref()
    .map(job_view)
    .ok_or(Error::NotFound("job"))
}

/// The operator (token name) that queued job `id`.
pub fn job_operator(db: &Db, id: i64) -> Result<String> {
    db.tx(|tx| tx.one("SELECT operator FROM jobs WHERE id = $1", &[id.into()]))?
        .map(|r| r.text(0))
        .ok_or(Error::NotFound("job"))
}

/// Jobs a restart interrupted are queued again (with a note and one more attempt); then
/// every queued job, oldest first.
pub fn requeue_interrupted(db: &Db) -> Result<(u64, Vec<i64>)> {
    db.tx(|tx| {
        let n = tx.exec(
            "UPDATE jobs SET state = 'queued', error = 'interrupted by a server restart; run again', \
             lines = 0, bytes = 0 WHERE state = 'running'",
            &[],
        )?;
        let q = tx.query("SELECT id FROM jobs WHERE state = 'queued' ORDER BY id", &[])?;
        Ok((n, q.iter().map(|r| r.int(0)).collect()))
    })
}

/// Marks job `id` running; false when it was not queued (done meanwhile).
pub fn start_job(db: &Db, id: i64) -> Result<bool> {
    let n = db.tx(|tx| {
        tx.exec(
            "UPDATE jobs SET state = 'running', started = $1, attempts = attempts + 1 \
             WHERE id = $2 AND state = 'queued'",
            &[now().into(), id.into()],
        )
    })?;
    Ok(n == 1)
}

/// Marks job `id` failed with `error` (a message without values).
pub fn fail_job(db: &Db, id: i64, error: &str, progress: JobProgress) -> Result<()> {
    db.tx(|tx| {
        tx.exec(
            "UPDATE jobs SET state = 'failed', error = $1, finished = $2, lines = $3, bytes = $4 \
             WHERE id = $5",
            &[
                error.into(),
                now().into(),
                (progress.lines as i64).into(),
                (progress.bytes as i64).into(),
                id.into(),
            ],
        )
    })?;
    Ok(())
}

/// What a finished job records, in one transaction.
pub struct Finished<'a> {
    /// The job.
    pub job_id: i64,
    /// Its sample.
    pub sample_id: i64,
    /// Its case.
    pub case_id: i64,
    /// Final progress.
    pub progress: JobProgress,
    /// The report files.
    pub report: &'a ReportRow,
    /// The custody entry the case folder's log got (JSON), and its number and hash.
    pub custody: (i64, String, String),
}

/// Records a finished job: its report, its custody entry, the case's head, the job done.
pub fn finish_job(db: &Db, f: &Finished<'_>) -> Result<()> {
    let summary = serde_json::to_string(&f.report.summary)?;
    db.tx(|tx| {
        tx.exec(
            "DELETE FROM reports WHERE sample_id = $1",
            &[f.sample_id.into()],
        )?;
        tx.exec(
            "INSERT INTO reports (sample_id, job_id, base, signed, matches, summary) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                f.sample_id.into(),
                f.job_id.into(),
                f.report.base.clone().into(),
                i64::from(f.report.signed).into(),
                f.report.matches.clone().into(),
                summary.into(),
            ],
        )?;
        let (seq, entry, hash) = &f.custody;
        tx.exec(
            "INSERT INTO custody (case_id, seq, entry) VALUES ($1, $2, $3)",
            &[f.case_id.into(), (*seq).into(), entry.clone().into()],
        )?;
        tx.exec(
            "UPDATE cases SET head_seq = $1, head_hash = $2 WHERE id = $3",
            &[(*seq).into(), hash.clone().into(), f.case_id.into()],
        )?;
        tx.exec(
            "UPDATE jobs SET state = 'done', error = NULL, finished = $1, lines = $2, bytes = $3 \
             WHERE id = $4",
            &[
                now().into(),
                (f.progress.lines as i64).into(),
                (f.progress.bytes as i64).into(),
                f.job_id.into(),
            ],
        )?;
        Ok(())
    })
}

/// The report files of sample `id`, once its job is done.
pub fn report(db: &Db, sample_id: i64) -> Result<Option<ReportRow>> {
    let r = db.tx(|tx| {
        tx.one(
            "SELECT base, signed, matches, summary FROM reports WHERE sample_id = $1",
            &[sample_id.into()],
        )
    })?;
    r.map(|r| {
        Ok(ReportRow {
            base: r.text(0),
            signed: r.int(1) != 0,
            matches: r.opt_text(2),
            summary: serde_json::from_str(&r.text(3))?,
        })
    })
    .transpose()
}

/// The custody entries of case `id` as the database holds them (JSON), oldest first.
pub fn custody_entries(db: &Db, case_id: i64) -> Result<Vec<String>> {
    let rows = db.tx(|tx| {
        tx.query(
            "SELECT entry FROM custody WHERE case_id = $1 ORDER BY seq",
            &[Val::from(case_id)],
        )
    })?;
    Ok(rows.iter().map(|r| r.text(0)).collect())
}

/// A token as listed (never its secret).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TokenView {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Role.
    pub role: String,
    /// Created.
    pub created: String,
    /// When it was revoked.
    pub revoked: Option<String>,
}

/// Every token.
pub fn tokens(db: &Db) -> Result<Vec<TokenView>> {
    let rows = db.tx(|tx| {
        tx.query(
            "SELECT id, name, role, created, revoked FROM tokens ORDER BY id",
            &[],
        )
    })?;
    Ok(rows
        .iter()
        .map(|r| TokenView {
            id: r.int(0),
            name: r.text(1),
            role: r.text(2),
            created: r.text(3),
            revoked: r.opt_text(4),
        })
        .collect())
}

/// Revokes token `id` (and its sessions).
pub fn revoke_token(db: &Db, id: i64) -> Result<()> {
    db.tx(|tx| {
        let n = tx.exec(
            "UPDATE tokens SET revoked = $1 WHERE id = $2 AND revoked IS NULL",
            &[now().into(), id.into()],
        )?;
        if n == 0 {
            return Err(Error::NotFound("live token"));
        }
        tx.exec("DELETE FROM sessions WHERE token_id = $1", &[id.into()])?;
        Ok(())
    })
}
