//! Key files: 32 random bytes, mode 0600, never overwritten, never printed.
use anyhow::{bail, Context, Result};
use breachcheck_core::{SecretKey, KEY_LEN};
use rand::TryRngCore;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use zeroize::Zeroizing;

/// Creates a new key file; refuses to overwrite.
pub(crate) fn generate(out: &Path) -> Result<()> {
    let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes[..])
        .context("the operating system's random source failed")?;
    let mut f = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(out)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            bail!("{} already exists; a key is never overwritten (an index made with it would become useless). Choose another path.", out.display())
        }
        Err(e) => return Err(e).with_context(|| format!("cannot create {}", out.display())),
    };
    let written = f.write_all(&bytes[..]).and_then(|()| f.sync_all());
    if let Err(e) = written {
        let _ = std::fs::remove_file(out);
        return Err(e).with_context(|| format!("cannot write {}", out.display()));
    }
    Ok(())
}

/// Reads the 32 bytes of a key file, warning when others can read it.
fn read_bytes(path: &Path) -> Result<Zeroizing<[u8; KEY_LEN]>> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("cannot read key file {}", path.display()))?;
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
