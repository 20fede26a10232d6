//! `breachcheck demo`: a synthetic company with several systems and snapshots of
//! international customers, four leak samples of known composition, the index, and the
//! verdicts — in well under a minute with no setup.
use crate::keyfile;
use anyhow::{bail, Context, Result};
use breachcheck_index::SegmentKind;
use breachcheck_pipeline::{IndexJob, Input, Verifier};
use breachcheck_synth::{
    leak_sample, recycled_sample, write_table, Population, Table, TableFormat, SNAPSHOTS, SYSTEMS,
};
use std::path::{Path, PathBuf};

const MARKER: &str = ".breachcheck-demo";

/// One demo sample and what it really is.
struct DemoSample {
    name: &'static str,
    truth: &'static str,
    path: PathBuf,
}

fn prepare(dir: &Path) -> Result<()> {
    if dir.exists() {
        let empty = std::fs::read_dir(dir)?.next().is_none();
        if !empty && !dir.join(MARKER).exists() {
            bail!(
                "{} exists and is not an earlier demo; choose another --dir",
                dir.display()
            );
        }
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    for sub in ["exports", "samples", "reports"] {
        std::fs::create_dir_all(dir.join(sub))
            .with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(
        dir.join(MARKER),
        "synthetic data made by `breachcheck demo`; safe to delete\n",
    )?;
    Ok(())
}

pub(crate) fn run(dir: &Path, customers: usize, json: bool) -> Result<()> {
    let start = std::time::Instant::now();
    prepare(dir)?;
    let key_path = dir.join("company.key");
    keyfile::generate(&key_path)?;
    let key = keyfile::read(&key_path)?;
    let index = dir.join("index");
    let say = |msg: String| {
        if !json {
            outln!("{msg}");
        }
    };
    say(format!(
        "demo: a synthetic company with {customers} customers from 16 countries in {}",
        dir.display()
    ));

    let pop = Population::generate(2026, customers);
    let accounts = &SYSTEMS[0];
    // Canary records, planted in the accounts system from its first snapshot on.
    let mut canaries = leak_sample(&Table::default(), accounts, 0, 12, 0.0, 77);
    // Canaries get mailboxes on a domain the company controls, so mail to them is seen.
    let email = accounts
        .columns
        .iter()
        .position(|c| *c == "email")
        .context("accounts has an email column")?;
    for row in &mut canaries.rows {
        let local = row[email].split('@').next().unwrap_or("c").to_owned();
        row[email] = format!("{local}@kundenpost-relay.de");
    }
    let canary_path = dir.join("canaries.csv");
    write_table(
        &canary_path,
        &Table {
            header: canaries.header.clone(),
            rows: canaries.rows.clone(),
        },
        accounts.format,
    )?;
    let mut exports: Vec<((usize, usize), Table)> = Vec::new();
    for (si, snap) in SNAPSHOTS.iter().enumerate() {
        for (yi, sys) in SYSTEMS.iter().enumerate() {
            let mut t = pop.export(sys, si);
            if yi == 0 {
                t.rows.extend(canaries.rows.iter().cloned());
            }
            let ext = if sys.format == TableFormat::Ndjson {
                "ndjson"
            } else {
                "csv"
            };
            let path = dir
                .join("exports")
                .join(format!("{}-{snap}.{ext}", sys.name));
            write_table(&path, &t, sys.format)?;
            let s = IndexJob::new(&key, &index, sys.name, *snap)
                .inputs(vec![Input::File(path)])
                .recipe(breachcheck_index::Recipe::default())
                .run()?;
            say(format!(
                "  indexed {:>6} records of {:<9} @ {snap}",
                s.records, sys.name
            ));
            exports.push(((yi, si), t));
        }
    }
    let s = IndexJob::new(&key, &index, "accounts", SNAPSHOTS[0])
        .kind(SegmentKind::Canary)
        .inputs(vec![Input::File(canary_path)])
        .recipe(breachcheck_index::Recipe::default())
        .run()?;
    say(format!(
        "  registered {} canary records planted in accounts",
        s.records
    ));

    let export = |y: usize, s: usize| exports.iter().find(|(k, _)| *k == (y, s)).map(|(_, t)| t);
    let mut samples: Vec<DemoSample> = Vec::new();
    let mut add_sample = |name: &'static str,
                          truth: &'static str,
                          table: &Table,
                          format: TableFormat|
     -> Result<()> {
        let path = dir.join("samples").join(name);
        write_table(&path, table, format)?;
        samples.push(DemoSample { name, truth, path });
        Ok(())
    };
    // 1. A genuine copy of accounts at the second snapshot, re-headed and re-delimited by the seller.
    let acc = export(0, 1).context("accounts export missing (bug, please report)")?;
    let mut genuine = leak_sample(acc, accounts, 800, 0, 0.0, 11);
    genuine.header = [
        "id",
        "mail",
        "vorname",
        "nachname",
        "tel",
        "geburtsdatum",
        "land",
    ]
    .map(String::from)
    .to_vec();
    add_sample(
        "genuine-accounts.tsv",
        "genuine copy of accounts @ 2026-04-30",
        &genuine,
        TableFormat::Csv(b'\t'),
    )?;
    // 2. Fabricated people in the accounts projection, some phones impossible.
    let fabricated = leak_sample(
        &Table {
            header: acc.header.clone(),
            rows: Vec::new(),
        },
        accounts,
        0,
        800,
        0.2,
        12,
    );
    add_sample(
        "fabricated.csv",
        "fabricated people",
        &fabricated,
        TableFormat::Csv(b','),
    )?;
    // 3. 10% genuine order lines from the latest snapshot hidden among fabricated ones.
    let orders = export(1, 2).context("orders export missing (bug, please report)")?;
    let mixed = leak_sample(orders, &SYSTEMS[1], 100, 900, 0.0, 13);
    add_sample(
        "mixed-orders.csv",
        "10% genuine orders @ 2026-07-31",
        &mixed,
        TableFormat::Csv(b';'),
    )?;

    // 4. Another service's breach: 40% of its people are customers too, none of its rows
    // is a company record.
    let recycled = recycled_sample(&pop, 2, 400, 600, 14);
    add_sample(
        "recycled.csv",
        "another service's breach (40% shared people)",
        &recycled,
        TableFormat::Csv(b','),
    )?;

    let mut results = Vec::new();
    say(String::new());
    say(format!(
        "{:<22} {:<38} {:<12} {:<24} genuine fraction (95% CI)",
        "sample", "truth", "verdict", "source"
    ));
    for s in &samples {
        let out = Verifier::new(&key, &index).run(&s.path, &Default::default())?;
        let stem = s.name.rsplit_once('.').map_or(s.name, |(a, _)| a);
        let json_path = dir.join("reports").join(format!("{stem}.json"));
        let md_path = dir.join("reports").join(format!("{stem}.md"));
        breachcheck_report::write_atomic(&json_path, out.to_json()?.as_bytes())?;
        breachcheck_report::write_atomic(&md_path, out.to_markdown().as_bytes())?;
        breachcheck_report::write_atomic(
            &dir.join("reports").join(format!("{stem}.html")),
            out.to_html().as_bytes(),
        )?;
        let v = &out.verdict;
        let source = match (&v.system, &v.snapshot) {
            (Some(a), Some(b)) => format!("{a} @ {b}"),
            _ => "-".into(),
        };
        let gf = &v.genuine_fraction;
        say(format!(
            "{:<22} {:<38} {:<12} {:<24} {:>5.1}% ({:.1}–{:.1}%)",
            s.name,
            s.truth,
            v.class.as_str(),
            source,
            100.0 * gf.estimate,
            100.0 * gf.ci95[0],
            100.0 * gf.ci95[1]
        ));
        results.push(serde_json::json!({
            "sample": s.name,
            "truth": s.truth,
            "verdict": v.class.as_str(),
            "system": v.system,
            "snapshot": v.snapshot,
            "genuine_fraction": gf,
            "report": json_path,
        }));
    }
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"dir": dir, "results": results}))?
        );
    } else {
        outln!();
        outln!(
            "reports in {}; read one with: cat {}",
            dir.join("reports").display(),
            dir.join("reports/mixed-orders.md").display()
        );
        outln!("done in {:.1}s", start.elapsed().as_secs_f64());
    }
    Ok(())
}
