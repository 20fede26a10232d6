//! One data-access layer over two databases: embedded SQLite (the default, a file in the
//! data folder) and PostgreSQL (`--database postgres://…`). Both speak the same SQL here:
//! statements are written once with `$1`-style parameters (rewritten to SQLite's `?1`),
//! values are integers and text only (times as RFC 3339 text), and the few places the
//! dialects differ (the auto-numbered id column) are spelled out in [`Dialect`].
//!
//! Both clients are synchronous; the server calls the store from blocking threads. One
//! connection behind a mutex is enough for the load a case server sees (a handful of
//! writes per verification) and makes every multi-statement change a plain transaction.
use crate::error::{Error, Result};
use std::path::Path;
use std::sync::Mutex;

/// A value bound to or read from a statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    /// An integer or NULL.
    Int(Option<i64>),
    /// Text or NULL.
    Text(Option<String>),
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::Int(Some(v))
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::Text(Some(v.to_owned()))
    }
}
impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::Text(Some(v))
    }
}
impl From<Option<String>> for Val {
    fn from(v: Option<String>) -> Self {
        Val::Text(v)
    }
}
impl From<Option<i64>> for Val {
    fn from(v: Option<i64>) -> Self {
        Val::Int(v)
    }
}

/// A result row: its values by position.
#[derive(Clone, Debug)]
pub struct Row(Vec<Val>);

impl Row {
    /// The integer in column `i` (0 when NULL or not an integer).
    pub fn int(&self, i: usize) -> i64 {
        self.opt_int(i).unwrap_or(0)
    }
    /// The integer in column `i`, if any.
    pub fn opt_int(&self, i: usize) -> Option<i64> {
        match self.0.get(i) {
            Some(Val::Int(v)) => *v,
            Some(Val::Text(Some(t))) => t.parse().ok(),
            _ => None,
        }
    }
    /// The text in column `i` (empty when NULL).
    pub fn text(&self, i: usize) -> String {
        self.opt_text(i).unwrap_or_default()
    }
    /// The text in column `i`, if any.
    pub fn opt_text(&self, i: usize) -> Option<String> {
        match self.0.get(i) {
            Some(Val::Text(v)) => v.clone(),
            Some(Val::Int(Some(v))) => Some(v.to_string()),
            _ => None,
        }
    }
}

/// Which SQL dialect a connection speaks, for the few statements that differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite 3.35 or later (bundled).
    Sqlite,
    /// PostgreSQL 12 or later.
    Postgres,
}

enum Conn {
    Sqlite(rusqlite::Connection),
    Postgres(Box<postgres::Client>),
}

/// The database: one connection, used by one caller at a time.
pub struct Db {
    conn: Mutex<Conn>,
    dialect: Dialect,
}

/// A connection inside a transaction (or not, for single statements).
pub struct Tx<'a> {
    conn: &'a mut Conn,
}

/// The schema, applied in order; `{ID}` is the dialect's auto-numbered key column. A
/// database records how many of these it has applied, so a newer server adds the rest.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE tokens (
    id {ID},
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL,
    revoked TEXT
);
CREATE TABLE sessions (
    hash TEXT PRIMARY KEY,
    token_id BIGINT NOT NULL REFERENCES tokens(id),
    csrf TEXT NOT NULL,
    expires BIGINT NOT NULL
);
CREATE TABLE cases (
    id {ID},
    name TEXT NOT NULL,
    created TEXT NOT NULL,
    created_by TEXT NOT NULL,
    head_seq BIGINT NOT NULL DEFAULT 0,
    head_hash TEXT,
    head_signature TEXT
);
CREATE TABLE samples (
    id {ID},
    case_id BIGINT NOT NULL REFERENCES cases(id),
    filename TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    stored TEXT NOT NULL,
    uploaded TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    UNIQUE (case_id, sha256)
);
CREATE TABLE jobs (
    id {ID},
    sample_id BIGINT NOT NULL REFERENCES samples(id),
    state TEXT NOT NULL,
    lines BIGINT NOT NULL DEFAULT 0,
    bytes BIGINT NOT NULL DEFAULT 0,
    total_bytes BIGINT NOT NULL DEFAULT 0,
    error TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    operator TEXT NOT NULL,
    created TEXT NOT NULL,
    started TEXT,
    finished TEXT
);
CREATE INDEX jobs_state ON jobs (state, id);
CREATE TABLE reports (
    sample_id BIGINT PRIMARY KEY REFERENCES samples(id),
    job_id BIGINT NOT NULL REFERENCES jobs(id),
    base TEXT NOT NULL,
    signed BIGINT NOT NULL,
    matches TEXT,
    summary TEXT NOT NULL
);
CREATE TABLE custody (
    case_id BIGINT NOT NULL REFERENCES cases(id),
    seq BIGINT NOT NULL,
    entry TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);
"#,
    r#"
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE claims (
    id {ID},
    name TEXT NOT NULL,
    file TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    public_key TEXT NOT NULL,
    bucket_bits BIGINT NOT NULL,
    entries BIGINT NOT NULL,
    values_published BIGINT NOT NULL,
    sample_sha256 TEXT NOT NULL,
    records BIGINT NOT NULL,
    verdict TEXT,
    published TEXT NOT NULL,
    published_by TEXT NOT NULL,
    withdrawn TEXT,
    withdrawn_reason TEXT
);
CREATE INDEX claims_name ON claims (name, id);
"#,
];

impl Db {
    /// Opens (creating when absent) the SQLite database at `path`.
    pub fn open_sqlite(path: &Path) -> Result<Db> {
        let conn = rusqlite::Connection::open(path)?;
        // WAL: readers do not wait for the writer; a killed server loses no committed row.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let db = Db {
            conn: Mutex::new(Conn::Sqlite(conn)),
            dialect: Dialect::Sqlite,
        };
        db.migrate()?;
        Ok(db)
    }

    /// Connects to PostgreSQL at `url` (`postgres://user@host/db`; TLS-less, for a
    /// database on the same host or network).
    pub fn open_postgres(url: &str) -> Result<Db> {
        let client = postgres::Client::connect(url, postgres::NoTls)?;
        let db = Db {
            conn: Mutex::new(Conn::Postgres(Box::new(client))),
            dialect: Dialect::Postgres,
        };
        db.migrate()?;
        Ok(db)
    }

    /// Opens the database named by `url` (`postgres://…`), else SQLite at
    /// `DATA/breachcheck.db`.
    pub fn open(url: Option<&str>, data: &Path) -> Result<Db> {
        match url {
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                Db::open_postgres(u)
            }
            Some(u) => {
                let path = u.strip_prefix("sqlite://").unwrap_or(u);
                Db::open_sqlite(Path::new(path))
            }
            None => Db::open_sqlite(&data.join("breachcheck.db")),
        }
    }

    /// Which dialect the database speaks.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Runs `f` in one transaction: committed when it returns `Ok`, rolled back otherwise.
    pub fn tx<T>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        let mut guard = self
            .conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let conn: &mut Conn = &mut guard;
        simple(conn, "BEGIN")?;
        let mut tx = Tx { conn };
        match f(&mut tx) {
            Ok(v) => {
                simple(tx.conn, "COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                // The error that made us roll back is the one worth reporting.
                let _ = simple(tx.conn, "ROLLBACK");
                Err(e)
            }
        }
    }

    /// Applies the migrations this database has not seen.
    fn migrate(&self) -> Result<()> {
        let id = match self.dialect {
            Dialect::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
            Dialect::Postgres => "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        };
        self.tx(|tx| {
            tx.exec(
                "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)",
                &[],
            )?;
            let have = match tx.query("SELECT version FROM schema_version", &[])?.first() {
                Some(r) => r.int(0),
                None => {
                    tx.exec("INSERT INTO schema_version (version) VALUES (0)", &[])?;
                    0
                }
            };
            for (i, m) in MIGRATIONS.iter().enumerate().skip(have.max(0) as usize) {
                for stmt in m.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                    tx.exec(&stmt.replace("{ID}", id), &[])?;
                }
                tx.exec(
                    "UPDATE schema_version SET version = $1",
                    &[Val::from(i as i64 + 1)],
                )?;
            }
            Ok(())
        })
    }
}

fn simple(conn: &mut Conn, sql: &str) -> Result<()> {
    match conn {
        Conn::Sqlite(c) => c.execute_batch(sql)?,
        Conn::Postgres(c) => c.batch_execute(sql)?,
    }
    Ok(())
}

/// `$1` → `?1`: SQLite's numbered parameters.
fn to_sqlite(sql: &str) -> String {
    sql.replace('$', "?")
}

impl rusqlite::ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value};
        Ok(match self {
            Val::Int(Some(v)) => ToSqlOutput::Owned(Value::Integer(*v)),
            Val::Text(Some(t)) => ToSqlOutput::Borrowed(t.as_str().into()),
            Val::Int(None) | Val::Text(None) => ToSqlOutput::Owned(Value::Null),
        })
    }
}

impl Tx<'_> {
    /// Runs a statement; returns the rows it changed.
    pub fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64> {
        match self.conn {
            Conn::Sqlite(c) => {
                let n = c.execute(&to_sqlite(sql), rusqlite::params_from_iter(params.iter()))?;
                Ok(n as u64)
            }
            Conn::Postgres(c) => {
                let p = pg_params(params);
                Ok(c.execute(sql, &p)?)
            }
        }
    }

    /// Runs a query; returns its rows.
    pub fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>> {
        match self.conn {
            Conn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(&to_sqlite(sql))?;
                let n = stmt.column_count();
                let rows = stmt.query_map(rusqlite::params_from_iter(params.iter()), |r| {
                    let mut vals = Vec::with_capacity(n);
                    for i in 0..n {
                        use rusqlite::types::ValueRef;
                        vals.push(match r.get_ref(i)? {
                            ValueRef::Integer(v) => Val::Int(Some(v)),
                            ValueRef::Null => Val::Int(None),
                            ValueRef::Real(v) => Val::Text(Some(v.to_string())),
                            ValueRef::Text(t) | ValueRef::Blob(t) => {
                                Val::Text(Some(String::from_utf8_lossy(t).into_owned()))
                            }
                        });
                    }
                    Ok(Row(vals))
                })?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
            }
            Conn::Postgres(c) => {
                let p = pg_params(params);
                let rows = c.query(sql, &p)?;
                rows.iter().map(pg_row).collect()
            }
        }
    }

    /// The first row of a query, if any.
    pub fn one(&mut self, sql: &str, params: &[Val]) -> Result<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }
}

fn pg_params(params: &[Val]) -> Vec<&(dyn postgres::types::ToSql + Sync)> {
    params
        .iter()
        .map(|v| match v {
            Val::Int(i) => i as &(dyn postgres::types::ToSql + Sync),
            Val::Text(t) => t as &(dyn postgres::types::ToSql + Sync),
        })
        .collect()
}

fn pg_row(r: &postgres::Row) -> Result<Row> {
    use postgres::types::Type;
    let mut vals = Vec::with_capacity(r.len());
    for (i, col) in r.columns().iter().enumerate() {
        let t = col.type_();
        let v = if *t == Type::INT8 {
            Val::Int(r.try_get::<_, Option<i64>>(i)?)
        } else if *t == Type::INT4 {
            Val::Int(r.try_get::<_, Option<i32>>(i)?.map(i64::from))
        } else if *t == Type::INT2 {
            Val::Int(r.try_get::<_, Option<i16>>(i)?.map(i64::from))
        } else if *t == Type::TEXT || *t == Type::VARCHAR || *t == Type::NAME {
            Val::Text(r.try_get::<_, Option<String>>(i)?)
        } else {
            return Err(Error::Internal(format!(
                "unexpected column type {t} from the database"
            )));
        };
        vals.push(v);
    }
    Ok(Row(vals))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_migrates_once_and_binds_nulls() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.db");
        {
            let db = Db::open_sqlite(&path).expect("open");
            db.tx(|tx| {
                tx.exec(
                    "INSERT INTO tokens (name, role, hash, created, revoked) VALUES ($1, $2, $3, $4, $5)",
                    &["n".into(), "admin".into(), "h".into(), "t".into(), Val::Text(None)],
                )
            })
            .expect("insert");
        }
        // Opening again applies nothing twice and keeps the rows.
        let db = Db::open_sqlite(&path).expect("reopen");
        let rows = db
            .tx(|tx| tx.query("SELECT id, revoked FROM tokens", &[]))
            .expect("select");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].int(0), 1);
        assert_eq!(rows[0].opt_text(1), None);
    }

    #[test]
    fn a_failed_transaction_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Db::open_sqlite(&dir.path().join("t.db")).expect("open");
        let r: Result<()> = db.tx(|tx| {
            tx.exec(
                "INSERT INTO cases (name, created, created_by) VALUES ('c', 't', 'u')",
                &[],
            )?;
            Err(Error::Internal("stop".into()))
        });
        assert!(r.is_err());
        let n = db
            .tx(|tx| tx.one("SELECT COUNT(*) FROM cases", &[]))
            .expect("count")
            .map(|r| r.int(0));
        assert_eq!(n, Some(0));
    }
}
