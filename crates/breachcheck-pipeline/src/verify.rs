//! Verification as a job: a sample read, normalized and probed against an index, its
//! lines tallied, the verdict decided and the report assembled. The CLI's `verify`, the
//! server's jobs and the verdict bench all run this.
use crate::outputs::{MatchesFile, QuarantineFile};
use crate::progress::{Progress, Silent};
use crate::regions::company_phone_regions;
use crate::stream::{begin, file_name, redacted_cells, stream, tag_batch};
use crate::{Error, Result};
use breachcheck_core::{SecretKey, Tagger};
use breachcheck_export::CandidateStore;
use breachcheck_files::Outputs;
use breachcheck_index::{Index, Manifest, RecordStore};
use breachcheck_ingest::{IngestOptions, Quarantined, Sample};
use breachcheck_link::{LineMatch, Prober};
use breachcheck_normalize::country::Region;
use breachcheck_normalize::{Normalizer, TaggedRecord};
use breachcheck_report::{
    Linkage, RedactedCell, RedactedExample, Report, SampleSection, QUARANTINE_LISTED,
};
use breachcheck_verdict::Tally;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Lines per parallel tally: large enough that merging the parts costs little.
const TALLY_CHUNK: usize = 16384;
/// Index directories read ahead whatever the sample (about 20 ms of sequential reading on
/// the bench machine's disk: less than one round of random reads it saves).
const READ_AHEAD_BASE: u64 = 64 << 20;
/// And more per byte of sample: a line of about 100 bytes makes some seven lookups and
/// record reads, each through a 4 KiB directory page, so by this ratio the sample would
/// touch most of what is read ahead anyway.
const READ_AHEAD_PER_BYTE: u64 = 64;
/// Sample lines probed together (about 300 bytes each while they wait): enough that a
/// large sample walks a large index in order, small enough to stay bounded.
const PROBE_BATCH: usize = 1 << 18;

/// Receives each verified line's outcome, in line order, as batches are decided: the
/// matches CSV, or a caller's own table.
pub trait MatchSink {
    /// Line `line` (1-based, of the sample) was decided as `m`; `manifest` names the
    /// segment and source `m` points into.
    fn line(&mut self, line: u64, m: &LineMatch, manifest: &Manifest) -> Result<()>;
}

/// A verification of samples against one index, configured once (builder style) and run
/// on any number of samples.
///
/// ```no_run
/// # fn main() -> Result<(), breachcheck_pipeline::Error> {
/// use breachcheck_pipeline::Verifier;
/// let key = breachcheck_core::SecretKey::from_bytes([7; 32]);
/// let outputs = std::sync::Mutex::new(breachcheck_files::Outputs::new());
/// let report = Verifier::new(&key, "idx").run("sample.csv".as_ref(), &outputs)?;
/// println!("{}", report.verdict.class.as_str());
/// # Ok(()) }
/// ```
pub struct Verifier<'a> {
    key: &'a SecretKey,
    index: PathBuf,
    candidates: Option<PathBuf>,
    options: IngestOptions,
    region: Option<Region>,
    matches_out: Option<PathBuf>,
    quarantine_out: Option<PathBuf>,
    redacted_examples: usize,
    progress: &'a dyn Progress,
    generated_at: Option<String>,
    file_name: Option<String>,
}

impl<'a> Verifier<'a> {
    /// A verification against the index at `index`, under the company key `key`.
    pub fn new(key: &'a SecretKey, index: impl Into<PathBuf>) -> Self {
        Verifier {
            key,
            index: index.into(),
            candidates: None,
            options: IngestOptions::default(),
            region: None,
            matches_out: None,
            quarantine_out: None,
            redacted_examples: 0,
            progress: &Silent,
            generated_at: None,
            file_name: None,
        }
    }

    /// Read the index from the candidates a join beyond this machine found (see
    /// [`CandidateStore`]) instead of the index directory: the report is the one a verify
    /// against the index writes, and nothing is stated if the candidates miss a read.
    pub fn candidates(mut self, dir: Option<PathBuf>) -> Self {
        self.candidates = dir;
        self
    }

    /// How samples are read (delimiter, encoding, column map…); default: sniffed.
    pub fn options(mut self, options: IngestOptions) -> Self {
        self.options = options;
        self
    }

    /// The region of phone numbers without a country code, when the caller knows it.
    pub fn region(mut self, region: Option<Region>) -> Self {
        self.region = region;
        self
    }

    /// Also write the per-line matches CSV (locations and classes, no values) to `path`.
    pub fn matches_out(mut self, path: Option<PathBuf>) -> Self {
        self.matches_out = path;
        self
    }

    /// Also write quarantined lines' raw text to `path` (the one output that holds input
    /// values: only when a user asks).
    pub fn quarantine_out(mut self, path: Option<PathBuf>) -> Self {
        self.quarantine_out = path;
        self
    }

    /// Keep up to `n` redacted example lines per evidence class in the report.
    pub fn redacted_examples(mut self, n: usize) -> Self {
        self.redacted_examples = n;
        self
    }

    /// Where reading progress goes; default: nowhere.
    pub fn progress(mut self, progress: &'a dyn Progress) -> Self {
        self.progress = progress;
        self
    }

    /// The report's creation time (RFC 3339); default: now.
    pub fn generated_at(mut self, at: Option<String>) -> Self {
        self.generated_at = at;
        self
    }

    /// The sample's name as the report records it; default: the file's own name. The
    /// server stores an upload under a name of its own and reports the name it was sent as.
    pub fn file_name(mut self, name: Option<String>) -> Self {
        self.file_name = name;
        self
    }

    /// Cross-checks `sample`; files it writes are staged in `outputs`, for the caller to
    /// put in place with its own (all or nothing). Fails, stating nothing, when a read
    /// found the index damaged.
    pub fn run(&self, sample: &Path, outputs: &Mutex<Outputs>) -> Result<Report> {
        let mut matches = self
            .matches_out
            .as_deref()
            .map(|p| MatchesFile::create(p, outputs))
            .transpose()?;
        let report = self.run_with_sink(
            sample,
            outputs,
            matches.as_mut().map(|m| m as &mut dyn MatchSink),
        )?;
        if let Some(m) = matches {
            m.finish()?;
        }
        Ok(report)
    }

    /// [`Verifier::run`], handing every line's outcome to `sink` as well.
    pub fn run_with_sink(
        &self,
        sample_path: &Path,
        outputs: &Mutex<Outputs>,
        sink: Option<&mut dyn MatchSink>,
    ) -> Result<Report> {
        let started = std::time::Instant::now();
        let source = match &self.candidates {
            Some(dir) => Source::Candidates(CandidateStore::open(dir)?, dir.clone()),
            None => Source::Index(Index::open(&self.index)?),
        };
        let index: &dyn RecordStore = source.store();
        index.manifest().require_key(self.key)?;
        let bytes = std::fs::metadata(sample_path).map(|m| m.len()).unwrap_or(0);
        if let Source::Index(index) = &source {
            // Started before the sample is read, so that the directories arrive while it is
            // (see `Index::read_ahead_directories`); bounded by the sample's size, since a
            // small sample touches only a few of a large index's directory pages.
            let read_ahead = index.read_ahead_directories(
                READ_AHEAD_BASE.saturating_add(bytes.saturating_mul(READ_AHEAD_PER_BYTE)),
            );
            tracing::debug!(read_ahead, "directories read ahead");
            let without_pages = index.segments_without_page_files().len();
            if without_pages > 0 {
                tracing::info!(
                    segments = without_pages,
                    "segments without a page file read whole 64 KiB chunks on a cold cache: `breachcheck index upgrade` writes them"
                );
            }
        }
        let opened_s = started.elapsed().as_secs_f64();
        let sha256 =
            breachcheck_ingest::sha256_file(sample_path).map_err(|source| Error::Read {
                path: sample_path.to_owned(),
                source,
            })?;
        let sample = Sample::open(sample_path, &self.options)?;
        let sniffed_s = started.elapsed().as_secs_f64();
        let normalizer = Normalizer::new(Tagger::new(self.key), self.region)
            .with_phone_regions(company_phone_regions(index.manifest()));
        let mut qfile = self
            .quarantine_out
            .as_deref()
            .map(|p| QuarantineFile::create(p, outputs))
            .transpose()?;
        let mut run = Run {
            index,
            prober: Prober::new(index),
            fitted: false,
            tally: Tally::new(index.manifest()),
            sink,
            redacted_examples: self.redacted_examples,
            lines: Vec::new(),
            pending: Vec::new(),
            shapes: Vec::new(),
            examples: Vec::new(),
            probe_time: std::time::Duration::ZERO,
            tag_time: std::time::Duration::ZERO,
        };
        let mut quarantine: Vec<Quarantined> = Vec::new();
        let mut by_reason: BTreeMap<String, u64> = BTreeMap::new();
        begin(self.progress, "verifying", sample_path, &sample);
        let (stats, parts) = stream(
            &sample,
            self.progress,
            qfile.as_mut(),
            |batch, roles| {
                let t = std::time::Instant::now();
                let tagged = tag_batch(&normalizer, roles, &batch);
                run.tag_time += t.elapsed();
                run.lines.extend(batch.iter().map(|r| r.line));
                run.pending.extend(tagged);
                if run.redacted_examples > 0 {
                    run.shapes
                        .extend(batch.iter().map(|r| redacted_cells(roles, r)));
                }
                if run.pending.len() >= PROBE_BATCH {
                    run.flush()?;
                }
                Ok(())
            },
            |q| {
                *by_reason.entry(q.reason.code().to_owned()).or_insert(0) += 1;
                if quarantine.len() < QUARANTINE_LISTED {
                    quarantine.push(q);
                }
            },
        )?;
        run.flush()?;
        let (chunks, pages) = source.checked();
        tracing::debug!(
            opened_s,
            sniffed_s,
            streamed_s = started.elapsed().as_secs_f64(),
            normalize_seconds = run.tag_time.as_secs_f64(),
            probe_seconds = run.probe_time.as_secs_f64(),
            chunks_checked = chunks,
            pages_checked = pages,
            "verify stages (times from the start of the verify: index opened, sample hashed and sniffed, sample read and probed)"
        );
        self.progress.end();
        if let Some(q) = qfile {
            q.finish()?;
        }
        let section = SampleSection::new(
            sha256,
            self.file_name
                .clone()
                .unwrap_or_else(|| file_name(sample_path)),
            bytes,
            sample.container(),
            parts,
            stats,
            quarantine,
            by_reason,
        );
        let Run {
            prober,
            fitted,
            mut tally,
            mut examples,
            ..
        } = run;
        tally.observe(&prober);
        let at = self
            .generated_at
            .clone()
            .unwrap_or_else(crate::time::now_rfc3339);
        let mut report = Report::new(at, section, index.manifest(), &tally);
        examples.sort_by_key(|e| (std::cmp::Reverse(e.evidence), e.line));
        report.matches.redacted_examples = examples;
        if fitted {
            report.matches.linkage = Some(Linkage::new(prober.model(), |f| {
                tally.field_present[f.index()] > 0
            }));
        }
        // Nothing is stated from a damaged index: every chunk read (up to here, the last
        // read) was checked on its first read, and reads of a damaged one came back empty.
        source.damage()?;
        Ok(report)
    }
}

/// Where a verify's reads of the index come from.
enum Source {
    Index(Index),
    /// The candidates a join beyond this machine found, and their directory.
    Candidates(CandidateStore, PathBuf),
}

impl Source {
    fn store(&self) -> &dyn RecordStore {
        match self {
            Source::Index(i) => i,
            Source::Candidates(c, _) => c,
        }
    }

    /// Chunks and pages checked, for the debug log.
    fn checked(&self) -> (u64, u64) {
        match self {
            Source::Index(index) => (0..index.manifest().segments.len())
                .map(|i| index.segment(i).checked())
                .fold((0, 0), |(c, p), (a, b)| (c + a, p + b)),
            Source::Candidates(..) => (0, 0),
        }
    }

    /// Fails if a read found the index damaged, or the candidates without an answer.
    fn damage(&self) -> Result<()> {
        match self {
            Source::Index(index) => Ok(index.damage()?),
            Source::Candidates(c, dir) => match c.gaps() {
                0 => Ok(()),
                gaps => Err(Error::CandidateGaps {
                    dir: dir.clone(),
                    gaps,
                }),
            },
        }
    }
}

/// One verification's state between batches.
struct Run<'i, 's> {
    index: &'i dyn RecordStore,
    /// The first batch estimates the linkage model every later batch is scored with.
    prober: Prober<'i>,
    fitted: bool,
    tally: Tally,
    sink: Option<&'s mut dyn MatchSink>,
    redacted_examples: usize,
    /// Lines are tagged as they stream and probed in large batches (see
    /// `Prober::probe_batch`: lookups in tag order walk the index front to back).
    lines: Vec<u64>,
    pending: Vec<TaggedRecord>,
    /// Redacted shapes of pending lines, kept only when the user asked for examples.
    shapes: Vec<Vec<RedactedCell>>,
    examples: Vec<RedactedExample>,
    /// Where the time goes, for BREACHCHECK_LOG=debug.
    probe_time: std::time::Duration,
    tag_time: std::time::Duration,
}

impl Run<'_, '_> {
    /// Probes, tallies and hands out the pending lines.
    fn flush(&mut self) -> Result<()> {
        let t = std::time::Instant::now();
        let results: Vec<LineMatch> = if self.fitted {
            self.prober.probe_batch(&self.pending)
        } else {
            self.fitted = true;
            self.prober.fit_and_probe(&self.pending)
        };
        self.probe_time += t.elapsed();
        // Tallied in parallel, in fixed chunks merged in order, so that the report's sums
        // (floating point among them) do not depend on how threads shared the work.
        let manifest = self.index.manifest();
        let chunks: Vec<Tally> = self
            .pending
            .par_chunks(TALLY_CHUNK)
            .zip(results.par_chunks(TALLY_CHUNK))
            .map(|(recs, matches)| {
                let mut part = Tally::new(manifest);
                for (r, m) in recs.iter().zip(matches) {
                    part.add(r, m);
                }
                part
            })
            .collect();
        for part in chunks {
            self.tally.merge(part);
        }
        for (i, (line, m)) in self.lines.iter().zip(&results).enumerate() {
            if let Some(sink) = self.sink.as_deref_mut() {
                sink.line(*line, m, manifest)?;
            }
            if let Some(cells) = self.shapes.get_mut(i) {
                let shown = self
                    .examples
                    .iter()
                    .filter(|e| e.evidence == m.evidence)
                    .count();
                if shown < self.redacted_examples {
                    self.examples.push(RedactedExample {
                        line: *line,
                        evidence: m.evidence,
                        cells: std::mem::take(cells),
                    });
                }
            }
        }
        self.lines.clear();
        self.pending.clear();
        self.shapes.clear();
        Ok(())
    }
}
