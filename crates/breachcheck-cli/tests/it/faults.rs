//! The fault suite: real processes killed with SIGKILL at seeded random moments of
//! `index build`, `log append`, `verify` with several outputs and `verify --case`, each
//! followed by the checks an operator would run and a re-run; then one byte flipped at
//! seeded random offsets of every kind of persisted file, each time run through the
//! command that reads that file. Every kill must leave a state the checks accept and the
//! re-run completes without anyone's help; every flip must be refused by the reader, or
//! be provably harmless (the reader's output is unchanged: the byte was padding, e.g.
//! whitespace between JSON tokens).
//!
//! Bounded for CI (about two minutes on 2 cores, 160 kills). `BREACHCHECK_FAULT_KILLS=N`
//! sets the kills per command (default 40; 250 gives the 1,000-kill run),
//! `BREACHCHECK_FAULT_FLIPS=N` the flips per file kind (default 24),
//! `BREACHCHECK_FAULT_SEED` the seed.
use crate::{bin, build_args, copy_dir, key, p, read_json, run_ok, verify_args};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// A small seeded generator (xorshift64*): the same seed gives the same kills and flips.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn seed() -> u64 {
    env_num("BREACHCHECK_FAULT_SEED", 0x5eed_f00d)
}

/// Runs `args` to the end; its duration.
fn timed(args: &[&str]) -> Duration {
    let t = Instant::now();
    run_ok(args);
    t.elapsed()
}

/// Starts `args`, kills it with SIGKILL after `delay` (if it is still running); whether it
/// had finished successfully by itself.
fn kill_after(args: &[&str], delay: Duration) -> bool {
    let mut child = bin()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    std::thread::sleep(delay);
    let _ = child.kill(); // SIGKILL on Unix; harmless if it already ended
    child.wait().expect("wait").success()
}

/// A delay spread over the run of a command that takes `d` (and a little past it).
fn delay_within(rng: &mut Rng, d: Duration) -> Duration {
    let micros = d.as_micros() as u64 * 12 / 10;
    Duration::from_micros(rng.below(micros.max(1)))
}

/// Temporary files of breachcheck writers under `dir` (recursively).
fn temps(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                stack.push(path);
            } else if name.ends_with(".bctmp") || name.starts_with(".tmp-") {
                out.push(path);
            }
        }
    }
    out
}

/// A CSV export of `n` synthetic customers (made up here; no real person).
fn export(path: &Path, n: u32, offset: u32) {
    use std::io::Write;
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    writeln!(
        w,
        "customer_id,email,first_name,last_name,phone,birth_date,street,postal_code,city,country"
    )
    .expect("write");
    for i in offset..offset + n {
        writeln!(
            w,
            "K{i},user{i}@example.org,Name{},Family{},+49 151 {:08},19{:02}-0{}-1{},Hauptstr. {},{:05},Berlin,DE",
            i % 1000,
            i % 777,
            i,
            50 + i % 40,
            1 + i % 9,
            i % 10,
            1 + i % 200,
            10_000 + i % 80_000
        )
        .expect("write");
    }
}

/// Everything the suite works on: a key, a signing key, an index of two snapshots (the
/// second with an audit set), a sample, a transparency log and a signed report.
struct World {
    dir: PathBuf,
    key: PathBuf,
    sign: PathBuf,
    idx: PathBuf,
    next_export: PathBuf,
    sample: PathBuf,
    log: PathBuf,
}

fn world(dir: &Path) -> World {
    let k = key(dir);
    let sign = dir.join("s.sign");
    run_ok(&["sign-key", "generate", "--out", p(&sign)]);
    let idx = dir.join("idx");
    let first = dir.join("first.csv");
    export(&first, 3000, 0);
    run_ok(&build_args(&k, &idx, "accounts", "2026-01-31", &first));
    let second = dir.join("second.csv");
    export(&second, 3000, 100);
    run_ok(
        &[
            build_args(&k, &idx, "accounts", "2026-02-28", &second),
            vec!["--audit"],
        ]
        .concat(),
    );
    let next_export = dir.join("third.csv");
    export(&next_export, 6_000, 200);
    let sample = dir.join("sample.csv");
    export(&sample, 400, 2500);
    let log = dir.join("translog");
    run_ok(&[
        "log",
        "init",
        "--log",
        p(&log),
        "--origin",
        "log.faults.example",
        "--sign-key",
        p(&sign),
    ]);
    run_ok(&[
        "log",
        "append",
        "--log",
        p(&log),
        "--sign-key",
        p(&sign),
        "--index",
        p(&idx),
    ]);
    World {
        dir: dir.to_owned(),
        key: k,
        sign,
        idx,
        next_export,
        sample,
        log,
    }
}

fn snapshots(idx: &Path) -> usize {
    let out = run_ok(&["index", "info", "--index", p(idx), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    v["systems"][0]["snapshots"].as_array().map_or(0, Vec::len)
}

fn log_size(log: &Path) -> u64 {
    let out = run_ok(&["log", "head", "--log", p(log), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    v["size"].as_u64().expect("size")
}

/// `kill -9` at random moments of every writing command, then check, verify, re-run.
#[test]
fn kills_leave_nothing_to_repair() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let w = world(tmp.path());
    let kills = env_num("BREACHCHECK_FAULT_KILLS", 40);
    let started = Instant::now();
    let mut rng = Rng::new(seed());
    let mut report = Vec::new();

    // index build of a third snapshot.
    let pristine = w.dir.join("idx-pristine");
    copy_dir(&w.idx, &pristine);
    let build = |idx: &Path| {
        build_args(&w.key, idx, "accounts", "2026-03-31", &w.next_export)
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let idx = w.dir.join("idx-k");
    copy_dir(&pristine, &idx);
    let full = timed(&build(&idx).iter().map(String::as_str).collect::<Vec<_>>());
    let (mut before, mut after) = (0, 0);
    for _ in 0..kills {
        std::fs::remove_dir_all(&idx).expect("rm");
        copy_dir(&pristine, &idx);
        let args = build(&idx);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        kill_after(&args, delay_within(&mut rng, full));
        run_ok(&["index", "check", "--index", p(&idx)]);
        match snapshots(&idx) {
            2 => {
                before += 1;
                // The interrupted build runs again, to the end, by itself: it takes the
                // dead build's lock over and removes what it left.
                run_ok(&args);
                assert_eq!(snapshots(&idx), 3);
                assert!(!idx.join("LOCK").exists());
            }
            3 => after += 1,
            n => panic!("{n} snapshots after a killed build"),
        }
        let out = run_ok(&["index", "check", "--index", p(&idx)]);
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("leftovers"),
            "leftovers survived the next build"
        );
    }
    let json = w.dir.join("after-builds.json");
    run_ok(&[verify_args(&w.key, &idx, &json), vec![p(&w.sample)]].concat());
    report.push(format!(
        "index build: {before} killed before commit, {after} after ({:.0} s)",
        started.elapsed().as_secs_f64()
    ));

    // log append.
    let append = [
        "log",
        "append",
        "--log",
        p(&w.log),
        "--sign-key",
        p(&w.sign),
        "--update",
        "an update",
    ];
    let full = timed(&append);
    let mut landed = 0;
    for _ in 0..kills {
        let n = log_size(&w.log);
        kill_after(&append, delay_within(&mut rng, full));
        run_ok(&["log", "verify", "--from", p(&w.log)]);
        let m = log_size(&w.log);
        assert!(m == n || m == n + 1, "log went from {n} to {m}");
        landed += m - n;
        run_ok(&append);
        assert_eq!(log_size(&w.log), m + 1);
        assert!(temps(&w.log).is_empty(), "{:?}", temps(&w.log));
        assert!(!w.log.join("LOCK").exists());
    }
    let prove = w.dir.join("p.json");
    run_ok(&[
        "log",
        "prove",
        "--log",
        p(&w.log),
        "--entry",
        "0",
        "--out",
        p(&prove),
    ]);
    run_ok(&["log", "verify", "--from", p(&w.log), "--proof", p(&prove)]);
    report.push(format!(
        "log append: {landed} of {kills} landed before the kill ({:.0} s)",
        started.elapsed().as_secs_f64()
    ));

    // verify with several outputs (and a signature).
    let out = w.dir.join("out");
    std::fs::create_dir_all(&out).expect("mkdir");
    let (json, md, html, csv) = (
        out.join("r.json"),
        out.join("r.md"),
        out.join("r.html"),
        out.join("lines.csv"),
    );
    let verify: Vec<&str> = [
        verify_args(&w.key, &w.idx, &json),
        vec![
            "--md",
            p(&md),
            "--html",
            p(&html),
            "--matches-out",
            p(&csv),
            "--sign-key",
            p(&w.sign),
            p(&w.sample),
        ],
    ]
    .concat();
    let full = timed(&verify);
    let all = [&json, &md, &html, &csv];
    let sig = out.join("r.json.sig");
    let mut whole = 0;
    for _ in 0..kills {
        for f in all.iter().copied().chain([&sig]) {
            let _ = std::fs::remove_file(f);
        }
        kill_after(&verify, delay_within(&mut rng, full));
        let present = all.iter().filter(|f| f.exists()).count();
        // Each output is whole when present; the commit renames them one after the other,
        // microseconds apart, so a kill there leaves complete files only.
        if json.exists() {
            read_json(&json);
            if sig.exists() {
                run_ok(&["report", "verify", p(&json)]);
            }
        }
        whole += usize::from(present == all.len());
        run_ok(&verify);
        assert!(all.iter().all(|f| f.exists()));
        run_ok(&["report", "verify", p(&json)]);
        assert!(temps(&out).is_empty(), "{:?}", temps(&out));
    }
    report.push(format!(
        "verify: {whole} of {kills} had finished when killed ({:.0} s)",
        started.elapsed().as_secs_f64()
    ));

    // verify --case appends.
    let case = w.dir.join("case");
    let verify_case: Vec<&str> = [
        verify_args(&w.key, &w.idx, &json),
        vec![
            "--case",
            p(&case),
            "--operator",
            "fault-suite",
            "--sign-key",
            p(&w.sign),
            p(&w.sample),
        ],
    ]
    .concat();
    let full = timed(&verify_case);
    let entries = |case: &Path| -> usize {
        let out = run_ok(&["case", "verify", p(case)]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.split_whitespace()
            .nth(1)
            .and_then(|n| n.parse().ok())
            .expect("entry count")
    };
    for _ in 0..kills {
        let n = entries(&case);
        kill_after(&verify_case, delay_within(&mut rng, full));
        let m = entries(&case);
        assert!(m == n || m == n + 1, "case went from {n} to {m} entries");
        run_ok(&verify_case);
        assert_eq!(entries(&case), m + 1);
        assert!(temps(&case).is_empty(), "{:?}", temps(&case));
        assert!(!case.join("LOCK").exists());
    }
    report.push(format!(
        "case appends ({:.0} s)",
        started.elapsed().as_secs_f64()
    ));
    eprintln!(
        "fault suite, {kills} kills per command: {}",
        report.join("; ")
    );
}

/// A report with its time of generation taken out (what differs between two runs).
fn without_time(path: &Path) -> serde_json::Value {
    let mut v = read_json(path);
    v["generated_at"] = serde_json::Value::Null;
    v
}

/// Flips byte `at` of `path` (to another value), runs `check`, flips it back (in place:
/// `check` may have appended to the file).
fn with_flip<T>(path: &Path, at: usize, rng: &mut Rng, check: impl FnOnce() -> T) -> T {
    let mask = 1 + rng.below(255) as u8;
    let flip = || {
        let mut bytes = std::fs::read(path).expect("read");
        bytes[at] ^= mask;
        std::fs::write(path, &bytes).expect("write");
    };
    flip();
    let r = check();
    flip();
    r
}

fn fails(args: &[&str]) -> bool {
    !bin()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("runs")
        .success()
}

/// Offsets to flip in a file of `len` bytes: seeded, plus the first and last bytes.
fn offsets(rng: &mut Rng, len: usize, n: u64) -> Vec<usize> {
    let mut v: Vec<usize> = (0..n).map(|_| rng.below(len as u64) as usize).collect();
    v.extend([0, len - 1]);
    v
}

/// One flipped byte in every kind of persisted file is refused by the command that reads
/// it, or changes nothing that command says.
#[test]
fn flips_are_caught_before_they_are_used() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let w = world(tmp.path());
    let flips = env_num("BREACHCHECK_FAULT_FLIPS", 24);
    let mut rng = Rng::new(seed() ^ 0xf11b);
    let mut harmless = Vec::new();
    let json = w.dir.join("base.json");
    run_ok(
        &[
            verify_args(&w.key, &w.idx, &json),
            vec!["--sign-key", p(&w.sign), p(&w.sample)],
        ]
        .concat(),
    );
    let baseline = without_time(&json);
    let again = w.dir.join("again.json");
    let verify: Vec<&str> = [verify_args(&w.key, &w.idx, &again), vec![p(&w.sample)]].concat();
    let check = ["index", "check", "--index", p(&w.idx)];

    // Segments: `index check` refuses every flip; `verify` refuses it or, when it never
    // reads the flipped chunk, reports exactly what it reported before.
    let segs: Vec<PathBuf> = std::fs::read_dir(w.idx.join("segments"))
        .expect("segments")
        .flatten()
        .map(|e| e.path())
        .collect();
    let mut verify_refused = 0;
    for seg in &segs {
        let len = std::fs::metadata(seg).expect("meta").len() as usize;
        for at in offsets(&mut rng, len, flips) {
            let (checked, verified) = with_flip(seg, at, &mut rng, || {
                let _ = std::fs::remove_file(&again);
                (fails(&check), !fails(&verify))
            });
            assert!(checked, "index check missed byte {at} of {}", seg.display());
            if verified {
                assert_eq!(
                    without_time(&again),
                    baseline,
                    "verify used flipped byte {at} of {}",
                    seg.display()
                );
            } else {
                verify_refused += 1;
                assert!(!again.exists(), "a refused verify left a report");
            }
        }
    }
    assert!(verify_refused > 0);

    // The manifest: every reader refuses a flip, unless the manifest still parses to the
    // same content (whitespace between tokens).
    let manifest = w.idx.join("manifest.json");
    let clean: serde_json::Value = read_json(&manifest);
    let len = std::fs::metadata(&manifest).expect("meta").len() as usize;
    for at in offsets(&mut rng, len, flips * 2) {
        with_flip(&manifest, at, &mut rng, || {
            let same = std::fs::read(&manifest)
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .is_some_and(|v| v == clean);
            let info = fails(&["index", "info", "--index", p(&w.idx)]);
            if same {
                harmless.push(format!("manifest byte {at}"));
                assert!(!info, "an unchanged manifest was refused");
            } else {
                assert!(info, "index info read a flipped manifest (byte {at})");
                assert!(fails(&check), "index check missed manifest byte {at}");
                assert!(fails(&verify), "verify read a flipped manifest (byte {at})");
            }
        });
    }

    // The audit set: `index check` and `audit serve` refuse any flip.
    let gcs: Vec<PathBuf> = std::fs::read_dir(w.idx.join("audit"))
        .expect("audit")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(gcs.len(), 1);
    let len = std::fs::metadata(&gcs[0]).expect("meta").len() as usize;
    for (i, at) in offsets(&mut rng, len, flips).into_iter().enumerate() {
        with_flip(&gcs[0], at, &mut rng, || {
            assert!(fails(&check), "index check missed audit-set byte {at}");
            if i < 3 {
                // Refused at start-up, before it listens.
                let out = bin()
                    .args([
                        "audit",
                        "serve",
                        "--index",
                        p(&w.idx),
                        "--key",
                        p(&w.key),
                        "--sign-key",
                        p(&w.sign),
                        "--listen",
                        "127.0.0.1:0",
                    ])
                    .stdin(Stdio::null())
                    .output()
                    .expect("runs");
                assert!(!out.status.success());
                assert!(String::from_utf8_lossy(&out.stderr).contains("audit set"));
            }
        });
    }

    // The transparency log: entries, stored hashes, checkpoint.
    for _ in 0..3 {
        run_ok(&[
            "log",
            "append",
            "--log",
            p(&w.log),
            "--sign-key",
            p(&w.sign),
            "--update",
            "u",
        ]);
    }
    let log_verify = ["log", "verify", "--from", p(&w.log)];
    let mut files = vec![w.log.join("hashes"), w.log.join("checkpoint")];
    files.extend(
        std::fs::read_dir(w.log.join("entries"))
            .expect("entries")
            .flatten()
            .map(|e| e.path()),
    );
    for f in &files {
        let len = std::fs::metadata(f).expect("meta").len() as usize;
        for at in offsets(&mut rng, len, flips / 2) {
            with_flip(f, at, &mut rng, || {
                assert!(
                    fails(&log_verify),
                    "log verify missed byte {at} of {}",
                    f.display()
                );
                let appended = !fails(&[
                    "log",
                    "append",
                    "--log",
                    p(&w.log),
                    "--sign-key",
                    p(&w.sign),
                    "--update",
                    "after a flip",
                ]);
                // An append on a damaged log signs nothing built on the damage: either it
                // was refused, or the damage was off the tail it extends, and the log
                // still fails to verify (the damage is still there) while the new head
                // is the true one.
                if appended {
                    assert!(fails(&log_verify));
                }
            });
            // Restored: the log verifies again (an append done above stays).
            run_ok(&log_verify);
        }
    }

    // A signed report and its signature.
    let sig = w.dir.join("base.json.sig");
    let clean_sig: serde_json::Value = read_json(&sig);
    for (f, is_sig) in [(&json, false), (&sig, true)] {
        let len = std::fs::metadata(f).expect("meta").len() as usize;
        for at in offsets(&mut rng, len, flips) {
            with_flip(f, at, &mut rng, || {
                let refused = fails(&["report", "verify", p(&json)]);
                let same = is_sig
                    && std::fs::read(&sig)
                        .ok()
                        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                        .is_some_and(|v| v == clean_sig);
                if same {
                    harmless.push(format!("signature byte {at}"));
                } else {
                    assert!(refused, "report verify missed byte {at} of {}", f.display());
                }
            });
        }
    }

    // A case folder: its custody log and a kept report.
    let case = w.dir.join("case");
    for _ in 0..2 {
        run_ok(
            &[
                verify_args(&w.key, &w.idx, &again),
                vec!["--case", p(&case), "--sign-key", p(&w.sign), p(&w.sample)],
            ]
            .concat(),
        );
    }
    let custody = case.join("custody.log");
    let kept = case.join("reports").join("0001-sample.json");
    for f in [&custody, &kept] {
        let len = std::fs::metadata(f).expect("meta").len() as usize;
        for at in offsets(&mut rng, len, flips) {
            with_flip(f, at, &mut rng, || {
                assert!(
                    fails(&["case", "verify", p(&case)]),
                    "case verify missed byte {at} of {}",
                    f.display()
                );
            });
        }
    }
    run_ok(&["case", "verify", p(&case)]);
    eprintln!(
        "flips: every one refused, except {} provably harmless: {}",
        harmless.len(),
        harmless.join(", ")
    );
}
