//! Rust's canonical forms for the browser client's agreement test
//! (`tests/browser/test_selfcheck_client.py`): reads JSON lines
//! `{"kind": "email"|"phone", "region": "DE"|null, "raw": "…"}` on stdin and prints, a line
//! each, `{"canonical": "…"|null}` — `email::canonical(raw)` or
//! `phone::canonical(raw, region).map(|p| p.e164)`. A region that is not a known region
//! code reads as none, as the browser's select would send no region.
//!
//! ```text
//! cargo run -p breachcheck-normalize --example canonical < cases.jsonl
//! ```
use breachcheck_normalize::{email, phone};
use rlibphonenumber::Region;
use std::io::{BufRead, BufWriter, Write};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let stdin = std::io::stdin().lock();
    let mut out = BufWriter::new(std::io::stdout().lock());
    for (n, line) in stdin.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let case: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| format!("line {}: not JSON: {e}", n + 1))?;
        let raw = case["raw"]
            .as_str()
            .ok_or_else(|| format!("line {}: no \"raw\" string", n + 1))?;
        let canonical = match case["kind"].as_str() {
            Some("email") => email::canonical(raw),
            Some("phone") => {
                let region = case["region"]
                    .as_str()
                    .and_then(|r| Region::from_code(r).ok());
                phone::canonical(raw, region).map(|p| p.e164)
            }
            _ => return Err(format!("line {}: kind is \"email\" or \"phone\"", n + 1).into()),
        };
        serde_json::to_writer(&mut out, &serde_json::json!({ "canonical": canonical }))?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
