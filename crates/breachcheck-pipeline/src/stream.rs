//! Reading a sample in batches: a reading thread decodes and splits lines while the
//! thread pool normalizes the batch before; column roles travel with each batch.
use crate::outputs::QuarantineFile;
use crate::progress::Progress;
use crate::{Error, Result};
use breachcheck_core::FieldRole;
use breachcheck_ingest::{Event, Part, Quarantined, RawRecord, Sample};
use breachcheck_normalize::{Normalizer, PartHints, TaggedRecord};
use breachcheck_report::RedactedCell;
use rayon::prelude::*;
use std::path::Path;

/// Records per parallel batch.
pub(crate) const BATCH: usize = 8192;

/// Batches read ahead of the one being processed: enough to keep the reader busy while
/// a batch is normalized, few enough that memory stays bounded by a handful of batches.
const READ_AHEAD: usize = 2;

/// What normalizing a part's records needs: its column roles and its dominant phone region.
#[derive(Clone, Debug)]
pub(crate) struct PartContext {
    pub(crate) roles: Vec<FieldRole>,
    pub(crate) hints: PartHints,
}

/// Streams `sample`'s events, handing records to `on_batch` in batches (with the column
/// roles of every part announced so far, indexed by part) and quarantine entries to
/// `on_quarantine`. Returns the line accounting and the parts read. An I/O failure
/// mid-file is an error: a half-read input must not look like a whole one.
///
/// Reading (decompression, decoding, splitting cells) is sequential by nature, so it runs
/// on a thread of its own, `READ_AHEAD` batches ahead, while `on_batch` normalizes the
/// previous batch on the thread pool (on 2 cores, reading a 1M-line CSV is about 2 s of
/// one core that normalizing no longer waits for). `on_quarantine` runs on the reading
/// thread, in line order; an error from `on_batch` stops the reader.
pub(crate) fn stream(
    sample: &Sample,
    progress: &dyn Progress,
    quarantine_out: Option<&mut QuarantineFile>,
    mut on_batch: impl FnMut(Vec<RawRecord>, &[PartContext]) -> Result<()>,
    on_quarantine: impl FnMut(Quarantined) + Send,
) -> Result<(breachcheck_ingest::LineStats, Vec<Part>)> {
    std::thread::scope(|scope| {
        let (tx, rx) =
            std::sync::mpsc::sync_channel::<(Vec<RawRecord>, Vec<PartContext>)>(READ_AHEAD);
        let reader = scope.spawn(move || {
            read_batches(
                sample,
                progress,
                quarantine_out,
                |batch, roles| {
                    // A closed channel means the consumer failed; its error is reported.
                    // Returning any error stops the reader; this one is never shown.
                    tx.send((batch, roles.to_vec()))
                        .map_err(|_| Error::Sink("processing stopped".into()))
                },
                on_quarantine,
            )
        });
        let mut failed = None;
        for (batch, roles) in rx.iter() {
            if let Err(e) = on_batch(batch, &roles) {
                failed = Some(e);
                break;
            }
        }
        // Dropping the receiver stops a reader that is still sending.
        drop(rx);
        let read = reader.join().map_err(|_| Error::ReaderPanicked)?;
        match failed {
            Some(e) => Err(e),
            None => read,
        }
    })
}

/// [`stream`]'s reading half, on the calling thread.
fn read_batches(
    sample: &Sample,
    progress: &dyn Progress,
    mut quarantine_out: Option<&mut QuarantineFile>,
    mut on_batch: impl FnMut(Vec<RawRecord>, &[PartContext]) -> Result<()>,
    mut on_quarantine: impl FnMut(Quarantined),
) -> Result<(breachcheck_ingest::LineStats, Vec<Part>)> {
    let mut records = sample.records()?;
    if quarantine_out.is_some() {
        records.dangerous_keep_quarantined_raw();
    }
    let mut batch = Vec::with_capacity(BATCH);
    let mut parts: Vec<Part> = Vec::new();
    let mut roles: Vec<PartContext> = Vec::new();
    // Not a `for` loop: quarantined raw text is taken from `records` inside the loop.
    #[allow(clippy::while_let_on_iterator)]
    while let Some(ev) = records.next() {
        match ev {
            Event::Part(p) => {
                roles.push(PartContext {
                    roles: p.layout.roles(),
                    hints: PartHints {
                        region: p
                            .layout
                            .phone_region
                            .as_deref()
                            .and_then(breachcheck_normalize::country::region),
                        month_first: p.layout.dates_month_first,
                    },
                });
                parts.push(p);
            }
            Event::Record(r) => {
                batch.push(r);
                if batch.len() == BATCH {
                    progress.advance(records.bytes_read(), BATCH as u64);
                    on_batch(
                        std::mem::replace(&mut batch, Vec::with_capacity(BATCH)),
                        &roles,
                    )?;
                }
            }
            Event::Quarantined(q) => {
                if let Some(out) = quarantine_out.as_deref_mut() {
                    out.write(&q, records.take_quarantined_raw().as_deref())?;
                }
                on_quarantine(q)
            }
            Event::Failed { after_line } => {
                return Err(Error::ReadFailed {
                    path: sample.path().to_owned(),
                    after_line,
                })
            }
        }
    }
    progress.advance(records.bytes_read(), batch.len() as u64);
    if !batch.is_empty() {
        on_batch(batch, &roles)?;
    }
    Ok((records.stats(), parts))
}

/// Announces the reading of `path` to `progress`: with its size when its bytes are
/// counted (a plain or compressed file), without for archives and workbooks.
pub(crate) fn begin(progress: &dyn Progress, what: &str, path: &Path, sample: &Sample) {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let total = match sample.container() {
        breachcheck_ingest::Container::Zip | breachcheck_ingest::Container::Ole => None,
        _ if size > 0 => Some(size),
        _ => None,
    };
    progress.begin(what, total);
}

/// Normalizes and tags `r` with its part's roles and region (no roles for a part never
/// announced, which cannot happen).
fn tag(normalizer: &Normalizer, parts: &[PartContext], r: &RawRecord) -> TaggedRecord {
    match parts.get(r.part as usize) {
        Some(p) => normalizer.tag_record_in(&p.roles, &r.cells, &p.hints),
        None => normalizer.tag_record::<String>(&[], &[]),
    }
}

/// Tags a batch in parallel, in order.
pub(crate) fn tag_batch(
    normalizer: &Normalizer,
    parts: &[PartContext],
    batch: &[RawRecord],
) -> Vec<TaggedRecord> {
    batch
        .par_iter()
        .map(|r| tag(normalizer, parts, r))
        .collect()
}

/// The redacted shapes of a record's cells by role (for `--redacted-examples`).
pub(crate) fn redacted_cells(parts: &[PartContext], r: &RawRecord) -> Vec<RedactedCell> {
    let Some(p) = parts.get(r.part as usize) else {
        return Vec::new();
    };
    p.roles
        .iter()
        .zip(&r.cells)
        .filter_map(|(role, cell)| {
            breachcheck_normalize::redact::redact(*role, cell).map(|shape| RedactedCell {
                role: role.as_str().into(),
                shape,
            })
        })
        .filter(|c| !c.shape.is_empty())
        .collect()
}

/// A path's file name (what reports and the manifest name an input by).
pub(crate) fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Reads `path` like `verify` does and hands every batch of records, tagged under
/// `normalizer`, to `on_batch` with their lines: for callers that write tags elsewhere
/// (`sample-tags`). Returns the records read.
pub fn for_each_tagged_batch<E>(
    path: &Path,
    opts: &breachcheck_ingest::IngestOptions,
    normalizer: &Normalizer,
    progress: &dyn Progress,
    mut on_batch: impl FnMut(&[RawRecord], &[TaggedRecord]) -> std::result::Result<(), E>,
) -> std::result::Result<u64, E>
where
    E: From<Error>,
{
    let sample = Sample::open(path, opts).map_err(Error::from)?;
    begin(progress, "tagging", path, &sample);
    let mut records = 0u64;
    let mut failed: Option<E> = None;
    let outcome = stream(
        &sample,
        progress,
        None,
        |batch, roles| {
            let tagged = tag_batch(normalizer, roles, &batch);
            records += batch.len() as u64;
            on_batch(&batch, &tagged).map_err(|e| {
                failed = Some(e);
                Error::Sink("stopped".into())
            })
        },
        |_| {},
    );
    progress.end();
    match (outcome, failed) {
        (_, Some(e)) => Err(e),
        (Err(e), None) => Err(e.into()),
        (Ok(_), None) => Ok(records),
    }
}
