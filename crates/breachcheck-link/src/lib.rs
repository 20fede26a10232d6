//! Probe and linkage: for one sample line (as a [`TaggedRecord`]), find candidate records
//! through its blocking tags, compare every field against each candidate's check values,
//! and classify the line by the strongest evidence it reaches ([`EvidenceClass`]).
//!
//! ```
//! use breachcheck_core::{EvidenceClass, FieldRole, SecretKey, Tagger};
//! use breachcheck_index::{Index, SegmentBuilder, SegmentKind, SourceFile};
//! use breachcheck_link::Prober;
//! use breachcheck_normalize::Normalizer;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let key = SecretKey::from_bytes([5; 32]);
//! let n = Normalizer::new(Tagger::new(&key), None);
//! let roles = [FieldRole::Email, FieldRole::FullName, FieldRole::Phone];
//! let mut b = SegmentBuilder::new(dir.path(), &key, "accounts", "2026-01-31", SegmentKind::System)?;
//! b.add_source(SourceFile { name: "a.csv".into(), sha256: String::new(), rows: 0, location: None });
//! // The system writes phones with dashes, which few services do.
//! b.add(2, &n.tag_record(&roles, &["ana@example.es", "Ana López", "+34-612-34-56-78"]));
//! b.commit()?;
//! let index = Index::open(dir.path())?;
//! let prober = Prober::new(&index);
//! let copy = prober.probe(&n.tag_record(&roles, &["ana@example.es", "Ana López", "+34-612-34-56-78"]));
//! assert_eq!(copy.evidence, EvidenceClass::QuirkFullRecord);
//! // Written as everyone writes it, the same record is a full-record match only.
//! let spaced = prober.probe(&n.tag_record(&roles, &["ana@example.es", "Ana López", "+34 612 34 56 78"]));
//! assert_eq!(spaced.evidence, EvidenceClass::FullRecord);
//! let other = prober.probe(&n.tag_record(&roles, &["ana@example.es", "Ana López", "+34612345678"]));
//! assert_eq!(other.evidence, EvidenceClass::FullRecord);
//! let partial = prober.probe(&n.tag_record(&roles, &["ana@example.es", "Bob Li", ""]));
//! assert_eq!(partial.evidence, EvidenceClass::Partial);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod compare;
mod forms;
mod model;
mod profile;

pub use compare::{Candidate, FUZZY_MIN_SCORE, FUZZY_POSTERIOR};
pub use forms::{FormStats, RARE_FORM_SHARE};
pub use model::{
    FitSummary, Level, Levels, LinkageModel, PairRef, SystemPrior, BLOCKING_RECALL, LEVELS,
};
pub use profile::{FieldLevel, LineProfile, RawState, CANARY, FIELD_LEVELS, JOINED, RAW_FIELDS};

use breachcheck_core::{BlockKind, Tag};
use breachcheck_core::{EvidenceClass, MatchField};
use breachcheck_index::{Hit, RecordRow, RecordStore, SegmentKind};
use breachcheck_normalize::TaggedRecord;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// The outcome of probing one line.
#[derive(Clone, Debug, PartialEq)]
pub struct LineMatch {
    /// Strongest evidence reached.
    pub evidence: EvidenceClass,
    /// The best candidate, if any field matched anything.
    pub best: Option<Candidate>,
    /// For each segment where the line reached at least a partial match, the strongest
    /// match there. Dates a copy (which snapshots the matching records were present in)
    /// and names its source (which system's records agree on every column).
    pub per_segment: Vec<SegmentMatch>,
    /// The line matches no single record whole, but every personal field it carries agrees
    /// with some record of the same person (linked through an e-mail, a phone or an id) and
    /// none disagrees: a row of internal tables joined together (users with their orders'
    /// addresses), which no one outside the company can assemble.
    pub joined: bool,
    /// The strongest match in a reference corpus (a known earlier breach), if any: kept
    /// apart, as it says where else the line exists, not that the company holds it.
    pub reference: Option<ReferenceMatch>,
    /// Expected number of the company's records that would match this line as a record
    /// (full or fuzzy) by coincidence, were the line an unrelated person: the records in
    /// the systems times the chance that an unrelated record agrees on the fields such a
    /// match needs (see [`LinkageModel::chance_match`]). Summed over a sample, the
    /// coincidence baseline.
    pub chance: f64,
    /// Which of the values a third-party audit counts some record of a company system
    /// holds exactly (bits: [`EXACT_EMAIL`], [`EXACT_PHONE`], [`EXACT_NAME_ADDRESS`]),
    /// whichever record is the best candidate.
    pub exact: u8,
    /// The line's evidence as the verdict's source model reads it.
    pub profile: LineProfile,
}

/// [`LineMatch::exact`]: a company record has the line's e-mail.
pub const EXACT_EMAIL: u8 = 1;
/// [`LineMatch::exact`]: a company record has the line's phone.
pub const EXACT_PHONE: u8 = 2;
/// [`LineMatch::exact`]: a company record has the line's name and address together.
pub const EXACT_NAME_ADDRESS: u8 = 4;

/// A line's strongest match in a reference corpus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReferenceMatch {
    /// Segment index of the corpus.
    pub segment: u32,
    /// Strongest class reached there (never canary or internal id: a corpus has no ids of
    /// the company's).
    pub evidence: EvidenceClass,
}

/// How often two different lines of the sample agree exactly on a field, beside how often
/// two of the company's records do: data generators draw names and dates from short lists
/// and simple distributions, so their values repeat far more often than real customers'.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Repetition {
    /// The field.
    pub field: MatchField,
    /// Share of random pairs of sample lines (both with the field) that agree exactly.
    pub sample_rate: f64,
    /// Pairs behind `sample_rate`.
    pub sample_pairs: u64,
    /// The same among random pairs of the company's records.
    pub index_rate: f64,
    /// Pairs behind `index_rate`.
    pub index_pairs: u64,
}

/// The strongest match of one line within one segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentMatch {
    /// Segment index.
    pub segment: u32,
    /// Strongest class reached there.
    pub evidence: EvidenceClass,
    /// Whether a record there agrees on *every* field the line carries, identifiers
    /// included: the line is that system's projection of the record.
    pub complete: bool,
}

/// Probes sample lines against one index.
#[derive(Debug)]
pub struct Prober<'a> {
    index: &'a dyn RecordStore,
    /// Kind of each segment (system snapshot, canary set, reference corpus).
    kinds: Vec<SegmentKind>,
    /// System number of each segment: snapshots of one system share it (a record carried
    /// across snapshots is stored once); canary sets and reference corpora are their own.
    system_of: Vec<u32>,
    /// (name, stored records) per system number.
    populations: Vec<(String, u64)>,
    /// Records in the company's systems (canaries and reference corpora left out): how
    /// many chances an unrelated line has to meet a look-alike.
    held_records: f64,
    /// Level counts of the random sample pairs the model's u came from.
    sample_levels: Option<([[u64; LEVELS]; MatchField::COUNT], u64)>,
    /// Position of each segment among its system's snapshots (oldest 0).
    snapshot_pos: Vec<u8>,
    /// How the company's systems write each quirk-bearing field (for weighing a
    /// reproduced raw form by how rare it is).
    forms: FormStats,
    /// An e-mail, phone, login or national id held by more of the company's records than
    /// this is shared by several people (one person has at most a record per system and a
    /// few changed versions).
    common_value_records: usize,
    /// Neighbours of the fitting batch looked up, and found in a company system:
    /// (tried, found) for customer ids, order ids and phone numbers.
    neighbours: [(u64, u64); 3],
    model: LinkageModel,
}

/// The fields of [`TaggedRecord::neighbours`], in order.
const NEIGHBOUR_FIELDS: [MatchField; 3] = [
    MatchField::CustomerId,
    MatchField::OrderId,
    MatchField::Phone,
];

/// Lines of the fitting batch whose id neighbours are looked up: enough to estimate the
/// id space's density to a few per cent.
const NEIGHBOUR_PROBES: usize = 20_000;

/// Candidates of a batch of lines: each distinct record read once.
struct Gathered {
    /// Distinct candidates in (segment, record) order, and their rows.
    cands: Vec<(u32, u32)>,
    rows: Vec<Option<RecordRow>>,
    /// (line, candidate position), in line order; `starts[i]..starts[i + 1]` are line i's.
    by_line: Vec<(u32, u32)>,
    starts: Vec<usize>,
}

impl Gathered {
    fn of_line(&self, i: usize) -> impl Iterator<Item = (u32, u32, &RecordRow)> + '_ {
        self.by_line[self.starts[i]..self.starts[i + 1]]
            .iter()
            .filter_map(|(_, c)| {
                let (s, r) = self.cands[*c as usize];
                self.rows[*c as usize].as_ref().map(|row| (s, r, row))
            })
    }
}

/// A batch's candidates from the two phases of probing: the selective keys of every line,
/// then the name-combination keys of the lines the first phase did not settle.
struct Candidates {
    first: Gathered,
    second: Option<Gathered>,
    settled: Vec<bool>,
}

impl Candidates {
    /// Line `i`'s candidates in (segment, record) order, each once.
    fn line(&self, i: usize) -> Vec<(u32, u32, &RecordRow)> {
        let mut v: Vec<(u32, u32, &RecordRow)> = self.first.of_line(i).collect();
        if let (Some(second), false) = (&self.second, self.settled[i]) {
            v.extend(second.of_line(i));
            v.sort_unstable_by_key(|(s, r, _)| (*s, *r));
            v.dedup_by_key(|(s, r, _)| (*s, *r));
        }
        v
    }
}

/// Whether a line's first-phase result leaves nothing for name combinations to add: it
/// already matches one of the company's records whole on every column it carries.
fn settles(m: &LineMatch) -> bool {
    m.evidence >= EvidenceClass::FullRecord && m.per_segment.iter().any(|s| s.complete)
}

impl<'a> Prober<'a> {
    /// A prober over `index` with the default field weights.
    pub fn new(index: &'a dyn RecordStore) -> Self {
        let segments = &index.manifest().segments;
        let kinds = segments.iter().map(|s| s.kind).collect();
        let mut populations: Vec<(String, u64)> = Vec::new();
        let mut keys: Vec<(SegmentKind, &str)> = Vec::new();
        let system_of = segments
            .iter()
            .map(|s| {
                let key = (s.kind, s.system.as_str());
                let i = keys.iter().position(|k| *k == key).unwrap_or_else(|| {
                    keys.push(key);
                    populations.push((s.system.clone(), 0));
                    keys.len() - 1
                });
                populations[i].1 += s.records;
                i as u32
            })
            .collect();
        // The records the company holds now: each system's latest snapshot (a record
        // stored in an earlier snapshot and removed since is not held).
        let mut latest: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
        for s in segments.iter().filter(|s| s.kind == SegmentKind::System) {
            latest.insert(s.system.as_str(), s.live);
        }
        let held_records = latest.values().sum::<u64>() as f64;
        let mut model = LinkageModel::default();
        model.fit_m(&[], &[], &populations);
        let snapshot_pos = segments
            .iter()
            .enumerate()
            .map(|(i, s)| {
                segments[..i]
                    .iter()
                    .filter(|t| t.kind == s.kind && t.system == s.system)
                    .count()
                    .min(254) as u8
            })
            .collect();
        Prober {
            index,
            kinds,
            system_of,
            populations,
            held_records,
            sample_levels: None,
            snapshot_pos,
            forms: FormStats::from_manifest(index.manifest()),
            common_value_records: 3 * segments
                .iter()
                .filter(|s| s.kind == SegmentKind::System)
                .map(|s| s.system.as_str())
                .collect::<std::collections::BTreeSet<_>>()
                .len()
                .max(1),
            neighbours: [(0, 0); 3],
            model,
        }
    }

    /// The prober's systems, by system number (as in [`LineProfile::members`],
    /// [`LineProfile::system`] and [`LineProfile::reference`]): name, kind and the records
    /// it held at its latest snapshot.
    pub fn systems(&self) -> Vec<(String, SegmentKind, u64)> {
        let segments = &self.index.manifest().segments;
        let mut out: Vec<(String, SegmentKind, u64)> = Vec::new();
        for (i, s) in segments.iter().enumerate() {
            let sys = self.system_of.get(i).copied().unwrap_or(0) as usize;
            if out.len() <= sys {
                out.resize(sys + 1, (String::new(), SegmentKind::System, 0));
            }
            out[sys] = (s.system.clone(), s.kind, s.live);
        }
        out
    }

    /// Neighbours looked up and found, (tried, found), of customer ids, order ids and
    /// phone numbers (see [`TaggedRecord::neighbours`]); zero before
    /// [`Prober::fit_and_probe`].
    pub fn neighbours(&self) -> [(u64, u64); 3] {
        self.neighbours
    }

    /// Looks up the neighbours of up to [`NEIGHBOUR_PROBES`] lines: (tried, found in a
    /// company system) for customer ids, order ids and phone numbers.
    fn probe_neighbours(&self, recs: &[TaggedRecord]) -> [(u64, u64); 3] {
        let mut out = [(0u64, 0u64); 3];
        let lines: Vec<&TaggedRecord> = recs
            .iter()
            .filter(|r| r.neighbours.iter().any(|t| t.0 != 0))
            .take(NEIGHBOUR_PROBES)
            .collect();
        // Lookups first, all asked for together; then the rows of their hits, asked for
        // together: on a cold page cache, a row read per hit would wait for each in turn.
        let tags: Vec<u64> = lines
            .iter()
            .flat_map(|r| r.neighbours.iter().map(|t| t.0).filter(|t| *t != 0))
            .collect();
        self.index.prefetch_lookups(&tags);
        // (neighbour kind, its tag, its hits in system segments as a range of `hits`).
        // A tag repeated across lines (a shared phone number) is looked up and its hits
        // kept once: one common tag on every probed line would otherwise hold its hits
        // 20,000 times over.
        let mut probes: Vec<(usize, Tag, std::ops::Range<usize>)> = Vec::new();
        let mut hits: Vec<Hit> = Vec::new();
        let mut seen: std::collections::HashMap<u64, std::ops::Range<usize>> =
            std::collections::HashMap::new();
        for r in &lines {
            for (k, tag) in r.neighbours.iter().enumerate() {
                if tag.0 == 0 {
                    continue;
                }
                out[k].0 += 1;
                let range = seen
                    .entry(tag.0)
                    .or_insert_with(|| self.index.lookup_system_into(*tag, &mut hits))
                    .clone();
                probes.push((k, *tag, range));
            }
        }
        // One record holding the neighbour settles it, and the first hit nearly always does:
        // each tag's first hit is asked for ahead, the others read only where it does not
        // hold the neighbour (see `exactly_held_batch` for when that happens).
        let firsts: Vec<Hit> = seen
            .values()
            .filter(|range| !range.is_empty())
            .map(|range| hits[range.start])
            .collect();
        self.index.prefetch_hits(&firsts);
        for (k, tag, range) in probes {
            // A hit counts when its record holds the neighbour (its check value): a
            // posting keeps 40 or more of the tag's bits, so up to one lookup in 10³
            // finds another tag's posting, which would bias sparse densities.
            let field = NEIGHBOUR_FIELDS[k];
            out[k].1 += u64::from(hits[range].iter().any(|h| {
                self.index
                    .record(h.segment, h.record)
                    .is_some_and(|row| row.agrees(field, tag))
            }));
        }
        out
    }

    /// The linkage model in use: priors until [`Prober::fit_and_probe`] estimated one.
    pub fn model(&self) -> &LinkageModel {
        &self.model
    }

    /// Estimates the linkage model from this batch (u from random pairs of its lines, m and
    /// the share of lines the index holds by EM over its candidate pairs),
    /// keeps it for later batches, and probes the batch with it.
    ///
    /// Why one batch: the first batch of a verify holds up to a quarter of a million
    /// lines, far more than EM needs, and estimating once keeps every line of a sample
    /// scored by the same model.
    pub fn fit_and_probe(&mut self, recs: &[TaggedRecord]) -> Vec<LineMatch> {
        let t = std::time::Instant::now();
        // The neighbour probe depends on the lines alone: run beside the candidates' reads,
        // its waits on a cold page cache overlap with theirs.
        let ((g, t_candidates), neighbours) = rayon::join(
            || (self.candidates(recs), t.elapsed()),
            || self.probe_neighbours(recs),
        );
        self.neighbours = neighbours;
        let mut model = LinkageModel::default();
        let (counts, pairs) = Self::random_pair_levels(recs);
        model.set_u(&counts, pairs);
        let t_random = t.elapsed();
        model.set_densities(self.neighbours, self.held_records);
        self.sample_levels = Some((counts, pairs));
        let t_neighbours = t.elapsed();
        // Every line's candidates with their agreement levels, compared once for both the
        // fit and the classification below.
        let compared = self.compare_all(recs, &g);
        let t_compared = t.elapsed();
        // Each line's candidates as (system, agreement levels), grouped by system.
        let per_line: Vec<Vec<(u32, Levels)>> = compared
            .par_iter()
            .map(|line| {
                let mut v: Vec<(u32, Levels)> = line
                    .iter()
                    .map(|c| {
                        let sys = self.system_of.get(c.segment as usize).copied().unwrap_or(0);
                        (sys, c.levels)
                    })
                    .collect();
                v.sort_unstable();
                v
            })
            .collect();
        // Patterns interned: a few dozen distinct ones stand for millions of pairs.
        let mut interned: foldhash::HashMap<u64, u32> = foldhash::HashMap::default();
        let mut patterns: Vec<Levels> = Vec::new();
        let lines: Vec<Vec<PairRef>> = per_line
            .iter()
            .zip(recs)
            .filter(|(_, r)| !r.is_empty())
            .map(|(v, _)| {
                v.iter()
                    .map(|(sys, levels)| {
                        let id = *interned.entry(model::packed(levels)).or_insert_with(|| {
                            patterns.push(*levels);
                            (patterns.len() - 1) as u32
                        });
                        PairRef {
                            system: *sys,
                            pattern: id,
                        }
                    })
                    .collect()
            })
            .collect();
        model.fit_m(&lines, &patterns, &self.populations);
        let t_fit = t.elapsed();
        self.model = model;
        let classified = self.classify(recs, &compared);
        // Where the first batch's time goes, cumulative (BREACHCHECK_LOG=debug); the
        // neighbour probe ran beside the candidates, so `neighbours_s` is `random_pairs_s`.
        tracing::debug!(
            random_pairs = self.model.fit.random_pairs,
            candidate_pairs = self.model.fit.candidate_pairs,
            patterns = patterns.len(),
            iterations = self.model.fit.iterations,
            candidates_s = t_candidates.as_secs_f64(),
            random_pairs_s = t_random.as_secs_f64(),
            neighbours_s = t_neighbours.as_secs_f64(),
            compared_s = t_compared.as_secs_f64(),
            fitted_s = t_fit.as_secs_f64(),
            classified_s = t.elapsed().as_secs_f64(),
            "linkage model"
        );
        classified
    }

    /// Each line's candidates (in (segment, record) order), compared with the line.
    fn compare_all<'g>(
        &self,
        recs: &[TaggedRecord],
        g: &'g Candidates,
    ) -> Vec<Vec<compare::Compared<'g>>> {
        (0..recs.len())
            .into_par_iter()
            .map(|i| {
                g.line(i)
                    .into_iter()
                    .map(|(segment, record, row)| {
                        compare::Compared::new(&recs[i], segment, record, row)
                    })
                    .collect()
            })
            .collect()
    }

    /// Per field, how often the sample's lines repeat each other's values next to how often
    /// the company's records do (random pairs of records drawn across the systems, seeded).
    /// Empty before [`Prober::fit_and_probe`].
    pub fn repetition(&self) -> Vec<Repetition> {
        let Some((sample, _)) = &self.sample_levels else {
            return Vec::new();
        };
        // Records in runs at seeded random offsets of the system segments
        // (`repetition_runs`); each paired with records of other runs (neighbours in an
        // export can share a country or a signup day).
        const RUN_LEN: usize = 128;
        const PARTNERS: usize = 16;
        let (runs, state) = breachcheck_index::repetition_runs(self.index.manifest());
        let mut next = splitmix(state);
        let mut rows: Vec<(usize, RecordRow)> = Vec::new();
        for (run, segment, start, end) in runs {
            for r in start..end {
                if let Some(row) = self.index.record(segment, r) {
                    rows.push((run, row));
                }
            }
        }
        let mut agree = [0u64; MatchField::COUNT];
        let mut both = [0u64; MatchField::COUNT];
        if rows.len() > RUN_LEN {
            for (run, a) in &rows {
                for _ in 0..PARTNERS {
                    let (other, b) = &rows[(next() % rows.len() as u64) as usize];
                    if other == run {
                        continue;
                    }
                    for f in MatchField::ALL {
                        let i = f.index();
                        if a.present & b.present & f.bit() != 0 {
                            both[i] += 1;
                            agree[i] += u64::from(a.canonical[i] == b.canonical[i]);
                        }
                    }
                }
            }
        }
        MatchField::ALL
            .into_iter()
            .filter_map(|f| {
                let i = f.index();
                let seen: u64 = sample[i][1..].iter().sum();
                (seen > 0 && both[i] > 0).then(|| Repetition {
                    field: f,
                    sample_rate: sample[i][Level::Exact.index()] as f64 / seen as f64,
                    sample_pairs: seen,
                    index_rate: agree[i] as f64 / both[i] as f64,
                    index_pairs: both[i],
                })
            })
            .collect()
    }

    fn kind(&self, segment: u32) -> Option<SegmentKind> {
        self.kinds.get(segment as usize).copied()
    }

    /// Level counts of random pairs of the sample's own lines, drawn by a seeded
    /// generator. Why the sample and not the index: u is how often two unrelated people
    /// agree, which the sample's own population says at least as well (a sample of one
    /// country's people agrees on names more often than a global index would, which only
    /// makes its weights more cautious); it reads no index page, and the model, hence every
    /// score, does not depend on how the index is split into segments.
    fn random_pair_levels(recs: &[TaggedRecord]) -> ([[u64; LEVELS]; MatchField::COUNT], u64) {
        const PAIRS: u64 = 1 << 17;
        let lines: Vec<&TaggedRecord> = recs.iter().filter(|r| !r.is_empty()).collect();
        let n = lines.len() as u64;
        if n < 2 {
            return ([[0u64; LEVELS]; MatchField::COUNT], 0);
        }
        let rows: Vec<RecordRow> = lines
            .par_iter()
            .map(|r| RecordRow::from_tagged(r, 0))
            .collect();
        // The pairs are drawn in sequence (the seed fixes them); compared in parallel, and
        // counted in integers, so the sums do not depend on how threads shared the work.
        let mut next = splitmix(0x9e37_79b9_7f4a_7c15);
        let drawn: Vec<(usize, usize)> = (0..PAIRS.min(n * (n - 1)))
            .map(|_| ((next() % n) as usize, (next() % n) as usize))
            .collect();
        let (counts, pairs) = drawn
            .par_chunks(4096)
            .map(|part| {
                let mut counts = [[0u64; LEVELS]; MatchField::COUNT];
                let mut pairs = 0u64;
                for &(i, j) in part {
                    // A line repeated word for word is one person twice, not two who agree.
                    if i == j || rows[i].canonical == rows[j].canonical {
                        continue;
                    }
                    let (levels, _) = compare::levels(lines[i], &rows[j]);
                    for (f, l) in levels.iter().enumerate() {
                        counts[f][l.index()] += 1;
                    }
                    pairs += 1;
                }
                (counts, pairs)
            })
            .reduce(
                || ([[0u64; LEVELS]; MatchField::COUNT], 0),
                |(mut a, p), (b, q)| {
                    for (x, y) in a.iter_mut().zip(&b) {
                        for (u, v) in x.iter_mut().zip(y) {
                            *u += v;
                        }
                    }
                    (a, p + q)
                },
            );
        (counts, pairs)
    }

    /// Probes one line: its selective keys first; its name combinations only when those
    /// did not already match a record whole (see [`Prober::probe_batch`]).
    pub fn probe(&self, rec: &TaggedRecord) -> LineMatch {
        let mut hits = self.hits(rec, is_selective);
        let mut first = self.evaluate_hits(rec, &hits);
        if settles(&first) {
            first.exact = breachcheck_index::exactly_held(self.index, rec, first.exact);
            return first;
        }
        hits.extend(self.hits(rec, |k| !is_selective(k)));
        hits.sort_unstable();
        hits.dedup();
        let mut m = self.evaluate_hits(rec, &hits);
        m.exact = breachcheck_index::exactly_held(self.index, rec, m.exact);
        m
    }

    /// (segment, record) of every hit of the line's keys `want` picks, sorted, each once.
    fn hits(&self, rec: &TaggedRecord, want: impl Fn(BlockKind) -> bool) -> Vec<(u32, u32)> {
        let mut hits = Vec::new();
        for (kind, tag) in rec.blocks.iter().filter(|(k, _)| want(*k)) {
            let mut found = Vec::new();
            match most_hits(*kind) {
                Some(most) => {
                    if !self.index.lookup_at_most_into(*tag, most, &mut found) {
                        continue;
                    }
                }
                None => self.index.lookup_into(*tag, &mut found),
            }
            hits.extend(found.into_iter().map(|h| (h.segment, h.record)));
        }
        hits.sort_unstable();
        hits.dedup();
        hits
    }

    fn evaluate_hits(&self, rec: &TaggedRecord, hits: &[(u32, u32)]) -> LineMatch {
        let rows: Vec<(u32, u32, RecordRow)> = hits
            .iter()
            .filter_map(|&(s, r)| self.index.record(s, r).map(|row| (s, r, row)))
            .collect();
        self.evaluate(rec, rows.iter().map(|(s, r, row)| (*s, *r, row)))
    }

    /// Probes many lines at once, with the same results as [`Prober::probe`] on each.
    ///
    /// Why: against an index far larger than memory caches, one line's lookups land on
    /// random pages. Here every line's tags are looked up in tag order (each distinct tag
    /// once) and every candidate record read in record order (each once), so the index is
    /// walked front to back: a large sample costs about one pass over the touched pages
    /// instead of a page fault per lookup. Memory grows with the batch, not the index.
    ///
    /// In two phases: every line's selective keys (e-mail, phone, login, ids) first; the
    /// name combinations only for lines that did not already match a record whole on every
    /// column, as those keys are the weak ones and a copied line rarely needs them.
    pub fn probe_batch(&self, recs: &[TaggedRecord]) -> Vec<LineMatch> {
        let g = self.candidates(recs);
        let compared = self.compare_all(recs, &g);
        self.classify(recs, &compared)
    }

    /// Both phases' candidates of a batch.
    fn candidates(&self, recs: &[TaggedRecord]) -> Candidates {
        let first = self.gather(recs, |_, k| is_selective(k));
        let settled: Vec<bool> = (0..recs.len())
            .into_par_iter()
            .map(|i| settles(&self.evaluate(&recs[i], first.of_line(i))))
            .collect();
        let second = (!settled.iter().all(|s| *s))
            .then(|| self.gather(recs, |i, k| !settled[i] && !is_selective(k)));
        Candidates {
            first,
            second,
            settled,
        }
    }

    /// The candidates of the keys `want` picks (by line and kind), read as described at
    /// [`Prober::probe_batch`].
    fn gather(&self, recs: &[TaggedRecord], want: impl Fn(usize, BlockKind) -> bool) -> Gathered {
        // (tag, line), in tag order; and which tags come from weak blocks.
        let want = &want;
        let mut wanted: Vec<(u64, u32)> = recs
            .iter()
            .enumerate()
            .flat_map(|(i, r)| {
                r.blocks
                    .iter()
                    .filter(move |(k, _)| want(i, *k))
                    .map(move |(_, t)| (t.0, i as u32))
            })
            .collect();
        wanted.par_sort_unstable();
        let mut tags: Vec<u64> = wanted.iter().map(|(t, _)| *t).collect();
        tags.dedup();
        let mut weak: Vec<u64> = recs
            .iter()
            .flat_map(|r| {
                r.blocks
                    .iter()
                    .filter(|(k, _)| is_weak(*k))
                    .map(|(_, t)| t.0)
            })
            .collect();
        weak.par_sort_unstable();
        weak.dedup();
        self.index.prefetch_lookups(&tags);
        // Hits of each distinct tag, looked up in tag order, a part of the tags a thread.
        let chunk = tags
            .len()
            .div_ceil(rayon::current_num_threads().max(1))
            .max(1);
        // Each part's hits in one vector, with the end of each tag's hits in it (a vector a
        // tag would be hundreds of thousands of small allocations for a large sample).
        let parts: Vec<_> = tags
            .par_chunks(chunk)
            .map(|part| {
                let mut buf = Vec::new();
                let mut hits = Vec::new();
                let mut ends = Vec::with_capacity(part.len());
                for t in part {
                    buf.clear();
                    let keep = if weak.binary_search(t).is_ok() {
                        self.index
                            .lookup_at_most_into(Tag(*t), WEAK_MAX_HITS, &mut buf)
                    } else {
                        self.index.lookup_into(Tag(*t), &mut buf);
                        true
                    };
                    if keep {
                        hits.extend(buf.iter().map(|h| (h.segment, h.record)));
                    }
                    ends.push(hits.len());
                }
                (hits, ends)
            })
            .collect();
        // Tag i's hits are `found[bounds[i]..bounds[i + 1]]`.
        let mut found: Vec<(u32, u32)> = Vec::with_capacity(parts.iter().map(|p| p.0.len()).sum());
        let mut bounds: Vec<usize> = Vec::with_capacity(tags.len() + 1);
        bounds.push(0);
        for (hits, ends) in parts {
            let base = found.len();
            bounds.extend(ends.iter().map(|e| base + e));
            found.extend(hits);
        }
        let hits_of = |i: usize| &found[bounds[i]..bounds[i + 1]];
        // (segment, record, line) for every hit of every line: millions for a large
        // sample's name keys, so sized once instead of grown by copying.
        let total = {
            let mut ti = 0usize;
            let mut n = 0usize;
            for (tag, _) in &wanted {
                while tags[ti] != *tag {
                    ti += 1;
                }
                n += hits_of(ti).len();
            }
            n
        };
        let mut pairs: Vec<(u32, u32, u32)> = Vec::with_capacity(total);
        let mut ti = 0usize;
        for (tag, line) in &wanted {
            while tags[ti] != *tag {
                ti += 1;
            }
            pairs.extend(hits_of(ti).iter().map(|(s, r)| (*s, *r, *line)));
        }
        drop(found);
        pairs.par_sort_unstable();
        pairs.dedup();
        // Each distinct candidate read once, in record order.
        let mut cands: Vec<(u32, u32)> = pairs.iter().map(|(s, r, _)| (*s, *r)).collect();
        cands.dedup();
        self.index.prefetch_records(&cands);
        let chunk = cands
            .len()
            .div_ceil(rayon::current_num_threads().max(1))
            .max(1);
        let rows: Vec<Option<RecordRow>> = cands
            .par_chunks(chunk)
            .flat_map_iter(|part| {
                // Runs of one segment, read with a cursor that moves forward only.
                let mut out = Vec::with_capacity(part.len());
                let mut ids = Vec::new();
                for run in part.chunk_by(|a, b| a.0 == b.0) {
                    ids.clear();
                    ids.extend(run.iter().map(|(_, r)| *r));
                    self.index.records_sorted(run[0].0, &ids, &mut out);
                }
                out
            })
            .collect();
        // Per line, its candidates (in (segment, record) order, as `probe` sees them).
        let mut by_line: Vec<(u32, u32)> = Vec::with_capacity(pairs.len());
        let mut ci = 0usize;
        for (s, r, line) in &pairs {
            while cands[ci] != (*s, *r) {
                ci += 1;
            }
            by_line.push((*line, ci as u32));
        }
        tracing::debug!(
            lines = recs.len(),
            lookups = wanted.len(),
            distinct_tags = tags.len(),
            hits = pairs.len(),
            candidates = cands.len(),
            "probe batch"
        );
        drop(pairs);
        by_line.par_sort_unstable();
        let mut starts = vec![0usize; recs.len() + 1];
        for (line, _) in &by_line {
            starts[*line as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        Gathered {
            cands,
            rows,
            by_line,
            starts,
        }
    }

    fn classify(
        &self,
        recs: &[TaggedRecord],
        compared: &[Vec<compare::Compared>],
    ) -> Vec<LineMatch> {
        let mut out: Vec<LineMatch> = recs
            .par_iter()
            .zip(compared)
            .map(|(rec, line)| self.evaluate_compared(rec, line.iter().copied()))
            .collect();
        // What the lines' values are held as exactly, also where no candidate showed it
        // (the audit's definition: breachcheck_core::AuditField), looked up in tag order.
        // E-mails and phones need no second look: their tags are selective keys, looked up
        // for every line, so every record holding one was a candidate.
        let mut exact: Vec<u8> = out.iter().map(|m| m.exact).collect();
        let name_address = [breachcheck_core::AuditField::NameAddress];
        breachcheck_index::exactly_held_batch(self.index, recs, &mut exact, &name_address);
        for (m, e) in out.iter_mut().zip(exact) {
            m.exact = e;
        }
        out
    }

    /// Classifies a line from its candidate records, given in (segment, record) order.
    fn evaluate<'r>(
        &self,
        rec: &TaggedRecord,
        candidates: impl Iterator<Item = (u32, u32, &'r RecordRow)>,
    ) -> LineMatch {
        self.evaluate_compared(
            rec,
            candidates
                .map(|(segment, record, row)| compare::Compared::new(rec, segment, record, row)),
        )
    }

    /// [`Prober::evaluate`] of candidates already compared with the line.
    fn evaluate_compared<'r>(
        &self,
        rec: &TaggedRecord,
        candidates: impl Iterator<Item = compare::Compared<'r>>,
    ) -> LineMatch {
        let mut best: Option<Candidate> = None;
        let mut per_segment: Vec<SegmentMatch> = Vec::new();
        let present = rec.present_mask();
        let pii = pii_mask(rec) & !MatchField::NameNative.bit();
        let linking = MatchField::Email.bit()
            | MatchField::Phone.bit()
            | MatchField::Username.bit()
            | MatchField::CustomerId.bit()
            | MatchField::OrderId.bit();
        let mut joined_agree = 0u16;
        let mut joined_parts = 0u32;
        let mut held = Vec::new();
        let mut reference: Option<ReferenceMatch> = None;
        let mut exact = 0u8;
        // For the source model: the systems holding the line's person, the best level of
        // each field over that person's records, and the best-scoring company record.
        // Fields the line writes in a way few services share.
        let rare = RAW_FIELDS
            .iter()
            .enumerate()
            .filter_map(|(i, f)| rec.field(*f).map(|t| (i, *f, t)))
            .filter(|(i, _, t)| t.quirky && self.forms.world(*i, t.form) <= RARE_FORM_SHARE)
            .fold(0u16, |m, (_, f, _)| m | f.bit());
        let facts = compare::LineFacts { pii, rare };
        // Records taken for the line's person: (score, system, carries every column,
        // row, levels). Several people can qualify (one through the phone, another
        // through an id); only the best one's records are merged below.
        let mut persons: Vec<(f64, u32, bool, &RecordRow, Levels)> = Vec::new();
        let mut members = 0u32;
        let mut complete = 0u32;
        let mut merged = LineProfile::default();
        let mut best_system: Option<((bool, f64), u32, u32, &RecordRow)> = None;
        // First pass: every candidate's score, and per system the sum of likelihood
        // ratios the posterior weighs each candidate against.
        let scored: Vec<(u32, u32, &RecordRow, compare::Scored)> = candidates
            .map(|c| (c.segment, c.record, c.row, c.scored(&self.model)))
            .collect();
        // Contact values and national ids that many of the company's records share (a
        // placeholder number, a household's phone): all of them are candidates, so count.
        let mut common = 0u16;
        for f in SAME_PERSON_LIST {
            if rec.field(f).is_none() {
                continue;
            }
            let sharing = scored
                .iter()
                .filter(|(s, _, _, sc)| {
                    self.kind(*s) == Some(SegmentKind::System)
                        && sc.levels[f.index()] == Level::Exact
                })
                .count();
            if sharing > self.common_value_records {
                common |= f.bit();
            }
        }
        let mut lr_sums: Vec<(u32, f64)> = Vec::new();
        for (segment, _, _, sc) in &scored {
            let sys = self.system_of.get(*segment as usize).copied().unwrap_or(0);
            let lr = model::likelihood_ratio(sc.score);
            match lr_sums.iter_mut().find(|(s, _)| *s == sys) {
                Some((_, sum)) => *sum += lr,
                None => lr_sums.push((sys, lr)),
            }
        }
        for (segment, record, row, sc) in &scored {
            let (segment, record) = (*segment, *record);
            let is_canary = self.kind(segment) == Some(SegmentKind::Canary);
            let sys = self.system_of.get(segment as usize).copied().unwrap_or(0);
            let lr_sum = lr_sums
                .iter()
                .find(|(s, _)| *s == sys)
                .map_or(0.0, |(_, v)| *v);
            let posterior = self.model.posterior(sys as usize, sc.score, lr_sum);
            let c = compare::compare(facts, (segment, record), is_canary, sc, posterior);
            if self.kind(segment) == Some(SegmentKind::System) {
                let same_person = posterior >= 0.5 || c.agree & SAME_PERSON_FIELDS & !common != 0;
                let carried = present & !MatchField::NameNative.bit();
                let carries_all = carried & !sc.present == 0;
                if same_person {
                    persons.push((sc.score, sys, carries_all, *row, sc.levels));
                }
                // The record the line is compared with: the person's record that carries
                // every column the line has, when there is one (what a copy is a projection
                // of), else the best-scoring record.
                let rank = (same_person && carries_all, sc.score);
                if best_system
                    .as_ref()
                    .is_none_or(|(r, _, _, _)| (rank.0 && !r.0) || (rank.0 == r.0 && rank.1 > r.1))
                {
                    best_system = Some((rank, segment, record, *row));
                }
            }
            if self.kind(segment) == Some(SegmentKind::Reference) {
                // Ids agreeing with a corpus record are not the company's ids.
                let evidence = c.evidence.min(EvidenceClass::QuirkFullRecord);
                if evidence > EvidenceClass::None && reference.is_none_or(|r| evidence > r.evidence)
                {
                    reference = Some(ReferenceMatch { segment, evidence });
                }
                continue;
            }
            if !is_canary {
                let name_address = MatchField::Name.bit() | MatchField::Address.bit();
                // The line's own reading of a phone without a country, not another
                // plausible one: the value an audit evaluates (breachcheck_core::AuditField).
                let phone = MatchField::Phone;
                // Read from the row only when the phone agrees (the row is likely out of cache).
                let own_phone = || {
                    rec.field(phone)
                        .is_some_and(|t| row.agrees(phone, t.canonical))
                };
                for (mask, bit) in [
                    (MatchField::Email.bit(), EXACT_EMAIL),
                    (MatchField::Phone.bit(), EXACT_PHONE),
                    (name_address, EXACT_NAME_ADDRESS),
                ] {
                    if c.agree & mask == mask && (bit != EXACT_PHONE || own_phone()) {
                        exact |= bit;
                    }
                }
            }
            if c.evidence == EvidenceClass::None {
                continue;
            }
            if !is_canary && c.agree & linking != 0 && c.disagree & pii == 0 {
                joined_agree |= c.agree;
                joined_parts += 1;
            }
            // A record kept in Latin letters has no native-script name to compare; that
            // absence does not make the line's columns disagree.
            let native = MatchField::NameNative.bit();
            let unanswered_native = present & native & !(c.agree | c.disagree);
            let complete = (c.agree | unanswered_native) == present;
            // A record stored once counts for every snapshot that still held it.
            held.clear();
            self.index.presence(segment, record, &mut held);
            for &s in &held {
                match per_segment.iter_mut().find(|m| m.segment == s) {
                    Some(m) => {
                        m.evidence = m.evidence.max(c.evidence);
                        m.complete |= complete;
                    }
                    None => per_segment.push(SegmentMatch {
                        segment: s,
                        evidence: c.evidence,
                        complete,
                    }),
                }
            }
            if best
                .as_ref()
                .is_none_or(|b| (c.evidence, c.score) > (b.evidence, b.score))
            {
                best = Some(c);
            }
        }
        // The person: the best-scoring record taken for them, and every record sharing an
        // identifier with it (the same e-mail, phone, login, national id or customer id),
        // which is how one customer's records across systems hang together.
        if let Some(anchor) = persons
            .iter()
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|p| *p.3)
        {
            let linking = [
                MatchField::Email,
                MatchField::Phone,
                MatchField::Username,
                MatchField::NationalId,
                MatchField::CustomerId,
            ];
            for (_, sys, carries_all, row, levels) in &persons {
                let same = linking.iter().any(|f| {
                    let b = f.bit();
                    anchor.present & row.present & b != 0
                        && anchor.canonical[f.index()] == row.canonical[f.index()]
                });
                if !same {
                    continue;
                }
                if *sys < 32 {
                    members |= 1 << sys;
                    if *carries_all {
                        complete |= 1 << sys;
                    }
                }
                let (packed, _) = compare::profile_levels(rec, row, levels);
                let this = LineProfile {
                    levels: packed,
                    ..LineProfile::default()
                };
                for f in MatchField::ALL {
                    let l = this.level(f);
                    if l.rank() > merged.level(f).rank() {
                        merged.set_level(f, l);
                    }
                }
            }
        }
        let mut evidence = best.as_ref().map_or(EvidenceClass::None, |b| b.evidence);
        let identifying = fields_in(joined_agree & pii)
            .filter(|f| f.is_identifying())
            .count();
        let joined = evidence < EvidenceClass::FullRecord
            && joined_parts >= 2
            && pii.count_ones() >= 2
            && identifying >= 2
            && joined_agree & pii == pii;
        if joined && evidence == EvidenceClass::FuzzyRecord {
            // Every column agrees with some record of one person, just not one record:
            // the joined reading explains the line exactly, and is the stronger finding
            // (only the company can join its tables). The best single record stays a
            // partial match, as it is.
            evidence = EvidenceClass::Partial;
            if let Some(b) = best.as_mut() {
                b.evidence = EvidenceClass::Partial;
            }
            for m in &mut per_segment {
                m.evidence = m.evidence.min(EvidenceClass::Partial);
            }
        }
        let chance = self.held_records * self.model.chance_match(rec);
        let mut profile = LineProfile {
            members,
            complete,
            span: (0xff, 0xff),
            ..LineProfile::default()
        };
        match best_system {
            Some((_, segment, record, row)) => {
                let (levels, _) = compare::levels(rec, row);
                let (packed, raw) = compare::profile_levels(rec, row, &levels);
                profile.levels = packed;
                profile.raw = raw;
                let sys = self.system_of.get(segment as usize).copied().unwrap_or(0);
                profile.system = (sys.min(254) + 1) as u8;
                held.clear();
                self.index.presence(segment, record, &mut held);
                let pos = |s: &u32| self.snapshot_pos.get(*s as usize).copied();
                if let (Some(first), Some(last)) =
                    (held.first().and_then(pos), held.last().and_then(pos))
                {
                    profile.span = (first, last);
                }
            }
            None => {
                // No company record: every field the line has is unmatched.
                for (f, _) in rec.fields().filter(|(f, _)| *f != MatchField::NameNative) {
                    profile.set_level(f, FieldLevel::LineOnly);
                }
            }
        }
        for f in SAME_PERSON_LIST {
            if common & f.bit() != 0 && merged.level(f) == FieldLevel::Exact {
                merged.set_level(f, FieldLevel::Shared);
            }
            if common & f.bit() != 0 && profile.level(f) == FieldLevel::Exact {
                profile.set_level(f, FieldLevel::Shared);
            }
        }
        if members != 0 {
            // The line against the person as the company knows them: each field at its
            // best level over the person's records (an address from the orders system, an
            // e-mail from the accounts system), the same for every source the verdict
            // weighs, so a row of joined tables and another service's record of the person
            // are compared alike.
            profile.levels = merged.levels;
        }
        if joined {
            profile.flags |= JOINED;
        }
        if evidence == EvidenceClass::Canary {
            profile.flags |= CANARY;
        }
        if let Some(r) = reference.filter(|r| r.evidence.is_genuine()) {
            let sys = self.system_of.get(r.segment as usize).copied().unwrap_or(0);
            profile.reference = (sys.min(254) + 1) as u8;
        }
        LineMatch {
            evidence,
            best,
            per_segment,
            joined,
            reference,
            chance,
            exact,
            profile,
        }
    }
}

/// A name token with a birth date, a postal code or a street address finds a copy whose
/// other name token was mistyped or replaced; in a small index it names a handful of
/// records, in a 100-million-record one a common token ("maria", "wang") with a birthday
/// names dozens, and with a common address ("1 main st", which every town has: the
/// address carries no city) as many. Such a key no longer tells people apart: reading its
/// records would cost more than everything else a line needs, for nothing the comparison
/// could use. (Measured: a 100,000-line sample against 10M records read 57% of them
/// through unbounded address keys.)
fn is_weak(kind: BlockKind) -> bool {
    matches!(
        kind,
        BlockKind::NameTokenBirthDate
            | BlockKind::NameTokenPostalCode
            | BlockKind::NameTokenAddress
    )
}

/// Keys that name one person by themselves: an e-mail, a phone, a login, an id.
fn is_selective(kind: BlockKind) -> bool {
    matches!(kind, BlockKind::Field(_))
}

/// Fields whose exact agreement alone says the record is the line's person (for the
/// source model's membership): contact details and national identifiers.
const SAME_PERSON_FIELDS: u16 = MatchField::Email.bit()
    | MatchField::Phone.bit()
    | MatchField::Username.bit()
    | MatchField::NationalId.bit();

/// The fields of [`SAME_PERSON_FIELDS`].
const SAME_PERSON_LIST: [MatchField; 4] = [
    MatchField::Email,
    MatchField::Phone,
    MatchField::Username,
    MatchField::NationalId,
];

/// A weak key with more records than this is skipped (see [`is_weak`]).
const WEAK_MAX_HITS: usize = 24;

/// How many hits a verify reads of a key of kind `kind` at most: it skips a weak key
/// with more ([`WEAK_MAX_HITS`]); `None` for the others, which it always reads.
fn most_hits(kind: BlockKind) -> Option<usize> {
    is_weak(kind).then_some(WEAK_MAX_HITS)
}

/// A tag a verify may look up (see [`lookup_tags`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LookupTag {
    /// The whole tag.
    pub tag: u64,
    /// The verify skips this tag when it has more hits than this (a weak key, see
    /// [`RecordStore::lookup_at_most_into`]);
    /// `None`: it reads every hit (at most
    /// [`MAX_HITS_PER_TAG`](breachcheck_index::MAX_HITS_PER_TAG) a segment).
    pub most_hits: Option<std::num::NonZeroUsize>,
}

/// SplitMix64 from `seed`: a fixed, dependency-free sequence, so sampling is reproducible
/// (same sample and index, same report).
fn splitmix(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed;
    move || breachcheck_index::splitmix_next(&mut state)
}

/// Every tag a verify may look up for line `rec`, each once: its blocking tags (both
/// phases), the neighbours of its ids and phone, and the identities of its audited values
/// (see [`breachcheck_index::exactly_held`]). An engine beyond one machine joins these with
/// the index's postings, so that the candidates it hands back answer every lookup.
pub fn lookup_tags(rec: &TaggedRecord) -> Vec<LookupTag> {
    let mut tags = block_tags(rec);
    let every = |tag: u64| LookupTag {
        tag,
        most_hits: None,
    };
    tags.extend(
        rec.neighbours
            .iter()
            .map(|t| t.0)
            .filter(|t| *t != 0)
            .map(every),
    );
    tags.extend(
        breachcheck_core::AuditField::ALL
            .iter()
            .filter_map(|f| f.identity(|m| rec.field(m).map(|t| t.canonical.0)))
            .map(every),
    );
    once_each(tags)
}

/// The blocking tags of line `rec` alone, each once (see [`lookup_tags`]).
pub fn block_tags(rec: &TaggedRecord) -> Vec<LookupTag> {
    once_each(
        rec.blocks
            .iter()
            .map(|(kind, t)| LookupTag {
                tag: t.0,
                most_hits: most_hits(*kind).and_then(std::num::NonZeroUsize::new),
            })
            .collect(),
    )
}

/// Each tag once, in tag order. A tag looked up as a weak key anywhere is read as one
/// (as a batch reads it, see `Prober::gather`); tags of different kinds never coincide,
/// as a kind is part of what is hashed.
fn once_each(mut tags: Vec<LookupTag>) -> Vec<LookupTag> {
    tags.sort_unstable_by_key(|t| (t.tag, t.most_hits.is_none(), t.most_hits));
    tags.dedup_by_key(|t| t.tag);
    tags
}

/// Mask of the personal (non-identifier) fields present in a record.
pub fn pii_mask(rec: &TaggedRecord) -> u16 {
    rec.fields()
        .filter(|(f, _)| f.is_pii())
        .fold(0, |m, (f, _)| m | f.bit())
}

/// Fields named in a mask, in field order.
pub fn fields_in(mask: u16) -> impl Iterator<Item = MatchField> {
    MatchField::ALL
        .into_iter()
        .filter(move |f| mask & f.bit() != 0)
}
