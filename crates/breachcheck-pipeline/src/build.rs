//! An index build as a job: one snapshot of one system (or a canary or reference set)
//! read from export files or a database query, normalized, and committed as a segment.
use crate::audit_sets::audit_batch;
use crate::progress::{Progress, Silent};
use crate::stream::{begin, file_name, stream, tag_batch};
use crate::{Error, Result};
use breachcheck_audit::AuditSetBuilder;
use breachcheck_audit::AuditValues;
use breachcheck_core::{SecretKey, Tagger};
use breachcheck_index::{Added, SegmentBuilder, SegmentKind, SegmentMeta, SourceFile};
use breachcheck_ingest::{IngestOptions, Sample};
use breachcheck_normalize::country::Region;
use breachcheck_normalize::{Normalizer, TaggedRecord};
use std::path::{Path, PathBuf};

/// Where a build reads records from.
#[derive(Clone, Debug)]
pub enum Input {
    /// An export file of any shape ingest reads.
    File(PathBuf),
    /// Rows of a query on a live PostgreSQL database.
    Postgres {
        /// Connection URL (a password in it is never recorded).
        url: String,
        /// The SELECT whose rows are indexed.
        query: String,
    },
}

impl Input {
    /// The inputs a segment was built from, as its manifest entry records them (a file's
    /// location, or a database URL with the recipe's query): what `index rekey` and
    /// `index add-audit` read again. Fails when a source has no recorded location.
    pub fn recorded(seg: &breachcheck_index::SegmentMeta) -> Result<Vec<Input>> {
        let query = seg
            .recipe
            .as_ref()
            .and_then(breachcheck_index::Recipe::query)
            .map(str::to_owned);
        seg.sources
            .iter()
            .map(|src| {
                let cannot = |why: &str| Error::NotRereadable {
                    what: format!("{} @ {}", seg.system, seg.snapshot),
                    source_name: src.name.clone(),
                    why: why.into(),
                };
                let loc = src
                    .location
                    .as_ref()
                    .ok_or_else(|| cannot("it has no recorded location"))?;
                if loc.starts_with("postgres://") {
                    let query = query
                        .clone()
                        .ok_or_else(|| cannot("it is a database without its query"))?;
                    Ok(Input::Postgres {
                        url: loc.clone(),
                        query,
                    })
                } else {
                    Ok(Input::File(PathBuf::from(loc)))
                }
            })
            .collect()
    }
}

/// An input made readable: a file path (a database query's rows spooled to a temporary
/// file, removed when this is dropped), its name for the manifest and where it came from.
pub(crate) struct Opened {
    path: PathBuf,
    pub(crate) name: String,
    location: Option<String>,
    _spool: Option<tempfile::NamedTempFile>,
}

impl Opened {
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Input {
    /// Opens the input; a database query is spooled into `spool_dir`.
    pub(crate) fn open(&self, spool_dir: &Path) -> Result<Opened> {
        match self {
            Input::File(path) => Ok(Opened {
                path: path.clone(),
                name: file_name(path),
                location: std::fs::canonicalize(path)
                    .ok()
                    .map(|p| p.display().to_string()),
                _spool: None,
            }),
            #[cfg(feature = "postgres")]
            Input::Postgres { url, query } => {
                std::fs::create_dir_all(spool_dir).map_err(|source| Error::CreateDir {
                    path: spool_dir.to_owned(),
                    source,
                })?;
                let spooled = crate::source_pg::spool(url, query, spool_dir)?;
                Ok(Opened {
                    path: spooled.file.path().to_owned(),
                    name: spooled.name,
                    location: Some(spooled.location),
                    _spool: Some(spooled.file),
                })
            }
            #[cfg(not(feature = "postgres"))]
            Input::Postgres { .. } => {
                let _ = spool_dir;
                Err(Error::Database(
                    "this build of breachcheck reads no database (feature `postgres` off)".into(),
                ))
            }
        }
    }
}

/// What an index build did.
#[derive(Debug)]
pub struct BuildSummary {
    /// Records the segment holds.
    pub records: u64,
    /// Lines without any usable field, not indexed.
    pub skipped_empty: u64,
    /// Lines quarantined by ingest.
    pub quarantined: u64,
    /// The committed segment.
    pub segment: SegmentMeta,
    /// Wall time of the build.
    pub seconds: f64,
}

/// One snapshot of one system (or a canary set, or a reference corpus) added to an index.
pub struct IndexJob<'a> {
    key: &'a SecretKey,
    dir: PathBuf,
    system: String,
    snapshot: String,
    kind: SegmentKind,
    inputs: Vec<Input>,
    options: IngestOptions,
    region: Option<Region>,
    recipe: Option<breachcheck_index::Recipe>,
    expected: Option<Vec<String>>,
    progress: &'a dyn Progress,
}

impl<'a> IndexJob<'a> {
    /// A build of `system @ snapshot` into the index at `dir` under `key` (a system
    /// snapshot unless [`IndexJob::kind`] says otherwise).
    pub fn new(
        key: &'a SecretKey,
        dir: impl Into<PathBuf>,
        system: impl Into<String>,
        snapshot: impl Into<String>,
    ) -> Self {
        IndexJob {
            key,
            dir: dir.into(),
            system: system.into(),
            snapshot: snapshot.into(),
            kind: SegmentKind::System,
            inputs: Vec::new(),
            options: IngestOptions::default(),
            region: None,
            recipe: Some(breachcheck_index::Recipe::default()),
            expected: None,
            progress: &Silent,
        }
    }

    /// What the segment holds: a system snapshot, canaries or a reference corpus.
    pub fn kind(mut self, kind: SegmentKind) -> Self {
        self.kind = kind;
        self
    }

    /// The inputs, read in order.
    pub fn inputs(mut self, inputs: Vec<Input>) -> Self {
        self.inputs = inputs;
        self
    }

    /// How inputs are read; default: sniffed.
    pub fn options(mut self, options: IngestOptions) -> Self {
        self.options = options;
        self
    }

    /// The region of phone numbers without a country code.
    pub fn region(mut self, region: Option<Region>) -> Self {
        self.region = region;
        self
    }

    /// The recipe kept in the manifest for `index rekey` (the column map and options, no
    /// values); one whose `audit()` is true also builds the segment's audit set. Default:
    /// an empty recipe (`{}`); `None` keeps none (a rebuild of a segment that had none).
    pub fn recipe(mut self, recipe: impl Into<Option<breachcheck_index::Recipe>>) -> Self {
        self.recipe = recipe.into();
        self
    }

    /// Each input must hash to the listed SHA-256 (a rebuild of the same data).
    pub fn expected(mut self, sha256: Option<Vec<String>>) -> Self {
        self.expected = sha256;
        self
    }

    /// Where reading progress goes; default: nowhere.
    pub fn progress(mut self, progress: &'a dyn Progress) -> Self {
        self.progress = progress;
        self
    }

    /// Reads the inputs and commits the segment.
    pub fn run(self) -> Result<BuildSummary> {
        let start = std::time::Instant::now();
        let (system, snapshot) = (self.system.as_str(), self.snapshot.as_str());
        let normalizer = Normalizer::new(Tagger::new(self.key), self.region).for_index();
        let mut builder = SegmentBuilder::new(&self.dir, self.key, system, snapshot, self.kind)?;
        let mut audit = (self
            .recipe
            .as_ref()
            .is_some_and(breachcheck_index::Recipe::audit))
        .then(|| AuditSetBuilder::new(self.key))
        .transpose()?;
        builder.set_recipe(self.recipe.clone());
        let (mut skipped, mut quarantined) = (0u64, 0u64);
        // A normalized batch waiting to be added to the segment (lines and tags).
        let mut pending: Option<(Vec<u64>, Vec<TaggedRecord>)> = None;
        for (i, input) in self.inputs.iter().enumerate() {
            let opened = input.open(&self.dir)?;
            let path = opened.path();
            let sha256 = breachcheck_ingest::sha256_file(path).map_err(|source| Error::Read {
                path: path.to_owned(),
                source,
            })?;
            if let Some(want) = self.expected.as_ref().and_then(|e| e.get(i)) {
                if *want != sha256 {
                    return Err(Error::SourceChanged {
                        name: opened.name.clone(),
                        consequence: format!(
                            "rebuilding would not reproduce {system} @ {snapshot}"
                        ),
                    });
                }
            }
            let sample = Sample::open(path, &self.options)?;
            begin(
                self.progress,
                &format!("indexing {system} @ {snapshot}: {}", opened.name),
                path,
                &sample,
            );
            builder.add_source(SourceFile {
                name: opened.name.clone(),
                sha256,
                rows: 0,
                location: opened.location.clone(),
            });
            stream(
                &sample,
                self.progress,
                None,
                |batch, roles| {
                    let Some(audit) = audit.as_mut() else {
                        // The previous batch goes into the segment (sequential) while this
                        // one is normalized, so the pool does not wait for the builder.
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
                    audit.add(&stored).map_err(Error::from)
                },
                |_| quarantined += 1,
            )?;
            if let Some((lines, tagged)) = pending.take() {
                skipped += add_tagged(&mut builder, &lines, &tagged);
            }
            self.progress.end();
        }
        if builder.is_empty() {
            return Err(Error::NothingIndexed);
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
