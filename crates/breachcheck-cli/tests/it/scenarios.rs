//! Hard cases of each hypothesis, generated at test time: small samples, a copy with heavy
//! seller noise, a 5% mix, a recycled breach sharing most of its people with the company,
//! a tiny sample. Each
//! asserts the class, the source where there is one, and that the interval covers the
//! truth — and that no small sample is confidently wrong.
use crate::{build_args, key, p, read_json, run_ok, verify_args};
use breachcheck_synth::{
    leak_sample, recycled_sample, seller_noise, write_table, Population, TableFormat, SNAPSHOTS,
    SYSTEMS,
};
use std::path::Path;

fn verify(
    dir: &Path,
    k: &Path,
    idx: &Path,
    name: &str,
    t: &breachcheck_synth::Table,
) -> serde_json::Value {
    let path = dir.join(name);
    write_table(&path, t, TableFormat::Csv(b',')).expect("write sample");
    let json = dir.join(format!("{name}.json"));
    run_ok(&[verify_args(k, idx, &json), vec![p(&path)]].concat());
    read_json(&json)
}

fn covers(r: &serde_json::Value, truth: f64) -> bool {
    let ci = &r["verdict"]["genuine_fraction"]["ci95"];
    let (lo, hi) = (ci[0].as_f64().unwrap_or(1.0), ci[1].as_f64().unwrap_or(0.0));
    lo <= truth && truth <= hi
}

#[test]
fn each_hypothesis_on_its_hard_cases() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let k = key(dir);
    let idx = dir.join("idx");
    let pop = Population::generate(11, 1500);
    let accounts = &SYSTEMS[0];
    for (si, snap) in SNAPSHOTS.iter().enumerate() {
        let path = dir.join(format!("accounts-{snap}.csv"));
        write_table(&path, &pop.export(accounts, si), accounts.format).expect("export");
        run_ok(&build_args(&k, &idx, "accounts", snap, &path));
    }
    let latest = pop.export(accounts, 2);

    // 100 lines copied from the latest snapshot.
    let r = verify(
        dir,
        &k,
        &idx,
        "genuine-100.csv",
        &leak_sample(&latest, accounts, 100, 0, 0.0, 1),
    );
    assert_eq!(r["verdict"]["class"], "genuine", "{}", r["verdict"]);
    assert_eq!(r["verdict"]["system"], "accounts");
    assert!(covers(&r, 1.0));

    // 300 lines copied with a seller's noise: typos in names, stripped diacritics, swapped
    // names, reformatted phones and dates, customer ids left out of a third.
    let mut noisy = leak_sample(&latest, accounts, 300, 0, 0.0, 7);
    for (i, row) in noisy.rows.iter_mut().enumerate() {
        *row = seller_noise(accounts.columns, std::mem::take(row), i);
    }
    let r = verify(dir, &k, &idx, "genuine-noisy-300.csv", &noisy);
    assert_eq!(r["verdict"]["class"], "genuine", "{}", r["verdict"]);
    assert_eq!(r["verdict"]["system"], "accounts");
    assert!(covers(&r, 1.0), "{}", r["verdict"]["genuine_fraction"]);
    assert!(
        r["matches"]["by_evidence"]["fuzzy_record"].as_u64() > Some(30),
        "{}",
        r["matches"]["by_evidence"]
    );

    // 100 made-up people.
    let r = verify(
        dir,
        &k,
        &idx,
        "fabricated-100.csv",
        &leak_sample(&latest, accounts, 0, 100, 0.1, 2),
    );
    assert_eq!(r["verdict"]["class"], "fabricated", "{}", r["verdict"]);
    assert!(covers(&r, 0.0));

    // 5% genuine lines hidden among 1,000.
    let r = verify(
        dir,
        &k,
        &idx,
        "mix-5pct.csv",
        &leak_sample(&latest, accounts, 50, 950, 0.0, 3),
    );
    assert_eq!(r["verdict"]["class"], "mixed", "{}", r["verdict"]);
    assert_eq!(r["verdict"]["system"], "accounts");
    assert!(covers(&r, 0.05), "{}", r["verdict"]["genuine_fraction"]);

    // Another service's breach sharing 80% of its people with the company.
    let r = verify(
        dir,
        &k,
        &idx,
        "recycled-80.csv",
        &recycled_sample(&pop, 2, 800, 200, 4),
    );
    assert_eq!(r["verdict"]["class"], "recycled", "{}", r["verdict"]);
    assert!(covers(&r, 0.0), "{}", r["verdict"]["genuine_fraction"]);

    // Twenty lines, genuine or made up: never confidently wrong.
    let small_genuine = verify(
        dir,
        &k,
        &idx,
        "genuine-20.csv",
        &leak_sample(&latest, accounts, 20, 0, 0.0, 5),
    );
    let class = small_genuine["verdict"]["class"].as_str().unwrap_or("");
    assert!(
        matches!(class, "genuine" | "inconclusive"),
        "20 genuine lines read as {class}"
    );
    let small_fake = verify(
        dir,
        &k,
        &idx,
        "fabricated-20.csv",
        &leak_sample(&latest, accounts, 0, 20, 0.0, 6),
    );
    // Twenty unmatched lines: not ours, or too few to say — never an admission.
    assert!(
        matches!(
            small_fake["verdict"]["class"].as_str(),
            Some("inconclusive" | "fabricated")
        ),
        "{}",
        small_fake["verdict"]
    );
    assert!(covers(&small_fake, 0.0));
}

/// Lines repeated within a sample are counted and named as a sign of generated or padded
/// data.
#[test]
fn repeated_lines_are_counted() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let (k, idx, _) = crate::indexed(
        dir,
        "accounts",
        "2026-03-31",
        "a.csv",
        "email,full_name\nana@example.es,Ana Lopez\n",
    );
    let mut sample = String::from("email,full_name\n");
    for i in 0..60 {
        // Every fifth line repeats the one before it, spelled differently.
        if i % 5 == 4 {
            sample.push_str(&format!("P{}@EXAMPLE.NET, Person {} \n", i - 1, i - 1));
        } else {
            sample.push_str(&format!("p{i}@example.net,Person {i}\n"));
        }
    }
    let path = dir.join("s.csv");
    std::fs::write(&path, sample).expect("write");
    let json = dir.join("s.json");
    run_ok(&[verify_args(&k, &idx, &json), vec![p(&path)]].concat());
    let r = read_json(&json);
    assert_eq!(r["signals"]["duplicate_records"], 12, "{}", r["signals"]);
    assert!(r["verdict"]["reasons"]
        .to_string()
        .contains("12 line(s) (20.0%) repeat an earlier line"));
}

/// Made-up people drawn from short name lists repeat each other's names far more often
/// than real customers do: the report names that fingerprint; a copy of real records
/// shows none.
#[test]
fn a_naive_generator_leaves_a_fingerprint() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let k = key(dir);
    let idx = dir.join("idx");
    let pop = Population::generate(12, 1500);
    let accounts = &SYSTEMS[0];
    let path = dir.join("accounts.csv");
    let export = pop.export(accounts, 0);
    write_table(&path, &export, accounts.format).expect("export");
    run_ok(&build_args(&k, &idx, "accounts", SNAPSHOTS[0], &path));

    let first = [
        "John", "Mary", "James", "Anna", "Peter", "Laura", "Mark", "Emma",
    ];
    let last = ["Smith", "Brown", "Miller", "Jones", "Davis", "Wilson"];
    let mut naive = String::from("email,first_name,last_name,phone,birth_date,country\n");
    for i in 0..1500usize {
        let (f, l) = (first[i * 7 % 8], last[i * 5 % 6]);
        naive.push_str(&format!(
            "{}.{}{i}@mail.example,{f},{l},+1 202 555 {:04},19{:02}-{:02}-{:02},US\n",
            f.to_lowercase(),
            l.to_lowercase(),
            1000 + i * 37 % 9000,
            50 + i % 50,
            1 + i % 12,
            1 + i % 28
        ));
    }
    let s = dir.join("naive.csv");
    std::fs::write(&s, naive).expect("write");
    let json = dir.join("naive.json");
    run_ok(&[verify_args(&k, &idx, &json), vec![p(&s)]].concat());
    let r = read_json(&json);
    let reasons = r["verdict"]["reasons"].to_string();
    assert!(reasons.contains("generator fingerprint: name"), "{reasons}");
    assert!(r["signals"]["repetition"]
        .as_array()
        .is_some_and(|a| !a.is_empty()));

    let r = verify(
        dir,
        &k,
        &idx,
        "copy.csv",
        &leak_sample(&export, accounts, 600, 0, 0.0, 9),
    );
    let reasons = r["verdict"]["reasons"].to_string();
    assert!(!reasons.contains("generator fingerprint"), "{reasons}");
}
