//! What the linkage reads of an index, as a trait: an [`Index`](crate::Index) on this
//! machine answers it from its memory-mapped segments; an engine beyond one machine (a
//! Spark join of a sample's tags with the exported tables) answers it from the candidates
//! it found. Both must answer every read the same, so that a verify over either writes the
//! same report.
use crate::{Hit, Manifest, RecordRow, SegmentKind};
use breachcheck_core::{AuditField, MatchField, Tag};
use breachcheck_normalize::TaggedRecord;

/// The reads a verify makes of an index.
pub trait RecordStore: Sync + std::fmt::Debug {
    /// The index's manifest (checked against its commitment).
    fn manifest(&self) -> &Manifest;

    /// Appends every posting with `tag`, across segments (in segment order, each
    /// segment's in its stored order, at most [`MAX_HITS_PER_TAG`] per segment), to `out`.
    fn lookup_into(&self, tag: Tag, out: &mut Vec<Hit>);

    /// Appends the hits of `tag` (as [`RecordStore::lookup_into`]) when there are at most
    /// `most`, and returns true; appends nothing and returns false when there are more.
    ///
    /// Why a read of its own: a weak key (a name token with a postal code, say) shared by
    /// many records says nothing about any of them, and the linkage skips it. A join
    /// beyond one machine can then leave such a key's postings and records out (on a
    /// sample of many names they are most of what a plain join would copy) and still
    /// answer this read exactly.
    fn lookup_at_most_into(&self, tag: Tag, most: usize, out: &mut Vec<Hit>) -> bool {
        let from = out.len();
        self.lookup_into(tag, out);
        at_most(out, from, most)
    }

    /// Record `record` of segment `segment`; `None` if there is none (or it is damaged).
    fn record(&self, segment: u32, record: u32) -> Option<RecordRow>;

    /// Appends the rows of `ids` (ascending) of segment `segment` to `out`.
    fn records_sorted(&self, segment: u32, ids: &[u32], out: &mut Vec<Option<RecordRow>>) {
        out.extend(ids.iter().map(|r| self.record(segment, *r)));
    }

    /// Appends to `out` the segments whose snapshot held the record (see
    /// [`Index::presence`](crate::Index::presence)).
    fn presence(&self, segment: u32, record: u32, out: &mut Vec<u32>);

    /// Asks for what lookups of `tags` will read, before they are made (a hint).
    fn prefetch_lookups(&self, _tags: &[u64]) {}

    /// Asks for what reads of the records `ids` will read, before they are made (a hint).
    fn prefetch_records(&self, _ids: &[(u32, u32)]) {}

    /// Appends the hits of `tag` in system segments (not canary sets or reference corpora)
    /// to `out`; returns where they are in it. What a reader that looks up first and reads
    /// rows later keeps of each lookup (see [`RecordStore::prefetch_hits`]).
    fn lookup_system_into(&self, tag: Tag, out: &mut Vec<Hit>) -> std::ops::Range<usize> {
        let from = out.len();
        self.lookup_into(tag, out);
        let segments = &self.manifest().segments;
        let mut kept = from;
        for i in from..out.len() {
            let h = out[i];
            if segments
                .get(h.segment as usize)
                .is_some_and(|m| m.kind == SegmentKind::System)
            {
                out[kept] = h;
                kept += 1;
            }
        }
        out.truncate(kept);
        from..kept
    }

    /// Asks for the rows of `hits` together before any is read: on a cold page cache,
    /// reading each hit's row as it comes would wait for every one in turn.
    fn prefetch_hits(&self, hits: &[Hit]) {
        let mut ids: Vec<(u32, u32)> = hits.iter().map(|h| (h.segment, h.record)).collect();
        ids.sort_unstable();
        ids.dedup();
        self.prefetch_records(&ids);
    }
}

/// Keeps the hits appended to `out` since `from` when there are at most `most` of them and
/// returns true; drops them and returns false when there are more (the rule of
/// [`RecordStore::lookup_at_most_into`], for stores that override it).
pub fn at_most(out: &mut Vec<Hit>, from: usize, most: usize) -> bool {
    if out.len() - from > most {
        out.truncate(from);
        return false;
    }
    true
}

/// At most this many hits per tag per segment are returned: a blocking tag shared by more
/// records than this (a family sharing a phone, a shared test address) is not selective,
/// and the per-record comparison decides among the first ones.
pub const MAX_HITS_PER_TAG: usize = 256;

/// Which of `rec`'s audited values some record of a company system holds exactly (see
/// [`Index::exactly_held`](crate::Index::exactly_held)), from any store.
pub fn exactly_held(store: &dyn RecordStore, rec: &TaggedRecord, known: u8) -> u8 {
    let mut exact = [known];
    exactly_held_batch(
        store,
        std::slice::from_ref(rec),
        &mut exact,
        &AuditField::ALL,
    );
    exact[0]
}

/// [`exactly_held`] of `fields` for many lines, adding to `exact[i]` what line `i` holds:
/// the identities are looked up in tag order (each once), so a large batch walks the index
/// front to back instead of landing on a random page per line.
pub fn exactly_held_batch(
    store: &dyn RecordStore,
    recs: &[TaggedRecord],
    exact: &mut [u8],
    fields: &[AuditField],
) {
    // (identity, field, line) of every value not yet known to be held.
    let mut wanted: Vec<(u64, u8, u32)> = Vec::new();
    for (i, (rec, known)) in recs.iter().zip(exact.iter()).enumerate() {
        for &f in fields {
            if known & (1u8 << (f as u8)) != 0 {
                continue;
            }
            if let Some(id) = f.identity(|m| rec.field(m).map(|t| t.canonical.0)) {
                wanted.push((id, f as u8, i as u32));
            }
        }
    }
    wanted.sort_unstable();
    let mut ids: Vec<u64> = wanted.iter().map(|w| w.0).collect();
    ids.dedup();
    store.prefetch_lookups(&ids);
    // Lookups first (in tag order), then the rows of their hits asked for together.
    // (first and end of the identity's entries in `wanted`, its hits as a range of `hits`)
    let mut found: Vec<(usize, usize, std::ops::Range<usize>)> = Vec::new();
    let mut hits: Vec<Hit> = Vec::new();
    let mut at = 0;
    while at < wanted.len() {
        let id = wanted[at].0;
        let end = at + wanted[at..].partition_point(|w| w.0 == id);
        let range = store.lookup_system_into(Tag(id), &mut hits);
        if !range.is_empty() {
            found.push((at, end, range));
        }
        at = end;
    }
    // Any one record holding every part settles a value, and the first hit nearly always
    // does: so each identity's first hit is asked for ahead, and the others are read (one
    // wait each on a cold cache) only where it does not hold the value — a chance agreement
    // on 40 or more bits, or, for a phone, a record without a country that holds the number
    // only as another reading of a national number (`phone_alternates` are postings too).
    // A name at an address shared by many records (a street and number without a city) has
    // hundreds of hits; asking for all of them made up most of a cold 1,000-line verify's
    // reads.
    let firsts: Vec<Hit> = found
        .iter()
        .map(|(_, _, range)| hits[range.start])
        .collect();
    store.prefetch_hits(&firsts);
    for (at, end, range) in found {
        for &(_, f, line) in &wanted[at..end] {
            let Some(field) = AuditField::from_u8(f) else {
                continue;
            };
            let rec = &recs[line as usize];
            // The record must hold every part exactly (its check values), which also
            // rules out a chance collision of identities.
            let parts: Option<Vec<(MatchField, Tag)>> = field
                .match_fields()
                .iter()
                .map(|m| rec.field(*m).map(|t| (*m, t.canonical)))
                .collect();
            let Some(parts) = parts else { continue };
            let held = hits[range.clone()].iter().any(|h| {
                store
                    .record(h.segment, h.record)
                    .is_some_and(|row| parts.iter().all(|(m, t)| row.agrees(*m, *t)))
            });
            if held {
                exact[line as usize] |= 1u8 << f;
            }
        }
    }
}

/// Runs of records of the system segments that a verify reads to learn how often the
/// company's own neighbouring records agree on a field (the repetition baseline): 32 runs
/// of up to 128 records at seeded offsets, segment by segment in turn. A function of the
/// manifest alone, so an engine beyond one machine can hand a verify the same rows.
/// Returns (run, segment, first record, end) per run, and the seed generator's state
/// after it, from which the verify draws the runs' pairs.
pub fn repetition_runs(manifest: &Manifest) -> (Vec<(usize, u32, u32, u32)>, u64) {
    const RUNS: usize = 32;
    const RUN_LEN: u64 = 128;
    let mut state: u64 = REPETITION_SEED;
    let segments: Vec<(u32, u64)> = manifest
        .segments
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind == SegmentKind::System && s.records > 0)
        .map(|(i, s)| (i as u32, s.records))
        .collect();
    let mut out = Vec::new();
    if !segments.is_empty() {
        for run in 0..RUNS {
            let (segment, n) = segments[run % segments.len()];
            let start = splitmix_next(&mut state) % n;
            out.push((run, segment, start as u32, (start + RUN_LEN).min(n) as u32));
        }
    }
    (out, state)
}

const REPETITION_SEED: u64 = 0x05ee_d0f1_dec5;

/// One step of SplitMix64 (the verify's seeded generator): advances `state`, returns the
/// next value.
pub fn splitmix_next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
