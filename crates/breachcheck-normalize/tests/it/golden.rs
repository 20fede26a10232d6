//! Golden tables: raw value → canonical form, a case per row, per role and country
//! (`tests/fixtures/golden/*.tsv`: role, country, raw, expected; `!` expects no canonical
//! form). Each failing row is reported with its file and line.
use breachcheck_core::FieldRole;
use breachcheck_normalize::canonical_value;

#[test]
fn golden_tables() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("golden dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut rows = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read");
        for (i, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            let [role, country, raw, expected] = cols[..] else {
                panic!(
                    "{}:{}: expected 4 tab-separated columns",
                    f.display(),
                    i + 1
                )
            };
            let role: FieldRole = role
                .parse()
                .unwrap_or_else(|_| panic!("{}:{}: unknown role", f.display(), i + 1));
            let country = (country != "-").then_some(country);
            let got = canonical_value(role, raw, country, None);
            let ok = match (expected, &got) {
                ("!", Err(_)) => true,
                (e, Ok(v)) => e == v,
                _ => false,
            };
            rows += 1;
            if !ok {
                failures.push(format!(
                    "{}:{}: {role} {raw:?} expected {expected:?}, got {got:?}",
                    f.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    i + 1
                ));
            }
        }
    }
    assert!(rows >= 100, "only {rows} golden rows");
    assert!(
        failures.is_empty(),
        "{} of {rows} golden rows fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
