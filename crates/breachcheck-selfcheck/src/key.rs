//! A claim's OPRF key, derived from the company key and the claim's name, and its public
//! half.
//!
//! The key pair is RFC 9497 `DeriveKeyPair(seed, info)` with the seed a subkey of the
//! company key for this purpose only (BLAKE3 `derive_key` with [`SEED_CONTEXT`], as the
//! audit derives its own with another context) and `info` naming the claim. So:
//!
//! * the company keeps one secret, the company key; every claim's key follows from it and
//!   the claim name, and republishing a claim gives the same public key;
//! * two claims have unrelated keys: entries of one say nothing about another, and the
//!   audit's OPRF key (another seed context) is unrelated to all of them;
//! * anyone can check evaluations against the public key, which is published with the
//!   claim (and, through the transparency log, before anyone asks).
use crate::{Error, Result};
use breachcheck_core::SecretKey;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use std::fmt;
use voprf::{Ristretto255, VoprfServer};

/// Context of the company-key subkey that seeds every claim's `DeriveKeyPair`.
pub const SEED_CONTEXT: &str = "breachcheck 2026-11 selfcheck oprf seed v1";

/// Prefix of `DeriveKeyPair`'s `info`; the claim name follows a zero byte.
const INFO_PREFIX: &[u8] = b"breachcheck.selfcheck/v1 claim\0";

/// The longest claim name, in bytes.
pub const MAX_CLAIM_LEN: usize = 64;

/// Checks a claim name: 1 to 64 of `[A-Za-z0-9._-]`, starting with a letter or digit. The
/// name goes into key derivation, file names and URL paths, so it must be unambiguous in
/// all three.
pub fn check_claim_name(claim: &str) -> Result<()> {
    let reason = if claim.is_empty() {
        Some("is empty")
    } else if claim.len() > MAX_CLAIM_LEN {
        Some("is longer than 64 characters")
    } else if !claim
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        Some("holds a character outside letters, digits, '.', '_' and '-'")
    } else if !claim.as_bytes()[0].is_ascii_alphanumeric() {
        Some("does not start with a letter or digit")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(Error::ClaimName { reason }),
        None => Ok(()),
    }
}

/// The OPRF key of one claim. Only the company holds it; it is zeroized on drop (the
/// `voprf` crate's server state is) and `Debug` prints the claim and public key only.
pub struct ClaimKey {
    pub(crate) server: VoprfServer<Ristretto255>,
    public: PublicKey,
    claim: String,
}

impl ClaimKey {
    /// RFC 9497 `Evaluate` of one canonical value: the one evaluation per value that
    /// publishing cannot avoid, exposed so a bench can measure the floor publishing is held
    /// to. The output is the value's full OPRF output (secret: it opens the value's entry).
    pub fn evaluate_value(
        &self,
        kind: crate::Kind,
        canonical: &[u8],
    ) -> Result<zeroize::Zeroizing<Vec<u8>>> {
        let input = crate::oprf_input(kind, canonical);
        self.server
            .evaluate(&input)
            .map(|o| zeroize::Zeroizing::new(o.to_vec()))
            .map_err(|_| Error::Crypto("RFC 9497 Evaluate failed"))
    }

    /// Derives the key of claim `claim` from the company key (see the module docs).
    pub fn derive(company: &SecretKey, claim: &str) -> Result<Self> {
        check_claim_name(claim)?;
        let seed = company.derive_subkey(SEED_CONTEXT);
        let mut info = Vec::with_capacity(INFO_PREFIX.len() + claim.len());
        info.extend_from_slice(INFO_PREFIX);
        info.extend_from_slice(claim.as_bytes());
        let server = VoprfServer::<Ristretto255>::new_from_seed(&seed[..], &info)
            .map_err(|_| Error::Crypto("RFC 9497 DeriveKeyPair failed"))?;
        let public = PublicKey(server.get_public_key().compress().to_bytes());
        Ok(ClaimKey {
            server,
            public,
            claim: claim.to_owned(),
        })
    }

    /// The public key `k·G` that clients check evaluations against.
    pub fn public_key(&self) -> PublicKey {
        self.public
    }

    /// The claim this key belongs to.
    pub fn claim(&self) -> &str {
        &self.claim
    }
}

impl fmt::Debug for ClaimKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClaimKey({:?}, public {})", self.claim, self.public)
    }
}

/// A claim's public key: a compressed ristretto255 element, never the identity. Written
/// as 64 lower-case hex digits in the claim's info and in JSON.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(pub(crate) [u8; 32]);

impl PublicKey {
    /// The 32 bytes of the compressed element.
    pub fn to_bytes(self) -> [u8; 32] {
        self.0
    }

    /// Reads a public key from its 32 bytes, refusing anything that is not a valid,
    /// non-identity ristretto255 encoding (a client must not check proofs against a key
    /// that anyone could have made proofs for).
    pub fn from_bytes(bytes: [u8; 32]) -> Result<Self> {
        let key = PublicKey(bytes);
        key.point()?;
        Ok(key)
    }

    /// Lower-case hex, as published.
    pub fn to_hex(self) -> String {
        breachcheck_core::hex(&self.0)
    }

    /// Reads the hex form (64 digits), with the checks of [`PublicKey::from_bytes`].
    pub fn from_hex(s: &str) -> Result<Self> {
        let bytes = breachcheck_core::unhex::<32>(s)
            .ok_or(Error::Malformed("a public key is 64 hex digits"))?;
        Self::from_bytes(bytes)
    }

    pub(crate) fn point(self) -> Result<RistrettoPoint> {
        let p = CompressedRistretto(self.0)
            .decompress()
            .ok_or(Error::Malformed(
                "the public key is not a ristretto255 element",
            ))?;
        if p == RistrettoPoint::default() {
            return Err(Error::Malformed("the public key is the identity element"));
        }
        Ok(p)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl std::str::FromStr for PublicKey {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::from_hex(s)
    }
}

impl serde::Serialize for PublicKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for PublicKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        PublicKey::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn company(b: u8) -> SecretKey {
        SecretKey::from_bytes([b; 32])
    }

    #[test]
    fn keys_follow_company_key_and_claim() {
        let a = ClaimKey::derive(&company(1), "acme-2026").expect("test input");
        let again = ClaimKey::derive(&company(1), "acme-2026").expect("test input");
        assert_eq!(a.public_key(), again.public_key());
        let other_claim = ClaimKey::derive(&company(1), "acme-2027").expect("test input");
        let other_company = ClaimKey::derive(&company(2), "acme-2026").expect("test input");
        assert_ne!(a.public_key(), other_claim.public_key());
        assert_ne!(a.public_key(), other_company.public_key());
    }

    #[test]
    fn the_key_is_rfc_derive_key_pair_of_the_subkey() {
        let c = company(3);
        let k = ClaimKey::derive(&c, "x").expect("test input");
        let seed = c.derive_subkey(SEED_CONTEXT);
        let s = VoprfServer::<Ristretto255>::new_from_seed(
            &seed[..],
            b"breachcheck.selfcheck/v1 claim\0x",
        )
        .expect("test input");
        assert_eq!(k.public_key().0, s.get_public_key().compress().to_bytes());
    }

    #[test]
    fn public_key_hex_round_trips_and_refuses_bad_points() {
        let k = ClaimKey::derive(&company(1), "c")
            .expect("test input")
            .public_key();
        assert_eq!(PublicKey::from_hex(&k.to_hex()).expect("test input"), k);
        let json = serde_json::to_string(&k).expect("test input");
        assert_eq!(
            serde_json::from_str::<PublicKey>(&json).expect("test input"),
            k
        );
        assert!(PublicKey::from_hex(&"00".repeat(32)).is_err()); // identity
        assert!(PublicKey::from_hex(&"ff".repeat(32)).is_err()); // not an encoding
        assert!(PublicKey::from_hex("abcd").is_err());
    }

    #[test]
    fn claim_names_are_checked() {
        for bad in ["", "-x", "a b", "a/b", "é", &"a".repeat(65)] {
            assert!(check_claim_name(bad).is_err(), "{bad:?}");
        }
        for good in ["a", "acme-2026-11", "A.b_c-9"] {
            check_claim_name(good).expect("test input");
        }
    }

    #[test]
    fn debug_hides_the_key() {
        let k = ClaimKey::derive(&company(1), "c").expect("test input");
        let d = format!("{k:?}");
        assert!(d.contains(&k.public_key().to_hex()) && d.contains("\"c\""));
    }
}
