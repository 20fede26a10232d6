//! How a job reports progress without knowing who watches: the CLI draws a bar on a
//! terminal, the server keeps counters that its job page and event stream read.

/// Receives a job's progress. Calls come from the job's reading thread; an implementation
/// must be cheap (it runs once per batch of a few thousand lines).
pub trait Progress: Sync {
    /// A file starts being read: `what` says which (no values), `total_bytes` its size
    /// when its bytes are counted (plain and compressed files; not archives and workbooks).
    fn begin(&self, what: &str, total_bytes: Option<u64>);
    /// `lines` more records were read, `bytes_read` bytes of the file so far.
    fn advance(&self, bytes_read: u64, lines: u64);
    /// The file was read whole.
    fn end(&self);
}

/// Progress nobody watches.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;

impl Progress for Silent {
    fn begin(&self, _: &str, _: Option<u64>) {}
    fn advance(&self, _: u64, _: u64) {}
    fn end(&self) {}
}

/// Progress kept as counters (lines, bytes, total bytes), for a caller that polls: the
/// server's job status.
#[derive(Debug, Default)]
pub struct Counters {
    lines: std::sync::atomic::AtomicU64,
    bytes: std::sync::atomic::AtomicU64,
    total_bytes: std::sync::atomic::AtomicU64,
}

impl Counters {
    /// (lines, bytes read, total bytes) so far; total 0 when unknown.
    pub fn get(&self) -> (u64, u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (
            self.lines.load(Relaxed),
            self.bytes.load(Relaxed),
            self.total_bytes.load(Relaxed),
        )
    }
}

impl Progress for Counters {
    fn begin(&self, _: &str, total_bytes: Option<u64>) {
        self.total_bytes.store(
            total_bytes.unwrap_or(0),
            std::sync::atomic::Ordering::Relaxed,
        );
    }
    fn advance(&self, bytes_read: u64, lines: u64) {
        use std::sync::atomic::Ordering::Relaxed;
        self.bytes.store(bytes_read, Relaxed);
        self.lines.fetch_add(lines, Relaxed);
    }
    fn end(&self) {}
}
