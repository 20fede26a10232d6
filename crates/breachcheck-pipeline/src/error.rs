//! One error type for the pipeline's jobs. Each variant names the operation and the file
//! the user named; the cause travels as the error's source, printed once by the chain.
use std::path::PathBuf;

/// Why an index build, a verification or a sample read stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or opening an input failed.
    #[error(transparent)]
    Ingest(#[from] breachcheck_ingest::Error),
    /// The index could not be opened, read, extended or was found damaged.
    #[error(transparent)]
    Index(#[from] breachcheck_index::Error),
    /// An export or a candidates directory could not be read.
    #[error(transparent)]
    Export(#[from] breachcheck_export::Error),
    /// A verify over candidates found reads the candidates could not answer.
    #[error("{gaps} reads of the index were not among the candidates in {}: were they joined with the tags of this sample (`breachcheck tags --manifest`) under the same export? Nothing is stated", dir.display())]
    CandidateGaps {
        /// The candidates directory.
        dir: std::path::PathBuf,
        /// Lookups and record reads left unanswered.
        gaps: u64,
    },
    /// An output could not be written or put in place.
    #[error(transparent)]
    Files(#[from] breachcheck_files::Error),
    /// An audit-set evaluation failed.
    #[error(transparent)]
    Audit(#[from] breachcheck_audit::Error),
    /// A file could not be read (hashing an input, sizing a sample).
    #[error("cannot read {}", path.display())]
    Read {
        /// The file the user named.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A temporary file could not be written.
    #[error("cannot write a temporary file in {}", dir.display())]
    TempFile {
        /// The temporary directory.
        dir: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Prepared records (a build beyond one machine) that cannot be merged as given.
    #[error("prepared records: {0}")]
    Prepared(String),
    /// A directory the job needs could not be created.
    #[error("cannot create {}", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Reading stopped mid-file: a half-read input must not look like a whole one.
    #[error("reading {} failed after line {after_line}; nothing was written", path.display())]
    ReadFailed {
        /// The input.
        path: PathBuf,
        /// The last line read whole.
        after_line: u64,
    },
    /// An input no longer hashes to what the index recorded for it.
    #[error("{name} is no longer what was indexed (SHA-256 differs); {consequence}")]
    SourceChanged {
        /// The input's name as the manifest lists it.
        name: String,
        /// What cannot be done because of it.
        consequence: String,
    },
    /// A segment's recorded source cannot be read again.
    #[error("{what}: source {source_name} cannot be read again: {why}")]
    NotRereadable {
        /// The segment, as `system @ snapshot`.
        what: String,
        /// The source's name as the manifest lists it.
        source_name: String,
        /// Why.
        why: String,
    },
    /// A build found no record it could index.
    #[error("no record could be indexed from the given files: no column was recognised or every line was quarantined; check them with `breachcheck inspect` and name columns with --map COLUMN=ROLE")]
    NothingIndexed,
    /// The recorded sources of a segment no longer yield every record it stores.
    #[error("the recorded sources no longer give every record {what} stores (were they rewritten with the same bytes under other settings?); its audit set is not made")]
    SourcesIncomplete {
        /// The segment, as `system @ snapshot`.
        what: String,
    },
    /// A database source failed; the message never quotes a value (see `source_pg`).
    #[error("{0}")]
    Database(String),
    /// The operating system's random source failed.
    #[error("the operating system's random source failed")]
    Random,
    /// The reading thread panicked (a bug).
    #[error("the reading thread panicked")]
    ReaderPanicked,
    /// A result sink refused a line (e.g. its own output failed).
    #[error("{0}")]
    Sink(String),
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;
