//! The pipeline wired end to end: ingest → normalize → index, and ingest → normalize →
//! probe → tally → verdict → report. Records flow in batches that are normalized and
//! probed in parallel; memory is bounded by the batch, not the file.
use crate::{progress, time};
use anyhow::{bail, Context, Result};
use breachcheck_audit::{AuditField, AuditValues};
use breachcheck_core::{FieldRole, MatchField};
use breachcheck_core::{SecretKey, Tagger};
use breachcheck_files::{csv_field, Outputs};
use breachcheck_index::{Added, Index, SegmentBuilder, SegmentKind, SegmentMeta, SourceFile};
use breachcheck_ingest::{Event, IngestOptions, Part, Quarantined, RawRecord, Sample};
use breachcheck_link::{LineMatch, Prober};
use breachcheck_normalize::country::Region;
use breachcheck_normalize::{Normalizer, PartHints, TaggedRecord};
use breachcheck_report::{
    Linkage, RedactedCell, RedactedExample, Report, SampleSection, QUARANTINE_LISTED,
};
use breachcheck_verdict::Tally;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

/// Records per parallel batch.
const BATCH: usize = 8192;
/// Lines per parallel tally: large enough that merging the parts costs little.
const TALLY_CHUNK: usize = 16384;
/// Sample lines probed together (about 300 bytes each while they wait): enough that a
/// large sample walks a large index in order, small enough to stay bounded.
const PROBE_BATCH: usize = 1 << 18;

/// Batches read ahead of the one being processed: enough to keep the reader busy while
/// a batch is normalized, few enough that memory stays bounded by a handful of batches.
const READ_AHEAD: usize = 2;

/// Streams `sample`'s events, handing records to `on_batch` in batches (with the column
/// roles of every part announced so far, indexed by part) and quarantine entries to
/// `on_quarantine`. Returns the line accounting and the parts read. An I/O failure
/// mid-file is an error: a half-read input must not look like a whole one.
///
/// Reading (decompression, decoding, splitting cells) is sequential by nature, so it runs
/// on a thread of its own, `READ_AHEAD` batches ahead, while `on_batch` normalizes the
/// previous batch on the thread pool (on 2 cores, reading a 1M-line CSV is about 2 s of
/// one core that normalizing no longer waits for). `on_quarantine` runs on the reading
/// thread, in line order; an error from `on_batch` stops the reader.
fn stream(
    sample: &Sample,
    pb: &indicatif::ProgressBar,
    quarantine_out: Option<&mut QuarantineFile>,
    mut on_batch: impl FnMut(Vec<RawRecord>, &[PartContext]) -> Result<()>,
    on_quarantine: impl FnMut(Quarantined) + Send,
) -> Result<(breachcheck_ingest::LineStats, Vec<Part>)> {
    std::thread::scope(|scope| {
        let (tx, rx) =
            std::sync::mpsc::sync_channel::<(Vec<RawRecord>, Vec<PartContext>)>(READ_AHEAD);
        let reader = scope.spawn(move || {
            read_batches(
                sample,
                pb,
                quarantine_out,
                |batch, roles| {
                    // A closed channel means the consumer failed; its error is reported.
                    tx.send((batch, roles.to_vec()))
                        .map_err(|_| anyhow::anyhow!("processing stopped"))
                },
                on_quarantine,
            )
        });
        let mut failed = None;
        for (batch, roles) in rx.iter() {
            if let Err(e) = on_batch(batch, &roles) {
                failed = Some(e);
                break;
            }
        }
        // Dropping the receiver stops a reader that is still sending.
        drop(rx);
        let read = reader
            .join()
            .map_err(|_| anyhow::anyhow!("the reading thread panicked"))?;
        match failed {
            Some(e) => Err(e),
            None => read,
        }
    })
}

/// [`stream`]'s reading half, on the calling thread.
fn read_batches(
    sample: &Sample,
    pb: &indicatif::ProgressBar,
    mut quarantine_out: Option<&mut QuarantineFile>,
    mut on_batch: impl FnMut(Vec<RawRecord>, &[PartContext]) -> Result<()>,
    mut on_quarantine: impl FnMut(Quarantined),
) -> Result<(breachcheck_ingest::LineStats, Vec<Part>)> {
    let mut records = sample.records()?;
    if quarantine_out.is_some() {
        records.dangerous_keep_quarantined_raw();
    }
    let mut batch = Vec::with_capacity(BATCH);
    let mut parts: Vec<Part> = Vec::new();
    let mut roles: Vec<PartContext> = Vec::new();
    // Not a `for` loop: quarantined raw text is taken from `records` inside the loop.
    #[allow(clippy::while_let_on_iterator)]
    while let Some(ev) = records.next() {
        match ev {
            Event::Part(p) => {
                roles.push(PartContext {
                    roles: p.layout.roles(),
                    hints: PartHints {
                        region: p
                            .layout
                            .phone_region
                            .as_deref()
                            .and_then(breachcheck_normalize::country::region),
                        month_first: p.layout.dates_month_first,
                    },
                });
                parts.push(p);
            }
            Event::Record(r) => {
                batch.push(r);
                if batch.len() == BATCH {
                    advance(pb, records.bytes_read(), BATCH as u64);
                    on_batch(
                        std::mem::replace(&mut batch, Vec::with_capacity(BATCH)),
                        &roles,
                    )?;
                }
            }
            Event::Quarantined(q) => {
                if let Some(out) = quarantine_out.as_deref_mut() {
                    out.write(&q, records.take_quarantined_raw().as_deref())?;
                }
                on_quarantine(q)
            }
            Event::Failed { after_line } => {
                bail!(
                    "reading {} failed after line {after_line}; nothing was written",
                    sample.path().display()
                )
            }
        }
    }
    advance(pb, records.bytes_read(), batch.len() as u64);
    if !batch.is_empty() {
        on_batch(batch, &roles)?;
    }
    Ok((records.stats(), parts))
}

/// An output file streamed to a temporary file beside its destination and, when finished,
/// staged into the command's output set (`breachcheck_files::Outputs`): it appears only
/// when every output of the command was written, and not at all on a failure.
struct AtomicOutput<'o> {
    file: breachcheck_files::AtomicFile,
    outputs: &'o Mutex<Outputs>,
}

impl<'o> AtomicOutput<'o> {
    fn create(dest: &Path, outputs: &'o Mutex<Outputs>) -> Result<Self> {
        Ok(AtomicOutput {
            file: breachcheck_files::AtomicFile::create(dest)?,
            outputs,
        })
    }

    /// Writes formatted text, naming the destination on failure.
    fn write_fmt(&mut self, args: std::fmt::Arguments<'_>) -> Result<()> {
        use std::io::Write;
        self.file
            .write_fmt(args)
            .map_err(|e| self.file.write_error(e).into())
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        Ok(self.file.write_bytes(bytes)?)
    }

    fn finish(self) -> Result<()> {
        let staged = self.file.stage()?;
        self.outputs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .add(staged);
        Ok(())
    }
}

/// `--quarantine-out`: the raw text of every quarantined line, written only because the
/// user asked (the one place input values are written).
pub(crate) struct QuarantineFile<'o>(AtomicOutput<'o>);

impl<'o> QuarantineFile<'o> {
    pub(crate) fn create(dest: &Path, outputs: &'o Mutex<Outputs>) -> Result<Self> {
        let mut out = AtomicOutput::create(dest, outputs)?;
        writeln!(
            out,
            "# part\tline\treason\traw line (written because --quarantine-out was given)"
        )?;
        Ok(QuarantineFile(out))
    }

    fn write(&mut self, q: &Quarantined, raw: Option<&[u8]>) -> Result<()> {
        write!(self.0, "{}\t{}\t{}\t", q.part, q.line, q.reason.code())?;
        self.0.write_all(raw.unwrap_or(b"<not kept>"))?;
        self.0.write_all(b"\n")?;
        Ok(())
    }

    pub(crate) fn finish(self) -> Result<()> {
        self.0.finish()
    }
}

/// `--matches-out`: one CSV row per sample line
/// (`line,evidence,system,snapshot,source_file,source_row,score`), locations and classes
/// only, no values; streamed as lines are verified.
struct MatchesFile<'o>(AtomicOutput<'o>);

impl<'o> MatchesFile<'o> {
    fn create(dest: &Path, outputs: &'o Mutex<Outputs>) -> Result<Self> {
        let mut out = AtomicOutput::create(dest, outputs)?;
        writeln!(
            out,
            "line,evidence,system,snapshot,source_file,source_row,score"
        )?;
        Ok(MatchesFile(out))
    }

    fn write(
        &mut self,
        line: u64,
        m: &LineMatch,
        manifest: &breachcheck_index::Manifest,
    ) -> Result<()> {
        let best = m.best.as_ref();
        let seg = best.and_then(|b| manifest.segments.get(b.segment as usize));
        let (system, snapshot, file, row) = match (seg, best) {
            (Some(s), Some(b)) => (
                s.system.as_str(),
                s.snapshot.as_str(),
                s.sources
                    .get(b.source_file as usize)
                    .map_or("", |f| f.name.as_str()),
                b.source_row.to_string(),
            ),
            _ => ("", "", "", String::new()),
        };
        writeln!(
            self.0,
            "{line},{},{system},{snapshot},{},{row},{:.2}",
            m.evidence.as_str(),
            csv_field(file),
            best.map_or(0.0, |b| b.score)
        )?;
        Ok(())
    }
}

/// Moves a bar: by bytes when it has a length (a byte bar), else by records.
fn advance(pb: &indicatif::ProgressBar, bytes: u64, records: u64) {
    if pb.length().is_some() {
        pb.set_position(bytes);
    } else {
        pb.inc(records);
    }
}

/// A progress bar for reading `path`: bytes with ETA for a plain or compressed file,
/// a record counter for archives and workbooks (whose bytes are not counted).
fn reading_bar(show: bool, what: &str, path: &Path, sample: &Sample) -> indicatif::ProgressBar {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    match sample.container() {
        breachcheck_ingest::Container::Zip | breachcheck_ingest::Container::Ole => {
            progress::lines(show, what)
        }
        _ if size > 0 => progress::bytes(show, what, size),
        _ => progress::lines(show, what),
    }
}

/// What normalizing a part's records needs: its column roles and its dominant phone region.
#[derive(Clone)]
pub(crate) struct PartContext {
    roles: Vec<FieldRole>,
    hints: PartHints,
}

/// Normalizes and tags `r` with its part's roles and region (no roles for a part never
/// announced, which cannot happen).
fn tag(normalizer: &Normalizer, parts: &[PartContext], r: &RawRecord) -> TaggedRecord {
    match parts.get(r.part as usize) {
        Some(p) => normalizer.tag_record_in(&p.roles, &r.cells, &p.hints),
        None => normalizer.tag_record::<String>(&[], &[]),
    }
}

/// The redacted shapes of a record's cells by role (for `--redacted-examples`).
fn redacted_cells(parts: &[PartContext], r: &RawRecord) -> Vec<RedactedCell> {
    let Some(p) = parts.get(r.part as usize) else {
        return Vec::new();
    };
    p.roles
        .iter()
        .zip(&r.cells)
        .filter_map(|(role, cell)| {
            breachcheck_normalize::redact::redact(*role, cell).map(|shape| RedactedCell {
                role: role.as_str(),
                shape,
            })
        })
        .filter(|c| !c.shape.is_empty())
        .collect()
}

/// Tags a batch in parallel, in order.
fn tag_batch(
    normalizer: &Normalizer,
    parts: &[PartContext],
    batch: &[RawRecord],
) -> Vec<TaggedRecord> {
    batch
        .par_iter()
        .map(|r| tag(normalizer, parts, r))
        .collect()
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// What an index build did.
pub(crate) struct BuildSummary {
    pub records: u64,
    pub skipped_empty: u64,
    pub quarantined: u64,
    pub segment: SegmentMeta,
    pub seconds: f64,
}

impl BuildSummary {
    pub(crate) fn print(&self, system: &str, snapshot: &str) {
        outln!(
            "indexed {} records of {system} @ {snapshot} in {:.1}s ({} postings, {} bytes); {} quarantined, {} without any usable field",
            self.records, self.seconds, self.segment.postings, self.segment.bytes, self.quarantined, self.skipped_empty
        );
        if self.quarantined > 0 {
            eprintln!("warning: {} export line(s) could not be read and are not indexed; run `breachcheck inspect` on the files to see where", self.quarantined);
        }
    }
}

/// Where a build reads records from.
#[derive(Clone, Debug)]
pub(crate) enum Input {
    /// An export file of any shape ingest reads.
    File(std::path::PathBuf),
    /// Rows of a query on a live PostgreSQL database.
    Postgres {
        /// Connection URL (a password in it is never recorded).
        url: String,
        /// The SELECT whose rows are indexed.
        query: String,
    },
}

/// Adds one snapshot of one system (or a canary set) to the index at `dir`. `recipe` (the
/// column map and options, no values) is kept in the manifest for `index rekey`; when
/// `expected` is given, each input must hash to the listed SHA-256 (a rebuild of the same
/// data). When the recipe says `"audit": true`, the segment also gets its audit set
/// (see [`AuditSetBuilder`]).
#[allow(clippy::too_many_arguments)]
pub(crate) fn build(
    key: &SecretKey,
    dir: &Path,
    system: &str,
    snapshot: &str,
    kind: SegmentKind,
    inputs: &[Input],
    opts: &IngestOptions,
    region: Option<Region>,
    recipe: serde_json::Value,
    expected: Option<&[String]>,
    show_progress: bool,
) -> Result<BuildSummary> {
    let start = std::time::Instant::now();
    let normalizer = Normalizer::new(Tagger::new(key), region);
    let mut builder = SegmentBuilder::new(dir, key, system, snapshot, kind)?;
    let mut audit = (recipe["audit"] == true)
        .then(|| AuditSetBuilder::new(key))
        .transpose()?;
    builder.set_recipe(recipe);
    let (mut skipped, mut quarantined) = (0u64, 0u64);
    // A normalized batch waiting to be added to the segment (lines and tags).
    let mut pending: Option<(Vec<u64>, Vec<TaggedRecord>)> = None;
    for (i, input) in inputs.iter().enumerate() {
        let spooled;
        let (path, name, location) = match input {
            Input::File(path) => (
                path.as_path(),
                file_name(path),
                std::fs::canonicalize(path)
                    .ok()
                    .map(|p| p.display().to_string()),
            ),
            Input::Postgres { url, query } => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
                spooled = crate::source_pg::spool(url, query, dir)?;
                (
                    spooled.file.path(),
                    spooled.name.clone(),
                    Some(spooled.location.clone()),
                )
            }
        };
        let sha256 = breachcheck_ingest::sha256_file(path)
            .with_context(|| format!("cannot hash {}", path.display()))?;
        if let Some(want) = expected.and_then(|e| e.get(i)) {
            if *want != sha256 {
                bail!(
                    "{name} is no longer what was indexed (SHA-256 differs); rebuilding would not reproduce {system} @ {snapshot}"
                );
            }
        }
        let sample = Sample::open(path, opts)?;
        let pb = reading_bar(
            show_progress,
            &format!("indexing {system} @ {snapshot}: {name}"),
            path,
            &sample,
        );
        builder.add_source(SourceFile {
            name,
            sha256,
            rows: 0,
            location,
        });
        stream(
            &sample,
            &pb,
            None,
            |batch, roles| {
                let Some(audit) = audit.as_mut() else {
                    // The previous batch goes into the segment (sequential) while this one
                    // is normalized, so the pool does not wait for the builder.
                    let previous = pending.take();
                    let (tagged, ()) = rayon::join(
                        || tag_batch(&normalizer, roles, &batch),
                        || {
                            if let Some((lines, tagged)) = previous {
                                skipped += add_tagged(&mut builder, &lines, &tagged);
                            }
                        },
                    );
                    pending = Some((batch.iter().map(|r| r.line).collect(), tagged));
                    return Ok(());
                };
                let observed = audit_batch(&normalizer, roles, &batch, true);
                let mut stored = AuditValues::default();
                for (r, (t, values)) in batch.iter().zip(observed) {
                    match builder.add_record(r.line, &t) {
                        Added::Empty => skipped += 1,
                        Added::Carried => {}
                        Added::Stored => stored.extend(values),
                    }
                }
                audit.add(&stored)
            },
            |_| quarantined += 1,
        )?;
        if let Some((lines, tagged)) = pending.take() {
            skipped += add_tagged(&mut builder, &lines, &tagged);
        }
        pb.finish_and_clear();
    }
    if builder.is_empty() {
        bail!("no record could be indexed from the given files: no column was recognised or every line was quarantined; check them with `breachcheck inspect` and name columns with --map COLUMN=ROLE");
    }
    let records = builder.len() as u64;
    if let Some(audit) = audit {
        let (filter, meta) = audit.finish();
        builder.set_audit(filter, meta);
    }
    let segment = builder.commit()?;
    Ok(BuildSummary {
        records,
        skipped_empty: skipped,
        quarantined,
        segment,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// The audit set of an existing segment (`index add-audit`): its sources re-read (each
/// must hash to `expected`), every record tagged as the build tagged it, and the values of
/// the records the segment stores — those whose content digest is among `stored`, which
/// is used up — evaluated as `index build --audit` would have. `spool_dir` takes a
/// database source's spool file (the index directory, whose next writer removes a
/// leftover one).
#[allow(clippy::too_many_arguments)]
pub(crate) fn audit_set_from_sources(
    key: &SecretKey,
    inputs: &[Input],
    opts: &IngestOptions,
    region: Option<Region>,
    expected: &[String],
    stored: &mut std::collections::HashMap<u64, u32>,
    spool_dir: &Path,
    what: &str,
) -> Result<(Vec<u8>, breachcheck_index::AuditSetMeta)> {
    let normalizer = Normalizer::new(Tagger::new(key), region);
    let mut audit = AuditSetBuilder::new(key)?;
    for (i, input) in inputs.iter().enumerate() {
        let spooled;
        let (path, name) = match input {
            Input::File(path) => (path.as_path(), file_name(path)),
            Input::Postgres { url, query } => {
                spooled = crate::source_pg::spool(url, query, spool_dir)?;
                (spooled.file.path(), spooled.name.clone())
            }
        };
        let sha256 = breachcheck_ingest::sha256_file(path)
            .with_context(|| format!("cannot hash {}", path.display()))?;
        if expected.get(i) != Some(&sha256) {
            bail!("{name} is no longer what was indexed (SHA-256 differs): the audit set of {what} cannot be made from it");
        }
        let sample = Sample::open(path, opts)?;
        let pb = reading_bar(true, &format!("audit set of {what}: {name}"), path, &sample);
        stream(
            &sample,
            &pb,
            None,
            |batch, roles| {
                let mut values = AuditValues::default();
                for (t, v) in audit_batch(&normalizer, roles, &batch, true) {
                    if t.is_empty() {
                        continue;
                    }
                    let d = breachcheck_index::RecordRow::digest_of(&t);
                    if let Some(n) = stored.get_mut(&d).filter(|n| **n > 0) {
                        *n -= 1;
                        values.extend(v);
                    }
                }
                audit.add(&values)
            },
            |_| {},
        )?;
        pb.finish_and_clear();
    }
    if stored.values().any(|n| *n > 0) {
        bail!("the recorded sources no longer give every record {what} stores (were they rewritten with the same bytes under other settings?); its audit set is not made");
    }
    Ok(audit.finish())
}

/// Adds a normalized batch (with its source lines) to the segment; returns how many
/// records were empty and skipped.
fn add_tagged(builder: &mut SegmentBuilder, lines: &[u64], tagged: &[TaggedRecord]) -> u64 {
    let mut skipped = 0;
    for (line, t) in lines.iter().zip(tagged) {
        if !builder.add(*line, t) {
            skipped += 1;
        }
    }
    skipped
}

/// A batch's audit values (see [`audit_values`]) in parallel, in order, with each
/// record's tags when `tag` (an index build) and without (an auditor's sample).
fn audit_batch(
    normalizer: &Normalizer,
    parts: &[PartContext],
    batch: &[RawRecord],
    tag: bool,
) -> Vec<(TaggedRecord, AuditValues)> {
    batch
        .par_iter()
        .map(|r| audit_values(normalizer, parts, r, tag))
        .collect()
}

/// Collects the canonical values an audit evaluates — e-mail, phone and name + street
/// address, exactly as verify canonicalizes them — and, when `tag`, tags the record.
fn audit_values(
    normalizer: &Normalizer,
    parts: &[PartContext],
    r: &RawRecord,
    tag: bool,
) -> (TaggedRecord, AuditValues) {
    let mut values = AuditValues::default();
    let Some(p) = parts.get(r.part as usize) else {
        return (normalizer.tag_record::<String>(&[], &[]), values);
    };
    let (mut name, mut address) = (None, None);
    let mut observe = |f: MatchField, v: &str| match f {
        MatchField::Email => values.push(AuditField::Email, v),
        MatchField::Phone => values.push(AuditField::Phone, v),
        MatchField::Name => name = Some(v.to_owned()),
        MatchField::Address => address = Some(v.to_owned()),
        _ => {}
    };
    let t = if tag {
        normalizer.tag_record_observed(&p.roles, &r.cells, &p.hints, &mut observe)
    } else {
        normalizer.observe_record(&p.roles, &r.cells, &p.hints, &mut observe);
        TaggedRecord::default()
    };
    if let (Some(n), Some(a)) = (name, address) {
        values.push(AuditField::NameAddress, &format!("{n}\0{a}"));
    }
    (t, values)
}

/// The audit set of one segment, built as records stream: OPRF evaluations of the stored
/// records' values, kept as 8-byte identities (24 bytes per record at most) until the
/// set filter is written.
pub(crate) struct AuditSetBuilder {
    key: breachcheck_audit::oprf::AuditKey,
    ids: [Vec<u64>; 3],
}

impl AuditSetBuilder {
    pub(crate) fn new(key: &SecretKey) -> Result<Self> {
        let seed = key.derive_subkey(breachcheck_audit::oprf::SEED_CONTEXT);
        Ok(AuditSetBuilder {
            key: breachcheck_audit::oprf::AuditKey::derive(&seed)?,
            ids: Default::default(),
        })
    }

    fn add(&mut self, values: &AuditValues) -> Result<()> {
        for f in AuditField::ALL {
            let ids = self.key.evaluate_inputs(values.inputs(f))?;
            self.ids[f as usize].extend(ids);
        }
        Ok(())
    }

    fn finish(mut self) -> (Vec<u8>, breachcheck_index::AuditSetMeta) {
        // One vector of every identity, each field's moved in and freed in turn: at 100M
        // records the identities are 1.6 GB, and the filter is made from them in place.
        let mut counts = [0u64; 3];
        for (i, ids) in self.ids.iter_mut().enumerate() {
            ids.sort_unstable();
            ids.dedup();
            counts[i] = ids.len() as u64;
        }
        let mut all = Vec::with_capacity(counts.iter().sum::<u64>() as usize);
        for ids in &mut self.ids {
            all.append(ids);
            *ids = Vec::new();
        }
        let filter = breachcheck_audit::gcs::encode_owned(all);
        let meta = breachcheck_index::AuditSetMeta {
            file: String::new(),
            sha256: String::new(),
            bytes: 0,
            suite: breachcheck_audit::oprf::SUITE.into(),
            oprf_public_key: breachcheck_core::hex(&self.key.public_key()),
            email: counts[0],
            phone: counts[1],
            name_address: counts[2],
        };
        (filter, meta)
    }
}

/// [`company_phone_regions`] as ISO alpha-2 codes: what `audit serve` announces, the log
/// states and `index info` shows, so an auditor reads phone numbers as verify does.
pub(crate) fn company_phone_region_codes(manifest: &breachcheck_index::Manifest) -> Vec<String> {
    company_phone_regions(manifest)
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// `parts` with every column that no field of `fields` reads set aside
/// ([`Normalizer::roles_read`]): the values of `fields` come out the same, and the rest
/// are not canonicalized at all.
fn parts_for(parts: &[PartContext], fields: &[AuditField]) -> Vec<PartContext> {
    let read: Vec<FieldRole> = fields
        .iter()
        .flat_map(|f| f.match_fields())
        .flat_map(|m| Normalizer::roles_read(*m))
        .copied()
        .collect();
    parts
        .iter()
        .map(|p| PartContext {
            roles: p
                .roles
                .iter()
                .map(|r| {
                    if read.contains(r) {
                        *r
                    } else {
                        FieldRole::Ignore
                    }
                })
                .collect(),
            hints: p.hints,
        })
        .collect()
}

/// The auditor's side of reading a sample: the distinct canonical values of `fields`
/// (e-mails, phones, name + address pairs) in `sample_path`, canonicalized exactly as
/// `verify` does (no tags are made: the auditor has no company key; the normalizer's key
/// is a random one that nothing uses); columns no field reads are skipped. Returns them
/// and the number of records read.
pub(crate) fn audit_sample_values(
    sample_path: &Path,
    opts: &IngestOptions,
    region: Option<Region>,
    phone_regions: Vec<Region>,
    fields: &[AuditField],
    show_progress: bool,
) -> Result<(AuditValues, u64)> {
    let sample = Sample::open(sample_path, opts)?;
    let mut throwaway = [0u8; 32];
    rand::TryRngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut throwaway[..])
        .context("the operating system's random source failed")?;
    // The company's phone regions, as verify reads the sample with them: the same
    // canonical values, so the audit's counts are verify's exact values.
    let normalizer = Normalizer::new(Tagger::new(&SecretKey::from_bytes(throwaway)), region)
        .with_phone_regions(phone_regions);
    let mut values = AuditValues::default();
    let mut records = 0u64;
    let pb = reading_bar(show_progress, "reading", sample_path, &sample);
    stream(
        &sample,
        &pb,
        None,
        |batch, roles| {
            records += batch.len() as u64;
            for (_, v) in audit_batch(&normalizer, &parts_for(roles, fields), &batch, false) {
                values.extend(v);
            }
            Ok(())
        },
        |_| {},
    )?;
    pb.finish_and_clear();
    values.retain(fields);
    values.dedup();
    Ok((values, records))
}

/// Writes the blocking tags of every line of `sample_path` (first 40 bits, the form
/// `index export` publishes) to a Parquet file with columns `line` and `tag`, for joins in
/// other engines. Returns the number of rows written.
pub(crate) fn sample_tags(
    key: &SecretKey,
    sample_path: &Path,
    opts: &IngestOptions,
    region: Option<Region>,
    out: &Path,
    show_progress: bool,
) -> Result<u64> {
    let sample = Sample::open(sample_path, opts)?;
    let normalizer = Normalizer::new(Tagger::new(key), region);
    let mut file = breachcheck_export::TagFile::create(out, "line", "tag")?;
    let pb = reading_bar(show_progress, "tagging", sample_path, &sample);
    stream(
        &sample,
        &pb,
        None,
        |batch, roles| {
            let tagged = tag_batch(&normalizer, roles, &batch);
            for (r, t) in batch.iter().zip(&tagged) {
                for (_, tag) in &t.blocks {
                    file.push(r.line as i64, (tag.0 >> 24) as i64)?;
                }
            }
            Ok(())
        },
        |_| {},
    )?;
    pb.finish_and_clear();
    Ok(file.finish()?)
}

/// Cross-checks `sample_path` against the index at `dir`; also writes one CSV row per
/// sample line to `matches_out` when given. Files it writes are staged in `outputs`, for
/// the caller to put in place with its own (all or nothing). Fails, stating nothing, when
/// a read found the index damaged.
#[allow(clippy::too_many_arguments)]
pub(crate) fn verify(
    key: &SecretKey,
    dir: &Path,
    sample_path: &Path,
    opts: &IngestOptions,
    region: Option<Region>,
    show_progress: bool,
    matches_out: Option<&Path>,
    quarantine_out: Option<&Path>,
    redacted_examples: usize,
    outputs: &Mutex<Outputs>,
) -> Result<Report> {
    let index = Index::open(dir)?;
    index.require_key(key)?;
    let sha256 = breachcheck_ingest::sha256_file(sample_path)
        .with_context(|| format!("cannot read {}", sample_path.display()))?;
    let bytes = std::fs::metadata(sample_path).map(|m| m.len()).unwrap_or(0);
    let sample = Sample::open(sample_path, opts)?;
    let normalizer = Normalizer::new(Tagger::new(key), region)
        .with_phone_regions(company_phone_regions(index.manifest()));
    // The first batch estimates the linkage model every later batch is scored with.
    let prober = std::cell::RefCell::new(Prober::new(&index));
    let fitted = std::cell::Cell::new(false);
    let mut tally = Tally::new(index.manifest());
    let mut quarantine = Vec::new();
    let mut by_reason: BTreeMap<String, u64> = BTreeMap::new();
    let mut matches_file = matches_out
        .map(|p| MatchesFile::create(p, outputs))
        .transpose()?;
    let pb = reading_bar(show_progress, "verifying", sample_path, &sample);
    let mut qfile = quarantine_out
        .map(|p| QuarantineFile::create(p, outputs))
        .transpose()?;
    // Lines are tagged as they stream and probed in large batches (see
    // `Prober::probe_batch`: lookups in tag order walk the index front to back).
    let mut lines: Vec<u64> = Vec::new();
    let mut pending: Vec<TaggedRecord> = Vec::new();
    // Redacted shapes of pending lines, kept only when the user asked for examples.
    let mut shapes: Vec<Vec<RedactedCell>> = Vec::new();
    let mut examples: Vec<RedactedExample> = Vec::new();
    // Where the time goes, for BREACHCHECK_LOG=debug.
    let (probe_time, tag_time) = (
        std::cell::Cell::new(std::time::Duration::ZERO),
        std::cell::Cell::new(std::time::Duration::ZERO),
    );
    let flush = |lines: &mut Vec<u64>,
                 pending: &mut Vec<TaggedRecord>,
                 shapes: &mut Vec<Vec<RedactedCell>>,
                 examples: &mut Vec<RedactedExample>,
                 tally: &mut Tally,
                 matches_file: &mut Option<MatchesFile>|
     -> Result<()> {
        let t = std::time::Instant::now();
        let results: Vec<LineMatch> = if fitted.replace(true) {
            prober.borrow().probe_batch(pending)
        } else {
            prober.borrow_mut().fit_and_probe(pending)
        };
        probe_time.set(probe_time.get() + t.elapsed());
        // Tallied in parallel, in fixed chunks merged in order, so that the report's sums
        // (floating point among them) do not depend on how threads shared the work.
        let chunks: Vec<Tally> = pending
            .par_chunks(TALLY_CHUNK)
            .zip(results.par_chunks(TALLY_CHUNK))
            .map(|(recs, matches)| {
                let mut part = Tally::new(index.manifest());
                for (r, m) in recs.iter().zip(matches) {
                    part.add(r, m);
                }
                part
            })
            .collect();
        for part in chunks {
            tally.merge(part);
        }
        for (i, (line, m)) in lines.iter().zip(&results).enumerate() {
            if let Some(f) = matches_file.as_mut() {
                f.write(*line, m, index.manifest())?;
            }
            if let Some(cells) = shapes.get_mut(i) {
                let shown = examples.iter().filter(|e| e.evidence == m.evidence).count();
                if shown < redacted_examples {
                    examples.push(RedactedExample {
                        line: *line,
                        evidence: m.evidence,
                        cells: std::mem::take(cells),
                    });
                }
            }
        }
        lines.clear();
        pending.clear();
        shapes.clear();
        Ok(())
    };
    let (stats, parts) = stream(
        &sample,
        &pb,
        qfile.as_mut(),
        |batch, roles| {
            let t = std::time::Instant::now();
            let tagged = tag_batch(&normalizer, roles, &batch);
            tag_time.set(tag_time.get() + t.elapsed());
            lines.extend(batch.iter().map(|r| r.line));
            pending.extend(tagged);
            if redacted_examples > 0 {
                shapes.extend(batch.iter().map(|r| redacted_cells(roles, r)));
            }
            if pending.len() >= PROBE_BATCH {
                flush(
                    &mut lines,
                    &mut pending,
                    &mut shapes,
                    &mut examples,
                    &mut tally,
                    &mut matches_file,
                )?;
            }
            Ok(())
        },
        |q| {
            *by_reason.entry(reason_key(&q)).or_insert(0) += 1;
            if quarantine.len() < QUARANTINE_LISTED {
                quarantine.push(q);
            }
        },
    )?;
    flush(
        &mut lines,
        &mut pending,
        &mut shapes,
        &mut examples,
        &mut tally,
        &mut matches_file,
    )?;
    tracing::debug!(
        normalize_seconds = tag_time.get().as_secs_f64(),
        probe_seconds = probe_time.get().as_secs_f64(),
        "verify stages"
    );
    pb.finish_and_clear();
    if let Some(q) = qfile {
        q.finish()?;
    }
    if let Some(f) = matches_file {
        f.0.finish()?;
    }
    let section = SampleSection::new(
        sha256,
        file_name(sample_path),
        bytes,
        sample.container(),
        parts,
        stats,
        quarantine,
        by_reason,
    );
    tally.observe(&prober.borrow());
    let mut report = Report::new(time::now_rfc3339(), section, index.manifest(), &tally);
    examples.sort_by_key(|e| (std::cmp::Reverse(e.evidence), e.line));
    report.matches.redacted_examples = examples;
    if fitted.get() {
        report.matches.linkage = Some(Linkage::new(prober.borrow().model(), |f| {
            tally.field_present[f.index()] > 0
        }));
    }
    // Nothing is stated from a damaged index: every chunk read (up to here, the last
    // read) was checked on its first read, and reads of a damaged one came back empty.
    index.damage()?;
    Ok(report)
}

/// The regions of the company's customers' phone numbers, most common first (those
/// holding at least 1% of the numbers), from the index's segment profiles: where a
/// national-format number of a sample line without a country most plausibly belongs.
pub(crate) fn company_phone_regions(manifest: &breachcheck_index::Manifest) -> Vec<Region> {
    let mut codes: BTreeMap<u16, u64> = BTreeMap::new();
    for s in manifest
        .segments
        .iter()
        .filter(|s| s.kind == breachcheck_index::SegmentKind::System)
    {
        for (code, n) in &s.profile.phone_codes {
            *codes.entry(*code).or_insert(0) += n;
        }
    }
    breachcheck_normalize::phone::regions_of_codes(&codes, 0.01)
}

/// Which system snapshots have an audit set, and the OPRF public key when they all share
/// one (what an auditor pins).
fn audit_status(m: &breachcheck_index::Manifest) -> serde_json::Value {
    let systems: Vec<&SegmentMeta> = m
        .segments
        .iter()
        .filter(|s| s.kind == SegmentKind::System)
        .collect();
    let keys: Vec<&str> = systems
        .iter()
        .filter_map(|s| s.audit.as_ref().map(|a| a.oprf_public_key.as_str()))
        .collect();
    let shared = keys.first().filter(|k| keys.iter().all(|o| o == *k));
    serde_json::json!({
        "system_snapshots": systems.len(),
        "snapshots_with_set": keys.len(),
        "oprf_public_key": shared,
    })
}

fn reason_key(q: &Quarantined) -> String {
    q.reason.code().to_owned()
}

/// `breachcheck inspect`: layout and line accounting of a file, never values.
pub(crate) fn inspect(
    path: &Path,
    opts: &IngestOptions,
    json: bool,
    quarantine_out: Option<&Path>,
) -> Result<()> {
    let sample = Sample::open(path, opts)?;
    let mut by_reason: BTreeMap<String, u64> = BTreeMap::new();
    let mut first_lines: Vec<(u32, u64)> = Vec::new();
    let pb = reading_bar(!json, "reading", path, &sample);
    let outputs = Mutex::new(Outputs::new());
    let mut qfile = quarantine_out
        .map(|p| QuarantineFile::create(p, &outputs))
        .transpose()?;
    let (stats, parts) = stream(
        &sample,
        &pb,
        qfile.as_mut(),
        |_, _| Ok(()),
        |q| {
            *by_reason.entry(reason_key(&q)).or_insert(0) += 1;
            if first_lines.len() < 20 {
                first_lines.push((q.part, q.line));
            }
        },
    )?;
    pb.finish_and_clear();
    if let Some(q) = qfile {
        q.finish()?;
    }
    outputs
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .commit()?;
    if json {
        let v = serde_json::json!({
            "schema": "breachcheck.inspect/v1",
            "file": file_name(path),
            "container": sample.container(),
            "parts": parts,
            "lines": stats,
            "quarantine_by_reason": by_reason,
            "quarantined_first": first_lines.iter().map(|(p, l)| serde_json::json!({"part": p, "line": l})).collect::<Vec<_>>(),
        });
        outln!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    outln!("file:      {}", file_name(path));
    outln!("container: {:?}", sample.container());
    for p in &parts {
        let l = &p.layout;
        outln!("part {}: {}", p.index, p.name);
        outln!(
            "  encoding: {} (confidence {:.2})",
            l.encoding,
            l.encoding_confidence
        );
        outln!(
            "  format:   {}, header {}",
            l.format,
            if l.has_header { "yes" } else { "no" }
        );
        outln!("  columns:");
        for c in &l.columns {
            let note = if c.confidence < 0.6 {
                "  (low confidence: confirm with --map)"
            } else {
                ""
            };
            outln!(
                "    {:>3}  {:<14} confidence {:.2}  from {:<7}  filled {:>5.1}%{note}",
                c.position,
                c.role.as_str(),
                c.confidence,
                format!("{:?}", c.source).to_lowercase(),
                100.0 * c.fill_rate
            );
        }
    }
    outln!(
        "lines:     {} total = {} records + {} quarantined + {} header + {} blank + {} continuation",
        stats.lines_total, stats.records, stats.quarantined, stats.header_lines, stats.blank_lines, stats.continuation_lines
    );
    for (r, n) in &by_reason {
        outln!("  quarantined {r}: {n}");
    }
    if !first_lines.is_empty() {
        let list: Vec<String> = first_lines
            .iter()
            .map(|(p, l)| format!("{l} (part {p})"))
            .collect();
        outln!("  first quarantined lines: {}", list.join(", "));
    }
    Ok(())
}

/// `breachcheck index info`.
pub(crate) fn info(dir: &Path, json: bool) -> Result<()> {
    let index = Index::open(dir)?;
    let m = index.manifest();
    if json {
        let systems: Vec<_> = m
            .systems()
            .into_iter()
            .map(|name| {
                let snaps: Vec<_> = m
                    .segments
                    .iter()
                    .filter(|s| s.kind == SegmentKind::System && s.system == name)
                    .map(|s| serde_json::json!({"snapshot": s.snapshot, "records": s.live, "stored": s.records, "removed": s.removed, "postings": s.postings, "bytes": s.bytes, "sources": s.sources, "audit_set": s.audit.as_ref().map(|a| serde_json::json!({"sha256": a.sha256, "bytes": a.bytes, "email": a.email, "phone": a.phone, "name_address": a.name_address}))}))
                    .collect();
                serde_json::json!({"name": name, "snapshots": snaps})
            })
            .collect();
        let canaries: Vec<_> = m
            .segments
            .iter()
            .filter(|s| s.kind == SegmentKind::Canary)
            .map(|s| serde_json::json!({"system": s.system, "planted": s.snapshot, "records": s.records}))
            .collect();
        let references: Vec<_> = m
            .segments
            .iter()
            .filter(|s| s.kind == SegmentKind::Reference)
            .map(
                |s| serde_json::json!({"name": s.system, "date": s.snapshot, "records": s.records}),
            )
            .collect();
        let v = serde_json::json!({
            "schema": "breachcheck.index-info/v1",
            "format": m.format,
            "rules_version": m.rules_version,
            "key_fingerprint": m.key_fingerprint,
            "systems": systems,
            "canaries": canaries,
            "references": references,
            "bytes": m.segments.iter().map(|s| s.bytes).sum::<u64>(),
            "segments": m.segments.len(),
            "audit": audit_status(m),
            "phone_regions": company_phone_region_codes(m),
            "commitment": m.commitment,
        });
        outln!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    outln!("index:           {}", dir.display());
    outln!("format:          {}", m.format);
    outln!("rules version:   {}", m.rules_version);
    outln!("key fingerprint: {}", m.key_fingerprint);
    for name in m.systems() {
        outln!("system {name}:");
        for s in m
            .segments
            .iter()
            .filter(|s| s.kind == SegmentKind::System && s.system == name)
        {
            outln!(
                "  {}  {:>10} records ({} stored as new or changed, {} removed)  {:>12} bytes",
                s.snapshot,
                s.live,
                s.records,
                s.removed,
                s.bytes
            );
        }
    }
    for s in m
        .segments
        .iter()
        .filter(|s| s.kind == SegmentKind::Reference)
    {
        outln!(
            "reference corpus {} ({}): {} records",
            s.system,
            s.snapshot,
            s.records
        );
    }
    for s in m.segments.iter().filter(|s| s.kind == SegmentKind::Canary) {
        outln!(
            "canaries planted in {} on {}: {} records",
            s.system,
            s.snapshot,
            s.records
        );
    }
    let audit = audit_status(m);
    let (with, of) = (
        audit["snapshots_with_set"].as_u64().unwrap_or(0),
        audit["system_snapshots"].as_u64().unwrap_or(0),
    );
    match audit["oprf_public_key"].as_str() {
        Some(pk) if with == of && of > 0 => {
            outln!("audit sets:      every system snapshot ({of}); OPRF public key {pk}")
        }
        _ if with == 0 => outln!(
            "audit sets:      none (add them with `breachcheck index add-audit`; needed for `audit serve`)"
        ),
        _ => outln!(
            "audit sets:      {with} of {of} system snapshots (add the rest with `breachcheck index add-audit`)"
        ),
    }
    outln!(
        "commitment:      {} ({} records, {} canaries, {} segments)",
        m.commitment.root,
        m.commitment.records,
        m.commitment.canaries,
        m.commitment.segments
    );
    Ok(())
}
