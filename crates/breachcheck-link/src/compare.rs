//! Record-level comparison of a sample line with one candidate record.
use crate::pii_mask;
use breachcheck_core::{EvidenceClass, MatchField};
use breachcheck_index::RecordRow;
use breachcheck_normalize::TaggedRecord;

/// Log-likelihood weights per field (log2 of m/u): how much agreement on a field says
/// "same person" versus coincidence, and how much disagreement says the opposite.
/// Fixed priors for now, chosen from how selective each field is in customer data (an
/// e-mail is nearly unique, a country is shared by millions); estimating them from the
/// data (EM) is the linkage issue's job.
#[derive(Clone, Debug)]
pub struct FieldWeights {
    agree: [f64; MatchField::COUNT],
    disagree: [f64; MatchField::COUNT],
}

impl Default for FieldWeights {
    fn default() -> Self {
        let mut agree = [0.0; MatchField::COUNT];
        let mut disagree = [0.0; MatchField::COUNT];
        for f in MatchField::ALL {
            let (a, d) = match f {
                MatchField::Email => (20.0, -3.0),
                MatchField::Phone => (18.0, -3.0),
                MatchField::Name => (10.0, -5.0),
                MatchField::Address => (12.0, -3.0),
                MatchField::City => (4.0, -2.0),
                MatchField::PostalCode => (7.0, -2.0),
                MatchField::Country => (1.0, -4.0),
                MatchField::BirthDate => (11.0, -5.0),
                MatchField::Username => (14.0, -2.0),
                MatchField::CustomerId => (14.0, -2.0),
                MatchField::OrderId => (14.0, -2.0),
                MatchField::NameNative => (2.0, -6.0),
            };
            agree[f.index()] = a;
            disagree[f.index()] = d;
        }
        FieldWeights { agree, disagree }
    }
}

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
    /// Fields that agree after normalization.
    pub agree: u16,
    /// Fields present on both sides that disagree.
    pub disagree: u16,
    /// Quirk-bearing fields whose raw representation agrees too.
    pub raw_agree: u16,
    /// Fellegi–Sunter style score (sum of log2 weights).
    pub score: f64,
    /// Evidence class this candidate gives.
    pub evidence: EvidenceClass,
}

pub(crate) fn compare(
    rec: &TaggedRecord,
    row: &RecordRow,
    segment: u32,
    record: u32,
    is_canary: bool,
    w: &FieldWeights,
) -> Candidate {
    let (mut agree, mut disagree, mut raw_agree) = (0u16, 0u16, 0u16);
    let mut score = 0.0;
    for (f, t) in rec.fields() {
        if row.present & f.bit() == 0 {
            continue;
        }
        let i = f.index();
        if row.canonical[i] == t.canonical.check() {
            agree |= f.bit();
            score += w.agree[i];
            if t.quirky && row.quirky & f.bit() != 0 && row.raw[i] == t.raw.check() {
                raw_agree |= f.bit();
            }
        } else {
            disagree |= f.bit();
            score += w.disagree[i];
        }
    }
    // The name in its own script is never required (a record stored in Latin letters has
    // none), but when both sides have it and it differs, the names differ whatever their
    // transliterations say.
    let native = MatchField::NameNative.bit();
    if disagree & native != 0 && agree & MatchField::Name.bit() != 0 {
        agree &= !MatchField::Name.bit();
        raw_agree &= !MatchField::Name.bit();
        disagree |= MatchField::Name.bit();
        score -= w.agree[MatchField::Name.index()] - w.disagree[MatchField::Name.index()];
    }
    let pii = pii_mask(rec) & !native;
    let agree_pii = agree & pii;
    let ids = MatchField::CustomerId.bit() | MatchField::OrderId.bit();
    let selective =
        MatchField::Email.bit() | MatchField::Phone.bit() | MatchField::Username.bit() | ids;
    let identifying = MatchField::ALL
        .into_iter()
        .filter(|f| f.is_identifying())
        .fold(0u16, |m, f| m | f.bit());
    let agree_identifying = agree & identifying;
    let evidence = if agree == 0 {
        EvidenceClass::None
    } else if is_canary && (agree & selective != 0 || agree_pii.count_ones() >= 2) {
        EvidenceClass::Canary
    } else if is_canary {
        EvidenceClass::Partial
    } else if agree & ids != 0 && agree_identifying != 0 {
        EvidenceClass::InternalId
    } else if pii.count_ones() >= 2 && agree_pii == pii && agree_identifying != 0 {
        if raw_agree != 0 {
            EvidenceClass::QuirkFullRecord
        } else {
            EvidenceClass::FullRecord
        }
    } else {
        EvidenceClass::Partial
    };
    Candidate {
        segment,
        record,
        source_file: row.source_file,
        source_row: row.source_row,
        agree,
        disagree,
        raw_agree,
        score,
        evidence,
    }
}
