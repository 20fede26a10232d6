//! The published claim as one file (format v1; drawn in the crate README):
//!
//! ```text
//! offset        size        content
//! 0             8           magic "BCSELF1\n"
//! 8             4           H: header length, u32 little-endian (≤ 4096)
//! 12            H           header: the ClaimInfo as compact JSON (UTF-8)
//! 12+H          4·(2^b+1)   offsets, u32 LE: bucket i is entries offsets[i] .. offsets[i+1]
//! …             46·n        entries: 16-byte tag ‖ 30-byte sealed disclosure, bucket by
//!                           bucket, sorted by tag within a bucket
//! end−32        32          SHA-256 of every byte before it
//! ```
//!
//! `b` is the header's `bucket_bits` and `n` its `entries`. A loader checks the length,
//! the digest, the offsets (from 0 to n, never decreasing, every bucket ≥ `min_bucket`),
//! the tag order and the header's `entries_root`, so a truncated or altered file is
//! refused rather than served. The whole file is read into memory; at 46 bytes an entry a 10M-value claim is ~460 MB.
use crate::bucket::bucket_count;
use crate::publish::{ClaimInfo, Entry, Published, ENTRY_LEN};
use crate::{Error, Result};
use breachcheck_files::AtomicFile;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

/// The file's first 8 bytes.
pub const MAGIC: &[u8; 8] = b"BCSELF1\n";
/// The longest header accepted.
const MAX_HEADER: usize = 4096;

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Hashing<W> {
    fn put(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.hash.update(b);
        self.inner.write_all(b)
    }
}

impl Published {
    /// Writes the file form to `w` (see the module docs).
    pub fn write_to<W: Write>(&self, w: W) -> std::io::Result<()> {
        let header = serde_json::to_vec(&self.info).map_err(std::io::Error::other)?;
        let mut h = Hashing {
            inner: w,
            hash: Sha256::new(),
        };
        h.put(MAGIC)?;
        // The header is a few hundred bytes (a 64-byte name, fixed fields).
        h.put(&(header.len() as u32).to_le_bytes())?;
        h.put(&header)?;
        let mut buf = Vec::with_capacity(1 << 16);
        for o in &self.offsets {
            buf.extend_from_slice(&o.to_le_bytes());
            if buf.len() >= 1 << 16 {
                h.put(&buf)?;
                buf.clear();
            }
        }
        for e in &self.entries {
            buf.extend_from_slice(&e.to_bytes());
            if buf.len() >= 1 << 16 {
                h.put(&buf)?;
                buf.clear();
            }
        }
        h.put(&buf)?;
        let digest: [u8; 32] = h.hash.finalize().into();
        h.inner.write_all(&digest)?;
        h.inner.flush()
    }

    /// The file form in memory (for a database column).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            MAGIC.len() + 512 + 4 * self.offsets.len() + ENTRY_LEN * self.entries.len() + 32,
        );
        // Writing to a Vec cannot fail, and the header is plain data that serializes.
        let _ = self.write_to(&mut out);
        out
    }

    /// Saves the file atomically (a temporary file beside `path`, fsync, rename): a
    /// reader sees the previous publication or this one, never half of one.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut f = AtomicFile::create(path)?;
        if let Err(e) = self.write_to(&mut f) {
            return Err(f.write_error(e).into());
        }
        f.commit()?;
        Ok(())
    }

    /// Loads and checks a file written by [`Published::save`].
    pub fn load(path: &Path) -> Result<Published> {
        let bytes = std::fs::read(path).map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_bytes(&bytes).map_err(|reason| Error::Format {
            path: path.to_owned(),
            reason,
        })
    }

    /// Reads and checks the file form (see the module docs); the error says what is wrong.
    pub fn from_bytes(b: &[u8]) -> Result<Published, String> {
        if b.len() < MAGIC.len() + 4 + 32 || &b[..8] != MAGIC {
            return Err("it does not start with the self-check claim magic".into());
        }
        let (body, digest) = b.split_at(b.len() - 32);
        if Sha256::digest(body).as_slice() != digest {
            return Err("its SHA-256 does not match: the file is truncated or altered".into());
        }
        let h = u32::from_le_bytes([b[8], b[9], b[10], b[11]]) as usize;
        if h > MAX_HEADER || 12 + h > body.len() {
            return Err("its header length is out of bounds".into());
        }
        let info: ClaimInfo = serde_json::from_slice(&body[12..12 + h])
            .map_err(|e| format!("its header is not a claim's info: {e}"))?;
        info.check().map_err(|e| e.to_string())?;
        let buckets = bucket_count(info.bucket_bits) as usize;
        let n = usize::try_from(info.entries).map_err(|_| "too many entries".to_string())?;
        let rest = &body[12 + h..];
        let want = n
            .checked_mul(ENTRY_LEN)
            .and_then(|e| e.checked_add(4 * (buckets + 1)));
        if want != Some(rest.len()) {
            return Err(format!(
                "its length does not fit {} buckets and {} entries",
                buckets, info.entries
            ));
        }
        let (offs, ents) = rest.split_at(4 * (buckets + 1));
        let offsets: Vec<u32> = offs
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        if offsets.first() != Some(&0) || offsets.last().map(|&o| o as usize) != Some(n) {
            return Err("its offsets do not run from 0 to the entry count".into());
        }
        let entries: Vec<Entry> = ents
            .chunks_exact(ENTRY_LEN)
            .map(Entry::from_bytes)
            .collect::<Result<_>>()
            .map_err(|e| e.to_string())?;
        for w in offsets.windows(2) {
            if w[1] < w[0] || u64::from(w[1] - w[0]) < info.min_bucket {
                return Err(format!(
                    "a bucket holds fewer than its minimum of {} entries",
                    info.min_bucket
                ));
            }
            let bucket = &entries[w[0] as usize..w[1] as usize];
            if bucket.windows(2).any(|p| p[1].tag < p[0].tag) {
                return Err("a bucket's entries are not sorted by tag".into());
            }
        }
        let root = info.entries_root;
        let published = Published::assemble(info, offsets, entries);
        if published.info.entries_root != root {
            return Err("its entries do not hash to the header's entries_root".into());
        }
        Ok(published)
    }
}
