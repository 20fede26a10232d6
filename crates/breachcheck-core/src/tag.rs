use crate::{MatchField, RULES_VERSION};
use serde::{Deserialize, Serialize};
use std::fmt;
use zeroize::Zeroizing;

/// Length of a breachcheck secret key in bytes.
pub const KEY_LEN: usize = 32;

/// The company's secret key. Without it tags reveal nothing useful; with it, anyone can test
/// guesses, so it never leaves the company, is zeroized on drop and has no `Debug` output
/// beyond its fingerprint.
pub struct SecretKey(Zeroizing<[u8; KEY_LEN]>);

/// A key file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key file does not hold exactly 32 bytes.
    #[error("a key file holds exactly {KEY_LEN} bytes, this one holds {0}; create one with `breachcheck key generate`")]
    WrongLength(usize),
}

impl SecretKey {
    /// Wraps raw key bytes.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        SecretKey(Zeroizing::new(bytes))
    }

    /// Reads a key from the bytes of a key file.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, KeyError> {
        let arr: [u8; KEY_LEN] = bytes
            .try_into()
            .map_err(|_| KeyError::WrongLength(bytes.len()))?;
        Ok(Self::from_bytes(arr))
    }

    /// A public fingerprint of the key (derived one-way, 16 hex digits), so an index can
    /// say "built with another key" without revealing anything about the key.
    pub fn fingerprint(&self) -> String {
        let d = blake3::derive_key("breachcheck 2026-11 key fingerprint v1", &self.0[..]);
        d[..8].iter().map(|b| format!("{b:02x}")).collect()
    }

    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey(fingerprint {})", self.fingerprint())
    }
}

/// A keyed 64-bit tag standing for one canonical or raw value. 64 bits keep false matches
/// below 1e-9 per lookup against 10^8 tags while keeping the index compact.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Tag(pub u64);

impl Tag {
    /// The low 32 bits, used as a per-record check value where the candidate is already known.
    pub fn check(self) -> u32 {
        self.0 as u32
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({:016x})", self.0)
    }
}

/// What a tag was computed over; part of the hashed input, so equal strings under
/// different domains never share a tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagDomain {
    /// The canonical value of a field.
    Canonical(MatchField),
    /// The raw representation of a field as the input wrote it (trimmed).
    Raw(MatchField),
    /// A record-level combination of two canonical fields, used for blocking.
    Combo(MatchField, MatchField),
}

impl TagDomain {
    fn prefix(self) -> [u8; 3] {
        match self {
            TagDomain::Canonical(f) => [1, f as u8, 0xff],
            TagDomain::Raw(f) => [2, f as u8, 0xff],
            TagDomain::Combo(a, b) => [3, a as u8, b as u8],
        }
    }
}

/// Computes keyed tags: BLAKE3 in keyed mode under a subkey derived from the secret key,
/// over (domain, rule version, value). One `Tagger` serves index, probe and audit alike,
/// which is how they agree by construction.
#[derive(Clone)]
pub struct Tagger {
    subkey: Zeroizing<[u8; 32]>,
}

impl Tagger {
    /// Derives the tagging subkey from the secret key.
    pub fn new(key: &SecretKey) -> Self {
        let subkey = blake3::derive_key("breachcheck 2026-11 field tag v1", key.bytes());
        Tagger {
            subkey: Zeroizing::new(subkey),
        }
    }

    /// Tag of `value` under `domain`.
    pub fn tag(&self, domain: TagDomain, value: &str) -> Tag {
        let mut h = blake3::Hasher::new_keyed(&self.subkey);
        h.update(&domain.prefix());
        h.update(&RULES_VERSION.to_le_bytes());
        h.update(value.as_bytes());
        let out = h.finalize();
        let mut b = [0u8; 8];
        b.copy_from_slice(&out.as_bytes()[..8]);
        Tag(u64::from_le_bytes(b))
    }

    /// Tag of a canonical field value.
    pub fn field(&self, field: MatchField, canonical: &str) -> Tag {
        self.tag(TagDomain::Canonical(field), canonical)
    }
}

/// Which candidate-generating key a posting was made from. Only selective keys generate
/// candidates (a first name alone would pull in thousands of records); the other fields are
/// compared against the candidate's per-record check values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BlockKind {
    /// A selective field on its own (email, phone, username, customer or order id).
    Field(MatchField),
    /// Name together with date of birth.
    NameBirthDate,
    /// Name together with postal code.
    NamePostalCode,
    /// Name together with street address.
    NameAddress,
    /// Phonetic name key together with date of birth: finds records whose name is spelled
    /// differently (a typo, another transliteration) for the comparison to judge.
    NamePhoneticBirthDate,
}

impl BlockKind {
    /// One-byte code stored in index postings.
    pub fn code(self) -> u8 {
        match self {
            BlockKind::Field(f) => f as u8,
            BlockKind::NameBirthDate => 32,
            BlockKind::NamePostalCode => 33,
            BlockKind::NameAddress => 34,
            BlockKind::NamePhoneticBirthDate => 35,
        }
    }

    /// Inverse of [`BlockKind::code`]; `None` for codes this version does not know.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            32 => Some(BlockKind::NameBirthDate),
            33 => Some(BlockKind::NamePostalCode),
            34 => Some(BlockKind::NameAddress),
            35 => Some(BlockKind::NamePhoneticBirthDate),
            c => MatchField::ALL
                .get(c as usize)
                .copied()
                .map(BlockKind::Field),
        }
    }
}

impl fmt::Debug for Tagger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Tagger(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_depend_on_key_domain_and_value() {
        let t1 = Tagger::new(&SecretKey::from_bytes([1; 32]));
        let t2 = Tagger::new(&SecretKey::from_bytes([2; 32]));
        let v = "+4915123456789";
        assert_eq!(
            t1.field(MatchField::Phone, v),
            t1.field(MatchField::Phone, v)
        );
        assert_ne!(
            t1.field(MatchField::Phone, v),
            t2.field(MatchField::Phone, v)
        );
        assert_ne!(
            t1.field(MatchField::Phone, v),
            t1.field(MatchField::Email, v)
        );
        assert_ne!(
            t1.field(MatchField::Phone, v),
            t1.tag(TagDomain::Raw(MatchField::Phone), v)
        );
    }

    #[test]
    fn key_debug_shows_only_fingerprint() {
        let k = SecretKey::from_bytes([0xAB; 32]);
        let s = format!("{k:?}");
        assert!(!s.contains("ab, ab") && !s.contains("abab"));
        assert!(SecretKey::from_slice(&[0; 31]).is_err());
    }
}
