//! Evidence and verdict. A [`Tally`] accumulates what probing found for every line of a
//! sample (counts per evidence class, and the line profiles the source model reads);
//! [`Tally::verdict`] fits the [`source`] model — copies of the company's systems, other
//! people, registered breaches — and names the story the fits support (genuine copy of a
//! system at a snapshot, fabricated people, a mix, recycled data…) with the genuine
//! fraction, its 95% interval and [`Finding`]s a journalist can follow.
//!
//! ```
//! use breachcheck_core::EvidenceClass;
//! use breachcheck_verdict::{wilson, VerdictClass};
//! let (lo, hi) = wilson(10, 100);
//! assert!(lo < 0.1 && 0.1 < hi);
//! assert_eq!(VerdictClass::Genuine.as_str(), "genuine");
//! ```
#![forbid(unsafe_code)]

mod decide;
mod findings;
pub mod source;
mod tally;

pub use decide::{
    Baseline, GenuineFraction, HypothesisScore, Verdict, VerdictClass, COINCIDENCE_RATE,
};
pub use findings::{Finding, QualitySignal, Shape};
pub use tally::{SegmentCount, SystemInfo, Tally};

/// A sample is called not the company's (fabricated) only when it rules out that this
/// share of it is the company's (the upper end of the copied share's 95% interval is
/// below it); a smaller sample is inconclusive. A policy, stated: "not ours" is a public
/// statement, and a dozen unmatched lines cannot carry it.
pub const MIN_EXCLUDED_SHARE: f64 = 0.1;

/// A second source beside the company's copies (another holder of its customers, a
/// registered corpus) makes a sample a compilation only when it accounts for at least this
/// share of the lines (and three lines). A policy, stated: in a large sample, a few dozen
/// made-up people whose generated e-mail happens to be a customer's are significant to
/// the likelihood-ratio test, yet "several sources merged" would misdescribe it.
pub const MIN_SOURCE_SHARE: f64 = 0.05;

/// Wilson score interval at 95% for `k` successes out of `n` (0..1 bounds). Chosen over
/// the normal approximation because samples often sit at 0% or 100%, where the normal
/// interval collapses to a point.
pub fn wilson(k: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let z = 1.959_963_984_540_054_f64;
    let n_f = n as f64;
    let p = k as f64 / n_f;
    let denom = 1.0 + z * z / n_f;
    let centre = (p + z * z / (2.0 * n_f)) / denom;
    let half = z * ((p * (1.0 - p) / n_f) + z * z / (4.0 * n_f * n_f)).sqrt() / denom;
    // At k = 0 or k = n the bound is exact; avoid a rounding residue of 1e-19.
    let lo = if k == 0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let hi = if k == n {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_bounds() {
        let (lo, hi) = wilson(0, 1000);
        assert_eq!(lo, 0.0);
        assert!(hi > 0.0 && hi < 0.005);
        let (lo, hi) = wilson(1000, 1000);
        assert!(lo > 0.995 && (hi - 1.0).abs() < 1e-12);
        let (lo, hi) = wilson(50, 500);
        assert!(lo > 0.07 && hi < 0.13);
    }
}
