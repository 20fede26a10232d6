//! Verify answers the same whether an index holds a system as one segment or as a chain of
//! snapshot deltas, canaries and other systems beside it.
use crate::{build_args, key, p, read_json, run_ok, verify_args};
use std::fmt::Write as _;
use std::path::Path;

const FIRST: [&str; 8] = [
    "Ana",
    "Jonas",
    "Mei",
    "Oluwaseun",
    "Sofía",
    "Lars",
    "Priya",
    "Yusuf",
];
const LAST: [&str; 8] = [
    "García", "Müller", "Chen", "Adeyemi", "Rossi", "Nilsson", "Sharma", "Demir",
];

/// An accounts export of `rows` people (with a header line), people `from..from+rows`.
pub(crate) fn export(from: u32, rows: u32) -> String {
    let mut s = String::from("customer_id,email,first_name,last_name,phone,birth_date,city\n");
    for i in from..from + rows {
        let (f, l) = (FIRST[i as usize % 8], LAST[(i as usize / 8) % 8]);
        writeln!(
            s,
            "C{i:06},{}.{}{i}@example.org,{f},{l},+49 151 {:08},19{:02}-{:02}-{:02},Berlin",
            f.to_lowercase(),
            l.to_lowercase(),
            i * 7 + 1,
            50 + i % 50,
            1 + i % 12,
            1 + i % 28
        )
        .expect("write");
    }
    s
}

/// A seller's sample: 300 exported people reformatted (upper-case e-mails, E.164 phones,
/// one name column, the customer id kept) and 100 made-up people without ids.
pub(crate) fn sample() -> String {
    let mut s = String::from("name;mail;tel;dob;customer_id\n");
    for i in (0..1200u32).step_by(4) {
        let (f, l) = (FIRST[i as usize % 8], LAST[(i as usize / 8) % 8]);
        writeln!(
            s,
            "{l}, {f};{}.{}{i}@EXAMPLE.ORG;+49151{:08};{:02}/{:02}/19{:02};C{i:06}",
            f.to_lowercase(),
            l.to_lowercase(),
            i * 7 + 1,
            1 + i % 28,
            1 + i % 12,
            50 + i % 50
        )
        .expect("write");
    }
    for i in 0..100u32 {
        writeln!(
            s,
            "Made Up{i};nobody{i}@example.net;+4917{:09};01/01/1970;",
            i
        )
        .expect("write");
    }
    s
}

fn verify(
    dir: &Path,
    k: &Path,
    idx: &Path,
    sample: &Path,
    name: &str,
) -> (serde_json::Value, Vec<String>) {
    let json = dir.join(format!("{name}.json"));
    let matches = dir.join(format!("{name}.csv"));
    run_ok(
        &[
            verify_args(k, idx, &json),
            vec!["--matches-out", p(&matches), p(sample)],
        ]
        .concat(),
    );
    let lines = std::fs::read_to_string(&matches)
        .expect("matches")
        .lines()
        .map(|l| {
            // line, evidence and score do not depend on where the record is stored.
            let c: Vec<&str> = l.split(',').collect();
            format!("{},{},{}", c[0], c[1], c[c.len() - 1])
        })
        .collect();
    (read_json(&json), lines)
}

#[test]
fn one_segment_or_many_give_the_same_results() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let k = key(dir);
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path
    };
    let full = write("accounts-full.csv", &export(0, 1200));
    let sample = write("sample.csv", &sample());

    let one = dir.join("one");
    run_ok(&build_args(&k, &one, "accounts", "2026-03-31", &full));

    // The same final state reached through three snapshots: a partial first one with 200
    // people who later leave, a second one, then the full export; plus an unrelated system.
    let many = dir.join("many");
    let early = write(
        "accounts-jan.csv",
        &(export(0, 600) + export(5000, 200).split_once('\n').expect("header").1),
    );
    let mid = write("accounts-feb.csv", &export(0, 900));
    let other = write("orders.csv", &export(9000, 300));
    run_ok(&build_args(&k, &many, "accounts", "2026-01-31", &early));
    run_ok(&build_args(&k, &many, "orders", "2026-01-31", &other));
    run_ok(&build_args(&k, &many, "accounts", "2026-02-28", &mid));
    run_ok(&build_args(&k, &many, "accounts", "2026-03-31", &full));
    run_ok(&["index", "check", "--index", p(&many)]);
    let info: serde_json::Value =
        serde_json::from_slice(&run_ok(&["index", "info", "--index", p(&many), "--json"]).stdout)
            .expect("json");
    assert_eq!(info["segments"].as_u64(), Some(4), "{info}");

    let (r1, m1) = verify(dir, &k, &one, &sample, "one");
    let (r2, m2) = verify(dir, &k, &many, &sample, "many");
    assert_eq!(m1.len(), 401);
    // Evidence per line is the same; a score may move a little, as the unrelated system
    // beside adds records a made-up phone number could meet by chance.
    let split = |m: &[String]| -> Vec<(String, f64)> {
        m.iter()
            .skip(1)
            .map(|l| {
                let (head, score) = l.rsplit_once(',').expect("line");
                (head.to_owned(), score.parse().expect("score"))
            })
            .collect()
    };
    let (s1, s2) = (split(&m1), split(&m2));
    assert_eq!(
        s1.iter().map(|x| &x.0).collect::<Vec<_>>(),
        s2.iter().map(|x| &x.0).collect::<Vec<_>>(),
        "per-line evidence differs"
    );
    for (a, b) in s1.iter().zip(&s2) {
        assert!((a.1 - b.1).abs() < 1.0, "{a:?} vs {b:?}");
    }
    assert_eq!(r1["matches"]["by_evidence"], r2["matches"]["by_evidence"]);
    assert_eq!(r1["verdict"]["class"], r2["verdict"]["class"]);
    assert_eq!(r1["verdict"]["class"], "mixed", "{}", r1["verdict"]);
    assert_eq!(r2["verdict"]["system"], "accounts");
    // Through the chain, the copied people were present from the snapshot that first held
    // them: the copy is attributed to a snapshot that held all of them, the last one.
    assert_eq!(r1["verdict"]["snapshot"], "2026-03-31");
    assert_eq!(r2["verdict"]["snapshot"], "2026-03-31", "{}", r2["verdict"]);

    // Page files change how reads are checked, never what they find: without them (an
    // index built before they existed) the same lines match; `index upgrade` writes them
    // back, byte for byte, and leaves the commitment alone.
    let segments = many.join("segments");
    let page_files: Vec<(std::path::PathBuf, Vec<u8>)> = std::fs::read_dir(&segments)
        .expect("segments")
        .flatten()
        .map(|e| e.path())
        .filter(|f| f.extension().is_some_and(|x| x == "bcv"))
        .map(|f| {
            let bytes = std::fs::read(&f).expect("read");
            (f, bytes)
        })
        .collect();
    assert_eq!(page_files.len(), 4);
    for (f, _) in &page_files {
        std::fs::remove_file(f).expect("remove");
    }
    let root = read_json(&many.join("manifest.json"))["commitment"].clone();
    let info = |want: usize| {
        let out = run_ok(&["index", "info", "--index", p(&many), "--json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(
            v["page_files"]["segments_without"].as_array().map(Vec::len),
            Some(want),
            "{v}"
        );
    };
    info(4);
    let human = run_ok(&["index", "info", "--index", p(&many)]);
    assert!(String::from_utf8_lossy(&human.stdout).contains("index upgrade"));
    let (r3, m3) = verify(dir, &k, &many, &sample, "many-without-pages");
    assert_eq!(m3, m2);
    assert_eq!(r3["matches"], r2["matches"]);
    let up = run_ok(&["index", "upgrade", "--index", p(&many), "--json"]);
    let up: serde_json::Value = serde_json::from_slice(&up.stdout).expect("json");
    assert_eq!(
        up["page_files_written"].as_array().map(Vec::len),
        Some(4),
        "{up}"
    );
    for (f, bytes) in &page_files {
        assert_eq!(&std::fs::read(f).expect("read"), bytes);
    }
    assert_eq!(read_json(&many.join("manifest.json"))["commitment"], root);
    info(0);
    let again = run_ok(&["index", "upgrade", "--index", p(&many)]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("up to date"));
}
