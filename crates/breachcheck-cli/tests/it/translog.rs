//! The transparency log through the CLI: statements appended from an index, a report and
//! a public update; inclusion and consistency proofs; a publication checked against a
//! pinned key and a checkpoint seen before; a rewritten history caught; a `kill -9` in the
//! middle of an append leaves the log whole.
use crate::{bin, p, read_json, run_fails, run_ok};

/// A signing key and a new log signed with it, in `dir`.
pub(crate) fn new_log(
    dir: &std::path::Path,
    name: &str,
) -> (std::path::PathBuf, std::path::PathBuf) {
    let sign = dir.join(format!("{name}.sign"));
    if !sign.exists() {
        run_ok(&["sign-key", "generate", "--out", p(&sign)]);
    }
    let log = dir.join(name);
    run_ok(&[
        "log",
        "init",
        "--log",
        p(&log),
        "--origin",
        "log.acme.example",
        "--sign-key",
        p(&sign),
    ]);
    (sign, log)
}

fn vkey(log: &std::path::Path) -> String {
    let out = run_ok(&["log", "head", "--log", p(log), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    v["verifier_key"].as_str().expect("key").to_owned()
}

#[test]
fn statements_proofs_publication_and_rewrites() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let export = "email,full_name,phone,birth_date\n\
        jane.doe@gmail.com,Jane Doe,+49 151 2345678,1985-03-02\n\
        li.wei@qq.com,Li Wei,+86 139 1234 5678,1990-07-07\n";
    let (k, idx, exp) = crate::indexed(dir, "accounts", "2026-03-31", "accounts.csv", export);
    let report = dir.join("r.json");
    run_ok(&[crate::verify_args(&k, &idx, &report), vec![p(&exp)]].concat());
    let (sign, log) = new_log(dir, "translog");
    let key = vkey(&log);
    let append = |what: &[&str]| {
        run_ok(
            &[
                &["log", "append", "--log", p(&log), "--sign-key", p(&sign)],
                what,
            ]
            .concat(),
        )
    };
    append(&["--index", p(&idx)]);
    append(&["--report", p(&report)]);
    // A report without its sample hash is refused, not logged with an empty one (the
    // head's size below shows nothing was appended).
    let mut stripped = read_json(&report);
    stripped["sample"]
        .as_object_mut()
        .expect("sample section")
        .remove("sha256");
    let bad = dir.join("stripped.json");
    std::fs::write(&bad, stripped.to_string()).expect("write");
    let out = run_fails(&[
        "log",
        "append",
        "--log",
        p(&log),
        "--sign-key",
        p(&sign),
        "--report",
        p(&bad),
    ]);
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(msg.contains("sha256"), "{msg}");
    let seen = dir.join("seen.checkpoint");
    std::fs::copy(log.join("checkpoint"), &seen).expect("keep the checkpoint");
    append(&[
        "--update",
        "We have checked the sample; 2 of 2 lines match our records.",
    ]);
    let head: serde_json::Value =
        serde_json::from_slice(&run_ok(&["log", "head", "--log", p(&log), "--json"]).stdout)
            .expect("json");
    assert_eq!(head["size"], 3);

    // The statements are typed and hold no sample value.
    let entry: serde_json::Value = read_json(&log.join("entries").join("00000001.json"));
    assert_eq!(entry["statement"]["type"], "verification");
    assert_eq!(entry["statement"]["matched_lines"], 2);
    for f in std::fs::read_dir(log.join("entries")).expect("entries") {
        let text = std::fs::read_to_string(f.expect("entry").path()).expect("read");
        for value in [
            "jane.doe", "gmail", "Jane Doe", "2345678", "Li Wei", "qq.com",
        ] {
            assert!(!text.contains(value), "{value} reached the log");
        }
    }

    // Proofs: entry 1 is in the tree; the tree of 2 is a prefix of the tree of 3.
    let proof = dir.join("p.json");
    run_ok(&[
        "log",
        "prove",
        "--log",
        p(&log),
        "--entry",
        "1",
        "--out",
        p(&proof),
    ]);
    run_ok(&[
        "log",
        "verify",
        "--from",
        p(&log),
        "--public-key",
        &key,
        "--proof",
        p(&proof),
    ]);
    let cons = dir.join("c.json");
    run_ok(&[
        "log",
        "consistency",
        "--log",
        p(&log),
        "--old-size",
        "2",
        "--out",
        p(&cons),
    ]);
    run_ok(&[
        "log",
        "verify",
        "--from",
        p(&log),
        "--public-key",
        &key,
        "--proof",
        p(&cons),
    ]);
    let mut bad: serde_json::Value = read_json(&proof);
    bad["index"] = serde_json::json!(0);
    std::fs::write(&proof, bad.to_string()).expect("write");
    run_fails(&[
        "log",
        "verify",
        "--from",
        p(&log),
        "--public-key",
        &key,
        "--proof",
        p(&proof),
    ]);

    // Publication, checked by a client who pinned the key and kept an older checkpoint.
    let site = dir.join("site");
    run_ok(&["log", "publish", "--log", p(&log), "--out", p(&site)]);
    let ok = run_ok(&[
        "log",
        "verify",
        "--from",
        &format!("file://{}", site.display()),
        "--public-key",
        &key,
        "--checkpoint",
        p(&seen),
    ]);
    assert!(String::from_utf8_lossy(&ok.stdout).contains("extends the checkpoint of 2 entries"));

    // The same publication served by a plain web server (Python's), read over HTTP.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let mut server = std::process::Command::new("python3")
        .args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--directory",
        ])
        .arg(&site)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("python3 http.server");
    let url = format!("http://127.0.0.1:{port}");
    let up = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert!(up, "the web server did not start");
    // Published again for that address: the page's command for entry 1, run as printed
    // (through a shell, `breachcheck` on the PATH), checks it over HTTP.
    let base = format!("{url}/");
    run_ok(&[
        "log",
        "publish",
        "--log",
        p(&log),
        "--out",
        p(&site),
        "--base-url",
        &base,
    ]);
    let page = std::fs::read_to_string(site.join("index.html")).expect("page");
    let command = page
        .lines()
        .filter_map(|l| l.strip_prefix("<pre><code>"))
        .filter_map(|l| l.strip_suffix("</code></pre>"))
        .find(|c| c.ends_with("--entry 1"))
        .expect("entry 1's command")
        .replace("&#39;", "'");
    assert_eq!(
        command,
        format!("breachcheck log verify --from {base} --public-key '{key}' --entry 1")
    );
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_breachcheck"))
        .parent()
        .expect("bin dir");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let checked = std::process::Command::new("sh")
        .args(["-c", &command])
        .env("PATH", path)
        .output()
        .expect("sh");
    let said = String::from_utf8_lossy(&checked.stdout);
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    assert!(
        said.contains("entry 1 (leaf hash") && said.contains("\"type\": \"verification\""),
        "{said}"
    );
    let feed = std::fs::read_to_string(site.join("feed.xml")).expect("feed");
    assert!(
        feed.contains(&format!("href=\"{base}index.html#entry-2\"")),
        "{feed}"
    );
    // The page and the feed say what the statements say, and no value of the export.
    for value in [
        "jane.doe", "gmail", "Jane Doe", "2345678", "Li Wei", "qq.com",
    ] {
        assert!(
            !page.contains(value) && !feed.contains(value),
            "{value} reached the page"
        );
    }
    let over_http = bin()
        .args([
            "log",
            "verify",
            "--from",
            &url,
            "--public-key",
            &key,
            "--checkpoint",
            p(&seen),
        ])
        .output()
        .expect("runs");
    // The host rewrites an entry: caught over HTTP too.
    let e = site.join("entries").join("00000000.json");
    let text = std::fs::read_to_string(&e).expect("entry");
    std::fs::write(&e, text.replace("\"records\":2", "\"records\":3")).expect("write");
    let tampered = bin()
        .args(["log", "verify", "--from", &url, "--public-key", &key])
        .output()
        .expect("runs");
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        over_http.status.success(),
        "{}",
        String::from_utf8_lossy(&over_http.stderr)
    );
    assert!(!tampered.status.success());

    // The operator rebuilds history with the real key: the kept checkpoint catches it.
    std::fs::copy(&sign, dir.join("forged.sign")).expect("same key");
    let (_, forged) = new_log(dir, "forged");
    for text in ["a different first statement", "another", "and a third"] {
        run_ok(&[
            "log",
            "append",
            "--log",
            p(&forged),
            "--sign-key",
            p(&sign),
            "--update",
            text,
        ]);
    }
    let err = run_fails(&[
        "log",
        "verify",
        "--from",
        p(&forged),
        "--public-key",
        &key,
        "--checkpoint",
        p(&seen),
    ]);
    assert!(String::from_utf8_lossy(&err.stderr).contains("history rewritten"));
    // A publication under another key is refused when the key is pinned.
    let (_, impostor) = new_log(dir, "impostor");
    run_fails(&[
        "log",
        "verify",
        "--from",
        p(&impostor),
        "--public-key",
        &key,
    ]);
}

#[test]
fn a_killed_append_leaves_the_log_whole() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let (sign, log) = new_log(dir, "translog");
    run_ok(&[
        "log",
        "append",
        "--log",
        p(&log),
        "--sign-key",
        p(&sign),
        "--update",
        "first",
    ]);
    // An append paused between its data and its checkpoint, killed there.
    let mut child = bin()
        .args([
            "log",
            "append",
            "--log",
            p(&log),
            "--sign-key",
            p(&sign),
            "--update",
            "second",
        ])
        .env("BREACHCHECK_TEST_APPEND_PAUSE_MS", "5000")
        .spawn()
        .expect("spawn");
    let entry = log.join("entries").join("00000001.json");
    for _ in 0..200 {
        if entry.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    assert!(entry.exists(), "the append did not reach its data");
    child.kill().expect("kill -9");
    let _ = child.wait();
    // The checkpoint still says 1 entry, and the log verifies at that size.
    let head: serde_json::Value =
        serde_json::from_slice(&run_ok(&["log", "head", "--log", p(&log), "--json"]).stdout)
            .expect("json");
    assert_eq!(head["size"], 1);
    run_ok(&["log", "verify", "--from", p(&log)]);
    // The next append takes the stale lock over, clears the leftovers and lands at 1.
    run_ok(&[
        "log",
        "append",
        "--log",
        p(&log),
        "--sign-key",
        p(&sign),
        "--update",
        "again",
    ]);
    let entry: serde_json::Value = read_json(&log.join("entries").join("00000001.json"));
    assert_eq!(entry["statement"]["text"], "again");
    run_ok(&["log", "verify", "--from", p(&log)]);
}
