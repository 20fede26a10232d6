//! Record-level comparison of a sample line with one candidate record.
use crate::model::{Level, Levels, LinkageModel};
use crate::profile::{FieldLevel, LineProfile, RawState, RAW_FIELDS};
use breachcheck_core::{EvidenceClass, FuzzyKind, MatchField};
use breachcheck_index::RecordRow;
use breachcheck_normalize::TaggedRecord;

/// Posterior probability of "same person" a fuzzy match must reach, before the further
/// conditions of [`EvidenceClass::FuzzyRecord`]. The prior behind it is already strict
/// (one record among the whole index, see [`LinkageModel`]); 0.99 is where Splink's
/// documented FEBRL set-up draws the line too. Measured on FEBRL4: precision 1.0 and
/// recall 0.9992 at 0.99, recall 0.9984 at 0.999.
pub const FUZZY_POSTERIOR: f64 = 0.99;

/// Match weight (bits of evidence against a random pair) a fuzzy match needs whatever the
/// posterior says: 2^10 to 1 against a random pair is the floor even for a tiny index.
pub const FUZZY_MIN_SCORE: f64 = 10.0;

/// A candidate record with how it compares.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// Segment index.
    pub segment: u32,
    /// Record index in the segment.
    pub record: u32,
    /// Source file index within the segment.
    pub source_file: u16,
    /// Row in that source file.
    pub source_row: u64,
    /// Fields that agree exactly after normalization.
    pub agree: u16,
    /// Fields whose values differ but whose fuzzy encodings are close (a typo).
    pub close: u16,
    /// Fields present on both sides that differ.
    pub disagree: u16,
    /// Quirk-bearing fields whose raw representation agrees too.
    pub raw_agree: u16,
    /// Fellegi–Sunter match weight (sum of log2(m/u) over the compared fields).
    pub score: f64,
    /// Probability that the line and the record are one person (see [`LinkageModel`]).
    pub posterior: f64,
    /// Evidence class this candidate gives.
    pub evidence: EvidenceClass,
}

/// Agreement level of every field between a line and a record, and the quirky fields
/// whose raw form agrees.
pub(crate) fn levels(rec: &TaggedRecord, row: &RecordRow) -> (Levels, u16) {
    let mut out = [Level::Missing; MatchField::COUNT];
    let mut raw_agree = 0u16;
    for (f, t) in rec.fields() {
        if row.present & f.bit() == 0 {
            continue;
        }
        let i = f.index();
        // A phone number without a country has other readings; the one the record holds
        // is the line's.
        let alternate = f == MatchField::Phone
            && rec
                .phone_alternates
                .iter()
                .any(|a| a.0 != 0 && row.agrees(f, *a));
        out[i] = if row.agrees(f, t.canonical) || alternate {
            if t.quirky && row.raw_agrees(f, t.raw) {
                raw_agree |= f.bit();
            }
            Level::Exact
        } else {
            Level::of_fuzzy(FuzzyKind::of(f), row.fuzzy[i], t.fuzzy)
        };
    }
    // The name in its own script is never required (a record stored in Latin letters has
    // none), but when both sides have it and it differs while the transliterations are
    // equal (王 and 汪, both "wang"), the names differ. A typo in the native script shows in
    // the transliteration too, and stays the typo it is.
    let (name, native) = (MatchField::Name.index(), MatchField::NameNative.index());
    if out[native] == Level::Differ && out[name] == Level::Exact {
        out[name] = Level::Differ;
        raw_agree &= !MatchField::Name.bit();
    }
    (out, raw_agree)
}

/// A candidate's agreement levels, quirky raw agreement and match weight, with what the
/// classification needs of its row (copied while the row is in cache: a large sample's
/// rows are hundreds of MB, and touching one again later is a cache miss).
#[derive(Clone, Copy)]
pub(crate) struct Scored {
    pub(crate) levels: Levels,
    pub(crate) raw_agree: u16,
    pub(crate) score: f64,
    /// The row's present fields, source file and source row.
    pub(crate) present: u16,
    pub(crate) source_file: u16,
    pub(crate) source_row: u64,
}

/// A candidate record compared with a line: its agreement levels, computed once and then
/// scored by whichever model is in force (the fit and the classification of a batch both
/// use them).
#[derive(Clone, Copy)]
pub(crate) struct Compared<'r> {
    pub(crate) segment: u32,
    pub(crate) record: u32,
    pub(crate) row: &'r RecordRow,
    pub(crate) levels: Levels,
    raw_agree: u16,
    present: u16,
    source_file: u16,
    source_row: u64,
}

impl<'r> Compared<'r> {
    pub(crate) fn new(rec: &TaggedRecord, segment: u32, record: u32, row: &'r RecordRow) -> Self {
        let (levels, raw_agree) = levels(rec, row);
        Compared {
            segment,
            record,
            row,
            levels,
            raw_agree,
            present: row.present,
            source_file: row.source_file,
            source_row: row.source_row,
        }
    }

    /// The levels' match weight under `model`.
    pub(crate) fn scored(&self, model: &LinkageModel) -> Scored {
        // Name in its own script only ever vetoes; it adds no weight of its own beyond the
        // transliterated name's.
        let mut scored = self.levels;
        scored[MatchField::NameNative.index()] = Level::Missing;
        Scored {
            levels: self.levels,
            raw_agree: self.raw_agree,
            score: model.score(&scored),
            present: self.present,
            source_file: self.source_file,
            source_row: self.source_row,
        }
    }
}

/// What [`compare`] needs of the line, worked out once for all its candidates.
#[derive(Clone, Copy)]
pub(crate) struct LineFacts {
    /// Its personal fields ([`crate::pii_mask`]) but the name in its own script.
    pub(crate) pii: u16,
    /// Quirk-bearing fields it writes in a way few services share.
    pub(crate) rare: u16,
}

/// Fields that identify a person (see [`MatchField::is_identifying`]), as a mask.
const IDENTIFYING: u16 = MatchField::Email.bit()
    | MatchField::Phone.bit()
    | MatchField::Name.bit()
    | MatchField::Address.bit()
    | MatchField::BirthDate.bit()
    | MatchField::Username.bit()
    | MatchField::NationalId.bit();

pub(crate) fn compare(
    line: LineFacts,
    (segment, record): (u32, u32),
    is_canary: bool,
    scored: &Scored,
    posterior: f64,
) -> Candidate {
    let rare = line.rare;
    let Scored {
        levels,
        raw_agree,
        score,
        ..
    } = *scored;
    // Every candidate of every line comes through here (millions for a large sample): the
    // level masks in one pass over the fields.
    let (mut agree, mut close, mut disagree, mut differ) = (0u16, 0u16, 0u16, 0u16);
    for (i, l) in levels.iter().enumerate() {
        let bit = 1u16 << i;
        match l {
            Level::Exact => agree |= bit,
            Level::Close | Level::Near => close |= bit,
            // A shared name token is neither agreement nor outright difference.
            Level::Token => disagree |= bit,
            Level::Differ => {
                disagree |= bit;
                differ |= bit;
            }
            Level::Missing => {}
        }
    }
    let pii = line.pii;
    let agree_pii = agree & pii;
    let ids = MatchField::CustomerId.bit() | MatchField::OrderId.bit();
    let contact = MatchField::Email.bit() | MatchField::Phone.bit() | MatchField::Username.bit();
    let identifying = IDENTIFYING;
    let agree_identifying = agree & identifying;
    let near_identifying = (agree | close) & identifying;
    let evidence = if agree == 0 && close == 0 {
        EvidenceClass::None
    } else if agree == 0 {
        EvidenceClass::Partial
    } else if is_canary
        && (agree & MatchField::Email.bit() != 0 || agree_identifying.count_ones() >= 2)
    {
        // A canary's e-mail is its own (on the company's relay domain); anything else it
        // carries — a phone in the company's range, a common name, an id — can be shared
        // with real customers, so it takes two identifying fields.
        EvidenceClass::Canary
    } else if is_canary {
        EvidenceClass::Partial
    } else if agree & ids != 0
        && posterior >= FUZZY_POSTERIOR
        && (near_identifying != 0
            || (agree_pii.count_ones() >= 2 && differ & pii & identifying == 0))
    {
        // An id hit counts only when the model, which weighs the hit by how dense the id
        // space is, says the record is the line's person: in a dense space a made-up id
        // names a real customer by chance. Fields that only place a person (city, postal
        // code, country) confirm it only where no identifying field the line carries
        // differs outright (a shared name token, an initial, does not veto it): a forged id that exists, in the record's city, on a line whose name,
        // e-mail and phone are all someone else's, is a chance hit (held-out fabricated
        // samples read a compilation on one such line).
        EvidenceClass::InternalId
    } else if pii.count_ones() >= 2 && agree_pii == pii && agree_identifying != 0 {
        // Only a reproduced way of writing that few services share is the company's own
        // (a lower-cased e-mail or a phone in plain digits is everyone's habit).
        if raw_agree & rare != 0 {
            EvidenceClass::QuirkFullRecord
        } else {
            EvidenceClass::FullRecord
        }
    } else if posterior >= FUZZY_POSTERIOR
        && score >= FUZZY_MIN_SCORE
        && pii.count_ones() >= 2
        && near_identifying != 0
        && ((agree | close) & pii).count_ones() >= 2
        && ((agree | close) & pii).count_ones() * 2 >= pii.count_ones()
        && pii & contact & !agree == 0
    {
        // The model says "same person" though not every field agrees: a typo, a changed
        // digit, an old address. Like a full-record match it needs a record, not a single
        // value: two personal fields at least, one of them identifying, and most of the
        // line's personal fields agreeing or nearly. Every e-mail, phone or login the line
        // carries must agree: sellers copy those as they are, a record without them
        // cannot confirm them, and two people sharing a common name and birthday are
        // exactly what a contact column tells apart.
        EvidenceClass::FuzzyRecord
    } else {
        EvidenceClass::Partial
    };
    Candidate {
        segment,
        record,
        source_file: scored.source_file,
        source_row: scored.source_row,
        agree,
        close,
        disagree,
        raw_agree,
        score,
        posterior,
        evidence,
    }
}

/// A line's per-field [`FieldLevel`]s against a record (packed as in
/// [`LineProfile::levels`]) and the raw-form states of its quirk-bearing fields.
pub(crate) fn profile_levels(rec: &TaggedRecord, row: &RecordRow, levels: &Levels) -> (u64, u16) {
    let mut p = LineProfile::default();
    // The name in its own script is a second look at the name (a veto the levels already
    // applied to it), not a field of its own.
    for f in MatchField::ALL
        .into_iter()
        .filter(|f| *f != MatchField::NameNative)
    {
        let line = rec.field(f);
        let record_has = row.present & f.bit() != 0;
        p.set_level(
            f,
            FieldLevel::of(levels[f.index()], line.is_some(), record_has),
        );
    }
    for (i, f) in RAW_FIELDS.into_iter().enumerate() {
        let Some(t) = rec.field(f) else { continue };
        if levels[f.index()] != Level::Exact || row.present & f.bit() == 0 {
            continue;
        }
        let stored_quirky = row.quirky & f.bit() != 0;
        let state = match (t.quirky, stored_quirky) {
            (false, false) => RawState::None,
            (true, true) if row.raw_agrees(f, t.raw) => RawState::Agree,
            _ => RawState::Differ,
        };
        p.set_raw_state(i, state);
    }
    (p.levels, p.raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mask `compare` uses is `MatchField::is_identifying`, field for field.
    #[test]
    fn identifying_mask_is_the_fields_own_word() {
        let want = MatchField::ALL
            .into_iter()
            .filter(|f| f.is_identifying())
            .fold(0u16, |m, f| m | f.bit());
        assert_eq!(IDENTIFYING, want);
    }

    /// An id hit confirmed by where the person lives is the system's own id only when no
    /// identifying field of the line says it is someone else.
    #[test]
    fn a_forged_id_in_the_records_city_is_no_internal_id() {
        use MatchField::{City, Country, CustomerId, Email, Name, Phone, PostalCode};
        let class = |other: &[(MatchField, Level)]| {
            let mut levels = [Level::Missing; MatchField::COUNT];
            let mut pii = 0u16;
            for f in [CustomerId, City, PostalCode, Country] {
                levels[f.index()] = Level::Exact;
            }
            for f in [City, PostalCode, Country] {
                pii |= f.bit();
            }
            for (f, l) in other {
                levels[f.index()] = *l;
                pii |= f.bit();
            }
            let scored = Scored {
                levels,
                raw_agree: 0,
                score: 25.0,
                present: 0,
                source_file: 0,
                source_row: 1,
            };
            compare(LineFacts { pii, rare: 0 }, (0, 0), false, &scored, 0.999).evidence
        };
        // A sample of ids and places only: the places confirm the id.
        assert_eq!(class(&[]), EvidenceClass::InternalId);
        // Name, e-mail and phone are someone else's: a chance hit.
        let d = Level::Differ;
        assert_ne!(
            class(&[(Name, d), (Email, d), (Phone, d)]),
            EvidenceClass::InternalId
        );
        assert_ne!(class(&[(Name, d)]), EvidenceClass::InternalId);
        // A name that shares a token (an initial, one of two surnames) does not veto it.
        assert_eq!(class(&[(Name, Level::Token)]), EvidenceClass::InternalId);
    }
}
