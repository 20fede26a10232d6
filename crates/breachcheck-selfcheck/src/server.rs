//! The company's side of a query: one blind evaluation with its DLEQ proof, and a bucket's
//! entries. The server holds the claim key and the published claim; it sees a bucket
//! number and a blinded element, which is uniformly random whatever the value.
use crate::key::ClaimKey;
use crate::publish::{Entry, Published};
use crate::{Error, Result};
use rand_core::OsRng;
use voprf::{BlindedElement, Ristretto255};

/// Length of a blinded or evaluated element (a compressed ristretto255 element).
pub const ELEMENT_LEN: usize = 32;
/// Length of a DLEQ proof (two scalars).
pub const PROOF_LEN: usize = 64;

/// RFC 9497 `BlindEvaluate` in VOPRF mode: `k·B` for the client's blinded element `B`, and
/// a proof that the same `k` is behind the claim's public key, so a client can tell an
/// honest "not found" from an answer under another key. Fails on bytes that are not a
/// valid, non-identity ristretto255 element (the client's input, never trusted).
pub fn evaluate(key: &ClaimKey, blinded: &[u8]) -> Result<([u8; ELEMENT_LEN], [u8; PROOF_LEN])> {
    if blinded.len() != ELEMENT_LEN {
        return Err(Error::Malformed("a blinded element is 32 bytes"));
    }
    let blinded = BlindedElement::<Ristretto255>::deserialize(blinded).map_err(|_| {
        Error::Malformed("the blinded element is not a non-identity ristretto255 element")
    })?;
    let result = key.server.blind_evaluate(&mut OsRng, &blinded);
    let mut evaluated = [0u8; ELEMENT_LEN];
    evaluated.copy_from_slice(&result.message.serialize());
    let mut proof = [0u8; PROOF_LEN];
    proof.copy_from_slice(&result.proof.serialize());
    Ok((evaluated, proof))
}

/// The entries of `bucket` in `published` ([`Published::bucket_entries`]).
pub fn bucket_entries(published: &Published, bucket: u32) -> Result<&[Entry]> {
    published.bucket_entries(bucket)
}

#[cfg(test)]
mod tests {
    use super::*;
    use breachcheck_core::SecretKey;

    #[test]
    fn refuses_what_is_not_an_element() {
        let key = ClaimKey::derive(&SecretKey::from_bytes([1; 32]), "c").expect("test input");
        assert!(evaluate(&key, &[0u8; 32]).is_err()); // identity
        assert!(evaluate(&key, &[0xffu8; 32]).is_err());
        assert!(evaluate(&key, &[1u8; 31]).is_err());
    }
}
