//! Any bytes as a sample: sniffing and streaming never panic, and every line is accounted.
#![no_main]
use breachcheck_ingest::{IngestOptions, Sample};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let path = dir.path().join("sample");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    if let Ok(sample) = Sample::open(&path, &IngestOptions::default()) {
        if let Ok(mut records) = sample.records() {
            let n = records.by_ref().filter(|e| !matches!(e, breachcheck_ingest::Event::Part(_))).count() as u64;
            let s = records.stats();
            assert_eq!(n, s.records + s.quarantined);
            assert_eq!(s.lines_total, s.records + s.quarantined + s.header_lines + s.blank_lines + s.continuation_lines);
        }
    }
});
