//! Measures the self-check's costs on this machine. Run in release mode:
//!
//! ```text
//! cargo run --release -p breachcheck-selfcheck --example measure [N...]
//! ```
//!
//! For each claim size N (default 100000) it publishes N generated e-mails and phones at
//! K = 100 and prints the publish rate, the OPRF floor (RFC 9497 `Evaluate` alone, the one
//! evaluation per value publishing cannot avoid), bucket bits and sizes, and the response
//! size; then the server's CPU per query (blind evaluation and DLEQ proof, bucket read) and
//! the client's. Every value is generated.
use breachcheck_core::SecretKey;
use breachcheck_selfcheck::publish::{encode_entries, ENTRY_LEN};
use breachcheck_selfcheck::{publish, server, ClaimKey, Disclosure, Kind, Published, Query, Value};
use rayon::prelude::*;
use std::time::Instant;

fn values(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let d = Disclosure {
                lines: 1 + (i % 3) as u64,
                fields: vec!["name".into(), "address".into(), "date_of_birth".into()],
                matched_company_records: Some(i % 2 == 0),
            };
            if i % 2 == 0 {
                Value::new(Kind::Email, format!("person.{i}@example.org"), d)
            } else {
                Value::new(Kind::Phone, format!("+4930{i:08}"), d)
            }
        })
        .collect()
}

/// CPU time of the calling thread in seconds (Linux `schedstat`), so that figures hold on
/// a machine shared with other jobs; `None` elsewhere.
fn thread_cpu() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns as f64 / 1e9)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let sizes = if sizes.is_empty() {
        vec![100_000]
    } else {
        sizes
    };
    let threads = rayon::current_num_threads();
    println!("rayon threads: {threads}");
    let company = SecretKey::from_bytes([42; 32]);
    let key = ClaimKey::derive(&company, "measure")?;

    // The OPRF floor: RFC 9497 Evaluate alone, the same key, one thread then all.
    let floor_n = 20_000;
    let seed = company.derive_subkey(breachcheck_selfcheck::key::SEED_CONTEXT);
    let raw = voprf::VoprfServer::<voprf::Ristretto255>::new_from_seed(
        &seed[..],
        b"breachcheck.selfcheck/v1 claim\0measure",
    )
    .map_err(|e| format!("{e:?}"))?;
    let inputs: Vec<Vec<u8>> = (0..floor_n)
        .map(|i| format!("email\0person.{i}@example.org").into_bytes())
        .collect();
    let t = Instant::now();
    let c = thread_cpu();
    for x in &inputs {
        std::hint::black_box(raw.evaluate(x).map_err(|e| format!("{e:?}"))?);
    }
    let floor_one = t.elapsed().as_secs_f64() / floor_n as f64;
    if let (Some(a), Some(b)) = (c, thread_cpu()) {
        println!(
            "OPRF floor, thread CPU: {:.1} µs/value",
            (b - a) / floor_n as f64 * 1e6
        );
    }
    let t = Instant::now();
    inputs
        .par_iter()
        .try_for_each(|x| {
            raw.evaluate(x).map(|o| {
                std::hint::black_box(o);
            })
        })
        .map_err(|e| format!("{e:?}"))?;
    let floor_all = t.elapsed().as_secs_f64() / floor_n as f64;
    println!(
        "OPRF floor (Evaluate): {:.1} µs/value on one thread, {:.1} µs/value on {threads} ({:.0} values/s)",
        floor_one * 1e6,
        floor_all * 1e6,
        1.0 / floor_all
    );

    let mut last = None;
    for &n in &sizes {
        let vs = values(n);
        let t = Instant::now();
        let published = publish(&key, &vs, 100)?;
        let secs = t.elapsed().as_secs_f64();
        let (lo, hi) = published.bucket_size_range();
        let info = published.info();
        let buckets = 1u64 << info.bucket_bits;
        println!(
            "publish N={n}: {secs:.2} s, {:.1} µs/value ({:.0} values/s, {:.2}× the floor); bits {}, {} buckets, sizes {lo}..{hi} (mean {:.0}), file {} bytes",
            secs / n as f64 * 1e6,
            n as f64 / secs,
            secs / n as f64 / floor_all,
            info.bucket_bits,
            buckets,
            info.entries as f64 / buckets as f64,
            published.to_bytes().len(),
        );
        println!(
            "  response at K=100: largest bucket {hi} entries = {} bytes raw, {} as base64 in one string, {} as a JSON list of base64 strings (+ 32 B element, 64 B proof, {} B bucket path raw)",
            hi * ENTRY_LEN,
            (hi * ENTRY_LEN).div_ceil(3) * 4,
            hi * ((ENTRY_LEN.div_ceil(3) * 4) + 3),
            32 * usize::from(info.bucket_bits),
        );
        let t = Instant::now();
        Published::from_bytes(&published.to_bytes())?;
        println!(
            "  load (check digest, offsets, order, root): {:.2} s",
            t.elapsed().as_secs_f64()
        );
        last = Some(published);
    }
    let Some(published) = last else {
        return Ok(());
    };

    // The server's CPU per query, one thread: evaluate + proof, then the bucket read.
    let info = published.info().clone();
    let q_n = 3_000;
    let queries: Vec<Query> = (0..q_n)
        .map(|i| {
            Query::new(
                Kind::Email,
                format!("person.{i}@example.org").as_bytes(),
                info.bucket_bits,
            )
        })
        .collect::<Result<_, _>>()?;
    let t = Instant::now();
    let c = thread_cpu();
    let answers: Vec<_> = queries
        .iter()
        .map(|q| server::evaluate(&key, q.blinded()))
        .collect::<Result<_, _>>()?;
    let eval = t.elapsed().as_secs_f64() / q_n as f64;
    let eval_cpu = c.zip(thread_cpu()).map(|(a, b)| (b - a) / q_n as f64);
    let t = Instant::now();
    let c = thread_cpu();
    let mut bytes = 0usize;
    for q in &queries {
        bytes += encode_entries(published.bucket_entries(q.bucket())?).len();
        bytes += 32 * published.bucket_proof(q.bucket())?.len();
    }
    let read = t.elapsed().as_secs_f64() / q_n as f64;
    let read_cpu = c.zip(thread_cpu()).map(|(a, b)| (b - a) / q_n as f64);
    if let (Some(e), Some(r)) = (eval_cpu, read_cpu) {
        println!(
            "server per query, thread CPU: evaluate + DLEQ proof {:.1} µs, bucket read, encode and path {:.1} µs",
            e * 1e6,
            r * 1e6
        );
    }
    println!(
        "server per query (one thread): evaluate + DLEQ proof {:.1} µs, bucket read, encode and path {:.1} µs (mean {} bytes) → {:.0} queries/s/core",
        eval * 1e6,
        read * 1e6,
        bytes / q_n,
        1.0 / (eval + read)
    );
    let t = Instant::now();
    let mut found = 0;
    for (q, (e, p)) in queries.into_iter().zip(answers) {
        let entries = published.bucket_entries(q.bucket())?;
        let path = published.bucket_proof(q.bucket())?;
        found += usize::from(q.finish(&info, &e, &p, entries, &path)?.is_some());
    }
    let fin = t.elapsed().as_secs_f64() / q_n as f64;
    println!(
        "client finish (verify proof, unblind, look up, open): {:.1} µs; {found} of {q_n} found",
        fin * 1e6
    );
    Ok(())
}
