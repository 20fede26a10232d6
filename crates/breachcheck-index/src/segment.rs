//! Segment files: one immutable, checksummed file per (system, snapshot) or canary set.
//!
//! Layout v5 (all integers little-endian; drawn byte by byte in the crate README):
//! ```text
//! header    64 bytes: magic "BCSEG05\n", version, rules, counts, posting shape (b, s, r)
//! sources   S × 8    first record of each source file
//! blocks    ⌈R/8⌉ × 16    byte offset into the record table, source row of the block's first record
//! records   T bytes  variable-length rows: row delta (masks when they change), check values and fuzzy encodings of present fields
//! postings  ⌈P(s+r)/8⌉  (s tag bits after the prefix, r-bit record), bit-packed, sorted, bucketed by tag prefix
//! buckets   (2^b + 1) × 8   first posting of each tag prefix
//! removed   D × 8    (segment, record) of earlier records gone in this snapshot, sorted
//! digests   L × 32   BLAKE3 of each 64 KiB chunk of everything above (the body)
//! footer    32       BLAKE3 of every byte before it
//! ```
//! Rows are variable-length (only present fields carry check values, and only quirky
//! fields a raw check value), so a record is found through its block of 8: one offset per
//! 8 rows (2 bytes a record), then at most 7 short rows skipped. Postings are partitioned by the top `b`
//! bits of the tag into buckets of about 64, so a posting needs only the next `s` bits (at
//! least 16, and 40 in all) and as many record bits as the segment's records need: a
//! lookup reads one bucket-directory entry and binary-searches a few hundred bytes.
//!
//! Integrity as it is read: the chunk digests are the leaves of the segment's Merkle root,
//! which the index commitment binds. Opening a segment recomputes the root from the
//! digests and compares it with the manifest's (a few hashes per MiB); every later read
//! checks the chunks it touches against their digests the first time it touches them (a
//! bit per chunk remembers) — or, with the segment's page file, only the 4 KiB pages it
//! touches, against chaining values checked against the chunk digest first — so a reader
//! never acts on a byte the commitment does not vouch for, and pays for hashing only what
//! it reads, once. A chunk that does not match
//! makes every read of the segment come back empty and is reported by
//! [`Segment::damage`]: callers check it before they state anything.
#![allow(unsafe_code)] // memory-mapping; see `Segment::open` for why it is sound.

use crate::commitment::{hex, leaf_hash, merkle_root};
use crate::manifest::SegmentMeta;
use crate::{io_err, Error, Result};
use breachcheck_core::{FuzzyKind, MatchField, Tag};
use breachcheck_normalize::TaggedRecord;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

pub(crate) const MAGIC: &[u8; 8] = b"BCSEG05\n";
pub(crate) const FORMAT_VERSION: u32 = 5;
/// Bytes of one chunk digest.
pub(crate) const DIGEST: usize = 32;
pub(crate) const HEADER: usize = 64;
pub(crate) const FOOTER: usize = 32;
/// Records per row block (one directory entry each), written in the header. Eight keeps a
/// record read within two or three cache lines at 2 bytes of directory per record (32 cost
/// 15% of a large verify in decoding skipped rows).
pub(crate) const BLOCK: usize = 8;
/// Tag bits a posting keeps after its bucket's prefix, at least (and enough for
/// [`MIN_KEPT_BITS`] in all). A lookup finds a posting of another tag with probability
/// at most postings / 2^40 (7·10⁻⁵ for the 77M postings of 10M records, 7·10⁻³ for a
/// segment of 10⁹ records), and 2^-16 times the bucket's postings where a segment keeps
/// more than 40 bits. Such a hit
/// costs a candidate comparison and nothing else: every use of a hit confirms it against
/// the record's check values (comparison, `exactly_held`, the neighbour densities).
pub(crate) const MIN_SUFFIX_BITS: u32 = 16;
/// First byte of a row's bytes ([`RecordRow::to_bytes`]): the index format the row's
/// encoding is that of. Rows cross machines (the export's records table, `index prepare`'s
/// output), and a binary of another release must say so rather than call them damaged.
pub const ROW_BYTES_FORMAT: u8 = FORMAT_VERSION as u8;
/// Tag bits every posting keeps in all (prefix and suffix): what the Parquet export
/// publishes as the join key.
pub(crate) const MIN_KEPT_BITS: u32 = 40;
/// Merkle leaves are the digests of 64 KiB chunks of the segment body; without a page file
/// a read checks whole chunks, so this is also the most a first touch of a byte hashes
/// (about 15 µs); with one, a 4 KiB page.
pub(crate) const LEAF_CHUNK: usize = 64 * 1024;
/// A chunk's digest is BLAKE3's tree over its bytes, so it is also the root of the
/// chaining values of its 16 aligned 4 KiB pages (each a complete subtree of four BLAKE3
/// chunks). A segment's *page file* (`.bcv`, beside it) holds those chaining values for
/// every full chunk: a read then checks only the 4 KiB pages it touches, each against a
/// chaining value that is itself checked against the committed chunk digest first. The
/// page file is not committed and need not be: nothing in it is used before it is checked
/// against the commitment, and without it (or with a damaged one) reads check whole chunks.
pub(crate) const PAGE: usize = 4096;
/// Pages of one chunk a prefetch must want for the chunk to be read and checked whole.
const DENSE_PAGES: usize = 4;
/// Read-ahead of a front-to-back scan (see [`Segment::scan_ahead`]).
const SCAN_WINDOW: usize = 1 << 20;
pub(crate) const PAGES_PER_CHUNK: usize = LEAF_CHUNK / PAGE;
/// Magic of a page file, then the page size and pages per chunk (u32 each).
pub(crate) const PAGE_FILE_MAGIC: &[u8; 8] = b"BCPAGE1\n";
pub(crate) const PAGE_FILE_HEADER: usize = 16;
/// Extension of a segment's page file.
pub const PAGE_FILE_EXT: &str = "bcv";
use crate::store::MAX_HITS_PER_TAG;
/// Bounds of the tag-prefix width: at least 8 bits, so every segment keeps at least 40 bits
/// of each tag (what the Parquet export publishes); at most 24, so the bucket directory of
/// even a 4-billion-posting segment stays at 128 MiB.
const MIN_PREFIX_BITS: u32 = 8;
const MAX_PREFIX_BITS: u32 = 24;

/// Prefix width for `postings` postings: buckets of about 64 postings.
pub(crate) fn prefix_bits(postings: u64) -> u32 {
    let ceil_log2 = 64 - postings.max(1).saturating_sub(1).leading_zeros();
    ceil_log2
        .saturating_sub(6)
        .clamp(MIN_PREFIX_BITS, MAX_PREFIX_BITS)
}

/// The shape of a segment's postings: (prefix bits `b`, suffix bits `s`, record bits
/// `r`). A posting is `s + r` bits, packed: the `s` tag bits after the prefix, then the
/// record index in as few bits as the segment's records need.
pub(crate) fn posting_shape(postings: u64, records: u64) -> (u32, u32, u32) {
    let b = prefix_bits(postings);
    let s = MIN_SUFFIX_BITS.max(MIN_KEPT_BITS.saturating_sub(b));
    let r = (64 - records.saturating_sub(1).leading_zeros()).max(1);
    (b, s, r)
}

/// (bucket, the `s` tag bits after the `b`-bit prefix).
#[inline]
pub(crate) fn split_tag(tag: u64, b: u32, s: u32) -> (usize, u32) {
    ((tag >> (64 - b)) as usize, ((tag << b) >> (64 - s)) as u32)
}

/// Bytes of the canonical check value a row keeps for `f`: the low bits of the field's
/// tag. A check is compared only once a candidate is known (a posting brought it), so
/// what matters is how often two *different* values of the field agree by chance
/// (`2^-8w`) next to how often two unrelated people really share the field (its u
/// probability in the linkage model). Four bytes (2.3·10⁻¹⁰) for fields that identify a
/// person or nearly do; three (6·10⁻⁸) for birth dates and postal codes, whose own u
/// is 10⁻⁴–10⁻⁶ (one day in 60 years; one code of 10⁴–10⁶); two (1.5·10⁻⁵) for cities
/// and countries, which unrelated customers share at 10⁻³ and more. Chance agreement so
/// stays below 3% of real agreement for every field, and below 1 in 10⁴·u for most.
pub const fn check_bytes(f: MatchField) -> usize {
    match f {
        MatchField::City | MatchField::Country => 2,
        MatchField::PostalCode | MatchField::BirthDate => 3,
        _ => 4,
    }
}

/// Bytes of a raw-form check value: compared only when the canonical values agree (is
/// the seller's spelling the system's own?), so 1.5·10⁻⁵ of chance agreement is noise.
pub const RAW_CHECK_BYTES: usize = 2;

/// Fields whose check is 2 and 3 bytes (see [`check_bytes`]), as masks: a row's length
/// is then a few popcounts.
const CHECK2: u16 = MatchField::City.bit() | MatchField::Country.bit();
const CHECK3: u16 = MatchField::PostalCode.bit() | MatchField::BirthDate.bit();

/// The check value a row keeps for a field whose tag is `tag` (what [`RecordRow::canonical`]
/// and [`RecordRow::raw`] hold, and what a line's value is compared with).
#[inline]
pub fn check_value(f: MatchField, tag: Tag) -> u32 {
    mask_bytes(tag.check(), check_bytes(f))
}

/// The raw-form check value a row keeps for a raw tag `tag`.
#[inline]
pub fn raw_check_value(tag: Tag) -> u32 {
    mask_bytes(tag.check(), RAW_CHECK_BYTES)
}

#[inline]
fn mask_bytes(v: u32, bytes: usize) -> u32 {
    if bytes >= 4 {
        v
    } else {
        v & ((1u32 << (8 * bytes)) - 1)
    }
}

/// Bytes of the check values of a row with `present` fields, `quirky` of them raw too.
#[inline]
fn checks_len(present: u16, quirky: u16) -> usize {
    4 * present.count_ones() as usize
        - 2 * (present & CHECK2).count_ones() as usize
        - (present & CHECK3).count_ones() as usize
        + RAW_CHECK_BYTES * quirky.count_ones() as usize
}

/// One record of a segment's record table: where it came from and check values of its
/// fields. Check values are the low bits of the field tags, as wide as [`check_bytes`]
/// says; raw-form ones [`RAW_CHECK_BYTES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordRow {
    /// Index of the source file in the segment's `sources`.
    pub source_file: u16,
    /// 1-based physical line (or ordinal) in the source file.
    pub source_row: u64,
    /// Fields present (bit per [`MatchField`]).
    pub present: u16,
    /// Fields whose raw form is a quirk (a subset of `present`).
    pub quirky: u16,
    /// Canonical check values per field ([`check_value`]; 0 where absent).
    pub canonical: [u32; MatchField::COUNT],
    /// Raw-form check values per field ([`raw_check_value`]; 0 unless the field is quirky).
    pub raw: [u32; MatchField::COUNT],
    /// Keyed fuzzy encodings per field (0 where absent or compared exactly only); their
    /// width per field is [`FuzzyKind::width`].
    pub fuzzy: [u64; MatchField::COUNT],
}

/// A varint's bytes appended to `out` (LEB128).
fn put_varint(mut z: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (z & 0x7f) as u8;
        z >>= 7;
        if z == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
}

/// The varint at `b[*pos..]`, advancing `pos`; `None` if it runs over `b` or 64 bits.
#[inline]
pub(crate) fn get_varint(b: &[u8], pos: &mut usize) -> Option<u64> {
    let (mut z, mut shift) = (0u64, 0u32);
    loop {
        let byte = *b.get(*pos)?;
        *pos += 1;
        if shift >= 64 {
            return None;
        }
        z |= u64::from(byte & 0x7f) << shift;
        shift += 7;
        if byte & 0x80 == 0 {
            return Some(z);
        }
    }
}

impl RecordRow {
    /// The row `rec` is stored as (at `source_row` of source file 0).
    pub fn from_tagged(rec: &TaggedRecord, source_row: u64) -> Self {
        let mut row = RecordRow {
            source_file: 0,
            source_row,
            present: 0,
            quirky: 0,
            canonical: [0; MatchField::COUNT],
            raw: [0; MatchField::COUNT],
            fuzzy: [0; MatchField::COUNT],
        };
        for (f, t) in rec.fields() {
            row.present |= f.bit();
            row.canonical[f.index()] = check_value(f, t.canonical);
            row.fuzzy[f.index()] = t.fuzzy & width_mask(f);
            if t.quirky {
                row.quirky |= f.bit();
                row.raw[f.index()] = raw_check_value(t.raw);
            }
        }
        row
    }

    /// Whether this row holds `f` with the canonical tag `tag` (as far as its check value
    /// tells: see [`check_bytes`]).
    #[inline]
    pub fn agrees(&self, f: MatchField, tag: Tag) -> bool {
        self.present & f.bit() != 0 && self.canonical[f.index()] == check_value(f, tag)
    }

    /// Whether this row holds `f` in the quirky raw form whose tag is `tag`.
    #[inline]
    pub fn raw_agrees(&self, f: MatchField, tag: Tag) -> bool {
        self.quirky & f.bit() != 0 && self.raw[f.index()] == raw_check_value(tag)
    }

    /// The row as bytes, for a store beyond one machine (the exported records table, the
    /// records `index prepare` writes): the row format ([`ROW_BYTES_FORMAT`]), source file
    /// u16, then the encoding a segment stores (as a block's first row). Check values and
    /// keyed encodings only, never a value.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![ROW_BYTES_FORMAT];
        out.extend_from_slice(&self.source_file.to_le_bytes());
        self.encode_into(0, (0, 0), &mut out);
        out
    }

    /// Reads back [`RecordRow::to_bytes`]; `None` unless `b` is exactly the bytes of one
    /// row of this format (bits outside the fields, a longer varint than needed: refused,
    /// so that bytes from beyond this machine read as one row or none).
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        if Self::other_format(b) {
            return None;
        }
        let source_file = u16::from_le_bytes([*b.get(1)?, *b.get(2)?]);
        let (mut row, len) = Self::decode(b.get(3..)?, 0, (0, 0), true)?;
        row.source_file = source_file;
        (len + 3 == b.len() && row.to_bytes() == b).then_some(row)
    }

    /// Whether `b` is not a row of this binary's row format at all: written by another
    /// version of breachcheck (an export or executors of an older release), which the
    /// caller then names instead of calling the bytes damaged.
    ///
    /// Rows from before the format byte start with their source file's low byte, which
    /// is 5 for every row of a sixth source file (and the 262nd…): such a row is not
    /// caught here, and about half of them read as a row of this format whose source file
    /// is 0x8000 or above. Readers of rows from beyond this machine therefore also check
    /// the source file against the segment's sources (`CandidateStore::open` does).
    pub fn other_format(b: &[u8]) -> bool {
        b.first() != Some(&ROW_BYTES_FORMAT)
    }

    /// Appends the row's encoding after a row at `prev_row` with masks `prev_masks`
    /// (present, quirky; `(0, 0)` for a block's first row): a varint of the zigzagged row
    /// delta shifted left by one, its low bit set when the masks are the previous row's
    /// (most rows of an export have the same fields: one byte for both, instead of four);
    /// otherwise the present and quirky masks as varints; then the canonical checks of
    /// present fields ([`check_bytes`] each), raw checks of quirky fields, and fuzzy
    /// encodings of present fields that have one (field order each).
    pub(crate) fn encode_into(&self, prev_row: u64, prev_masks: (u16, u16), out: &mut Vec<u8>) {
        let delta = self.source_row.wrapping_sub(prev_row) as i64;
        let z = ((delta << 1) ^ (delta >> 63)) as u64;
        let same = (self.present, self.quirky) == prev_masks;
        // The shift drops the zigzag's top bit only for deltas beyond ±2^62 rows.
        put_varint((z << 1) | u64::from(same), out);
        if !same {
            put_varint(u64::from(self.present), out);
            put_varint(u64::from(self.quirky), out);
        }
        for f in MatchField::ALL {
            if self.present & f.bit() != 0 {
                out.extend_from_slice(&self.canonical[f.index()].to_le_bytes()[..check_bytes(f)]);
            }
        }
        for f in MatchField::ALL {
            if self.quirky & f.bit() != 0 {
                out.extend_from_slice(&self.raw[f.index()].to_le_bytes()[..RAW_CHECK_BYTES]);
            }
        }
        for f in MatchField::ALL {
            if self.present & f.bit() != 0 {
                let w = FuzzyKind::of(f).width();
                out.extend_from_slice(&self.fuzzy[f.index()].to_le_bytes()[..w]);
            }
        }
    }

    /// Decodes the row at the start of `b` (after a row at `prev_row` with `prev_masks`);
    /// returns it and its length, `None` if `b` is too short, a varint runs over or a mask
    /// has bits outside the fields (a damaged table).
    #[inline]
    fn decode(
        b: &[u8],
        prev_row: u64,
        prev_masks: (u16, u16),
        decode_checks: bool,
    ) -> Option<(Self, usize)> {
        let mut pos = 0usize;
        let head = get_varint(b, &mut pos)?;
        let (present, quirky) = if head & 1 == 1 {
            prev_masks
        } else {
            let p = u16::try_from(get_varint(b, &mut pos)?).ok()?;
            let q = u16::try_from(get_varint(b, &mut pos)?).ok()?;
            if p & !MatchField::ALL_BITS != 0 || q & !p != 0 {
                return None;
            }
            (p, q)
        };
        let z = head >> 1;
        let delta = ((z >> 1) as i64) ^ -((z & 1) as i64);
        let len = pos + checks_len(present, quirky) + fuzzy_len(present);
        if b.len() < len {
            return None;
        }
        let mut row = RecordRow {
            source_file: 0,
            source_row: prev_row.wrapping_add(delta as u64),
            present,
            quirky,
            canonical: [0; MatchField::COUNT],
            raw: [0; MatchField::COUNT],
            fuzzy: [0; MatchField::COUNT],
        };
        if decode_checks {
            let read = |o: &mut usize, w: usize| {
                let mut v = [0u8; 4];
                v[..w].copy_from_slice(&b[*o..*o + w]);
                *o += w;
                u32::from_le_bytes(v)
            };
            for f in MatchField::ALL {
                if present & f.bit() != 0 {
                    row.canonical[f.index()] = read(&mut pos, check_bytes(f));
                }
            }
            for f in MatchField::ALL {
                if quirky & f.bit() != 0 {
                    row.raw[f.index()] = read(&mut pos, RAW_CHECK_BYTES);
                }
            }
            for f in MatchField::ALL {
                let w = FuzzyKind::of(f).width();
                if present & f.bit() != 0 && w > 0 {
                    let mut v = [0u8; 8];
                    v[..w].copy_from_slice(&b[pos..pos + w]);
                    row.fuzzy[f.index()] = u64::from_le_bytes(v);
                    pos += w;
                }
            }
        }
        Some((row, len))
    }

    /// The masks the next row's encoding is relative to.
    #[inline]
    fn masks(&self) -> (u16, u16) {
        (self.present, self.quirky)
    }

    /// A 64-bit digest of the record's content (masks and check values, not its source
    /// position): equal digests mean the record is unchanged between two snapshots.
    /// Computed for every record of a delta build, so it hashes in place, allocating nothing.
    pub fn content_digest(&self) -> u64 {
        let mut h = blake3::Hasher::new();
        h.update(&self.present.to_le_bytes());
        h.update(&self.quirky.to_le_bytes());
        for f in MatchField::ALL {
            if self.present & f.bit() != 0 {
                h.update(&self.canonical[f.index()].to_le_bytes());
            }
            if self.quirky & f.bit() != 0 {
                h.update(&self.raw[f.index()].to_le_bytes());
            }
            if self.present & f.bit() != 0 {
                h.update(&self.fuzzy[f.index()].to_le_bytes());
            }
        }
        u64::from_le_bytes(h.finalize().as_bytes()[..8].try_into().unwrap_or([0; 8]))
    }
}

/// Bytes of fuzzy encodings a row with `present` fields carries.
fn fuzzy_len(present: u16) -> usize {
    MatchField::ALL
        .into_iter()
        .filter(|f| present & f.bit() != 0)
        .map(|f| FuzzyKind::of(f).width())
        .sum()
}

/// The bits of a fuzzy encoding that fit its stored width.
fn width_mask(f: MatchField) -> u64 {
    match FuzzyKind::of(f).width() {
        8 => u64::MAX,
        w => (1u64 << (8 * w)) - 1,
    }
}

/// A posting found by [`crate::Index::lookup`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hit {
    /// Segment index in the manifest.
    pub segment: u32,
    /// Record index in the segment.
    pub record: u32,
}

/// Section offsets of a segment, computed from (and checked against) its header.
#[derive(Clone, Copy, Debug)]
struct Layout {
    records: usize,
    postings: usize,
    removed: usize,
    sources: usize,
    bits: u32,
    /// Tag bits a posting keeps after the prefix.
    suffix: u32,
    /// Bits of a posting's record index.
    record_bits: u32,
    sources_at: usize,
    blocks_at: usize,
    table_at: usize,
    table_len: usize,
    postings_at: usize,
    buckets_at: usize,
    removed_at: usize,
    /// End of the body (what the chunk digests cover), where the digests start.
    body_len: usize,
    /// Number of chunks (and digests).
    chunks: usize,
}

/// Chunks of a body of `len` bytes.
pub(crate) fn chunk_count(len: u64) -> u64 {
    len.div_ceil(LEAF_CHUNK as u64)
}

impl Layout {
    /// Byte offsets of every section and the file size, `None` if they overflow.
    fn compute(
        records: u64,
        postings: u64,
        removed: u64,
        table: u64,
        sources: u64,
        bits: u32,
    ) -> Option<(Self, u64)> {
        let (_, suffix, record_bits) = posting_shape(postings, records);
        let posting_bytes = postings
            .checked_mul(u64::from(suffix + record_bits))?
            .div_ceil(8);
        let blocks = records.div_ceil(BLOCK as u64);
        let sources_at = HEADER as u64;
        let blocks_at = sources_at.checked_add(sources.checked_mul(8)?)?;
        let table_at = blocks_at.checked_add(blocks.checked_mul(16)?)?;
        let postings_at = table_at.checked_add(table)?;
        let buckets_at = postings_at.checked_add(posting_bytes)?;
        let removed_at = buckets_at.checked_add(((1u64 << bits) + 1) * 8)?;
        let body = removed_at.checked_add(removed.checked_mul(8)?)?;
        let chunks = chunk_count(body);
        let end = body
            .checked_add(chunks.checked_mul(DIGEST as u64)?)?
            .checked_add(FOOTER as u64)?;
        let us = |x: u64| usize::try_from(x).ok();
        Some((
            Layout {
                records: us(records)?,
                postings: us(postings)?,
                removed: us(removed)?,
                sources: us(sources)?,
                bits,
                suffix,
                record_bits,
                sources_at: us(sources_at)?,
                blocks_at: us(blocks_at)?,
                table_at: us(table_at)?,
                table_len: us(table)?,
                postings_at: us(postings_at)?,
                buckets_at: us(buckets_at)?,
                removed_at: us(removed_at)?,
                body_len: us(body)?,
                chunks: us(chunks)?,
            },
            end,
        ))
    }
}

/// Writes the 64-byte header; the postings' shape (prefix, suffix and record bits) follows
/// from the counts (`posting_shape`).
pub(crate) fn header(
    records: u64,
    postings: u64,
    removed: u64,
    table: u64,
    sources: u32,
) -> [u8; HEADER] {
    let (bits, suffix, record_bits) = posting_shape(postings, records);
    let mut h = [0u8; HEADER];
    h[..8].copy_from_slice(MAGIC);
    h[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    h[12..16].copy_from_slice(&breachcheck_core::RULES_VERSION.to_le_bytes());
    h[16..24].copy_from_slice(&records.to_le_bytes());
    h[24..32].copy_from_slice(&postings.to_le_bytes());
    h[32..40].copy_from_slice(&removed.to_le_bytes());
    h[40..48].copy_from_slice(&table.to_le_bytes());
    h[48..52].copy_from_slice(&sources.to_le_bytes());
    h[52..56].copy_from_slice(&bits.to_le_bytes());
    h[56..60].copy_from_slice(&(BLOCK as u32).to_le_bytes());
    h[60..62].copy_from_slice(&(suffix as u16).to_le_bytes());
    h[62..64].copy_from_slice(&(record_bits as u16).to_le_bytes());
    h
}

/// The segment root: RFC 6962 Merkle tree over the chunk digests (leaf `H(0x00‖digest)`).
pub(crate) fn root_of_digests(digests: &[u8]) -> [u8; 32] {
    let leaves: Vec<[u8; 32]> = digests.chunks_exact(DIGEST).map(leaf_hash).collect();
    merkle_root(&leaves)
}

/// The two front-to-back cursors of a scan (see [`Segment::scan_ahead`]).
#[derive(Clone, Copy)]
enum Cursor {
    Directory = 0,
    Table = 1,
}

/// Pages a prefetch will ask for (see [`Segment::prefetch_lookups`]).
#[derive(Default)]
struct PageSet(Vec<usize>);

impl PageSet {
    fn add(&mut self, c: usize) {
        // Lookups in tag order touch pages in order: most repeats are the last one.
        if self.0.last() != Some(&c) {
            self.0.push(c);
        }
    }
}

/// The chaining values of the 16 pages of a full chunk, and the chunk's digest made from
/// them (equal to `blake3::hash(chunk)`, one pass over the bytes either way).
pub(crate) fn page_values(chunk: &[u8]) -> ([[u8; 32]; PAGES_PER_CHUNK], [u8; 32]) {
    use blake3::hazmat::HasherExt;
    debug_assert_eq!(chunk.len(), LEAF_CHUNK);
    let mut cvs = [[0u8; 32]; PAGES_PER_CHUNK];
    for (i, (cv, page)) in cvs.iter_mut().zip(chunk.chunks_exact(PAGE)).enumerate() {
        *cv = blake3::Hasher::new()
            .set_input_offset((i * PAGE) as u64)
            .update(page)
            .finalize_non_root();
    }
    let root = root_of_pages(&cvs);
    (cvs, root)
}

/// The digest of a full chunk from its pages' chaining values: BLAKE3 parent nodes up the
/// complete binary tree, the last one a root node.
pub(crate) fn root_of_pages(cvs: &[[u8; 32]; PAGES_PER_CHUNK]) -> [u8; 32] {
    use blake3::hazmat::{merge_subtrees_non_root, merge_subtrees_root, Mode};
    let mut level: Vec<[u8; 32]> = cvs.to_vec();
    while level.len() > 2 {
        level = level
            .chunks_exact(2)
            .map(|p| merge_subtrees_non_root(&p[0], &p[1], Mode::Hash))
            .collect();
    }
    *merge_subtrees_root(&level[0], &level[1], Mode::Hash).as_bytes()
}

/// The page file of the segment at `segment` (same name, extension [`PAGE_FILE_EXT`]).
pub fn page_file_path(segment: &Path) -> std::path::PathBuf {
    segment.with_extension(PAGE_FILE_EXT)
}

/// The bytes of a page file holding `cvs` (16 chaining values per full chunk, in order).
pub(crate) fn page_file_bytes(cvs: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(PAGE_FILE_HEADER + cvs.len());
    out.extend_from_slice(PAGE_FILE_MAGIC);
    out.extend_from_slice(&(PAGE as u32).to_le_bytes());
    out.extend_from_slice(&(PAGES_PER_CHUNK as u32).to_le_bytes());
    out.extend_from_slice(cvs);
    out
}

/// A segment's page file, mapped, with what has been checked of it.
#[derive(Debug)]
struct Pages {
    map: memmap2::Mmap,
    /// Per chunk, its 16 chaining values once they were found to make up its digest: a
    /// copy, so that a page is always checked against values that were checked, whatever
    /// happens to the mapped file afterwards.
    verified: Vec<OnceLock<Box<[[u8; 32]; PAGES_PER_CHUNK]>>>,
    /// One bit per page: its bytes match its chaining value.
    page_ok: Vec<AtomicU64>,
    /// One bit per chunk: a prefetch found many of its pages wanted, so it is read and
    /// checked whole (one 64 KiB hash is cheaper than several 4 KiB ones, whose SIMD lanes
    /// run a quarter full).
    whole: Vec<AtomicU64>,
    /// Set when a chunk's chaining values did not make up its digest: the file is then
    /// ignored (reads check whole chunks) and `index check` reports it.
    bad: std::sync::atomic::AtomicBool,
}

impl Pages {
    /// Maps the page file of `segment` if there is one of the right size for `full_chunks`.
    fn open(segment: &Path, full_chunks: usize, body_len: usize) -> Option<Self> {
        let path = page_file_path(segment);
        // Only a regular file (opening a FIFO of that name would block).
        if !std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
            return None;
        }
        let f = std::fs::File::open(&path).ok()?;
        // SAFETY: as for the segment (see `Segment::map`): page files are written whole and
        // renamed into place, never modified. A chunk's values are read from the map once,
        // checked against the committed chunk digest, and kept as a copy that every check
        // of its pages uses (`Pages::verified`).
        let map = unsafe { memmap2::Mmap::map(&f) }.ok()?;
        #[cfg(unix)]
        let _ = map.advise(memmap2::Advice::Random);
        let ok = map.len() == PAGE_FILE_HEADER + full_chunks * PAGES_PER_CHUNK * DIGEST
            && &map[..8] == PAGE_FILE_MAGIC
            && map[8..12] == (PAGE as u32).to_le_bytes()
            && map[12..16] == (PAGES_PER_CHUNK as u32).to_le_bytes();
        if !ok {
            tracing::debug!(file = %path.display(), "page file of the wrong size or format: ignored");
            return None;
        }
        Some(Pages {
            map,
            verified: (0..full_chunks).map(|_| OnceLock::new()).collect(),
            page_ok: (0..body_len.div_ceil(PAGE).div_ceil(64))
                .map(|_| AtomicU64::new(0))
                .collect(),
            whole: (0..full_chunks.div_ceil(64))
                .map(|_| AtomicU64::new(0))
                .collect(),
            bad: std::sync::atomic::AtomicBool::new(false),
        })
    }

    fn full_chunks(&self) -> usize {
        (self.map.len() - PAGE_FILE_HEADER) / (PAGES_PER_CHUNK * DIGEST)
    }

    /// Whether reads of chunk `chunk` check its pages (else the whole chunk).
    fn usable(&self, chunk: usize) -> bool {
        chunk < self.full_chunks()
            && !self.bad.load(Ordering::Relaxed)
            && self.whole[chunk / 64].load(Ordering::Relaxed) & (1u64 << (chunk % 64)) == 0
    }

    /// The chaining values of chunk `c`.
    fn values(&self, c: usize) -> [[u8; 32]; PAGES_PER_CHUNK] {
        let mut cvs = [[0u8; 32]; PAGES_PER_CHUNK];
        let at = PAGE_FILE_HEADER + c * PAGES_PER_CHUNK * DIGEST;
        for (i, cv) in cvs.iter_mut().enumerate() {
            cv.copy_from_slice(&self.map[at + i * DIGEST..at + (i + 1) * DIGEST]);
        }
        cvs
    }
}

/// A memory-mapped segment.
#[derive(Debug)]
pub struct Segment {
    map: memmap2::Mmap,
    name: String,
    at: Layout,
    /// One bit per chunk: checked against its digest already.
    checked: Vec<AtomicU64>,
    /// The page file, when there is a usable one: reads then check pages, not chunks.
    pages: Option<Pages>,
    /// Chunks and pages checked so far (for `BREACHCHECK_LOG=debug`: what a run read).
    checks: [AtomicU64; 2],
    /// How far a front-to-back scan has asked the kernel to read ahead (see
    /// [`Segment::scan_ahead`]).
    scanned_to: [std::sync::atomic::AtomicUsize; 2],
    /// What the first chunk that failed its check was, if one did.
    damage: OnceLock<String>,
}

impl Segment {
    /// Maps `path` and checks its header, size and the header's chunk. The chunk digests
    /// are not checked against anything (see [`Segment::open_committed`]).
    pub fn open(path: &Path) -> Result<Self> {
        let seg = Self::map(path)?;
        seg.opened()
    }

    /// Maps the segment `meta` describes, at `path`, and checks it against `meta`: the
    /// Merkle root recomputed from its chunk digests, its checksum, size and counts; then
    /// its header's chunk. Every later read checks the chunks (or, with a page file, the
    /// pages) it touches (see the module documentation), so nothing read from it is
    /// unvouched for.
    pub fn open_committed(path: &Path, meta: &SegmentMeta) -> Result<Self> {
        let seg = Self::map(path)?;
        let corrupt = |what: &str| Error::Corrupt {
            file: seg.name.clone(),
            what: what.to_owned(),
        };
        if seg.map.len() as u64 != meta.bytes {
            return Err(corrupt("its size differs from the manifest's (truncated?)"));
        }
        let footer = &seg.map[seg.map.len() - FOOTER..];
        if hex(footer) != meta.checksum {
            return Err(corrupt("its checksum differs from the manifest's"));
        }
        // The digests are read whole, front to back, but the map is advised random: on a
        // cold page cache that was one wait per 4 KiB page (about 8 ms for the 0.5 MB of
        // a 10M-record segment). Ask for them at once instead.
        #[cfg(unix)]
        let _ = seg.map.advise_range(
            memmap2::Advice::WillNeed,
            seg.at.body_len,
            seg.at.chunks * DIGEST,
        );
        if hex(&root_of_digests(seg.digests())) != meta.root {
            return Err(corrupt(
                "its chunk digests do not make up the committed Merkle root",
            ));
        }
        if seg.at.records as u64 != meta.records
            || seg.at.postings as u64 != meta.postings
            || seg.at.removed as u64 != meta.removed
        {
            return Err(corrupt("its counts differ from the manifest's"));
        }
        seg.opened()
    }

    /// Checks the header's chunk (the layout was read from it before it could be checked).
    fn opened(self) -> Result<Self> {
        if !self.ensure(0, HEADER) {
            return Err(self.damage().unwrap_or_else(|| Error::Corrupt {
                file: self.name.clone(),
                what: "its header does not match its digest".into(),
            }));
        }
        Ok(self)
    }

    fn map(path: &Path) -> Result<Self> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let f = std::fs::File::open(path).map_err(io_err("cannot open segment", path))?;
        // SAFETY: segment files are immutable once renamed into place: builders write new
        // files under new names and never modify or truncate a live one. Mapping is
        // therefore sound unless something outside breachcheck rewrites the file, which
        // the chunk checks on read and `index check` detect.
        let map = unsafe { memmap2::Mmap::map(&f) }.map_err(io_err("cannot map segment", path))?;
        // Lookups jump around the file: read-ahead would only evict useful pages.
        #[cfg(unix)]
        let _ = map.advise(memmap2::Advice::Random);
        let corrupt = |what: &str| Error::Corrupt {
            file: name.clone(),
            what: what.to_owned(),
        };
        if map.len() >= 8 && &map[..6] == b"BCSEG0" && map[7] == b'\n' {
            let version = u32::from(map[6].wrapping_sub(b'0'));
            if (1..FORMAT_VERSION).contains(&version) {
                return Err(Error::OldFormat {
                    file: name,
                    version,
                    current: FORMAT_VERSION,
                    way: if version == 4 {
                        "re-encode the index with `breachcheck index upgrade` (no key and no exports needed; the commitment changes, the records do not)"
                    } else {
                        "rebuild the index from its exports with `breachcheck index build` into a new directory"
                    },
                });
            }
        }
        if map.len() < HEADER + DIGEST + FOOTER || &map[..8] != MAGIC {
            return Err(corrupt(
                "not a segment file of this format (bad magic or too short)",
            ));
        }
        let u32_at = |o: usize| u32::from_le_bytes([map[o], map[o + 1], map[o + 2], map[o + 3]]);
        let u64_at = |o: usize| u64::from_le_bytes(map[o..o + 8].try_into().unwrap_or([0; 8]));
        if u32_at(8) != FORMAT_VERSION {
            return Err(corrupt("unknown segment format version"));
        }
        if u32_at(12) != breachcheck_core::RULES_VERSION {
            return Err(Error::RulesMismatch {
                index: u32_at(12),
                binary: breachcheck_core::RULES_VERSION,
            });
        }
        if u32_at(56) as usize != BLOCK {
            return Err(corrupt("unexpected row block size (rebuild the index)"));
        }
        let bits = u32_at(52);
        if !(MIN_PREFIX_BITS..=MAX_PREFIX_BITS).contains(&bits) {
            return Err(corrupt("tag prefix width out of range"));
        }
        let (records, postings) = (u64_at(16), u64_at(24));
        if records > u64::from(u32::MAX) {
            return Err(corrupt("more records than a segment can address"));
        }
        let u16_at = |o: usize| u32::from(u16::from_le_bytes([map[o], map[o + 1]]));
        if (bits, u16_at(60), u16_at(62)) != posting_shape(postings, records) {
            return Err(corrupt("its postings' shape does not match its counts"));
        }
        let computed = Layout::compute(
            records,
            postings,
            u64_at(32),
            u64_at(40),
            u64::from(u32_at(48)),
            bits,
        );
        match computed {
            Some((at, end)) if end == map.len() as u64 => Ok(Segment {
                checked: (0..at.chunks.div_ceil(64))
                    .map(|_| AtomicU64::new(0))
                    .collect(),
                pages: Pages::open(path, at.body_len / LEAF_CHUNK, at.body_len),
                scanned_to: Default::default(),
                checks: Default::default(),
                damage: OnceLock::new(),
                map,
                name,
                at,
            }),
            _ => Err(corrupt("size does not match its header (truncated?)")),
        }
    }

    /// The chunk digests.
    fn digests(&self) -> &[u8] {
        &self.map[self.at.body_len..self.at.body_len + self.at.chunks * DIGEST]
    }

    /// Checks every chunk overlapping bytes `start..end` of the body that was not checked
    /// yet; `false` (and [`Segment::damage`] set) if one does not match its digest or the
    /// range leaves the body.
    #[inline]
    fn ensure(&self, start: usize, end: usize) -> bool {
        if end > self.at.body_len || start > end {
            self.damage
                .get_or_init(|| "a read runs past the end of its tables".into());
            return false;
        }
        if start == end {
            return true;
        }
        let (first, last) = (start / LEAF_CHUNK, (end - 1) / LEAF_CHUNK);
        if first == last {
            // Nearly every read: one chunk, checked already.
            return self.chunk_ok(first, start, end);
        }
        (first..=last).all(|c| self.chunk_ok(c, start, end))
    }

    /// Whether the bytes `start..end` has in chunk `c` are checked (checking them now if
    /// not): their pages when the page file serves this chunk, else the whole chunk.
    #[inline]
    fn chunk_ok(&self, c: usize, start: usize, end: usize) -> bool {
        let (word, bit) = (&self.checked[c / 64], 1u64 << (c % 64));
        if word.load(Ordering::Relaxed) & bit != 0 {
            return true;
        }
        if let Some(pages) = self.pages.as_ref().filter(|p| p.usable(c)) {
            let lo = start.max(c * LEAF_CHUNK);
            let hi = end.min((c + 1) * LEAF_CHUNK);
            let all = (lo / PAGE..=(hi - 1) / PAGE).all(|p| {
                let (w, b) = (&pages.page_ok[p / 64], 1u64 << (p % 64));
                w.load(Ordering::Relaxed) & b != 0 || self.check_page(pages, c, p, w, b)
            });
            // A page file found wrong is dropped; the chunk is then checked whole.
            if all || !pages.bad.load(Ordering::Relaxed) {
                return all;
            }
        }
        self.check_chunk(c, word, bit)
    }

    /// The first touch of page `p` (in chunk `c`) when the page file serves the chunk:
    /// the chunk's chaining values are checked against its digest (once), then the page's
    /// bytes against its chaining value.
    #[cold]
    fn check_page(&self, pages: &Pages, c: usize, p: usize, word: &AtomicU64, bit: u64) -> bool {
        use blake3::hazmat::HasherExt;
        if self.damage.get().is_some() {
            return false;
        }
        let cvs = match pages.verified[c].get() {
            Some(cvs) => cvs,
            None => {
                let cvs = pages.values(c);
                let want =
                    &self.map[self.at.body_len + c * DIGEST..self.at.body_len + (c + 1) * DIGEST];
                if root_of_pages(&cvs) != want {
                    pages.bad.store(true, Ordering::Relaxed);
                    tracing::warn!(
                        segment = %self.name,
                        "the segment's page file does not match its chunk digests: ignored (reads check whole chunks; `index check` reports it)"
                    );
                    return false;
                }
                pages.verified[c].get_or_init(|| Box::new(cvs))
            }
        };
        self.checks[1].fetch_add(1, Ordering::Relaxed);
        let lo = p * PAGE;
        let cv = blake3::Hasher::new()
            .set_input_offset((lo - c * LEAF_CHUNK) as u64)
            .update(&self.map[lo..lo + PAGE])
            .finalize_non_root();
        if cv == cvs[p - c * PAGES_PER_CHUNK] {
            word.fetch_or(bit, Ordering::Relaxed);
            true
        } else {
            self.damage
                .get_or_init(|| format!("bytes {lo} to {} do not match their digest", lo + PAGE));
            false
        }
    }

    /// The bytes of this segment's page file, made from its chunks, each checked against
    /// its committed digest on the way (a damaged chunk is an error, and no page file is
    /// made for it). What `index upgrade` writes for a segment built without one.
    pub(crate) fn page_file(&self) -> Result<Vec<u8>> {
        let full = self.at.body_len / LEAF_CHUNK;
        let mut cvs = Vec::with_capacity(full * PAGES_PER_CHUNK * DIGEST);
        for c in 0..full {
            self.scan_ahead(Cursor::Table, c * LEAF_CHUNK);
            let (values, digest) = page_values(&self.map[c * LEAF_CHUNK..(c + 1) * LEAF_CHUNK]);
            let want =
                &self.map[self.at.body_len + c * DIGEST..self.at.body_len + (c + 1) * DIGEST];
            if digest != want {
                return Err(Error::Corrupt {
                    file: self.name.clone(),
                    what: format!(
                        "bytes {} to {} do not match their digest",
                        c * LEAF_CHUNK,
                        (c + 1) * LEAF_CHUNK
                    ),
                });
            }
            cvs.extend(values.iter().flatten());
        }
        Ok(page_file_bytes(&cvs))
    }

    /// Whether the page file (if any) makes up every full chunk's digest; what
    /// `index check` says of it. `None` without a page file.
    pub fn pages_intact(&self) -> Option<bool> {
        let pages = self.pages.as_ref()?;
        Some(
            !pages.bad.load(Ordering::Relaxed)
                && (0..pages.full_chunks()).all(|c| {
                    root_of_pages(&pages.values(c))
                        == self.map
                            [self.at.body_len + c * DIGEST..self.at.body_len + (c + 1) * DIGEST]
                }),
        )
    }

    /// The first touch of chunk `c`: hashes it and compares it with its digest.
    #[cold]
    fn check_chunk(&self, c: usize, word: &AtomicU64, bit: u64) -> bool {
        if self.damage.get().is_some() {
            return false;
        }
        let lo = c * LEAF_CHUNK;
        let hi = (lo + LEAF_CHUNK).min(self.at.body_len);
        // The map is advised random (no read-ahead), so hashing a chunk that is not in the
        // page cache would fault its 16 pages in one by one: ask for the whole chunk at
        // once instead (one read of 64 KiB on a cold cache).
        #[cfg(unix)]
        let _ = self
            .map
            .advise_range(memmap2::Advice::WillNeed, lo, hi - lo);
        let want = &self.map[self.at.body_len + c * DIGEST..self.at.body_len + (c + 1) * DIGEST];
        self.checks[0].fetch_add(1, Ordering::Relaxed);
        if blake3::hash(&self.map[lo..hi]).as_bytes() == want {
            word.fetch_or(bit, Ordering::Relaxed);
            true
        } else {
            self.damage
                .get_or_init(|| format!("bytes {lo} to {hi} do not match their digest"));
            false
        }
    }

    /// Whether the segment has a usable page file (see [`PAGE_FILE_EXT`]): without one, a
    /// read checks (and on a cold cache reads) whole 64 KiB chunks.
    pub fn has_page_file(&self) -> bool {
        self.pages.is_some()
    }

    /// What every lookup and every record read goes through before its posting or row, as
    /// byte ranges of the segment: the row block directory and the bucket directory (the
    /// page file's chaining values are the third directory, a file of their own).
    fn directories(&self) -> [std::ops::Range<usize>; 2] {
        [
            self.at.blocks_at..self.at.table_at,
            self.at.buckets_at..self.at.removed_at,
        ]
    }

    /// Bytes of the directories (see [`Segment::read_ahead_directories`]): the bucket
    /// directory, the row block directory and the page file.
    pub fn directory_bytes(&self) -> u64 {
        let pages = self.pages.as_ref().map_or(0, |p| p.map.len());
        (self.directories().iter().map(|r| r.len()).sum::<usize>() + pages) as u64
    }

    /// Asks the kernel to start reading the directories (see [`Segment::directory_bytes`])
    /// front to back, without waiting for them.
    ///
    /// Why: on a cold page cache, a batch of lookups first waits for the directory pages of
    /// its tags, then for its postings; record reads likewise wait for block directory
    /// pages, then rows. Read ahead when the index is opened, the directories arrive in a
    /// few sequential reads (3 GB/s on the bench machine's disk) while the sample is read
    /// and normalized, and each batch waits once instead of twice. Reads still check what
    /// they use against the commitment when they use it.
    pub fn read_ahead_directories(&self) {
        // memmap2 aligns each range to whole pages.
        #[cfg(unix)]
        {
            for r in self.directories() {
                let _ = self
                    .map
                    .advise_range(memmap2::Advice::WillNeed, r.start, r.len());
            }
            if let Some(pages) = &self.pages {
                let _ = pages
                    .map
                    .advise_range(memmap2::Advice::WillNeed, 0, pages.map.len());
            }
        }
    }

    /// Whole chunks and single pages checked (hence read) since the segment was opened.
    pub fn checked(&self) -> (u64, u64) {
        (
            self.checks[0].load(Ordering::Relaxed),
            self.checks[1].load(Ordering::Relaxed),
        )
    }

    /// The first damage a read found, as an error naming the file: reads of a damaged
    /// segment come back empty, so a caller checks this before it reports anything.
    pub fn damage(&self) -> Option<Error> {
        self.damage.get().map(|what| Error::Corrupt {
            file: self.name.clone(),
            what: what.clone(),
        })
    }

    /// The segment's file name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A checked u64 (0 when its chunk is damaged: the damage is recorded).
    fn u64_at(&self, o: usize) -> u64 {
        if self.ensure(o, o + 8) {
            self.raw_u64_at(o)
        } else {
            0
        }
    }

    /// A u64 in a range already checked.
    fn raw_u64_at(&self, o: usize) -> u64 {
        u64::from_le_bytes(self.map[o..o + 8].try_into().unwrap_or([0; 8]))
    }

    /// Records stored in the segment (new or changed in its snapshot).
    pub fn records(&self) -> usize {
        self.at.records
    }

    /// Postings stored in the segment.
    pub fn postings(&self) -> usize {
        self.at.postings
    }

    /// Width of the tag prefix that partitions the postings.
    pub fn prefix_bits(&self) -> u32 {
        self.at.bits
    }

    fn source_of(&self, record: u32) -> u16 {
        // The last source whose first record is at or before `record`.
        let (mut lo, mut hi) = (0usize, self.at.sources);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.u64_at(self.at.sources_at + mid * 8) <= u64::from(record) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo.saturating_sub(1) as u16
    }

    /// The record table bytes of row block `block`, checked, with the block's base source
    /// row; `None` if damaged.
    fn block_bytes(&self, block: usize) -> Option<(&[u8], usize, u64)> {
        let (offset, end, base) = self.block_extent(block)?;
        let (lo, hi) = (self.at.table_at + offset, self.at.table_at + end);
        if !self.ensure(lo, hi) {
            return None;
        }
        Some((&self.map[self.at.table_at..hi], offset, base))
    }

    /// Where row block `block` lies in the record table (offset and end) and its base
    /// source row, from its directory entries (checked); `None` if damaged. The rows
    /// themselves are not checked here (see [`Segment::block_bytes`]).
    fn block_extent(&self, block: usize) -> Option<(usize, usize, u64)> {
        let entry = self.at.blocks_at + block * 16;
        if !self.ensure(entry, entry + 16) {
            return None;
        }
        let offset = usize::try_from(self.raw_u64_at(entry)).ok()?;
        let base = self.raw_u64_at(entry + 8);
        let blocks = self.at.records.div_ceil(BLOCK);
        let end = if block + 1 < blocks {
            let next = entry + 16;
            if !self.ensure(next, next + 8) {
                return None;
            }
            usize::try_from(self.raw_u64_at(next)).ok()?
        } else {
            self.at.table_len
        };
        if offset > end || end > self.at.table_len {
            self.damage
                .get_or_init(|| "a row block lies outside the record table".into());
            return None;
        }
        Some((offset, end, base))
    }

    /// The record table row of record `i`; `None` if out of range or damaged.
    pub fn record(&self, i: u32) -> Option<RecordRow> {
        let i = i as usize;
        if i >= self.at.records {
            return None;
        }
        let block = i / BLOCK;
        let (table, offset, mut prev) = self.block_bytes(block)?;
        let mut pos = offset;
        let mut masks = (0, 0);
        for _ in block * BLOCK..i {
            let (row, len) = RecordRow::decode(table.get(pos..)?, prev, masks, false)?;
            prev = row.source_row;
            masks = row.masks();
            pos += len;
        }
        let (mut row, _) = RecordRow::decode(table.get(pos..)?, prev, masks, true)?;
        row.source_file = self.source_of(i as u32);
        Some(row)
    }

    /// Appends the rows of `ids` (ascending) to `out`, `None` for any out of range or
    /// damaged. Consecutive ids in one block are decoded in one forward pass instead of
    /// from the block start each time.
    pub fn records_sorted(&self, ids: &[u32], out: &mut Vec<Option<RecordRow>>) {
        // Cursor: the next record to decode, its byte position and the previous row (source
        // row and masks), in the current block's (checked) bytes.
        let (mut next, mut pos, mut prev) = (usize::MAX, 0usize, 0u64);
        let mut masks = (0u16, 0u16);
        let mut table: &[u8] = &[];
        for &id in ids {
            let i = id as usize;
            if i >= self.at.records {
                out.push(None);
                continue;
            }
            // Restart from the block directory unless the cursor is inside i's block, before
            // i (a block's first row is relative to the block's base row, not the last row
            // of the block before).
            if next == usize::MAX
                || i < next
                || i / BLOCK != next / BLOCK
                || next.is_multiple_of(BLOCK)
            {
                match self.block_bytes(i / BLOCK) {
                    Some((t, offset, base)) => {
                        table = t;
                        pos = offset;
                        prev = base;
                        masks = (0, 0);
                        next = (i / BLOCK) * BLOCK;
                    }
                    None => {
                        next = usize::MAX;
                        out.push(None);
                        continue;
                    }
                }
            }
            let mut found = None;
            while next <= i {
                let Some((row, len)) = table
                    .get(pos..)
                    .and_then(|b| RecordRow::decode(b, prev, masks, next == i))
                else {
                    next = usize::MAX;
                    break;
                };
                prev = row.source_row;
                masks = row.masks();
                pos += len;
                next += 1;
                if next == i + 1 {
                    found = Some(row);
                }
            }
            out.push(found.map(|mut row| {
                row.source_file = self.source_of(id);
                row
            }));
        }
    }

    /// Every row in record order (sequential decoding, for builds and exports). Stops
    /// early on damage (see [`Segment::damage`]).
    pub fn rows(&self) -> impl Iterator<Item = RecordRow> + '_ {
        let (mut pos, mut prev, mut i) = (0usize, 0u64, 0usize);
        let mut masks = (0u16, 0u16);
        let mut table: &[u8] = &[];
        std::iter::from_fn(move || {
            if i >= self.at.records {
                return None;
            }
            if i.is_multiple_of(BLOCK) {
                self.scan_ahead(Cursor::Directory, self.at.blocks_at + (i / BLOCK) * 16);
                let (t, offset, base) = self.block_bytes(i / BLOCK)?;
                self.scan_ahead(Cursor::Table, self.at.table_at + offset);
                table = t;
                pos = offset;
                prev = base;
                masks = (0, 0);
            }
            let Some((mut row, len)) = table
                .get(pos..)
                .and_then(|b| RecordRow::decode(b, prev, masks, true))
            else {
                self.damage
                    .get_or_init(|| format!("record {i} cannot be read"));
                return None;
            };
            row.source_file = self.source_of(i as u32);
            prev = row.source_row;
            masks = row.masks();
            pos += len;
            i += 1;
            Some(row)
        })
    }

    /// The postings of bucket `b` as a checked index range; empty if damaged.
    fn bucket(&self, b: usize) -> (usize, usize) {
        let (start, end) = self.bucket_range(b);
        let (lo, hi) = self.posting_bytes(start, end);
        if !self.ensure(lo, hi) {
            return (0, 0);
        }
        (start, end)
    }

    /// Bits of one posting.
    #[inline]
    fn posting_width(&self) -> usize {
        (self.at.suffix + self.at.record_bits) as usize
    }

    /// The bytes (of the file) postings `start..end` are packed in.
    #[inline]
    fn posting_bytes(&self, start: usize, end: usize) -> (usize, usize) {
        if start >= end {
            return (self.at.postings_at, self.at.postings_at);
        }
        let w = self.posting_width();
        (
            self.at.postings_at + start * w / 8,
            self.at.postings_at + (end * w).div_ceil(8),
        )
    }

    /// The posting range of bucket `b` from its directory entries (checked, clamped to the
    /// postings); empty if damaged. The postings themselves are not checked here.
    fn bucket_range(&self, b: usize) -> (usize, usize) {
        let o = self.at.buckets_at + b * 8;
        if !self.ensure(o, o + 16) {
            return (0, 0);
        }
        let clamp = |x: u64| {
            usize::try_from(x)
                .unwrap_or(usize::MAX)
                .min(self.at.postings)
        };
        let (start, end) = (clamp(self.raw_u64_at(o)), clamp(self.raw_u64_at(o + 8)));
        (start, end.max(start))
    }

    /// Posting `i` as (tag suffix, record), in a bucket range [`Segment::bucket`]
    /// checked: its bits are read from the page they lie in (or the two), and no other.
    #[inline]
    fn posting(&self, i: usize) -> (u32, u32) {
        let w = self.posting_width();
        let bit = i * w;
        let (lo, hi) = (
            self.at.postings_at + bit / 8,
            self.at.postings_at + (bit + w).div_ceil(8),
        );
        // A posting spans at most 9 bytes. Where the 16 bytes from its first stay in the
        // page its last lies in (all but about 0.4% of postings), they are read as one
        // fixed-size load: copying exactly its bytes took a call to memcpy per posting, 4% of
        // a warm verify's CPU. Bytes past the posting are masked off; staying in its page,
        // the load touches no page a lookup did not check and ask for (on a cold cache, one
        // more would be a read of its own).
        let whole = ((lo + 15) / PAGE == (hi - 1) / PAGE)
            .then(|| self.map.get(lo..lo + 16))
            .flatten()
            .and_then(|b| <[u8; 16]>::try_from(b).ok());
        let word = whole.map_or_else(
            || {
                let mut buf = [0u8; 16];
                buf[..hi - lo].copy_from_slice(&self.map[lo..hi]);
                u128::from_le_bytes(buf)
            },
            u128::from_le_bytes,
        );
        let v = (word >> (bit % 8)) as u64;
        let v = if w == 64 { v } else { v & ((1u64 << w) - 1) };
        let r = self.at.record_bits;
        ((v >> r) as u32, (v & ((1u64 << r) - 1)) as u32)
    }

    /// Starts reading, without waiting for any of it, every chunk that lookups of `tags`
    /// (in any order) will check and that no read has checked yet: first the chunks of their
    /// bucket directory entries, then, once those are in (read in tag order, while the rest
    /// are still on their way), the chunks of their buckets.
    ///
    /// Why: on a cold page cache a lookup waits for its directory chunk, then for its
    /// bucket's, one read at a time; a batch of thousands of lookups spends its time in
    /// those waits. Asked for together, the reads overlap in the device's queue (about 3×
    /// faster for random 64 KiB reads on the bench machine's disk), and the lookups that
    /// follow find their chunks in the page cache. On a warm cache this only costs a check
    /// of a bit per chunk.
    pub fn prefetch_lookups(&self, tags: &[u64]) {
        let mut want = PageSet::default();
        for &t in tags {
            let b = (t >> (64 - self.at.bits)) as usize;
            let o = self.at.buckets_at + b * 8;
            self.want_range(&mut want, o, o + 16);
        }
        self.will_need(&mut want);
        for &t in tags {
            let (start, end) = self.bucket_range((t >> (64 - self.at.bits)) as usize);
            let (lo, hi) = self.posting_bytes(start, end);
            self.want_range(&mut want, lo, hi);
        }
        self.will_need(&mut want);
    }

    /// Like [`Segment::prefetch_lookups`], for reads of the records `ids`: the chunks of
    /// their row block directory entries, then those of their rows.
    pub fn prefetch_records(&self, ids: &[u32]) {
        let blocks = self.at.records.div_ceil(BLOCK);
        let mut want = PageSet::default();
        for &id in ids {
            let block = id as usize / BLOCK;
            if block < blocks {
                let entry = self.at.blocks_at + block * 16;
                self.want_range(&mut want, entry, entry + 24.min(16 * (blocks - block)));
            }
        }
        self.will_need(&mut want);
        let mut last = usize::MAX;
        for &id in ids {
            let block = id as usize / BLOCK;
            if block >= blocks || block == last {
                continue;
            }
            last = block;
            let Some((offset, end, _)) = self.block_extent(block) else {
                return;
            };
            self.want_range(&mut want, self.at.table_at + offset, self.at.table_at + end);
        }
        self.will_need(&mut want);
    }

    /// For readers that go front to back through a section (`rows`, `tags40`, `index
    /// check`): asks the kernel to read the next 2 × [`SCAN_WINDOW`] bytes from `at` once
    /// the scan comes within a window of where the last request of its `cursor` ended (a
    /// scan walks a directory and its table side by side: one cursor each). The map is
    /// advised random (lookups jump around), and a page check faults in only its page, so
    /// without this a scan of a cold segment would wait for one 4 KiB read at a time.
    fn scan_ahead(&self, cursor: Cursor, at: usize) {
        let slot = &self.scanned_to[cursor as usize];
        let to = slot.load(Ordering::Relaxed);
        // Still a window ahead of the scan, and the scan is not a new one from further back.
        if (at + SCAN_WINDOW < to && at + 4 * SCAN_WINDOW > to) || at >= self.at.body_len {
            return;
        }
        let from = if to > at && to <= at + 2 * SCAN_WINDOW {
            to
        } else {
            at
        };
        let end = (at + 2 * SCAN_WINDOW).min(self.at.body_len);
        slot.store(end, Ordering::Relaxed);
        #[cfg(unix)]
        if from < end {
            let from = from / PAGE * PAGE;
            let _ = self
                .map
                .advise_range(memmap2::Advice::WillNeed, from, end - from);
        }
    }

    /// Adds what checking body bytes `start..end` will read and has not read yet to
    /// `want`, as pages: those pages when the page file serves their chunk, else every
    /// page of each chunk (a chunk is checked whole).
    fn want_range(&self, want: &mut PageSet, start: usize, end: usize) {
        if start >= end || end > self.at.body_len {
            return;
        }
        for c in start / LEAF_CHUNK..=(end - 1) / LEAF_CHUNK {
            if self.checked[c / 64].load(Ordering::Relaxed) & (1u64 << (c % 64)) != 0 {
                continue;
            }
            let chunk_pages =
                c * PAGES_PER_CHUNK..((c + 1) * LEAF_CHUNK).min(self.at.body_len).div_ceil(PAGE);
            match self.pages.as_ref().filter(|p| p.usable(c)) {
                Some(pages) => {
                    let lo = start.max(c * LEAF_CHUNK) / PAGE;
                    let hi = (end.min((c + 1) * LEAF_CHUNK) - 1) / PAGE;
                    for p in lo..=hi {
                        if pages.page_ok[p / 64].load(Ordering::Relaxed) & (1u64 << (p % 64)) == 0 {
                            want.add(p);
                        }
                    }
                }
                None => chunk_pages.for_each(|p| want.add(p)),
            }
        }
    }

    /// Asks the kernel to start reading the pages in `want` (runs of adjacent pages as
    /// one request) and empties it. A chunk with [`DENSE_PAGES`] or more pages wanted is
    /// read, and will be checked, whole.
    fn will_need(&self, want: &mut PageSet) {
        want.0.sort_unstable();
        want.0.dedup();
        if let Some(pages) = &self.pages {
            let mut dense: Vec<usize> = Vec::new();
            for run in want
                .0
                .chunk_by(|a, b| a / PAGES_PER_CHUNK == b / PAGES_PER_CHUNK)
            {
                let c = run[0] / PAGES_PER_CHUNK;
                if run.len() >= DENSE_PAGES && pages.usable(c) {
                    pages.whole[c / 64].fetch_or(1u64 << (c % 64), Ordering::Relaxed);
                    if run.len() < PAGES_PER_CHUNK {
                        dense.extend(c * PAGES_PER_CHUNK..(c + 1) * PAGES_PER_CHUNK);
                    }
                }
            }
            if !dense.is_empty() {
                want.0.extend(dense);
                want.0.sort_unstable();
                want.0.dedup();
            }
            // The chaining values the page checks will read (512 bytes a chunk).
            #[cfg(unix)]
            for run in want
                .0
                .chunk_by(|a, b| a / PAGES_PER_CHUNK == b / PAGES_PER_CHUNK)
            {
                let c = run[0] / PAGES_PER_CHUNK;
                if pages.usable(c) && pages.verified[c].get().is_none() {
                    // memmap2 aligns the range to whole pages.
                    let at = PAGE_FILE_HEADER + c * PAGES_PER_CHUNK * DIGEST;
                    let _ = pages.map.advise_range(
                        memmap2::Advice::WillNeed,
                        at,
                        PAGES_PER_CHUNK * DIGEST,
                    );
                }
            }
        }
        #[cfg(unix)]
        for run in want.0.chunk_by(|a, b| a + 1 == *b) {
            let lo = run[0] * PAGE;
            let hi = ((run[run.len() - 1] + 1) * PAGE).min(self.at.body_len);
            let _ = self
                .map
                .advise_range(memmap2::Advice::WillNeed, lo, hi - lo);
        }
        want.0.clear();
    }

    /// Appends every posting of `tag` in this segment to `out` (segment index 0).
    pub fn lookup_into(&self, tag: Tag, out: &mut Vec<Hit>) {
        self.lookup(tag, 0, out);
    }

    pub(crate) fn lookup(&self, tag: Tag, segment: u32, out: &mut Vec<Hit>) {
        self.lookup_limited(tag, segment, MAX_HITS_PER_TAG, out);
    }

    /// [`Segment::lookup`] of at most `limit` hits (and never more than
    /// [`MAX_HITS_PER_TAG`]), the first ones in posting order.
    pub(crate) fn lookup_limited(&self, tag: Tag, segment: u32, limit: usize, out: &mut Vec<Hit>) {
        let limit = limit.min(MAX_HITS_PER_TAG);
        let (bucket, rest) = split_tag(tag.0, self.at.bits, self.at.suffix);
        let (start, end) = self.bucket(bucket);
        let (mut lo, mut hi) = (start, end);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.posting(mid).0 < rest {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let mut i = lo;
        while i < end && i - lo < limit {
            let (r, record) = self.posting(i);
            if r != rest {
                break;
            }
            out.push(Hit { segment, record });
            i += 1;
        }
    }

    /// Every posting as (the tag's first 40 bits, record), in tag order: what the
    /// Parquet export publishes. Stops early on damage (see [`Segment::damage`]).
    pub fn tags40(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        // Every segment keeps at least 40 bits, left-aligned.
        self.postings_stored()
            .map(|(stored, record)| (stored >> 24, record))
    }

    /// Tag bits a posting of this segment keeps (prefix and suffix; at least 40): a
    /// lookup finds the postings whose tags agree with it on these.
    pub fn kept_tag_bits(&self) -> u32 {
        self.at.bits + self.at.suffix
    }

    /// Every posting in stored order as (the tag bits this segment keeps — its
    /// [`Segment::kept_tag_bits`] — left-aligned in a `u64`, record): what a store
    /// beyond one machine needs to answer a lookup exactly as this segment does. Stops
    /// early on damage (see [`Segment::damage`]).
    pub fn postings_stored(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        let (b, s) = (self.at.bits, self.at.suffix);
        (0..1usize << b).flat_map(move |bucket| {
            self.scan_ahead(Cursor::Directory, self.at.buckets_at + bucket * 8);
            let (start, end) = self.bucket(bucket);
            self.scan_ahead(Cursor::Table, self.posting_bytes(start, end).0);
            (start..end).map(move |i| {
                let (rest, record) = self.posting(i);
                let full = ((bucket as u64) << s) | u64::from(rest);
                (full << (64 - b - s), record)
            })
        })
    }

    /// Records of earlier segments of the same system that this snapshot no longer holds,
    /// as `(segment, record)`. Empty if damaged (see [`Segment::damage`]).
    pub fn removed(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        let (lo, hi) = (self.at.removed_at, self.at.removed_at + self.at.removed * 8);
        let n = if self.ensure(lo, hi) {
            self.at.removed
        } else {
            0
        };
        (0..n).map(move |i| {
            let v = self.raw_u64_at(self.at.removed_at + i * 8);
            ((v >> 32) as u32, v as u32)
        })
    }

    /// Whether this snapshot removed record `record` of segment `segment`.
    pub fn removes(&self, segment: u32, record: u32) -> bool {
        let key = (u64::from(segment) << 32) | u64::from(record);
        let (mut lo, mut hi) = (0usize, self.at.removed);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let v = self.u64_at(self.at.removed_at + mid * 8);
            match v.cmp(&key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return true,
            }
        }
        false
    }

    /// Checks every chunk against its digest, the digests against `meta`'s root, the
    /// footer checksum over the whole file against the file and `meta`, the counts, and
    /// that the structure (bucket directory, row table, removals) reads throughout.
    pub(crate) fn verify(&self, meta: &SegmentMeta) -> Result<()> {
        let corrupt = |what: &str| Error::Corrupt {
            file: self.name.clone(),
            what: what.to_owned(),
        };
        let all_checked = (0..self.at.body_len).step_by(SCAN_WINDOW).all(|at| {
            self.scan_ahead(Cursor::Table, at);
            self.ensure(at, (at + SCAN_WINDOW).min(self.at.body_len))
        });
        if !all_checked {
            return Err(self
                .damage()
                .unwrap_or_else(|| corrupt("a chunk is damaged")));
        }
        let body = &self.map[..self.map.len() - FOOTER];
        let sum = blake3::hash(body);
        if sum.as_bytes() != &self.map[self.map.len() - FOOTER..] {
            return Err(corrupt("checksum mismatch"));
        }
        if sum.to_hex().as_str() != meta.checksum {
            return Err(corrupt("checksum differs from the manifest"));
        }
        if hex(&root_of_digests(self.digests())) != meta.root {
            return Err(corrupt("Merkle root differs from the manifest"));
        }
        if self.at.records as u64 != meta.records
            || self.at.postings as u64 != meta.postings
            || self.at.removed as u64 != meta.removed
            || self.map.len() as u64 != meta.bytes
        {
            return Err(corrupt("counts differ from the manifest"));
        }
        if self.rows().count() != self.at.records {
            return Err(corrupt("record table cannot be read to its end"));
        }
        let mut last = 0u64;
        for b in 0..=(1usize << self.at.bits) {
            let v = self.raw_u64_at(self.at.buckets_at + b * 8);
            if v < last || v > self.at.postings as u64 {
                return Err(corrupt("tag-prefix directory is not ordered"));
            }
            last = v;
        }
        if last != self.at.postings as u64 {
            return Err(corrupt("tag-prefix directory does not cover the postings"));
        }
        // Postings in order within their bucket (what a lookup's binary search assumes),
        // each naming a record the segment has.
        let mut prev: Option<u64> = None;
        let mut count = 0usize;
        for (tag, record) in self.postings_stored() {
            let key = tag >> (64 - self.kept_tag_bits());
            if prev.is_some_and(|p| p > key) || record as usize >= self.at.records {
                return Err(corrupt("a posting is out of order or names no record"));
            }
            prev = Some(key);
            count += 1;
        }
        if count != self.at.postings {
            return Err(self
                .damage()
                .unwrap_or_else(|| corrupt("the postings cannot be read to their end")));
        }
        let removed: Vec<(u32, u32)> = self.removed().collect();
        if removed.windows(2).any(|w| w[0] >= w[1]) {
            return Err(corrupt("removals are not sorted"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn row(present: u16, quirky: u16, source_row: u64, seed: u32) -> RecordRow {
        let present = present & MatchField::ALL_BITS;
        let quirky = quirky & present;
        let mut r = RecordRow {
            source_file: 0,
            source_row,
            present,
            quirky,
            canonical: [0; MatchField::COUNT],
            raw: [0; MatchField::COUNT],
            fuzzy: [0; MatchField::COUNT],
        };
        for f in MatchField::ALL {
            if present & f.bit() != 0 {
                r.canonical[f.index()] =
                    mask_bytes(seed.wrapping_mul(f.index() as u32 + 7), check_bytes(f));
                r.fuzzy[f.index()] =
                    u64::from(seed).rotate_left(f.index() as u32 * 5) & width_mask(f);
            }
            if quirky & f.bit() != 0 {
                r.raw[f.index()] = mask_bytes(seed.wrapping_add(f.index() as u32), RAW_CHECK_BYTES);
            }
        }
        r
    }

    proptest! {
        #[test]
        fn rows_round_trip(present: u16, quirky: u16, rows in 0u64..(1 << 61), prev in 0u64..(1 << 61), seed: u32, prev_present: u16, prev_quirky: u16, same: bool) {
            let r = row(present, quirky, rows, seed);
            let masks = if same { r.masks() } else { (prev_present, prev_quirky) };
            let mut buf = Vec::new();
            r.encode_into(prev, masks, &mut buf);
            let (back, len) = RecordRow::decode(&buf, prev, masks, true).expect("decodes");
            prop_assert_eq!(len, buf.len());
            prop_assert_eq!(back, r);
            // Any truncation is refused, never misread.
            for cut in 0..buf.len() {
                prop_assert!(RecordRow::decode(&buf[..cut], prev, masks, true).is_none());
            }
        }

        #[test]
        fn row_bytes_round_trip(present: u16, quirky: u16, rows in 0u64..(1 << 61), seed: u32, file: u16, extra: u8) {
            let mut r = row(present, quirky, rows, seed);
            r.source_file = file;
            let bytes = r.to_bytes();
            prop_assert_eq!(RecordRow::from_bytes(&bytes), Some(r));
            let mut longer = bytes.clone();
            longer.push(extra);
            prop_assert_eq!(RecordRow::from_bytes(&longer), None);
            for cut in 0..bytes.len() {
                prop_assert!(RecordRow::from_bytes(&bytes[..cut]).is_none());
            }
            // Another format's row is refused as such.
            let mut other = bytes.clone();
            other[0] = ROW_BYTES_FORMAT - 1;
            prop_assert!(RecordRow::other_format(&other));
            prop_assert_eq!(RecordRow::from_bytes(&other), None);
            prop_assert!(!RecordRow::other_format(&bytes));
            // A bit outside the row's fields is refused, not dropped.
            let mut stray = vec![ROW_BYTES_FORMAT];
            stray.extend_from_slice(&file.to_le_bytes());
            put_varint(rows << 2, &mut stray);
            put_varint(u64::from(r.present) | 1 << 15, &mut stray);
            put_varint(u64::from(r.quirky), &mut stray);
            stray.extend(std::iter::repeat_n(0u8, 100));
            prop_assert_eq!(RecordRow::from_bytes(&stray), None);
        }

        #[test]
        fn tag_split_keeps_40_bits(tag: u64, postings in 0u64..(1 << 34), records in 0u64..(1 << 32)) {
            let (b, s, r) = posting_shape(postings, records);
            prop_assert!(b + s >= 40 && s >= MIN_SUFFIX_BITS && s + r <= 64);
            prop_assert!(records <= 1 << r);
            let (bucket, rest) = split_tag(tag, b, s);
            let full = ((bucket as u64) << s) | u64::from(rest);
            prop_assert_eq!(full >> (b + s - 40), tag >> 24);
        }
    }

    proptest! {
        /// Reading sorted ids with the cursor gives what reading each alone gives.
        #[test]
        fn sorted_reads_equal_single_reads(rows in proptest::collection::vec((any::<u16>(), any::<u16>(), 0u64..1_000_000, any::<u32>()), 1..200), picks in proptest::collection::vec(0usize..220, 0..80)) {
            let d = tempfile::tempdir().expect("tempdir");
            let path = d.path().join("s.bcs");
            let recs: Vec<RecordRow> = rows.iter().map(|(p, q, r, s)| row(*p, *q, *r, *s)).collect();
            write_test_segment(&path, &recs);
            let seg = Segment::open(&path).expect("open");
            let mut ids: Vec<u32> = picks.iter().map(|p| *p as u32).collect();
            ids.sort_unstable();
            let mut got = Vec::new();
            seg.records_sorted(&ids, &mut got);
            let want: Vec<Option<RecordRow>> = ids.iter().map(|i| seg.record(*i)).collect();
            prop_assert_eq!(got, want);
            for (i, r) in recs.iter().enumerate() {
                prop_assert_eq!(seg.record(i as u32), Some(*r));
            }
        }
    }

    /// A segment with `rows` and no postings, written the way the builder lays it out.
    fn write_test_segment(path: &Path, rows: &[RecordRow]) {
        let mut table = Vec::new();
        let mut blocks = Vec::new();
        let mut prev = 0;
        for (i, r) in rows.iter().enumerate() {
            if i % BLOCK == 0 {
                blocks.push((table.len() as u64, r.source_row));
                prev = r.source_row;
            }
            let masks = if i % BLOCK == 0 {
                (0, 0)
            } else {
                rows[i - 1].masks()
            };
            r.encode_into(prev, masks, &mut table);
            prev = r.source_row;
        }
        let bits = prefix_bits(0);
        let mut out = header(rows.len() as u64, 0, 0, table.len() as u64, 1).to_vec();
        out.extend_from_slice(&0u64.to_le_bytes());
        for (o, b) in blocks {
            out.extend_from_slice(&o.to_le_bytes());
            out.extend_from_slice(&b.to_le_bytes());
        }
        out.extend_from_slice(&table);
        out.extend(std::iter::repeat_n(0u8, ((1usize << bits) + 1) * 8));
        let digests: Vec<u8> = out
            .chunks(LEAF_CHUNK)
            .flat_map(|c| *blake3::hash(c).as_bytes())
            .collect();
        out.extend_from_slice(&digests);
        out.extend_from_slice(blake3::hash(&out).as_bytes());
        std::fs::write(path, out).expect("write");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        /// A chunk's digest made from its pages' chaining values is BLAKE3 of the chunk:
        /// what lets a read check one page against the committed chunk digest.
        #[test]
        fn pages_make_up_the_chunk_digest(seed in any::<u64>(), flip in 0usize..LEAF_CHUNK) {
            let mut state = seed | 1;
            let mut chunk = vec![0u8; LEAF_CHUNK];
            for b in chunk.iter_mut() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *b = state as u8;
            }
            let (cvs, digest) = page_values(&chunk);
            prop_assert_eq!(digest, *blake3::hash(&chunk).as_bytes());
            // One changed byte changes its page's chaining value and no other.
            chunk[flip] ^= 1;
            let (changed, _) = page_values(&chunk);
            for (p, (a, b)) in cvs.iter().zip(&changed).enumerate() {
                prop_assert_eq!(a == b, p != flip / PAGE);
            }
        }
    }

    #[test]
    fn digest_ignores_position_only() {
        let a = row(0b111, 0b1, 5, 9);
        let b = RecordRow {
            source_row: 99,
            source_file: 3,
            ..a
        };
        assert_eq!(a.content_digest(), b.content_digest());
        let c = row(0b111, 0b1, 5, 10);
        assert_ne!(a.content_digest(), c.content_digest());
    }
}
