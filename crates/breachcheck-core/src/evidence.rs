use serde::{Deserialize, Serialize};
use std::fmt;

/// The strongest kind of evidence a sample line reaches against the index. Each parsed line
/// counts in exactly one class; the derive order is weakest first so `max` picks the strongest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceClass {
    /// No field matched any indexed record.
    None,
    /// Some fields match one record.
    Partial,
    /// The linkage model puts the line and one record at ≥ 99% the same person although
    /// not every field agrees exactly (typos, a changed digit, an old address), and no
    /// e-mail, phone or login disagrees.
    FuzzyRecord,
    /// All the line's personal fields (at least two) match one record after normalization.
    FullRecord,
    /// A full-record match that also reproduces how the source stored at least one value.
    QuirkFullRecord,
    /// A system's own identifier matched, together with an identifying personal field (or
    /// two others, such as city and postal code).
    InternalId,
    /// A planted canary record matched.
    Canary,
}

impl EvidenceClass {
    /// Strongest first, as reports list them.
    pub const STRONGEST_FIRST: [EvidenceClass; 7] = [
        EvidenceClass::Canary,
        EvidenceClass::InternalId,
        EvidenceClass::QuirkFullRecord,
        EvidenceClass::FullRecord,
        EvidenceClass::FuzzyRecord,
        EvidenceClass::Partial,
        EvidenceClass::None,
    ];

    /// Contract name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceClass::Canary => "canary",
            EvidenceClass::InternalId => "internal_id",
            EvidenceClass::QuirkFullRecord => "quirk_full_record",
            EvidenceClass::FullRecord => "full_record",
            EvidenceClass::FuzzyRecord => "fuzzy_record",
            EvidenceClass::Partial => "partial",
            EvidenceClass::None => "none",
        }
    }

    /// What the class means, for `--help` and the README.
    pub fn meaning(self) -> &'static str {
        match self {
            EvidenceClass::Canary => "matches a planted canary record on its own e-mail or two identifying fields",
            EvidenceClass::InternalId => "carries a system's own customer or order id, and the linkage model takes the record for the line's person",
            EvidenceClass::QuirkFullRecord => "matches a record on every personal field and reproduces a way of writing a value that few services use",
            EvidenceClass::FullRecord => "matches a record on every personal field it carries (at least two), after normalization",
            EvidenceClass::FuzzyRecord => "the linkage model puts it and one record at 99% the same person, though some field differs (typos, a changed digit)",
            EvidenceClass::Partial => "shares some value with a record without matching it whole",
            EvidenceClass::None => "matches nothing",
        }
    }

    /// Whether this class, on its own, says the line is one of the company's records
    /// (copied, possibly with a seller's noise).
    pub fn is_genuine(self) -> bool {
        self >= EvidenceClass::FuzzyRecord
    }
}

impl fmt::Display for EvidenceClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
