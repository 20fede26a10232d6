//! Case folders: the reports of one case and an append-only custody log.
//!
//! `custody.log` holds one JSON object per line. Each entry carries the SHA-256 of the line
//! before it (`prev`) and its own (`hash`, over `prev` and the entry's other fields), so an
//! entry removed, altered or reordered breaks the chain, and [`verify`] says where. Files
//! an entry names (reports, signatures) are checked against their recorded SHA-256 too.
//! Entries hold hashes, sizes, names, versions and counts: never an input value.
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Errors of case folders.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CustodyError {
    /// File-system failure.
    #[error("{path}: {source}")]
    Io {
        /// Path involved.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The log or a file it names is not what was recorded.
    #[error("custody log {path}, entry {entry}: {what}")]
    Broken {
        /// The log.
        path: PathBuf,
        /// 1-based entry number.
        entry: usize,
        /// What is wrong.
        what: String,
    },
}

type Result<T> = std::result::Result<T, CustodyError>;

const LOG: &str = "custody.log";
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A file an entry vouches for, relative to the case folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustodyFile {
    /// Path inside the case folder.
    pub path: String,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
}

/// What happened: the part of an entry the caller supplies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// When (RFC 3339, UTC).
    pub time: String,
    /// Who ran it (`--operator`, else the login name).
    pub operator: String,
    /// What was done (e.g. `verify`).
    pub action: String,
    /// The input's file name.
    pub input_name: String,
    /// SHA-256 of the input on receipt, hex.
    pub input_sha256: String,
    /// Size of the input in bytes.
    pub input_bytes: u64,
    /// The index commitment the input was checked against.
    pub index_commitment: String,
    /// The tool and rule versions.
    pub tool: String,
    /// The verdict class reached.
    pub verdict: String,
}

/// One line of the custody log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustodyEntry {
    /// 1-based position in the log.
    pub seq: usize,
    /// What happened.
    #[serde(flatten)]
    pub event: Event,
    /// Files written into the case folder.
    pub files: Vec<CustodyFile>,
    /// Hash of the previous entry (zeros for the first).
    pub prev: String,
    /// SHA-256 over `prev` and the entry's other fields.
    pub hash: String,
}

impl CustodyEntry {
    fn digest(&self) -> String {
        let mut unhashed = self.clone();
        unhashed.hash = String::new();
        let body = serde_json::to_vec(&unhashed).unwrap_or_default();
        let mut h = Sha256::new();
        h.update(self.prev.as_bytes());
        h.update([0]);
        h.update(&body);
        hex(&h.finalize())
    }
}

use breachcheck_core::hex;

/// SHA-256 of a file, hex.
fn sha256_of(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|source| CustodyError::Io {
        path: path.to_owned(),
        source,
    })?;
    Ok(hex(&Sha256::digest(&bytes)))
}

/// Checks the log of the case folder `dir` and every file it names; returns the entries.
pub fn verify(dir: &Path) -> Result<Vec<CustodyEntry>> {
    let path = dir.join(LOG);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(CustodyError::Io { path, source }),
    };
    let broken = |entry: usize, what: String| CustodyError::Broken {
        path: path.clone(),
        entry,
        what,
    };
    if !text.is_empty() && !text.ends_with('\n') {
        let n = text.lines().count();
        return Err(broken(
            n,
            "the last entry is incomplete (a write was interrupted); keep the folder as evidence and start a new case folder".into(),
        ));
    }
    let mut prev = GENESIS.to_owned();
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let e: CustodyEntry = serde_json::from_str(line)
            .map_err(|err| broken(n, format!("not a custody entry ({err})")))?;
        if e.seq != n {
            return Err(broken(n, format!("sequence number {} out of place", e.seq)));
        }
        if e.prev != prev {
            return Err(broken(
                n,
                "does not follow the entry before it (an entry was removed, altered or reordered)"
                    .into(),
            ));
        }
        if e.digest() != e.hash {
            return Err(broken(
                n,
                "its content does not match its hash (altered)".into(),
            ));
        }
        for f in &e.files {
            let got = sha256_of(&dir.join(&f.path))?;
            if got != f.sha256 {
                return Err(broken(
                    n,
                    format!("{} was changed after it was recorded", f.path),
                ));
            }
        }
        prev = e.hash.clone();
        entries.push(e);
    }
    Ok(entries)
}

/// Appends an entry to the case folder's log after checking the chain so far. The line is
/// written in one `write` in append mode and synced; nothing before it is ever rewritten.
/// `files` are paths inside the folder, already written; their hashes are recorded.
pub fn append(dir: &Path, event: Event, files: &[String]) -> Result<CustodyEntry> {
    let existing = verify(dir)?;
    let prev = existing
        .last()
        .map_or_else(|| GENESIS.to_owned(), |e| e.hash.clone());
    let files = files
        .iter()
        .map(|p| {
            Ok(CustodyFile {
                path: p.clone(),
                sha256: sha256_of(&dir.join(p))?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut e = CustodyEntry {
        seq: existing.len() + 1,
        event,
        files,
        prev,
        hash: String::new(),
    };
    e.hash = e.digest();
    let path = dir.join(LOG);
    let io = |source| CustodyError::Io {
        path: path.clone(),
        source,
    };
    let mut line = serde_json::to_vec(&e).unwrap_or_default();
    line.push(b'\n');
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(io)?;
    f.write_all(&line).map_err(io)?;
    f.sync_all().map_err(io)?;
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(dir: &Path, name: &str) -> (Event, Vec<String>) {
        std::fs::write(dir.join(format!("{name}.json")), name).expect("write");
        let e = Event {
            time: "2026-11-27T00:00:00Z".into(),
            operator: "analyst".into(),
            action: "verify".into(),
            input_name: format!("{name}.csv"),
            input_sha256: "ab".repeat(32),
            input_bytes: 10,
            index_commitment: "cd".repeat(32),
            tool: "breachcheck 0.1.0 rules 2".into(),
            verdict: "genuine".into(),
        };
        (e, vec![format!("{name}.json")])
    }

    #[test]
    fn the_chain_catches_edits_removals_and_changed_files() {
        let d = tempfile::tempdir().expect("tempdir");
        for n in ["a", "b", "c"] {
            let (e, files) = entry(d.path(), n);
            append(d.path(), e, &files).expect("append");
        }
        assert_eq!(verify(d.path()).expect("intact").len(), 3);
        let log = d.path().join(LOG);
        let text = std::fs::read_to_string(&log).expect("log");
        let lines: Vec<&str> = text.lines().collect();
        // Remove the middle entry.
        std::fs::write(&log, format!("{}\n{}\n", lines[0], lines[2])).expect("write");
        assert!(verify(d.path()).is_err());
        // Alter a verdict.
        std::fs::write(&log, text.replacen("genuine", "fabricated", 1)).expect("write");
        assert!(verify(d.path()).is_err());
        // Restore, then change a recorded report.
        std::fs::write(&log, &text).expect("write");
        verify(d.path()).expect("restored");
        std::fs::write(d.path().join("b.json"), "other").expect("write");
        let e = verify(d.path()).expect_err("changed file");
        assert!(e.to_string().contains("b.json"), "{e}");
        // A torn last line is reported, and nothing is appended after it.
        std::fs::write(d.path().join("b.json"), "b").expect("write");
        std::fs::write(&log, &text[..text.len() - 5]).expect("write");
        let (e, files) = entry(d.path(), "d");
        assert!(append(d.path(), e, &files).is_err());
    }
}
