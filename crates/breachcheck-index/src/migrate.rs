//! Segments of an older format re-encoded in this one (`index upgrade`), without the key
//! and without the exports: a company need not keep its exports (a snapshot is read once),
//! so an index that could only be rebuilt from them could be lost to a format change.
//!
//! Format v4 kept 8-byte postings (the 32 tag bits after the prefix, a 32-bit record) and
//! 32-bit check values; v5 keeps fewer bits of both ([`crate::check_bytes`],
//! `posting_shape`), all of them among v4's. So a v4 segment re-encoded here is byte for
//! byte the segment a v5 build of the same exports makes: the same rows with their check
//! values cut to v5's widths, the same postings in the same order with their suffixes cut,
//! the same sources, tag-prefix directory and removals. One exception, and it changes no
//! answer: a later snapshot stores a record again when its content digest (over its check
//! values) changed, and a change that only the bits v5 drops can see (a city whose 16-bit
//! checks collide, about 1 in 65,536 changed cities) was stored again by v4 and would be
//! carried by a v5 build; the re-encoded snapshot keeps v4's row and its removal of the
//! earlier one, so the record is present in the same snapshots either way. Every byte read
//! is checked against the v4 segment's committed digests first.
#![allow(unsafe_code)] // memory-mapping the old segment; see `reencode_file`.
use crate::build::{BitPacker, HashingWriter};
use crate::commitment::hex;
use crate::manifest::SegmentMeta;
use crate::segment::{
    check_bytes, get_varint, header, page_file_bytes, page_file_path, posting_shape,
    root_of_digests, RecordRow, BLOCK, DIGEST, FOOTER, HEADER, LEAF_CHUNK, RAW_CHECK_BYTES,
};
use crate::{io_err, Error, Result};
use breachcheck_core::{FuzzyKind, MatchField};
use std::io::Write;
use std::path::Path;

/// Magic of a format v4 segment.
pub(crate) const V4_MAGIC: &[u8; 8] = b"BCSEG04\n";

/// The sections of a v4 segment (its layout differs from v5 only in the postings' width
/// and the header's last four bytes, zero in v4).
struct V4<'a> {
    b: &'a [u8],
    records: usize,
    postings: usize,
    removed: usize,
    table_len: usize,
    sources: usize,
    bits: u32,
    blocks_at: usize,
    table_at: usize,
    postings_at: usize,
    buckets_at: usize,
    body_len: usize,
}

fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(b[o..o + 8].try_into().unwrap_or([0; 8]))
}

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap_or([0; 4]))
}

impl<'a> V4<'a> {
    /// Reads the layout of the v4 segment `b` and checks it whole against `meta`: its
    /// checksum, every chunk against its digest, the digests against the committed root,
    /// and the counts.
    fn open(b: &'a [u8], meta: &SegmentMeta) -> Result<Self> {
        let corrupt = |what: &str| Error::Corrupt {
            file: meta.file.clone(),
            what: what.to_owned(),
        };
        if b.len() < HEADER + DIGEST + FOOTER || &b[..8] != V4_MAGIC || u32_at(b, 8) != 4 {
            return Err(corrupt("not a segment of format v4"));
        }
        if u32_at(b, 12) != breachcheck_core::RULES_VERSION {
            return Err(Error::RulesMismatch {
                index: u32_at(b, 12),
                binary: breachcheck_core::RULES_VERSION,
            });
        }
        if u32_at(b, 56) as usize != BLOCK || u32_at(b, 60) != 0 {
            return Err(corrupt("its header is not a v4 header"));
        }
        let us = |x: u64| usize::try_from(x).map_err(|_| corrupt("its counts overflow"));
        let (records, postings, removed, table_len) = (
            us(u64_at(b, 16))?,
            us(u64_at(b, 24))?,
            us(u64_at(b, 32))?,
            us(u64_at(b, 40))?,
        );
        let (sources, bits) = (u32_at(b, 48) as usize, u32_at(b, 52));
        if records > u32::MAX as usize || !(8..=24).contains(&bits) {
            return Err(corrupt("its header is out of range"));
        }
        let at = |parts: &[(usize, usize)]| {
            parts.iter().try_fold(HEADER, |acc, (n, size)| {
                n.checked_mul(*size).and_then(|x| acc.checked_add(x))
            })
        };
        let blocks = records.div_ceil(BLOCK);
        let layout = (|| {
            let blocks_at = at(&[(sources, 8)])?;
            let table_at = blocks_at.checked_add(blocks.checked_mul(16)?)?;
            let postings_at = table_at.checked_add(table_len)?;
            let buckets_at = postings_at.checked_add(postings.checked_mul(8)?)?;
            let removed_at = buckets_at.checked_add(((1usize << bits) + 1) * 8)?;
            let body_len = removed_at.checked_add(removed.checked_mul(8)?)?;
            let end = body_len
                .checked_add(body_len.div_ceil(LEAF_CHUNK).checked_mul(DIGEST)?)?
                .checked_add(FOOTER)?;
            Some((blocks_at, table_at, postings_at, buckets_at, body_len, end))
        })();
        let Some((blocks_at, table_at, postings_at, buckets_at, body_len, end)) = layout else {
            return Err(corrupt("its sections overflow"));
        };
        if end != b.len() {
            return Err(corrupt("its size does not match its header (truncated?)"));
        }
        let sum = blake3::hash(&b[..b.len() - FOOTER]);
        if sum.as_bytes() != &b[b.len() - FOOTER..] || sum.to_hex().as_str() != meta.checksum {
            return Err(corrupt("its checksum differs from the manifest's"));
        }
        let digests = &b[body_len..b.len() - FOOTER];
        for (c, chunk) in b[..body_len].chunks(LEAF_CHUNK).enumerate() {
            if blake3::hash(chunk).as_bytes() != &digests[c * DIGEST..(c + 1) * DIGEST] {
                return Err(corrupt("a chunk does not match its digest"));
            }
        }
        if hex(&root_of_digests(digests)) != meta.root {
            return Err(corrupt(
                "its chunk digests do not make up the committed Merkle root",
            ));
        }
        if records as u64 != meta.records
            || postings as u64 != meta.postings
            || removed as u64 != meta.removed
        {
            return Err(corrupt("its counts differ from the manifest's"));
        }
        Ok(V4 {
            b,
            records,
            postings,
            removed,
            table_len,
            sources,
            bits,
            blocks_at,
            table_at,
            postings_at,
            buckets_at,
            body_len,
        })
    }

    /// Every row in record order, with v5's check widths, or `None` at the first that does
    /// not read (the chunks were checked, so only a writer's bug makes one).
    fn rows(&self) -> impl Iterator<Item = Option<RecordRow>> + '_ {
        let table = &self.b[self.table_at..self.table_at + self.table_len];
        let (mut pos, mut prev) = (0usize, 0u64);
        (0..self.records).map(move |i| {
            if i % BLOCK == 0 {
                let entry = self.blocks_at + (i / BLOCK) * 16;
                pos = usize::try_from(u64_at(self.b, entry)).ok()?;
                prev = u64_at(self.b, entry + 8);
            }
            let (row, len) = decode_v4_row(table.get(pos..)?, prev)?;
            pos += len;
            prev = row.source_row;
            Some(row)
        })
    }

    /// Every row encoded as v5 stores it (each relative to the previous row of its block,
    /// as `SegmentBuilder` writes them), handed to `f` with whether it starts a block and
    /// its source row.
    fn encode_rows(
        &self,
        file: &str,
        mut f: impl FnMut(bool, u64, &[u8]) -> Result<()>,
    ) -> Result<()> {
        let mut buf = Vec::new();
        let mut prev = (0u64, (0u16, 0u16));
        for (i, row) in self.rows().enumerate() {
            let row = row.ok_or_else(|| Error::Corrupt {
                file: file.to_owned(),
                what: "a row cannot be read".into(),
            })?;
            if i % BLOCK == 0 {
                prev = (row.source_row, (0, 0));
            }
            buf.clear();
            row.encode_into(prev.0, prev.1, &mut buf);
            f(i % BLOCK == 0, row.source_row, &buf)?;
            prev = (row.source_row, (row.present, row.quirky));
        }
        Ok(())
    }

    /// Posting `i` as (the 32 tag bits after the prefix, record).
    fn posting(&self, i: usize) -> (u32, u32) {
        let o = self.postings_at + i * 8;
        (u32_at(self.b, o), u32_at(self.b, o + 4))
    }
}

/// A v4 row: present u16, quirky u16, zigzag LEB128 row delta, 4-byte checks of present
/// fields, 4-byte raw checks of quirky fields, fuzzy encodings of present fields; with its
/// check values cut to v5's widths (the low bytes, which are what v5 keeps).
fn decode_v4_row(b: &[u8], prev_row: u64) -> Option<(RecordRow, usize)> {
    let present = u16::from_le_bytes([*b.first()?, *b.get(1)?]) & MatchField::ALL_BITS;
    let quirky = u16::from_le_bytes([*b.get(2)?, *b.get(3)?]) & present;
    let mut pos = 4usize;
    let z = get_varint(b, &mut pos)?;
    let delta = ((z >> 1) as i64) ^ -((z & 1) as i64);
    let mut row = RecordRow {
        source_file: 0,
        source_row: prev_row.wrapping_add(delta as u64),
        present,
        quirky,
        canonical: [0; MatchField::COUNT],
        raw: [0; MatchField::COUNT],
        fuzzy: [0; MatchField::COUNT],
    };
    let mut read = |w: usize| -> Option<[u8; 8]> {
        let mut v = [0u8; 8];
        v[..w].copy_from_slice(b.get(pos..pos + w)?);
        pos += w;
        Some(v)
    };
    let low = |v: [u8; 8], bytes: usize| {
        let mut out = [0u8; 4];
        out[..bytes].copy_from_slice(&v[..bytes]);
        u32::from_le_bytes(out)
    };
    for f in MatchField::ALL {
        if present & f.bit() != 0 {
            row.canonical[f.index()] = low(read(4)?, check_bytes(f));
        }
    }
    for f in MatchField::ALL {
        if quirky & f.bit() != 0 {
            row.raw[f.index()] = low(read(4)?, RAW_CHECK_BYTES);
        }
    }
    for f in MatchField::ALL {
        let w = FuzzyKind::of(f).width();
        if present & f.bit() != 0 && w > 0 {
            row.fuzzy[f.index()] = u64::from_le_bytes(read(w)?);
        }
    }
    Some((row, pos))
}

/// The name of the re-encoded segment of `file`: its stem with the format version (a new
/// name, so a reader of the old manifest never maps the new bytes under it).
pub(crate) fn upgraded_name(file: &str) -> String {
    let stem = file.trim_end_matches(".bcs");
    let stem = match stem.rsplit_once("-v") {
        Some((s, v)) if !v.is_empty() && v.bytes().all(|c| c.is_ascii_digit()) => s,
        _ => stem,
    };
    format!("{stem}-v{}.bcs", crate::segment::FORMAT_VERSION)
}

/// Re-encodes the v4 segment `meta` describes (its bytes `old`) as v5 into `seg_dir`,
/// with its page file; returns the manifest entry of the new segment (only its file,
/// size, checksum and root change).
pub(crate) fn reencode_v4(old: &[u8], meta: &SegmentMeta, seg_dir: &Path) -> Result<SegmentMeta> {
    let v4 = V4::open(old, meta)?;
    let corrupt = |what: &str| Error::Corrupt {
        file: meta.file.clone(),
        what: what.to_owned(),
    };
    let (bits, suffix, record_bits) = posting_shape(v4.postings as u64, v4.records as u64);
    if bits != v4.bits {
        return Err(corrupt(
            "its tag-prefix width is not the one its postings give",
        ));
    }
    // First pass: the row blocks (offset of each block's first row in the new record
    // table, and its source row) and the table's length, which the header states.
    let mut blocks: Vec<(u64, u64)> = Vec::with_capacity(v4.records.div_ceil(BLOCK));
    let mut table_len = 0u64;
    v4.encode_rows(&meta.file, |block_start, source_row, bytes| {
        if block_start {
            blocks.push((table_len, source_row));
        }
        table_len += bytes.len() as u64;
        Ok(())
    })?;
    let file = upgraded_name(&meta.file);
    let dest = seg_dir.join(&file);
    let e = |err| breachcheck_files::Error::io(breachcheck_files::Op::Write, &dest, err);
    let tmp = breachcheck_files::AtomicFile::create(&dest)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, HashingWriter::new(tmp));
    out.write_all(&header(
        v4.records as u64,
        v4.postings as u64,
        v4.removed as u64,
        table_len,
        v4.sources as u32,
    ))
    .map_err(e)?;
    out.write_all(&old[HEADER..v4.blocks_at]).map_err(e)?;
    for (offset, base) in &blocks {
        out.write_all(&offset.to_le_bytes()).map_err(e)?;
        out.write_all(&base.to_le_bytes()).map_err(e)?;
    }
    // Second pass: the rows.
    v4.encode_rows(&meta.file, |_, _, bytes| {
        Ok(out.write_all(bytes).map_err(e)?)
    })?;
    // The postings in their order, suffixes cut to v5's width.
    let mut packer = BitPacker::default();
    for i in 0..v4.postings {
        let (rest, record) = v4.posting(i);
        if u64::from(record) >= v4.records as u64 {
            return Err(corrupt("a posting names no record"));
        }
        packer
            .push(
                (u64::from(rest >> (32 - suffix)) << record_bits) | u64::from(record),
                suffix + record_bits,
                &mut out,
            )
            .map_err(e)?;
    }
    packer.finish(&mut out).map_err(e)?;
    // The tag-prefix directory and the removals, as they were.
    out.write_all(&old[v4.buckets_at..v4.body_len]).map_err(e)?;
    let hashing = out.into_inner().map_err(|err| e(err.into_error()))?;
    let (mut inner, checksum, root, len, pages) = hashing.finish().map_err(e)?;
    inner.write_all(checksum.as_bytes()).map_err(e)?;
    inner.commit()?;
    breachcheck_files::write_atomic(&page_file_path(&dest), &page_file_bytes(&pages))?;
    Ok(SegmentMeta {
        file,
        bytes: len + FOOTER as u64,
        root: hex(&root),
        checksum: checksum.to_hex().to_string(),
        ..meta.clone()
    })
}

/// [`reencode_v4`] of the segment file at `path`.
pub(crate) fn reencode_file(
    path: &Path,
    meta: &SegmentMeta,
    seg_dir: &Path,
) -> Result<SegmentMeta> {
    let f = std::fs::File::open(path).map_err(io_err("cannot open segment", path))?;
    // SAFETY: as for any segment (see `Segment::map`): segment files are immutable once
    // renamed into place, and `index upgrade` holds the index lock, so no writer of this
    // index changes the file while it is mapped; every byte is checked against the
    // committed digests before it is used.
    let map = unsafe { memmap2::Mmap::map(&f) }.map_err(io_err("cannot map segment", path))?;
    #[cfg(unix)]
    let _ = map.advise(memmap2::Advice::Sequential);
    reencode_v4(&map, meta, seg_dir)
}

/// Whether the segment file at `path` is of format v4 (its magic; the rest is checked
/// when it is re-encoded).
pub(crate) fn is_v4(path: &Path) -> Result<bool> {
    use std::io::Read;
    let mut magic = [0u8; 8];
    let mut f = std::fs::File::open(path).map_err(io_err("cannot open segment", path))?;
    Ok(f.read_exact(&mut magic).is_ok() && &magic == V4_MAGIC)
}
