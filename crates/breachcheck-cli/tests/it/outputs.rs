//! All-or-nothing outputs and one error chain per failure: a command that fails leaves no
//! output and no temporary file, reads its inputs before it writes anything, and says what
//! it was doing, to which file the user named, and why — once.
use crate::{bin, indexed, p, run_fails, run_ok, verify_args};
use std::path::Path;

const EXPORT: &str = "email,full_name,phone,country\n\
    ana@example.es,Ana López,+34 612 34 56 78,ES\n\
    bo@example.se,Bo Berg,+46 70 123 45 67,SE\n";

/// Every file under `dir`, relative names, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_failing_verify_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let (k, idx, exp) = indexed(dir, "accounts", "2026-03-31", "accounts.csv", EXPORT);
    let out = dir.join("out");
    std::fs::create_dir_all(&out).expect("mkdir");
    let (json, md) = (out.join("a.json"), out.join("b.md"));
    let html = out.join("nodir").join("c.html");
    // A destination in a missing directory: refused before the sample is read.
    let e = run_fails(
        &[
            verify_args(&k, &idx, &json),
            vec!["--md", p(&md), "--html", p(&html), p(&exp)],
        ]
        .concat(),
    );
    let err = String::from_utf8_lossy(&e.stderr);
    assert!(err.contains("c.html"), "{err}");
    assert_eq!(err.matches("os error").count(), 1, "{err}");
    assert!(!err.contains(".bctmp"), "{err}");
    assert!(files(&out).is_empty(), "{:?}", files(&out));
    // A signing key that cannot be read: refused before anything is written.
    let e = run_fails(
        &[
            verify_args(&k, &idx, &json),
            vec![
                "--md",
                p(&md),
                "--sign-key",
                p(&dir.join("missing.sign")),
                p(&exp),
            ],
        ]
        .concat(),
    );
    assert!(String::from_utf8_lossy(&e.stderr).contains("missing.sign"));
    assert!(files(&out).is_empty(), "{:?}", files(&out));
    // A key path that is a directory: said so, without a permissions warning.
    let e = run_fails(&[verify_args(dir, &idx, &json), vec![p(&exp)]].concat());
    let err = String::from_utf8_lossy(&e.stderr);
    assert!(
        err.contains("not a key file") && !err.contains("chmod"),
        "{err}"
    );
    // The same outputs named twice: refused.
    run_fails(
        &[
            verify_args(&k, &idx, &json),
            vec!["--md", p(&json), p(&exp)],
        ]
        .concat(),
    );
    assert!(files(&out).is_empty());
    // Whole: every output at once.
    run_ok(&[verify_args(&k, &idx, &json), vec!["--md", p(&md), p(&exp)]].concat());
    assert_eq!(files(&out), ["a.json", "b.md"]);
}

#[test]
fn a_failed_first_build_leaves_no_index_directory() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let k = crate::key(dir);
    let idx = dir.join("idx");
    // An export that cannot be read, and one with no usable record.
    let missing = dir.join("missing.csv");
    run_fails(&crate::build_args(
        &k,
        &idx,
        "accounts",
        "2026-03-31",
        &missing,
    ));
    assert!(!idx.exists(), "{:?}", files(&idx));
    let blank = dir.join("blank.csv");
    std::fs::write(&blank, "\n\n").expect("write");
    run_fails(&crate::build_args(
        &k,
        &idx,
        "accounts",
        "2026-03-31",
        &blank,
    ));
    assert!(!idx.exists(), "{:?}", files(&idx));
}

#[test]
fn malformed_keys_and_names_are_refused_up_front() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let (k, idx, exp) = indexed(dir, "accounts", "2026-03-31", "accounts.csv", EXPORT);
    let json = dir.join("r.json");
    let sk = dir.join("s.sign");
    let gen = run_ok(&["sign-key", "generate", "--out", p(&sk)]);
    let said = String::from_utf8_lossy(&gen.stdout);
    assert!(!said.contains("report-signing"), "{said}");
    run_ok(
        &[
            verify_args(&k, &idx, &json),
            vec!["--sign-key", p(&sk), p(&exp)],
        ]
        .concat(),
    );
    let e = bin()
        .args(["report", "verify", p(&json), "--public-key", "zz"])
        .output()
        .expect("runs");
    assert!(!e.status.success());
    assert!(String::from_utf8_lossy(&e.stderr).contains("64 hex digits"));
    // index info names the audit-set status.
    let info = run_ok(&["index", "info", "--index", p(&idx)]);
    assert!(String::from_utf8_lossy(&info.stdout).contains("audit sets:"));
}

/// An index built without audit sets gains them as a new commitment; an audit then works.
#[test]
fn an_index_gains_audit_sets_later() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let (k, idx, exp) = indexed(dir, "accounts", "2026-03-31", "accounts.csv", EXPORT);
    let sk = dir.join("s.sign");
    run_ok(&["sign-key", "generate", "--out", p(&sk)]);
    let serve = |idx: &Path| {
        bin()
            .args([
                "audit",
                "serve",
                "--index",
                p(idx),
                "--key",
                p(&k),
                "--sign-key",
                p(&sk),
                "--listen",
                "127.0.0.1:0",
                "--max-sessions",
                "0",
            ])
            .output()
            .expect("runs")
    };
    let refused = serve(&idx);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success() && err.contains("index add-audit"),
        "{err}"
    );
    let before = crate::read_json(&idx.join("manifest.json"))["commitment"]["root"].clone();
    let out = run_ok(&["index", "add-audit", "--key", p(&k), "--index", p(&idx)]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("new commitment"));
    let after = crate::read_json(&idx.join("manifest.json"))["commitment"]["root"].clone();
    assert_ne!(before, after);
    run_ok(&["index", "check", "--index", p(&idx)]);
    let info = run_ok(&["index", "info", "--index", p(&idx), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&info.stdout).expect("json");
    assert_eq!(v["audit"]["snapshots_with_set"], 1);
    // The sets are the ones a build with --audit makes.
    let idx2 = dir.join("idx2");
    run_ok(
        &[
            crate::build_args(&k, &idx2, "accounts", "2026-03-31", &exp),
            vec!["--audit"],
        ]
        .concat(),
    );
    let set = |idx: &Path| {
        let m = crate::read_json(&idx.join("manifest.json"));
        m["segments"][0]["audit"]["sha256"].clone()
    };
    assert_eq!(set(&idx), set(&idx2));
}
