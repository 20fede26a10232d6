//! The JSON API under `/api/v1/`: cases, samples (streamed uploads), jobs and their event
//! streams, reports, the index's description, tokens. Every handler is annotated for the
//! OpenAPI document (`GET /api/v1/openapi.json`), which is generated from these
//! annotations and the types' schemas, so the document and the code cannot drift apart.
use crate::app::App;
use crate::auth::{self, Action, Caller, Role};
use crate::error::{Error, ErrorBody, Result};
use crate::store::{self, CaseDetail, CaseSummary, JobView, SampleView, TokenView};
use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use utoipa::{OpenApi, ToSchema};

/// Runs blocking work (the database, files) off the async threads.
pub async fn blocking<T: Send + 'static>(
    app: &Arc<App>,
    f: impl FnOnce(&App) -> Result<T> + Send + 'static,
) -> Result<T> {
    let app = Arc::clone(app);
    tokio::task::spawn_blocking(move || f(&app))
        .await
        .map_err(|e| Error::Internal(format!("a blocking task failed: {e}")))?
}

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "bc_session";
/// The header a cookie-authenticated change carries its CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The session cookie's value, if the request has one.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_owned())
}

impl FromRequestParts<Arc<App>> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_owned());
        let caller = if let Some(token) = bearer {
            blocking(app, move |app| auth::token_caller(&app.db, &token)).await?
        } else if let Some(cookie) = session_cookie(&parts.headers) {
            let caller = blocking(app, move |app| auth::session_caller(&app.db, &cookie)).await?;
            // A change made with a session cookie must prove it comes from our page.
            let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
            if !safe {
                let sent = parts
                    .headers
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if !caller.csrf.as_deref().is_some_and(|c| auth::same(c, sent)) {
                    return Err(Error::Csrf);
                }
            }
            caller
        } else {
            return Err(Error::Unauthorized);
        };
        app.limiter.take(caller.token_id)?;
        Ok(caller)
    }
}

/// A JSON body whose rejection is an API error (JSON, like every other).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Error;
    async fn from_request(req: Request, state: &S) -> Result<Self> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(e) => Err(Error::BadRequest(e.body_text())),
        }
    }
}

/// A numeric id in the path, refused as a JSON error when it is not one.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        match axum::extract::Path::<i64>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(id)) => Ok(Id(id)),
            Err(_) => Err(Error::NotFound("such id (ids are numbers)")),
        }
    }
}

/// `POST /cases`'s body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewCase {
    /// The case's name (1 to 200 printable characters, not only spaces). The pattern says
    /// what `store::valid_name` accepts (`char::is_control`, `char::is_whitespace`).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub name: String,
}

/// A created thing's id.
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    /// The new id.
    pub id: i64,
}

/// An accepted upload.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    /// The sample (the existing one when the case already holds these bytes).
    pub sample_id: i64,
    /// Its verification job.
    pub job_id: i64,
    /// Whether the case already held these bytes (nothing new was queued).
    pub duplicate: bool,
}

/// `POST /cases/{id}/samples`'s query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The sample's file name, as the report will record it: up to 255 bytes of UTF-8,
    /// no control character, not `.` or `..` (a path sent is cut to its last part; the
    /// pattern asks for the part alone).
    #[param(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^/\\\u0000-\u001f\u007f-\u009f]*[^./\\\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^/\\\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub filename: String,
}

/// An upload's body: the file's bytes, as they are.
pub struct SampleFile;

impl utoipa::PartialSchema for SampleFile {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .content_media_type("application/octet-stream")
            .min_length(Some(1))
            .description(Some("The sample file's bytes, as they are (not empty)"))
            .into()
    }
}

impl ToSchema for SampleFile {}

/// `POST /tokens`'s body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewTokenBody {
    /// A name for the token's holder (recorded as the operator of what it does): 1 to 200
    /// printable characters, not only spaces.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub name: String,
    /// Its role.
    pub role: Role,
}

/// A new token, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenCreated {
    /// The token's id.
    pub id: i64,
    /// The token itself: store it now, it is not shown again.
    pub token: String,
}

/// The check of a case's custody log.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustodyCheck {
    /// Whether the chain, its head, every file it names and the database's copy agree.
    pub ok: bool,
    /// Entries checked.
    pub entries: u64,
    /// Whether the head is signed.
    pub signed: bool,
    /// What is wrong, when something is.
    pub problem: Option<String>,
}

/// A case's custody log and its check.
#[derive(Debug, Serialize, ToSchema)]
pub struct Custody {
    /// The entries, oldest first.
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<serde_json::Value>,
    /// The check.
    pub check: CustodyCheck,
}

/// One event of `GET /jobs/{id}/events`, as OpenAPI 3.1 describes an event stream: the
/// schema of each event (`event: job`, `data:` the job as JSON), not of the stream's text.
pub struct JobEvent;

impl utoipa::PartialSchema for JobEvent {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        use utoipa::openapi::Ref;
        ObjectBuilder::new()
            .description(Some(
                "One server-sent event: `event: job`, `data:` the job (as `GET /jobs/{id}` answers)",
            ))
            .property(
                "event",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(["job"])),
            )
            .required("event")
            .property(
                "data",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .content_media_type("application/json")
                    .content_schema(Some(Ref::from_schema_name("JobView"))),
            )
            .required("data")
            .into()
    }
}

impl ToSchema for JobEvent {}

/// `GET /healthz`'s answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// Jobs waiting for a worker.
    pub jobs_waiting: u64,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "breachcheck",
        description = "Cases, leak samples, verification jobs and evidence reports of a breachcheck server. Authenticate with `Authorization: Bearer TOKEN` (tokens: `breachcheck serve token create`).",
        license(name = "Apache-2.0")
    ),
    paths(
        healthz, openapi_json, list_cases, create_case, get_case, get_custody, upload,
        get_sample, get_job, job_events, report_json, report_md, report_html, report_sig,
        matches_csv, index_info, list_tokens, create_token, revoke_token,
        crate::check::info, crate::check::query
    ),
    components(schemas(ErrorBody, JobView, JobEvent, SampleView, CaseDetail, CaseSummary, TokenView,
        crate::check::CheckInfo, crate::check::CheckRequest, crate::check::CheckAnswer)),
    modifiers(&BearerAuth, &ErrorResponses),
    tags((name = "cases"), (name = "samples"), (name = "jobs"), (name = "reports"), (name = "admin"),
        (name = "self-check", description = "Public, unauthenticated, rate-limited: a customer's private check against a published claim"))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// What every error status of the document means (a response must say, in OpenAPI 3.1),
/// and the headers that come with 401 and 429.
struct ErrorResponses;

impl utoipa::Modify for ErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        use utoipa::openapi::{HeaderBuilder, RefOr};
        for item in openapi.paths.paths.values_mut() {
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in ops.into_iter().flatten() {
                for (status, resp) in &mut op.responses.responses {
                    let RefOr::T(resp) = resp else { continue };
                    if resp.description.is_empty() {
                        resp.description = match status.as_str() {
                            "400" => "The request is malformed (the message says how)",
                            "401" => "No token, or an unknown or revoked one",
                            "403" => "The token's role may not do this",
                            "404" => "No such thing",
                            "409" => "The sample's verification has not finished",
                            "410" => "Gone",
                            "429" => "Too many requests from this token",
                            _ => "An error",
                        }
                        .into();
                    }
                    let header = match status.as_str() {
                        "401" => Some(("WWW-Authenticate", Type::String, "How to authenticate")),
                        "429" => Some(("Retry-After", Type::Integer, "Seconds to wait")),
                        _ => None,
                    };
                    if let Some((name, ty, what)) = header {
                        resp.headers.insert(
                            name.into(),
                            HeaderBuilder::new()
                                .schema(Some(ObjectBuilder::new().schema_type(ty)))
                                .description(Some(what))
                                .build()
                                .into(),
                        );
                    }
                }
            }
        }
    }
}

/// The OpenAPI 3.1 document, as JSON.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The API's routes (mounted under `/api/v1`).
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/openapi.json", get(openapi_json))
        .route("/cases", get(list_cases).post(create_case))
        .route("/cases/{id}", get(get_case))
        .route("/cases/{id}/custody", get(get_custody))
        .route("/cases/{id}/samples", post(upload))
        .route("/samples/{id}", get(get_sample))
        .route("/samples/{id}/report", get(report_json))
        .route("/samples/{id}/report.md", get(report_md))
        .route("/samples/{id}/report.html", get(report_html))
        .route("/samples/{id}/report.json.sig", get(report_sig))
        .route("/samples/{id}/matches.csv", get(matches_csv))
        .route("/jobs/{id}", get(get_job))
        .route("/jobs/{id}/events", get(job_events))
        .route("/index", get(index_info))
        .route("/tokens", get(list_tokens).post(create_token))
        .route("/tokens/{id}", axum::routing::delete(revoke_token))
        .route("/check/{claim}", post(crate::check::query))
        .route("/check/{claim}/info", get(crate::check::info))
        .fallback(|| async { Error::NotFound("API route") })
}

/// Liveness: answers without authentication.
#[utoipa::path(get, path = "/api/v1/healthz", tag = "admin",
    responses((status = 200, description = "The server answers", body = Health)))]
async fn healthz(State(app): State<Arc<App>>) -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        jobs_waiting: app.jobs.waiting() as u64,
    })
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "admin",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object)))]
async fn openapi_json() -> Response {
    match openapi().to_pretty_json() {
        Ok(s) => ([(header::CONTENT_TYPE, "application/json")], s).into_response(),
        Err(e) => Error::Internal(e.to_string()).into_response(),
    }
}

/// Every case, newest first.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", security(("bearer" = [])),
    responses(
        (status = 200, description = "The cases", body = Vec<CaseSummary>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn list_cases(State(app): State<Arc<App>>, caller: Caller) -> Result<Json<Vec<CaseSummary>>> {
    caller.require(Action::Read)?;
    Ok(Json(
        blocking(&app, |app| store::list_cases(&app.db)).await?,
    ))
}

/// Opens a case.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", security(("bearer" = [])),
    request_body = NewCase,
    responses(
        (status = 201, description = "Opened", body = Created),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn create_case(
    State(app): State<Arc<App>>,
    caller: Caller,
    ApiJson(body): ApiJson<NewCase>,
) -> Result<(StatusCode, Json<Created>)> {
    caller.require(Action::Write)?;
    let id = blocking(&app, move |app| {
        store::create_case(&app.db, &body.name, &caller.name)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// A case: its samples with their jobs and verdicts, and its custody entries.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The case's id")),
    responses(
        (status = 200, description = "The case", body = CaseDetail),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn get_case(
    State(app): State<Arc<App>>,
    caller: Caller,
    Id(id): Id,
) -> Result<Json<CaseDetail>> {
    caller.require(Action::Read)?;
    let mut detail = blocking(&app, move |app| store::case_detail(&app.db, id)).await?;
    for s in &mut detail.samples {
        live_progress(&app, s.job.as_mut());
    }
    Ok(Json(detail))
}

/// A running job's progress as its worker counts it now (the database has it at the end).
pub fn live_progress(app: &App, job: Option<&mut JobView>) {
    if let Some(j) = job {
        if j.state == "running" {
            if let Some(p) = app.jobs.live(j.id) {
                j.progress = p;
            }
        }
    }
}

/// Checks a case's custody log: the hash chain, its head (and signature), every report
/// file it names, and that the database's copy of the entries is the folder's.
pub fn check_custody(app: &App, id: i64) -> Result<Custody> {
    if !store::case_exists(&app.db, id)? {
        return Err(Error::NotFound("case"));
    }
    let stored = store::custody_entries(&app.db, id)?;
    let entries = stored
        .iter()
        .map(|e| serde_json::from_str(e).map_err(Error::from))
        .collect::<Result<Vec<serde_json::Value>>>()?;
    let dir = app.case_dir(id);
    let check = match breachcheck_report::custody::check(&dir) {
        Ok(c) => {
            let folder: Vec<String> = c
                .entries
                .iter()
                .map(serde_json::to_string)
                .collect::<std::result::Result<_, _>>()?;
            let problem = (folder != stored).then(|| {
                format!(
                    "the case folder's log ({} entries) and the database ({} entries) disagree",
                    folder.len(),
                    stored.len()
                )
            });
            CustodyCheck {
                ok: problem.is_none(),
                entries: c.entries.len() as u64,
                signed: c.signed,
                problem,
            }
        }
        Err(e) => CustodyCheck {
            ok: false,
            entries: stored.len() as u64,
            signed: false,
            problem: Some(
                e.to_string()
                    .replace(&dir.display().to_string(), "case folder"),
            ),
        },
    };
    Ok(Custody { entries, check })
}

/// A case's custody log (who verified what, when, against which index, with which
/// report files) and its check — what `breachcheck case verify` checks for a case folder.
#[utoipa::path(get, path = "/api/v1/cases/{id}/custody", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The case's id")),
    responses(
        (status = 200, description = "The log and its check", body = Custody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn get_custody(
    State(app): State<Arc<App>>,
    caller: Caller,
    Id(id): Id,
) -> Result<Json<Custody>> {
    caller.require(Action::ReadSigned)?;
    Ok(Json(
        blocking(&app, move |app| check_custody(app, id)).await?,
    ))
}

/// A file name as sent, checked: one path component of printable characters.
fn upload_name(raw: &str) -> Result<String> {
    let name = raw.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if name.is_empty()
        || name == "."
        || name == ".."
        || name.len() > 255
        || name.chars().any(char::is_control)
    {
        return Err(Error::BadRequest(
            "filename must be a file name of 1 to 255 printable characters".into(),
        ));
    }
    Ok(name.to_owned())
}

/// Receives an upload into a temporary file of the data folder while hashing it; the
/// caller moves it into place. Runs on a blocking thread fed by the request's body.
fn receive(
    dir: &std::path::Path,
    mut chunks: tokio::sync::mpsc::Receiver<bytes_chunk::Chunk>,
) -> Result<(std::path::PathBuf, String, u64)> {
    use sha2::Digest;
    use std::io::Write;
    let name = format!(
        ".upload.{}-{}.bctmp",
        std::process::id(),
        auth::random_hex(8)?
    );
    let path = dir.join(name);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(Error::io("cannot store the upload"))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut hash = sha2::Sha256::new();
    let mut n = 0u64;
    let result = (|| {
        while let Some(chunk) = chunks.blocking_recv() {
            match chunk {
                bytes_chunk::Chunk::Data(b) => {
                    hash.update(&b);
                    n += b.len() as u64;
                    out.write_all(&b)
                        .map_err(Error::io("cannot store the upload"))?;
                }
                bytes_chunk::Chunk::Abort => {
                    return Err(Error::BadRequest("the upload was abandoned".into()))
                }
                bytes_chunk::Chunk::End => {
                    let file = out
                        .into_inner()
                        .map_err(|e| Error::io("cannot store the upload")(e.into_error()))?;
                    file.sync_all()
                        .map_err(Error::io("cannot store the upload"))?;
                    return Ok(());
                }
            }
        }
        Err(Error::BadRequest("the upload was abandoned".into()))
    })();
    match result {
        Ok(()) => Ok((path, breachcheck_core::hex(&hash.finalize()), n)),
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            Err(e)
        }
    }
}

/// Chunks handed from the request to the writer thread.
mod bytes_chunk {
    pub(super) enum Chunk {
        Data(axum::body::Bytes),
        Abort,
        End,
    }
}

/// How long an upload may stall between two chunks before it is abandoned.
const UPLOAD_STALL: Duration = Duration::from_secs(60);

/// Uploads a sample (the file as the raw body, streamed to disk, never held whole) and
/// queues its verification. The same bytes uploaded to the same case again are the same
/// sample and the same job (`duplicate: true`).
#[utoipa::path(post, path = "/api/v1/cases/{id}/samples", tag = "samples", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The case's id"), UploadQuery),
    request_body(content = inline(SampleFile), content_type = "application/octet-stream", description = "The sample file, as is (CSV, TSV, JSON, SQL dump, XLSX, compressed…)"),
    responses(
        (status = 202, description = "Stored; its verification is queued", body = Accepted),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, description = "Larger than `--max-upload`", body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 503, description = "Too many jobs waiting", body = ErrorBody)))]
async fn upload(
    State(app): State<Arc<App>>,
    caller: Caller,
    Id(id): Id,
    query: std::result::Result<
        axum::extract::Query<UploadQuery>,
        axum::extract::rejection::QueryRejection,
    >,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Accepted>)> {
    caller.require(Action::Write)?;
    let filename = match query {
        Ok(q) => upload_name(&q.0.filename)?,
        Err(_) => {
            return Err(Error::BadRequest(
                "say the sample's name: ?filename=NAME".into(),
            ))
        }
    };
    let limit = app.max_upload;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(Error::TooLarge { limit });
    }
    if !blocking(&app, move |app| store::case_exists(&app.db, id)).await? {
        return Err(Error::NotFound("case"));
    }
    app.jobs.check_room()?;

    let (tx, rx) = tokio::sync::mpsc::channel(8);
    let dir = app.data.join("uploads");
    let writer = tokio::task::spawn_blocking(move || receive(&dir, rx));
    let mut stream = body.into_data_stream();
    let mut seen = 0u64;
    let outcome: Result<()> = loop {
        match tokio::time::timeout(UPLOAD_STALL, stream.next()).await {
            Err(_) => break Err(Error::BadRequest("the upload stalled".into())),
            Ok(None) => break Ok(()),
            Ok(Some(Err(_))) => break Err(Error::BadRequest("the upload was cut off".into())),
            Ok(Some(Ok(b))) => {
                seen += b.len() as u64;
                if seen > limit {
                    break Err(Error::TooLarge { limit });
                }
                if tx.send(bytes_chunk::Chunk::Data(b)).await.is_err() {
                    break Ok(()); // the writer failed: its error is reported below
                }
            }
        }
    };
    let last = if outcome.is_ok() {
        bytes_chunk::Chunk::End
    } else {
        bytes_chunk::Chunk::Abort
    };
    let _ = tx.send(last).await;
    drop(tx);
    let written = writer
        .await
        .map_err(|e| Error::Internal(format!("the upload writer failed: {e}")))?;
    outcome?;
    let (tmp, sha256, bytes) = written?;
    if bytes == 0 {
        // Nothing to verify; the document says the body is required.
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::BadRequest(
            "the upload is empty: send the sample file as the request's body".into(),
        ));
    }
    let who = caller.name.clone();
    let added = blocking(&app, move |app| {
        // Under its hash, with the name it was sent as (what the report's parts name);
        // the same bytes again are a duplicate and keep the first file.
        let dir_rel = format!("cases/{id}/samples/{sha256}");
        let dir = app.data_path(&dir_rel);
        let first = std::fs::read_dir(&dir)
            .ok()
            .and_then(|mut d| d.next())
            .and_then(std::result::Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned());
        let rel = match &first {
            Some(name) => format!("{dir_rel}/{name}"),
            None => format!("{dir_rel}/{filename}"),
        };
        let placed = match first {
            Some(_) => std::fs::remove_file(&tmp),
            None => std::fs::create_dir_all(&dir)
                .and_then(|()| std::fs::rename(&tmp, app.data_path(&rel))),
        }
        .map_err(Error::io("cannot store the upload"));
        if let Err(e) = placed {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        let added = store::add_sample(&app.db, id, &filename, &sha256, bytes, &rel, &who)?;
        if !added.duplicate {
            app.jobs.enqueue(added.job_id)?;
        }
        Ok(added)
    })
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            sample_id: added.sample_id,
            job_id: added.job_id,
            duplicate: added.duplicate,
        }),
    ))
}

/// A sample, its latest job and its verdict.
#[utoipa::path(get, path = "/api/v1/samples/{id}", tag = "samples", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The sample's id")),
    responses(
        (status = 200, description = "The sample", body = SampleView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn get_sample(
    State(app): State<Arc<App>>,
    caller: Caller,
    Id(id): Id,
) -> Result<Json<SampleView>> {
    caller.require(Action::Read)?;
    let mut s = blocking(&app, move |app| store::sample_view(&app.db, id)).await?;
    live_progress(&app, s.job.as_mut());
    Ok(Json(s))
}

/// A job, with live progress while it runs.
pub fn job_now(app: &App, id: i64) -> Result<JobView> {
    let mut j = store::job(&app.db, id)?;
    live_progress(app, Some(&mut j));
    Ok(j)
}

/// A verification job: its state and progress.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The job's id")),
    responses(
        (status = 200, description = "The job", body = JobView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn get_job(State(app): State<Arc<App>>, caller: Caller, Id(id): Id) -> Result<Json<JobView>> {
    caller.require(Action::Read)?;
    Ok(Json(blocking(&app, move |app| job_now(app, id)).await?))
}

/// The job's state and progress as Server-Sent Events (`data:` the same JSON as `GET
/// /jobs/{id}`), one event per change, until it is done or failed.
#[utoipa::path(get, path = "/api/v1/jobs/{id}/events", tag = "jobs", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The job's id")),
    responses(
        (status = 200, description = "An event stream of the job's state", content_type = "text/event-stream", body = JobEvent),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn job_events(State(app): State<Arc<App>>, caller: Caller, Id(id): Id) -> Result<Response> {
    caller.require(Action::Read)?;
    let first = blocking(&app, move |app| job_now(app, id)).await?;
    let stream = futures_util::stream::unfold(
        (app, Some(first), None::<JobView>),
        move |(app, next, last)| async move {
            let mut view = next?;
            let mut last = last;
            loop {
                if last.as_ref() != Some(&view) {
                    let end = view.state == "done" || view.state == "failed";
                    let data = serde_json::to_string(&view).unwrap_or_default();
                    let event = Event::default().event("job").data(data);
                    let next = if end {
                        None
                    } else {
                        last = Some(view.clone());
                        Some(view)
                    };
                    return Some((Ok::<_, std::convert::Infallible>(event), (app, next, last)));
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
                view = blocking(&app, move |app| job_now(app, id)).await.ok()?;
            }
        },
    );
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}

/// Which report file of sample `id` a caller may read.
fn report_file(app: &App, caller: &Caller, id: i64, ext: &str) -> Result<std::path::PathBuf> {
    let sample = store::sample(&app.db, id)?;
    let report = store::report(&app.db, id)?.ok_or_else(|| {
        Error::Conflict("the sample's verification has not finished; see its job".into())
    })?;
    if caller.role == Role::Auditor && !report.signed {
        return Err(Error::Forbidden {
            role: "auditor",
            what: "read an unsigned report",
        });
    }
    if ext == "json.sig" && !report.signed {
        return Err(Error::NotFound(
            "signature (the server signs with --sign-key)",
        ));
    }
    Ok(app
        .case_dir(sample.case_id)
        .join(format!("{}.{ext}", report.base)))
}

async fn send_file(
    app: &Arc<App>,
    caller: Caller,
    id: i64,
    ext: &'static str,
    mime: &'static str,
) -> Result<Response> {
    let bytes = blocking(app, move |app| {
        let path = report_file(app, &caller, id, ext)?;
        std::fs::read(&path).map_err(Error::io("cannot read a report file"))
    })
    .await?;
    let mut resp = Response::new(Body::from(bytes));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    Ok(resp)
}

fn report_access(caller: &Caller) -> Result<()> {
    if caller.role == Role::Auditor {
        caller.require(Action::ReadSigned)
    } else {
        caller.require(Action::Read)
    }
}

/// The report (`breachcheck.report/v1`), the same document `breachcheck verify` writes for
/// the same index and sample. Auditors read signed reports only.
#[utoipa::path(get, path = "/api/v1/samples/{id}/report", tag = "reports", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The sample's id")),
    responses(
        (status = 200, description = "The report", body = Object),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "Not verified yet", body = ErrorBody),
        (status = 429, body = ErrorBody)))]
async fn report_json(State(app): State<Arc<App>>, caller: Caller, Id(id): Id) -> Result<Response> {
    report_access(&caller)?;
    send_file(&app, caller, id, "json", "application/json").await
}

/// The report as Markdown.
#[utoipa::path(get, path = "/api/v1/samples/{id}/report.md", tag = "reports", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The sample's id")),
    responses(
        (status = 200, description = "The report", content_type = "text/markdown", body = String),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn report_md(State(app): State<Arc<App>>, caller: Caller, Id(id): Id) -> Result<Response> {
    report_access(&caller)?;
    send_file(&app, caller, id, "md", "text/markdown; charset=utf-8").await
}

/// The report as a self-contained HTML page (with its charts).
#[utoipa::path(get, path = "/api/v1/samples/{id}/report.html", tag = "reports", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The sample's id")),
    responses(
        (status = 200, description = "The report", content_type = "text/html", body = String),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn report_html(State(app): State<Arc<App>>, caller: Caller, Id(id): Id) -> Result<Response> {
    report_access(&caller)?;
    send_file(&app, caller, id, "html", "text/html; charset=utf-8").await
}

/// The report's ed25519 signature (when the server signs with `--sign-key`).
#[utoipa::path(get, path = "/api/v1/samples/{id}/report.json.sig", tag = "reports", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The sample's id")),
    responses(
        (status = 200, description = "The signature", body = Object),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn report_sig(State(app): State<Arc<App>>, caller: Caller, Id(id): Id) -> Result<Response> {
    caller.require(Action::ReadSigned)?;
    send_file(&app, caller, id, "json.sig", "application/json").await
}

/// The per-line matches (line, evidence class, system, snapshot; never a value), for
/// analysts and admins.
#[utoipa::path(get, path = "/api/v1/samples/{id}/matches.csv", tag = "reports", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The sample's id")),
    responses(
        (status = 200, description = "The matches", content_type = "text/csv", body = String),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn matches_csv(State(app): State<Arc<App>>, caller: Caller, Id(id): Id) -> Result<Response> {
    caller.require(Action::ReadMatches)?;
    let path = blocking(&app, move |app| {
        let sample = store::sample(&app.db, id)?;
        let report = store::report(&app.db, id)?.ok_or_else(|| {
            Error::Conflict("the sample's verification has not finished; see its job".into())
        })?;
        let rel = report.matches.ok_or(Error::NotFound("matches file"))?;
        Ok(app.case_dir(sample.case_id).join(rel))
    })
    .await?;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(Error::io("cannot read the matches file"))?;
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    let mut resp = Response::new(body);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    Ok(resp)
}

/// What the index holds, as `breachcheck index info --json` prints it.
pub fn index_description(app: &App) -> Result<serde_json::Value> {
    let index = breachcheck_index::Index::open(&app.index)
        .map_err(|e| Error::Pipeline(breachcheck_pipeline::Error::from(e)))?;
    Ok(breachcheck_pipeline::index_info(index.manifest()))
}

/// The index's systems, snapshots, counts and commitment (`index info --json`).
#[utoipa::path(get, path = "/api/v1/index", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "The index's description", body = Object),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn index_info(
    State(app): State<Arc<App>>,
    caller: Caller,
) -> Result<Json<serde_json::Value>> {
    caller.require(Action::ReadIndex)?;
    Ok(Json(blocking(&app, index_description).await?))
}

/// Every token (never their secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "The tokens", body = Vec<TokenView>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn list_tokens(State(app): State<Arc<App>>, caller: Caller) -> Result<Json<Vec<TokenView>>> {
    caller.require(Action::ManageTokens)?;
    Ok(Json(blocking(&app, |app| store::tokens(&app.db)).await?))
}

/// Creates a token; its secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "admin", security(("bearer" = [])),
    request_body = NewTokenBody,
    responses(
        (status = 201, description = "Created", body = TokenCreated),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn create_token(
    State(app): State<Arc<App>>,
    caller: Caller,
    ApiJson(body): ApiJson<NewTokenBody>,
) -> Result<(StatusCode, Json<TokenCreated>)> {
    caller.require(Action::ManageTokens)?;
    let t = blocking(&app, move |app| {
        auth::create_token(&app.db, &body.name, body.role)
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenCreated {
            id: t.id,
            token: t.token.to_string(),
        }),
    ))
}

/// Revokes a token and ends its sessions.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The token's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn revoke_token(
    State(app): State<Arc<App>>,
    caller: Caller,
    Id(id): Id,
) -> Result<StatusCode> {
    caller.require(Action::ManageTokens)?;
    blocking(&app, move |app| store::revoke_token(&app.db, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_names_are_one_printable_component() {
        assert_eq!(upload_name("dir/leak.csv").expect("ok"), "leak.csv");
        assert_eq!(upload_name("C:\\x\\leak.csv").expect("ok"), "leak.csv");
        assert!(upload_name("..").is_err());
        assert!(upload_name("a\nb").is_err());
        assert!(upload_name("").is_err());
    }

    #[test]
    fn the_document_names_every_route() {
        let doc = openapi().to_json().expect("json");
        for p in [
            "/api/v1/cases",
            "/api/v1/cases/{id}/samples",
            "/api/v1/jobs/{id}/events",
            "/api/v1/samples/{id}/report",
            "/api/v1/index",
            "/api/v1/healthz",
        ] {
            assert!(doc.contains(&format!("\"{p}\"")), "{p} missing");
        }
        assert!(doc.contains("\"openapi\":\"3.1"));
    }

    fn doc() -> serde_json::Value {
        serde_json::from_str(&openapi().to_json().expect("json")).expect("parse")
    }

    #[test]
    fn every_response_says_what_it_means() {
        // OpenAPI 3.1 requires a description on every response object.
        let doc = doc();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("item") {
                for (status, resp) in op["responses"].as_object().expect("responses") {
                    let d = resp["description"].as_str().unwrap_or("");
                    assert!(!d.is_empty(), "{method} {path} {status} has no description");
                }
            }
        }
        let r429 = &doc["paths"]["/api/v1/cases"]["get"]["responses"]["429"];
        assert_eq!(r429["headers"]["Retry-After"]["schema"]["type"], "integer");
    }

    #[test]
    fn the_upload_is_described_as_it_is_called() {
        let op = &doc()["paths"]["/api/v1/cases/{id}/samples"]["post"];
        let filename = op["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .find(|p| p["name"] == "filename")
            .expect("filename");
        assert_eq!(filename["in"], "query");
        assert_eq!(filename["required"], true);
        let body = &op["requestBody"]["content"]["application/octet-stream"]["schema"];
        assert_eq!(body["type"], "string");
        assert_eq!(body["contentMediaType"], "application/octet-stream");
        assert_eq!(body["minLength"], 1, "an empty upload is refused");
    }

    #[test]
    fn the_event_stream_is_described_per_event() {
        // OpenAPI 3.1 reads a text/event-stream schema as the schema of one event.
        let doc = doc();
        let schema = &doc["paths"]["/api/v1/jobs/{id}/events"]["get"]["responses"]["200"]
            ["content"]["text/event-stream"]["schema"];
        assert_eq!(schema["$ref"], "#/components/schemas/JobEvent");
        let data = &doc["components"]["schemas"]["JobEvent"]["properties"]["data"];
        assert_eq!(data["contentMediaType"], "application/json");
        assert_eq!(
            data["contentSchema"]["$ref"],
            "#/components/schemas/JobView"
        );
    }

    #[test]
    fn the_name_pattern_is_what_the_store_accepts() {
        // The patterns as the document carries them.
        let doc = doc();
        let re =
            |p: &serde_json::Value| regex::Regex::new(p.as_str().expect("pattern")).expect("regex");
        let name = re(&doc["components"]["schemas"]["NewCase"]["properties"]["name"]["pattern"]);
        let token =
            re(&doc["components"]["schemas"]["NewTokenBody"]["properties"]["name"]["pattern"]);
        assert_eq!(name.as_str(), token.as_str());
        let params = &doc["paths"]["/api/v1/cases/{id}/samples"]["post"]["parameters"];
        let file = re(&params[1]["schema"]["pattern"]);
        for s in ["a", " a ", "forum post 2026-12-01", "Ω", "a\u{a0}b"] {
            assert!(name.is_match(s), "{s:?}");
            assert!(crate::store::valid_name(s), "{s:?}");
        }
        for s in ["", " ", "\u{a0}\u{3000}", "a\nb", "a\u{85}", "\t"] {
            assert!(!name.is_match(s), "{s:?}");
            assert!(!crate::store::valid_name(s), "{s:?}");
        }
        for s in ["leak.csv", ".hidden", "a b.tsv", "…"] {
            assert!(file.is_match(s), "{s:?}");
            assert!(upload_name(s).is_ok(), "{s:?}");
        }
        for s in ["", ".", "..", " . ", "a/b", "a\\b", "a\u{1}"] {
            assert!(!file.is_match(s), "{s:?}");
        }
    }
}
