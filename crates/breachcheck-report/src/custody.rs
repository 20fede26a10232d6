//! Case folders: the reports of one case and an append-only custody log.
//!
//! `custody.log` holds one JSON object per line: the entries, then one head line. Each
//! entry carries the SHA-256 of the entry before it (`prev`) and its own (`hash`, over
//! `prev` and the entry's other fields), so an entry removed, altered or reordered breaks
//! the chain, and [`verify`] says where. The head line names the last entry (`seq`,
//! `hash`) and, when the run was given a signing key, is signed with it (ed25519 over
//! `breachcheck.custody-head/v1\0SEQ\0HASH`), and every entry records the key that signs
//! heads from then on: removing the last entries breaks the head, and a new head needs the
//! key. (An old signed head kept by whoever truncates the log is the one thing a folder
//! cannot catch by itself: publish heads in the transparency log for that.)
//!
//! The log is rewritten whole (temporary file, fsync, rename) at each append, so a killed
//! run leaves the log as it was or with its entry and head, never half a line. Files an
//! entry names (reports, signatures) are checked against their recorded SHA-256, and a
//! report file under `reports/` that no entry names fails the check — unless its number
//! is past the last entry's, which is what a run killed before its entry leaves (reported;
//! the next run of the case removes it). Appends hold the folder's lock.
//! Entries hold hashes, sizes, names, versions and counts: never an input value.
use crate::Report;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Errors of case folders.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CustodyError {
    /// File-system failure.
    #[error("cannot read {}", path.display())]
    Io {
        /// Path involved.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Writing or locking failed.
    #[error(transparent)]
    Files(#[from] breachcheck_files::Error),
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
    /// The head line is missing, does not name the last entry, or is not signed as the
    /// entries say it must be.
    #[error("custody log {path}: {what}")]
    Head {
        /// The log.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// A report file that no entry names.
    #[error("{} in case folder {} is listed by no custody entry (added or left behind outside a verify run)", file, dir.display())]
    Unlisted {
        /// The case folder.
        dir: PathBuf,
        /// The file, relative to the folder.
        file: String,
    },
}

type Result<T> = std::result::Result<T, CustodyError>;

const LOG: &str = "custody.log";
const REPORTS: &str = "reports";
/// The `prev` of a log's first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const HEAD_CONTEXT: &str = "breachcheck.custody-head/v1";
/// What locks and messages call a case folder.
pub const DIR_KIND: &str = "case folder";

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

impl Event {
    /// The entry of a `verify` run that made `report`, run by `operator`: what the CLI's
    /// `verify --case` records, built here so that anything else keeping custody (a server
    /// with its entries in a database) records the very same fields, and so hashes the same.
    pub fn verification(report: &Report, operator: &str) -> Event {
        Event {
            time: report.generated_at.clone(),
            operator: operator.to_owned(),
            action: "verify".into(),
            input_name: report.sample.file_name.clone(),
            input_sha256: report.sample.sha256.clone(),
            input_bytes: report.sample.bytes,
            index_commitment: report.index.commitment.root.clone(),
            tool: format!(
                "breachcheck {} rules {}",
                report.tool.version, report.tool.rules_version
            ),
            verdict: report.verdict.class.as_str().to_owned(),
        }
    }
}

/// Where the case keeps its copies of the report of entry `seq`, without the extension:
/// `reports/NNNN-STEM`, STEM the sample's file name without its extension in letters,
/// digits, `-` and `_`. The number leads so that [`check`] can tell a killed run's files
/// (numbered past the last entry) from files added by hand.
pub fn report_copy_base(seq: usize, report: &Report) -> String {
    let name = report.sample.file_name.as_str();
    let stem: String = name
        .rsplit_once('.')
        .map_or(name, |(a, _)| a)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{REPORTS}/{seq:04}-{stem}")
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
    /// Public key (hex) that signs the log's head from this entry on, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_key: Option<String>,
    /// Hash of the previous entry (zeros for the first).
    pub prev: String,
    /// SHA-256 over `prev` and the entry's other fields.
    pub hash: String,
}

/// The head line: which entry is the last, signed when the case has a key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Head {
    /// The last entry's number.
    pub seq: usize,
    /// The last entry's hash.
    pub hash: String,
    /// ed25519 signature (hex) over `breachcheck.custody-head/v1\0SEQ\0HASH`, when signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HeadLine {
    head: Head,
}

impl Head {
    fn message(seq: usize, hash: &str) -> Vec<u8> {
        format!("{HEAD_CONTEXT}\0{seq}\0{hash}").into_bytes()
    }
}

impl CustodyEntry {
    /// The entry's chain hash: SHA-256 over `prev`, a zero byte and the entry's JSON with
    /// `hash` empty — what `hash` must be. Public so that entries kept elsewhere than a case
    /// folder (a database) are hashed, and checked with [`check_chain`], the same way.
    pub fn chain_hash(&self) -> String {
        self.digest()
    }

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

use breachcheck_core::{hex, unhex};

/// SHA-256 of a file, hex.
fn sha256_of(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|source| CustodyError::Io {
        path: path.to_owned(),
        source,
    })?;
    Ok(hex(&Sha256::digest(&bytes)))
}

/// Where a sequence of entries stops being a chain (see [`check_chain`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("entry {entry}: {what}")]
pub struct ChainError {
    /// 1-based entry number.
    pub entry: usize,
    /// What is wrong.
    pub what: String,
}

/// Checks that `entries` form one chain from the start: numbered 1, 2, …, each naming the
/// hash of the one before (zeros for the first), each hash its [`CustodyEntry::chain_hash`],
/// and no entry dropping the head-signing key an earlier one named. Returns the head key
/// in force after the last entry. This is the part of [`check`] that needs no folder —
/// files, the head line and unlisted reports are a folder's — so a custody log kept
/// elsewhere (a server's database) is checked by the same rules.
pub fn check_chain(entries: &[CustodyEntry]) -> std::result::Result<Option<String>, ChainError> {
    let mut prev = GENESIS;
    let mut head_key: Option<&str> = None;
    for (i, e) in entries.iter().enumerate() {
        let n = i + 1;
        let broken = |what: &str| ChainError {
            entry: n,
            what: what.to_owned(),
        };
        if e.seq != n {
            return Err(ChainError {
                entry: n,
                what: format!("sequence number {} out of place", e.seq),
            });
        }
        if e.prev != prev {
            return Err(broken(
                "does not follow the entry before it (an entry was removed, altered or reordered)",
            ));
        }
        if e.digest() != e.hash {
            return Err(broken("its content does not match its hash (altered)"));
        }
        if head_key.is_some() && e.head_key.is_none() {
            return Err(broken(
                "drops the head-signing key the entries before it name",
            ));
        }
        head_key = e.head_key.as_deref();
        prev = &e.hash;
    }
    Ok(head_key.map(str::to_owned))
}

/// A checked case folder.
#[derive(Clone, Debug)]
pub struct Checked {
    /// The entries, in order.
    pub entries: Vec<CustodyEntry>,
    /// Whether the head is signed (by the key the entries name).
    pub signed: bool,
    /// Report files of a run killed before its entry was written (the next run removes
    /// them), relative to the folder.
    pub interrupted: Vec<String>,
}

/// The report number a kept file starts with (`reports/0003-…`).
fn report_seq(name: &str) -> Option<usize> {
    name.split_once('-').and_then(|(n, _)| n.parse().ok())
}

/// Checks the log of the case folder `dir` — the chain, the head, every file it names —
/// and that every report file is named by an entry; returns what it found. A folder
/// without a log is an empty case.
pub fn verify(dir: &Path) -> Result<Vec<CustodyEntry>> {
    Ok(check(dir)?.entries)
}

/// [`verify`], with the head's signature status and the files of an interrupted run.
pub fn check(dir: &Path) -> Result<Checked> {
    let path = dir.join(LOG);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Checked {
                entries: Vec::new(),
                signed: false,
                interrupted: unlisted(dir, &[])?.into_iter().map(|(f, _)| f).collect(),
            })
        }
        Err(source) => return Err(CustodyError::Io { path, source }),
    };
    let broken = |entry: usize, what: String| CustodyError::Broken {
        path: path.clone(),
        entry,
        what,
    };
    let head_err = |what: String| CustodyError::Head {
        path: path.clone(),
        what,
    };
    let lines: Vec<&str> = text.lines().collect();
    let Some((last, entry_lines)) = lines.split_last() else {
        return Err(head_err("the log is empty (no head line)".into()));
    };
    let head: HeadLine = serde_json::from_str(last).map_err(|_| {
        head_err(
            "its last line is not a head line: entries were removed from its end, or it was written by an older breachcheck"
                .into(),
        )
    })?;
    let head = head.head;
    // Entries up to the first line that is none; that line's fault comes after any fault
    // of the entries before it, so the first fault in log order is the one reported.
    let mut entries = Vec::new();
    let mut unreadable = None;
    for (i, line) in entry_lines.iter().enumerate() {
        match serde_json::from_str::<CustodyEntry>(line) {
            Ok(e) => entries.push(e),
            Err(err) => {
                unreadable = Some(broken(i + 1, format!("not a custody entry ({err})")));
                break;
            }
        }
    }
    // The chain, and the files of each entry before the first break in it.
    let chain = check_chain(&entries);
    let checked_up_to = chain.as_ref().err().map_or(entries.len(), |c| c.entry - 1);
    for (i, e) in entries.iter().enumerate().take(checked_up_to) {
        for f in &e.files {
            let got = sha256_of(&dir.join(&f.path))?;
            if got != f.sha256 {
                return Err(broken(
                    i + 1,
                    format!("{} was changed after it was recorded", f.path),
                ));
            }
        }
    }
    let head_key = chain.map_err(|c| broken(c.entry, c.what))?;
    if let Some(e) = unreadable {
        return Err(e);
    }
    let prev = entries.last().map_or(GENESIS, |e| e.hash.as_str());
    if head.seq != entries.len() || head.hash != prev {
        return Err(head_err(format!(
            "its head names entry {} but the log holds {} entries (entries were removed or added outside a verify run)",
            head.seq,
            entries.len()
        )));
    }
    let signed = match (&head_key, &head.signature) {
        (None, _) => false,
        (Some(_), None) => {
            return Err(head_err(
                "its head is not signed, but its entries say it is signed with a key".into(),
            ))
        }
        (Some(pk), Some(sig)) => {
            let ok = unhex::<32>(pk)
                .and_then(|pk| ed25519_dalek::VerifyingKey::from_bytes(&pk).ok())
                .zip(unhex::<64>(sig).filter(|s| hex(s) == *sig))
                .is_some_and(|(key, sig)| {
                    key.verify_strict(
                        &Head::message(head.seq, &head.hash),
                        &ed25519_dalek::Signature::from_bytes(&sig),
                    )
                    .is_ok()
                });
            if !ok {
                return Err(head_err(
                    "its head's signature does not verify under the key its entries name".into(),
                ));
            }
            true
        }
    };
    let listed: Vec<&str> = entries
        .iter()
        .flat_map(|e| e.files.iter().map(|f| f.path.as_str()))
        .collect();
    let mut interrupted = Vec::new();
    for (file, seq) in unlisted(dir, &listed)? {
        if seq.is_some_and(|s| s > entries.len()) {
            interrupted.push(file);
        } else {
            return Err(CustodyError::Unlisted {
                dir: dir.to_owned(),
                file,
            });
        }
    }
    Ok(Checked {
        entries,
        signed,
        interrupted,
    })
}

/// Files under `reports/` not in `listed`, with the report number they start with.
fn unlisted(dir: &Path, listed: &[&str]) -> Result<Vec<(String, Option<usize>)>> {
    let reports = dir.join(REPORTS);
    let list = match std::fs::read_dir(&reports) {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(CustodyError::Io {
                path: reports,
                source,
            })
        }
    };
    let mut v = Vec::new();
    for e in list.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let rel = format!("{REPORTS}/{name}");
        if name.starts_with('.') {
            // A temporary file of a killed run.
            v.push((rel, Some(usize::MAX)));
        } else if !listed.contains(&rel.as_str()) {
            v.push((rel, report_seq(&name)));
        }
    }
    v.sort();
    Ok(v)
}

/// What a case folder holds, read under its lock by a run about to add to it.
pub struct Case {
    dir: PathBuf,
    entries: Vec<CustodyEntry>,
    _lock: breachcheck_files::DirLock,
}

impl Case {
    /// Locks the case folder `dir` (created if missing), removes what a killed run left
    /// (temporary files, report files past the last entry) and checks the log.
    pub fn open(dir: &Path) -> Result<Self> {
        let reports = dir.join(REPORTS);
        std::fs::create_dir_all(&reports).map_err(|e| {
            breachcheck_files::Error::io(breachcheck_files::Op::Create, &reports, e)
        })?;
        let lock = breachcheck_files::DirLock::acquire(dir, DIR_KIND)?;
        let mut removed = Vec::new();
        for p in breachcheck_files::temp_files(dir)
            .into_iter()
            .chain(breachcheck_files::temp_files(&reports))
        {
            if std::fs::remove_file(&p).is_ok() {
                removed.push(p.display().to_string());
            }
        }
        let checked = check(dir)?;
        for f in &checked.interrupted {
            if std::fs::remove_file(dir.join(f)).is_ok() {
                removed.push(f.clone());
            }
        }
        if !removed.is_empty() {
            tracing::warn!(
                "case {}: removed {} file(s) left by an interrupted run",
                dir.display(),
                removed.len()
            );
        }
        Ok(Case {
            dir: dir.to_owned(),
            entries: checked.entries,
            _lock: lock,
        })
    }

    /// The number the next entry gets.
    pub fn next_seq(&self) -> usize {
        self.entries.len() + 1
    }

    /// Stages the case's copies of a verification's report (`reports/NNNN-stem.json`,
    /// `.md`, `.html` and `.json.sig` when signed, numbered for the next entry) in
    /// `outputs`, to be put in place with the run's other files; returns them as the
    /// entry will name them.
    pub fn stage_report_copies(
        &self,
        report: &Report,
        rendered: &crate::Rendered,
        outputs: &mut breachcheck_files::Outputs,
    ) -> Result<Vec<CustodyFile>> {
        let base = report_copy_base(self.next_seq(), report);
        let mut copies: Vec<(String, &[u8])> = vec![
            (format!("{base}.json"), rendered.json.as_bytes()),
            (format!("{base}.md"), rendered.markdown.as_bytes()),
            (format!("{base}.html"), rendered.html.as_bytes()),
        ];
        if let Some(s) = &rendered.signature {
            copies.push((format!("{base}.json.sig"), s.as_bytes()));
        }
        let mut kept = Vec::with_capacity(copies.len());
        for (name, bytes) in copies {
            outputs.write(&self.dir.join(&name), bytes)?;
            kept.push(CustodyFile {
                path: name,
                sha256: sha256_hex(bytes),
            });
        }
        Ok(kept)
    }

    /// Appends an entry for `files` (paths inside the folder, with the SHA-256 of what was
    /// or is about to be written there) and a new head, signed with `head_key` (an ed25519
    /// seed) when given; rewrites the log atomically. Returns the entry.
    pub fn append(
        &mut self,
        event: Event,
        files: Vec<CustodyFile>,
        head_key: Option<&[u8; 32]>,
    ) -> Result<CustodyEntry> {
        let prev = self
            .entries
            .last()
            .map_or_else(|| GENESIS.to_owned(), |e| e.hash.clone());
        let signing = head_key.map(ed25519_dalek::SigningKey::from_bytes);
        let carried = self.entries.last().and_then(|e| e.head_key.clone());
        let mut e = CustodyEntry {
            seq: self.next_seq(),
            event,
            files,
            head_key: signing
                .as_ref()
                .map(|k| hex(k.verifying_key().as_bytes()))
                .or(carried.clone()),
            prev,
            hash: String::new(),
        };
        if carried.is_some() && e.head_key != carried {
            return Err(CustodyError::Head {
                path: self.dir.join(LOG),
                what: "this case's heads are signed with another key: give the case's signing key (--sign-key)".into(),
            });
        }
        e.hash = e.digest();
        let signature = match (&signing, &e.head_key) {
            (Some(k), Some(_)) => {
                use ed25519_dalek::Signer;
                Some(hex(&k.sign(&Head::message(e.seq, &e.hash)).to_bytes()))
            }
            (None, Some(_)) => {
                return Err(CustodyError::Head {
                    path: self.dir.join(LOG),
                    what: "this case's heads are signed: give its signing key (--sign-key)".into(),
                })
            }
            _ => None,
        };
        let mut text = String::new();
        for old in self.entries.iter().chain(std::iter::once(&e)) {
            text.push_str(&serde_json::to_string(old).unwrap_or_default());
            text.push('\n');
        }
        let head = HeadLine {
            head: Head {
                seq: e.seq,
                hash: e.hash.clone(),
                signature,
            },
        };
        text.push_str(&serde_json::to_string(&head).unwrap_or_default());
        text.push('\n');
        breachcheck_files::write_atomic(&self.dir.join(LOG), text.as_bytes())?;
        self.entries.push(e.clone());
        Ok(e)
    }
}

/// SHA-256 of `bytes`, hex: what an entry records for a file written from them.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One run of the case: lock, write its report `name`, append its entry.
    fn add(dir: &Path, name: &str, key: Option<&[u8; 32]>) -> Result<CustodyEntry> {
        let mut case = Case::open(dir)?;
        let file = format!("{REPORTS}/{name}.json");
        std::fs::write(dir.join(&file), name).expect("write");
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
        let files = vec![CustodyFile {
            sha256: sha256_hex(name.as_bytes()),
            path: file,
        }];
        case.append(e, files, key)
    }

    #[test]
    fn the_chain_catches_edits_removals_and_changed_files() {
        let d = tempfile::tempdir().expect("tempdir");
        for n in ["0001-a", "0002-b", "0003-c"] {
            add(d.path(), n, None).expect("append");
        }
        assert_eq!(verify(d.path()).expect("intact").len(), 3);
        let log = d.path().join(LOG);
        let text = std::fs::read_to_string(&log).expect("log");
        let lines: Vec<&str> = text.lines().collect();
        // Remove the middle entry.
        std::fs::write(&log, format!("{}\n{}\n{}\n", lines[0], lines[2], lines[3])).expect("write");
        assert!(verify(d.path()).is_err());
        // Remove the last entry (truncation), keeping or dropping the head.
        std::fs::write(&log, format!("{}\n{}\n{}\n", lines[0], lines[1], lines[3])).expect("write");
        assert!(matches!(verify(d.path()), Err(CustodyError::Head { .. })));
        std::fs::write(&log, format!("{}\n{}\n", lines[0], lines[1])).expect("write");
        assert!(matches!(verify(d.path()), Err(CustodyError::Head { .. })));
        // Alter a verdict.
        std::fs::write(&log, text.replacen("genuine", "fabricated", 1)).expect("write");
        assert!(verify(d.path()).is_err());
        // Restore, then change a recorded report.
        std::fs::write(&log, &text).expect("write");
        verify(d.path()).expect("restored");
        std::fs::write(d.path().join("reports/0002-b.json"), "other").expect("write");
        let e = verify(d.path()).expect_err("changed file");
        assert!(e.to_string().contains("0002-b.json"), "{e}");
        std::fs::write(d.path().join("reports/0002-b.json"), "0002-b").expect("write");
        // A report file no entry lists.
        std::fs::write(d.path().join("reports/0002-planted.json"), "x").expect("write");
        assert!(matches!(
            verify(d.path()),
            Err(CustodyError::Unlisted { .. })
        ));
        std::fs::remove_file(d.path().join("reports/0002-planted.json")).expect("rm");
        // A killed run's report past the last entry: reported, then removed by the next run.
        std::fs::write(d.path().join("reports/0004-d.json"), "x").expect("write");
        assert_eq!(check(d.path()).expect("ok").interrupted.len(), 1);
        add(d.path(), "0004-e", None).expect("append");
        assert!(!d.path().join("reports/0004-d.json").exists());
        assert_eq!(verify(d.path()).expect("intact").len(), 4);
    }

    /// The report crate's fixture: `sample.csv` verified, genuine.
    fn fixture() -> Report {
        Report::from_json(include_bytes!("../tests/fixtures/report-v1.json")).expect("report")
    }

    #[test]
    fn a_verification_event_and_its_copies_come_from_the_report() {
        let mut r = fixture();
        let e = Event::verification(&r, "analyst");
        assert_eq!(e.time, r.generated_at);
        assert_eq!(
            (e.operator.as_str(), e.action.as_str()),
            ("analyst", "verify")
        );
        assert_eq!(
            (e.input_name.as_str(), &e.input_sha256, e.input_bytes),
            ("sample.csv", &r.sample.sha256, r.sample.bytes)
        );
        assert_eq!(e.index_commitment, r.index.commitment.root);
        assert_eq!(
            e.tool,
            format!(
                "breachcheck {} rules {}",
                r.tool.version, r.tool.rules_version
            )
        );
        assert_eq!(e.verdict, "genuine");
        assert_eq!(report_copy_base(3, &r), "reports/0003-sample");
        r.sample.file_name = "leak dump.v2.csv".into();
        assert_eq!(report_copy_base(12, &r), "reports/0012-leak_dump_v2");
    }

    /// A chain built without a folder (as a server keeping entries in a database would)
    /// checks like the folder's, and breaks where it is changed.
    #[test]
    fn a_chain_checks_without_a_folder() {
        let r = fixture();
        let mut entries: Vec<CustodyEntry> = Vec::new();
        for (i, key) in [None, Some("ab".repeat(32)), Some("ab".repeat(32))]
            .into_iter()
            .enumerate()
        {
            let mut e = CustodyEntry {
                seq: i + 1,
                event: Event::verification(&r, "analyst"),
                files: Vec::new(),
                head_key: key,
                prev: entries
                    .last()
                    .map_or_else(|| GENESIS.to_owned(), |e| e.hash.clone()),
                hash: String::new(),
            };
            e.hash = e.chain_hash();
            entries.push(e);
        }
        assert_eq!(check_chain(&entries), Ok(Some("ab".repeat(32))));
        let mut altered = entries.clone();
        altered[1].event.verdict = "fabricated".into();
        assert_eq!(check_chain(&altered).map_err(|e| e.entry), Err(2));
        let removed = [entries[0].clone(), entries[2].clone()];
        assert_eq!(check_chain(&removed).map_err(|e| e.entry), Err(2));
        let mut dropped = entries.clone();
        dropped[2].head_key = None;
        dropped[2].hash = dropped[2].chain_hash();
        let e = check_chain(&dropped).expect_err("key dropped");
        assert!(e.entry == 3 && e.what.contains("head-signing key"), "{e}");
        // A folder's entries are the same chain.
        let d = tempfile::tempdir().expect("tempdir");
        for n in ["0001-a", "0002-b"] {
            add(d.path(), n, None).expect("append");
        }
        let kept = verify(d.path()).expect("intact");
        assert!(kept.iter().all(|e| e.chain_hash() == e.hash));
        assert_eq!(check_chain(&kept), Ok(None));
    }

    #[test]
    fn a_signed_head_needs_its_key() {
        let d = tempfile::tempdir().expect("tempdir");
        let seed = [5u8; 32];
        for n in ["0001-a", "0002-b"] {
            add(d.path(), n, Some(&seed)).expect("append");
        }
        assert!(check(d.path()).expect("ok").signed);
        // Truncated to entry 1 with a made-up unsigned head: refused.
        let log = d.path().join(LOG);
        let text = std::fs::read_to_string(&log).expect("log");
        let lines: Vec<&str> = text.lines().collect();
        let first: CustodyEntry = serde_json::from_str(lines[0]).expect("entry");
        let forged = serde_json::to_string(&HeadLine {
            head: Head {
                seq: 1,
                hash: first.hash,
                signature: None,
            },
        })
        .expect("json");
        std::fs::remove_file(d.path().join("reports/0002-b.json")).expect("rm");
        std::fs::write(&log, format!("{}\n{forged}\n", lines[0])).expect("write");
        assert!(matches!(verify(d.path()), Err(CustodyError::Head { .. })));
        // An append without the key is refused, and one with another key too.
        std::fs::write(&log, &text).expect("restore");
        std::fs::write(d.path().join("reports/0002-b.json"), "0002-b").expect("write");
        assert!(add(d.path(), "0003-c", None).is_err());
        assert!(add(d.path(), "0003-c", Some(&[6u8; 32])).is_err());
        add(d.path(), "0003-c", Some(&seed)).expect("with the key");
    }
}
