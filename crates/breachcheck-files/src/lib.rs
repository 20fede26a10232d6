//! How breachcheck writes files, in one place: every other crate writes through here.
//!
//! * [`AtomicFile`] / [`write_atomic`]: a file appears whole or not at all — written to a
//!   temporary file beside its destination, fsynced, renamed, and the directory fsynced.
//!   [`write_new`] does the same but never replaces an existing file (keys, canaries).
//! * [`Outputs`]: the files of one command staged together and renamed only when every
//!   one of them was written, so a failure leaves none of them (`verify --json a --md b
//!   --html nodir/c` writes nothing).
//! * [`DirLock`]: one writer per directory (index, transparency log, case folder). The
//!   lock file is linked into place with its holder's identity already in it, so an empty
//!   lock cannot exist, and the holder keeps an `flock` on it, so the kernel says whether
//!   the holder still runs: a lock left by a killed process is taken over, with a message
//!   that names the file, the dead holder and the kind of directory.
//! * Leftovers: temporary files are named `.<name>.<pid>-<random>.bctmp`, so the next
//!   writer can tell them apart and remove those of dead writers ([`temp_files`],
//!   [`sweep_dead_temps`]).
//! * [`csv_field`]: the one CSV escaper.
//!
//! Errors name the operation and the file the user named (never a temporary name), and
//! carry the OS error once, as their source.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let mut out = breachcheck_files::Outputs::new();
//! out.write(&dir.path().join("a.json"), b"{}")?;
//! out.write(&dir.path().join("b.md"), b"# b")?;
//! // Nothing is visible before the commit.
//! assert!(!dir.path().join("a.json").exists());
//! out.commit()?;
//! assert!(dir.path().join("a.json").exists() && dir.path().join("b.md").exists());
//! assert_eq!(breachcheck_files::csv_field("a,b"), "\"a,b\"");
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod atomic;
mod lock;

pub use atomic::{
    sweep_dead_temps, temp_files, write_atomic, write_atomic_in, write_new, AtomicFile, Outputs,
    Placed, Staged,
};
pub use lock::{DirLock, Holder};

use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// What was being done to a file when it failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Op {
    /// Creating it (or its temporary file).
    Create,
    /// Writing or syncing it.
    Write,
    /// Reading it.
    Read,
    /// Renaming it into place.
    Rename,
    /// Removing it.
    Remove,
    /// Locking it.
    Lock,
}

impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Op::Create => "cannot create",
            Op::Write => "cannot write",
            Op::Read => "cannot read",
            Op::Rename => "cannot put in place",
            Op::Remove => "cannot remove",
            Op::Lock => "cannot lock",
        })
    }
}

/// File errors. The display names the operation and the file; the OS error is the source
/// (printed once by an error chain).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file operation failed.
    #[error("{op} {}", path.display())]
    Io {
        /// What was being done.
        op: Op,
        /// The file the caller named (the destination, never a temporary name).
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The destination exists and is never replaced.
    #[error("{} already exists; {why}", path.display())]
    Exists {
        /// The file.
        path: PathBuf,
        /// Why it is not replaced.
        why: &'static str,
    },
    /// Another process holds the directory's lock.
    #[error("the {kind} {} is in use: its lock {} is held by {holder}; wait for it to finish", dir.display(), lock.display())]
    Locked {
        /// What the directory is ("index", "transparency log", "case folder").
        kind: &'static str,
        /// The directory.
        dir: PathBuf,
        /// Its lock file.
        lock: PathBuf,
        /// Who holds it.
        holder: String,
    },
    /// The lock names a process on another machine, which this one cannot check.
    #[error("the {kind} {} is locked by {holder} on another machine ({}); if that process has ended, remove the lock file by hand", dir.display(), lock.display())]
    LockedElsewhere {
        /// What the directory is.
        kind: &'static str,
        /// The directory.
        dir: PathBuf,
        /// Its lock file.
        lock: PathBuf,
        /// Who holds it.
        holder: String,
    },
}

/// Results of this crate.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An I/O error of `op` on `path`, with the OS error stripped of any wrapper that
    /// repeats a (temporary) path, so that it is printed once.
    pub fn io(op: Op, path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            op,
            path: path.to_owned(),
            source: plain(source),
        }
    }
}

/// `e` without wrappers that add a path of their own (`tempfile`'s "… at path …"): the
/// bare OS error when there is one.
pub fn plain(e: std::io::Error) -> std::io::Error {
    if let Some(code) = e.raw_os_error() {
        return std::io::Error::from_raw_os_error(code);
    }
    let inner_code = e
        .get_ref()
        .and_then(|inner| inner.source())
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .and_then(std::io::Error::raw_os_error);
    match inner_code {
        Some(code) => std::io::Error::from_raw_os_error(code),
        None => e,
    }
}

/// One CSV field: quoted (with quotes doubled) when it holds a comma, a quote, a line
/// feed or a carriage return, as RFC 4180 says; as it is otherwise.
pub fn csv_field(s: &str) -> Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(s)
    }
}

/// A CSV line of `cells` (escaped with [`csv_field`]), without the line end.
pub fn csv_line<S: AsRef<str>>(cells: &[S]) -> String {
    let mut line = String::new();
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        line.push_str(&csv_field(c.as_ref()));
    }
    line
}

/// This machine's name (Linux: `/proc/sys/kernel/hostname`), to tell a lock held here from
/// one held on another machine sharing the directory.
pub(crate) fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// Whether process `pid` runs on this machine (Linux: `/proc/<pid>`). Without `/proc` it
/// is assumed to run, so nothing of a live process is ever removed.
pub(crate) fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if !Path::new("/proc/self").exists() {
        return true;
    }
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Drops the cached pages of every file under `dir` from the page cache
/// (`posix_fadvise(DONTNEED)`; written pages must be on disk already, as they are for
/// committed index files), so the next read of them comes from the disk: how a bench
/// measures a verify on a cold cache without root. Returns the bytes advised.
pub fn evict_from_page_cache(dir: &std::path::Path) -> std::io::Result<u64> {
    let mut bytes = 0u64;
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let e = e?;
            let p = e.path();
            if e.file_type()?.is_dir() {
                stack.push(p);
                continue;
            }
            let f = std::fs::File::open(&p)?;
            bytes += f.metadata()?.len();
            rustix::fs::fadvise(&f, 0, None, rustix::fs::Advice::DontNeed)?;
        }
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eviction_walks_the_folder_and_counts_its_bytes() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("segments")).expect("mkdir");
        std::fs::write(dir.path().join("manifest.json"), [1u8; 100]).expect("write");
        std::fs::write(dir.path().join("segments/a.seg"), [2u8; 5000]).expect("write");
        assert_eq!(evict_from_page_cache(dir.path()).expect("evict"), 5100);
        assert!(evict_from_page_cache(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn csv_fields_quote_what_needs_it() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("cr\rhere"), "\"cr\rhere\"");
        assert_eq!(csv_line(&["a", "b,c", ""]), "a,\"b,c\",");
    }

    #[test]
    fn the_os_error_is_printed_once() {
        let d = tempfile::tempdir().expect("tempdir");
        let dest = d.path().join("no-such-dir").join("out.json");
        let e = write_atomic(&dest, b"x").expect_err("no directory");
        let mut chain = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            chain.push_str(&format!(": {s}"));
            src = s.source();
        }
        assert_eq!(chain.matches("os error").count(), 1, "{chain}");
        assert!(chain.contains("out.json"), "{chain}");
        assert!(!chain.contains(".bctmp"), "{chain}");
    }
}
