//! The third-party audit as two processes over loopback TCP: the counts equal verify's
//! exact matches; the transcript verifies offline and tampering with it is caught; a
//! company that serves another set, another key, replays an old session or alters a
//! message is caught; TLS with a certificate; the auditor pins the commitment from the
//! transparency log; no value of either side reaches any output.
use crate::{bin, build_args, copy_dir, key, p, read_json, run_fails, run_ok, verify_args};
use breachcheck_synth::{write_table, Population, Table, TableFormat};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

const COLUMNS: [&str; 7] = [
    "email",
    "full_name",
    "phone",
    "street",
    "postal_code",
    "city",
    "country",
];

fn table(rows: Vec<Vec<String>>) -> Table {
    Table {
        header: COLUMNS.iter().map(|c| (*c).to_owned()).collect(),
        rows,
    }
}

/// A company of about 400 people (and those who joined later), and a sample of 150 of them, 80 made-up people, and 40
/// made-up people carrying a company e-mail (a partial copy).
struct Setup {
    k: PathBuf,
    idx: PathBuf,
    export: PathBuf,
    sample: PathBuf,
    /// Every value of the sample, for the privacy scans.
    values: Vec<String>,
    /// Records of the company.
    records: usize,
}

fn setup(dir: &Path) -> Setup {
    let pop = Population::generate(23, 400);
    let people: Vec<Vec<String>> = pop.people.iter().map(|x| x.cells(&COLUMNS)).collect();
    let export = dir.join("accounts.csv");
    write_table(&export, &table(people.clone()), TableFormat::Csv(b',')).expect("export");
    let k = key(dir);
    let idx = dir.join("idx");
    run_ok(
        &[
            build_args(&k, &idx, "accounts", "2026-03-31", &export),
            vec!["--audit"],
        ]
        .concat(),
    );
    let made_up: Vec<Vec<String>> = Population::fabricate(99, 120)
        .iter()
        .map(|x| x.cells(&COLUMNS))
        .collect();
    let mut rows: Vec<Vec<String>> = people[..150].to_vec();
    rows.extend(made_up[..80].iter().cloned());
    for (i, m) in made_up[80..].iter().enumerate() {
        let mut r = m.clone();
        r[0] = people[200 + i][0].clone();
        rows.push(r);
    }
    let values = rows
        .iter()
        .flatten()
        .filter(|v| v.len() > 4)
        .cloned()
        .collect();
    let sample = dir.join("sample.csv");
    write_table(&sample, &table(rows), TableFormat::Csv(b',')).expect("sample");
    Setup {
        k,
        idx,
        export,
        sample,
        values,
        records: people.len(),
    }
}

fn sign_key(dir: &Path, name: &str) -> PathBuf {
    let k = dir.join(format!("{name}.sign"));
    if !k.exists() {
        run_ok(&["sign-key", "generate", "--out", p(&k)]);
    }
    k
}

/// A running `audit serve`, its address, and its output once it ends.
struct Server {
    child: Child,
    addr: String,
    /// The phone regions it announces (what a proxied auditor is given explicitly).
    regions: String,
}

impl Server {
    fn start(idx: &Path, k: &Path, sign: &Path, extra: &[&str]) -> Server {
        let mut child = bin()
            .args([
                "audit",
                "serve",
                "--index",
                p(idx),
                "--key",
                p(k),
                "--sign-key",
                p(sign),
                "--listen",
                "127.0.0.1:0",
                "--timeout",
                "20",
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("audit serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().expect("stdout"))
            .read_line(&mut line)
            .expect("first line");
        let addr = line
            .split_whitespace()
            .nth(2)
            .expect("listening on ADDR")
            .trim_end_matches(';')
            .to_owned();
        let regions = line
            .trim_end()
            .rsplit_once("phone regions ")
            .map_or(String::new(), |(_, r)| r.to_owned());
        Server {
            child,
            addr,
            regions,
        }
    }

    /// Waits for the server to end (after --max-sessions) and returns its whole output.
    fn output(mut self) -> String {
        let status = self.child.wait().expect("server ends");
        let mut out = String::new();
        self.child
            .stdout
            .take()
            .expect("stdout")
            .read_to_string(&mut out)
            .expect("read");
        self.child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut out)
            .expect("read");
        assert!(status.success(), "audit serve failed: {out}");
        out
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn audit_run(
    addr: &str,
    sign: &Path,
    sample: &Path,
    json: &Path,
    extra: &[&str],
) -> std::process::Output {
    bin()
        .args([
            "audit",
            "run",
            "--connect",
            addr,
            "--sign-key",
            p(sign),
            "--json",
            p(json),
            "--timeout",
            "20",
        ])
        .args(extra)
        .arg(p(sample))
        .output()
        .expect("audit run runs")
}

/// Serves `idx` under `k` for one audit and asserts the auditor, pinning `pins`, refuses
/// it with a message containing `why`.
fn refused(
    idx: &Path,
    k: &Path,
    company: &Path,
    auditor: &Path,
    sample: &Path,
    pins: &[&str],
    why: &str,
) {
    let server = Server::start(idx, k, company, &["--max-sessions", "1"]);
    let json = sample.with_extension("refused.json");
    assert_refused(&audit_run(&server.addr, auditor, sample, &json, pins), why);
    assert!(!json.exists());
}

/// Asserts an `audit run` succeeded.
fn assert_audited(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Asserts an `audit run` failed with a message containing `why`.
fn assert_refused(out: &std::process::Output, why: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains(why), "{err}");
}

fn commitment(idx: &Path) -> String {
    read_json(&idx.join("manifest.json"))["commitment"]["root"]
        .as_str()
        .expect("root")
        .to_owned()
}

/// Asserts `text` holds none of `values`. Short all-digit values (postal codes, house
/// numbers) are left out: a given 5-digit string turns up by chance in the random hex of
/// nonces, keys and digests and in timings about once in ten runs, and says nothing about
/// a person; e-mails, names, phones and addresses are all checked.
fn assert_private(what: &str, text: &str, values: &[String]) {
    for v in values {
        if v.len() < 8 && v.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        assert!(!text.contains(v.as_str()), "{what} holds a sample value");
    }
}

#[test]
fn counts_equal_verify_and_the_transcript_holds() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let s = setup(dir);
    let report = dir.join("r.json");
    run_ok(&[verify_args(&s.k, &s.idx, &report), vec![p(&s.sample)]].concat());
    let exact = read_json(&report)["matches"]["exact_values"].clone();

    let (company, auditor) = (sign_key(dir, "company"), sign_key(dir, "auditor"));
    let transcripts = dir.join("kept");
    let server = Server::start(
        &s.idx,
        &s.k,
        &company,
        &["--max-sessions", "1", "--transcripts", p(&transcripts)],
    );
    let json = dir.join("audit.json");
    let root = commitment(&s.idx);
    let out = audit_run(
        &server.addr,
        &auditor,
        &s.sample,
        &json,
        &["--commitment", &root],
    );
    assert_audited(&out);
    let served = server.output();
    let a = read_json(&json);
    assert_eq!(a["schema"], "breachcheck.audit/v1");
    assert_eq!(a["sizes"]["sample"], 270);
    assert_eq!(a["sizes"]["company"], s.records);
    assert_eq!(a["commitment"], root.as_str());
    for f in ["email", "phone", "name_address"] {
        assert_eq!(
            a["intersection"][f], exact[f],
            "{f}: audit {} verify {}",
            a["intersection"], exact
        );
    }
    // 150 whole copies and 40 company e-mails; made-up people match nothing.
    assert_eq!(a["intersection"]["email"], 190);
    assert_eq!(a["intersection"]["phone"], 150);
    assert_eq!(a["intersection"]["name_address"], 150);
    assert!(a["false_positive_rate"].as_f64().expect("rate") <= 1e-9);

    let transcript = PathBuf::from(a["transcript"].as_str().expect("transcript path"));
    let t = read_json(&transcript);
    let server_key = t["body"]["server_key"].as_str().expect("key").to_owned();
    run_ok(&[
        "audit",
        "verify",
        p(&transcript),
        "--server-key",
        &server_key,
        "--commitment",
        &root,
    ]);
    // It is about this sample, and not about another file.
    run_ok(&["audit", "verify", p(&transcript), "--sample", p(&s.sample)]);
    run_fails(&["audit", "verify", p(&transcript), "--sample", p(&s.export)]);
    // The company kept the same transcript.
    let kept = std::fs::read_dir(&transcripts).expect("kept").count();
    assert_eq!(kept, 1);

    // Tampering with the transcript or pinning another key fails.
    let auditor_key = t["body"]["auditor_key"].as_str().expect("key").to_owned();
    run_fails(&[
        "audit",
        "verify",
        p(&transcript),
        "--server-key",
        &auditor_key,
    ]);
    let mut forged = t.clone();
    forged["body"]["intersection"]["email"] = serde_json::json!(0);
    let forged_path = dir.join("forged.json");
    std::fs::write(&forged_path, serde_json::to_vec(&forged).expect("json")).expect("write");
    let err = run_fails(&["audit", "verify", p(&forged_path)]);
    assert!(String::from_utf8_lossy(&err.stderr).contains("signature"));

    // Nothing of the sample reaches the transcript, the result or the company's output.
    for path in [&transcript, &json] {
        assert_private(
            "audit output",
            &std::fs::read_to_string(path).expect("read"),
            &s.values,
        );
    }
    assert_private("server output", &served, &s.values);
    assert_private(
        "auditor output",
        &String::from_utf8_lossy(&out.stderr),
        &s.values,
    );
    for e in std::fs::read_dir(&transcripts).expect("kept") {
        let text = std::fs::read_to_string(e.expect("entry").path()).expect("read");
        assert_private("kept transcript", &text, &s.values);
    }
    // Nor the index's audit sets (they hold OPRF outputs only).
    for e in std::fs::read_dir(s.idx.join("audit")).expect("audit dir") {
        let bytes = std::fs::read(e.expect("entry").path()).expect("read");
        let text = String::from_utf8_lossy(&bytes);
        assert_private("audit set", &text, &s.values);
    }
    // One field at a time (the auditor then reads only the columns that field needs):
    // the same count, and nothing for the others.
    let server = Server::start(&s.idx, &s.k, &company, &["--max-sessions", "3"]);
    for f in ["email", "phone", "name_address"] {
        let one = dir.join(format!("audit-{f}.json"));
        assert_audited(&audit_run(
            &server.addr,
            &auditor,
            &s.sample,
            &one,
            &["--commitment", &root, "--fields", f],
        ));
        let got = read_json(&one)["intersection"].clone();
        for g in ["email", "phone", "name_address"] {
            let want = if g == f { exact[g].clone() } else { 0.into() };
            assert_eq!(got[g], want, "--fields {f}: {g}");
        }
    }
    drop(server);
    // `index check` covers the audit set too.
    run_ok(&["index", "check", "--index", p(&s.idx)]);
    let set = std::fs::read_dir(s.idx.join("audit"))
        .expect("dir")
        .next()
        .expect("set")
        .expect("entry")
        .path();
    let mut bytes = std::fs::read(&set).expect("read");
    let n = bytes.len();
    bytes[n - 3] ^= 0x10;
    std::fs::write(&set, &bytes).expect("write");
    run_fails(&["index", "check", "--index", p(&s.idx)]);
}

#[test]
fn another_set_or_key_is_caught_and_the_log_pins_the_commitment() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let s = setup(dir);
    let (company, auditor) = (sign_key(dir, "company"), sign_key(dir, "auditor"));

    // The company publishes its commitment in its transparency log.
    let (log_sign, log) = crate::translog::new_log(dir, "translog");
    run_ok(&[
        "log",
        "append",
        "--log",
        p(&log),
        "--sign-key",
        p(&log_sign),
        "--index",
        p(&s.idx),
    ]);
    let head: serde_json::Value =
        serde_json::from_slice(&run_ok(&["log", "head", "--log", p(&log), "--json"]).stdout)
            .expect("json");
    let log_key = head["verifier_key"].as_str().expect("key").to_owned();
    let entry = read_json(&log.join("entries").join("00000000.json"));
    assert!(entry["statement"]["oprf_public_key"]
        .as_str()
        .is_some_and(|k| k.len() == 64));
    let pinned = ["--log", p(&log), "--log-key", &log_key];

    // Honest: the audit runs against the logged commitment.
    let server = Server::start(&s.idx, &s.k, &company, &["--max-sessions", "1"]);
    let out = audit_run(
        &server.addr,
        &auditor,
        &s.sample,
        &dir.join("ok.json"),
        &pinned,
    );
    assert_audited(&out);
    drop(server);

    // Later the company serves a set built from other records (a fresh index with the
    // same key, its commitment is not the logged one).
    let other = dir.join("other.csv");
    let few: Vec<Vec<String>> = Population::generate(5, 50)
        .people
        .iter()
        .map(|x| x.cells(&COLUMNS))
        .collect();
    write_table(&other, &table(few), TableFormat::Csv(b',')).expect("other");
    let idx2 = dir.join("idx2");
    run_ok(
        &[
            build_args(&s.k, &idx2, "accounts", "2026-03-31", &other),
            vec!["--audit"],
        ]
        .concat(),
    );
    refused(
        &idx2,
        &s.k,
        &company,
        &auditor,
        &s.sample,
        &pinned,
        "not the one published",
    );

    // A set file swapped under an unchanged manifest: the server refuses to start on it
    // (before it listens), and a client would refuse it by its digest.
    let idx3 = dir.join("idx3");
    copy_dir(&s.idx, &idx3);
    let set_of = |idx: &Path| {
        std::fs::read_dir(idx.join("audit"))
            .expect("dir")
            .next()
            .expect("set")
            .expect("entry")
            .path()
    };
    std::fs::copy(set_of(&idx2), set_of(&idx3)).expect("swap");
    let out = bin()
        .args([
            "audit",
            "serve",
            "--index",
            p(&idx3),
            "--key",
            p(&s.k),
            "--sign-key",
            p(&company),
            "--listen",
            "127.0.0.1:0",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not match its committed digest"), "{err}");

    // Another key: an index under a new company key has another OPRF key.
    let k2 = key(&dir.join("k2").tap_mkdir());
    let idx4 = dir.join("idx4");
    run_ok(
        &[
            build_args(&k2, &idx4, "accounts", "2026-03-31", &s.export),
            vec!["--audit"],
        ]
        .concat(),
    );
    let logged_pk = entry["statement"]["oprf_public_key"]
        .as_str()
        .expect("pk")
        .to_owned();
    refused(
        &idx4,
        &k2,
        &company,
        &auditor,
        &s.sample,
        &["--oprf-key", &logged_pk],
        "OPRF public key",
    );
    // And serving an index with a key it was not built with is refused at start.
    let out = bin()
        .args([
            "audit",
            "serve",
            "--index",
            p(&s.idx),
            "--key",
            p(&k2),
            "--sign-key",
            p(&company),
            "--listen",
            "127.0.0.1:0",
        ])
        .output()
        .expect("runs");
    assert!(!out.status.success());
}

trait TapMkdir {
    fn tap_mkdir(self) -> Self;
}

impl TapMkdir for PathBuf {
    fn tap_mkdir(self) -> Self {
        std::fs::create_dir_all(&self).expect("mkdir");
        self
    }
}

/// A frame's type and payload.
type Frame = (u8, Vec<u8>);

/// What a man in the middle saw: the company's frames, the auditor's frames.
type Recorded = (Vec<Frame>, Vec<Frame>);

/// Reads one frame (type, length, payload) from `r`.
fn frame(r: &mut impl Read) -> Option<Frame> {
    let mut h = [0u8; 5];
    r.read_exact(&mut h).ok()?;
    let len = u32::from_be_bytes([h[1], h[2], h[3], h[4]]) as usize;
    let mut payload = vec![0u8; len];
    r.read_exact(&mut payload).ok()?;
    Some((h[0], payload))
}

fn write_frame(w: &mut impl Write, kind: u8, payload: &[u8]) {
    let _ = w.write_all(&[kind]);
    let _ = w.write_all(&(payload.len() as u32).to_be_bytes());
    let _ = w.write_all(payload);
}

/// A man in the middle between the auditor and the company: forwards the auditor's
/// frames, passes the company's frames through `alter`, and records them.
fn proxy(
    upstream: String,
    alter: impl Fn(u8, &mut Vec<u8>) + Send + 'static,
) -> (String, std::thread::JoinHandle<Recorded>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let h = std::thread::spawn(move || {
        let (client, _) = listener.accept().expect("accept");
        let server = TcpStream::connect(&upstream).expect("connect");
        let (mut c_in, mut s_out) = (
            client.try_clone().expect("clone"),
            server.try_clone().expect("clone"),
        );
        let upward = std::thread::spawn(move || {
            let mut seen = Vec::new();
            while let Some((k, p)) = frame(&mut c_in) {
                write_frame(&mut s_out, k, &p);
                seen.push((k, p));
            }
            seen
        });
        let (mut s_in, mut c_out) = (server, client);
        let mut seen = Vec::new();
        while let Some((k, mut p)) = frame(&mut s_in) {
            seen.push((k, p.clone()));
            alter(k, &mut p);
            write_frame(&mut c_out, k, &p);
        }
        drop(c_out);
        (seen, upward.join().expect("client side"))
    });
    (addr, h)
}

#[test]
fn altered_and_replayed_messages_are_caught() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let s = setup(dir);
    let (company, auditor) = (sign_key(dir, "company"), sign_key(dir, "auditor"));
    let root = commitment(&s.idx);

    // An evaluated element replaced by another valid one: the sum proof fails.
    let server = Server::start(&s.idx, &s.k, &company, &["--max-sessions", "2"]);
    // The proxies and the replayer below take one connection: the auditor is given the
    // phone regions rather than asking for them first.
    let regions = server.regions.clone();
    let (addr, h) = proxy(server.addr.clone(), |kind, p| {
        if kind == 4 && p.len() >= 65 {
            let second: Vec<u8> = p[33..65].to_vec();
            p[1..33].copy_from_slice(&second);
        }
    });
    let out = audit_run(
        &addr,
        &auditor,
        &s.sample,
        &dir.join("alt.json"),
        &["--commitment", &root, "--phone-regions", &regions],
    );
    assert_refused(&out, "verification failed");
    let (recorded, _) = h.join().expect("proxy");
    assert!(!dir.join("alt.json").exists());

    // The company's answers of that session replayed to a new one: the hello answers
    // another nonce.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let replay = std::thread::spawn(move || {
        let (mut c, _) = listener.accept().expect("accept");
        let _hello = frame(&mut c);
        for (k, p) in &recorded {
            write_frame(&mut c, *k, p);
        }
        let _ = c.flush();
        // Keep the connection until the auditor gives up.
        while frame(&mut c).is_some() {}
    });
    let out = audit_run(
        &addr,
        &auditor,
        &s.sample,
        &dir.join("replay.json"),
        &["--commitment", &root, "--phone-regions", &regions],
    );
    assert_refused(&out, "replayed");
    replay.join().expect("replayer");
    drop(server);

    // An honest session recorded, then the auditor's side of it replayed to the company:
    // the transcript it asks to countersign is not this session's.
    let server = Server::start(&s.idx, &s.k, &company, &["--max-sessions", "4"]);
    let (addr, h) = proxy(server.addr.clone(), |_, _| {});
    let out = audit_run(
        &addr,
        &auditor,
        &s.sample,
        &dir.join("rec.json"),
        &["--phone-regions", &server.regions],
    );
    assert_audited(&out);
    let (_, from_auditor) = h.join().expect("proxy");
    let mut c = TcpStream::connect(&server.addr).expect("connect");
    for (k, p) in &from_auditor {
        write_frame(&mut c, *k, p);
    }
    let mut abort = None;
    while let Some((k, p)) = frame(&mut c) {
        if k == 9 {
            abort = Some(String::from_utf8_lossy(&p).into_owned());
            break;
        }
        assert_ne!(k, 8, "the company countersigned a replayed transcript");
    }
    let abort = abort.expect("the company aborts");
    assert!(abort.contains("not this session's"), "{abort}");
    drop(c);

    // A peer sending garbage gets an error, not a crash, and the server keeps serving.
    let mut c = TcpStream::connect(&server.addr).expect("connect");
    c.write_all(&[1, 0xff, 0xff, 0xff, 0xff, 0, 0])
        .expect("write");
    drop(c);
    let out = audit_run(
        &server.addr,
        &auditor,
        &s.sample,
        &dir.join("after.json"),
        &["--commitment", &root],
    );
    assert_audited(&out);
    let served = server.output();
    assert!(served.contains("failed"), "{served}");
}

#[test]
fn tls_with_a_certificate() {
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_err()
    {
        if std::env::var_os("CI").is_some() {
            panic!("openssl is needed to make the test certificate (.ci/run installs it)");
        }
        eprintln!("skipped: no openssl to make a test certificate");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let s = setup(dir);
    let (company, auditor) = (sign_key(dir, "company"), sign_key(dir, "auditor"));
    let (cert, tls_key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ])
        .args(["-keyout", p(&tls_key), "-out", p(&cert)])
        .output()
        .expect("openssl runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let server = Server::start(
        &s.idx,
        &s.k,
        &company,
        &[
            "--max-sessions",
            "2",
            "--tls-cert",
            p(&cert),
            "--tls-key",
            p(&tls_key),
        ],
    );
    // Plaintext to a TLS server fails cleanly, saying what to do.
    let out = audit_run(
        &server.addr,
        &auditor,
        &s.sample,
        &dir.join("plain.json"),
        &[],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("speaks TLS") && err.contains("--tls-ca"),
        "{err}"
    );
    let json = dir.join("tls.json");
    let out = audit_run(
        &server.addr,
        &auditor,
        &s.sample,
        &json,
        &["--tls-ca", p(&cert), "--tls-name", "localhost"],
    );
    assert_audited(&out);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("without TLS"));
    assert_eq!(read_json(&json)["intersection"]["email"], 190);
    let served = server.output();
    assert!(!served.contains("without TLS"), "{served}");
}

#[test]
fn planted_canaries_do_not_stop_an_audit() {
    // Canary sets are not customer records: they carry no audit set, and an index holding
    // one is audited on its system segments alone.
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let s = setup(dir);
    run_ok(&[
        "canary",
        "generate",
        "--system",
        "accounts",
        "--count",
        "10",
        "--email-domain",
        "kundenpost-relay.de",
        "--out",
        p(&dir.join("canaries.csv")),
        "--key",
        p(&s.k),
        "--index",
        p(&s.idx),
    ]);
    let (company, auditor) = (sign_key(dir, "company"), sign_key(dir, "auditor"));
    let server = Server::start(&s.idx, &s.k, &company, &["--max-sessions", "1"]);
    let json = dir.join("audit.json");
    let root = commitment(&s.idx);
    assert_audited(&audit_run(
        &server.addr,
        &auditor,
        &s.sample,
        &json,
        &["--commitment", &root],
    ));
    assert_eq!(read_json(&json)["intersection"]["email"], 190);
}

/// The audit's intersection and verify's `matches.exact_values` count the same distinct
/// canonical values (one definition, `breachcheck_core::AuditField`) on every generated
/// scenario: companies drawn from seeds (every system and snapshot indexed with audit
/// sets, canaries registered) and their leak-sample stories, duplicates and all.
#[test]
fn counts_agree_on_generated_scenarios() {
    use breachcheck_synth::scenario::{write_sample, Company, CompanyParams};
    use breachcheck_synth::StoryOptions;
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let (company_key, auditor) = (sign_key(dir, "company"), sign_key(dir, "auditor"));
    let opts = StoryOptions {
        min_lines: 60,
        max_lines: 300,
    };
    let mut compared = 0;
    for c in 1..=2u64 {
        let mut params = CompanyParams::draw(c);
        params.customers = params.customers.min(600);
        let company = Company::generate(params);
        let cdir = dir.join(format!("company-{c}"));
        std::fs::create_dir_all(&cdir).expect("mkdir");
        let k = key(&cdir);
        let idx = cdir.join("idx");
        for t in 0..3 {
            for (s, sys) in company.params.systems.iter().enumerate() {
                let path = cdir.join(company.export_file_name(s, t));
                company.write_export(s, t, &path).expect("export");
                run_ok(
                    &[
                        build_args(&k, &idx, &sys.name, company.snapshot(t), &path),
                        vec!["--audit"],
                    ]
                    .concat(),
                );
            }
        }
        let sys = &company.params.systems[company.params.canary_system];
        let canaries = cdir.join(format!("canaries.{}", sys.format.extension()));
        write_sample(&canaries, &company.canary_table(), &sys.format).expect("canaries");
        run_ok(&[
            "index",
            "canaries",
            "--key",
            p(&k),
            "--index",
            p(&idx),
            "--system",
            &sys.name,
            "--snapshot",
            company.snapshot(0),
            p(&canaries),
        ]);
        for seed in 0..4u64 {
            let story = company.story(seed * 7 + c, &opts);
            let sample = cdir.join(story.file_name());
            story.write(&sample).expect("sample");
            let report = cdir.join(format!("{seed}.json"));
            run_ok(&[verify_args(&k, &idx, &report), vec![p(&sample)]].concat());
            let exact = read_json(&report)["matches"]["exact_values"].clone();
            let server = Server::start(&idx, &k, &company_key, &["--max-sessions", "1"]);
            let json = cdir.join(format!("{seed}.audit.json"));
            let out = audit_run(&server.addr, &auditor, &sample, &json, &[]);
            assert_audited(&out);
            let a = read_json(&json);
            for f in ["email", "phone", "name_address"] {
                assert_eq!(
                    a["intersection"][f],
                    exact[f],
                    "company {c}, story {} ({:?}), {f}: audit {} verify {}",
                    seed * 7 + c,
                    story.kind,
                    a["intersection"],
                    exact
                );
            }
            compared += 1;
        }
    }
    assert_eq!(compared, 8);
}
