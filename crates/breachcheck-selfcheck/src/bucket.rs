//! Public hash-prefix buckets (k-anonymity of a query).
//!
//! A query names its bucket, the first `bits` bits of a public SHA-256 of the value, so the
//! server learns only that the value is one of the bucket's ≥ K published values or one
//! outside the claim. The hash is unkeyed on purpose: the client computes it, in the
//! browser too. It says nothing an attacker can use offline, because the entries in the
//! bucket are keyed by the OPRF, not by this hash.
use crate::{Kind, FORMAT};
use sha2::{Digest, Sha256};

/// The most bucket bits a claim uses (16M buckets; reached only past 1.6 billion values at
/// K = 100). Keeps the offsets table of a claim file bounded.
pub const MAX_BITS: u8 = 24;

/// The default minimum bucket size K.
pub const DEFAULT_MIN_BUCKET: usize = 100;

/// The public SHA-256 of a value: `SHA-256("breachcheck.selfcheck/v1\0" ‖ kind ‖ "\0" ‖
/// canonical)`.
pub fn digest(kind: Kind, canonical: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(FORMAT.as_bytes());
    h.update([0]);
    h.update(kind.as_str().as_bytes());
    h.update([0]);
    h.update(canonical);
    h.finalize().into()
}

/// The first 32 bits of [`digest`], big-endian: the bucket at every number of bits is a
/// prefix of it.
pub(crate) fn prefix32(kind: Kind, canonical: &[u8]) -> u32 {
    let d = digest(kind, canonical);
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// The bucket at `bits` bits of a 32-bit prefix.
pub(crate) fn of_prefix(prefix: u32, bits: u8) -> u32 {
    if bits == 0 {
        0
    } else {
        prefix >> (32 - u32::from(bits.min(32)))
    }
}

/// The bucket of a value in a claim of `bits` bucket bits (the first `bits` bits of
/// [`digest`]; bucket 0 when `bits` is 0).
pub fn bucket_of(kind: Kind, canonical: &[u8], bits: u8) -> u32 {
    of_prefix(prefix32(kind, canonical), bits)
}

/// How many buckets a claim of `bits` bits has.
pub fn bucket_count(bits: u8) -> u64 {
    1u64 << bits
}

/// The most bits, up to [`MAX_BITS`], that keep every bucket at ≥ `min_bucket` of the
/// values whose 32-bit prefixes are given; 0 when even one bucket holding everything is
/// smaller (then the publisher adds dummies). More bits mean smaller answers; fewer than
/// K values in a bucket would narrow a query down below K candidates.
pub(crate) fn choose_bits(prefixes: &[u32], min_bucket: usize) -> u8 {
    let n = prefixes.len();
    if n < 2 * min_bucket.max(1) {
        return 0;
    }
    // Every bucket ≥ K needs n ≥ K·2^bits: start at the largest such, go down.
    let mut bits = 0u8;
    while bits < MAX_BITS && (n >> (bits + 1)) >= min_bucket {
        bits += 1;
    }
    let mut counts = vec![0usize; 1 << bits];
    while bits > 0 {
        counts.truncate(1 << bits);
        counts.iter_mut().for_each(|c| *c = 0);
        for &p in prefixes {
            counts[of_prefix(p, bits) as usize] += 1;
        }
        if counts.iter().all(|&c| c >= min_bucket) {
            return bits;
        }
        bits -= 1;
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_prefixes_of_the_public_digest() {
        let d = digest(Kind::Email, b"a@example.org");
        assert_eq!(bucket_of(Kind::Email, b"a@example.org", 0), 0);
        assert_eq!(bucket_of(Kind::Email, b"a@example.org", 8), u32::from(d[0]));
        assert_eq!(
            bucket_of(Kind::Email, b"a@example.org", 12),
            (u32::from(d[0]) << 4) | u32::from(d[1] >> 4)
        );
        assert_ne!(digest(Kind::Phone, b"a@example.org"), d);
    }

    #[test]
    fn chosen_bits_keep_every_bucket_at_k() {
        let prefixes: Vec<u32> = (0..20_000u32)
            .map(|i| prefix32(Kind::Phone, format!("+4930{i:07}").as_bytes()))
            .collect();
        for k in [1, 10, 100, 1000] {
            let bits = choose_bits(&prefixes, k);
            let mut counts = vec![0usize; 1 << bits];
            for &p in &prefixes {
                counts[of_prefix(p, bits) as usize] += 1;
            }
            assert!(counts.iter().all(|&c| c >= k), "k {k} bits {bits}");
            if bits < MAX_BITS {
                let mut finer = vec![0usize; 1 << (bits + 1)];
                for &p in &prefixes {
                    finer[of_prefix(p, bits + 1) as usize] += 1;
                }
                assert!(
                    finer.iter().any(|&c| c < k),
                    "k {k}: {} bits would do",
                    bits + 1
                );
            }
        }
        assert_eq!(choose_bits(&prefixes[..150], 100), 0);
        assert_eq!(choose_bits(&[], 100), 0);
    }
}
