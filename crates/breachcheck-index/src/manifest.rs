//! The manifest: which segments are live, what they hold, and the commitment over them.
use crate::{io_err, Commitment, Error, Result};
use breachcheck_core::MatchField;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Format tag of the manifest; bump on incompatible changes. v3: segments of format v4 and
/// later (each segment's header says which; v5 packs postings and narrows check values),
/// and commitment leaves that bind every field of a segment's entry.
pub const MANIFEST_FORMAT: &str = "breachcheck.index/v3";
pub(crate) const MANIFEST_FILE: &str = "manifest.json";
pub(crate) const SEGMENT_DIR: &str = "segments";
/// Directory of audit set files.
pub const AUDIT_DIR: &str = "audit";

/// What a segment holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentKind {
    /// One snapshot of one internal system.
    System,
    /// Planted canary records (the segment's `system` says where they were planted).
    Canary,
    /// A reference corpus: a known earlier breach or public directory, indexed under the
    /// same key so that "these lines come from breach X" is a positive finding. Never
    /// evidence about the company's own systems (the segment's `system` is its name).
    Reference,
}

impl SegmentKind {
    /// The kind's name, as in the manifest, segment file names and commitment leaves.
    pub fn as_str(self) -> &'static str {
        match self {
            SegmentKind::System => "system",
            SegmentKind::Canary => "canary",
            SegmentKind::Reference => "reference",
        }
    }
}

/// An input file a segment was built from (name and hash only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceFile {
    /// File name without directories.
    pub name: String,
    /// SHA-256 of its bytes as read.
    pub sha256: String,
    /// Records indexed from it.
    pub rows: u64,
    /// Where it was read from (a path or a database URL without its password), so
    /// `index rekey` can read it again; absent for sources given as streams.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// One live segment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentMeta {
    /// File name under `segments/`.
    pub file: String,
    /// System name.
    pub system: String,
    /// Snapshot date `YYYY-MM-DD`.
    pub snapshot: String,
    /// System export or canaries.
    pub kind: SegmentKind,
    /// Records stored in the segment: for a system snapshot after the first, only those
    /// new or changed since the previous snapshot.
    pub records: u64,
    /// Records the system held at this snapshot (stored here or carried from earlier
    /// segments and not removed since).
    pub live: u64,
    /// Records of earlier snapshots this one no longer holds.
    pub removed: u64,
    /// Blocking postings in the segment.
    pub postings: u64,
    /// Size of the segment file in bytes.
    pub bytes: u64,
    /// Merkle root (SHA-256, RFC 6962 shape) over the segment's tables, hex.
    pub root: String,
    /// BLAKE3 checksum of the file, hex.
    pub checksum: String,
    /// Inputs it was built from.
    pub sources: Vec<SourceFile>,
    /// How the segment was built (column map, options), for `index rekey`; never values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipe: Option<crate::Recipe>,
    /// The segment's audit set (`index build --audit`), bound into the commitment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<AuditSetMeta>,
    /// How the snapshot's records are written (counts only), bound into the commitment.
    #[serde(default)]
    pub profile: SegmentProfile,
}

/// How a snapshot's records are written, as counts: which fields they have, in which
/// raw-form class each quirk-bearing field is written (`breachcheck_normalize::form`), and
/// which country calling codes their phone numbers have. Never a value. The verdict reads
/// it to weigh a reproduced raw form by how common that way of writing is, and verify to
/// read phone numbers without a country in the company's own regions. Counted over every
/// record of the snapshot (carried ones too), so a delta snapshot describes the whole
/// system at that date.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentProfile {
    /// Records counted.
    pub records: u64,
    /// Records having each field, by field name.
    pub fields: std::collections::BTreeMap<String, u64>,
    /// Per quirk-bearing field (by name), records per raw-form class (0: written as the
    /// canonical value).
    pub forms: std::collections::BTreeMap<String, std::collections::BTreeMap<u8, u64>>,
    /// Records per phone country calling code.
    pub phone_codes: std::collections::BTreeMap<u16, u64>,
}

/// A [`SegmentProfile`] being counted, record by record, in arrays: a build counts every
/// record, and the profile's maps, keyed by field names, cost a few percent of its CPU in
/// name comparisons and copies.
#[derive(Debug)]
pub(crate) struct ProfileCounts {
    records: u64,
    fields: [u64; MatchField::COUNT],
    forms: Vec<[u64; 256]>,
    /// Records per calling code below 1,000 (every code there is), by code.
    phone_codes: Vec<u64>,
    /// Any other code (none exists; kept rather than lost).
    other_codes: std::collections::BTreeMap<u16, u64>,
}

impl Default for ProfileCounts {
    fn default() -> Self {
        ProfileCounts {
            records: 0,
            fields: [0; MatchField::COUNT],
            forms: vec![[0; 256]; MatchField::COUNT],
            phone_codes: vec![0; 1000],
            other_codes: Default::default(),
        }
    }
}

impl ProfileCounts {
    /// Counts one record.
    pub(crate) fn add(&mut self, rec: &crate::Prepared) {
        self.records += 1;
        for f in MatchField::ALL {
            if rec.row.present & f.bit() != 0 {
                self.fields[f.index()] += 1;
            }
        }
        for (f, form) in rec.field_forms() {
            self.forms[f.index()][usize::from(form)] += 1;
        }
        if rec.phone_code != 0 {
            match self.phone_codes.get_mut(usize::from(rec.phone_code)) {
                Some(n) => *n += 1,
                None => *self.other_codes.entry(rec.phone_code).or_insert(0) += 1,
            }
        }
    }

    /// The profile counted: what counting each record into the maps gives.
    pub(crate) fn profile(&self) -> SegmentProfile {
        let name = |f: MatchField| f.as_str().to_owned();
        let mut codes = self.other_codes.clone();
        for (code, n) in self.phone_codes.iter().enumerate() {
            if let (Ok(code), true) = (u16::try_from(code), *n > 0) {
                codes.insert(code, *n);
            }
        }
        SegmentProfile {
            records: self.records,
            fields: MatchField::ALL
                .into_iter()
                .filter(|f| self.fields[f.index()] > 0)
                .map(|f| (name(f), self.fields[f.index()]))
                .collect(),
            forms: MatchField::ALL
                .into_iter()
                .filter_map(|f| {
                    let classes: std::collections::BTreeMap<u8, u64> = (0..=u8::MAX)
                        .filter_map(|c| {
                            let n = self.forms[f.index()][usize::from(c)];
                            (n > 0).then_some((c, n))
                        })
                        .collect();
                    (!classes.is_empty()).then(|| (name(f), classes))
                })
                .collect(),
            phone_codes: codes,
        }
    }
}

impl SegmentProfile {
    /// SHA-256 of the profile's JSON (maps in key order, so deterministic), hex: what the
    /// commitment binds.
    pub fn digest(&self) -> String {
        use sha2::Digest;
        let json = serde_json::to_vec(self).unwrap_or_default();
        breachcheck_core::hex(&sha2::Sha256::digest(&json))
    }

    /// Whether nothing was counted (an index built before profiles existed).
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }
}

/// An audit set: the OPRF evaluations of a segment's e-mails, phones and name+address
/// pairs in a set filter (`audit/<segment>.gcs`), made at index time so the company cannot
/// choose them after seeing a sample. Counts and digests only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSetMeta {
    /// File name under `audit/`.
    pub file: String,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// Size of the file in bytes.
    pub bytes: u64,
    /// OPRF suite (RFC 9497).
    pub suite: String,
    /// OPRF public key, hex.
    pub oprf_public_key: String,
    /// Distinct e-mail values evaluated.
    pub email: u64,
    /// Distinct phone values evaluated.
    pub phone: u64,
    /// Distinct name+address values evaluated.
    pub name_address: u64,
}

/// The index manifest (`manifest.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`MANIFEST_FORMAT`].
    pub format: String,
    /// Normalization rules the tags were made with.
    pub rules_version: u32,
    /// Fingerprint of the key the tags were made with (reveals nothing about the key).
    pub key_fingerprint: String,
    /// Live segments, in the order they were added.
    pub segments: Vec<SegmentMeta>,
    /// Commitment over all segments.
    pub commitment: Commitment,
}

impl Manifest {
    pub(crate) fn empty(key_fingerprint: String) -> Self {
        let commitment = Commitment::compute(&[], &key_fingerprint);
        Manifest {
            format: MANIFEST_FORMAT.into(),
            rules_version: breachcheck_core::RULES_VERSION,
            key_fingerprint,
            segments: Vec::new(),
            commitment,
        }
    }

    /// Loads `dir/manifest.json`.
    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join(MANIFEST_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NotAnIndex(dir.to_owned()))
            }
            Err(e) => return Err(io_err("cannot read", &path)(e)),
        };
        let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| Error::BadManifest {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        if m.format != MANIFEST_FORMAT {
            return Err(Error::BadManifest {
                path,
                reason: format!("format {:?}, this binary reads {MANIFEST_FORMAT}", m.format),
            });
        }
        Ok(m)
    }

    /// Loads `dir/manifest.json` as a reader must take it: written by this binary's rules
    /// and checked against its own commitment ([`Manifest::verify`]).
    pub fn load_checked(dir: &Path) -> Result<Self> {
        let manifest = Manifest::load(dir)?;
        if manifest.rules_version != breachcheck_core::RULES_VERSION {
            return Err(Error::RulesMismatch {
                index: manifest.rules_version,
                binary: breachcheck_core::RULES_VERSION,
            });
        }
        manifest.verify()?;
        Ok(manifest)
    }

    /// Fails unless the index was built with `key`.
    pub fn require_key(&self, key: &breachcheck_core::SecretKey) -> Result<()> {
        let given = key.fingerprint();
        if self.key_fingerprint != given {
            return Err(Error::KeyMismatch {
                index: self.key_fingerprint.clone(),
                given,
            });
        }
        Ok(())
    }

    /// Checks that the commitment the manifest states is the one its segment entries make:
    /// every field of an entry is bound into its commitment leaf (see
    /// [`crate::CommitmentLeaf`]), so an edited count, source, recipe or audit set fails
    /// here, before a reader states it.
    pub fn verify(&self) -> Result<()> {
        let recomputed = Commitment::compute(&self.segments, &self.key_fingerprint);
        if recomputed != self.commitment {
            return Err(Error::Corrupt {
                file: MANIFEST_FILE.into(),
                what: "its entries do not make up the commitment it states (a count, source, setting or audit set was changed)".into(),
            });
        }
        Ok(())
    }

    /// Writes the manifest atomically as `dir/manifest.json`: temporary file, fsync,
    /// rename, fsync of the directory. (An export carries a copy, so that a verify over
    /// its tables checks the same commitment.)
    pub fn store(&self, dir: &Path) -> Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(|e| Error::BadManifest {
            path: dir.join(MANIFEST_FILE),
            reason: e.to_string(),
        })?;
        write_atomic(dir, MANIFEST_FILE, &json)
    }

    /// Distinct system names, in first-seen order.
    pub fn systems(&self) -> Vec<&str> {
        let mut v: Vec<&str> = Vec::new();
        for s in &self.segments {
            if s.kind == SegmentKind::System && !v.contains(&s.system.as_str()) {
                v.push(&s.system);
            }
        }
        v
    }
}

/// Writes `name` in `dir` so that readers see either the old or the new content, never a
/// mix (`breachcheck_files::write_atomic_in`). Kept here for the crates that write next to
/// an index.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    Ok(breachcheck_files::write_atomic_in(dir, name, bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use breachcheck_core::{FieldRole, SecretKey, Tagger};
    use breachcheck_normalize::Normalizer;

    /// The profile a build counts in arrays is the one counting each record into the maps
    /// gives, with fields and forms absent from every record left out, and a calling code
    /// past the array's end (none exists) kept.
    #[test]
    fn a_profile_counted_in_arrays_is_the_one_counted_in_maps() {
        let key = SecretKey::from_bytes([9; 32]);
        let n = Normalizer::new(Tagger::new(&key), None);
        let roles = [
            FieldRole::Email,
            FieldRole::FullName,
            FieldRole::Phone,
            FieldRole::PostalCode,
            FieldRole::Country,
        ];
        let rows = [
            [
                "a@example.org",
                "Ann Lee",
                "+49 151 23456789",
                "10115",
                "DE",
            ],
            ["B@Example.org", "", "0151 23456789", "10 115", "DE"],
            ["", "Bo Li", "+1 (201) 555-0123", "", "US"],
            ["c@example.org", "Cy Ng", "", "", ""],
        ];
        let mut records: Vec<crate::Prepared> = rows
            .iter()
            .map(|r| crate::Prepared::from_tagged(&n.tag_record(&roles, r)))
            .collect();
        let mut odd = records[0].clone();
        odd.phone_code = 4321;
        records.push(odd);
        let mut counts = ProfileCounts::default();
        let mut want = SegmentProfile::default();
        for rec in &records {
            counts.add(rec);
            want.records += 1;
            for f in MatchField::ALL {
                if rec.row.present & f.bit() != 0 {
                    *want.fields.entry(f.as_str().to_owned()).or_insert(0) += 1;
                }
            }
            for (f, form) in rec.field_forms() {
                *want
                    .forms
                    .entry(f.as_str().to_owned())
                    .or_default()
                    .entry(form)
                    .or_insert(0) += 1;
            }
            if rec.phone_code != 0 {
                *want.phone_codes.entry(rec.phone_code).or_insert(0) += 1;
            }
        }
        assert!(want.forms.values().any(|classes| classes.len() > 1));
        assert_eq!(counts.profile(), want);
        assert_eq!(counts.profile().digest(), want.digest());
    }
}
