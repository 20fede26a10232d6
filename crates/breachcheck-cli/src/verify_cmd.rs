//! `breachcheck verify`'s outputs, all or nothing: every input (key, signing key, the case
//! folder's log) is read and every destination opened before the sample is read; the
//! reports, the signature, the per-line CSV, the quarantine file and the case copies are
//! staged, and put in place together only when each of them was written; the custody
//! entry comes last, and if it cannot be written the new files are removed again.
use crate::{keyfile, print_verdict, progress, sig_path, VerifyArgs};
use anyhow::{bail, Context, Result};
use breachcheck_files::{AtomicFile, Outputs};
use breachcheck_pipeline::Verifier;
use breachcheck_report::custody::{self, Case, CustodyFile};
use std::path::Path;
use std::sync::Mutex;

/// Runs `verify` and writes its outputs.
pub(crate) fn run(a: VerifyArgs) -> Result<()> {
    // Inputs first: nothing is written before each of them was read.
    let key = keyfile::read(&a.key)?;
    let seed = a
        .sign_key
        .as_deref()
        .map(keyfile::read_signing_seed)
        .transpose()?;
    let region = a.read.region()?;
    let sig = a.sign_key.as_ref().map(|_| sig_path(&a.json));
    let mut dests: Vec<&Path> = vec![a.json.as_path()];
    dests.extend(sig.as_deref());
    dests.extend(a.md.as_deref());
    dests.extend(a.html.as_deref());
    dests.extend(a.matches_out.as_deref());
    dests.extend(a.quarantine_out.as_deref());
    for (i, d) in dests.iter().enumerate() {
        if dests[..i].contains(d) {
            bail!("{} is named for two outputs", d.display());
        }
    }
    // Destinations opened now, so a missing directory fails before the sample is read.
    let json_file = AtomicFile::create(&a.json)?;
    let sig_file = sig.as_deref().map(AtomicFile::create).transpose()?;
    let md_file = a.md.as_deref().map(AtomicFile::create).transpose()?;
    let html_file = a.html.as_deref().map(AtomicFile::create).transpose()?;
    // The case is locked and its log checked before any work.
    let mut case = a.case.as_deref().map(Case::open).transpose()?;

    let outputs = Mutex::new(Outputs::new());
    let report = Verifier::new(&key, a.index.clone().unwrap_or_default())
        .candidates(a.candidates.clone())
        .options(a.read.options())
        .region(region)
        .matches_out(a.matches_out.clone())
        .quarantine_out(a.quarantine_out.clone())
        .redacted_examples(a.redacted_examples)
        .progress(&progress::Bar::new(true))
        .run(&a.sample, &outputs)?;
    let mut outputs = outputs
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let rendered = breachcheck_report::Rendered::new(&report, seed.as_deref())?;
    let mut put = |file: AtomicFile, bytes: &[u8]| -> Result<()> {
        let mut file = file;
        file.write_bytes(bytes)?;
        outputs.add(file.stage()?);
        Ok(())
    };
    put(json_file, rendered.json.as_bytes())?;
    if let (Some(f), Some(s)) = (sig_file, &rendered.signature) {
        put(f, s.as_bytes())?;
    }
    if let Some(f) = md_file {
        put(f, rendered.markdown.as_bytes())?;
    }
    if let Some(f) = html_file {
        put(f, rendered.html.as_bytes())?;
    }
    // The case's copies, staged with the rest.
    let kept: Vec<CustodyFile> = match &case {
        Some(case) => case.stage_report_copies(&report, &rendered, &mut outputs)?,
        None => Vec::new(),
    };
    let placed = outputs.commit()?;
    if let (Some(case), Some(dir)) = (&mut case, &a.case) {
        let operator = a
            .operator
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .or_else(|| std::env::var("LOGNAME").ok())
            .unwrap_or_else(|| "unknown".into());
        let event = custody::Event::verification(&report, &operator);
        match case.append(event, kept, seed.as_deref()) {
            Ok(e) => outln!("case {}: entry {} of the custody log", dir.display(), e.seq),
            Err(e) => {
                placed.undo();
                return Err(e).with_context(|| {
                    format!(
                        "cannot add to the custody log of case {}; no output was kept",
                        dir.display()
                    )
                });
            }
        }
    }
    print_verdict(&report);
    Ok(())
}
