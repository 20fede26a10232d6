//! The demo's three samples get the verdicts their composition calls for.
use crate::{p, run_ok};

#[test]
fn demo_verdicts_match_ground_truth() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("demo");
    let out = run_ok(&["demo", "--dir", p(&dir), "--json"]);
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("demo --json prints JSON");
    let results = v["results"].as_array().expect("results");
    let get = |name: &str| {
        results
            .iter()
            .find(|r| r["sample"] == name)
            .expect(name)
            .clone()
    };

    let g = get("genuine-accounts.tsv");
    assert_eq!(g["verdict"], "genuine", "{g}");
    assert_eq!(g["system"], "accounts");
    assert_eq!(g["snapshot"], "2026-04-30");
    assert!(g["genuine_fraction"]["ci95"][0].as_f64().expect("lo") > 0.9);

    // The copy is dated by its records' presence: every span includes 2026-04-30.
    let report = crate::read_json(std::path::Path::new(
        g["report"].as_str().expect("report path"),
    ));
    let spans = report["matches"]["presence"].as_array().expect("presence");
    assert!(!spans.is_empty());
    for s in spans {
        assert!(
            s["first_seen"].as_str() <= Some("2026-04-30")
                && s["last_seen"].as_str() >= Some("2026-04-30"),
            "{s}"
        );
    }
    let reasons = report["verdict"]["reasons"].as_array().expect("reasons");
    assert!(reasons.iter().any(|r| r
        .as_str()
        .is_some_and(|t| t.starts_with("dating:") && t.contains("2026-04-30"))));

    let f = get("fabricated.csv");
    assert_eq!(f["verdict"], "fabricated", "{f}");
    assert!(f["system"].is_null());
    assert!(
        f["genuine_fraction"]["estimate"]
            .as_f64()
            .expect("estimate")
            < 0.01
    );

    let m = get("mixed-orders.csv");
    assert_eq!(m["verdict"], "mixed", "{m}");
    assert_eq!(m["system"], "orders");
    assert_eq!(m["snapshot"], "2026-07-31");
    let ci = &m["genuine_fraction"]["ci95"];
    assert!(
        ci[0].as_f64().expect("lo") <= 0.1 && 0.1 <= ci[1].as_f64().expect("hi"),
        "{ci}"
    );

    let rc = get("recycled.csv");
    assert_eq!(rc["verdict"], "recycled", "{rc}");
    assert!(
        rc["genuine_fraction"]["ci95"][1].as_f64().expect("hi") < 0.01,
        "{rc}"
    );

    // A second run over the same directory replaces the earlier demo.
    run_ok(&["demo", "--dir", p(&dir), "--json"]);
}
