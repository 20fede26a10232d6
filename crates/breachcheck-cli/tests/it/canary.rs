//! `canary generate`: realistic records in the company's own e-mail domain and phone range,
//! registered, and reported first when a sample contains them.
use crate::{build_args, key, p, read_json, run_ok, verify_args};

#[test]
fn generated_canaries_are_registered_and_reported_first() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let k = key(dir);
    let idx = dir.join("idx");
    let export = dir.join("accounts.csv");
    let mut text = String::from("email,first_name,last_name,phone,birth_date,country\n");
    for i in 0..200 {
        text.push_str(&format!(
            "p{i}@example.org,Pat{i},Lee,+34 612 {:06},1980-01-{:02},ES\n",
            i * 7,
            1 + i % 28
        ));
    }
    std::fs::write(&export, &text).expect("write");
    run_ok(&build_args(&k, &idx, "accounts", "2026-03-31", &export));
    let canaries = dir.join("canaries.csv");
    let out = run_ok(&[
        "canary",
        "generate",
        "--system",
        "accounts",
        "--count",
        "30",
        "--email-domain",
        "kundenpost-relay.de",
        "--phone-prefix",
        "+4915790012",
        "--out",
        p(&canaries),
        "--key",
        p(&k),
        "--index",
        p(&idx),
    ]);
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("registered 30 canary records planted in accounts"));
    let rows: Vec<String> = std::fs::read_to_string(&canaries)
        .expect("canaries")
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        rows[0],
        "email,first_name,last_name,phone,birth_date,country"
    );
    assert_eq!(rows.len(), 31);
    let mut emails = std::collections::HashSet::new();
    for r in &rows[1..] {
        let cells: Vec<&str> = r.split(',').collect();
        assert!(cells[0].ends_with("@kundenpost-relay.de"), "{r}");
        assert!(cells[3].starts_with("+4915790012"), "{r}");
        assert!(
            emails.insert(cells[0].to_owned()),
            "duplicate canary e-mail"
        );
    }
    // A sample with two canaries among export rows and strangers.
    let sample = dir.join("sample.csv");
    let mut s = String::from("email,first_name,last_name,phone,birth_date,country\n");
    s.push_str(&rows[3]);
    s.push('\n');
    s.push_str(&rows[17]);
    s.push('\n');
    for line in text.lines().skip(1).take(40) {
        s.push_str(line);
        s.push('\n');
    }
    for i in 0..40 {
        s.push_str(&format!(
            "x{i}@example.net,Kim{i},Ray,+34 699 {:06},1990-02-02,ES\n",
            i
        ));
    }
    std::fs::write(&sample, s).expect("sample");
    let json = dir.join("r.json");
    run_ok(&[verify_args(&k, &idx, &json), vec![p(&sample)]].concat());
    let r = read_json(&json);
    assert_eq!(r["matches"]["by_evidence"]["canary"], 2, "{}", r["matches"]);
    let first = r["verdict"]["reasons"][0].as_str().expect("reason");
    assert!(
        first.contains("canary") && first.contains("accounts"),
        "{first}"
    );
    // Never over an existing file; a domain that is not one is refused.
    for args in [
        vec![
            "--email-domain",
            "kundenpost-relay.de",
            "--out",
            p(&canaries),
        ],
        vec![
            "--email-domain",
            "not a domain",
            "--out",
            p(&dir.join("other.csv")),
        ],
    ] {
        crate::run_fails(&[vec!["canary", "generate", "--system", "accounts"], args].concat());
    }
}
