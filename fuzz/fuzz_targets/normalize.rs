//! Any text in any role: normalization never panics and is deterministic.
#![no_main]
use breachcheck_core::{FieldRole, SecretKey, Tagger};
use breachcheck_normalize::Normalizer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let cells: Vec<&str> = text.split('\u{1f}').collect();
    let roles: Vec<FieldRole> = FieldRole::ALL.iter().copied().cycle().skip(data.first().copied().unwrap_or(0) as usize % 18).take(cells.len()).collect();
    let n = Normalizer::new(Tagger::new(&SecretKey::from_bytes([1; 32])), None);
    let a = n.tag_record(&roles, &cells);
    let b = n.tag_record(&roles, &cells);
    assert_eq!(a, b);
});
