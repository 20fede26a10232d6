//! The log's human-readable publication: `index.html` (a static page, no script, one
//! inline style allowed by its own hash) and `feed.xml` (Atom 1.0, RFC 4287), both made
//! from [`Statement::describe`], newest entry first.
//!
//! Rendered by hand rather than with a template engine: two small fixed layouts do not
//! earn a dependency on 2 cores, and every value goes through one of two escapers
//! ([`text`] for element content and attribute values, [`xml_text`] for the feed), so
//! what escapes is reviewable in one place.
use crate::describe::{shell_word, Description, EntryAt};
use crate::{Entry, Head};

/// What the pages show: the signed head, the key to pin, and the entries (number, entry).
pub(crate) struct Pages<'a> {
    pub(crate) head: &'a Head,
    pub(crate) verifier_key: &'a str,
    /// Absolute base URL of the publication (ending in `/`), when known: links become
    /// absolute and check commands read the log from there; otherwise links are relative
    /// and commands read the directory they run in (`.`).
    pub(crate) base_url: Option<&'a str>,
    pub(crate) entries: &'a [(u64, Entry)],
}

/// Escapes `s` for HTML or XML element content and (double- or single-quoted) attribute
/// values. Characters XML 1.0 does not allow (C0 controls other than tab, newline and
/// carriage return; U+FFFE, U+FFFF) become U+FFFD, so free text can never make the
/// feed ill-formed.
pub(crate) fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// [`text`], for the feed (the same rules; named apart so a reader sees which format).
fn xml_text(s: &str) -> String {
    text(s)
}

/// The style of the page: inline, allowed by its hash in the page's own CSP.
const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}\
header{border-bottom:1px solid #ccc;margin-bottom:1rem}\
article{border-bottom:1px solid #e4e4e4;padding:.5rem 0 1rem}\
h2{font-size:1.2rem;margin:.5rem 0}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}\
dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}\
pre{background:#f4f4f4;padding:.5rem;overflow-x:auto;white-space:pre-wrap;overflow-wrap:break-word}\
.muted{color:#555}";

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(A[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `'sha256-…'`: the CSP source allowing exactly [`STYLE`].
fn style_hash() -> String {
    let hex = breachcheck_report::custody::sha256_hex(STYLE.as_bytes());
    // sha256_hex always gives 64 hex digits, so this is always Some.
    let bytes = breachcheck_core::unhex::<32>(&hex).unwrap_or([0; 32]);
    format!("'sha256-{}'", base64(&bytes))
}

/// The anchor of entry `n` on the page.
pub(crate) fn anchor(n: u64) -> String {
    format!("entry-{n}")
}

impl Pages<'_> {
    fn from(&self) -> &str {
        self.base_url.unwrap_or(".")
    }

    fn describe(&self, n: u64, e: &Entry) -> Description {
        e.statement.describe(&EntryAt {
            entry: n,
            from: self.from(),
            verifier_key: self.verifier_key,
        })
    }

    /// A link to `name` in the publication: absolute under the base URL, else relative.
    fn link(&self, name: &str) -> String {
        match self.base_url {
            Some(b) => format!("{b}{name}"),
            None => name.to_owned(),
        }
    }

    /// Entries newest first (the log's order is the order of statements).
    fn newest_first(&self) -> impl Iterator<Item = &(u64, Entry)> {
        let mut v: Vec<&(u64, Entry)> = self.entries.iter().collect();
        v.sort_by_key(|e| std::cmp::Reverse(e.0));
        v.into_iter()
    }

    /// `index.html`.
    pub(crate) fn html(&self) -> String {
        let origin = text(&self.head.origin);
        let mut h = String::new();
        h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        // No script, no request anywhere: the page says so itself, whatever the server.
        h.push_str(&format!(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src {}; base-uri 'none'; form-action 'none'\">\n",
            style_hash()
        ));
        h.push_str(&format!(
            "<title>Transparency log of {origin}</title>\n<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Statements of {origin}\" href=\"{}\">\n<style>{STYLE}</style>\n</head>\n<body>\n",
            text(&self.link("feed.xml"))
        ));
        h.push_str(&format!(
            "<header>\n<h1>Transparency log of {origin}</h1>\n"
        ));
        h.push_str("<p>Every statement the company made about its records and about claimed leaks, signed and appended to a public, append-only log (a Merkle tree, RFC 9162). A statement cannot be changed or removed later without every copy of the log showing it. No statement holds personal data: only names of systems, counts, dates and hashes.</p>\n<dl>\n");
        for (label, value) in [
            ("Log", self.head.origin.clone()),
            ("Entries", self.head.size.to_string()),
            ("Root", self.head.root.clone()),
            ("Verifier key (pin it)", self.verifier_key.to_owned()),
        ] {
            h.push_str(&format!(
                "<dt>{}</dt><dd><code>{}</code></dd>\n",
                text(label),
                text(&value)
            ));
        }
        h.push_str("</dl>\n<p>Check the whole log against the key you pinned");
        if self.base_url.is_none() {
            h.push_str(" (run in a copy of this directory)");
        }
        h.push_str(":</p>\n");
        h.push_str(&format!(
            "<pre><code>{}</code></pre>\n",
            text(&format!(
                "breachcheck log verify --from {} --public-key {}",
                shell_word(self.from()),
                shell_word(self.verifier_key)
            ))
        ));
        h.push_str(&format!(
            "<p><a href=\"{}\">Atom feed of these statements</a></p>\n</header>\n<main>\n",
            text(&self.link("feed.xml"))
        ));
        if self.entries.is_empty() {
            h.push_str("<p>The log holds no statement yet.</p>\n");
        }
        for (n, e) in self.newest_first() {
            let d = self.describe(*n, e);
            let id = anchor(*n);
            h.push_str(&format!(
                "<article id=\"{id}\" data-kind=\"{}\">\n<h2><a href=\"#{id}\">Entry {n}</a> · {}</h2>\n",
                d.kind,
                text(&d.title)
            ));
            h.push_str(&format!(
                "<p class=\"muted\">{}</p>\n<p>{}</p>\n<dl>\n",
                date_html(&d.date),
                text(&d.summary)
            ));
            for f in &d.facts {
                h.push_str(&format!(
                    "<dt>{}</dt><dd>{}</dd>\n",
                    text(f.label),
                    text(&f.value)
                ));
            }
            h.push_str("</dl>\n");
            for c in &d.checks {
                h.push_str(&format!(
                    "<p>{}</p>\n<pre><code>{}</code></pre>\n",
                    text(&c.what),
                    text(&c.command)
                ));
            }
            h.push_str("</article>\n");
        }
        h.push_str("</main>\n</body>\n</html>\n");
        h
    }

    /// `feed.xml`: one Atom entry per statement, newest first. Entry ids are
    /// `urn:breachcheck:log:ORIGIN:entry:N`: an entry never changes (the log only grows,
    /// and a rewrite is caught by every client), so the id is stable across publications.
    pub(crate) fn atom(&self) -> String {
        let origin = &self.head.origin;
        let updated = self
            .entries
            .iter()
            .map(|(_, e)| atom_time(statement_date(e)))
            .max()
            .unwrap_or_else(|| EPOCH.to_owned());
        let mut x = String::new();
        x.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
        x.push_str(&format!(
            "<id>{}</id>\n<title>Statements of {}</title>\n<subtitle>The transparency log of {}: {} entries, root {}.</subtitle>\n<updated>{updated}</updated>\n<author><name>{}</name></author>\n",
            xml_text(&format!("urn:breachcheck:log:{origin}")),
            xml_text(origin),
            xml_text(origin),
            self.head.size,
            xml_text(&self.head.root),
            xml_text(origin),
        ));
        x.push_str(&format!(
            "<link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            xml_text(&self.link("feed.xml")),
            xml_text(&self.link("index.html")),
        ));
        for (n, e) in self.newest_first() {
            let d = self.describe(*n, e);
            let mut content = format!("{}\n\n", d.summary);
            for f in &d.facts {
                content.push_str(&format!("{}: {}\n", f.label, f.value));
            }
            for c in &d.checks {
                content.push_str(&format!("\n{}\n  {}\n", c.what, c.command));
            }
            x.push_str(&format!(
                "<entry>\n<id>{}</id>\n<title>{}</title>\n<updated>{}</updated>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n<category term=\"{}\"/>\n<summary type=\"text\">{}</summary>\n<content type=\"text\">{}</content>\n</entry>\n",
                xml_text(&format!("urn:breachcheck:log:{origin}:entry:{n}")),
                xml_text(&format!("Entry {n}: {}", d.title)),
                atom_time(&d.date),
                xml_text(&format!("{}#{}", self.link("index.html"), anchor(*n))),
                d.kind,
                xml_text(&d.summary),
                xml_text(&content),
            ));
        }
        x.push_str("</feed>\n");
        x
    }
}

/// What a statement whose date is not one gets in the feed (Atom requires a time).
const EPOCH: &str = "1970-01-01T00:00:00Z";

fn statement_date(e: &Entry) -> &str {
    use crate::Statement::*;
    match &e.statement {
        IndexCommitment { date, .. }
        | Verification { date, .. }
        | AuditTranscript { date, .. }
        | Update { date, .. }
        | SelfcheckClaim { date, .. }
        | SelfcheckWithdrawal { date, .. } => date,
    }
}

/// `YYYY-MM-DD` when `d` starts with one (the CLI writes dates so).
fn day(d: &str) -> Option<&str> {
    let b = d.as_bytes();
    let shape = b.len() >= 10
        && b[..10].iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    shape.then(|| &d[..10])
}

/// An RFC 3339 time for Atom's `updated`: the statement's day at midnight UTC, or
/// [`EPOCH`] when the date is not a date (Atom requires a valid time).
fn atom_time(d: &str) -> String {
    day(d).map_or_else(|| EPOCH.to_owned(), |d| format!("{d}T00:00:00Z"))
}

fn date_html(d: &str) -> String {
    match day(d) {
        Some(day) if day.len() == d.len() => format!("<time datetime=\"{day}\">{day}</time>"),
        _ => text(d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_quotes_and_forbidden_characters() {
        assert_eq!(
            text("<script>alert(\"x\")</script> & 'y'"),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(text("a\u{0}b\u{1b}c\td"), "a\u{FFFD}b\u{FFFD}c\td");
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn atom_times() {
        assert_eq!(atom_time("2026-12-05"), "2026-12-05T00:00:00Z");
        assert_eq!(atom_time("2026-12-05T10:00:00Z"), "2026-12-05T00:00:00Z");
        assert_eq!(atom_time("d"), EPOCH);
        assert_eq!(date_html("d<"), "d&lt;");
    }
}
