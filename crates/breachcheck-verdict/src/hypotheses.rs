//! Each story a sample can tell, scored by how likely it makes the observed line counts.
//!
//! Every line falls in one category: **S** a match only the company's data can give
//! (canary, internal id, stored quirk, joined tables), **W** another whole-record match
//! (full or fuzzy), **R** a whole match in a registered earlier breach only, **P** a
//! partial match, **N** nothing. Each hypothesis is a distribution over these categories,
//! some of it fixed by what the story means and some fitted to the sample (maximum
//! likelihood); the score is the log-likelihood of the counts minus half a log(n) per fitted
//! parameter (BIC), so a story does not win by being flexible. Posteriors are those scores
//! normalised under equal priors. The rule-based verdict names the story; this table
//! shows how strongly the counts prefer it over the others.

use crate::decide::VerdictClass;
use serde::Serialize;

/// Line counts per category (see the module documentation).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Counts {
    pub s: f64,
    pub w: f64,
    pub r: f64,
    pub p: f64,
    pub n: f64,
}

/// One hypothesis with its score.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct HypothesisScore {
    /// The story.
    pub hypothesis: VerdictClass,
    /// Log-likelihood of the line counts at the fitted parameters (natural log).
    pub log_likelihood: f64,
    /// Parameters fitted to the sample.
    pub parameters: u32,
    /// Share of the evidence (BIC-weighted, equal priors).
    pub posterior: f64,
}

/// A copy keeps this share of its lines whole (the rest changed after the snapshot, or
/// were mangled beyond linkage).
const COPY_WHOLE: f64 = 0.96;
const COPY_PARTIAL: f64 = 0.03;
/// Made-up people share a field with a real record (a common name with a birthday, a
/// popular provider's address) now and then, not often: more partial lines than this
/// are real people with other data. The same line the verdict rules draw.
const FABRICATED_PARTIAL_MAX: f64 = 0.2;
const FLOOR: f64 = 1e-9;

type Dist = [f64; 5];

fn log_likelihood(c: &Counts, p: &Dist) -> f64 {
    [c.s, c.w, c.r, c.p, c.n]
        .iter()
        .zip(p)
        .map(|(k, q)| if *k > 0.0 { k * q.max(FLOOR).ln() } else { 0.0 })
        .sum()
}

fn normalised(mut d: Dist) -> Dist {
    for v in &mut d {
        *v = v.max(FLOOR);
    }
    let t: f64 = d.iter().sum();
    d.map(|v| v / t)
}

/// A copy of a system: whole matches, a share `q` of them with company-only evidence.
fn genuine(q: f64) -> Dist {
    normalised([
        q * COPY_WHOLE,
        (1.0 - q) * COPY_WHOLE,
        FLOOR,
        COPY_PARTIAL,
        1.0 - COPY_WHOLE - COPY_PARTIAL,
    ])
}

/// Made-up people: whole matches only by coincidence (`c`), partial with share `a`.
fn fabricated(c: f64, a: f64) -> Dist {
    normalised([FLOOR, c, c, a, 1.0 - 2.0 * c - a])
}

/// Real people from elsewhere: anything but company-only evidence, shares fitted.
fn elsewhere(w: f64, r: f64, a: f64) -> Dist {
    normalised([FLOOR, w, r, a, 1.0 - w - r - a])
}

fn mix(f: f64, x: &Dist, y: &Dist) -> Dist {
    std::array::from_fn(|i| f * x[i] + (1.0 - f) * y[i])
}

/// Scores every hypothesis for `c` with coincidence rate `rate`; `scraped` only when the
/// sample holds no private field, `compilation` only when earlier breaches are registered.
pub(crate) fn score(
    c: &Counts,
    rate: f64,
    private_fields: bool,
    references: bool,
) -> Vec<HypothesisScore> {
    let n = c.s + c.w + c.r + c.p + c.n;
    if n <= 0.0 {
        return Vec::new();
    }
    let q = if c.s + c.w > 0.0 {
        c.s / (c.s + c.w)
    } else {
        0.5
    };
    let share = |k: f64, of: f64| {
        if of > 0.0 {
            (k / of).clamp(FLOOR, 1.0)
        } else {
            FLOOR
        }
    };
    let mut out: Vec<(VerdictClass, f64, u32)> = Vec::new();
    out.push((VerdictClass::Genuine, log_likelihood(c, &genuine(q)), 1));
    let a = share(c.p, n).min(FABRICATED_PARTIAL_MAX);
    out.push((
        VerdictClass::Fabricated,
        log_likelihood(c, &fabricated(rate, a)),
        1,
    ));
    let other = elsewhere(share(c.w, n), share(c.r, n), share(c.p, n));
    out.push((VerdictClass::Recycled, log_likelihood(c, &other), 3));
    if !private_fields {
        out.push((VerdictClass::Scraped, log_likelihood(c, &other), 3));
    }
    // Mixtures: the company's share f on a grid, the other part fitted to what remains.
    let best_mix = |other_part: &dyn Fn(f64) -> Dist| {
        (0..=200)
            .map(|i| {
                let f = f64::from(i) / 200.0;
                let d = mix(f, &genuine(q), &other_part(f));
                log_likelihood(c, &d)
            })
            .fold(f64::NEG_INFINITY, f64::max)
    };
    let rest =
        |k: f64, f: f64, from_copy: f64| share((k - f * n * from_copy).max(0.0), (1.0 - f) * n);
    let mixed = best_mix(&|f| {
        let a = rest(c.p, f, COPY_PARTIAL).min(FABRICATED_PARTIAL_MAX);
        fabricated(rate, a)
    });
    out.push((VerdictClass::Mixed, mixed, 3));
    if references {
        let compilation = best_mix(&|f| {
            elsewhere(
                rest(c.w, f, (1.0 - q) * COPY_WHOLE),
                rest(c.r, f, 0.0),
                rest(c.p, f, COPY_PARTIAL),
            )
        });
        out.push((VerdictClass::Compilation, compilation, 5));
    }
    let bic: Vec<f64> = out
        .iter()
        .map(|(_, ll, k)| ll - 0.5 * f64::from(*k) * n.ln())
        .collect();
    let top = bic.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let total: f64 = bic.iter().map(|b| (b - top).exp()).sum();
    let mut scores: Vec<HypothesisScore> = out
        .into_iter()
        .zip(&bic)
        .map(|((h, ll, k), b)| HypothesisScore {
            hypothesis: h,
            log_likelihood: ll,
            parameters: k,
            posterior: (b - top).exp() / total,
        })
        .collect();
    scores.sort_by(|x, y| y.posterior.total_cmp(&x.posterior));
    scores
}

#[cfg(test)]
mod tests {
    use super::*;

    fn top(c: Counts, private: bool) -> VerdictClass {
        score(&c, 1e-4, private, false)[0].hypothesis
    }

    #[test]
    fn the_counts_prefer_the_story_that_made_them() {
        let copy = Counts {
            s: 600.0,
            w: 380.0,
            r: 0.0,
            p: 15.0,
            n: 5.0,
        };
        assert_eq!(top(copy, true), VerdictClass::Genuine);
        let fake = Counts {
            s: 0.0,
            w: 0.0,
            r: 0.0,
            p: 150.0,
            n: 850.0,
        };
        assert_eq!(top(fake, true), VerdictClass::Fabricated);
        let shared = Counts {
            s: 0.0,
            w: 300.0,
            r: 0.0,
            p: 300.0,
            n: 400.0,
        };
        assert_eq!(top(shared, true), VerdictClass::Recycled);
        assert_eq!(top(shared, false), VerdictClass::Recycled);
        let some = Counts {
            s: 60.0,
            w: 40.0,
            r: 0.0,
            p: 100.0,
            n: 800.0,
        };
        assert_eq!(top(some, true), VerdictClass::Mixed);
        let posteriors: f64 = score(&some, 1e-4, true, false)
            .iter()
            .map(|h| h.posterior)
            .sum();
        assert!((posteriors - 1.0).abs() < 1e-9);
    }
}
