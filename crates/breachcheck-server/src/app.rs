//! The server's shared state: the database, the index and key, the data folder, the job
//! queue and the limits, built once at start and shared by every request and worker.
use crate::auth::RateLimiter;
use crate::check::{CheckLimits, Checks};
use crate::db::Db;
use crate::error::{Error, Result};
use crate::jobs::Jobs;
use breachcheck_core::SecretKey;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zeroize::Zeroizing;

/// How the server is set up (the `serve` command's flags).
pub struct Config {
    /// The blind index.
    pub index: PathBuf,
    /// The company key.
    pub key: SecretKey,
    /// Uploaded samples, case folders and, by default, the SQLite database.
    pub data: PathBuf,
    /// `postgres://…` (or a SQLite path); default `DATA/breachcheck.db`.
    pub database: Option<String>,
    /// An ed25519 seed: reports and custody heads are signed with it.
    pub sign_seed: Option<Zeroizing<[u8; 32]>>,
    /// Largest upload accepted, in bytes.
    pub max_upload: u64,
    /// Jobs that may wait for a worker before uploads get `503`.
    pub max_waiting: usize,
    /// Requests a second per token (average) and at once (burst).
    pub rate: (f64, f64),
    /// Whether the server is reached over TLS (cookies get `Secure`).
    pub tls: bool,
    /// The public self-check's rate limits.
    pub check: CheckLimits,
    /// Where the company's transparency log is published (its `index.html` and
    /// `feed.xml`), linked from the self-check pages.
    pub log_url: Option<String>,
    /// The transparency log's folder: the self-check pages show a claim's statements.
    pub log_dir: Option<PathBuf>,
}

/// Shared state.
pub struct App {
    /// The database.
    pub db: Db,
    /// The blind index's folder.
    pub index: PathBuf,
    /// The company key.
    pub key: SecretKey,
    /// The data folder.
    pub data: PathBuf,
    /// The report-signing seed.
    pub sign_seed: Option<Zeroizing<[u8; 32]>>,
    /// Largest upload.
    pub max_upload: u64,
    /// The queue.
    pub jobs: Jobs,
    /// Requests per token.
    pub limiter: RateLimiter,
    /// Cookies get `Secure`.
    pub tls: bool,
    /// The self-check's limits and loaded claims.
    pub checks: Checks,
    /// The published transparency log's address.
    pub log_url: Option<String>,
    /// The transparency log's folder.
    pub log_dir: Option<PathBuf>,
}

impl App {
    /// Opens the database (migrating it) and prepares the data folder; workers are not
    /// started yet ([`crate::jobs::start_workers`]).
    pub fn open(config: Config) -> Result<Arc<App>> {
        std::fs::create_dir_all(config.data.join("uploads"))
            .map_err(Error::io("cannot create the data folder"))?;
        std::fs::create_dir_all(config.data.join("cases"))
            .map_err(Error::io("cannot create the data folder"))?;
        // Uploads a killed server left half-written.
        for p in breachcheck_files::temp_files(&config.data.join("uploads")) {
            let _ = std::fs::remove_file(p);
        }
        let db = Db::open(config.database.as_deref(), &config.data)?;
        // `selfcheck publish` reads samples as this server verifies them: with its index.
        let index = std::fs::canonicalize(&config.index).unwrap_or_else(|_| config.index.clone());
        crate::claims::set_setting(&db, crate::claims::INDEX_SETTING, &index.to_string_lossy())?;
        Ok(Arc::new(App {
            db,
            index: config.index,
            key: config.key,
            data: config.data,
            sign_seed: config.sign_seed,
            max_upload: config.max_upload,
            jobs: Jobs::new(config.max_waiting),
            limiter: RateLimiter::new(config.rate.0, config.rate.1),
            tls: config.tls,
            checks: Checks::new(config.check),
            log_url: config.log_url,
            log_dir: config.log_dir,
        }))
    }

    /// The folder of case `id`: its samples, reports, matches and custody log.
    pub fn case_dir(&self, id: i64) -> PathBuf {
        self.data.join("cases").join(id.to_string())
    }

    /// A path inside the data folder, given relative to it.
    pub fn data_path(&self, rel: &str) -> PathBuf {
        self.data.join(Path::new(rel))
    }
}
