//! `verify --candidates`: a verify over the candidates a join of the sample's tags with an
//! index export found (the Spark path, joined here by the single-machine reference
//! `join_candidates`) writes the report a verify against the index writes.
use crate::segments::{export, sample};
use crate::{build_args, key, p, read_json, run_fails, run_ok, verify_args};
use std::path::Path;

/// The report without the time it was made.
fn timeless(mut r: serde_json::Value) -> serde_json::Value {
    r.as_object_mut().expect("report").remove("generated_at");
    r
}

fn tags(k: &Path, manifest: Option<&Path>, out: &Path, sample: &Path) {
    let mut args = vec!["tags", "--key", p(k), "--out", p(out)];
    if let Some(m) = manifest {
        args.extend(["--manifest", p(m)]);
    }
    args.push(p(sample));
    run_ok(&args);
}

#[test]
fn a_verify_over_joined_candidates_writes_the_index_s_report() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let k = key(dir);
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path
    };
    // Three snapshots of one system (people leave and arrive), another system beside it,
    // and a canary set: every kind of segment and a presence that spans snapshots.
    let idx = dir.join("idx");
    let jan = write(
        "jan.csv",
        &(export(0, 600) + export(5000, 200).split_once('\n').expect("header").1),
    );
    run_ok(&build_args(&k, &idx, "accounts", "2026-01-31", &jan));
    // In orders, 30 namesakes of the sample's first person born the same day: their name
    // keys are weak keys with more hits than a verify reads, which the join must skip.
    let mut orders = export(9000, 300);
    for k in 0..30 {
        orders.push_str(&format!(
            "T{k:05},namesake{k}@example.com,Ana,García,+49 152 {k:08},1950-01-01,Hamburg\n"
        ));
    }
    run_ok(&build_args(
        &k,
        &idx,
        "orders",
        "2026-01-31",
        &write("orders.csv", &orders),
    ));
    run_ok(&build_args(
        &k,
        &idx,
        "accounts",
        "2026-02-28",
        &write("feb.csv", &export(0, 900)),
    ));
    run_ok(&build_args(
        &k,
        &idx,
        "accounts",
        "2026-03-31",
        &write("mar.csv", &export(0, 1200)),
    ));
    let canaries = dir.join("canaries.csv");
    run_ok(&[
        "canary",
        "generate",
        "--system",
        "accounts",
        "--count",
        "20",
        "--email-domain",
        "kundenpost-relay.de",
        "--phone-prefix",
        "+4915790012",
        "--out",
        p(&canaries),
        "--key",
        p(&k),
        "--index",
        p(&idx),
    ]);
    // The seller's sample, with two of the canaries in it.
    let mut text = sample();
    for line in std::fs::read_to_string(&canaries)
        .expect("canaries")
        .lines()
        .skip(1)
        .take(2)
    {
        let c: Vec<&str> = line.split(',').collect();
        text.push_str(&format!("{} {};{};;;\n", c[1], c[2], c[0]));
    }
    // A line of the first person's name and birth date alone: nothing settles it, so the
    // verify reads its name keys, the namesakes' among them, which the join skipped.
    text.push_str("García, Ana;;;01/01/1950;\n");
    let smp = write("sample.csv", &text);

    let local = dir.join("local.json");
    let local_matches = dir.join("local.csv");
    run_ok(
        &[
            verify_args(&k, &idx, &local),
            vec!["--matches-out", p(&local_matches), p(&smp)],
        ]
        .concat(),
    );

    let exp = dir.join("export");
    run_ok(&["index", "export", "--index", p(&idx), "--out", p(&exp)]);
    let st = dir.join("sample-tags.parquet");
    tags(&k, Some(&exp), &st, &smp);
    let cand = dir.join("candidates");
    let joined = breachcheck_export::join_candidates(&exp, &st, &cand).expect("join");
    assert!(
        joined.postings > 0 && joined.records > joined.postings / 10,
        "{joined:?}"
    );
    assert!(joined.skipped >= 2, "the namesakes' keys: {joined:?}");

    let remote = dir.join("remote.json");
    let remote_matches = dir.join("remote.csv");
    run_ok(&[
        "verify",
        "--key",
        p(&k),
        "--candidates",
        p(&cand),
        "--json",
        p(&remote),
        "--matches-out",
        p(&remote_matches),
        p(&smp),
    ]);
    let (a, b) = (timeless(read_json(&local)), timeless(read_json(&remote)));
    assert_eq!(a["matches"]["by_evidence"]["canary"], 2, "{}", a["matches"]);
    assert_eq!(a, b, "the candidates' report differs from the index's");
    assert_eq!(
        std::fs::read(&local_matches).expect("local matches"),
        std::fs::read(&remote_matches).expect("remote matches")
    );

    // The blocking tags alone (a join made without --manifest) miss the lookups of
    // neighbours and audited values: the verify says so and states nothing.
    let blocks = dir.join("blocks.parquet");
    tags(&k, None, &blocks, &smp);
    let partial = dir.join("partial");
    breachcheck_export::join_candidates(&exp, &blocks, &partial).expect("join");
    let refused = dir.join("refused.json");
    let out = run_fails(&[
        "verify",
        "--key",
        p(&k),
        "--candidates",
        p(&partial),
        "--json",
        p(&refused),
        p(&smp),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not among the candidates"), "{err}");
    assert!(!refused.exists());
    // A candidates directory of another index's export is refused by its key.
    let other_key = dir.join("other.key");
    run_ok(&["key", "generate", "--out", p(&other_key)]);
    let out = run_fails(&[
        "verify",
        "--key",
        p(&other_key),
        "--candidates",
        p(&cand),
        "--json",
        p(&refused),
        p(&smp),
    ]);
    assert!(!String::from_utf8_lossy(&out.stderr).is_empty());
}

/// Runs `index prepare` on `lines` (numbered from 1) behind `head`; its stdout.
fn prepare(k: &Path, head: &Path, lines: &[(usize, &str)]) -> Vec<u8> {
    use std::io::Write as _;
    let mut child = crate::bin()
        .args(["index", "prepare", "--key", p(k), "--head", p(head)])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let input: String = lines.iter().map(|(n, l)| format!("{n}\t{l}\n")).collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("prepare");
    writer.join().expect("writer").expect("stdin");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn records_prepared_in_parts_merge_into_the_segment_a_whole_build_makes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let k = key(dir);
    // More than the 256 KiB a build sniffs how a file is read from, with a malformed line.
    let mut text = export(0, 5000);
    text.insert_str(
        text.find("\nC000100").expect("row") + 1,
        "C999999,\"unterminated,Ana\n",
    );
    assert!(text.len() > 300 * 1024);
    let file = dir.join("accounts.csv");
    std::fs::write(&file, &text).expect("write");
    let whole = dir.join("whole");
    run_ok(&build_args(&k, &whole, "accounts", "2026-01-31", &file));

    // The head: whole lines covering the first 256 KiB.
    let lines: Vec<(usize, &str)> = text.lines().enumerate().map(|(i, l)| (i + 1, l)).collect();
    let mut covered = 0usize;
    let head_lines = lines
        .iter()
        .take_while(|(_, l)| {
            let before = covered;
            covered += l.len() + 1;
            before < 256 * 1024
        })
        .count();
    let head = dir.join("head.csv");
    let head_text: String = lines[..head_lines]
        .iter()
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    std::fs::write(&head, head_text).expect("head");
    // Three executors' shares, the first inside the head, the last past it.
    let parts = dir.join("prepared");
    std::fs::create_dir(&parts).expect("parts");
    let cuts = [0, 900, head_lines + 700, lines.len()];
    for (i, w) in cuts.windows(2).enumerate() {
        let out = prepare(&k, &head, &lines[w[0]..w[1]]);
        std::fs::write(parts.join(format!("part-{i:05}")), out).expect("part");
    }
    std::fs::write(parts.join("_SUCCESS"), "").expect("marker");
    std::fs::write(parts.join("_LINES"), format!("{}\n", lines.len())).expect("count");
    let merged = dir.join("merged");
    let out = run_ok(&[
        "index",
        "build",
        "--key",
        p(&k),
        "--index",
        p(&merged),
        "--system",
        "accounts",
        "--snapshot",
        "2026-01-31",
        "--prepared",
        p(&parts),
        "--json",
    ]);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(summary["quarantined"], 1, "{summary}");
    assert_eq!(summary["records"], 5000, "{summary}");
    let segment = |idx: &Path| -> Vec<u8> {
        let seg = std::fs::read_dir(idx.join("segments"))
            .expect("segments")
            .flatten()
            .map(|e| e.path())
            .find(|f| f.extension().is_some_and(|x| x == "bcs"))
            .expect("a segment");
        std::fs::read(seg).expect("read")
    };
    assert!(
        segment(&whole) == segment(&merged),
        "the merged segment differs from the whole build's"
    );

    // Parts out of order, a part missing, or a job that did not finish: the merge refuses
    // and commits nothing.
    let merge_fails = |name: &str, arrange: &dyn Fn(&Path)| -> String {
        let d = dir.join(name);
        std::fs::create_dir(&d).expect("dir");
        for f in [
            "part-00000",
            "part-00001",
            "part-00002",
            "_SUCCESS",
            "_LINES",
        ] {
            std::fs::copy(parts.join(f), d.join(f)).expect("copy");
        }
        arrange(&d);
        let idx = dir.join(format!("{name}-idx"));
        let out = run_fails(&[
            "index",
            "build",
            "--key",
            p(&k),
            "--index",
            p(&idx),
            "--system",
            "accounts",
            "--snapshot",
            "2026-01-31",
            "--prepared",
            p(&d),
        ]);
        assert!(
            !idx.join("manifest.json").exists(),
            "{name}: an index was committed"
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = merge_fails("shuffled", &|d| {
        std::fs::rename(d.join("part-00000"), d.join("tmp")).expect("mv");
        std::fs::rename(d.join("part-00001"), d.join("part-00000")).expect("mv");
        std::fs::rename(d.join("tmp"), d.join("part-00001")).expect("mv");
    });
    assert!(err.contains("lines 1 to 900 are missing"), "{err}");
    let err = merge_fails("twice", &|d| {
        std::fs::copy(d.join("part-00001"), d.join("part-00003")).expect("cp");
    });
    assert!(err.contains("out of source order"), "{err}");
    let err = merge_fails("middle", &|d| {
        std::fs::remove_file(d.join("part-00001")).expect("rm")
    });
    assert!(err.contains("missing"), "{err}");
    let err = merge_fails("last", &|d| {
        std::fs::remove_file(d.join("part-00002")).expect("rm")
    });
    assert!(err.contains("a part is missing"), "{err}");
    let err = merge_fails("unfinished", &|d| {
        std::fs::remove_file(d.join("_SUCCESS")).expect("rm")
    });
    assert!(err.contains("_SUCCESS"), "{err}");
    // A record prepared by another release (its row's format byte): named as such.
    let err = merge_fails("other-release", &|d| {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
        let part = std::fs::read_to_string(d.join("part-00000")).expect("read");
        let mut changed = false;
        let mut text = String::new();
        for l in part.lines() {
            let f: Vec<&str> = l.split('\t').collect();
            if !changed && f.len() == 3 && f[1] == "r" {
                changed = true;
                let mut b = b64.decode(f[2]).expect("base64");
                b[4] -= 1;
                text.push_str(&format!("{}\tr\t{}\n", f[0], b64.encode(b)));
            } else {
                text.push_str(l);
                text.push('\n');
            }
        }
        assert!(changed);
        std::fs::write(d.join("part-00000"), text).expect("write");
    });
    assert!(err.contains("another release"), "{err}");

    // A share is refused when it would not read as the whole file does: a head that is
    // not this file's start, or a record spanning lines (another share may hold its rest).
    let other_head = dir.join("other-head.csv");
    std::fs::write(&other_head, "email,first_name\nx@example.org,X\n").expect("head");
    let refused = |head: &Path, share: &[(usize, &str)]| -> String {
        use std::io::Write as _;
        let mut child = crate::bin()
            .args(["index", "prepare", "--key", p(&k), "--head", p(head)])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        let input: String = share.iter().map(|(n, l)| format!("{n}\t{l}\n")).collect();
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write");
        let out = child.wait_with_output().expect("prepare");
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = refused(&other_head, &lines[..3]);
    assert!(err.contains("differs from the head"), "{err}");
    let small_head = dir.join("small-head.csv");
    std::fs::write(&small_head, format!("{}\n", lines[0].1)).expect("head");
    let quoted = [
        (2, "C000001,\"ana"),
        (3, "lee@example.org\",Ana,Lee,+49 151 1,1950-01-01,Berlin"),
    ];
    let err = refused(&small_head, &quoted);
    assert!(err.contains("one record per line"), "{err}");
}
