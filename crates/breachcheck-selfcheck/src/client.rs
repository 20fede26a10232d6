//! The person's side of a query. The value stays here: what is sent is the public bucket
//! and an element blinded by a fresh random scalar.
use crate::bucket::bucket_of;
use crate::commitment::{self, Hash};
use crate::disclosure::Disclosure;
use crate::publish::{ClaimInfo, Entry};
use crate::server::{ELEMENT_LEN, PROOF_LEN};
use crate::{oprf_input, seal, Error, Kind, Result, MAX_VALUE_LEN};
use rand_core::OsRng;
use std::fmt;
use voprf::{EvaluationElement, Proof, Ristretto255, VoprfClient};
use zeroize::Zeroizing;

/// One query in flight: the blinding state and the value, kept to finish the query. Made
/// for one claim's bucket bits; `Debug` shows the kind, bucket and nothing of the value.
pub struct Query {
    kind: Kind,
    input: Zeroizing<Vec<u8>>,
    client: VoprfClient<Ristretto255>,
    blinded: [u8; ELEMENT_LEN],
    bucket: u32,
    bits: u8,
}

impl Query {
    /// Starts a query for a canonical value in a claim of `bucket_bits` bits: computes its
    /// bucket and blinds it (RFC 9497 `Blind`). Send [`Query::bucket`] and
    /// [`Query::blinded`]; keep the query for [`Query::finish`].
    pub fn new(kind: Kind, canonical: &[u8], bucket_bits: u8) -> Result<Query> {
        if canonical.is_empty() || canonical.len() > MAX_VALUE_LEN {
            return Err(Error::ValueLength {
                index: 0,
                kind: kind.as_str(),
                len: canonical.len(),
            });
        }
        if bucket_bits > crate::bucket::MAX_BITS {
            return Err(Error::Malformed("the claim has more than 24 bucket bits"));
        }
        let input = oprf_input(kind, canonical);
        let blind = VoprfClient::<Ristretto255>::blind(&input, &mut OsRng)
            .map_err(|_| Error::Crypto("RFC 9497 Blind failed"))?;
        let mut blinded = [0u8; ELEMENT_LEN];
        blinded.copy_from_slice(&blind.message.serialize());
        Ok(Query {
            kind,
            input,
            client: blind.state,
            blinded,
            bucket: bucket_of(kind, canonical, bucket_bits),
            bits: bucket_bits,
        })
    }

    /// The bucket to ask for.
    pub fn bucket(&self) -> u32 {
        self.bucket
    }

    /// The blinded element to send.
    pub fn blinded(&self) -> &[u8; ELEMENT_LEN] {
        &self.blinded
    }

    /// Finishes the query with the server's answer: checks the bucket's entries against
    /// `info.entries_root` with `bucket_proof`, verifies the DLEQ proof against
    /// `info.public_key` (RFC 9497 `Finalize`), derives the value's tag and opens the entry
    /// that carries it. `Ok(None)` is a verified "not in this claim": the key is the
    /// claim's and the bucket is whole.
    ///
    /// Errors, never "not found": the entries are not the bucket's as published (one left
    /// out, added or altered), the proof does not verify (another key, an altered
    /// evaluation or proof), malformed bytes, the query made for other bucket bits than
    /// `info`'s, or an entry with this value's tag that does not open.
    ///
    /// `info` must be the claim's public info as the client trusts it — public key, salt
    /// and root checked against what the company published (the transparency log), not
    /// only as the answering server states them.
    pub fn finish(
        self,
        info: &ClaimInfo,
        evaluated: &[u8],
        proof: &[u8],
        entries: &[Entry],
        bucket_proof: &[Hash],
    ) -> Result<Option<Disclosure>> {
        info.check()?;
        if info.bucket_bits != self.bits {
            return Err(Error::BucketBits {
                query: self.bits,
                claim: info.bucket_bits,
            });
        }
        if !commitment::verify(
            &info.entries_root,
            info.bucket_bits,
            self.bucket,
            entries,
            bucket_proof,
        ) {
            return Err(Error::Verification(
                "the bucket's entries are not the ones the claim published",
            ));
        }
        if evaluated.len() != ELEMENT_LEN || proof.len() != PROOF_LEN {
            return Err(Error::Malformed(
                "an evaluation is a 32-byte element and a 64-byte proof",
            ));
        }
        let evaluated =
            EvaluationElement::<Ristretto255>::deserialize(evaluated).map_err(|_| {
                Error::Malformed("the evaluated element is not a non-identity ristretto255 element")
            })?;
        let proof = Proof::<Ristretto255>::deserialize(proof)
            .map_err(|_| Error::Malformed("the proof is not two canonical scalars"))?;
        let pk = info.public_key.point()?;
        let output = Zeroizing::new(
            self.client
                .finalize(&self.input, &evaluated, &proof, pk)
                .map_err(|_| {
                    Error::Verification(
                        "the evaluation proof does not verify under the claim's public key",
                    )
                })?,
        );
        let tag = seal::tag(&info.salt.0, &output);
        let mut candidates = entries.iter().filter(|e| e.tag == tag).peekable();
        if candidates.peek().is_none() {
            return Ok(None);
        }
        for e in candidates {
            if let Some(d) = seal::open(&info.salt.0, &output, &e.tag, &e.sealed) {
                return Ok(Some(d));
            }
        }
        Err(Error::Tampered)
    }
}

impl fmt::Debug for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Query(<{}, {} bytes>, bucket {} of {} bits)",
            self.kind.as_str(),
            self.input
                .len()
                .saturating_sub(self.kind.as_str().len() + 1),
            self.bucket,
            self.bits
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::{publish, Published, Value};
    use crate::{server, ClaimKey};
    use breachcheck_core::SecretKey;

    /// A publisher that committed to an altered entry (so the bucket checks) still cannot
    /// make it open: the client reports tampering, not "not found".
    #[test]
    fn an_entry_that_does_not_open_under_its_tag_is_tampering() {
        let key = ClaimKey::derive(&SecretKey::from_bytes([5; 32]), "t").expect("test input");
        let d = Disclosure {
            lines: 1,
            fields: vec![],
            matched_company_records: None,
        };
        let values = vec![Value::new(Kind::Email, "a@example.org", d)];
        let p = publish(&key, &values, 3).expect("test input");
        let mut entries = p.entries.clone();
        for e in &mut entries {
            e.sealed[0] ^= 1;
        }
        let altered = Published::assemble(p.info.clone(), p.offsets.clone(), entries);
        let info = altered.info().clone();
        let q = Query::new(Kind::Email, b"a@example.org", info.bucket_bits).expect("test input");
        let (e, pr) = server::evaluate(&key, q.blinded()).expect("test input");
        let entries = altered.bucket_entries(q.bucket()).expect("test input");
        let path = altered.bucket_proof(q.bucket()).expect("test input");
        assert!(matches!(
            q.finish(&info, &e, &pr, entries, &path),
            Err(Error::Tampered)
        ));
    }
}
