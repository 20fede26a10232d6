//! The company's side before any query: turning a sample's canonical values and what each
//! person may learn into a [`Published`] claim.
//!
//! Cost: one OPRF evaluation per distinct value (RFC 9497 `Evaluate`: hash to the group,
//! one scalar multiplication, one SHA-512), in parallel over the rayon pool, plus two
//! SHA-256 and one 14-byte ChaCha20-Poly1305 seal per value. Nothing is stored per value
//! but its entry: no canonical value, digest or bucket hash reaches the result.
use crate::bucket::{self, bucket_count, choose_bits, of_prefix};
use crate::commitment::{self, Hash};
use crate::disclosure::Disclosure;
use crate::key::{ClaimKey, PublicKey};
use crate::seal::{self, SALT_LEN, SEALED_LEN};
use crate::{oprf_input, Error, Kind, Result, FORMAT, MAX_VALUE_LEN, TAG_LEN};
use rand_core::{OsRng, RngCore};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::fmt;
use zeroize::Zeroizing;

/// The RFC 9497 mode and suite, as written in a claim's info.
pub const SUITE: &str = "VOPRF ristretto255-SHA512";

/// Length of one entry on the wire and on disk: tag, then sealed disclosure.
pub const ENTRY_LEN: usize = TAG_LEN + SEALED_LEN;

/// One canonical value of the sample and what its owner may learn. `Debug` shows the kind
/// and length of the value, never the value.
pub struct Value {
    /// E-mail or phone.
    pub kind: Kind,
    canonical: Zeroizing<Vec<u8>>,
    /// What the person may learn.
    pub disclosure: Disclosure,
}

impl Value {
    /// A canonical value (as `breachcheck-normalize` writes it) with its disclosure.
    pub fn new(kind: Kind, canonical: impl Into<Vec<u8>>, disclosure: Disclosure) -> Self {
        Value {
            kind,
            canonical: Zeroizing::new(canonical.into()),
            disclosure,
        }
    }

    /// The canonical bytes, for the code that must read them.
    pub fn canonical(&self) -> &[u8] {
        &self.canonical
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Value(<{}, {} bytes>, {:?})",
            self.kind.as_str(),
            self.canonical.len(),
            self.disclosure
        )
    }
}

/// One published entry: a lookup tag and a sealed disclosure, both pseudorandom to anyone
/// without the value's OPRF output (dummies are random bytes of the same sizes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Entry {
    /// First [`TAG_LEN`] bytes of a domain-separated hash of the full OPRF output.
    pub tag: [u8; TAG_LEN],
    /// The disclosure sealed under a key derived from the full OPRF output.
    pub sealed: [u8; SEALED_LEN],
}

impl Entry {
    /// The entry's [`ENTRY_LEN`] bytes: tag then sealed disclosure.
    pub fn to_bytes(&self) -> [u8; ENTRY_LEN] {
        let mut b = [0u8; ENTRY_LEN];
        b[..TAG_LEN].copy_from_slice(&self.tag);
        b[TAG_LEN..].copy_from_slice(&self.sealed);
        b
    }

    /// Reads one entry; fails unless `b` is exactly [`ENTRY_LEN`] bytes.
    pub fn from_bytes(b: &[u8]) -> Result<Entry> {
        if b.len() != ENTRY_LEN {
            return Err(Error::Malformed("an entry is exactly 46 bytes"));
        }
        let mut e = Entry {
            tag: [0; TAG_LEN],
            sealed: [0; SEALED_LEN],
        };
        e.tag.copy_from_slice(&b[..TAG_LEN]);
        e.sealed.copy_from_slice(&b[TAG_LEN..]);
        Ok(e)
    }

    fn random() -> Entry {
        let mut b = [0u8; ENTRY_LEN];
        OsRng.fill_bytes(&mut b);
        let mut e = Entry {
            tag: [0; TAG_LEN],
            sealed: [0; SEALED_LEN],
        };
        e.tag.copy_from_slice(&b[..TAG_LEN]);
        e.sealed.copy_from_slice(&b[TAG_LEN..]);
        e
    }
}

/// Entries concatenated, [`ENTRY_LEN`] bytes each: the compact form of a bucket's answer.
pub fn encode_entries(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * ENTRY_LEN);
    for e in entries {
        out.extend_from_slice(&e.to_bytes());
    }
    out
}

/// Reads [`encode_entries`]' form; fails unless the length is a multiple of [`ENTRY_LEN`].
pub fn decode_entries(b: &[u8]) -> Result<Vec<Entry>> {
    if !b.len().is_multiple_of(ENTRY_LEN) {
        return Err(Error::Malformed(
            "a bucket's entries are a multiple of 46 bytes",
        ));
    }
    b.chunks_exact(ENTRY_LEN).map(Entry::from_bytes).collect()
}

/// A publication salt: 16 random bytes drawn at each publication, hex in JSON.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Salt(pub [u8; SALT_LEN]);

impl fmt::Debug for Salt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&breachcheck_core::hex(&self.0))
    }
}

impl Serialize for Salt {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&breachcheck_core::hex(&self.0))
    }
}

impl<'de> Deserialize<'de> for Salt {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        breachcheck_core::unhex::<SALT_LEN>(&s)
            .map(Salt)
            .ok_or_else(|| serde::de::Error::custom("a salt is 32 hex digits"))
    }
}

/// What is public about a claim: everything a client needs besides its own value, the
/// server's evaluation and the bucket's entries. The server's `info` route serves it; the
/// claim file starts with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimInfo {
    /// [`crate::FORMAT`].
    pub format: String,
    /// The claim's name.
    pub claim: String,
    /// [`SUITE`].
    pub suite: String,
    /// The key evaluations are proven against.
    pub public_key: PublicKey,
    /// This publication's salt (tags and sealing keys depend on it).
    pub salt: Salt,
    /// Bucket bits: buckets are `0 .. 2^bucket_bits`.
    pub bucket_bits: u8,
    /// K: every bucket holds at least this many entries.
    pub min_bucket: u64,
    /// Entries in all buckets, dummies included.
    pub entries: u64,
    /// Merkle root over the buckets ([`crate::commitment`]): lets a client check that it
    /// was sent its whole bucket as published, so that "not found" is verified too.
    pub entries_root: Hash,
}

impl ClaimInfo {
    /// Checks what a client or a loader relies on: this format and suite, a valid claim
    /// name, at most [`bucket::MAX_BITS`] bits.
    pub fn check(&self) -> Result<()> {
        if self.format != FORMAT {
            return Err(Error::Malformed(
                "the claim is in another format than breachcheck.selfcheck/v1",
            ));
        }
        if self.suite != SUITE {
            return Err(Error::Malformed(
                "the claim uses another suite than VOPRF ristretto255-SHA512",
            ));
        }
        crate::key::check_claim_name(&self.claim)?;
        if self.bucket_bits > bucket::MAX_BITS {
            return Err(Error::Malformed("the claim has more than 24 bucket bits"));
        }
        Ok(())
    }
}

/// A published claim: its public info and its entries, bucket by bucket, sorted by tag
/// within each bucket (so the order says nothing about the sample's order or about which
/// entries are dummies).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    pub(crate) info: ClaimInfo,
    /// `offsets[b] .. offsets[b + 1]` are bucket `b`'s entries; `2^bits + 1` of them.
    pub(crate) offsets: Vec<u32>,
    pub(crate) entries: Vec<Entry>,
    /// The Merkle tree over the buckets, leaves first (derived, not stored in the file).
    pub(crate) tree: Vec<Vec<Hash>>,
}

impl Published {
    /// Builds the bucket tree and returns the claim with it and its root.
    pub(crate) fn assemble(
        mut info: ClaimInfo,
        offsets: Vec<u32>,
        entries: Vec<Entry>,
    ) -> Published {
        let leaves: Vec<Hash> = offsets
            .par_windows(2)
            .enumerate()
            .map(|(b, w)| commitment::leaf(b as u32, &entries[w[0] as usize..w[1] as usize]))
            .collect();
        let tree = commitment::levels(leaves);
        if let Some(root) = tree.last().and_then(|l| l.first()) {
            info.entries_root = *root;
        }
        Published {
            info,
            offsets,
            entries,
            tree,
        }
    }

    /// The path from `bucket`'s leaf to [`ClaimInfo::entries_root`] (`bucket_bits` hashes),
    /// sent with the bucket's entries so the client can check it got all of them.
    pub fn bucket_proof(&self, bucket: u32) -> Result<Vec<Hash>> {
        if u64::from(bucket) >= bucket_count(self.info.bucket_bits) {
            return Err(Error::NoSuchBucket {
                bucket,
                buckets: bucket_count(self.info.bucket_bits),
            });
        }
        Ok(commitment::path(&self.tree, bucket as usize))
    }

    /// The public info.
    pub fn info(&self) -> &ClaimInfo {
        &self.info
    }

    /// The entries of `bucket`, what the server returns with an evaluation.
    pub fn bucket_entries(&self, bucket: u32) -> Result<&[Entry]> {
        let b = bucket as usize;
        match (self.offsets.get(b), self.offsets.get(b + 1)) {
            (Some(&start), Some(&end)) => Ok(&self.entries[start as usize..end as usize]),
            _ => Err(Error::NoSuchBucket {
                bucket,
                buckets: bucket_count(self.info.bucket_bits),
            }),
        }
    }

    /// Every entry, bucket by bucket.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The smallest and largest bucket sizes.
    pub fn bucket_size_range(&self) -> (usize, usize) {
        let sizes = self.offsets.windows(2).map(|w| (w[1] - w[0]) as usize);
        sizes.fold((usize::MAX, 0), |(lo, hi), s| (lo.min(s), hi.max(s)))
    }

    /// Checks that `key` is the key this claim was published with, before a server
    /// answers queries with it: answers under another key would fail every client's proof.
    pub fn check_key(&self, key: &ClaimKey) -> Result<()> {
        if key.public_key() != self.info.public_key || key.claim() != self.info.claim {
            return Err(Error::KeyMismatch {
                claim: self.info.claim.clone(),
                key: key.public_key().to_hex(),
                published: self.info.public_key.to_hex(),
            });
        }
        Ok(())
    }
}

/// Publishes `values` under `key` with every bucket holding at least `min_bucket` (K)
/// entries: the most bucket bits that keep every bucket at ≥ K real values, and, when the
/// values are fewer than K, random dummy entries until the one bucket holds K.
///
/// Fails on a value that is empty or too long, a value given twice (the caller merges
/// disclosures per value), or a field kind outside [`crate::FIELD_KINDS`]; errors name
/// positions, never values.
pub fn publish(key: &ClaimKey, values: &[Value], min_bucket: usize) -> Result<Published> {
    if min_bucket == 0 {
        return Err(Error::MinBucket);
    }
    let digests: Vec<[u8; 32]> = values
        .par_iter()
        .enumerate()
        .map(|(index, v)| {
            let len = v.canonical.len();
            if len == 0 || len > MAX_VALUE_LEN {
                return Err(Error::ValueLength {
                    index,
                    kind: v.kind.as_str(),
                    len,
                });
            }
            Ok(bucket::digest(v.kind, &v.canonical))
        })
        .collect::<Result<_>>()?;
    check_distinct(values, &digests)?;
    let prefixes: Vec<u32> = digests
        .iter()
        .map(|d| u32::from_be_bytes([d[0], d[1], d[2], d[3]]))
        .collect();
    drop(digests);
    let bits = choose_bits(&prefixes, min_bucket);

    let mut salt = [0u8; SALT_LEN];
    OsRng.fill_bytes(&mut salt);
    let mut keyed: Vec<(u32, Entry)> = values
        .par_iter()
        .zip(prefixes.par_iter())
        .map(|(v, &prefix)| {
            let plain = Zeroizing::new(v.disclosure.encode()?);
            let input = oprf_input(v.kind, &v.canonical);
            let output = Zeroizing::new(
                key.server
                    .evaluate(&input)
                    .map_err(|_| Error::Crypto("RFC 9497 Evaluate failed"))?,
            );
            let tag = seal::tag(&salt, &output);
            let sealed = seal::seal(&salt, &output, &tag, &plain)?;
            Ok((of_prefix(prefix, bits), Entry { tag, sealed }))
        })
        .collect::<Result<_>>()?;

    // Dummies: only when the values are fewer than K (then `bits` is 0 and one bucket
    // holds everything); with more, `bits` already keeps every bucket at ≥ K.
    let buckets = 1usize << bits;
    let mut counts = vec![0usize; buckets];
    for (b, _) in &keyed {
        counts[*b as usize] += 1;
    }
    for (b, &c) in counts.iter().enumerate() {
        for _ in c..min_bucket {
            keyed.push((b as u32, Entry::random()));
        }
    }
    keyed.par_sort_unstable();

    let n = keyed.len();
    let mut offsets = Vec::with_capacity(buckets + 1);
    let mut i = 0usize;
    for b in 0..buckets as u32 {
        offsets.push(offset(i)?);
        while i < n && keyed[i].0 == b {
            i += 1;
        }
    }
    offsets.push(offset(n)?);
    let entries: Vec<Entry> = keyed.into_iter().map(|(_, e)| e).collect();
    Ok(Published::assemble(
        ClaimInfo {
            format: FORMAT.to_owned(),
            claim: key.claim().to_owned(),
            suite: SUITE.to_owned(),
            public_key: key.public_key(),
            salt: Salt(salt),
            bucket_bits: bits,
            min_bucket: min_bucket as u64,
            entries: n as u64,
            entries_root: Hash([0; 32]),
        },
        offsets,
        entries,
    ))
}

fn offset(i: usize) -> Result<u32> {
    u32::try_from(i).map_err(|_| Error::Malformed("a claim holds at most 2^32 - 1 entries"))
}

/// Refuses a value given twice (equal public digests), naming both positions.
fn check_distinct(values: &[Value], digests: &[[u8; 32]]) -> Result<()> {
    let mut order: Vec<usize> = (0..digests.len()).collect();
    order.par_sort_unstable_by_key(|&i| (digests[i], i));
    for w in order.windows(2) {
        if digests[w[0]] == digests[w[1]] {
            return Err(Error::DuplicateValue {
                first: w[0],
                second: w[1],
                kind: values[w[0]].kind.as_str(),
            });
        }
    }
    Ok(())
}
