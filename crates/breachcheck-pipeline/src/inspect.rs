//! `inspect` as data: a file's layout (parts, encodings, formats, column roles) and line
//! accounting, never a value.
use crate::outputs::QuarantineFile;
use crate::progress::Progress;
use crate::stream::{begin, file_name, stream};
use crate::Result;
use breachcheck_files::Outputs;
use breachcheck_ingest::{Container, IngestOptions, LineStats, Part, Sample};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

/// What reading a file found.
#[derive(Debug)]
pub struct Inspection {
    /// The file's name.
    pub file: String,
    /// Its container (plain, compressed, archive, workbook).
    pub container: Container,
    /// Its parts (an archive's members, a workbook's sheets; one for a plain file).
    pub parts: Vec<Part>,
    /// The line accounting.
    pub lines: LineStats,
    /// Quarantined lines by reason code.
    pub quarantine_by_reason: BTreeMap<String, u64>,
    /// The first 20 quarantined lines as (part, line).
    pub quarantined_first: Vec<(u32, u64)>,
}

impl Inspection {
    /// The `breachcheck.inspect/v1` document.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "schema": "breachcheck.inspect/v1",
            "file": self.file,
            "container": self.container,
            "parts": self.parts,
            "lines": self.lines,
            "quarantine_by_reason": self.quarantine_by_reason,
            "quarantined_first": self.quarantined_first.iter().map(|(p, l)| serde_json::json!({"part": p, "line": l})).collect::<Vec<_>>(),
        })
    }
}

/// Reads `path` whole; with `quarantine_out`, also writes quarantined lines' raw text
/// there (staged in `outputs`).
pub fn inspect(
    path: &Path,
    opts: &IngestOptions,
    quarantine_out: Option<&Path>,
    outputs: &Mutex<Outputs>,
    progress: &dyn Progress,
) -> Result<Inspection> {
    let sample = Sample::open(path, opts)?;
    let mut by_reason: BTreeMap<String, u64> = BTreeMap::new();
    let mut first: Vec<(u32, u64)> = Vec::new();
    let mut qfile = quarantine_out
        .map(|p| QuarantineFile::create(p, outputs))
        .transpose()?;
    begin(progress, "reading", path, &sample);
    let (lines, parts) = stream(
        &sample,
        progress,
        qfile.as_mut(),
        |_, _| Ok(()),
        |q| {
            *by_reason.entry(q.reason.code().to_owned()).or_insert(0) += 1;
            if first.len() < 20 {
                first.push((q.part, q.line));
            }
        },
    )?;
    progress.end();
    if let Some(q) = qfile {
        q.finish()?;
    }
    Ok(Inspection {
        file: file_name(path),
        container: sample.container(),
        parts,
        lines,
        quarantine_by_reason: by_reason,
        quarantined_first: first,
    })
}
