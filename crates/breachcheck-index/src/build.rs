//! Building one segment: streaming, bounded memory, deltas against the previous snapshot.
use crate::commitment::hex;
use crate::manifest::{
    write_atomic, AuditSetMeta, Manifest, SegmentKind, SegmentMeta, SourceFile, AUDIT_DIR,
    SEGMENT_DIR,
};
use crate::segment::{
    header, page_file_bytes, page_file_path, page_values, posting_shape, root_of_digests,
    split_tag, Segment, BLOCK, FOOTER, LEAF_CHUNK,
};
use crate::Prepared;
use crate::{io_err, validate_snapshot, validate_system, Commitment, Error, Result, DIR_KIND};
use breachcheck_core::SecretKey;
use breachcheck_files::DirLock;
use breachcheck_normalize::TaggedRecord;
use sha2::Digest;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Postings held in memory before a sorted run is spilled (16 bytes each: 256 MiB; twice
/// that while the previous run is still being written).
const DEFAULT_BUDGET: usize = 16 << 20;
/// Bytes of one posting in a spilled run: tag u64, record u32.
const RUN_POSTING: usize = 12;

/// A posting run being sorted and written: the run (its file and length) and the emptied
/// buffer, handed back for reuse.
type SpillJob = std::thread::JoinHandle<(std::io::Result<(std::fs::File, u64)>, Vec<(u64, u32)>)>;

/// Sorts `postings`, drops repeats and writes them to a temporary file as one run,
/// rewound for reading.
fn write_run(postings: &mut Vec<(u64, u32)>) -> std::io::Result<(std::fs::File, u64)> {
    postings.sort_unstable();
    postings.dedup();
    let mut w = std::io::BufWriter::with_capacity(1 << 20, tempfile::tempfile()?);
    for (tag, rec) in postings.iter() {
        w.write_all(&tag.to_le_bytes())?;
        w.write_all(&rec.to_le_bytes())?;
    }
    let mut f = w.into_inner().map_err(|e| e.into_error())?;
    std::io::Seek::rewind(&mut f)?;
    Ok((f, postings.len() as u64))
}

/// Postings a merge hands over at once (16 bytes each).
const MERGE_BATCH: usize = 1 << 16;
/// Batches a merge may run ahead of the writer.
const MERGE_AHEAD: usize = 4;

/// Merges sorted runs into one sorted stream of postings, sent to `tx` in batches of
/// [`MERGE_BATCH`]; a read error is sent as the last batch. Stops when the receiver is
/// gone (the writer failed).
fn merge_runs(
    mut readers: Vec<std::io::BufReader<std::fs::File>>,
    tx: &std::sync::mpsc::SyncSender<std::io::Result<Vec<(u64, u32)>>>,
) {
    let mut merge = || -> std::io::Result<bool> {
        let mut heap = std::collections::BinaryHeap::new();
        for (i, r) in readers.iter_mut().enumerate() {
            if let Some(p) = read_run_posting(r)? {
                heap.push(std::cmp::Reverse((p, i)));
            }
        }
        let mut batch = Vec::with_capacity(MERGE_BATCH);
        // The smallest head is replaced in place by its run's next posting (one sift down,
        // where a pop and a push would take two).
        while let Some(mut top) = heap.peek_mut() {
            let std::cmp::Reverse((p, i)) = *top;
            batch.push(p);
            match read_run_posting(&mut readers[i])? {
                Some(next) => *top = std::cmp::Reverse((next, i)),
                None => {
                    std::collections::binary_heap::PeekMut::pop(top);
                }
            }
            if batch.len() == MERGE_BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(MERGE_BATCH));
                if tx.send(Ok(full)).is_err() {
                    return Ok(false);
                }
            }
        }
        Ok(batch.is_empty() || tx.send(Ok(batch)).is_ok())
    };
    if let Err(err) = merge() {
        let _ = tx.send(Err(err));
    }
}

/// What [`SegmentBuilder::add_record`] did with a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Added {
    /// No field could be normalized: skipped.
    Empty,
    /// Unchanged since the system's previous snapshot: carried, not stored again.
    Carried,
    /// Stored in this segment.
    Stored,
}

/// Builds one segment — one snapshot of one system, or a canary set — and makes it live.
///
/// Memory is bounded whatever the input size: record rows go straight to a spool file,
/// postings collect in a bounded buffer that is sorted and spilled as a run on a thread of
/// its own while the next buffer fills, and [`SegmentBuilder::commit`] merges the runs.
/// For a system that already has snapshots, a record whose content is unchanged since the
/// latest one is *carried* (not stored again), and records that disappeared are listed as
/// removed: a snapshot that differs by 1% costs about 1% of a full copy. The builder holds the index lock from [`SegmentBuilder::new`]
/// to [`SegmentBuilder::commit`], so a second build is refused at once, not after an hour.
#[derive(Debug)]
pub struct SegmentBuilder {
    dir: PathBuf,
    manifest: Manifest,
    /// The lock, and what to undo if the build does not commit.
    guard: Guard,
    system: String,
    snapshot: String,
    kind: SegmentKind,
    sources: Vec<SourceFile>,
    source_first: Vec<u64>,
    stored: u64,
    carried: u64,
    rows: Option<std::io::BufWriter<std::fs::File>>,
    row_buf: Vec<u8>,
    table_bytes: u64,
    blocks: Vec<(u64, u64)>,
    prev_row: u64,
    /// Masks (present, quirky) of the row last stored: the next row's are relative to them.
    prev_masks: (u16, u16),
    postings: Vec<(u64, u32)>,
    /// The run being sorted and written in the background, if any.
    spilling: Option<SpillJob>,
    /// The buffer the last finished spill handed back, reused for the next one.
    spare: Vec<(u64, u32)>,
    runs: Vec<(std::fs::File, u64)>,
    budget: usize,
    previous: Option<LiveSet>,
    recipe: Option<crate::Recipe>,
    audit: Option<(Vec<u8>, AuditSetMeta)>,
    /// How the snapshot's records are written (every record added, carried ones too).
    profile: crate::manifest::ProfileCounts,
    /// The first I/O error while spooling; reported by `commit` (so `add` stays infallible).
    error: Option<std::io::Error>,
}

impl SegmentBuilder {
    /// Starts a segment for `system` at `snapshot` (`YYYY-MM-DD`) in the index at `dir`
    /// (created if missing). Takes the index lock, checks the key and rule version, and
    /// for a system snapshot loads what the system's latest snapshot holds so unchanged
    /// records can be carried. Snapshots of a system are added in date order.
    pub fn new(
        dir: &Path,
        key: &SecretKey,
        system: &str,
        snapshot: &str,
        kind: SegmentKind,
    ) -> Result<Self> {
        validate_system(system)?;
        validate_snapshot(snapshot)?;
        let mut guard = Guard::default();
        guard.create_dir(dir)?;
        guard.lock = Some(DirLock::acquire(dir, DIR_KIND)?);
        guard.create_dir(&dir.join(SEGMENT_DIR))?;
        let manifest = match Manifest::load(dir) {
            Ok(m) => {
                // A build extends what the manifest commits to: it must be whole.
                m.verify()?;
                m
            }
            Err(Error::NotAnIndex(_)) => Manifest::empty(key.fingerprint()),
            Err(e) => return Err(e),
        };
        // Under the lock, every temporary file and unlisted segment is a killed writer's.
        let removed = sweep(dir, &manifest);
        if !removed.is_empty() {
            tracing::warn!(
                "removed {} leftover file(s) of an interrupted build of {}: {}",
                removed.len(),
                dir.display(),
                describe_files(&removed)
            );
        }
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
        let mut previous = None;
        if kind == SegmentKind::System {
            let mine: Vec<usize> = (0..manifest.segments.len())
                .filter(|&i| {
                    let s = &manifest.segments[i];
                    s.kind == SegmentKind::System && s.system == system
                })
                .collect();
            if let Some(&last) = mine.last() {
                let latest = &manifest.segments[last].snapshot;
                if latest.as_str() == snapshot {
                    return Err(Error::DuplicateSnapshot {
                        system: system.to_owned(),
                        snapshot: snapshot.to_owned(),
                    });
                }
                if latest.as_str() > snapshot {
                    return Err(Error::SnapshotOrder {
                        system: system.to_owned(),
                        snapshot: snapshot.to_owned(),
                        latest: latest.clone(),
                    });
                }
                previous = Some(LiveSet::load(dir, &manifest, &mine)?);
            }
        }
        Ok(SegmentBuilder {
            dir: dir.to_owned(),
            manifest,
            guard,
            system: system.to_owned(),
            snapshot: snapshot.to_owned(),
            kind,
            sources: Vec::new(),
            source_first: Vec::new(),
            stored: 0,
            carried: 0,
            rows: None,
            row_buf: Vec::with_capacity(128),
            table_bytes: 0,
            blocks: Vec::new(),
            prev_row: 0,
            prev_masks: (0, 0),
            postings: Vec::new(),
            spilling: None,
            spare: Vec::new(),
            runs: Vec::new(),
            budget: DEFAULT_BUDGET,
            previous,
            recipe: None,
            audit: None,
            profile: crate::manifest::ProfileCounts::default(),
            error: None,
        })
    }

    /// Postings held in memory before spilling a sorted run to a temporary file (at least
    /// 1,024). The segment is byte for byte the same whatever the budget.
    pub fn posting_budget(mut self, postings: usize) -> Self {
        self.budget = postings.max(1024);
        self
    }

    /// Attaches the segment's audit set filter (made by `breachcheck-audit` from the
    /// records stored here); `commit` writes it under `audit/` and binds its digest into
    /// the commitment. `meta`'s file name, digest and size are filled in by `commit`.
    pub fn set_audit(&mut self, filter: Vec<u8>, meta: AuditSetMeta) {
        self.audit = Some((filter, meta));
    }

    /// Records how the segment was built (sources' locations, column map, options), kept
    /// in the manifest so `index rekey` can rebuild it under a new key. Holds no values.
    /// `None` is no recipe (the entry has no `recipe` key), as a segment built without one
    /// reads back: rebuilding such a segment must not give it one.
    pub fn set_recipe(&mut self, recipe: impl Into<Option<crate::Recipe>>) {
        self.recipe = recipe.into();
    }

    /// Registers the next input file; records added from now on come from it.
    pub fn add_source(&mut self, mut source: SourceFile) {
        source.rows = 0;
        self.sources.push(source);
        self.source_first.push(self.stored);
    }

    /// Adds one record read from `source_row` of the latest source. Empty records (no field
    /// could be normalized) are skipped and `false` is returned.
    pub fn add(&mut self, source_row: u64, rec: &TaggedRecord) -> bool {
        self.add_record(source_row, rec) != Added::Empty
    }

    /// [`SegmentBuilder::add`], saying whether the record was stored in this segment or
    /// carried from the previous snapshot (an audit set holds only what is stored, as the
    /// earlier segment's set holds the rest).
    pub fn add_record(&mut self, source_row: u64, rec: &TaggedRecord) -> Added {
        self.add_prepared(source_row, &Prepared::from_tagged(rec))
    }

    /// [`SegmentBuilder::add_record`] of a record prepared elsewhere (see [`Prepared`]):
    /// the same segment as adding the record it was made from.
    pub fn add_prepared(&mut self, source_row: u64, rec: &Prepared) -> Added {
        if rec.is_empty() {
            return Added::Empty;
        }
        if let Some(s) = self.sources.last_mut() {
            s.rows += 1;
        }
        self.profile.add(rec);
        let mut row = rec.row;
        row.source_file = 0;
        row.source_row = source_row;
        if let Some(prev) = &mut self.previous {
            if prev.take(row.content_digest()) {
                self.carried += 1;
                return Added::Carried;
            }
        }
        let id = self.stored as u32;
        if self.stored.is_multiple_of(BLOCK as u64) {
            self.blocks.push((self.table_bytes, source_row));
            self.prev_row = source_row;
            self.prev_masks = (0, 0);
        }
        self.stored += 1;
        self.row_buf.clear();
        row.encode_into(self.prev_row, self.prev_masks, &mut self.row_buf);
        self.prev_row = source_row;
        self.prev_masks = (row.present, row.quirky);
        self.table_bytes += self.row_buf.len() as u64;
        if self.error.is_none() {
            let w = match &mut self.rows {
                Some(w) => Ok(w),
                None => tempfile::tempfile().map(|f| {
                    self.rows
                        .insert(std::io::BufWriter::with_capacity(1 << 20, f))
                }),
            };
            if let Err(e) = w.and_then(|w| w.write_all(&self.row_buf)) {
                self.error = Some(e);
            }
        }
        self.postings.extend(rec.postings.iter().map(|t| (*t, id)));
        if self.postings.len() >= self.budget {
            self.spill();
        }
        Added::Stored
    }

    /// Hands the buffered postings to a thread that sorts them and writes them as one run,
    /// after the previous run is done: sorting and writing 16M postings takes about a second
    /// of one core, which the thread pool normalizing the next records would otherwise spend
    /// waiting (a 100M-record build, 486M postings, spills about thirty times). Runs keep
    /// their order.
    fn spill(&mut self) {
        self.finish_spill();
        let mut postings = std::mem::replace(&mut self.postings, std::mem::take(&mut self.spare));
        let job = std::thread::Builder::new()
            .name("posting-run".into())
            .spawn(move || {
                let run = write_run(&mut postings);
                postings.clear();
                (run, postings)
            });
        match job {
            Ok(job) => self.spilling = Some(job),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
    }

    /// Waits for the run being written, if any, and files it (or its error).
    fn finish_spill(&mut self) {
        let Some(job) = self.spilling.take() else {
            return;
        };
        match job.join() {
            Ok((run, buffer)) => {
                self.spare = buffer;
                match run {
                    Ok(run) => self.runs.push(run),
                    Err(e) => {
                        self.error.get_or_insert(e);
                    }
                }
            }
            Err(_) => {
                self.error
                    .get_or_insert(std::io::Error::other("writing a posting run failed"));
            }
        }
    }

    /// Records of this snapshot added so far (stored and carried).
    pub fn len(&self) -> usize {
        (self.stored + self.carried) as usize
    }

    /// Whether no record was added.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes the segment and makes it live: the segment goes to a temporary file that is
    /// fsynced and renamed, then the manifest likewise, so a crash at any point leaves the
    /// previous index intact (at worst an unreferenced temporary file remains).
    pub fn commit(mut self) -> Result<SegmentMeta> {
        let started = std::time::Instant::now();
        if !self.postings.is_empty() || (self.runs.is_empty() && self.spilling.is_none()) {
            self.spill();
        }
        self.finish_spill();
        tracing::debug!(
            seconds = started.elapsed().as_secs_f64(),
            runs = self.runs.len(),
            "last posting run written"
        );
        if let Some(e) = self.error.take() {
            return Err(io_err("cannot spool the records of a build in", &self.dir)(
                e,
            ));
        }
        let removed = self
            .previous
            .take()
            .map(LiveSet::untaken)
            .unwrap_or_default();
        let kind = self.kind.as_str();
        let file = format!(
            "{:06}-{}-{}-{kind}.bcs",
            self.manifest.segments.len() + 1,
            self.system,
            self.snapshot
        );
        let seg_dir = self.dir.join(SEGMENT_DIR);
        let postings: u64 = self.runs.iter().map(|(_, n)| n).sum();
        let (bytes, root, checksum) = self.write(&seg_dir, &file, postings, &removed)?;
        // A system snapshot holds what the previous one held, less removals, plus what it
        // stores; a canary set or corpus holds what it stores.
        let live = match self.kind {
            SegmentKind::System => {
                let previous = self
                    .manifest
                    .segments
                    .iter()
                    .rev()
                    .find(|s| s.kind == SegmentKind::System && s.system == self.system)
                    .map_or(0, |s| s.live);
                previous.saturating_sub(removed.len() as u64) + self.stored
            }
            SegmentKind::Canary | SegmentKind::Reference => self.stored,
        };
        let audit_file = format!("{}.gcs", file.trim_end_matches(".bcs"));
        let meta = SegmentMeta {
            file,
            system: self.system,
            snapshot: self.snapshot,
            kind: self.kind,
            records: self.stored,
            live,
            removed: removed.len() as u64,
            postings,
            bytes,
            root,
            checksum,
            sources: self.sources,
            recipe: self.recipe,
            audit: match self.audit.take() {
                Some((filter, mut a)) => {
                    let audit_dir = self.dir.join(AUDIT_DIR);
                    self.guard.create_dir(&audit_dir)?;
                    a.file = audit_file;
                    a.sha256 = hex(&sha2::Sha256::digest(&filter));
                    a.bytes = filter.len() as u64;
                    write_atomic(&audit_dir, &a.file, &filter)?;
                    Some(a)
                }
                None => None,
            },
            profile: self.profile.profile(),
        };
        let mut manifest = self.manifest;
        manifest.segments.push(meta.clone());
        manifest.commitment = Commitment::compute(&manifest.segments, &manifest.key_fingerprint);
        manifest.store(&self.dir)?;
        self.guard.committed = true;
        Ok(meta)
    }

    fn write(
        &mut self,
        seg_dir: &Path,
        file: &str,
        postings: u64,
        removed: &[u64],
    ) -> Result<(u64, String, String)> {
        let started = std::time::Instant::now();
        let dest = seg_dir.join(file);
        let e = |err| breachcheck_files::Error::io(breachcheck_files::Op::Write, &dest, err);
        let tmp = breachcheck_files::AtomicFile::create(&dest)?;
        // Small writes are gathered before they are hashed: BLAKE3 is fast on large slices.
        let mut out = std::io::BufWriter::with_capacity(1 << 20, HashingWriter::new(tmp));
        let (bits, suffix, record_bits) = posting_shape(postings, self.stored);
        out.write_all(&header(
            self.stored,
            postings,
            removed.len() as u64,
            self.table_bytes,
            self.sources.len() as u32,
        ))
        .map_err(e)?;
        for first in &self.source_first {
            out.write_all(&first.to_le_bytes()).map_err(e)?;
        }
        for (offset, base) in &self.blocks {
            out.write_all(&offset.to_le_bytes()).map_err(e)?;
            out.write_all(&base.to_le_bytes()).map_err(e)?;
        }
        // The record table, as spooled.
        if let Some(w) = self.rows.take() {
            let mut f = w.into_inner().map_err(|err| e(err.into_error()))?;
            std::io::Seek::rewind(&mut f).map_err(e)?;
            std::io::copy(&mut std::io::BufReader::with_capacity(1 << 20, f), &mut out)
                .map_err(e)?;
        }
        tracing::debug!(
            seconds = started.elapsed().as_secs_f64(),
            "record table copied"
        );
        // The postings: a k-way merge of the sorted runs, counted per tag prefix and packed
        // (`suffix + record_bits` bits each, see `posting_shape`). The merge runs on a
        // thread of its own and hands over batches, so that merging and packing, hashing and
        // writing share the two cores instead of taking turns on one (the build's last
        // phase, single-threaded before: 6 s of a 63 s build of 10M records).
        let mut packer = BitPacker::default();
        let mut starts = vec![0u64; (1usize << bits) + 1];
        let readers: Vec<std::io::BufReader<std::fs::File>> = self
            .runs
            .drain(..)
            .map(|(f, _)| std::io::BufReader::with_capacity(256 * 1024, f))
            .collect();
        std::thread::scope(|scope| -> Result<()> {
            let (tx, rx) = std::sync::mpsc::sync_channel(MERGE_AHEAD);
            scope.spawn(move || merge_runs(readers, &tx));
            // Returning early drops `rx`, which stops the merge at its next batch.
            let mut merged = 0u64;
            for batch in rx.iter() {
                let batch = batch.map_err(e)?;
                merged += batch.len() as u64;
                for (tag, rec) in batch {
                    let (bucket, rest) = split_tag(tag, bits, suffix);
                    starts[bucket + 1] += 1;
                    packer
                        .push(
                            (u64::from(rest) << record_bits) | u64::from(rec),
                            suffix + record_bits,
                            &mut out,
                        )
                        .map_err(e)?;
                }
            }
            // The header promised `postings`: a run file cut short (it reads as ending
            // early) must fail the build, not commit a segment shorter than its header.
            if merged != postings {
                return Err(e(std::io::Error::other(format!(
                    "the sorted runs held {merged} postings where {postings} were written"
                )))
                .into());
            }
            Ok(())
        })?;
        tracing::debug!(seconds = started.elapsed().as_secs_f64(), "postings merged");
        packer.finish(&mut out).map_err(e)?;
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        for s in &starts {
            out.write_all(&s.to_le_bytes()).map_err(e)?;
        }
        for r in removed {
            out.write_all(&r.to_le_bytes()).map_err(e)?;
        }
        let hashing = out.into_inner().map_err(|err| e(err.into_error()))?;
        let (mut inner, checksum, root, len, pages) = hashing.finish().map_err(e)?;
        inner.write_all(checksum.as_bytes()).map_err(e)?;
        inner.commit()?;
        // The page file after the segment: a build killed in between leaves a segment
        // without one, which reads check chunk by chunk (and a page file whose segment
        // never made it into the manifest is a leftover the next writer removes).
        breachcheck_files::write_atomic(&page_file_path(&dest), &page_file_bytes(&pages))?;
        tracing::debug!(
            seconds = started.elapsed().as_secs_f64(),
            "segment and page file written (times from the start of the writing)"
        );
        Ok((
            len + FOOTER as u64,
            hex(&root),
            checksum.to_hex().to_string(),
        ))
    }
}

/// What a build undoes if it does not commit: the directories it created (an index
/// directory a failed first build made is removed again, so nothing is left), after
/// releasing the lock. Committed, it only releases the lock.
#[derive(Debug, Default)]
struct Guard {
    lock: Option<DirLock>,
    /// Directories created by this build, in order.
    created: Vec<PathBuf>,
    committed: bool,
}

impl Guard {
    fn create_dir(&mut self, dir: &Path) -> Result<()> {
        if dir.is_dir() {
            return Ok(());
        }
        let mut missing = Vec::new();
        let mut at = Some(dir);
        while let Some(d) = at.filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
            missing.push(d.to_owned());
            at = d.parent();
        }
        std::fs::create_dir_all(dir).map_err(io_err("cannot create", dir))?;
        self.created.extend(missing.into_iter().rev());
        Ok(())
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.lock = None;
        if !self.committed {
            for d in self.created.iter().rev() {
                // Only if empty: a directory something else wrote to meanwhile stays.
                let _ = std::fs::remove_dir(d);
            }
        }
    }
}

/// Files of `dir` no live state names: temporary files (of segments, audit sets, the
/// manifest, database spools) and segments or audit sets the manifest does not list (a
/// build killed after renaming its segment, before its manifest).
pub(crate) fn leftovers(dir: &Path, manifest: &Manifest) -> Vec<PathBuf> {
    let mut v = breachcheck_files::temp_files(dir);
    for (sub, ext, listed) in [
        (
            SEGMENT_DIR,
            "bcs",
            manifest
                .segments
                .iter()
                .map(|s| s.file.clone())
                .collect::<Vec<_>>(),
        ),
        (
            SEGMENT_DIR,
            crate::segment::PAGE_FILE_EXT,
            manifest
                .segments
                .iter()
                .map(|s| {
                    page_file_path(Path::new(&s.file))
                        .to_string_lossy()
                        .into_owned()
                })
                .collect(),
        ),
        (
            AUDIT_DIR,
            "gcs",
            manifest
                .segments
                .iter()
                .filter_map(|s| s.audit.as_ref().map(|a| a.file.clone()))
                .collect(),
        ),
    ] {
        let d = dir.join(sub);
        // A directory listed twice (segments and their page files) is swept once.
        for t in breachcheck_files::temp_files(&d) {
            if !v.contains(&t) {
                v.push(t);
            }
        }
        if let Ok(entries) = std::fs::read_dir(&d) {
            let mut unlisted: Vec<PathBuf> = entries
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .filter(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    !name.starts_with('.')
                        && name.ends_with(&format!(".{ext}"))
                        && !listed.contains(&name)
                })
                .map(|e| e.path())
                .collect();
            unlisted.sort();
            v.extend(unlisted);
        }
    }
    v
}

/// Removes [`leftovers`] (call under the lock); returns what was removed.
pub(crate) fn sweep(dir: &Path, manifest: &Manifest) -> Vec<PathBuf> {
    leftovers(dir, manifest)
        .into_iter()
        .filter(|p| std::fs::remove_file(p).is_ok())
        .collect()
}

/// "segments/.tmp-x (61 MB), …" for a message: names relative to the index, sizes.
pub(crate) fn describe_files(files: &[PathBuf]) -> String {
    files
        .iter()
        .map(|p| {
            let name = p
                .parent()
                .and_then(|d| d.file_name())
                .map(|d| format!("{}/", d.to_string_lossy()))
                .unwrap_or_default()
                + &p.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
            name
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes values of up to 64 bits each, packed least significant bit first (what
/// `Segment::posting` reads).
#[derive(Default)]
pub(crate) struct BitPacker {
    acc: u128,
    bits: u32,
}

impl BitPacker {
    pub(crate) fn push(&mut self, v: u64, width: u32, out: &mut impl Write) -> std::io::Result<()> {
        self.acc |= u128::from(v) << self.bits;
        self.bits += width;
        if self.bits >= 64 {
            out.write_all(&(self.acc as u64).to_le_bytes())?;
            self.acc >>= 64;
            self.bits -= 64;
        }
        Ok(())
    }

    /// The last partial bytes.
    pub(crate) fn finish(self, out: &mut impl Write) -> std::io::Result<()> {
        let n = self.bits.div_ceil(8) as usize;
        out.write_all(&(self.acc as u64).to_le_bytes()[..n])
    }
}

fn read_run_posting(r: &mut impl std::io::Read) -> std::io::Result<Option<(u64, u32)>> {
    let mut b = [0u8; RUN_POSTING];
    match r.read_exact(&mut b) {
        Ok(()) => Ok(Some((
            u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
            u32::from_le_bytes([b[8], b[9], b[10], b[11]]),
        ))),
        Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
        Err(err) => Err(err),
    }
}

/// What a system's latest snapshot holds, by content digest: the basis of a delta. Costs
/// 17 bytes per live record while a build runs (1.7 GB for 100M records).
#[derive(Debug)]
struct LiveSet {
    /// (content digest, segment << 32 | record), sorted.
    entries: Vec<(u64, u64)>,
    taken: Vec<bool>,
    /// First entry per top-16-bit digest prefix: a lookup searches ~1/65536 of the set.
    starts: Vec<u32>,
}

impl LiveSet {
    /// Loads the records live at the latest snapshot of the system whose segments are at
    /// manifest positions `mine` (in snapshot order).
    fn load(dir: &Path, manifest: &Manifest, mine: &[usize]) -> Result<Self> {
        let segments: Vec<(usize, Segment)> = mine
            .iter()
            .map(|&i| {
                let m = &manifest.segments[i];
                Segment::open_committed(&dir.join(SEGMENT_DIR).join(&m.file), m).map(|s| (i, s))
            })
            .collect::<Result<_>>()?;
        let mut removed: Vec<u64> = segments
            .iter()
            .flat_map(|(_, s)| s.removed())
            .map(|(seg, rec)| (u64::from(seg) << 32) | u64::from(rec))
            .collect();
        removed.sort_unstable();
        let live: u64 = mine.last().map_or(0, |&i| manifest.segments[i].live);
        let mut entries = Vec::with_capacity(usize::try_from(live).unwrap_or(0));
        for (pos, seg) in &segments {
            for (rec, row) in seg.rows().enumerate() {
                let loc = ((*pos as u64) << 32) | rec as u64;
                if removed.binary_search(&loc).is_err() {
                    entries.push((row.content_digest(), loc));
                }
            }
        }
        // A delta computed from a damaged snapshot would be wrong for good: refuse.
        if let Some(e) = segments.iter().find_map(|(_, s)| s.damage()) {
            return Err(e);
        }
        entries.sort_unstable();
        let mut starts = vec![0u32; (1 << 16) + 1];
        for (d, _) in &entries {
            starts[(d >> 48) as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        Ok(LiveSet {
            taken: vec![false; entries.len()],
            entries,
            starts,
        })
    }

    /// Claims one not-yet-claimed live record with this digest; `false` if none is left.
    fn take(&mut self, digest: u64) -> bool {
        let p = (digest >> 48) as usize;
        let (lo, hi) = (self.starts[p] as usize, self.starts[p + 1] as usize);
        let slice = &self.entries[lo..hi];
        let mut i = lo + slice.partition_point(|(d, _)| *d < digest);
        while i < hi && self.entries[i].0 == digest {
            if !self.taken[i] {
                self.taken[i] = true;
                return true;
            }
            i += 1;
        }
        false
    }

    /// Locators of the live records nobody claimed: removed in the new snapshot. Sorted.
    fn untaken(self) -> Vec<u64> {
        let mut v: Vec<u64> = self
            .entries
            .iter()
            .zip(&self.taken)
            .filter(|(_, t)| !**t)
            .map(|((_, loc), _)| *loc)
            .collect();
        v.sort_unstable();
        v
    }
}

/// Hashes what passes through: BLAKE3 over everything (the footer checksum) and BLAKE3 of
/// each 64 KiB chunk (the chunk digests, whose Merkle root is the segment root), made from
/// the chaining values of its 4 KiB pages, which it keeps for the page file.
pub(crate) struct HashingWriter<W: Write> {
    inner: W,
    blake: blake3::Hasher,
    chunk: Vec<u8>,
    digests: Vec<u8>,
    /// The pages' chaining values of every full chunk, in order.
    pages: Vec<u8>,
    len: u64,
}

impl<W: Write> HashingWriter<W> {
    pub(crate) fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            blake: blake3::Hasher::new(),
            chunk: Vec::with_capacity(LEAF_CHUNK),
            digests: Vec::new(),
            pages: Vec::new(),
            len: 0,
        }
    }

    /// Digests the full chunk gathered and keeps its pages' chaining values.
    fn full_chunk(&mut self) {
        let (cvs, digest) = page_values(&self.chunk);
        self.pages.extend(cvs.iter().flatten());
        self.digests.extend_from_slice(&digest);
        self.chunk.clear();
    }

    /// Writes the chunk digests after the body; returns the writer, the checksum of
    /// everything written, the segment root, the bytes written (body and digests) and the
    /// pages' chaining values of the full chunks.
    #[allow(clippy::type_complexity)]
    pub(crate) fn finish(mut self) -> std::io::Result<(W, blake3::Hash, [u8; 32], u64, Vec<u8>)> {
        if !self.chunk.is_empty() {
            self.digests
                .extend_from_slice(blake3::hash(&self.chunk).as_bytes());
        }
        self.inner.write_all(&self.digests)?;
        self.blake.update(&self.digests);
        Ok((
            self.inner,
            self.blake.finalize(),
            root_of_digests(&self.digests),
            self.len + self.digests.len() as u64,
            self.pages,
        ))
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
                self.full_chunk();
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use breachcheck_core::{FieldRole, Tagger};
    use breachcheck_normalize::Normalizer;

    /// A sorted run cut short reads as ending early: the build fails, naming the postings
    /// missing, and commits nothing, rather than a segment shorter than its header.
    #[test]
    fn a_run_cut_short_fails_the_build() {
        let d = tempfile::tempdir().expect("tempdir");
        let k = SecretKey::from_bytes([4; 32]);
        let n = Normalizer::new(Tagger::new(&k), None);
        let mut b = SegmentBuilder::new(d.path(), &k, "crm", "2026-01-31", SegmentKind::System)
            .expect("builder")
            .posting_budget(1024);
        b.add_source(SourceFile {
            name: "x.csv".into(),
            sha256: String::new(),
            rows: 0,
            location: None,
        });
        for i in 0..2000u64 {
            let email = format!("u{i}@example.org");
            b.add(i + 2, &n.tag_record(&[FieldRole::Email], &[email.as_str()]));
        }
        b.finish_spill();
        assert!(!b.runs.is_empty(), "a run was spilled");
        b.runs[0]
            .0
            .set_len(RUN_POSTING as u64 * 10 + 5)
            .expect("cut");
        let err = b.commit().expect_err("a run cut short");
        let mut chain = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(s) = source {
            chain += &format!(": {s}");
            source = s.source();
        }
        assert!(chain.contains("postings where"), "{chain}");
        assert!(!d.path().join("manifest.json").exists());
    }
}
