//! Every report breachcheck writes validates against the published JSON Schema
//! (`crates/breachcheck-report/schema/report.v1.schema.json`), and the schema rejects a
//! report that breaks the contract.
use crate::{indexed, p, read_json, run_ok, verify_args};

pub(crate) fn schema() -> (boon::Schemas, boon::SchemaIndex) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../breachcheck-report/schema/report.v1.schema.json"
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("schema file")).expect("schema JSON");
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler
        .add_resource(
            "https://breachcheck.invalid/schema/report.v1.schema.json",
            doc,
        )
        .expect("resource");
    let idx = compiler
        .compile(
            "https://breachcheck.invalid/schema/report.v1.schema.json",
            &mut schemas,
        )
        .expect("the schema compiles");
    (schemas, idx)
}

pub(crate) fn check(
    schemas: &boon::Schemas,
    idx: boon::SchemaIndex,
    report: &serde_json::Value,
    what: &str,
) {
    if let Err(e) = schemas.validate(report, idx) {
        panic!("{what} does not match the schema: {e:#}");
    }
}

#[test]
fn reports_match_the_published_schema() {
    let (schemas, idx) = schema();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    // The demo's four reports: genuine, fabricated, mixed, recycled.
    run_ok(&["demo", "--dir", p(&dir.join("demo")), "--customers", "400"]);
    let mut n = 0;
    for e in std::fs::read_dir(dir.join("demo").join("reports"))
        .expect("reports")
        .flatten()
    {
        if e.path().extension().is_some_and(|x| x == "json") {
            check(
                &schemas,
                idx,
                &read_json(&e.path()),
                &e.path().display().to_string(),
            );
            n += 1;
        }
    }
    assert_eq!(n, 4);
    // A malformed sample (quarantine entries) and one with no usable column
    // (inconclusive, null system and snapshot).
    let (k, index, _) = indexed(
        dir,
        "accounts",
        "2026-03-31",
        "a.csv",
        "email,full_name\na@example.org,Ana Lopez\nb@example.org,Bo Li\n",
    );
    for (name, text) in [
        ("bad.csv", "email,full_name\nb@example.org,Bo Li\n\"unterminated,x\nc@x.org,C D,extra,fields,here\n"),
        ("nothing.csv", "colour;size\nred;3\nblue;4\n"),
    ] {
        let sample = dir.join(name);
        std::fs::write(&sample, text).expect("write");
        let json = dir.join(format!("{name}.json"));
        run_ok(&[verify_args(&k, &index, &json), vec![p(&sample)]].concat());
        check(&schemas, idx, &read_json(&json), name);
    }
    assert!(read_json(&dir.join("bad.csv.json"))["sample"]["quarantined"].as_u64() > Some(0));
    assert_eq!(
        read_json(&dir.join("nothing.csv.json"))["verdict"]["class"],
        "inconclusive"
    );
    // The schema is not vacuous: a report without its verdict class, or with an unknown
    // evidence class, is rejected.
    let mut broken = read_json(&dir.join("bad.csv.json"));
    broken["verdict"]
        .as_object_mut()
        .expect("verdict")
        .remove("class");
    assert!(schemas.validate(&broken, idx).is_err());
    let mut broken = read_json(&dir.join("bad.csv.json"));
    broken["matches"]["by_evidence"]["probably"] = serde_json::json!(3);
    assert!(schemas.validate(&broken, idx).is_err());
}
