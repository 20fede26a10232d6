//! Key files: 32 random bytes, mode 0600, never overwritten, never printed.
use anyhow::{bail, Context, Result};
use breachcheck_core::{SecretKey, KEY_LEN};
use rand::TryRngCore;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use zeroize::Zeroizing;

/// Creates a new key file; refuses to overwrite.
pub(crate) fn generate(out: &Path) -> Result<()> {
    let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes[..])
        .context("the operating system's random source failed")?;
    // Written whole under a temporary name (mode 0600 from the start) and linked into
    // place, so a killed run never leaves half a key, and an existing key is never replaced.
    breachcheck_files::write_new(
        out,
        &bytes[..],
        0o600,
        "a key is never overwritten (an index made with it would become useless); choose another path",
    )?;
    Ok(())
}

fn read_bytes(path: &Path) -> Result<Zeroizing<[u8; KEY_LEN]>> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("cannot read key file {}", path.display()))?;
    if !meta.is_file() {
        bail!(
            "{} is not a key file (it is a directory or a device)",
            path.display()
        );
    }
    if meta.permissions().mode() & 0o077 != 0 {
        tracing::warn!(
            "key file {} is readable by other users; chmod 600 it",
            path.display()
        );
    }
    let bytes = Zeroizing::new(
        std::fs::read(path).with_context(|| format!("cannot read key file {}", path.display()))?,
    );
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    if bytes.len() != KEY_LEN {
        anyhow::bail!(
            "{} is not a breachcheck key file (it must hold exactly {KEY_LEN} bytes)",
            path.display()
        );
    }
    out.copy_from_slice(&bytes);
    Ok(out)
}

/// Reads the blind index's secret key.
pub(crate) fn read(path: &Path) -> Result<SecretKey> {
    Ok(SecretKey::from_bytes(*read_bytes(path)?))
}

/// Reads a report-signing key (an ed25519 seed made by `sign-key generate`).
pub(crate) fn read_signing_seed(path: &Path) -> Result<Zeroizing<[u8; KEY_LEN]>> {
    read_bytes(path)
}
