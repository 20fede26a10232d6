//! Segment files: one immutable, checksummed file per (system, snapshot) or canary set.
//!
//! Layout v1 (all integers little-endian; drawn byte by byte in the crate README):
//! ```text
//! 0    8  magic "BCSEG01\n"
//! 8    4  segment format version (1)
//! 12   4  normalize rules version
//! 16   8  record count R
//! 24   8  posting count P
//! 32   R × 112  record table (see RecordRow)
//! ..   P × 16   postings: tag u64, record u32, block kind u8, 3 zero bytes; sorted
//! end  32 BLAKE3 of every byte before it
//! ```
#![allow(unsafe_code)] // memory-mapping; see `Segment::open` for why it is sound.

use crate::commitment::{hex, leaf_hash, merkle_root};
use crate::lock::BuildLock;
use crate::manifest::{sync_dir, Manifest, SegmentKind, SegmentMeta, SourceFile, SEGMENT_DIR};
use crate::{io_err, validate_snapshot, validate_system, Commitment, Error, Result};
use breachcheck_core::{MatchField, SecretKey, Tag};
use breachcheck_normalize::TaggedRecord;
use std::io::Write;
use std::path::Path;

const MAGIC: &[u8; 8] = b"BCSEG01\n";
const FORMAT_VERSION: u32 = 1;
const HEADER: usize = 32;
/// Bytes per record-table row.
pub(crate) const RECORD: usize = 8 + 2 + 2 + 2 + 2 + 8 * MatchField::COUNT;
const POSTING: usize = 16;
const FOOTER: usize = 32;
/// Merkle leaves are 64 KiB chunks of the segment body.
const LEAF_CHUNK: usize = 64 * 1024;
/// At most this many hits per tag per segment are returned: a blocking tag shared by more
/// records than this (a family sharing a phone, a shared test address) is not selective,
/// and the per-record comparison decides among the first ones.
const MAX_HITS_PER_TAG: usize = 256;

/// One record of a segment's record table: where it came from and check values of its
/// fields. Check values are the low 32 bits of the field tags: the candidate is already
/// known when they are compared, so 32 bits keep false agreement below 1 in 4·10^9.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordRow {
    /// Index of the source file in the segment's `sources`.
    pub source_file: u16,
    /// 1-based physical line (or ordinal) in the source file.
    pub source_row: u64,
    /// Fields present (bit per [`MatchField`]).
    pub present: u16,
    /// Fields whose raw form is a quirk.
    pub quirky: u16,
    /// Canonical check values per field.
    pub canonical: [u32; MatchField::COUNT],
    /// Raw-form check values per field.
    pub raw: [u32; MatchField::COUNT],
}

impl RecordRow {
    fn encode(&self) -> [u8; RECORD] {
        let mut b = [0u8; RECORD];
        b[0..8].copy_from_slice(&self.source_row.to_le_bytes());
        b[8..10].copy_from_slice(&self.source_file.to_le_bytes());
        b[10..12].copy_from_slice(&self.present.to_le_bytes());
        b[12..14].copy_from_slice(&self.quirky.to_le_bytes());
        for i in 0..MatchField::COUNT {
            let o = 16 + 8 * i;
            b[o..o + 4].copy_from_slice(&self.canonical[i].to_le_bytes());
            b[o + 4..o + 8].copy_from_slice(&self.raw[i].to_le_bytes());
        }
        b
    }

    fn decode(b: &[u8]) -> Self {
        let u16_at = |o: usize| u16::from_le_bytes([b[o], b[o + 1]]);
        let u32_at = |o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        let mut row = RecordRow {
            source_row: u64::from_le_bytes(b[0..8].try_into().unwrap_or([0; 8])),
            source_file: u16_at(8),
            present: u16_at(10),
            quirky: u16_at(12),
            canonical: [0; MatchField::COUNT],
            raw: [0; MatchField::COUNT],
        };
        for i in 0..MatchField::COUNT {
            row.canonical[i] = u32_at(16 + 8 * i);
            row.raw[i] = u32_at(20 + 8 * i);
        }
        row
    }

    fn from_tagged(rec: &TaggedRecord, source_file: u16, source_row: u64) -> Self {
        let mut row = RecordRow {
            source_file,
            source_row,
            present: 0,
            quirky: 0,
            canonical: [0; MatchField::COUNT],
            raw: [0; MatchField::COUNT],
        };
        for (f, t) in rec.fields() {
            row.present |= f.bit();
            if t.quirky {
                row.quirky |= f.bit();
            }
            row.canonical[f.index()] = t.canonical.check();
            row.raw[f.index()] = t.raw.check();
        }
        row
    }
}

/// A posting found by [`crate::Index::lookup`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hit {
    /// Segment index in the manifest.
    pub segment: u32,
    /// Record index in the segment.
    pub record: u32,
    /// Block kind code ([`breachcheck_core::BlockKind::code`]).
    pub kind: u8,
}

/// Builds one segment with memory bounded whatever the input size: record-table rows go
/// straight to a temporary file (they are written in record order), postings are sorted in
/// a bounded buffer and spilled as sorted runs, and [`SegmentBuilder::commit`] merges the
/// runs into the segment while hashing it. The segment becomes live in one atomic step.
#[derive(Debug)]
pub struct SegmentBuilder {
    system: String,
    snapshot: String,
    kind: SegmentKind,
    sources: Vec<SourceFile>,
    records: u64,
    rows: Option<std::io::BufWriter<std::fs::File>>,
    postings: Vec<(u64, u32, u8)>,
    runs: Vec<(std::fs::File, u64)>,
    budget: usize,
    /// The first I/O error while spilling; reported by `commit` (so `add` stays infallible).
    error: Option<std::io::Error>,
}

/// Postings held in memory before a sorted run is spilled (16 bytes each: 256 MiB).
const DEFAULT_BUDGET: usize = 16 << 20;

impl SegmentBuilder {
    /// A builder for `system` at `snapshot` (`YYYY-MM-DD`).
    pub fn new(system: &str, snapshot: &str, kind: SegmentKind) -> Result<Self> {
        validate_system(system)?;
        validate_snapshot(snapshot)?;
        Ok(SegmentBuilder {
            system: system.to_owned(),
            snapshot: snapshot.to_owned(),
            kind,
            sources: Vec::new(),
            records: 0,
            rows: None,
            postings: Vec::new(),
            runs: Vec::new(),
            budget: DEFAULT_BUDGET,
            error: None,
        })
    }

    /// Postings held in memory before spilling a sorted run to a temporary file (at least
    /// 1,024). The segment is byte for byte the same whatever the budget.
    pub fn posting_budget(mut self, postings: usize) -> Self {
        self.budget = postings.max(1024);
        self
    }

    /// Registers an input file; returns its index for [`SegmentBuilder::add`].
    pub fn add_source(&mut self, mut source: SourceFile) -> u16 {
        source.rows = 0;
        self.sources.push(source);
        (self.sources.len() - 1) as u16
    }

    /// Adds one record read from `source_row` of source `source`. Empty records (no
    /// field could be normalized) are skipped and `false` is returned.
    pub fn add(&mut self, source: u16, source_row: u64, rec: &TaggedRecord) -> bool {
        if rec.is_empty() {
            return false;
        }
        let id = self.records as u32;
        self.records += 1;
        let row = RecordRow::from_tagged(rec, source, source_row).encode();
        if self.error.is_none() {
            let w = match &mut self.rows {
                Some(w) => Ok(w),
                None => tempfile::tempfile().map(|f| {
                    self.rows
                        .insert(std::io::BufWriter::with_capacity(1 << 20, f))
                }),
            };
            if let Err(e) = w.and_then(|w| w.write_all(&row)) {
                self.error = Some(e);
            }
        }
        for (kind, tag) in &rec.blocks {
            self.postings.push((tag.0, id, kind.code()));
        }
        if self.postings.len() >= self.budget {
            self.spill();
        }
        if let Some(s) = self.sources.get_mut(source as usize) {
            s.rows += 1;
        }
        true
    }

    /// Sorts the buffered postings and writes them as one run.
    fn spill(&mut self) {
        self.postings.sort_unstable();
        self.postings.dedup();
        let run = tempfile::tempfile().and_then(|f| {
            let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
            for p in &self.postings {
                w.write_all(&encode_posting(*p))?;
            }
            let mut f = w.into_inner().map_err(|e| e.into_error())?;
            std::io::Seek::rewind(&mut f)?;
            Ok(f)
        });
        match run {
            Ok(f) => self.runs.push((f, self.postings.len() as u64)),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self.postings.clear();
    }

    /// Records added so far.
    pub fn len(&self) -> usize {
        self.records as usize
    }

    /// Whether no record was added.
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// Writes the segment into the index at `dir` (created if missing) and makes it live.
    /// Holds the index lock throughout; the segment is written to a temporary file and
    /// renamed, then the manifest likewise, so a crash at any point leaves the previous
    /// index intact (at worst an unreferenced temporary file remains).
    pub fn commit(mut self, dir: &Path, key: &SecretKey) -> Result<SegmentMeta> {
        std::fs::create_dir_all(dir.join(SEGMENT_DIR)).map_err(io_err(dir))?;
        let _lock = BuildLock::acquire(dir)?;
        let mut manifest = match Manifest::load(dir) {
            Ok(m) => m,
            Err(Error::NotAnIndex(_)) => Manifest::empty(key.fingerprint()),
            Err(e) => return Err(e),
        };
        if manifest.key_fingerprint != key.fingerprint() {
            return Err(Error::KeyMismatch {
                index: manifest.key_fingerprint,
                given: key.fingerprint(),
            });
        }
        if manifest.rules_version != breachcheck_core::RULES_VERSION {
            return Err(Error::RulesMismatch {
                index: manifest.rules_version,
                binary: breachcheck_core::RULES_VERSION,
            });
        }
        if self.kind == SegmentKind::System
            && manifest.segments.iter().any(|s| {
                s.kind == SegmentKind::System
                    && s.system == self.system
                    && s.snapshot == self.snapshot
            })
        {
            return Err(Error::DuplicateSnapshot {
                system: self.system,
                snapshot: self.snapshot,
            });
        }
        if !self.postings.is_empty() || self.runs.is_empty() {
            self.spill();
        }
        if let Some(e) = self.error.take() {
            return Err(io_err(dir)(e));
        }
        let kind = match self.kind {
            SegmentKind::System => "system",
            SegmentKind::Canary => "canary",
        };
        let file = format!(
            "{:06}-{}-{}-{kind}.bcs",
            manifest.segments.len() + 1,
            self.system,
            self.snapshot
        );
        let seg_dir = dir.join(SEGMENT_DIR);
        let postings: u64 = self.runs.iter().map(|(_, n)| n).sum();
        let (bytes, root, checksum) = self.write(&seg_dir, &file, postings)?;
        let meta = SegmentMeta {
            file,
            system: self.system,
            snapshot: self.snapshot,
            kind: self.kind,
            records: self.records,
            postings,
            bytes,
            root,
            checksum,
            sources: self.sources,
        };
        manifest.segments.push(meta.clone());
        manifest.commitment = Commitment::compute(&manifest.segments, &manifest.key_fingerprint);
        manifest.store(dir)?;
        Ok(meta)
    }

    fn write(
        &mut self,
        seg_dir: &Path,
        file: &str,
        postings: u64,
    ) -> Result<(u64, String, String)> {
        let e = |err| io_err(seg_dir)(err);
        let mut tmp = tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(seg_dir)
            .map_err(e)?;
        let mut out = HashingWriter::new(std::io::BufWriter::with_capacity(
            1 << 20,
            tmp.as_file_mut(),
        ));
        let mut header = [0u8; HEADER];
        header[..8].copy_from_slice(MAGIC);
        header[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        header[12..16].copy_from_slice(&breachcheck_core::RULES_VERSION.to_le_bytes());
        header[16..24].copy_from_slice(&self.records.to_le_bytes());
        header[24..32].copy_from_slice(&postings.to_le_bytes());
        out.write_all(&header).map_err(e)?;
        // The record table, as spooled.
        if let Some(w) = self.rows.take() {
            let mut f = w.into_inner().map_err(|err| e(err.into_error()))?;
            std::io::Seek::rewind(&mut f).map_err(e)?;
            std::io::copy(&mut std::io::BufReader::with_capacity(1 << 20, f), &mut out)
                .map_err(e)?;
        }
        // The postings: a k-way merge of the sorted runs.
        let mut readers: Vec<std::io::BufReader<std::fs::File>> = self
            .runs
            .drain(..)
            .map(|(f, _)| std::io::BufReader::with_capacity(256 * 1024, f))
            .collect();
        let mut heap = std::collections::BinaryHeap::new();
        for (i, r) in readers.iter_mut().enumerate() {
            if let Some(p) = read_posting(r).map_err(e)? {
                heap.push(std::cmp::Reverse((p, i)));
            }
        }
        while let Some(std::cmp::Reverse((p, i))) = heap.pop() {
            out.write_all(&encode_posting(p)).map_err(e)?;
            if let Some(next) = read_posting(&mut readers[i]).map_err(e)? {
                heap.push(std::cmp::Reverse((next, i)));
            }
        }
        let (mut inner, checksum, root, len) = out.finish();
        inner.write_all(checksum.as_bytes()).map_err(e)?;
        inner.flush().map_err(e)?;
        drop(inner);
        tmp.as_file().sync_all().map_err(e)?;
        let dest = seg_dir.join(file);
        tmp.persist(&dest).map_err(|err| io_err(&dest)(err.error))?;
        sync_dir(seg_dir)?;
        Ok((
            len + FOOTER as u64,
            hex(&root),
            checksum.to_hex().to_string(),
        ))
    }
}

fn encode_posting((tag, rec, kind): (u64, u32, u8)) -> [u8; POSTING] {
    let mut p = [0u8; POSTING];
    p[..8].copy_from_slice(&tag.to_le_bytes());
    p[8..12].copy_from_slice(&rec.to_le_bytes());
    p[12] = kind;
    p
}

fn read_posting(r: &mut impl std::io::Read) -> std::io::Result<Option<(u64, u32, u8)>> {
    let mut b = [0u8; POSTING];
    match r.read_exact(&mut b) {
        Ok(()) => Ok(Some((
            u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
            u32::from_le_bytes([b[8], b[9], b[10], b[11]]),
            b[12],
        ))),
        Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
        Err(err) => Err(err),
    }
}

/// Hashes what passes through: BLAKE3 over everything, Merkle leaves over 64 KiB chunks.
struct HashingWriter<W: Write> {
    inner: W,
    blake: blake3::Hasher,
    chunk: Vec<u8>,
    leaves: Vec<[u8; 32]>,
    len: u64,
}

impl<W: Write> HashingWriter<W> {
    fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            blake: blake3::Hasher::new(),
            chunk: Vec::with_capacity(LEAF_CHUNK),
            leaves: Vec::new(),
            len: 0,
        }
    }

    fn finish(mut self) -> (W, blake3::Hash, [u8; 32], u64) {
        if !self.chunk.is_empty() {
            self.leaves.push(leaf_hash(&self.chunk));
        }
        (
            self.inner,
            self.blake.finalize(),
            merkle_root(&self.leaves),
            self.len,
        )
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        let b = &buf[..n];
        self.blake.update(b);
        self.len += n as u64;
        let mut rest = b;
        while !rest.is_empty() {
            let take = (LEAF_CHUNK - self.chunk.len()).min(rest.len());
            self.chunk.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.chunk.len() == LEAF_CHUNK {
                self.leaves.push(leaf_hash(&self.chunk));
                self.chunk.clear();
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A memory-mapped segment.
#[derive(Debug)]
pub struct Segment {
    map: memmap2::Mmap,
    name: String,
    records: usize,
    postings: usize,
}

impl Segment {
    /// Maps `path` and checks its header and size.
    pub fn open(path: &Path) -> Result<Self> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let f = std::fs::File::open(path).map_err(io_err(path))?;
        // SAFETY: segment files are immutable once renamed into place: builders write new
        // files under new names and never modify or truncate a live one. Mapping is
        // therefore sound unless something outside breachcheck rewrites the file, which
        // `index check` would detect as a checksum failure.
        let map = unsafe { memmap2::Mmap::map(&f) }.map_err(io_err(path))?;
        let corrupt = |what: &str| Error::Corrupt {
            file: name.clone(),
            what: what.to_owned(),
        };
        if map.len() < HEADER + FOOTER || &map[..8] != MAGIC {
            return Err(corrupt("not a segment file (bad magic or too short)"));
        }
        let u32_at = |o: usize| u32::from_le_bytes([map[o], map[o + 1], map[o + 2], map[o + 3]]);
        let u64_at = |o: usize| u64::from_le_bytes(map[o..o + 8].try_into().unwrap_or([0; 8]));
        if u32_at(8) != FORMAT_VERSION {
            return Err(corrupt("unknown segment format version"));
        }
        if u32_at(12) != breachcheck_core::RULES_VERSION {
            return Err(Error::RulesMismatch {
                index: u32_at(12),
                binary: breachcheck_core::RULES_VERSION,
            });
        }
        let (records, postings) = (u64_at(16), u64_at(24));
        let expect = (HEADER as u64)
            .checked_add(records.saturating_mul(RECORD as u64))
            .and_then(|x| x.checked_add(postings.checked_mul(POSTING as u64)?))
            .and_then(|x| x.checked_add(FOOTER as u64));
        if expect != Some(map.len() as u64) {
            return Err(corrupt("size does not match its header (truncated?)"));
        }
        Ok(Segment {
            map,
            name,
            records: records as usize,
            postings: postings as usize,
        })
    }

    /// Records in the segment.
    pub fn records(&self) -> usize {
        self.records
    }

    /// The record table row of record `i`, `None` if out of range.
    pub fn record(&self, i: u32) -> Option<RecordRow> {
        let i = i as usize;
        (i < self.records).then(|| {
            let o = HEADER + i * RECORD;
            RecordRow::decode(&self.map[o..o + RECORD])
        })
    }

    fn postings_base(&self) -> usize {
        HEADER + self.records * RECORD
    }

    fn posting_tag(&self, i: usize) -> u64 {
        let o = self.postings_base() + i * POSTING;
        u64::from_le_bytes(self.map[o..o + 8].try_into().unwrap_or([0; 8]))
    }

    /// Appends every posting of `tag` in this segment to `out` (segment index 0).
    pub fn lookup_into(&self, tag: Tag, out: &mut Vec<Hit>) {
        self.lookup(tag, 0, out);
    }

    pub(crate) fn lookup(&self, tag: Tag, segment: u32, out: &mut Vec<Hit>) {
        // Binary search over the sorted postings in the map.
        let (mut lo, mut hi) = (0usize, self.postings);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.posting_tag(mid) < tag.0 {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let mut i = lo;
        while i < self.postings && i - lo < MAX_HITS_PER_TAG && self.posting_tag(i) == tag.0 {
            let o = self.postings_base() + i * POSTING;
            let record = u32::from_le_bytes([
                self.map[o + 8],
                self.map[o + 9],
                self.map[o + 10],
                self.map[o + 11],
            ]);
            out.push(Hit {
                segment,
                record,
                kind: self.map[o + 12],
            });
            i += 1;
        }
    }

    /// Recomputes checksum and Merkle root and compares them with the file and `meta`.
    pub(crate) fn verify(&self, meta: &SegmentMeta) -> Result<()> {
        let corrupt = |what: &str| Error::Corrupt {
            file: self.name.clone(),
            what: what.to_owned(),
        };
        let body = &self.map[..self.map.len() - FOOTER];
        let sum = blake3::hash(body);
        if sum.as_bytes() != &self.map[self.map.len() - FOOTER..] {
            return Err(corrupt("checksum mismatch"));
        }
        if sum.to_hex().as_str() != meta.checksum {
            return Err(corrupt("checksum differs from the manifest"));
        }
        let leaves: Vec<[u8; 32]> = body.chunks(LEAF_CHUNK).map(leaf_hash).collect();
        if hex(&merkle_root(&leaves)) != meta.root {
            return Err(corrupt("Merkle root differs from the manifest"));
        }
        if self.records as u64 != meta.records || self.postings as u64 != meta.postings {
            return Err(corrupt("counts differ from the manifest"));
        }
        Ok(())
    }
}
