//! The library's jobs run in-process, as the server runs them: an index built with
//! `IndexJob`, a sample verified with `Verifier`, progress counted, every line handed to a
//! sink, and a build that finds nothing refused with its own error.
use breachcheck_core::SecretKey;
use breachcheck_index::Manifest;
use breachcheck_link::LineMatch;
use breachcheck_pipeline::{Counters, Error, IndexJob, Input, MatchSink, Progress, Verifier};
use std::fmt::Write as _;
use std::path::Path;

const FIRST: [&str; 8] = [
    "Anna", "Jonas", "Lea", "Paul", "Mia", "Felix", "Emma", "Noah",
];
const LAST: [&str; 6] = ["Keller", "Brandt", "Vogel", "Lorenz", "Haas", "Simon"];

/// `n` generated customers as an accounts export (ids, e-mails, names, phones, country).
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

#[derive(Default)]
struct Lines(Vec<u64>);

impl MatchSink for Lines {
    fn line(&mut self, line: u64, _: &LineMatch, _: &Manifest) -> breachcheck_pipeline::Result<()> {
        self.0.push(line);
        Ok(())
    }
}

#[test]
fn build_then_verify_in_process() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = SecretKey::from_bytes([7; 32]);
    let (accounts, sample, index) = (
        dir.path().join("accounts.csv"),
        dir.path().join("sample.csv"),
        dir.path().join("idx"),
    );
    export(&accounts, 300);
    let built = IndexJob::new(&key, &index, "accounts", "2026-01-31")
        .inputs(vec![Input::File(accounts.clone())])
        .run()
        .expect("build");
    assert_eq!(built.records, 300);
    // A job without read options records the empty recipe earlier versions wrote (`{}`).
    let recipe = built.segment.recipe.as_ref().expect("a recipe");
    assert_eq!(serde_json::to_string(recipe).expect("json"), "{}");

    // What rekey and add-audit read again: the recorded location, or a clear refusal.
    match Input::recorded(&built.segment)
        .expect("recorded")
        .as_slice()
    {
        [Input::File(p)] => assert_eq!(p, &accounts.canonicalize().expect("canonical")),
        other => panic!("{other:?}"),
    }
    let mut lost = built.segment.clone();
    lost.sources[0].location = None;
    assert!(matches!(
        Input::recorded(&lost),
        Err(Error::NotRereadable { .. })
    ));
    let mut db = built.segment.clone();
    db.sources[0].location = Some("postgres://reader@db:5432/crm".into());
    assert!(matches!(
        Input::recorded(&db),
        Err(Error::NotRereadable { .. })
    ));

    // The sample: the first 200 lines of the export, as a seller would copy them.
    let text = std::fs::read_to_string(&accounts).expect("read");
    let head: Vec<&str> = text.lines().take(201).collect();
    std::fs::write(&sample, head.join("\n") + "\n").expect("write sample");

    let counters = Counters::default();
    let mut sink = Lines::default();
    let outputs = std::sync::Mutex::new(breachcheck_files::Outputs::new());
    let report = Verifier::new(&key, &index)
        .progress(&counters)
        .generated_at(Some("2026-12-05T00:00:00Z".into()))
        .run_with_sink(&sample, &outputs, Some(&mut sink))
        .expect("verify");
    let (lines, bytes, total) = counters.get();
    assert_eq!(lines, 200);
    assert_eq!(total, std::fs::metadata(&sample).expect("size").len());
    assert!(bytes > 0 && bytes <= total);
    assert_eq!(
        sink.0,
        (2..=201).collect::<Vec<u64>>(),
        "one call per line, in order"
    );
    assert_eq!(report.generated_at, "2026-12-05T00:00:00Z");
    assert_eq!(report.verdict.class.as_str(), "genuine");
    assert_eq!(report.verdict.system.as_deref(), Some("accounts"));
}

#[test]
fn a_build_that_finds_no_record_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = SecretKey::from_bytes([9; 32]);
    let junk = dir.path().join("junk.csv");
    std::fs::write(&junk, "amount,count\n12.50,3\n7.00,4\n").expect("write");
    // Every column set aside by the user's map: nothing is left to index.
    let options = breachcheck_ingest::IngestOptions {
        map: vec![
            ("amount".into(), breachcheck_core::FieldRole::Ignore),
            ("count".into(), breachcheck_core::FieldRole::Ignore),
        ],
        ..Default::default()
    };
    let err = IndexJob::new(&key, dir.path().join("idx"), "s", "2026-01-31")
        .inputs(vec![Input::File(junk)])
        .options(options)
        .run()
        .expect_err("nothing to index");
    assert!(matches!(err, Error::NothingIndexed), "{err}");
    assert!(!dir.path().join("idx").join("segments").exists());
}

/// `Counters` keeps what a poller reads; `Silent` accepts everything.
#[test]
fn counters_count() {
    let c = Counters::default();
    c.begin("x", Some(100));
    c.advance(40, 8);
    c.advance(90, 2);
    assert_eq!(c.get(), (10, 90, 100));
    breachcheck_pipeline::Silent.advance(1, 1);
}

/// A report read back with `Report::from_json` serializes to the same bytes (quarantined
/// lines, redacted examples, the linkage model and the source fit included), and a report
/// with a field removed is refused rather than read as an empty value.
#[test]
fn a_report_reads_back_byte_for_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = SecretKey::from_bytes([8; 32]);
    let (accounts, sample, index) = (
        dir.path().join("accounts.csv"),
        dir.path().join("sample.csv"),
        dir.path().join("idx"),
    );
    export(&accounts, 200);
    IndexJob::new(&key, &index, "accounts", "2026-01-31")
        .inputs(vec![Input::File(accounts.clone())])
        .run()
        .expect("build");
    let text = std::fs::read_to_string(&accounts).expect("read");
    let mut lines: Vec<&str> = text.lines().take(120).collect();
    lines.push("C9999999,\"broken,quote");
    std::fs::write(&sample, lines.join("\n") + "\n").expect("write sample");
    let outputs = std::sync::Mutex::new(breachcheck_files::Outputs::new());
    let report = Verifier::new(&key, &index)
        .redacted_examples(2)
        .run(&sample, &outputs)
        .expect("verify");
    assert_eq!(report.sample.quarantined, 1);
    assert!(report.matches.linkage.is_some() && !report.matches.redacted_examples.is_empty());
    let json = report.to_json().expect("json");
    let back = breachcheck_report::Report::from_json(json.as_bytes()).expect("reads back");
    assert_eq!(back.to_json().expect("json"), json);

    let mut v: serde_json::Value = serde_json::from_str(&json).expect("json");
    let sample_section = v["sample"].as_object_mut().expect("sample");
    sample_section.remove("sha256");
    let err = breachcheck_report::Report::from_json(v.to_string().as_bytes())
        .expect_err("a report without its sample hash");
    assert!(err.to_string().contains("sha256"), "{err}");
    v["schema"] = "breachcheck.report/v0".into();
    assert!(breachcheck_report::Report::from_json(v.to_string().as_bytes()).is_err());
}
