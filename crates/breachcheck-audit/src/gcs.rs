//! A Golomb-coded set (Golomb–Rice coding of sorted hash deltas): the company's evaluated
//! elements in about 31.5 bits each at a false-positive rate of 2⁻³⁰ (9.3·10⁻¹⁰) per query.
//!
//! Written by hand: the format is a few dozen lines and the crates that implement it are
//! unmaintained or fix their own hashing; this one takes identities already made by the
//! OPRF. The decoder reads bytes from the other party and never panics on them (fuzzed).
//!
//! Layout: `BCGCS01\0`, the Rice parameter `p` (u8), the element count `n` (u64 LE), then
//! the deltas of the sorted values `v = ⌊id · n·2^p / 2^64⌋`, each as its quotient
//! `δ >> p` in unary (ones closed by a zero) and its low `p` bits, most significant bit
//! first, padded with zero bits to a whole byte.
use crate::Error;

const MAGIC: &[u8; 8] = b"BCGCS01\0";
const HEADER: usize = 17;
/// Rice parameter: false-positive rate 2⁻ᴾ per query.
pub const P: u8 = 30;

/// The false-positive rate of one membership query.
pub fn false_positive_rate() -> f64 {
    (-(f64::from(P))).exp2()
}

fn scale(id: u64, range: u128) -> u64 {
    ((u128::from(id) * range) >> 64) as u64
}

/// The most bytes a filter of `n` elements can take: per element `P` remainder bits and a
/// unary quotient whose sum over the set is at most `n` (the values lie below `n·2^P`),
/// so `n·(P + 2)` bits, the header and the writer's last word. An auditor refuses a
/// filter announced larger than this for the element counts the commitment binds.
pub fn max_len(n: u64) -> u64 {
    let bits = u128::from(n) * (u128::from(P) + 2);
    let body = u64::try_from(bits.div_ceil(8)).unwrap_or(u64::MAX);
    body.saturating_add(HEADER as u64 + 8)
}

/// Encodes a set of element identities (duplicates are fine).
pub fn encode(ids: &[u64]) -> Vec<u8> {
    encode_owned(ids.to_vec())
}

/// [`encode`], reusing the identities' memory (a 100M-record set holds 1.6 GB of them).
pub fn encode_owned(mut values: Vec<u64>) -> Vec<u8> {
    let n = values.len() as u64;
    let range = u128::from(n) << P;
    for v in values.iter_mut() {
        *v = scale(*v, range);
    }
    values.sort_unstable();
    let mut w = BitWriter::with_capacity(HEADER + values.len() * 4 + 8);
    w.bytes.extend_from_slice(MAGIC);
    w.bytes.push(P);
    w.bytes.extend_from_slice(&n.to_le_bytes());
    let mut last = 0u64;
    for v in values {
        let delta = v - last;
        last = v;
        let mut q = delta >> P;
        while q > 0 {
            let run = q.min(32);
            w.write((1u64 << run) - 1, run as u8);
            q -= run;
        }
        w.write(0, 1);
        w.write(delta & ((1 << P) - 1), P);
    }
    w.finish()
}

/// A decoded set header and a reader over its values.
pub struct Decoder<'a> {
    n: u64,
    p: u8,
    reader: BitReader<'a>,
    read: u64,
    last: u64,
}

impl<'a> Decoder<'a> {
    /// Checks the header.
    pub fn new(bytes: &'a [u8]) -> Result<Self, Error> {
        if bytes.len() < HEADER || &bytes[..8] != MAGIC {
            return Err(Error::Filter("not a breachcheck set filter"));
        }
        let p = bytes[8];
        if !(1..=40).contains(&p) {
            return Err(Error::Filter("Rice parameter out of range"));
        }
        let mut n = [0u8; 8];
        n.copy_from_slice(&bytes[9..17]);
        let n = u64::from_le_bytes(n);
        // Every value takes at least p + 1 bits.
        let body_bits = (bytes.len() - HEADER) as u128 * 8;
        if u128::from(n) * (u128::from(p) + 1) > body_bits {
            return Err(Error::Filter(
                "the filter is shorter than its element count",
            ));
        }
        Ok(Decoder {
            n,
            p,
            reader: BitReader {
                bytes: &bytes[HEADER..],
                pos: 0,
            },
            read: 0,
            last: 0,
        })
    }

    fn range(&self) -> u128 {
        u128::from(self.n) << self.p
    }

    /// The next value in ascending order, `None` at the end.
    fn next_value(&mut self) -> Result<Option<u64>, Error> {
        if self.read == self.n {
            return Ok(None);
        }
        let limit = (self.range() >> self.p) as u64;
        let q = self
            .reader
            .unary(limit)
            .ok_or(Error::Filter("a value runs past the filter's end or range"))?;
        let r = self
            .reader
            .bits(self.p)
            .ok_or(Error::Filter("the filter ends inside a value"))?;
        let v = u128::from(self.last) + (u128::from(q) << self.p) + u128::from(r);
        if v >= self.range() {
            return Err(Error::Filter("a value lies outside the set's range"));
        }
        self.last = v as u64;
        self.read += 1;
        Ok(Some(self.last))
    }

    /// Marks which of `ids` are in the set (`found[i]` is set for a member). One pass over
    /// the filter; memory is the queries', not the set's.
    pub fn mark_members(mut self, ids: &[u64], found: &mut [bool]) -> Result<(), Error> {
        let range = self.range();
        let mut queries: Vec<(u64, usize)> = ids
            .iter()
            .enumerate()
            .map(|(i, &id)| (scale(id, range), i))
            .collect();
        queries.sort_unstable();
        let mut q = queries.iter().peekable();
        while let Some(v) = self.next_value()? {
            while let Some(&&(qv, i)) = q.peek() {
                if qv > v {
                    break;
                }
                found[i] |= qv == v;
                q.next();
            }
        }
        Ok(())
    }
}

struct BitWriter {
    bytes: Vec<u8>,
    acc: u64,
    used: u8,
}

impl BitWriter {
    fn with_capacity(n: usize) -> Self {
        BitWriter {
            bytes: Vec::with_capacity(n),
            acc: 0,
            used: 0,
        }
    }

    /// Appends the low `n` (≤ 32) bits of `v`, most significant first.
    fn write(&mut self, v: u64, n: u8) {
        self.acc = (self.acc << n) | (v & ((1u64 << n) - 1));
        self.used += n;
        while self.used >= 8 {
            self.used -= 8;
            self.bytes.push((self.acc >> self.used) as u8);
        }
        self.acc &= (1u64 << self.used) - 1;
    }

    fn finish(mut self) -> Vec<u8> {
        if self.used > 0 {
            self.bytes.push((self.acc << (8 - self.used)) as u8);
        }
        self.bytes
    }
}

/// Reads bits most significant first through a 64-bit window (a bit at a time would make
/// a 100M-element filter take tens of seconds).
struct BitReader<'a> {
    bytes: &'a [u8],
    /// Position in bits.
    pos: usize,
}

impl BitReader<'_> {
    fn remaining(&self) -> usize {
        self.bytes.len() * 8 - self.pos
    }

    /// The next bits, left-aligned; at least 57 of them are valid (zeros past the end).
    fn window(&self) -> u64 {
        let start = self.pos / 8;
        let mut buf = [0u8; 8];
        let end = (start + 8).min(self.bytes.len());
        buf[..end - start].copy_from_slice(&self.bytes[start..end]);
        u64::from_be_bytes(buf) << (self.pos % 8)
    }

    /// `n` (1..=40) bits as a number.
    fn bits(&mut self, n: u8) -> Option<u64> {
        if self.remaining() < usize::from(n) {
            return None;
        }
        let v = self.window() >> (64 - u32::from(n));
        self.pos += usize::from(n);
        Some(v)
    }

    /// Ones up to the closing zero (consumed); `None` if the input ends first or the run
    /// exceeds `limit`.
    fn unary(&mut self, limit: u64) -> Option<u64> {
        let mut q = 0u64;
        loop {
            let avail = self.remaining().min(57);
            if avail == 0 {
                return None;
            }
            let ones = (!self.window()).leading_zeros() as usize;
            if ones < avail {
                q += ones as u64;
                self.pos += ones + 1;
                return (q <= limit).then_some(q);
            }
            q += avail as u64;
            self.pos += avail;
            if q > limit {
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn members(filter: &[u8], ids: &[u64]) -> Vec<bool> {
        let mut found = vec![false; ids.len()];
        Decoder::new(filter)
            .expect("test input")
            .mark_members(ids, &mut found)
            .expect("test input");
        found
    }

    #[test]
    fn size_is_about_p_plus_two_bits_per_element() {
        let ids: Vec<u64> = (0..100_000u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        let f = encode(&ids);
        let bits = (f.len() - HEADER) as f64 * 8.0 / ids.len() as f64;
        assert!(bits > 30.0 && bits < 33.0, "{bits}");
        assert!(members(&f, &ids).iter().all(|&b| b));
    }

    #[test]
    fn empty_set_holds_nothing() {
        let f = encode(&[]);
        assert_eq!(members(&f, &[1, 2, 3]), vec![false; 3]);
    }

    #[test]
    fn false_positive_rate_is_as_stated() {
        assert!(false_positive_rate() <= 1e-9);
        let ids: Vec<u64> = (0..50_000u64)
            .map(|i| i.wrapping_mul(0xD6E8_FEB8_6659_FD93))
            .collect();
        let others: Vec<u64> = (0..200_000u64)
            .map(|i| (i + 1_000_000).wrapping_mul(0xA076_1D64_78BD_642F))
            .collect();
        let f = encode(&ids);
        // 200k queries at 2^-30: expected 0.0002 false positives.
        assert_eq!(members(&f, &others).iter().filter(|&&b| b).count(), 0);
    }

    proptest! {
        #[test]
        fn members_are_found(ids in proptest::collection::vec(any::<u64>(), 0..300), probe in proptest::collection::vec(any::<u64>(), 0..50)) {
            let f = encode(&ids);
            prop_assert!(members(&f, &ids).iter().all(|&b| b));
            let found = members(&f, &probe);
            for (p, got) in probe.iter().zip(found) {
                // At this size a false positive has probability < 1e-6 per run.
                prop_assert_eq!(got, ids.contains(p));
            }
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200), probe in proptest::collection::vec(any::<u64>(), 0..20)) {
            let mut b = MAGIC.to_vec();
            b.extend_from_slice(&bytes);
            if let Ok(d) = Decoder::new(&b) {
                let mut found = vec![false; probe.len()];
                let _ = d.mark_members(&probe, &mut found);
            }
        }
    }
}
