//! Sources beyond files (a live PostgreSQL database), key rotation and exports.
use crate::{build_args, key, p, read_json, run_ok, verify_args};
use std::fmt::Write as _;

/// The test server's URL: `.ci/run` starts PostgreSQL and sets BREACHCHECK_TEST_PG. Outside
/// CI without a server the test says so and stops; in CI a missing server is a failure.
fn pg_url() -> Option<String> {
    match std::env::var("BREACHCHECK_TEST_PG") {
        Ok(u) => Some(u),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("BREACHCHECK_TEST_PG is not set: .ci/run starts PostgreSQL and sets it")
        }
        Err(_) => {
            eprintln!("skipped: set BREACHCHECK_TEST_PG (see scripts/ci-postgres.sh)");
            None
        }
    }
}

const NAMES: [&str; 6] = [
    "Ana María García",
    "Jürgen O'Neil",
    "王小明",
    "Σοφία Παπαδοπούλου",
    "Dupont, Jean",
    "Priya \"Pia\" Sharma",
];

#[test]
fn a_postgres_table_is_indexed_through_copy() {
    let Some(url) = pg_url() else { return };
    let db = format!(
        "bc_test_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    );
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    admin
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .expect("create db");
    let db_url = format!(
        "{}/{db}",
        url.rsplit_once('/').expect("url has a database").0
    );
    let result = std::panic::catch_unwind(|| index_and_verify(&db_url));
    admin
        .batch_execute(&format!("DROP DATABASE {db} WITH (FORCE)"))
        .expect("drop db");
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

fn index_and_verify(db_url: &str) {
    let mut c = postgres::Client::connect(db_url, postgres::NoTls).expect("connect");
    c.batch_execute(
        "CREATE TABLE customers (id serial PRIMARY KEY, email text, full_name text, phone text,
         birth_date date, country text, notes text, created_at timestamptz DEFAULT now())",
    )
    .expect("table");
    let mut sample = String::from("name,email,phone,dob\n");
    for i in 0..600i32 {
        let name = format!("{} {i}", NAMES[i as usize % NAMES.len()]);
        let email = format!("kunde{i}@example.de");
        let phone = format!("+49 151 {:08}", 1000 + i * 13);
        let country = ["DE", "ES", "CN", "GR", "FR", "IN"][i as usize % 6];
        let birth = format!("19{:02}-{:02}-{:02}", 40 + i % 60, 1 + i % 12, 1 + i % 28);
        // A note with a newline and a comma: COPY quotes it and ingest reads it whole.
        let notes = (i % 7 == 0).then_some("called, then\nwrote");
        c.execute(
            "INSERT INTO customers (email, full_name, phone, birth_date, country, notes)
             VALUES ($1, $2, $3, $4::text::date, $5, $6)",
            &[&email, &name, &phone, &birth, &country, &notes],
        )
        .expect("insert");
        if i % 3 == 0 {
            let name = name.replace('"', "\"\"");
            writeln!(
                sample,
                "\"{name}\",{},{},{birth}",
                email.to_uppercase(),
                phone.replace(' ', "")
            )
            .expect("write");
        }
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let k = key(dir);
    let idx = dir.join("idx");
    let out = run_ok(&[
        "index", "build", "--key", p(&k), "--index", p(&idx), "--system", "crm",
        "--snapshot", "2026-06-30", "--json", "--source", db_url, "--query",
        "SELECT id AS customer_id, email, full_name, phone, birth_date, country, notes, created_at FROM customers ORDER BY id",
    ]);
    let built: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(built["records"], 600, "{built}");
    assert_eq!(built["quarantined"], 0, "{built}");
    // The manifest names the database, never the password.
    let manifest = std::fs::read_to_string(idx.join("manifest.json")).expect("manifest");
    assert!(manifest.contains("postgres:bc_test_"), "{manifest}");
    assert!(!manifest.contains("breachcheck-test"), "password recorded");
    // No spool file is left behind.
    let left: Vec<_> = std::fs::read_dir(&idx)
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".pg-"))
        .collect();
    assert!(left.is_empty());
    let sample_path = dir.join("sample.csv");
    std::fs::write(&sample_path, &sample).expect("sample");
    let json = dir.join("r.json");
    run_ok(&[verify_args(&k, &idx, &json), vec![p(&sample_path)]].concat());
    let r = read_json(&json);
    assert_eq!(r["verdict"]["class"], "genuine", "{}", r["verdict"]);
    assert_eq!(r["matches"]["by_evidence"]["none"], 0, "{}", r["matches"]);
    assert_eq!(r["verdict"]["system"], "crm");
    // A bad query is a clear error that names the database, not a crash.
    let bad = crate::run_fails(&[
        "index",
        "build",
        "--key",
        p(&k),
        "--index",
        p(&idx),
        "--system",
        "crm",
        "--snapshot",
        "2026-07-31",
        "--source",
        db_url,
        "--query",
        "SELECT nope FROM customers",
    ]);
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("query failed"), "{err}");
    assert!(
        !err.contains("breachcheck-test"),
        "password in an error: {err}"
    );
}

fn people(from: u32, n: u32) -> String {
    let mut s = String::from("customer_id,email,full_name,phone,country\n");
    for i in from..from + n {
        writeln!(
            s,
            "K{i},p{i}@example.org,Person Number{i},+34 612 {:06},ES",
            i * 3
        )
        .expect("write");
    }
    s
}

#[test]
fn rekey_rebuilds_under_a_new_key_from_the_sources() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let k = key(dir);
    let k2 = dir.join("new.key");
    run_ok(&["key", "generate", "--out", p(&k2)]);
    let jan = dir.join("jan.csv");
    let feb = dir.join("feb.csv");
    std::fs::write(&jan, people(0, 300)).expect("write");
    std::fs::write(&feb, people(100, 300)).expect("write");
    let idx = dir.join("idx");
    run_ok(&build_args(&k, &idx, "accounts", "2026-01-31", &jan));
    run_ok(
        &[
            build_args(&k, &idx, "accounts", "2026-02-28", &feb),
            vec!["--map", "full_name=full_name"],
        ]
        .concat(),
    );
    let sample = dir.join("sample.csv");
    std::fs::write(&sample, people(50, 100)).expect("write");
    let new_idx = dir.join("idx2");
    run_ok(&[
        "index",
        "rekey",
        "--key",
        p(&k),
        "--new-key",
        p(&k2),
        "--index",
        p(&idx),
        "--out",
        p(&new_idx),
    ]);
    run_ok(&["index", "check", "--index", p(&new_idx)]);
    let (a, b) = (dir.join("a.json"), dir.join("b.json"));
    run_ok(&[verify_args(&k, &idx, &a), vec![p(&sample)]].concat());
    run_ok(&[verify_args(&k2, &new_idx, &b), vec![p(&sample)]].concat());
    let (mut a, mut b) = (read_json(&a), read_json(&b));
    // The linkage model's u of fuzzy levels counts chance collisions of keyed bits, which
    // differ under another key; everything the model decides must not.
    let (la, lb) = (
        a["matches"]["linkage"].take(),
        b["matches"]["linkage"].take(),
    );
    assert_eq!(
        la["fields"]["email"]["exact"],
        lb["fields"]["email"]["exact"]
    );
    assert_eq!(a["matches"], b["matches"]);
    assert_ne!(a["index"]["key_fingerprint"], b["index"]["key_fingerprint"]);
    let m2: serde_json::Value =
        serde_json::from_slice(&std::fs::read(new_idx.join("manifest.json")).expect("m"))
            .expect("json");
    assert_eq!(m2["segments"][1]["recipe"]["map"][0], "full_name=full_name");
    // The old key does not open the new index.
    crate::run_fails(
        &[
            verify_args(&k, &new_idx, &dir.join("refused.json")),
            vec![p(&sample)],
        ]
        .concat(),
    );
    // A source that changed since it was indexed cannot be rebuilt into the same index.
    std::fs::write(&feb, people(100, 301)).expect("write");
    let changed = crate::run_fails(&[
        "index",
        "rekey",
        "--key",
        p(&k),
        "--new-key",
        p(&k2),
        "--index",
        p(&idx),
        "--out",
        p(&dir.join("idx3")),
    ]);
    assert!(String::from_utf8_lossy(&changed.stderr).contains("no longer what was indexed"));
}

#[test]
fn export_and_sample_tags_are_parquet_with_the_index_counts() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let k = key(dir);
    let jan = dir.join("jan.csv");
    std::fs::write(&jan, people(0, 200)).expect("write");
    let idx = dir.join("idx");
    run_ok(&build_args(&k, &idx, "accounts", "2026-01-31", &jan));
    let info: serde_json::Value =
        serde_json::from_slice(&run_ok(&["index", "info", "--index", p(&idx), "--json"]).stdout)
            .expect("json");
    let postings = info["systems"][0]["snapshots"][0]["postings"]
        .as_u64()
        .expect("postings");
    let out = dir.join("export");
    let e: serde_json::Value = serde_json::from_slice(
        &run_ok(&[
            "index",
            "export",
            "--index",
            p(&idx),
            "--format",
            "parquet",
            "--out",
            p(&out),
            "--json",
        ])
        .stdout,
    )
    .expect("json");
    assert_eq!(e["rows"].as_u64(), Some(postings), "{e}");
    let file = out
        .join("system=accounts")
        .join("snapshot=2026-01-31")
        .join("prefix=0")
        .join("part-0.parquet");
    let bytes = std::fs::read(&file).expect("a prefix=0 partition");
    assert!(bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"));
    let tags = dir.join("sample-tags.parquet");
    let o = run_ok(&["tags", "--key", p(&k), "--out", p(&tags), p(&jan)]);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        format!("wrote {postings} tags to {}", tags.display())
    );
    // A second export over the first is refused.
    crate::run_fails(&["index", "export", "--index", p(&idx), "--out", p(&out)]);
}
