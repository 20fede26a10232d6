//! The shared vocabulary of breachcheck: what a column *is* ([`FieldRole`]), what two
//! records are compared on ([`MatchField`]), which rule set produced a canonical value
//! ([`RULES_VERSION`]), the keyed [`Tag`]s that stand in for values everywhere after
//! normalization, and the [`EvidenceClass`] a sample line reaches.
//!
//! Every later stage depends on this crate and on nothing upstream of itself, so the
//! data flows one way: ingest → normalize → index / link → verdict → report.
//!
//! ```
//! use breachcheck_core::{FieldRole, SecretKey, Tagger, TagDomain, MatchField};
//! let key = SecretKey::from_bytes([7u8; 32]);
//! let tagger = Tagger::new(&key);
//! let a = tagger.field(MatchField::Email, "alice@example.org");
//! let b = tagger.field(MatchField::Email, "alice@example.org");
//! assert_eq!(a, b);
//! // The same value under another field or domain is another tag.
//! assert_ne!(a, tagger.tag(TagDomain::Raw(MatchField::Email), "alice@example.org"));
//! assert_eq!("email".parse::<FieldRole>().unwrap(), FieldRole::Email);
//! ```
#![forbid(unsafe_code)]

mod audit_field;
mod calendar;
mod evidence;
pub mod fuzzy;
mod pii;
mod role;
mod tag;

pub use audit_field::AuditField;
pub use calendar::civil_from_days;
pub use evidence::EvidenceClass;
pub use fuzzy::{shares_token, similarity, FuzzyKind};
pub use pii::Pii;
pub use role::{FieldRole, MatchField, UnknownRole};
pub use tag::{BlockKind, KeyError, SecretKey, Tag, TagDomain, Tagger, KEY_LEN};

/// Version of the normalization rule set. Index, probe and every artifact record it; an
/// index built under one version is refused by a binary of another, because the same
/// value would yield different tags and silently match nothing.
pub const RULES_VERSION: u32 = 6;

/// The tool's own version, recorded in reports for reproducibility.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Lower-case hex of `bytes`: how digests, roots, keys' public halves and signatures are
/// written in manifests, reports, custody logs and transparency-log entries.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(2 * bytes.len()), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The `N` bytes written as hex in `s` (surrounding space ignored); `None` unless `s` is
/// exactly `2 N` hex digits.
pub fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let s = s.trim();
    if s.len() != 2 * N || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod hex_tests {
    #[test]
    fn hex_round_trips_and_refuses_other_lengths() {
        let b = [0u8, 1, 0xab, 0xff];
        assert_eq!(super::hex(&b), "0001abff");
        assert_eq!(super::unhex::<4>("0001abff"), Some(b));
        assert_eq!(super::unhex::<4>("0001abf"), None);
        assert_eq!(super::unhex::<4>("0001abfg"), None);
    }
}
