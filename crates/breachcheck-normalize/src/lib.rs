//! Canonical forms of international PII, one versioned rule set
//! ([`breachcheck_core::RULES_VERSION`]) shared by index, probe and audit.
//!
//! The pipeline-facing entry point is [`Normalizer::tag_record`]: it takes one record's
//! plaintext cells and their roles and returns a [`TaggedRecord`] holding keyed tags only.
//! Canonical strings live on the stack of that call and are dropped before it returns,
//! which is how `breachcheck-index` is guaranteed never to see plaintext.
//!
//! ```
//! use breachcheck_core::{FieldRole, MatchField, SecretKey, Tagger};
//! use breachcheck_normalize::{email, Normalizer};
//!
//! assert_eq!(email::canonical(" John.Doe+shop@GoogleMail.com ").as_deref(), Some("johndoe@gmail.com"));
//!
//! let n = Normalizer::new(Tagger::new(&SecretKey::from_bytes([1; 32])), None);
//! let roles = [FieldRole::Email, FieldRole::Phone, FieldRole::Country];
//! let a = n.tag_record(&roles, &["ana@example.es", "612 34 56 78", "ES"]);
//! let b = n.tag_record(&roles, &["ANA@example.es", "+34612345678", "Spain"]);
//! assert_eq!(a.field(MatchField::Phone).map(|t| t.canonical), b.field(MatchField::Phone).map(|t| t.canonical));
//! assert_eq!(a.field(MatchField::Email).map(|t| t.canonical), b.field(MatchField::Email).map(|t| t.canonical));
//! ```
#![forbid(unsafe_code)]

pub mod address;
pub mod country;
pub mod date;
pub mod email;
pub mod form;
pub mod name;
pub mod phone;
mod record;
pub mod redact;
mod script;
mod text;
mod value;

pub use record::{
    is_null_placeholder, FieldTags, Normalizer, PartHints, Signals, TaggedRecord,
    MAX_PHONE_ALTERNATES,
};
pub use text::ascii_forms;
pub use value::{canonical_value, Invalid};
