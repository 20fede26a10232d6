//! The blind index: what the company's systems hold, as keyed tags only.
//!
//! An index directory holds immutable segment files — one per (system, snapshot) and one
//! per canary registration — and a `manifest.json` naming them. Each segment has a record
//! table (per record: where it came from, and 32-bit check values of each present field's
//! canonical tag and of quirky fields' raw tags) and postings (blocking tags partitioned by
//! tag prefix, sorted, for lookups in a memory map). A system's first snapshot stores every
//! record; each later one stores only the records that are new or changed and lists those
//! removed, so the index answers which snapshots held a record ([`Index::presence`])
//! without storing copies. A build streams: rows go to a spool file, postings to sorted
//! runs merged at commit, so memory stays bounded. Segments and manifest are written to a
//! temporary file and renamed, so a reader never sees half an index and a killed build
//! leaves the previous state whole; a `LOCK` file refuses two concurrent builds.
//!
//! This crate takes [`TaggedRecord`](breachcheck_normalize::TaggedRecord)s, never plaintext: the only way to make one is
//! `breachcheck-normalize`, which drops every canonical string before it returns.
//!
//! ```
//! use breachcheck_core::{FieldRole, SecretKey, Tagger};
//! use breachcheck_normalize::Normalizer;
//! use breachcheck_index::{Index, SegmentBuilder, SegmentKind, SourceFile};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let key = SecretKey::from_bytes([9; 32]);
//! let n = Normalizer::new(Tagger::new(&key), None);
//! let roles = [FieldRole::Email];
//! let mut b = SegmentBuilder::new(dir.path(), &key, "accounts", "2026-01-31", SegmentKind::System)?;
//! b.add_source(SourceFile { name: "accounts.csv".into(), sha256: "00".into(), rows: 0, location: None });
//! b.add(2, &n.tag_record(&roles, &["ana@example.es"]));
//! b.add(3, &n.tag_record(&roles, &["bo@example.se"]));
//! b.commit()?;
//! // The next snapshot: Ana is still there, Bo left. Only the change is stored.
//! let mut b = SegmentBuilder::new(dir.path(), &key, "accounts", "2026-02-28", SegmentKind::System)?;
//! b.add_source(SourceFile { name: "accounts.csv".into(), sha256: "01".into(), rows: 0, location: None });
//! b.add(2, &n.tag_record(&roles, &["ana@example.es"]));
//! let second = b.commit()?;
//! assert_eq!((second.records, second.removed, second.live), (0, 1, 1));
//!
//! let index = Index::open(dir.path())?;
//! let (_, tag) = n.tag_record(&roles, &["ANA@example.es"]).blocks[0];
//! let hit = index.lookup(tag)[0];
//! let mut held = Vec::new();
//! index.presence(hit.segment, hit.record, &mut held);
//! assert_eq!(held, vec![0, 1]); // present in both snapshots
//! # Ok(()) }
//! ```

use sha2::Digest;
mod audit_sets;
mod build;
mod commitment;
mod manifest;
mod migrate;
mod prepared;
mod recipe;
mod segment;
mod store;
pub use breachcheck_files::DirLock;

pub use audit_sets::AuditSetWriter;
pub use build::{Added, SegmentBuilder};
pub use commitment::{merkle_root, Commitment, CommitmentLeaf};
pub use manifest::{
    write_atomic, AuditSetMeta, Manifest, SegmentKind, SegmentMeta, SegmentProfile, SourceFile,
    AUDIT_DIR, MANIFEST_FORMAT,
};
/// What an index's lock and messages call an index directory.
pub const DIR_KIND: &str = "index";
pub use prepared::Prepared;
pub use recipe::Recipe;
pub use segment::{
    check_bytes, check_value, page_file_path, raw_check_value, Hit, RecordRow, Segment,
    PAGE_FILE_EXT, RAW_CHECK_BYTES, ROW_BYTES_FORMAT,
};
pub use store::{
    at_most, exactly_held, exactly_held_batch, repetition_runs, splitmix_next, RecordStore,
    MAX_HITS_PER_TAG,
};

use std::path::{Path, PathBuf};

/// Errors of index building and reading.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// File-system failure.
    #[error("{op} {}", path.display())]
    Io {
        /// What was being done ("cannot open segment").
        op: &'static str,
        /// Path involved.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Writing, renaming or locking a file failed (the operation and file are named).
    #[error(transparent)]
    Files(#[from] breachcheck_files::Error),
    /// The directory is not an index (no manifest).
    #[error("{0} is not a breachcheck index (no manifest.json); create one with `breachcheck index build`")]
    NotAnIndex(PathBuf),
    /// The manifest cannot be parsed.
    #[error(
        "{path}: manifest is unreadable ({reason}); restore it from backup or rebuild the index"
    )]
    BadManifest {
        /// Manifest path.
        path: PathBuf,
        /// Parser message (holds no values: the manifest has none).
        reason: String,
    },
    /// A segment of an older format than this binary reads (its bytes are intact, but
    /// laid out differently): the index is rebuilt, never misread.
    #[error("index file {file} is of segment format v{version}, and this breachcheck reads v{current}; {way}")]
    OldFormat {
        /// File name under `segments/`.
        file: String,
        /// Its format version.
        version: u32,
        /// The version this binary reads.
        current: u32,
        /// What to do about it.
        way: &'static str,
    },
    /// Built under other normalization rules.
    #[error("index uses normalize rules v{index}, this binary v{binary}; rebuild it with `breachcheck index build`")]
    RulesMismatch {
        /// The index's rule version.
        index: u32,
        /// This binary's.
        binary: u32,
    },
    /// Built under another key.
    #[error("index was built with key fingerprint {index}, the given key has {given}; use the key the index was built with")]
    KeyMismatch {
        /// Fingerprint recorded in the index.
        index: String,
        /// Fingerprint of the given key.
        given: String,
    },
    /// A file of the index (segment, manifest, audit set) is damaged.
    #[error("index file {file} is damaged: {what}; nothing was computed from it. Run `breachcheck index check`, and restore the file from a backup or rebuild the affected snapshot")]
    Corrupt {
        /// File name (under `segments/` or `audit/`, or `manifest.json`).
        file: String,
        /// What is wrong.
        what: String,
    },
    /// The snapshot is already indexed.
    #[error("{system} snapshot {snapshot} is already in the index; snapshots are immutable, index the next one under its own date")]
    DuplicateSnapshot {
        /// System name.
        system: String,
        /// Snapshot date.
        snapshot: String,
    },
    /// A snapshot older than the system's latest one.
    #[error("{system} already has snapshot {latest}, later than {snapshot}: snapshots of a system are added in date order (each is stored as the change since the previous one); build a new index to add older history")]
    SnapshotOrder {
        /// System name.
        system: String,
        /// The snapshot given.
        snapshot: String,
        /// The system's latest snapshot in the index.
        latest: String,
    },
    /// A system name or snapshot date is not acceptable.
    #[error("{0}")]
    InvalidName(String),
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn io_err<'a>(
    op: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |source| Error::Io {
        op,
        path: path.to_owned(),
        source: breachcheck_files::plain(source),
    }
}

/// An opened index: manifest plus memory-mapped segments.
#[derive(Debug)]
pub struct Index {
    dir: PathBuf,
    manifest: Manifest,
    segments: Vec<Segment>,
    /// For each system segment, the next snapshot's segment of the same system.
    next: Vec<Option<u32>>,
}

/// What [`upgrade`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Upgraded {
    /// Segments of an older format re-encoded in this one: (old file, new file).
    pub reencoded: Vec<(String, String)>,
    /// The index commitment before and after, when a re-encoding changed it (segment roots
    /// are bytes of the format): publish the new one (`log append --index`).
    pub commitment: Option<(Commitment, Commitment)>,
    /// Segments that got a page file (they had none, or a damaged one).
    pub page_files_written: Vec<String>,
    /// Segments whose page file was already intact.
    pub page_files_intact: usize,
}

/// Brings the index in `dir` up to what this version writes:
///
/// - a segment of format v4 is re-encoded in v5 (see `migrate`: byte for byte what a v5
///   build of the same exports makes, but for rare records a later snapshot stored again
///   where a v5 build would carry them, which changes no answer; without the key or the
///   exports, every byte read checked against the old commitment first), the manifest
///   then names the new segments
///   and a new commitment (the records and what they hold are the same; the segment roots
///   are not), and the old files are removed;
/// - a page file for each segment without an intact one — indexes built before page
///   files existed read whole 64 KiB chunks where a page file lets a small verify on a
///   cold cache read and check only the 4 KiB pages it needs; this changes nothing the
///   commitment binds.
///
/// Takes the index lock. A failure while re-encoding leaves the index as it was: the
/// segment files re-encoded so far are removed again. (Should writing the manifest fail,
/// they stay: a manifest that may have reached the disk could name them; unnamed, they are
/// leftovers the next writer removes.)
pub fn upgrade(dir: &Path) -> Result<Upgraded> {
    let _lock = DirLock::acquire(dir, DIR_KIND)?;
    let mut done = Upgraded::default();
    let mut manifest = Manifest::load_checked(dir)?;
    let seg_dir = dir.join(manifest::SEGMENT_DIR);
    let mut old_files = Vec::new();
    let reencoded = manifest.segments.iter_mut().try_for_each(|meta| {
        let path = seg_dir.join(&meta.file);
        if migrate::is_v4(&path)? {
            let new = migrate::reencode_file(&path, meta, &seg_dir)?;
            done.reencoded.push((meta.file.clone(), new.file.clone()));
            old_files.push(path);
            *meta = new;
        }
        Ok(())
    });
    if let Err(e) = reencoded {
        // Nothing names the new files: they go, and the index is as it was.
        for (_, new) in &done.reencoded {
            let path = seg_dir.join(new);
            let _ = std::fs::remove_file(segment::page_file_path(&path));
            let _ = std::fs::remove_file(&path);
        }
        return Err(e);
    }
    if !done.reencoded.is_empty() {
        let before = manifest.commitment.clone();
        manifest.commitment = Commitment::compute(&manifest.segments, &manifest.key_fingerprint);
        manifest.store(dir)?;
        done.commitment = Some((before, manifest.commitment.clone()));
        for old in old_files {
            // Unlisted now; one left behind is a leftover the next writer removes.
            let _ = std::fs::remove_file(segment::page_file_path(&old));
            let _ = std::fs::remove_file(&old);
        }
    }
    let index = Index::open(dir)?;
    for (meta, seg) in index.manifest.segments.iter().zip(&index.segments) {
        if seg.pages_intact() == Some(true) {
            done.page_files_intact += 1;
            continue;
        }
        let path = segment::page_file_path(&dir.join(manifest::SEGMENT_DIR).join(&meta.file));
        breachcheck_files::write_atomic(&path, &seg.page_file()?)?;
        done.page_files_written.push(meta.file.clone());
    }
    Ok(done)
}

/// Batches of fewer lookups (or record reads) than this are not prefetched: a line or two
/// of lookups gains nothing from overlapping reads and would pay the advice's system calls.
const PREFETCH_MIN: usize = 64;

impl Index {
    /// Opens the index in `dir`: the manifest, checked against its own commitment (every
    /// byte of it that a report could state is covered), and every live segment, mapped
    /// and checked against the manifest (root from its chunk digests, checksum, size,
    /// counts). Reads then check each chunk of a segment the first time they touch it, so
    /// nothing is taken from a damaged file; [`Index::damage`] says whether a read found
    /// damage. A full check of every byte is [`Index::check`].
    pub fn open(dir: &Path) -> Result<Self> {
        let manifest = Manifest::load_checked(dir)?;
        let segments = manifest
            .segments
            .iter()
            .map(|m| Segment::open_committed(&dir.join(manifest::SEGMENT_DIR).join(&m.file), m))
            .collect::<Result<Vec<_>>>()?;
        let mut next = vec![None; segments.len()];
        for (i, s) in manifest.segments.iter().enumerate() {
            if s.kind != SegmentKind::System {
                continue;
            }
            next[i] = manifest.segments[i + 1..]
                .iter()
                .position(|t| t.kind == SegmentKind::System && t.system == s.system)
                .map(|j| (i + 1 + j) as u32);
        }
        Ok(Index {
            dir: dir.to_owned(),
            manifest,
            segments,
            next,
        })
    }

    /// Reads ahead every segment's directories (see [`Segment::read_ahead_directories`])
    /// when they add up to at most `budget` bytes, and says whether it did: past that, a
    /// small sample would wait behind reads it does not need.
    pub fn read_ahead_directories(&self, budget: u64) -> bool {
        let total: u64 = self.segments.iter().map(Segment::directory_bytes).sum();
        if total > budget {
            return false;
        }
        for s in &self.segments {
            s.read_ahead_directories();
        }
        true
    }

    /// Fails unless the index was built with `key`.
    pub fn require_key(&self, key: &breachcheck_core::SecretKey) -> Result<()> {
        self.manifest.require_key(key)
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Segment `i` (in manifest order).
    pub fn segment(&self, i: usize) -> &Segment {
        &self.segments[i]
    }

    /// Every posting with `tag`, across segments.
    pub fn lookup(&self, tag: breachcheck_core::Tag) -> Vec<Hit> {
        let mut out = Vec::new();
        self.lookup_into(tag, &mut out);
        out
    }

    /// Starts reading, across segments, what lookups of `tags` will read (see
    /// [`Segment::prefetch_lookups`]): call it before a batch of lookups, so that on a cold
    /// page cache their reads overlap instead of waiting one after another. Batches smaller
    /// than 64 are left alone (`PREFETCH_MIN`).
    pub fn prefetch_lookups(&self, tags: &[u64]) {
        if tags.len() < PREFETCH_MIN {
            return;
        }
        for s in &self.segments {
            s.prefetch_lookups(tags);
        }
    }

    /// Starts reading what reads of the records `ids` ((segment, record), sorted) will
    /// read (see [`Segment::prefetch_records`]).
    pub fn prefetch_records(&self, ids: &[(u32, u32)]) {
        if ids.len() < PREFETCH_MIN {
            return;
        }
        let mut records = Vec::new();
        for run in ids.chunk_by(|a, b| a.0 == b.0) {
            if let Some(s) = self.segments.get(run[0].0 as usize) {
                records.clear();
                records.extend(run.iter().map(|(_, r)| *r));
                s.prefetch_records(&records);
            }
        }
    }

    /// Files of the segments without a usable page file (built before page files existed,
    /// or whose page file is of the wrong size): `index upgrade` writes them.
    pub fn segments_without_page_files(&self) -> Vec<String> {
        self.manifest
            .segments
            .iter()
            .zip(&self.segments)
            .filter(|(_, s)| !s.has_page_file())
            .map(|(m, _)| m.file.clone())
            .collect()
    }

    /// Appends every posting with `tag`, across segments, to `out`.
    pub fn lookup_into(&self, tag: breachcheck_core::Tag, out: &mut Vec<Hit>) {
        for (i, s) in self.segments.iter().enumerate() {
            s.lookup(tag, i as u32, out);
        }
    }

    /// Which of `rec`'s audited values some record of a company system holds exactly, as
    /// bits `1 << field` in [`breachcheck_core::AuditField`] order: its canonical e-mail,
    /// its canonical phone (its own reading, not another plausible one), its canonical name
    /// and address together — what a third-party audit finds for the same line, so verify's
    /// exact values and an audit's intersection count the same. Found by direct lookups of
    /// the value's identity (an e-mail's or phone's canonical tag is its block tag; a name
    /// and address pair is a posting of its own), whatever candidates the linkage looked
    /// at; values in `known` are not looked up again.
    pub fn exactly_held(&self, rec: &breachcheck_normalize::TaggedRecord, known: u8) -> u8 {
        store::exactly_held(self, rec, known)
    }

    /// [`Index::exactly_held`] of `fields` for many lines, adding to `exact[i]` what line
    /// `i` holds: the identities are looked up in tag order (each once), so a large batch
    /// walks the index front to back instead of landing on a random page per line.
    pub fn exactly_held_batch(
        &self,
        recs: &[breachcheck_normalize::TaggedRecord],
        exact: &mut [u8],
        fields: &[breachcheck_core::AuditField],
    ) {
        store::exactly_held_batch(self, recs, exact, fields);
    }

    /// Appends to `out` the segments (in snapshot order) whose snapshot held record
    /// `record` of segment `segment`: the segment that stored it, then each later snapshot
    /// of the same system until one removed it. Canary segments hold only themselves.
    pub fn presence(&self, segment: u32, record: u32, out: &mut Vec<u32>) {
        out.push(segment);
        let mut at = self.next.get(segment as usize).copied().flatten();
        while let Some(n) = at {
            if self.segments[n as usize].removes(segment, record) {
                break;
            }
            out.push(n);
            at = self.next[n as usize];
        }
    }

    /// The first damage any read of a segment found since the index was opened (reads of
    /// a damaged segment come back empty): call it before stating anything computed from
    /// the index. Also checks every audit set that was read.
    pub fn damage(&self) -> Result<()> {
        match self.segments.iter().find_map(Segment::damage) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Reads the audit set of segment `i` (in manifest order), checked against the digest
    /// and size the commitment binds; `None` when the segment has none.
    pub fn audit_set(&self, i: usize) -> Result<Option<Vec<u8>>> {
        let Some(a) = self.manifest.segments.get(i).and_then(|m| m.audit.as_ref()) else {
            return Ok(None);
        };
        let path = self.dir.join(AUDIT_DIR).join(&a.file);
        let bytes = std::fs::read(&path).map_err(io_err("cannot read audit set", &path))?;
        if bytes.len() as u64 != a.bytes
            || commitment::hex(&sha2::Sha256::digest(&bytes)) != a.sha256
        {
            return Err(Error::Corrupt {
                file: a.file.clone(),
                what: "the audit set does not match its committed digest".into(),
            });
        }
        Ok(Some(bytes))
    }

    /// Files in the index directory that no manifest names: temporary files and segments or
    /// audit sets of a writer that was killed (the next build removes them). Empty while a
    /// writer holds the lock (its files are not leftovers).
    pub fn leftovers(&self) -> Vec<PathBuf> {
        if breachcheck_files::DirLock::is_held(&self.dir) {
            return Vec::new();
        }
        build::leftovers(&self.dir, &self.manifest)
    }

    /// Verifies every segment's checksum and Merkle root against the manifest, that each
    /// removal names an existing record of an earlier snapshot of the same system, and the
    /// commitment against the segments. Returns the number of segments checked.
    pub fn check(&self) -> Result<usize> {
        for (i, (meta, seg)) in self
            .manifest
            .segments
            .iter()
            .zip(&self.segments)
            .enumerate()
        {
            seg.verify(meta)?;
            let pages =
                segment::page_file_path(&self.dir.join(manifest::SEGMENT_DIR).join(&meta.file));
            // A page file that appeared after the segment was opened (an `index upgrade`
            // beside this check) is judged as it is now.
            let intact = match seg.pages_intact() {
                None if pages.exists() => {
                    Segment::open(&self.dir.join(manifest::SEGMENT_DIR).join(&meta.file))?
                        .pages_intact()
                }
                known => known,
            };
            let what = match intact {
                Some(false) => {
                    Some("its pages' chaining values do not make up the segment's chunk digests")
                }
                None if pages.exists() => {
                    Some("it is not a page file of this segment (wrong size or header)")
                }
                _ => None,
            };
            if let Some(what) = what {
                return Err(Error::Corrupt {
                    file: pages
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    what: format!("{what}: reads ignore it and check whole chunks; `breachcheck index upgrade` writes it again"),
                });
            }
            if let Some(a) = &meta.audit {
                let path = self.dir.join(AUDIT_DIR).join(&a.file);
                // Streamed: a set is hundreds of MB at 100M records.
                let mut digest = sha2::Sha256::new();
                let n = std::fs::File::open(&path)
                    .and_then(|mut f| std::io::copy(&mut f, &mut digest))
                    .map_err(io_err("cannot read audit set", &path))?;
                if n != a.bytes || commitment::hex(&digest.finalize()) != a.sha256 {
                    return Err(Error::Corrupt {
                        file: a.file.clone(),
                        what: "audit set does not match its digest".into(),
                    });
                }
            }
            for (s, r) in seg.removed() {
                let ok = (s as usize) < i
                    && self.manifest.segments[s as usize].system == meta.system
                    && self.manifest.segments[s as usize].kind == SegmentKind::System
                    && (r as usize) < self.segments[s as usize].records();
                if !ok {
                    return Err(Error::Corrupt {
                        file: meta.file.clone(),
                        what: "a removal names no record of an earlier snapshot".into(),
                    });
                }
            }
        }
        self.manifest.verify()?;
        Ok(self.segments.len())
    }

    /// The index directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Checks a system name: letters, digits, `-`, `_`, `.`, 1 to 64 characters.
pub fn validate_system(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidName(
            "a system name is 1 to 64 letters, digits, '-', '_' or '.' (e.g. accounts)".into(),
        ))
    }
}

/// Checks a snapshot date: `YYYY-MM-DD`, a real calendar date.
pub fn validate_snapshot(date: &str) -> Result<()> {
    let iso = date.len() == 10
        && date.as_bytes()[4] == b'-'
        && breachcheck_normalize::date::canonical(date, false).as_deref() == Some(date);
    if iso {
        Ok(())
    } else {
        Err(Error::InvalidName(
            "a snapshot is a date written YYYY-MM-DD (e.g. 2026-03-31)".into(),
        ))
    }
}

impl RecordStore for Index {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn lookup_into(&self, tag: breachcheck_core::Tag, out: &mut Vec<Hit>) {
        Index::lookup_into(self, tag, out);
    }

    /// As the provided method, but a lookup stops at the first hit past `most`: a weak key
    /// of hundreds of records is known to be one after `most + 1` postings.
    fn lookup_at_most_into(
        &self,
        tag: breachcheck_core::Tag,
        most: usize,
        out: &mut Vec<Hit>,
    ) -> bool {
        let from = out.len();
        for (i, s) in self.segments.iter().enumerate() {
            let found = out.len() - from;
            s.lookup_limited(tag, i as u32, most + 1 - found, out);
            if !store::at_most(out, from, most) {
                return false;
            }
        }
        true
    }

    fn record(&self, segment: u32, record: u32) -> Option<RecordRow> {
        self.segments.get(segment as usize)?.record(record)
    }

    fn records_sorted(&self, segment: u32, ids: &[u32], out: &mut Vec<Option<RecordRow>>) {
        match self.segments.get(segment as usize) {
            Some(s) => s.records_sorted(ids, out),
            None => out.extend(ids.iter().map(|_| None)),
        }
    }

    fn presence(&self, segment: u32, record: u32, out: &mut Vec<u32>) {
        Index::presence(self, segment, record, out);
    }

    fn prefetch_lookups(&self, tags: &[u64]) {
        Index::prefetch_lookups(self, tags);
    }

    fn prefetch_records(&self, ids: &[(u32, u32)]) {
        Index::prefetch_records(self, ids);
    }
}
