//! Markdown rendering of a report.
use crate::Report;
use std::fmt::Write;

pub(crate) fn render(r: &Report) -> String {
    let mut s = String::new();
    let v = &r.verdict;
    let _ = writeln!(s, "# breachcheck report\n");
    let _ = writeln!(s, "## Verdict: **{}**\n", v.class.as_str());
    match (&v.system, &v.snapshot) {
        (Some(sys), Some(snap)) => {
            let _ = write!(
                s,
                "Most likely source: system **{sys}**, snapshot **{snap}**"
            );
            if let Some([a, b]) = &v.snapshot_window {
                if a != b {
                    let _ = write!(s, " (equally consistent with snapshots {a} to {b})");
                }
            }
            let _ = writeln!(s, ".\n");
        }
        (Some(sys), None) => {
            let _ = writeln!(s, "Most likely source: system **{sys}**.\n");
        }
        _ => {}
    }
    let gf = &v.genuine_fraction;
    let _ = writeln!(
        s,
        "Estimated genuine fraction: **{:.1}%** (95% interval {:.1}% – {:.1}%) of {} records read.\n",
        100.0 * gf.estimate,
        100.0 * gf.ci95[0],
        100.0 * gf.ci95[1],
        r.sample.records_parsed
    );
    let _ = writeln!(s, "## Evidence\n");
    let _ = writeln!(s, "| evidence class | lines | share |\n|---|---:|---:|");
    let e = &r.matches.by_evidence;
    let total = e.total().max(1) as f64;
    for (name, n) in e.by_class() {
        let _ = writeln!(s, "| {name} | {n} | {:.1}% |", 100.0 * n as f64 / total);
    }
    if r.matches.joined > 0 {
        let _ = writeln!(
            s,
            "\n{} line(s) counted above as partial agree, field by field, with several records of one person (joined internal tables) and count as genuine.",
            r.matches.joined
        );
    }
    let _ = writeln!(s, "\n## Reasons\n");
    for reason in &v.reasons {
        let _ = writeln!(s, "- {reason}");
    }
    let _ = writeln!(s, "\n## What to do next\n");
    for step in &v.next_steps {
        let _ = writeln!(s, "- {step}");
    }
    let _ = writeln!(s, "\n## Matches per system and snapshot\n");
    let _ = writeln!(
        s,
        "| system | snapshot | kind | full record or better | any match |\n|---|---|---|---:|---:|"
    );
    for seg in &r.matches.by_segment {
        let kind = seg.kind();
        let _ = writeln!(
            s,
            "| {} | {} | {kind} | {} | {} |",
            seg.system, seg.snapshot, seg.full_or_better, seg.any_match
        );
    }
    if !r.matches.presence.is_empty() {
        let _ = writeln!(s, "\n## When the matching records were present\n");
        let _ = writeln!(
            s,
            "| system | first seen | last seen | lines |\n|---|---|---|---:|"
        );
        for p in &r.matches.presence {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                p.system, p.first_seen, p.last_seen, p.lines
            );
        }
    }
    if !r.matches.field_agreement.is_empty() {
        let _ = writeln!(s, "\n## Field agreement with the best candidate\n");
        let _ = writeln!(
            s,
            "| field | lines with it | agree | rate |\n|---|---:|---:|---:|"
        );
        for (f, a) in &r.matches.field_agreement {
            let _ = writeln!(
                s,
                "| {f} | {} | {} | {:.1}% |",
                a.present,
                a.agree,
                100.0 * a.rate
            );
        }
    }
    if let Some(l) = &r.matches.linkage {
        let _ = writeln!(
            s,
            "\n## Linkage model (Fellegi–Sunter, fitted to this sample)\n"
        );
        let _ = writeln!(
            s,
            "{} random pairs behind u, {} candidate pairs behind m; EM {} after {} iterations. A fuzzy record match needs a posterior of at least {}.\n",
            l.random_pairs,
            l.candidate_pairs,
            if l.converged { "converged" } else { "stopped" },
            l.iterations,
            l.fuzzy_posterior
        );
        let _ = writeln!(
            s,
            "| field | level | m | u | weight (bits) |\n|---|---|---:|---:|---:|"
        );
        for (f, levels) in &l.fields {
            for (lv, w) in levels {
                let _ = writeln!(
                    s,
                    "| {f} | {lv} | {:.4} | {:.2e} | {:.1} |",
                    w.m, w.u, w.weight
                );
            }
        }
    }
    if !r.matches.redacted_examples.is_empty() {
        let _ = writeln!(
            s,
            "\n## Redacted examples (asked for with --redacted-examples)\n"
        );
        let _ = writeln!(s, "| line | evidence | cells |\n|---:|---|---|");
        for e in &r.matches.redacted_examples {
            let cells: Vec<String> = e
                .cells
                .iter()
                .map(|c| format!("{}: `{}`", c.role, c.shape.replace('|', "\\|")))
                .collect();
            let _ = writeln!(s, "| {} | {} | {} |", e.line, e.evidence, cells.join(", "));
        }
    }
    let sm = &r.sample;
    let _ = writeln!(s, "\n## Sample\n");
    let _ = writeln!(
        s,
        "- file: `{}` ({} bytes), SHA-256 `{}`",
        sm.file_name, sm.bytes, sm.sha256
    );
    let _ = writeln!(
        s,
        "- lines: {} total = {} records + {} quarantined + {} header + {} blank + {} continuation",
        sm.lines_total,
        sm.records_parsed,
        sm.quarantined,
        sm.header_lines,
        sm.blank_lines,
        sm.continuation_lines
    );
    for p in &sm.parts {
        let _ = writeln!(
            s,
            "- part {}: {}, encoding {} (confidence {:.2})",
            p.index, p.layout.format, p.layout.encoding, p.layout.encoding_confidence
        );
    }
    let _ = writeln!(s, "- columns:");
    for (part, c) in sm.columns() {
        let _ = writeln!(
            s,
            "  - part {part} column {}: {} (confidence {:.2}, from {:?}, filled {:.0}%)",
            c.position,
            c.role,
            c.confidence,
            c.source,
            100.0 * c.fill_rate
        );
    }
    if sm.quarantined > 0 {
        let _ = writeln!(s, "\n### Quarantined lines\n");
        for (reason, n) in &sm.quarantine_by_reason {
            let _ = writeln!(s, "- {reason}: {n}");
        }
        let lines: Vec<String> = sm
            .quarantine
            .iter()
            .take(50)
            .map(|q| q.line.to_string())
            .collect();
        let more = if sm.quarantined as usize > lines.len() {
            ", …"
        } else {
            ""
        };
        let _ = writeln!(s, "\nLine numbers: {}{more}", lines.join(", "));
    }
    let sig = &r.signals;
    let _ = writeln!(s, "\n## Data-quality signals\n");
    for (what, n) in [
        ("impossible phone numbers", sig.phone_invalid),
        ("e-mails without a registrable domain", sig.email_invalid),
        (
            "e-mails at reserved example/test domains",
            sig.email_reserved,
        ),
        ("e-mails at disposable-mail providers", sig.email_disposable),
        (
            "postal codes that do not fit their country",
            sig.postal_code_invalid,
        ),
        ("impossible birth dates", sig.birth_date_invalid),
        ("records without any usable field", sig.empty_records),
        ("lines repeating an earlier line", sig.duplicate_records),
    ] {
        let _ = writeln!(s, "- {what}: {n}");
    }
    let _ = writeln!(s, "\n## Reproducibility\n");
    let _ = writeln!(
        s,
        "- breachcheck {} (normalize rules v{}), generated {}",
        r.tool.version, r.tool.rules_version, r.generated_at
    );
    let _ = writeln!(
        s,
        "- index commitment `{}` over {} records in {} segments (key fingerprint `{}`)",
        r.index.commitment.root,
        r.index.commitment.records,
        r.index.commitment.segments,
        r.index.key_fingerprint
    );
    s
}
