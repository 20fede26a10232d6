//! A live PostgreSQL database as an index source: `COPY (query) TO STDOUT` streamed to a
//! temporary CSV file, which the ingest stage then reads like any export. The table is never
//! held in memory; the spool lets ingest sniff roles and formats from real rows first.
use crate::{Error, Result};
use std::io::Write;
use std::path::Path;
use std::str::FromStr;

/// A query result spooled to disk.
pub struct Spooled {
    /// The CSV file (header line, then one row per line); deleted when dropped.
    pub file: tempfile::NamedTempFile,
    /// Name for reports: `postgres:DBNAME`.
    pub name: String,
    /// The connection URL without its password, for the manifest and `index rekey`.
    pub location: String,
}

/// The connection string without any password, in URL form.
pub fn redacted(config: &postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            postgres::config::Host::Tcp(name) => name.clone(),
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgres://{}@{host}:{port}/{}",
        config.get_user().unwrap_or("postgres"),
        config.get_dbname().unwrap_or("postgres")
    )
}

/// Runs `query` on the database at `url` and spools its rows as CSV into `dir`. A password
/// not in the URL is taken from `PGPASSWORD`, as libpq does.
pub fn spool(url: &str, query: &str, dir: &Path) -> Result<Spooled> {
    // The parser's own message may quote the URL, password included: not shown.
    let mut config = postgres::Config::from_str(url).map_err(|_| {
        Error::Database(
            "--source takes a PostgreSQL URL such as postgres://user@host:5432/dbname (or key=value pairs)".into()
        )
    })?;
    if config.get_password().is_none() {
        if let Ok(pw) = std::env::var("PGPASSWORD") {
            config.password(pw);
        }
    }
    let location = redacted(&config);
    let mut client = config
        .connect(postgres::NoTls)
        .map_err(|e| Error::Database(format!("cannot connect to {location}: {e}")))?;
    let query = query.trim().trim_end_matches(';');
    let mut reader = client
        .copy_out(&format!(
            "COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER true)"
        ))
        .map_err(|e| {
            Error::Database(format!("the query failed on {location}: {}", describe(&e)))
        })?;
    let file = tempfile::Builder::new()
        .prefix(".tmp-pg-")
        .suffix(".csv")
        .tempfile_in(dir)
        .map_err(|source| Error::CreateDir {
            path: dir.to_owned(),
            source,
        })?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file.as_file());
    std::io::copy(&mut reader, &mut w)
        // The server's error arrives inside an I/O error whose text may quote a value.
        .map_err(|_| Error::Database(format!("copying rows from {location} failed: the server ended the copy with an error (connection lost, or a data error in the query)")))?;
    w.flush()
        .map_err(|e| Error::Database(format!("cannot write the spool file of {location}: {e}")))?;
    drop(w);
    Ok(Spooled {
        file,
        name: format!("postgres:{}", config.get_dbname().unwrap_or("postgres")),
        location,
    })
}

/// A server error without any data value: statement errors (SQLSTATE class 42: syntax,
/// unknown column or table, permission) quote the query, never rows, so their message is
/// shown; other server errors (data exceptions, constraint violations) can quote a cell,
/// so only their SQLSTATE is.
fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) if db.code().code().starts_with("42") => {
            format!("{} (SQLSTATE {})", db.message(), db.code().code())
        }
        Some(db) => format!(
            "SQLSTATE {} (its message is not shown: it may quote a value)",
            db.code().code()
        ),
        None => "the connection failed or was closed".into(),
    }
}
