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
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::Path;

/// What preparing one line gave: every line a share holds is accounted for once, so the
/// merge can tell a missing share from a line without a record.
#[derive(Debug)]
pub enum PreparedLine {
    /// The record read at this (1-based physical) line of the source.
    Record(u64, Box<Prepared>),
    /// The line was quarantined (malformed); its reason code.
    Quarantined(u64, String),
    /// The line holds no record: the header, a blank line.
    Skipped(u64),
}

impl PreparedLine {
    /// The source line it accounts for.
    pub fn line(&self) -> u64 {
        match self {
            PreparedLine::Record(n, _)
            | PreparedLine::Quarantined(n, _)
            | PreparedLine::Skipped(n) => *n,
        }
    }
}

/// Prepares the records of `lines` — (1-based physical line of the source, its bytes
/// without the `\n`), ascending — read behind `head`, the source's first lines (at least
/// its first 256 KiB, whole lines, each ending in `\n`). Hands `on` one [`PreparedLine`]
/// per line of `lines`, in line order; records of head lines not among `lines` are another
/// share's and left out.
///
/// Refused, because a share would then not read as the whole file does: a line of `lines`
/// inside the head whose bytes differ from the head's (the head is not this source's
/// start), a record spanning lines (a quoted line break, which another share may hold the
/// rest of), and any format but delimited text or NDJSON (one record per line).
pub fn prepare_lines(
    key: &SecretKey,
    options: &IngestOptions,
    region: Option<Region>,
    head: &[u8],
    lines: &[(u64, Vec<u8>)],
    mut on: impl FnMut(PreparedLine) -> Result<()>,
) -> Result<()> {
    if !head.is_empty() && head.last() != Some(&b'\n') {
        return Err(Error::Prepared(
            "the head must end at a line end (whole lines of the source's start)".into(),
        ));
    }
    let head_lines: Vec<&[u8]> = head
        .strip_suffix(b"\n")
        .map(|h| h.split(|b| *b == b'\n').collect())
        .unwrap_or_default();
    let head_count = head_lines.len() as u64;
    let mut temp = Temp::new()?;
    let io = |source| Error::TempFile {
        dir: std::env::temp_dir(),
        source,
    };
    let mut w = std::io::BufWriter::new(temp.file());
    w.write_all(head).map_err(io)?;
    // Temporary line → source line, for the lines after the head.
    let mut after: Vec<u64> = Vec::new();
    let mut mine_in_head: HashSet<u64> = HashSet::new();
    for (n, bytes) in lines {
        if *n == 0 {
            return Err(Error::Prepared("line numbers start at 1".into()));
        }
        if *n <= head_count {
            if head_lines[(*n - 1) as usize] != bytes.as_slice() {
                return Err(Error::Prepared(format!(
                    "line {n} differs from the head's line {n}: the head is not this source's start"
                )));
            }
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
        if t <= head_count {
            mine_in_head.contains(&t).then_some(t)
        } else {
            after.get((t - head_count - 1) as usize).copied()
        }
    };
    let normalizer = Normalizer::new(Tagger::new(key), region).for_index();
    let sample = Sample::open(&temp.path(), options)
        .map_err(|e| Error::Prepared(format!("the lines given cannot be read as a source: {e}")))?;
    let mut out: HashMap<u64, PreparedLine> = HashMap::new();
    let mut quarantined: HashMap<u64, String> = HashMap::new();
    let mut stray = false;
    let (stats, parts) = stream(
        &sample,
        &crate::Silent,
        None,
        |batch, roles| {
            let tagged = tag_batch(&normalizer, roles, &batch);
            for (r, t) in batch.iter().zip(tagged) {
                match source_line(r.line) {
                    Some(n) => {
                        out.insert(
                            n,
                            PreparedLine::Record(n, Box::new(Prepared::from_tagged(&t))),
                        );
                    }
                    None if r.line > head_count => stray = true,
                    None => {}
                }
            }
            Ok(())
        },
        |q| {
            if let Some(n) = source_line(q.line) {
                quarantined.insert(n, q.reason.code().to_owned());
            }
        },
    )?;
    for (n, reason) in quarantined {
        out.insert(n, PreparedLine::Quarantined(n, reason));
    }
    let one_per_line = parts.len() == 1
        && parts.iter().all(|p| {
            matches!(
                p.layout.format,
                breachcheck_ingest::Format::Delimited { .. } | breachcheck_ingest::Format::Ndjson
            )
        });
    if !one_per_line || stats.continuation_lines > 0 || stray {
        return Err(Error::Prepared(
            "the source does not hold one record per line (a quoted line break, several parts, or a format other than delimited text or NDJSON): build it on one machine".into(),
        ));
    }
    for (n, _) in lines {
        on(out.remove(n).unwrap_or(PreparedLine::Skipped(*n)))?;
    }
    Ok(())
}

/// The temporary file a share is read from: it holds plaintext, so on Linux it has no
/// name (a killed executor leaves nothing behind) and is opened through `/proc/self/fd`.
struct Temp {
    #[cfg(target_os = "linux")]
    file: std::fs::File,
    #[cfg(not(target_os = "linux"))]
    file: tempfile::NamedTempFile,
}

impl Temp {
    fn new() -> Result<Self> {
        let err = |source| Error::TempFile {
            dir: std::env::temp_dir(),
            source,
        };
        #[cfg(target_os = "linux")]
        let file = tempfile::tempfile().map_err(err)?;
        #[cfg(not(target_os = "linux"))]
        let file = tempfile::NamedTempFile::new().map_err(err)?;
        Ok(Temp { file })
    }

    fn file(&mut self) -> &mut std::fs::File {
        #[cfg(target_os = "linux")]
        return &mut self.file;
        #[cfg(not(target_os = "linux"))]
        return self.file.as_file_mut();
    }

    fn path(&self) -> std::path::PathBuf {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            std::path::PathBuf::from(format!("/proc/self/fd/{}", self.file.as_raw_fd()))
        }
        #[cfg(not(target_os = "linux"))]
        self.file.path().to_owned()
    }
}

/// Adds prepared lines — every one of the source's `lines` lines once, in order, else
/// nothing is committed — to a new segment of `system` at `snapshot` in the index at
/// `dir`, read from `source` (its name as the manifest records it; its SHA-256 unknown to
/// the merge, so `index rekey` cannot rebuild the segment from files). The segment file is
/// byte for byte the one `index build` makes of the whole source with the same read
/// options; the manifest entry differs (source, recipe), so the commitment does too.
pub fn build_prepared(
    dir: &Path,
    key: &SecretKey,
    system: &str,
    snapshot: &str,
    source: &str,
    lines: u64,
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
        let item = item?;
        let line = item.line();
        if line != last + 1 {
            return Err(Error::Prepared(if line <= last {
                format!("line {line} after line {last}: the parts are out of source order")
            } else {
                format!(
                    "lines {} to {} are missing: a part is missing",
                    last + 1,
                    line - 1
                )
            }));
        }
        last = line;
        match item {
            PreparedLine::Record(line, p) => {
                if builder.add_prepared(line, &p) == breachcheck_index::Added::Empty {
                    skipped += 1;
                }
            }
            PreparedLine::Quarantined(..) => quarantined += 1,
            PreparedLine::Skipped(_) => {}
        }
    }
    if last != lines {
        return Err(Error::Prepared(format!(
            "the parts account for {last} of the source's {lines} lines: a part is missing"
        )));
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
