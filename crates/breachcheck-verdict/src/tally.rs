//! Accumulates per-line probe results into the counts a verdict needs.
use breachcheck_core::{EvidenceClass, MatchField};
use breachcheck_index::Manifest;
use breachcheck_link::{LineMatch, LineProfile, EXACT_EMAIL, EXACT_NAME_ADDRESS, EXACT_PHONE};
use breachcheck_normalize::TaggedRecord;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Lines per segment that reached a genuine class (full record or stronger) there.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SegmentCount {
    /// System name.
    pub system: String,
    /// Snapshot date.
    pub snapshot: String,
    /// Whether the segment holds canaries.
    pub canary: bool,
    /// Whether the segment is a reference corpus (a known earlier breach): its counts say
    /// where else lines exist, never that the company holds them.
    pub reference: bool,
    /// Lines reaching at least a full-record match in this segment.
    pub full_or_better: u64,
    /// Lines reaching at least a partial match in this segment.
    pub any_match: u64,
    /// Genuine lines of which a record here agrees on every field the line carries: the
    /// sample has this system's columns.
    pub complete: u64,
    /// Joined lines (see [`Tally::joined`]) with a clean partial match here.
    pub joined: u64,
}

impl SegmentCount {
    /// Whether the segment is a snapshot of one of the company's systems.
    pub fn is_system(&self) -> bool {
        !self.canary && !self.reference
    }

    /// What the segment holds: `system`, `canary` or `reference`.
    pub fn kind(&self) -> &'static str {
        if self.canary {
            "canary"
        } else if self.reference {
            "reference"
        } else {
            "system"
        }
    }
}

/// Counts over a whole sample.
#[derive(Clone, Debug)]
pub struct Tally {
    /// Records probed.
    pub records: u64,
    /// Lines per evidence class.
    pub by_evidence: BTreeMap<EvidenceClass, u64>,
    /// Per segment of the index, in manifest order.
    pub segments: Vec<SegmentCount>,
    /// Lines that have each field.
    pub field_present: [u64; MatchField::COUNT],
    /// Lines whose best candidate agrees on each field.
    pub field_agree: [u64; MatchField::COUNT],
    /// Lines whose e-mail, phone, and name and address together some record of a company
    /// system (not a canary or a known breach) holds exactly, counted per distinct value as
    /// a third-party audit counts them (one definition: [`breachcheck_core::AuditField`]),
    /// in its order.
    pub exact_values: [u64; 3],
    /// The identities of the values behind `exact_values` ([`breachcheck_core::AuditField::identity`]).
    pub exact_seen: [std::collections::HashSet<u64>; 3],
    /// Lines with an invalid phone number.
    pub phone_invalid: u64,
    /// Lines with an invalid e-mail address.
    pub email_invalid: u64,
    /// Lines with an impossible birth date.
    pub birth_date_invalid: u64,
    /// Lines whose e-mail domain is reserved for documentation or tests.
    pub email_reserved: u64,
    /// Lines whose e-mail domain is a disposable-mail provider.
    pub email_disposable: u64,
    /// Lines whose postal code does not fit its country's format.
    pub postal_code_invalid: u64,
    /// Lines repeating an earlier line of the sample field for field (after
    /// normalization): generators and padded compilations repeat, exports of one table
    /// rarely do.
    pub duplicates: u64,
    /// Lines matching a record of a reference corpus (a known earlier breach) whole.
    pub reference_lines: u64,
    /// How often the sample's values repeat next to the company's records' (set once the
    /// whole sample is probed; see [`breachcheck_link::Repetition`]).
    pub repetition: Vec<breachcheck_link::Repetition>,
    /// Expected lines matching a record by coincidence were the sample unrelated people:
    /// the sum over lines of [`LineMatch::chance`] (each at most 1).
    pub expected_coincidental: f64,
    /// Digests of the lines seen, to count repeats (8 bytes a line).
    seen: std::collections::HashSet<u64>,
    /// Lines with no usable field.
    pub empty: u64,
    /// Lines whose genuine match reproduces a stored quirk (subset of genuine lines).
    pub quirk_lines: u64,
    /// Lines that match no single record whole but agree on every field with several
    /// records of the same person (joined internal tables); counted as genuine.
    pub joined: u64,
    /// Fuzzy record matches where a personal field differs outright (not a typo): the
    /// same person with other data, as another service holds it, rather than a noisy copy.
    pub conflicting: u64,
    /// Genuine lines by the span of snapshots of one system their records were present in:
    /// (system, first seen, last seen) → lines. A copy made at T shows records present at T
    /// and none present only before or only after it.
    pub presence: BTreeMap<(String, String, String), u64>,
    /// Histogram of best-candidate scores, buckets of 5 from -10 up.
    pub score_histogram: BTreeMap<i64, u64>,
    /// Lines per evidence profile: what the source model is fitted to.
    pub profiles: std::collections::HashMap<LineProfile, u64>,
    /// Per set of filled columns (bit mask of cells), (fields carried, lines, lines whose
    /// person a company system holds): a compilation merges rows of several shapes, each
    /// with its own overlap.
    pub shapes: BTreeMap<u64, (u16, u64, u64)>,
    /// Per quirk-bearing field ([`breachcheck_link::RAW_FIELDS`]), lines per raw-form class
    /// of the sample's own values.
    pub sample_forms: [BTreeMap<u8, u64>; 5],
    /// Per company system, per quirk-bearing field, records per raw-form class (from the
    /// index's segment profiles, counts only).
    pub company_forms: breachcheck_link::FormStats,
    /// Per system name, the fields most of its records carry (bit mask).
    pub system_fields: BTreeMap<String, u16>,
    /// The prober's systems by system number (set by [`Tally::observe`]).
    pub systems: Vec<SystemInfo>,
    /// Chance that an unrelated record agrees on each field at each linkage level (the
    /// fitted linkage model's u; ids from the id space's density).
    pub chance_u: [[f64; breachcheck_link::LEVELS]; MatchField::COUNT],
    /// Records in the company's systems.
    pub held_records: f64,
    /// Neighbours looked up and found, for customer ids, order ids and phones.
    pub neighbours: [(u64, u64); 3],
}

/// A system of the index as the verdict sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SystemInfo {
    /// Name.
    pub name: String,
    /// System snapshot, canary set or reference corpus.
    pub kind: breachcheck_index::SegmentKind,
    /// Records it held at its latest snapshot.
    pub live: u64,
    /// Fields most of its records carry (bit mask), from its latest snapshot's profile; 0
    /// when the index has no profile.
    pub fields: u16,
}

impl Tally {
    /// An empty tally for an index with this manifest.
    pub fn new(manifest: &Manifest) -> Self {
        Tally {
            records: 0,
            by_evidence: EvidenceClass::STRONGEST_FIRST
                .iter()
                .map(|c| (*c, 0))
                .collect(),
            segments: manifest
                .segments
                .iter()
                .map(|s| SegmentCount {
                    system: s.system.clone(),
                    snapshot: s.snapshot.clone(),
                    canary: s.kind == breachcheck_index::SegmentKind::Canary,
                    reference: s.kind == breachcheck_index::SegmentKind::Reference,
                    full_or_better: 0,
                    any_match: 0,
                    complete: 0,
                    joined: 0,
                })
                .collect(),
            field_present: [0; MatchField::COUNT],
            field_agree: [0; MatchField::COUNT],
            exact_values: [0; 3],
            exact_seen: Default::default(),
            phone_invalid: 0,
            email_invalid: 0,
            birth_date_invalid: 0,
            email_reserved: 0,
            email_disposable: 0,
            postal_code_invalid: 0,
            duplicates: 0,
            seen: std::collections::HashSet::new(),
            empty: 0,
            quirk_lines: 0,
            joined: 0,
            conflicting: 0,
            expected_coincidental: 0.0,
            reference_lines: 0,
            repetition: Vec::new(),
            presence: BTreeMap::new(),
            score_histogram: BTreeMap::new(),
            profiles: std::collections::HashMap::new(),
            shapes: BTreeMap::new(),
            sample_forms: Default::default(),
            company_forms: breachcheck_link::FormStats::from_manifest(manifest),
            system_fields: system_fields(manifest),
            systems: Vec::new(),
            chance_u: breachcheck_link::LinkageModel::default().u,
            held_records: {
                // Each system's records at its latest snapshot.
                let mut latest = BTreeMap::new();
                for s in manifest
                    .segments
                    .iter()
                    .filter(|s| s.kind == breachcheck_index::SegmentKind::System)
                {
                    latest.insert(s.system.as_str(), s.live);
                }
                latest.values().sum::<u64>() as f64
            },
            neighbours: [(0, 0); 3],
        }
    }

    /// Takes what the prober learnt over the whole sample: its systems, the fitted
    /// model's chance agreement rates, the id space's density and the repetition rates.
    /// Called once, after the last line is added.
    pub fn observe(&mut self, prober: &breachcheck_link::Prober<'_>) {
        self.systems = prober
            .systems()
            .into_iter()
            .map(|(name, kind, live)| SystemInfo {
                fields: self.system_fields.get(&name).copied().unwrap_or(0),
                name,
                kind,
                live,
            })
            .collect();
        self.chance_u = prober.model().u;
        self.neighbours = prober.neighbours();
        self.repetition = prober.repetition();
    }

    /// Per [`breachcheck_link::RAW_FIELDS`] entry, the share of other services expected to
    /// write the field the way this sample does: the sample's raw-form classes weighted by
    /// how common each is ([`breachcheck_link::FormStats::world`]).
    pub fn common_forms(&self) -> [f64; 5] {
        std::array::from_fn(|i| {
            let total: u64 = self.sample_forms[i].values().sum();
            if total == 0 {
                return 0.5;
            }
            self.sample_forms[i]
                .iter()
                .map(|(class, n)| *n as f64 / total as f64 * self.company_forms.world(i, *class))
                .sum()
        })
    }

    /// Adds one probed line.
    pub fn add(&mut self, rec: &TaggedRecord, m: &LineMatch) {
        self.records += 1;
        if !rec.is_empty() {
            *self.profiles.entry(m.profile).or_insert(0) += 1;
            let shape = self
                .shapes
                .entry(rec.filled)
                .or_insert((rec.present_mask(), 0, 0));
            shape.1 += 1;
            shape.2 += u64::from(m.profile.is_member());
        }
        for (i, f) in breachcheck_link::RAW_FIELDS.into_iter().enumerate() {
            if let Some(t) = rec.field(f) {
                *self.sample_forms[i].entry(t.form).or_insert(0) += 1;
            }
        }
        *self.by_evidence.entry(m.evidence).or_insert(0) += 1;
        self.expected_coincidental += m.chance.min(1.0);
        if rec.is_empty() {
            self.empty += 1;
        }
        for (f, _) in rec.fields() {
            self.field_present[f.index()] += 1;
        }
        self.joined += u64::from(m.joined);
        for (i, (bit, field)) in [EXACT_EMAIL, EXACT_PHONE, EXACT_NAME_ADDRESS]
            .into_iter()
            .zip(breachcheck_core::AuditField::ALL)
            .enumerate()
        {
            if m.exact & bit == 0 {
                continue;
            }
            if let Some(id) = field.identity(|f| rec.field(f).map(|t| t.canonical.0)) {
                self.exact_seen[i].insert(id);
                self.exact_values[i] = self.exact_seen[i].len() as u64;
            }
        }
        self.add_presence(m);
        if let Some(r) = m.reference {
            if let Some(s) = self.segments.get_mut(r.segment as usize) {
                s.any_match += 1;
                s.full_or_better += u64::from(r.evidence.is_genuine());
            }
            self.reference_lines += u64::from(r.evidence.is_genuine());
        }
        if m.joined {
            for sm in &m.per_segment {
                if let Some(s) = self.segments.get_mut(sm.segment as usize) {
                    s.joined += 1;
                }
            }
        }
        if let Some(b) = &m.best {
            for f in MatchField::ALL {
                if b.agree & f.bit() != 0 {
                    self.field_agree[f.index()] += 1;
                }
            }
            if b.raw_agree != 0 && m.evidence.is_genuine() {
                self.quirk_lines += 1;
            }
            let personal = MatchField::ALL
                .into_iter()
                .filter(|f| f.is_pii())
                .fold(0u16, |m, f| m | f.bit());
            if m.evidence == EvidenceClass::FuzzyRecord && b.disagree & personal != 0 {
                self.conflicting += 1;
            }
            let bucket = ((b.score / 5.0).floor() as i64 * 5).max(-10);
            *self.score_histogram.entry(bucket).or_insert(0) += 1;
        }
        self.phone_invalid += u64::from(rec.signals.phone_invalid);
        self.email_invalid += u64::from(rec.signals.email_invalid);
        self.birth_date_invalid += u64::from(rec.signals.birth_date_invalid);
        self.email_reserved += u64::from(rec.signals.email_reserved);
        self.email_disposable += u64::from(rec.signals.email_disposable);
        self.postal_code_invalid += u64::from(rec.signals.postal_code_invalid);
        if !rec.is_empty() && !self.seen.insert(content_digest(rec)) {
            self.duplicates += 1;
        }
        for sm in &m.per_segment {
            if let Some(s) = self.segments.get_mut(sm.segment as usize) {
                s.any_match += 1;
                if sm.evidence.is_genuine() {
                    s.full_or_better += 1;
                    s.complete += u64::from(sm.complete);
                }
            }
        }
    }

    /// Merges another tally over the same index (for parallel probing).
    pub fn merge(&mut self, other: Tally) {
        self.records += other.records;
        for (k, v) in other.by_evidence {
            *self.by_evidence.entry(k).or_insert(0) += v;
        }
        for (a, b) in self.segments.iter_mut().zip(other.segments) {
            a.full_or_better += b.full_or_better;
            a.any_match += b.any_match;
            a.complete += b.complete;
            a.joined += b.joined;
        }
        for i in 0..MatchField::COUNT {
            self.field_present[i] += other.field_present[i];
            self.field_agree[i] += other.field_agree[i];
        }
        for (i, seen) in other.exact_seen.into_iter().enumerate() {
            self.exact_seen[i].extend(seen);
            self.exact_values[i] = self.exact_seen[i].len() as u64;
        }
        self.phone_invalid += other.phone_invalid;
        self.email_invalid += other.email_invalid;
        self.birth_date_invalid += other.birth_date_invalid;
        self.email_reserved += other.email_reserved;
        self.email_disposable += other.email_disposable;
        self.postal_code_invalid += other.postal_code_invalid;
        self.duplicates += other.duplicates;
        self.expected_coincidental += other.expected_coincidental;
        self.reference_lines += other.reference_lines;
        for d in other.seen {
            if !self.seen.insert(d) {
                self.duplicates += 1;
            }
        }
        self.empty += other.empty;
        self.quirk_lines += other.quirk_lines;
        self.joined += other.joined;
        self.conflicting += other.conflicting;
        for (k, v) in other.presence {
            *self.presence.entry(k).or_insert(0) += v;
        }
        for (k, v) in other.score_histogram {
            *self.score_histogram.entry(k).or_insert(0) += v;
        }
        for (k, v) in other.profiles {
            *self.profiles.entry(k).or_insert(0) += v;
        }
        for (k, (fields, lines, members)) in other.shapes {
            let shape = self.shapes.entry(k).or_insert((fields, 0, 0));
            shape.1 += lines;
            shape.2 += members;
        }
        for (mine, theirs) in self.sample_forms.iter_mut().zip(other.sample_forms) {
            for (k, v) in theirs {
                *mine.entry(k).or_insert(0) += v;
            }
        }
    }

    /// Records the snapshot span of a genuine line's matches in the system of its best
    /// candidate.
    fn add_presence(&mut self, m: &LineMatch) {
        let Some(best) = &m.best else { return };
        if !m.evidence.is_genuine() {
            return;
        }
        let Some(system) = self
            .segments
            .get(best.segment as usize)
            .map(|s| s.system.clone())
        else {
            return;
        };
        let mut snaps: Vec<&str> = m
            .per_segment
            .iter()
            .filter(|sm| sm.evidence.is_genuine())
            .filter_map(|sm| self.segments.get(sm.segment as usize))
            .filter(|s| s.is_system() && s.system == system)
            .map(|s| s.snapshot.as_str())
            .collect();
        snaps.sort_unstable();
        if let (Some(first), Some(last)) = (snaps.first(), snaps.last()) {
            let key = (system.clone(), (*first).to_owned(), (*last).to_owned());
            *self.presence.entry(key).or_insert(0) += 1;
        }
    }

    /// Lines in `class`.
    pub fn count(&self, class: EvidenceClass) -> u64 {
        self.by_evidence.get(&class).copied().unwrap_or(0)
    }

    /// Lines whose evidence alone says "copied": full record or stronger, or joined from
    /// several internal records of one person.
    pub fn genuine_lines(&self) -> u64 {
        self.by_evidence
            .iter()
            .filter(|(c, _)| c.is_genuine())
            .map(|(_, n)| n)
            .sum::<u64>()
            + self.joined
    }
}

/// Per system of the manifest, the fields at least half of the records of its latest
/// snapshot carry (bit mask): which columns a copy of it can have.
fn system_fields(manifest: &Manifest) -> BTreeMap<String, u16> {
    let mut out = BTreeMap::new();
    for s in manifest
        .segments
        .iter()
        .filter(|s| s.kind == breachcheck_index::SegmentKind::System)
    {
        let p = &s.profile;
        let mask = MatchField::ALL
            .into_iter()
            .filter(|f| {
                p.fields
                    .get(f.as_str())
                    .is_some_and(|n| p.records > 0 && 2 * n >= p.records)
            })
            .fold(0u16, |m, f| m | f.bit());
        out.insert(s.system.clone(), mask);
    }
    out
}

/// A 64-bit digest of a line's normalized fields (tags and which fields are present).
fn content_digest(rec: &TaggedRecord) -> u64 {
    // FNV-1a over the tags: the tags are already keyed hashes, so mixing them is enough.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (f, t) in rec.fields() {
        for b in (f.index() as u64)
            .to_le_bytes()
            .into_iter()
            .chain(t.canonical.0.to_le_bytes())
        {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}
