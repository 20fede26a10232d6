//! Case folders: every verify run in a case leaves its reports and a custody entry; the log
//! is checked offline and catches a changed report.
use crate::{indexed, p, run_ok, verify_args};

#[test]
fn a_case_folder_keeps_reports_and_a_checkable_custody_log() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let export = "email,full_name\nana@example.es,Ana López\nbo@example.se,Bo Berg\n";
    let (k, idx, exp) = indexed(dir, "accounts", "2026-03-31", "accounts.csv", export);
    let sk = dir.join("reports.signkey");
    run_ok(&["sign-key", "generate", "--out", p(&sk)]);
    let case = dir.join("case");
    for (i, name) in ["first.json", "second.json"].iter().enumerate() {
        let json = dir.join(name);
        let out = run_ok(
            &[
                verify_args(&k, &idx, &json),
                vec![
                    "--case",
                    p(&case),
                    "--operator",
                    "analyst-7",
                    "--sign-key",
                    p(&sk),
                    p(&exp),
                ],
            ]
            .concat(),
        );
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            said.contains(&format!("entry {} of the custody log", i + 1)),
            "{said}"
        );
    }
    let out = run_ok(&["case", "verify", p(&case)]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("ok: 2 custody entries"), "{said}");
    assert!(said.contains("signed head"), "{said}");
    let log = std::fs::read_to_string(case.join("custody.log")).expect("log");
    // Two entries and the head line.
    assert_eq!(log.lines().count(), 3);
    assert!(log
        .lines()
        .last()
        .is_some_and(|l| l.starts_with("{\"head\"")));
    assert!(log.contains("analyst-7") && log.contains("\"action\":\"verify\""));
    for value in ["ana@example.es", "López", "Bo Berg"] {
        assert!(!log.contains(value), "input value in the custody log");
    }
    // The signed report kept in the case verifies on its own.
    let kept = case.join("reports").join("0002-accounts.json");
    run_ok(&["report", "verify", p(&kept), "--sample", p(&exp)]);
    // Changing a kept report breaks the case.
    let html = case.join("reports").join("0001-accounts.html");
    let original = std::fs::read(&html).expect("kept");
    std::fs::write(&html, "<p>nothing to see</p>").expect("write");
    let bad = crate::run_fails(&["case", "verify", p(&case)]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("0001-accounts.html"));
    std::fs::write(&html, &original).expect("restore");
    run_ok(&["case", "verify", p(&case)]);
    // The last entry removed (truncation): caught by the signed head.
    let lines: Vec<&str> = log.lines().collect();
    std::fs::write(
        case.join("custody.log"),
        format!("{}\n{}\n", lines[0], lines[2]),
    )
    .expect("write");
    let bad = crate::run_fails(&["case", "verify", p(&case)]);
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("head"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    // A report no entry lists is flagged.
    std::fs::write(case.join("custody.log"), &log).expect("restore");
    std::fs::write(case.join("reports").join("0001-extra.json"), "{}").expect("write");
    let bad = crate::run_fails(&["case", "verify", p(&case)]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("0001-extra.json"));
}
