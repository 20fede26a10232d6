//! From the fitted source model to a verdict.
//!
//! The class is a sequence of tests between nested fits of one model ([`crate::source`]),
//! each at the same critical value ([`crate::source::CRITICAL`], a 1-in-10,000 false alarm):
//!
//! 1. **Company lines?** The best fit with copies of the company's systems against the best
//!    fit without. A planted canary decides it on its own.
//! 2. If yes — **only copies?** The copies-only fit against the best: not worse → genuine;
//!    worse → the rest is other real people who are customers (an overlap the fit needs),
//!    a registered breach or rows of several shapes → compilation; else → mixed.
//! 3. If no — a registered breach explains most lines → recycled; rows of several disjoint
//!    shapes → compilation; the other people overlap the customers (overlap needed) →
//!    scraped when the sample holds public fields only, else recycled; the copied share's
//!    interval still reaches 10% → inconclusive (too few lines); else fabricated.
//!
//! The genuine fraction is the copies' fitted share with its profile-likelihood interval
//! (for a sample found not to be the company's: 0, with the interval's upper end).
use crate::findings::{Finding, QualitySignal, Shape};
use crate::source::{self, Constraint, Fitted, Inputs, SourceFit, CRITICAL};
use crate::{Tally, MIN_EXCLUDED_SHARE, MIN_SOURCE_SHARE};
use breachcheck_core::{EvidenceClass, MatchField};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Floor of the coincidence rate per line reported as the baseline: covers what the model
/// does not see (relatives sharing an address and a phone, test accounts).
pub const COINCIDENCE_RATE: f64 = 1e-4;
/// How many times more often a field's values must repeat in the sample than in the
/// company's records to be called a generator's fingerprint.
const FINGERPRINT_RATIO: f64 = 5.0;
/// Random pairs needed on each side before repetition rates are compared.
const MIN_FINGERPRINT_PAIRS: u64 = 2000;
/// A shape (set of fields) counts as a source of its own from this share of the lines.
const SHAPE_SHARE: f64 = 0.05;

/// The named story a sample most likely tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictClass {
    /// Copied from one of the company's systems.
    Genuine,
    /// Real people, but another service's records (overlap without copies).
    Recycled,
    /// Made-up people (or real people who are none of the company's customers).
    Fabricated,
    /// Several sources merged.
    Compilation,
    /// Public data (names, phones, places) without private fields.
    Scraped,
    /// Some copied lines among made-up ones.
    Mixed,
    /// The evidence does not decide.
    Inconclusive,
}

impl VerdictClass {
    /// Every class, in contract order.
    pub const ALL: [VerdictClass; 7] = [
        VerdictClass::Genuine,
        VerdictClass::Mixed,
        VerdictClass::Compilation,
        VerdictClass::Recycled,
        VerdictClass::Scraped,
        VerdictClass::Fabricated,
        VerdictClass::Inconclusive,
    ];

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

    /// What the class means, for `--help` and the README.
    pub fn meaning(self) -> &'static str {
        match self {
            VerdictClass::Genuine => "the lines are copies of one of the company's systems",
            VerdictClass::Mixed => {
                "some lines are copies of the company's data, the rest made up or unrelated"
            }
            VerdictClass::Compilation => {
                "several sources merged: rows of different shapes, a known breach, or the company's data beside other real people's"
            }
            VerdictClass::Recycled => {
                "real people (some of them customers) with another service's data, or a registered earlier breach: not a copy of the company's"
            }
            VerdictClass::Scraped => {
                "public data (names, phones, places) about real people, some of them customers: not a copy"
            }
            VerdictClass::Fabricated => {
                "no line is the company's: made-up people, or people who are not its customers"
            }
            VerdictClass::Inconclusive => {
                "too few or unreadable lines to say; obtain more, or name the columns"
            }
        }
    }

    /// Whether the class says the sample holds the company's data.
    pub fn admits(self) -> bool {
        matches!(self, VerdictClass::Genuine | VerdictClass::Mixed)
    }
}

/// Estimated share of genuine lines.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct GenuineFraction {
    /// Point estimate.
    pub estimate: f64,
    /// 95% interval (profile likelihood of the source model).
    pub ci95: [f64; 2],
}

/// What the observed rates are compared against.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Baseline {
    /// Chance per line that unrelated people's data matches a record whole.
    pub coincidental_full_record_rate: f64,
    /// Lines expected to match by coincidence in a sample of this size.
    pub expected_coincidental_lines: f64,
    /// Share of a verbatim copy's lines the linkage confirms (1 − its miss rate).
    pub genuine_copy_full_record_rate: f64,
    /// How the baseline was set (borrowed when a verdict is made, owned when a report is
    /// read back, so both ways hold the same text).
    pub method: Cow<'static, str>,
}

/// One story with its score.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct HypothesisScore {
    /// The story.
    pub hypothesis: VerdictClass,
    /// Log-likelihood of the sample under the story's best fit (natural log).
    pub log_likelihood: f64,
    /// Free mixture parameters of the story.
    pub parameters: u32,
    /// Share of the evidence (BIC-weighted, equal priors).
    pub posterior: f64,
}

/// The verdict with its reasons.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Verdict {
    /// The story.
    pub class: VerdictClass,
    /// Most likely source system (None when nothing genuine was found).
    pub system: Option<String>,
    /// Most likely snapshot of that system.
    pub snapshot: Option<String>,
    /// Snapshots every copied record was present in (first, last): the exfiltration window.
    pub snapshot_window: Option<[String; 2]>,
    /// Share of genuine lines.
    pub genuine_fraction: GenuineFraction,
    /// Baselines compared against.
    pub baseline: Baseline,
    /// Every story scored by its best fit (BIC-weighted), most likely first.
    pub hypotheses: Vec<HypothesisScore>,
    /// The fitted source model (absent when nothing was read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<SourceFit>,
    /// What was found, as data, strongest first (`reasons` renders them).
    pub findings: Vec<Finding>,
    /// Reasons, strongest first; counts and rates only (rendered from `findings` by the
    /// report).
    pub reasons: Vec<String>,
    /// What to do next.
    pub next_steps: Vec<String>,
}

/// The fits a verdict compares.
struct Fits {
    full: Fitted,
    none: Fitted,
    copies: Fitted,
    unrelated_rest: Fitted,
    made_up: Fitted,
}

fn best(a: Fitted, b: Fitted) -> Fitted {
    if b.log_likelihood > a.log_likelihood {
        b
    } else {
        a
    }
}

impl Fits {
    fn new(inputs: &Inputs) -> Self {
        let c = inputs.company.len();
        let start = |genuine: f64| {
            source::fit(
                inputs,
                &Constraint {
                    genuine: Some(genuine),
                    ..Constraint::default()
                },
                None,
            )
        };
        // EM finds a local optimum: start from a mostly-copied and a mostly-other sample.
        let free = Constraint::default();
        let full = best(
            source::fit(inputs, &free, Some(&start(0.95))),
            source::fit(inputs, &free, Some(&start(0.05))),
        );
        let nested = |constraint: Constraint| {
            best(
                source::fit(inputs, &constraint, Some(&full)),
                source::fit(inputs, &constraint, None),
            )
        };
        let none = nested(Constraint {
            genuine: Some(0.0),
            ..Constraint::default()
        });
        let copies = if c > 0 {
            nested(Constraint {
                copies_only: true,
                ..Constraint::default()
            })
        } else {
            none.clone()
        };
        let unrelated_rest = nested(Constraint {
            no_overlap: true,
            ..Constraint::default()
        });
        let made_up = nested(Constraint {
            genuine: Some(0.0),
            no_overlap: true,
            ..Constraint::default()
        });
        // The unconstrained fit is the best of all (a nested fit may have found a better
        // optimum from its start).
        let mut full = full;
        for f in [&none, &copies, &unrelated_rest, &made_up] {
            if f.log_likelihood > full.log_likelihood {
                full = f.clone();
            }
        }
        if std::env::var_os("BREACHCHECK_DEBUG_FITS").is_some() {
            for (name, f) in [
                ("full", &full),
                ("none", &none),
                ("copies", &copies),
                ("unrelated_rest", &unrelated_rest),
                ("made_up", &made_up),
            ] {
                eprintln!("{name}: {:?}", f);
            }
            let other = if std::env::var_os("BREACHCHECK_DEBUG_MIXED").is_some() {
                &unrelated_rest
            } else {
                &none
            };
            let a = source::contributions(inputs, &full);
            let b = source::contributions(inputs, other);
            let mut d: Vec<(f64, usize)> = a
                .iter()
                .zip(&b)
                .enumerate()
                .map(|(i, (x, y))| (x - y, i))
                .collect();
            d.sort_by(|x, y| y.0.abs().total_cmp(&x.0.abs()));
            for (diff, i) in d.iter().take(4) {
                eprintln!("full-none {diff:.2}: {:?}", inputs.profiles[*i]);
                eprintln!(
                    "   full {:?}",
                    source::explain(inputs, &full, &inputs.profiles[*i].0)
                );
                eprintln!(
                    "   other {:?}",
                    source::explain(inputs, other, &inputs.profiles[*i].0)
                );
            }
        }
        Fits {
            full,
            none,
            copies,
            unrelated_rest,
            made_up,
        }
    }

    fn statistic(&self, against: &Fitted) -> f64 {
        (2.0 * (self.full.log_likelihood - against.log_likelihood)).max(0.0)
    }
}

fn empty_verdict(class: VerdictClass, finding: Finding, n: u64) -> Verdict {
    Verdict {
        class,
        system: None,
        snapshot: None,
        snapshot_window: None,
        genuine_fraction: GenuineFraction {
            estimate: 0.0,
            ci95: [0.0, 1.0],
        },
        baseline: Baseline {
            coincidental_full_record_rate: COINCIDENCE_RATE,
            expected_coincidental_lines: COINCIDENCE_RATE * n as f64,
            genuine_copy_full_record_rate: 1.0,
            method: Cow::Borrowed(BASELINE_METHOD),
        },
        hypotheses: Vec::new(),
        sources: None,
        findings: vec![finding],
        reasons: Vec::new(),
        next_steps: vec![
            "obtain a larger sample or the full dump, check the column roles (`breachcheck inspect`, `--map`), and index any system not yet indexed".into(),
        ],
    }
}

const BASELINE_METHOD: &str = "per line, the company's records times the chance that an unrelated record is taken for the line's person (the same e-mail, phone, login or national id, or two identifying fields; u per field from random pairs of the sample's own lines, ids from the id space's measured density), summed over the sample, floored at 1e-4 per line; the source model's unrelated-people component carries the same chances line by line";

impl Tally {
    /// Decides the verdict (see the module documentation).
    pub fn verdict(&self) -> Verdict {
        let n = self.records;
        if n == 0 {
            return empty_verdict(VerdictClass::Inconclusive, Finding::NoRecords, n);
        }
        if self.empty * 2 > n {
            return empty_verdict(
                VerdictClass::Inconclusive,
                Finding::UnreadableColumns {
                    empty: self.empty,
                    lines: n,
                },
                n,
            );
        }
        let inputs = Inputs::from_tally(self);
        let c = inputs.company.len();
        let fits = Fits::new(&inputs);
        let canary = self.count(EvidenceClass::Canary);
        let canary_systems: Vec<String> = self
            .segments
            .iter()
            .filter(|s| s.canary && s.full_or_better > 0)
            .map(|s| s.system.clone())
            .collect();
        let company_statistic = if c > 0 {
            fits.statistic(&fits.none)
        } else {
            0.0
        };
        // The copies add a share per company system to the model; a large sample makes
        // small misfits of the other sources add up, so the statistic must also beat the
        // Bayesian information criterion's price of those shares (c ln n), not only the
        // fixed critical value. (Their level distribution has the form of the other
        // sources' and is not counted: counting it priced out every copy whose only
        // evidence is that all its lines are customers.)
        let company_critical = CRITICAL.max(c as f64 * (n as f64).ln());
        let company = canary > 0 || company_statistic >= company_critical;
        let n_f = n as f64;
        let copies_statistic = fits.statistic(&fits.copies);
        let overlap_statistic = fits.statistic(&fits.unrelated_rest);
        let real_people_statistic =
            (2.0 * (fits.none.log_likelihood - fits.made_up.log_likelihood)).max(0.0);
        let reference_lines = fits.full.lines.get(c + 1..).map_or(0.0, |r| r.iter().sum());
        let shapes = self.source_shapes();
        let shapes_found = shapes.len() >= 2;
        let public_only = !self.has_private_fields();
        let interval = source::genuine_interval(&inputs, &fits.full);

        let material = (MIN_SOURCE_SHARE * n_f).max(3.0);
        let class = if company {
            if copies_statistic < CRITICAL {
                VerdictClass::Genuine
            } else if overlap_statistic >= CRITICAL && fits.full.overlap_lines >= material
                || reference_lines >= material
                || shapes.len() >= 2
            {
                VerdictClass::Compilation
            } else {
                VerdictClass::Mixed
            }
        } else if reference_lines * 2.0 >= n_f {
            VerdictClass::Recycled
        } else if shapes.len() >= 2 && real_people_statistic >= CRITICAL {
            VerdictClass::Compilation
        } else if real_people_statistic >= CRITICAL {
            if public_only {
                VerdictClass::Scraped
            } else {
                VerdictClass::Recycled
            }
        } else if reference_lines >= material {
            VerdictClass::Recycled
        } else if interval[1] > MIN_EXCLUDED_SHARE {
            VerdictClass::Inconclusive
        } else {
            VerdictClass::Fabricated
        };

        // The genuine fraction: the copies' share, or none when the sample is found not to
        // be the company's (its interval still says how much could be).
        let genuine_fraction = if class == VerdictClass::Genuine {
            // The copies-only story was not rejected: the interval reaches 100% (wider than
            // the full model's 95% interval when that stops short, so it covers no less).
            GenuineFraction {
                estimate: fits.full.genuine(c),
                ci95: [interval[0], 1.0],
            }
        } else if class.admits() || class == VerdictClass::Compilation && company {
            GenuineFraction {
                estimate: fits.full.genuine(c),
                ci95: interval,
            }
        } else {
            GenuineFraction {
                estimate: 0.0,
                ci95: [0.0, interval[1]],
            }
        };

        let mut findings = Vec::new();
        if canary > 0 {
            findings.push(Finding::Canary {
                lines: canary,
                systems: canary_systems.clone(),
            });
        }
        if company {
            findings.push(Finding::CompanyLines {
                lines: fits.full.genuine(c) * n_f,
                of: n,
                statistic: company_statistic,
                critical: company_critical,
            });
            if class == VerdictClass::Genuine {
                findings.push(Finding::CopiesOnly {
                    statistic: copies_statistic,
                });
            }
        } else {
            findings.push(Finding::NoCompanyLines {
                upper: interval[1],
                of: n,
                statistic: company_statistic,
                critical: company_critical,
            });
        }
        findings.push(Finding::Matched {
            whole: self.whole_lines(),
            internal_id: self.count(EvidenceClass::InternalId),
            rare_form: self.count(EvidenceClass::QuirkFullRecord),
            joined: self.joined,
            partial: self
                .count(EvidenceClass::Partial)
                .saturating_sub(self.joined),
            none: self.count(EvidenceClass::None),
            of: n,
        });
        let customers = fits.full.overlap_lines;
        if customers >= 1.0 && !class.admits() || overlap_statistic >= CRITICAL {
            findings.push(Finding::SamePeopleOtherData {
                lines: customers,
                of: n,
                overlap: fits.full.overlap(),
            });
        }
        let foreign = self.foreign_id_lines(&inputs.renumbered);
        if foreign > 0 {
            findings.push(Finding::ForeignIds { lines: foreign });
        }
        for (f, lines) in &inputs.renumbered {
            findings.push(Finding::RenumberedIds {
                field: f.as_str().to_owned(),
                lines: *lines,
            });
        }
        let (system, snapshot, window) = if company {
            self.attribution(&inputs, &fits.full, &mut findings)
        } else {
            (None, None, None)
        };
        let system = system.or_else(|| {
            (company && canary > 0)
                .then(|| canary_systems.first().cloned())
                .flatten()
        });
        if shapes_found {
            findings.push(Finding::Shapes { shapes });
        }
        if public_only && !class.admits() {
            findings.push(Finding::PublicFieldsOnly);
        }
        if class == VerdictClass::Inconclusive {
            findings.push(Finding::SmallSample {
                lines: n,
                upper: interval[1],
            });
        }
        self.reference_findings(&fits.full, c, company, &mut findings);
        let minor_overlap = fits.full.overlap_lines < material && reference_lines < material;
        let hypotheses = self.hypotheses(&fits, c, public_only, shapes_found, minor_overlap);
        if !hypotheses.is_empty() {
            findings.push(Finding::Hypotheses {
                scores: hypotheses
                    .iter()
                    .filter(|h| h.posterior >= 0.001)
                    .map(|h| (h.hypothesis, h.posterior))
                    .collect(),
            });
        }
        for r in self.generator_fingerprints() {
            findings.push(Finding::Fingerprint {
                field: r.field,
                ratio: r.sample_rate / r.index_rate.max(1.0 / r.index_pairs as f64),
                sample: (r.sample_rate, r.sample_pairs),
                company: (r.index_rate, r.index_pairs),
            });
        }
        if class == VerdictClass::Genuine
            && canary == 0
            && self.count(EvidenceClass::InternalId) == 0
            && self.count(EvidenceClass::QuirkFullRecord) == 0
            && self.joined == 0
        {
            findings.push(Finding::NothingCompanyOnly);
        }
        let rate = (self.expected_coincidental / n_f).max(COINCIDENCE_RATE);
        findings.push(Finding::Baseline {
            expected: rate * n_f,
            rate,
            of: n,
        });
        if self.duplicates * 100 > n {
            findings.push(Finding::Duplicates {
                lines: self.duplicates,
                of: n,
            });
        }
        for (signal, lines) in [
            (QualitySignal::PhoneImpossible, self.phone_invalid),
            (QualitySignal::EmailInvalid, self.email_invalid),
            (QualitySignal::BirthDateImpossible, self.birth_date_invalid),
            (QualitySignal::EmailReserved, self.email_reserved),
        ] {
            if lines > 0 {
                findings.push(Finding::Quality {
                    signal,
                    lines,
                    of: n,
                });
            }
        }
        let sources = fits.full.report(&inputs);
        let baseline = Baseline {
            coincidental_full_record_rate: rate,
            expected_coincidental_lines: rate * n_f,
            genuine_copy_full_record_rate: 1.0 - sources.miss_rate,
            method: Cow::Borrowed(BASELINE_METHOD),
        };
        Verdict {
            class,
            next_steps: next_steps(class, system.as_deref()),
            system: if class.admits() || company {
                system
            } else {
                None
            },
            snapshot: if company { snapshot } else { None },
            snapshot_window: if company { window } else { None },
            genuine_fraction,
            baseline,
            hypotheses,
            sources: Some(sources),
            findings,
            reasons: Vec::new(),
        }
    }

    /// Lines matching one record whole (evidence class fuzzy record or stronger).
    fn whole_lines(&self) -> u64 {
        self.by_evidence
            .iter()
            .filter(|(c, _)| c.is_genuine())
            .map(|(_, n)| n)
            .sum()
    }

    /// Lines whose contact details are a customer's (as the source model counts customers:
    /// see `source::recognisable`) while their id column names another id (columns
    /// `renumbered` as a whole are not counted: see `source::renumbered_ids`).
    fn foreign_id_lines(&self, renumbered: &[(MatchField, u64)]) -> u64 {
        self.profiles
            .iter()
            .filter(|(p, _)| {
                p.is_member()
                    && source::recognisable(p)
                    && [MatchField::CustomerId, MatchField::OrderId]
                        .iter()
                        .filter(|f| !renumbered.iter().any(|(r, _)| r == *f))
                        .any(|f| p.level(*f) == breachcheck_link::FieldLevel::Differ)
            })
            .map(|(_, n)| *n)
            .sum()
    }

    /// Whether the sample carries a field that is not public (e-mail, birth date, login,
    /// ids, national id).
    fn has_private_fields(&self) -> bool {
        [
            MatchField::Email,
            MatchField::BirthDate,
            MatchField::Username,
            MatchField::CustomerId,
            MatchField::OrderId,
            MatchField::NationalId,
        ]
        .iter()
        .any(|f| self.field_present[f.index()] * 20 > self.records)
    }

    /// Shapes of rows that are sources of their own: sets of filled columns, each
    /// carried by a real share of the lines, such that some column of one is (almost)
    /// never filled together with some column of another — far less often than if the
    /// columns were filled independently, as optional columns of one export are. Empty
    /// when the rows are of one source.
    fn source_shapes(&self) -> Vec<Shape> {
        let n: u64 = self.shapes.values().map(|(_, l, _)| l).sum();
        if n < 20 {
            return Vec::new();
        }
        let n_f = n as f64;
        let columns = self.shapes.keys().fold(0u64, |m, k| m | k);
        let with = |mask: u64| -> f64 {
            self.shapes
                .iter()
                .filter(|(s, _)| *s & mask == mask)
                .map(|(_, (_, l, _))| *l as f64)
                .sum()
        };
        // Pairs of columns filled together far less than independence predicts, tested
        // by the likelihood ratio of "together at the observed rate" over "independent".
        let mut exclusive: Vec<(u64, u64)> = Vec::new();
        for a in (0..64).filter(|i| columns & (1 << i) != 0) {
            for b in (a + 1..64).filter(|i| columns & (1 << i) != 0) {
                let (ba, bb) = (1u64 << a, 1u64 << b);
                let (na, nb) = (with(ba), with(bb));
                if na < SHAPE_SHARE * n_f || nb < SHAPE_SHARE * n_f {
                    continue;
                }
                let nab = with(ba | bb);
                let expected = na * nb / n_f;
                // Merged rows (a person found in two sources) fill both, but far less often
                // than independent optional columns would.
                if nab >= 0.75 * expected {
                    continue;
                }
                let g = 2.0
                    * (expected - nab
                        + if nab > 0.0 {
                            nab * (nab / expected).ln()
                        } else {
                            0.0
                        });
                if g >= CRITICAL {
                    exclusive.push((ba, bb));
                }
            }
        }
        if exclusive.is_empty() {
            return Vec::new();
        }
        let main: Vec<(u64, u16, u64, u64)> = self
            .shapes
            .iter()
            .filter(|(_, (_, l, _))| *l as f64 >= SHAPE_SHARE * n_f)
            .map(|(cols, (fields, lines, customers))| (*cols, *fields, *lines, *customers))
            .collect();
        // Only shapes on different sides of an exclusive pair are different sources.
        let distinct = main.iter().enumerate().any(|(i, s)| {
            main[i + 1..].iter().any(|t| {
                exclusive.iter().any(|(a, b)| {
                    (s.0 & a != 0 && s.0 & b == 0 && t.0 & b != 0)
                        || (s.0 & b != 0 && s.0 & a == 0 && t.0 & a != 0)
                })
            })
        });
        if !distinct {
            return Vec::new();
        }
        let mut shapes: Vec<Shape> = main
            .into_iter()
            .map(|(_, fields, lines, customers)| Shape {
                fields: MatchField::ALL
                    .into_iter()
                    .filter(|f| *f != MatchField::NameNative && fields & f.bit() != 0)
                    .collect(),
                lines,
                customers,
            })
            .collect();
        shapes.sort_by_key(|s| std::cmp::Reverse(s.lines));
        shapes
    }

    /// The system with the most copied lines, the snapshot window every one of its copied
    /// records was present in, and the findings that say so.
    fn attribution(
        &self,
        inputs: &Inputs,
        fit: &Fitted,
        findings: &mut Vec<Finding>,
    ) -> (Option<String>, Option<String>, Option<[String; 2]>) {
        let c = inputs.company.len();
        let Some((best, lines)) = fit.lines[..c]
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, l)| (i, *l))
        else {
            return (None, None, None);
        };
        if lines < 0.5 {
            return (None, None, None);
        }
        let system = inputs.company[best].name.clone();
        let others: Vec<(String, f64)> = inputs
            .company
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != best && fit.lines[*i] >= 0.5)
            .map(|(i, s)| (s.name.clone(), fit.lines[i]))
            .collect();
        findings.push(Finding::Source {
            system: system.clone(),
            lines,
            others,
        });
        let snapshots: Vec<&str> = self
            .segments
            .iter()
            .filter(|s| s.is_system() && s.system == system)
            .map(|s| s.snapshot.as_str())
            .collect();
        let spans = &fit.spans[best];
        let total: f64 = spans.iter().map(|(_, w)| w).sum();
        // A handful of lines matching a neighbouring snapshot's version by chance (a
        // seller's typo that happens to hit an older address) does not move the window.
        let kept: Vec<(u8, u8)> = spans
            .iter()
            .filter(|(_, w)| *w >= (0.01 * total).max(0.5))
            .map(|(s, _)| *s)
            .collect();
        let name = |i: u8| snapshots.get(i as usize).map(|s| (*s).to_owned());
        let latest_first = kept.iter().map(|s| s.0).max();
        let earliest_last = kept.iter().map(|s| s.1).min();
        match (latest_first, earliest_last) {
            (Some(lf), Some(el)) if lf <= el => {
                let (Some(from), Some(to)) = (name(lf), name(el)) else {
                    return (Some(system), None, None);
                };
                // Spans taken by date from another system's records say when the person
                // was held, not when this system's records first and last were: no bound.
                let by_date = fit.by_date.get(best).copied().unwrap_or(0.0) >= 0.5;
                findings.push(Finding::Dating {
                    system: system.clone(),
                    from: from.clone(),
                    to: to.clone(),
                    bounded: if by_date {
                        (false, false)
                    } else {
                        (lf > 0, (el as usize) + 1 < snapshots.len())
                    },
                });
                (Some(system), Some(from.clone()), Some([from, to]))
            }
            (Some(_), Some(_)) => {
                findings.push(Finding::DatingMixed {
                    system: system.clone(),
                });
                // The snapshot that held the most of the copied records.
                let held = |t: u8| -> f64 {
                    spans
                        .iter()
                        .filter(|((f, l), _)| *f <= t && t <= *l)
                        .map(|(_, w)| w)
                        .sum()
                };
                let top = (0..snapshots.len() as u8).max_by(|a, b| held(*a).total_cmp(&held(*b)));
                let snap = top.and_then(name);
                (Some(system), snap, None)
            }
            // No copied line's best record is this system's (its people are another
            // system's too, whose record the linkage preferred): a system of one snapshot
            // still dates its copy, as every record it holds is in that snapshot.
            _ if snapshots.len() == 1 => {
                let only = snapshots[0].to_owned();
                findings.push(Finding::Dating {
                    system: system.clone(),
                    from: only.clone(),
                    to: only.clone(),
                    bounded: (false, false),
                });
                (Some(system), Some(only.clone()), Some([only.clone(), only]))
            }
            _ => (Some(system), None, None),
        }
    }

    fn reference_findings(
        &self,
        fit: &Fitted,
        company_systems: usize,
        company: bool,
        findings: &mut Vec<Finding>,
    ) {
        let references: Vec<&crate::SegmentCount> =
            self.segments.iter().filter(|s| s.reference).collect();
        if references.is_empty() {
            findings.push(Finding::NoReference);
            return;
        }
        for r in &references {
            if r.full_or_better > 0 {
                findings.push(Finding::Reference {
                    corpus: r.system.clone(),
                    registered: r.snapshot.clone(),
                    lines: r.full_or_better,
                    of: self.records,
                });
            }
        }
        if company {
            // Copied lines that also match a registered breach: the company's own data,
            // which circulated before.
            let leaked: f64 = self
                .profiles
                .iter()
                .filter(|(p, _)| p.reference != 0 && p.is_member())
                .map(|(_, n)| *n as f64)
                .sum::<f64>()
                * (fit.genuine(company_systems) > 0.0) as u8 as f64;
            if leaked >= 1.0 && fit.genuine(company_systems) > 0.5 {
                findings.push(Finding::LeakedBefore { lines: leaked });
            }
        }
        if references.iter().all(|r| r.full_or_better == 0) {
            findings.push(Finding::NoReferenceMatch {
                corpora: references.iter().map(|r| r.system.clone()).collect(),
            });
        }
    }

    /// Every story scored by its best fit: log-likelihood with half a log(n) per free
    /// mixture weight (BIC), normalised under equal priors.
    fn hypotheses(
        &self,
        fits: &Fits,
        c: usize,
        public_only: bool,
        shapes: bool,
        minor_overlap: bool,
    ) -> Vec<HypothesisScore> {
        let n = self.records as f64;
        if n <= 0.0 {
            return Vec::new();
        }
        let refs = self.segments.iter().filter(|s| s.reference).count() as u32;
        let c = c as u32;
        let mut stories: Vec<(VerdictClass, f64, u32)> = Vec::new();
        if c > 0 {
            stories.push((
                VerdictClass::Genuine,
                fits.copies.log_likelihood,
                c.saturating_sub(1),
            ));
            // Other customers below a second source's share (`MIN_SOURCE_SHARE`) are part
            // of a mixed sample, as the class says: the story scores with the full fit.
            let mixed = if minor_overlap && !shapes {
                fits.unrelated_rest
                    .log_likelihood
                    .max(fits.full.log_likelihood)
            } else {
                fits.unrelated_rest.log_likelihood
            };
            stories.push((VerdictClass::Mixed, mixed, c + refs));
            stories.push((
                VerdictClass::Compilation,
                fits.full.log_likelihood,
                c + 1 + refs,
            ));
        }
        // Other real people: several sources when the rows come in shapes of their own.
        let other = if shapes {
            VerdictClass::Compilation
        } else if public_only {
            VerdictClass::Scraped
        } else {
            VerdictClass::Recycled
        };
        match stories.iter_mut().find(|(h, _, _)| *h == other) {
            // One score per story: the better of its fits.
            Some(s) if s.1 < fits.none.log_likelihood => {
                *s = (other, fits.none.log_likelihood, 1 + refs)
            }
            Some(_) => {}
            None => stories.push((other, fits.none.log_likelihood, 1 + refs)),
        }
        stories.push((VerdictClass::Fabricated, fits.made_up.log_likelihood, refs));
        let bic: Vec<f64> = stories
            .iter()
            .map(|(_, ll, k)| ll - 0.5 * f64::from(*k) * n.ln())
            .collect();
        let top = bic.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = bic.iter().map(|b| (b - top).exp()).sum();
        let mut out: Vec<HypothesisScore> = stories
            .into_iter()
            .zip(&bic)
            .map(|((h, ll, k), b)| HypothesisScore {
                hypothesis: h,
                log_likelihood: ll,
                parameters: k,
                posterior: (b - top).exp() / total,
            })
            .collect();
        out.sort_by(|x, y| y.posterior.total_cmp(&x.posterior));
        out
    }

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
}

fn next_steps(class: VerdictClass, system: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    match class {
        VerdictClass::Genuine | VerdictClass::Mixed => {
            out.push("treat the sample as containing company data: start incident response and preserve this report and the sample's SHA-256".into());
            if let Some(sys) = system {
                out.push(format!("review access to system {sys} around the snapshot window; compare with export and access logs"));
            }
            out.push("re-run on the full dump when obtained; notify affected customers per the matched lines".into());
        }
        VerdictClass::Compilation => {
            out.push("the sample merges several sources: check each shape's share and overlap above; treat any part found to be the company's as a leak".into());
            out.push("register the sources you can identify as reference corpora (`breachcheck reference add`) and re-run".into());
        }
        VerdictClass::Fabricated => {
            out.push("nothing in the sample comes from the indexed systems; a public statement can cite the counts and interval above".into());
            out.push("make sure every system holding customer data is indexed before relying on this, and offer an independent audit".into());
        }
        VerdictClass::Recycled | VerdictClass::Scraped => {
            out.push("the people overlap but the records are not the company's copies: look for the other service or public source; warn customers about credential reuse and phishing".into());
        }
        VerdictClass::Inconclusive => {
            out.push("obtain a larger sample or the full dump, check the column roles (`--map`), and index any system not yet indexed".into());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::{Finding, SystemInfo, Tally, VerdictClass};
    use breachcheck_core::{EvidenceClass, MatchField};
    use breachcheck_index::{Commitment, Manifest, SegmentKind};
    use breachcheck_link::{FieldLevel, LineProfile, CANARY};
    use proptest::prelude::*;

    const FIELDS: [MatchField; 4] = [
        MatchField::CustomerId,
        MatchField::Email,
        MatchField::Name,
        MatchField::Phone,
    ];

    /// A tally over one company system of 10,000 customers.
    fn tally() -> Tally {
        let m = Manifest {
            format: breachcheck_index::MANIFEST_FORMAT.into(),
            rules_version: 1,
            key_fingerprint: String::new(),
            segments: Vec::new(),
            commitment: Commitment::compute(&[], ""),
        };
        let mut t = Tally::new(&m);
        t.systems = vec![SystemInfo {
            name: "accounts".into(),
            kind: SegmentKind::System,
            live: 10_000,
            fields: 0,
        }];
        t.held_records = 10_000.0;
        t
    }

    /// Adds `n` lines carrying [`FIELDS`] at `levels` (absent: not a customer), counted
    /// under `class`.
    fn add(t: &mut Tally, n: u64, levels: Option<[FieldLevel; 4]>, class: EvidenceClass) {
        if n == 0 {
            return;
        }
        let mut p = LineProfile {
            span: (0xff, 0xff),
            ..LineProfile::default()
        };
        match levels {
            Some(l) => {
                p.members = 1;
                p.complete = u32::from(!l.contains(&FieldLevel::LineOnly));
                p.system = 1;
                for (f, l) in FIELDS.iter().zip(l) {
                    p.set_level(*f, l);
                }
            }
            None => {
                for f in FIELDS {
                    p.set_level(f, FieldLevel::LineOnly);
                }
            }
        }
        if class == EvidenceClass::Canary {
            p.flags |= CANARY;
        }
        *t.profiles.entry(p).or_insert(0) += n;
        *t.by_evidence.entry(class).or_insert(0) += n;
        t.records += n;
        for f in FIELDS {
            t.field_present[f.index()] += n;
        }
    }

    use FieldLevel::{Differ, Exact};
    const COPY: [FieldLevel; 4] = [Exact, Exact, Exact, Exact];
    const OTHER_SERVICE: [FieldLevel; 4] = [Differ, Exact, Exact, Exact];
    /// A made-up person whose generated e-mail is a customer's: nothing else agrees.
    const CHANCE: [FieldLevel; 4] = [Differ, Exact, Exact, Differ];

    #[test]
    fn a_copy_is_genuine_another_services_dump_recycled_made_up_people_fabricated() {
        let mut t = tally();
        add(&mut t, 1999, Some(COPY), EvidenceClass::InternalId);
        add(&mut t, 1, None, EvidenceClass::None);
        let v = t.verdict();
        assert_eq!(v.class, VerdictClass::Genuine, "{:?}", v.findings);
        assert_eq!(v.system.as_deref(), Some("accounts"));
        // One unmatched line in two thousand is what the linkage can miss of a copy
        // (0.1%): the interval reaches 100%, and does not claim more certainty than that.
        let [lo, hi] = v.genuine_fraction.ci95;
        assert!(hi > 0.9999 && lo < 0.9995, "{lo} {hi}");

        // Ten in a thousand unmatched beside exact ids are not the linkage's misses: some
        // lines are not the company's, and the interval says how many.
        let mut t = tally();
        add(&mut t, 990, Some(COPY), EvidenceClass::InternalId);
        add(&mut t, 10, None, EvidenceClass::None);
        let v = t.verdict();
        assert!(v.class.admits(), "{:?}", v.findings);
        let [lo, hi] = v.genuine_fraction.ci95;
        assert!(lo <= 0.99 && 0.99 <= hi, "{lo} {hi}");

        let mut t = tally();
        add(&mut t, 300, Some(OTHER_SERVICE), EvidenceClass::FullRecord);
        add(&mut t, 700, None, EvidenceClass::None);
        let v = t.verdict();
        assert_eq!(v.class, VerdictClass::Recycled, "{:?}", v.findings);
        assert_eq!(v.genuine_fraction.estimate, 0.0);

        let mut t = tally();
        add(&mut t, 1000, None, EvidenceClass::None);
        let v = t.verdict();
        assert_eq!(v.class, VerdictClass::Fabricated, "{:?}", v.findings);
        assert!(v.genuine_fraction.ci95[1] < 0.01);

        let mut t = tally();
        add(&mut t, 100, Some(COPY), EvidenceClass::InternalId);
        add(&mut t, 900, None, EvidenceClass::None);
        let v = t.verdict();
        assert_eq!(v.class, VerdictClass::Mixed, "{:?}", v.findings);
        let [lo, hi] = v.genuine_fraction.ci95;
        assert!(lo <= 0.1 && 0.1 <= hi, "{lo} {hi}");

        let mut t = tally();
        add(&mut t, 12, None, EvidenceClass::None);
        assert_eq!(t.verdict().class, VerdictClass::Inconclusive);
    }

    #[test]
    fn a_few_chance_customers_among_made_up_lines_make_no_compilation() {
        // Half a copy, half made-up people of whom a dozen happen to carry a customer's
        // e-mail and name: significant to the likelihood-ratio test at this size, yet far
        // below a second source's share (MIN_SOURCE_SHARE): mixed, not compilation.
        let mut t = tally();
        add(&mut t, 5000, Some(COPY), EvidenceClass::InternalId);
        add(&mut t, 4988, None, EvidenceClass::None);
        add(&mut t, 12, Some(CHANCE), EvidenceClass::Partial);
        let v = t.verdict();
        assert_eq!(v.class, VerdictClass::Mixed, "{:?}", v.findings);
        let [lo, hi] = v.genuine_fraction.ci95;
        assert!(lo <= 0.5 && 0.5 <= hi, "{lo} {hi}");
        // The table of stories agrees with the class.
        assert_eq!(
            v.hypotheses.first().map(|h| h.hypothesis),
            Some(VerdictClass::Mixed),
            "{:?}",
            v.hypotheses
        );

        // The same other source at a tenth of the lines is one.
        let mut t = tally();
        add(&mut t, 5000, Some(COPY), EvidenceClass::InternalId);
        add(&mut t, 4000, None, EvidenceClass::None);
        add(&mut t, 1000, Some(OTHER_SERVICE), EvidenceClass::FullRecord);
        let v = t.verdict();
        assert_eq!(v.class, VerdictClass::Compilation, "{:?}", v.findings);
    }

    #[test]
    fn an_id_column_that_names_none_of_the_companys_ids_is_not_weighed() {
        // A copy whose seller numbered the rows (or rewrote the ids): contact details and
        // names agree with the record on every line, the id on none. It is a copy.
        let mut t = tally();
        add(&mut t, 1999, Some(OTHER_SERVICE), EvidenceClass::FullRecord);
        add(&mut t, 1, None, EvidenceClass::None);
        let v = t.verdict();
        assert_eq!(v.class, VerdictClass::Genuine, "{:?}", v.findings);
        assert!(
            v.genuine_fraction.estimate > 0.98,
            "{:?}",
            v.genuine_fraction
        );
        assert!(v
            .findings
            .iter()
            .any(|f| matches!(f, Finding::RenumberedIds { lines: 1999, .. })));
        assert!(!v
            .findings
            .iter()
            .any(|f| matches!(f, Finding::ForeignIds { .. })));

        // Where many lines are not customers, the column may be another service's ids,
        // and keeps its weight.
        let mut t = tally();
        add(&mut t, 600, Some(CHANCE), EvidenceClass::Partial);
        add(&mut t, 400, None, EvidenceClass::None);
        let v = t.verdict();
        assert!(
            !v.findings
                .iter()
                .any(|f| matches!(f, Finding::RenumberedIds { .. })),
            "{:?}",
            v.findings
        );
        assert!(v
            .findings
            .iter()
            .any(|f| matches!(f, Finding::ForeignIds { lines: 600 })));

        // Where the column does name the company's ids, a line whose id differs still
        // weighs as another system's: a copy with another service's lines beside it.
        let mut t = tally();
        add(&mut t, 1000, Some(COPY), EvidenceClass::InternalId);
        add(&mut t, 1000, Some(OTHER_SERVICE), EvidenceClass::FullRecord);
        let v = t.verdict();
        assert!(
            !v.findings
                .iter()
                .any(|f| matches!(f, Finding::RenumberedIds { .. })),
            "{:?}",
            v.findings
        );
        assert!(v
            .findings
            .iter()
            .any(|f| matches!(f, Finding::ForeignIds { lines: 1000 })));
        assert!(v.genuine_fraction.estimate < 0.7, "{:?}", v.findings);
    }

    /// The one-system tally plus "shop" (2,000 customers, a share of accounts' people), with
    /// segments of (system, snapshot), oldest first per system.
    fn with_shop(segments: &[(&str, &str)]) -> Tally {
        let mut t = tally();
        t.systems.push(SystemInfo {
            name: "shop".into(),
            kind: SegmentKind::System,
            live: 2_000,
            fields: 0,
        });
        for (system, snapshot) in segments {
            t.segments.push(crate::SegmentCount {
                system: (*system).into(),
                snapshot: (*snapshot).into(),
                canary: false,
                reference: false,
                full_or_better: 0,
                any_match: 0,
                complete: 0,
                joined: 0,
            });
        }
        t
    }

    /// A line of shop's columns whose person both systems hold, its best record accounts'
    /// present in the snapshots `span`.
    fn shop_copy_line(span: (u8, u8)) -> LineProfile {
        let mut p = LineProfile {
            members: 0b11,
            complete: 0b10,
            system: 1,
            span,
            ..LineProfile::default()
        };
        for f in [MatchField::Email, MatchField::Name, MatchField::Phone] {
            p.set_level(f, FieldLevel::Exact);
        }
        p
    }

    #[test]
    fn a_copy_of_a_system_is_dated_by_its_own_snapshots() {
        // "accounts" has two snapshots, "shop" one and a share of accounts' people. A copy
        // of shop (its columns) whose lines' best records are accounts' carries accounts'
        // spans, which say nothing of shop's snapshots.
        let mut t = with_shop(&[
            ("accounts", "2021-01-31"),
            ("accounts", "2021-06-30"),
            ("shop", "2021-06-30"),
        ]);
        for (n, span) in [(1700, (0, 1)), (250, (1, 1)), (50, (0, 0))] {
            let p = shop_copy_line(span);
            *t.profiles.entry(p).or_insert(0) += n;
            *t.by_evidence.entry(EvidenceClass::FullRecord).or_insert(0) += n;
            t.records += n;
        }
        let v = t.verdict();
        assert_eq!(v.system.as_deref(), Some("shop"), "{:?}", v.findings);
        assert_eq!(
            v.snapshot_window,
            Some(["2021-06-30".to_owned(), "2021-06-30".to_owned()]),
            "{:?}",
            v.findings
        );
        assert!(
            !v.findings
                .iter()
                .any(|f| matches!(f, Finding::DatingMixed { .. })),
            "{:?}",
            v.findings
        );
        // accounts' spans say when the people were held, not when shop's records first
        // were: the window claims no bound.
        assert!(
            v.findings.iter().any(|f| matches!(
                f,
                Finding::Dating {
                    bounded: (false, false),
                    ..
                }
            )),
            "{:?}",
            v.findings
        );

        // Where accounts' snapshots fall outside shop's, no span says anything of shop: its
        // one snapshot still dates the copy.
        for s in &mut t.segments {
            if s.system == "accounts" {
                s.snapshot = s.snapshot.replace("2021-06-30", "2021-03-31");
            }
        }
        let v = t.verdict();
        assert_eq!(v.system.as_deref(), Some("shop"), "{:?}", v.findings);
        assert_eq!(
            v.snapshot_window,
            Some(["2021-06-30".to_owned(), "2021-06-30".to_owned()]),
            "{:?}",
            v.findings
        );
    }

    #[test]
    fn unmatched_lines_are_no_unseen_customers_of_a_pattern_that_recognises_nobody() {
        // Made-up people: e-mail and phone someone else's; a common name in a coarse postal
        // code and the country agree with some record, which the linkage may take for the
        // person. Such a pattern is not one that recognises a person, and the lines that
        // match nothing must not become customers the model cannot see.
        use MatchField::{Country, Email, Name, Phone, PostalCode};
        let mut t = tally();
        let mut chance = LineProfile {
            members: 1,
            complete: 1,
            system: 1,
            span: (0xff, 0xff),
            ..LineProfile::default()
        };
        for (f, l) in [
            (Email, Differ),
            (Phone, Differ),
            (Name, Exact),
            (PostalCode, Exact),
            (Country, Exact),
        ] {
            chance.set_level(f, l);
        }
        let mut nothing = LineProfile {
            span: (0xff, 0xff),
            ..LineProfile::default()
        };
        for f in [Email, Phone, Name, PostalCode, Country] {
            nothing.set_level(f, FieldLevel::LineOnly);
        }
        for (p, n, class) in [
            (chance, 600, EvidenceClass::Partial),
            (nothing, 1000, EvidenceClass::None),
        ] {
            *t.profiles.entry(p).or_insert(0) += n;
            *t.by_evidence.entry(class).or_insert(0) += n;
            t.records += n;
        }
        let v = t.verdict();
        assert!(
            !matches!(v.class, VerdictClass::Recycled | VerdictClass::Compilation),
            "{:?} {:?}",
            v.class,
            v.findings
        );
        assert!(
            !v.findings
                .iter()
                .any(|f| matches!(f, Finding::SamePeopleOtherData { .. })),
            "{:?}",
            v.findings
        );
    }

    #[test]
    fn a_copy_dated_through_another_systems_records_claims_no_bound() {
        // shop's snapshots (Jan 15, Jun 30) are not accounts' (Jan 31, Jun 30): a copy of
        // shop whose best records are accounts' present only on Jun 30 says when accounts
        // held those people, not that shop's records first appear on Jun 30.
        let mut t = with_shop(&[
            ("accounts", "2021-01-31"),
            ("accounts", "2021-06-30"),
            ("shop", "2021-01-15"),
            ("shop", "2021-06-30"),
        ]);
        let p = shop_copy_line((1, 1));
        t.profiles.insert(p, 2000);
        t.by_evidence.insert(EvidenceClass::FullRecord, 2000);
        t.records = 2000;
        let v = t.verdict();
        assert_eq!(v.system.as_deref(), Some("shop"), "{:?}", v.findings);
        assert!(
            v.findings.iter().any(|f| matches!(
                f,
                Finding::Dating {
                    bounded: (false, false),
                    ..
                }
            )),
            "{:?}",
            v.findings
        );
    }

    #[test]
    fn rendered_findings_name_each_story() {
        let mut t = tally();
        add(&mut t, 300, Some(OTHER_SERVICE), EvidenceClass::FullRecord);
        add(&mut t, 700, None, EvidenceClass::None);
        let v = t.verdict();
        let kinds: Vec<String> = v
            .findings
            .iter()
            .map(|f| {
                serde_json::to_value(f)
                    .ok()
                    .and_then(|j| j["finding"].as_str().map(str::to_owned))
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "no_company_lines",
                "matched",
                "same_people_other_data",
                "foreign_ids",
                "no_reference",
                "hypotheses",
                "baseline"
            ],
            "{:?}",
            v.findings
        );
    }

    fn rank(class: VerdictClass) -> u8 {
        u8::from(class.admits() || class == VerdictClass::Compilation)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]

        /// A planted canary never lowers the verdict: with canary lines added, a sample
        /// that admitted still admits, and one that did not may only come to.
        #[test]
        fn a_canary_never_lowers_the_class(
            copies in 0u64..400, others in 0u64..400, none in 0u64..600, canaries in 1u64..4
        ) {
            let mut t = tally();
            add(&mut t, copies, Some(COPY), EvidenceClass::InternalId);
            add(&mut t, others, Some(OTHER_SERVICE), EvidenceClass::FullRecord);
            add(&mut t, none + 1, None, EvidenceClass::None);
            let before = t.verdict();
            add(&mut t, canaries, Some(COPY), EvidenceClass::Canary);
            let after = t.verdict();
            prop_assert!(after.class.admits() || after.class == VerdictClass::Compilation,
                "{:?} -> {:?}", before.class, after.class);
            prop_assert!(rank(after.class) >= rank(before.class));
        }

        /// Unmatched made-up lines never raise it: a sample that did not admit does not
        /// come to, and the copied share's estimate does not grow.
        #[test]
        fn unmatched_lines_never_raise_the_class(
            copies in 0u64..300, others in 0u64..300, none in 0u64..300, more in 1u64..2000
        ) {
            let mut t = tally();
            add(&mut t, copies, Some(COPY), EvidenceClass::InternalId);
            add(&mut t, others, Some(OTHER_SERVICE), EvidenceClass::FullRecord);
            add(&mut t, none + 1, None, EvidenceClass::None);
            let before = t.verdict();
            add(&mut t, more, None, EvidenceClass::None);
            let after = t.verdict();
            prop_assert!(rank(after.class) <= rank(before.class) || before.class == VerdictClass::Inconclusive,
                "{:?} -> {:?}", before.class, after.class);
            prop_assert!(after.genuine_fraction.estimate <= before.genuine_fraction.estimate + 1e-6,
                "{} -> {}", before.genuine_fraction.estimate, after.genuine_fraction.estimate);
        }
    }
}
