//! The text protocol between Spark executors and the merge of a build beyond one machine:
//! `index prepare` reads `LINE<TAB>BYTES` lines and writes, per line, `LINE<TAB>r<TAB>BASE64`
//! (a prepared record), `LINE<TAB>q<TAB>REASON` (a quarantined line) or `LINE<TAB>s` (no
//! record: the header, a blank line); `index build --prepared` reads the parts those lines
//! were saved in, in part order, and requires the job's `_SUCCESS` marker and every line
//! of `_LINES` (the source's line count) accounted for once. Text, because Spark carries
//! lines; base64, because a prepared record is bytes.
use anyhow::{bail, Context, Result};
use base64::Engine as _;
use breachcheck_core::SecretKey;
use breachcheck_index::Prepared;
use breachcheck_ingest::IngestOptions;
use breachcheck_normalize::country::Region;
use breachcheck_pipeline::PreparedLine;
use std::io::{BufRead, Read, Write};
use std::path::Path;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD_NO_PAD;

/// `index prepare`: stdin to stdout.
pub(crate) fn prepare_stdin(
    key: &SecretKey,
    head: &Path,
    options: &IngestOptions,
    region: Option<Region>,
) -> Result<()> {
    let head =
        std::fs::read(head).with_context(|| format!("cannot read the head {}", head.display()))?;
    let mut input = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut input)
        .context("cannot read stdin")?;
    let mut lines: Vec<(u64, Vec<u8>)> = Vec::new();
    for (i, l) in input.split(|b| *b == b'\n').enumerate() {
        if l.is_empty() {
            continue;
        }
        let tab = l
            .iter()
            .position(|b| *b == b'\t')
            .with_context(|| format!("stdin line {}: not LINE<TAB>BYTES", i + 1))?;
        let n: u64 = std::str::from_utf8(&l[..tab])
            .ok()
            .and_then(|s| s.parse().ok())
            .filter(|n| *n > 0)
            .with_context(|| format!("stdin line {}: the line number is not a number", i + 1))?;
        if lines.last().is_some_and(|(last, _)| *last >= n) {
            bail!("stdin line {}: line numbers must ascend", i + 1);
        }
        lines.push((n, l[tab + 1..].to_vec()));
    }
    drop(input);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed: Option<std::io::Error> = None;
    breachcheck_pipeline::prepare_lines(key, options, region, &head, &lines, |p| {
        let written = match &p {
            PreparedLine::Record(n, rec) => {
                writeln!(out, "{n}\tr\t{}", B64.encode(rec.to_bytes()))
            }
            PreparedLine::Quarantined(n, reason) => writeln!(out, "{n}\tq\t{reason}"),
            PreparedLine::Skipped(n) => writeln!(out, "{n}\ts"),
        };
        written.map_err(|e| {
            failed = Some(e);
            breachcheck_pipeline::Error::Prepared("stdout closed".into())
        })
    })
    .map_err(|e| match failed.take() {
        Some(io) => anyhow::Error::from(io).context("cannot write stdout"),
        None => e.into(),
    })?;
    out.flush().context("cannot write stdout")?;
    Ok(())
}

/// The source's line count and the prepared lines under `dir` (every file not starting
/// with `_` or `.`, in part order: `part-00002` before `part-00010`, `part-99999` before
/// `part-100000`), as `build_prepared` takes them. The job's `_SUCCESS` marker and `_LINES`
/// must be there: a directory copied or committed in part is refused.
pub(crate) fn read_parts(
    dir: &Path,
) -> Result<(
    u64,
    impl Iterator<Item = breachcheck_pipeline::Result<PreparedLine>>,
)> {
    if !dir.join("_SUCCESS").is_file() {
        bail!(
            "{} has no _SUCCESS marker: the job that prepared it did not finish, or it was copied in part",
            dir.display()
        );
    }
    let lines: u64 = std::fs::read_to_string(dir.join("_LINES"))
        .with_context(|| format!("cannot read {}", dir.join("_LINES").display()))?
        .trim()
        .parse()
        .with_context(|| format!("{} is not a line count", dir.join("_LINES").display()))?;
    let mut parts: Vec<std::path::PathBuf> = Vec::new();
    for e in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let e = e.with_context(|| format!("cannot read {}", dir.display()))?;
        let name = e.file_name();
        let name = name.to_string_lossy();
        if !name.starts_with('_') && !name.starts_with('.') && e.path().is_file() {
            parts.push(e.path());
        }
    }
    let order = |p: &std::path::PathBuf| {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        (name.len(), name)
    };
    parts.sort_by_key(order);
    if parts.is_empty() {
        bail!("{} holds no prepared parts", dir.display());
    }
    let items = parts.into_iter().flat_map(|path| {
        let file = std::fs::File::open(&path).map(std::io::BufReader::new);
        let (ok, err) = match file {
            Ok(f) => (
                Some(f.lines().enumerate().map({
                    let path = path.clone();
                    move |(i, l)| parse_line(&path, i + 1, l)
                })),
                None,
            ),
            Err(e) => (
                None,
                Some(Err(bad(&path, 0, &format!("cannot be read: {e}")))),
            ),
        };
        ok.into_iter().flatten().chain(err)
    });
    Ok((lines, items))
}

fn bad(path: &Path, line: usize, what: &str) -> breachcheck_pipeline::Error {
    breachcheck_pipeline::Error::Prepared(format!("{} line {line}: {what}", path.display()))
}

fn parse_line(
    path: &Path,
    i: usize,
    line: std::io::Result<String>,
) -> breachcheck_pipeline::Result<PreparedLine> {
    let line = line.map_err(|e| bad(path, i, &format!("cannot be read: {e}")))?;
    let mut f = line.splitn(3, '\t');
    let (Some(n), Some(kind)) = (f.next(), f.next()) else {
        return Err(bad(path, i, "not LINE<TAB>r|q|s<TAB>…"));
    };
    let n: u64 = n
        .parse()
        .map_err(|_| bad(path, i, "the line number is not a number"))?;
    if kind == "s" {
        return Ok(PreparedLine::Skipped(n));
    }
    let Some(rest) = f.next() else {
        return Err(bad(path, i, "not LINE<TAB>r|q<TAB>…"));
    };
    match kind {
        "r" => {
            let bytes = B64
                .decode(rest)
                .map_err(|_| bad(path, i, "the record is not base64"))?;
            let p = Prepared::from_bytes(&bytes).ok_or_else(|| {
                bad(
                    path,
                    i,
                    if Prepared::other_format(&bytes) {
                        "the record was prepared by another release of breachcheck (its row format is not this one's): run `index prepare` on the executors with this release"
                    } else {
                        "the record cannot be read"
                    },
                )
            })?;
            Ok(PreparedLine::Record(n, Box::new(p)))
        }
        "q" => Ok(PreparedLine::Quarantined(n, rest.to_owned())),
        _ => Err(bad(
            path,
            i,
            "neither a record (r) nor a quarantined line (q)",
        )),
    }
}
