//! `breachcheck audit serve|run|verify`: the private set intersection cardinality audit
//! (see `breachcheck-audit`) over TCP, with TLS when certificates are given.
use crate::{keyfile, progress, translog, ReadArgs};
use anyhow::{bail, Context, Result};
use breachcheck_audit::session::{self, Auditor, Company, Pins};
use breachcheck_audit::transcript::{Expect, Transcript};
use breachcheck_audit::AuditField;
use breachcheck_pipeline::time;
use clap::Subcommand;
use ed25519_dalek::SigningKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

#[derive(Subcommand)]
// Parsed once per process: the size of the largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum AuditCommand {
    /// The company's side: answer audits against the index's committed audit sets (made
    /// with `index build --audit`). Serves one audit at a time until stopped.
    #[command(
        after_help = "Example:\n  breachcheck audit serve --index idx --key company.key --sign-key company.sign \\\n      --listen 0.0.0.0:7443 --tls-cert cert.pem --tls-key key.pem"
    )]
    Serve {
        /// Index directory.
        #[arg(long)]
        index: PathBuf,
        /// Secret key file (the audit OPRF key is derived from it).
        #[arg(long)]
        key: PathBuf,
        /// ed25519 key that signs hellos and transcripts (`sign-key generate`).
        #[arg(long)]
        sign_key: PathBuf,
        /// Address to listen on, e.g. 127.0.0.1:7443.
        #[arg(long)]
        listen: String,
        /// TLS certificate chain (PEM). Without it the connection is plaintext, which is
        /// only allowed on loopback unless --insecure-plaintext is given.
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// TLS private key (PEM).
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Allow plaintext on a non-loopback address (the OPRF keeps values private, but
        /// the counts and transcript travel in the clear).
        #[arg(long)]
        insecure_plaintext: bool,
        /// Stop after this many audits (default: serve until stopped).
        #[arg(long)]
        max_sessions: Option<u64>,
        /// Keep each countersigned transcript in this directory.
        #[arg(long)]
        transcripts: Option<PathBuf>,
        /// Seconds a read or write may wait before the session is dropped.
        #[arg(long, default_value_t = 120)]
        timeout: u64,
        /// Print a JSON line per session instead of a sentence.
        #[arg(long)]
        json: bool,
    },
    /// The auditor's side: count how many of a sample's e-mails, phones and name+address
    /// pairs are among the company's records, without seeing them or showing the sample.
    #[command(
        after_help = "Example:\n  breachcheck audit run --connect audit.acme.example:7443 --tls-ca acme-ca.pem \\\n      --sign-key auditor.sign --log https://log.acme.example/ --log-key acme+1234abcd+AQ… \\\n      --json audit.json sample.csv"
    )]
    Run {
        /// Company's address, host:port.
        #[arg(long)]
        connect: String,
        /// ed25519 key that signs the transcript (`sign-key generate`).
        #[arg(long)]
        sign_key: PathBuf,
        /// CA certificate (PEM) to check the company's TLS certificate against; without
        /// it the connection is plaintext (loopback only unless --insecure-plaintext).
        #[arg(long)]
        tls_ca: Option<PathBuf>,
        /// Name the certificate must be for (default: the host of --connect).
        #[arg(long)]
        tls_name: Option<String>,
        /// Allow plaintext to a non-loopback address.
        #[arg(long)]
        insecure_plaintext: bool,
        /// The company's published transparency log (URL or directory): the audit must be
        /// against its newest index commitment and OPRF key.
        #[arg(long, requires = "log_key")]
        log: Option<String>,
        /// The log's verifier key (pinned; as `log head` prints it).
        #[arg(long)]
        log_key: Option<String>,
        /// The index commitment the company published (hex root).
        #[arg(long)]
        commitment: Option<String>,
        /// The OPRF public key the company published (hex).
        #[arg(long)]
        oprf_key: Option<String>,
        /// The company's ed25519 public key (hex), if known.
        #[arg(long)]
        server_key: Option<String>,
        /// Write the result as JSON here (schema breachcheck.audit/v1).
        #[arg(long)]
        json: Option<PathBuf>,
        /// Where the signed transcript goes (default: beside --json, or
        /// audit-transcript.json).
        #[arg(long)]
        transcript: Option<PathBuf>,
        /// Seconds a read or write may wait.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
        /// Count only these fields (default: all three).
        #[arg(long, value_delimiter = ',', value_parser = parse_field)]
        fields: Vec<AuditField>,
        /// Regions (ISO alpha-2, comma-separated) in which the company reads phone numbers
        /// written without a country code, as `index info` and the log's index commitment
        /// state them (taken from the log with --log); the audit refuses to count with
        /// others, so its phone count means what verify's does.
        #[arg(long, value_delimiter = ',', value_name = "CC,CC")]
        phone_regions: Vec<String>,
        #[command(flatten)]
        read: ReadArgs,
        /// The sample file.
        sample: PathBuf,
    },
    /// Check a signed audit transcript offline: both signatures, and the keys or
    /// commitment you expect.
    #[command(
        after_help = "Example:\n  breachcheck audit verify audit-transcript.json --server-key 3b6a27bc…"
    )]
    Verify {
        /// The transcript file.
        transcript: PathBuf,
        /// The company's ed25519 public key it must be signed by.
        #[arg(long)]
        server_key: Option<String>,
        /// The auditor's ed25519 public key it must be signed by.
        #[arg(long)]
        auditor_key: Option<String>,
        /// The commitment it must be against.
        #[arg(long)]
        commitment: Option<String>,
        /// The sample file it must be about (its SHA-256 is in the transcript).
        #[arg(long)]
        sample: Option<PathBuf>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

/// An error and its causes, one after the other (as `error: …` prints them).
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}

fn parse_field(s: &str) -> std::result::Result<AuditField, String> {
    AuditField::ALL
        .into_iter()
        .find(|f| f.as_str() == s)
        .ok_or_else(|| format!("{s:?} is not one of email, phone, name_address"))
}

fn signing_key(path: &Path) -> Result<SigningKey> {
    let seed = keyfile::read_signing_seed(path)?;
    Ok(SigningKey::from_bytes(&seed))
}

fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn server_tls(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>> {
    let certs = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("cannot read {}", cert.display()))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .with_context(|| format!("{} holds no usable PEM certificate", cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("cannot read a private key from {}", key.display()))?;
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("the certificate and key do not go together")?;
    Ok(Arc::new(config))
}

fn client_tls(ca: &Path) -> Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(ca)
        .with_context(|| format!("cannot read {}", ca.display()))?
    {
        roots.add(c.with_context(|| format!("{} holds a malformed certificate", ca.display()))?)?;
    }
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A plaintext or TLS stream.
enum Conn {
    Plain(TcpStream),
    TlsServer(Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>),
    TlsClient(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::TlsServer(s) => s.read(buf),
            Conn::TlsClient(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::TlsServer(s) => s.write(buf),
            Conn::TlsClient(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::TlsServer(s) => s.flush(),
            Conn::TlsClient(s) => s.flush(),
        }
    }
}

fn timeouts(s: &TcpStream, secs: u64) -> Result<()> {
    let t = Some(Duration::from_secs(secs.max(1)));
    s.set_read_timeout(t)?;
    s.set_write_timeout(t)?;
    s.set_nodelay(true)?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn serve(
    index: &Path,
    key: &Path,
    sign_key: &Path,
    listen: &str,
    tls: Option<(PathBuf, PathBuf)>,
    insecure_plaintext: bool,
    max_sessions: Option<u64>,
    transcripts: Option<&Path>,
    timeout: u64,
    json: bool,
) -> Result<()> {
    let key = keyfile::read(key)?;
    let mut company = Company::load(index, &key, signing_key(sign_key)?)?;
    drop(key);
    company.phone_regions = breachcheck_pipeline::company_phone_region_codes(
        breachcheck_index::Index::open(index)?.manifest(),
    );
    let tls = tls.map(|(c, k)| server_tls(&c, &k)).transpose()?;
    let listener =
        TcpListener::bind(listen).with_context(|| format!("cannot listen on {listen}"))?;
    let local = listener.local_addr()?;
    if tls.is_none() {
        if !is_loopback(&local) && !insecure_plaintext {
            bail!("refusing plaintext on {local}: give --tls-cert and --tls-key, or --insecure-plaintext");
        }
        eprintln!("warning: serving audits without TLS on {local}; counts and transcripts travel in the clear");
    }
    if let Some(d) = transcripts {
        std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
    }
    // The address (with the port the OS chose for :0) on stdout, so scripts can connect.
    outln!(
        "listening on {local}; commitment {}; OPRF key {}; phone regions {}",
        company.commitment(),
        company.oprf_public_key(),
        company.phone_regions.join(",")
    );
    let mut served = 0u64;
    for conn in listener.incoming() {
        let tcp = match conn {
            Ok(s) => s,
            Err(e) => {
                eprintln!("warning: accept failed: {e}");
                continue;
            }
        };
        let peer = tcp.peer_addr().map(|a| a.to_string()).unwrap_or_default();
        timeouts(&tcp, timeout)?;
        let stream = match &tls {
            Some(cfg) => Conn::TlsServer(Box::new(rustls::StreamOwned::new(
                rustls::ServerConnection::new(cfg.clone())?,
                tcp,
            ))),
            None => Conn::Plain(tcp),
        };
        match session::serve(&company, stream) {
            // An auditor asking for the phone regions before its audit: not a session.
            Ok(session::Served::Info) => continue,
            Ok(session::Served::Audit(t)) => {
                let b = &t.body;
                if json {
                    outln!(
                        "{}",
                        serde_json::json!({"peer": peer, "sizes": b.sizes, "sample_values": b.sample_values, "intersection": b.intersection, "auditor_key": b.auditor_key})
                    );
                } else {
                    outln!(
                        "audit from {peer}: {} sample records; matched e-mail {}/{}, phone {}/{}, name+address {}/{}",
                        b.sizes.sample,
                        b.intersection.email,
                        b.sample_values.email,
                        b.intersection.phone,
                        b.sample_values.phone,
                        b.intersection.name_address,
                        b.sample_values.name_address
                    );
                }
                if let Some(d) = transcripts {
                    let name = format!(
                        "audit-{}-{}.json",
                        time::now_rfc3339().replace(':', ""),
                        &b.client_nonce[..12]
                    );
                    breachcheck_files::write_atomic_in(
                        d,
                        &name,
                        serde_json::to_string_pretty(&t)?.as_bytes(),
                    )?;
                }
            }
            Err(e) => eprintln!("audit from {peer} failed: {}", chain(&e)),
        }
        served += 1;
        if max_sessions.is_some_and(|m| served >= m) {
            break;
        }
    }
    Ok(())
}

fn pins_from_log(log: &str, log_key: &str) -> Result<(String, String, Option<Vec<String>>)> {
    let src = translog::publication(log);
    let v = breachcheck_log::verify_publication(src.as_ref(), Some(log_key), None)
        .with_context(|| format!("the log at {log} does not verify"))?;
    let (commitment, pk, regions) =
        breachcheck_log::latest_index_commitment(src.as_ref(), v.head.size)?
            .context("the log holds no index commitment")?;
    let pk = pk.context(
        "the newest index commitment in the log names no OPRF key: the index has no audit sets",
    )?;
    Ok((commitment, pk, regions))
}

/// Connects to the company's audit server: TLS checked against `tls_ca` when given,
/// plaintext otherwise (loopback only unless `insecure_plaintext`).
fn open(
    connect: &str,
    tls_ca: Option<&Path>,
    tls_name: Option<String>,
    insecure_plaintext: bool,
    timeout: u64,
) -> Result<Conn> {
    let addr = connect
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve {connect}"))?
        .next()
        .with_context(|| format!("{connect} resolves to no address"))?;
    let tcp = TcpStream::connect_timeout(&addr, Duration::from_secs(30))
        .with_context(|| format!("cannot connect to {connect}"))?;
    timeouts(&tcp, timeout)?;
    Ok(match tls_ca {
        Some(ca) => {
            let host = tls_name.unwrap_or_else(|| {
                connect
                    .rsplit_once(':')
                    .map_or(connect, |(h, _)| h)
                    .trim_matches(['[', ']'])
                    .to_owned()
            });
            let name = ServerName::try_from(host.clone())
                .with_context(|| format!("{host} is not a server name"))?;
            Conn::TlsClient(Box::new(rustls::StreamOwned::new(
                rustls::ClientConnection::new(client_tls(ca)?, name)?,
                tcp,
            )))
        }
        None => {
            if !is_loopback(&addr) && !insecure_plaintext {
                bail!("refusing plaintext to {addr}: give --tls-ca, or --insecure-plaintext");
            }
            eprintln!("warning: auditing without TLS to {addr}; counts and transcript travel in the clear");
            Conn::Plain(tcp)
        }
    })
}

#[allow(clippy::too_many_arguments)]
fn run(
    connect: &str,
    sign_key: &Path,
    tls_ca: Option<&Path>,
    tls_name: Option<String>,
    insecure_plaintext: bool,
    mut pins: Pins,
    log: Option<(String, String)>,
    json: Option<&Path>,
    transcript: Option<PathBuf>,
    timeout: u64,
    fields: &[AuditField],
    mut phone_regions: Vec<String>,
    read: &ReadArgs,
    sample: &Path,
) -> Result<()> {
    phone_regions.retain(|r| !r.trim().is_empty());
    if let Some((log, key)) = &log {
        let (commitment, pk, regions) = pins_from_log(log, key)?;
        if phone_regions.is_empty() {
            phone_regions = regions.unwrap_or_default();
        }
        for (flag, given, logged) in [
            ("commitment", &pins.commitment, &commitment),
            ("oprf-key", &pins.oprf_public_key, &pk),
        ] {
            if given
                .as_ref()
                .is_some_and(|g| !g.eq_ignore_ascii_case(logged))
            {
                bail!("the --{flag} given is not the one in the log");
            }
        }
        pins.commitment = Some(commitment);
        pins.oprf_public_key = Some(pk);
    }
    if pins.commitment.is_none() && pins.oprf_public_key.is_none() {
        eprintln!("warning: nothing pinned (--log, --commitment or --oprf-key): the company's sets are checked against the commitment it sends, not one it published earlier");
    }
    let signing = signing_key(sign_key)?;
    let transcript_path = transcript.unwrap_or_else(|| match json {
        Some(j) => j.with_extension("transcript.json"),
        None => PathBuf::from("audit-transcript.json"),
    });
    // The destinations are opened before the audit, so a missing directory fails first.
    drop(breachcheck_files::AtomicFile::create(&transcript_path)?);
    if let Some(j) = json {
        drop(breachcheck_files::AtomicFile::create(j)?);
    }
    let sample_sha256 = breachcheck_ingest::sha256_file(sample)
        .with_context(|| format!("cannot read {}", sample.display()))?;
    let fields = if fields.is_empty() {
        &AuditField::ALL[..]
    } else {
        fields
    };
    if phone_regions.is_empty() && log.is_none() {
        // Not given and not pinned: asked of the server (its signed hello must agree).
        let info = session::info(open(
            connect,
            tls_ca,
            tls_name.clone(),
            insecure_plaintext,
            timeout,
        )?)
        .map_err(|e| anyhow::anyhow!(chain(&e)))
        .with_context(|| format!("cannot ask {connect} for its phone regions"))?;
        phone_regions = info.phone_regions;
    }
    let regions = phone_regions
        .iter()
        .map(|r| {
            breachcheck_normalize::country::region(&r.trim().to_ascii_uppercase()).with_context(
                || "--phone-regions takes ISO 3166 alpha-2 codes such as DE,AT".to_owned(),
            )
        })
        .collect::<Result<Vec<_>>>()?;
    let phone_regions: Vec<String> = regions.iter().map(ToString::to_string).collect();
    let (values, records) = breachcheck_pipeline::audit_sample_values(
        sample,
        &read.options(),
        read.region()?,
        regions,
        fields,
        &progress::Bar::new(true),
    )?;
    let stream = open(
        connect,
        tls_ca,
        tls_name.clone(),
        insecure_plaintext,
        timeout,
    )?;
    let auditor = Auditor {
        signing,
        values,
        sample_records: records,
        sample_sha256: Some(sample_sha256),
        pins,
        phone_regions,
    };
    let (t, costs) = session::run(&auditor, stream, &time::now_rfc3339)?;
    drop(auditor);
    // The transcript and the summary are put in place together, or neither is.
    let mut outputs = breachcheck_files::Outputs::new();
    outputs.write(
        &transcript_path,
        serde_json::to_string_pretty(&t)?.as_bytes(),
    )?;
    let b = &t.body;
    let summary = serde_json::json!({
        "schema": breachcheck_audit::transcript::SCHEMA,
        "sizes": b.sizes,
        "intersection": b.intersection,
        "commitment": b.commitment,
        "transcript": transcript_path.display().to_string(),
        "sample_values": b.sample_values,
        "company_values": b.company_values,
        "oprf_public_key": b.oprf_public_key,
        "false_positive_rate": b.false_positive_rate(),
        "check_elements": b.check_elements,
        "server_key": b.server_key,
        "auditor_key": b.auditor_key,
        "bytes": {"sent": costs.sent, "received": costs.received, "filters": costs.filter_bytes},
        "seconds": {
            "blind": costs.blind.as_secs_f64(),
            "evaluate": costs.evaluate.as_secs_f64(),
            "unblind": costs.unblind.as_secs_f64(),
            "filters": costs.filters.as_secs_f64(),
        },
    });
    if let Some(path) = json {
        outputs.write(path, serde_json::to_string_pretty(&summary)?.as_bytes())?;
    }
    outputs.commit()?;
    match json {
        Some(_) => {}
        None => {
            outln!(
                "{} sample records against {} company records (commitment {}):",
                b.sizes.sample,
                b.sizes.company,
                b.commitment
            );
            for f in breachcheck_audit::AuditField::ALL {
                outln!(
                    "  {:<13} {} of {} distinct sample values are the company's",
                    f.as_str(),
                    b.intersection.get(f),
                    b.sample_values.get(f)
                );
            }
            outln!("signed transcript: {}", transcript_path.display());
        }
    }
    Ok(())
}

fn verify(path: &Path, expect: &Expect, sample: Option<&Path>, json: bool) -> Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let t: Transcript = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not an audit transcript", path.display()))?;
    t.verify(expect)?;
    let b = &t.body;
    if let Some(sample) = sample {
        let sha = breachcheck_ingest::sha256_file(sample)
            .with_context(|| format!("cannot read {}", sample.display()))?;
        if b.sample_sha256.as_deref() != Some(sha.as_str()) {
            bail!("the transcript is not about {}", sample.display());
        }
    }
    if json {
        outln!(
            "{}",
            serde_json::json!({"ok": true, "commitment": b.commitment, "sizes": b.sizes, "intersection": b.intersection, "server_key": b.server_key, "auditor_key": b.auditor_key, "finished": b.finished})
        );
    } else {
        outln!(
            "ok: signed by the company ({}) and the auditor ({}); {} sample records, intersection e-mail {}, phone {}, name+address {}; commitment {}",
            b.server_key,
            b.auditor_key,
            b.sizes.sample,
            b.intersection.email,
            b.intersection.phone,
            b.intersection.name_address,
            b.commitment
        );
    }
    Ok(())
}

pub(crate) fn run_command(cmd: AuditCommand) -> Result<()> {
    match cmd {
        AuditCommand::Serve {
            index,
            key,
            sign_key,
            listen,
            tls_cert,
            tls_key,
            insecure_plaintext,
            max_sessions,
            transcripts,
            timeout,
            json,
        } => serve(
            &index,
            &key,
            &sign_key,
            &listen,
            tls_cert.zip(tls_key),
            insecure_plaintext,
            max_sessions,
            transcripts.as_deref(),
            timeout,
            json,
        ),
        AuditCommand::Run {
            connect,
            sign_key,
            tls_ca,
            tls_name,
            insecure_plaintext,
            log,
            log_key,
            commitment,
            oprf_key,
            server_key,
            json,
            transcript,
            timeout,
            fields,
            phone_regions,
            read,
            sample,
        } => run(
            &connect,
            &sign_key,
            tls_ca.as_deref(),
            tls_name,
            insecure_plaintext,
            Pins {
                commitment,
                oprf_public_key: oprf_key,
                server_key,
            },
            log.zip(log_key),
            json.as_deref(),
            transcript,
            timeout,
            &fields,
            phone_regions,
            &read,
            &sample,
        ),
        AuditCommand::Verify {
            transcript,
            server_key,
            auditor_key,
            commitment,
            sample,
            json,
        } => verify(
            &transcript,
            &Expect {
                server_key,
                auditor_key,
                commitment,
            },
            sample.as_deref(),
            json,
        ),
    }
}
