//! The signed audit transcript: what was audited, against which commitment, with what
//! result, signed by the company and the auditor, checkable offline by anyone.
use crate::{Error, FieldCounts};
use breachcheck_core::{hex, unhex};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

/// Schema name of transcripts and `audit run --json` output.
pub const SCHEMA: &str = "breachcheck.audit/v1";
const TRANSCRIPT_CONTEXT: &[u8] = b"breachcheck.audit/v1 transcript\0";
const HELLO_CONTEXT: &[u8] = b"breachcheck.audit/v1 server hello\0";

/// Set sizes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sizes {
    /// Records of the sample (lines read).
    pub sample: u64,
    /// Records of the company's systems (the commitment's count).
    pub company: u64,
}

/// Everything both sides sign. No value of either side is in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptBody {
    /// [`SCHEMA`].
    pub schema: String,
    /// OPRF suite.
    pub suite: String,
    /// Normalization rules both sides canonicalized with.
    pub rules_version: u32,
    /// When the auditor connected (RFC 3339, UTC).
    pub started: String,
    /// When the counts were known.
    pub finished: String,
    /// Index commitment root the company's sets are bound to.
    pub commitment: String,
    /// Fingerprint of the company key in the commitment.
    pub key_fingerprint: String,
    /// OPRF public key the evaluations were proven under.
    pub oprf_public_key: String,
    /// SHA-256 of each audit set filter received.
    pub sets: Vec<String>,
    /// Set sizes.
    pub sizes: Sizes,
    /// Distinct sample values per field.
    pub sample_values: FieldCounts,
    /// Values per field in the company's sets.
    pub company_values: FieldCounts,
    /// Distinct sample values found in the company's sets, per field.
    pub intersection: FieldCounts,
    /// A set lookup's false-positive rate is 2^-this (an integer: a signed body holds no
    /// floating-point number, whose text form need not survive a parse exactly).
    pub false_positive_log2: u8,
    /// Check elements mixed into each field's batch (see `oprf::check_elements`).
    pub check_elements: FieldCounts,
    /// SHA-256 of the sample file (the auditor's choice to bind it; no content).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_sha256: Option<String>,
    /// The auditor's session nonce.
    pub client_nonce: String,
    /// The company's session nonce.
    pub server_nonce: String,
    /// SHA-256 over every protocol frame exchanged before signing, in order.
    pub messages_sha256: String,
    /// The company's ed25519 public key.
    pub server_key: String,
    /// The auditor's ed25519 public key.
    pub auditor_key: String,
}

/// Both signatures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signatures {
    /// The company's signature over the body.
    pub server: String,
    /// The auditor's signature over the body.
    pub auditor: String,
}

/// A signed transcript (the file `audit run` writes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transcript {
    /// What was signed.
    pub body: TranscriptBody,
    /// Signatures of both sides.
    pub signatures: Signatures,
}

fn body_bytes(body: &TranscriptBody) -> Result<Vec<u8>, Error> {
    let mut m = TRANSCRIPT_CONTEXT.to_vec();
    m.extend(serde_json::to_vec(body).map_err(|e| Error::Transcript(e.to_string()))?);
    Ok(m)
}

/// Signs a transcript body.
pub fn sign_body(key: &SigningKey, body: &TranscriptBody) -> Result<String, Error> {
    Ok(hex(&key.sign(&body_bytes(body)?).to_bytes()))
}

/// Checks one signature over a body by the key given in hex.
pub fn check_body(key_hex: &str, body: &TranscriptBody, sig_hex: &str) -> Result<(), Error> {
    check(key_hex, &body_bytes(body)?, sig_hex)
}

/// Signs a server hello's JSON.
pub fn sign_hello(key: &SigningKey, hello_json: &[u8]) -> String {
    let mut m = HELLO_CONTEXT.to_vec();
    m.extend_from_slice(hello_json);
    hex(&key.sign(&m).to_bytes())
}

/// Checks a server hello's signature.
pub fn check_hello(key_hex: &str, hello_json: &[u8], sig_hex: &str) -> Result<(), Error> {
    let mut m = HELLO_CONTEXT.to_vec();
    m.extend_from_slice(hello_json);
    check(key_hex, &m, sig_hex)
}

/// Parses a hex ed25519 public key.
pub fn public_key(key_hex: &str) -> Result<VerifyingKey, Error> {
    let bytes: [u8; 32] = unhex(key_hex)
        .ok_or_else(|| Error::Transcript("a public key is not 64 hex digits".into()))?;
    VerifyingKey::from_bytes(&bytes)
        .map_err(|_| Error::Transcript("not an ed25519 public key".into()))
}

fn check(key_hex: &str, msg: &[u8], sig_hex: &str) -> Result<(), Error> {
    let key = public_key(key_hex)?;
    let sig: [u8; 64] = unhex(sig_hex)
        .ok_or_else(|| Error::Transcript("a signature is not 128 hex digits".into()))?;
    key.verify(msg, &Signature::from_bytes(&sig))
        .map_err(|_| Error::Transcript("a signature does not verify".into()))
}

/// What [`Transcript::verify`] checks beyond the signatures.
#[derive(Clone, Debug, Default)]
pub struct Expect {
    /// The company's public key must be this one.
    pub server_key: Option<String>,
    /// The auditor's public key must be this one.
    pub auditor_key: Option<String>,
    /// The commitment must be this one.
    pub commitment: Option<String>,
}

impl TranscriptBody {
    /// The false-positive rate of one set lookup.
    pub fn false_positive_rate(&self) -> f64 {
        (-f64::from(self.false_positive_log2)).exp2()
    }
}

impl Transcript {
    /// Checks both signatures, the schema, that the counts are possible, and the
    /// expectations given.
    pub fn verify(&self, expect: &Expect) -> Result<(), Error> {
        let b = &self.body;
        if b.schema != SCHEMA {
            return Err(Error::Transcript(format!(
                "schema {:?}, expected {SCHEMA}",
                b.schema
            )));
        }
        check_body(&b.server_key, b, &self.signatures.server)
            .map_err(|_| Error::Transcript("the company's signature does not verify".into()))?;
        check_body(&b.auditor_key, b, &self.signatures.auditor)
            .map_err(|_| Error::Transcript("the auditor's signature does not verify".into()))?;
        for f in crate::AuditField::ALL {
            if b.intersection.get(f) > b.sample_values.get(f) {
                return Err(Error::Transcript(format!(
                    "{} intersection exceeds the sample's values",
                    f.as_str()
                )));
            }
        }
        let pins = [
            ("company key", &expect.server_key, b.server_key.as_str()),
            ("auditor key", &expect.auditor_key, b.auditor_key.as_str()),
            ("commitment", &expect.commitment, b.commitment.as_str()),
        ];
        if let Some(what) = crate::mismatched(&pins) {
            return Err(Error::Transcript(format!("{what} is not the expected one")));
        }
        Ok(())
    }
}
