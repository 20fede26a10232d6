//! From a value's full OPRF output to its entry: the lookup tag and the sealing key, both
//! domain-separated hashes of the output and the claim's publication salt.
//!
//! The salt is drawn anew at each publication and published with it, so republishing a
//! claim (same key, same values) gives unrelated tags and keys: two publications cannot be
//! lined up entry by entry to see whose disclosure changed, and a sealing key is never
//! used for two plaintexts. Each key seals exactly one plaintext, so the ChaCha20-Poly1305
//! nonce is fixed at zero (RFC 8439 needs a nonce unique per key, which this is). The tag
//! is the associated data, so a sealed disclosure cannot be moved under another tag.
use crate::disclosure::{Disclosure, PLAIN_LEN};
use crate::{Error, Result, FORMAT, TAG_LEN};
use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{ChaCha20Poly1305, KeyInit};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// Length of a publication salt.
pub(crate) const SALT_LEN: usize = 16;
/// Length of a sealed disclosure: the plaintext and the Poly1305 tag.
pub(crate) const SEALED_LEN: usize = PLAIN_LEN + 16;

fn derive(label: &str, salt: &[u8; SALT_LEN], output: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut h = Sha256::new();
    h.update(FORMAT.as_bytes());
    h.update(b" ");
    h.update(label.as_bytes());
    h.update([0]);
    h.update(salt);
    h.update(output);
    Zeroizing::new(h.finalize().into())
}

/// The lookup tag of a value's OPRF output.
pub(crate) fn tag(salt: &[u8; SALT_LEN], output: &[u8]) -> [u8; TAG_LEN] {
    let d = derive("tag", salt, output);
    let mut t = [0u8; TAG_LEN];
    t.copy_from_slice(&d[..TAG_LEN]);
    t
}

fn cipher(salt: &[u8; SALT_LEN], output: &[u8]) -> ChaCha20Poly1305 {
    let key = derive("seal", salt, output);
    ChaCha20Poly1305::new(&(*key).into())
}

/// Seals a disclosure's plaintext under the key of `output`.
pub(crate) fn seal(
    salt: &[u8; SALT_LEN],
    output: &[u8],
    tag: &[u8; TAG_LEN],
    plain: &[u8; PLAIN_LEN],
) -> Result<[u8; SEALED_LEN]> {
    let mut out = [0u8; SEALED_LEN];
    out[..PLAIN_LEN].copy_from_slice(plain);
    let mac = cipher(salt, output)
        .encrypt_inout_detached(&Default::default(), tag, (&mut out[..PLAIN_LEN]).into())
        .map_err(|_| Error::Crypto("sealing a disclosure failed"))?;
    out[PLAIN_LEN..].copy_from_slice(&mac);
    Ok(out)
}

/// Opens a sealed disclosure; `None` when it does not authenticate under `output`'s key.
pub(crate) fn open(
    salt: &[u8; SALT_LEN],
    output: &[u8],
    tag: &[u8; TAG_LEN],
    sealed: &[u8; SEALED_LEN],
) -> Option<Disclosure> {
    let mut plain = Zeroizing::new([0u8; PLAIN_LEN]);
    plain.copy_from_slice(&sealed[..PLAIN_LEN]);
    let mac = chacha20poly1305::Tag::try_from(&sealed[PLAIN_LEN..]).ok()?;
    cipher(salt, output)
        .decrypt_inout_detached(&Default::default(), tag, (&mut plain[..]).into(), &mac)
        .ok()?;
    Disclosure::decode(&plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_open_only_under_their_output_salt_and_tag() {
        let d = Disclosure {
            lines: 3,
            fields: vec!["email".into(), "name".into()],
            matched_company_records: Some(false),
        };
        let plain = d.encode().expect("test input");
        let (salt, out) = ([1u8; SALT_LEN], [9u8; 64]);
        let t = tag(&salt, &out);
        let s = seal(&salt, &out, &t, &plain).expect("test input");
        assert_eq!(open(&salt, &out, &t, &s), Some(d));
        assert_eq!(open(&[2; SALT_LEN], &out, &t, &s), None);
        assert_eq!(open(&salt, &[8; 64], &t, &s), None);
        assert_eq!(open(&salt, &out, &[0; TAG_LEN], &s), None);
        let mut bad = s;
        bad[0] ^= 1;
        assert_eq!(open(&salt, &out, &t, &bad), None);
        assert_ne!(tag(&[2; SALT_LEN], &out), t);
    }
}
