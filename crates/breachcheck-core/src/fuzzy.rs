//! Keyed fuzzy encodings: what lets two spellings of one value be found *close* without
//! either being stored. Written by hand: the encodings are the classic privacy-preserving
//! record-linkage constructions (Schnell's q-gram Bloom filters; positional digests for
//! short codes), but sized to a few bytes per field and keyed with breachcheck's own key
//! schedule, which no crate offers.
//!
//! - **Bigram filters** (names, street addresses, cities): every token is padded (`^token$`) and
//!   each of its bigrams sets one bit of a 32-bit filter, the bit chosen by a keyed table.
//!   Tokens are encoded separately, so word order does not matter; a typo changes two
//!   bigrams of a dozen. Similarity is the Dice coefficient of the two filters.
//! - **Names** take a 48-bit filter (a 32-bit one puts 3% of unrelated names within
//!   Dice 0.65 of each other; 48 bits, 0.5%, measured on FEBRL4) and a keyed 8-bit hash
//!   of each of their first two tokens (in canonical order), so "same family name, other given name" (a relative, a swapped column, a
//!   replaced first name) is a level of its own, which a 32-bit filter cannot tell from
//!   chance.
//! - **Positional digests** (birth dates, postal codes, customer ids — keyed in by hand
//!   in many registries): each of the first eight
//!   alphanumeric characters contributes 4 keyed bits for its position. One substituted
//!   digit leaves 7 of 8 positions equal, a transposition 6; an unrelated digit agrees
//!   with probability 0.1 + 0.9/16 by chance.
//!
//! Privacy: without the key the bit positions are unknown, so a dictionary of names cannot
//! be encoded to look them up. With 32 bits and roughly fifteen bigrams per name many
//! bigrams share a bit, and an encoding is compared only with candidates found through
//! keyed blocking tags; frequency attacks on large Bloom-filter sets are the known
//! weakness of the construction, which is why the filters are short and the key never
//! leaves the company.

use crate::MatchField;
use std::sync::Arc;
use zeroize::Zeroizing;

/// How a field is fuzzily encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FuzzyKind {
    /// Exact comparison only.
    None,
    /// 32-bit keyed bigram filter of each token.
    Bigrams,
    /// A 48-bit bigram filter and 8-bit keyed hashes of two tokens (names).
    BigramsTokens,
    /// 32-bit keyed positional digest (4 bits for each of the first 8 characters).
    Positional,
}

impl FuzzyKind {
    /// How `field` is encoded.
    pub fn of(field: MatchField) -> FuzzyKind {
        match field {
            MatchField::Name => FuzzyKind::BigramsTokens,
            MatchField::Address | MatchField::City => FuzzyKind::Bigrams,
            MatchField::BirthDate
            | MatchField::PostalCode
            | MatchField::CustomerId
            | MatchField::NationalId => FuzzyKind::Positional,
            _ => FuzzyKind::None,
        }
    }

    /// Bytes the encoding takes in an index row.
    pub fn width(self) -> usize {
        match self {
            FuzzyKind::None => 0,
            FuzzyKind::Bigrams | FuzzyKind::Positional => 4,
            FuzzyKind::BigramsTokens => 8,
        }
    }
}

/// Width of a name's bigram filter; its two token hashes follow.
const NAME_BITS: u32 = 48;

/// Characters a positional digest covers.
const POSITIONS: usize = 8;

/// Keyed tables behind the encodings, derived once per key.
pub(crate) struct FuzzyTables {
    /// Bit for an ASCII bigram (below the field's filter width), one table per field.
    bigram: [Zeroizing<Vec<u8>>; 3],
    /// 4-bit symbol for (position, ASCII char), one table per positional field.
    positional: [Zeroizing<Vec<u8>>; 4],
    /// Byte for an ASCII bigram of a name token, folded into the token's 8-bit hash.
    token: Zeroizing<Vec<u8>>,
    /// Key for bigrams outside ASCII (rare after transliteration).
    other: Zeroizing<[u8; 32]>,
}

impl FuzzyTables {
    pub(crate) fn derive(subkey: &[u8; 32]) -> Arc<Self> {
        let xof = |label: &[u8], len: usize| {
            let mut h = blake3::Hasher::new_keyed(subkey);
            h.update(label);
            let mut out = Zeroizing::new(vec![0u8; len]);
            h.finalize_xof().fill(&mut out);
            out
        };
        let mut bigram = [
            xof(b"fuzzy bigram name", 128 * 128),
            xof(b"fuzzy bigram address", 128 * 128),
            xof(b"fuzzy bigram city", 128 * 128),
        ];
        // Names: bits 0..48 (a byte's value modulo 48 is near enough uniform for a
        // filter); addresses and cities: 0..32.
        bigram[0].iter_mut().for_each(|b| *b %= NAME_BITS as u8);
        for t in &mut bigram[1..] {
            t.iter_mut().for_each(|b| *b &= 31);
        }
        let mut positional = [
            xof(b"fuzzy positional birth_date", POSITIONS * 128),
            xof(b"fuzzy positional postal_code", POSITIONS * 128),
            xof(b"fuzzy positional customer_id", POSITIONS * 128),
            xof(b"fuzzy positional national_id", POSITIONS * 128),
        ];
        for t in &mut positional {
            t.iter_mut().for_each(|b| *b &= 15);
        }
        let other = blake3::derive_key("breachcheck 2026-11 fuzzy non-ascii bigram v1", subkey);
        Arc::new(FuzzyTables {
            bigram,
            positional,
            token: xof(b"fuzzy name token", 128 * 128),
            other: Zeroizing::new(other),
        })
    }

    /// The fuzzy encoding of `canonical` for `field`; 0 for fields compared exactly.
    pub(crate) fn encode(&self, field: MatchField, canonical: &str) -> u64 {
        match (FuzzyKind::of(field), field) {
            (FuzzyKind::BigramsTokens, f) => {
                let mut tokens = 0u64;
                for (i, token) in canonical
                    .split(' ')
                    .filter(|t| !t.is_empty())
                    .take(2)
                    .enumerate()
                {
                    // The keyed bytes of the token's bigrams folded together: a keyed 8-bit
                    // hash without a hash call per token (names are hashed at every build
                    // and probe; only equality of these bytes matters, and 1 in 256 chance
                    // collisions are what the level's u measures).
                    let mut h = 0u8;
                    let mut prev = 0u8;
                    for c in token
                        .chars()
                        .map(|c| if c.is_ascii() { c as u8 } else { 0x7f })
                    {
                        h = h.rotate_left(3) ^ self.token[usize::from(prev) * 128 + usize::from(c)];
                        prev = c;
                    }
                    // 1..=255: zero marks an empty slot.
                    tokens |= u64::from(h.max(1)) << (8 * i);
                }
                self.bigrams(f, canonical) | tokens << NAME_BITS
            }
            (FuzzyKind::Bigrams, f) => self.bigrams(f, canonical),
            (FuzzyKind::Positional, f) => {
                let table = match f {
                    MatchField::PostalCode => &self.positional[1],
                    MatchField::CustomerId => &self.positional[2],
                    MatchField::NationalId => &self.positional[3],
                    _ => &self.positional[0],
                };
                let mut chars = canonical.chars().filter(|c| c.is_alphanumeric());
                let mut bits = 0u64;
                for pos in 0..POSITIONS {
                    // Past the end, position `pos` encodes "no character" (NUL).
                    let c = chars
                        .next()
                        .map_or(0, |c| if c.is_ascii() { c as usize } else { 0x7f });
                    bits |= u64::from(table[pos * 128 + c]) << (4 * pos);
                }
                bits
            }
            _ => 0,
        }
    }

    fn bigrams(&self, f: MatchField, canonical: &str) -> u64 {
        let table = match f {
            MatchField::Address => &self.bigram[1],
            MatchField::City => &self.bigram[2],
            _ => &self.bigram[0],
        };
        let mut bits = 0u64;
        for token in canonical.split(' ').filter(|t| !t.is_empty()) {
            let mut prev = '^';
            for c in token.chars().chain(std::iter::once('$')) {
                bits |= 1 << self.bigram_bit(table, f, prev, c);
                prev = c;
            }
        }
        bits
    }

    fn bigram_bit(&self, table: &[u8], field: MatchField, a: char, b: char) -> u32 {
        if a.is_ascii() && b.is_ascii() {
            u32::from(table[(a as usize) * 128 + b as usize])
        } else {
            let width = if field == MatchField::Name {
                NAME_BITS
            } else {
                32
            };
            let (mut ca, mut cb) = ([0u8; 4], [0u8; 4]);
            let h = crate::tag::keyed_hash_of_parts(
                &self.other,
                &[
                    &[field as u8],
                    a.encode_utf8(&mut ca).as_bytes(),
                    b.encode_utf8(&mut cb).as_bytes(),
                ],
            );
            u32::from(h.as_bytes()[0]) % width
        }
    }
}

/// Whether two name encodings share a token (an 8-bit keyed hash, so about one pair of
/// different tokens in 256 shares one by chance).
pub fn shares_token(a: u64, b: u64) -> bool {
    let (a, b) = (a >> NAME_BITS, b >> NAME_BITS);
    (0..2).any(|i| {
        let x = (a >> (8 * i)) & 0xff;
        x != 0 && (0..2).any(|j| (b >> (8 * j)) & 0xff == x)
    })
}

/// How alike two fuzzy encodings of `kind` are, from 0 (nothing shared) to 1 (equal).
/// Bigram filters: Dice coefficient of the set bits. Positional digests: share of the 8
/// positions whose symbols agree.
pub fn similarity(kind: FuzzyKind, a: u64, b: u64) -> f64 {
    match kind {
        FuzzyKind::None => f64::from(u8::from(a == b)),
        FuzzyKind::Bigrams | FuzzyKind::BigramsTokens => {
            let filter = (1u64 << NAME_BITS) - 1;
            let (a, b) = (a & filter, b & filter);
            let total = a.count_ones() + b.count_ones();
            if total == 0 {
                return 0.0;
            }
            2.0 * f64::from((a & b).count_ones()) / f64::from(total)
        }
        FuzzyKind::Positional => {
            let diff = a ^ b;
            let same = (0..POSITIONS)
                .filter(|p| (diff >> (4 * p)) & 15 == 0)
                .count();
            same as f64 / POSITIONS as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{MatchField, SecretKey, Tagger};

    use super::{shares_token, similarity, FuzzyKind, FuzzyTables, NAME_BITS};

    fn sim(t: &Tagger, f: MatchField, a: &str, b: &str) -> f64 {
        similarity(FuzzyKind::of(f), t.fuzzy(f, a), t.fuzzy(f, b))
    }

    #[test]
    fn typos_stay_close_and_strangers_do_not() {
        let t = Tagger::new(&SecretKey::from_bytes([3; 32]));
        let name = MatchField::Name;
        assert_eq!(sim(&t, name, "everett isabella", "isabella everett"), 1.0);
        assert!(sim(&t, name, "everett isabella", "everett isabela") >= 0.8);
        assert!(sim(&t, name, "everett isabella", "garcia tomas") < 0.6);
        let f = |v| t.fuzzy(name, v);
        assert!(shares_token(f("everett isabella"), f("everett tomas")));
        assert!(!shares_token(f("everett isabella"), f("garcia tomas")));
        let dob = MatchField::BirthDate;
        assert!(sim(&t, dob, "1928-07-22", "1928-07-23") >= 0.875);
        assert!(sim(&t, dob, "1928-07-22", "1982-07-22") >= 0.75);
        assert!(sim(&t, dob, "1928-07-22", "1965-11-04") < 0.75);
        assert_eq!(t.fuzzy(MatchField::Email, "a@b.c"), 0);
    }

    #[test]
    fn encodings_depend_on_the_key_and_the_field() {
        let a = Tagger::new(&SecretKey::from_bytes([3; 32]));
        let b = Tagger::new(&SecretKey::from_bytes([4; 32]));
        let v = "knox street 1";
        assert_ne!(
            a.fuzzy(MatchField::Address, v),
            b.fuzzy(MatchField::Address, v)
        );
        assert_ne!(
            a.fuzzy(MatchField::Address, v),
            a.fuzzy(MatchField::Name, v)
        );
        // Non-ASCII bigrams are keyed too, and never panic.
        assert_ne!(a.fuzzy(MatchField::Name, "王 小明"), 0);
        assert_ne!(a.fuzzy(MatchField::PostalCode, "ÅÄÖ 12"), u64::MAX);
    }

    /// A bigram outside ASCII takes its bit from the keyed hash of (field, first char,
    /// second char) in UTF-8, whatever their widths: indexes built before the hash was
    /// taken in one call read the same.
    #[test]
    fn bigrams_outside_ascii_are_their_definition() {
        let key: [u8; 32] = blake3::derive_key("test", b"k");
        let tables = FuzzyTables::derive(&key);
        for (a, b) in [
            ('é', 'x'),
            ('x', '王'),
            ('王', '😀'),
            ('😀', '😀'),
            ('ß', 'ü'),
        ] {
            for (field, width) in [(MatchField::Name, NAME_BITS), (MatchField::City, 32)] {
                let mut h = blake3::Hasher::new_keyed(&tables.other);
                h.update(&[field as u8]);
                h.update(a.to_string().as_bytes());
                h.update(b.to_string().as_bytes());
                let want = u32::from(h.finalize().as_bytes()[0]) % width;
                assert_eq!(tables.bigram_bit(&[], field, a, b), want, "{a}{b}");
            }
        }
    }
}
