//! How common each way of writing a value is among services, for weighing a reproduced raw
//! form: the tool's prior ([`breachcheck_normalize::form::common_share`]) mixed with the
//! company's own systems as further examples of how services write — leaving out, per
//! class, the system that writes it most (the likely source of a copy, which says nothing
//! about how *others* write).

use crate::profile::RAW_FIELDS;
use breachcheck_index::{Manifest, SegmentKind};
use std::collections::BTreeMap;

/// Weight of the prior against the company's systems (in systems).
const PRIOR_WEIGHT: f64 = 2.0;

/// A reproduced raw form counts as a quirk of the company's (evidence class
/// `quirk_full_record`) when fewer than this share of services write values that way.
pub const RARE_FORM_SHARE: f64 = 0.05;

/// Raw-form class counts per company system, per quirk-bearing field.
#[derive(Clone, Debug, Default)]
pub struct FormStats {
    /// Per system (in order of first appearance in the manifest), per [`RAW_FIELDS`]
    /// entry, records per raw-form class.
    pub systems: Vec<[BTreeMap<u8, u64>; 5]>,
}

impl FormStats {
    /// The counts kept in `manifest`'s segment profiles, summed per system.
    pub fn from_manifest(manifest: &Manifest) -> Self {
        let mut names: Vec<&str> = Vec::new();
        let mut systems: Vec<[BTreeMap<u8, u64>; 5]> = Vec::new();
        for s in manifest
            .segments
            .iter()
            .filter(|s| s.kind == SegmentKind::System)
        {
            let i = match names.iter().position(|n| *n == s.system) {
                Some(i) => i,
                None => {
                    names.push(&s.system);
                    systems.push(Default::default());
                    systems.len() - 1
                }
            };
            for (k, f) in RAW_FIELDS.into_iter().enumerate() {
                if let Some(h) = s.profile.forms.get(f.as_str()) {
                    for (class, n) in h {
                        *systems[i][k].entry(*class).or_insert(0) += n;
                    }
                }
            }
        }
        FormStats { systems }
    }

    /// Share of services expected to write the `i`-th of [`RAW_FIELDS`] in raw-form class
    /// `class` (see the module documentation).
    pub fn world(&self, i: usize, class: u8) -> f64 {
        let field = RAW_FIELDS[i];
        let shares: Vec<f64> = self
            .systems
            .iter()
            .filter_map(|s| {
                let total: u64 = s[i].values().sum();
                (total > 0).then(|| s[i].get(&class).copied().unwrap_or(0) as f64 / total as f64)
            })
            .collect();
        let top = shares.iter().copied().fold(0.0, f64::max);
        let others: f64 = shares.iter().sum::<f64>() - top;
        let examples = shares.len().saturating_sub(1) as f64;
        (others + PRIOR_WEIGHT * breachcheck_normalize::form::common_share(field, class))
            / (examples + PRIOR_WEIGHT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_likely_source_does_not_count_as_an_example() {
        // Phones: one system writes "+D D" (common), another dashes (rare).
        let plus_spaces =
            breachcheck_normalize::form::class(breachcheck_core::MatchField::Phone, "+49 151 234");
        let dashes =
            breachcheck_normalize::form::class(breachcheck_core::MatchField::Phone, "0151-234-567");
        let mut a: [BTreeMap<u8, u64>; 5] = Default::default();
        let mut b: [BTreeMap<u8, u64>; 5] = Default::default();
        a[1].insert(plus_spaces, 100);
        b[1].insert(dashes, 100);
        let stats = FormStats {
            systems: vec![a, b],
        };
        // A rare way of writing stays rare although one system uses it throughout.
        assert!(stats.world(1, dashes) < RARE_FORM_SHARE);
        assert!(stats.world(1, plus_spaces) >= 0.15);
    }
}
