//! Any bytes as what Spark executors hand the merge (a prepared record) and as a record
//! row of the exported records table: reading them never panics, and what reads back
//! writes the same bytes again (nothing is misread into another record).
#![no_main]
use breachcheck_index::{Prepared, RecordRow};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(p) = Prepared::from_bytes(data) {
        assert_eq!(p.to_bytes(), data, "a prepared record reads back to other bytes");
    }
    if let Some(row) = RecordRow::from_bytes(data) {
        assert_eq!(RecordRow::from_bytes(&row.to_bytes()), Some(row));
    }
});
