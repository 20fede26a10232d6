//! The index commitment: a Merkle root the company can publish before any claim, binding
//! it to exactly these tags and counts.
//!
//! Trees follow RFC 6962 §2.1 (SHA-256; leaf = H(0x00 ‖ data), node = H(0x01 ‖ left ‖
//! right); an unbalanced tree splits at the largest power of two below its size), so
//! inclusion and consistency proofs can be added without changing roots.
use crate::manifest::{SegmentKind, SegmentMeta};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Commitment over a whole index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commitment {
    /// Merkle root over the segment leaves, hex.
    pub root: String,
    /// Records over all system segments (canaries excluded).
    pub records: u64,
    /// Canary records.
    pub canaries: u64,
    /// Number of segments.
    pub segments: u64,
}

/// What one commitment leaf binds: a segment's system, snapshot, kind, record count and
/// table root; when the segment carries an audit set, the set's digest, size and value
/// counts and the OPRF public key; the digest of its profile; and the digest of its whole
/// manifest entry (live and removed counts, postings, size, checksum, sources, recipe, the
/// audit set's file), so that every byte of the manifest a report or `index info` could
/// state is committed. Public: an auditor recomputes the root from these, and bounds what
/// it accepts from the company by the audit sets' committed sizes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentLeaf {
    /// System name.
    pub system: String,
    /// Snapshot date.
    pub snapshot: String,
    /// Segment kind.
    pub kind: SegmentKind,
    /// Records stored in the segment.
    pub records: u64,
    /// Merkle root over the segment's tables, hex.
    pub root: String,
    /// SHA-256 of the segment's audit set filter, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_set: Option<String>,
    /// The audit OPRF public key the set was made with, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oprf_public_key: Option<String>,
    /// Size in bytes of the segment's audit set filter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_bytes: Option<u64>,
    /// Distinct e-mail, phone and name+address values in the audit set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_values: Option<[u64; 3]>,
    /// SHA-256 of the segment's profile (how its records are written, counts only), hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// SHA-256 of the segment's whole manifest entry (its JSON), hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<String>,
}

impl CommitmentLeaf {
    fn data(&self) -> String {
        let kind = self.kind.as_str();
        let mut leaf = format!(
            "{}\0{}\0{kind}\0{}\0{}",
            self.system, self.snapshot, self.records, self.root
        );
        // Segments without an audit set keep the leaf they always had.
        if let (Some(set), Some(pk)) = (&self.audit_set, &self.oprf_public_key) {
            leaf.push_str(&format!("\0audit={set}\0oprf={pk}"));
            if let (Some(bytes), Some([e, p, na])) = (self.audit_bytes, self.audit_values) {
                leaf.push_str(&format!("\0audit_size={bytes}\0audit_values={e},{p},{na}"));
            }
        }
        if let Some(p) = &self.profile {
            leaf.push_str(&format!("\0profile={p}"));
        }
        if let Some(m) = &self.meta {
            leaf.push_str(&format!("\0meta={m}"));
        }
        leaf
    }
}

impl SegmentMeta {
    /// This segment's commitment leaf.
    pub fn leaf(&self) -> CommitmentLeaf {
        CommitmentLeaf {
            system: self.system.clone(),
            snapshot: self.snapshot.clone(),
            kind: self.kind,
            records: self.records,
            root: self.root.clone(),
            audit_set: self.audit.as_ref().map(|a| a.sha256.clone()),
            oprf_public_key: self.audit.as_ref().map(|a| a.oprf_public_key.clone()),
            audit_bytes: self.audit.as_ref().map(|a| a.bytes),
            audit_values: self
                .audit
                .as_ref()
                .map(|a| [a.email, a.phone, a.name_address]),
            profile: (!self.profile.is_empty()).then(|| self.profile.digest()),
            meta: Some(self.digest()),
        }
    }

    /// SHA-256 of this entry's JSON (fields in declaration order, maps in key or recorded
    /// order, so the same entry always gives the same digest), hex.
    pub fn digest(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        hex(&Sha256::digest(&json))
    }
}

impl Commitment {
    /// Computes the commitment over `segments`. Each leaf binds a segment's entry (see
    /// [`CommitmentLeaf`]); the
    /// key fingerprint and rule version are bound into the first leaf so a commitment
    /// names the key and rules it holds for.
    pub fn compute(segments: &[SegmentMeta], key_fingerprint: &str) -> Self {
        let leaves: Vec<CommitmentLeaf> = segments.iter().map(SegmentMeta::leaf).collect();
        Self::from_leaves(&leaves, key_fingerprint, breachcheck_core::RULES_VERSION)
    }

    /// Computes the commitment over leaves (what an auditor does with the leaves a company
    /// sends).
    pub fn from_leaves(segments: &[CommitmentLeaf], key_fingerprint: &str, rules: u32) -> Self {
        let mut leaves: Vec<[u8; 32]> = Vec::with_capacity(segments.len() + 1);
        let head = format!("breachcheck.commitment/v2\0rules={rules}\0key={key_fingerprint}");
        leaves.push(leaf_hash(head.as_bytes()));
        for s in segments {
            leaves.push(leaf_hash(s.data().as_bytes()));
        }
        let count = |k| {
            segments
                .iter()
                .filter(|s| s.kind == k)
                .map(|s| s.records)
                .sum()
        };
        Commitment {
            root: hex(&merkle_root(&leaves)),
            records: count(SegmentKind::System),
            canaries: count(SegmentKind::Canary),
            segments: segments.len() as u64,
        }
    }
}

/// RFC 6962 leaf hash.
pub(crate) fn leaf_hash(data: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// RFC 6962 Merkle tree hash over leaf hashes (the empty tree hashes to SHA-256 of nothing).
pub fn merkle_root(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = n.next_power_of_two() / 2;
            let mut h = Sha256::new();
            h.update([1u8]);
            h.update(merkle_root(&leaves[..k]));
            h.update(merkle_root(&leaves[k..]));
            h.finalize().into()
        }
    }
}

pub(crate) use breachcheck_core::hex;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6962_shape() {
        let l: Vec<[u8; 32]> = (0..3u8).map(|i| leaf_hash(&[i])).collect();
        let node = |a: [u8; 32], b: [u8; 32]| -> [u8; 32] {
            let mut h = Sha256::new();
            h.update([1u8]);
            h.update(a);
            h.update(b);
            h.finalize().into()
        };
        assert_eq!(merkle_root(&l), node(node(l[0], l[1]), l[2]));
        assert_eq!(merkle_root(&l[..1]), l[0]);
    }
}
