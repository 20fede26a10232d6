//! The values a third-party audit evaluates, from either side: the company's audit set of
//! a segment (OPRF evaluations of its records' canonical values) and the auditor's
//! distinct canonical values of a sample, canonicalized exactly as `verify` does.
use crate::build::Input;
use crate::progress::Progress;
use crate::stream::{begin, stream, PartContext};
use crate::{Error, Result};
use breachcheck_audit::{AuditField, AuditSetBuilder, AuditValues};
use breachcheck_core::{FieldRole, MatchField, SecretKey, Tagger};
use breachcheck_ingest::{IngestOptions, RawRecord, Sample};
use breachcheck_normalize::country::Region;
use breachcheck_normalize::{Normalizer, TaggedRecord};
use rayon::prelude::*;
use std::path::Path;

/// The audit set of an existing segment (`index add-audit`): its sources re-read (each
/// must hash to `expected`), every record tagged as the build tagged it, and the values of
/// the records the segment stores — those whose content digest is among `stored`, which
/// is used up — evaluated as `index build --audit` would have. `spool_dir` takes a
/// database source's spool file (the index directory, whose next writer removes a
/// leftover one); `what` names the segment in messages.
#[allow(clippy::too_many_arguments)]
pub fn audit_set_from_sources(
    key: &SecretKey,
    inputs: &[Input],
    opts: &IngestOptions,
    region: Option<Region>,
    expected: &[String],
    stored: &mut std::collections::HashMap<u64, u32>,
    spool_dir: &Path,
    what: &str,
    progress: &dyn Progress,
) -> Result<(Vec<u8>, breachcheck_index::AuditSetMeta)> {
    let normalizer = Normalizer::new(Tagger::new(key), region).for_index();
    let mut audit = AuditSetBuilder::new(key)?;
    for (i, input) in inputs.iter().enumerate() {
        let opened = input.open(spool_dir)?;
        let path = opened.path();
        let sha256 = breachcheck_ingest::sha256_file(path).map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
        if expected.get(i) != Some(&sha256) {
            return Err(Error::SourceChanged {
                name: opened.name.clone(),
                consequence: format!("the audit set of {what} cannot be made from it"),
            });
        }
        let sample = Sample::open(path, opts)?;
        begin(
            progress,
            &format!("audit set of {what}: {}", opened.name),
            path,
            &sample,
        );
        stream(
            &sample,
            progress,
            None,
            |batch, roles| {
                let mut values = AuditValues::default();
                for (t, v) in audit_batch(&normalizer, roles, &batch, true) {
                    if t.is_empty() {
                        continue;
                    }
                    let d = breachcheck_index::RecordRow::digest_of(&t);
                    if let Some(n) = stored.get_mut(&d).filter(|n| **n > 0) {
                        *n -= 1;
                        values.extend(v);
                    }
                }
                audit.add(&values).map_err(Error::from)
            },
            |_| {},
        )?;
        progress.end();
    }
    if stored.values().any(|n| *n > 0) {
        return Err(Error::SourcesIncomplete { what: what.into() });
    }
    Ok(audit.finish())
}

/// A batch's audit values (see [`audit_values`]) in parallel, in order, with each
/// record's tags when `tag` (an index build) and without (an auditor's sample).
pub(crate) fn audit_batch(
    normalizer: &Normalizer,
    parts: &[PartContext],
    batch: &[RawRecord],
    tag: bool,
) -> Vec<(TaggedRecord, AuditValues)> {
    batch
        .par_iter()
        .map(|r| audit_values(normalizer, parts, r, tag))
        .collect()
}

/// Collects the canonical values an audit evaluates — e-mail, phone and name + street
/// address, exactly as verify canonicalizes them — and, when `tag`, tags the record.
fn audit_values(
    normalizer: &Normalizer,
    parts: &[PartContext],
    r: &RawRecord,
    tag: bool,
) -> (TaggedRecord, AuditValues) {
    let mut values = AuditValues::default();
    let Some(p) = parts.get(r.part as usize) else {
        return (normalizer.tag_record::<String>(&[], &[]), values);
    };
    let (mut name, mut address) = (None, None);
    let mut observe = |f: MatchField, v: &str| match f {
        MatchField::Email => values.push(AuditField::Email, v),
        MatchField::Phone => values.push(AuditField::Phone, v),
        MatchField::Name => name = Some(v.to_owned()),
        MatchField::Address => address = Some(v.to_owned()),
        _ => {}
    };
    let t = if tag {
        normalizer.tag_record_observed(&p.roles, &r.cells, &p.hints, &mut observe)
    } else {
        normalizer.observe_record(&p.roles, &r.cells, &p.hints, &mut observe);
        TaggedRecord::default()
    };
    if let (Some(n), Some(a)) = (name, address) {
        values.push(AuditField::NameAddress, &format!("{n}\0{a}"));
    }
    (t, values)
}

/// `parts` with every column that no field of `fields` reads set aside
/// ([`Normalizer::roles_read`]): the values of `fields` come out the same, and the rest
/// are not canonicalized at all.
fn parts_for(parts: &[PartContext], fields: &[AuditField]) -> Vec<PartContext> {
    let read: Vec<FieldRole> = fields
        .iter()
        .flat_map(|f| f.match_fields())
        .flat_map(|m| Normalizer::roles_read(*m))
        .copied()
        .collect();
    parts
        .iter()
        .map(|p| PartContext {
            roles: p
                .roles
                .iter()
                .map(|r| {
                    if read.contains(r) {
                        *r
                    } else {
                        FieldRole::Ignore
                    }
                })
                .collect(),
            hints: p.hints,
        })
        .collect()
}

/// The auditor's side of reading a sample: the distinct canonical values of `fields`
/// (e-mails, phones, name + address pairs) in `sample_path`, canonicalized exactly as
/// `verify` does with the company's `phone_regions` (no tags are made: the auditor has no
/// company key; the normalizer's key is a random one that nothing uses); columns no field
/// reads are skipped. Returns them and the number of records read.
pub fn audit_sample_values(
    sample_path: &Path,
    opts: &IngestOptions,
    region: Option<Region>,
    phone_regions: Vec<Region>,
    fields: &[AuditField],
    progress: &dyn Progress,
) -> Result<(AuditValues, u64)> {
    let sample = Sample::open(sample_path, opts)?;
    let mut throwaway = [0u8; 32];
    rand::TryRngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut throwaway[..])
        .map_err(|_| Error::Random)?;
    let normalizer = Normalizer::new(Tagger::new(&SecretKey::from_bytes(throwaway)), region)
        .with_phone_regions(phone_regions);
    let mut values = AuditValues::default();
    let mut records = 0u64;
    begin(progress, "reading", sample_path, &sample);
    stream(
        &sample,
        progress,
        None,
        |batch, roles| {
            records += batch.len() as u64;
            for (_, v) in audit_batch(&normalizer, &parts_for(roles, fields), &batch, false) {
                values.extend(v);
            }
            Ok(())
        },
        |_| {},
    )?;
    progress.end();
    values.retain(fields);
    values.dedup();
    Ok((values, records))
}
