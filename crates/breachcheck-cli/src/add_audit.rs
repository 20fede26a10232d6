//! `breachcheck index add-audit`: audit sets for the snapshots of an index built without
//! `--audit`, made from their recorded sources as the build would have made them, and
//! committed as a new commitment (snapshots are immutable; their segments do not change).
use crate::{keyfile, progress, ReadArgs};
use anyhow::Result;
use breachcheck_index::AuditSetWriter;
use breachcheck_pipeline::Input;
use std::path::Path;

pub(crate) fn run(key: &Path, index: &Path) -> Result<()> {
    let key = keyfile::read(key)?;
    let mut w = AuditSetWriter::open(index, &key)?;
    let missing = w.missing();
    if missing.is_empty() {
        outln!(
            "every system snapshot of {} already has an audit set; commitment unchanged ({})",
            index.display(),
            w.manifest().commitment.root
        );
        return Ok(());
    }
    for &i in &missing {
        let seg = w.manifest().segments[i].clone();
        let what = format!("{} @ {}", seg.system, seg.snapshot);
        let read = ReadArgs::from_recipe(seg.recipe.as_ref())?;
        let inputs = Input::recorded(&seg)?;
        let expected: Vec<String> = seg.sources.iter().map(|s| s.sha256.clone()).collect();
        let mut stored = w.stored_digests(i)?;
        let (filter, meta) = breachcheck_pipeline::audit_set_from_sources(
            &key,
            &inputs,
            &read.options(),
            read.region()?,
            &expected,
            &mut stored,
            index,
            &what,
            &progress::Bar::new(true),
        )?;
        w.set(i, &filter, meta)?;
        outln!("made the audit set of {what}");
    }
    let c = w.commit()?;
    outln!(
        "added audit sets to {} snapshot(s); new commitment {} — publish it with `breachcheck log append --index {}` before audits",
        missing.len(),
        c.root,
        index.display()
    );
    Ok(())
}
