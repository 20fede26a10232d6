//! `breachcheck serve`: the incident team's server (API and web app), and `serve token
//! create`. The server itself is `breachcheck-server`; this is its command line.
use crate::keyfile;
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// `serve`'s flags, or its `token` subcommand.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(crate) struct ServeArgs {
    #[command(subcommand)]
    command: Option<ServeCommand>,
    /// The blind index.
    #[arg(long, required = true)]
    index: Option<PathBuf>,
    /// The index's secret key file.
    #[arg(long, required = true)]
    key: Option<PathBuf>,
    /// Uploaded samples, case folders (reports, custody logs) and, by default, the SQLite
    /// database (DATA/breachcheck.db).
    #[arg(long, required = true)]
    data: Option<PathBuf>,
    /// Address to listen on. Beyond loopback, TLS (--tls-cert/--tls-key) or
    /// --insecure-plaintext is required.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// `postgres://user@host/db` to keep cases and jobs in PostgreSQL instead of SQLite
    /// (same schema; migrations applied at start).
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// Sign every report and custody head with this ed25519 key (`sign-key generate`).
    #[arg(long, value_name = "FILE")]
    sign_key: Option<PathBuf>,
    /// Largest upload accepted, in bytes (larger ones get 413).
    #[arg(long, value_name = "BYTES", default_value_t = 4 << 30)]
    max_upload: u64,
    /// PEM certificate chain: serve HTTPS.
    #[arg(long, requires = "tls_key", value_name = "FILE")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert", value_name = "FILE")]
    tls_key: Option<PathBuf>,
    /// Serve plain HTTP on an address that is not loopback (behind a TLS proxy).
    #[arg(long)]
    insecure_plaintext: bool,
    /// Verifications that run at once (default: the number of CPUs).
    #[arg(long)]
    workers: Option<usize>,
    /// Jobs that may wait for a worker; further uploads get 503.
    #[arg(long, default_value_t = 1000)]
    max_queued: usize,
    /// Requests a second per token, on average (bursts of --rate-burst); more get 429.
    #[arg(long, default_value_t = 20.0)]
    rate: f64,
    /// Requests per token at once.
    #[arg(long, default_value_t = 100.0)]
    rate_burst: f64,
    /// Connections served at once.
    #[arg(long, default_value_t = 512)]
    max_connections: usize,
    /// Self-check queries a second per client address, on average (the guessing budget:
    /// 0.1 is 8,640 a day); more get 429.
    #[arg(long, default_value_t = 0.1)]
    check_rate: f64,
    /// Self-check queries per client address at once.
    #[arg(long, default_value_t = 10.0)]
    check_burst: f64,
    /// Self-check queries a second from all clients together (100: 8.64 million a day).
    #[arg(long, default_value_t = 100.0)]
    check_global_rate: f64,
    /// Where the company's transparency log is published (`breachcheck log publish`'s
    /// folder on a web server): the self-check pages link its page and feed.
    #[arg(long, value_name = "URL")]
    log_url: Option<String>,
    /// The transparency log's folder (`log init`): a claim's page lists its statements.
    #[arg(long, value_name = "DIR")]
    log: Option<PathBuf>,
}

#[derive(Subcommand)]
enum ServeCommand {
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token and print it once, alone on the last line (stored hashed).
    #[command(
        after_help = "Example:\n  breachcheck serve token create --data /srv/breachcheck --role admin --name incident-lead"
    )]
    Create {
        /// The server's data folder.
        #[arg(long)]
        data: PathBuf,
        /// `postgres://…` when the server keeps its data in PostgreSQL.
        #[arg(long, value_name = "URL")]
        database: Option<String>,
        /// admin (everything, manages tokens), analyst (uploads, reads matches), viewer
        /// (reads verdicts and reports), auditor (reads signed reports and custody logs).
        #[arg(long)]
        role: String,
        /// Who holds it (recorded as the operator of what it does).
        #[arg(long)]
        name: String,
    },
}

pub(crate) const SERVE_HELP: &str = "Example:\n  breachcheck serve token create --data /srv/bc --role admin --name lead\n  breachcheck serve --index idx --key company.key --data /srv/bc --sign-key reports.signkey\n  # then open http://127.0.0.1:8080/ and sign in with the token\n\nAPI: /api/v1/ (OpenAPI 3.1 at /api/v1/openapi.json), Authorization: Bearer TOKEN.";

pub(crate) fn run(a: ServeArgs) -> Result<()> {
    if let Some(ServeCommand::Token(TokenCommand::Create {
        data,
        database,
        role,
        name,
    })) = a.command
    {
        let role = breachcheck_server::Role::parse(&role)
            .with_context(|| format!("unknown role {role:?}: admin, analyst, viewer or auditor"))?;
        let t = breachcheck_server::create_token(&data, database.as_deref(), role, &name)?;
        outln!(
            "created {} token {} for {name:?}; it is shown once, store it now:",
            role.as_str(),
            t.id
        );
        outln!("{}", t.token.as_str());
        return Ok(());
    }
    let (Some(index), Some(key), Some(data)) = (a.index, a.key, a.data) else {
        anyhow::bail!("serve needs --index, --key and --data");
    };
    let key = keyfile::read(&key)?;
    breachcheck_index::Index::open(&index)
        .with_context(|| format!("cannot open the index {}", index.display()))?
        .require_key(&key)?;
    let sign_seed = a
        .sign_key
        .as_deref()
        .map(keyfile::read_signing_seed)
        .transpose()?;
    let tls = a.tls_cert.zip(a.tls_key);
    let scheme = if tls.is_some() { "https" } else { "http" };
    let config = breachcheck_server::Config {
        index,
        key,
        data: data.clone(),
        database: a.database.clone(),
        sign_seed,
        max_upload: a.max_upload,
        max_waiting: a.max_queued,
        rate: (a.rate, a.rate_burst),
        tls: tls.is_some(),
        check: breachcheck_server::CheckLimits {
            per_address: (a.check_rate, a.check_burst),
            global: (a.check_global_rate, a.check_global_rate.max(1.0) * 2.0),
        },
        log_url: a.log_url.clone(),
        log_dir: a.log.clone(),
    };
    let workers = a.workers.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(std::num::NonZero::get)
            .unwrap_or(2)
    });
    let listen = breachcheck_server::Listen {
        addr: a.listen,
        tls,
        insecure_plaintext: a.insecure_plaintext,
        limits: breachcheck_server::ConnLimits {
            max_connections: a.max_connections,
            ..Default::default()
        },
    };
    let running = breachcheck_server::start(config, listen, workers)?;
    outln!(
        "breachcheck serve: {scheme}://{} ({} workers; database {}); Ctrl-C stops",
        running.addr,
        workers,
        if a.database.is_some() {
            "PostgreSQL"
        } else {
            "SQLite in the data folder"
        }
    );
    if !running.has_admin {
        outln!(
            "no admin token yet: create one with\n  breachcheck serve token create --data {}{} --role admin --name NAME",
            data.display(),
            if a.database.is_some() { " --database URL" } else { "" }
        );
    }
    running.wait()?;
    Ok(())
}
