//! A self-contained HTML report: one file, no script, no external request (styles inline,
//! charts as inline SVG), readable on screen and on paper. Holds what the JSON holds:
//! counts, rates, hashes and system names, never an input value. Hand-written markup: a
//! template engine would cost more build than these few tables and bars.
use crate::Report;
use std::fmt::Write;

/// Escapes text for HTML element content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1b1f24;max-width:60rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .5rem}h2{font-size:1.15rem;margin:2rem 0 .5rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}
.verdict{border:2px solid #1b1f24;border-radius:6px;padding:1rem 1.25rem;margin:1rem 0}
.verdict .class{font-size:1.6rem;font-weight:700;text-transform:uppercase;letter-spacing:.04em}
.genuine .class,.mixed .class{color:#b3261e}.fabricated .class,.recycled .class,.scraped .class{color:#1a7f37}.inconclusive .class{color:#9a6700}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #eaeef2}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
svg{display:block;margin:.5rem 0}svg text{font:12px system-ui,sans-serif;fill:#1b1f24}
code{font:13px ui-monospace,monospace;word-break:break-all}.muted{color:#57606a}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}table,svg,.verdict{break-inside:avoid}}";

/// Horizontal bars: one row per (label, value), scaled to `max` (at least 1).
fn bars(out: &mut String, title: &str, rows: &[(String, f64, String)], max: f64, color: &str) {
    let height = 22 * rows.len() + 8;
    let _ = write!(
        out,
        "<svg role=\"img\" aria-label=\"{}\" width=\"640\" height=\"{height}\" viewBox=\"0 0 640 {height}\">",
        esc(title)
    );
    let max = if max > 0.0 { max } else { 1.0 };
    for (i, (label, v, shown)) in rows.iter().enumerate() {
        let y = 4 + 22 * i;
        let w = (300.0 * v / max).max(if *v > 0.0 { 1.0 } else { 0.0 });
        let _ = write!(
            out,
            "<text x=\"0\" y=\"{}\">{}</text><rect x=\"240\" y=\"{y}\" width=\"{w:.1}\" height=\"16\" fill=\"{color}\"/><text x=\"{:.1}\" y=\"{}\">{}</text>",
            y + 13,
            esc(label),
            246.0 + w,
            y + 13,
            esc(shown)
        );
    }
    out.push_str("</svg>");
}

pub(crate) fn render(r: &Report) -> String {
    let v = &r.verdict;
    let mut s = String::with_capacity(16 * 1024);
    let _ = write!(
        s,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>breachcheck report: {}</title><style>{STYLE}</style></head><body>",
        esc(v.class.as_str())
    );
    let _ = write!(
        s,
        "<h1>breachcheck evidence report</h1><p class=\"muted\">sample <code>{}</code> · SHA-256 <code>{}</code> · generated {} · breachcheck {} (rules v{})</p>",
        esc(&r.sample.file_name),
        esc(&r.sample.sha256),
        esc(&r.generated_at),
        esc(&r.tool.version),
        r.tool.rules_version
    );
    // The verdict, first.
    let gf = &v.genuine_fraction;
    let _ = write!(
        s,
        "<section class=\"verdict {}\" id=\"verdict\"><div>Verdict</div><div class=\"class\">{}</div>",
        esc(v.class.as_str()),
        esc(v.class.as_str())
    );
    match (&v.system, &v.snapshot) {
        (Some(sys), Some(snap)) => {
            let _ = write!(
                s,
                "<p>Most likely source: system <b>{}</b>, snapshot <b>{}</b>",
                esc(sys),
                esc(snap)
            );
            if let Some([a, b]) = &v.snapshot_window {
                if a != b {
                    let _ = write!(s, " (equally consistent with {} to {})", esc(a), esc(b));
                }
            }
            s.push_str(".</p>");
        }
        (Some(sys), None) => {
            let _ = write!(s, "<p>Most likely source: system <b>{}</b>.</p>", esc(sys));
        }
        _ => {}
    }
    let _ = write!(
        s,
        "<p>Genuine fraction <b>{:.1}%</b> (95% interval {:.1}% – {:.1}%) of {} records read.</p></section>",
        100.0 * gf.estimate,
        100.0 * gf.ci95[0],
        100.0 * gf.ci95[1],
        r.sample.records_parsed
    );
    s.push_str("<h2>Reasons</h2><ul>");
    for reason in &v.reasons {
        let _ = write!(s, "<li>{}</li>", esc(reason));
    }
    s.push_str("</ul><h2>What to do next</h2><ul>");
    for step in &v.next_steps {
        let _ = write!(s, "<li>{}</li>", esc(step));
    }
    s.push_str("</ul>");

    // Evidence classes.
    let e = &r.matches.by_evidence;
    let total = e.total().max(1) as f64;
    let classes: Vec<(String, f64, String)> = e
        .by_class()
        .iter()
        .map(|(name, n)| {
            (
                (*name).to_owned(),
                *n as f64,
                format!("{n} ({:.1}%)", 100.0 * *n as f64 / total),
            )
        })
        .collect();
    s.push_str("<h2>Evidence classes</h2><p class=\"muted\">Each line counted once, in the strongest class it reaches.</p>");
    let max = classes.iter().map(|c| c.1).fold(0.0, f64::max);
    bars(&mut s, "evidence classes", &classes, max, "#0969da");

    // Per-field agreement.
    if !r.matches.field_agreement.is_empty() {
        s.push_str("<h2>Field agreement with the best candidate</h2>");
        let rows: Vec<(String, f64, String)> = r
            .matches
            .field_agreement
            .iter()
            .map(|(f, a)| {
                (
                    f.to_string(),
                    a.rate,
                    format!("{:.1}% of {}", 100.0 * a.rate, a.present),
                )
            })
            .collect();
        bars(&mut s, "field agreement", &rows, 1.0, "#8250df");
    }

    // Score distribution.
    if !r.matches.score_histogram.is_empty() {
        s.push_str("<h2>Score distribution</h2><p class=\"muted\">Best candidate's log2 likelihood ratio per line, in bins of 5.</p>");
        let rows: Vec<(String, f64, String)> = r
            .matches
            .score_histogram
            .iter()
            .map(|(bin, n)| (format!("{bin} to {}", bin + 5), *n as f64, n.to_string()))
            .collect();
        let max = rows.iter().map(|c| c.1).fold(0.0, f64::max);
        bars(&mut s, "score distribution", &rows, max, "#1a7f37");
    }

    // Snapshot timeline: whole-record matches per snapshot of each system.
    if !r.matches.by_segment.is_empty() {
        s.push_str("<h2>Snapshot timeline</h2><p class=\"muted\">Lines matching a record whole, per system snapshot (canaries and reference corpora apart).</p>");
        let rows: Vec<(String, f64, String)> = r
            .matches
            .by_segment
            .iter()
            .map(|seg| {
                let kind = match seg.kind() {
                    "system" => String::new(),
                    k => format!(" ({k})"),
                };
                (
                    format!("{} {}{kind}", seg.system, seg.snapshot),
                    seg.full_or_better as f64,
                    format!("{} whole, {} any", seg.full_or_better, seg.any_match),
                )
            })
            .collect();
        let max = rows.iter().map(|c| c.1).fold(0.0, f64::max);
        bars(&mut s, "snapshot timeline", &rows, max, "#bf3989");
        if !r.matches.presence.is_empty() {
            s.push_str("<table><tr><th>system</th><th>first seen</th><th>last seen</th><th class=\"n\">lines</th></tr>");
            for p in &r.matches.presence {
                let _ = write!(
                    s,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                    esc(&p.system),
                    esc(&p.first_seen),
                    esc(&p.last_seen),
                    p.lines
                );
            }
            s.push_str("</table>");
        }
    }

    // Validity rates: what generated data shows, next to the expectation for real data.
    let sig = &r.signals;
    let n = r.sample.records_parsed.max(1) as f64;
    let rows: Vec<(String, f64, String)> = [
        ("impossible phone", sig.phone_invalid),
        ("invalid e-mail domain", sig.email_invalid),
        ("reserved e-mail domain", sig.email_reserved),
        ("disposable e-mail", sig.email_disposable),
        ("impossible birth date", sig.birth_date_invalid),
        ("invalid postal code", sig.postal_code_invalid),
        ("repeated line", sig.duplicate_records),
    ]
    .iter()
    .map(|(what, k)| {
        (
            (*what).to_owned(),
            *k as f64 / n,
            format!("{k} ({:.1}%)", 100.0 * *k as f64 / n),
        )
    })
    .collect();
    s.push_str("<h2>Validity</h2><p class=\"muted\">Shares of lines with values real customer data rarely has (a few per cent at most in exports of live systems).</p>");
    bars(&mut s, "validity rates", &rows, 1.0, "#cf222e");

    // Custody.
    let sm = &r.sample;
    let _ = write!(
        s,
        "<h2>Sample and index</h2><table><tr><th>file</th><td><code>{}</code> ({} bytes)</td></tr><tr><th>SHA-256</th><td><code>{}</code></td></tr><tr><th>lines</th><td>{} total = {} records + {} quarantined + {} header + {} blank + {} continuation</td></tr><tr><th>index commitment</th><td><code>{}</code> ({} records, {} canaries, {} segments)</td></tr><tr><th>key fingerprint</th><td><code>{}</code></td></tr></table>",
        esc(&sm.file_name),
        sm.bytes,
        esc(&sm.sha256),
        sm.lines_total,
        sm.records_parsed,
        sm.quarantined,
        sm.header_lines,
        sm.blank_lines,
        sm.continuation_lines,
        esc(&r.index.commitment.root),
        r.index.commitment.records,
        r.index.commitment.canaries,
        r.index.commitment.segments,
        esc(&r.index.key_fingerprint)
    );
    s.push_str("</body></html>\n");
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn escaping() {
        assert_eq!(
            super::esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
