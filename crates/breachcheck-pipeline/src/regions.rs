//! The company's phone regions, from the index's segment profiles: where a national-format
//! number of a sample line without a country most plausibly belongs. Verify, the audit
//! and the transparency log all read numbers with the same list.
use breachcheck_normalize::country::Region;
use std::collections::BTreeMap;

/// The regions of the company's customers' phone numbers, most common first (those
/// holding at least 1% of the numbers).
pub fn company_phone_regions(manifest: &breachcheck_index::Manifest) -> Vec<Region> {
    let mut codes: BTreeMap<u16, u64> = BTreeMap::new();
    for s in manifest
        .segments
        .iter()
        .filter(|s| s.kind == breachcheck_index::SegmentKind::System)
    {
        for (code, n) in &s.profile.phone_codes {
            *codes.entry(*code).or_insert(0) += n;
        }
    }
    breachcheck_normalize::phone::regions_of_codes(&codes, 0.01)
}

/// [`company_phone_regions`] as ISO alpha-2 codes: what `audit serve` announces, the log
/// states and `index info` shows, so an auditor reads phone numbers as verify does.
pub fn company_phone_region_codes(manifest: &breachcheck_index::Manifest) -> Vec<String> {
    company_phone_regions(manifest)
        .iter()
        .map(ToString::to_string)
        .collect()
}
