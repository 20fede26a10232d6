//! Any bytes as a segment file, alone and then beside a page file of hostile chaining
//! values of the size its full chunks call for: opening, reading records and looking tags
//! up never panic.
#![no_main]
use breachcheck_core::Tag;
use breachcheck_index::Segment;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fn read_all(path: &Path, data: &[u8]) {
    if let Ok(seg) = Segment::open(path) {
        for i in 0..seg.records().min(64) as u32 {
            let _ = seg.record(i);
        }
        let _ = seg.record(u32::MAX);
        let _ = seg.rows().take(256).count();
        let _ = seg.tags40().take(256).count();
        for (s, r) in seg.removed().take(64) {
            let _ = seg.removes(s, r);
        }
        let mut hits = Vec::new();
        seg.lookup_into(Tag(u64::from_le_bytes(data.get(..8).and_then(|b| b.try_into().ok()).unwrap_or([0; 8]))), &mut hits);
        let _ = seg.pages_intact();
    }
}

/// A real segment of several full chunks, built once, and what lookups of its tags find.
struct Big {
    _dir: tempfile::TempDir,
    segment: std::path::PathBuf,
    page_file_len: usize,
    tags: Vec<Tag>,
    answers: Vec<Vec<u32>>,
}

fn big() -> Option<&'static Big> {
    static BIG: std::sync::OnceLock<Option<Big>> = std::sync::OnceLock::new();
    BIG.get_or_init(|| {
        use breachcheck_core::{FieldRole, SecretKey, Tagger};
        use breachcheck_index::{Index, SegmentBuilder, SegmentKind, SourceFile};
        let dir = tempfile::tempdir().ok()?;
        let key = SecretKey::from_bytes([7; 32]);
        let n = breachcheck_normalize::Normalizer::new(Tagger::new(&key), None);
        let mut b =
            SegmentBuilder::new(dir.path(), &key, "crm", "2026-01-31", SegmentKind::System).ok()?;
        b.add_source(SourceFile { name: "x.csv".into(), sha256: String::new(), rows: 0, location: None });
        let mut tags = Vec::new();
        for i in 0..6000u64 {
            let rec = n.tag_record(&[FieldRole::Email], &[&format!("f{i}@example.org")]);
            tags.push(rec.blocks.first()?.1);
            b.add(i + 2, &rec);
        }
        let meta = b.commit().ok()?;
        let segment = dir.path().join("segments").join(&meta.file);
        let page_file_len = std::fs::metadata(breachcheck_index::page_file_path(&segment)).ok()?.len() as usize;
        let idx = Index::open(dir.path()).ok()?;
        let answers = tags.iter().map(|t| idx.lookup(*t).iter().map(|h| h.record).collect()).collect();
        Some(Big { _dir: dir, segment, page_file_len, tags, answers })
    })
    .as_ref()
}

fuzz_target!(|data: &[u8]| {
    // The input as the page file of a real segment (its header kept when the first byte is
    // even, so the values are what gets tested): reads find what they find without one, or
    // report damage; a page file never changes an answer.
    if let (Some(big), Some(first)) = (big(), data.first()) {
        let pages: Vec<u8> = if first % 2 == 0 {
            let mut p = b"BCPAGE1\n".to_vec();
            p.extend_from_slice(&4096u32.to_le_bytes());
            p.extend_from_slice(&16u32.to_le_bytes());
            p.extend(data.iter().cycle().take(big.page_file_len - 16));
            p
        } else {
            data.to_vec()
        };
        if std::fs::write(breachcheck_index::page_file_path(&big.segment), &pages).is_ok() {
            if let Ok(seg) = Segment::open(&big.segment) {
                for (t, want) in big.tags.iter().zip(&big.answers).step_by(7) {
                    let mut hits = Vec::new();
                    seg.lookup_into(*t, &mut hits);
                    let got: Vec<u32> = hits.iter().map(|h| h.record).collect();
                    assert!(seg.damage().is_some() || &got == want, "a page file changed an answer");
                }
                let _ = seg.rows().count();
                assert!(seg.damage().is_none(), "a page file made an intact segment look damaged");
            }
        }
    }

    let Ok(dir) = tempfile::tempdir() else { return };
    let path = dir.path().join("s.bcs");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    read_all(&path, data);
    // A page file (header, then 16 chaining values of 32 bytes per full 64 KiB chunk)
    // whose values are the input's bytes, cycled: every read then checks pages against
    // values that do not make up the chunk digests.
    let full_chunks = data.len() / 65536;
    let mut pages = b"BCPAGE1\n".to_vec();
    pages.extend_from_slice(&4096u32.to_le_bytes());
    pages.extend_from_slice(&16u32.to_le_bytes());
    pages.extend(data.iter().cycle().take(full_chunks * 16 * 32));
    if std::fs::write(breachcheck_index::page_file_path(&path), &pages).is_ok() {
        read_all(&path, data);
    }
});
