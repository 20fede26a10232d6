//! The real publisher and server logic, for testing clients before the HTTP routes exist
//! (the browser client in `web/selfcheck/`). Every key is a fixed test key: never use this
//! for a real claim.
//!
//! ```text
//! cargo run -p breachcheck-selfcheck --example oracle -- VALUES.json INFO.json [K] [CLAIM]
//! ```
//!
//! `VALUES.json` is a JSON list of `{"kind": "email"|"phone", "value": canonical,
//! "disclosure": {"lines", "fields", "matched_company_records"}}`. The example publishes
//! them at K (default 3) under the claim name (default `oracle-test`) and the fixed test
//! company key `[0x5e; 32]`, writes the claim's `ClaimInfo` JSON to `INFO.json`, prints
//! `ready` on stdout, then answers JSON lines read on stdin, one JSON line each:
//!
//! * `{"bucket": u32, "blinded": base64}` → `{"binary": base64, "json": {...}}`: the
//!   answer as the server's `POST /api/v1/check/{claim}` sends it — binary form
//!   `evaluated (32) ‖ proof (64) ‖ path_len (1) ‖ path ‖ entries (46 each)`, and JSON
//!   form `{"evaluated", "proof", "entries": [...], "bucket_proof": [...]}`, all base64;
//! * `{"output": {"kind", "value"}}` → `{"output": hex, "bucket": u32}`: the value's full
//!   OPRF output (RFC 9497 `Evaluate`, what an honest client's `Finalize` gives) and
//!   bucket, for testing a client's tag and seal derivation;
//! * anything refused → `{"error": message}`.
use breachcheck_core::SecretKey;
use breachcheck_selfcheck::bucket::bucket_of;
use breachcheck_selfcheck::key::SEED_CONTEXT;
use breachcheck_selfcheck::publish::encode_entries;
use breachcheck_selfcheck::{publish, server, ClaimKey, Disclosure, Kind, Published, Value};
use serde_json::{json, Value as Json};
use std::io::{BufRead, Write};
use voprf::{Ristretto255, VoprfServer};

const COMPANY: [u8; 32] = [0x5e; 32];

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn b64(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                s.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

fn unb64(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    for chunk in s.as_bytes().chunks(4) {
        let mut n = 0u32;
        let mut pad = 0;
        for &c in chunk {
            let v = if c == b'=' {
                pad += 1;
                0
            } else if pad > 0 {
                return None;
            } else {
                B64.iter().position(|&b| b == c)? as u32
            };
            n = (n << 6) | v;
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad.min(2)]);
    }
    Some(out)
}

fn answer(key: &ClaimKey, published: &Published, q: &Json) -> Result<Json, String> {
    if let Some(o) = q.get("output") {
        let kind: Kind = o["kind"]
            .as_str()
            .unwrap_or("")
            .parse()
            .map_err(|e| format!("{e}"))?;
        let value = o["value"].as_str().ok_or("no value")?;
        let seed = SecretKey::from_bytes(COMPANY).derive_subkey(SEED_CONTEXT);
        let mut info = b"breachcheck.selfcheck/v1 claim\0".to_vec();
        info.extend_from_slice(key.claim().as_bytes());
        let s = VoprfServer::<Ristretto255>::new_from_seed(&seed[..], &info)
            .map_err(|e| format!("{e:?}"))?;
        let mut input = kind.as_str().as_bytes().to_vec();
        input.push(0);
        input.extend_from_slice(value.as_bytes());
        let out = s.evaluate(&input).map_err(|e| format!("{e:?}"))?;
        return Ok(json!({
            "output": breachcheck_core::hex(&out),
            "bucket": bucket_of(kind, value.as_bytes(), published.info().bucket_bits),
        }));
    }
    let bucket = q["bucket"]
        .as_u64()
        .and_then(|b| u32::try_from(b).ok())
        .ok_or("bucket is a u32")?;
    let blinded = unb64(q["blinded"].as_str().ok_or("no blinded")?).ok_or("bad base64")?;
    let (evaluated, proof) = server::evaluate(key, &blinded).map_err(|e| e.to_string())?;
    let entries = published
        .bucket_entries(bucket)
        .map_err(|e| e.to_string())?;
    let path = published.bucket_proof(bucket).map_err(|e| e.to_string())?;
    let mut binary = Vec::new();
    binary.extend_from_slice(&evaluated);
    binary.extend_from_slice(&proof);
    binary.push(u8::try_from(path.len()).map_err(|_| "path too long")?);
    for h in &path {
        binary.extend_from_slice(&h.0);
    }
    binary.extend_from_slice(&encode_entries(entries));
    Ok(json!({
        "binary": b64(&binary),
        "json": {
            "evaluated": b64(&evaluated),
            "proof": b64(&proof),
            "entries": entries.iter().map(|e| b64(&e.to_bytes())).collect::<Vec<_>>(),
            "bucket_proof": path.iter().map(|h| b64(&h.0)).collect::<Vec<_>>(),
        },
    }))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(values_path), Some(info_path)) = (args.first(), args.get(1)) else {
        return Err("usage: oracle VALUES.json INFO.json [K] [CLAIM]".into());
    };
    let k: usize = args.get(2).map_or(Ok(3), |s| s.parse())?;
    let claim = args.get(3).map_or("oracle-test", String::as_str);
    let list: Vec<Json> = serde_json::from_slice(&std::fs::read(values_path)?)?;
    let mut values = Vec::with_capacity(list.len());
    for v in &list {
        let kind: Kind = v["kind"].as_str().unwrap_or("").parse()?;
        let value = v["value"].as_str().ok_or("a value is a string")?;
        let d: Disclosure = serde_json::from_value(v["disclosure"].clone())?;
        values.push(Value::new(kind, value, d));
    }
    let key = ClaimKey::derive(&SecretKey::from_bytes(COMPANY), claim)?;
    let published = publish(&key, &values, k)?;
    std::fs::write(info_path, serde_json::to_vec(published.info())?)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready")?;
    out.flush()?;
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let reply = match serde_json::from_str::<Json>(&line) {
            Ok(q) => answer(&key, &published, &q).unwrap_or_else(|e| json!({ "error": e })),
            Err(e) => json!({ "error": format!("not JSON: {e}") }),
        };
        serde_json::to_writer(&mut out, &reply)?;
        writeln!(out)?;
        out.flush()?;
    }
    Ok(())
}
