//! `breachcheck bench --selfcheck`: the customers' private self-check (issue 17).
//!
//! - **The OPRF floor**: RFC 9497 `Evaluate` of distinct values on every core, the one
//!   evaluation per e-mail and phone that publishing cannot avoid; then `selfcheck
//!   publish` of a generated sample (verify run, reading, evaluating, sealing, storing)
//!   against it.
//! - **The server**: `breachcheck serve` as a child process answering private queries on
//!   loopback: its CPU per query (from `/proc/PID/stat` over sequential queries),
//!   queries a second with a bounded number in flight, latency, and the size of the
//!   answer for the claim's largest bucket (bytes and JSON).
//!
//! Queries are blinded before the clock starts (the client's work is the client's).
use super::serve::{agent, clock_tick, cpu_seconds, percentile, start_server};
use super::{build_stage, generate};
use crate::keyfile;
use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use breachcheck_selfcheck::{ClaimKey, Kind, Published, Query};
use rayon::prelude::*;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The claim the bench publishes.
const CLAIM: &str = "bench-claim";
/// Queries in flight during the throughput run.
const IN_FLIGHT: usize = 8;

/// Process CPU seconds of this process (user + system).
fn own_cpu(tick: f64) -> f64 {
    cpu_seconds("self", tick).0
}

/// The incident team's step before publishing: the sample uploaded to a case on the server
/// and verified there (a token made for the bench, the job polled until done).
fn verify_on_server(a: &ureq::Agent, base: &str, data: &Path, sample: &Path) -> Result<()> {
    let t = breachcheck_server::create_token(
        data,
        None,
        breachcheck_server::Role::Admin,
        "selfcheck-bench",
    )?;
    let auth = format!("Bearer {}", t.token.as_str());
    let json = |r: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>| -> Result<serde_json::Value> {
        let mut r = r.context("request to the bench server failed")?;
        let status = r.status().as_u16();
        let body = r.body_mut().read_to_string()?;
        if !(200..300).contains(&status) {
            bail!("the bench server answered {status}: {body}");
        }
        Ok(serde_json::from_str(&body)?)
    };
    let case = json(
        a.post(format!("{base}/api/v1/cases"))
            .header("Authorization", &auth)
            .header("Content-Type", "application/json")
            .send(r#"{"name":"self-check bench"}"#.as_bytes()),
    )?;
    let case = case["id"].as_i64().context("no case id")?;
    let body = std::fs::read(sample)?;
    let up = json(
        a.post(format!(
            "{base}/api/v1/cases/{case}/samples?filename=sample.csv"
        ))
        .header("Authorization", &auth)
        .header("Content-Type", "application/octet-stream")
        .send(&body[..]),
    )?;
    let job = up["job_id"].as_i64().context("no job id")?;
    let deadline = Instant::now() + Duration::from_secs(1800);
    loop {
        let j = json(
            a.get(format!("{base}/api/v1/jobs/{job}"))
                .header("Authorization", &auth)
                .call(),
        )?;
        match j["state"].as_str() {
            Some("done") => return Ok(()),
            Some("failed") => bail!("the server's verification failed: {}", j["error"]),
            _ if Instant::now() > deadline => bail!("the server's verification took over 30 min"),
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

pub(super) fn run(
    dir: &Path,
    records: usize,
    lines: usize,
    seconds: f64,
    json: bool,
) -> Result<()> {
    let tick = clock_tick();
    let export = dir.join("accounts.csv");
    let sample = dir.join(format!("selfcheck-sample-{lines}.csv"));
    generate(
        &breachcheck_synth::SYSTEMS[0],
        &export,
        &[(lines, sample.clone())],
        records,
        false,
        false,
        false,
    )?;
    let key_path = dir.join("bench.key");
    if !key_path.exists() {
        keyfile::generate(&key_path)?;
    }
    let key = keyfile::read(&key_path)?;
    let index = dir.join("selfcheck-index");
    if index.exists() {
        std::fs::remove_dir_all(&index)?;
    }
    build_stage(&key_path, &index, "2026-01-31", &export, &[])?;

    // The floor: Evaluate alone on every core.
    let cores = rayon::current_num_threads();
    let claim_key = ClaimKey::derive(&key, CLAIM)?;
    let floor_n = 20_000usize;
    let inputs: Vec<String> = (0..floor_n)
        .map(|i| format!("floor.{i}@example.org"))
        .collect();
    let t = Instant::now();
    inputs.par_iter().try_for_each(|v| {
        claim_key
            .evaluate_value(Kind::Email, v.as_bytes())
            .map(|o| {
                std::hint::black_box(o);
            })
    })?;
    let floor_rate = floor_n as f64 / t.elapsed().as_secs_f64();

    // The server, on a fresh data folder.
    let data = dir.join("selfcheck-data");
    if data.exists() {
        std::fs::remove_dir_all(&data)?;
    }
    std::fs::create_dir_all(&data)?;
    let log = dir.join("selfcheck-serve.log");
    let server = start_server(
        &index,
        &key_path,
        &data,
        &log,
        &[
            "--check-rate",
            "1000000",
            "--check-burst",
            "1000000",
            "--check-global-rate",
            "1000000",
        ],
    )?;
    let pid = server.child.id().to_string();
    let a = agent(Duration::from_secs(300));

    // Publishing, in this process (its CPU is this process's): first a sample the server
    // has not seen (the publication verifies it), then the same sample after the incident
    // team verified it on the server (the usual order: the publication reuses that run).
    let publish = |claim: &str| -> Result<(breachcheck_server::claims::PublishSummary, f64, f64)> {
        let (cpu0, t) = (own_cpu(tick), Instant::now());
        let s = breachcheck_server::claims::publish(breachcheck_server::claims::PublishRequest {
            data: &data,
            database: None,
            key: &key,
            claim,
            min_bucket: breachcheck_selfcheck::bucket::DEFAULT_MIN_BUCKET,
            sample: &sample,
            index: Some(index.clone()),
            region: None,
            options: Default::default(),
            by: "bench",
            progress: &breachcheck_pipeline::Silent,
        })?;
        Ok((s, t.elapsed().as_secs_f64(), own_cpu(tick) - cpu0))
    };
    let (fresh, fresh_wall, _) = publish("bench-fresh")?;
    verify_on_server(&a, &server.base, &data, &sample)?;
    let (published, publish_wall, publish_cpu) = publish(CLAIM)?;
    if published.verified_by_job.is_none() {
        bail!("the publication did not reuse the server's verification");
    }
    let values = published.row.values_published as f64;
    let floor_seconds = values / floor_rate;
    let ratio = publish_wall / floor_seconds;
    let fresh_ratio = fresh_wall / floor_seconds;
    std::thread::sleep(Duration::from_millis(1100));
    let info_url = format!("{}/api/v1/check/{CLAIM}/info", server.base);
    let check_url = format!("{}/api/v1/check/{CLAIM}", server.base);
    let mut r = a.get(&info_url).call().context("info")?;
    if r.status().as_u16() != 200 {
        bail!("the claim's info did not answer: {}", r.status());
    }
    let info: serde_json::Value = serde_json::from_str(&r.body_mut().read_to_string()?)?;
    let bits = info["bucket_bits"]
        .as_u64()
        .and_then(|b| u8::try_from(b).ok())
        .context("info without bucket_bits")?;

    // Requests blinded ahead: half e-mails of the sample's kind, half phones.
    let n_req = 4000usize;
    let requests: Vec<(u32, String)> = (0..n_req)
        .into_par_iter()
        .map(|i| {
            let (kind, v) = if i % 2 == 0 {
                (Kind::Email, format!("someone.{i}@example.org"))
            } else {
                (Kind::Phone, format!("+4930{:08}", i))
            };
            let q = Query::new(kind, v.as_bytes(), bits)?;
            Ok((
                q.bucket(),
                serde_json::json!({"bucket": q.bucket(), "blinded": B64.encode(q.blinded())})
                    .to_string(),
            ))
        })
        .collect::<Result<_, breachcheck_selfcheck::Error>>()?;
    let post = |agent: &ureq::Agent, body: &str, binary: bool| -> Result<(u16, usize)> {
        let mut r = agent
            .post(&check_url)
            .header("Content-Type", "application/json")
            .header(
                "Accept",
                if binary {
                    "application/octet-stream"
                } else {
                    "application/json"
                },
            )
            .send(body.as_bytes())
            .context("query")?;
        let status = r.status().as_u16();
        let n = r.body_mut().read_to_vec()?.len();
        Ok((status, n))
    };

    // CPU per query: one client, one query at a time.
    let seq = 1000.min(n_req);
    let c0 = cpu_seconds(&pid, tick).0;
    for (_, body) in &requests[..seq] {
        let (s, _) = post(&a, body, true)?;
        if s != 200 {
            bail!("a query was answered {s}");
        }
    }
    let cpu_per_query = (cpu_seconds(&pid, tick).0 - c0) / seq as f64;

    // Throughput with IN_FLIGHT queries at once for `seconds`.
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Vec::<f64>::new()));
    let requests = Arc::new(requests);
    let c0 = cpu_seconds(&pid, tick).0;
    let t = Instant::now();
    std::thread::scope(|s| {
        for w in 0..IN_FLIGHT {
            let (stop, done, failed, latencies, requests) = (
                Arc::clone(&stop),
                Arc::clone(&done),
                Arc::clone(&failed),
                Arc::clone(&latencies),
                Arc::clone(&requests),
            );
            let post = &post;
            s.spawn(move || {
                let agent = agent(Duration::from_secs(30));
                let mut mine = Vec::new();
                let mut i = w;
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    match post(&agent, &requests[i % requests.len()].1, true) {
                        Ok((200, _)) => {
                            done.fetch_add(1, Ordering::Relaxed);
                            mine.push(t.elapsed().as_secs_f64());
                        }
                        _ => {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    i += IN_FLIGHT;
                }
                latencies
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .extend(mine);
            });
        }
        std::thread::sleep(Duration::from_secs_f64(seconds));
        stop.store(true, Ordering::Relaxed);
    });
    let elapsed = t.elapsed().as_secs_f64();
    let load_cpu = cpu_seconds(&pid, tick).0 - c0;
    let answered = done.load(Ordering::Relaxed);
    let qps = answered as f64 / elapsed;
    let mut lat = std::mem::take(
        &mut *latencies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    lat.sort_by(f64::total_cmp);

    // The largest bucket's answer, as bytes and as JSON.
    let claim = Published::load(&data.join(&published.row.file))?;
    let (_, largest) = claim.bucket_size_range();
    let big = (0..(1u32 << bits))
        .find(|b| claim.bucket_entries(*b).map(<[_]>::len).ok() == Some(largest))
        .context("no largest bucket")?;
    let blinded = serde_json::from_str::<serde_json::Value>(&requests[0].1)?["blinded"].clone();
    let body = serde_json::json!({"bucket": big, "blinded": blinded}).to_string();
    let (_, binary_bytes) = post(&a, &body, true)?;
    let (_, json_bytes) = post(&a, &body, false)?;
    drop(server);

    let budget = 16 * 1024;
    let figures = serde_json::json!({
        "machine_cores": cores,
        "sample_lines": lines,
        "index_records": records,
        "oprf_floor_values_per_s": floor_rate,
        "publish": {
            "values": values,
            "bucket_bits": bits,
            "bucket_sizes": [published.bucket_sizes.0, published.bucket_sizes.1],
            "wall_s": publish_wall,
            "cpu_s": publish_cpu,
            "verify_s": published.seconds.verify,
            "read_s": published.seconds.read,
            "evaluate_s": published.seconds.publish,
            "floor_s": floor_seconds,
            "ratio_to_floor": ratio,
            "reused_job": published.verified_by_job,
            "matched_lines": published.matched_lines,
            "fresh": {
                "wall_s": fresh_wall,
                "verify_s": fresh.seconds.verify,
                "ratio_to_floor": fresh_ratio,
                "matched_lines": fresh.matched_lines,
            },
        },
        "server": {
            "cpu_per_query_ms": cpu_per_query * 1e3,
            "queries_per_s": qps,
            "in_flight": IN_FLIGHT,
            "answered": answered,
            "failed": failed.load(Ordering::Relaxed),
            "latency_p50_ms": percentile(&lat, 0.5) * 1e3,
            "latency_p99_ms": percentile(&lat, 0.99) * 1e3,
            "cpu_share_under_load": load_cpu / elapsed,
        },
        "largest_answer": {
            "entries": largest,
            "binary_bytes": binary_bytes,
            "json_bytes": json_bytes,
        },
        "targets": {
            "cpu_per_query_le_1ms": cpu_per_query <= 1e-3,
            "queries_per_s_ge_1000": qps >= 1000.0,
            "answer_le_16kib_binary": binary_bytes <= budget,
            "answer_le_16kib_json": json_bytes <= budget,
            "publish_within_20pct_of_floor": ratio <= 1.2,
        },
    });
    if json {
        outln!("{}", serde_json::to_string_pretty(&figures)?);
        return Ok(());
    }
    let met = |ok: bool| if ok { "met" } else { "NOT met" };
    outln!("self-check bench: sample of {lines} lines against {records} records, {cores} cores");
    outln!(
        "OPRF floor: {floor_rate:.0} evaluations/s on {cores} cores ({:.1} µs each per core)",
        cores as f64 / floor_rate * 1e6
    );
    outln!(
        "publish (sample verified on the server first, its run reused): {values:.0} distinct e-mails and phones in {publish_wall:.2} s wall, {publish_cpu:.2} s CPU (read {:.2} s, evaluate+seal {:.2} s); floor {floor_seconds:.2} s → {ratio:.2}× the floor [target ≤ 1.2: {}]",
        published.seconds.read,
        published.seconds.publish,
        met(ratio <= 1.2)
    );
    outln!(
        "publish (a sample the server has not verified: verified first, {:.2} s): {fresh_wall:.2} s wall → {fresh_ratio:.2}× the floor",
        fresh.seconds.verify
    );
    outln!(
        "buckets: {bits} bits, {} to {} entries (K = 100)",
        published.bucket_sizes.0,
        published.bucket_sizes.1
    );
    outln!(
        "server CPU per query: {:.3} ms [target ≤ 1 ms: {}]",
        cpu_per_query * 1e3,
        met(cpu_per_query <= 1e-3)
    );
    outln!(
        "throughput: {qps:.0} queries/s with {IN_FLIGHT} in flight over {elapsed:.1} s (client and server on the same cores), p50 {:.2} ms, p99 {:.2} ms, server CPU {:.2} cores, {} failed [target ≥ 1,000/s: {}]",
        percentile(&lat, 0.5) * 1e3,
        percentile(&lat, 0.99) * 1e3,
        load_cpu / elapsed,
        failed.load(Ordering::Relaxed),
        met(qps >= 1000.0)
    );
    outln!(
        "largest answer ({largest} entries): {binary_bytes} bytes binary [≤ 16 KiB: {}], {json_bytes} bytes JSON [{}]",
        met(binary_bytes <= budget),
        met(json_bytes <= budget)
    );
    Ok(())
}
