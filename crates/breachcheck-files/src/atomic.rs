//! Atomic files and all-or-nothing output sets.
use crate::{plain, process_alive, Error, Op, Result};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Suffix of every temporary file breachcheck makes beside a destination.
const TEMP_SUFFIX: &str = ".bctmp";
/// Prefix of temporary files of earlier versions (the `tempfile` crate's default names).
const LEGACY_PREFIX: &str = ".tmp-";
/// Longest part of a destination name kept in its temporary name (names stay below the
/// file system's 255-byte limit).
const NAME_PART: usize = 96;

/// The directory a destination lives in (`.` for a bare file name).
fn parent(dest: &Path) -> &Path {
    match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn name_part(dest: &Path) -> String {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut end = name.len().min(NAME_PART);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].to_owned()
}

/// A random 64-bit value: the per-process random keys of the standard library's hasher,
/// new for each call. Only uniqueness matters (creation is exclusive and retried).
fn random() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

/// Creates a new temporary file beside `dest`, named after it and this process.
pub(crate) fn create_temp(dest: &Path) -> Result<(PathBuf, File)> {
    let dir = parent(dest);
    let stem = name_part(dest);
    let pid = std::process::id();
    for _ in 0..16 {
        let tmp = dir.join(format!(".{stem}.{pid}-{:016x}{TEMP_SUFFIX}", random()));
        match std::fs::OpenOptions::new()
            .write(true)
            .read(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(Op::Create, dest, e)),
        }
    }
    Err(Error::io(
        Op::Create,
        dest,
        std::io::Error::other("no free temporary name"),
    ))
}

/// fsync of a directory, so a rename in it survives a crash.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(Op::Write, dir, e))
}

/// Whether `name` is a temporary file of a breachcheck writer (any version).
fn is_temp_name(name: &str) -> bool {
    (name.starts_with('.') && name.ends_with(TEMP_SUFFIX)) || name.starts_with(LEGACY_PREFIX)
}

/// The writer's process id in a temporary name (`.<name>.<pid>-<random>.bctmp`).
fn temp_pid(name: &str) -> Option<u32> {
    let body = name.strip_suffix(TEMP_SUFFIX)?;
    let (head, _random) = body.rsplit_once('-')?;
    let (_, pid) = head.rsplit_once('.')?;
    pid.parse().ok()
}

/// The temporary files of breachcheck writers in `dir` (not recursing), whoever made them.
/// Under a directory lock every one of them belongs to a writer that was killed.
pub fn temp_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| is_temp_name(&e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

/// Removes the temporary files beside `dest` left by writers of the same destination that
/// no longer run (a `kill -9` mid-write); returns what it removed. Files of live writers,
/// and of writers that cannot be told apart, are left alone.
pub fn sweep_dead_temps(dest: &Path) -> Vec<PathBuf> {
    let prefix = format!(".{}.", name_part(dest));
    let Ok(entries) = std::fs::read_dir(parent(dest)) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with(&prefix) || !name.ends_with(TEMP_SUFFIX) {
            continue;
        }
        let Some(pid) = temp_pid(&name) else { continue };
        if !process_alive(pid) && std::fs::remove_file(e.path()).is_ok() {
            removed.push(e.path());
        }
    }
    if !removed.is_empty() {
        tracing::warn!(
            "removed {} temporary file(s) of {} left by an interrupted run",
            removed.len(),
            dest.display()
        );
    }
    removed
}

/// A file being written: bytes go to a temporary file beside the destination, which is
/// renamed into place by [`AtomicFile::commit`] (or handed to an [`Outputs`] set by
/// [`AtomicFile::stage`]). Dropped unfinished, the temporary file is removed, so a failed
/// command leaves nothing; killed, it leaves a `.bctmp` file that the next writer of the
/// same destination removes.
#[derive(Debug)]
pub struct AtomicFile {
    out: std::io::BufWriter<File>,
    tmp: PathBuf,
    dest: PathBuf,
    /// The temporary file was handed on (renamed or staged).
    handed_on: bool,
}

impl AtomicFile {
    /// Starts writing `dest` (its directory must exist).
    pub fn create(dest: &Path) -> Result<Self> {
        sweep_dead_temps(dest);
        let (tmp, file) = create_temp(dest)?;
        Ok(AtomicFile {
            out: std::io::BufWriter::with_capacity(1 << 20, file),
            tmp,
            dest: dest.to_owned(),
            handed_on: false,
        })
    }

    /// Like [`AtomicFile::create`], with the temporary file's permissions set to `mode`
    /// before anything is written (keys: 0600).
    pub fn create_with_mode(dest: &Path, mode: u32) -> Result<Self> {
        use std::os::unix::fs::PermissionsExt;
        let f = Self::create(dest)?;
        std::fs::set_permissions(&f.tmp, std::fs::Permissions::from_mode(mode))
            .map_err(|e| Error::io(Op::Create, dest, e))?;
        Ok(f)
    }

    /// The destination.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Wraps an error of a write to this file with the destination's name.
    pub fn write_error(&self, e: std::io::Error) -> Error {
        Error::io(Op::Write, &self.dest, e)
    }

    /// Writes all of `bytes` (errors name the destination).
    pub fn write_bytes(&mut self, bytes: &[u8]) -> Result<()> {
        self.out
            .write_all(bytes)
            .map_err(|e| Error::io(Op::Write, &self.dest, e))
    }

    /// Flushes and fsyncs the temporary file and hands it over, not yet in place.
    pub fn stage(mut self) -> Result<Staged> {
        let dest = self.dest.clone();
        self.out
            .flush()
            .and_then(|()| self.out.get_ref().sync_all())
            .map_err(|e| Error::io(Op::Write, &dest, e))?;
        self.handed_on = true;
        Ok(Staged {
            tmp: std::mem::take(&mut self.tmp),
            dest: std::mem::take(&mut self.dest),
            done: false,
        })
    }

    /// Writes the file out and renames it into place (then fsyncs the directory).
    pub fn commit(self) -> Result<()> {
        self.stage()?.commit()
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.out.write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.handed_on {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// A written and synced temporary file waiting to be renamed into place; removed if
/// dropped before [`Staged::commit`].
#[derive(Debug)]
pub struct Staged {
    tmp: PathBuf,
    dest: PathBuf,
    done: bool,
}

impl Staged {
    /// The destination.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// The temporary file holding the content (to read it back before the commit).
    pub fn temp_path(&self) -> &Path {
        &self.tmp
    }

    fn rename(&mut self) -> Result<()> {
        std::fs::rename(&self.tmp, &self.dest).map_err(|e| Error::io(Op::Rename, &self.dest, e))?;
        self.done = true;
        Ok(())
    }

    /// Renames the file into place and fsyncs its directory.
    pub fn commit(mut self) -> Result<()> {
        self.rename()?;
        sync_dir(parent(&self.dest))
    }

    /// Puts the file in place only if its destination does not exist (hard link, which
    /// fails if it does; then the temporary name is removed), and fsyncs the directory: a
    /// file that is never replaced (a key, a canary list) appears whole or not at all.
    pub fn commit_new(self, why_not_replaced: &'static str) -> Result<()> {
        match std::fs::hard_link(&self.tmp, &self.dest) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(Error::Exists {
                    path: self.dest.clone(),
                    why: why_not_replaced,
                })
            }
            Err(e) => return Err(Error::io(Op::Create, &self.dest, plain(e))),
        }
        let dir = parent(&self.dest).to_owned();
        drop(self); // removes the temporary name; the destination keeps the content
        sync_dir(&dir)
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// The output files of one command, all or nothing: each is written to a temporary file
/// and staged; [`Outputs::commit`] renames them all once every one was written. Dropped
/// without a commit (an error on the way), every temporary file is removed and no
/// destination is touched.
#[derive(Debug, Default)]
pub struct Outputs {
    staged: Vec<Staged>,
}

impl Outputs {
    /// An empty set.
    pub fn new() -> Self {
        Outputs::default()
    }

    /// Stages `bytes` as the content of `dest`.
    pub fn write(&mut self, dest: &Path, bytes: &[u8]) -> Result<()> {
        let mut f = AtomicFile::create(dest)?;
        f.write_bytes(bytes)?;
        self.staged.push(f.stage()?);
        Ok(())
    }

    /// Adds a file written separately.
    pub fn add(&mut self, staged: Staged) {
        self.staged.push(staged);
    }

    /// Whether `dest` is already staged.
    pub fn contains(&self, dest: &Path) -> bool {
        self.staged.iter().any(|s| s.dest == dest)
    }

    /// The staged file for `dest`, if any (to read its content before the commit).
    pub fn get(&self, dest: &Path) -> Option<&Staged> {
        self.staged.iter().find(|s| s.dest == dest)
    }

    /// Renames every staged file into place, then fsyncs their directories. If a rename
    /// fails, the files already renamed by this commit are removed again (when they did
    /// not exist before), so the failure leaves no new output. The [`Placed`] it returns
    /// can take the new files away again, when a step after the commit fails.
    pub fn commit(self) -> Result<Placed> {
        let staged = self.staged;
        let mut placed: Vec<(PathBuf, bool)> = Vec::new();
        let mut dirs: Vec<PathBuf> = Vec::new();
        for mut s in staged {
            let existed = s.dest.exists();
            if let Err(e) = s.rename() {
                for (p, existed) in &placed {
                    if !existed {
                        let _ = std::fs::remove_file(p);
                    }
                }
                return Err(e);
            }
            let dir = parent(&s.dest).to_owned();
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
            placed.push((s.dest.clone(), existed));
        }
        for d in dirs {
            sync_dir(&d)?;
        }
        Ok(Placed { files: placed })
    }
}

/// The files an [`Outputs::commit`] put in place, and whether each replaced an older one.
#[derive(Debug)]
pub struct Placed {
    files: Vec<(PathBuf, bool)>,
}

impl Placed {
    /// Removes the files that did not exist before the commit (a step after the commit
    /// failed, so the command leaves no new output; a replaced file keeps its new content).
    pub fn undo(self) {
        for (p, existed) in &self.files {
            if !existed {
                let _ = std::fs::remove_file(p);
            }
        }
    }

    /// The files put in place.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(|(p, _)| p.as_path())
    }
}

/// Writes `bytes` to `dest` atomically: readers see the old content or the new, never a
/// mix, and a crash leaves the old.
pub fn write_atomic(dest: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = AtomicFile::create(dest)?;
    f.write_bytes(bytes)?;
    f.commit()
}

/// [`write_atomic`] of `dir/name`.
pub fn write_atomic_in(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    write_atomic(&dir.join(name), bytes)
}

/// Writes `bytes` to `dest`, which must not exist, with permissions `mode`: the content is
/// written and synced under a temporary name, then hard-linked to `dest` (which fails if
/// `dest` appeared meanwhile), so `dest` never exists half-written and is never replaced.
pub fn write_new(
    dest: &Path,
    bytes: &[u8],
    mode: u32,
    why_not_replaced: &'static str,
) -> Result<()> {
    if dest.exists() {
        return Err(Error::Exists {
            path: dest.to_owned(),
            why: why_not_replaced,
        });
    }
    let mut f = AtomicFile::create_with_mode(dest, mode)?;
    f.write_bytes(bytes)?;
    f.stage()?.commit_new(why_not_replaced)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_are_all_or_nothing() {
        let d = tempfile::tempdir().expect("tempdir");
        let a = d.path().join("a.json");
        let mut out = Outputs::new();
        out.write(&a, b"a").expect("a");
        let missing = d.path().join("nodir").join("c.html");
        assert!(out.write(&missing, b"c").is_err());
        drop(out);
        assert!(!a.exists());
        assert!(temp_files(d.path()).is_empty(), "temporary files left");
    }

    #[test]
    fn a_dead_writers_temporary_file_is_removed_by_the_next_writer() {
        let d = tempfile::tempdir().expect("tempdir");
        let dest = d.path().join("r.json");
        // A pid beyond the kernel's maximum never runs.
        let dead = d.path().join(".r.json.4294967295-00000000000000ab.bctmp");
        std::fs::write(&dead, b"half").expect("write");
        let live = d.path().join(format!(
            ".r.json.{}-00000000000000cd.bctmp",
            std::process::id()
        ));
        std::fs::write(&live, b"mine").expect("write");
        write_atomic(&dest, b"whole").expect("write");
        assert!(!dead.exists());
        assert!(live.exists(), "a live writer's file is kept");
        assert_eq!(std::fs::read(&dest).expect("read"), b"whole");
    }

    #[test]
    fn new_files_are_never_replaced() {
        let d = tempfile::tempdir().expect("tempdir");
        let k = d.path().join("k");
        write_new(&k, b"one", 0o600, "keys are never replaced").expect("new");
        let e = write_new(&k, b"two", 0o600, "keys are never replaced").expect_err("exists");
        assert!(matches!(e, Error::Exists { .. }));
        assert_eq!(std::fs::read(&k).expect("read"), b"one");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&k).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(temp_files(d.path()).is_empty());
    }

    #[test]
    fn temp_names_parse() {
        assert_eq!(temp_pid(".a.b.json.1234-00ff.bctmp"), Some(1234));
        assert!(is_temp_name(".tmp-URWYpl"));
        assert!(is_temp_name(".x.1-2.bctmp"));
        assert!(!is_temp_name("x.json"));
    }
}
