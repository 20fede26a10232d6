//! `breachcheck bench --stages`: throughput of each stage on its own — ingest per format
//! (MB/s and records/s), normalization per role (values/s), and the phone normalizer next
//! to Google's libphonenumber through its Python port on the same numbers, in one run.
use anyhow::{Context, Result};
use breachcheck_core::FieldRole;
use breachcheck_ingest::{Event, IngestOptions, Sample};
use breachcheck_synth::{people_stream, write_table, Table, TableFormat, SYSTEMS};
use std::io::Write;
use std::path::Path;
use std::time::Instant;

fn ingest_rate(path: &Path) -> Result<(f64, u64, f64)> {
    let bytes = std::fs::metadata(path)?.len();
    let start = Instant::now();
    let sample = Sample::open(path, &IngestOptions::default())?;
    let mut n = 0u64;
    for ev in sample.records()? {
        if let Event::Record(_) = ev {
            n += 1;
        }
    }
    Ok((start.elapsed().as_secs_f64(), n, bytes as f64 / 1e6))
}

fn sql_dump(t: &Table) -> String {
    let mut s = String::from("-- MySQL dump\nCREATE TABLE `accounts` (\n");
    s.push_str(
        &t.header
            .iter()
            .map(|h| format!("  `{h}` varchar(255)"))
            .collect::<Vec<_>>()
            .join(",\n"),
    );
    s.push_str("\n) ENGINE=InnoDB;\n");
    for chunk in t.rows.chunks(500) {
        s.push_str("INSERT INTO `accounts` VALUES ");
        let tuples: Vec<String> = chunk
            .iter()
            .map(|r| {
                format!(
                    "({})",
                    r.iter()
                        .map(|c| format!("'{}'", c.replace('\\', "\\\\").replace('\'', "\\'")))
                        .collect::<Vec<_>>()
                        .join(",")
                )
            })
            .collect();
        s.push_str(&tuples.join(","));
        s.push_str(";\n");
    }
    s
}

pub(crate) fn run(dir: &Path, records: usize, json: bool) -> Result<()> {
    let accounts = &SYSTEMS[0];
    let people: Vec<_> = people_stream(7).take(records).collect();
    let table = Table {
        header: accounts.columns.iter().map(|c| c.to_string()).collect(),
        rows: people.iter().map(|p| p.row(accounts, 0)).collect(),
    };
    let mut results = Vec::new();
    let mut formats: Vec<(&str, std::path::PathBuf)> = Vec::new();
    let csv = dir.join("s.csv");
    write_table(&csv, &table, TableFormat::Csv(b','))?;
    formats.push(("csv", csv.clone()));
    let tsv = dir.join("s.tsv");
    write_table(&tsv, &table, TableFormat::Csv(b'\t'))?;
    formats.push(("tsv", tsv));
    let nd = dir.join("s.ndjson");
    write_table(&nd, &table, TableFormat::Ndjson)?;
    formats.push(("ndjson", nd.clone()));
    let arr = dir.join("s.json");
    let objs: Vec<String> = std::fs::read_to_string(&nd)?
        .lines()
        .map(str::to_owned)
        .collect();
    std::fs::write(&arr, format!("[{}]", objs.join(",\n")))?;
    formats.push(("json-array", arr));
    let sql = dir.join("s.sql");
    std::fs::write(&sql, sql_dump(&table))?;
    formats.push(("sql-insert", sql));
    let gz = dir.join("s.csv.gz");
    {
        let mut e = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz)?,
            flate2::Compression::default(),
        );
        e.write_all(&std::fs::read(&csv)?)?;
        e.finish()?;
    }
    formats.push(("csv.gz", gz));
    let zst = dir.join("s.csv.zst");
    std::fs::write(&zst, zstd::encode_all(std::fs::read(&csv)?.as_slice(), 3)?)?;
    formats.push(("csv.zst", zst));
    for (name, path) in &formats {
        let (secs, n, mb) = ingest_rate(path)?;
        results.push(serde_json::json!({"stage": "ingest", "format": name, "records": n, "file_mb": mb, "seconds": secs,
            "mb_per_second": mb / secs, "records_per_second": n as f64 / secs}));
    }

    // Normalization per role, one thread, over the export's values.
    let col = |name: &str| accounts.columns.iter().position(|c| *c == name);
    for (role, column) in [
        (FieldRole::Email, "email"),
        (FieldRole::Phone, "phone"),
        (FieldRole::FirstName, "first_name"),
        (FieldRole::LastName, "last_name"),
        (FieldRole::BirthDate, "birth_date"),
        (FieldRole::Country, "country"),
        (FieldRole::CustomerId, "customer_id"),
    ] {
        let Some(i) = col(column) else { continue };
        let start = Instant::now();
        let mut ok = 0u64;
        for r in &table.rows {
            ok +=
                u64::from(breachcheck_normalize::canonical_value(role, &r[i], None, None).is_ok());
        }
        let secs = start.elapsed().as_secs_f64();
        results.push(serde_json::json!({"stage": "normalize", "role": role.as_str(), "values": table.rows.len(), "canonical": ok,
            "seconds": secs, "values_per_second": table.rows.len() as f64 / secs}));
    }
    let addresses: Vec<String> = people
        .iter()
        .map(|p| p.row(&SYSTEMS[1], 0)[3].clone())
        .collect();
    let start = Instant::now();
    for a in &addresses {
        let _ = breachcheck_normalize::canonical_value(FieldRole::Address, a, None, None);
    }
    let secs = start.elapsed().as_secs_f64();
    results.push(serde_json::json!({"stage": "normalize", "role": "address", "values": addresses.len(), "seconds": secs,
        "values_per_second": addresses.len() as f64 / secs}));

    // Phones in national format with their region: breachcheck versus libphonenumber (Python).
    let national: Vec<(String, String)> = people
        .iter()
        .map(|p| {
            let r = p.row(&SYSTEMS[1], 0);
            (
                r[7].clone(),
                breachcheck_normalize::country::iso2(&r[6])
                    .unwrap_or("US")
                    .to_owned(),
            )
        })
        .collect();
    let phones_file = dir.join("phones.tsv");
    std::fs::write(
        &phones_file,
        national
            .iter()
            .map(|(p, r)| format!("{p}\t{r}\n"))
            .collect::<String>(),
    )?;
    let start = Instant::now();
    for (p, r) in &national {
        let _ = breachcheck_normalize::canonical_value(FieldRole::Phone, p, Some(r), None);
    }
    let ours = start.elapsed().as_secs_f64();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/bench_phone.py");
    let python = std::process::Command::new("python3")
        .arg(&script)
        .arg(&phones_file)
        .output();
    let reference = match python {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout)
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<f64>().ok()),
        _ => None,
    };
    results.push(serde_json::json!({"stage": "phone-vs-libphonenumber", "numbers": national.len(),
        "breachcheck_seconds": ours, "breachcheck_per_second": national.len() as f64 / ours,
        "python_phonenumbers_seconds": reference, "python_phonenumbers_per_second": reference.map(|s| national.len() as f64 / s),
        "speedup": reference.map(|s| s / ours)}));

    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&results).context("serialize")?
        );
        return Ok(());
    }
    outln!("breachcheck bench --stages: {records} synthetic records (one thread per stage)");
    for r in &results {
        match r["stage"].as_str() {
            Some("ingest") => outln!(
                "  ingest    {:<11} {:>8.1} MB/s  {:>10.0} records/s",
                r["format"].as_str().unwrap_or(""),
                r["mb_per_second"].as_f64().unwrap_or(0.0),
                r["records_per_second"].as_f64().unwrap_or(0.0)
            ),
            Some("normalize") => outln!(
                "  normalize {:<11} {:>10.0} values/s",
                r["role"].as_str().unwrap_or(""),
                r["values_per_second"].as_f64().unwrap_or(0.0)
            ),
            _ => match r["python_phonenumbers_per_second"].as_f64() {
                Some(py) => outln!(
                    "  phone E.164 + validity: breachcheck {:.0}/s, libphonenumber (Python phonenumbers) {:.0}/s: {:.1}x",
                    r["breachcheck_per_second"].as_f64().unwrap_or(0.0),
                    py,
                    r["speedup"].as_f64().unwrap_or(0.0)
                ),
                None => outln!(
                    "  phone E.164 + validity: breachcheck {:.0}/s (Python phonenumbers not installed: pip install phonenumbers)",
                    r["breachcheck_per_second"].as_f64().unwrap_or(0.0)
                ),
            },
        }
    }
    Ok(())
}
