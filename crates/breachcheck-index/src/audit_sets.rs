//! Audit sets added to an index after the fact: the sets a build with `--audit` would have
//! made, attached to existing segments as a new commitment. Segments are immutable; only
//! the manifest changes (each segment's entry gains its set), so the index commits to the
//! same tags and, from now on, to the sets too.
use crate::build::{describe_files, sweep};
use crate::manifest::{write_atomic, AuditSetMeta, Manifest, SegmentKind, AUDIT_DIR, SEGMENT_DIR};
use crate::segment::{RecordRow, Segment};
use crate::{commitment::hex, io_err, Commitment, Error, Result, DIR_KIND};
use breachcheck_core::SecretKey;
use breachcheck_files::DirLock;
use sha2::Digest;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Adds audit sets to an index's segments, under the index lock.
#[derive(Debug)]
pub struct AuditSetWriter {
    dir: PathBuf,
    manifest: Manifest,
    _lock: DirLock,
}

impl AuditSetWriter {
    /// Locks the index at `dir`, checks its manifest and key, and removes leftovers of
    /// interrupted writers.
    pub fn open(dir: &Path, key: &SecretKey) -> Result<Self> {
        let lock = DirLock::acquire(dir, DIR_KIND)?;
        let manifest = Manifest::load(dir)?;
        if manifest.rules_version != breachcheck_core::RULES_VERSION {
            return Err(Error::RulesMismatch {
                index: manifest.rules_version,
                binary: breachcheck_core::RULES_VERSION,
            });
        }
        manifest.verify()?;
        if manifest.key_fingerprint != key.fingerprint() {
            return Err(Error::KeyMismatch {
                index: manifest.key_fingerprint,
                given: key.fingerprint(),
            });
        }
        let removed = sweep(dir, &manifest);
        if !removed.is_empty() {
            tracing::warn!(
                "removed {} leftover file(s) of an interrupted writer of {}: {}",
                removed.len(),
                dir.display(),
                describe_files(&removed)
            );
        }
        Ok(AuditSetWriter {
            dir: dir.to_owned(),
            manifest,
            _lock: lock,
        })
    }

    /// The manifest as it stands (with the sets added so far).
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Positions of the system segments that have no audit set yet.
    pub fn missing(&self) -> Vec<usize> {
        (0..self.manifest.segments.len())
            .filter(|&i| {
                let s = &self.manifest.segments[i];
                s.kind == SegmentKind::System && s.audit.is_none()
            })
            .collect()
    }

    /// The content digests of the records stored in segment `i`, with how often each
    /// occurs: a record re-read from the segment's sources belongs in its audit set when
    /// its digest is among them (the others were carried from an earlier snapshot, whose
    /// set holds them). Every chunk read is checked.
    pub fn stored_digests(&self, i: usize) -> Result<HashMap<u64, u32>> {
        let meta = &self.manifest.segments[i];
        let seg = Segment::open_committed(&self.dir.join(SEGMENT_DIR).join(&meta.file), meta)?;
        let mut digests: HashMap<u64, u32> = HashMap::new();
        for row in seg.rows() {
            *digests.entry(row.content_digest()).or_insert(0) += 1;
        }
        if let Some(e) = seg.damage() {
            return Err(e);
        }
        Ok(digests)
    }

    /// Writes `filter` as the audit set of segment `i` and records it (and, in the
    /// segment's recipe, that `index rekey` is to make it again).
    pub fn set(&mut self, i: usize, filter: &[u8], mut meta: AuditSetMeta) -> Result<()> {
        let seg = &mut self.manifest.segments[i];
        let audit_dir = self.dir.join(AUDIT_DIR);
        std::fs::create_dir_all(&audit_dir).map_err(io_err("cannot create", &audit_dir))?;
        meta.file = format!("{}.gcs", seg.file.trim_end_matches(".bcs"));
        meta.sha256 = hex(&sha2::Sha256::digest(filter));
        meta.bytes = filter.len() as u64;
        write_atomic(&audit_dir, &meta.file, filter)?;
        seg.audit = Some(meta);
        if let Some(r) = seg.recipe.as_mut() {
            r.set_audit();
        }
        Ok(())
    }

    /// Makes the sets live: the manifest, with its new commitment, replaces the old one.
    pub fn commit(mut self) -> Result<Commitment> {
        self.manifest.commitment =
            Commitment::compute(&self.manifest.segments, &self.manifest.key_fingerprint);
        self.manifest.store(&self.dir)?;
        Ok(self.manifest.commitment)
    }
}

impl RecordRow {
    /// The content digest of the row `rec` is stored as (what [`AuditSetWriter::stored_digests`]
    /// counts).
    pub fn digest_of(rec: &breachcheck_normalize::TaggedRecord) -> u64 {
        RecordRow::from_tagged(rec, 0).content_digest()
    }
}
