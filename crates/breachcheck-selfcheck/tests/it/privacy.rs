//! Privacy laws: no canonical value in what is published; errors and `Debug` name kinds
//! and lengths only.
use crate::common::{disclosure, email, key, phone};
use breachcheck_selfcheck::{publish, Kind, Query, Value};

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn no_canonical_value_reaches_the_published_file() {
    let dir = tempfile::tempdir().expect("test input");
    let path = dir.path().join("claim.bcself");
    let values: Vec<Value> = (0..400u64)
        .flat_map(|i| {
            [
                Value::new(Kind::Email, email(i), disclosure(i)),
                Value::new(Kind::Phone, phone(i), disclosure(i)),
            ]
        })
        .collect();
    let published = publish(&key("privacy"), &values, 100).expect("test input");
    published.save(&path).expect("test input");
    let bytes = std::fs::read(&path).expect("test input");
    for v in &values {
        assert!(
            !contains(&bytes, v.canonical()),
            "a canonical value is in the file"
        );
        // Nor a telling part of one: the local part of an e-mail, the digits of a phone.
        let s = std::str::from_utf8(v.canonical()).expect("test input");
        let part = s.split('@').next().unwrap_or(s).trim_start_matches('+');
        assert!(
            !contains(&bytes, part.as_bytes()),
            "part of a value is in the file"
        );
        // Nor its public bucket digest (whole), which would let anyone test guesses.
        let d = breachcheck_selfcheck::bucket::digest(v.kind, v.canonical());
        assert!(!contains(&bytes, &d[..8]));
        assert!(!contains(&bytes, breachcheck_core::hex(&d[..8]).as_bytes()));
    }
    assert!(!contains(&bytes, b"example.org"));
}

#[test]
fn debug_output_names_kinds_and_lengths_only() {
    let v = Value::new(Kind::Email, email(7), disclosure(7));
    let q = Query::new(Kind::Email, &email(7), 3).expect("test input");
    for s in [format!("{v:?}"), format!("{q:?}")] {
        assert!(!s.contains("person.7"), "{s}");
        assert!(s.contains("email"), "{s}");
    }
}
