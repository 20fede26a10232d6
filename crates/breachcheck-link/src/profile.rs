//! A line's evidence reduced to what the verdict's source model reads: per field, how the
//! line compares with the person's best record in the company's systems; which systems
//! hold that person; whether the line reproduces how the record's values were written;
//! whether it is a row of joined tables, a canary, or a record of a known breach; and the
//! snapshots its record was present in. Equal profiles are counted together, so a sample
//! of 10^8 lines reduces to a few thousand distinct profiles (bounded memory), and every
//! number of the verdict can be recomputed from the table of profiles and counts.

use crate::model::Level;
use breachcheck_core::MatchField;

/// How one field of a line compares with the person's best record. Codes are the report's
/// contract (`verdict.sources`): 0 absent … 7 shared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FieldLevel {
    /// The line lacks the field.
    Absent = 0,
    /// Canonical values equal.
    Exact = 1,
    /// Fuzzy encodings very close (a typo).
    Close = 2,
    /// Fuzzy encodings somewhat close.
    Near = 3,
    /// Names sharing a whole token, nothing more.
    Token = 4,
    /// Different values.
    Differ = 5,
    /// The line has the field, the record does not (the line carries a column the
    /// record's system does not keep).
    LineOnly = 6,
    /// Equal, on an e-mail, phone, login or national id that many of the company's
    /// records share (a household's phone, a placeholder number): agreement a stranger
    /// reaches as easily.
    Shared = 7,
}

/// Number of [`FieldLevel`]s.
pub const FIELD_LEVELS: usize = 8;

impl FieldLevel {
    /// Every level, in code order.
    pub const ALL: [FieldLevel; FIELD_LEVELS] = [
        FieldLevel::Absent,
        FieldLevel::Exact,
        FieldLevel::Close,
        FieldLevel::Near,
        FieldLevel::Token,
        FieldLevel::Differ,
        FieldLevel::LineOnly,
        FieldLevel::Shared,
    ];

    /// Position in per-level arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Contract name.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldLevel::Absent => "absent",
            FieldLevel::Exact => "exact",
            FieldLevel::Close => "close",
            FieldLevel::Near => "near",
            FieldLevel::Token => "token",
            FieldLevel::Differ => "differ",
            FieldLevel::LineOnly => "line_only",
            FieldLevel::Shared => "shared",
        }
    }

    fn from_code(c: u64) -> FieldLevel {
        FieldLevel::ALL
            .get(c as usize)
            .copied()
            .unwrap_or(FieldLevel::Absent)
    }

    /// The level of a linkage comparison, given whether the line has the field and the
    /// record does.
    pub(crate) fn of(level: Level, line_has: bool, record_has: bool) -> FieldLevel {
        match (line_has, record_has, level) {
            (false, _, _) => FieldLevel::Absent,
            (true, false, _) => FieldLevel::LineOnly,
            (true, true, Level::Exact) => FieldLevel::Exact,
            (true, true, Level::Close) => FieldLevel::Close,
            (true, true, Level::Near) => FieldLevel::Near,
            (true, true, Level::Token) => FieldLevel::Token,
            (true, true, _) => FieldLevel::Differ,
        }
    }

    /// Rank for merging the records of one person: the better agreement wins.
    pub(crate) fn rank(self) -> u8 {
        match self {
            FieldLevel::Exact => 6,
            FieldLevel::Shared => 5,
            FieldLevel::Close => 5,
            FieldLevel::Near => 4,
            FieldLevel::Token => 3,
            FieldLevel::Differ => 2,
            FieldLevel::LineOnly => 1,
            FieldLevel::Absent => 0,
        }
    }
}

/// Whether a reproduced raw form agrees, per quirk-bearing field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RawState {
    /// No evidence: a side lacks the field, the values differ, or both are written
    /// canonically.
    None = 0,
    /// Both are written the same non-canonical way.
    Agree = 1,
    /// The same value, written differently.
    Differ = 2,
}

/// Quirk-bearing fields in the order of [`LineProfile::raw`].
pub const RAW_FIELDS: [MatchField; 5] = [
    MatchField::Email,
    MatchField::Phone,
    MatchField::Address,
    MatchField::PostalCode,
    MatchField::BirthDate,
];

/// The evidence of one line for the source model (see the module documentation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LineProfile {
    /// [`FieldLevel`] codes, 4 bits per field in field order: for a line whose person a
    /// company system holds, each field's best level over that person's records; else the
    /// levels against the best-scoring record of the company's systems.
    pub levels: u64,
    /// Company systems (bit = the prober's system number) holding a record that is the
    /// line's person (posterior ≥ 1/2, or the same e-mail, phone, login or national id).
    pub members: u32,
    /// Of `members`, the systems whose record of the person carries every field the line
    /// carries: the line could be a projection (a copy) of that system's record.
    pub complete: u32,
    /// System number of the best record plus one (0: no candidate).
    pub system: u8,
    /// [`RawState`] per [`RAW_FIELDS`] entry, 2 bits each.
    pub raw: u16,
    /// Bit 0: a row of joined internal tables; bit 1: a planted canary matched.
    pub flags: u8,
    /// Reference corpus (the prober's system number plus one) the line matches whole; 0
    /// when none.
    pub reference: u8,
    /// First and last snapshot (positions among the best record's system's snapshots,
    /// oldest 0) in which the line's record was present; (0xff, 0xff) when unknown.
    pub span: (u8, u8),
}

/// [`LineProfile::flags`]: a row of joined tables.
pub const JOINED: u8 = 1;
/// [`LineProfile::flags`]: a planted canary matched.
pub const CANARY: u8 = 2;

impl LineProfile {
    /// Level of `field`.
    pub fn level(&self, field: MatchField) -> FieldLevel {
        FieldLevel::from_code((self.levels >> (4 * field.index())) & 0xf)
    }

    /// Sets the level of `field`.
    pub fn set_level(&mut self, field: MatchField, level: FieldLevel) {
        let shift = 4 * field.index();
        self.levels = (self.levels & !(0xf << shift)) | ((level as u64) << shift);
    }

    /// Raw-form state of the `i`-th of [`RAW_FIELDS`].
    pub fn raw_state(&self, i: usize) -> RawState {
        match (self.raw >> (2 * i)) & 3 {
            1 => RawState::Agree,
            2 => RawState::Differ,
            _ => RawState::None,
        }
    }

    /// Sets the raw-form state of the `i`-th of [`RAW_FIELDS`].
    pub fn set_raw_state(&mut self, i: usize, state: RawState) {
        let shift = 2 * i;
        self.raw = (self.raw & !(3 << shift)) | ((state as u16) << shift);
    }

    /// Whether the line has a candidate record in the company's systems at all.
    pub fn has_candidate(&self) -> bool {
        self.system != 0
    }

    /// Whether some company system holds the line's person.
    pub fn is_member(&self) -> bool {
        self.members != 0
    }

    /// Whether the line is a row of joined tables.
    pub fn joined(&self) -> bool {
        self.flags & JOINED != 0
    }

    /// Whether a planted canary matched.
    pub fn canary(&self) -> bool {
        self.flags & CANARY != 0
    }

    /// Fields the line carries.
    pub fn present(&self) -> impl Iterator<Item = MatchField> + '_ {
        MatchField::ALL
            .into_iter()
            .filter(|f| self.level(*f) != FieldLevel::Absent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_raw_states_round_trip() {
        let mut p = LineProfile::default();
        for (i, f) in MatchField::ALL.into_iter().enumerate() {
            p.set_level(f, FieldLevel::ALL[i % FIELD_LEVELS]);
        }
        for (i, f) in MatchField::ALL.into_iter().enumerate() {
            assert_eq!(p.level(f), FieldLevel::ALL[i % FIELD_LEVELS]);
        }
        p.set_raw_state(4, RawState::Differ);
        p.set_raw_state(1, RawState::Agree);
        assert_eq!(p.raw_state(4), RawState::Differ);
        assert_eq!(p.raw_state(1), RawState::Agree);
        assert_eq!(p.raw_state(0), RawState::None);
    }
}
