//! The answer to a query as bytes, the form a server sends when asked with `Accept:
//! application/octet-stream` (a quarter smaller than base64 in JSON: the largest bucket at
//! K = 100 stays under 16 KB):
//!
//! ```text
//! evaluated (32) ‖ proof (64) ‖ n (1) ‖ n × 32-byte bucket path, leaf to root ‖ entries × 46
//! ```
use crate::commitment::Hash;
use crate::publish::{decode_entries, Entry, ENTRY_LEN};
use crate::server::{ELEMENT_LEN, PROOF_LEN};
use crate::{Error, Result};

/// An answer: the evaluation, its proof, the bucket's path and its entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The evaluated element.
    pub evaluated: [u8; ELEMENT_LEN],
    /// The DLEQ proof.
    pub proof: [u8; PROOF_LEN],
    /// The bucket's path to the entries root.
    pub bucket_proof: Vec<Hash>,
    /// The bucket's entries.
    pub entries: Vec<Entry>,
}

impl Answer {
    /// The answer's bytes.
    pub fn encode(
        evaluated: &[u8; ELEMENT_LEN],
        proof: &[u8; PROOF_LEN],
        bucket_proof: &[Hash],
        entries: &[Entry],
    ) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            ELEMENT_LEN + PROOF_LEN + 1 + bucket_proof.len() * 32 + entries.len() * ENTRY_LEN,
        );
        out.extend_from_slice(evaluated);
        out.extend_from_slice(proof);
        // At most 24 bucket bits, so the path length fits a byte.
        out.push(u8::try_from(bucket_proof.len()).unwrap_or(u8::MAX));
        for h in bucket_proof {
            out.extend_from_slice(&h.0);
        }
        for e in entries {
            out.extend_from_slice(&e.to_bytes());
        }
        out
    }

    /// Reads an answer's bytes; refuses a short one or one whose entries are not whole.
    pub fn decode(b: &[u8]) -> Result<Answer> {
        let head = ELEMENT_LEN + PROOF_LEN + 1;
        if b.len() < head {
            return Err(Error::Malformed(
                "the answer is shorter than its fixed part",
            ));
        }
        let mut evaluated = [0u8; ELEMENT_LEN];
        evaluated.copy_from_slice(&b[..ELEMENT_LEN]);
        let mut proof = [0u8; PROOF_LEN];
        proof.copy_from_slice(&b[ELEMENT_LEN..ELEMENT_LEN + PROOF_LEN]);
        let n = usize::from(b[head - 1]);
        let rest = &b[head..];
        if rest.len() < n * 32 {
            return Err(Error::Malformed("the answer's bucket path is cut short"));
        }
        let (path, entries) = rest.split_at(n * 32);
        let bucket_proof = path
            .chunks_exact(32)
            .map(|c| {
                let mut h = [0u8; 32];
                h.copy_from_slice(c);
                Hash(h)
            })
            .collect();
        let entries = decode_entries(entries)?;
        Ok(Answer {
            evaluated,
            proof,
            bucket_proof,
            entries,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the bytes, decoding never panics; what encodes decodes to itself.
        #[test]
        fn answers_round_trip_and_junk_is_refused(junk in prop::collection::vec(any::<u8>(), 0..600), n in 0usize..5, m in 0usize..5) {
            let _ = Answer::decode(&junk);
            let path: Vec<Hash> = (0..n).map(|i| Hash([i as u8; 32])).collect();
            let entries: Vec<Entry> = (0..m).map(|i| Entry { tag: [i as u8; 16], sealed: [7; 30] }).collect();
            let b = Answer::encode(&[1; 32], &[2; 64], &path, &entries);
            let a = Answer::decode(&b).expect("decodes");
            prop_assert_eq!(&a.bucket_proof, &path);
            prop_assert_eq!(&a.entries, &entries);
            if !b.is_empty() && m > 0 {
                prop_assert!(Answer::decode(&b[..b.len() - 1]).is_err());
            }
        }
    }
}
