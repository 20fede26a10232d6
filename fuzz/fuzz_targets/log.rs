//! Transparency-log inputs a client reads from a host it does not trust: proofs (JSON) and
//! checkpoint notes. Any bytes give an answer or an error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

const VKEY: &str = "log.acme.example+81320189+AV3BeGbSaakU+fkEXJLSAImjAh+bUKGEc1sA2ldHkgxh";

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = serde_json::from_slice::<breachcheck_log::InclusionProof>(data) {
        let _ = breachcheck_log::check_inclusion(&p);
    }
    if let Ok(p) = serde_json::from_slice::<breachcheck_log::ConsistencyProof>(data) {
        let _ = breachcheck_log::check_consistency(&p);
    }
    let _ = breachcheck_log::verify_checkpoint(data, VKEY);
});
