//! A customer's private self-check against a claim the company published: "is my e-mail
//! address or phone number in this leak sample, and what about me circulates?"
//!
//! The company publishes, per canonical value of the sample, one [`Entry`]: a lookup tag
//! and a sealed [`Disclosure`], both derived from the value's VOPRF output (RFC 9497, mode
//! VOPRF, suite ristretto255-SHA512) under a key derived from the company key and the
//! claim's name ([`ClaimKey`]). Without that key the entries cannot be tested offline: a
//! guessed phone number gives nothing to compare. A person asks online:
//!
//! 1. [`Query::new`] hashes the value to its public bucket ([`bucket::bucket_of`]: the
//!    first bits of a SHA-256, as few bits as keep every bucket at ≥ K entries) and blinds
//!    it; only the bucket and the blinded element leave the client.
//! 2. The server answers with [`server::evaluate`] (the blinded element times the key, and
//!    a DLEQ proof that the key is the one behind the claim's public key) and the bucket's
//!    entries ([`Published::bucket_entries`]) with their path to the claim's Merkle root
//!    ([`Published::bucket_proof`], [`commitment`]). It learns the bucket — one of ≥ K published
//!    values, or a value outside the claim — and cannot tell what the answer is.
//! 3. [`Query::finish`] checks the bucket against the root and the proof against the
//!    public key, unblinds, derives the tag, and opens the matching entry. A check that
//!    fails is an error, never "not found".
//!
//! The published claim is saved and loaded as one binary file ([`mod@file`]; layout in the
//! crate README).
//!
//! ```
//! use breachcheck_core::SecretKey;
//! use breachcheck_selfcheck::{publish, server, ClaimKey, Disclosure, Kind, Query, Value};
//!
//! # fn main() -> Result<(), breachcheck_selfcheck::Error> {
//! let company = SecretKey::from_bytes([7; 32]);
//! let key = ClaimKey::derive(&company, "acme-2026-11")?;
//! let seen = Disclosure { lines: 2, fields: vec!["name".into(), "email".into()], matched_company_records: Some(false) };
//! let values = vec![Value::new(Kind::Email, "alice@example.org", seen.clone())];
//! let published = publish(&key, &values, 100)?;
//!
//! // The client, knowing only the public info.
//! let info = published.info();
//! let query = Query::new(Kind::Email, b"alice@example.org", info.bucket_bits)?;
//! // The server.
//! let (evaluated, proof) = server::evaluate(&key, query.blinded())?;
//! let entries = published.bucket_entries(query.bucket())?;
//! let path = published.bucket_proof(query.bucket())?;
//! // The client again.
//! let found = query.finish(info, &evaluated, &proof, entries, &path)?;
//! assert_eq!(found, Some(seen.normalized()?));
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

pub mod bucket;
pub mod client;
pub mod commitment;
pub mod disclosure;
pub mod file;
pub mod key;
pub mod publish;
mod seal;
pub mod server;
pub mod wire;

pub use client::Query;
pub use disclosure::{Disclosure, FIELD_KINDS};
pub use key::{ClaimKey, PublicKey};
pub use publish::{publish, ClaimInfo, Entry, Published, Value};
pub use server::{bucket_entries, evaluate};

/// The format and domain-separation name of everything this crate hashes or writes.
pub const FORMAT: &str = "breachcheck.selfcheck/v1";

/// Length of an entry's lookup tag in bytes. 128 bits: a value outside the claim meets a
/// tag of its bucket by chance with probability about `entries / 2^128`.
pub const TAG_LEN: usize = 16;

/// Which kind of canonical value a query or an entry is about. The kind is part of the
/// bucket hash and of the OPRF input, so an e-mail and a phone number never share an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A canonical e-mail address (`breachcheck-normalize`'s `email`).
    Email,
    /// A phone number in E.164 (`breachcheck-normalize`'s `phone`).
    Phone,
}

impl Kind {
    /// The name hashed into buckets and OPRF inputs, and accepted by [`str::parse`].
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Phone => "phone",
        }
    }
}

impl std::str::FromStr for Kind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "email" => Ok(Kind::Email),
            "phone" => Ok(Kind::Phone),
            _ => Err(Error::Malformed("a value kind is 'email' or 'phone'")),
        }
    }
}

/// The longest canonical value accepted, in bytes. Canonical e-mails are at most 254 bytes
/// and E.164 numbers 16; anything longer is not a canonical value.
pub const MAX_VALUE_LEN: usize = 1024;

/// What can go wrong. Messages name positions and kinds, never values: errors reach logs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A claim name that cannot be used (it goes into key derivation, file names and URLs).
    #[error("claim name {reason}: use 1 to 64 characters among letters, digits, '.', '_' and '-', starting with a letter or digit")]
    ClaimName {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A canonical value is empty or longer than [`MAX_VALUE_LEN`].
    #[error("value {index} ({kind}, {len} bytes) is not a canonical value: empty or longer than {MAX_VALUE_LEN} bytes")]
    ValueLength {
        /// Its position in the input.
        index: usize,
        /// Its kind.
        kind: &'static str,
        /// Its length.
        len: usize,
    },
    /// The same canonical value was given twice; the caller merges what a person may learn
    /// about one value into one disclosure.
    #[error("values {first} and {second} are the same {kind}: merge their disclosures into one")]
    DuplicateValue {
        /// The first position.
        first: usize,
        /// The second position.
        second: usize,
        /// Their kind.
        kind: &'static str,
    },
    /// A disclosure names a field kind outside [`FIELD_KINDS`].
    #[error("unknown field kind {kind:?} (expected one of: {})", FIELD_KINDS.join(", "))]
    UnknownFieldKind {
        /// The field kind as given (a kind name from code, not a value).
        kind: String,
    },
    /// `min_bucket` (K) is zero.
    #[error("the minimum bucket size K must be at least 1")]
    MinBucket,
    /// Bytes from the other party are not what the protocol allows.
    #[error("malformed: {0}")]
    Malformed(&'static str),
    /// The server's evaluation does not verify under the claim's public key: it used
    /// another key, or the proof was altered. The answer cannot be trusted either way.
    #[error("verification failed: {0}")]
    Verification(&'static str),
    /// An entry's tag matched but its sealed disclosure does not open: the entry was altered.
    #[error("the entry with this value's tag does not open: the published claim was altered")]
    Tampered,
    /// The query was made for another number of bucket bits than the claim uses.
    #[error("the query was made with {query} bucket bits, the claim uses {claim}: make the query again with the claim's info")]
    BucketBits {
        /// The query's.
        query: u8,
        /// The claim's.
        claim: u8,
    },
    /// A bucket number outside the claim.
    #[error("bucket {bucket} does not exist: the claim has {buckets} buckets")]
    NoSuchBucket {
        /// The bucket asked for.
        bucket: u32,
        /// How many the claim has.
        buckets: u64,
    },
    /// The claim key is not the one the published claim was made with.
    #[error("the claim key (public key {key}) is not the one claim {claim:?} was published with ({published}): use the company key and claim name it was published with, or publish it again")]
    KeyMismatch {
        /// The claim.
        claim: String,
        /// The key's public key, hex.
        key: String,
        /// The published public key, hex.
        published: String,
    },
    /// A published-claim file is not one, or is damaged.
    #[error("{} is not a readable self-check claim: {reason}", path.display())]
    Format {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A file could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error(transparent)]
    Write(#[from] breachcheck_files::Error),
    /// A cryptographic operation failed where it cannot on valid input: a bug, please report.
    #[error("cryptography: {0} (a bug, please report)")]
    Crypto(&'static str),
}

/// This crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The OPRF input of a value: its kind, a zero byte, the canonical bytes. The kind keeps
/// e-mails and phones apart; the zero byte keeps the split unambiguous.
pub(crate) fn oprf_input(kind: Kind, canonical: &[u8]) -> zeroize::Zeroizing<Vec<u8>> {
    let mut v = zeroize::Zeroizing::new(Vec::with_capacity(
        kind.as_str().len() + 1 + canonical.len(),
    ));
    v.extend_from_slice(kind.as_str().as_bytes());
    v.push(0);
    v.extend_from_slice(canonical);
    v
}
