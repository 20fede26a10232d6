//! Helpers shared by the tests: a synthetic company key, generated values, one query run
//! through client and server in memory.
use breachcheck_core::SecretKey;
use breachcheck_selfcheck::{
    server, ClaimInfo, ClaimKey, Disclosure, Kind, Published, Query, Result, FIELD_KINDS,
};

pub(crate) fn key(claim: &str) -> ClaimKey {
    ClaimKey::derive(&SecretKey::from_bytes([42; 32]), claim).expect("test input")
}

pub(crate) fn email(i: u64) -> Vec<u8> {
    format!("person.{i}@example.org").into_bytes()
}

pub(crate) fn phone(i: u64) -> Vec<u8> {
    format!("+4930{:08}", i).into_bytes()
}

/// A disclosure that varies with `i`, so a swapped entry would show.
pub(crate) fn disclosure(i: u64) -> Disclosure {
    Disclosure {
        lines: 1 + i % 7,
        fields: FIELD_KINDS
            .iter()
            .enumerate()
            .filter(|(b, _)| (i >> b) & 1 == 1)
            .map(|(_, k)| (*k).to_owned())
            .collect(),
        matched_company_records: [None, Some(false), Some(true)][(i % 3) as usize],
    }
}

/// One query for `value`, answered by `key` from `published`, checked against `info`.
pub(crate) fn ask(
    key: &ClaimKey,
    published: &Published,
    info: &ClaimInfo,
    kind: Kind,
    value: &[u8],
) -> Result<Option<Disclosure>> {
    let q = Query::new(kind, value, info.bucket_bits)?;
    let (evaluated, proof) = server::evaluate(key, q.blinded())?;
    let entries = published.bucket_entries(q.bucket())?;
    let path = published.bucket_proof(q.bucket())?;
    q.finish(info, &evaluated, &proof, entries, &path)
}
