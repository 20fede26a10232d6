//! Statements in plain language: a title, a few sentences, the facts, and the exact shell
//! commands that check them. The published page and feed (`page`) and the server's
//! self-check page render the same [`Description`], so a statement reads the same
//! everywhere. Nothing here is HTML: callers escape for their own format.
use crate::Statement;

/// Where a statement sits: what its check commands need to name.
#[derive(Clone, Copy, Debug)]
pub struct EntryAt<'a> {
    /// The entry's number in the log (0-based).
    pub entry: u64,
    /// Where the published log is read from, as `breachcheck log verify --from` takes it:
    /// an `https://` URL, or a directory (`.` for "the directory this page is in").
    pub from: &'a str,
    /// The log's verifier key, which a reader pins (`breachcheck log head` prints it).
    pub verifier_key: &'a str,
}

/// One fact of a statement: a label and its value, both plain text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fact {
    /// What the value is ("Sample SHA-256").
    pub label: &'static str,
    /// The value.
    pub value: String,
}

/// One way to check a statement: what it shows, and the shell command that shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// What running the command establishes, in a sentence.
    pub what: String,
    /// The command, quoted for a POSIX shell; words in `<angle brackets>` are the reader's
    /// own files or addresses.
    pub command: String,
}

/// A statement in plain language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Description {
    /// The statement's kind, as its JSON `type` names it ("index_commitment").
    pub kind: &'static str,
    /// A short title ("Verification: genuine, 60 of 60 lines matched").
    pub title: String,
    /// The statement's date, as stated.
    pub date: String,
    /// A few sentences saying what the company stated.
    pub summary: String,
    /// The stated values, labelled.
    pub facts: Vec<Fact>,
    /// How to check it; the first always checks that the statement is entry `N` of the
    /// log signed by the pinned key.
    pub checks: Vec<Check>,
}

/// Quotes `s` as one word for a POSIX shell: unchanged when it is made of characters no
/// shell treats specially, else in single quotes (a `'` inside becomes `'\''`).
pub(crate) fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':' | ',' | '@' | '=')
        });
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn fact(label: &'static str, value: impl Into<String>) -> Fact {
    Fact {
        label,
        value: value.into(),
    }
}

/// `echo 'HASH  FILE' | sha256sum --check`: checks a file against a stated SHA-256 (GNU
/// coreutils; two spaces mean "binary or text", as `sha256sum` prints them).
fn sha256_check(hash: &str, file: &str) -> String {
    format!(
        "echo {} | sha256sum --check",
        shell_word(&format!("{hash}  {file}"))
    )
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Statement {
    /// The statement in plain language, with the commands that check it against the log
    /// published at `at.from` under the key `at.verifier_key` (see [`Description`]).
    ///
    /// ```
    /// use breachcheck_log::{EntryAt, Statement};
    /// let s = Statement::Update { date: "2026-12-05".into(), text: "No match found.".into() };
    /// let d = s.describe(&EntryAt {
    ///     entry: 7,
    ///     from: "https://log.acme.example/",
    ///     verifier_key: "log.acme.example+1a2b3c4d+AXyz",
    /// });
    /// assert_eq!(d.title, "Public update");
    /// assert_eq!(
    ///     d.checks[0].command,
    ///     "breachcheck log verify --from https://log.acme.example/ \
    ///      --public-key 'log.acme.example+1a2b3c4d+AXyz' --entry 7"
    /// );
    /// ```
    pub fn describe(&self, at: &EntryAt<'_>) -> Description {
        let inclusion = Check {
            what: format!(
                "The log verifies under the pinned key (every entry signed, the root recomputed) and entry {} is this statement.",
                at.entry
            ),
            command: format!(
                "breachcheck log verify --from {} --public-key {} --entry {}",
                shell_word(at.from),
                shell_word(at.verifier_key),
                at.entry
            ),
        };
        let mut checks = vec![inclusion];
        let (kind, title, date, summary, facts) = match self {
            Statement::IndexCommitment {
                date,
                systems,
                records,
                commitment,
                oprf_public_key,
                phone_regions,
            } => {
                let mut facts = vec![fact("Commitment", commitment.clone())];
                for s in systems {
                    facts.push(fact(
                        "System",
                        format!(
                            "{}, snapshot {}: {}",
                            s.system,
                            s.snapshot,
                            plural(s.records, "record", "records")
                        ),
                    ));
                }
                facts.push(fact("Records in all", records.to_string()));
                if let Some(k) = oprf_public_key {
                    facts.push(fact("Audit OPRF public key", k.clone()));
                }
                if let Some(r) = phone_regions.as_ref().filter(|r| !r.is_empty()) {
                    facts.push(fact("Phone regions", r.join(", ")));
                }
                let summary = format!(
                    "On {date} the company committed to the records its systems held: {} in {}, under one commitment (a Merkle root over its index). Any later verification or audit names the commitment it was made against, so the company cannot swap its records afterwards.",
                    plural(*records, "record", "records"),
                    plural(systems.len() as u64, "system snapshot", "system snapshots"),
                );
                let mut audit = format!(
                    "breachcheck audit run --connect <company-host:port> --tls-ca <company-ca.pem> --sign-key <auditor.sign> --commitment {}",
                    shell_word(commitment)
                );
                if let Some(k) = oprf_public_key {
                    audit.push_str(&format!(" --oprf-key {}", shell_word(k)));
                }
                if let Some(r) = phone_regions.as_ref().filter(|r| !r.is_empty()) {
                    audit.push_str(&format!(" --phone-regions {}", shell_word(&r.join(","))));
                }
                audit.push_str(" <sample.csv>");
                checks.push(Check {
                    what: "A third party holding a sample audits the company against this very commitment: the audit fails unless the company answers from the records it committed to, and counts the sample's values the company holds without either side seeing the other's.".into(),
                    command: audit,
                });
                (
                    "index_commitment",
                    format!(
                        "Index commitment: {} in {}",
                        plural(*records, "record", "records"),
                        plural(systems.len() as u64, "system snapshot", "system snapshots")
                    ),
                    date,
                    summary,
                    facts,
                )
            }
            Statement::Verification {
                date,
                sample_sha256,
                verdict,
                matched_lines,
                lines,
                report_sha256,
                commitment,
            } => {
                let summary = format!(
                    "On {date} the company checked a leak sample against its committed records. Verdict: {verdict}; {matched_lines} of {} matched the company's records. The report's SHA-256 lets anyone holding the report check it is the one stated here, and the commitment names the index it was checked against.",
                    plural(*lines, "line", "lines")
                );
                checks.push(Check {
                    what: "The report you hold is the one this statement is about (save it as report.json).".into(),
                    command: sha256_check(report_sha256, "report.json"),
                });
                checks.push(Check {
                    what:
                        "The sample you hold is the one that was checked (save it as sample.csv)."
                            .into(),
                    command: sha256_check(sample_sha256, "sample.csv"),
                });
                (
                    "verification",
                    format!("Verification: {verdict}, {matched_lines} of {lines} lines matched"),
                    date,
                    summary,
                    vec![
                        fact("Sample SHA-256", sample_sha256.clone()),
                        fact("Verdict", verdict.clone()),
                        fact("Lines matched", matched_lines.to_string()),
                        fact("Lines read", lines.to_string()),
                        fact("Report SHA-256", report_sha256.clone()),
                        fact("Against commitment", commitment.clone()),
                    ],
                )
            }
            Statement::AuditTranscript {
                date,
                transcript_sha256,
            } => {
                checks.push(Check {
                    what: "The transcript you hold is the one logged, and both the company's and the auditor's signatures on it verify (save it as audit-transcript.json).".into(),
                    command: format!(
                        "{} && breachcheck audit verify audit-transcript.json",
                        sha256_check(transcript_sha256, "audit-transcript.json")
                    ),
                });
                (
                    "audit_transcript",
                    "Audit transcript".to_owned(),
                    date,
                    format!(
                        "On {date} the company logged the signed transcript of a third-party audit, by its SHA-256. The transcript holds the counts the auditor found and both parties' signatures; logging it means neither can later present another."
                    ),
                    vec![fact("Transcript SHA-256", transcript_sha256.clone())],
                )
            }
            Statement::Update { date, text } => (
                "update",
                "Public update".to_owned(),
                date,
                format!("On {date} the company published this update, in its own words."),
                vec![fact("Text", text.clone())],
            ),
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
            } => {
                let mut summary = format!(
                    "On {date} the company published a private self-check for claim {claim}: customers can ask whether their own data is in the claimed leak, and learn nothing else. Every answer is proven against the public key below and every bucket against the entries root, so a client detects a publication other than this one."
                );
                if let Some(v) = verdict {
                    summary.push_str(&format!(" The company's verdict on the sample: {v}."));
                }
                let mut facts = vec![
                    fact("Claim", claim.clone()),
                    fact("Public key", public_key.clone()),
                    fact("Entries root", entries_root.clone()),
                    fact("Salt", salt.clone()),
                    fact(
                        "Buckets",
                        format!(
                            "2^{bucket_bits}, each of at least {}",
                            plural(*min_bucket, "entry", "entries")
                        ),
                    ),
                    fact("Entries", entries.to_string()),
                    fact("Sample SHA-256", sample_sha256.clone()),
                ];
                if let Some(v) = verdict {
                    facts.push(fact("Verdict", v.clone()));
                }
                checks.push(Check {
                    what:
                        "The sample you hold is the one the claim is about (save it as sample.csv)."
                            .into(),
                    command: sha256_check(sample_sha256, "sample.csv"),
                });
                (
                    "selfcheck_claim",
                    format!("Self-check published for claim {claim}"),
                    date,
                    summary,
                    facts,
                )
            }
            Statement::SelfcheckWithdrawal {
                date,
                claim,
                reason,
            } => {
                let mut facts = vec![fact("Claim", claim.clone())];
                if let Some(r) = reason {
                    facts.push(fact("Reason", r.clone()));
                }
                (
                    "selfcheck_withdrawal",
                    format!("Self-check withdrawn for claim {claim}"),
                    date,
                    format!(
                        "On {date} the company withdrew the self-check for claim {claim}; its publication is no longer served. The earlier claim entry stays in the log."
                    ),
                    facts,
                )
            }
        };
        Description {
            kind,
            title,
            date: date.clone(),
            summary,
            facts,
            checks,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("https://log.example/"), "https://log.example/");
        assert_eq!(shell_word("a+b"), "'a+b'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("$(rm -rf /)"), "'$(rm -rf /)'");
    }
}
