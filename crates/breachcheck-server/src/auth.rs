//! Who is asking, and what they may do.
//!
//! API tokens are 32 random bytes shown once (`bct_` + hex) and stored as their SHA-256;
//! a lookup hashes what was sent and finds the row, so the database never holds a usable
//! token. The web app signs in with a token and gets a session: a random cookie
//! (`HttpOnly`, `SameSite=Strict`, `Secure` under TLS, stored hashed, expiring) and a CSRF
//! token that every form and every cookie-authenticated change must send back.
//! Requests are counted per token in a token bucket; an empty bucket is a `429` with
//! `Retry-After`.
use crate::db::{Db, Val};
use crate::error::{Error, Result};
use breachcheck_core::hex;
use rand::TryRngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// What a token may do.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, and manages tokens.
    Admin,
    /// Creates cases, uploads samples, reads verdicts, reports and matches.
    Analyst,
    /// Reads cases, verdicts and reports.
    Viewer,
    /// Reads only signed reports, their signatures and custody logs.
    Auditor,
}

impl Role {
    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Viewer => "viewer",
            Role::Auditor => "auditor",
        }
    }

    /// Parses a role's name.
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "admin" => Role::Admin,
            "analyst" => Role::Analyst,
            "viewer" => Role::Viewer,
            "auditor" => Role::Auditor,
            _ => return None,
        })
    }
}

/// What a request wants to do, checked against the caller's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Read cases, samples, jobs, verdicts and unsigned reports.
    Read,
    /// Create cases and upload samples.
    Write,
    /// Read the per-line matches of a sample.
    ReadMatches,
    /// Read signed reports, signatures and custody logs (also what auditors may do).
    ReadSigned,
    /// Read what the index holds (systems, snapshots, counts, commitment).
    ReadIndex,
    /// Create, list and revoke tokens.
    ManageTokens,
}

impl Action {
    fn describe(self) -> &'static str {
        match self {
            Action::Read => "read cases and reports",
            Action::Write => "create cases or upload samples",
            Action::ReadMatches => "read per-line matches",
            Action::ReadSigned => "read signed reports",
            Action::ReadIndex => "read the index's description",
            Action::ManageTokens => "manage tokens",
        }
    }
}

/// The caller of a request.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The token's id.
    pub token_id: i64,
    /// The token's name (recorded as the operator of what it does).
    pub name: String,
    /// The token's role.
    pub role: Role,
    /// The session's CSRF token, when the caller came with a session cookie.
    pub csrf: Option<String>,
}

impl Caller {
    /// Refuses what the caller's role may not do.
    pub fn require(&self, action: Action) -> Result<()> {
        use Action::*;
        let ok = match self.role {
            Role::Admin => true,
            Role::Analyst => matches!(action, Read | Write | ReadMatches | ReadSigned | ReadIndex),
            Role::Viewer => matches!(action, Read | ReadSigned | ReadIndex),
            Role::Auditor => matches!(action, ReadSigned | ReadIndex),
        };
        if ok {
            Ok(())
        } else {
            Err(Error::Forbidden {
                role: self.role.as_str(),
                what: action.describe(),
            })
        }
    }
}

/// Random bytes as hex, from the operating system.
pub fn random_hex(n: usize) -> Result<String> {
    let mut b = vec![0u8; n];
    rand::rngs::OsRng
        .try_fill_bytes(&mut b)
        .map_err(|e| Error::Internal(format!("the random source failed: {e}")))?;
    Ok(hex(&b))
}

/// SHA-256 of a secret, hex: what the database keeps of tokens and sessions.
pub fn secret_hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Compares two strings in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A token as created: its row id and the secret, shown once.
#[derive(Debug)]
pub struct NewToken {
    /// The row id.
    pub id: i64,
    /// The token itself (never stored).
    pub token: zeroize::Zeroizing<String>,
}

/// Creates a token named `name` with `role`.
pub fn create_token(db: &Db, name: &str, role: Role) -> Result<NewToken> {
    if !crate::store::valid_name(name) {
        return Err(Error::BadRequest(
            "a token's name is 1 to 200 printable characters".into(),
        ));
    }
    let name = name.trim();
    let token = zeroize::Zeroizing::new(format!("bct_{}", random_hex(32)?));
    let hash = secret_hash(&token);
    let now = breachcheck_pipeline::time::now_rfc3339();
    let id = db.tx(|tx| {
        let row = tx.one(
            "INSERT INTO tokens (name, role, hash, created) VALUES ($1, $2, $3, $4) RETURNING id",
            &[name.into(), role.as_str().into(), hash.into(), now.into()],
        )?;
        row.map(|r| r.int(0))
            .ok_or_else(|| Error::Internal("no id for the new token".into()))
    })?;
    Ok(NewToken { id, token })
}

/// Whether any admin token is live (the first start says how to make one).
pub fn has_admin(db: &Db) -> Result<bool> {
    let n = db.tx(|tx| {
        tx.one(
            "SELECT COUNT(*) FROM tokens WHERE role = 'admin' AND revoked IS NULL",
            &[],
        )
    })?;
    Ok(n.map(|r| r.int(0)).unwrap_or(0) > 0)
}

/// The live token whose secret is `token`.
pub fn token_caller(db: &Db, token: &str) -> Result<Caller> {
    if !token.starts_with("bct_") || token.len() != 68 {
        return Err(Error::Unauthorized);
    }
    let hash = secret_hash(token);
    let row = db.tx(|tx| {
        tx.one(
            "SELECT id, name, role FROM tokens WHERE hash = $1 AND revoked IS NULL",
            &[hash.into()],
        )
    })?;
    let row = row.ok_or(Error::Unauthorized)?;
    Ok(Caller {
        token_id: row.int(0),
        name: row.text(1),
        role: Role::parse(&row.text(2)).ok_or(Error::Unauthorized)?,
        csrf: None,
    })
}

/// How long a web session lasts without signing in again.
pub const SESSION_SECONDS: i64 = 12 * 3600;

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A new session for the token `token`: the cookie's value and the CSRF token.
pub fn create_session(db: &Db, caller: &Caller) -> Result<(String, String)> {
    let cookie = random_hex(32)?;
    let csrf = random_hex(16)?;
    let now = unix_now();
    db.tx(|tx| {
        // Expired sessions go as new ones come.
        tx.exec("DELETE FROM sessions WHERE expires < $1", &[now.into()])?;
        tx.exec(
            "INSERT INTO sessions (hash, token_id, csrf, expires) VALUES ($1, $2, $3, $4)",
            &[
                secret_hash(&cookie).into(),
                caller.token_id.into(),
                csrf.clone().into(),
                (now + SESSION_SECONDS).into(),
            ],
        )
    })?;
    Ok((cookie, csrf))
}

/// The caller behind a session cookie (a live session of a live token).
pub fn session_caller(db: &Db, cookie: &str) -> Result<Caller> {
    if cookie.len() != 64 || !cookie.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::Unauthorized);
    }
    let row = db.tx(|tx| {
        tx.one(
            "SELECT t.id, t.name, t.role, s.csrf FROM sessions s JOIN tokens t ON t.id = s.token_id \
             WHERE s.hash = $1 AND s.expires >= $2 AND t.revoked IS NULL",
            &[secret_hash(cookie).into(), unix_now().into()],
        )
    })?;
    let row = row.ok_or(Error::Unauthorized)?;
    Ok(Caller {
        token_id: row.int(0),
        name: row.text(1),
        role: Role::parse(&row.text(2)).ok_or(Error::Unauthorized)?,
        csrf: Some(row.text(3)),
    })
}

/// Ends a session.
pub fn end_session(db: &Db, cookie: &str) -> Result<()> {
    db.tx(|tx| {
        tx.exec(
            "DELETE FROM sessions WHERE hash = $1",
            &[Val::from(secret_hash(cookie))],
        )
    })?;
    Ok(())
}

/// Requests per key (a token, a client address, or one key for everyone): a bucket of
/// `burst` requests refilled at `per_second`.
pub struct RateLimiter<K = i64> {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<K, (f64, Instant)>>,
}

/// Keys tracked before full buckets are dropped: a key whose bucket has refilled is the
/// same as a key never seen, so forgetting it changes nothing, and many client addresses
/// cannot grow the map without bound.
const PRUNE_AT: usize = 65_536;

impl<K: std::hash::Hash + Eq + Clone> RateLimiter<K> {
    /// A limiter allowing `per_second` requests a second on average and `burst` at once.
    pub fn new(per_second: f64, burst: f64) -> Self {
        RateLimiter {
            per_second: per_second.max(0.001),
            burst: burst.max(1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `key`'s bucket, or says how long to wait.
    pub fn take(&self, key: K) -> Result<()> {
        let now = Instant::now();
        let mut b = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if b.len() >= PRUNE_AT && !b.contains_key(&key) {
            let (rate, burst) = (self.per_second, self.burst);
            b.retain(|_, (level, at)| {
                *level + now.duration_since(*at).as_secs_f64() * rate < burst
            });
        }
        let (level, at) = b.entry(key).or_insert((self.burst, now));
        *level = (*level + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if *level >= 1.0 {
            *level -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - *level) / self.per_second).ceil().max(1.0) as u64;
            Err(Error::RateLimited { retry_after: wait })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_allow_what_the_issue_says() {
        let c = |role| Caller {
            token_id: 1,
            name: "n".into(),
            role,
            csrf: None,
        };
        assert!(c(Role::Viewer).require(Action::Read).is_ok());
        assert!(c(Role::Viewer).require(Action::Write).is_err());
        assert!(c(Role::Viewer).require(Action::ReadMatches).is_err());
        assert!(c(Role::Analyst).require(Action::ReadMatches).is_ok());
        assert!(c(Role::Analyst).require(Action::ManageTokens).is_err());
        assert!(c(Role::Auditor).require(Action::Read).is_err());
        assert!(c(Role::Auditor).require(Action::ReadSigned).is_ok());
        assert!(c(Role::Admin).require(Action::ManageTokens).is_ok());
    }

    #[test]
    fn the_bucket_empties_and_refills() {
        let l = RateLimiter::new(1000.0, 2.0);
        assert!(l.take(1).is_ok());
        assert!(l.take(1).is_ok());
        match l.take(1) {
            Err(Error::RateLimited { retry_after }) => assert_eq!(retry_after, 1),
            other => panic!("expected 429, got {other:?}"),
        }
        // Another token has its own bucket.
        assert!(l.take(2).is_ok());
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert!(l.take(1).is_ok());
    }

    #[test]
    fn tokens_are_stored_hashed_and_sessions_expire_with_revocation() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Db::open_sqlite(&dir.path().join("t.db")).expect("open");
        assert!(!has_admin(&db).expect("admin"));
        let t = create_token(&db, "lead", Role::Admin).expect("token");
        assert!(has_admin(&db).expect("admin"));
        let stored = db
            .tx(|tx| tx.query("SELECT hash FROM tokens", &[]))
            .expect("rows");
        assert_ne!(stored[0].text(0), *t.token);
        let caller = token_caller(&db, &t.token).expect("caller");
        assert_eq!(caller.role, Role::Admin);
        assert!(matches!(
            token_caller(&db, &format!("bct_{}", "0".repeat(64))),
            Err(Error::Unauthorized)
        ));
        let (cookie, csrf) = create_session(&db, &caller).expect("session");
        assert_eq!(session_caller(&db, &cookie).expect("s").csrf, Some(csrf));
        db.tx(|tx| tx.exec("UPDATE tokens SET revoked = 'now'", &[]))
            .expect("revoke");
        assert!(session_caller(&db, &cookie).is_err());
        assert!(token_caller(&db, &t.token).is_err());
    }
}
