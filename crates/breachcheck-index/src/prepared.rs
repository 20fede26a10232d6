//! What one record adds to a segment, apart from the record it came from: its row of check
//! values, its postings and what it adds to the segment's profile. A build on one machine
//! makes it from a normalized record and adds it at once; a build beyond one machine
//! (`breachcheck index prepare` on Spark executors) writes it as bytes for one merge step
//! (`index build --prepared`) to add in source order — the same segment either way, as
//! normalization and keyed hashing stay one code path.
use crate::RecordRow;
use breachcheck_core::{AuditField, MatchField};
use breachcheck_normalize::TaggedRecord;

/// One record, ready to be added to a segment ([`crate::SegmentBuilder::add_prepared`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prepared {
    /// Its row (check values and keyed encodings; `source_file` and `source_row` unset).
    pub row: RecordRow,
    /// Its postings: blocking tags, then the name-and-address identity when it has one.
    pub postings: Vec<u64>,
    /// Raw-form class of each present quirk-bearing field, in field order.
    pub forms: Vec<u8>,
    /// Country calling code of its phone (0: none).
    pub phone_code: u16,
}

impl Prepared {
    /// What `rec` adds to a segment.
    pub fn from_tagged(rec: &TaggedRecord) -> Self {
        let mut postings: Vec<u64> = rec.blocks.iter().map(|(_, t)| t.0).collect();
        // The record's name and address together, as one posting: how `exactly_held`
        // finds a line's name+address the way an audit does, even when the name's tokens
        // are too short to be blocking keys. (E-mails and phones are postings already:
        // their block tags are their canonical tags, which is their identity too.)
        if let Some(identity) =
            AuditField::NameAddress.identity(|f| rec.field(f).map(|t| t.canonical.0))
        {
            postings.push(identity);
        }
        Prepared {
            row: RecordRow::from_tagged(rec, 0),
            postings,
            forms: rec
                .fields()
                .filter(|(f, _)| f.carries_quirks())
                .map(|(_, t)| t.form)
                .collect(),
            phone_code: rec.phone_code,
        }
    }

    /// Whether the record had no field (it is not stored).
    pub fn is_empty(&self) -> bool {
        self.row.present == 0
    }

    /// The fields it has that carry quirks, in field order, with their form class.
    pub(crate) fn field_forms(&self) -> impl Iterator<Item = (MatchField, u8)> + '_ {
        MatchField::ALL
            .into_iter()
            .filter(|f| self.row.present & f.bit() != 0 && f.carries_quirks())
            .zip(self.forms.iter().copied())
    }

    /// As bytes: phone code u16, the row ([`RecordRow::to_bytes`]) after its length (u16),
    /// the forms after their count (u8), then the postings (u64 each) to the end. Keyed
    /// tags and check values only, never a value.
    pub fn to_bytes(&self) -> Vec<u8> {
        let row = self.row.to_bytes();
        let mut out =
            Vec::with_capacity(5 + row.len() + self.forms.len() + 8 * self.postings.len());
        out.extend_from_slice(&self.phone_code.to_le_bytes());
        out.extend_from_slice(&(row.len() as u16).to_le_bytes());
        out.extend_from_slice(&row);
        out.push(self.forms.len() as u8);
        out.extend_from_slice(&self.forms);
        for p in &self.postings {
            out.extend_from_slice(&p.to_le_bytes());
        }
        out
    }

    /// Whether `b` holds a row of another format than this binary's (see
    /// [`RecordRow::other_format`]): prepared by executors running another release. (A
    /// prepared row's source file is always 0, so rows from before the format byte always
    /// start with 0 here.) Bytes too short to hold a row are not another format: damaged.
    pub fn other_format(b: &[u8]) -> bool {
        b.get(4..)
            .is_some_and(|row| !row.is_empty() && RecordRow::other_format(row))
    }

    /// Reads back [`Prepared::to_bytes`]; `None` unless `b` is exactly the bytes of one.
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        let phone_code = u16::from_le_bytes([*b.first()?, *b.get(1)?]);
        let row_len = usize::from(u16::from_le_bytes([*b.get(2)?, *b.get(3)?]));
        let row = RecordRow::from_bytes(b.get(4..4 + row_len)?)?;
        let at = 4 + row_len;
        let forms_len = usize::from(*b.get(at)?);
        let forms = b.get(at + 1..at + 1 + forms_len)?.to_vec();
        let rest = b.get(at + 1 + forms_len..)?;
        let quirk_fields = MatchField::ALL
            .into_iter()
            .filter(|f| row.present & f.bit() != 0 && f.carries_quirks())
            .count();
        if rest.len() % 8 != 0 || forms.len() != quirk_fields {
            return None;
        }
        let postings = rest
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
            .collect();
        Some(Prepared {
            row,
            postings,
            forms,
            phone_code,
        })
        .filter(|p| p.to_bytes() == b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use breachcheck_core::{FieldRole, SecretKey, Tagger};
    use breachcheck_normalize::Normalizer;
    use proptest::prelude::*;

    /// Found by the `prepared` fuzz target: a row whose varint was longer than needed
    /// read back to other bytes. Bytes that are not exactly one record's are refused.
    #[test]
    fn non_canonical_bytes_are_refused() {
        let found: [u8; 103] = [
            33, 0, 55, 0, 0, 0, 199, 2, 3, 240, 48, 4, 90, 37, 172, 57, 16, 32, 0, 196, 136, 49,
            165, 126, 81, 146, 201, 47, 105, 36, 150, 182, 3, 1, 10, 0, 19, 46, 8, 90, 37, 172, 57,
            16, 32, 0, 196, 136, 49, 165, 126, 81, 146, 201, 47, 105, 36, 150, 182, 3, 1, 10, 0,
            19, 46, 8, 26, 162, 72, 175, 34, 31, 149, 90, 200, 73, 189, 176, 72, 60, 44, 6, 199,
            48, 154, 76, 17, 181, 20, 117, 72, 7, 75, 93, 81, 223, 214, 219, 200, 241, 137, 50,
            129,
        ];
        // As found (before rows carried their format byte), and with the byte: refused
        // as another format, and as not one record's bytes.
        assert!(Prepared::other_format(&found));
        assert_eq!(Prepared::from_bytes(&found), None);
        let mut crash = found.to_vec();
        crash[2] += 1;
        crash.insert(4, crate::ROW_BYTES_FORMAT);
        assert!(!Prepared::other_format(&crash));
        // Too short to hold a row: damaged, not another release's.
        for cut in 0..5 {
            assert!(!Prepared::other_format(&crash[..cut]));
        }
        if let Some(p) = Prepared::from_bytes(&crash) {
            assert_eq!(p.to_bytes(), crash);
        }
    }

    proptest! {
        /// Any record prepared from a normalized line reads back from its bytes whole,
        /// and a byte more or less is refused, never misread.
        #[test]
        fn prepared_bytes_round_trip(
            email in "[a-z]{1,8}@[a-z]{1,6}\\\\.(de|com|jp)",
            first in "[A-Z][a-zé]{1,8}",
            last in "[A-Z][a-zü]{1,10}",
            phone in "\\\\+49 15[0-9]{8}",
            street in "[A-Z][a-z]{2,9}(straße|weg| Road)",
            house in "[1-9][0-9]{0,2}[a-c]?",
            city in "(Berlin|Köln|München|Osaka)",
            postal in "[0-9]{5}",
            extra in any::<u8>(),
        ) {
            let key = SecretKey::from_bytes([3; 32]);
            let n = Normalizer::new(Tagger::new(&key), None);
            let roles = [
                FieldRole::Email, FieldRole::FirstName, FieldRole::LastName, FieldRole::Phone,
                FieldRole::Street, FieldRole::HouseNumber, FieldRole::City, FieldRole::PostalCode,
            ];
            let rec = n.tag_record(&roles, &[&email, &first, &last, &phone, &street, &house, &city, &postal]);
            let p = Prepared::from_tagged(&rec);
            let bytes = p.to_bytes();
            prop_assert_eq!(Prepared::from_bytes(&bytes), Some(p.clone()));
            let mut longer = bytes.clone();
            longer.push(extra);
            prop_assert_eq!(Prepared::from_bytes(&longer), None);
            for cut in [0, 1, 3, 5, bytes.len() - 1] {
                prop_assert!(Prepared::from_bytes(&bytes[..cut]).is_none());
            }
        }
    }
}
