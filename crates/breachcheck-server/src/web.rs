//! The web app: server-rendered pages over the same store as the API, with one small
//! script (served by the binary, no build step, no external request) for dropping a file,
//! following its job's event stream and reloading when the verdict is in.
//!
//! Signing in exchanges a token for a session cookie (`HttpOnly`, `SameSite=Strict`,
//! `Secure` under TLS); every form carries the session's CSRF token, and the script sends
//! it as `X-CSRF-Token` on the API calls it makes with the cookie. Everything shown is
//! escaped; nothing shown is a sample value (reports carry none).
use crate::api::{self, blocking, SESSION_COOKIE};
use crate::app::App;
use crate::auth::{self, Action, Caller, Role};
use crate::error::{Error, Result};
use crate::store::{self, JobView, SampleView, VerdictView};
use axum::extract::{Form, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use std::fmt::Write as _;
use std::sync::Arc;

const SCRIPT: &str = include_str!("../assets/app.js");
const STYLE: &str = include_str!("../assets/app.css");
/// The self-check's browser client: canonicalization, RFC 9497 VOPRF client, bucket and
/// entry checks, built from `web/selfcheck/` (vendored, minified; see its README).
const SELFCHECK_SCRIPT: &str = include_str!("../assets/selfcheck.js");

/// The pages' routes.
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/", get(home))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/cases", post(new_case))
        .route("/cases/{id}", get(case_page))
        .route("/samples/{id}", get(report_page))
        .route("/index", get(index_page))
        .route("/check/{claim}", get(check_page))
        .route(
            "/assets/app.js",
            get(|| async { asset(SCRIPT, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/assets/selfcheck.js",
            get(|| async { asset(SELFCHECK_SCRIPT, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/assets/app.css",
            get(|| async { asset(STYLE, "text/css; charset=utf-8") }),
        )
}

fn asset(body: &'static str, mime: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// HTML-escapes text.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// A signed-in page visitor (session cookie only: pages never take bearer tokens).
pub struct Visitor(Caller);

impl FromRequestParts<Arc<App>> for Visitor {
    type Rejection = Response;
    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> std::result::Result<Self, Response> {
        let Some(cookie) = api::session_cookie(&parts.headers) else {
            return Err(Redirect::to("/").into_response());
        };
        match blocking(app, move |app| auth::session_caller(&app.db, &cookie)).await {
            Ok(c) => match app.limiter.take(c.token_id) {
                Ok(()) => Ok(Visitor(c)),
                Err(e) => Err(e.into_response()),
            },
            Err(Error::Unauthorized) => Err(Redirect::to("/").into_response()),
            Err(e) => Err(e.into_response()),
        }
    }
}

fn page(title: &str, caller: Option<&Caller>, body: &str) -> Html<String> {
    let mut nav = String::new();
    if let Some(c) = caller {
        let csrf = esc(c.csrf.as_deref().unwrap_or(""));
        let _ = write!(
            nav,
            "<nav><a href=\"/\">Cases</a> <a href=\"/index\">Index</a>\
             <span class=\"who\">{} ({})</span>\
             <form method=\"post\" action=\"/logout\" class=\"inline\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <button type=\"submit\" id=\"sign-out\">Sign out</button></form></nav>",
            esc(&c.name),
            c.role.as_str()
        );
    }
    let csrf_meta = caller
        .and_then(|c| c.csrf.as_deref())
        .map(|t| format!("<meta name=\"csrf-token\" content=\"{}\">", esc(t)))
        .unwrap_or_default();
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">{csrf_meta}\
         <title>{} · breachcheck</title><link rel=\"stylesheet\" href=\"/assets/app.css\">\
         <script src=\"/assets/app.js\" defer></script></head><body>\
         <header><a class=\"brand\" href=\"/\">breachcheck</a>{nav}</header><main>{body}</main></body></html>",
        esc(title)
    ))
}

async fn home(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    let caller = match api::session_cookie(&headers) {
        Some(cookie) => blocking(&app, move |app| auth::session_caller(&app.db, &cookie))
            .await
            .ok(),
        None => None,
    };
    let Some(caller) = caller else {
        return page(
            "Sign in",
            None,
            "<h1>Sign in</h1><p>Paste an API token (an admin makes one with \
             <code>breachcheck serve token create</code>).</p>\
             <form method=\"post\" action=\"/login\" id=\"login\">\
             <label>Token <input type=\"password\" name=\"token\" id=\"token\" autocomplete=\"off\" required></label>\
             <button type=\"submit\">Sign in</button></form>",
        )
        .into_response();
    };
    if caller.role == Role::Auditor {
        return page(
            "Auditor",
            Some(&caller),
            "<h1>Auditor access</h1><p>Auditors read signed reports and custody logs \
             through the API: <code>GET /api/v1/samples/ID/report</code>, \
             <code>…/report.json.sig</code> and <code>GET /api/v1/cases/ID/custody</code>.</p>",
        )
        .into_response();
    }
    let cases = match blocking(&app, |app| store::list_cases(&app.db)).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let mut body = String::from("<h1>Cases</h1>");
    if caller.require(Action::Write).is_ok() {
        let _ = write!(
            body,
            "<form method=\"post\" action=\"/cases\" id=\"new-case\" class=\"row\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <input name=\"name\" id=\"case-name\" placeholder=\"New case: e.g. forum post 2026-12-01\" required maxlength=\"200\">\
             <button type=\"submit\">Open case</button></form>",
            esc(caller.csrf.as_deref().unwrap_or(""))
        );
    }
    if cases.is_empty() {
        body.push_str("<p class=\"muted\">No cases yet.</p>");
    } else {
        body.push_str(
            "<table id=\"cases\"><thead><tr><th>Case</th><th>Opened</th><th>By</th><th>Samples</th></tr></thead><tbody>",
        );
        for c in &cases {
            let _ = write!(
                body,
                "<tr><td><a href=\"/cases/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                c.id,
                esc(&c.name),
                esc(&c.created),
                esc(&c.created_by),
                c.samples
            );
        }
        body.push_str("</tbody></table>");
    }
    page("Cases", Some(&caller), &body).into_response()
}

/// The sign-in form.
#[derive(Deserialize)]
struct LoginForm {
    token: String,
}

async fn login(State(app): State<Arc<App>>, Form(f): Form<LoginForm>) -> Response {
    let token = f.token.trim().to_owned();
    let made = blocking(&app, move |app| {
        let caller = auth::token_caller(&app.db, &token)?;
        app.limiter.take(caller.token_id)?;
        auth::create_session(&app.db, &caller)
    })
    .await;
    match made {
        Ok((cookie, _csrf)) => {
            let secure = if app.tls { "; Secure" } else { "" };
            let value = format!(
                "{SESSION_COOKIE}={cookie}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
                auth::SESSION_SECONDS
            );
            let mut resp = Redirect::to("/").into_response();
            if let Ok(v) = HeaderValue::from_str(&value) {
                resp.headers_mut().insert(header::SET_COOKIE, v);
            }
            resp
        }
        Err(Error::Unauthorized) => (
            StatusCode::UNAUTHORIZED,
            page(
                "Sign in",
                None,
                "<h1>Sign in</h1><p class=\"error\" id=\"login-error\">That token is not valid (unknown or revoked).</p>\
                 <p><a href=\"/\">Try again</a></p>",
            ),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// A form that carries the session's CSRF token.
#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
    #[serde(default)]
    name: String,
}

fn check_csrf(caller: &Caller, sent: &str) -> Result<()> {
    if caller.csrf.as_deref().is_some_and(|c| auth::same(c, sent)) {
        Ok(())
    } else {
        Err(Error::Csrf)
    }
}

async fn logout(
    State(app): State<Arc<App>>,
    Visitor(caller): Visitor,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(e) = check_csrf(&caller, &f.csrf) {
        return e.into_response();
    }
    if let Some(cookie) = api::session_cookie(&headers) {
        let _ = blocking(&app, move |app| auth::end_session(&app.db, &cookie)).await;
    }
    let mut resp = Redirect::to("/").into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("bc_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    resp
}

async fn new_case(
    State(app): State<Arc<App>>,
    Visitor(caller): Visitor,
    Form(f): Form<CsrfForm>,
) -> Response {
    let made = async {
        check_csrf(&caller, &f.csrf)?;
        caller.require(Action::Write)?;
        let who = caller.name.clone();
        blocking(&app, move |app| store::create_case(&app.db, &f.name, &who)).await
    }
    .await;
    match made {
        Ok(id) => Redirect::to(&format!("/cases/{id}")).into_response(),
        Err(e) => e.into_response(),
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn verdict_cells(v: Option<&VerdictView>) -> String {
    match v {
        None => "<td>–</td><td>–</td><td>–</td>".into(),
        Some(v) => {
            let source = match (&v.system, &v.snapshot) {
                (Some(s), Some(t)) => format!("{} @ {}", esc(s), esc(t)),
                (Some(s), None) => esc(s),
                _ => "–".into(),
            };
            format!(
                "<td><span class=\"verdict v-{c}\">{c}</span></td><td>{} ({}–{})</td><td>{source}</td>",
                pct(v.genuine_fraction),
                pct(v.ci95[0]),
                pct(v.ci95[1]),
                c = esc(&v.class)
            )
        }
    }
}

fn job_cell(j: Option<&JobView>) -> String {
    let Some(j) = j else {
        return "<td>–</td>".into();
    };
    let p = &j.progress;
    let bar = if p.total_bytes > 0 {
        format!(
            "<progress max=\"{}\" value=\"{}\"></progress>",
            p.total_bytes,
            p.bytes.min(p.total_bytes)
        )
    } else {
        String::new()
    };
    let err = j
        .error
        .as_deref()
        .filter(|_| j.state == "failed")
        .map(|e| format!("<div class=\"error\">{}</div>", esc(e)))
        .unwrap_or_default();
    format!(
        "<td class=\"job\" data-job=\"{}\" data-state=\"{}\"><span class=\"state\">{}</span> \
         <span class=\"lines\">{} lines</span> {bar}{err}</td>",
        j.id,
        esc(&j.state),
        esc(&j.state),
        p.lines
    )
}

fn sample_row(s: &SampleView, matches: bool) -> String {
    let links = if s.verdict.is_some() {
        let mut l = format!("<a href=\"/samples/{}\">report</a>", s.id);
        if matches {
            let _ = write!(
                l,
                " · <a href=\"/api/v1/samples/{}/matches.csv\">matches.csv</a>",
                s.id
            );
        }
        l
    } else {
        String::new()
    };
    format!(
        "<tr id=\"sample-{}\"><td>{}</td><td title=\"SHA-256 {}\">{}…</td><td>{}</td><td>{}</td>{}{}<td>{links}</td></tr>",
        s.id,
        esc(&s.filename),
        esc(&s.sha256),
        esc(s.sha256.get(..12).unwrap_or("")),
        s.bytes,
        esc(&s.uploaded_by),
        job_cell(s.job.as_ref()),
        verdict_cells(s.verdict.as_ref()),
    )
}

async fn case_page(
    State(app): State<Arc<App>>,
    Visitor(caller): Visitor,
    api::Id(id): api::Id,
) -> Response {
    if let Err(e) = caller.require(Action::Read) {
        return e.into_response();
    }
    let loaded = blocking(&app, move |app| {
        let mut d = store::case_detail(&app.db, id)?;
        for s in &mut d.samples {
            api::live_progress(app, s.job.as_mut());
        }
        let custody = api::check_custody(app, id)?;
        Ok((d, custody))
    })
    .await;
    let (d, custody) = match loaded {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let mut b = format!("<h1 id=\"case-title\">{}</h1>", esc(&d.name));
    let _ = write!(
        b,
        "<p class=\"muted\">Opened {} by {}</p>",
        esc(&d.created),
        esc(&d.created_by)
    );
    if caller.require(Action::Write).is_ok() {
        let _ = write!(
            b,
            "<section id=\"drop\" class=\"drop\" data-case=\"{id}\">\
             <p>Drop a leak sample here, or <label class=\"pick\">choose a file\
             <input type=\"file\" id=\"file\" hidden></label>.</p>\
             <div id=\"upload-status\" class=\"muted\"></div>\
             <progress id=\"upload-progress\" max=\"1\" value=\"0\" hidden></progress></section>"
        );
    }
    b.push_str("<h2>Samples</h2>");
    if d.samples.is_empty() {
        b.push_str("<p class=\"muted\" id=\"no-samples\">No samples yet.</p>");
    } else {
        b.push_str(
            "<table id=\"samples\"><thead><tr><th>File</th><th>SHA-256</th><th>Bytes</th><th>By</th>\
             <th>Job</th><th>Verdict</th><th>Genuine (95% CI)</th><th>Source</th><th></th></tr></thead><tbody>",
        );
        let matches = caller.require(Action::ReadMatches).is_ok();
        for s in &d.samples {
            b.push_str(&sample_row(s, matches));
        }
        b.push_str("</tbody></table>");
    }
    b.push_str("<h2>Custody log</h2>");
    let _ = write!(
        b,
        "<p id=\"custody-check\" class=\"{}\">{}</p>",
        if custody.check.ok { "ok" } else { "error" },
        if custody.check.ok {
            format!(
                "Checked: {} entries, chain and files intact{}.",
                custody.check.entries,
                if custody.check.signed {
                    ", head signed"
                } else {
                    ""
                }
            )
        } else {
            format!(
                "Check failed: {}",
                esc(custody.check.problem.as_deref().unwrap_or("unknown"))
            )
        }
    );
    if !custody.entries.is_empty() {
        b.push_str(
            "<table id=\"custody\"><thead><tr><th>#</th><th>Time</th><th>Operator</th><th>Action</th>\
             <th>Input</th><th>Input SHA-256</th><th>Index commitment</th><th>Verdict</th><th>Entry hash</th></tr></thead><tbody>",
        );
        for e in &custody.entries {
            let s = |k: &str| esc(e.get(k).and_then(|v| v.as_str()).unwrap_or(""));
            let short = |k: &str| {
                esc(e
                    .get(k)
                    .and_then(|v| v.as_str())
                    .and_then(|v| v.get(..12))
                    .unwrap_or(""))
            };
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}…</td><td>{}…</td><td>{}</td><td>{}…</td></tr>",
                e.get("seq").and_then(serde_json::Value::as_u64).unwrap_or(0),
                s("time"),
                s("operator"),
                s("action"),
                s("input_name"),
                short("input_sha256"),
                short("index_commitment"),
                s("verdict"),
                short("hash")
            );
        }
        b.push_str("</tbody></table>");
    }
    page(&d.name, Some(&caller), &b).into_response()
}

async fn report_page(
    State(app): State<Arc<App>>,
    Visitor(caller): Visitor,
    api::Id(id): api::Id,
) -> Response {
    if let Err(e) = caller.require(Action::Read) {
        return e.into_response();
    }
    let s = match blocking(&app, move |app| store::sample_view(&app.db, id)).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let mut b = format!(
        "<p><a href=\"/cases/{}\">← case</a></p><h1>Report: {}</h1>",
        s.case_id,
        esc(&s.filename)
    );
    match &s.verdict {
        None => b.push_str("<p class=\"muted\">The verification has not finished.</p>"),
        Some(v) => {
            let _ = write!(
                b,
                "<table class=\"summary\" id=\"verdict\"><tr><th>Verdict</th><th>Genuine (95% CI)</th><th>Source</th></tr><tr>{}</tr></table>",
                verdict_cells(Some(v))
            );
            let _ = write!(
                b,
                "<p>Download: <a href=\"/api/v1/samples/{id}/report\">JSON</a> · \
                 <a href=\"/api/v1/samples/{id}/report.md\">Markdown</a> · \
                 <a href=\"/api/v1/samples/{id}/report.html\">HTML</a>{}</p>\
                 <iframe id=\"report\" title=\"report\" sandbox src=\"/api/v1/samples/{id}/report.html\"></iframe>",
                if v.signed {
                    format!(" · <a href=\"/api/v1/samples/{id}/report.json.sig\">signature</a>")
                } else {
                    String::new()
                }
            );
        }
    }
    page(&format!("Report {}", s.filename), Some(&caller), &b).into_response()
}

async fn index_page(State(app): State<Arc<App>>, Visitor(caller): Visitor) -> Response {
    if let Err(e) = caller.require(Action::ReadIndex) {
        return e.into_response();
    }
    let info = match blocking(&app, api::index_description).await {
        Ok(i) => i,
        Err(e) => return e.into_response(),
    };
    let mut b = String::from("<h1>Index</h1>");
    let get = |k: &str| {
        info.get(k).map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    };
    b.push_str("<table class=\"summary\" id=\"index-facts\">");
    for k in ["format", "rules_version", "key_fingerprint", "records"] {
        if let Some(v) = get(k) {
            let _ = write!(b, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
        }
    }
    if let Some(c) = info.get("commitment") {
        let root = c.get("root").and_then(|v| v.as_str()).unwrap_or("");
        let _ = write!(
            b,
            "<tr><th>commitment</th><td><code id=\"commitment\">{}</code></td></tr>",
            esc(root)
        );
    }
    b.push_str("</table>");
    if let Some(systems) = info.get("systems").and_then(|s| s.as_array()) {
        b.push_str("<h2>Systems</h2><table id=\"systems\"><thead><tr><th>System</th><th>Snapshot</th><th>Records</th></tr></thead><tbody>");
        for s in systems {
            let name = s.get("name").and_then(|v| v.as_str()).unwrap_or("");
            let snaps = s.get("snapshots").and_then(|v| v.as_array());
            for snap in snaps.into_iter().flatten() {
                let when = snap.get("snapshot").and_then(|v| v.as_str()).unwrap_or("");
                let n = snap
                    .get("live")
                    .or_else(|| snap.get("records"))
                    .map(ToString::to_string)
                    .unwrap_or_default();
                let _ = write!(
                    b,
                    "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(name),
                    esc(when),
                    esc(&n)
                );
            }
        }
        b.push_str("</tbody></table>");
    }
    let _ = write!(
        b,
        "<details><summary>Everything <code>index info --json</code> prints</summary><pre>{}</pre></details>",
        esc(&serde_json::to_string_pretty(&info).unwrap_or_default())
    );
    page("Index", Some(&caller), &b).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup() {
        assert_eq!(
            super::esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}

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

/// `GET /check/{claim}`: the public self-check page. The form is handled by
/// `selfcheck.js` in the browser: the value is canonicalized and blinded there, and only
/// its bucket and blinded element are sent; the form never submits the value. Without
/// script, the page says how to check with the command-line client instead.
pub(crate) async fn check_page(
    State(app): State<Arc<App>>,
    axum::extract::Path(name): axum::extract::Path<String>,
) -> Response {
    let claim = match crate::check::page_claim(&app, &name).await {
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
    let info = crate::check::page_info(&claim);
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
         <label>What <select name=\"kind\" id=\"kind\"><option value=\"email\">E-mail address</option>\
         <option value=\"phone\">Phone number</option></select></label> \
         <label>Country (for phone numbers without +code) <select name=\"country\" id=\"country\">\
         <option value=\"\">—</option>",
        lines = info.lines,
        k = info.min_bucket,
    );
    for c in phone_regions() {
        let _ = write!(b, "<option value=\"{0}\">{0}</option>", esc(c));
    }
    let _ = write!(
        b,
        "</select></label> <label>Value <input name=\"value\" id=\"value\" required \
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
