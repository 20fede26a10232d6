//! The third-party audit: how many of an auditor's sample values are among the company's
//! records, learned by the auditor without either side handing over its data.
//!
//! * At index time (`index build --audit`) the company evaluates an OPRF (RFC 9497,
//!   VOPRF mode, ristretto255) under a key derived from its company key on the canonical
//!   e-mail, phone and name+address of every record it stores, and keeps the results in a
//!   Golomb-coded set ([`gcs`]) whose SHA-256 and the OPRF public key go into the index
//!   commitment — and, through `log append --index`, into the transparency log — before
//!   any claim is made.
//! * In an audit ([`session`]) the auditor canonicalizes its sample exactly as `verify`
//!   does, blinds the values with one scalar per field ([`oprf::Blinder`]), and the
//!   company evaluates them, shuffles the answers and proves with a DLEQ proof over their
//!   sums that it used the committed key. The auditor unblinds, looks the results up in the
//!   committed sets and learns one count per field; the company learns the sample's sizes
//!   and, because both sign the transcript, the counts. Neither learns which lines match.
//! * Both sign a [`transcript::Transcript`] that anyone can check offline.
pub mod gcs;
pub mod oprf;
pub mod session;
mod set_builder;
pub mod transcript;
pub mod wire;

use serde::{Deserialize, Serialize};

/// What can go wrong in an audit. Messages never hold sample or company values.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The connection failed or timed out.
    #[error("the connection failed")]
    Io(#[source] std::io::Error),
    /// A local file (an audit set) could not be read.
    #[error("cannot read {}", path.display())]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The peer answered with TLS records on a plaintext connection.
    #[error("the other side speaks TLS and this side plaintext: {0}")]
    PeerSpeaksTls(&'static str),
    /// The peer sent something the protocol does not allow.
    #[error("protocol violation: {0}")]
    Protocol(String),
    /// The peer gave up and said why.
    #[error("the other side aborted: {0}")]
    PeerAborted(String),
    /// A check of the company's answers failed: the audit result cannot be trusted.
    #[error("verification failed: {0}")]
    Verification(&'static str),
    /// The company's answers do not match what it committed to.
    #[error("commitment mismatch: {0}")]
    Commitment(String),
    /// A set filter is malformed.
    #[error("malformed set filter: {0}")]
    Filter(&'static str),
    /// A cryptographic operation failed.
    #[error("cryptography: {0}")]
    Crypto(&'static str),
    /// A transcript does not verify.
    #[error("transcript: {0}")]
    Transcript(String),
    /// The index cannot be read, or is damaged.
    #[error(transparent)]
    Index(Box<breachcheck_index::Error>),
    /// The sample's national phone numbers were read in other regions than the company's
    /// verify reads them: the phone count would not be comparable.
    #[error("the company reads phone numbers written without a country code in [{company}] (from its committed profiles), this audit read them otherwise: run it again with --phone-regions {company} so its phone count means what verify's does")]
    PhoneRegions {
        /// The company's regions, comma-separated.
        company: String,
    },
    /// A system segment has no audit set.
    #[error("{segment} has no audit set: add audit sets to the index with `breachcheck index add-audit --key KEY --index DIR` (a new commitment: publish it with `breachcheck log append --index DIR`)")]
    NoAuditSets {
        /// The segment, as system @ snapshot.
        segment: String,
    },
}

/// The first of `pins` — (what, expected if pinned, actual) — whose actual value is not the
/// expected one (hex compared without regard to case).
pub(crate) fn mismatched<'a>(pins: &[(&'a str, &Option<String>, &str)]) -> Option<&'a str> {
    pins.iter()
        .find(|(_, want, got)| want.as_ref().is_some_and(|w| !w.eq_ignore_ascii_case(got)))
        .map(|(what, _, _)| *what)
}

/// The fields an audit counts: defined once, in `breachcheck-core`, with verify's exact
/// values (see [`breachcheck_core::AuditField`]).
pub use breachcheck_core::AuditField;
pub use set_builder::AuditSetBuilder;

/// Longest canonical value evaluated (RFC 9497 inputs are below 64 KiB; no real e-mail,
/// phone or address comes near this).
pub const MAX_VALUE_BYTES: usize = 4096;

/// A count per audited field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldCounts {
    /// E-mail addresses.
    pub email: u64,
    /// Phone numbers.
    pub phone: u64,
    /// Name + address pairs.
    pub name_address: u64,
}

impl FieldCounts {
    /// The count of `field`.
    pub fn get(&self, field: AuditField) -> u64 {
        match field {
            AuditField::Email => self.email,
            AuditField::Phone => self.phone,
            AuditField::NameAddress => self.name_address,
        }
    }

    /// Mutable count of `field`.
    pub fn get_mut(&mut self, field: AuditField) -> &mut u64 {
        match field {
            AuditField::Email => &mut self.email,
            AuditField::Phone => &mut self.phone,
            AuditField::NameAddress => &mut self.name_address,
        }
    }
}

/// Distinct canonical values per field, as OPRF inputs (see [`AuditField::input`]).
#[derive(Clone, Debug, Default)]
pub struct AuditValues {
    inputs: [Vec<Vec<u8>>; 3],
}

impl AuditValues {
    /// Adds a canonical value of `field` (values over [`MAX_VALUE_BYTES`] are ignored).
    pub fn push(&mut self, field: AuditField, canonical: &str) {
        if canonical.len() <= MAX_VALUE_BYTES {
            self.inputs[field as usize].push(field.input(canonical));
        }
    }

    /// Merges another collection in.
    pub fn extend(&mut self, other: AuditValues) {
        for (a, b) in self.inputs.iter_mut().zip(other.inputs) {
            a.extend(b);
        }
    }

    /// Sorts and removes duplicates (a set has each value once).
    pub fn dedup(&mut self) {
        for v in &mut self.inputs {
            v.sort_unstable();
            v.dedup();
        }
    }

    /// The inputs of `field`.
    pub fn inputs(&self, field: AuditField) -> &[Vec<u8>] {
        &self.inputs[field as usize]
    }

    /// Counts per field.
    pub fn counts(&self) -> FieldCounts {
        let mut c = FieldCounts::default();
        for f in AuditField::ALL {
            *c.get_mut(f) = self.inputs(f).len() as u64;
        }
        c
    }

    /// Keeps the values of `fields` only.
    pub fn retain(&mut self, fields: &[AuditField]) {
        for f in AuditField::ALL {
            if !fields.contains(&f) {
                self.inputs[f as usize].clear();
            }
        }
    }

    /// Drops the values of every field.
    pub fn clear(&mut self) {
        for v in &mut self.inputs {
            v.clear();
        }
    }
}
