//! Statements made from what they state: an index's manifest, a report. The CLI and a
//! server build them here, so one report always gives the same statement, and a report
//! with a field missing gives none (it is parsed whole, never walked as untyped JSON).
use crate::{Error, Result, Statement, SystemHeld};
use breachcheck_core::EvidenceClass;
use breachcheck_index::{Manifest, SegmentKind};
use breachcheck_report::Report;

impl Statement {
    /// "On `date` the company's systems held these records under this commitment": every
    /// system segment of `manifest` (canaries and reference corpora are not the company's
    /// records), the audit OPRF key when every system segment carries an audit set made
    /// with one and the same key (an auditor pins it from here), and `phone_regions`, where
    /// the company reads phone numbers written without a country code
    /// (`breachcheck_pipeline::company_phone_region_codes`, passed in because the pipeline
    /// sits downstream of the log).
    pub fn index_commitment(
        manifest: &Manifest,
        date: String,
        phone_regions: Vec<String>,
    ) -> Statement {
        let system_segments = || {
            manifest
                .segments
                .iter()
                .filter(|s| s.kind == SegmentKind::System)
        };
        let mut keys =
            system_segments().map(|s| s.audit.as_ref().map(|a| a.oprf_public_key.clone()));
        let first = keys.next().flatten();
        let oprf_public_key = first.filter(|k| keys.all(|o| o.as_ref() == Some(k)));
        let systems = system_segments()
            .map(|s| SystemHeld {
                system: s.system.clone(),
                snapshot: s.snapshot.clone(),
                records: s.live,
            })
            .collect();
        Statement::IndexCommitment {
            date,
            systems,
            records: manifest.commitment.records,
            commitment: manifest.commitment.root.clone(),
            oprf_public_key,
            phone_regions: Some(phone_regions),
        }
    }

    /// "The sample with this SHA-256 was verified against this commitment: verdict V, N of
    /// M lines matched", from a report and the SHA-256 of its file's bytes. Matched lines
    /// are the genuine classes' lines (fuzzy record or stronger) plus the joined ones, as
    /// the verdict counts them.
    pub fn verification(report: &Report, report_sha256: String, date: String) -> Statement {
        let counts = &report.matches.by_evidence;
        let matched_lines = EvidenceClass::STRONGEST_FIRST
            .iter()
            .filter(|c| c.is_genuine())
            .map(|c| counts.count(*c))
            .sum::<u64>()
            + report.matches.joined;
        Statement::Verification {
            date,
            sample_sha256: report.sample.sha256.clone(),
            verdict: report.verdict.class.as_str().to_owned(),
            matched_lines,
            lines: report.sample.records_parsed,
            report_sha256,
            commitment: report.index.commitment.root.clone(),
        }
    }

    /// [`Statement::verification`] of a report file's bytes: the report is read whole (a
    /// missing field is [`Error::NotAReport`], never a blank in a signed statement) and its
    /// SHA-256 taken over the very bytes that were read.
    pub fn verification_of_json(report_json: &[u8], date: String) -> Result<Statement> {
        let report = Report::from_json(report_json).map_err(Error::NotAReport)?;
        let sha256 = breachcheck_report::custody::sha256_hex(report_json);
        Ok(Statement::verification(&report, sha256, date))
    }
}

/// What a self-check publication states about itself, as plain public fields (hex
/// strings and counts), so this crate needs nothing of `breachcheck-selfcheck`: the caller
/// copies them from its `ClaimInfo` (`public_key`, `salt` and `entries_root` hex-encoded
/// with `breachcheck_core::hex`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelfcheckFacts {
    /// The claim's name.
    pub claim: String,
    /// The claim's VOPRF public key (hex).
    pub public_key: String,
    /// The publication's salt (hex).
    pub salt: String,
    /// Merkle root over the buckets (hex).
    pub entries_root: String,
    /// Bucket bits.
    pub bucket_bits: u8,
    /// K, the smallest bucket.
    pub min_bucket: u64,
    /// Entries in all buckets, dummies included.
    pub entries: u64,
    /// SHA-256 of the leak sample the claim is about (hex).
    pub sample_sha256: String,
}

impl Statement {
    /// "On `date` the company published a private self-check for this claim", with the
    /// company's verdict on the sample when it states one.
    pub fn selfcheck_claim(date: String, facts: SelfcheckFacts, verdict: Option<String>) -> Self {
        let SelfcheckFacts {
            claim,
            public_key,
            salt,
            entries_root,
            bucket_bits,
            min_bucket,
            entries,
            sample_sha256,
        } = facts;
        Statement::SelfcheckClaim {
            date,
            claim,
            public_key,
            salt,
            entries_root,
            bucket_bits,
            min_bucket,
            entries,
            sample_sha256,
            verdict,
        }
    }

    /// "On `date` the company withdrew the self-check for `claim`", with its reason.
    pub fn selfcheck_withdrawal(date: String, claim: String, reason: Option<String>) -> Self {
        Statement::SelfcheckWithdrawal {
            date,
            claim,
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report written by `breachcheck verify` on generated data (the report crate's
    /// fixture: 60 records read, all copied, one line quarantined).
    const REPORT: &[u8] = include_bytes!("../../breachcheck-report/tests/fixtures/report-v1.json");

    #[test]
    fn a_report_states_its_sample_verdict_and_counts() {
        let s = Statement::verification_of_json(REPORT, "2026-12-05".into()).expect("statement");
        let Statement::Verification {
            sample_sha256,
            verdict,
            matched_lines,
            lines,
            report_sha256,
            commitment,
            ..
        } = s
        else {
            panic!("{s:?}")
        };
        assert_eq!(sample_sha256.len(), 64);
        assert_eq!(
            (verdict.as_str(), matched_lines, lines),
            ("genuine", 60, 60)
        );
        assert_eq!(
            report_sha256,
            breachcheck_report::custody::sha256_hex(REPORT)
        );
        assert_eq!(commitment.len(), 64);
    }

    #[test]
    fn a_report_without_its_sample_hash_states_nothing() {
        let text = std::str::from_utf8(REPORT).expect("utf-8");
        let stripped: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("\"sha256\""))
            .collect();
        let e = Statement::verification_of_json(stripped.join("\n").as_bytes(), "d".into())
            .expect_err("refused");
        assert!(matches!(e, Error::NotAReport(_)), "{e}");
    }
}
