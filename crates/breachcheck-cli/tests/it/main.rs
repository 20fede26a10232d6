//! End-to-end tests of the `breachcheck` binary on data generated at test time.
mod audit;
mod canary;
mod candidates;
mod contract;
mod custody;
mod demo;
mod faults;
mod febrl;
mod html;
mod index_upgrade;
mod malformed;
mod outputs;
mod privacy;
mod reference;
mod scenarios;
mod schema;
mod segments;
mod shapes;
mod sources;
mod translog;
mod verdicts;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub(crate) fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_breachcheck"))
}

/// Runs the binary with `args`, asserting success; returns its output.
pub(crate) fn run_ok(args: &[&str]) -> Output {
    let out = bin().args(args).output().expect("binary runs");
    assert!(
        out.status.success(),
        "breachcheck {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs the binary with `args`, asserting it fails; returns its output (for the message).
pub(crate) fn run_fails(args: &[&str]) -> Output {
    let out = bin().args(args).output().expect("binary runs");
    assert!(!out.status.success(), "breachcheck {args:?} succeeded");
    out
}

/// Copies the directory tree `from` to `to` (created), files and subdirectories.
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

pub(crate) fn p(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

pub(crate) fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("report exists")).expect("valid JSON")
}

/// Arguments of `verify` up to the report path; callers append options and the sample.
pub(crate) fn verify_args<'a>(key: &'a Path, idx: &'a Path, json: &'a Path) -> Vec<&'a str> {
    vec![
        "verify",
        "--key",
        p(key),
        "--index",
        p(idx),
        "--json",
        p(json),
    ]
}

/// Arguments of `index build` for one export.
pub(crate) fn build_args<'a>(
    key: &'a Path,
    idx: &'a Path,
    system: &'a str,
    snapshot: &'a str,
    file: &'a Path,
) -> Vec<&'a str> {
    vec![
        "index",
        "build",
        "--key",
        p(key),
        "--index",
        p(idx),
        "--system",
        system,
        "--snapshot",
        snapshot,
        p(file),
    ]
}

/// A fresh key and an index at `dir/idx` holding `export` (CSV text, written to
/// `dir/<file_name>`) as `system` at `snapshot`.
pub(crate) fn indexed(
    dir: &Path,
    system: &str,
    snapshot: &str,
    file_name: &str,
    export: &str,
) -> (PathBuf, PathBuf, PathBuf) {
    let k = key(dir);
    let idx = dir.join("idx");
    let exp = dir.join(file_name);
    std::fs::write(&exp, export).expect("write export");
    run_ok(&build_args(&k, &idx, system, snapshot, &exp));
    (k, idx, exp)
}

/// Indexes `export` (CSV text) as `system` and verifies `bytes` written as `name`; the
/// JSON report.
pub(crate) fn verify_against(
    dir: &Path,
    system: &str,
    export: &str,
    name: &str,
    bytes: &[u8],
) -> serde_json::Value {
    let (k, idx, _) = indexed(dir, system, "2026-03-31", "export.csv", export);
    let sample = dir.join(name);
    std::fs::write(&sample, bytes).expect("write sample");
    let json = dir.join("r.json");
    run_ok(&[crate::verify_args(&k, &idx, &json), vec![p(&sample)]].concat());
    read_json(&json)
}

/// The role names of a part's columns in a report or `inspect --json` output.
pub(crate) fn roles(part: &serde_json::Value) -> Vec<String> {
    part["layout"]["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| c["role"].as_str().expect("role").to_owned())
        .collect()
}

/// A fresh key in `dir`.
pub(crate) fn key(dir: &Path) -> PathBuf {
    let k = dir.join("test.key");
    run_ok(&["key", "generate", "--out", p(&k)]);
    k
}
