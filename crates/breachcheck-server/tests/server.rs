//! The server over real sockets, on SQLite and on the PostgreSQL server `.ci/run` starts
//! (`BREACHCHECK_TEST_PG`): the same tests against both databases. Data is generated at
//! test time: an accounts export indexed in-process, a sample copied from it.
use breachcheck_core::SecretKey;
use breachcheck_pipeline::{IndexJob, Input, Verifier};
use breachcheck_server::{auth, store, Config, ConnLimits, Listen, Role, Running};
use serde_json::Value;
use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const FIRST: [&str; 8] = [
    "Anna", "Jonas", "Lea", "Paul", "Mia", "Felix", "Emma", "Noah",
];
const LAST: [&str; 6] = ["Keller", "Brandt", "Vogel", "Lorenz", "Haas", "Simon"];

fn export(path: &Path, n: usize) {
    let mut s = String::from("customer_id,email,first_name,last_name,phone,country\n");
    for i in 0..n {
        let (f, l) = (FIRST[i % FIRST.len()], LAST[(i / FIRST.len()) % LAST.len()]);
        let _ = writeln!(
            s,
            "C{:07},{}.{}{i}@example.org,{f},{l},+49 151 {:07},DE",
            1000 + i,
            f.to_lowercase(),
            l.to_lowercase(),
            2_000_000 + i * 37
        );
    }
    std::fs::write(path, s).expect("write export");
}

/// An index of 400 customers and a 200-line sample copied from them.
struct World {
    dir: tempfile::TempDir,
    index: PathBuf,
    sample: PathBuf,
}

const KEY: [u8; 32] = [7; 32];

fn world() -> World {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = SecretKey::from_bytes(KEY);
    let accounts = dir.path().join("accounts.csv");
    export(&accounts, 400);
    let index = dir.path().join("idx");
    IndexJob::new(&key, &index, "accounts", "2026-01-31")
        .inputs(vec![Input::File(accounts.clone())])
        .run()
        .expect("build");
    let text = std::fs::read_to_string(&accounts).expect("read");
    let sample = dir.path().join("leak.csv");
    let lines: Vec<&str> = text.lines().take(201).collect();
    std::fs::write(&sample, lines.join("\n") + "\n").expect("write sample");
    World { dir, index, sample }
}

/// Which database a test runs on: SQLite in the data folder, or a fresh schema of the
/// PostgreSQL test server. `None` when PostgreSQL is asked for but not available outside CI.
fn database(pg: bool) -> Option<Option<String>> {
    if !pg {
        return Some(None);
    }
    let url = match std::env::var("BREACHCHECK_TEST_PG") {
        Ok(u) => u,
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("BREACHCHECK_TEST_PG is not set: .ci/run starts PostgreSQL and sets it")
        }
        Err(_) => {
            eprintln!("skipped: set BREACHCHECK_TEST_PG (see scripts/ci-postgres.sh)");
            return None;
        }
    };
    let schema = format!(
        "serve_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    );
    let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    c.batch_execute(&format!("CREATE SCHEMA {schema}"))
        .expect("schema");
    let sep = if url.contains('?') { '&' } else { '?' };
    Some(Some(format!("{url}{sep}options=-csearch_path%3D{schema}")))
}

struct Opts {
    max_upload: u64,
    rate: (f64, f64),
    sign: bool,
    check: breachcheck_server::CheckLimits,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            max_upload: 1 << 30,
            rate: (10_000.0, 10_000.0),
            sign: false,
            check: breachcheck_server::CheckLimits {
                per_address: (10_000.0, 10_000.0),
                global: (10_000.0, 10_000.0),
            },
        }
    }
}

fn start(w: &World, data: &Path, database: Option<String>, o: &Opts) -> Running {
    let config = Config {
        index: w.index.clone(),
        key: SecretKey::from_bytes(KEY),
        data: data.to_owned(),
        database,
        sign_seed: o.sign.then(|| zeroize::Zeroizing::new([9u8; 32])),
        max_upload: o.max_upload,
        max_waiting: 100,
        rate: o.rate,
        tls: false,
        check: o.check,
        log_url: None,
        log_dir: None,
    };
    let listen = Listen {
        addr: "127.0.0.1:0".parse().expect("addr"),
        tls: None,
        insecure_plaintext: false,
        limits: ConnLimits::default(),
    };
    breachcheck_server::start(config, listen, 2).expect("start")
}

struct Client {
    base: String,
    agent: ureq::Agent,
}

impl Client {
    fn new(r: &Running) -> Self {
        Client {
            base: format!("http://{}", r.addr),
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(60)))
                .build()
                .into(),
        }
    }

    fn get(&self, path: &str, token: Option<&str>) -> (u16, String) {
        let mut req = self.agent.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        let mut resp = req.call().expect("GET");
        let status = resp.status().as_u16();
        (
            status,
            resp.body_mut()
                .with_config()
                .limit(1 << 30)
                .read_to_string()
                .unwrap_or_default(),
        )
    }

    fn post(&self, path: &str, token: &str, body: &[u8], ctype: &str) -> (u16, String) {
        let mut resp = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Authorization", format!("Bearer {token}"))
            .header("Content-Type", ctype)
            .send(body)
            .expect("POST");
        let status = resp.status().as_u16();
        (status, resp.body_mut().read_to_string().unwrap_or_default())
    }

    fn json(&self, path: &str, token: &str) -> Value {
        let (s, b) = self.get(path, Some(token));
        assert_eq!(s, 200, "GET {path}: {b}");
        serde_json::from_str(&b).expect("json")
    }

    fn wait_done(&self, job: i64, token: &str) -> Value {
        let t = Instant::now();
        loop {
            let j = self.json(&format!("/api/v1/jobs/{job}"), token);
            if j["state"] == "done" || j["state"] == "failed" {
                return j;
            }
            assert!(
                t.elapsed() < Duration::from_secs(120),
                "job {job} never ended"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn error_code(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("not a JSON error: {body}"))
}

struct Tokens {
    admin: String,
    analyst: String,
    viewer: String,
    auditor: String,
}

fn tokens(data: &Path, database: Option<&str>) -> Tokens {
    let t = |role, name| {
        breachcheck_server::create_token(data, database, role, name)
            .expect("token")
            .token
            .to_string()
    };
    Tokens {
        admin: t(Role::Admin, "lead"),
        analyst: t(Role::Analyst, "ana"),
        viewer: t(Role::Viewer, "vic"),
        auditor: t(Role::Auditor, "aud"),
    }
}

/// The whole flow a team goes through, and every refusal on the way.
fn flow(pg: bool) {
    let Some(database) = database(pg) else { return };
    let w = world();
    let data = w.dir.path().join("data");
    let t = tokens(&data, database.as_deref());
    let server = start(&w, &data, database.clone(), &Opts::default());
    assert!(server.has_admin);
    let c = Client::new(&server);

    // No credential, a wrong one, a role that may not.
    let (s, b) = c.get("/api/v1/healthz", None);
    assert_eq!(s, 200, "{b}");
    let (s, b) = c.get("/api/v1/cases", None);
    assert_eq!((s, error_code(&b)), (401, "unauthorized".into()));
    let fake = format!("bct_{}", "ab".repeat(32));
    let (s, b) = c.get("/api/v1/cases", Some(&fake));
    assert_eq!((s, error_code(&b)), (401, "unauthorized".into()));
    let (s, b) = c.post(
        "/api/v1/cases",
        &t.viewer,
        br#"{"name":"x"}"#,
        "application/json",
    );
    assert_eq!((s, error_code(&b)), (403, "forbidden".into()));
    let (s, b) = c.get("/api/v1/cases", Some(&t.auditor));
    assert_eq!((s, error_code(&b)), (403, "forbidden".into()));
    let (s, b) = c.post(
        "/api/v1/cases",
        &t.analyst,
        b"{not json",
        "application/json",
    );
    assert_eq!((s, error_code(&b)), (400, "bad_request".into()));

    // A case, an upload, its job to the end.
    let (s, b) = c.post(
        "/api/v1/cases",
        &t.analyst,
        br#"{"name":"forum post 2026-12-01"}"#,
        "application/json",
    );
    assert_eq!(s, 201, "{b}");
    let case: Value = serde_json::from_str(&b).expect("json");
    let case_id = case["id"].as_i64().expect("id");
    let bytes = std::fs::read(&w.sample).expect("sample");
    let (s, b) = c.post(
        &format!("/api/v1/cases/{case_id}/samples?filename=leak.csv"),
        &t.analyst,
        &bytes,
        "application/octet-stream",
    );
    assert_eq!(s, 202, "{b}");
    let up: Value = serde_json::from_str(&b).expect("json");
    assert_eq!(up["duplicate"], false);
    let (sample_id, job_id) = (
        up["sample_id"].as_i64().expect("sample"),
        up["job_id"].as_i64().expect("job"),
    );
    // The event stream ends with the job's last state.
    let mut events = String::new();
    let mut resp = c
        .agent
        .get(format!("{}/api/v1/jobs/{job_id}/events", c.base))
        .header("Authorization", format!("Bearer {}", t.viewer))
        .call()
        .expect("events");
    assert_eq!(resp.status().as_u16(), 200);
    resp.body_mut()
        .as_reader()
        .read_to_string(&mut events)
        .expect("stream");
    assert!(events.contains("event: job"), "{events}");
    assert!(events.contains("\"state\":\"done\""), "{events}");
    let job = c.wait_done(job_id, &t.viewer);
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["progress"]["lines"], 200);
    assert_eq!(job["progress"]["total_bytes"], bytes.len() as u64);

    // The report is the document `verify` writes for the same index and sample.
    let report = c.json(&format!("/api/v1/samples/{sample_id}/report"), &t.viewer);
    let outputs = std::sync::Mutex::new(breachcheck_files::Outputs::new());
    let key = SecretKey::from_bytes(KEY);
    let direct = Verifier::new(&key, &w.index)
        .run(&w.sample, &outputs)
        .expect("verify");
    let direct: Value = serde_json::from_str(&direct.to_json().expect("json")).expect("json");
    for k in ["sample", "matches", "verdict", "index", "tool"] {
        assert_eq!(
            report[k], direct[k],
            "report section {k} differs from verify's"
        );
    }
    assert_eq!(report["verdict"]["class"], "genuine");
    let (s, md) = c.get(
        &format!("/api/v1/samples/{sample_id}/report.md"),
        Some(&t.viewer),
    );
    assert_eq!(s, 200);
    assert!(md.contains("genuine"));
    let (s, html) = c.get(
        &format!("/api/v1/samples/{sample_id}/report.html"),
        Some(&t.viewer),
    );
    assert_eq!(s, 200);
    assert!(html.contains("<svg"));

    // Matches: analysts yes, viewers no; auditors read signed reports only.
    let (s, csv) = c.get(
        &format!("/api/v1/samples/{sample_id}/matches.csv"),
        Some(&t.analyst),
    );
    assert_eq!(s, 200);
    assert_eq!(csv.lines().count(), 201, "header and one row a line");
    let (s, b) = c.get(
        &format!("/api/v1/samples/{sample_id}/matches.csv"),
        Some(&t.viewer),
    );
    assert_eq!((s, error_code(&b)), (403, "forbidden".into()));
    let (s, b) = c.get(
        &format!("/api/v1/samples/{sample_id}/report"),
        Some(&t.auditor),
    );
    assert_eq!((s, error_code(&b)), (403, "forbidden".into()));

    // The same bytes again are the same sample and job.
    let (s, b) = c.post(
        &format!("/api/v1/cases/{case_id}/samples?filename=again.csv"),
        &t.admin,
        &bytes,
        "application/octet-stream",
    );
    assert_eq!(s, 202, "{b}");
    let again: Value = serde_json::from_str(&b).expect("json");
    assert_eq!(
        (
            again["sample_id"].as_i64(),
            again["job_id"].as_i64(),
            &again["duplicate"]
        ),
        (Some(sample_id), Some(job_id), &Value::Bool(true))
    );

    // The case: samples, verdicts, custody; the custody check passes, then catches a
    // changed report file.
    let detail = c.json(&format!("/api/v1/cases/{case_id}"), &t.viewer);
    assert_eq!(detail["samples"].as_array().map(Vec::len), Some(1));
    assert_eq!(detail["samples"][0]["verdict"]["class"], "genuine");
    assert_eq!(detail["custody"][0]["operator"], "ana");
    assert_eq!(
        detail["custody"][0]["input_sha256"],
        report["sample"]["sha256"]
    );
    let custody = c.json(&format!("/api/v1/cases/{case_id}/custody"), &t.auditor);
    assert_eq!(custody["check"]["ok"], true, "{custody}");
    let first = custody["entries"][0]["files"][0]["path"]
        .as_str()
        .expect("path")
        .to_owned();
    let file = data.join("cases").join(case_id.to_string()).join(&first);
    let mut changed = std::fs::read(&file).expect("read");
    changed.extend_from_slice(b" ");
    std::fs::write(&file, changed).expect("write");
    let custody = c.json(&format!("/api/v1/cases/{case_id}/custody"), &t.auditor);
    assert_eq!(custody["check"]["ok"], false, "{custody}");

    // Index, OpenAPI, tokens.
    let index = c.json("/api/v1/index", &t.viewer);
    assert_eq!(index["schema"], "breachcheck.index-info/v1");
    let (s, doc) = c.get("/api/v1/openapi.json", None);
    assert_eq!(s, 200);
    assert!(doc.contains("\"openapi\": \"3.1"));
    let (s, b) = c.get("/api/v1/tokens", Some(&t.analyst));
    assert_eq!((s, error_code(&b)), (403, "forbidden".into()));
    let (s, b) = c.post(
        "/api/v1/tokens",
        &t.admin,
        br#"{"name":"temp","role":"viewer"}"#,
        "application/json",
    );
    assert_eq!(s, 201, "{b}");
    let made: Value = serde_json::from_str(&b).expect("json");
    let temp = made["token"].as_str().expect("token").to_owned();
    assert_eq!(c.get("/api/v1/cases", Some(&temp)).0, 200);
    let id = made["id"].as_i64().expect("id");
    let resp = c
        .agent
        .delete(format!("{}/api/v1/tokens/{id}", c.base))
        .header("Authorization", format!("Bearer {}", t.admin))
        .call()
        .expect("DELETE");
    assert_eq!(resp.status().as_u16(), 204);
    assert_eq!(c.get("/api/v1/cases", Some(&temp)).0, 401);
    let listed = c.json("/api/v1/tokens", &t.admin);
    assert!(
        !listed.to_string().contains(&t.admin[4..]),
        "a token secret was listed"
    );

    // Unknown ids and routes answer JSON errors.
    let (s, b) = c.get("/api/v1/jobs/999999", Some(&t.viewer));
    assert_eq!((s, error_code(&b)), (404, "not_found".into()));
    let (s, b) = c.get("/api/v1/jobs/abc", Some(&t.viewer));
    assert_eq!((s, error_code(&b)), (404, "not_found".into()));
    let (s, b) = c.get("/api/v1/nothing", Some(&t.viewer));
    assert_eq!((s, error_code(&b)), (404, "not_found".into()));
    server.stop().expect("stop");

    // Nothing the server stored holds a sample value or a token (SQLite: the database
    // file; both: the data folder but for the uploaded sample itself).
    let values: Vec<String> = std::fs::read_to_string(&w.sample)
        .expect("sample")
        .lines()
        .skip(1)
        .take(50)
        .flat_map(|l| l.split(',').take(2).map(str::to_owned).collect::<Vec<_>>())
        .collect();
    let mut stored = Vec::new();
    collect_files(&data, &mut stored);
    for f in stored {
        if f.components().any(|c| c.as_os_str() == "samples") {
            continue;
        }
        let bytes = std::fs::read(&f).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        for v in &values {
            assert!(
                !text.contains(v.as_str()),
                "{} holds a sample value",
                f.display()
            );
        }
        for tok in [&t.admin, &t.analyst, &t.viewer, &t.auditor, &temp] {
            assert!(
                !text.contains(tok.as_str()),
                "{} holds a token",
                f.display()
            );
        }
    }
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn flow_on_sqlite() {
    flow(false);
}

#[test]
fn flow_on_postgres() {
    flow(true);
}

/// Limits: an upload past `--max-upload` is 413 whether or not it says its length; a
/// token past its rate gets 429 with `Retry-After`.
#[test]
fn uploads_and_requests_are_bounded() {
    let w = world();
    let data = w.dir.path().join("data");
    let t = tokens(&data, None);
    let server = start(
        &w,
        &data,
        None,
        &Opts {
            max_upload: 1000,
            rate: (0.5, 6.0),
            sign: false,
            ..Opts::default()
        },
    );
    let c = Client::new(&server);
    let (s, b) = c.post(
        "/api/v1/cases",
        &t.analyst,
        br#"{"name":"c"}"#,
        "application/json",
    );
    assert_eq!(s, 201, "{b}");
    let big = vec![b'a'; 5000];
    let (s, b) = c.post(
        "/api/v1/cases/1/samples?filename=big.csv",
        &t.analyst,
        &big,
        "application/octet-stream",
    );
    assert_eq!((s, error_code(&b)), (413, "too_large".into()));
    // Chunked, without a length: cut off as it passes the limit.
    let resp = c
        .agent
        .post(format!(
            "{}/api/v1/cases/1/samples?filename=big.csv",
            c.base
        ))
        .header("Authorization", format!("Bearer {}", t.analyst))
        .send(ureq::SendBody::from_reader(&mut std::io::Cursor::new(big)));
    if let Ok(r) = resp {
        assert_eq!(r.status().as_u16(), 413);
    } // a server may also close the connection mid-body: that is a refusal too
    let uploads = std::fs::read_dir(data.join("uploads"))
        .expect("uploads")
        .count();
    assert_eq!(uploads, 0, "a refused upload left a file");
    // The analyst's bucket is spent by now (6 requests, refilled at 0.5/s).
    let mut limited = None;
    for _ in 0..10 {
        let resp = c
            .agent
            .get(format!("{}/api/v1/cases", c.base))
            .header("Authorization", format!("Bearer {}", t.analyst))
            .call()
            .expect("GET");
        if resp.status().as_u16() == 429 {
            limited = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            break;
        }
    }
    assert!(limited.is_some_and(|r| r.parse::<u64>().is_ok_and(|n| n >= 1)));
    // Another token is not held back by it.
    assert_eq!(c.get("/api/v1/cases", Some(&t.viewer)).0, 200);
    server.stop().expect("stop");
}

/// A job a restart interrupted is marked and run again; signed servers sign reports and
/// custody heads, and auditors may read the signed report.
#[test]
fn interrupted_jobs_run_again_and_reports_are_signed() {
    let w = world();
    let data = w.dir.path().join("data");
    let t = tokens(&data, None);
    // A job left 'running' by a server that died: recorded, never finished.
    {
        let db = breachcheck_server::db::Db::open(None, &data).expect("db");
        let case = store::create_case(&db, "c", "lead").expect("case");
        let rel = format!("cases/{case}/samples/x");
        std::fs::create_dir_all(data.join(format!("cases/{case}/samples"))).expect("dir");
        std::fs::copy(&w.sample, data.join(&rel)).expect("copy");
        let added = store::add_sample(&db, case, "leak.csv", "00", 1, &rel, "lead").expect("add");
        assert!(store::start_job(&db, added.job_id).expect("start"));
        let _ = auth::has_admin(&db);
    }
    let server = start(
        &w,
        &data,
        None,
        &Opts {
            sign: true,
            ..Opts::default()
        },
    );
    let c = Client::new(&server);
    let job = c.wait_done(1, &t.viewer);
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["attempts"], 2, "{job}");
    let (s, sig) = c.get("/api/v1/samples/1/report.json.sig", Some(&t.auditor));
    assert_eq!(s, 200, "{sig}");
    let sig: Value = serde_json::from_str(&sig).expect("json");
    assert_eq!(sig["algorithm"], "ed25519");
    let (s, _) = c.get("/api/v1/samples/1/report", Some(&t.auditor));
    assert_eq!(s, 200);
    let custody = c.json("/api/v1/cases/1/custody", &t.auditor);
    assert_eq!(custody["check"]["ok"], true, "{custody}");
    assert_eq!(custody["check"]["signed"], true, "{custody}");
    server.stop().expect("stop");
}

/// Plain HTTP beyond loopback needs an explicit flag.
#[test]
fn plain_http_beyond_loopback_is_refused() {
    let w = world();
    let config = Config {
        index: w.index.clone(),
        key: SecretKey::from_bytes(KEY),
        data: w.dir.path().join("data"),
        database: None,
        sign_seed: None,
        max_upload: 1,
        max_waiting: 1,
        rate: (1.0, 1.0),
        tls: false,
        check: Default::default(),
        log_url: None,
        log_dir: None,
    };
    let listen = Listen {
        addr: "0.0.0.0:0".parse().expect("addr"),
        tls: None,
        insecure_plaintext: false,
        limits: ConnLimits::default(),
    };
    match breachcheck_server::start(config, listen, 1) {
        Err(e) => assert!(e.to_string().contains("--insecure-plaintext"), "{e}"),
        Ok(_) => panic!("served plain HTTP on 0.0.0.0"),
    }
}

/// One private query over HTTP as a client makes it: info, then the blinded element;
/// JSON or bytes. Returns the verified answer, or the refusal's status.
fn self_check(
    c: &Client,
    claim: &str,
    kind: breachcheck_selfcheck::Kind,
    canonical: &str,
    binary: bool,
) -> Result<Option<breachcheck_selfcheck::Disclosure>, u16> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let (s, body) = c.get(&format!("/api/v1/check/{claim}/info"), None);
    if s != 200 {
        return Err(s);
    }
    let mut v: Value = serde_json::from_str(&body).expect("info json");
    for extra in ["verdict_class", "sample_sha256", "lines", "published"] {
        assert!(v.get(extra).is_some(), "info has {extra}");
        v.as_object_mut().expect("object").remove(extra);
    }
    let info: breachcheck_selfcheck::ClaimInfo = serde_json::from_value(v).expect("claim info");
    let q = breachcheck_selfcheck::Query::new(kind, canonical.as_bytes(), info.bucket_bits)
        .expect("query");
    let req = serde_json::json!({"bucket": q.bucket(), "blinded": b64.encode(q.blinded())});
    let mut resp = c
        .agent
        .post(format!("{}/api/v1/check/{claim}", c.base))
        .header("Content-Type", "application/json")
        .header(
            "Accept",
            if binary {
                "application/octet-stream"
            } else {
                "application/json"
            },
        )
        .send(req.to_string().as_bytes())
        .expect("POST");
    let status = resp.status().as_u16();
    if status != 200 {
        if status == 429 {
            assert!(
                resp.headers().get("retry-after").is_some(),
                "429 has Retry-After"
            );
        }
        return Err(status);
    }
    let bytes = resp.body_mut().read_to_vec().expect("body");
    assert!(
        bytes.len() <= 16 * 1024 || !binary,
        "a binary answer over 16 KB"
    );
    let (evaluated, proof, path, entries) = if binary {
        let a = breachcheck_selfcheck::wire::Answer::decode(&bytes).expect("binary answer");
        (
            a.evaluated.to_vec(),
            a.proof.to_vec(),
            a.bucket_proof,
            a.entries,
        )
    } else {
        let a: Value = serde_json::from_slice(&bytes).expect("answer json");
        let d = |v: &Value| b64.decode(v.as_str().expect("string")).expect("base64");
        let path = a["bucket_proof"]
            .as_array()
            .expect("path")
            .iter()
            .map(|h| breachcheck_selfcheck::commitment::Hash(d(h).try_into().expect("32")))
            .collect();
        let entries = a["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| {
                let e = d(e);
                breachcheck_selfcheck::Entry {
                    tag: e[..16].try_into().expect("16"),
                    sealed: e[16..].try_into().expect("30"),
                }
            })
            .collect();
        (d(&a["evaluated"]), d(&a["proof"]), path, entries)
    };
    Ok(q.finish(&info, &evaluated, &proof, &entries, &path)
        .expect("a verified answer"))
}

/// The sample's canonical e-mails and phones (the test export writes them canonical but
/// for the phone's spaces).
fn sample_values(w: &World) -> Vec<(breachcheck_selfcheck::Kind, String)> {
    let text = std::fs::read_to_string(&w.sample).expect("sample");
    let mut out = Vec::new();
    for l in text.lines().skip(1) {
        let cells: Vec<&str> = l.split(',').collect();
        out.push((breachcheck_selfcheck::Kind::Email, cells[1].to_owned()));
        out.push((
            breachcheck_selfcheck::Kind::Phone,
            cells[4].replace(' ', ""),
        ));
    }
    out
}

/// Publishes the world's sample as claim `claim` with K = `k`, beside a running server
/// (the index is the one the server recorded).
fn publish_claim(
    w: &World,
    data: &Path,
    database: Option<&str>,
    claim: &str,
    k: usize,
) -> breachcheck_server::Result<breachcheck_server::claims::PublishSummary> {
    breachcheck_server::claims::publish(breachcheck_server::claims::PublishRequest {
        data,
        database,
        key: &SecretKey::from_bytes(KEY),
        claim,
        min_bucket: k,
        sample: &w.sample,
        index: None,
        region: None,
        options: Default::default(),
        by: "test",
        progress: &breachcheck_pipeline::Silent,
    })
}

fn selfcheck(pg: bool) {
    use breachcheck_selfcheck::Kind;
    let Some(database) = database(pg) else { return };
    let w = world();
    let data = w.dir.path().join("data");
    let server = start(&w, &data, database.clone(), &Opts::default());
    let c = Client::new(&server);
    // No claim yet: 404, on the page too.
    assert_eq!(
        self_check(&c, "acme-2026-11", Kind::Email, "a@b.org", true),
        Err(404)
    );
    assert_eq!(c.get("/check/acme-2026-11", None).0, 404);

    // Published beside the running server, with the index it recorded.
    let published =
        publish_claim(&w, &data, database.as_deref(), "acme-2026-11", 20).expect("publish");
    assert_eq!(published.row.records, 200);
    assert_eq!(published.row.values_published, 400);
    assert_eq!(published.row.verdict.as_deref(), Some("genuine"));
    assert_eq!(published.matched_lines, Some(200));
    assert!(published.bucket_sizes.0 >= 20);
    // The server looked the claim up (not found) less than a second ago: it asks again
    // after a second.
    std::thread::sleep(Duration::from_millis(1100));

    // Every value of the sample is found, with what its line carries and "matched".
    let values = sample_values(&w);
    for (i, (kind, v)) in values.iter().enumerate() {
        let got = self_check(&c, "acme-2026-11", *kind, v, i % 2 == 0)
            .expect("answered")
            .unwrap_or_else(|| panic!("value {i} not found"));
        assert_eq!(got.lines, 1);
        assert_eq!(got.matched_company_records, Some(true));
        for f in ["email", "phone", "name", "country", "customer_id"] {
            assert!(got.fields.iter().any(|x| x == f), "{f} in {:?}", got.fields);
        }
    }
    // Values outside the sample (customers of the index that are not in it, and
    // strangers) are a verified "not found".
    let mut outside = Vec::new();
    for i in 300..400 {
        outside.push((Kind::Phone, format!("+49151{:07}", 2_000_000 + i * 37)));
    }
    for i in 0..400 {
        outside.push((Kind::Email, format!("stranger{i}@example.net")));
    }
    for (i, (kind, v)) in outside.iter().enumerate() {
        assert_eq!(
            self_check(&c, "acme-2026-11", *kind, v, i % 3 == 0),
            Ok(None),
            "outside value {i}"
        );
    }
    assert!(
        published.verified_by_job.is_none(),
        "verified by the publication"
    );

    // The incident team verifies the sample on the server; publishing again reuses that
    // run (same matches), with a new salt: the earlier answers' tags are gone.
    let t = tokens(&data, database.as_deref());
    let (s, b) = c.post(
        "/api/v1/cases",
        &t.analyst,
        br#"{"name":"claim"}"#,
        "application/json",
    );
    assert_eq!(s, 201, "{b}");
    let case_id = serde_json::from_str::<Value>(&b).expect("json")["id"]
        .as_i64()
        .expect("id");
    let (s, b) = c.post(
        &format!("/api/v1/cases/{case_id}/samples?filename=leak.csv"),
        &t.analyst,
        &std::fs::read(&w.sample).expect("sample"),
        "application/octet-stream",
    );
    assert_eq!(s, 202, "{b}");
    let job = serde_json::from_str::<Value>(&b).expect("json")["job_id"]
        .as_i64()
        .expect("job");
    assert_eq!(c.wait_done(job, &t.analyst)["state"], "done");
    let again =
        publish_claim(&w, &data, database.as_deref(), "acme-2026-11", 20).expect("publish again");
    assert_eq!(again.verified_by_job, Some(job));
    assert_eq!(again.matched_lines, Some(200));
    assert_eq!(again.row.verdict.as_deref(), Some("genuine"));
    assert_ne!(again.info.salt, published.info.salt);
    std::thread::sleep(Duration::from_millis(1100));
    for (i, (kind, v)) in values.iter().enumerate().step_by(7) {
        let got = self_check(&c, "acme-2026-11", *kind, v, true)
            .expect("answered")
            .unwrap_or_else(|| panic!("value {i} not found after republishing"));
        assert_eq!(got.matched_company_records, Some(true));
    }

    // Malformed queries are 400 with a JSON error; a bucket the claim lacks, 404.
    for (body, want) in [
        ("{}", (400, "bad_request")),
        (r#"{"bucket": 0, "blinded": "AAAA"}"#, (400, "bad_request")),
        (
            r#"{"bucket": 0, "blinded": "////////////////////////////////////////////8="}"#,
            (400, "bad_request"),
        ),
        ("not json", (400, "bad_request")),
        (
            r#"{"bucket": 4294967295, "blinded": "4gH3BNyg6bE1GOMzpUCPO0MB6HDBW2ewVZcuYFhvVGI="}"#,
            (404, "not_found"),
        ),
    ] {
        let (s, b) = c.post(
            "/api/v1/check/acme-2026-11",
            "none",
            body.as_bytes(),
            "application/json",
        );
        assert_eq!((s, error_code(&b).as_str()), want, "{body}: {b}");
    }
    // The page: the form, the claim's facts; the value is never a form field sent anywhere.
    let (s, page) = c.get("/check/acme-2026-11", None);
    assert_eq!(s, 200);
    assert!(page.contains("id=\"selfcheck\""));
    assert!(page.contains(&published.info.public_key.to_hex()));
    assert!(!page.contains("action="), "the form must not submit");

    // Withdrawn: 410 on the API and the page, with the reason.
    let db = breachcheck_server::db::Db::open(database.as_deref(), &data).expect("db");
    breachcheck_server::claims::withdraw(&db, "acme-2026-11", Some("superseded"))
        .expect("withdraw")
        .expect("withdrawn");
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(
        self_check(&c, "acme-2026-11", Kind::Email, &values[0].1, true),
        Err(410)
    );
    let (s, page) = c.get("/check/acme-2026-11", None);
    assert!(s == 410 && page.contains("superseded"));
    server.stop().expect("stop");

    // Nothing stored names a value that was asked about or published (but the uploaded
    // sample itself).
    let mut stored = Vec::new();
    collect_files(&data, &mut stored);
    for f in stored {
        if f.components().any(|c| c.as_os_str() == "samples") {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap_or_default()).into_owned();
        for (_, v) in values.iter().chain(&outside) {
            assert!(!text.contains(v.as_str()), "{} holds a value", f.display());
        }
    }
}

#[test]
fn selfcheck_on_sqlite() {
    selfcheck(false);
}

#[test]
fn selfcheck_on_postgres() {
    selfcheck(true);
}

#[test]
fn selfcheck_guessing_is_rate_limited_per_address() {
    let w = world();
    let data = w.dir.path().join("data");
    let o = Opts {
        check: breachcheck_server::CheckLimits {
            per_address: (0.001, 3.0),
            global: (10_000.0, 10_000.0),
        },
        ..Opts::default()
    };
    let server = start(&w, &data, None, &o);
    publish_claim(&w, &data, None, "c1", 10).expect("publish");
    let c = Client::new(&server);
    let k = breachcheck_selfcheck::Kind::Email;
    for _ in 0..3 {
        assert!(self_check(&c, "c1", k, "x@example.org", true).is_ok());
    }
    // The burst is spent: 429 with Retry-After; the info (no guess) still answers.
    assert_eq!(self_check(&c, "c1", k, "x@example.org", true), Err(429));
    server.stop().expect("stop");
}
