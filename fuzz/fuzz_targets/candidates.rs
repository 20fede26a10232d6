//! Any bytes as one Parquet file of a candidates directory (the sample's tags, postings or
//! records a Spark join wrote), beside a real manifest and real other tables: opening the
//! directory never panics — it reads or it says which file is wrong — and a store that
//! opens answers lookups and record reads without panicking.
#![no_main]
use breachcheck_core::Tag;
use breachcheck_export::CandidateStore;
use breachcheck_index::RecordStore;
use libfuzzer_sys::fuzz_target;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A real candidates directory: a small index, exported, joined with its own tags.
struct Real {
    _dir: tempfile::TempDir,
    candidates: PathBuf,
}

fn real() -> &'static Real {
    static REAL: OnceLock<Real> = OnceLock::new();
    REAL.get_or_init(|| {
        use breachcheck_core::{FieldRole, SecretKey, Tagger};
        use breachcheck_index::{Index, SegmentBuilder, SegmentKind, SourceFile};
        let dir = tempfile::tempdir().expect("tempdir");
        let key = SecretKey::from_bytes([5; 32]);
        let n = breachcheck_normalize::Normalizer::new(Tagger::new(&key), None);
        let idx = dir.path().join("idx");
        let mut b = SegmentBuilder::new(&idx, &key, "accounts", "2026-01-31", SegmentKind::System)
            .expect("builder");
        b.add_source(SourceFile { name: "a.csv".into(), sha256: String::new(), rows: 0, location: None });
        let roles = [FieldRole::Email, FieldRole::FirstName, FieldRole::LastName];
        let mut tags = Vec::new();
        for i in 0..300 {
            let rec = n.tag_record(&roles, &[&format!("p{i}@example.org"), "Ana", &format!("Lee{i}")]);
            tags.extend(rec.blocks.iter().map(|(_, t)| t.0));
            b.add(i + 2, &rec);
        }
        b.commit().expect("commit");
        let index = Index::open(&idx).expect("open");
        let export = dir.path().join("export");
        breachcheck_export::export_index(&index, &export).expect("export");
        let st = dir.path().join("st.parquet");
        let mut f = breachcheck_export::SampleTagFile::create(&st).expect("tags");
        for t in tags.iter().take(200) {
            f.push(1, *t, None).expect("push");
        }
        f.finish().expect("finish");
        let candidates = dir.path().join("candidates");
        breachcheck_export::join_candidates(&export, &st, &candidates).expect("join");
        Real { _dir: dir, candidates }
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read").flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).expect("copy");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, bytes)) = data.split_first() else { return };
    let real = real();
    // The store catches the `parquet` crate's panics on damaged files and reports the file;
    // libFuzzer's hook would abort on them first. Any other panic still escapes the
    // target and is a crash.
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("c");
    copy_dir(&real.candidates, &dir);
    let table = ["sample_tags", "postings", "records"][usize::from(which) % 3];
    std::fs::write(dir.join(table).join("part-0.parquet"), bytes).expect("write");
    if let Ok(store) = CandidateStore::open(&dir) {
        let mut hits = Vec::new();
        let tag = u64::from_le_bytes(bytes.get(..8).and_then(|b| b.try_into().ok()).unwrap_or([0; 8]));
        store.lookup_into(Tag(tag), &mut hits);
        let _ = store.lookup_at_most_into(Tag(tag), 24, &mut hits);
        for h in hits.iter().take(16) {
            let _ = store.record(h.segment, h.record);
            let mut held = Vec::new();
            store.presence(h.segment, h.record, &mut held);
        }
        let _ = store.gaps();
    }
});
