//! Files a job streams while it runs (matches, quarantined raw lines): each is written to
//! a temporary file beside its destination and staged in the caller's output set
//! (`breachcheck_files::Outputs`), so it appears only when every output of the command
//! was written, and not at all on a failure.
use crate::verify::MatchSink;
use crate::Result;
use breachcheck_files::{csv_field, Outputs};
use breachcheck_ingest::Quarantined;
use breachcheck_link::LineMatch;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

/// An output file staged into an output set when finished.
struct AtomicOutput<'o> {
    file: breachcheck_files::AtomicFile,
    outputs: &'o Mutex<Outputs>,
}

impl<'o> AtomicOutput<'o> {
    fn create(dest: &Path, outputs: &'o Mutex<Outputs>) -> Result<Self> {
        Ok(AtomicOutput {
            file: breachcheck_files::AtomicFile::create(dest)?,
            outputs,
        })
    }

    /// Writes formatted text, naming the destination on failure.
    fn write_fmt(&mut self, args: std::fmt::Arguments<'_>) -> Result<()> {
        self.file
            .write_fmt(args)
            .map_err(|e| self.file.write_error(e).into())
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        Ok(self.file.write_bytes(bytes)?)
    }

    fn finish(self) -> Result<()> {
        let staged = self.file.stage()?;
        self.outputs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .add(staged);
        Ok(())
    }
}

/// `--quarantine-out`: the raw text of every quarantined line, written only because the
/// user asked (the one place input values are written).
pub struct QuarantineFile<'o>(AtomicOutput<'o>);

impl<'o> QuarantineFile<'o> {
    /// Starts the file at `dest`, staged into `outputs` by [`QuarantineFile::finish`].
    pub fn create(dest: &Path, outputs: &'o Mutex<Outputs>) -> Result<Self> {
        let mut out = AtomicOutput::create(dest, outputs)?;
        writeln!(
            out,
            "# part\tline\treason\traw line (written because --quarantine-out was given)"
        )?;
        Ok(QuarantineFile(out))
    }

    pub(crate) fn write(&mut self, q: &Quarantined, raw: Option<&[u8]>) -> Result<()> {
        write!(self.0, "{}\t{}\t{}\t", q.part, q.line, q.reason.code())?;
        self.0.write_all(raw.unwrap_or(b"<not kept>"))?;
        self.0.write_all(b"\n")?;
        Ok(())
    }

    /// Stages the finished file.
    pub fn finish(self) -> Result<()> {
        self.0.finish()
    }
}

/// `--matches-out`: one CSV row per sample line
/// (`line,evidence,system,snapshot,source_file,source_row,score`), locations and classes
/// only, no values; streamed as lines are verified.
pub struct MatchesFile<'o>(AtomicOutput<'o>);

impl<'o> MatchesFile<'o> {
    /// Starts the file at `dest` with its header row.
    pub fn create(dest: &Path, outputs: &'o Mutex<Outputs>) -> Result<Self> {
        let mut out = AtomicOutput::create(dest, outputs)?;
        writeln!(
            out,
            "line,evidence,system,snapshot,source_file,source_row,score"
        )?;
        Ok(MatchesFile(out))
    }

    /// Stages the finished file.
    pub fn finish(self) -> Result<()> {
        self.0.finish()
    }
}

impl MatchSink for MatchesFile<'_> {
    fn line(
        &mut self,
        line: u64,
        m: &LineMatch,
        manifest: &breachcheck_index::Manifest,
    ) -> Result<()> {
        let best = m.best.as_ref();
        let seg = best.and_then(|b| manifest.segments.get(b.segment as usize));
        let (system, snapshot, file, row) = match (seg, best) {
            (Some(s), Some(b)) => (
                s.system.as_str(),
                s.snapshot.as_str(),
                s.sources
                    .get(b.source_file as usize)
                    .map_or("", |f| f.name.as_str()),
                b.source_row.to_string(),
            ),
            _ => ("", "", "", String::new()),
        };
        writeln!(
            self.0,
            "{line},{},{system},{snapshot},{},{row},{:.2}",
            m.evidence.as_str(),
            csv_field(file),
            best.map_or(0.0, |b| b.score)
        )?;
        Ok(())
    }
}
