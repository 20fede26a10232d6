//! Any bytes as a segment file: opening, reading records and looking tags up never panic.
#![no_main]
use breachcheck_core::Tag;
use breachcheck_index::Segment;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let path = dir.path().join("s.bcs");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    if let Ok(seg) = Segment::open(&path) {
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
    }
});
