//! A Merkle root over the claim's buckets, so that "not found" can be checked too.
//!
//! The VOPRF proof shows the server evaluated with the claim's key; it says nothing about
//! the entries it sends with the evaluation. A server that left the person's entry out of
//! the bucket would turn "found" into a verified-looking "not found" — the one answer a
//! company disputing a leak would want to fake. So the claim's info carries
//! `entries_root`, the root of a binary Merkle tree whose leaves are the buckets (each
//! hashed with its number and all its entries), and every answer carries the bucket's
//! path to the root ([`crate::Published::bucket_proof`]: `bucket_bits` hashes of 32 bytes).
//! With the info taken from the transparency log, the client knows it saw the whole
//! bucket as published.
//!
//! ```text
//! leaf(i) = SHA-256("breachcheck.selfcheck/v1 bucket\0" ‖ u32-BE i ‖ entries of bucket i)
//! node    = SHA-256(0x01 ‖ left ‖ right)
//! ```
//! A claim of `b` bits has `2^b` leaves, so the tree is perfect; with `b = 0` the root is
//! the one leaf.
use crate::publish::Entry;
use crate::FORMAT;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::fmt;

/// A 32-byte hash, hex in JSON.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash(pub [u8; 32]);

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&breachcheck_core::hex(&self.0))
    }
}

impl serde::Serialize for Hash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&breachcheck_core::hex(&self.0))
    }
}

impl<'de> serde::Deserialize<'de> for Hash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        breachcheck_core::unhex::<32>(&s)
            .map(Hash)
            .ok_or_else(|| serde::de::Error::custom("a hash is 64 hex digits"))
    }
}

/// The leaf of bucket `bucket` holding `entries`.
pub fn leaf(bucket: u32, entries: &[Entry]) -> Hash {
    let mut h = Sha256::new();
    h.update(FORMAT.as_bytes());
    h.update(b" bucket\0");
    h.update(bucket.to_be_bytes());
    for e in entries {
        h.update(e.tag);
        h.update(e.sealed);
    }
    Hash(h.finalize().into())
}

fn node(l: &Hash, r: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1]);
    h.update(l.0);
    h.update(r.0);
    Hash(h.finalize().into())
}

/// The tree's levels, leaves first, root last (`2^b`, `2^(b-1)`, …, 1 hashes).
pub(crate) fn levels(leaves: Vec<Hash>) -> Vec<Vec<Hash>> {
    let mut levels = vec![leaves];
    while let Some(last) = levels.last() {
        if last.len() <= 1 {
            break;
        }
        let up: Vec<Hash> = last
            .par_chunks(2)
            .map(|p| node(&p[0], &p[p.len() - 1]))
            .collect();
        levels.push(up);
    }
    levels
}

/// The sibling path of leaf `index`, leaf level first.
pub(crate) fn path(levels: &[Vec<Hash>], mut index: usize) -> Vec<Hash> {
    let mut out = Vec::with_capacity(levels.len().saturating_sub(1));
    for level in &levels[..levels.len().saturating_sub(1)] {
        out.push(level[index ^ 1]);
        index /= 2;
    }
    out
}

/// Whether `entries` are bucket `bucket`'s as committed by `root`, given its sibling path
/// in a tree of `bits` levels.
pub fn verify(root: &Hash, bits: u8, bucket: u32, entries: &[Entry], path: &[Hash]) -> bool {
    if path.len() != usize::from(bits) || u64::from(bucket) >= 1u64 << bits {
        return false;
    }
    let mut h = leaf(bucket, entries);
    let mut index = bucket;
    for sibling in path {
        h = if index & 1 == 0 {
            node(&h, sibling)
        } else {
            node(sibling, &h)
        };
        index >>= 1;
    }
    h == *root
}
