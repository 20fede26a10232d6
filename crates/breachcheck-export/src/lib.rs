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
//! `prefix` is the tag's first hex digit. Canary segments are not exported.
//!
//! A sample's tags, written by [`TagFile`] with columns `line` and `tag`, join on `tag`.
//! Tags are keyed hashes: without the key they reveal nothing, and nothing else is written.
use breachcheck_index::{Index, SegmentKind};
use parquet::basic::Compression;
use parquet::data_type::Int64Type;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
    /// The destination already exists.
    #[error(
        "{0} already exists; exports are written whole into a new directory, choose another --out"
    )]
    Exists(PathBuf),
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_owned(),
        source: breachcheck_files::plain(source),
    }
}

/// Rows buffered per row group (16 bytes each).
const ROW_GROUP: usize = 1 << 18;

/// A Parquet file of two required `INT64` columns, written through a temporary file and
/// renamed into place by [`TagFile::finish`].
pub struct TagFile {
    dest: PathBuf,
    writer: SerializedFileWriter<breachcheck_files::AtomicFile>,
    a: Vec<i64>,
    b: Vec<i64>,
    rows: u64,
}

impl std::fmt::Debug for TagFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TagFile")
            .field("dest", &self.dest)
            .field("rows", &self.rows)
            .finish()
    }
}

impl TagFile {
    /// Creates `dest` (its directory must exist) with columns named `first` and `second`.
    pub fn create(dest: &Path, first: &str, second: &str) -> Result<Self> {
        let tmp = breachcheck_files::AtomicFile::create(dest)?;
        let pq = |source| Error::Parquet {
            path: dest.to_owned(),
            source,
        };
        let schema = parquet::schema::parser::parse_message_type(&format!(
            "message tags {{ required int64 {first}; required int64 {second}; }}"
        ))
        .map_err(pq)?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_created_by(format!("breachcheck {}", env!("CARGO_PKG_VERSION")))
            .build();
        let writer =
            SerializedFileWriter::new(tmp, Arc::new(schema), Arc::new(props)).map_err(pq)?;
        Ok(TagFile {
            dest: dest.to_owned(),
            writer,
            a: Vec::with_capacity(ROW_GROUP),
            b: Vec::with_capacity(ROW_GROUP),
            rows: 0,
        })
    }

    /// Appends one row.
    pub fn push(&mut self, first: i64, second: i64) -> Result<()> {
        self.a.push(first);
        self.b.push(second);
        self.rows += 1;
        if self.a.len() >= ROW_GROUP {
            self.flush_group()?;
        }
        Ok(())
    }

    fn flush_group(&mut self) -> Result<()> {
        if self.a.is_empty() {
            return Ok(());
        }
        let dest = self.dest.clone();
        let pq = |source| Error::Parquet { path: dest, source };
        let mut group = self.writer.next_row_group().map_err(pq.clone())?;
        for values in [&self.a, &self.b] {
            let Some(mut col) = group.next_column().map_err(pq.clone())? else {
                break;
            };
            col.typed::<Int64Type>()
                .write_batch(values, None, None)
                .map_err(pq.clone())?;
            col.close().map_err(pq.clone())?;
        }
        group.close().map_err(pq)?;
        self.a.clear();
        self.b.clear();
        Ok(())
    }

    /// Writes the footer, syncs and renames the file into place; returns its row count.
    pub fn finish(mut self) -> Result<u64> {
        self.flush_group()?;
        let dest = self.dest.clone();
        let file = self.writer.into_inner().map_err(|source| Error::Parquet {
            path: dest.clone(),
            source,
        })?;
        file.commit()?;
        Ok(self.rows)
    }
}

/// What an export wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Rows per (system, snapshot).
    pub partitions: Vec<(String, String, u64)>,
    /// Parquet files written.
    pub files: u64,
    /// Rows over all files.
    pub rows: u64,
}

/// Hex digits of the tag prefix partitions (the first 4 of the 40 exported bits).
const PREFIX_SHIFT: u32 = 36;

/// Writes every system snapshot's tags under `out` (which must not exist), Hive-partitioned
/// by system, snapshot and tag prefix. The directory appears whole or not at all: it is
/// written beside `out` under a temporary name and renamed.
pub fn export_index(index: &Index, out: &Path) -> Result<Summary> {
    if out.exists() {
        return Err(Error::Exists(out.to_owned()));
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(io(&parent))?;
    let work = tempfile::Builder::new()
        .prefix(".tmp-export-")
        .tempdir_in(&parent)
        .map_err(io(&parent))?;
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
    // Every chunk read was checked on its first read: a damaged index exports nothing.
    index.damage()?;
    let kept = work.keep();
    std::fs::rename(&kept, out).map_err(io(out))?;
    Ok(summary)
}
