//! What an index holds, as `index info --json` prints it and the server's `GET /index`
//! returns it: systems, snapshots, counts, canaries, references, audit sets, phone
//! regions and the commitment — never a value.
use crate::regions::company_phone_region_codes;
use breachcheck_index::{Manifest, SegmentKind, SegmentMeta};

/// Which system snapshots have an audit set, and the OPRF public key when they all share
/// one (what an auditor pins).
#[derive(Clone, Debug, serde::Serialize)]
pub struct AuditStatus {
    /// System snapshots in the index.
    pub system_snapshots: u64,
    /// Those with an audit set.
    pub snapshots_with_set: u64,
    /// The OPRF public key all sets share (hex), when they do.
    pub oprf_public_key: Option<String>,
}

/// The audit-set status of an index.
pub fn audit_status(m: &Manifest) -> AuditStatus {
    let systems: Vec<&SegmentMeta> = m
        .segments
        .iter()
        .filter(|s| s.kind == SegmentKind::System)
        .collect();
    let keys: Vec<&str> = systems
        .iter()
        .filter_map(|s| s.audit.as_ref().map(|a| a.oprf_public_key.as_str()))
        .collect();
    let shared = keys
        .first()
        .filter(|k| keys.iter().all(|o| o == *k))
        .map(|k| (*k).to_owned());
    AuditStatus {
        system_snapshots: systems.len() as u64,
        snapshots_with_set: keys.len() as u64,
        oprf_public_key: shared,
    }
}

/// The `breachcheck.index-info/v1` document of an index.
pub fn index_info(m: &Manifest) -> serde_json::Value {
    let systems: Vec<_> = m
        .systems()
        .into_iter()
        .map(|name| {
            let snaps: Vec<_> = m
                .segments
                .iter()
                .filter(|s| s.kind == SegmentKind::System && s.system == name)
                .map(|s| serde_json::json!({"snapshot": s.snapshot, "records": s.live, "stored": s.records, "removed": s.removed, "postings": s.postings, "bytes": s.bytes, "sources": s.sources, "audit_set": s.audit.as_ref().map(|a| serde_json::json!({"sha256": a.sha256, "bytes": a.bytes, "email": a.email, "phone": a.phone, "name_address": a.name_address}))}))
                .collect();
            serde_json::json!({"name": name, "snapshots": snaps})
        })
        .collect();
    let canaries: Vec<_> = m
        .segments
        .iter()
        .filter(|s| s.kind == SegmentKind::Canary)
        .map(|s| serde_json::json!({"system": s.system, "planted": s.snapshot, "records": s.records}))
        .collect();
    let references: Vec<_> = m
        .segments
        .iter()
        .filter(|s| s.kind == SegmentKind::Reference)
        .map(|s| serde_json::json!({"name": s.system, "date": s.snapshot, "records": s.records}))
        .collect();
    serde_json::json!({
        "schema": "breachcheck.index-info/v1",
        "format": m.format,
        "rules_version": m.rules_version,
        "key_fingerprint": m.key_fingerprint,
        "systems": systems,
        "canaries": canaries,
        "references": references,
        "bytes": m.segments.iter().map(|s| s.bytes).sum::<u64>(),
        "segments": m.segments.len(),
        "audit": audit_status(m),
        "phone_regions": company_phone_region_codes(m),
        "commitment": m.commitment,
    })
}
