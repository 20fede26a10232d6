//! The server's errors, and how each reaches a client: a status and a JSON body
//! `{"error": CODE, "message": TEXT}`. Messages name what failed and never carry a sample
//! value or a token; internal failures are logged (without values) and answered with a
//! generic message.
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Errors of the server and its store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No or an unknown credential.
    #[error("sign in: send `Authorization: Bearer TOKEN` (or use the web app's session)")]
    Unauthorized,
    /// The credential's role may not do this.
    #[error("the role {role} may not {what}")]
    Forbidden {
        /// The caller's role.
        role: &'static str,
        /// What was refused.
        what: &'static str,
    },
    /// A form or a cookie-authenticated call without the session's CSRF token.
    #[error("missing or wrong CSRF token: reload the page")]
    Csrf,
    /// Nothing there.
    #[error("no such {0}")]
    NotFound(&'static str),
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// The upload passed `--max-upload`.
    #[error("the upload is larger than this server accepts ({limit} bytes)")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The caller's token sent too many requests.
    #[error("too many requests: retry after {retry_after} s")]
    RateLimited {
        /// Seconds until a request is accepted again.
        retry_after: u64,
    },
    /// The job queue is full.
    #[error("the server is busy ({0} jobs waiting): retry later")]
    Busy(usize),
    /// Not ready yet (a report before its job is done).
    #[error("{0}")]
    Conflict(String),
    /// SQLite.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL.
    #[error("database: {0}")]
    Postgres(#[from] postgres::Error),
    /// Files of the data folder.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The failure.
        #[source]
        source: std::io::Error,
    },
    /// Writing outputs.
    #[error(transparent)]
    Files(#[from] breachcheck_files::Error),
    /// A verification failed (its message names no value).
    #[error(transparent)]
    Pipeline(#[from] breachcheck_pipeline::Error),
    /// Reports.
    #[error(transparent)]
    Report(#[from] breachcheck_report::Error),
    /// A self-check claim that was withdrawn.
    #[error("{0}")]
    Gone(String),
    /// The self-check's cryptography or a claim file refused something.
    #[error(transparent)]
    Selfcheck(#[from] breachcheck_selfcheck::Error),
    /// JSON.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A bug or an impossible state.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Results of the server.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Wraps an I/O error with what was being done.
    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let context = context.into();
        move |source| Error::Io { context, source }
    }

    fn status(&self) -> (StatusCode, &'static str) {
        match self {
            Error::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Error::Forbidden { .. } => (StatusCode::FORBIDDEN, "forbidden"),
            Error::Csrf => (StatusCode::FORBIDDEN, "csrf"),
            Error::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Error::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Error::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            Error::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Error::Busy(_) => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            Error::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Error::Gone(_) => (StatusCode::GONE, "gone"),
            Error::Selfcheck(
                breachcheck_selfcheck::Error::Malformed(_)
                | breachcheck_selfcheck::Error::NoSuchBucket { .. }
                | breachcheck_selfcheck::Error::ClaimName { .. },
            ) => (StatusCode::BAD_REQUEST, "bad_request"),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable code: `unauthorized`, `forbidden`, `csrf`, `not_found`, `bad_request`,
    /// `too_large`, `rate_limited`, `busy`, `conflict`, `internal`.
    pub error: String,
    /// What went wrong, for people.
    pub message: String,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, code) = self.status();
        let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
            // Logged in full (messages of the pipeline and the store carry no values);
            // the client learns only that it failed.
            tracing::error!(error = %self, "request failed");
            "the server failed to answer; its log says why".to_owned()
        } else {
            self.to_string()
        };
        let mut resp = (
            status,
            axum::Json(ErrorBody {
                error: code.to_owned(),
                message,
            }),
        )
            .into_response();
        if let Error::RateLimited { retry_after } = self {
            if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        if matches!(self, Error::Unauthorized) {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"breachcheck\""),
            );
        }
        resp
    }
}
