//! Countries to ISO 3166-1 alpha-2, from codes or names in English and the country's own
//! language. Hand-written table: the country crates on crates.io either lack native names
//! or pull in large data sets; this covers the countries whose names appear in customer
//! data, and any other valid alpha-2 code passes through (checked against the phone
//! metadata's region list).

use crate::text::fold;
pub use rlibphonenumber::Region;

/// (alpha-2, alpha-3, names folded to lower-case ASCII)
const TABLE: &[(&str, &str, &[&str])] = &[
    (
        "US",
        "USA",
        &[
            "united states",
            "united states of america",
            "usa",
            "u s a",
            "u s",
            "america",
        ],
    ),
    (
        "GB",
        "GBR",
        &[
            "united kingdom",
            "great britain",
            "england",
            "scotland",
            "wales",
            "uk",
            "u k",
            "northern ireland",
        ],
    ),
    (
        "DE",
        "DEU",
        &[
            "germany",
            "deutschland",
            "allemagne",
            "alemania",
            "germania",
        ],
    ),
    ("FR", "FRA", &["france", "frankreich", "francia"]),
    ("ES", "ESP", &["spain", "espana", "spanien", "espagne"]),
    ("IT", "ITA", &["italy", "italia", "italien", "italie"]),
    ("PT", "PRT", &["portugal"]),
    (
        "NL",
        "NLD",
        &[
            "netherlands",
            "the netherlands",
            "nederland",
            "holland",
            "niederlande",
        ],
    ),
    ("BE", "BEL", &["belgium", "belgie", "belgique", "belgien"]),
    (
        "AT",
        "AUT",
        &["austria", "osterreich", "oesterreich", "autriche"],
    ),
    (
        "CH",
        "CHE",
        &["switzerland", "schweiz", "suisse", "svizzera"],
    ),
    ("PL", "POL", &["poland", "polska", "polen", "pologne"]),
    (
        "CZ",
        "CZE",
        &[
            "czech republic",
            "czechia",
            "cesko",
            "ceska republika",
            "tschechien",
        ],
    ),
    ("SK", "SVK", &["slovakia", "slovensko"]),
    ("HU", "HUN", &["hungary", "magyarorszag", "ungarn"]),
    ("RO", "ROU", &["romania", "rumanien"]),
    ("BG", "BGR", &["bulgaria", "balgariia", "bulgarien"]),
    (
        "GR",
        "GRC",
        &["greece", "ellada", "ellas", "griechenland", "grece"],
    ),
    ("TR", "TUR", &["turkey", "turkiye", "turkei", "turquie"]),
    (
        "RU",
        "RUS",
        &[
            "russia",
            "russian federation",
            "rossiia",
            "rossiya",
            "russland",
        ],
    ),
    ("UA", "UKR", &["ukraine", "ukraina"]),
    ("BY", "BLR", &["belarus", "belarus'"]),
    ("SE", "SWE", &["sweden", "sverige", "schweden"]),
    ("NO", "NOR", &["norway", "norge", "norwegen"]),
    ("DK", "DNK", &["denmark", "danmark", "danemark"]),
    ("FI", "FIN", &["finland", "suomi", "finnland"]),
    ("IE", "IRL", &["ireland", "eire", "irland"]),
    ("IS", "ISL", &["iceland", "island"]),
    ("HR", "HRV", &["croatia", "hrvatska", "kroatien"]),
    ("RS", "SRB", &["serbia", "srbija", "serbien"]),
    ("SI", "SVN", &["slovenia", "slovenija"]),
    ("LT", "LTU", &["lithuania", "lietuva"]),
    ("LV", "LVA", &["latvia", "latvija"]),
    ("EE", "EST", &["estonia", "eesti"]),
    (
        "CN",
        "CHN",
        &[
            "china",
            "zhong guo",
            "zhongguo",
            "people's republic of china",
            "prc",
        ],
    ),
    (
        "JP",
        "JPN",
        &["japan", "ri ben", "nippon", "nihon", "japon"],
    ),
    (
        "KR",
        "KOR",
        &[
            "south korea",
            "korea",
            "republic of korea",
            "daehanmingug",
            "hanguk",
        ],
    ),
    ("TW", "TWN", &["taiwan"]),
    ("HK", "HKG", &["hong kong"]),
    ("IN", "IND", &["india", "bharat", "indien", "inde"]),
    ("PK", "PAK", &["pakistan"]),
    ("BD", "BGD", &["bangladesh"]),
    ("ID", "IDN", &["indonesia"]),
    ("MY", "MYS", &["malaysia"]),
    ("SG", "SGP", &["singapore"]),
    ("TH", "THA", &["thailand"]),
    ("VN", "VNM", &["vietnam", "viet nam"]),
    ("PH", "PHL", &["philippines"]),
    ("AU", "AUS", &["australia", "australien"]),
    ("NZ", "NZL", &["new zealand"]),
    ("CA", "CAN", &["canada", "kanada"]),
    ("MX", "MEX", &["mexico", "mexiko", "mejico"]),
    ("BR", "BRA", &["brazil", "brasil", "brasilien", "bresil"]),
    ("AR", "ARG", &["argentina", "argentinien"]),
    ("CL", "CHL", &["chile"]),
    ("CO", "COL", &["colombia", "kolumbien"]),
    ("PE", "PER", &["peru"]),
    ("VE", "VEN", &["venezuela"]),
    ("ZA", "ZAF", &["south africa", "suid afrika"]),
    ("NG", "NGA", &["nigeria"]),
    ("KE", "KEN", &["kenya"]),
    ("EG", "EGY", &["egypt", "misr", "agypten", "egypte"]),
    ("MA", "MAR", &["morocco", "maroc", "marokko"]),
    ("DZ", "DZA", &["algeria", "algerie"]),
    ("TN", "TUN", &["tunisia", "tunisie"]),
    ("SA", "SAU", &["saudi arabia", "ksa"]),
    ("AE", "ARE", &["united arab emirates", "uae", "emirates"]),
    ("IL", "ISR", &["israel", "yisrael"]),
    ("IR", "IRN", &["iran"]),
    ("IQ", "IRQ", &["iraq"]),
    ("JO", "JOR", &["jordan"]),
    ("LB", "LBN", &["lebanon", "liban"]),
    ("QA", "QAT", &["qatar"]),
    ("KZ", "KAZ", &["kazakhstan"]),
    ("LU", "LUX", &["luxembourg", "luxemburg"]),
    ("MT", "MLT", &["malta"]),
    ("CY", "CYP", &["cyprus", "kypros"]),
];

/// ISO 3166-1 alpha-2 code for a country written as a code or a name, if known.
pub fn iso2(raw: &str) -> Option<&'static str> {
    let t = raw.trim();
    if t.is_empty() || t.len() > 64 {
        return None;
    }
    if t.len() == 2 && t.is_ascii() {
        let up = t.to_ascii_uppercase();
        if let Some(e) = TABLE.iter().find(|e| e.0 == up) {
            return Some(e.0);
        }
        if up == "XX" || up == "ZZ" {
            return None; // placeholders, not countries
        }
        // Any other code the phone metadata knows is a real region.
        return Region::from_code(&up)
            .ok()
            .map(|r| leak_code(r.as_region_str().as_str()));
    }
    if t.len() == 3 && t.is_ascii() {
        let up = t.to_ascii_uppercase();
        if let Some(e) = TABLE.iter().find(|e| e.1 == up) {
            return Some(e.0);
        }
    }
    let f = fold(t);
    TABLE
        .iter()
        .find(|e| e.2.contains(&f.as_str()))
        .map(|e| e.0)
}

/// Interns a region code as `&'static str` by looking it up among the regions the phone
/// metadata knows, so callers can hold country codes without allocation.
fn leak_code(code: &str) -> &'static str {
    static CODES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    let codes = CODES.get_or_init(|| {
        let mut v = Vec::new();
        for a in b'A'..=b'Z' {
            for b in b'A'..=b'Z' {
                let s = [a, b];
                let code = std::str::from_utf8(&s).unwrap_or("ZZ");
                if Region::from_code(code).is_ok() {
                    v.push(&*Box::leak(code.to_owned().into_boxed_str()));
                }
            }
        }
        v
    });
    codes.iter().find(|c| **c == code).copied().unwrap_or("ZZ")
}

/// Phone-metadata region for an alpha-2 code.
pub fn region(iso2: &str) -> Option<Region> {
    Region::from_code(iso2).ok()
}

/// Whether a value looks like a country, for role inference.
pub fn looks_like(raw: &str) -> bool {
    iso2(raw).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names() {
        assert_eq!(iso2("de"), Some("DE"));
        assert_eq!(iso2("DEU"), Some("DE"));
        assert_eq!(iso2("Deutschland"), Some("DE"));
        assert_eq!(iso2(" Österreich "), Some("AT"));
        assert_eq!(iso2("España"), Some("ES"));
        assert_eq!(iso2("United States"), Some("US"));
        assert_eq!(iso2("KE"), Some("KE"));
        assert_eq!(iso2("Atlantis"), None);
        assert_eq!(iso2("XX"), None);
    }

    #[test]
    fn unlisted_codes_known_to_phone_metadata_pass() {
        assert_eq!(iso2("GH"), Some("GH"));
    }
}
