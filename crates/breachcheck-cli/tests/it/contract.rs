//! The command-line and report contracts, on small exports written by the test.
use crate::{bin, build_args, indexed, key, p, read_json, run_ok};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::path::PathBuf;

const ACCOUNTS: &str = "\
customer_id,email,first_name,last_name,phone,birth_date,country
C1000001,Ana.Lopez@example.es,Ana,López,+34-612-34-56-78,1985-03-02,ES
C1000002,jurgen.mueller@web.de,Jürgen,Müller,+49 151 23456789,1970-11-30,DE
C1000003,ivan.petrov@yandex.ru,Иван,Петров,+7 912 345-67-89,1990-01-15,RU
C1000004,mei.wang@qq.com,美,王,+86 139 1234 5678,1988-08-08,CN
C1000005,kim.minjun@naver.com,민준,김,+82 10-1234-5678,1995-05-05,KR
";

const CANARIES: &str = "\
customer_id,email,first_name,last_name,phone,birth_date,country
C9000001,canary.one@kundenpost-relay.de,Erika,Mustermann,+49 151 99999901,1960-01-01,DE
";

fn setup(dir: &Path) -> (PathBuf, PathBuf) {
    let (k, idx, _) = indexed(dir, "accounts", "2026-03-31", "accounts.csv", ACCOUNTS);
    (k, idx)
}

#[test]
fn key_generate_is_private_and_never_overwrites() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let k = key(tmp.path());
    let meta = std::fs::metadata(&k).expect("key exists");
    assert_eq!(meta.len(), 32);
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let before = std::fs::read(&k).expect("read");
    let out = bin()
        .args(["key", "generate", "--out", p(&k)])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("never overwritten"));
    assert_eq!(std::fs::read(&k).expect("read"), before);
}

/// Every class a report can carry is named, with its meaning, in `verify --help` and the
/// README.
#[test]
fn every_class_is_documented() {
    let help = String::from_utf8_lossy(&run_ok(&["verify", "--help"]).stdout).into_owned();
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"),
    )
    .expect("README");
    let verdicts = breachcheck_verdict::VerdictClass::ALL.map(|c| c.as_str());
    let evidence = breachcheck_core::EvidenceClass::STRONGEST_FIRST.map(|c| c.as_str());
    for name in verdicts.iter().chain(evidence.iter()) {
        let line = format!("  {name} ");
        assert!(help.contains(&line), "verify --help lacks {name}");
        assert!(readme.contains(&format!("`{name}`")), "README lacks {name}");
    }
}

#[test]
fn every_command_has_help_with_an_example() {
    for args in [
        vec!["key", "generate"],
        vec!["index", "build"],
        vec!["index", "canaries"],
        vec!["index", "info"],
        vec!["index", "check"],
        vec!["index", "upgrade"],
        vec!["index", "export"],
        vec!["index", "rekey"],
        vec!["canary", "generate"],
        vec!["tags"],
        vec!["reference", "add"],
        vec!["case", "verify"],
        vec!["verify"],
        vec!["inspect"],
        vec!["demo"],
        vec!["normalize"],
        vec!["sign-key", "generate"],
        vec!["report", "verify"],
        vec!["bench"],
    ] {
        let mut a = args.clone();
        a.push("--help");
        let out = run_ok(&a);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Example"), "{args:?} --help has no example");
    }
}

#[test]
fn report_contract_and_evidence_classes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (k, idx) = setup(tmp.path());
    let can = tmp.path().join("canaries.csv");
    std::fs::write(&can, CANARIES).expect("write");
    run_ok(&[
        "index",
        "canaries",
        "--key",
        p(&k),
        "--index",
        p(&idx),
        "--system",
        "accounts",
        "--snapshot",
        "2026-01-01",
        p(&can),
    ]);

    // A seller's sample: other header names and order, semicolons, one line per class (the
    // first reproduces the system's rare way of writing phones, with dashes).
    let sample = tmp.path().join("sample.csv");
    std::fs::write(
        &sample,
        "mail;tel;vorname;nachname;geburtstag;land;kdnr\n\
         Ana.Lopez@example.es;+34-612-34-56-78;Ana;López;1985-03-02;ES;\n\
         jurgen.mueller@web.de;+4915123456789;Jürgen;Müller;1970-11-30;DE;\n\
         ivan.petrov@yandex.ru;+7 000 000-00-00;Someone;Else;2001-01-01;RU;\n\
         nobody@example.org;+33 6 12 34 56 78;Jean;Dupont;1999-09-09;FR;\n\
         x@example.org;+44 7700 900123;Mei;Wang;1988-08-08;CN;C1000004\n\
         canary.one@kundenpost-relay.de;;Erika;Mustermann;;DE;\n",
    )
    .expect("write sample");
    let json = tmp.path().join("r.json");
    let md = tmp.path().join("r.md");
    let matches = tmp.path().join("m.csv");
    run_ok(
        &[
            crate::verify_args(&k, &idx, &json),
            vec![
                "--md",
                p(&md),
                "--matches-out",
                p(&matches),
                "--map",
                "geburtstag=birth_date",
                "--map",
                "kdnr=customer_id",
                p(&sample),
            ],
        ]
        .concat(),
    );
    let r = read_json(&json);
    assert_eq!(r["schema"], "breachcheck.report/v1");
    assert_eq!(r["sample"]["sha256"].as_str().map(str::len), Some(64));
    assert_eq!(r["sample"]["lines_total"], 7);
    assert_eq!(r["sample"]["records_parsed"], 6);
    assert_eq!(r["sample"]["quarantined"], 0);
    let e = &r["matches"]["by_evidence"];
    let n = |k: &str| {
        e[k].as_u64()
            .unwrap_or_else(|| panic!("by_evidence.{k} missing"))
    };
    assert_eq!(n("canary"), 1, "{e}");
    assert_eq!(n("internal_id"), 1, "{e}");
    assert_eq!(n("quirk_full_record"), 1, "{e}");
    assert_eq!(n("full_record"), 1, "{e}");
    assert_eq!(n("partial"), 1, "{e}");
    assert_eq!(n("none"), 1, "{e}");
    let v = &r["verdict"];
    assert!([
        "genuine",
        "recycled",
        "fabricated",
        "compilation",
        "scraped",
        "mixed",
        "inconclusive"
    ]
    .contains(&v["class"].as_str().expect("class")));
    // The canary settles that the company's data is in it; with six lines, whether the two
    // unmatched ones are anything but a copy's misses cannot be told, so either admission.
    assert!(
        v["class"] == "mixed" || v["class"] == "genuine",
        "{}",
        v["class"]
    );
    assert_eq!(v["system"], "accounts");
    assert_eq!(v["snapshot"], "2026-03-31");
    let gf = &v["genuine_fraction"];
    let (est, lo, hi) = (
        gf["estimate"].as_f64().expect("e"),
        gf["ci95"][0].as_f64().expect("lo"),
        gf["ci95"][1].as_f64().expect("hi"),
    );
    assert!((0.0..=1.0).contains(&est) && lo <= est && est <= hi);
    assert!(v["reasons"].as_array().is_some_and(|a| !a.is_empty()));
    assert!(r["index"]["commitment"]["root"]
        .as_str()
        .is_some_and(|s| s.len() == 64));

    let md = std::fs::read_to_string(&md).expect("md");
    let verdict_at = md.find("Verdict").expect("verdict heading");
    let evidence_at = md.find("## Evidence").expect("evidence heading");
    let reasons_at = md.find("## Reasons").expect("reasons heading");
    let next_at = md.find("## What to do next").expect("next steps");
    assert!(verdict_at < evidence_at && evidence_at < reasons_at && reasons_at < next_at);

    let rows = std::fs::read_to_string(&matches).expect("matches");
    let mut lines = rows.lines();
    assert_eq!(
        lines.next(),
        Some("line,evidence,system,snapshot,source_file,source_row,score")
    );
    let body: Vec<&str> = lines.collect();
    assert_eq!(body.len(), 6);
    assert!(
        body[0].starts_with("2,quirk_full_record,accounts,2026-03-31,accounts.csv,2,"),
        "{}",
        body[0]
    );
    assert!(
        body[4].starts_with("6,internal_id,accounts,2026-03-31,accounts.csv,5,"),
        "{}",
        body[4]
    );
    assert!(body[3].starts_with("5,none,,,,,"), "{}", body[3]);
}

#[test]
fn index_info_check_and_refusals() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (k, idx) = setup(tmp.path());
    let out = run_ok(&["index", "info", "--index", p(&idx), "--json"]);
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(info["systems"][0]["name"], "accounts");
    assert_eq!(info["systems"][0]["snapshots"][0]["records"], 5);
    assert_eq!(info["rules_version"], breachcheck_core::RULES_VERSION);
    assert!(info["commitment"]["root"].is_string());
    run_ok(&["index", "info", "--index", p(&idx)]);
    run_ok(&["index", "check", "--index", p(&idx)]);

    // The same snapshot twice is refused; another snapshot is added.
    let exp = tmp.path().join("accounts.csv");
    let again = bin()
        .args(build_args(&k, &idx, "accounts", "2026-03-31", &exp))
        .output()
        .expect("runs");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already in the index"));
    run_ok(&build_args(&k, &idx, "accounts", "2026-04-30", &exp));

    // Another key is refused with a clear message.
    let other = tmp.path().join("other");
    std::fs::create_dir(&other).expect("mkdir");
    let k2 = key(&other);
    let out = bin()
        .args([
            "verify",
            "--key",
            p(&k2),
            "--index",
            p(&idx),
            "--json",
            p(&tmp.path().join("x.json")),
            p(&exp),
        ])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("key fingerprint"));
    let _ = k;

    // A damaged segment is caught by `index check`.
    let seg = std::fs::read_dir(idx.join("segments"))
        .expect("segments")
        .flatten()
        .next()
        .expect("a segment")
        .path();
    let mut bytes = std::fs::read(&seg).expect("read");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&seg, bytes).expect("write");
    let out = bin()
        .args(["index", "check", "--index", p(&idx)])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("damaged"));
}

#[test]
fn inspect_reports_layout_without_values() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let exp = tmp.path().join("accounts.csv");
    std::fs::write(&exp, ACCOUNTS).expect("write");
    let out = run_ok(&["inspect", "--json", p(&exp)]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let roles = crate::roles(&v["parts"][0]);
    assert_eq!(
        roles,
        [
            "customer_id",
            "email",
            "first_name",
            "last_name",
            "phone",
            "birth_date",
            "country"
        ]
    );
    assert_eq!(v["lines"]["records"], 5);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("example.es") && !text.contains("Müller"));
}

#[test]
fn normalize_prints_one_line_per_input_line() {
    use std::io::Write;
    let mut child = bin()
        .args(["normalize", "--role", "phone", "--country", "DE"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"0151 23456789\n+49 (151) 234-567-89\n\nnot a number\n")
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "+4915123456789\n+4915123456789\n!invalid: empty\n!invalid: not a phone number\n"
    );
}

/// `kill -9` during a build leaves the previous index whole: `index check` and `verify`
/// succeed on it, and the next build takes the dead build's lock over.
#[test]
fn a_killed_build_leaves_the_previous_index_usable() {
    use std::io::Write;
    let tmp = tempfile::tempdir().expect("tempdir");
    let (k, idx) = setup(tmp.path());
    let big = tmp.path().join("big.csv");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&big).expect("create"));
        writeln!(w, "customer_id,email,first_name,last_name,phone,country").expect("write");
        for i in 0..400_000u32 {
            writeln!(
                w,
                "K{i},user{i}@example.org,Name{},Family{},+49 151 {:08},DE",
                i % 1000,
                i % 777,
                i
            )
            .expect("write");
        }
    }
    let mut child = bin()
        .args(build_args(&k, &idx, "accounts", "2026-05-31", &big))
        .spawn()
        .expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(700));
    child.kill().ok(); // SIGKILL on Unix; fails harmlessly if the build already ended
    let finished = child.wait().expect("wait").success();
    run_ok(&["index", "check", "--index", p(&idx)]);
    let out = run_ok(&["index", "info", "--index", p(&idx), "--json"]);
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let snapshots = info["systems"][0]["snapshots"]
        .as_array()
        .expect("snapshots")
        .len();
    // Killed before its manifest was renamed into place: the old state; after: both.
    assert!(snapshots == 1 || snapshots == 2, "{snapshots}");
    if finished {
        assert_eq!(snapshots, 2);
    }
    let json = tmp.path().join("after.json");
    run_ok(
        &[
            crate::verify_args(&k, &idx, &json),
            vec![p(&tmp.path().join("accounts.csv"))],
        ]
        .concat(),
    );
    if snapshots == 1 {
        // The dead build's lock is taken over; the snapshot can be built now.
        let small = tmp.path().join("accounts.csv");
        run_ok(&build_args(&k, &idx, "accounts", "2026-05-31", &small));
    }
}

#[test]
fn signed_reports_verify_and_tampering_is_caught() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (k, idx) = setup(tmp.path());
    let sk = tmp.path().join("reports.signkey");
    let out = run_ok(&["sign-key", "generate", "--out", p(&sk)]);
    let public = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .expect("public key")
        .trim()
        .to_owned();
    assert_eq!(public.len(), 64);
    let sample = tmp.path().join("accounts.csv");
    let json = tmp.path().join("r.json");
    run_ok(
        &[
            crate::verify_args(&k, &idx, &json),
            vec!["--sign-key", p(&sk), p(&sample)],
        ]
        .concat(),
    );
    run_ok(&[
        "report",
        "verify",
        p(&json),
        "--public-key",
        &public,
        "--sample",
        p(&sample),
    ]);
    // Another signer's key, another sample, a changed report: each fails.
    let wrong = "00".repeat(32);
    assert!(!bin()
        .args(["report", "verify", p(&json), "--public-key", &wrong])
        .output()
        .expect("runs")
        .status
        .success());
    let other = tmp.path().join("other.csv");
    std::fs::write(&other, "email\nx@example.org\n").expect("write");
    assert!(!bin()
        .args(["report", "verify", p(&json), "--sample", p(&other)])
        .output()
        .expect("runs")
        .status
        .success());
    let mut bytes = std::fs::read(&json).expect("report");
    let at = bytes.iter().position(|b| *b == b'1').expect("a digit");
    bytes[at] = b'2';
    std::fs::write(&json, bytes).expect("write");
    let tampered = bin()
        .args(["report", "verify", p(&json), "--public-key", &public])
        .output()
        .expect("runs");
    assert!(!tampered.status.success());
    assert!(String::from_utf8_lossy(&tampered.stderr).contains("signature"));
}
