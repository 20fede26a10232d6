//! `breachcheck bench --serve`: the server under load (issue 16). N distinct samples are
//! verified one after another by `breachcheck verify` (the baseline: the work itself),
//! then uploaded at once to `breachcheck serve` on loopback, each upload's job polled
//! until done. Both run as child processes of this binary, so their memory is their own;
//! the server's is read from `/proc/PID/status` while it works.
use super::{build_stage, generate, verify_stage};
use crate::keyfile;
use anyhow::{bail, ensure, Context, Result};
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// How often an upload's job is polled.
const POLL: Duration = Duration::from_millis(50);
/// The large upload's memory counts as flat when the server's anonymous memory grows by
/// less than this while it streams (a fixed bound, whatever the upload's size).
const FLAT_MIB: f64 = 64.0;
/// How often the server's memory is read.
const SAMPLE_MEMORY: Duration = Duration::from_millis(100);

/// The server child, killed when dropped (on every way out of the bench).
pub(super) struct Server {
    pub(super) child: Child,
    pub(super) base: String,
    workers: usize,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A process's memory from `/proc/PID/status`, in KiB.
#[derive(Clone, Copy, Default)]
struct Mem {
    rss: u64,
    anon: u64,
    file: u64,
    hwm: u64,
}

impl Mem {
    fn read(pid: u32) -> Option<Mem> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        Some(Mem {
            rss: field("VmRSS:"),
            anon: field("RssAnon:"),
            file: field("RssFile:"),
            hwm: field("VmHWM:"),
        })
    }

    fn max(self, o: Mem) -> Mem {
        Mem {
            rss: self.rss.max(o.rss),
            anon: self.anon.max(o.anon),
            file: self.file.max(o.file),
            hwm: self.hwm.max(o.hwm),
        }
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({"rss_mib": mib(self.rss), "anon_mib": mib(self.anon), "file_mib": mib(self.file)})
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Reads a process's memory every [`SAMPLE_MEMORY`] until stopped; the peaks.
struct Sampler {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Mem>,
}

impl Sampler {
    fn start(pid: u32) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut peak = Mem::default();
            loop {
                if let Some(m) = Mem::read(pid) {
                    peak = peak.max(m);
                }
                if flag.load(Ordering::Relaxed) {
                    return peak;
                }
                std::thread::sleep(SAMPLE_MEMORY);
            }
        });
        Sampler { stop, thread }
    }

    fn finish(self) -> Mem {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

/// CPU seconds from `/proc/PID/stat` (`pid` may be `self`): the process's own user +
/// system time, and its waited-for children's.
pub(super) fn cpu_seconds(pid: &str, tick: f64) -> (f64, f64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at field 3, `state`.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0.0))
        .collect();
    let at = |field: usize| f.get(field - 3).copied().unwrap_or(0.0) / tick;
    (at(14) + at(15), at(16) + at(17))
}

/// Clock ticks per second (`getconf CLK_TCK`, 100 when it cannot be read).
pub(super) fn clock_tick() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// Free space of the file system holding `dir`, in bytes (`df`), if it can be read.
fn free_bytes(dir: &Path) -> Option<u64> {
    let out = Command::new("df").arg("-Pk").arg(dir).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let kib: u64 = text
        .lines()
        .nth(1)?
        .split_whitespace()
        .nth(3)?
        .parse()
        .ok()?;
    Some(kib * 1024)
}

pub(super) fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .max_idle_connections(256)
        .max_idle_connections_per_host(256)
        .build()
        .into()
}

/// A request's status and body as JSON (`null` when the body is not JSON).
fn answer(
    r: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<(u16, serde_json::Value)> {
    let r = r.context("request to the bench server failed")?;
    let status = r.status().as_u16();
    let text = r.into_body().read_to_string().unwrap_or_default();
    Ok((status, serde_json::from_str(&text).unwrap_or_default()))
}

/// Starts `serve` on a free loopback port with `data` as its folder and `extra` flags;
/// returns once `/api/v1/healthz` answers.
pub(super) fn start_server(
    index: &Path,
    key: &Path,
    data: &Path,
    log: &Path,
    extra: &[&str],
) -> Result<Server> {
    let exe = std::env::current_exe().context("cannot find the breachcheck executable")?;
    let mut child = Command::new(&exe)
        .arg("serve")
        .arg("--index")
        .arg(index)
        .arg("--key")
        .arg(key)
        .arg("--data")
        .arg(data)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--rate",
            "1000000",
            "--rate-burst",
            "1000000",
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).context("cannot create the server's log")?)
        .spawn()
        .context("cannot start breachcheck serve")?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut lines = std::io::BufReader::new(stdout);
    let mut first = String::new();
    lines.read_line(&mut first)?;
    // The rest (a hint about admin tokens) is drained so the server never blocks on it.
    std::thread::spawn(move || std::io::copy(&mut lines, &mut std::io::sink()));
    let mut server = Server {
        child,
        base: String::new(),
        workers: 0,
    };
    // "breachcheck serve: http://127.0.0.1:PORT (2 workers; …"
    let Some(url) = first.split_whitespace().find(|w| w.starts_with("http://")) else {
        bail!(
            "breachcheck serve did not start (its log: {}): {}",
            log.display(),
            std::fs::read_to_string(log).unwrap_or_default().trim()
        );
    };
    server.base = url.to_owned();
    server.workers = first
        .split_once('(')
        .and_then(|(_, r)| r.split_whitespace().next())
        .and_then(|w| w.parse().ok())
        .context("serve did not say how many workers it runs")?;
    let a = agent(Duration::from_secs(5));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok((200, _)) = answer(a.get(format!("{}/api/v1/healthz", server.base)).call()) {
            return Ok(server);
        }
        if Instant::now() > deadline {
            bail!("breachcheck serve did not answer /api/v1/healthz within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One upload, timed from its start by the uploading thread.
#[derive(Default)]
struct Upload {
    /// Start → 202.
    upload_s: f64,
    /// 202 → first seen running (or done).
    queued_s: f64,
    /// First seen running → seen done.
    run_s: f64,
    /// Start → seen done: the time to verdict.
    verdict_s: f64,
    /// Seconds since the load began when it was sent, accepted, seen running, seen done.
    start_at: f64,
    accepted_at: f64,
    started_at: f64,
    done_at: f64,
    /// The verdict class the server gave.
    class: String,
    lines: u64,
    polls: u64,
    /// Answers other than 200/202, by status.
    refused: Vec<u16>,
    /// Went from queued to done between two polls (its run time is not measured).
    unseen_running: bool,
}

struct Client {
    agent: ureq::Agent,
    base: String,
    auth: String,
}

impl Client {
    fn get(&self, path: &str) -> Result<(u16, serde_json::Value)> {
        answer(
            self.agent
                .get(format!("{}{path}", self.base))
                .header("Authorization", &self.auth)
                .call(),
        )
    }
}

/// Uploads `body` as `name` to case `case`, then polls its job until done.
fn upload_and_wait(
    c: &Client,
    case: i64,
    name: &str,
    body: &[u8],
    t0: Instant,
    deadline: Instant,
) -> Result<Upload> {
    let mut u = Upload::default();
    let start = Instant::now();
    u.start_at = start.saturating_duration_since(t0).as_secs_f64();
    let (status, acc) = answer(
        c.agent
            .post(format!(
                "{}/api/v1/cases/{case}/samples?filename={name}",
                c.base
            ))
            .header("Authorization", &c.auth)
            .header("Content-Type", "application/octet-stream")
            .send(body),
    )?;
    if status != 202 {
        bail!("upload of {name} answered {status}: {acc}");
    }
    ensure!(
        acc["duplicate"] == false,
        "upload of {name} was taken for a duplicate: the bench's samples must differ"
    );
    let job = acc["job_id"].as_i64().context("no job_id")?;
    let sample = acc["sample_id"].as_i64().context("no sample_id")?;
    let accepted = Instant::now();
    u.upload_s = (accepted - start).as_secs_f64();
    u.accepted_at = accepted.saturating_duration_since(t0).as_secs_f64();
    let mut running: Option<Instant> = None;
    let done = loop {
        std::thread::sleep(POLL);
        let (status, j) = c.get(&format!("/api/v1/jobs/{job}"))?;
        u.polls += 1;
        let now = Instant::now();
        if status != 200 {
            u.refused.push(status);
            ensure!(
                status == 429 || status == 503,
                "polling job {job} answered {status}: {j}"
            );
        } else {
            match j["state"].as_str().unwrap_or("") {
                "queued" => {}
                "running" => {
                    running.get_or_insert(now);
                }
                "done" => {
                    u.lines = j["progress"]["lines"].as_u64().unwrap_or(0);
                    break now;
                }
                "failed" => bail!("job {job} ({name}) failed: {}", j["error"]),
                other => bail!("job {job} is in an unknown state {other:?}"),
            }
        }
        if now > deadline {
            bail!("job {job} ({name}) was not done in time; the bench gives up");
        }
    };
    let running = running.unwrap_or_else(|| {
        u.unseen_running = true;
        done
    });
    u.queued_s = (running - accepted).as_secs_f64();
    u.run_s = (done - running).as_secs_f64();
    u.verdict_s = (done - start).as_secs_f64();
    u.started_at = running.saturating_duration_since(t0).as_secs_f64();
    u.done_at = done.saturating_duration_since(t0).as_secs_f64();
    let (status, s) = c.get(&format!("/api/v1/samples/{sample}"))?;
    if status == 200 {
        u.class = s["verdict"]["class"].as_str().unwrap_or("").to_owned();
    }
    Ok(u)
}

/// The nearest-rank percentile `p` (0–1) of sorted `v`.
pub(super) fn percentile(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let rank = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

/// A body of `total` bytes made on the fly: the header, then the lines of `sample`
/// over and over (never held whole, never written by the bench).
struct Repeated {
    head: std::io::Cursor<Vec<u8>>,
    block: Vec<u8>,
    pos: usize,
    left: u64,
}

impl Repeated {
    fn new(sample: &[u8], total: u64) -> Repeated {
        let cut = sample.iter().position(|b| *b == b'\n').map_or(0, |i| i + 1);
        Repeated {
            head: std::io::Cursor::new(sample[..cut].to_vec()),
            block: sample[cut..].to_vec(),
            pos: 0,
            left: total,
        }
    }
}

impl Read for Repeated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 || buf.is_empty() {
            return Ok(0);
        }
        let max = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let mut n = self.head.read(&mut buf[..max])?;
        if n == 0 {
            if self.block.is_empty() {
                return Ok(0);
            }
            n = max.min(self.block.len() - self.pos);
            buf[..n].copy_from_slice(&self.block[self.pos..self.pos + n]);
            self.pos = (self.pos + n) % self.block.len();
        }
        self.left -= n as u64;
        Ok(n)
    }
}

pub(super) fn run(
    dir: &Path,
    records: usize,
    lines: usize,
    uploads: usize,
    big_mib: u64,
    json: bool,
) -> Result<()> {
    ensure!(uploads >= 1, "--uploads must be at least 1");
    ensure!(lines >= 2, "--sample must be at least 2 lines");
    let human = !json;
    let export = dir.join("accounts.csv");
    let samples: Vec<(usize, PathBuf)> = (0..uploads)
        .map(|k| (lines, dir.join(format!("serve-sample-{k:03}.csv"))))
        .collect();
    let t = Instant::now();
    generate(
        &breachcheck_synth::SYSTEMS[0],
        &export,
        &samples,
        records,
        false,
        false,
        true,
    )?;
    let gen_s = t.elapsed().as_secs_f64();
    let key = dir.join("bench.key");
    if !key.exists() {
        keyfile::generate(&key)?;
    }
    let index = dir.join("index");
    if index.exists() {
        std::fs::remove_dir_all(&index)?;
    }
    let build = build_stage(&key, &index, "2026-01-31", &export, &[])?;
    if human {
        outln!(
            "breachcheck bench --serve: {records} records indexed ({:.1} s); {uploads} distinct samples of {lines} lines (half copied, half fabricated; generated in {gen_s:.1} s)",
            build.seconds
        );
    }

    // 1. The baseline: the same samples verified one after another.
    let tick = clock_tick();
    let children_before = cpu_seconds("self", tick).1;
    let mut seq = Vec::new();
    let mut classes = Vec::new();
    let mut verify_anon = 0u64;
    for (k, (_, path)) in samples.iter().enumerate() {
        let report = dir.join(format!("serve-report-{k:03}.json"));
        let v = verify_stage(&key, &index, &report, path)?;
        let r = breachcheck_report::Report::from_json(&std::fs::read(&report)?)?;
        classes.push(r.verdict.class.as_str().to_owned());
        seq.push(v.seconds);
        verify_anon = verify_anon.max(v.anon_kib);
    }
    let seq_total: f64 = seq.iter().sum();
    let seq_cpu = cpu_seconds("self", tick).1 - children_before;
    if human {
        outln!(
            "  sequential: {uploads} x verify, one after another: {seq_total:.2} s, CPU {seq_cpu:.2} s ({:.2} s each on average, {:.0} lines/s; heap at exit up to {:.1} MiB)",
            seq_total / uploads as f64,
            (uploads * lines) as f64 / seq_total,
            mib(verify_anon)
        );
    }

    // 2. The server, idle.
    let data = dir.join("serve-data");
    if data.exists() {
        std::fs::remove_dir_all(&data)?;
    }
    let exe = std::env::current_exe().context("cannot find the breachcheck executable")?;
    let out = Command::new(&exe)
        .args([
            "serve", "token", "create", "--role", "analyst", "--name", "bench",
        ])
        .arg("--data")
        .arg(&data)
        .output()
        .context("cannot run serve token create")?;
    ensure!(
        out.status.success(),
        "serve token create failed: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    let token = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .context("serve token create printed no token")?
        .trim()
        .to_owned();
    let log = dir.join("serve.log");
    let server = start_server(&index, &key, &data, &log, &[])?;
    let pid = server.child.id();
    std::thread::sleep(Duration::from_millis(500));
    let idle = Mem::read(pid).context("cannot read the server's memory")?;
    if human {
        outln!(
            "  server: {} workers; idle RSS {:.1} MiB (anon {:.1}, file {:.1}); target idle <= 50 MiB: {}",
            server.workers,
            mib(idle.rss),
            mib(idle.anon),
            mib(idle.file),
            met(mib(idle.rss) <= 50.0)
        );
    }
    let client = Arc::new(Client {
        agent: agent(Duration::from_secs(600)),
        base: server.base.clone(),
        auth: format!("Bearer {token}"),
    });
    let (status, case) = answer(
        client
            .agent
            .post(format!("{}/api/v1/cases", client.base))
            .header("Authorization", &client.auth)
            .header("Content-Type", "application/json")
            .send(r#"{"name":"bench"}"#),
    )?;
    ensure!(status == 201, "creating a case answered {status}: {case}");
    let case = case["id"].as_i64().context("no case id")?;

    // 3. The load: every upload at once, each thread polling its job.
    let bodies: Vec<Vec<u8>> = samples
        .iter()
        .map(|(_, p)| std::fs::read(p))
        .collect::<std::io::Result<_>>()?;
    let bodies = Arc::new(bodies);
    let barrier = Arc::new(Barrier::new(uploads + 1));
    let deadline = Instant::now() + Duration::from_secs_f64(120.0 + 10.0 * seq_total);
    let mut threads = Vec::new();
    let t0 = Instant::now() + Duration::from_millis(100);
    for k in 0..uploads {
        let (client, bodies, barrier) = (
            Arc::clone(&client),
            Arc::clone(&bodies),
            Arc::clone(&barrier),
        );
        threads.push(std::thread::spawn(move || {
            barrier.wait();
            let name = format!("sample-{k:03}.csv");
            upload_and_wait(&client, case, &name, &bodies[k], t0, deadline)
        }));
    }
    let sampler = Sampler::start(pid);
    let server_cpu_before = cpu_seconds(&pid.to_string(), tick).0;
    let own_cpu_before = cpu_seconds("self", tick).0;
    std::thread::sleep(t0.saturating_duration_since(Instant::now()));
    barrier.wait();
    let mut results = Vec::new();
    let mut errors = Vec::new();
    for t in threads {
        match t.join() {
            Ok(Ok(u)) => results.push(u),
            Ok(Err(e)) => errors.push(format!("{e:#}")),
            Err(_) => errors.push("an upload thread panicked".into()),
        }
    }
    let server_cpu = cpu_seconds(&pid.to_string(), tick).0 - server_cpu_before;
    let client_cpu = cpu_seconds("self", tick).0 - own_cpu_before;
    let load = sampler.finish().max(Mem::read(pid).unwrap_or_default());
    if !errors.is_empty() {
        bail!(
            "{} of {uploads} uploads failed (server log: {}):\n  {}",
            errors.len(),
            log.display(),
            errors.join("\n  ")
        );
    }
    let first = results.iter().map(|u| u.start_at).fold(f64::MAX, f64::min);
    let wall = results.iter().map(|u| u.done_at).fold(0.0, f64::max) - first;
    let ratio = wall / seq_total.max(1e-9);
    let mut ttv: Vec<f64> = results.iter().map(|u| u.verdict_s).collect();
    ttv.sort_by(f64::total_cmp);
    let work: f64 = results.iter().map(|u| u.run_s).sum();
    let fair = work / server.workers.max(1) as f64;
    let max_wait = results.iter().map(|u| u.queued_s).fold(0.0, f64::max);
    let max_upload = results.iter().map(|u| u.upload_s).fold(0.0, f64::max);
    // First come, first served: a job accepted earlier should not start later (beyond
    // the polling's resolution).
    let slack = 2.0 * POLL.as_secs_f64();
    let mut overtaken = 0;
    for a in &results {
        for b in &results {
            if a.accepted_at + slack < b.accepted_at && a.started_at > b.started_at + slack {
                overtaken += 1;
            }
        }
    }
    let refused: Vec<u16> = results.iter().flat_map(|u| u.refused.clone()).collect();
    let unseen = results.iter().filter(|u| u.unseen_running).count();
    let mut mismatched = 0;
    for (u, c) in results.iter().zip(&classes) {
        if &u.class != c {
            mismatched += 1;
        }
    }
    let short = results.iter().filter(|u| u.lines != lines as u64).count();
    let total_lines = (uploads * lines) as f64;
    if human {
        outln!(
            "  concurrent: {uploads} uploads at once: {wall:.2} s from the first upload to the last verdict; ratio to sequential {ratio:.2} (target <= 1.2: {})",
            met(ratio <= 1.2)
        );
        outln!(
            "    CPU: server {server_cpu:.2} s = {:.2}x the sequential verifies' {seq_cpu:.2} s (each of those opens the index; the server did once); the bench's own upload and polling threads {client_cpu:.2} s",
            server_cpu / seq_cpu.max(1e-9)
        );
        outln!(
            "    throughput {:.0} lines/s, {:.2} uploads/s; time to verdict p50 {:.2} s, p95 {:.2} s, max {:.2} s; slowest upload (to 202) {max_upload:.2} s",
            total_lines / wall,
            uploads as f64 / wall,
            percentile(&ttv, 0.5),
            percentile(&ttv, 0.95),
            ttv.last().copied().unwrap_or(0.0)
        );
        outln!(
            "    queue: longest wait {max_wait:.2} s; fair share (server-side run time summed, {work:.2} s, / {} workers) {fair:.2} s: {}; jobs started before one accepted earlier: {overtaken}",
            server.workers,
            met(max_wait <= fair)
        );
        outln!(
            "    server RSS peak {:.1} MiB (VmHWM {:.1}), anon peak {:.1} MiB (target <= 1024 beyond mapped index pages: {}), file-backed peak {:.1} MiB",
            mib(load.rss),
            mib(load.hwm),
            mib(load.anon),
            met(mib(load.anon) <= 1024.0),
            mib(load.file)
        );
        outln!(
            "    answers other than 200/202 while polling: {}; verdicts differing from verify's: {mismatched}; jobs not covering every line: {short}; jobs seen only queued then done: {unseen}",
            if refused.is_empty() { "none".to_owned() } else { format!("{refused:?}") }
        );
    }
    let uploads_json: Vec<serde_json::Value> = results
        .iter()
        .map(|u| {
            serde_json::json!({
                "upload_seconds": u.upload_s, "queued_seconds": u.queued_s, "run_seconds": u.run_s,
                "time_to_verdict_seconds": u.verdict_s, "accepted_at": u.accepted_at,
                "started_at": u.started_at, "done_at": u.done_at, "class": u.class,
                "lines": u.lines, "polls": u.polls,
            })
        })
        .collect();
    let mut figures = serde_json::json!({
        "records": records,
        "uploads": uploads,
        "lines_per_sample": lines,
        "generate_seconds": gen_s,
        "build_seconds": build.seconds,
        "sequential": {"total_seconds": seq_total, "cpu_seconds": seq_cpu, "seconds": seq, "max_heap_at_exit_mib": mib(verify_anon)},
        "workers": server.workers,
        "idle": idle.json(),
        "concurrent": {
            "wall_seconds": wall,
            "ratio_to_sequential": ratio,
            "server_cpu_seconds": server_cpu,
            "server_cpu_ratio_to_sequential": server_cpu / seq_cpu.max(1e-9),
            "client_cpu_seconds": client_cpu,
            "lines_per_second": total_lines / wall,
            "uploads_per_second": uploads as f64 / wall,
            "time_to_verdict_seconds": {"p50": percentile(&ttv, 0.5), "p95": percentile(&ttv, 0.95), "max": ttv.last()},
            "max_queue_wait_seconds": max_wait,
            "fair_share_seconds": fair,
            "fair_share_definition": "server-side run time of all jobs (first seen running to seen done) / workers",
            "overtaken": overtaken,
            "peak": load.json(),
            "peak_hwm_mib": mib(load.hwm),
            "refused": refused,
            "verdicts_differing_from_verify": mismatched,
            "per_upload": uploads_json,
        },
        "targets": {
            "ratio_le_1_2": ratio <= 1.2,
            "queue_wait_le_fair_share": max_wait <= fair,
            "anon_le_1_gib": mib(load.anon) <= 1024.0,
            "idle_le_50_mib": mib(idle.rss) <= 50.0,
        },
    });

    // 4. A large upload, streamed, while its memory is read.
    figures["big"] = big_upload(dir, &client, case, pid, &bodies[0], big_mib, human)?;
    drop(server);
    std::fs::remove_dir_all(&data).ok();
    if json {
        outln!("{}", serde_json::to_string_pretty(&figures)?);
    }
    Ok(())
}

fn met(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "NOT met"
    }
}

/// Streams `mib` MiB made from `sample` to the server, reading its memory meanwhile;
/// returns once the server answered (its verification is not waited for: the bench stops
/// the server).
fn big_upload(
    dir: &Path,
    client: &Client,
    case: i64,
    pid: u32,
    sample: &[u8],
    mib_size: u64,
    human: bool,
) -> Result<serde_json::Value> {
    if mib_size == 0 {
        return Ok(serde_json::json!({"skipped": "--serve-big-mib 0"}));
    }
    let size = mib_size << 20;
    let need = size + (2 << 30);
    match free_bytes(dir) {
        Some(free) if free >= need => {}
        free => {
            let why = format!(
                "{} free in {}, {:.1} GiB needed",
                free.map_or("unknown space".to_owned(), |f| format!(
                    "{:.1} GiB",
                    f as f64 / (1u64 << 30) as f64
                )),
                dir.display(),
                need as f64 / (1u64 << 30) as f64
            );
            if human {
                outln!("  large upload skipped: {why}");
            }
            return Ok(serde_json::json!({"skipped": why}));
        }
    }
    let before = Mem::read(pid).unwrap_or_default();
    let sampler = Sampler::start(pid);
    let start = Instant::now();
    let body = ureq::SendBody::from_owned_reader(Repeated::new(sample, size));
    let sent = answer(
        client
            .agent
            .post(format!(
                "{}/api/v1/cases/{case}/samples?filename=large.csv",
                client.base
            ))
            .header("Authorization", &client.auth)
            .header("Content-Type", "application/octet-stream")
            .send(body),
    );
    let seconds = start.elapsed().as_secs_f64();
    let peak = sampler.finish();
    let (status, acc) = sent?;
    ensure!(status == 202, "the large upload answered {status}: {acc}");
    let growth = mib(peak.anon.saturating_sub(before.anon));
    if human {
        outln!(
            "  large upload: {mib_size} MiB streamed (chunked) in {seconds:.1} s ({:.0} MiB/s); server anon RSS {:.1} MiB before, peak {:.1} MiB during (+{growth:.1}; flat, i.e. < +{FLAT_MIB} MiB: {}), RSS peak {:.1} MiB; its verification was not waited for (the server is stopped)",
            mib_size as f64 / seconds,
            mib(before.anon),
            mib(peak.anon),
            met(growth < FLAT_MIB),
            mib(peak.rss)
        );
    }
    Ok(serde_json::json!({
        "bytes": size, "seconds": seconds, "mib_per_second": mib_size as f64 / seconds,
        "before": before.json(), "peak": peak.json(),
        "anon_growth_mib": growth, "flat": growth < FLAT_MIB,
    }))
}

#[cfg(test)]
mod tests {
    use super::{percentile, Repeated};
    use std::io::Read;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), 10.0);
        assert_eq!(percentile(&v, 0.95), 19.0);
        assert_eq!(percentile(&v, 1.0), 20.0);
        assert_eq!(percentile(&[3.0], 0.95), 3.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }

    #[test]
    fn a_large_body_is_the_header_then_the_lines_again_to_its_size() {
        let mut body = Vec::new();
        Repeated::new(b"a,b\n1,2\n3,4\n", 30)
            .read_to_end(&mut body)
            .expect("reading memory cannot fail");
        assert_eq!(body, b"a,b\n1,2\n3,4\n1,2\n3,4\n1,2\n3,4\n1,".to_vec());
    }
}
