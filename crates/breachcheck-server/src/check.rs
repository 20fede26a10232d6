//! The customers' private self-check: public, unauthenticated routes over the claims the
//! company published (`crate::claims`).
//!
//! - `GET /api/v1/check/{claim}/info`: what a client needs and pins (public key, salt,
//!   bucket bits, entries root) and the claim's verdict class.
//! - `POST /api/v1/check/{claim}` `{"bucket", "blinded"}`: one VOPRF evaluation with its
//!   DLEQ proof, the bucket's entries and their path to the entries root. JSON by
//!   default; `Accept: application/octet-stream` gives the same answer as bytes
//!   (`evaluated ‖ proof ‖ path length ‖ path ‖ entries`), a quarter smaller, which is
//!   what keeps a large bucket's answer under 16 KB at K = 100.
//!
//! The server learns the bucket (one of ≥ K published values, or a value outside the
//! claim) and the blinded element, which hides the value; it does the same work whether
//! the value is in the claim or not, so it cannot tell the answer either. Nothing of a
//! request is logged. Guessing is bounded by a per-address and a global token bucket
//! (`429` with `Retry-After`).
use crate::app::App;
use crate::auth::RateLimiter;
use crate::claims::{self, Loaded};
use crate::error::{Error, ErrorBody, Result};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use utoipa::ToSchema;

/// How long a claim's row is trusted before the database is asked again: a claim
/// published or withdrawn by `breachcheck selfcheck` shows within this time.
const REFRESH: Duration = Duration::from_secs(1);

/// The self-check's rate limits.
#[derive(Clone, Copy, Debug)]
pub struct CheckLimits {
    /// Queries a second per client address (average) and at once.
    pub per_address: (f64, f64),
    /// Queries a second for all clients together, and at once.
    pub global: (f64, f64),
}

impl Default for CheckLimits {
    /// One query every 10 s per address on average (8,640 a day), 10 at once; 100 a
    /// second in all. The guessing budget these give is in the README.
    fn default() -> Self {
        CheckLimits {
            per_address: (0.1, 10.0),
            global: (100.0, 200.0),
        }
    }
}

/// The self-check's state: limits and the loaded claims.
pub struct Checks {
    per_address: RateLimiter<IpAddr>,
    global: RateLimiter<()>,
    claims: Mutex<HashMap<String, Cached>>,
}

struct Cached {
    at: Instant,
    claim: Option<Arc<Loaded>>,
    withdrawn: Option<claims::ClaimRow>,
}

impl Checks {
    /// Empty, with these limits.
    pub fn new(limits: CheckLimits) -> Self {
        Checks {
            per_address: RateLimiter::new(limits.per_address.0, limits.per_address.1),
            global: RateLimiter::new(limits.global.0, limits.global.1),
            claims: Mutex::new(HashMap::new()),
        }
    }

    fn limit(&self, addr: IpAddr) -> Result<()> {
        self.per_address.take(addr)?;
        self.global.take(())
    }
}

/// Claim `name` as published now: from the cache when it was looked up less than
/// [`REFRESH`] ago, else from the database (and its file, when the publication changed).
pub(crate) async fn claim(app: &Arc<App>, name: &str) -> Result<Arc<Loaded>> {
    if breachcheck_selfcheck::key::check_claim_name(name).is_err() {
        return Err(Error::NotFound("claim"));
    }
    let cached = {
        let c = app
            .checks
            .claims
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        c.get(name)
            .filter(|c| c.at.elapsed() < REFRESH)
            .map(|c| (c.claim.clone(), c.withdrawn.clone()))
    };
    let (claim, withdrawn) = match cached {
        Some(c) => c,
        None => {
            let name_owned = name.to_owned();
            let previous = {
                let c = app
                    .checks
                    .claims
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                c.get(name).and_then(|c| c.claim.clone())
            };
            let (claim, withdrawn) = crate::api::blocking(app, move |app| {
                let Some(row) = claims::current(&app.db, &name_owned)? else {
                    return Ok((None, None));
                };
                if row.withdrawn.is_some() {
                    return Ok((None, Some(row)));
                }
                if let Some(p) = previous.filter(|p| p.row.id == row.id) {
                    return Ok((Some(p), None));
                }
                let loaded = claims::load(&app.data, row, &app.key)?;
                Ok((Some(Arc::new(loaded)), None))
            })
            .await?;
            app.checks
                .claims
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(
                    name.to_owned(),
                    Cached {
                        at: Instant::now(),
                        claim: claim.clone(),
                        withdrawn: withdrawn.clone(),
                    },
                );
            (claim, withdrawn)
        }
    };
    match (claim, withdrawn) {
        (Some(c), _) => Ok(c),
        (None, Some(w)) => Err(Error::Gone(format!(
            "claim {:?} was withdrawn on {}{}",
            w.name,
            w.withdrawn.as_deref().unwrap_or(""),
            w.withdrawn_reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        ))),
        (None, None) => Err(Error::NotFound("claim")),
    }
}

/// A claim's public info: what a client needs to query and should pin (compare with the
/// company's transparency log before trusting an answer).
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckInfo {
    /// `breachcheck.selfcheck/v1`.
    pub format: String,
    /// The claim's name.
    pub claim: String,
    /// `ristretto255-SHA512` (RFC 9497, mode VOPRF).
    pub suite: String,
    /// The claim's OPRF public key, hex (32 bytes).
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub public_key: String,
    /// This publication's salt, hex (16 bytes).
    #[schema(pattern = "^[0-9a-f]{32}$")]
    pub salt: String,
    /// Buckets are the first `bucket_bits` bits of the value's public SHA-256.
    pub bucket_bits: u8,
    /// K: every bucket holds at least this many entries.
    pub min_bucket: u64,
    /// Entries in all buckets, dummies included.
    pub entries: u64,
    /// Merkle root over the buckets, hex.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub entries_root: String,
    /// The verdict class of the verify run the disclosures' matches come from (`null`
    /// when the sample was published without one).
    pub verdict_class: Option<String>,
    /// SHA-256 of the sample the claim was made from.
    pub sample_sha256: String,
    /// Lines read from the sample.
    pub lines: u64,
    /// When this publication was made (RFC 3339).
    pub published: String,
}

impl CheckInfo {
    /// The info of a loaded claim.
    pub(crate) fn of(l: &Loaded) -> CheckInfo {
        let i = l.published.info();
        CheckInfo {
            format: i.format.clone(),
            claim: i.claim.clone(),
            suite: i.suite.clone(),
            public_key: i.public_key.to_hex(),
            salt: breachcheck_core::hex(&i.salt.0),
            bucket_bits: i.bucket_bits,
            min_bucket: i.min_bucket,
            entries: i.entries,
            entries_root: breachcheck_core::hex(&i.entries_root.0),
            verdict_class: l.row.verdict.clone(),
            sample_sha256: l.row.sample_sha256.clone(),
            lines: u64::try_from(l.row.records).unwrap_or(0),
            published: l.row.published.clone(),
        }
    }
}

/// A query: the value's bucket and its blinded element.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// The bucket: the first `bucket_bits` bits of the value's public SHA-256.
    #[schema(minimum = 0, maximum = 16777215)]
    pub bucket: u32,
    /// The blinded element (RFC 9497 `Blind`), standard base64 of 32 bytes: a canonical
    /// ristretto255 encoding (other 32-byte strings are refused with 400).
    #[schema(pattern = "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$")]
    pub blinded: String,
}

/// The answer to a query.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckAnswer {
    /// The evaluated element, base64 of 32 bytes.
    pub evaluated: String,
    /// The DLEQ proof against the claim's public key, base64 of 64 bytes.
    pub proof: String,
    /// The bucket's entries, each base64 of 46 bytes (16-byte tag, 30-byte sealed
    /// disclosure).
    pub entries: Vec<String>,
    /// The bucket's path to the entries root, leaf to root, each base64 of 32 bytes.
    pub bucket_proof: Vec<String>,
}

/// A claim's public info.
#[utoipa::path(get, path = "/api/v1/check/{claim}/info", tag = "self-check", operation_id = "check_info",
    params(("claim" = String, Path, description = "The claim's name", pattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", example = "acme-2026-11")),
    responses(
        (status = 200, description = "The claim's public info", body = CheckInfo),
        (status = 404, body = ErrorBody), (status = 410, description = "The claim was withdrawn", body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub(crate) async fn info(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(name): Path<String>,
) -> Result<Json<CheckInfo>> {
    // Reading the info tests no value: only the global limit applies.
    let _ = peer;
    app.checks.global.take(())?;
    let c = claim(&app, &name).await?;
    Ok(Json(CheckInfo::of(&c)))
}

/// A private query: the evaluation of a blinded value, its proof and the value's bucket.
/// The server learns only the bucket; the answer is the same work whether or not the
/// value is in the claim.
#[utoipa::path(post, path = "/api/v1/check/{claim}", tag = "self-check", operation_id = "check_query",
    params(("claim" = String, Path, description = "The claim's name", pattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", example = "acme-2026-11")),
    request_body = CheckRequest,
    responses(
        (status = 200, description = "The evaluation, its proof and the bucket (JSON, or bytes when asked with `Accept: application/octet-stream`)", body = CheckAnswer),
        (status = 400, body = ErrorBody),
        (status = 404, description = "No such claim, or no such bucket in it", body = ErrorBody),
        (status = 410, description = "The claim was withdrawn", body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub(crate) async fn query(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response> {
    app.checks.limit(peer.ip())?;
    let req: CheckRequest = serde_json::from_slice(&body).map_err(|e| {
        Error::BadRequest(format!(
            "a query is {{\"bucket\": N, \"blinded\": BASE64}} ({})",
            match e.classify() {
                serde_json::error::Category::Io => "unreadable",
                serde_json::error::Category::Syntax => "not JSON",
                serde_json::error::Category::Data => "wrong fields or types",
                serde_json::error::Category::Eof => "cut short",
            }
        ))
    })?;
    let c = claim(&app, &name).await?;
    let blinded = B64
        .decode(req.blinded.as_bytes())
        .map_err(|_| Error::BadRequest("blinded is standard base64 of 32 bytes".into()))?;
    let (Ok(entries), Ok(path)) = (
        c.published.bucket_entries(req.bucket),
        c.published.bucket_proof(req.bucket),
    ) else {
        return Err(Error::NotFound("bucket in this claim"));
    };
    // One evaluation and one proof (~0.2 ms of CPU): answered on the request's thread.
    let (evaluated, proof) = breachcheck_selfcheck::evaluate(&c.key, &blinded)?;
    let binary = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/octet-stream"));
    if binary {
        let out = breachcheck_selfcheck::wire::Answer::encode(&evaluated, &proof, &path, entries);
        return Ok((
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/octet-stream")],
            out,
        )
            .into_response());
    }
    Ok(Json(CheckAnswer {
        evaluated: B64.encode(evaluated),
        proof: B64.encode(proof),
        entries: entries.iter().map(|e| B64.encode(e.to_bytes())).collect(),
        bucket_proof: path.iter().map(|h| B64.encode(h.0)).collect(),
    })
    .into_response())
}
