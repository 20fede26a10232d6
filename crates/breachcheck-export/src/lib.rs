//! The blind index's tags as Hive-partitioned Parquet, so an engine beyond one machine
//! (DuckDB, DataFusion/Ballista, Spark, Trino) can run the same exact join at larger scale.
//!
//! ```text
//! OUT/system=accounts/snapshot=2026-01-31/prefix=0/part-0.parquet
//!     …/prefix=f/part-0.parquet
//! ```
//! Each file has two `INT64` columns: `tag`, the first 40 bits of a keyed blocking tag (the
//! bits every segment keeps), and `record`, the stored record it points to
//! (`segment << 32 | record`, stable for the index). A snapshot's files list every tag of
//! every record the system held at that snapshot — carried records included — so one
//! partition answers "was this in accounts at 2026-01-31" without knowing about deltas.
//! `prefix` is the tag's first hex digit. Canary segments have no such partitions.
//!
//! Beside them, the two tables a verify reads, every segment's (canaries and reference
//! corpora included): `postings/segment=N/` and `records/segment=N/`, and `manifest.json`
//! (see [`export_index`]). A join of a sample's tags with them, on Spark
//! (`engines/spark/breachcheck_spark.py`) or by [`join_candidates`], gives a candidates
//! directory that [`CandidateStore`] reads for `verify --candidates`.
//!
//! A sample's tags, written by [`SampleTagFile`] with columns `line`, `tag`, `full`,
//! `most_hits` and `per_segment`, join on `tag`. Tags are keyed hashes: without the key
//! they reveal no value. Beside them a tags file says which are weak name keys (those with
//! a `most_hits` limit), the structure of a line but none of its values.
mod candidates;
mod table;

use breachcheck_index::{Index, SegmentKind};
pub use candidates::{join_candidates, CandidateStore, Joined, COUNTS_FILE};
use std::path::{Path, PathBuf};
use table::{Kind, Table, Value};

/// Errors of exporting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// File-system failure.
    #[error("cannot write {}", path.display())]
    Io {
        /// Path involved.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Writing a file into place failed (operation and file named).
    #[error(transparent)]
    Files(#[from] breachcheck_files::Error),
    /// The index is damaged (found while reading it).
    #[error(transparent)]
    Index(#[from] breachcheck_index::Error),
    /// Parquet encoding failure.
    #[error("cannot write Parquet file {}", path.display())]
    Parquet {
        /// File involved.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// Reading a file or directory failed.
    #[error("cannot read {}", path.display())]
    Read {
        /// Path involved.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Reading a Parquet file failed.
    #[error("cannot read Parquet file {}", path.display())]
    ParquetRead {
        /// File involved.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// A table's columns are not what this binary writes and reads.
    #[error("{}: {what}", path.display())]
    Schema {
        /// File or directory involved.
        path: PathBuf,
        /// What is wrong with it (never a value).
        what: String,
    },
    /// The destination already exists.
    #[error(
        "{0} already exists; exports are written whole into a new directory, choose another --out"
    )]
    Exists(PathBuf),
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_owned(),
        source: breachcheck_files::plain(source),
    }
}

/// A Parquet file of two required `INT64` columns, written through a temporary file and
/// renamed into place by [`TagFile::finish`].
pub struct TagFile {
    dest: PathBuf,
    table: Table,
}

impl std::fmt::Debug for TagFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TagFile").field("dest", &self.dest).finish()
    }
}

impl TagFile {
    /// Creates `dest` (its directory must exist) with columns named `first` and `second`.
    pub fn create(dest: &Path, first: &str, second: &str) -> Result<Self> {
        Ok(TagFile {
            dest: dest.to_owned(),
            table: Table::create(dest, &[(first, Kind::Int64), (second, Kind::Int64)])?,
        })
    }

    /// Appends one row.
    pub fn push(&mut self, first: i64, second: i64) -> Result<()> {
        self.table
            .push(&[Value::Int64(first), Value::Int64(second)])
    }

    /// Writes the footer, syncs and renames the file into place; returns its row count.
    pub fn finish(self) -> Result<u64> {
        self.table.finish()
    }
}

/// A sample's tags file (`breachcheck tags`): per line of the sample, every tag a verify
/// of it may look up, with what a join needs to copy exactly the postings the verify
/// reads. Columns, all `INT64`:
///
/// - `line`: the sample line;
/// - `tag`: the tag's first 40 bits, the join key of the exported postings;
/// - `full`: the whole tag (its 64 bits as a signed integer): postings keep 40 or more of
///   a tag's bits, so two tags can share 40 and the join tells them apart by `full`;
/// - `most_hits`: the verify skips this tag when it has more hits than this in all (a
///   weak key), so a join copies none of them; 0 when it reads every hit;
/// - `per_segment`: the most hits of one tag the verify reads in one segment
///   ([`MAX_HITS_PER_TAG`](breachcheck_index::MAX_HITS_PER_TAG)): the first ones in the
///   segment's posting order.
pub struct SampleTagFile {
    table: Table,
}

impl std::fmt::Debug for SampleTagFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SampleTagFile").finish_non_exhaustive()
    }
}

/// The columns of a [`SampleTagFile`], in order.
pub const SAMPLE_TAG_COLUMNS: [&str; 5] = ["line", "tag", "full", "most_hits", "per_segment"];

impl SampleTagFile {
    /// Creates `dest` (its directory must exist).
    pub fn create(dest: &Path) -> Result<Self> {
        Ok(SampleTagFile {
            table: Table::create(dest, &SAMPLE_TAG_COLUMNS.map(|c| (c, Kind::Int64)))?,
        })
    }

    /// Appends tag `tag` of sample line `line`, which a verify skips when it has more than
    /// `most_hits` hits (`None`: never).
    pub fn push(
        &mut self,
        line: u64,
        tag: u64,
        most_hits: Option<std::num::NonZeroUsize>,
    ) -> Result<()> {
        let most = most_hits.map_or(0, |m| i64::try_from(m.get()).unwrap_or(i64::MAX));
        self.table.push(&[
            Value::Int64(line as i64),
            Value::Int64((tag >> 24) as i64),
            Value::Int64(tag as i64),
            Value::Int64(most),
            Value::Int64(breachcheck_index::MAX_HITS_PER_TAG as i64),
        ])
    }

    /// Writes the footer, syncs and renames the file into place; returns its row count.
    pub fn finish(self) -> Result<u64> {
        self.table.finish()
    }
}

/// What an export wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Rows per (system, snapshot).
    pub partitions: Vec<(String, String, u64)>,
    /// Parquet files written.
    pub files: u64,
    /// Rows over the tag files.
    pub rows: u64,
    /// Rows of the postings table (every posting of every segment once).
    pub postings: u64,
    /// Rows of the records table (every stored record of every segment once).
    pub records: u64,
}

/// Directory of the postings table under an export, and of a candidates directory.
pub const POSTINGS_DIR: &str = "postings";
/// Directory of the records table under an export, and of a candidates directory.
pub const RECORDS_DIR: &str = "records";
/// Directory of a candidates directory's table of the sample tags the join was given.
pub const SAMPLE_TAGS_DIR: &str = "sample_tags";

/// Hex digits of the tag prefix partitions (the first 4 of the 40 exported bits).
const PREFIX_SHIFT: u32 = 36;

/// Writes every system snapshot's tags under `out` (which must not exist), Hive-partitioned
/// by system, snapshot and tag prefix. The directory appears whole or not at all: it is
/// written beside `out` under a temporary name and renamed.
pub fn export_index(index: &Index, out: &Path) -> Result<Summary> {
    if out.exists() {
        return Err(Error::Exists(out.to_owned()));
    }
    let work = staging_dir(out)?;
    let segments = &index.manifest().segments;
    let mut summary = Summary::default();
    for (t, meta) in segments.iter().enumerate() {
        if meta.kind != SegmentKind::System {
            continue;
        }
        let dir = work
            .path()
            .join(format!("system={}", meta.system))
            .join(format!("snapshot={}", meta.snapshot));
        let mut files: Vec<Option<TagFile>> = (0..16).map(|_| None).collect();
        let mut rows = 0u64;
        // Every segment of this system up to t contributes its records still present at t.
        for (s, earlier) in segments.iter().enumerate().take(t + 1) {
            if earlier.kind != SegmentKind::System || earlier.system != meta.system {
                continue;
            }
            let seg = index.segment(s);
            let mut gone = vec![false; seg.records()];
            for (r, later) in segments.iter().enumerate().take(t + 1).skip(s + 1) {
                if later.kind == SegmentKind::System && later.system == meta.system {
                    for (from, rec) in index.segment(r).removed() {
                        if from as usize == s {
                            if let Some(g) = gone.get_mut(rec as usize) {
                                *g = true;
                            }
                        }
                    }
                }
            }
            for (tag, rec) in seg.tags40() {
                if gone.get(rec as usize).copied().unwrap_or(true) {
                    continue;
                }
                let p = (tag >> PREFIX_SHIFT) as usize & 0xf;
                let file = match &mut files[p] {
                    Some(f) => f,
                    slot => {
                        let d = dir.join(format!("prefix={p:x}"));
                        std::fs::create_dir_all(&d).map_err(io(&d))?;
                        slot.insert(TagFile::create(&d.join("part-0.parquet"), "tag", "record")?)
                    }
                };
                file.push(tag as i64, ((s as i64) << 32) | i64::from(rec))?;
                rows += 1;
            }
        }
        for f in files.into_iter().flatten() {
            f.finish()?;
            summary.files += 1;
        }
        summary.rows += rows;
        summary
            .partitions
            .push((meta.system.clone(), meta.snapshot.clone(), rows));
    }
    write_store_tables(index, work.path(), &mut summary)?;
    index.manifest().store(work.path())?;
    // Every chunk read was checked on its first read: a damaged index exports nothing.
    index.damage()?;
    put_in_place(work, out)?;
    Ok(summary)
}

/// A temporary directory beside `out`, where a directory of tables is written before
/// [`put_in_place`] renames it, so that it appears whole or not at all.
pub(crate) fn staging_dir(out: &Path) -> Result<tempfile::TempDir> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(io(&parent))?;
    tempfile::Builder::new()
        .prefix(".tmp-export-")
        .tempdir_in(&parent)
        .map_err(io(&parent))
}

/// Renames the staged directory `work` to `out`.
pub(crate) fn put_in_place(work: tempfile::TempDir, out: &Path) -> Result<()> {
    let kept = work.keep();
    std::fs::rename(&kept, out).map_err(io(out))
}

/// Writes the two tables a verify's reads come from (see [`CandidateStore`]), a file per
/// segment of every kind:
///
/// - `postings/segment=N/part-0.parquet`: `tag` (the first 40 bits, the join key),
///   `record` (`segment << 32 | record`), `stored` (the tag bits the segment keeps, left-
///   aligned), `bits` (how many), `pos` (the posting's place in the segment, which orders
///   a tag's postings as a lookup returns them);
/// - `records/segment=N/part-0.parquet`: `record`, `system`, `kind`, `sampled` (read by
///   every verify, see [`breachcheck_index::repetition_runs`]), `presence` (the segments
///   whose snapshot held it, `u32` little-endian each) and `row` (its check values and keyed
///   encodings, [`breachcheck_index::RecordRow::to_bytes`], whose first byte is the row
///   format).
fn write_store_tables(index: &Index, out: &Path, summary: &mut Summary) -> Result<()> {
    let (runs, _) = breachcheck_index::repetition_runs(index.manifest());
    for (s, meta) in index.manifest().segments.iter().enumerate() {
        let seg = index.segment(s);
        let id = |r: u32| ((s as i64) << 32) | i64::from(r);
        let dir = out.join(POSTINGS_DIR).join(format!("segment={s}"));
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let mut postings = Table::create(
            &dir.join("part-0.parquet"),
            &[
                ("tag", Kind::Int64),
                ("record", Kind::Int64),
                ("stored", Kind::Int64),
                ("bits", Kind::Int64),
                ("pos", Kind::Int64),
            ],
        )?;
        let bits = i64::from(seg.kept_tag_bits());
        for (pos, (stored, r)) in seg.postings_stored().enumerate() {
            postings.push(&[
                Value::Int64((stored >> 24) as i64),
                Value::Int64(id(r)),
                Value::Int64(stored as i64),
                Value::Int64(bits),
                Value::Int64(pos as i64),
            ])?;
        }
        summary.postings += postings.finish()?;
        let dir = out.join(RECORDS_DIR).join(format!("segment={s}"));
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let mut records = Table::create(
            &dir.join("part-0.parquet"),
            &[
                ("record", Kind::Int64),
                ("system", Kind::Bytes { utf8: true }),
                ("kind", Kind::Bytes { utf8: true }),
                ("sampled", Kind::Bool),
                ("presence", Kind::Bytes { utf8: false }),
                ("row", Kind::Bytes { utf8: false }),
            ],
        )?;
        let mut held = Vec::new();
        let mut presence = Vec::new();
        for (r, row) in seg.rows().enumerate() {
            let r = r as u32;
            held.clear();
            index.presence(s as u32, r, &mut held);
            presence.clear();
            presence.extend(held.iter().flat_map(|h| h.to_le_bytes()));
            let sampled = runs
                .iter()
                .any(|&(_, rs, start, end)| rs as usize == s && (start..end).contains(&r));
            records.push(&[
                Value::Int64(id(r)),
                Value::Bytes(meta.system.as_bytes()),
                Value::Bytes(meta.kind.as_str().as_bytes()),
                Value::Bool(sampled),
                Value::Bytes(&presence),
                Value::Bytes(&row.to_bytes()),
            ])?;
        }
        summary.records += records.finish()?;
        summary.files += 2;
    }
    Ok(())
}
