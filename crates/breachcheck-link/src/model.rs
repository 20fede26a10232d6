//! The Fellegi–Sunter linkage model: per field and per agreement level, how likely that
//! level is between two records of the same person (m) and between two unrelated records
//! (u). A pair's score is the sum of log2(m/u) over the fields both sides have: how many
//! times likelier the agreement pattern is for one person than for a random pair.
//!
//! From scores to a probability, per system of the index: with probability `share` the
//! line's person is held in the system, and then is any one of its `population` records,
//! which blocking finds with probability [`BLOCKING_RECALL`]. Given the line's candidates
//! in that system with likelihood ratios LR_k = 2^score_k, candidate j is the person's
//! record with probability
//!
//! ```text
//!            share · LR_j / N
//! ─────────────────────────────────────────────────────
//! (1 − share) + share · Σ_k LR_k / N + share · (1 − recall)
//! ```
//!
//! So a candidate must explain the line far better than chance (LR against N), better than
//! the other candidates, and better than "not held here". A fabricated sample (share near
//! 0) needs overwhelming evidence; in a sample that is mostly the company's, a typo-ridden
//! line whose one candidate agrees on most fields is linked, as it should be.
//!
//! Estimated from the data, as a linkage tool should, in the way Splink does it: u from
//! random pairs (of the sample's own lines), m and each system's share by
//! expectation–maximisation over the candidate pairs blocking found, u held fixed.

use breachcheck_core::{FuzzyKind, MatchField};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Agreement level of one field between a line and a candidate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// One side lacks the field: no evidence either way.
    Missing = 0,
    /// Canonical values equal.
    Exact = 1,
    /// Fuzzy encodings very close (one typo; a digit changed).
    Close = 2,
    /// Fuzzy encodings somewhat close (two typos; two digits transposed).
    Near = 3,
    /// Different names sharing a whole token (same family name, other given name).
    Token = 4,
    /// Different values.
    Differ = 5,
}

impl Level {
    /// Every level, in index order.
    pub const ALL: [Level; LEVELS] = [
        Level::Missing,
        Level::Exact,
        Level::Close,
        Level::Near,
        Level::Token,
        Level::Differ,
    ];

    /// Position in per-level arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Contract name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Missing => "missing",
            Level::Exact => "exact",
            Level::Close => "close",
            Level::Near => "near",
            Level::Token => "token",
            Level::Differ => "differ",
        }
    }

    /// Level of two fuzzy encodings whose canonical values differ.
    pub(crate) fn of_fuzzy(kind: FuzzyKind, a: u64, b: u64) -> Level {
        let s = breachcheck_core::similarity(kind, a, b);
        let (close, near) = match kind {
            FuzzyKind::None => return Level::Differ,
            // Measured on FEBRL4 (48-bit name filters): 62% of differently written names
            // of one person reach Dice 0.8 and 80% 0.65; of unrelated names, 0.03% and
            // 0.5%.
            FuzzyKind::Bigrams | FuzzyKind::BigramsTokens => (0.8, 0.65),
            // 7 of 8 positions: one substitution; 6 of 8: a transposition.
            FuzzyKind::Positional => (0.875, 0.75),
        };
        if s >= close {
            Level::Close
        } else if s >= near {
            Level::Near
        } else if kind == FuzzyKind::BigramsTokens && breachcheck_core::shares_token(a, b) {
            Level::Token
        } else {
            Level::Differ
        }
    }
}

/// Number of agreement levels.
pub const LEVELS: usize = 6;

/// Agreement levels of every field for one pair.
pub type Levels = [Level; MatchField::COUNT];

/// 2^score, the likelihood ratio of a match weight (capped so it stays finite).
pub(crate) fn likelihood_ratio(score: f64) -> f64 {
    2f64.powf(score.min(1000.0))
}

/// Pseudo-count weight of the m prior, in pairs: a sample must show this many true pairs
/// before its own agreement rates outweigh the prior's.
const M_PRIOR_PAIRS: f64 = 50.0;
/// Random pairs a level must be seen in before its observed u replaces the prior.
const U_MIN_SEEN: u64 = 5;
const EM_MAX_ITERATIONS: usize = 100;
const EM_TOLERANCE: f64 = 1e-7;
/// Distinct lines an EM pass hands a thread at a time (fixed, so that the sums are).
const EM_CHUNK: usize = 2048;

/// Probability that blocking finds a held person's record among the candidates; the rest
/// of the probability mass of "held" sits on records blocking did not find. Measured on
/// FEBRL4 at 0.9996 (2 of 5,000 true records share no blocking key with their copy).
pub const BLOCKING_RECALL: f64 = 0.99;

/// The prior of one system of the index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SystemPrior {
    /// System (or reference corpus, or canary set) name.
    pub system: String,
    /// Records a line's person could be any one of.
    pub population: f64,
    /// Share of sample lines whose person the system holds (EM estimate).
    pub share: f64,
}

/// m and u per field and level, and each system's prior.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LinkageModel {
    /// P(level | same person), per field (index order) and level (index order).
    pub m: [[f64; LEVELS]; MatchField::COUNT],
    /// P(level | unrelated), per field and level.
    pub u: [[f64; LEVELS]; MatchField::COUNT],
    /// Per system (as numbered by the prober), its population and share.
    pub systems: Vec<SystemPrior>,
    /// How the model was obtained.
    pub fit: FitSummary,
}

/// A line's candidate in the EM data: its system and its agreement pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PairRef {
    /// System number (index into [`LinkageModel::systems`]).
    pub system: u32,
    /// Index into the pattern table.
    pub pattern: u32,
}

/// What the estimation saw.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FitSummary {
    /// Random pairs u was estimated from (0: priors only).
    pub random_pairs: u64,
    /// Candidate pairs m and the share were estimated from (0: priors only).
    pub candidate_pairs: u64,
    /// EM iterations run.
    pub iterations: u32,
    /// Whether EM converged within its iteration bound.
    pub converged: bool,
}

impl Default for LinkageModel {
    /// The priors: how selective each field is in customer data (an e-mail is nearly
    /// unique, a country shared by millions) and how often a copy keeps a field exact.
    fn default() -> Self {
        let mut m = [[0.0; LEVELS]; MatchField::COUNT];
        let mut u = [[0.0; LEVELS]; MatchField::COUNT];
        for f in MatchField::ALL {
            // log2(m/u) of exact agreement.
            let bits: f64 = match f {
                MatchField::Email => 20.0,
                MatchField::Phone => 18.0,
                MatchField::Name => 12.0,
                MatchField::Address => 14.0,
                MatchField::City => 6.0,
                MatchField::PostalCode => 9.0,
                MatchField::Country => 1.5,
                MatchField::BirthDate => 13.0,
                MatchField::Username => 14.0,
                MatchField::CustomerId => 16.0,
                MatchField::OrderId => 16.0,
                MatchField::NameNative => 12.0,
                MatchField::NationalId => 20.0,
            };
            let i = f.index();
            let fuzzy = FuzzyKind::of(f) != FuzzyKind::None;
            let tokens = FuzzyKind::of(f) == FuzzyKind::BigramsTokens;
            m[i] = match (fuzzy, tokens) {
                (true, true) => [0.0, 0.86, 0.05, 0.03, 0.03, 0.03],
                (true, false) => [0.0, 0.88, 0.05, 0.03, 0.0, 0.04],
                _ => [0.0, 0.95, 0.0, 0.0, 0.0, 0.05],
            };
            let exact = m[i][1] * 2f64.powf(-bits);
            u[i] = match (fuzzy, tokens) {
                (true, true) => [0.0, exact, exact * 20.0, exact * 200.0, 0.02, 0.0],
                (true, false) => [0.0, exact, exact * 20.0, exact * 200.0, 0.0, 0.0],
                _ => [0.0, exact, 0.0, 0.0, 0.0, 0.0],
            };
            u[i][Level::Differ.index()] = 1.0 - u[i].iter().sum::<f64>();
        }
        LinkageModel {
            m,
            u,
            systems: Vec::new(),
            fit: FitSummary::default(),
        }
    }
}

impl LinkageModel {
    /// log2(m/u) of `level` for `field`; 0 for a missing field or a level the field cannot
    /// take.
    pub fn weight(&self, field: MatchField, level: Level) -> f64 {
        let (m, u) = (
            self.m[field.index()][level.index()],
            self.u[field.index()][level.index()],
        );
        if level == Level::Missing || m <= 0.0 || u <= 0.0 {
            0.0
        } else {
            (m / u).log2()
        }
    }

    /// Match weight of a pair: the sum of its fields' weights.
    pub fn score(&self, levels: &Levels) -> f64 {
        MatchField::ALL
            .into_iter()
            .map(|f| self.weight(f, levels[f.index()]))
            .sum()
    }

    /// Prior of system `system` (share 1/2 and population 1 for an unknown one).
    fn prior(&self, system: usize) -> (f64, f64) {
        self.systems
            .get(system)
            .map_or((0.5, 1.0), |s| (s.share, s.population.max(1.0)))
    }

    /// Probability that the candidate with score `score` is the line's person's record in
    /// `system`, where `lr_sum` is Σ 2^score over all the line's candidates there (this one
    /// included). See the module documentation.
    pub fn posterior(&self, system: usize, score: f64, lr_sum: f64) -> f64 {
        self.posterior_of_ratio(system, likelihood_ratio(score), lr_sum)
    }

    /// [`LinkageModel::posterior`] of a candidate whose likelihood ratio is `lr`.
    fn posterior_of_ratio(&self, system: usize, lr: f64, lr_sum: f64) -> f64 {
        match self.posterior_terms(system, lr_sum) {
            Some((share, n, denom)) => (share * lr / n / denom).clamp(0.0, 1.0),
            None => 0.0,
        }
    }

    /// What a candidate's posterior is per unit of its likelihood ratio, among candidates
    /// whose ratios sum to `lr_sum` in `system` (0 where the prior leaves no room): the
    /// factor [`LinkageModel::posterior_of_ratio`] multiplies the ratio by, for EM, which
    /// computes it once for all of a line's candidates in a system.
    fn posterior_per_ratio(&self, system: usize, lr_sum: f64) -> f64 {
        match self.posterior_terms(system, lr_sum) {
            Some((share, n, denom)) => share / n / denom,
            None => 0.0,
        }
    }

    /// The system's share and population, and the posterior's denominator for candidates
    /// whose ratios sum to `lr_sum` (see the module documentation); `None` where it is not
    /// positive. One place for the formula, so that EM fits the model classification uses.
    fn posterior_terms(&self, system: usize, lr_sum: f64) -> Option<(f64, f64, f64)> {
        let (share, n) = self.prior(system);
        let denom = (1.0 - share) + share * lr_sum / n + share * (1.0 - BLOCKING_RECALL);
        (denom > 0.0).then_some((share, n, denom))
    }

    /// Chance that one unrelated record matches `rec` as a record (full or fuzzy): it must
    /// agree exactly on every e-mail, phone and login the line carries, and agree or nearly
    /// on enough of its other personal fields (at least two fields in all, and half of the
    /// line's personal fields) — taken, to stay on the safe side, as the least selective
    /// of them. 0 for a line with fewer than two personal fields (never a record match).
    pub fn chance_match(&self, rec: &breachcheck_normalize::TaggedRecord) -> f64 {
        let contact = [MatchField::Email, MatchField::Phone, MatchField::Username];
        let fields: Vec<MatchField> = rec
            .fields()
            .map(|(f, _)| f)
            .filter(|f| f.is_pii() && *f != MatchField::NameNative)
            .collect();
        if fields.len() < 2 {
            return 0.0;
        }
        let exact = |f: MatchField| self.u[f.index()][Level::Exact.index()];
        let near = |f: MatchField| {
            let u = &self.u[f.index()];
            u[Level::Exact.index()] + u[Level::Close.index()] + u[Level::Near.index()]
        };
        let mut p = 1.0;
        let mut taken = 0usize;
        for f in fields.iter().filter(|f| contact.contains(f)) {
            p *= exact(*f);
            taken += 1;
        }
        let needed = 2usize.max(fields.len().div_ceil(2)).saturating_sub(taken);
        let mut others: Vec<f64> = fields
            .iter()
            .filter(|f| !contact.contains(f))
            .map(|f| near(*f))
            .collect();
        others.sort_by(|a, b| b.total_cmp(a));
        for u in others.into_iter().take(needed) {
            p *= u;
        }
        p
    }

    /// Replaces u with the rates seen among random pairs: `counts[f][l]` pairs of `pairs`
    /// had level `l` on field `f`. A level seen fewer than a handful of times keeps the
    /// smaller of its prior and that handful's rate.
    pub fn set_u(&mut self, counts: &[[u64; LEVELS]; MatchField::COUNT], pairs: u64) {
        for f in MatchField::ALL {
            let i = f.index();
            let seen: u64 = counts[i][1..].iter().sum();
            if seen == 0 {
                continue;
            }
            let n = seen as f64;
            let mut u = self.u[i];
            for l in [Level::Exact, Level::Close, Level::Near, Level::Token] {
                let c = counts[i][l.index()];
                if self.u[i][l.index()] <= 0.0 {
                    continue;
                }
                u[l.index()] = if c >= U_MIN_SEEN {
                    c as f64 / n
                } else {
                    self.u[i][l.index()].min(U_MIN_SEEN as f64 / n)
                };
            }
            u[Level::Differ.index()] =
                (1.0 - u[1..Level::Differ.index()].iter().sum::<f64>()).max(1e-9);
            self.u[i] = u;
        }
        self.fit.random_pairs = pairs;
    }

    /// Sets u of exact agreement on customer ids, order ids and phone numbers from how
    /// densely the company's values fill their space: `neighbours[k]` = (the sample's
    /// values' neighbours looked up, found in a company system) for customer ids, order ids
    /// and phones (see `TaggedRecord::neighbours`), `records` the company's records. A
    /// made-up value names a real one with the share of neighbours found (d), so an
    /// unrelated record shares the line's value with probability d / records. Random
    /// pairs of the sample's own lines cannot say this: a sample's ids are distinct by
    /// construction, and its phones repeat for households and duplicates, not by chance.
    /// Estimated as (found + ½) / (tried + 1), never 0; the phone's only ever lowered (a
    /// sample with a handful of phones keeps its prior).
    pub fn set_densities(&mut self, neighbours: [(u64, u64); 3], records: f64) {
        for (k, f) in [
            MatchField::CustomerId,
            MatchField::OrderId,
            MatchField::Phone,
        ]
        .into_iter()
        .enumerate()
        {
            let (tried, found) = neighbours[k];
            if tried == 0 || records < 1.0 {
                continue;
            }
            let d = (found as f64 + 0.5) / (tried as f64 + 1.0);
            let i = f.index();
            let exact = (d / records).min(0.5);
            let u = &mut self.u[i][Level::Exact.index()];
            *u = if f == MatchField::Phone {
                u.min(exact)
            } else {
                exact
            };
            self.u[i][Level::Differ.index()] =
                (1.0 - self.u[i][1..Level::Differ.index()].iter().sum::<f64>()).max(1e-9);
        }
    }

    /// Estimates m and every system's share by EM. `lines[i]` lists line i's candidates
    /// (grouped by system), `patterns` their agreement patterns, `populations` each
    /// system's (name, records); u is held fixed.
    pub fn fit_m(
        &mut self,
        lines: &[Vec<PairRef>],
        patterns: &[Levels],
        populations: &[(String, u64)],
    ) {
        self.systems = populations
            .iter()
            .map(|(name, n)| SystemPrior {
                system: name.clone(),
                population: (*n).max(1) as f64,
                share: 0.5,
            })
            .collect();
        let pairs: u64 = lines.iter().map(|l| l.len() as u64).sum();
        if pairs == 0 || lines.is_empty() {
            return;
        }
        let prior_m = self.m;
        let n_lines = lines.len() as f64;
        let distinct = distinct_lines(lines);
        let mut converged = false;
        let mut iterations = 0;
        for _ in 0..EM_MAX_ITERATIONS {
            iterations += 1;
            // Per pattern, not per pair (a sample has a few hundred patterns and up to
            // millions of pairs).
            let lrs: Vec<f64> = patterns
                .iter()
                .map(|p| likelihood_ratio(self.score(p)))
                .collect();
            // Over the distinct lines in parallel, in fixed chunks merged in order, so that
            // the sums (and so the model) do not depend on how threads shared the work.
            let parts: Vec<Expected> = distinct
                .par_chunks(EM_CHUNK)
                .map(|part| self.expect(part, &lrs))
                .collect();
            let mut expected = Expected::new(self.systems.len(), patterns.len());
            for part in parts {
                expected.add(&part);
            }
            if self.maximize(&expected, patterns, &prior_m, n_lines) < EM_TOLERANCE {
                converged = true;
                break;
            }
        }
        self.fit.candidate_pairs = pairs;
        self.fit.iterations = iterations;
        self.fit.converged = converged;
    }

    /// EM's E-step over `lines` (distinct lines and how often each occurs), the patterns'
    /// likelihood ratios being `lrs`.
    fn expect(&self, lines: &[(&[PairRef], f64)], lrs: &[f64]) -> Expected {
        let systems = self.systems.len();
        let mut e = Expected::new(systems, lrs.len());
        for &(line, count) in lines {
            for group in line.chunk_by(|a, b| a.system == b.system) {
                let sys = group[0].system as usize;
                if sys >= systems {
                    continue;
                }
                let lr_sum: f64 = group.iter().map(|p| lrs[p.pattern as usize]).sum();
                e.lines_with[sys] += count;
                // A candidate's posterior is its ratio times a factor of the group's
                // (`posterior_of_ratio`): one division a group, not one a pair.
                let per_ratio = count * self.posterior_per_ratio(sys, lr_sum);
                for p in group {
                    let w = (per_ratio * lrs[p.pattern as usize]).min(count);
                    e.held[sys] += w;
                    e.weight[p.pattern as usize] += w;
                }
            }
        }
        e
    }

    /// EM's M-step: every system's share and m from what the E-step gathered over
    /// `n_lines` lines, m drawn towards `prior_m`; returns the largest change of any of
    /// them (EM stops when it falls below [`EM_TOLERANCE`]).
    fn maximize(
        &mut self,
        e: &Expected,
        patterns: &[Levels],
        prior_m: &[[f64; LEVELS]; MatchField::COUNT],
        n_lines: f64,
    ) -> f64 {
        let mut at = [[0.0; LEVELS]; MatchField::COUNT];
        for (levels, w) in patterns.iter().zip(&e.weight) {
            if *w != 0.0 {
                for (f, l) in levels.iter().enumerate() {
                    at[f][l.index()] += w;
                }
            }
        }
        let mut change = 0.0f64;
        for (sys, prior) in self.systems.iter_mut().enumerate() {
            // Lines without a candidate here are held (by a record blocking missed) with
            // the posterior of "no candidate".
            let s = prior.share;
            let none = s * (1.0 - BLOCKING_RECALL) / ((1.0 - s) + s * (1.0 - BLOCKING_RECALL));
            let without = n_lines - e.lines_with[sys];
            let share = ((e.held[sys] + without * none) / n_lines).clamp(1e-6, 1.0 - 1e-6);
            change = change.max((share - prior.share).abs());
            prior.share = share;
        }
        for i in 0..MatchField::COUNT {
            let seen: f64 = at[i][1..].iter().sum();
            let mut m = [0.0; LEVELS];
            for l in 1..LEVELS {
                if prior_m[i][l] > 0.0 || at[i][l] > 0.0 {
                    m[l] = (at[i][l] + M_PRIOR_PAIRS * prior_m[i][l]) / (seen + M_PRIOR_PAIRS);
                }
                change = change.max((m[l] - self.m[i][l]).abs());
            }
            self.m[i] = m;
        }
        change
    }
}

/// What an E-step of the fit gathers: per system, the posterior mass of its held lines and
/// the lines with a candidate there; per agreement pattern, the posterior weight its pairs
/// add up to.
#[derive(Debug, Clone)]
struct Expected {
    held: Vec<f64>,
    lines_with: Vec<f64>,
    weight: Vec<f64>,
}

impl Expected {
    fn new(systems: usize, patterns: usize) -> Self {
        Expected {
            held: vec![0.0; systems],
            lines_with: vec![0.0; systems],
            weight: vec![0.0; patterns],
        }
    }

    /// Adds what another part of the lines gathered.
    fn add(&mut self, other: &Expected) {
        for (a, b) in [
            (&mut self.held, &other.held),
            (&mut self.lines_with, &other.lines_with),
            (&mut self.weight, &other.weight),
        ] {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
    }
}

/// `levels` as one number, three bits a field: equal exactly when the levels are, and
/// hashed in one step where the array would take one a field.
pub(crate) fn packed(levels: &Levels) -> u64 {
    const _: () = assert!(LEVELS <= 8 && 3 * MatchField::COUNT <= 64);
    levels
        .iter()
        .fold(0u64, |acc, l| (acc << 3) | l.index() as u64)
}

/// `lines` with each distinct one once, in first-seen order, and how many times it occurs.
///
/// Why: lines with the same candidates (the same systems and agreement patterns) add the
/// same posterior weights in every EM iteration. A sample's hundred thousand lines fall
/// into a few thousand such groups (one exact candidate, one fuzzy one, none), so
/// iterating over the groups instead of the lines makes each iteration that much cheaper.
fn distinct_lines(lines: &[Vec<PairRef>]) -> Vec<(&[PairRef], f64)> {
    let mut at: foldhash::HashMap<&[PairRef], usize> = foldhash::HashMap::default();
    let mut distinct: Vec<(&[PairRef], f64)> = Vec::new();
    for line in lines {
        let i = *at.entry(line.as_slice()).or_insert_with(|| {
            distinct.push((line.as_slice(), 0.0));
            distinct.len() - 1
        });
        distinct[i].1 += 1.0;
    }
    distinct
}

#[cfg(test)]
mod tests {
    use super::*;

    fn levels(pairs: &[(MatchField, Level)]) -> Levels {
        let mut l = [Level::Missing; MatchField::COUNT];
        for (f, v) in pairs {
            l[f.index()] = *v;
        }
        l
    }

    #[test]
    fn em_learns_how_often_copies_keep_a_field() {
        // 2,000 lines against a system of 100,000 records. 1,000 lines are held: name
        // exact, birth date exact in 70%, close in 30%; each line also has nine
        // candidates agreeing on the birth date only (what a name-token block finds).
        let mut model = LinkageModel::default();
        let patterns = [
            levels(&[
                (MatchField::Name, Level::Exact),
                (MatchField::BirthDate, Level::Exact),
                (MatchField::PostalCode, Level::Exact),
            ]),
            levels(&[
                (MatchField::Name, Level::Exact),
                (MatchField::BirthDate, Level::Close),
                (MatchField::PostalCode, Level::Exact),
            ]),
            levels(&[
                (MatchField::Name, Level::Differ),
                (MatchField::BirthDate, Level::Exact),
                (MatchField::PostalCode, Level::Differ),
            ]),
        ];
        let pair = |pattern| PairRef { system: 0, pattern };
        let lines: Vec<Vec<PairRef>> = (0..2000)
            .map(|i| {
                let mut l = vec![pair(2); 9];
                if i < 1000 {
                    l.push(pair(if i % 10 < 7 { 0 } else { 1 }));
                }
                l
            })
            .collect();
        model.fit_m(&lines, &patterns, &[("crm".into(), 100_000)]);
        assert!(model.fit.converged);
        let share = model.systems[0].share;
        assert!((share - 0.5).abs() < 0.02, "{share}");
        let dob = model.m[MatchField::BirthDate.index()];
        assert!((dob[Level::Close.index()] - 0.29).abs() < 0.04, "{dob:?}");
        let lr = |p: &Levels| 2f64.powf(model.score(p));
        let others = 9.0 * lr(&patterns[2]);
        let close = lr(&patterns[1]);
        let p = model.posterior(0, model.score(&patterns[1]), close + others);
        assert!(p > 0.99, "{p}");
        let p = model.posterior(0, model.score(&patterns[2]), close + others);
        assert!(p < 0.001, "{p}");
    }

    /// Lines of candidates across three systems, of twenty agreement patterns, some lines
    /// repeated: the data of the two tests below.
    fn em_data() -> (Vec<Vec<PairRef>>, Vec<Levels>) {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: u64| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (x >> 33) % n
        };
        let patterns: Vec<Levels> = (0..20)
            .map(|_| {
                let mut l = [Level::Missing; MatchField::COUNT];
                for f in [
                    MatchField::Name,
                    MatchField::Email,
                    MatchField::BirthDate,
                    MatchField::City,
                ] {
                    l[f.index()] = Level::ALL[next(LEVELS as u64) as usize];
                }
                l
            })
            .collect();
        let mut lines: Vec<Vec<PairRef>> = (0..3000)
            .map(|_| {
                let mut line: Vec<PairRef> = (0..next(7))
                    .map(|_| PairRef {
                        system: next(3) as u32,
                        pattern: next(20) as u32,
                    })
                    .collect();
                line.sort_by_key(|p| (p.system, p.pattern));
                line
            })
            .collect();
        lines.extend(lines[..500].to_vec());
        (lines, patterns)
    }

    /// EM's E-step as it was written before lines were grouped — every pair's posterior on
    /// its own, one line after another — with the fit's own M-step. The oracle of
    /// `em_over_distinct_lines_is_the_per_pair_em`.
    fn per_pair_em(model: &mut LinkageModel, lines: &[Vec<PairRef>], patterns: &[Levels]) {
        let prior_m = model.m;
        let n_lines = lines.len() as f64;
        for _ in 0..EM_MAX_ITERATIONS {
            let lrs: Vec<f64> = patterns
                .iter()
                .map(|p| likelihood_ratio(model.score(p)))
                .collect();
            let mut e = Expected::new(model.systems.len(), patterns.len());
            for line in lines {
                for group in line.chunk_by(|a, b| a.system == b.system) {
                    let sys = group[0].system as usize;
                    let lr_sum: f64 = group.iter().map(|p| lrs[p.pattern as usize]).sum();
                    e.lines_with[sys] += 1.0;
                    for p in group {
                        let w = model.posterior_of_ratio(sys, lrs[p.pattern as usize], lr_sum);
                        e.held[sys] += w;
                        e.weight[p.pattern as usize] += w;
                    }
                }
            }
            if model.maximize(&e, patterns, &prior_m, n_lines) < EM_TOLERANCE {
                break;
            }
        }
    }

    /// The EM of `fit_m` — distinct lines once with their count, one division a line's
    /// system, passes in parallel — fits the model the plain per-pair loop fits (to
    /// rounding), and the same to the last bit on one thread and on four.
    #[test]
    fn em_over_distinct_lines_is_the_per_pair_em() {
        let (lines, patterns) = em_data();
        let populations = [
            ("crm".to_owned(), 100_000),
            ("shop".to_owned(), 20_000),
            ("club".to_owned(), 5_000),
        ];
        let fit = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("thread pool");
            pool.install(|| {
                let mut model = LinkageModel::default();
                model.fit_m(&lines, &patterns, &populations);
                model
            })
        };
        let (one, four) = (fit(1), fit(4));
        assert_eq!(one.m, four.m);
        assert_eq!(one.systems, four.systems);
        assert_eq!(one.fit, four.fit);

        let mut oracle = LinkageModel {
            systems: one
                .systems
                .iter()
                .map(|s| SystemPrior {
                    share: 0.5,
                    ..s.clone()
                })
                .collect(),
            ..LinkageModel::default()
        };
        per_pair_em(&mut oracle, &lines, &patterns);
        for (a, b) in one.systems.iter().zip(&oracle.systems) {
            assert!((a.share - b.share).abs() < 1e-6, "{} {}", a.share, b.share);
        }
        for (a, b) in one.m.iter().flatten().zip(oracle.m.iter().flatten()) {
            assert!((a - b).abs() < 1e-6, "{a} {b}");
        }
        // The fit moved away from its priors: the comparison above is not of two defaults.
        assert!(one.systems.iter().any(|s| (s.share - 0.5).abs() > 0.01));
    }

    /// Two agreement patterns pack to the same number only when they are the same: the
    /// fit interns patterns by their packed form.
    #[test]
    fn packed_levels_are_one_to_one() {
        let mut seen = std::collections::HashMap::new();
        // Every level in every field, and pairs of fields at every two levels.
        for f in 0..MatchField::COUNT {
            for g in 0..MatchField::COUNT {
                for a in Level::ALL {
                    for b in Level::ALL {
                        let mut l = [Level::Missing; MatchField::COUNT];
                        l[f] = a;
                        l[g] = b;
                        if let Some(other) = seen.insert(packed(&l), l) {
                            assert_eq!(other, l);
                        }
                    }
                }
            }
        }
        assert!(seen.len() > 2_000, "{}", seen.len());
    }

    #[test]
    fn unseen_levels_keep_their_prior_u() {
        let mut model = LinkageModel::default();
        let prior = model.u[MatchField::Email.index()][Level::Exact.index()];
        let mut counts = [[0u64; LEVELS]; MatchField::COUNT];
        counts[MatchField::Email.index()][Level::Differ.index()] = 10_000;
        counts[MatchField::Country.index()][Level::Exact.index()] = 3_000;
        counts[MatchField::Country.index()][Level::Differ.index()] = 7_000;
        model.set_u(&counts, 10_000);
        assert_eq!(
            model.u[MatchField::Email.index()][Level::Exact.index()],
            prior
        );
        assert!((model.u[MatchField::Country.index()][Level::Exact.index()] - 0.3).abs() < 1e-9);
    }
}
