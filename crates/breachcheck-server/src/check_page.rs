//! The self-check's public page, `GET /check/{claim}`: no session, no app script; the form
//! is handled in the browser by `selfcheck.js`, which canonicalizes and blinds the value and
//! sends only its bucket and blinded element. Shows the claim's facts to pin and, when
//! `serve --log` is given, the company's statements about the claim.
use crate::api::blocking;
use crate::app::App;
use crate::error::Error;
use crate::web::esc;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use std::fmt::Write as _;
use std::sync::Arc;

/// Region codes of the phone metadata, for the self-check page's country list.
fn phone_regions() -> &'static [String] {
    static CODES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    CODES.get_or_init(|| {
        let mut v = Vec::new();
        for a in b'A'..=b'Z' {
            for b in b'A'..=b'Z' {
                let code = String::from_utf8_lossy(&[a, b]).into_owned();
                if breachcheck_normalize::country::region(&code).is_some() {
                    v.push(code);
                }
            }
        }
        v
    })
}

/// The verdict class in the words a customer reads.
fn verdict_words(class: Option<&str>) -> String {
    let Some(class) = class else {
        return "the company has not published a verification of this sample".into();
    };
    match breachcheck_verdict::VerdictClass::ALL
        .iter()
        .find(|c| c.as_str() == class)
    {
        Some(c) => format!("{class}: {}", c.meaning()),
        None => class.to_owned(),
    }
}

/// `GET /check/{claim}`: the public self-check page. Its fields have no `name`, so a
/// form submitted before (or without) the script carries no value anywhere. The form is handled by
/// `selfcheck.js` in the browser: the value is canonicalized and blinded there, and only
/// its bucket and blinded element are sent; the form never submits the value. Without
/// script, the page says how to check with the command-line client instead.
pub(crate) async fn check_page(
    State(app): State<Arc<App>>,
    axum::extract::Path(name): axum::extract::Path<String>,
) -> Response {
    let claim = match crate::check::claim(&app, &name).await {
        Ok(c) => c,
        Err(e @ Error::Gone(_)) => {
            return (
                StatusCode::GONE,
                public_page(
                    "Claim withdrawn",
                    &format!("<h1>Claim withdrawn</h1><p id=\"withdrawn\">{}</p>", esc(&e.to_string())),
                ),
            )
                .into_response()
        }
        Err(Error::NotFound(_)) => {
            return (
                StatusCode::NOT_FOUND,
                public_page(
                    "No such claim",
                    "<h1>No such claim</h1><p>The company has published no self-check under this name.</p>",
                ),
            )
                .into_response()
        }
        Err(e) => return e.into_response(),
    };
    let info = crate::check::CheckInfo::of(&claim);
    let n = esc(&info.claim);
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>Is my data in “{n}”?</h1>\
         <p class=\"lead\">A sample of {lines} lines is circulating under this claim. Check whether your \
         e-mail address or phone number is in it. <strong>Your value never leaves this page in the clear:</strong> \
         your browser sends only a bucket number (shared by at least {k} published values) and a blinded \
         form of the value that only your browser can unblind. The server cannot tell what you asked or whether \
         you were found.</p>\
         <form id=\"selfcheck\" data-claim=\"{n}\" data-info-url=\"/api/v1/check/{n}/info\" \
         data-check-url=\"/api/v1/check/{n}\" autocomplete=\"off\">\
         <label>What <select id=\"kind\"><option value=\"email\">E-mail address</option>\
         <option value=\"phone\">Phone number</option></select></label> \
         <label>Country (for phone numbers without +code) <select id=\"country\">\
         <option value=\"\">—</option>",
        lines = info.lines,
        k = info.min_bucket,
    );
    for c in phone_regions() {
        let _ = write!(b, "<option value=\"{0}\">{0}</option>", esc(c));
    }
    let _ = write!(
        b,
        "</select></label> <label>Value <input id=\"value\" required \
         spellcheck=\"false\" autocapitalize=\"off\"></label> \
         <button type=\"submit\" id=\"check\">Check privately</button></form>\
         <output id=\"selfcheck-result\" for=\"value\" aria-live=\"polite\"></output>\
         <noscript><p>This check runs in your browser. Without script, check from a terminal:\
         <br><code>breachcheck selfcheck query --server URL --claim {n} --email you@example.org</code></p></noscript>\
         <h2>About this claim</h2><table class=\"summary\" id=\"claim-facts\">\
         <tr><th>Verdict</th><td id=\"verdict\">{verdict}</td></tr>\
         <tr><th>Published</th><td>{published}</td></tr>\
         <tr><th>Sample SHA-256</th><td><code>{sha}</code></td></tr>\
         <tr><th>Public key</th><td><code id=\"public-key\">{pk}</code></td></tr>\
         <tr><th>Entries root</th><td><code id=\"entries-root\">{root}</code></td></tr>\
         <tr><th>Entries</th><td>{entries} in {buckets} buckets of at least {k}</td></tr></table>\
         <p>Compare the public key and entries root with the company's transparency log before \
         trusting an answer: they are what your browser checks the answer against.</p>",
        verdict = esc(&verdict_words(info.verdict_class.as_deref())),
        published = esc(&info.published),
        sha = esc(&info.sample_sha256),
        pk = esc(&info.public_key),
        root = esc(&info.entries_root),
        entries = info.entries,
        buckets = 1u64 << info.bucket_bits,
        k = info.min_bucket,
    );
    let statements = {
        let (name, sha) = (info.claim.clone(), info.sample_sha256.clone());
        blocking(&app, move |app| Ok(claim_statements(app, &name, &sha)))
            .await
            .unwrap_or_default()
    };
    if !statements.is_empty() {
        b.push_str(
            "<h2>The company's statements about this claim</h2><ol id=\"statements\" reversed>",
        );
        for (n, d) in &statements {
            let _ = write!(
                b,
                "<li id=\"entry-{n}\"><strong>{}</strong> <span class=\"date\">{}</span><p>{}</p>",
                esc(&d.title),
                esc(&d.date),
                esc(&d.summary)
            );
            if let Some(c) = d.checks.first() {
                let _ = write!(
                    b,
                    "<p>{}</p><pre><code>{}</code></pre>",
                    esc(&c.what),
                    esc(&c.command)
                );
            }
            b.push_str("</li>");
        }
        b.push_str("</ol>");
    }
    if let Some(url) = app.log_url.as_deref() {
        let u = esc(url.trim_end_matches('/'));
        let _ = write!(
            b,
            "<p id=\"log-links\">The company's statements about this claim and its samples, newest first: \
             <a href=\"{u}/index.html\">transparency log</a> · <a href=\"{u}/feed.xml\">Atom feed</a></p>"
        );
    }
    public_page(&format!("Self-check: {}", info.claim), &b).into_response()
}

/// A public page (no session, no app script): the self-check's.
fn public_page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{} · breachcheck</title><link rel=\"icon\" href=\"data:,\">\
         <link rel=\"stylesheet\" href=\"/assets/app.css\">\
         <script src=\"/assets/selfcheck.js\" defer></script></head><body>\
         <header><span class=\"brand\">breachcheck</span></header><main>{body}</main></body></html>",
        esc(title)
    ))
}

/// The statements of the transparency log about a claim — its publications and
/// withdrawals, and the verifications of its sample — newest first, in plain language. An
/// unreadable log shows none (the page still answers; the log's own page is the record).
fn claim_statements(
    app: &App,
    claim: &str,
    sample_sha256: &str,
) -> Vec<(u64, breachcheck_log::Description)> {
    use breachcheck_log::Statement;
    let Some(dir) = app.log_dir.as_deref() else {
        return Vec::new();
    };
    let Ok(log) = breachcheck_log::Log::open(dir) else {
        tracing::warn!("the transparency log given to serve cannot be opened");
        return Vec::new();
    };
    let Ok(head) = log.head() else {
        return Vec::new();
    };
    let from = app.log_url.as_deref().unwrap_or("<published log URL>");
    let key = log.verifier_key().to_owned();
    let mut out = Vec::new();
    for n in (0..head.size).rev() {
        let Some(entry) = log
            .entry_bytes(n)
            .ok()
            .and_then(|b| serde_json::from_slice::<breachcheck_log::Entry>(&b).ok())
        else {
            continue;
        };
        let about = match &entry.statement {
            Statement::SelfcheckClaim { claim: c, .. }
            | Statement::SelfcheckWithdrawal { claim: c, .. } => c == claim,
            Statement::Verification {
                sample_sha256: s, ..
            } => s == sample_sha256,
            _ => false,
        };
        if about {
            let at = breachcheck_log::EntryAt {
                entry: n,
                from,
                verifier_key: &key,
            };
            out.push((n, entry.statement.describe(&at)));
        }
    }
    out
}
