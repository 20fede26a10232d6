//! Report signatures: ed25519 over the exact bytes of the JSON report, in a detached
//! sidecar file (`REPORT.json.sig`), so the report's content does not depend on who signs
//! it and anyone holding the signer's public key can check it offline.
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The sidecar file's content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// Always "ed25519".
    pub algorithm: String,
    /// The signer's public key, hex.
    pub public_key: String,
    /// SHA-256 of the signed report bytes, hex (a convenience for humans; the signature
    /// covers the bytes themselves).
    pub report_sha256: String,
    /// The signature, hex.
    pub signature: String,
}

/// Why a signature does not hold.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureError {
    /// The sidecar is not a breachcheck signature.
    #[error("not a breachcheck signature file ({0})")]
    Malformed(String),
    /// The signature was made with another key than the expected one.
    #[error("signed with public key {found}, expected {expected}")]
    WrongKey {
        /// Key in the signature file.
        found: String,
        /// Key the caller expected.
        expected: String,
    },
    /// The report bytes are not the ones that were signed.
    #[error("the signature does not match the report: it was changed after signing, or signed by someone else")]
    Mismatch,
}

use breachcheck_core::{hex, unhex};

/// The public key (hex) of a 32-byte signing seed.
pub fn public_key(seed: &[u8; 32]) -> String {
    hex(ed25519_dalek::SigningKey::from_bytes(seed)
        .verifying_key()
        .as_bytes())
}

/// Signs `report` (the exact bytes written) with the 32-byte `seed`.
pub fn sign(seed: &[u8; 32], report: &[u8]) -> Signature {
    use ed25519_dalek::Signer;
    let key = ed25519_dalek::SigningKey::from_bytes(seed);
    Signature {
        algorithm: "ed25519".into(),
        public_key: hex(key.verifying_key().as_bytes()),
        report_sha256: hex(&Sha256::digest(report)),
        signature: hex(&key.sign(report).to_bytes()),
    }
}

/// Checks `sig` over `report`; with `expected_key` (hex), also that the expected key made
/// it — without one, a valid signature only says the report is unchanged since *someone*
/// signed it.
pub fn verify(
    report: &[u8],
    sig: &Signature,
    expected_key: Option<&str>,
) -> Result<(), SignatureError> {
    if sig.algorithm != "ed25519" {
        return Err(SignatureError::Malformed(format!(
            "algorithm {:?}",
            sig.algorithm
        )));
    }
    if let Some(e) = expected_key {
        if !e.trim().eq_ignore_ascii_case(&sig.public_key) {
            return Err(SignatureError::WrongKey {
                found: sig.public_key.clone(),
                expected: e.trim().to_owned(),
            });
        }
    }
    // Hex exactly as written by `sign` (lower case): a file whose bytes changed is refused
    // even where the change would decode to the same key or signature.
    let pk = unhex::<32>(&sig.public_key)
        .filter(|b| hex(b) == sig.public_key)
        .ok_or_else(|| SignatureError::Malformed("public key".into()))?;
    let sg = unhex::<64>(&sig.signature)
        .filter(|b| hex(b) == sig.signature)
        .ok_or_else(|| SignatureError::Malformed("signature".into()))?;
    if !sig.report_sha256.is_empty() && sig.report_sha256 != hex(&Sha256::digest(report)) {
        return Err(SignatureError::Mismatch);
    }
    let key = ed25519_dalek::VerifyingKey::from_bytes(&pk)
        .map_err(|_| SignatureError::Malformed("public key".into()))?;
    key.verify_strict(report, &ed25519_dalek::Signature::from_bytes(&sg))
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_tamper() {
        let seed = [7u8; 32];
        let report = br#"{"schema":"breachcheck.report/v1"}"#;
        let sig = sign(&seed, report);
        assert_eq!(verify(report, &sig, None), Ok(()));
        assert_eq!(verify(report, &sig, Some(&public_key(&seed))), Ok(()));
        let mut changed = report.to_vec();
        changed[3] ^= 1;
        assert_eq!(verify(&changed, &sig, None), Err(SignatureError::Mismatch));
        assert!(matches!(
            verify(report, &sig, Some(&public_key(&[8; 32]))),
            Err(SignatureError::WrongKey { .. })
        ));
        let mut bad = sig.clone();
        bad.signature = "zz".into();
        assert!(matches!(
            verify(report, &bad, None),
            Err(SignatureError::Malformed(_))
        ));
    }
}
