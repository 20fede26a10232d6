//! The evidence report: `breachcheck.report/v1` JSON for machines and Markdown for people.
//!
//! A report holds counts, rates, line numbers, hashes and names of systems — never an
//! input value. The types here have no field that could carry one: column headers are
//! left out (a headerless file's first row is data), and quarantined lines appear by
//! number and reason only.
//!
//! ```
//! use breachcheck_report::EvidenceCounts;
//! let c = EvidenceCounts { canary: 0, internal_id: 1, quirk_full_record: 2, full_record: 3, fuzzy_record: 0, partial: 4, none: 5 };
//! assert_eq!(c.total(), 15);
//! ```
#![forbid(unsafe_code)]

pub mod custody;
mod html;
mod markdown;
pub mod reasons;
pub mod sign;

use breachcheck_core::{EvidenceClass, MatchField};
use breachcheck_index::{Commitment, Manifest, SegmentKind};
use breachcheck_ingest::{Column, Container, LineStats, Part, Quarantined};
use breachcheck_link::{Level, LinkageModel, Repetition, SystemPrior};
use breachcheck_verdict::{SegmentCount, Tally, Verdict};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

/// Schema name of the JSON report.
pub const SCHEMA: &str = "breachcheck.report/v1";
/// How many quarantined lines are listed individually (all are counted).
pub const QUARANTINE_LISTED: usize = 1000;

/// Report errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Writing failed (the operation and file are named; the OS error is the source).
    #[error(transparent)]
    Files(#[from] breachcheck_files::Error),
    /// Serialization failed (a bug: report types always serialize).
    #[error("cannot serialize report (bug, please report): {0}")]
    Json(#[from] serde_json::Error),
    /// A report that cannot be read back: not JSON, another schema, or a field missing or
    /// of the wrong type (serde's message names the field and the position, never a value
    /// of the sample: a report holds none).
    #[error("not a {SCHEMA} report: {0}")]
    NotAReport(#[source] serde_json::Error),
}

/// `&'static str` under another name, so serde's derive does not take the field for one
/// borrowed from the input (which would make `Report: Deserialize` need `'static` input);
/// [`schema_name`] reads it instead.
type StaticStr = &'static str;

/// Reads the `schema` field back as [`SCHEMA`] itself, refusing any other.
fn schema_name<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<&'static str, D::Error> {
    let name = Cow::<'de, str>::deserialize(d)?;
    if name == SCHEMA {
        Ok(SCHEMA)
    } else {
        Err(serde::de::Error::custom(format!(
            "schema {name:?}, expected {SCHEMA:?}"
        )))
    }
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Tool and rule versions.
///
/// The texts are `Cow`s, borrowed when this binary makes a report and owned when one is
/// read back (perhaps another version's), so a report parses and serializes again to the
/// same bytes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ToolInfo {
    /// Always "breachcheck".
    pub name: Cow<'static, str>,
    /// Tool version.
    pub version: Cow<'static, str>,
    /// Normalization rule version.
    pub rules_version: u32,
}

/// What was read from the sample.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SampleSection {
    /// SHA-256 of the sample file as received.
    pub sha256: String,
    /// File name without directories.
    pub file_name: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Outer container of the file.
    pub container: Container,
    /// Parts read (the file, archive members, or SQL tables) with their layouts.
    pub parts: Vec<Part>,
    /// Physical lines.
    pub lines_total: u64,
    /// Records read.
    pub records_parsed: u64,
    /// Lines quarantined.
    pub quarantined: u64,
    /// Header lines.
    pub header_lines: u64,
    /// Blank lines.
    pub blank_lines: u64,
    /// Extra lines of multi-line records.
    pub continuation_lines: u64,
    /// Records with a cell repaired from mojibake.
    pub mojibake_repaired: u64,
    /// Quarantined lines by number and reason (first [`QUARANTINE_LISTED`]).
    pub quarantine: Vec<Quarantined>,
    /// Quarantined lines by reason.
    pub quarantine_by_reason: BTreeMap<String, u64>,
}

impl SampleSection {
    /// Assembles the section.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        sha256: String,
        file_name: String,
        bytes: u64,
        container: Container,
        parts: Vec<Part>,
        stats: LineStats,
        quarantine: Vec<Quarantined>,
        quarantine_by_reason: BTreeMap<String, u64>,
    ) -> Self {
        SampleSection {
            sha256,
            file_name,
            bytes,
            container,
            parts,
            lines_total: stats.lines_total,
            records_parsed: stats.records,
            quarantined: stats.quarantined,
            header_lines: stats.header_lines,
            blank_lines: stats.blank_lines,
            continuation_lines: stats.continuation_lines,
            mojibake_repaired: stats.mojibake_repaired,
            quarantine,
            quarantine_by_reason,
        }
    }

    /// Columns of every part, with the part's index.
    pub fn columns(&self) -> impl Iterator<Item = (u32, &Column)> {
        self.parts
            .iter()
            .flat_map(|p| p.layout.columns.iter().map(move |c| (p.index, c)))
    }
}

/// One system in the index.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SystemSummary {
    /// Name.
    pub name: String,
    /// Snapshot dates, ascending.
    pub snapshots: Vec<String>,
}

/// The index the sample was checked against.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct IndexSection {
    /// Commitment (publishable).
    pub commitment: Commitment,
    /// Key fingerprint.
    pub key_fingerprint: String,
    /// Rule version.
    pub rules_version: u32,
    /// Systems and their snapshots.
    pub systems: Vec<SystemSummary>,
}

impl IndexSection {
    /// Summarizes a manifest.
    pub fn from_manifest(m: &Manifest) -> Self {
        let systems = m
            .systems()
            .into_iter()
            .map(|name| {
                let mut snapshots: Vec<String> = m
                    .segments
                    .iter()
                    .filter(|s| s.kind == SegmentKind::System && s.system == name)
                    .map(|s| s.snapshot.clone())
                    .collect();
                snapshots.sort();
                SystemSummary {
                    name: name.to_owned(),
                    snapshots,
                }
            })
            .collect();
        IndexSection {
            commitment: m.commitment.clone(),
            key_fingerprint: m.key_fingerprint.clone(),
            rules_version: m.rules_version,
            systems,
        }
    }
}

/// Lines per evidence class (the contract's `matches.by_evidence`).
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct EvidenceCounts {
    /// Canary matches.
    pub canary: u64,
    /// Internal identifier matches.
    pub internal_id: u64,
    /// Full-record matches reproducing a stored quirk.
    pub quirk_full_record: u64,
    /// Full-record matches after normalization.
    pub full_record: u64,
    /// Records the linkage model matches though some fields differ (seller noise).
    pub fuzzy_record: u64,
    /// Some fields match one record.
    pub partial: u64,
    /// Nothing matches.
    pub none: u64,
}

impl EvidenceCounts {
    /// From a tally.
    pub fn from_tally(t: &Tally) -> Self {
        EvidenceCounts {
            canary: t.count(EvidenceClass::Canary),
            internal_id: t.count(EvidenceClass::InternalId),
            quirk_full_record: t.count(EvidenceClass::QuirkFullRecord),
            full_record: t.count(EvidenceClass::FullRecord),
            fuzzy_record: t.count(EvidenceClass::FuzzyRecord),
            partial: t.count(EvidenceClass::Partial),
            none: t.count(EvidenceClass::None),
        }
    }

    /// Lines of one class.
    pub fn count(&self, class: EvidenceClass) -> u64 {
        match class {
            EvidenceClass::Canary => self.canary,
            EvidenceClass::InternalId => self.internal_id,
            EvidenceClass::QuirkFullRecord => self.quirk_full_record,
            EvidenceClass::FullRecord => self.full_record,
            EvidenceClass::FuzzyRecord => self.fuzzy_record,
            EvidenceClass::Partial => self.partial,
            EvidenceClass::None => self.none,
        }
    }

    /// (class name, lines), strongest class first: the order every rendering lists them in.
    pub fn by_class(&self) -> [(&'static str, u64); 7] {
        [
            ("canary", self.canary),
            ("internal_id", self.internal_id),
            ("quirk_full_record", self.quirk_full_record),
            ("full_record", self.full_record),
            ("fuzzy_record", self.fuzzy_record),
            ("partial", self.partial),
            ("none", self.none),
        ]
    }

    /// Sum over classes (equals the records parsed).
    pub fn total(&self) -> u64 {
        self.by_class().iter().map(|(_, n)| n).sum::<u64>()
    }
}

/// Genuine lines whose matching records were present from `first_seen` to `last_seen`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Presence {
    /// System.
    pub system: String,
    /// First snapshot the records were present in.
    pub first_seen: String,
    /// Last snapshot the records were present in.
    pub last_seen: String,
    /// Lines.
    pub lines: u64,
}

/// Agreement on one field.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct FieldAgreement {
    /// Lines that have the field.
    pub present: u64,
    /// Lines whose best candidate agrees on it.
    pub agree: u64,
    /// agree / present.
    pub rate: f64,
}

/// What matched.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MatchesSection {
    /// Lines per evidence class.
    pub by_evidence: EvidenceCounts,
    /// Lines that match no single record whole but agree on every field with several
    /// records of the same person (internal tables joined); counted as genuine, and in
    /// `by_evidence` under the class their best single record reaches.
    pub joined: u64,
    /// Per segment (system, snapshot): lines matching there.
    pub by_segment: Vec<SegmentCount>,
    /// Genuine lines by the snapshots their records were present in (first seen, last seen).
    pub presence: Vec<Presence>,
    /// Per field agreement with the best candidate.
    pub field_agreement: BTreeMap<Cow<'static, str>, FieldAgreement>,
    /// Lines whose e-mail, phone, and name and address together a company record holds
    /// exactly: the counts a third-party audit (`breachcheck audit`) reproduces without
    /// the key (it counts distinct values, so the two agree when the lines do not repeat).
    pub exact_values: ExactValues,
    /// Best-candidate score histogram (bucket lower bound → lines).
    pub score_histogram: BTreeMap<i64, u64>,
    /// The linkage model the scores come from (absent when nothing was probed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linkage: Option<Linkage>,
    /// Redacted shapes of a few lines per evidence class; only when the user asked
    /// (`verify --redacted-examples N`), never by default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redacted_examples: Vec<RedactedExample>,
}

/// Exact agreement with a company record on the fields an audit counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExactValues {
    /// Lines agreeing on the e-mail.
    pub email: u64,
    /// Lines agreeing on the phone.
    pub phone: u64,
    /// Lines agreeing on name and address.
    pub name_address: u64,
}

/// One sample line shown as redacted shapes ("j***@g****.com").
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RedactedExample {
    /// Physical line in the sample.
    pub line: u64,
    /// The line's evidence class.
    pub evidence: EvidenceClass,
    /// Its cells' shapes, by role.
    pub cells: Vec<RedactedCell>,
}

/// One cell's redacted shape.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RedactedCell {
    /// The column's role.
    pub role: Cow<'static, str>,
    /// The shape.
    pub shape: String,
}

/// The Fellegi–Sunter model as estimated for this sample: what each agreement level of
/// each field weighs, so a reader can redo any line's score.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Linkage {
    /// "fellegi_sunter".
    pub model: Cow<'static, str>,
    /// How m, u and the share were obtained.
    pub method: Cow<'static, str>,
    /// Per system: its records and the share of sample lines whose person it holds (EM
    /// estimate), the prior behind every posterior.
    pub systems: Vec<SystemPrior>,
    /// Probability that blocking finds a held person's record.
    pub blocking_recall: f64,
    /// Random pairs behind u.
    pub random_pairs: u64,
    /// Candidate pairs behind m and the share.
    pub candidate_pairs: u64,
    /// EM iterations, and whether it converged.
    pub iterations: u32,
    /// Whether EM converged.
    pub converged: bool,
    /// Posterior a fuzzy match must reach.
    pub fuzzy_posterior: f64,
    /// Per field, per level: m, u and the weight log2(m/u).
    pub fields: BTreeMap<Cow<'static, str>, BTreeMap<Cow<'static, str>, LevelWeight>>,
}

/// One agreement level of one field.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct LevelWeight {
    /// P(level | same person).
    pub m: f64,
    /// P(level | unrelated).
    pub u: f64,
    /// log2(m/u).
    pub weight: f64,
}

impl Linkage {
    /// From a fitted model, listing the fields the sample carries.
    pub fn new(model: &LinkageModel, present: impl Fn(MatchField) -> bool) -> Self {
        let fields = MatchField::ALL
            .into_iter()
            .filter(|f| present(*f))
            .map(|f| {
                let levels = Level::ALL[1..]
                    .iter()
                    .filter(|l| model.m[f.index()][l.index()] > 0.0)
                    .map(|l| {
                        let (m, u) = (model.m[f.index()][l.index()], model.u[f.index()][l.index()]);
                        (
                            Cow::Borrowed(l.as_str()),
                            LevelWeight {
                                m,
                                u,
                                weight: model.weight(f, *l),
                            },
                        )
                    })
                    .collect();
                (Cow::Borrowed(f.as_str()), levels)
            })
            .collect();
        Linkage {
            model: Cow::Borrowed("fellegi_sunter"),
            method: Cow::Borrowed("u from random pairs of sample lines; m and each system's share of held lines by EM over candidate pairs; a candidate's posterior weighs its likelihood ratio against the system's records, the line's other candidates and not being held"),
            systems: model.systems.clone(),
            blocking_recall: breachcheck_link::BLOCKING_RECALL,
            random_pairs: model.fit.random_pairs,
            candidate_pairs: model.fit.candidate_pairs,
            iterations: model.fit.iterations,
            converged: model.fit.converged,
            fuzzy_posterior: breachcheck_link::FUZZY_POSTERIOR,
            fields,
        }
    }
}

/// Data-quality signals.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Signals {
    /// Lines with a phone number impossible for its region.
    pub phone_invalid: u64,
    /// Lines with an e-mail that has no registrable domain.
    pub email_invalid: u64,
    /// Lines with an impossible date of birth.
    pub birth_date_invalid: u64,
    /// Lines with an e-mail at a reserved (example/test) domain.
    pub email_reserved: u64,
    /// Lines with an e-mail at a disposable-mail provider.
    pub email_disposable: u64,
    /// Lines with a postal code that does not fit its country's format.
    pub postal_code_invalid: u64,
    /// Lines with no usable field.
    pub empty_records: u64,
    /// Lines repeating an earlier line field for field.
    pub duplicate_records: u64,
    /// Per field, how often the sample's values repeat between lines next to how often the
    /// company's records' do (a generator's short lists show here).
    pub repetition: Vec<Repetition>,
}

/// The whole report.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    /// Always [`SCHEMA`]: a report of another schema is refused when read back.
    #[serde(deserialize_with = "schema_name")]
    pub schema: StaticStr,
    /// Versions.
    pub tool: ToolInfo,
    /// When the report was made (UTC, RFC 3339).
    pub generated_at: String,
    /// The sample.
    pub sample: SampleSection,
    /// The index.
    pub index: IndexSection,
    /// Matches.
    pub matches: MatchesSection,
    /// Signals.
    pub signals: Signals,
    /// The verdict.
    pub verdict: Verdict,
}

impl Report {
    /// Assembles a report from its parts.
    pub fn new(
        generated_at: String,
        sample: SampleSection,
        manifest: &Manifest,
        tally: &Tally,
    ) -> Self {
        let field_agreement = MatchField::ALL
            .into_iter()
            .filter(|f| tally.field_present[f.index()] > 0)
            .map(|f| {
                let present = tally.field_present[f.index()];
                let agree = tally.field_agree[f.index()];
                (
                    Cow::Borrowed(f.as_str()),
                    FieldAgreement {
                        present,
                        agree,
                        rate: agree as f64 / present as f64,
                    },
                )
            })
            .collect();
        Report {
            schema: SCHEMA,
            tool: ToolInfo {
                name: Cow::Borrowed("breachcheck"),
                version: Cow::Borrowed(breachcheck_core::TOOL_VERSION),
                rules_version: breachcheck_core::RULES_VERSION,
            },
            generated_at,
            sample,
            index: IndexSection::from_manifest(manifest),
            matches: MatchesSection {
                by_evidence: EvidenceCounts::from_tally(tally),
                joined: tally.joined,
                by_segment: tally.segments.clone(),
                presence: tally
                    .presence
                    .iter()
                    .map(|((system, first, last), n)| Presence {
                        system: system.clone(),
                        first_seen: first.clone(),
                        last_seen: last.clone(),
                        lines: *n,
                    })
                    .collect(),
                field_agreement,
                exact_values: ExactValues {
                    email: tally.exact_values[0],
                    phone: tally.exact_values[1],
                    name_address: tally.exact_values[2],
                },
                score_histogram: tally.score_histogram.clone(),
                linkage: None,
                redacted_examples: Vec::new(),
            },
            signals: Signals {
                phone_invalid: tally.phone_invalid,
                email_invalid: tally.email_invalid,
                birth_date_invalid: tally.birth_date_invalid,
                email_reserved: tally.email_reserved,
                email_disposable: tally.email_disposable,
                postal_code_invalid: tally.postal_code_invalid,
                empty_records: tally.empty,
                duplicate_records: tally.duplicates,
                repetition: tally.repetition.clone(),
            },
            verdict: {
                let mut v = tally.verdict();
                v.reasons = v.findings.iter().map(reasons::render).collect();
                v
            },
        }
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> Result<String> {
        Ok(serde_json::to_string_pretty(self)?)
    }

    /// Reads a report back from its JSON bytes. Every field is required (but `linkage` and
    /// `redacted_examples`, which a report leaves out when empty), so a report with a field
    /// missing is refused here instead of being read as an empty hash or a zero count;
    /// `to_json` of the result gives back the same bytes.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        serde_json::from_slice(bytes).map_err(Error::NotAReport)
    }

    /// Markdown for people: verdict first, then evidence, reasons, next steps, details.
    pub fn to_markdown(&self) -> String {
        markdown::render(self)
    }

    /// A self-contained HTML page (no script, no external request; charts as inline SVG)
    /// that reads well printed: verdict, reasons, evidence classes, field agreement, score
    /// distribution, snapshot timeline, validity rates, custody.
    pub fn to_html(&self) -> String {
        html::render(self)
    }
}

/// A report in every form a verification writes: JSON, Markdown, HTML and, when a signing
/// seed is given, the JSON's detached signature. `verify` and the server's jobs both write
/// these, so they render them in one place.
#[derive(Clone, Debug)]
pub struct Rendered {
    /// `breachcheck.report/v1` JSON.
    pub json: String,
    /// Markdown.
    pub markdown: String,
    /// Self-contained HTML.
    pub html: String,
    /// The signature of `json` (pretty JSON), when signed.
    pub signature: Option<String>,
}

impl Rendered {
    /// Renders `report`, signing its JSON with `seed` (an ed25519 seed) when given.
    pub fn new(report: &Report, seed: Option<&[u8; 32]>) -> Result<Self> {
        let json = report.to_json()?;
        let signature = seed
            .map(|seed| serde_json::to_string_pretty(&sign::sign(seed, json.as_bytes())))
            .transpose()?;
        Ok(Rendered {
            markdown: report.to_markdown(),
            html: report.to_html(),
            json,
            signature,
        })
    }
}

/// Writes `bytes` to `path` atomically (temporary file beside it, then rename), so a
/// reader never sees half a report (`breachcheck_files::write_atomic`).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    Ok(breachcheck_files::write_atomic(path, bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report written by `breachcheck verify --redacted-examples 2` on generated data
    /// (synthetic names and numbers, one quarantined line): a report of this format.
    const FIXTURE: &[u8] = include_bytes!("../tests/fixtures/report-v1.json");

    #[test]
    fn a_written_report_reads_back_to_the_same_bytes() {
        let r = Report::from_json(FIXTURE).expect("reads");
        assert_eq!(r.to_json().expect("json").as_bytes(), FIXTURE);
        assert_eq!(r.sample.quarantine.len(), 1);
        assert!(r.matches.linkage.is_some() && r.verdict.sources.is_some());
    }

    #[test]
    fn a_missing_field_or_another_schema_is_refused() {
        let text = std::str::from_utf8(FIXTURE).expect("utf-8");
        let without_hash: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("\"sha256\""))
            .collect::<Vec<_>>()
            .join("\n");
        let e = Report::from_json(without_hash.as_bytes()).expect_err("no sample hash");
        assert!(matches!(e, Error::NotAReport(_)) && e.to_string().contains("sha256"));
        let other = text.replacen(SCHEMA, "breachcheck.report/v0", 1);
        assert!(Report::from_json(other.as_bytes()).is_err());
    }
}
