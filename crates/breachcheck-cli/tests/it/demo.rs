//! The demo's three samples get the verdicts their composition calls for.
use crate::{copy_dir, p, run_ok};

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
    // Not the company's: no copied share is claimed (the interval says how many of its
    // whole matches could have been copies, as nothing in them tells).
    assert_eq!(
        rc["genuine_fraction"]["estimate"].as_f64(),
        Some(0.0),
        "{rc}"
    );

    // A second run over the same directory replaces the earlier demo.
    run_ok(&["demo", "--dir", p(&dir), "--json"]);
}

/// Registering what is known only sharpens a verdict: the company's own data that leaked
/// before stays the company's (genuine, dated, and said to have circulated), and another
/// service's breach registered as a corpus stays not the company's, with the story table
/// agreeing with the class.
#[test]
fn registered_breaches_sharpen_verdicts() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("demo");
    run_ok(&["demo", "--dir", p(&dir)]);
    let key = dir.join("company.key");
    let samples = dir.join("samples");
    let head = |name: &str, lines: usize| {
        let text = std::fs::read_to_string(samples.join(name)).expect("sample");
        let part: String = text.lines().take(lines).map(|l| format!("{l}\n")).collect();
        let out = tmp.path().join(format!("part-{name}"));
        std::fs::write(&out, part).expect("write");
        out
    };
    let verify = |corpus: &std::path::Path, name: &str| {
        let idx = tmp.path().join(format!("idx-{name}"));
        copy_dir(&dir.join("index"), &idx);
        run_ok(&[
            "reference",
            "add",
            "--key",
            p(&key),
            "--index",
            p(&idx),
            "--name",
            "earlier",
            "--date",
            "2026-05-15",
            p(corpus),
        ]);
        let json = tmp.path().join(format!("{name}.json"));
        run_ok(
            &[
                crate::verify_args(&key, &idx, &json),
                vec![p(&samples.join(name))],
            ]
            .concat(),
        );
        crate::read_json(&json)
    };
    // Half of the genuine copy registered as an earlier breach.
    let r = verify(&head("genuine-accounts.tsv", 401), "genuine-accounts.tsv");
    let v = &r["verdict"];
    assert_eq!(v["class"], "genuine", "{v}");
    assert_eq!(v["snapshot"], "2026-04-30", "{v}");
    let reasons = v["reasons"].to_string();
    assert!(reasons.contains("circulated before"), "{reasons}");
    // 600 lines of another service's breach registered.
    let r = verify(&head("recycled.csv", 601), "recycled.csv");
    let v = &r["verdict"];
    assert_eq!(v["class"], "recycled", "{v}");
    assert_eq!(v["genuine_fraction"]["estimate"].as_f64(), Some(0.0), "{v}");
    assert_eq!(v["hypotheses"][0]["hypothesis"], "recycled", "{v}");
}
