//! The verifiable OPRF of RFC 9497 (mode VOPRF, suite ristretto255-SHA512) as the audit
//! uses it, and the one deviation the cardinality protocol needs.
//!
//! Key derivation (`DeriveKeyPair`), hashing to the group (`HashToGroup`) and the DLEQ proof
//! are the `voprf` crate's, so they follow the RFC and its test vectors. Bulk arithmetic on
//! many elements is done here with `curve25519-dalek` (the crate the suite is built on)
//! because the protocol needs two things the RFC's per-element API does not give:
//!
//! * **one blinding scalar per batch**, so that responses can be shuffled: the client
//!   unblinds every response with the same `r⁻¹` without knowing which input it belongs to,
//!   and so learns how many of its values are in the company's set, not which;
//! * **an output that does not bind the input** (RFC `Finalize` hashes the input with the
//!   element): an element's identity is a hash of the unblinded element `k·H(x)` alone, which
//!   both the index-time set and the client can compute.
//!
//! The company proves it used the key behind its published public key with the RFC's DLEQ
//! proof over the *sums* of the blinded and evaluated elements (a sum does not depend on the
//! order, so the responses can be shuffled). A sum check alone would let a server alter two
//! responses so that the errors cancel, so the client also mixes in check elements `ρ·G`
//! whose evaluations `ρ·P` it can compute from the public key; they look like any other
//! blinded element, and every one must come back. See [`check_elements`].
use crate::Error;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoBasepointTable, RistrettoPoint};
use curve25519_dalek::traits::Identity;
use curve25519_dalek::Scalar;
use rand_core::{CryptoRng, OsRng, RngCore};
use rayon::prelude::*;
use sha2::{Digest, Sha256, Sha512};
use voprf::{
    BlindedElement, EvaluationElement, Group, Proof, Ristretto255, VoprfClient, VoprfServer,
};
use zeroize::Zeroizing;

/// The RFC 9497 suite.
pub const SUITE: &str = "ristretto255-SHA512";
/// `HashToGroup` domain separation tag of RFC 9497 §4.1 for the VOPRF mode (0x01).
const HASH_TO_GROUP_DST: &[u8] = b"HashToGroup-OPRFV1-\x01-ristretto255-SHA512";
/// `info` of `DeriveKeyPair`: names this use of the company key.
const DERIVE_INFO: &[u8] = b"breachcheck.audit/v1 oprf key";
/// Context of the company-key subkey that seeds `DeriveKeyPair`.
pub const SEED_CONTEXT: &str = "breachcheck 2026-11 audit oprf seed v1";

/// A compressed ristretto255 element on the wire.
pub type Element = [u8; 32];

/// Hashes an input to the group exactly as RFC 9497's `HashToGroup` in VOPRF mode.
pub fn hash_to_group(input: &[u8]) -> Result<RistrettoPoint, Error> {
    <Ristretto255 as Group>::hash_to_curve::<Sha512>(&[input], &[HASH_TO_GROUP_DST])
        .map_err(|_| Error::Crypto("input cannot be hashed to the group"))
}

/// The identity of an evaluated element `k·H(x)`: the first 8 bytes of a domain-separated
/// SHA-256 of its encoding. The set filter stores these.
pub fn element_id(unblinded: &Element) -> u64 {
    let mut h = Sha256::new();
    h.update(b"breachcheck.audit/v1 element\0");
    h.update(unblinded);
    let d = h.finalize();
    u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

fn decompress(e: &Element) -> Result<RistrettoPoint, Error> {
    CompressedRistretto(*e).decompress().ok_or(Error::Protocol(
        "a group element is not a valid ristretto255 encoding".into(),
    ))
}

/// Elements per parallel task.
const PAR_CHUNK: usize = 2048;

/// Multiplies every point by `s` and encodes the results, in parallel, using the batch
/// encoder (one inversion per chunk) on `s/2`-multiples that it doubles.
fn mul_encode(points: &[RistrettoPoint], s: &Scalar) -> Vec<Element> {
    let half = Zeroizing::new(s * Scalar::from(2u8).invert());
    points
        .par_chunks(PAR_CHUNK)
        .flat_map_iter(|chunk| {
            let halves: Vec<RistrettoPoint> = chunk.iter().map(|p| p * *half).collect();
            RistrettoPoint::double_and_compress_batch(&halves)
                .into_iter()
                .map(|c| c.to_bytes())
        })
        .collect()
}

/// The sum of `points`, in parallel chunks.
fn sum(points: &[RistrettoPoint]) -> RistrettoPoint {
    points
        .par_chunks(PAR_CHUNK)
        .map(|c| c.iter().sum::<RistrettoPoint>())
        .reduce(RistrettoPoint::identity, |a, b| a + b)
}

/// Hashes inputs to the group in parallel.
fn hash_all(inputs: &[Vec<u8>]) -> Result<Vec<RistrettoPoint>, Error> {
    inputs.par_iter().map(|x| hash_to_group(x)).collect()
}

/// Decodes elements in parallel.
fn decompress_all(elements: &[Element]) -> Result<Vec<RistrettoPoint>, Error> {
    elements.par_iter().map(decompress).collect()
}

/// The company's audit key: the RFC 9497 key pair derived from the company key.
pub struct AuditKey {
    server: VoprfServer<Ristretto255>,
    sk: Zeroizing<Scalar>,
    public: Element,
}

impl AuditKey {
    /// Derives the key pair from a 32-byte seed (itself derived from the company key with
    /// [`SEED_CONTEXT`]) with RFC 9497 `DeriveKeyPair`.
    pub fn derive(seed: &[u8; 32]) -> Result<Self, Error> {
        let server = VoprfServer::<Ristretto255>::new_from_seed(seed, DERIVE_INFO)
            .map_err(|_| Error::Crypto("key derivation failed"))?;
        let bytes = Zeroizing::new(server.serialize());
        let mut sk_bytes = Zeroizing::new([0u8; 32]);
        sk_bytes.copy_from_slice(&bytes[..32]);
        let sk = Option::<Scalar>::from(Scalar::from_canonical_bytes(*sk_bytes))
            .ok_or(Error::Crypto("derived key is not a canonical scalar"))?;
        let public = server.get_public_key().compress().to_bytes();
        Ok(AuditKey {
            server,
            sk: Zeroizing::new(sk),
            public,
        })
    }

    /// The public key `P = k·G`, published in the index commitment.
    pub fn public_key(&self) -> Element {
        self.public
    }

    /// Identities of `k·H(x)` for the company's own inputs (index time; no blinding).
    pub fn evaluate_inputs(&self, inputs: &[Vec<u8>]) -> Result<Vec<u64>, Error> {
        let points = hash_all(inputs)?;
        Ok(mul_encode(&points, &self.sk)
            .par_iter()
            .map(element_id)
            .collect())
    }

    /// Evaluates a client's blinded elements (`k·B` for each, in the order given) and
    /// makes the RFC 9497 DLEQ proof that `k·M` (with `M` the sum of `blinded`) was
    /// computed with the key behind [`AuditKey::public_key`]; each element is decoded once.
    pub fn evaluate_blinded(&self, blinded: &[Element]) -> Result<(Vec<Element>, [u8; 64]), Error> {
        let points = decompress_all(blinded)?;
        let m = sum(&points);
        let sum = BlindedElement::<Ristretto255>::deserialize(m.compress().as_bytes())
            .map_err(|_| Error::Protocol("the blinded elements sum to the identity".into()))?;
        let result = self.server.blind_evaluate(&mut OsRng, &sum);
        let mut proof = [0u8; 64];
        proof.copy_from_slice(&result.proof.serialize());
        Ok((mul_encode(&points, &self.sk), proof))
    }
}

/// How many check elements a batch of `n` real elements carries: one in sixteen, at least
/// 64. A server that alters `m` of the responses so that the sum still checks escapes with
/// probability about `(1 − c/(n+c))^m` (m = 200 of 1M: 6·10⁻⁶).
pub fn check_elements(n: usize) -> usize {
    (n / 16).max(64)
}

/// The client side of one field's batch: blinds its inputs with one scalar, mixes in check
/// elements, and later unblinds the shuffled responses.
pub struct Blinder {
    r: Zeroizing<Scalar>,
    /// Blinded elements in the (shuffled) order sent.
    sent: Vec<Element>,
    /// Expected evaluations of the check elements.
    checks: Vec<Element>,
    /// Sum of the blinded elements sent (what the proof is about).
    sum: RistrettoPoint,
    real: usize,
}

impl Blinder {
    /// Blinds `inputs` (their order is not kept) and adds check elements; `sent()` is what
    /// goes to the server.
    pub fn new(inputs: &[Vec<u8>], public_key: &Element) -> Result<Self, Error> {
        Self::with_rng(inputs, public_key, &mut OsRng)
    }

    fn with_rng<R: RngCore + CryptoRng>(
        inputs: &[Vec<u8>],
        public_key: &Element,
        rng: &mut R,
    ) -> Result<Self, Error> {
        let pk = decompress(public_key)?;
        let r = Scalar::random(rng);
        let hashed = hash_all(inputs)?;
        let mut sent = mul_encode(&hashed, &r);
        // Σ r·H(x) + Σ ρ·G, from one multiplication each instead of decoding what was sent.
        let mut total = sum(&hashed) * r;
        let c = if inputs.is_empty() {
            0
        } else {
            check_elements(inputs.len())
        };
        let rhos: Vec<Scalar> = (0..c).map(|_| Scalar::random(rng)).collect();
        // ρ·P for many ρ: a table for P makes each a fixed-base multiplication.
        let pk_table = RistrettoBasepointTable::create(&pk);
        let pairs: Vec<(Element, Element)> = rhos
            .par_iter()
            .map(|rho| {
                (
                    RistrettoPoint::mul_base(rho).compress().to_bytes(),
                    (&pk_table * rho).compress().to_bytes(),
                )
            })
            .collect();
        let mut checks = Vec::with_capacity(c);
        for (blinded, expected) in pairs {
            sent.push(blinded);
            checks.push(expected);
        }
        total += RistrettoPoint::mul_base(&rhos.iter().sum());
        // Fisher–Yates, so the check elements sit anywhere.
        for i in (1..sent.len()).rev() {
            let j = (rng.next_u64() % (i as u64 + 1)) as usize;
            sent.swap(i, j);
        }
        checks.sort_unstable();
        Ok(Blinder {
            r: Zeroizing::new(r),
            sent,
            checks,
            sum: total,
            real: inputs.len(),
        })
    }

    /// The blinded elements to send.
    pub fn sent(&self) -> &[Element] {
        &self.sent
    }

    /// Number of check elements mixed in.
    pub fn checks(&self) -> usize {
        self.checks.len()
    }

    /// Verifies the server's responses and returns the element identities of the real
    /// inputs (in no particular order). Fails when the count differs, the proof over the
    /// sums does not verify under `public_key`, or a check element did not come back.
    pub fn finish(
        &self,
        evaluated: &[Element],
        proof: &[u8; 64],
        public_key: &Element,
    ) -> Result<Vec<u64>, Error> {
        if evaluated.len() != self.sent.len() {
            return Err(Error::Protocol(format!(
                "the server answered {} elements for {} sent",
                evaluated.len(),
                self.sent.len()
            )));
        }
        if self.sent.is_empty() {
            return Ok(Vec::new());
        }
        let points = decompress_all(evaluated)?;
        let z = sum(&points);
        verify_sum_proof(&self.r, &self.sum, &z, proof, public_key)?;
        let mut found = vec![false; self.checks.len()];
        let mut real = Vec::with_capacity(self.real);
        for (p, e) in points.iter().zip(evaluated) {
            match self.checks.binary_search(e) {
                Ok(i) if !found[i] => found[i] = true,
                _ => real.push(*p),
            }
        }
        if found.iter().any(|f| !f) || real.len() != self.real {
            return Err(Error::Verification(
                "a check element was not evaluated with the committed key: the server altered responses",
            ));
        }
        let r_inv = self.r.invert();
        Ok(mul_encode(&real, &r_inv)
            .par_iter()
            .map(element_id)
            .collect())
    }
}

/// Checks the RFC 9497 DLEQ proof that `z = k·m` for the `k` behind `public_key`, through
/// the `voprf` crate's own verifier (a client state holding `m` as its blinded element).
fn verify_sum_proof(
    r: &Scalar,
    m: &RistrettoPoint,
    z: &RistrettoPoint,
    proof: &[u8; 64],
    public_key: &Element,
) -> Result<(), Error> {
    let bad = |_| {
        Error::Verification("the evaluation proof does not verify under the committed public key")
    };
    let mut state = Zeroizing::new([0u8; 64]);
    state[..32].copy_from_slice(r.as_bytes());
    state[32..].copy_from_slice(m.compress().as_bytes());
    let client = VoprfClient::<Ristretto255>::deserialize(&state[..])
        .map_err(|_| Error::Protocol("the blinded elements sum to the identity".into()))?;
    let z = EvaluationElement::<Ristretto255>::deserialize(z.compress().as_bytes()).map_err(bad)?;
    let proof = Proof::<Ristretto255>::deserialize(proof).map_err(bad)?;
    let pk = decompress(public_key)?;
    client.finalize(b"sum", &z, &proof, pk).map_err(bad)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> AuditKey {
        AuditKey::derive(&[seed; 32]).expect("test input")
    }

    fn inputs(prefix: &str, n: usize) -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| format!("{prefix}{i}").into_bytes())
            .collect()
    }

    #[test]
    fn hash_to_group_is_the_rfc_one() {
        // The voprf crate's own blinding with blind = 1 is HashToGroup of the input.
        for x in [&b"a"[..], b"alice@example.org", &[0u8; 300]] {
            let b = VoprfClient::<Ristretto255>::deterministic_blind_unchecked(x, Scalar::ONE)
                .expect("test input")
                .message
                .serialize();
            assert_eq!(
                hash_to_group(x).expect("test input").compress().as_bytes()[..],
                b[..]
            );
        }
    }

    #[test]
    fn derived_key_matches_rfc_derive_key_pair() {
        let k = key(7);
        let s =
            VoprfServer::<Ristretto255>::new_from_seed(&[7; 32], DERIVE_INFO).expect("test input");
        assert_eq!(k.public_key(), s.get_public_key().compress().to_bytes());
        assert_ne!(key(8).public_key(), k.public_key());
    }

    #[test]
    fn blinded_evaluation_unblinds_to_the_direct_one() {
        let k = key(1);
        let xs = inputs("x", 100);
        let b = Blinder::new(&xs, &k.public_key()).expect("test input");
        assert_eq!(b.sent().len(), 100 + b.checks());
        let (mut evaluated, proof) = k.evaluate_blinded(b.sent()).expect("test input");
        evaluated.sort_unstable(); // the server's shuffle
        let mut got = b
            .finish(&evaluated, &proof, &k.public_key())
            .expect("test input");
        let mut want = k.evaluate_inputs(&xs).expect("test input");
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want);
    }

    #[test]
    fn another_key_is_caught() {
        let (k, other) = (key(1), key(2));
        let xs = inputs("x", 10);
        let b = Blinder::new(&xs, &k.public_key()).expect("test input");
        let (evaluated, proof) = other.evaluate_blinded(b.sent()).expect("test input");
        assert!(matches!(
            b.finish(&evaluated, &proof, &k.public_key()),
            Err(Error::Verification(_))
        ));
    }

    #[test]
    fn cancelling_alterations_are_caught_by_check_elements() {
        let k = key(3);
        let xs = inputs("y", 10);
        let b = Blinder::new(&xs, &k.public_key()).expect("test input");
        let (evaluated, proof) = k.evaluate_blinded(b.sent()).expect("test input");
        // Alter every pair so that the sum is unchanged: some pair includes a check element.
        let mut evaluated: Vec<RistrettoPoint> = evaluated
            .iter()
            .map(|e| decompress(e).expect("test input"))
            .collect();
        let delta = RistrettoPoint::mul_base(&Scalar::from(5u8));
        for pair in evaluated.chunks_mut(2) {
            if pair.len() == 2 {
                pair[0] += delta;
                pair[1] -= delta;
            }
        }
        let bytes: Vec<Element> = evaluated.iter().map(|p| p.compress().to_bytes()).collect();
        assert!(matches!(
            b.finish(&bytes, &proof, &k.public_key()),
            Err(Error::Verification(_))
        ));
    }

    #[test]
    fn a_dropped_or_altered_response_is_caught() {
        let k = key(4);
        let xs = inputs("z", 5);
        let b = Blinder::new(&xs, &k.public_key()).expect("test input");
        let (mut evaluated, proof) = k.evaluate_blinded(b.sent()).expect("test input");
        assert!(b.finish(&evaluated[1..], &proof, &k.public_key()).is_err());
        evaluated[0] = RistrettoPoint::mul_base(&Scalar::from(9u8))
            .compress()
            .to_bytes();
        assert!(b.finish(&evaluated, &proof, &k.public_key()).is_err());
        evaluated[0] = [0xff; 32];
        assert!(b.finish(&evaluated, &proof, &k.public_key()).is_err());
    }
}
