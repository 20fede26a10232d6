//! A build beyond one machine, in two steps that keep normalization and keyed hashing one
//! code path: executors prepare the records of their share of a source's lines
//! ([`prepare_lines`], behind `breachcheck index prepare`), and one merge adds the
//! prepared records, in source order, to the snapshot's segment ([`build_prepared`], behind
//! `index build --prepared`). The segment is the one `index build` makes of the whole file.
//!
//! Why the head: how a file is read (encoding, delimiter, header, column roles, date order,
//! phone region) is sniffed from its first 256 KiB. An executor reads its lines behind the
//! file's own head, so it reads them exactly as a build of the whole file does.
use crate::stream::{stream, tag_batch};
use crate::{BuildSummary, Error, Result};
use breachcheck_core::{SecretKey, Tagger};
use breachcheck_index::{Prepared, SegmentBuilder, SegmentKind, SourceFile};
use breachcheck_ingest::{IngestOptions, Sample};
use breachcheck_normalize::country::Region;
use breachcheck_normalize::Normalizer;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

/// What preparing one line gave.
#[derive(Debug)]
pub enum PreparedLine {
    /// The record read at this (1-based physical) line of the source.
    Record(u64, Box<Prepared>),
    /// The line was quarantined (malformed); its reason code.
    Quarantined(u64, String),
}

/// Prepares the records of `lines` — (1-based physical line of the source, its bytes
/// without the line end), ascending — read behind `head`, the source's first lines (at
/// least its first 256 KiB, whole lines). Records of head lines not among `lines` are
/// another executor's and left out. A record that spans lines (a quoted line break) must
/// have all its lines in `lines`.
pub fn prepare_lines(
    key: &SecretKey,
    options: &IngestOptions,
    region: Option<Region>,
    head: &[u8],
    lines: &[(u64, Vec<u8>)],
    mut on: impl FnMut(PreparedLine) -> Result<()>,
) -> Result<()> {
    let head_lines = head.iter().filter(|b| **b == b'\n').count() as u64;
    if !head.is_empty() && head.last() != Some(&b'\n') {
        return Err(Error::Prepared(
            "the head must end at a line end (whole lines of the source's start)".into(),
        ));
    }
    let mut file = tempfile::Builder::new()
        .prefix(".breachcheck-prepare-")
        .tempfile()
        .map_err(|source| Error::TempFile {
            dir: std::env::temp_dir(),
            source,
        })?;
    let mut w = std::io::BufWriter::new(file.as_file_mut());
    let io = |source| Error::TempFile {
        dir: std::env::temp_dir(),
        source,
    };
    w.write_all(head).map_err(io)?;
    // Temporary line → source line, for the lines after the head.
    let mut after: Vec<u64> = Vec::new();
    let mut mine_in_head: std::collections::HashSet<u64> = std::collections::HashSet::new();
    for (n, bytes) in lines {
        if *n <= head_lines {
            mine_in_head.insert(*n);
            continue;
        }
        w.write_all(bytes).map_err(io)?;
        w.write_all(b"\n").map_err(io)?;
        after.push(*n);
    }
    w.flush().map_err(io)?;
    drop(w);
    let source_line = |t: u64| -> Option<u64> {
        if t <= head_lines {
            mine_in_head.contains(&t).then_some(t)
        } else {
            after.get((t - head_lines - 1) as usize).copied()
        }
    };
    let normalizer = Normalizer::new(Tagger::new(key), region);
    let sample = Sample::open(file.path(), options)?;
    let mut failed: Option<Error> = None;
    let mut quarantined: HashMap<u64, String> = HashMap::new();
    stream(
        &sample,
        &crate::Silent,
        None,
        |batch, roles| {
            let tagged = tag_batch(&normalizer, roles, &batch);
            for (r, t) in batch.iter().zip(tagged) {
                if let Some(n) = source_line(r.line) {
                    if let Err(e) = on(PreparedLine::Record(n, Box::new(Prepared::from_tagged(&t))))
                    {
                        failed = Some(e);
                        return Err(Error::Sink("stopped".into()));
                    }
                }
            }
            Ok(())
        },
        |q| {
            quarantined.insert(q.line, q.reason.code().to_owned());
        },
    )
    .map_err(|e| failed.take().unwrap_or(e))?;
    let mut q: Vec<(u64, String)> = quarantined
        .into_iter()
        .filter_map(|(t, reason)| source_line(t).map(|n| (n, reason)))
        .collect();
    q.sort();
    for (n, reason) in q {
        on(PreparedLine::Quarantined(n, reason))?;
    }
    Ok(())
}

/// Adds prepared records, in source order, to a new segment of `system` at `snapshot`
/// in the index at `dir`, read from `source` (its name as the manifest records it; its
/// SHA-256 unknown to the merge, so the segment cannot be rebuilt by `index rekey` from
/// it). The segment is byte for byte the one `index build` makes of the whole source.
pub fn build_prepared(
    dir: &Path,
    key: &SecretKey,
    system: &str,
    snapshot: &str,
    source: &str,
    records: impl Iterator<Item = Result<PreparedLine>>,
) -> Result<BuildSummary> {
    let start = std::time::Instant::now();
    let mut builder = SegmentBuilder::new(dir, key, system, snapshot, SegmentKind::System)?;
    builder.set_recipe(None);
    builder.add_source(SourceFile {
        name: source.to_owned(),
        sha256: String::new(),
        rows: 0,
        location: None,
    });
    let (mut skipped, mut quarantined, mut last) = (0u64, 0u64, 0u64);
    for item in records {
        match item? {
            PreparedLine::Record(line, p) => {
                if line <= last {
                    return Err(Error::Prepared(format!(
                        "prepared records out of source order (line {line} after {last}): merge the parts in order"
                    )));
                }
                last = line;
                if builder.add_prepared(line, &p) == breachcheck_index::Added::Empty {
                    skipped += 1;
                }
            }
            PreparedLine::Quarantined(..) => quarantined += 1,
        }
    }
    if builder.is_empty() {
        return Err(Error::NothingIndexed);
    }
    let records = builder.len() as u64;
    let segment = builder.commit()?;
    Ok(BuildSummary {
        records,
        skipped_empty: skipped,
        quarantined,
        segment,
        seconds: start.elapsed().as_secs_f64(),
    })
}
