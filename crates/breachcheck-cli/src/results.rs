//! How the command line shows what the library's jobs return (`breachcheck_pipeline`):
//! build summaries, inspections and index information, as text or JSON.
use crate::progress::Bar;
use anyhow::Result;
use breachcheck_core::{SecretKey, Tagger};
use breachcheck_index::{Index, SegmentKind};
use breachcheck_ingest::IngestOptions;
use breachcheck_normalize::country::Region;
use breachcheck_normalize::Normalizer;
use breachcheck_pipeline::{BuildSummary, Inspection};
use std::path::Path;

/// Prints what an index build did: the sentence, or with `json` the
/// `breachcheck.index-build/v1` object with the index's new commitment.
pub(crate) fn report_build(
    s: &BuildSummary,
    index: &Path,
    system: &str,
    snapshot: &str,
    json: bool,
) -> Result<()> {
    if json {
        let v = serde_json::json!({
            "schema": "breachcheck.index-build/v1",
            "records": s.records,
            "quarantined": s.quarantined,
            "without_usable_field": s.skipped_empty,
            "seconds": s.seconds,
            "segment": s.segment,
            "commitment": Index::open(index)?.manifest().commitment,
        });
        outln!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print_build(s, system, snapshot);
    }
    Ok(())
}

/// Prints what an index build did.
pub(crate) fn print_build(s: &BuildSummary, system: &str, snapshot: &str) {
    outln!(
        "indexed {} records of {system} @ {snapshot} in {:.1}s ({} postings, {} bytes); {} quarantined, {} without any usable field",
        s.records, s.seconds, s.segment.postings, s.segment.bytes, s.quarantined, s.skipped_empty
    );
    if s.quarantined > 0 {
        eprintln!("warning: {} export line(s) could not be read and are not indexed; run `breachcheck inspect` on the files to see where", s.quarantined);
    }
}

/// `breachcheck inspect`: layout and line accounting of a file, never values.
pub(crate) fn inspect(
    path: &Path,
    opts: &IngestOptions,
    json: bool,
    quarantine_out: Option<&Path>,
) -> Result<()> {
    let outputs = std::sync::Mutex::new(breachcheck_files::Outputs::new());
    let found =
        breachcheck_pipeline::inspect(path, opts, quarantine_out, &outputs, &Bar::new(!json))?;
    outputs
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .commit()?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&found.to_json())?);
        return Ok(());
    }
    print_inspection(&found);
    Ok(())
}

fn print_inspection(found: &Inspection) {
    outln!("file:      {}", found.file);
    outln!("container: {:?}", found.container);
    for p in &found.parts {
        let l = &p.layout;
        outln!("part {}: {}", p.index, p.name);
        outln!(
            "  encoding: {} (confidence {:.2})",
            l.encoding,
            l.encoding_confidence
        );
        outln!(
            "  format:   {}, header {}",
            l.format,
            if l.has_header { "yes" } else { "no" }
        );
        outln!("  columns:");
        for c in &l.columns {
            let note = if c.confidence < 0.6 {
                "  (low confidence: confirm with --map)"
            } else {
                ""
            };
            outln!(
                "    {:>3}  {:<14} confidence {:.2}  from {:<7}  filled {:>5.1}%{note}",
                c.position,
                c.role.as_str(),
                c.confidence,
                format!("{:?}", c.source).to_lowercase(),
                100.0 * c.fill_rate
            );
        }
    }
    let stats = &found.lines;
    outln!(
        "lines:     {} total = {} records + {} quarantined + {} header + {} blank + {} continuation",
        stats.lines_total, stats.records, stats.quarantined, stats.header_lines, stats.blank_lines, stats.continuation_lines
    );
    for (r, n) in &found.quarantine_by_reason {
        outln!("  quarantined {r}: {n}");
    }
    if !found.quarantined_first.is_empty() {
        let list: Vec<String> = found
            .quarantined_first
            .iter()
            .map(|(p, l)| format!("{l} (part {p})"))
            .collect();
        outln!("  first quarantined lines: {}", list.join(", "));
    }
}

/// `breachcheck index info`.
pub(crate) fn info(dir: &Path, json: bool) -> Result<()> {
    let index = Index::open(dir)?;
    let m = index.manifest();
    let without_pages = index.segments_without_page_files();
    if json {
        let mut v = breachcheck_pipeline::index_info(m);
        v["page_files"] = serde_json::json!({ "segments_without": without_pages });
        outln!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    outln!("index:           {}", dir.display());
    outln!("format:          {}", m.format);
    outln!("rules version:   {}", m.rules_version);
    outln!("key fingerprint: {}", m.key_fingerprint);
    if without_pages.is_empty() {
        outln!("page files:      every segment has one");
    } else {
        outln!(
            "page files:      {} of {} segments have none (small verifies on a cold cache read whole 64 KiB chunks): `breachcheck index upgrade --index {}` writes them",
            without_pages.len(),
            m.segments.len(),
            dir.display()
        );
    }
    for name in m.systems() {
        outln!("system {name}:");
        for s in m
            .segments
            .iter()
            .filter(|s| s.kind == SegmentKind::System && s.system == name)
        {
            outln!(
                "  {}  {:>10} records ({} stored as new or changed, {} removed)  {:>12} bytes",
                s.snapshot,
                s.live,
                s.records,
                s.removed,
                s.bytes
            );
        }
    }
    for s in m
        .segments
        .iter()
        .filter(|s| s.kind == SegmentKind::Reference)
    {
        outln!(
            "reference corpus {} ({}): {} records",
            s.system,
            s.snapshot,
            s.records
        );
    }
    for s in m.segments.iter().filter(|s| s.kind == SegmentKind::Canary) {
        outln!(
            "canaries planted in {} on {}: {} records",
            s.system,
            s.snapshot,
            s.records
        );
    }
    let audit = breachcheck_pipeline::audit_status(m);
    let (with, of) = (audit.snapshots_with_set, audit.system_snapshots);
    match audit.oprf_public_key.as_deref() {
        Some(pk) if with == of && of > 0 => {
            outln!("audit sets:      every system snapshot ({of}); OPRF public key {pk}")
        }
        _ if with == 0 => outln!(
            "audit sets:      none (add them with `breachcheck index add-audit`; needed for `audit serve`)"
        ),
        _ => outln!(
            "audit sets:      {with} of {of} system snapshots (add the rest with `breachcheck index add-audit`)"
        ),
    }
    outln!(
        "commitment:      {} ({} records, {} canaries, {} segments)",
        m.commitment.root,
        m.commitment.records,
        m.commitment.canaries,
        m.commitment.segments
    );
    Ok(())
}

/// Writes the tags of every line of `sample_path` to a Parquet file (columns `line`,
/// `tag` — the first 40 bits, the form `index export` publishes —, `full`, `most_hits` and
/// `per_segment`, see [`breachcheck_export::SampleTagFile`]), for joins in other engines:
/// with `manifest`, every tag a verify looks up; without, the blocking tags alone. Returns
/// the number of rows written.
pub(crate) fn sample_tags(
    key: &SecretKey,
    sample_path: &Path,
    opts: &IngestOptions,
    region: Option<Region>,
    manifest: Option<&breachcheck_index::Manifest>,
    out: &Path,
    show_progress: bool,
) -> Result<u64> {
    let mut normalizer = Normalizer::new(Tagger::new(key), region);
    if let Some(m) = manifest {
        normalizer = normalizer.with_phone_regions(breachcheck_pipeline::company_phone_regions(m));
    }
    let mut file = breachcheck_export::SampleTagFile::create(out)?;
    breachcheck_pipeline::for_each_tagged_batch::<anyhow::Error>(
        sample_path,
        opts,
        &normalizer,
        &Bar::new(show_progress),
        |batch, tagged| {
            for (r, t) in batch.iter().zip(tagged) {
                let tags = if manifest.is_some() {
                    breachcheck_link::lookup_tags(t)
                } else {
                    breachcheck_link::block_tags(t)
                };
                for t in tags {
                    file.push(r.line, t.tag, t.most_hits)?;
                }
            }
            Ok(())
        },
    )?;
    Ok(file.finish()?)
}
