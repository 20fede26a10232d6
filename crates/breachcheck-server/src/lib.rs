//! `breachcheck serve`: where the incident team works. An HTTP API (`/api/v1/`, OpenAPI
//! 3.1 at `/api/v1/openapi.json`) and a web app (`/`) over cases, samples, verification
//! jobs, reports and custody logs, on embedded SQLite by default or PostgreSQL.
//!
//! - [`db`]: one data-access layer over both databases; [`store`]: the queries.
//! - [`auth`]: tokens (stored hashed), roles, sessions and CSRF, the per-token rate limit.
//! - [`jobs`]: the bounded worker pool that runs `breachcheck_pipeline::Verifier`.
//! - [`api`] and [`web`]: the routes; [`listen`]: TCP or TLS, connection limits.
//! - [`claims`] and [`check`]: the customers' private self-check — claims published from
//!   samples (`breachcheck selfcheck publish`) and the public, rate-limited routes and page
//!   that answer queries about them without learning the value asked about.
//!
//! The server is a shell over the pipeline: a verification here writes the same report as
//! `breachcheck verify` does for the same index and sample, into a case folder whose
//! custody log is the one `verify --case` keeps (and `breachcheck case verify` checks).
pub mod api;
pub mod app;
pub mod auth;
pub mod check;
mod check_page;
pub mod claims;
pub mod db;
mod error;
pub mod jobs;
pub mod listen;
pub mod store;
pub mod web;

pub use app::{App, Config};
pub use auth::Role;
pub use check::CheckLimits;
pub use error::{Error, ErrorBody, Result};
pub use listen::ConnLimits;

use axum::http::{header, HeaderValue};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// Where and how to listen.
#[derive(Clone, Debug)]
pub struct Listen {
    /// The address (default `127.0.0.1:8080`).
    pub addr: SocketAddr,
    /// A PEM certificate chain and key: serve HTTPS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Allow plain HTTP on an address other than loopback.
    pub insecure_plaintext: bool,
    /// Connection limits.
    pub limits: ConnLimits,
}

/// The routes: the API under `/api/v1`, the web app at `/`, security headers on every
/// answer, small request bodies except uploads.
pub fn router(app: Arc<App>) -> axum::Router {
    axum::Router::new()
        .nest("/api/v1", api::routes())
        .merge(web::routes())
        .route(
            "/healthz",
            axum::routing::get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
        )
        // JSON and form bodies (not uploads, which stream) are small.
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(app)
}

async fn security_headers(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let is_report_html = req.uri().path().ends_with("/report.html");
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    let csp = if is_report_html {
        // The report page is self-contained: inline style and SVG, no script.
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
    } else {
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         frame-src 'self'; connect-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'"
    };
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(csp));
    h.entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    h.entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("no-referrer"));
    h.entry(header::X_FRAME_OPTIONS)
        .or_insert(HeaderValue::from_static("SAMEORIGIN"));
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    resp
}

/// A running server.
pub struct Running {
    /// The address it listens on (the port chosen when asked for port 0).
    pub addr: SocketAddr,
    /// Whether a live admin token exists (the first start says how to make one).
    pub has_admin: bool,
    /// The shared state (database, queue), for callers that look inside (tests, benches).
    pub app: Arc<App>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<()>>>,
    _lock: breachcheck_files::DirLock,
}

/// Whether `addr` is a loopback address (plain HTTP is allowed there).
pub fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}

/// Opens the data folder (locked: one server per folder) and the database, starts the
/// workers (queueing what a previous run left) and listens.
pub fn start(config: Config, listen: Listen, workers: usize) -> Result<Running> {
    if listen.tls.is_none() && !is_loopback(&listen.addr) && !listen.insecure_plaintext {
        return Err(Error::BadRequest(format!(
            "{} is not a loopback address: give --tls-cert and --tls-key, or --insecure-plaintext to serve plain HTTP anyway",
            listen.addr
        )));
    }
    let tls = listen
        .tls
        .as_ref()
        .map(|(c, k)| listen::tls_config(c, k))
        .transpose()?;
    std::fs::create_dir_all(&config.data).map_err(Error::io("cannot create the data folder"))?;
    let lock = breachcheck_files::DirLock::acquire(&config.data, "data folder")?;
    let app = App::open(config)?;
    let has_admin = auth::has_admin(&app.db)?;
    jobs::start_workers(&app, workers)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("serve")
        .build()
        .map_err(Error::io("cannot start the server's runtime"))?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(listen.addr))
        .map_err(Error::io(format!("cannot listen on {}", listen.addr)))?;
    let addr = listener
        .local_addr()
        .map_err(Error::io("cannot read the listening address"))?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let router = router(Arc::clone(&app));
    let limits = listen.limits;
    let thread = std::thread::Builder::new()
        .name("serve".into())
        .spawn(move || {
            runtime.block_on(async move {
                let shutdown = async {
                    tokio::select! {
                        _ = stop_rx => {}
                        () = terminate() => {}
                    }
                };
                listen::serve(listener, router, tls, limits, shutdown).await
            })
        })
        .map_err(Error::io("cannot start the server thread"))?;
    Ok(Running {
        addr,
        has_admin,
        app,
        stop: Some(stop_tx),
        thread: Some(thread),
        _lock: lock,
    })
}

/// Ctrl-C or SIGTERM.
async fn terminate() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

impl Running {
    /// Serves until Ctrl-C or SIGTERM.
    pub fn wait(mut self) -> Result<()> {
        match self.thread.take() {
            Some(t) => t
                .join()
                .map_err(|_| Error::Internal("the server thread panicked".into()))?,
            None => Ok(()),
        }
    }

    /// Stops listening and returns when open requests are answered (jobs still running
    /// are marked interrupted and run again at the next start).
    pub fn stop(mut self) -> Result<()> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        self.wait()
    }
}

/// Creates an API token in the database of `data` (or `database`); the caller prints it.
pub fn create_token(
    data: &std::path::Path,
    database: Option<&str>,
    role: Role,
    name: &str,
) -> Result<auth::NewToken> {
    std::fs::create_dir_all(data).map_err(Error::io("cannot create the data folder"))?;
    let db = db::Db::open(database, data)?;
    auth::create_token(&db, name, role)
}
