//! Progress display: a live counter with rate on a terminal, nothing in pipes.
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// A line counter labelled `what`; hidden unless `enabled` and stderr is a terminal.
pub(crate) fn lines(enabled: bool, what: &str) -> ProgressBar {
    if !enabled || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg} {human_pos} lines [{elapsed_precise}] {per_sec}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(what.to_owned());
    pb.enable_steady_tick(std::time::Duration::from_millis(200));
    pb
}

/// A byte-based bar with rate and ETA for reading a file of `total` bytes; hidden unless
/// `enabled` and stderr is a terminal.
pub(crate) fn bytes(enabled: bool, what: &str, total: u64) -> ProgressBar {
    if !enabled || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    pb.set_message(what.to_owned());
    pb.enable_steady_tick(std::time::Duration::from_millis(200));
    pb
}

/// The library's progress drawn as a bar on a terminal (bytes with ETA when the file's
/// size is known, a line counter otherwise), nothing in pipes or when disabled.
pub(crate) struct Bar {
    enabled: bool,
    bar: std::sync::Mutex<Option<ProgressBar>>,
}

impl Bar {
    pub(crate) fn new(enabled: bool) -> Self {
        Bar {
            enabled,
            bar: std::sync::Mutex::new(None),
        }
    }

    fn with(&self, f: impl FnOnce(&mut Option<ProgressBar>)) {
        f(&mut self
            .bar
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

impl breachcheck_pipeline::Progress for Bar {
    fn begin(&self, what: &str, total_bytes: Option<u64>) {
        let pb = match total_bytes {
            Some(total) => bytes(self.enabled, what, total),
            None => lines(self.enabled, what),
        };
        self.with(|b| *b = Some(pb));
    }

    fn advance(&self, bytes_read: u64, lines: u64) {
        self.with(|b| {
            if let Some(pb) = b.as_ref() {
                if pb.length().is_some() {
                    pb.set_position(bytes_read);
                } else {
                    pb.inc(lines);
                }
            }
        });
    }

    fn end(&self) {
        self.with(|b| {
            if let Some(pb) = b.take() {
                pb.finish_and_clear();
            }
        });
    }
}
