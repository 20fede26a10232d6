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

mod calendar;
mod evidence;
pub mod fuzzy;
mod pii;
mod role;
mod tag;

pub use calendar::civil_from_days;
pub use evidence::EvidenceClass;
pub use fuzzy::{shares_token, similarity, FuzzyKind};
pub use pii::Pii;
pub use role::{FieldRole, MatchField, UnknownRole};
pub use tag::{BlockKind, KeyError, SecretKey, Tag, TagDomain, Tagger, KEY_LEN};

/// Version of the normalization rule set. Index, probe and every artifact record it; an
/// index built under one version is refused by a binary of another, because the same
/// value would yield different tags and silently match nothing.
pub const RULES_VERSION: u32 = 5;

/// The tool's own version, recorded in reports for reproducibility.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
