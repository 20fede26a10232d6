//! Reference corpora: a known earlier breach, registered, makes "these lines come from
//! breach X" a positive finding, and never counts as the company's data.
use crate::{build_args, key, p, read_json, run_ok, verify_args};
use std::fmt::Write as _;

fn people(from: u32, n: u32, domain: &str) -> String {
    let mut s = String::from("email,full_name,phone,birth_date\n");
    for i in from..from + n {
        writeln!(
            s,
            "u{i}@{domain},Alex Moreau{i},+33 6 12 {:02} {:02} {:02},19{:02}-03-{:02}",
            i / 10_000 % 100,
            i / 100 % 100,
            i % 100,
            50 + i % 40,
            1 + i % 28
        )
        .expect("write");
    }
    s
}

#[test]
fn a_registered_breach_is_named_and_not_taken_for_the_company() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let k = key(dir);
    let idx = dir.join("idx");
    let ours = dir.join("accounts.csv");
    std::fs::write(&ours, people(0, 300, "example.fr")).expect("write");
    run_ok(&build_args(&k, &idx, "accounts", "2026-03-31", &ours));
    // Without a reference, the report says none was checked.
    let old = dir.join("shopx.csv");
    std::fs::write(&old, people(1000, 400, "mail.example")).expect("write");
    let json = dir.join("r0.json");
    run_ok(&[verify_args(&k, &idx, &json), vec![p(&old)]].concat());
    let reasons = read_json(&json)["verdict"]["reasons"].to_string();
    assert!(reasons.contains("no reference corpus"), "{reasons}");
    // Registered, the same sample is named as that breach; the company's own evidence
    // does not change.
    let out = run_ok(&[
        "reference",
        "add",
        "--key",
        p(&k),
        "--index",
        p(&idx),
        "--name",
        "shopx-2023",
        "--date",
        "2023-06-01",
        p(&old),
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("registered reference corpus shopx-2023"));
    let json = dir.join("r1.json");
    run_ok(&[verify_args(&k, &idx, &json), vec![p(&old)]].concat());
    let r = read_json(&json);
    assert_eq!(r["matches"]["by_evidence"]["none"], 400, "{}", r["matches"]);
    assert_eq!(r["verdict"]["class"], "recycled", "{}", r["verdict"]);
    let reasons = r["verdict"]["reasons"].to_string();
    assert!(
        reasons
            .contains("400 line(s) (100.0%) match a record of the known breach \\\"shopx-2023\\\""),
        "{reasons}"
    );
    // A sample of the company's own data is still attributed to the company.
    let json = dir.join("r2.json");
    run_ok(&[verify_args(&k, &idx, &json), vec![p(&ours)]].concat());
    let r = read_json(&json);
    assert_eq!(r["verdict"]["class"], "genuine");
    assert_eq!(r["verdict"]["system"], "accounts");
    let info: serde_json::Value =
        serde_json::from_slice(&run_ok(&["index", "info", "--index", p(&idx), "--json"]).stdout)
            .expect("json");
    assert_eq!(info["references"][0]["name"], "shopx-2023");
    assert_eq!(info["systems"].as_array().map(Vec::len), Some(1));
}

/// Lines from several sources — two registered earlier breaches and the company's own
/// records — merged into one list read as a compilation, each source named with its share.
#[test]
fn several_sources_merged_are_a_compilation() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let k = key(dir);
    let idx = dir.join("idx");
    let ours = dir.join("accounts.csv");
    std::fs::write(&ours, people(0, 300, "example.fr")).expect("write");
    run_ok(&build_args(&k, &idx, "accounts", "2026-03-31", &ours));
    for (name, from, domain) in [
        ("shopx-2023", 1000, "mail.example"),
        ("forum-2021", 5000, "post.example"),
    ] {
        let f = dir.join(format!("{name}.csv"));
        std::fs::write(&f, people(from, 400, domain)).expect("write");
        run_ok(&[
            "reference",
            "add",
            "--key",
            p(&k),
            "--index",
            p(&idx),
            "--name",
            name,
            "--date",
            "2023-06-01",
            p(&f),
        ]);
    }
    let mut sample = people(0, 120, "example.fr");
    for (from, n, domain) in [
        (1000, 150, "mail.example"),
        (5000, 100, "post.example"),
        (9000, 30, "made.example"),
    ] {
        sample.push_str(people(from, n, domain).split_once('\n').expect("header").1);
    }
    let s = dir.join("combo.csv");
    std::fs::write(&s, sample).expect("write");
    let json = dir.join("c.json");
    run_ok(&[verify_args(&k, &idx, &json), vec![p(&s)]].concat());
    let report = read_json(&json);
    let (schemas, sidx) = crate::schema::schema();
    crate::schema::check(&schemas, sidx, &report, "the compilation report");
    let v = report["verdict"].clone();
    assert_eq!(v["class"], "compilation", "{v}");
    assert!(
        v["hypotheses"].as_array().is_some_and(|h| h.len() >= 5),
        "{v}"
    );
    let reasons = v["reasons"].to_string();
    for part in [
        "shopx-2023",
        "forum-2021",
        "the copies are of system accounts",
    ] {
        assert!(reasons.contains(part), "{part}: {reasons}");
    }
    // The company's share is still measured: 120 of 400 lines.
    let est = v["genuine_fraction"]["estimate"]
        .as_f64()
        .expect("estimate");
    assert!((est - 0.3).abs() < 0.01, "{est}");
}
