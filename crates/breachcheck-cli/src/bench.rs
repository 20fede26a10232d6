//! `breachcheck bench`: index build and verify throughput and peak memory on synthetic
//! records, each stage run as its own process so its peak memory is its own.
use crate::keyfile;
use anyhow::{bail, Context, Result};
use breachcheck_synth::{people_stream, Population, SYSTEMS};
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Set in a child's environment to make it print its peak resident memory on exit.
pub(crate) const PEAK_RSS_ENV: &str = "BREACHCHECK_PRINT_PEAK_RSS";
const PEAK_PREFIX: &str = "breachcheck-peak-rss-kib=";

#[derive(Args)]
pub(crate) struct BenchArgs {
    /// Records in the synthetic system export to index.
    #[arg(long, default_value_t = 100_000)]
    records: usize,
    /// Lines in the leak sample (half copied from the export, half fabricated).
    #[arg(long, default_value_t = 10_000)]
    sample: usize,
    /// Working directory (default: a temporary one, removed afterwards).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
    /// Measure each stage on its own instead: ingest per format, normalization per role,
    /// and phones against libphonenumber's Python port (needs `pip install phonenumbers`).
    #[arg(long)]
    stages: bool,
}

/// Prints this process's peak resident set size (Linux `VmHWM`) for a parent bench.
pub(crate) fn print_own_peak_rss() {
    let kib = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<u64>().ok())
            })
        })
        .unwrap_or(0);
    eprintln!("{PEAK_PREFIX}{kib}");
}

struct Stage {
    seconds: f64,
    peak_kib: u64,
}

fn run_stage(args: &[&std::ffi::OsStr]) -> Result<Stage> {
    let exe = std::env::current_exe().context("cannot find the breachcheck executable")?;
    let start = Instant::now();
    let out = Command::new(exe)
        .args(args)
        .env(PEAK_RSS_ENV, "1")
        .output()
        .context("cannot start a bench stage")?;
    let seconds = start.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        bail!("bench stage failed: {}", stderr.trim());
    }
    let peak_kib = stderr
        .lines()
        .find_map(|l| l.strip_prefix(PEAK_PREFIX))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    Ok(Stage { seconds, peak_kib })
}

fn dir_size(p: &Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

pub(crate) fn run(a: &BenchArgs) -> Result<()> {
    let tmp;
    let dir = match &a.dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            d.clone()
        }
        None => {
            tmp = tempfile::tempdir()?;
            tmp.path().to_owned()
        }
    };
    if a.stages {
        return crate::stages::run(&dir, a.records, a.json);
    }
    let accounts = &SYSTEMS[0];
    let export = dir.join("accounts.csv");
    let sample = dir.join("sample.csv");
    let t0 = Instant::now();
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&export)?);
        let mut s = std::io::BufWriter::new(std::fs::File::create(&sample)?);
        let line = |cells: Vec<String>| {
            cells
                .iter()
                .map(|c| {
                    if c.contains([',', '"']) {
                        format!("\"{}\"", c.replace('"', "\"\""))
                    } else {
                        c.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(",")
        };
        writeln!(w, "{}", accounts.columns.join(","))?;
        writeln!(s, "{}", accounts.columns.join(","))?;
        let genuine = (a.sample / 2).min(a.records);
        let every = (a.records / genuine.max(1)).max(1);
        let mut copied = 0;
        for (i, p) in people_stream(42).take(a.records).enumerate() {
            let row = line(p.row(accounts, 0));
            if i % every == 0 && copied < genuine {
                writeln!(s, "{row}")?;
                copied += 1;
            }
            writeln!(w, "{row}")?;
        }
        for p in Population::fabricate(43, a.sample - copied) {
            writeln!(s, "{}", line(p.row(accounts, 0)))?;
        }
        w.flush()?;
        s.flush()?;
    }
    let gen_s = t0.elapsed().as_secs_f64();
    let key = dir.join("bench.key");
    if !key.exists() {
        keyfile::generate(&key)?;
    }
    let index = dir.join("index");
    if index.exists() {
        std::fs::remove_dir_all(&index)?;
    }
    let os = |s: &str| std::ffi::OsString::from(s);
    let build = run_stage(&[
        os("index").as_os_str(),
        os("build").as_os_str(),
        os("--key").as_os_str(),
        key.as_os_str(),
        os("--index").as_os_str(),
        index.as_os_str(),
        os("--system").as_os_str(),
        os("accounts").as_os_str(),
        os("--snapshot").as_os_str(),
        os("2026-01-31").as_os_str(),
        export.as_os_str(),
    ])?;
    let report = dir.join("report.json");
    let verify = run_stage(&[
        os("verify").as_os_str(),
        os("--key").as_os_str(),
        key.as_os_str(),
        os("--index").as_os_str(),
        index.as_os_str(),
        os("--json").as_os_str(),
        report.as_os_str(),
        sample.as_os_str(),
    ])?;
    let index_bytes = dir_size(&index);
    let verdict: serde_json::Value = serde_json::from_slice(&std::fs::read(&report)?)?;
    let v = &verdict["verdict"];
    let figures = serde_json::json!({
        "records": a.records,
        "sample_lines": a.sample,
        "generate_seconds": gen_s,
        "build": {"seconds": build.seconds, "records_per_second": a.records as f64 / build.seconds, "peak_rss_mib": build.peak_kib as f64 / 1024.0,
                  "index_bytes": index_bytes, "bytes_per_record": index_bytes as f64 / a.records.max(1) as f64},
        "verify": {"seconds": verify.seconds, "lines_per_second": a.sample as f64 / verify.seconds, "peak_rss_mib": verify.peak_kib as f64 / 1024.0},
        "verdict": v["class"], "genuine_fraction": v["genuine_fraction"],
    });
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&figures)?);
    } else {
        outln!(
            "breachcheck bench: {} records indexed, {}-line sample (half copied, half fabricated)",
            a.records,
            a.sample
        );
        outln!("  generate     {gen_s:8.1} s");
        outln!(
            "  index build  {:8.1} s  {:>10.0} records/s  peak RSS {:7.1} MiB  index {:.1} MiB ({:.0} bytes/record)",
            build.seconds,
            a.records as f64 / build.seconds,
            build.peak_kib as f64 / 1024.0,
            index_bytes as f64 / 1048576.0,
            index_bytes as f64 / a.records.max(1) as f64
        );
        outln!(
            "  verify       {:8.1} s  {:>10.0} lines/s    peak RSS {:7.1} MiB  verdict {} ({:.1}% genuine)",
            verify.seconds,
            a.sample as f64 / verify.seconds,
            verify.peak_kib as f64 / 1024.0,
            v["class"].as_str().unwrap_or("?"),
            100.0 * v["genuine_fraction"]["estimate"].as_f64().unwrap_or(0.0)
        );
    }
    Ok(())
}
