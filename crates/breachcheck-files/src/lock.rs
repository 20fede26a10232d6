//! Directory locks that recover by themselves.
//!
//! The lock is the directory's `LOCK` file. A writer makes it in two steps that leave no
//! window: it writes its identity (process, machine, time, kind of directory) to a
//! temporary file and takes an `flock` on that file, then hard-links it to `LOCK`, which
//! fails if a lock exists. So a `LOCK` always holds a whole identity, and the holder's
//! `flock` lives exactly as long as its process: the kernel drops it when the process
//! dies, however it dies.
//!
//! A second writer that finds `LOCK` tries the same `flock`. If it is refused, the holder
//! runs: the writer is refused with the holder's identity. If it is granted, the holder is
//! gone, and the writer — still holding that `flock`, so no third writer can do the same —
//! renames its own, already locked, identity file over `LOCK` and says whose lock it took
//! over. A lock naming a process on another machine is never taken over: `flock` over a
//! network file system is not trusted to tell.
use crate::{host_name, Error, Op, Result};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

const LOCK_FILE: &str = "LOCK";

/// Who holds a lock: what its `LOCK` file says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// Process id.
    pub pid: u32,
    /// Machine name.
    pub host: String,
    /// When the lock was taken (seconds since 1970, UTC).
    pub since: u64,
    /// What the directory is.
    pub kind: String,
}

impl Holder {
    fn me(kind: &str) -> Self {
        Holder {
            pid: std::process::id(),
            host: host_name(),
            since: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            kind: kind.to_owned(),
        }
    }

    fn describe(holder: Option<&Holder>) -> String {
        match holder {
            Some(h) => {
                let ago = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs())
                    .saturating_sub(h.since);
                format!(
                    "process {} on {} (locked {})",
                    h.pid,
                    h.host,
                    if ago < 120 {
                        format!("{ago} s ago")
                    } else if ago < 7200 {
                        format!("{} min ago", ago / 60)
                    } else {
                        format!("{} h ago", ago / 3600)
                    }
                )
            }
            None => "an unknown process (the lock file is empty or unreadable)".into(),
        }
    }
}

/// A held directory lock; released (the `LOCK` file removed) when dropped.
#[derive(Debug)]
pub struct DirLock {
    path: PathBuf,
    /// The locked file: the `flock` lasts while this is open.
    file: File,
}

fn flock_nb(f: &File) -> std::io::Result<bool> {
    match rustix::fs::flock(f, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => Ok(false),
        Err(e) => Err(std::io::Error::from(e)),
    }
}

/// Whether the open file `f` is the file `path` names now.
fn same_file(f: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (f.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

fn read_holder(f: &mut File) -> Option<Holder> {
    let mut text = String::new();
    f.read_to_string(&mut text).ok()?;
    serde_json::from_str(text.trim()).ok()
}

impl DirLock {
    /// Takes the lock of `dir` — a directory of kind `kind` ("index", "transparency log",
    /// "case folder"), named in messages — or refuses with [`Error::Locked`]. A lock whose
    /// holder no longer runs is taken over, with a warning naming it.
    pub fn acquire(dir: &Path, kind: &'static str) -> Result<Self> {
        let lock = dir.join(LOCK_FILE);
        let me = Holder::me(kind);
        let mut identity = serde_json::to_vec(&me).unwrap_or_default();
        identity.push(b'\n');
        for _ in 0..8 {
            let (tmp, mut file) = crate::atomic::create_temp(&lock)?;
            let prepared = file
                .write_all(&identity)
                .and_then(|()| flock_nb(&file))
                .map_err(|e| Error::io(Op::Lock, &lock, e));
            let cleanup = |tmp: &Path| {
                let _ = std::fs::remove_file(tmp);
            };
            match prepared {
                Ok(true) => {}
                Ok(false) => {
                    cleanup(&tmp);
                    return Err(Error::io(
                        Op::Lock,
                        &lock,
                        std::io::Error::other("a fresh lock file is locked by someone else"),
                    ));
                }
                Err(e) => {
                    cleanup(&tmp);
                    return Err(e);
                }
            }
            match std::fs::hard_link(&tmp, &lock) {
                Ok(()) => {
                    cleanup(&tmp);
                    return Ok(DirLock { path: lock, file });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    cleanup(&tmp);
                    return Err(Error::io(Op::Lock, &lock, e));
                }
            }
            // A lock exists: is its holder alive?
            let mut existing = match File::open(&lock) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    cleanup(&tmp);
                    continue; // released meanwhile
                }
                Err(e) => {
                    cleanup(&tmp);
                    return Err(Error::io(Op::Lock, &lock, e));
                }
            };
            let free = match flock_nb(&existing) {
                Ok(free) => free,
                Err(e) => {
                    cleanup(&tmp);
                    return Err(Error::io(Op::Lock, &lock, e));
                }
            };
            if !same_file(&existing, &lock) {
                // It changed hands while we looked: look again.
                cleanup(&tmp);
                continue;
            }
            let holder = read_holder(&mut existing);
            if !free {
                cleanup(&tmp);
                return Err(Error::Locked {
                    kind,
                    dir: dir.to_owned(),
                    lock,
                    holder: Holder::describe(holder.as_ref()),
                });
            }
            if let Some(h) = holder.as_ref().filter(|h| h.host != me.host) {
                cleanup(&tmp);
                return Err(Error::LockedElsewhere {
                    kind,
                    dir: dir.to_owned(),
                    lock,
                    holder: format!("process {} on {}", h.pid, h.host),
                });
            }
            // The holder is gone, and we hold its lock file's flock: no one else can be
            // taking it over. Put our (already locked) identity in its place.
            if let Err(e) = std::fs::rename(&tmp, &lock) {
                cleanup(&tmp);
                return Err(Error::io(Op::Lock, &lock, e));
            }
            tracing::warn!(
                "took over the lock {} of the {kind} {}: its holder, {}, is no longer running",
                lock.display(),
                dir.display(),
                Holder::describe(holder.as_ref())
            );
            return Ok(DirLock { path: lock, file });
        }
        Err(Error::Locked {
            kind,
            dir: dir.to_owned(),
            lock,
            holder: "a series of processes that keep taking it".into(),
        })
    }

    /// Whether a running process holds `dir`'s lock now (checked by trying its `flock`,
    /// released at once).
    pub fn is_held(dir: &Path) -> bool {
        match File::open(dir.join(LOCK_FILE)) {
            Ok(f) => !flock_nb(&f).unwrap_or(false),
            Err(_) => false,
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        // Only while it is still ours (it is: a takeover needs our flock, held until the
        // file closes after this).
        if same_file(&self.file, &self.path) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_refused_released_and_never_empty() {
        let d = tempfile::tempdir().expect("tempdir");
        let l = DirLock::acquire(d.path(), "index").expect("lock");
        let text = std::fs::read_to_string(d.path().join("LOCK")).expect("lock file");
        let h: Holder = serde_json::from_str(text.trim()).expect("identity");
        assert_eq!((h.pid, h.kind.as_str()), (std::process::id(), "index"));
        // A second lock in this process: its flock is a separate open file, so refused.
        let e = DirLock::acquire(d.path(), "index").expect_err("held");
        assert!(matches!(e, Error::Locked { .. }), "{e}");
        assert!(e.to_string().contains("index"), "{e}");
        drop(l);
        assert!(!d.path().join("LOCK").exists());
        assert!(crate::temp_files(d.path()).is_empty());
    }

    #[test]
    fn stale_garbled_and_unrelated_locks_are_taken_over() {
        let d = tempfile::tempdir().expect("tempdir");
        for content in [
            String::new(),
            "garbage\u{0}".into(),
            // A live process (this one) named without its flock: not the holder.
            format!("{}\n", std::process::id()),
            serde_json::to_string(&Holder::me("transparency log")).expect("json"),
        ] {
            std::fs::write(d.path().join("LOCK"), &content).expect("write");
            let l = DirLock::acquire(d.path(), "transparency log").expect("taken over");
            drop(l);
            assert!(!d.path().join("LOCK").exists());
        }
    }

    /// Many writers racing for a stale lock: each one gets the lock or is told who holds
    /// it, never an I/O error, and no lock is left behind.
    #[test]
    fn a_race_for_a_stale_lock_has_one_winner_at_a_time_and_no_errors() {
        let d = tempfile::tempdir().expect("tempdir");
        for _ in 0..20 {
            std::fs::write(d.path().join("LOCK"), "stale\n").expect("write");
            let held = std::sync::atomic::AtomicUsize::new(0);
            std::thread::scope(|s| {
                for _ in 0..8 {
                    s.spawn(|| match DirLock::acquire(d.path(), "index") {
                        Ok(l) => {
                            let now = held.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            assert_eq!(now, 0, "two holders at once");
                            std::thread::sleep(std::time::Duration::from_millis(2));
                            held.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                            drop(l);
                        }
                        Err(Error::Locked { .. }) => {}
                        Err(e) => panic!("{e}"),
                    });
                }
            });
            assert!(!d.path().join("LOCK").exists());
            assert!(crate::temp_files(d.path()).is_empty());
        }
    }

    #[test]
    fn a_lock_of_another_machine_is_not_taken_over() {
        let d = tempfile::tempdir().expect("tempdir");
        let other = Holder {
            host: "some-other-machine.invalid".into(),
            ..Holder::me("index")
        };
        std::fs::write(
            d.path().join("LOCK"),
            serde_json::to_string(&other).expect("json"),
        )
        .expect("write");
        let e = DirLock::acquire(d.path(), "index").expect_err("elsewhere");
        assert!(matches!(e, Error::LockedElsewhere { .. }), "{e}");
        assert!(e.to_string().contains("some-other-machine"), "{e}");
    }
}
