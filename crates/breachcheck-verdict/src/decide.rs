//! From counts to a verdict, against explicit baselines.
use crate::hypotheses::{self, Counts, HypothesisScore};
use crate::{wilson, Tally};
use breachcheck_core::{EvidenceClass, MatchField};
use serde::Serialize;

/// Floor of the coincidence rate: the rate at which a line of *unrelated* data reaches a
/// record match by coincidence is estimated per sample (from the linkage model's u and the
/// systems' sizes), but never taken below this, which covers what the model does not see
/// (relatives sharing an address and a phone, test accounts, recycled typos).
pub const COINCIDENCE_RATE: f64 = 1e-4;
/// Share of full-record lines from which a sample is called a copy rather than a mix.
const GENUINE_SHARE: f64 = 0.8;
/// Share of partial-only lines from which overlap without whole-record agreement is read
/// as recycled data (same people, another service's records).
const RECYCLED_PARTIAL_SHARE: f64 = 0.2;
/// Share of the lines a source (an earlier breach, or the company) must account for to
/// count as one of a compilation's sources.
const SOURCE_SHARE: f64 = 0.05;
/// How many times more often a field's values must repeat in the sample than in the
/// company's records to be called a generator's fingerprint.
const FINGERPRINT_RATIO: f64 = 5.0;
/// Random pairs needed on each side before repetition rates are compared.
const MIN_FINGERPRINT_PAIRS: u64 = 2000;
/// Share of unmatched lines from which a sample is called fabricated.
const FABRICATED_NONE_SHARE: f64 = 0.8;

/// The named story a sample most likely tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictClass {
    /// Copied from one of the company's systems.
    Genuine,
    /// Real people, but another service's records (overlap without whole-record matches).
    Recycled,
    /// Generated people: nothing matches.
    Fabricated,
    /// Several sources merged.
    Compilation,
    /// Public data (names, phones) without private fields.
    Scraped,
    /// Some genuine lines among others.
    Mixed,
    /// The evidence does not decide.
    Inconclusive,
}

impl VerdictClass {
    /// Contract name.
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictClass::Genuine => "genuine",
            VerdictClass::Recycled => "recycled",
            VerdictClass::Fabricated => "fabricated",
            VerdictClass::Compilation => "compilation",
            VerdictClass::Scraped => "scraped",
            VerdictClass::Mixed => "mixed",
            VerdictClass::Inconclusive => "inconclusive",
        }
    }
}

/// Estimated share of genuine lines.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct GenuineFraction {
    /// Point estimate.
    pub estimate: f64,
    /// Wilson 95% interval.
    pub ci95: [f64; 2],
}

/// What the observed rates are compared against.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Baseline {
    /// Assumed coincidental full-record rate for unrelated data.
    pub coincidental_full_record_rate: f64,
    /// Lines expected to match by coincidence in a sample of this size.
    pub expected_coincidental_lines: f64,
    /// Full-record rate a verbatim copy of a system would show.
    pub genuine_copy_full_record_rate: f64,
    /// How the baseline was set.
    pub method: &'static str,
}

/// The verdict with its reasons.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Verdict {
    /// The story.
    pub class: VerdictClass,
    /// Most likely source system (None when nothing genuine was found).
    pub system: Option<String>,
    /// Most likely snapshot of that system.
    pub snapshot: Option<String>,
    /// Snapshots tied for the best agreement (first, last): the exfiltration window.
    pub snapshot_window: Option<[String; 2]>,
    /// Share of genuine lines.
    pub genuine_fraction: GenuineFraction,
    /// Baselines compared against.
    pub baseline: Baseline,
    /// Every story scored by how likely it makes the line counts (BIC-weighted), most
    /// likely first.
    pub hypotheses: Vec<HypothesisScore>,
    /// Reasons, strongest first; counts and rates only.
    pub reasons: Vec<String>,
    /// What to do next.
    pub next_steps: Vec<String>,
}

fn pct(k: u64, n: u64) -> String {
    if n == 0 {
        "0%".into()
    } else {
        format!("{:.1}%", 100.0 * k as f64 / n as f64)
    }
}

/// Above this upper bound of the genuine share's 95% interval, a sample without
/// significant genuine lines is too small to be called fabricated or recycled (about 50
/// lines with no match are needed).
const SMALL_SAMPLE_UPPER: f64 = 0.075;

impl Tally {
    /// Decides the verdict.
    pub fn verdict(&self) -> Verdict {
        let n = self.records;
        let g = self.genuine_lines();
        let (lo, hi) = wilson(g, n);
        let estimate = if n == 0 { 0.0 } else { g as f64 / n as f64 };
        let rate = if n == 0 {
            COINCIDENCE_RATE
        } else {
            (self.expected_coincidental / n as f64).max(COINCIDENCE_RATE)
        };
        let baseline = Baseline {
            coincidental_full_record_rate: rate,
            expected_coincidental_lines: rate * n as f64,
            genuine_copy_full_record_rate: 1.0,
            method: "per line, the systems' records times the chance that an unrelated record agrees on the fields a record match needs (u per field from random pairs of the sample's own lines: common names and popular providers raise it), summed over the sample, floored at 1e-4 per line; a verbatim copy matches every line not changed since its snapshot",
        };
        let mut reasons = Vec::new();
        let mut next_steps = Vec::new();
        // Partial lines that are not rows of joined internal tables.
        let partial = self
            .count(EvidenceClass::Partial)
            .saturating_sub(self.joined);
        let none = self.count(EvidenceClass::None);
        let canary = self.count(EvidenceClass::Canary);

        // Source attribution: the system and snapshot the genuine lines agree with most.
        let (system, snapshot, window) = self.attribution();
        let canary_systems: Vec<&str> = self
            .segments
            .iter()
            .filter(|s| s.canary && s.full_or_better + s.any_match > 0)
            .map(|s| s.system.as_str())
            .collect();

        if canary > 0 {
            reasons.push(format!(
                "{canary} line(s) match planted canary records (planted in: {}); canaries exist nowhere but inside the company's systems",
                canary_systems.join(", ")
            ));
        }
        if g > 0 {
            reasons.push(format!(
                "{g} of {n} lines ({}) are genuine by their own evidence: {} match an indexed record on every personal field they carry (at least two), {} of them reproducing how the source stored a value (raw-format quirks) and {} a system's own identifier",
                pct(g, n),
                g - self.joined,
                self.quirk_lines,
                self.count(EvidenceClass::InternalId)
            ));
        }
        if self.joined > 0 {
            reasons.push(format!(
                "{} line(s) match no single record whole but agree on every field with several records of the same person (e.g. an account and its orders' address): internal tables joined together, which no one outside the company can assemble",
                self.joined
            ));
        }
        if let (Some(sys), Some(snap)) = (&system, &snapshot) {
            let neighbours: Vec<String> = self
                .segments
                .iter()
                .filter(|s| s.is_system() && &s.system == sys)
                .map(|s| {
                    format!(
                        "{} at {} ({} with every column agreeing)",
                        s.full_or_better, s.snapshot, s.complete
                    )
                })
                .collect();
            reasons.push(format!(
                "the matching lines agree best with system {sys} at snapshot {snap} (full-record matches per snapshot of {sys}: {})",
                neighbours.join(", ")
            ));
        }
        let mut dating: Option<String> = None;
        if let Some(sys) = &system {
            // Every copied record was present at the moment of the copy: the intersection
            // of the records' presence spans dates it.
            let spans: Vec<(&str, &str, u64)> = self
                .presence
                .iter()
                .filter(|((s, _, _), _)| s == sys)
                .map(|((_, f, l), n)| (f.as_str(), l.as_str(), *n))
                .collect();
            let latest_first = spans.iter().map(|(f, _, _)| *f).max();
            let earliest_last = spans.iter().map(|(_, l, _)| *l).min();
            if let (Some(lf), Some(el)) = (latest_first, earliest_last) {
                let only_before: u64 = spans
                    .iter()
                    .filter(|(_, l, _)| *l == el)
                    .map(|(_, _, n)| n)
                    .sum();
                let only_after: u64 = spans
                    .iter()
                    .filter(|(f, _, _)| *f == lf)
                    .map(|(_, _, n)| n)
                    .sum();
                let snaps: Vec<&str> = self
                    .segments
                    .iter()
                    .filter(|x| x.is_system() && &x.system == sys)
                    .map(|x| x.snapshot.as_str())
                    .collect();
                let earliest = snaps.iter().min().copied();
                let latest = snaps.iter().max().copied();
                dating = Some(if lf <= el {
                    let mut d = format!("dating: every matching record of {sys} was present in the snapshots from {lf} to {el}");
                    if Some(lf) != earliest {
                        d.push_str(&format!("; {only_after} of them first appear at {lf}, so the copy is not older than {lf}"));
                    }
                    if Some(el) != latest {
                        d.push_str(&format!("; {only_before} were gone from the snapshot after {el}, so the copy predates it"));
                    }
                    d
                } else {
                    format!(
                        "dating: the matching records of {sys} were present at different times (some only until {el}, some only from {lf}): the sample mixes copies taken at different moments"
                    )
                });
            }
        }
        if partial > 0 {
            reasons.push(format!(
                "{partial} line(s) ({}) share some field with a record (e.g. the same e-mail) without matching it whole: the same people, other data",
                pct(partial, n)
            ));
        }
        if none > 0 {
            reasons.push(format!(
                "{none} line(s) ({}) match nothing in the index",
                pct(none, n)
            ));
        }
        let significant = g >= 3 && lo > rate;
        // Evidence only a copy of the company's data can carry.
        let strong = canary
            + self.count(EvidenceClass::InternalId)
            + self.count(EvidenceClass::QuirkFullRecord)
            + self.joined;
        let private_fields = [
            MatchField::Email,
            MatchField::BirthDate,
            MatchField::Address,
            MatchField::Username,
            MatchField::CustomerId,
            MatchField::OrderId,
        ]
        .iter()
        .any(|f| self.field_present[f.index()] > 0);
        // Where the lines come from: each registered earlier breach holding a real share of
        // them, and the company when its share is significant. Two or more: a compilation.
        let floor = 3u64.max((n as f64 * SOURCE_SHARE).ceil() as u64);
        let mut sources: Vec<String> = self
            .segments
            .iter()
            .filter(|s| s.reference && s.full_or_better >= floor)
            .map(|s| {
                format!(
                    "{} line(s) ({}) match the known breach \"{}\"",
                    s.full_or_better,
                    pct(s.full_or_better, n),
                    s.system
                )
            })
            .collect();
        if significant && g >= floor {
            sources.push(format!(
                "{g} line(s) ({}) are the company's records{}",
                pct(g, n),
                system
                    .as_ref()
                    .map(|s| format!(" (system {s})"))
                    .unwrap_or_default()
            ));
        }
        let class = if n == 0 {
            reasons.push("no record could be read from the sample".into());
            VerdictClass::Inconclusive
        } else if self.empty * 2 > n {
            reasons.push(format!(
                "{} of {n} records have no field breachcheck could use (no column was recognised as a name, e-mail, phone, address, date of birth or id): check the column roles with `breachcheck inspect` and name them with --map",
                self.empty
            ));
            VerdictClass::Inconclusive
        } else if sources.len() >= 2 {
            reasons.push(format!(
                "the lines come from several sources — {} — merged into one list: a compilation",
                sources.join("; ")
            ));
            VerdictClass::Compilation
        } else if canary > 0 || (estimate >= GENUINE_SHARE && significant) {
            if estimate >= GENUINE_SHARE {
                VerdictClass::Genuine
            } else {
                VerdictClass::Mixed
            }
        } else if significant && strong * 5 < g && (partial + self.conflicting) * 2 >= g {
            // Whole-record matches that carry nothing only the company has (no stored quirk,
            // no internal id, no canary) next to many lines that agree only in part (or match
            // a person with some of their data different, not mistyped): other services'
            // records of the same people.
            let in_part = partial + self.conflicting;
            reasons.push(format!(
                "only {strong} of the {g} record matches carry evidence only the company holds (a stored quirk, an internal id or a canary), while {in_part} lines agree only in part or with other values for the same person: the pattern of another service's data about the same people"
            ));
            VerdictClass::Recycled
        } else if significant && strong * 5 < g && !private_fields {
            reasons.push(
                "the sample holds only public fields (names, phones, places; no e-mail, birth date, address or id) and its matches carry no stored quirk: the pattern of scraped public data".into(),
            );
            VerdictClass::Scraped
        } else if significant {
            VerdictClass::Mixed
        } else if self.reference_lines * 2 >= n {
            reasons.push(format!(
                "{} of {n} lines ({}) are records of registered earlier breaches and the company's evidence is not significant: data that circulated before, not a copy of the company's systems",
                self.reference_lines,
                pct(self.reference_lines, n)
            ));
            VerdictClass::Recycled
        } else if hi > SMALL_SAMPLE_UPPER {
            // Too few lines to rule out a real share of genuine ones: never a confident
            // "not ours" (or "recycled") from a handful of lines.
            reasons.push(format!(
                "with {n} lines, a genuine share up to {:.0}% cannot be ruled out (95% interval); a larger sample decides",
                100.0 * hi
            ));
            VerdictClass::Inconclusive
        } else if partial as f64 >= RECYCLED_PARTIAL_SHARE * n as f64 {
            VerdictClass::Recycled
        } else if none as f64 >= FABRICATED_NONE_SHARE * n as f64 {
            VerdictClass::Fabricated
        } else {
            VerdictClass::Inconclusive
        };
        // The same evidence as line counts under each story.
        let in_part = partial + none;
        let references_only = self.reference_lines.min(in_part);
        let r_from_partial = references_only.min(partial);
        let counts = Counts {
            s: strong.min(g) as f64,
            w: g.saturating_sub(strong) as f64,
            r: references_only as f64,
            p: (partial - r_from_partial) as f64,
            n: none.saturating_sub(references_only - r_from_partial) as f64,
        };
        let references = self.segments.iter().any(|s| s.reference);
        let scored = hypotheses::score(&counts, rate, private_fields, references);
        if !scored.is_empty() {
            let list: Vec<String> = scored
                .iter()
                .filter(|h| h.posterior >= 0.001)
                .map(|h| format!("{} {:.1}%", h.hypothesis.as_str(), 100.0 * h.posterior))
                .collect();
            reasons.push(format!(
                "how strongly the line counts favour each story (likelihood with a penalty per fitted parameter, equal priors): {}",
                list.join(", ")
            ));
        }
        if let (Some(d), VerdictClass::Genuine | VerdictClass::Mixed) = (dating, class) {
            reasons.push(d);
        }
        for r in self.generator_fingerprints() {
            reasons.push(format!(
                "generator fingerprint: {} values repeat {:.0}× more often between the sample's lines ({:.2}% of {} random pairs) than between the company's records ({:.3}% of {}): drawn from a short list or a simple distribution, as data generators do",
                r.field,
                r.sample_rate / r.index_rate.max(1.0 / r.index_pairs as f64),
                100.0 * r.sample_rate,
                r.sample_pairs,
                100.0 * r.index_rate,
                r.index_pairs
            ));
        }
        if g == 0 && n > 0 {
            reasons.push(format!(
                "no line matches a record of the company's systems: with 95% confidence fewer than {:.2}% of lines like these are the company's records (upper end of the 95% interval for 0 of {n})",
                100.0 * hi
            ));
        }
        if class == VerdictClass::Genuine && strong == 0 {
            reasons.push("no matching line reproduces a stored quirk or an internal id: the copy was re-formatted by the seller, or it is an unusually complete list from elsewhere; weigh the snapshot agreement above".into());
        }
        reasons.push(format!(
            "baseline: unrelated people would match about {:.1} line(s) of {n} by coincidence (rate {:.2e}, from how often unrelated people agree on each of the sample's fields and the size of the systems); a copy of a system would match nearly all; observed {} with 95% interval [{:.4}, {:.4}]",
            baseline.expected_coincidental_lines,
            rate,
            pct(g, n),
            lo,
            hi
        ));
        // Reference corpora: where else the lines exist.
        let references: Vec<&crate::tally::SegmentCount> =
            self.segments.iter().filter(|s| s.reference).collect();
        if references.is_empty() {
            reasons.push("no reference corpus (a known earlier breach or public directory) is registered, so whether these lines circulated before was not checked; add one with `breachcheck reference add`".into());
        } else {
            for r in &references {
                if r.full_or_better > 0 {
                    reasons.push(format!(
                        "{} line(s) ({}) match a record of the known breach \"{}\" (registered {}) whole: that data circulated before",
                        r.full_or_better,
                        pct(r.full_or_better, n),
                        r.system,
                        r.snapshot
                    ));
                }
            }
            if references.iter().all(|r| r.full_or_better == 0) {
                let names: Vec<&str> = references.iter().map(|r| r.system.as_str()).collect();
                reasons.push(format!(
                    "no line matches a record of the registered reference corpora ({}) whole",
                    names.join(", ")
                ));
            }
        }
        let signal = |k: u64, what: &str, reasons: &mut Vec<String>| {
            if k > 0 {
                reasons.push(format!("{k} line(s) ({}) carry {what}", pct(k, n)));
            }
        };
        if self.duplicates * 100 > n {
            reasons.push(format!(
                "{} line(s) ({}) repeat an earlier line field for field: generated data and padded compilations repeat, an export of one table rarely does",
                self.duplicates,
                pct(self.duplicates, n)
            ));
        }
        signal(
            self.phone_invalid,
            "a phone number impossible for its region (typical of generated data)",
            &mut reasons,
        );
        signal(
            self.email_invalid,
            "an e-mail address with no registrable domain",
            &mut reasons,
        );
        signal(
            self.birth_date_invalid,
            "an impossible date of birth",
            &mut reasons,
        );

        match class {
            VerdictClass::Genuine | VerdictClass::Mixed => {
                next_steps.push("treat the sample as containing company data: start incident response and preserve this report and the sample's SHA-256".into());
                if let Some(sys) = &system {
                    next_steps.push(format!("review access to system {sys} around the snapshot window; compare with export and access logs"));
                }
                next_steps.push("re-run on the full dump when obtained; notify affected customers per the matched lines".into());
            }
            VerdictClass::Fabricated => {
                next_steps.push("nothing in the sample comes from the indexed systems; a public statement can cite the counts and interval above".into());
                next_steps.push("make sure every system holding customer data is indexed before relying on this, and offer an independent audit".into());
            }
            VerdictClass::Recycled => {
                next_steps.push("the people overlap but the records do not: look for a known older breach of another service; warn customers about credential reuse".into());
            }
            _ => {
                next_steps.push("obtain a larger sample or the full dump, check the column roles (`--map`), and index any system not yet indexed".into());
            }
        }
        let (system, snapshot, window) =
            if matches!(class, VerdictClass::Genuine | VerdictClass::Mixed) {
                (
                    system.or_else(|| canary_systems.first().map(|s| s.to_string())),
                    snapshot,
                    window,
                )
            } else {
                (None, None, None)
            };
        Verdict {
            class,
            system,
            snapshot,
            snapshot_window: window,
            hypotheses: scored,
            genuine_fraction: if matches!(class, VerdictClass::Recycled | VerdictClass::Scraped) {
                // Whole-record matches of shared people are not copies; only evidence the
                // company alone holds counts as genuine here.
                let (slo, shi) = wilson(strong, n);
                GenuineFraction {
                    estimate: if n == 0 {
                        0.0
                    } else {
                        strong as f64 / n as f64
                    },
                    ci95: [slo, shi],
                }
            } else {
                GenuineFraction {
                    estimate,
                    ci95: [lo, hi],
                }
            },
            baseline,
            reasons,
            next_steps,
        }
    }

    /// The system whose best snapshot explains the most genuine lines, that snapshot, and
    /// the window of snapshots tied with it. Lines whose every column agrees with a
    /// system's record count first: a sample with order ids and addresses is the orders
    /// system's projection even when its names and phones also match the accounts system.
    /// Fields whose values repeat between the sample's lines far more often than between
    /// the company's records: names, birth dates, streets and phones of real customers are
    /// diverse; a generator's are not. Needs enough pairs on both sides to say so.
    pub fn generator_fingerprints(&self) -> Vec<&breachcheck_link::Repetition> {
        self.repetition
            .iter()
            .filter(|r| {
                matches!(
                    r.field,
                    MatchField::Name
                        | MatchField::BirthDate
                        | MatchField::Address
                        | MatchField::Phone
                        | MatchField::Email
                ) && r.sample_pairs >= MIN_FINGERPRINT_PAIRS
                    && r.index_pairs >= MIN_FINGERPRINT_PAIRS
                    && r.sample_rate >= 1e-3
                    && r.sample_rate
                        >= FINGERPRINT_RATIO * r.index_rate.max(1.0 / r.index_pairs as f64)
            })
            .collect()
    }

    fn attribution(&self) -> (Option<String>, Option<String>, Option<[String; 2]>) {
        let rank = |s: &crate::SegmentCount| (s.complete, s.full_or_better, s.joined);
        let mut best: Option<(&str, (u64, u64, u64))> = None;
        for s in self
            .segments
            .iter()
            .filter(|s| s.is_system() && s.full_or_better > 0)
        {
            if best.is_none_or(|(_, r)| rank(s) > r) {
                best = Some((&s.system, rank(s)));
            }
        }
        let Some((system, max)) = best else {
            return (None, None, None);
        };
        let mut tied: Vec<&str> = self
            .segments
            .iter()
            .filter(|s| s.is_system() && s.system == system && rank(s) == max)
            .map(|s| s.snapshot.as_str())
            .collect();
        tied.sort_unstable();
        let first = tied.first().map(|s| s.to_string());
        let window = match (tied.first(), tied.last()) {
            (Some(a), Some(b)) => Some([a.to_string(), b.to_string()]),
            _ => None,
        };
        (Some(system.to_owned()), first, window)
    }
}

#[cfg(test)]
mod tests {
    use crate::{SegmentCount, Tally, VerdictClass};
    use breachcheck_core::{EvidenceClass, MatchField};
    use breachcheck_index::{Commitment, Manifest};

    fn tally(counts: &[(EvidenceClass, u64)], segments: &[(&str, &str, u64, u64)]) -> Tally {
        let m = Manifest {
            format: breachcheck_index::MANIFEST_FORMAT.into(),
            rules_version: 1,
            key_fingerprint: String::new(),
            segments: Vec::new(),
            commitment: Commitment::compute(&[], ""),
        };
        let mut t = Tally::new(&m);
        for (c, n) in counts {
            *t.by_evidence.entry(*c).or_insert(0) += n;
            t.records += n;
        }
        t.segments = segments
            .iter()
            .map(|(system, snapshot, full, complete)| SegmentCount {
                system: (*system).into(),
                snapshot: (*snapshot).into(),
                canary: false,
                reference: false,
                full_or_better: *full,
                any_match: *full,
                complete: *complete,
                joined: 0,
            })
            .collect();
        t
    }

    #[test]
    fn a_copy_is_genuine_and_dated() {
        let t = tally(
            &[
                (EvidenceClass::QuirkFullRecord, 950),
                (EvidenceClass::Partial, 50),
            ],
            &[
                ("accounts", "2026-01-31", 800, 800),
                ("accounts", "2026-04-30", 950, 950),
                ("accounts", "2026-07-31", 900, 900),
                ("orders", "2026-04-30", 600, 0),
            ],
        );
        let v = t.verdict();
        assert_eq!(v.class, VerdictClass::Genuine);
        assert_eq!(v.hypotheses[0].hypothesis, VerdictClass::Genuine);
        assert_eq!(
            (v.system.as_deref(), v.snapshot.as_deref()),
            (Some("accounts"), Some("2026-04-30"))
        );
    }

    #[test]
    fn nothing_matching_is_fabricated_with_an_upper_bound() {
        let v = tally(&[(EvidenceClass::None, 1000)], &[]).verdict();
        assert_eq!(v.class, VerdictClass::Fabricated);
        assert_eq!(v.hypotheses[0].hypothesis, VerdictClass::Fabricated);
        assert_eq!(v.system, None);
        assert!(v.genuine_fraction.ci95[1] < 0.005);
    }

    #[test]
    fn a_few_genuine_lines_make_a_mix_whose_interval_covers_them() {
        let v = tally(
            &[(EvidenceClass::InternalId, 50), (EvidenceClass::None, 450)],
            &[("orders", "2026-07-31", 50, 50)],
        )
        .verdict();
        assert_eq!(v.class, VerdictClass::Mixed);
        assert_eq!(v.hypotheses[0].hypothesis, VerdictClass::Mixed);
        assert!(v.genuine_fraction.ci95[0] <= 0.1 && 0.1 <= v.genuine_fraction.ci95[1]);
    }

    #[test]
    fn shared_people_without_whole_records_are_recycled() {
        let v = tally(
            &[(EvidenceClass::Partial, 400), (EvidenceClass::None, 600)],
            &[],
        )
        .verdict();
        assert_eq!(v.class, VerdictClass::Recycled);
    }

    #[test]
    fn canonical_only_matches_with_many_partials_are_recycled() {
        let v = tally(
            &[
                (EvidenceClass::FullRecord, 100),
                (EvidenceClass::Partial, 300),
                (EvidenceClass::None, 600),
            ],
            &[("accounts", "2026-01-31", 100, 0)],
        )
        .verdict();
        assert_eq!(v.class, VerdictClass::Recycled);
        assert_eq!(v.hypotheses[0].hypothesis, VerdictClass::Recycled);
        // The same counts with the source's quirks are a mix.
        let v = tally(
            &[
                (EvidenceClass::QuirkFullRecord, 100),
                (EvidenceClass::Partial, 300),
                (EvidenceClass::None, 600),
            ],
            &[("accounts", "2026-01-31", 100, 100)],
        )
        .verdict();
        assert_eq!(v.class, VerdictClass::Mixed);
    }

    #[test]
    fn public_fields_only_without_quirks_are_scraped() {
        let mut t = tally(
            &[(EvidenceClass::FullRecord, 200), (EvidenceClass::None, 800)],
            &[("accounts", "2026-01-31", 200, 200)],
        );
        t.field_present[MatchField::Name.index()] = 1000;
        t.field_present[MatchField::Phone.index()] = 1000;
        assert_eq!(t.verdict().class, VerdictClass::Scraped);
        t.field_present[MatchField::Email.index()] = 1000;
        assert_eq!(t.verdict().class, VerdictClass::Mixed);
    }

    #[test]
    fn unreadable_columns_are_inconclusive_not_fabricated() {
        let mut t = tally(&[(EvidenceClass::None, 100)], &[]);
        t.empty = 100;
        assert_eq!(t.verdict().class, VerdictClass::Inconclusive);
    }

    #[test]
    fn coincidence_level_matches_are_not_a_mix() {
        let v = tally(
            &[(EvidenceClass::FullRecord, 1), (EvidenceClass::None, 999)],
            &[("a", "2026-01-31", 1, 1)],
        )
        .verdict();
        assert_eq!(v.class, VerdictClass::Fabricated);
        let v = tally(&[], &[]).verdict();
        assert_eq!(v.class, VerdictClass::Inconclusive);
    }
}
