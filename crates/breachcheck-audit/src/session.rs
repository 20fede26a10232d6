//! One audit over one connection: the company's side ([`serve`]) and the auditor's
//! ([`run`]).
//!
//! Messages, in order: client hello (nonce, sizes, auditor key) → server hello (signed:
//! nonce, OPRF public key, the commitment's leaves, the audit sets) → per field, the
//! blinded batch → its evaluations, sorted (the shuffle), and the DLEQ proof over the sums
//! → the set filters → the auditor's signed transcript → the company's countersignature.
//! Every frame of both directions goes into one hash that both sides sign.
use crate::oprf::{check_elements, AuditKey, Blinder, Element, SUITE};
use crate::transcript::{self, Signatures, Sizes, Transcript, TranscriptBody};
use crate::wire::{
    parse_proof, Channel, ClientHello, Countersignature, Kind, ServerHello, ServerInfo, SetInfo,
    SignRequest, SignedServerHello, FILTER_CHUNK, PROTOCOL,
};
use crate::{gcs, AuditField, AuditValues, Error, FieldCounts};
use breachcheck_core::{hex, SecretKey, RULES_VERSION};
use breachcheck_index::{Commitment, Index, Manifest, SegmentKind, AUDIT_DIR};
use ed25519_dalek::SigningKey;
use rand_core::{OsRng, RngCore};
use rayon::slice::ParallelSliceMut;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The company's side: its audit key, signing key and committed sets.
pub struct Company {
    key: AuditKey,
    signing: SigningKey,
    manifest: Manifest,
    sets: Vec<(SetInfo, PathBuf)>,
    /// Most values per field a client may send.
    pub max_values: u64,
    /// Where verify reads national phone numbers (see [`crate::wire::ServerHello`]); set by
    /// the caller from the index's profiles.
    pub phone_regions: Vec<String>,
}

impl Company {
    /// Loads the committed audit sets of the index at `dir`. Every system segment must
    /// carry one made with the OPRF key derived from `key`: an audit that silently left a
    /// snapshot out would understate the count. (Canary sets and reference corpora are
    /// not customer records and are not audited.) The index is opened as every reader
    /// opens it (manifest checked against its commitment) and each set is checked against
    /// its committed digest and size before anything is served.
    pub fn load(
        dir: &std::path::Path,
        key: &SecretKey,
        signing: SigningKey,
    ) -> Result<Self, Error> {
        let index = Index::open(dir).map_err(|e| Error::Index(Box::new(e)))?;
        index
            .require_key(key)
            .map_err(|e| Error::Index(Box::new(e)))?;
        let manifest = index.manifest().clone();
        let seed = key.derive_subkey(crate::oprf::SEED_CONTEXT);
        let audit_key = AuditKey::derive(&seed)?;
        let pk = hex(&audit_key.public_key());
        let mut sets = Vec::new();
        for s in manifest
            .segments
            .iter()
            .filter(|s| s.kind == SegmentKind::System)
        {
            let a = s.audit.as_ref().ok_or_else(|| Error::NoAuditSets {
                segment: format!("{} @ {}", s.system, s.snapshot),
            })?;
            if a.oprf_public_key != pk {
                return Err(Error::Commitment(format!(
                    "the audit set of {} was made with another OPRF key than this key's",
                    s.file
                )));
            }
            sets.push((
                SetInfo {
                    sha256: a.sha256.clone(),
                    bytes: a.bytes,
                    values: FieldCounts {
                        email: a.email,
                        phone: a.phone,
                        name_address: a.name_address,
                    },
                },
                dir.join(AUDIT_DIR).join(&a.file),
            ));
        }
        for (info, path) in &sets {
            check_set_file(info, path)?;
        }
        if sets.is_empty() {
            return Err(Error::Commitment(
                "the index holds no company segment".into(),
            ));
        }
        Ok(Company {
            key: audit_key,
            signing,
            manifest,
            sets,
            max_values: 50_000_000,
            phone_regions: Vec::new(),
        })
    }

    /// The OPRF public key, hex.
    pub fn oprf_public_key(&self) -> String {
        hex(&self.key.public_key())
    }

    /// The commitment root served.
    pub fn commitment(&self) -> &str {
        &self.manifest.commitment.root
    }
}

/// Streams an audit set file through SHA-256 and checks it against what the commitment
/// binds (a set is most of a gigabyte at 100M records: not held in memory).
fn check_set_file(info: &SetInfo, path: &std::path::Path) -> Result<(), Error> {
    let file_err = |source| Error::File {
        path: path.to_owned(),
        source,
    };
    let mut hash = Sha256::new();
    let n = std::fs::File::open(path)
        .and_then(|mut f| std::io::copy(&mut f, &mut hash))
        .map_err(file_err)?;
    if n != info.bytes || hex(&hash.finalize()) != info.sha256 {
        return Err(Error::Commitment(format!(
            "the audit set {} does not match its committed digest; run `breachcheck index check`",
            path.display()
        )));
    }
    Ok(())
}

fn nonce() -> String {
    let mut n = [0u8; 32];
    OsRng.fill_bytes(&mut n);
    hex(&n)
}

/// What one connection to the server was.
#[derive(Debug)]
pub enum Served {
    /// An audit, with its countersigned transcript.
    Audit(Box<Transcript>),
    /// A request for the server's public parameters ([`info`]); no audit.
    Info,
}

/// Serves one connection on `stream`: an audit (returning its countersigned transcript)
/// or an info request. Any failure is sent to the peer as an abort with its reason before
/// it is returned.
pub fn serve<S: Read + Write>(company: &Company, stream: S) -> Result<Served, Error> {
    let mut ch = Channel::new(stream);
    let r = serve_inner(company, &mut ch);
    if let Err(e) = &r {
        if !matches!(e, Error::PeerAborted(_) | Error::Io(_)) {
            ch.abort(&e.to_string());
        }
    }
    r
}

fn serve_inner<S: Read + Write>(company: &Company, ch: &mut Channel<S>) -> Result<Served, Error> {
    let (kind, first) = ch.recv_one_of(&[Kind::ClientHello, Kind::Info])?;
    if kind == Kind::Info {
        ch.send_json(
            Kind::ServerInfo,
            &ServerInfo {
                protocol: PROTOCOL.into(),
                commitment: company.manifest.commitment.root.clone(),
                oprf_public_key: company.oprf_public_key(),
                phone_regions: company.phone_regions.clone(),
            },
        )?;
        return Ok(Served::Info);
    }
    let hello: ClientHello = crate::wire::parse_json(&first)?;
    if hello.protocol != PROTOCOL {
        return Err(Error::Protocol(format!(
            "protocol {:?}, this side speaks {PROTOCOL}",
            hello.protocol
        )));
    }
    if hello.rules_version != RULES_VERSION {
        return Err(Error::Protocol(format!(
            "the auditor canonicalized with rules {}, the index uses {RULES_VERSION}",
            hello.rules_version
        )));
    }
    transcript::public_key(&hello.auditor_key)?;
    for f in AuditField::ALL {
        if hello.values.get(f) > company.max_values {
            return Err(Error::Protocol(format!(
                "{} values exceed this server's limit of {}",
                f.as_str(),
                company.max_values
            )));
        }
    }
    let m = &company.manifest;
    let server_hello = ServerHello {
        protocol: PROTOCOL.into(),
        nonce: nonce(),
        client_nonce: hello.nonce.clone(),
        server_key: hex(company.signing.verifying_key().as_bytes()),
        suite: SUITE.into(),
        oprf_public_key: company.oprf_public_key(),
        rules_version: m.rules_version,
        key_fingerprint: m.key_fingerprint.clone(),
        commitment: m.commitment.root.clone(),
        records: m.commitment.records,
        leaves: m.segments.iter().map(|s| s.leaf()).collect(),
        sets: company.sets.iter().map(|(s, _)| s.clone()).collect(),
        phone_regions: company.phone_regions.clone(),
    };
    let json = serde_json::to_vec(&server_hello).map_err(|e| Error::Protocol(e.to_string()))?;
    let signature = transcript::sign_hello(&company.signing, &json);
    ch.send_json(
        Kind::ServerHello,
        &SignedServerHello {
            hello: server_hello.clone(),
            signature,
        },
    )?;
    let mut checks = FieldCounts::default();
    for f in AuditField::ALL {
        let n = hello.values.get(f) as usize;
        if n == 0 {
            continue;
        }
        let c = check_elements(n);
        *checks.get_mut(f) = c as u64;
        let blinded = ch.recv_elements(Kind::Blinded, f, n + c)?;
        let (mut evaluated, proof) = company.key.evaluate_blinded(&blinded)?;
        // The shuffle: sorted pseudorandom elements say nothing about the order sent.
        evaluated.par_sort_unstable();
        ch.send_elements(Kind::Evaluated, f, &evaluated)?;
        let mut p = Vec::with_capacity(65);
        p.push(f as u8);
        p.extend_from_slice(&proof);
        ch.send(Kind::Proof, &p)?;
        ch.flush()?;
    }
    for (info, path) in &company.sets {
        // Streamed from disk (a 100M-record set is most of a gigabyte) and hashed on the
        // way; a file that no longer matches the manifest is reported here, and the client
        // refuses it by its digest anyway.
        let file_err = |source| Error::File {
            path: path.clone(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(file_err)?;
        let mut hash = Sha256::new();
        let mut sent = 0u64;
        let mut buf = vec![0u8; FILTER_CHUNK];
        while sent < info.bytes {
            let want = (info.bytes - sent).min(FILTER_CHUNK as u64) as usize;
            let n = read_full(&mut file, &mut buf[..want]).map_err(file_err)?;
            if n == 0 {
                break;
            }
            hash.update(&buf[..n]);
            ch.send(Kind::Filter, &buf[..n])?;
            sent += n as u64;
        }
        if sent != info.bytes || hex(&hash.finalize()) != info.sha256 {
            return Err(Error::Commitment(format!(
                "the audit set {} on disk does not match the index manifest",
                path.display()
            )));
        }
    }
    ch.flush()?;
    let messages = hex(&ch.transcript_hash());
    let req: SignRequest = ch.recv_json(Kind::Sign)?;
    let b = &req.body;
    let expected = [
        ("schema", b.schema == transcript::SCHEMA),
        ("suite", b.suite == SUITE),
        ("rules", b.rules_version == m.rules_version),
        ("commitment", b.commitment == m.commitment.root),
        ("key fingerprint", b.key_fingerprint == m.key_fingerprint),
        (
            "OPRF key",
            b.oprf_public_key == server_hello.oprf_public_key,
        ),
        (
            "sets",
            b.sets
                == server_hello
                    .sets
                    .iter()
                    .map(|s| s.sha256.clone())
                    .collect::<Vec<_>>(),
        ),
        ("company size", b.sizes.company == m.commitment.records),
        ("sample values", b.sample_values == hello.values),
        ("check elements", b.check_elements == checks),
        (
            "nonces",
            b.client_nonce == hello.nonce && b.server_nonce == server_hello.nonce,
        ),
        ("message hash", b.messages_sha256 == messages),
        (
            "keys",
            b.server_key == server_hello.server_key && b.auditor_key == hello.auditor_key,
        ),
    ];
    if let Some((what, _)) = expected.iter().find(|(_, ok)| !ok) {
        return Err(Error::Protocol(format!(
            "the transcript's {what} is not this session's"
        )));
    }
    transcript::check_body(&b.auditor_key, b, &req.signature)?;
    for f in AuditField::ALL {
        if b.intersection.get(f) > b.sample_values.get(f) {
            return Err(Error::Protocol("a count exceeds the values sent".into()));
        }
    }
    let server_sig = transcript::sign_body(&company.signing, b)?;
    ch.send_json(
        Kind::Countersign,
        &Countersignature {
            signature: server_sig.clone(),
        },
    )?;
    Ok(Served::Audit(Box::new(Transcript {
        body: req.body,
        signatures: Signatures {
            server: server_sig,
            auditor: req.signature,
        },
    })))
}

/// Asks a company's server for its public parameters (before an audit: the phone regions
/// to canonicalize the sample with). Unsigned; the audit's signed hello must agree.
pub fn info<S: Read + Write>(stream: S) -> Result<ServerInfo, Error> {
    let mut ch = Channel::new(stream);
    ch.send(Kind::Info, &[])?;
    ch.flush()?;
    let info: ServerInfo = ch.recv_json(Kind::ServerInfo)?;
    if info.protocol != PROTOCOL {
        return Err(Error::Protocol(format!(
            "the company speaks {}",
            info.protocol
        )));
    }
    Ok(info)
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// What the auditor pins before connecting (from the transparency log or published
/// out of band).
#[derive(Clone, Debug, Default)]
pub struct Pins {
    /// The index commitment root the company published.
    pub commitment: Option<String>,
    /// The OPRF public key the company published.
    pub oprf_public_key: Option<String>,
    /// The company's ed25519 key.
    pub server_key: Option<String>,
}

/// The auditor's side.
pub struct Auditor {
    /// Signs the transcript.
    pub signing: SigningKey,
    /// Distinct canonical values per field.
    pub values: AuditValues,
    /// Records read from the sample.
    pub sample_records: u64,
    /// SHA-256 of the sample file, if it is to be bound into the transcript.
    pub sample_sha256: Option<String>,
    /// What the company must match.
    pub pins: Pins,
    /// The regions the sample's national phone numbers were read in (must be the
    /// company's, see [`crate::wire::ServerHello::phone_regions`]).
    pub phone_regions: Vec<String>,
}

/// Where an audit's time and bytes went, for benchmarks.
#[derive(Clone, Debug, Default)]
pub struct Costs {
    /// Blinding the sample values (auditor CPU).
    pub blind: Duration,
    /// Waiting for the company's evaluations (its CPU and the transfer).
    pub evaluate: Duration,
    /// Unblinding and verifying the proofs (auditor CPU).
    pub unblind: Duration,
    /// Receiving the set filters and looking values up in them.
    pub filters: Duration,
    /// Bytes of set filters received.
    pub filter_bytes: u64,
    /// Bytes sent.
    pub sent: u64,
    /// Bytes received.
    pub received: u64,
}

/// Runs an audit on `stream`. Returns the countersigned transcript and its costs.
pub fn run<S: Read + Write>(
    auditor: &Auditor,
    stream: S,
    now: &dyn Fn() -> String,
) -> Result<(Transcript, Costs), Error> {
    let mut ch = Channel::new(stream);
    let r = run_inner(auditor, &mut ch, now);
    if let Err(e) = &r {
        if !matches!(e, Error::PeerAborted(_) | Error::Io(_)) {
            ch.abort(&e.to_string());
        }
    }
    r
}

fn check_server_hello(
    signed: &SignedServerHello,
    client_nonce: &str,
    pins: &Pins,
) -> Result<(), Error> {
    let h = &signed.hello;
    if h.protocol != PROTOCOL || h.suite != SUITE {
        return Err(Error::Protocol(format!(
            "the company speaks {} / {}",
            h.protocol, h.suite
        )));
    }
    let json = serde_json::to_vec(h).map_err(|e| Error::Protocol(e.to_string()))?;
    transcript::check_hello(&h.server_key, &json, &signed.signature)
        .map_err(|_| Error::Verification("the company's hello is not signed by its key"))?;
    if h.client_nonce != client_nonce {
        return Err(Error::Verification(
            "the company's hello answers another session (replayed)",
        ));
    }
    if h.rules_version != RULES_VERSION {
        return Err(Error::Commitment(format!(
            "the index was built with rules {}, this auditor canonicalizes with {RULES_VERSION}: counts would not be comparable",
            h.rules_version
        )));
    }
    let recomputed = Commitment::from_leaves(&h.leaves, &h.key_fingerprint, h.rules_version);
    if recomputed.root != h.commitment || recomputed.records != h.records {
        return Err(Error::Commitment(
            "the segments the company lists do not make up its commitment".into(),
        ));
    }
    let pinned = [
        ("commitment", &pins.commitment, h.commitment.as_str()),
        (
            "OPRF public key",
            &pins.oprf_public_key,
            h.oprf_public_key.as_str(),
        ),
        ("company key", &pins.server_key, h.server_key.as_str()),
    ];
    if let Some(what) = crate::mismatched(&pinned) {
        return Err(Error::Commitment(format!(
            "the company's {what} is not the one published"
        )));
    }
    let mut committed: Vec<&str> = Vec::new();
    let mut limits: Vec<(u64, FieldCounts, u64)> = Vec::new();
    for leaf in h.leaves.iter().filter(|l| l.kind == SegmentKind::System) {
        match (&leaf.audit_set, &leaf.oprf_public_key) {
            (Some(set), Some(pk)) if *pk == h.oprf_public_key => {
                let (Some(bytes), Some([email, phone, name_address])) =
                    (leaf.audit_bytes, leaf.audit_values)
                else {
                    return Err(Error::Commitment(format!(
                        "the commitment does not bind the size of the set of {} @ {}",
                        leaf.system, leaf.snapshot
                    )));
                };
                committed.push(set);
                limits.push((
                    bytes,
                    FieldCounts {
                        email,
                        phone,
                        name_address,
                    },
                    leaf.records,
                ));
            }
            (Some(_), Some(_)) => {
                return Err(Error::Commitment(format!(
                    "the committed set of {} @ {} was made with another OPRF key",
                    leaf.system, leaf.snapshot
                )))
            }
            _ => {
                return Err(Error::Commitment(format!(
                    "{} @ {} has no committed audit set",
                    leaf.system, leaf.snapshot
                )))
            }
        }
    }
    let offered: Vec<&str> = h.sets.iter().map(|s| s.sha256.as_str()).collect();
    if offered != committed {
        return Err(Error::Commitment(
            "the sets offered are not the committed ones".into(),
        ));
    }
    // Sizes the company announces are held to what it committed to, and what it committed
    // to is held to what the protocol allows (a stored record gives at most one value of
    // each field; a filter of n values takes at most gcs::max_len(n) bytes), so nothing
    // the peer says makes this side reserve more.
    for (set, (bytes, values, records)) in h.sets.iter().zip(&limits) {
        let n = values
            .email
            .saturating_add(values.phone)
            .saturating_add(values.name_address);
        let plausible = [values.email, values.phone, values.name_address]
            .iter()
            .all(|v| *v <= *records)
            && *bytes <= gcs::max_len(n);
        if set.bytes != *bytes || set.values != *values || !plausible {
            return Err(Error::Commitment(
                "an audit set's size is not the committed one, or more than its records allow"
                    .into(),
            ));
        }
    }
    Ok(())
}

fn run_inner<S: Read + Write>(
    auditor: &Auditor,
    ch: &mut Channel<S>,
    now: &dyn Fn() -> String,
) -> Result<(Transcript, Costs), Error> {
    let started = now();
    let client_nonce = nonce();
    let auditor_key = hex(auditor.signing.verifying_key().as_bytes());
    let values = auditor.values.counts();
    ch.send_json(
        Kind::ClientHello,
        &ClientHello {
            protocol: PROTOCOL.into(),
            nonce: client_nonce.clone(),
            auditor_key: auditor_key.clone(),
            rules_version: RULES_VERSION,
            values,
        },
    )?;
    let signed: SignedServerHello = ch.recv_json(Kind::ServerHello)?;
    check_server_hello(&signed, &client_nonce, &auditor.pins)?;
    if auditor.values.counts().phone > 0 && signed.hello.phone_regions != auditor.phone_regions {
        return Err(Error::PhoneRegions {
            company: signed.hello.phone_regions.join(","),
        });
    }
    let h = signed.hello;
    let pk: Element = breachcheck_core::unhex(&h.oprf_public_key)
        .ok_or_else(|| Error::Protocol("the OPRF public key is not 32 bytes of hex".into()))?;
    let mut costs = Costs::default();
    let mut checks = FieldCounts::default();
    // Element identities of every field, with the field of each.
    let mut ids: Vec<u64> = Vec::new();
    let mut id_field: Vec<AuditField> = Vec::new();
    for f in AuditField::ALL {
        let inputs = auditor.values.inputs(f);
        if inputs.is_empty() {
            continue;
        }
        let t = Instant::now();
        let blinder = Blinder::new(inputs, &pk)?;
        *checks.get_mut(f) = blinder.checks() as u64;
        costs.blind += t.elapsed();
        ch.send_elements(Kind::Blinded, f, blinder.sent())?;
        let t = Instant::now();
        let evaluated = ch.recv_elements(Kind::Evaluated, f, blinder.sent().len())?;
        let (pf, proof) = parse_proof(&ch.recv(Kind::Proof)?)?;
        if pf != f {
            return Err(Error::Protocol("a proof for another field".into()));
        }
        costs.evaluate += t.elapsed();
        let t = Instant::now();
        let got = blinder.finish(&evaluated, &proof, &pk)?;
        costs.unblind += t.elapsed();
        id_field.extend(std::iter::repeat_n(f, got.len()));
        ids.extend(got);
    }
    let t = Instant::now();
    let mut found = vec![false; ids.len()];
    for set in &h.sets {
        // Committed and checked against the records (see `check_server_hello`); reserved
        // in part only, so a large set grows as it arrives.
        let mut bytes: Vec<u8> = Vec::with_capacity(set.bytes.min(16 << 20) as usize);
        while (bytes.len() as u64) < set.bytes {
            let chunk = ch.recv(Kind::Filter)?;
            if bytes.len() as u64 + chunk.len() as u64 > set.bytes {
                return Err(Error::Protocol(
                    "a set filter is longer than announced".into(),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        costs.filter_bytes += bytes.len() as u64;
        if hex(&Sha256::digest(&bytes)) != set.sha256 {
            return Err(Error::Commitment(
                "a set filter received is not the committed one".into(),
            ));
        }
        gcs::Decoder::new(&bytes)?.mark_members(&ids, &mut found)?;
    }
    costs.filters = t.elapsed();
    let mut intersection = FieldCounts::default();
    for (f, hit) in id_field.iter().zip(&found) {
        if *hit {
            *intersection.get_mut(*f) += 1;
        }
    }
    let mut company_values = FieldCounts::default();
    for s in &h.sets {
        for f in AuditField::ALL {
            *company_values.get_mut(f) += s.values.get(f);
        }
    }
    let body = TranscriptBody {
        schema: transcript::SCHEMA.into(),
        suite: SUITE.into(),
        rules_version: h.rules_version,
        started,
        finished: now(),
        commitment: h.commitment.clone(),
        key_fingerprint: h.key_fingerprint.clone(),
        oprf_public_key: h.oprf_public_key.clone(),
        sets: h.sets.iter().map(|s| s.sha256.clone()).collect(),
        sizes: Sizes {
            sample: auditor.sample_records,
            company: h.records,
        },
        sample_values: values,
        company_values,
        intersection,
        false_positive_log2: gcs::P,
        check_elements: checks,
        sample_sha256: auditor.sample_sha256.clone(),
        client_nonce,
        server_nonce: h.nonce.clone(),
        messages_sha256: hex(&ch.transcript_hash()),
        server_key: h.server_key.clone(),
        auditor_key,
    };
    let signature = transcript::sign_body(&auditor.signing, &body)?;
    ch.send_json(
        Kind::Sign,
        &SignRequest {
            body: body.clone(),
            signature: signature.clone(),
        },
    )?;
    let cs: Countersignature = ch.recv_json(Kind::Countersign)?;
    transcript::check_body(&h.server_key, &body, &cs.signature)
        .map_err(|_| Error::Verification("the company's countersignature does not verify"))?;
    costs.sent = ch.sent;
    costs.received = ch.received;
    Ok((
        Transcript {
            body,
            signatures: Signatures {
                server: cs.signature,
                auditor: signature,
            },
        },
        costs,
    ))
}
