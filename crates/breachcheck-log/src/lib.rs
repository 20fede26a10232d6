//! The transparency log: an append-only Merkle log of typed, signed statements — index
//! commitments, verification statements, audit transcripts, public updates — that anyone
//! can check later without trusting whoever hosts it.
//!
//! Built on `tlog_tiles` (the Go checksum database's `tlog`, ported: RFC 6962/9162 leaf and
//! node hashing with domain separation, stored hashes, inclusion and consistency proofs)
//! and `signed_note` (C2SP signed notes, ed25519). A log is a directory:
//!
//! ```text
//! log.json          origin and the log's public verifier key
//! checkpoint        C2SP checkpoint (origin, size, root) as a signed note: the commit point
//! entries/NNNNNNNN.json  one entry per record: a statement and its ed25519 signature
//! hashes            the tree's stored hashes, 32 bytes each (for proofs)
//! ```
//!
//! A publication (`Log::publish`) adds, for people and feed readers, `index.html` (every
//! statement in plain language, newest first, under `#entry-N` anchors, with the commands
//! that check it; no script) and `feed.xml` (Atom 1.0). Both are made from
//! [`Statement::describe`] and are not part of what a client verifies.
//!
//! The directory is also the publication layout: any static web server can host it, and a
//! client recomputes the root from the entries, checks the checkpoint's signature against
//! the verifier key it pinned, and checks that an older checkpoint it kept is a prefix of
//! the new tree (a rewritten history is caught).
//!
//! Crash safety: an append writes the entry file (temporary file, fsync, rename:
//! `breachcheck_files::write_atomic`), then the stored hashes (appended, fsynced), then the
//! new checkpoint (atomically, the same way). The checkpoint alone says how large the log
//! is; leftovers of an append killed midway (temporary files, an entry file, hashes past
//! the checkpoint's size) are ignored by readers and removed by the next append, which
//! says so. Appends are serialized by the directory lock (`breachcheck_files::DirLock`).
//!
//! Integrity: the checkpoint is the only signed thing; everything else is recomputed
//! against it. [`verify_publication`] recomputes the stored hashes from the entries and
//! compares them with the `hashes` file hash by hash, naming the first that differs and
//! the entry it belongs to; an append first checks that the stored hashes it extends
//! reproduce the signed root and that the last entry is the one they hash, so it never
//! signs a root built on damage; proofs are checked against the checkpoint before they
//! are handed out.
#![forbid(unsafe_code)]

mod describe;
mod page;
mod statement;

pub use describe::{Check, Description, EntryAt, Fact};
pub use statement::SelfcheckFacts;

use breachcheck_core::{hex, unhex};
use serde::{Deserialize, Serialize};
use signed_note::{Note, Signer, StandardVerifier, VerifierList};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use tlog_tiles::tlog::{self, Hash, HashReader};
use tlog_tiles::Checkpoint;

/// Log errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("cannot access {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause (printed by the error chain, once).
        source: std::io::Error,
    },
    /// The directory is not a log (or not yet one).
    #[error("{0} is not a breachcheck log (no log.json); create one with `breachcheck log init`")]
    NotALog(PathBuf),
    /// `log init` on a directory that already holds a log.
    #[error("{0} already holds a log")]
    Exists(PathBuf),
    /// A checkpoint, key or proof is not what the format says.
    #[error("malformed {0}")]
    Malformed(&'static str),
    /// A file of the log is not what the format says.
    #[error("{file} is not a valid {what}: {why}")]
    BadFile {
        /// The file, as named in the log directory.
        file: String,
        /// What it should be.
        what: &'static str,
        /// What is wrong (no values: the parser's position or kind of error).
        why: String,
    },
    /// The checkpoint's signature does not verify under the given key.
    #[error("the checkpoint is not signed by the expected log key")]
    BadSignature,
    /// An entry's statement signature does not verify: the entry was changed.
    #[error("entry {entry} (entries/{file}) is not signed by the log key: it was changed after it was appended")]
    EntrySignature {
        /// Entry index (0-based).
        entry: u64,
        /// Its file name.
        file: String,
    },
    /// The stored hashes do not match the entries.
    #[error("the stored hashes (file hashes) differ from the entries from hash {index} on, written when entry {entry} was appended: the file was damaged; rebuild it from the entries or restore it")]
    Hashes {
        /// First differing hash (0-based).
        index: u64,
        /// The entry whose append wrote it.
        entry: u64,
    },
    /// `log append` found that the log it would extend does not reproduce its checkpoint.
    #[error("the log does not reproduce its signed checkpoint ({why}); nothing was appended: run `breachcheck log verify --from` on the log directory to find the damage")]
    Tail {
        /// What disagrees.
        why: String,
    },
    /// The entries do not hash to the checkpoint's root.
    #[error("the entries do not match the checkpoint: entry {0} or an earlier one was altered, added or removed")]
    RootMismatch(u64),
    /// An older checkpoint is not a prefix of the current tree.
    #[error("history rewritten: the log's first {size} entries no longer hash to the root of the checkpoint seen before")]
    HistoryRewritten {
        /// Size of the older checkpoint.
        size: u64,
    },
    /// An older checkpoint claims more entries than the current one.
    #[error("the log shrank: a checkpoint of {old} entries was seen before, now {new}")]
    Shrunk {
        /// Older size.
        old: u64,
        /// Current size.
        new: u64,
    },
    /// A proof does not verify.
    #[error("the proof does not verify against the checkpoint")]
    BadProof,
    /// An index or size outside the log.
    #[error("{0}")]
    OutOfRange(String),
    /// Writing, renaming or locking a file of the log failed.
    #[error(transparent)]
    Files(#[from] breachcheck_files::Error),
    /// A report to state is not one: not JSON, another schema, or a field missing.
    #[error(transparent)]
    NotAReport(breachcheck_report::Error),
    /// A published file could not be fetched.
    #[error("cannot fetch {name}: {why}")]
    Fetch {
        /// The file.
        name: String,
        /// Why.
        why: String,
    },
}

/// Results of this crate.
pub type Result<T> = std::result::Result<T, Error>;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_owned(),
        source,
    }
}

/// One record of a system snapshot an index commitment covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemHeld {
    /// System name.
    pub system: String,
    /// Snapshot date.
    pub snapshot: String,
    /// Records the snapshot held.
    pub records: u64,
}

/// What the log holds: typed statements with no personal data, only names of systems,
/// counts, dates and hashes (and the company's own public words in an update).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Statement {
    /// "On date D the company's systems held N records under commitment C."
    IndexCommitment {
        /// Date of the statement.
        date: String,
        /// Systems and snapshots covered.
        systems: Vec<SystemHeld>,
        /// Records in all.
        records: u64,
        /// The index commitment (RFC 6962 root over the segments).
        commitment: String,
        /// Public key of the audit OPRF, when one is published.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        oprf_public_key: Option<String>,
        /// Where the company reads phone numbers written without a country code (ISO
        /// alpha-2): what an auditor canonicalizes with.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        phone_regions: Option<Vec<String>>,
    },
    /// "The sample with SHA-256 H was verified: verdict V, N of M lines matched."
    Verification {
        /// Date of the statement.
        date: String,
        /// SHA-256 of the sample file.
        sample_sha256: String,
        /// Verdict class.
        verdict: String,
        /// Lines matching the company's records (genuine lines).
        matched_lines: u64,
        /// Lines read.
        lines: u64,
        /// SHA-256 of the report file.
        report_sha256: String,
        /// The index commitment the sample was checked against.
        commitment: String,
    },
    /// An audit transcript, by its hash.
    AuditTranscript {
        /// Date of the statement.
        date: String,
        /// SHA-256 of the signed transcript.
        transcript_sha256: String,
    },
    /// A public update in the company's words.
    Update {
        /// Date of the statement.
        date: String,
        /// The text.
        text: String,
    },
    /// "The company published a private self-check for claim NAME: public key P, entries
    /// root R." Logged so that a customer's client can hold the company to the one
    /// publication it made for a claim: a claim file served later with another key, salt
    /// or root is not the one stated here. Every field is public (hex, counts, names); the
    /// values themselves never reach the log. Build it with [`Statement::selfcheck_claim`]
    /// (this crate does not depend on `breachcheck-selfcheck`: the caller copies the
    /// fields of its `ClaimInfo`, hex-encoded).
    SelfcheckClaim {
        /// Date of the statement.
        date: String,
        /// The claim's name (as the self-check page and the claim file name it).
        claim: String,
        /// The claim's VOPRF public key (hex): every evaluation is proven against it.
        public_key: String,
        /// The publication's salt (hex).
        salt: String,
        /// Merkle root over the buckets (hex): a client checks its bucket against it.
        entries_root: String,
        /// Buckets are `0 .. 2^bucket_bits`.
        bucket_bits: u8,
        /// K: every bucket holds at least this many entries (dummies fill up).
        min_bucket: u64,
        /// Entries in all buckets, dummies included.
        entries: u64,
        /// SHA-256 of the leak sample the claim is about (hex).
        sample_sha256: String,
        /// The company's verdict on the sample, when it published one with the claim.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        verdict: Option<String>,
    },
    /// "The company withdrew the self-check for claim NAME": the claim's publication is no
    /// longer served (the claim entry stays in the log: the log only grows).
    SelfcheckWithdrawal {
        /// Date of the statement.
        date: String,
        /// The claim's name, as its [`Statement::SelfcheckClaim`] states it.
        claim: String,
        /// Why, in the company's words (no personal data: the log is public and permanent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

/// A log entry: a statement and the log key's ed25519 signature over its JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The statement.
    pub statement: Statement,
    /// Hex ed25519 signature over the statement's JSON bytes.
    pub signature: String,
}

/// The log's description, public.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Meta {
    origin: String,
    verifier_key: String,
}

/// The log's signing identity: an ed25519 key under the log's origin name.
pub struct LogKey {
    name: String,
    id: u32,
    key: ed25519_dalek::SigningKey,
}

impl LogKey {
    /// The key for `origin` from a 32-byte ed25519 seed (`breachcheck sign-key generate`).
    pub fn new(origin: &str, seed: &[u8; 32]) -> Result<Self> {
        if !signed_note::is_key_name_valid(origin) {
            return Err(Error::Malformed("log origin (no spaces or '+')"));
        }
        let key = ed25519_dalek::SigningKey::from_bytes(seed);
        let pubkey = [&[1u8][..], key.verifying_key().as_bytes()].concat();
        Ok(LogKey {
            name: origin.to_owned(),
            id: signed_note::key_id(origin, &pubkey),
            key,
        })
    }

    /// The public verifier key clients pin (C2SP note verifier key format).
    pub fn verifier_key(&self) -> String {
        signed_note::new_ed25519_verifier_key(&self.name, &self.key.verifying_key())
    }
}

impl Signer for LogKey {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        self.id
    }
    fn sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        use ed25519_dalek::Signer as _;
        Ok(self.key.sign(msg).to_bytes().to_vec())
    }
}

fn hash_hex(h: &Hash) -> String {
    hex(&h.0)
}

fn hash_unhex(s: &str) -> Option<Hash> {
    unhex::<32>(s).map(Hash)
}

/// Stored hashes held in memory, read for proofs and tree hashes.
struct Stored<'a>(&'a [Hash]);

impl HashReader for Stored<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> std::result::Result<Vec<Hash>, tlog::Error> {
        indexes
            .iter()
            .map(|i| {
                self.0
                    .get(usize::try_from(*i).map_err(|_| tlog::Error::IndexesNotInTree)?)
                    .copied()
                    .ok_or(tlog::Error::IndexesNotInTree)
            })
            .collect()
    }
}

/// A verified checkpoint: size and root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Head {
    /// The log's origin.
    pub origin: String,
    /// Entries in the tree.
    pub size: u64,
    /// Root hash (hex).
    pub root: String,
}

/// Proof that entry `index` is in the tree of `size` entries with root `root`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    /// Entry index (0-based).
    pub index: u64,
    /// Tree size the proof is for.
    pub size: u64,
    /// RFC 6962 leaf hash of the entry (hex).
    pub leaf_hash: String,
    /// Root of that tree (hex).
    pub root: String,
    /// Audit path (hex hashes).
    pub proof: Vec<String>,
}

/// Proof that the tree of `old_size` entries is a prefix of the tree of `size` entries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyProof {
    /// Older size.
    pub old_size: u64,
    /// Root at the older size (hex).
    pub old_root: String,
    /// Newer size.
    pub size: u64,
    /// Root at the newer size (hex).
    pub root: String,
    /// Proof (hex hashes).
    pub proof: Vec<String>,
}

/// Checks an inclusion proof (RFC 9162 §2.1.3.2).
pub fn check_inclusion(p: &InclusionProof) -> Result<()> {
    let proof: Vec<Hash> = p
        .proof
        .iter()
        .map(|h| hash_unhex(h).ok_or(Error::Malformed("proof hash")))
        .collect::<Result<_>>()?;
    let root = hash_unhex(&p.root).ok_or(Error::Malformed("root"))?;
    let leaf = hash_unhex(&p.leaf_hash).ok_or(Error::Malformed("leaf hash"))?;
    if p.index >= p.size {
        return Err(Error::BadProof);
    }
    tlog::check_record(&proof, p.size, root, p.index, leaf).map_err(|_| Error::BadProof)
}

/// Checks a consistency proof (RFC 9162 §2.1.4.2).
pub fn check_consistency(p: &ConsistencyProof) -> Result<()> {
    let proof: Vec<Hash> = p
        .proof
        .iter()
        .map(|h| hash_unhex(h).ok_or(Error::Malformed("proof hash")))
        .collect::<Result<_>>()?;
    let root = hash_unhex(&p.root).ok_or(Error::Malformed("root"))?;
    let old = hash_unhex(&p.old_root).ok_or(Error::Malformed("old root"))?;
    if p.old_size == 0 || p.old_size > p.size {
        return Err(Error::BadProof);
    }
    tlog::check_tree(&proof, p.size, root, p.old_size, old).map_err(|_| Error::BadProof)
}

/// RFC 6962 leaf hash of an entry's bytes (hex).
pub fn leaf_hash(entry_bytes: &[u8]) -> String {
    hash_hex(&tlog::record_hash(entry_bytes))
}

/// Opens a checkpoint note, checks its signature under `verifier_key`, parses it.
pub fn verify_checkpoint(note: &[u8], verifier_key: &str) -> Result<Head> {
    let verifier =
        StandardVerifier::new(verifier_key).map_err(|_| Error::Malformed("verifier key"))?;
    let n = Note::from_bytes(note).map_err(|_| Error::Malformed("checkpoint note"))?;
    n.verify(&VerifierList::new(vec![Box::new(verifier)]))
        .map_err(|_| Error::BadSignature)?;
    let c = Checkpoint::from_bytes(n.text()).map_err(|_| Error::Malformed("checkpoint"))?;
    Ok(Head {
        origin: c.origin().to_owned(),
        size: c.size(),
        root: hash_hex(c.hash()),
    })
}

/// The stored hashes of a tree whose records hash to `leaves`, computed from scratch.
fn stored_from_leaves(leaves: &[Hash]) -> Result<Vec<Hash>> {
    let mut stored: Vec<Hash> = Vec::new();
    for (n, leaf) in leaves.iter().enumerate() {
        let more = tlog::stored_hashes_for_record_hash(n as u64, *leaf, &Stored(&stored))
            .map_err(|_| Error::Malformed("tree"))?;
        stored.extend(more);
    }
    Ok(stored)
}

fn tree_root(size: u64, stored: &[Hash]) -> Result<Hash> {
    tlog::tree_hash(size, &Stored(stored)).map_err(|_| Error::Malformed("tree"))
}

fn entry_name(n: u64) -> String {
    format!("{n:08}.json")
}

/// Writes `name` in `dir` atomically (temporary file, fsync, rename).
fn store(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    Ok(breachcheck_files::write_atomic_in(dir, name, bytes)?)
}

/// What locks and messages call a log directory.
const DIR_KIND: &str = "transparency log";

/// An entry parsed from its bytes (errors name the entry).
fn parse_entry(n: u64, bytes: &[u8]) -> Result<Entry> {
    serde_json::from_slice(bytes).map_err(|e| Error::BadFile {
        file: format!("entries/{}", entry_name(n)),
        what: "log entry",
        why: e.to_string(),
    })
}

/// The entry whose append wrote stored hash `index`.
fn entry_of_hash(index: u64) -> u64 {
    // Entry n's append writes hashes stored_hash_count(n) .. stored_hash_count(n + 1).
    let (mut lo, mut hi) = (0u64, index + 1);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if tlog::stored_hash_count(mid + 1) <= index {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Compares stored hashes read from a file with those recomputed from the entries.
fn compare_hashes(file: &[u8], recomputed: &[Hash]) -> Result<()> {
    for (i, h) in recomputed.iter().enumerate() {
        let at = i * 32;
        if file.get(at..at + 32) != Some(&h.0[..]) {
            return Err(Error::Hashes {
                index: i as u64,
                entry: entry_of_hash(i as u64),
            });
        }
    }
    Ok(())
}

/// A log directory.
pub struct Log {
    dir: PathBuf,
    meta: Meta,
}

impl Log {
    /// Creates a log in `dir` (created if missing) signed by `key`, with an empty signed
    /// checkpoint.
    pub fn init(dir: &Path, key: &LogKey) -> Result<Log> {
        if dir.join("log.json").exists() {
            return Err(Error::Exists(dir.to_owned()));
        }
        fs::create_dir_all(dir.join("entries")).map_err(io(dir))?;
        let meta = Meta {
            origin: key.name.clone(),
            verifier_key: key.verifier_key(),
        };
        let log = Log {
            dir: dir.to_owned(),
            meta,
        };
        store(dir, "hashes", &[])?;
        log.write_checkpoint(0, tlog::EMPTY_HASH, key)?;
        let json =
            serde_json::to_vec_pretty(&log.meta).map_err(|_| Error::Malformed("log.json"))?;
        store(dir, "log.json", &json)?;
        Ok(log)
    }

    /// Opens the log in `dir`.
    pub fn open(dir: &Path) -> Result<Log> {
        let path = dir.join("log.json");
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NotALog(dir.to_owned()))
            }
            Err(e) => return Err(io(&path)(e)),
        };
        let meta: Meta = serde_json::from_slice(&bytes).map_err(|e| Error::BadFile {
            file: "log.json".into(),
            what: "log description",
            why: e.to_string(),
        })?;
        Ok(Log {
            dir: dir.to_owned(),
            meta,
        })
    }

    /// The verifier key clients pin.
    pub fn verifier_key(&self) -> &str {
        &self.meta.verifier_key
    }

    /// The current signed head, verified.
    pub fn head(&self) -> Result<Head> {
        verify_checkpoint(&self.checkpoint_note()?, &self.meta.verifier_key)
    }

    /// The checkpoint note's bytes (what a client keeps to catch a rewrite later).
    pub fn checkpoint_note(&self) -> Result<Vec<u8>> {
        let p = self.dir.join("checkpoint");
        fs::read(&p).map_err(io(&p))
    }

    fn write_checkpoint(&self, size: u64, root: Hash, key: &LogKey) -> Result<()> {
        let c = Checkpoint::new(&self.meta.origin, size, root, "")
            .map_err(|_| Error::Malformed("checkpoint"))?;
        let mut note =
            Note::new(&c.to_bytes(), &[]).map_err(|_| Error::Malformed("checkpoint note"))?;
        note.add_sigs(&[key])
            .map_err(|_| Error::Malformed("checkpoint signature"))?;
        store(&self.dir, "checkpoint", &note.to_bytes())
    }

    /// Stored hashes up to `size` entries (the file may hold more after a crash).
    fn stored(&self, size: u64) -> Result<Vec<Hash>> {
        let p = self.dir.join("hashes");
        let bytes = fs::read(&p).map_err(io(&p))?;
        let want = usize::try_from(tlog::stored_hash_count(size) * 32)
            .map_err(|_| Error::Malformed("hashes"))?;
        if bytes.len() < want {
            return Err(Error::Hashes {
                index: (bytes.len() / 32) as u64,
                entry: entry_of_hash((bytes.len() / 32) as u64),
            });
        }
        Ok(bytes[..want]
            .chunks_exact(32)
            .map(|c| Hash(c.try_into().unwrap_or([0; 32])))
            .collect())
    }

    /// The bytes of entry `n`.
    pub fn entry_bytes(&self, n: u64) -> Result<Vec<u8>> {
        let p = self.dir.join("entries").join(entry_name(n));
        fs::read(&p).map_err(io(&p))
    }

    /// Appends `statement`, signed by `key`; returns the new head. One append at a time
    /// (the directory lock refuses a second; a lock left by a killed append is taken
    /// over). Before signing anything it checks the tail it extends (see the crate docs).
    pub fn append(&self, statement: &Statement, key: &LogKey) -> Result<Head> {
        if key.verifier_key() != self.meta.verifier_key {
            return Err(Error::BadSignature);
        }
        let _lock = breachcheck_files::DirLock::acquire(&self.dir, DIR_KIND)?;
        self.append_locked(statement, key)
    }

    /// Files of the log directory that no checkpoint covers: temporary files and entries
    /// of an append that was killed (the next append removes them).
    pub fn leftovers(&self) -> Result<Vec<PathBuf>> {
        let n = self.head()?.size;
        let entries = self.dir.join("entries");
        let mut v = breachcheck_files::temp_files(&self.dir);
        v.extend(breachcheck_files::temp_files(&entries));
        if let Ok(list) = fs::read_dir(&entries) {
            let mut extra: Vec<PathBuf> = list
                .flatten()
                .filter(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    name.strip_suffix(".json")
                        .and_then(|d| d.parse::<u64>().ok())
                        .is_some_and(|i| i >= n)
                })
                .map(|e| e.path())
                .collect();
            extra.sort();
            v.extend(extra);
        }
        Ok(v)
    }

    /// Checks that the stored hashes of the first `n` entries reproduce `root` (the signed
    /// checkpoint's) and that the last entry is the one they hash: what an append extends
    /// and a proof is built from.
    fn check_tail(&self, n: u64, root: &str, stored: &[Hash]) -> Result<()> {
        let got = tree_root(n, stored)?;
        if hash_hex(&got) != root {
            return Err(Error::Tail {
                why: "the stored hashes give another root than the checkpoint".into(),
            });
        }
        if n > 0 {
            let last = tlog::record_hash(&self.entry_bytes(n - 1)?);
            let at = usize::try_from(tlog::stored_hash_index(0, n - 1))
                .map_err(|_| Error::Malformed("tree"))?;
            if stored.get(at) != Some(&last) {
                return Err(Error::Tail {
                    why: format!("entry {} is not the entry the stored hashes hash", n - 1),
                });
            }
        }
        Ok(())
    }

    fn append_locked(&self, statement: &Statement, key: &LogKey) -> Result<Head> {
        let head = self.head()?;
        let n = head.size;
        // Under the lock, temporary files and entries past the checkpoint are a killed
        // append's.
        let leftovers = self.leftovers()?;
        let removed: Vec<&PathBuf> = leftovers
            .iter()
            .filter(|p| fs::remove_file(p).is_ok())
            .collect();
        if !removed.is_empty() {
            tracing::warn!(
                "removed {} leftover file(s) of an interrupted append to {}",
                removed.len(),
                self.dir.display()
            );
        }
        let mut stored = self.stored(n)?;
        self.check_tail(n, &head.root, &stored)?;
        let hashes = self.dir.join("hashes");
        let f = OpenOptions::new()
            .write(true)
            .open(&hashes)
            .map_err(io(&hashes))?;
        f.set_len(stored.len() as u64 * 32).map_err(io(&hashes))?;
        let stmt = serde_json::to_vec(statement).map_err(|_| Error::Malformed("statement"))?;
        let signature = {
            use ed25519_dalek::Signer as _;
            hex(&key.key.sign(&stmt).to_bytes())
        };
        let entry = Entry {
            statement: statement.clone(),
            signature,
        };
        let bytes = serde_json::to_vec(&entry).map_err(|_| Error::Malformed("entry"))?;
        store(&self.dir.join("entries"), &entry_name(n), &bytes)?;
        let more = tlog::stored_hashes(n, &bytes, &Stored(&stored))
            .map_err(|_| Error::Malformed("tree"))?;
        let mut f = OpenOptions::new()
            .append(true)
            .open(&hashes)
            .map_err(io(&hashes))?;
        for h in &more {
            f.write_all(&h.0).map_err(io(&hashes))?;
        }
        f.sync_all().map_err(io(&hashes))?;
        stored.extend(more);
        if let Some(ms) = std::env::var_os("BREACHCHECK_TEST_APPEND_PAUSE_MS") {
            // Test hook: widen the window between the data and the commit point so a
            // crash test can kill the process inside it.
            let ms: u64 = ms.to_string_lossy().parse().unwrap_or(0);
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
        let root = tree_root(n + 1, &stored)?;
        self.write_checkpoint(n + 1, root, key)?;
        self.head()
    }

    /// The stored hashes of the signed head, checked to reproduce it.
    fn checked_stored(&self, head: &Head) -> Result<Vec<Hash>> {
        let stored = self.stored(head.size)?;
        self.check_tail(head.size, &head.root, &stored)?;
        Ok(stored)
    }

    /// Proof that entry `index` is in the tree of `size` entries (default: the current),
    /// checked before it is returned.
    pub fn prove_inclusion(&self, index: u64, size: Option<u64>) -> Result<InclusionProof> {
        let head = self.head()?;
        let size = size.unwrap_or(head.size);
        if size > head.size || index >= size {
            return Err(Error::OutOfRange(format!(
                "entry {index} of a tree of {size}: the log holds {} entries",
                head.size
            )));
        }
        let stored = self.checked_stored(&head)?;
        let proof = tlog::prove_record(size, index, &Stored(&stored))
            .map_err(|_| Error::Malformed("tree"))?;
        let p = InclusionProof {
            index,
            size,
            leaf_hash: leaf_hash(&self.entry_bytes(index)?),
            root: hash_hex(&tree_root(size, &stored)?),
            proof: proof.iter().map(hash_hex).collect(),
        };
        // A damaged entry or stored hash must not leave here as a proof that fails later.
        if check_inclusion(&p).is_err() {
            return Err(Error::Tail {
                why: format!("entry {index} does not match the stored hashes"),
            });
        }
        if size < head.size {
            let c = tlog::prove_tree(head.size, size, &Stored(&stored))
                .map_err(|_| Error::Malformed("tree"))?;
            let root = hash_unhex(&head.root).ok_or(Error::Malformed("root"))?;
            let old = hash_unhex(&p.root).ok_or(Error::Malformed("root"))?;
            if tlog::check_tree(&c, head.size, root, size, old).is_err() {
                return Err(Error::Tail {
                    why: format!("the tree of {size} entries is not a prefix of the signed one"),
                });
            }
        }
        Ok(p)
    }

    /// Proof that the tree of `old_size` entries is a prefix of the current one.
    pub fn prove_consistency(&self, old_size: u64) -> Result<ConsistencyProof> {
        let head = self.head()?;
        if old_size == 0 || old_size > head.size {
            return Err(Error::OutOfRange(format!(
                "size {old_size}: a consistency proof needs 1 to {} (every tree extends the empty one)",
                head.size
            )));
        }
        let stored = self.checked_stored(&head)?;
        let proof = tlog::prove_tree(head.size, old_size, &Stored(&stored))
            .map_err(|_| Error::Malformed("tree"))?;
        let p = ConsistencyProof {
            old_size,
            old_root: hash_hex(&tree_root(old_size, &stored)?),
            size: head.size,
            root: head.root,
            proof: proof.iter().map(hash_hex).collect(),
        };
        if check_consistency(&p).is_err() {
            return Err(Error::Tail {
                why: "the consistency proof built from the stored hashes does not verify".into(),
            });
        }
        Ok(p)
    }

    /// Copies the log's public files to `out` (a directory any web server can host):
    /// entries first, the checkpoint last, so a reader of `out` never sees a checkpoint
    /// ahead of its entries; then the human page `index.html` and the Atom feed
    /// `feed.xml` of the same entries, with relative links (see [`Log::publish_at`]).
    pub fn publish(&self, out: &Path) -> Result<Head> {
        self.publish_at(out, None)
    }

    /// [`Log::publish`], for a publication served at `base_url` (`https://…/`, ending in
    /// `/`): the page's and the feed's links become absolute and the check commands they
    /// print read the log from there. Without it they read `.`, the directory the reader
    /// runs them in. Every file is written atomically (temporary file, then rename), so a
    /// reader never sees half a page.
    pub fn publish_at(&self, out: &Path, base_url: Option<&str>) -> Result<Head> {
        // Damage is not published: the log is verified as a client would first.
        verify_publication(&DirPublication(self.dir.clone()), None, None)?;
        let head = self.head()?;
        fs::create_dir_all(out.join("entries")).map_err(io(out))?;
        let mut entries = Vec::new();
        for n in 0..head.size {
            let bytes = self.entry_bytes(n)?;
            store(&out.join("entries"), &entry_name(n), &bytes)?;
            entries.push((n, parse_entry(n, &bytes)?));
        }
        let stored = self.checked_stored(&head)?;
        let bytes: Vec<u8> = stored.iter().flat_map(|h| h.0).collect();
        store(out, "hashes", &bytes)?;
        let meta =
            serde_json::to_vec_pretty(&self.meta).map_err(|_| Error::Malformed("log.json"))?;
        store(out, "log.json", &meta)?;
        store(out, "checkpoint", &self.checkpoint_note()?)?;
        let pages = page::Pages {
            head: &head,
            verifier_key: &self.meta.verifier_key,
            base_url,
            entries: &entries,
        };
        store(out, "index.html", pages.html().as_bytes())?;
        store(out, "feed.xml", pages.atom().as_bytes())?;
        Ok(head)
    }
}

/// What verifying a published log found.
#[derive(Clone, Debug, Serialize)]
pub struct Verified {
    /// The published head.
    pub head: Head,
    /// Size of the older checkpoint checked as a prefix, if one was given.
    pub consistent_with: Option<u64>,
    /// Entries whose statement signature verified.
    pub entries: u64,
}

/// Where a published log is read from: a directory, or whatever a caller fetches (the
/// CLI reads HTTP(S) with this trait, keeping this crate free of a network stack).
pub trait Publication {
    /// The bytes of the published file `name` ("log.json", "checkpoint",
    /// "entries/00000000.json", "hashes").
    fn get(&self, name: &str) -> Result<Vec<u8>>;

    /// The bytes of `name`, refused beyond `max` bytes (what the checkpoint allows);
    /// `None` when the publication does not have the file.
    fn get_optional(&self, name: &str, max: u64) -> Result<Option<Vec<u8>>> {
        let _ = max;
        self.get(name).map(Some)
    }
}

/// A publication in a local directory (a mirror, or the log itself).
pub struct DirPublication(pub PathBuf);

impl Publication for DirPublication {
    fn get(&self, name: &str) -> Result<Vec<u8>> {
        let p = self.0.join(name);
        fs::read(&p).map_err(io(&p))
    }

    fn get_optional(&self, name: &str, _max: u64) -> Result<Option<Vec<u8>>> {
        let p = self.0.join(name);
        match fs::read(&p) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&p)(e)),
        }
    }
}

/// Verifies a published log in `dir` (see [`verify_publication`]).
pub fn verify_published(
    dir: &Path,
    verifier_key: Option<&str>,
    older: Option<&[u8]>,
) -> Result<Verified> {
    if !dir.join("log.json").exists() {
        return Err(Error::NotALog(dir.to_owned()));
    }
    verify_publication(&DirPublication(dir.to_owned()), verifier_key, older)
}

/// What an auditor pins from a log: the newest index commitment's root, OPRF public key
/// and phone regions.
pub type Pinned = (String, Option<String>, Option<Vec<String>>);

/// The newest index commitment statement among the first `size` entries of a publication
/// (call after [`verify_publication`] so the entries are known good): its commitment root,
/// OPRF public key and phone regions. An auditor pins these before an audit.
pub fn latest_index_commitment(src: &dyn Publication, size: u64) -> Result<Option<Pinned>> {
    for n in (0..size).rev() {
        let bytes = src.get(&format!("entries/{}", entry_name(n)))?;
        let entry = parse_entry(n, &bytes)?;
        if let Statement::IndexCommitment {
            commitment,
            oprf_public_key,
            phone_regions,
            ..
        } = entry.statement
        {
            return Ok(Some((commitment, oprf_public_key, phone_regions)));
        }
    }
    Ok(None)
}

/// Verifies a published log without trusting its host: the checkpoint's signature under
/// `verifier_key` (pinned by the client; the publication's own `log.json` when `None`),
/// every entry's statement signature, the stored hashes recomputed from the entries and
/// compared with the published `hashes` file (when there is one), the root recomputed
/// and compared with the checkpoint's, and, given an older checkpoint note the client
/// kept, that its tree is a prefix of the current one. Errors name the first bad entry
/// or file.
pub fn verify_publication(
    src: &dyn Publication,
    verifier_key: Option<&str>,
    older: Option<&[u8]>,
) -> Result<Verified> {
    verify_publication_keeping(src, verifier_key, older, None).map(|(v, _)| v)
}

/// [`verify_publication`], and entry `n` of the publication as it was verified (read
/// once: the entry returned is the very one whose hash went into the checked root, not a
/// second download of it). What `breachcheck log verify --entry N` prints.
pub fn verify_publication_entry(
    src: &dyn Publication,
    verifier_key: Option<&str>,
    older: Option<&[u8]>,
    n: u64,
) -> Result<(Verified, Entry, String)> {
    let (v, kept) = verify_publication_keeping(src, verifier_key, older, Some(n))?;
    match kept {
        Some((entry, leaf)) => Ok((v, entry, leaf)),
        None => Err(Error::OutOfRange(format!(
            "entry {n}: the published log holds {} entries",
            v.head.size
        ))),
    }
}

fn verify_publication_keeping(
    src: &dyn Publication,
    verifier_key: Option<&str>,
    older: Option<&[u8]>,
    keep: Option<u64>,
) -> Result<(Verified, Option<(Entry, String)>)> {
    let mut kept = None;
    let meta: Meta = serde_json::from_slice(&src.get("log.json")?).map_err(|e| Error::BadFile {
        file: "log.json".into(),
        what: "log description",
        why: e.to_string(),
    })?;
    let vkey = verifier_key.unwrap_or(&meta.verifier_key);
    let note = src.get("checkpoint")?;
    let head = verify_checkpoint(&note, vkey)?;
    // The same key signs the checkpoint and every statement.
    let verifier = StandardVerifier::new(vkey).map_err(|_| Error::Malformed("verifier key"))?;
    let mut leaves = Vec::new();
    for n in 0..head.size {
        let bytes = src.get(&format!("entries/{}", entry_name(n)))?;
        let entry = parse_entry(n, &bytes)?;
        let stmt =
            serde_json::to_vec(&entry.statement).map_err(|_| Error::Malformed("statement"))?;
        let signed = unhex::<64>(&entry.signature)
            .is_some_and(|sig| signed_note::Verifier::verify(&verifier, &stmt, &sig));
        if !signed {
            return Err(Error::EntrySignature {
                entry: n,
                file: entry_name(n),
            });
        }
        leaves.push(tlog::record_hash(&bytes));
        if keep == Some(n) {
            kept = Some((entry, leaf_hash(&bytes)));
        }
    }
    let stored = stored_from_leaves(&leaves)?;
    let want = tlog::stored_hash_count(head.size).saturating_mul(32);
    if let Some(file) = src.get_optional("hashes", want.saturating_add(1 << 20))? {
        compare_hashes(&file, &stored)?;
    }
    if hash_hex(&tree_root(head.size, &stored)?) != head.root {
        return Err(Error::RootMismatch(head.size.saturating_sub(1)));
    }
    let consistent_with = match older {
        None => None,
        Some(old) => {
            let old = verify_checkpoint(old, vkey)?;
            if old.size > head.size {
                return Err(Error::Shrunk {
                    old: old.size,
                    new: head.size,
                });
            }
            if hash_hex(&tree_root(old.size, &stored)?) != old.root {
                return Err(Error::HistoryRewritten { size: old.size });
            }
            Some(old.size)
        }
    };
    Ok((
        Verified {
            head,
            consistent_with,
            entries: leaves.len() as u64,
        },
        kept,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> LogKey {
        LogKey::new("log.breachcheck.example", &[9; 32]).expect("key")
    }

    fn update(i: usize) -> Statement {
        Statement::Update {
            date: "2026-11-27".into(),
            text: format!("update {i}"),
        }
    }

    #[test]
    fn rfc6962_known_roots() {
        // The Certificate Transparency test leaves and their tree heads (RFC 6962 §2.1
        // hashing), sizes 1, 2 and 8.
        let leaves: [&[u8]; 8] = [
            b"",
            b"\x00",
            b"\x10",
            b"\x20\x21",
            b"\x30\x31",
            b"\x40\x41\x42\x43",
            b"\x50\x51\x52\x53\x54\x55\x56\x57",
            b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
        ];
        let hashes: Vec<Hash> = leaves.iter().map(|l| tlog::record_hash(l)).collect();
        let stored = stored_from_leaves(&hashes).expect("tree");
        let root = |n| hash_hex(&tree_root(n, &stored).expect("root"));
        assert_eq!(
            root(1),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        assert_eq!(
            root(2),
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"
        );
        assert_eq!(
            root(8),
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
        );
        assert_eq!(
            hash_hex(&tree_root(0, &stored).expect("empty")),
            hash_hex(&tlog::EMPTY_HASH)
        );
    }

    #[test]
    fn append_prove_publish_verify() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("log");
        let k = key();
        let log = Log::init(&dir, &k).expect("init");
        assert_eq!(log.head().expect("head").size, 0);
        for i in 0..5 {
            log.append(&update(i), &k).expect("append");
        }
        let old = log.checkpoint_note().expect("note");
        for i in 5..9 {
            log.append(&update(i), &k).expect("append");
        }
        let head = log.head().expect("head");
        assert_eq!(head.size, 9);
        for i in 0..9 {
            let p = log.prove_inclusion(i, None).expect("proof");
            check_inclusion(&p).expect("verifies");
            let mut bad = p.clone();
            bad.leaf_hash = leaf_hash(b"something else");
            assert!(check_inclusion(&bad).is_err());
        }
        let c = log.prove_consistency(5).expect("consistency");
        check_consistency(&c).expect("verifies");
        let out = tmp.path().join("pub");
        log.publish(&out).expect("publish");
        let v = verify_published(&out, Some(log.verifier_key()), Some(&old)).expect("verify");
        assert_eq!((v.head.size, v.consistent_with), (9, Some(5)));
        // Another key's checkpoint is refused.
        let other = LogKey::new("log.breachcheck.example", &[8; 32]).expect("key");
        assert!(matches!(
            verify_published(&out, Some(&other.verifier_key()), None),
            Err(Error::BadSignature)
        ));
    }

    #[test]
    fn a_rewritten_history_is_caught() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("log");
        let k = key();
        let log = Log::init(&dir, &k).expect("init");
        for i in 0..4 {
            log.append(&update(i), &k).expect("append");
        }
        let seen = log.checkpoint_note().expect("note");
        // The operator rebuilds the log with entry 1 changed and one more entry, signing
        // with the real key: every signature checks, the old checkpoint does not.
        let forged_dir = tmp.path().join("forged");
        let forged = Log::init(&forged_dir, &k).expect("init");
        for i in 0..5 {
            let s = if i == 1 { update(99) } else { update(i) };
            forged.append(&s, &k).expect("append");
        }
        assert!(verify_published(&forged_dir, Some(log.verifier_key()), None).is_ok());
        assert!(matches!(
            verify_published(&forged_dir, Some(log.verifier_key()), Some(&seen)),
            Err(Error::HistoryRewritten { size: 4 })
        ));
        // Tampering with a published entry breaks its signature or the root.
        let out = tmp.path().join("pub");
        log.publish(&out).expect("publish");
        let e = out.join("entries").join(entry_name(2));
        let text = fs::read_to_string(&e)
            .expect("entry")
            .replace("update 2", "update 7");
        fs::write(&e, text).expect("write");
        assert!(verify_published(&out, Some(log.verifier_key()), None).is_err());
    }

    /// Damage is named where it is, and nothing is signed on top of it.
    #[test]
    fn damage_is_named_and_never_signed_over() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("log");
        let k = key();
        let log = Log::init(&dir, &k).expect("init");
        for i in 0..6 {
            log.append(&update(i), &k).expect("append");
        }
        let check = || verify_published(&dir, Some(log.verifier_key()), None);
        check().expect("whole");
        // The last stored hash flipped: verify names it; append and prove refuse.
        let hashes = dir.join("hashes");
        let clean = fs::read(&hashes).expect("hashes");
        let mut bad = clean.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        fs::write(&hashes, &bad).expect("write");
        let e = check().expect_err("damaged hashes");
        assert!(matches!(e, Error::Hashes { .. }), "{e}");
        assert!(matches!(
            log.append(&update(9), &k),
            Err(Error::Tail { .. })
        ));
        assert!(log.prove_inclusion(5, None).is_err());
        assert_eq!(log.head().expect("head").size, 6, "nothing was appended");
        fs::write(&hashes, &clean).expect("restore");
        // An entry changed: named by number, not blamed on the checkpoint's key.
        let e3 = dir.join("entries").join(entry_name(3));
        let text = fs::read_to_string(&e3).expect("entry");
        fs::write(&e3, text.replace("update 3", "update 8")).expect("write");
        let e = check().expect_err("changed entry");
        assert!(matches!(e, Error::EntrySignature { entry: 3, .. }), "{e}");
        assert!(e.to_string().contains("00000003.json"), "{e}");
        fs::write(&e3, &text).expect("restore");
        check().expect("whole again");
        // Leftovers of a killed append are listed, and removed by the next append.
        fs::write(dir.join("entries").join(entry_name(6)), b"half").expect("write");
        fs::write(dir.join(".checkpoint.4294967295-0a.bctmp"), b"x").expect("write");
        assert_eq!(log.leftovers().expect("leftovers").len(), 2);
        log.append(&update(6), &k).expect("append");
        assert!(log.leftovers().expect("leftovers").is_empty());
        check().expect("whole");
    }

    fn claim() -> Statement {
        Statement::selfcheck_claim(
            "2026-12-03".into(),
            SelfcheckFacts {
                claim: "acme-2026-11".into(),
                public_key: "ab".repeat(32),
                salt: "cd".repeat(16),
                entries_root: "ef".repeat(32),
                bucket_bits: 6,
                min_bucket: 64,
                entries: 4096,
                sample_sha256: "01".repeat(32),
            },
            Some("genuine".into()),
        )
    }

    /// One statement of every kind, in log order.
    fn every_kind() -> Vec<Statement> {
        vec![
            Statement::IndexCommitment {
                date: "2026-12-01".into(),
                systems: vec![SystemHeld {
                    system: "accounts".into(),
                    snapshot: "2026-11-30".into(),
                    records: 60,
                }],
                records: 60,
                commitment: "aa".repeat(32),
                oprf_public_key: Some("bb".repeat(32)),
                phone_regions: Some(vec!["DE".into(), "FR".into()]),
            },
            Statement::Verification {
                date: "2026-12-02".into(),
                sample_sha256: "cc".repeat(32),
                verdict: "genuine".into(),
                matched_lines: 58,
                lines: 60,
                report_sha256: "dd".repeat(32),
                commitment: "aa".repeat(32),
            },
            Statement::AuditTranscript {
                date: "2026-12-02".into(),
                transcript_sha256: "ee".repeat(32),
            },
            claim(),
            Statement::Update {
                date: "2026-12-04".into(),
                text: "We found <script>alert('x')</script> & \"nothing\" else.\u{0}".into(),
            },
            Statement::selfcheck_withdrawal(
                "2026-12-05".into(),
                "acme-2026-11".into(),
                Some("The claim was resolved.".into()),
            ),
        ]
    }

    /// The new kinds keep the JSON shapes other readers parse, and the existing kinds
    /// serialize byte for byte as before (their signatures depend on it).
    #[test]
    fn statement_json_shapes() {
        let json = |s: &Statement| serde_json::to_string(s).expect("json");
        let all = every_kind();
        assert_eq!(
            json(&all[2]),
            r#"{"type":"audit_transcript","date":"2026-12-02","transcript_sha256":"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"}"#
        );
        assert_eq!(
            json(&update(1)),
            r#"{"type":"update","date":"2026-11-27","text":"update 1"}"#
        );
        let c = json(&claim());
        assert!(c.starts_with(r#"{"type":"selfcheck_claim","date":"2026-12-03","claim":"acme-2026-11","public_key":"abab"#), "{c}");
        assert!(
            c.contains(r#""bucket_bits":6,"min_bucket":64,"entries":4096,"sample_sha256":"0101"#),
            "{c}"
        );
        assert!(c.ends_with(r#""verdict":"genuine"}"#), "{c}");
        let w = Statement::selfcheck_withdrawal("2026-12-05".into(), "x".into(), None);
        assert_eq!(
            json(&w),
            r#"{"type":"selfcheck_withdrawal","date":"2026-12-05","claim":"x"}"#
        );
        for s in &all {
            let back: Statement = serde_json::from_str(&json(s)).expect("parse");
            assert_eq!(&back, s);
        }
    }

    fn log_of(dir: &Path, statements: &[Statement]) -> Log {
        let k = key();
        let log = Log::init(dir, &k).expect("init");
        for s in statements {
            log.append(s, &k).expect("append");
        }
        log
    }

    /// Every kind is appended, signed, published and verified; a changed claim entry is
    /// caught like any other.
    #[test]
    fn new_kinds_are_signed_and_verified() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("log");
        let log = log_of(&dir, &every_kind());
        let out = tmp.path().join("pub");
        log.publish(&out).expect("publish");
        let (v, e, leaf) = verify_publication_entry(
            &DirPublication(out.clone()),
            Some(log.verifier_key()),
            None,
            3,
        )
        .expect("verify");
        assert_eq!((v.entries, &e.statement), (6, &claim()));
        assert_eq!(leaf, leaf_hash(&log.entry_bytes(3).expect("entry")));
        assert!(verify_publication_entry(&DirPublication(out.clone()), None, None, 6).is_err());
        let f = out.join("entries").join(entry_name(3));
        let text = fs::read_to_string(&f).expect("entry");
        fs::write(&f, text.replace("\"bucket_bits\":6", "\"bucket_bits\":7")).expect("write");
        assert!(matches!(
            verify_published(&out, Some(log.verifier_key()), None),
            Err(Error::EntrySignature { entry: 3, .. })
        ));
    }

    /// The page and the feed: every kind described, free text escaped, newest first,
    /// anchors and feed ids stable when the log grows and is published again, links
    /// absolute under a base URL, every file written whole (no temporary file left).
    #[test]
    fn page_and_feed() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("log");
        let all = every_kind();
        let log = log_of(&dir, &all[..5]);
        let out = tmp.path().join("pub");
        log.publish(&out).expect("publish");
        let html = fs::read_to_string(out.join("index.html")).expect("page");
        let feed = fs::read_to_string(out.join("feed.xml")).expect("feed");
        assert!(
            !html.contains("<script"),
            "no script, and the update's is escaped"
        );
        assert!(html
            .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;nothing&quot;"));
        assert!(!html.contains('\u{0}') && !feed.contains('\u{0}'));
        assert!(feed.contains("&lt;script&gt;"));
        for (kind, title) in [
            (
                "index_commitment",
                "Index commitment: 60 records in 1 system snapshot",
            ),
            (
                "verification",
                "Verification: genuine, 58 of 60 lines matched",
            ),
            ("audit_transcript", "Audit transcript"),
            (
                "selfcheck_claim",
                "Self-check published for claim acme-2026-11",
            ),
            ("update", "Public update"),
        ] {
            assert!(html.contains(&format!("data-kind=\"{kind}\"")), "{kind}");
            assert!(html.contains(title), "{title}");
            assert!(feed.contains(title), "{title}");
        }
        // Newest first, each with its anchor and its check command.
        let at = |s: &str, what: &str| s.find(what).unwrap_or_else(|| panic!("{what}"));
        for n in 1..5 {
            assert!(
                at(&html, &format!("id=\"entry-{n}\""))
                    < at(&html, &format!("id=\"entry-{}\"", n - 1))
            );
            assert!(
                at(&feed, &format!(":entry:{n}</id>"))
                    < at(&feed, &format!(":entry:{}</id>", n - 1))
            );
            assert!(html.contains(&format!("--entry {n}</code>")), "{n}");
        }
        assert!(html.contains("sha256sum --check"));
        assert!(html.contains("--from . --public-key"));
        assert!(html.contains("href=\"feed.xml\""));
        assert!(feed.contains("href=\"index.html#entry-4\""));
        assert!(feed.contains("<updated>2026-12-04T00:00:00Z</updated>"));
        // Republished with one more entry under a base URL: the old ids and anchors stay.
        log.append(&all[5], &key()).expect("append");
        log.publish_at(&out, Some("https://log.acme.example/"))
            .expect("publish");
        let html2 = fs::read_to_string(out.join("index.html")).expect("page");
        let feed2 = fs::read_to_string(out.join("feed.xml")).expect("feed");
        for n in 0..5 {
            let id = format!("<id>urn:breachcheck:log:log.breachcheck.example:entry:{n}</id>");
            assert!(feed.contains(&id) && feed2.contains(&id), "{id}");
            assert!(html2.contains(&format!("id=\"entry-{n}\"")));
        }
        assert!(html2.contains("Self-check withdrawn for claim acme-2026-11"));
        assert!(at(&html2, "id=\"entry-5\"") < at(&html2, "id=\"entry-4\""));
        assert!(feed2.contains("href=\"https://log.acme.example/index.html#entry-5\""));
        assert!(feed2.contains(
            "rel=\"self\" type=\"application/atom+xml\" href=\"https://log.acme.example/feed.xml\""
        ));
        assert!(html2.contains("--from https://log.acme.example/ --public-key"));
        assert!(breachcheck_files::temp_files(&out).is_empty());
        // The published log still verifies with the pages beside it.
        verify_published(&out, Some(log.verifier_key()), None).expect("verify");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]
        #[test]
        fn every_proof_of_a_random_tree_verifies_and_altered_ones_fail(n in 1u64..70, seed: u8) {
            let leaves: Vec<Hash> = (0..n).map(|i| tlog::record_hash(&[seed, i as u8, (i >> 8) as u8])).collect();
            let stored = stored_from_leaves(&leaves).expect("tree");
            let root = tree_root(n, &stored).expect("root");
            for i in 0..n {
                let proof = tlog::prove_record(n, i, &Stored(&stored)).expect("prove");
                proptest::prop_assert!(tlog::check_record(&proof, n, root, i, leaves[i as usize]).is_ok());
                if let Some(first) = proof.first() {
                    let mut bad = proof.clone();
                    bad[0] = tlog::node_hash(*first, *first);
                    proptest::prop_assert!(tlog::check_record(&bad, n, root, i, leaves[i as usize]).is_err());
                }
                let other = tlog::record_hash(b"not in the tree");
                proptest::prop_assert!(tlog::check_record(&proof, n, root, i, other).is_err());
            }
            for m in 1..=n {
                let old = tree_root(m, &stored).expect("old root");
                let proof = tlog::prove_tree(n, m, &Stored(&stored)).expect("prove");
                proptest::prop_assert!(tlog::check_tree(&proof, n, root, m, old).is_ok());
                if m > 0 && m < n {
                    let wrong = tlog::node_hash(old, old);
                    proptest::prop_assert!(tlog::check_tree(&proof, n, root, m, wrong).is_err());
                }
            }
        }
    }
}
