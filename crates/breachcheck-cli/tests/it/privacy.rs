//! Privacy law: no input value reaches the index, a report, stdout or stderr.
use crate::{bin, p, run_ok};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Replaces runs of 16 or more hex digits (hashes, roots, fingerprints — outputs by design)
/// so that a short numeric value cannot match inside them by chance.
fn mask_hex(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let mut i = 0;
    while i < out.len() {
        let j = (i..out.len())
            .find(|&j| !out[j].is_ascii_hexdigit())
            .unwrap_or(out.len());
        if j - i >= 16 {
            out[i..j].fill(b'#');
        }
        i = j + 1;
    }
    out
}

/// Every cell value of the demo's inputs long enough not to occur by chance (≥ 5 bytes).
fn input_values(dir: &Path) -> BTreeSet<String> {
    let mut values = BTreeSet::new();
    let mut files: Vec<PathBuf> = Vec::new();
    for sub in ["exports", "samples"] {
        files.extend(
            std::fs::read_dir(dir.join(sub))
                .expect("dir")
                .flatten()
                .map(|e| e.path()),
        );
    }
    files.push(dir.join("canaries.csv"));
    for f in files {
        let text = std::fs::read_to_string(&f).expect("inputs are UTF-8");
        let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("");
        for line in text.lines().skip(usize::from(ext != "ndjson")) {
            if ext == "ndjson" {
                let v: serde_json::Value = serde_json::from_str(line).expect("json");
                collect_json(&v, &mut values);
            } else {
                let d = if ext == "tsv" {
                    '\t'
                } else if line.contains(';') {
                    ';'
                } else {
                    ','
                };
                values.extend(line.split(d).map(|c| c.trim_matches('"').to_owned()));
            }
        }
    }
    // Short values and short numbers are left out: reports legitimately hold counts and
    // sizes, and a 5-digit postal code may equal one by chance.
    values.retain(|v| v.len() >= 5 && !(v.len() < 7 && v.bytes().all(|b| b.is_ascii_digit())));
    values
}

fn collect_json(v: &serde_json::Value, out: &mut BTreeSet<String>) {
    match v {
        serde_json::Value::Object(m) => m.values().for_each(|x| collect_json(x, out)),
        serde_json::Value::String(s) => {
            out.insert(s.clone());
        }
        _ => {}
    }
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let path = e.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn no_input_value_in_any_output() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("demo");
    let demo = run_ok(&["demo", "--dir", p(&dir)]);
    let key = dir.join("company.key");
    let idx = dir.join("index");
    let sample = dir.join("samples").join("mixed-orders.csv");
    let extra = tmp.path().join("extra");
    std::fs::create_dir(&extra).expect("mkdir");
    let verify = run_ok(&[
        "verify",
        "--key",
        p(&key),
        "--index",
        p(&idx),
        "--json",
        p(&extra.join("r.json")),
        "--md",
        p(&extra.join("r.md")),
        "--matches-out",
        p(&extra.join("m.csv")),
        p(&sample),
    ]);
    let inspect = run_ok(&["inspect", "--json", p(&sample)]);
    let inspect_human = run_ok(&["inspect", p(&sample)]);
    let info = run_ok(&["index", "info", "--index", p(&idx), "--json"]);
    // An error path: a sample that cannot be read as records.
    let bad = tmp.path().join("bad.csv");
    std::fs::write(&bad, "\n\n").expect("write");
    let err = bin()
        .args([
            "verify",
            "--key",
            p(&key),
            "--index",
            p(&idx),
            "--json",
            p(&extra.join("x.json")),
            p(&bad),
        ])
        .output()
        .expect("runs");

    let mut outputs: Vec<(String, Vec<u8>)> = Vec::new();
    let mut files = Vec::new();
    files_under(&idx, &mut files);
    files_under(&dir.join("reports"), &mut files);
    files_under(&extra, &mut files);
    assert!(
        files.len() >= 10,
        "expected index segments and reports, found {}",
        files.len()
    );
    for f in files {
        let bytes = std::fs::read(&f).expect("read");
        let is_text = f.extension().is_some_and(|e| e != "bcs");
        outputs.push((
            f.display().to_string(),
            if is_text { mask_hex(&bytes) } else { bytes },
        ));
    }
    for (name, o) in [
        ("demo", &demo),
        ("verify", &verify),
        ("inspect", &inspect),
        ("inspect human", &inspect_human),
        ("info", &info),
        ("error", &err),
    ] {
        outputs.push((format!("{name} stdout"), mask_hex(&o.stdout)));
        outputs.push((format!("{name} stderr"), mask_hex(&o.stderr)));
    }
    let values = input_values(&dir);
    assert!(
        values.len() > 1000,
        "too few planted values: {}",
        values.len()
    );
    let key_bytes = std::fs::read(&key).expect("key");
    let patterns: Vec<&[u8]> = values
        .iter()
        .map(|v| v.as_bytes())
        .chain([&key_bytes[..]])
        .collect();
    let matcher = aho_corasick::AhoCorasick::new(&patterns).expect("automaton");
    for (name, bytes) in &outputs {
        if let Some(m) = matcher.find(bytes) {
            panic!(
                "an input value or the key ({} bytes) appears in {name}",
                m.end() - m.start()
            );
        }
    }
}

/// Redacted examples appear only when asked for, as shapes: a value's first letter and its
/// format, never the value.
#[test]
fn redacted_examples_are_shapes_and_only_on_request() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let export = "email,full_name,phone,birth_date\n\
        jane.doe@gmail.com,Jane Doe,+49 151 2345678,1985-03-02\n\
        li.wei@qq.com,Li Wei,+86 139 1234 5678,1990-07-07\n";
    let (k, idx, exp) = crate::indexed(dir, "accounts", "2026-03-31", "accounts.csv", export);
    let plain = dir.join("plain.json");
    run_ok(&[crate::verify_args(&k, &idx, &plain), vec![crate::p(&exp)]].concat());
    assert!(crate::read_json(&plain)["matches"]["redacted_examples"].is_null());
    let asked = dir.join("asked.json");
    run_ok(
        &[
            crate::verify_args(&k, &idx, &asked),
            vec!["--redacted-examples", "5", crate::p(&exp)],
        ]
        .concat(),
    );
    let text = std::fs::read_to_string(&asked).expect("report");
    let r: serde_json::Value = serde_json::from_str(&text).expect("json");
    let ex = r["matches"]["redacted_examples"]
        .as_array()
        .expect("examples");
    assert_eq!(ex.len(), 2, "{ex:?}");
    assert!(text.contains("j***@g****.com"), "{text}");
    assert!(text.contains("+49 *** *****78"), "{text}");
    for value in [
        "jane.doe",
        "gmail",
        "Jane Doe",
        "2345678",
        "1985-03-02",
        "Li Wei",
    ] {
        assert!(!text.contains(value), "{value} reached the report");
    }
}
