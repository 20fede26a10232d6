//! How often content-only role inference agrees with the roles a header gives.
//!
//! For every headed input given (files, or directories searched for them), the first part's
//! header-derived roles are compared with the roles inferred from the same rows written
//! again without a header, as delimited text and as a MySQL `INSERT` without a column
//! list. Prints the agreement per input and in total, and which role a header gave and
//! which the values alone gave where they differ — roles and positions only, never values.
//!
//! ```text
//! cargo run --release -p breachcheck-cli -- bench --verdicts --quick --companies 3 --dir /tmp/roles-q
//! cargo run --release -p breachcheck-ingest --example roles_agreement -- /tmp/roles-q
//! ```
use breachcheck_core::FieldRole;
use breachcheck_ingest::{Event, Format, IngestOptions, Sample};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Rows rewritten per input: more than either sniffer looks at.
const ROWS: usize = 3000;

fn inputs(p: &Path, out: &mut Vec<PathBuf>) {
    if p.is_dir() {
        let Ok(rd) = std::fs::read_dir(p) else { return };
        let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for e in entries {
            inputs(&e, out);
        }
    } else if p.is_file() {
        out.push(p.to_owned());
    }
}

/// The first part's layout and up to [`ROWS`] of its records.
fn read(path: &Path) -> Option<(breachcheck_ingest::Layout, Vec<Vec<String>>)> {
    let sample = Sample::open(path, &IngestOptions::default()).ok()?;
    let mut layout = None;
    let mut rows = Vec::new();
    for ev in sample.records().ok()? {
        match ev {
            Event::Part(p) if layout.is_none() => layout = Some(p.layout),
            Event::Part(_) => break,
            Event::Record(r) if r.part == 0 => {
                rows.push(r.cells);
                if rows.len() >= ROWS {
                    break;
                }
            }
            _ => {}
        }
    }
    Some((layout?, rows))
}

fn roles(path: &Path) -> Option<Vec<FieldRole>> {
    let sample = Sample::open(path, &IngestOptions::default()).ok()?;
    sample.records().ok()?.find_map(|ev| match ev {
        Event::Part(p) => Some(p.layout.roles()),
        _ => None,
    })
}

fn delimited(rows: &[Vec<String>], d: u8) -> String {
    let d = char::from(d);
    let mut s = String::new();
    for r in rows {
        let cells: Vec<String> = r
            .iter()
            .map(|c| {
                if c.contains([d, '"', '\n', '\r']) {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c.clone()
                }
            })
            .collect();
        s.push_str(&cells.join(&d.to_string()));
        s.push('\n');
    }
    s
}

fn sql(rows: &[Vec<String>]) -> String {
    let mut s = String::from("-- MySQL dump 10.13\n");
    for chunk in rows.chunks(200) {
        let tuples: Vec<String> = chunk
            .iter()
            .map(|r| {
                let vals: Vec<String> = r
                    .iter()
                    .map(|c| {
                        if c.is_empty() {
                            "NULL".to_owned()
                        } else {
                            format!("'{}'", c.replace('\\', "\\\\").replace('\'', "\\'"))
                        }
                    })
                    .collect();
                format!("({})", vals.join(","))
            })
            .collect();
        s.push_str(&format!("INSERT INTO `t` VALUES {};\n", tuples.join(",")));
    }
    s
}

fn main() -> std::io::Result<()> {
    let mut files = Vec::new();
    for a in std::env::args_os().skip(1) {
        inputs(Path::new(&a), &mut files);
    }
    let tmp = tempfile::tempdir()?;
    let (mut total, mut agree_delim, mut agree_sql) = (0usize, 0usize, 0usize);
    let mut confusions: BTreeMap<(String, String), usize> = BTreeMap::new();
    for f in &files {
        let Some((layout, rows)) = read(f) else {
            continue;
        };
        if !layout.has_header || rows.is_empty() {
            continue;
        }
        let want = layout.roles();
        let d = match layout.format {
            Format::Delimited { delimiter, .. } if delimiter != b':' => delimiter,
            _ => b'\t',
        };
        let dp = tmp.path().join("x.txt");
        std::fs::File::create(&dp)?.write_all(delimited(&rows, d).as_bytes())?;
        let sp = tmp.path().join("x.sql");
        std::fs::File::create(&sp)?.write_all(sql(&rows).as_bytes())?;
        let got_d = roles(&dp).unwrap_or_default();
        let got_s = roles(&sp).unwrap_or_default();
        let mut line = Vec::new();
        let (mut ad, mut asq) = (0, 0);
        for (i, w) in want.iter().enumerate() {
            let gd = got_d.get(i).copied().unwrap_or(FieldRole::Ignore);
            let gs = got_s.get(i).copied().unwrap_or(FieldRole::Ignore);
            ad += usize::from(gd == *w);
            asq += usize::from(gs == *w);
            if gd != *w {
                *confusions
                    .entry((w.to_string(), gd.to_string()))
                    .or_insert(0) += 1;
                line.push(format!("col{} {w}→{gd} (csv)", i + 1));
            }
            if gs != *w {
                *confusions
                    .entry((w.to_string(), gs.to_string()))
                    .or_insert(0) += 1;
                line.push(format!("col{} {w}→{gs} (sql)", i + 1));
            }
        }
        total += want.len();
        agree_delim += ad;
        agree_sql += asq;
        println!(
            "{}: {}/{} csv, {}/{} sql  {}",
            f.display(),
            ad,
            want.len(),
            asq,
            want.len(),
            line.join(", ")
        );
    }
    println!("confusions (header role → content role):");
    for ((w, g), n) in &confusions {
        println!("  {w} → {g}: {n}");
    }
    let pct = |a: usize| 100.0 * a as f64 / total.max(1) as f64;
    println!(
        "agreement over {total} columns: delimited {agree_delim} ({:.1}%), sql {agree_sql} ({:.1}%)",
        pct(agree_delim),
        pct(agree_sql)
    );
    Ok(())
}
