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
        .route("/check/{claim}", get(crate::check_page::check_page))
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
