//! A verify's reads answered from the candidates an engine beyond one machine found: the
//! rows of the exported postings and records tables (see [`crate::export_index`]) that a
//! join with a sample's tags (`breachcheck tags --manifest`) kept, with the manifest the
//! export carried. `breachcheck verify --candidates DIR` scores them and writes the report
//! a verify against the index itself writes.
//!
//! ```text
//! DIR/manifest.json                the export's copy, checked against its commitment
//! DIR/counts.json                  rows the join wrote per table, checked against those read
//! DIR/sample_tags/*.parquet        tag, full, skipped, most_hits, per_segment: the tags
//!                                  the join was given, and which it skipped as weak keys
//!                                  with more hits than a verify reads
//! DIR/postings/**/*.parquet        tag, record, stored, bits, pos: the postings of those
//!                                  tags a verify reads
//! DIR/records/**/*.parquet         record, presence, row: every record a posting names,
//!                                  and the sampled ones
//! ```
//!
//! The store answers a lookup exactly as the segment would (the bits the segment keeps,
//! its posting order, at most [`MAX_HITS_PER_TAG`] per segment), and a lookup of a weak
//! key the join skipped as the skip it is
//! ([`RecordStore::lookup_at_most_into`]). It refuses to guess what it was not given: a
//! lookup of a tag the join was not given or skipped, or a read of a record it does not
//! hold, is counted ([`CandidateStore::gaps`]) and the verify states nothing.
use crate::table::{Kind, Table, Value};
use crate::{Error, Result, POSTINGS_DIR, RECORDS_DIR, SAMPLE_TAGS_DIR};
use breachcheck_core::Tag;
use breachcheck_index::{Hit, Manifest, RecordRow, RecordStore, MAX_HITS_PER_TAG};
use parquet::data_type::ByteArray;
use parquet::file::reader::{FileReader, SerializedFileReader};
use std::collections::{HashMap, HashSet};

/// A hash map for keys that are keyed hashes and record ids (see the workspace manifest).
type FastMap<K, V> = foldhash::HashMap<K, V>;

/// A store's records: where each record's row is, and where its presence list is.
type RecordMap = FastMap<(u32, u32), (u32, u32, u32)>;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// One posting as an export stores it.
#[derive(Clone, Copy, Debug)]
struct Posting {
    segment: u32,
    record: u32,
    /// The tag bits the segment keeps, left-aligned, and their mask.
    stored: u64,
    mask: u64,
    pos: u64,
}

/// What a join wrote to a candidates directory (`counts.json`), checked when it is read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Counts {
    sample_tags: u64,
    /// Of the sample tags, those skipped as weak keys with too many hits.
    skipped: u64,
    postings: u64,
    records: u64,
}

/// File of a candidates directory with the rows the join wrote per table (`sample_tags`,
/// `postings`, `records`, as JSON).
pub const COUNTS_FILE: &str = "counts.json";

/// A sample tag the join was given.
#[derive(Clone, Copy, Debug)]
struct Asked {
    /// A weak key with more than `most_hits` hits: the join kept none of them.
    skipped: bool,
    /// The verify skips the tag with more hits than this; 0: never.
    most_hits: u64,
}

/// The columns of a candidates directory's `sample_tags` table, in order.
const JOINED_TAG_COLUMNS: [(&str, Kind); 5] = [
    ("tag", Kind::Int64),
    ("full", Kind::Int64),
    ("skipped", Kind::Bool),
    ("most_hits", Kind::Int64),
    ("per_segment", Kind::Int64),
];

/// The candidates of one sample, in memory.
#[derive(Debug)]
pub struct CandidateStore {
    manifest: Manifest,
    /// Tags the join was given (whole), and what it did with them.
    asked: FastMap<u64, Asked>,
    /// Postings with their 40-bit tag, in (tag, segment, position) order.
    postings: Vec<(u64, Posting)>,
    /// Records: where the row is in `rows`, and where its presence list is in `held`.
    records: RecordMap,
    /// Every record's row, one after another.
    rows: Vec<RecordRow>,
    /// Every record's presence list, one after another.
    held: Vec<u32>,
    /// Reads that could not be answered from what the join found.
    gaps: AtomicU64,
}

impl CandidateStore {
    /// Reads the candidates directory `dir`.
    pub fn open(dir: &Path) -> Result<Self> {
        let manifest = Manifest::load_checked(dir)?;
        // What the join wrote, checked against what is read below: a table file lost in a
        // copy, or a join committed in part, would answer lookups with fewer hits and no
        // gap.
        let counts = dir.join(COUNTS_FILE);
        let want: Counts = std::fs::read(&counts)
            .map_err(|source| Error::Read {
                path: counts.clone(),
                source: breachcheck_files::plain(source),
            })
            .and_then(|b| {
                serde_json::from_slice(&b)
                    .map_err(|_| schema(&counts, "not the counts a join writes"))
            })?;
        // The records table (most of a directory's bytes) is read beside the other two.
        let (front, back) = std::thread::scope(|scope| {
            let back = scope.spawn(|| read_records(dir, &manifest, &want));
            let front = read_asked(dir, &want)
                .and_then(|asked| Ok((asked, read_postings(dir, &manifest, &want)?)));
            (front, back.join())
        });
        let ((asked, skipped, tag_rows), (postings, posting_rows)) = front?;
        let (records, rows, held, record_rows) =
            back.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        if skipped != want.skipped {
            return Err(schema(
                &dir.join(SAMPLE_TAGS_DIR),
                &format!(
                    "marks {skipped} tags skipped where the join skipped {}",
                    want.skipped
                ),
            ));
        }
        let read = [tag_rows, posting_rows, record_rows];
        let wrote = [want.sample_tags, want.postings, want.records];
        for ((table, r), w) in [SAMPLE_TAGS_DIR, POSTINGS_DIR, RECORDS_DIR]
            .iter()
            .zip(read)
            .zip(wrote)
        {
            if r != w {
                return Err(schema(
                    &dir.join(table),
                    &format!("holds {r} rows where the join wrote {w}: {INCOMPLETE}"),
                ));
            }
        }
        Ok(CandidateStore {
            manifest,
            asked,
            postings,
            records,
            rows,
            held,
            gaps: AtomicU64::new(0),
        })
    }

    /// Lookups of tags the join was not given and reads of records it did not supply,
    /// since the store was opened: a verify over a store with gaps states nothing.
    pub fn gaps(&self) -> u64 {
        self.gaps.load(Ordering::Relaxed)
    }
}

impl RecordStore for CandidateStore {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn lookup_into(&self, tag: Tag, out: &mut Vec<Hit>) {
        if self.asked.get(&tag.0).is_none_or(|a| a.skipped) {
            self.gaps.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let t40 = tag.0 >> 24;
        let from = self.postings.partition_point(|(t, _)| *t < t40);
        let found = self.postings[from..].iter().take_while(|(t, _)| *t == t40);
        let mut segment = u32::MAX;
        let mut in_segment = 0usize;
        for (_, p) in found {
            if tag.0 & p.mask != p.stored {
                continue;
            }
            if p.segment != segment {
                segment = p.segment;
                in_segment = 0;
            }
            if in_segment < MAX_HITS_PER_TAG {
                out.push(Hit {
                    segment: p.segment,
                    record: p.record,
                });
                in_segment += 1;
            }
        }
    }

    fn lookup_at_most_into(&self, tag: Tag, most: usize, out: &mut Vec<Hit>) -> bool {
        match self.asked.get(&tag.0) {
            // The join found more than `most_hits`, so more than `most`.
            Some(a) if a.skipped && a.most_hits > 0 && most as u64 <= a.most_hits => false,
            Some(a) if !a.skipped => {
                let from = out.len();
                self.lookup_into(tag, out);
                breachcheck_index::at_most(out, from, most)
            }
            _ => {
                self.gaps.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    fn record(&self, segment: u32, record: u32) -> Option<RecordRow> {
        match self.records.get(&(segment, record)) {
            Some((n, _, _)) => self.rows.get(*n as usize).copied(),
            None => {
                self.gaps.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    fn presence(&self, segment: u32, record: u32, out: &mut Vec<u32>) {
        match self.records.get(&(segment, record)) {
            Some((_, at, len)) => {
                let (at, len) = (*at as usize, *len as usize);
                out.extend_from_slice(self.held.get(at..at + len).unwrap_or_default());
            }
            None => {
                self.gaps.fetch_add(1, Ordering::Relaxed);
                out.push(segment);
            }
        }
    }
}

fn schema(path: &Path, what: &str) -> Error {
    Error::Schema {
        path: path.to_owned(),
        what: what.to_owned(),
    }
}

/// Why a table's row count differs from the join's.
const INCOMPLETE: &str = "a file is missing, cut short or damaged";

/// Room for `n` rows the join says it wrote, within reason: the counts come from beyond
/// this machine too.
fn room(n: u64) -> usize {
    usize::try_from(n.min(1 << 24)).unwrap_or(0)
}

/// A candidates directory's `sample_tags` table: the tags the join was given, how many it
/// skipped, and its rows.
fn read_asked(dir: &Path, want: &Counts) -> Result<(FastMap<u64, Asked>, u64, u64)> {
    let (mut skipped, mut rows) = (0u64, 0u64);
    let mut asked = FastMap::default();
    asked.reserve(room(want.sample_tags));
    let columns = JOINED_TAG_COLUMNS.map(|(name, _)| name);
    for_each_row(&dir.join(SAMPLE_TAGS_DIR), &columns, |row| {
        let (tag, full) = (row.long(0)? as u64, row.long(1)? as u64);
        let skip = row.flag(2)?;
        let (most_hits, per_segment) = (row.long(3)?, row.long(4)?);
        // A skipped tag had more hits than its limit, so it has one.
        if full >> 24 != tag || most_hits < 0 || (skip && most_hits == 0) {
            return Err(schema(row.path, "a sample tag is not one a join writes"));
        }
        if per_segment != MAX_HITS_PER_TAG as i64 {
            return Err(schema(row.path, OTHER_PER_SEGMENT));
        }
        let asked_before = asked.insert(
            full,
            Asked {
                skipped: skip,
                most_hits: most_hits as u64,
            },
        );
        if asked_before.is_some() {
            return Err(schema(row.path, "a sample tag is listed twice"));
        }
        skipped += u64::from(skip);
        rows += 1;
        Ok(())
    })
    .map_err(|e| match e {
        Error::Schema { path, what } if what.starts_with("no column") => Error::Schema {
            path,
            what: format!("{what}: {OTHER_RELEASE}"),
        },
        e => e,
    })?;
    Ok((asked, skipped, rows))
}

/// Why a join's `per_segment` differs from this release's.
const OTHER_PER_SEGMENT: &str = "the join kept another number of hits per segment than this release reads: write the sample's tags and join again with this release";
/// Why a candidates table lacks a column this release reads.
const OTHER_RELEASE: &str =
    "written by the join of another release (write the sample's tags and join again with this release)";

/// A candidates directory's `postings` table, in (tag, segment, position) order, and its
/// rows.
fn read_postings(
    dir: &Path,
    manifest: &Manifest,
    want: &Counts,
) -> Result<(Vec<(u64, Posting)>, u64)> {
    let segments = manifest.segments.len();
    let mut rows = 0u64;
    let mut postings: Vec<(u64, Posting)> = Vec::with_capacity(room(want.postings));
    for_each_row(
        &dir.join(POSTINGS_DIR),
        &["tag", "record", "stored", "bits", "pos"],
        |row| {
            let tag = row.long(0)? as u64;
            let (segment, record) = record_id(row.path, row.long(1)?, segments)?;
            let bits = row.long(3)?;
            if !(40..=64).contains(&bits) {
                return Err(schema(row.path, "a posting keeps fewer than 40 tag bits"));
            }
            let mask = u64::MAX << (64 - bits);
            let stored = row.long(2)? as u64;
            if stored >> 24 != tag {
                return Err(schema(
                    row.path,
                    "a posting's tag is not its stored bits' first 40",
                ));
            }
            rows += 1;
            postings.push((
                tag,
                Posting {
                    segment,
                    record,
                    stored: stored & mask,
                    mask,
                    pos: row.long(4)? as u64,
                },
            ));
            Ok(())
        },
    )?;
    postings.sort_unstable_by_key(|(t, p)| (*t, p.segment, p.pos));
    postings.dedup_by_key(|(t, p)| (*t, p.segment, p.pos));
    Ok((postings, rows))
}

/// A candidates directory's `records` table: where each record's row and presence list
/// are, the rows, the presence lists one after another, and the table's rows.
fn read_records(
    dir: &Path,
    manifest: &Manifest,
    want: &Counts,
) -> Result<(RecordMap, Vec<RecordRow>, Vec<u32>, u64)> {
    let segments = manifest.segments.len();
    let mut rows = 0u64;
    let mut records = FastMap::default();
    records.reserve(room(want.records));
    let mut all_rows: Vec<RecordRow> = Vec::with_capacity(room(want.records));
    let mut all_held: Vec<u32> = Vec::with_capacity(room(want.records));
    for_each_row(
        &dir.join(RECORDS_DIR),
        &["record", "presence", "row"],
        |row| {
            let id = record_id(row.path, row.long(0)?, segments)?;
            let presence = row.bytes(1)?;
            if presence.len() % 4 != 0 {
                return Err(schema(row.path, "a presence list is not whole u32s"));
            }
            let from = all_held.len();
            all_held.extend(
                presence
                    .chunks_exact(4)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            );
            let held = &all_held[from..];
            // The segment that stored it, then later snapshots of the index.
            if held.first() != Some(&id.0)
                || held.windows(2).any(|w| w[0] >= w[1])
                || held.iter().any(|s| *s as usize >= segments)
            {
                return Err(schema(row.path, "a presence list is not one of this index"));
            }
            rows += 1;
            // A record row names one of its segment's source files.
            let sources = manifest
                .segments
                .get(id.0 as usize)
                .map_or(0, |s| s.sources.len());
            let decoded = record_row(row.path, row.bytes(2)?, sources)?;
            let (n, at, len) = (
                u32::try_from(all_rows.len()),
                u32::try_from(from),
                u32::try_from(held.len()),
            );
            let (Ok(n), Ok(at), Ok(len)) = (n, at, len) else {
                return Err(schema(row.path, "it holds more than a store holds"));
            };
            all_rows.push(decoded);
            records.insert(id, (n, at, len));
            Ok(())
        },
    )?;
    Ok((records, all_rows, all_held, rows))
}

/// A record row of the records table, of a segment with `sources` source files; an error
/// that says so when another release of breachcheck wrote it (an export older than this
/// binary, say), not only that it is unreadable.
fn record_row(path: &Path, b: &[u8], sources: usize) -> Result<RecordRow> {
    let row = RecordRow::from_bytes(b).ok_or_else(|| {
        schema(
            path,
            if RecordRow::other_format(b) {
                "its record rows are not of this release's row format: export the index (`index export`) and join again with this release of breachcheck"
            } else {
                "a record row cannot be read"
            },
        )
    })?;
    // A row names one of its segment's source files. A row of an older release whose
    // first byte is the format byte by chance (its source file's low byte) can read as a
    // row of this one, with a source file of 0x8000 or above (see
    // `RecordRow::other_format`).
    if usize::from(row.source_file) >= sources {
        return Err(schema(
            path,
            "a record row names a source file its segment does not have: damaged, or written by another release (export the index and join again with this release of breachcheck)",
        ));
    }
    Ok(row)
}

/// (segment, record) of an exported record id, checked against the manifest.
fn record_id(path: &Path, id: i64, segments: usize) -> Result<(u32, u32)> {
    let (segment, record) = ((id as u64 >> 32) as u32, id as u32);
    if segment as usize >= segments {
        return Err(schema(
            path,
            "a record id names a segment the manifest lacks",
        ));
    }
    Ok((segment, record))
}

/// One row group's values of the columns a reader asked for, read column by column.
///
/// Why not the `parquet` crate's row API: it builds every row as a list of named fields,
/// a few allocations a value; a candidates directory of a large sample holds millions of
/// rows, and reading them was most of `verify --candidates`.
enum Column {
    Int64(Vec<i64>),
    Bool(Vec<bool>),
    Bytes(Vec<ByteArray>),
    /// A physical type no table of a join has.
    Other,
}

/// Row `i` of a row group's [`Column`]s, in the order the reader named them.
struct RowAt<'a> {
    /// The file, for errors.
    path: &'a Path,
    columns: &'a [Column],
    i: usize,
}

impl RowAt<'_> {
    /// The `INT64` (or `INT32`) value of the `k`-th column asked for.
    fn long(&self, k: usize) -> Result<i64> {
        match self.columns.get(k) {
            Some(Column::Int64(v)) => v
                .get(self.i)
                .copied()
                .ok_or_else(|| schema(self.path, "a column is shorter than its row group")),
            _ => Err(schema(self.path, "a column that should be INT64 is not")),
        }
    }

    /// The `BOOLEAN` value of the `k`-th column asked for.
    fn flag(&self, k: usize) -> Result<bool> {
        match self.columns.get(k) {
            Some(Column::Bool(v)) => v
                .get(self.i)
                .copied()
                .ok_or_else(|| schema(self.path, "a column is shorter than its row group")),
            _ => Err(schema(self.path, "a column that should be BOOLEAN is not")),
        }
    }

    /// The `BYTE_ARRAY` value of the `k`-th column asked for.
    fn bytes(&self, k: usize) -> Result<&[u8]> {
        match self.columns.get(k) {
            Some(Column::Bytes(v)) => v
                .get(self.i)
                .map(|b| b.data())
                .ok_or_else(|| schema(self.path, "a column is shorter than its row group")),
            _ => Err(schema(self.path, "a column that should be BINARY is not")),
        }
    }
}

/// Reads all `rows` values of column `c` of a row group. A null (Spark writes its columns
/// as optional) or fewer values than the row group declares is an error: a join writes
/// neither.
fn read_column(
    path: &Path,
    rg: &dyn parquet::file::reader::RowGroupReader,
    c: usize,
    rows: usize,
) -> Result<Column> {
    use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
    use parquet::data_type::DataType;
    fn all<T: DataType>(
        path: &Path,
        r: &mut ColumnReaderImpl<T>,
        rows: usize,
        nullable: bool,
    ) -> Result<Vec<T::T>> {
        // At most what the row group declares, and never more than the check of its
        // pages let through (see `check_pages`).
        let mut values = Vec::with_capacity(rows.min(1 << 20));
        let mut levels = Vec::new();
        let mut read = 0;
        while read < rows {
            levels.clear();
            let (records, _, _) = r
                .read_records(
                    rows - read,
                    nullable.then_some(&mut levels),
                    None,
                    &mut values,
                )
                .map_err(|source| Error::ParquetRead {
                    path: path.to_owned(),
                    source,
                })?;
            if records == 0 {
                break;
            }
            read += records;
            if values.len() != read {
                return Err(schema(
                    path,
                    "a column holds a null where a join writes none",
                ));
            }
        }
        if read != rows {
            return Err(schema(
                path,
                "a column holds fewer values than its row group declares",
            ));
        }
        Ok(values)
    }
    let descr = rg.metadata().column(c).column_descr_ptr();
    if descr.max_rep_level() > 0 {
        return Err(schema(
            path,
            "a column is repeated where a join writes one value a row",
        ));
    }
    let nullable = descr.max_def_level() > 0;
    let reader = rg
        .get_column_reader(c)
        .map_err(|source| Error::ParquetRead {
            path: path.to_owned(),
            source,
        })?;
    Ok(match reader {
        ColumnReader::Int64ColumnReader(mut r) => Column::Int64(all(path, &mut r, rows, nullable)?),
        ColumnReader::Int32ColumnReader(mut r) => Column::Int64(
            all(path, &mut r, rows, nullable)?
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
        ColumnReader::BoolColumnReader(mut r) => Column::Bool(all(path, &mut r, rows, nullable)?),
        ColumnReader::ByteArrayColumnReader(mut r) => {
            Column::Bytes(all(path, &mut r, rows, nullable)?)
        }
        _ => Column::Other,
    })
}

/// Calls `f` on every row of every Parquet file under `dir` (recursively, as Spark and
/// Hive partitioning lay them out; `_SUCCESS` and checksum files skipped) with the
/// positions of the columns `names`. A missing directory is an error: a join always
/// writes its tables, empty or not.
fn for_each_row(
    dir: &Path,
    names: &[&str],
    mut f: impl FnMut(&RowAt<'_>) -> Result<()>,
) -> Result<()> {
    let mut files = Vec::new();
    parquet_files(dir, &mut files)?;
    files.sort();
    for path in files {
        read_rows(&path, names, &mut f)?;
    }
    Ok(())
}

/// Calls `f` on every row of the Parquet file `path`, as [`for_each_row`] does.
///
/// The `parquet` crate panics on some malformed files (an index out of bounds in its RLE
/// decoder, found by the `candidates` fuzz target) instead of returning an error. A
/// candidates directory comes from beyond this machine, so a damaged file must be an
/// error that names it, never a crash: the read is caught whole.
fn read_rows(
    path: &Path,
    names: &[&str],
    mut f: impl FnMut(&RowAt<'_>) -> Result<()>,
) -> Result<()> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_rows_unguarded(path, names, &mut f)
    }))
    .unwrap_or_else(|_| {
        Err(schema(
            path,
            "the Parquet file is damaged (its reader failed on it)",
        ))
    })
}

fn read_rows_unguarded(
    path: &Path,
    names: &[&str],
    f: &mut impl FnMut(&RowAt<'_>) -> Result<()>,
) -> Result<()> {
    let read = |source| Error::ParquetRead {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source: breachcheck_files::plain(source),
    })?;
    let file_len = file.metadata().map(|m| m.len()).unwrap_or(0);
    check_footer(&file, file_len).map_err(|what| schema(path, what))?;
    let reader = SerializedFileReader::new(file).map_err(read)?;
    // A damaged footer can declare column chunks far larger than the file, which the
    // reader would then try to allocate (found by the `candidates` fuzz target), or many
    // chunks over the same bytes, which the page check below would read again and again:
    // sizes are checked against the file first, one by one and in all. (Snappy expands at
    // most about 6x, plus slack.)
    let mut all_stored = 0u64;
    for rg in reader.metadata().row_groups() {
        for c in rg.columns() {
            let (stored, plain) = (c.compressed_size(), c.uncompressed_size());
            all_stored = all_stored.saturating_add(stored.max(0) as u64);
            if stored < 0
                || all_stored > file_len
                || stored as u64 > file_len
                || plain < 0
                || plain as u64 > file_len.saturating_mul(8).saturating_add(1 << 20)
            {
                return Err(schema(path, "its column sizes do not fit the file"));
            }
        }
    }
    check_pages(&reader, file_len).map_err(|e| match e {
        PageCheck::Read(source) => read(source),
        PageCheck::Wrong(what) => schema(path, what),
    })?;
    // Leaf columns by their whole path: a table of a join is flat.
    let leaves = reader.metadata().file_metadata().schema_descr().columns();
    let at: Vec<usize> = names
        .iter()
        .map(|n| {
            leaves
                .iter()
                .position(|c| c.path().parts() == [*n])
                .ok_or_else(|| schema(path, &format!("no column {n}")))
        })
        .collect::<Result<_>>()?;
    for g in 0..reader.num_row_groups() {
        let rg = reader.get_row_group(g).map_err(read)?;
        let rows = usize::try_from(rg.metadata().num_rows())
            .map_err(|_| schema(path, "a row group declares fewer than no rows"))?;
        let columns: Vec<Column> = at
            .iter()
            .map(|c| read_column(path, rg.as_ref(), *c, rows))
            .collect::<Result<_>>()?;
        for i in 0..rows {
            f(&RowAt {
                path,
                columns: &columns,
                i,
            })?;
        }
    }
    Ok(())
}

/// The largest footer a candidates table may have (see [`check_footer`]).
const MAX_FOOTER: u64 = 16 << 20;

/// Checks a Parquet file's footer before the parquet crate parses it: the crate sizes a
/// vector by each Thrift list's declared length before reading its elements (an 81 GB
/// allocation from one damaged length, found by the `candidates` fuzz target: an abort no
/// `catch_unwind` stops). Walks the footer's Thrift compact encoding (self-describing, so
/// no schema is needed) and refuses any list, set, map or string that declares more
/// elements than bytes remain — every element takes at least one — so what the crate then
/// allocates is bounded by the footer's size. Written here because the `thrift` crate's
/// own skip allocates each string at its declared length.
fn check_footer(file: &std::fs::File, file_len: u64) -> std::result::Result<(), &'static str> {
    use std::os::unix::fs::FileExt;
    const DAMAGED: &str = "its footer is damaged (a length runs past its bytes)";
    let mut tail = [0u8; 8];
    if file_len < 12 || file.read_exact_at(&mut tail, file_len - 8).is_err() {
        return Err("it is too short for a Parquet file");
    }
    if &tail[4..] != b"PAR1" {
        return Err("it does not end as a Parquet file");
    }
    let len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if len + 12 > file_len {
        return Err(DAMAGED);
    }
    // The crate reserves up to about 100 bytes per declared list entry, and an entry takes
    // at least a byte: a footer's size bounds what it can make the crate allocate. A Spark
    // join's footers are a few KiB to a few MiB.
    if len > MAX_FOOTER {
        return Err("its footer is larger than a candidates table's can be (16 MiB)");
    }
    let mut footer = vec![0u8; len as usize];
    file.read_exact_at(&mut footer, file_len - 8 - len)
        .map_err(|_| DAMAGED)?;
    let mut pos = 0;
    skip_thrift(&footer, &mut pos, 12, false, 0).ok_or(DAMAGED)
}

/// Skips one Thrift compact-protocol value of type `ty` at `b[*pos..]`; `None` if it runs
/// past `b`, declares more elements than bytes remain, nests deeper than 64 or has an
/// unknown type. `in_list`: a boolean is then a byte of its own (in a field header it is
/// the type itself).
fn skip_thrift(b: &[u8], pos: &mut usize, ty: u8, in_list: bool, depth: u32) -> Option<()> {
    fn varint(b: &[u8], pos: &mut usize) -> Option<u64> {
        let (mut v, mut shift) = (0u64, 0u32);
        loop {
            let byte = *b.get(*pos)?;
            *pos += 1;
            if shift > 63 {
                return None;
            }
            v |= u64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                return Some(v);
            }
        }
    }
    let remaining = |pos: usize| b.len().saturating_sub(pos) as u64;
    if depth > 64 {
        return None;
    }
    match ty {
        1 | 2 if in_list => *pos += 1,
        1 | 2 => {}
        3 => *pos += 1,
        4..=6 => {
            varint(b, pos)?;
        }
        7 => *pos += 8,
        8 => {
            let n = varint(b, pos)?;
            if n > remaining(*pos) {
                return None;
            }
            *pos += n as usize;
        }
        9 | 10 => {
            let h = *b.get(*pos)?;
            *pos += 1;
            let n = match h >> 4 {
                15 => varint(b, pos)?,
                n => u64::from(n),
            };
            if n > remaining(*pos) {
                return None;
            }
            for _ in 0..n {
                skip_thrift(b, pos, h & 0x0f, true, depth + 1)?;
            }
        }
        11 => {
            let n = varint(b, pos)?;
            if n > 0 {
                if n.saturating_mul(2) > remaining(*pos) {
                    return None;
                }
                let kv = *b.get(*pos)?;
                *pos += 1;
                for _ in 0..n {
                    skip_thrift(b, pos, kv >> 4, true, depth + 1)?;
                    skip_thrift(b, pos, kv & 0x0f, true, depth + 1)?;
                }
            }
        }
        12 => loop {
            let h = *b.get(*pos)?;
            *pos += 1;
            if h == 0 {
                break;
            }
            if h >> 4 == 0 {
                varint(b, pos)?;
            }
            skip_thrift(b, pos, h & 0x0f, false, depth + 1)?;
        },
        _ => return None,
    }
    (*pos <= b.len()).then_some(())
}

/// Why [`check_pages`] refused a file.
enum PageCheck {
    Read(parquet::errors::ParquetError),
    Wrong(&'static str),
}

/// Checks what the row reader would trust before it allocates: the parquet crate sizes a
/// dictionary by its page header's value count before decoding a byte of it (an 80 GB
/// allocation from one damaged header, found by the `candidates` fuzz target: an abort no
/// `catch_unwind` stops), and the rows a file declares are what the store then holds.
///
/// So: every row group's rows are at most the file's bytes (a candidates table spends
/// several bytes a row: random 40-bit tags, record ids, rows of check values), every
/// dictionary page's values fit its decompressed bytes at the smallest size of its type,
/// and every column chunk's data pages hold exactly its row group's rows (the tables are
/// flat). Data pages are counted by their headers and skipped, not decompressed (the row
/// reader decompresses them once, after this check); dictionary pages are read one at a
/// time, each at most its declared size (bounded by the format at 2 GiB, and reserved, not
/// touched, before it is filled).
fn check_pages(
    reader: &SerializedFileReader<std::fs::File>,
    file_len: u64,
) -> std::result::Result<(), PageCheck> {
    use parquet::basic::{PageType, Type as Physical};
    let mut declared = 0u64;
    for (g, rg) in reader.metadata().row_groups().iter().enumerate() {
        let rows = u64::try_from(rg.num_rows())
            .map_err(|_| PageCheck::Wrong("a row group declares a negative row count"))?;
        declared = declared.saturating_add(rows);
        if declared > file_len {
            return Err(PageCheck::Wrong("it declares more rows than it has bytes"));
        }
        let group = reader.get_row_group(g).map_err(PageCheck::Read)?;
        for (c, col) in rg.columns().iter().enumerate() {
            // The fewest bits one value of the column's type takes in a plain dictionary.
            let min_bits: u64 = match col.column_type() {
                Physical::BOOLEAN => 1,
                Physical::INT32 | Physical::FLOAT | Physical::BYTE_ARRAY => 32,
                Physical::INT64 | Physical::DOUBLE => 64,
                Physical::INT96 => 96,
                Physical::FIXED_LEN_BYTE_ARRAY => 8,
            };
            let mut values = 0u64;
            let mut pages = group.get_column_page_reader(c).map_err(PageCheck::Read)?;
            // Data pages by their headers alone, skipped without being decompressed (the
            // rows are read, and decompressed, once, after this check); a dictionary page is
            // read, as its header does not say how many bytes its values take.
            while let Some(meta) = pages.peek_next_page().map_err(PageCheck::Read)? {
                if meta.is_dict {
                    let Some(page) = pages.get_next_page().map_err(PageCheck::Read)? else {
                        break;
                    };
                    let n = u64::from(page.num_values());
                    if page.page_type() != PageType::DICTIONARY_PAGE
                        || n.saturating_mul(min_bits) > 8 * page.buffer().len() as u64
                    {
                        return Err(PageCheck::Wrong(
                            "a dictionary page declares more values than its bytes hold",
                        ));
                    }
                } else {
                    let n = meta.num_levels.or(meta.num_rows).unwrap_or(0) as u64;
                    values = values.saturating_add(n);
                    if values > rows {
                        return Err(PageCheck::Wrong("its pages hold more values than its rows"));
                    }
                    pages.skip_next_page().map_err(PageCheck::Read)?;
                }
            }
            if values != rows {
                return Err(PageCheck::Wrong("its pages do not hold its rows"));
            }
        }
    }
    Ok(())
}

fn parquet_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Read {
        path: dir.to_owned(),
        source: breachcheck_files::plain(source),
    })?;
    for e in entries {
        let e = e.map_err(|source| Error::Read {
            path: dir.to_owned(),
            source: breachcheck_files::plain(source),
        })?;
        let path = e.path();
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        if path.is_dir() {
            parquet_files(&path, out)?;
        } else if name.ends_with(".parquet") {
            out.push(path);
        }
    }
    Ok(())
}

/// What [`join_candidates`] kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Joined {
    /// Distinct tags of the sample.
    pub tags: u64,
    /// Of those, weak keys with more hits than a verify reads: none of their postings
    /// were kept.
    pub skipped: u64,
    /// Postings of the sample's tags that a verify reads.
    pub postings: u64,
    /// Records those postings name, and the sampled ones.
    pub records: u64,
}

/// What a sample's tags file says of one distinct tag (see [`crate::SampleTagFile`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Wanted {
    /// The verify skips the tag with more hits than this; 0: never.
    most_hits: u64,
    /// The most hits of the tag the verify reads in one segment.
    per_segment: u64,
}

/// The sample's tags of a tags file, each once, checked. A tag repeated on several lines
/// is read as the strictest of them (a batch reads a tag that is a weak key on any line
/// as one).
fn read_sample_tags(sample_tags: &Path) -> Result<HashMap<u64, Wanted>> {
    let mut tags: HashMap<u64, Wanted> = HashMap::new();
    read_rows(sample_tags, &["tag", "full", "most_hits", "per_segment"], |row| {
        let (tag, full) = (row.long(0)? as u64, row.long(1)? as u64);
        let (most_hits, per_segment) = (row.long(2)?, row.long(3)?);
        if full >> 24 != tag {
            return Err(schema(row.path, "a tag is not its full tag's first 40 bits"));
        }
        if most_hits < 0 || per_segment < 1 {
            return Err(schema(row.path, "a tag's hit limits are out of range"));
        }
        let w = Wanted {
            most_hits: most_hits as u64,
            per_segment: per_segment as u64,
        };
        let e = tags.entry(full).or_insert(w);
        if e.per_segment != w.per_segment {
            return Err(schema(row.path, "its tags disagree on the hits read per segment"));
        }
        e.most_hits = match (e.most_hits, w.most_hits) {
            (0, m) | (m, 0) => m,
            (a, b) => a.min(b),
        };
        Ok(())
    })
    .map_err(|e| match e {
        Error::Schema { path, what } if what.starts_with("no column") => Error::Schema {
            path,
            what: format!(
                "{what}: not a sample's tags file of this release (write it with this release's `breachcheck tags --manifest`)"
            ),
        },
        e => e,
    })?;
    Ok(tags)
}

/// The join the Spark job (`engines/spark/breachcheck_spark.py join`) runs, on one
/// machine: of an export's postings, those a verify of the sample reads (see below), the
/// records they name and the sampled records, written to the new directory `out` in the
/// layout [`CandidateStore::open`] reads. It is the reference the Spark job is tested
/// against, and a way to hand a verify a small extract of a large export.
///
/// A posting is kept when it matches one of the sample's tags (`sample_tags`, a
/// `breachcheck tags --manifest` file) on every bit it keeps, is among the first
/// `per_segment` of that tag in its segment, and the tag is not a weak key with more
/// than `most_hits` such postings in all. A plain join on the 40-bit tag would also copy
/// the postings of common name keys the verify skips: on a sample of many names most of
/// the index.
pub fn join_candidates(export: &Path, sample_tags: &Path, out: &Path) -> Result<Joined> {
    if out.exists() {
        return Err(Error::Exists(out.to_owned()));
    }
    let manifest = Manifest::load_checked(export)?;
    let tags = read_sample_tags(sample_tags)?;
    // The sample's tags by their first 40 bits (the join key).
    let mut groups: HashMap<u64, Vec<u64>> = HashMap::new();
    for full in tags.keys() {
        groups.entry(full >> 24).or_default().push(*full);
    }
    // Every posting that matches a sample tag on its kept bits, per tag, as
    // (segment, pos, the posting's columns).
    let names = ["tag", "record", "stored", "bits", "pos"];
    let mut matched: HashMap<u64, Vec<(u32, i64, [i64; 5])>> = HashMap::new();
    for_each_row(&export.join(POSTINGS_DIR), &names, |row| {
        let Some(fulls) = groups.get(&(row.long(0)? as u64)) else {
            return Ok(());
        };
        let mut v = [0i64; 5];
        for (i, slot) in v.iter_mut().enumerate() {
            *slot = row.long(i)?;
        }
        if !(40..=64).contains(&v[3]) {
            return Err(schema(row.path, "a posting keeps fewer than 40 tag bits"));
        }
        let mask = u64::MAX << (64 - v[3]);
        for full in fulls {
            if full & mask == v[2] as u64 & mask {
                let segment = (v[1] as u64 >> 32) as u32;
                matched.entry(*full).or_default().push((segment, v[4], v));
            }
        }
        Ok(())
    })?;
    // What the verify reads of each tag.
    let mut kept: HashMap<(u32, i64), [i64; 5]> = HashMap::new();
    let mut skipped: HashSet<u64> = HashSet::new();
    for (full, mut hits) in matched {
        let want = tags[&full];
        hits.sort_unstable_by_key(|(segment, pos, _)| (*segment, *pos));
        hits.dedup_by_key(|(segment, pos, _)| (*segment, *pos));
        let mut read = Vec::with_capacity(hits.len());
        for run in hits.chunk_by(|a, b| a.0 == b.0) {
            read.extend(run.iter().take(want.per_segment as usize));
        }
        if want.most_hits > 0 && read.len() as u64 > want.most_hits {
            skipped.insert(full);
            continue;
        }
        for (segment, pos, v) in read {
            kept.insert((segment, pos), v);
        }
    }
    let work = crate::staging_dir(out)?;
    let mut joined = Joined {
        tags: tags.len() as u64,
        skipped: skipped.len() as u64,
        ..Joined::default()
    };
    let mut sorted: Vec<(&u64, &Wanted)> = tags.iter().collect();
    sorted.sort_unstable_by_key(|(full, _)| **full);
    let dir = work.path().join(SAMPLE_TAGS_DIR);
    std::fs::create_dir_all(&dir).map_err(crate::io(&dir))?;
    let mut file = Table::create(&dir.join("part-0.parquet"), &JOINED_TAG_COLUMNS)?;
    for (full, want) in sorted {
        file.push(&[
            Value::Int64((full >> 24) as i64),
            Value::Int64(*full as i64),
            Value::Bool(skipped.contains(full)),
            Value::Int64(want.most_hits as i64),
            Value::Int64(want.per_segment as i64),
        ])?;
    }
    file.finish()?;
    let dir = work.path().join(POSTINGS_DIR);
    std::fs::create_dir_all(&dir).map_err(crate::io(&dir))?;
    let mut file = Table::create(
        &dir.join("part-0.parquet"),
        &names.map(|n| (n, Kind::Int64)),
    )?;
    let mut postings: Vec<[i64; 5]> = kept.into_values().collect();
    postings.sort_unstable_by_key(|v| (v[1] as u64 >> 32, v[4]));
    let wanted: HashSet<i64> = postings.iter().map(|v| v[1]).collect();
    for v in &postings {
        file.push(&v.map(Value::Int64))?;
    }
    joined.postings = file.finish()?;
    let dir = work.path().join(RECORDS_DIR);
    std::fs::create_dir_all(&dir).map_err(crate::io(&dir))?;
    let mut file = Table::create(
        &dir.join("part-0.parquet"),
        &[
            ("record", Kind::Int64),
            ("sampled", Kind::Bool),
            ("presence", Kind::Bytes { utf8: false }),
            ("row", Kind::Bytes { utf8: false }),
        ],
    )?;
    for_each_row(
        &export.join(RECORDS_DIR),
        &["record", "sampled", "presence", "row"],
        |row| {
            let id = row.long(0)?;
            let sampled = row.flag(1)?;
            if sampled || wanted.contains(&id) {
                file.push(&[
                    Value::Int64(id),
                    Value::Bool(sampled),
                    Value::Bytes(row.bytes(2)?),
                    Value::Bytes(row.bytes(3)?),
                ])?;
            }
            Ok(())
        },
    )?;
    joined.records = file.finish()?;
    manifest.store(work.path())?;
    let counts = Counts {
        sample_tags: joined.tags,
        skipped: joined.skipped,
        postings: joined.postings,
        records: joined.records,
    };
    let path = work.path().join(COUNTS_FILE);
    let json = serde_json::to_vec(&counts).map_err(|_| schema(&path, "counts"))?;
    breachcheck_files::write_atomic(&path, &json)?;
    crate::put_in_place(work, out)?;
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows written by another release are named as such; damaged ones as unreadable.
    #[test]
    fn rows_of_another_release_are_named() {
        let path = Path::new("records/part-0.parquet");
        // A row with no field from source file 3: format, file, head (same masks as none).
        let good = vec![breachcheck_index::ROW_BYTES_FORMAT, 3, 0, 1];
        assert_eq!(record_row(path, &good, 4).expect("a row").to_bytes(), good);
        let mut older = good.clone();
        older[0] = breachcheck_index::ROW_BYTES_FORMAT - 1;
        let e = record_row(path, &older, 4).expect_err("older").to_string();
        assert!(e.contains("this release's row format"), "{e}");
        let e = record_row(path, &good[..good.len() - 1], 4)
            .expect_err("cut")
            .to_string();
        assert!(e.contains("cannot be read"), "{e}");
        // An older release's row of source file 5 whose head (0x81, …) reads on as a row
        // of this format, of source file 0x8100: refused by its source file.
        let older_of_file_5 = vec![5, 0, 0x81, 1];
        assert_eq!(
            RecordRow::from_bytes(&older_of_file_5).map(|r| r.source_file),
            Some(0x8100)
        );
        let e = record_row(path, &older_of_file_5, 6)
            .expect_err("misread")
            .to_string();
        assert!(e.contains("source file its segment does not have"), "{e}");
        let e = record_row(path, &good, 3)
            .expect_err("file 3 of 3")
            .to_string();
        assert!(e.contains("source file"), "{e}");
    }

    /// An exported index of 50 people: 30 Ana Lees of one postal code (a weak key of 30
    /// hits), the rest one of a kind.
    fn exported(dir: &Path) -> (breachcheck_index::Index, PathBuf, Vec<u64>) {
        use breachcheck_core::{FieldRole, SecretKey, Tagger};
        use breachcheck_index::{Index, SegmentBuilder, SegmentKind, SourceFile};
        let key = SecretKey::from_bytes([5; 32]);
        let n = breachcheck_normalize::Normalizer::new(Tagger::new(&key), None);
        let idx = dir.join("idx");
        let mut b = SegmentBuilder::new(&idx, &key, "accounts", "2026-01-31", SegmentKind::System)
            .expect("builder");
        b.add_source(SourceFile {
            name: "a.csv".into(),
            sha256: String::new(),
            rows: 0,
            location: None,
        });
        let roles = [
            FieldRole::Email,
            FieldRole::FirstName,
            FieldRole::LastName,
            FieldRole::PostalCode,
        ];
        let mut weak = Vec::new();
        for i in 0..50u64 {
            let (first, last, postal) = if i < 30 {
                ("Ana".to_owned(), "Lee".to_owned(), "10115".to_owned())
            } else {
                (format!("Q{i}"), format!("R{i}"), format!("{}", 40000 + i))
            };
            let email = format!("p{i}@example.org");
            let rec = n.tag_record(&roles, &[&email, &first, &last, &postal]);
            if i == 0 {
                weak.extend(
                    rec.blocks
                        .iter()
                        .filter(|(k, _)| *k == breachcheck_core::BlockKind::NameTokenPostalCode)
                        .map(|(_, t)| t.0),
                );
            }
            b.add(i + 2, &rec);
        }
        b.commit().expect("commit");
        let index = Index::open(&idx).expect("open");
        let export = dir.join("export");
        crate::export_index(&index, &export).expect("export");
        (index, export, weak)
    }

    /// A sample's tags file of rows `[line, tag, full, most_hits, per_segment]`.
    fn tags_file(path: &Path, rows: &[[i64; 5]]) {
        let columns = crate::SAMPLE_TAG_COLUMNS.map(|c| (c, Kind::Int64));
        let mut t = Table::create(path, &columns).expect("create");
        for r in rows {
            t.push(&r.map(Value::Int64)).expect("push");
        }
        t.finish().expect("finish");
    }

    /// A weak key the join skips, and a tag of the same first 40 bits read in full: a
    /// segment keeps 40 bits, so the twin's postings are the weak key's, kept for the twin
    /// and answered for it as the index answers, while the weak key is answered as the
    /// skip.
    #[test]
    fn a_skipped_weak_key_beside_its_40_bit_twin() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (index, export, weak) = exported(tmp.path());
        assert!(!weak.is_empty());
        let twin = |t: u64| t ^ 0x0012_3456;
        let mut rows = Vec::new();
        for t in &weak {
            rows.push([1, (t >> 24) as i64, *t as i64, 24, 256]);
            rows.push([2, (twin(*t) >> 24) as i64, twin(*t) as i64, 0, 256]);
        }
        let st = tmp.path().join("st.parquet");
        tags_file(&st, &rows);
        let out = tmp.path().join("candidates");
        let joined = join_candidates(&export, &st, &out).expect("join");
        assert_eq!(joined.skipped as usize, weak.len());
        let store = CandidateStore::open(&out).expect("open");
        for t in &weak {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            assert!(!RecordStore::lookup_at_most_into(
                &index,
                Tag(*t),
                24,
                &mut a
            ));
            assert!(!store.lookup_at_most_into(Tag(*t), 24, &mut b));
            RecordStore::lookup_into(&index, Tag(twin(*t)), &mut a);
            store.lookup_into(Tag(twin(*t)), &mut b);
            assert_eq!(a.len(), 30);
            assert_eq!(a, b);
        }
        assert_eq!(store.gaps(), 0);
    }

    /// Postings that keep all 64 bits (the export's schema allows 40 to 64; today's
    /// segments keep 40): the join and the store tell tags sharing 40 bits apart by every
    /// bit kept, and a weak key's count is of its own postings alone.
    #[test]
    fn postings_of_more_bits_tell_tags_apart() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (_, export, _) = exported(tmp.path());
        let a: u64 = 0xdead_beef_4200_0001;
        let (b, c) = (a ^ 0xff, a ^ 0xff00);
        let t40 = (a >> 24) as i64;
        let file = export
            .join(POSTINGS_DIR)
            .join("segment=0")
            .join("part-0.parquet");
        let mut t = Table::create(
            &file,
            &["tag", "record", "stored", "bits", "pos"].map(|n| (n, Kind::Int64)),
        )
        .expect("table");
        // In posting order: a, b, a, c, c.
        for (pos, (stored, record)) in [(a, 0i64), (b, 1), (a, 2), (c, 3), (c, 4)]
            .into_iter()
            .enumerate()
        {
            t.push(&[
                Value::Int64(t40),
                Value::Int64(record),
                Value::Int64(stored as i64),
                Value::Int64(64),
                Value::Int64(pos as i64),
            ])
            .expect("push");
        }
        t.finish().expect("finish");
        let st = tmp.path().join("st.parquet");
        tags_file(
            &st,
            &[
                [1, t40, a as i64, 0, 256],
                [1, t40, b as i64, 1, 256],
                [1, t40, c as i64, 1, 256],
            ],
        );
        let out = tmp.path().join("candidates");
        let joined = join_candidates(&export, &st, &out).expect("join");
        assert_eq!((joined.skipped, joined.postings), (1, 3), "{joined:?}");
        let store = CandidateStore::open(&out).expect("open");
        let records = |v: &[Hit]| v.iter().map(|h| h.record).collect::<Vec<_>>();
        let mut v = Vec::new();
        store.lookup_into(Tag(a), &mut v);
        assert_eq!(records(&v), [0, 2]);
        v.clear();
        assert!(store.lookup_at_most_into(Tag(b), 1, &mut v));
        assert_eq!(records(&v), [1]);
        v.clear();
        assert!(!store.lookup_at_most_into(Tag(c), 1, &mut v));
        assert!(v.is_empty());
        assert_eq!(store.gaps(), 0);
    }

    /// A tags file or candidates directory that is not what this release writes is refused
    /// with an error that names it and says why, never a panic or a guess.
    #[test]
    fn tags_and_candidates_not_of_this_release_are_refused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (_, export, weak) = exported(tmp.path());
        let t = weak[0];
        let t40 = (t >> 24) as i64;
        let cases: [(&str, Vec<[i64; 5]>, &str); 5] = [
            ("tag", vec![[1, t40 + 1, t as i64, 0, 256]], "first 40 bits"),
            ("most", vec![[1, t40, t as i64, -1, 256]], "out of range"),
            ("per0", vec![[1, t40, t as i64, 0, 0]], "out of range"),
            (
                "disagree",
                vec![[1, t40, t as i64, 0, 256], [2, t40, t as i64, 0, 255]],
                "disagree",
            ),
            ("ok", vec![[1, t40, t as i64, 24, 256]], ""),
        ];
        for (name, rows, want) in cases {
            let st = tmp.path().join(format!("{name}.parquet"));
            tags_file(&st, &rows);
            let out = tmp.path().join(name);
            match join_candidates(&export, &st, &out) {
                Err(e) => assert!(
                    !want.is_empty() && e.to_string().contains(want),
                    "{name}: {e}"
                ),
                Ok(j) => assert!(want.is_empty() && j.skipped == 1, "{name}: {j:?}"),
            }
        }
        // A tags file of an older release (two columns).
        let st = tmp.path().join("old.parquet");
        let mut f = crate::TagFile::create(&st, "line", "tag").expect("file");
        f.push(1, t40).expect("push");
        f.finish().expect("finish");
        let e = join_candidates(&export, &st, &tmp.path().join("old"))
            .expect_err("an older tags file")
            .to_string();
        assert!(
            e.contains("no column full") && e.contains("this release"),
            "{e}"
        );

        // Candidates directories made from the good one, then altered.
        let good = tmp.path().join("ok");
        CandidateStore::open(&good).expect("the join's own output");
        let table = good.join(SAMPLE_TAGS_DIR).join("part-0.parquet");
        let original = std::fs::read(&table).expect("read");
        // (tag, full, skipped, most_hits, per_segment)
        type Row = (i64, i64, bool, i64, i64);
        let rewrite = |rows: &[Row]| {
            let mut f = Table::create(&table, &JOINED_TAG_COLUMNS).expect("create");
            for (tag, full, skipped, most, per) in rows {
                f.push(&[
                    Value::Int64(*tag),
                    Value::Int64(*full),
                    Value::Bool(*skipped),
                    Value::Int64(*most),
                    Value::Int64(*per),
                ])
                .expect("push");
            }
            f.finish().expect("finish");
        };
        let full = t as i64;
        let altered: [(&[Row], &str); 5] = [
            (&[(t40, full, false, 24, 256)], "skipped 1"),
            (&[(t40, full, true, 24, 200)], "hits per segment"),
            (&[(t40 + 1, full, true, 24, 256)], "not one a join writes"),
            (&[(t40, full, true, 0, 256)], "not one a join writes"),
            (
                &[(t40, full, true, 24, 256), (t40, full, true, 24, 256)],
                "listed twice",
            ),
        ];
        for (rows, want) in altered {
            rewrite(rows);
            let e = CandidateStore::open(&good).expect_err(want).to_string();
            assert!(e.contains(want) && e.contains("sample_tags"), "{want}: {e}");
        }
        let mut f = crate::TagFile::create(&table, "tag", "x").expect("file");
        f.push(t40, 0).expect("push");
        f.finish().expect("finish");
        let e = CandidateStore::open(&good).expect_err("old").to_string();
        assert!(e.contains("another release"), "{e}");
        std::fs::write(&table, original).expect("restore");
        CandidateStore::open(&good).expect("whole again");
    }
}
