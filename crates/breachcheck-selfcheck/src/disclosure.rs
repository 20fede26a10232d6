//! What a person may learn about their value, and its fixed-size sealed form.
//!
//! The plaintext is a fixed 14-byte record rather than padded JSON: every entry has the
//! same size by construction (no padding length to get wrong, no field count to leak), and
//! entries stay small enough that a bucket of a few hundred fits the response budget of
//! 16 KB at K = 100. Layout (format v1):
//!
//! ```text
//! byte 0      version (1)
//! byte 1      matched_company_records: 0 unknown, 1 no, 2 yes
//! bytes 2..6  field kinds, a bit per FIELD_KINDS position (u32, little-endian)
//! bytes 6..14 lines (u64, little-endian)
//! ```
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// The field kinds a disclosure can name, in bit order (bit `i` of the plaintext is
/// `FIELD_KINDS[i]`). Part of the format: new kinds are appended, never reordered.
pub const FIELD_KINDS: [&str; 14] = [
    "email",
    "phone",
    "name",
    "address",
    "postal_code",
    "city",
    "region",
    "country",
    "date_of_birth",
    "username",
    "customer_id",
    "order_id",
    "national_id",
    "password_hash",
];

/// Length of a disclosure's plaintext.
pub(crate) const PLAIN_LEN: usize = 14;
const VERSION: u8 = 1;

/// What a person who knows a value (and asked online) learns about it: how many of the
/// sample's lines carry it, which kinds of data those lines carry — never the data — and
/// whether those lines matched the company's records whole (unknown when no verification
/// of the same sample was run).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disclosure {
    /// Lines of the sample carrying the value.
    pub lines: u64,
    /// Field kinds those lines carry, names from [`FIELD_KINDS`].
    pub fields: Vec<String>,
    /// Whether those lines matched the company's records whole; `None` when unknown.
    pub matched_company_records: Option<bool>,
}

impl Disclosure {
    /// The same disclosure with its fields in [`FIELD_KINDS`] order, each once: what
    /// opening its sealed form gives back. Fails on a field kind outside the list.
    pub fn normalized(&self) -> Result<Disclosure> {
        Ok(Self::decode(&self.encode()?).unwrap_or_else(|| {
            // Unreachable: `encode` writes what `decode` reads.
            self.clone()
        }))
    }

    pub(crate) fn encode(&self) -> Result<[u8; PLAIN_LEN]> {
        let mut bits = 0u32;
        for f in &self.fields {
            let i =
                FIELD_KINDS
                    .iter()
                    .position(|k| k == f)
                    .ok_or_else(|| Error::UnknownFieldKind {
                        kind: f.chars().take(40).collect(),
                    })?;
            bits |= 1 << i;
        }
        let mut out = [0u8; PLAIN_LEN];
        out[0] = VERSION;
        out[1] = match self.matched_company_records {
            None => 0,
            Some(false) => 1,
            Some(true) => 2,
        };
        out[2..6].copy_from_slice(&bits.to_le_bytes());
        out[6..14].copy_from_slice(&self.lines.to_le_bytes());
        Ok(out)
    }

    /// Reads a plaintext; `None` for a version, flag or bit this build does not know.
    pub(crate) fn decode(b: &[u8; PLAIN_LEN]) -> Option<Disclosure> {
        if b[0] != VERSION {
            return None;
        }
        let matched = match b[1] {
            0 => None,
            1 => Some(false),
            2 => Some(true),
            _ => return None,
        };
        let bits = u32::from_le_bytes([b[2], b[3], b[4], b[5]]);
        if bits >> FIELD_KINDS.len() != 0 {
            return None;
        }
        let fields = FIELD_KINDS
            .iter()
            .enumerate()
            .filter(|(i, _)| bits & (1 << i) != 0)
            .map(|(_, k)| (*k).to_owned())
            .collect();
        let mut lines = [0u8; 8];
        lines.copy_from_slice(&b[6..14]);
        Some(Disclosure {
            lines: u64::from_le_bytes(lines),
            fields,
            matched_company_records: matched,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_in_field_order() {
        let d = Disclosure {
            lines: u64::MAX,
            fields: vec!["phone".into(), "name".into(), "phone".into()],
            matched_company_records: Some(true),
        };
        let n = d.normalized().expect("test input");
        assert_eq!(n.fields, ["phone", "name"]);
        assert_eq!(n.lines, u64::MAX);
        let all = Disclosure {
            lines: 0,
            fields: FIELD_KINDS.iter().rev().map(|s| (*s).to_owned()).collect(),
            matched_company_records: None,
        };
        assert_eq!(all.normalized().expect("test input").fields, FIELD_KINDS);
    }

    #[test]
    fn unknown_kinds_and_bytes_are_refused() {
        let d = Disclosure {
            lines: 1,
            fields: vec!["shoe_size".into()],
            matched_company_records: None,
        };
        assert!(matches!(d.encode(), Err(Error::UnknownFieldKind { .. })));
        let mut b = Disclosure {
            lines: 1,
            fields: vec![],
            matched_company_records: None,
        }
        .encode()
        .expect("test input");
        b[1] = 3;
        assert!(Disclosure::decode(&b).is_none());
        b[1] = 0;
        b[5] = 0x80;
        assert!(Disclosure::decode(&b).is_none());
    }
}
