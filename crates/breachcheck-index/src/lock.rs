//! The directory lock: one writer per index (or per transparency log). A lock left by a
//! killed writer (its process is gone) is taken over, so `kill -9` never wedges a directory.
use crate::{io_err, Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A held directory lock (the directory's `LOCK` file, naming the holder's process).
#[derive(Debug)]
pub struct DirLock {
    path: PathBuf,
}

const LOCK_FILE: &str = "LOCK";

impl DirLock {
    /// Takes the lock of `dir` (its `LOCK` file), or refuses with [`Error::Locked`]; a lock
    /// whose holder is no longer running is taken over. Released when dropped.
    pub fn acquire(dir: &Path) -> Result<Self> {
        let path = dir.join(LOCK_FILE);
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    let _ = writeln!(f, "{}", std::process::id());
                    return Ok(DirLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if holder_alive(&path) {
                        return Err(Error::Locked(path));
                    }
                    tracing::warn!(
                        "taking over a stale index lock left by a build that is no longer running"
                    );
                    std::fs::remove_file(&path).map_err(io_err(&path))?;
                }
                Err(e) => return Err(io_err(&path)(e)),
            }
        }
        Err(Error::Locked(path))
    }
}

/// Whether the process named in the lock file still runs (Linux: /proc). When the holder
/// cannot be determined the lock is respected.
fn holder_alive(path: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else {
        return true;
    };
    let Ok(pid) = text.trim().parse::<u32>() else {
        // A lock being written right now has no pid yet.
        return true;
    };
    if !Path::new("/proc/self").exists() {
        return true;
    }
    pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists()
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
