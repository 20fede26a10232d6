//! The record stream: physical lines → records or quarantine entries, with exact counts.
use crate::delimited;
use crate::jsonarray::{Element, ElementReader};
use crate::lines::{Line, LineReader};
use crate::ndjson;
use crate::Format;
use serde::Serialize;
use std::collections::VecDeque;

/// How many physical lines a quoted field may span before the opening line is judged
/// broken.
const MAX_CONTINUATION: usize = 32;

/// One record: its first physical line (1-based) and its cells in column order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawRecord {
    /// 1-based physical line number of the record's first line.
    pub line: u64,
    /// Cells, one per column.
    pub cells: Vec<String>,
}

/// Why a line was quarantined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum QuarantineReason {
    /// The line has a different number of fields than the header.
    WrongFieldCount {
        /// Fields expected.
        expected: usize,
        /// Fields found.
        found: usize,
    },
    /// A quoted field is never closed.
    BrokenQuoting,
    /// Bytes not valid in the input's encoding.
    UndecodableBytes,
    /// Longer than the line-length limit (1 MiB).
    LineTooLong,
    /// Not a JSON object.
    InvalidJson,
}

impl QuarantineReason {
    /// Short stable code, for counting by reason.
    pub fn code(&self) -> &'static str {
        match self {
            QuarantineReason::WrongFieldCount { .. } => "wrong_field_count",
            QuarantineReason::BrokenQuoting => "broken_quoting",
            QuarantineReason::UndecodableBytes => "undecodable_bytes",
            QuarantineReason::LineTooLong => "line_too_long",
            QuarantineReason::InvalidJson => "invalid_json",
        }
    }
}

impl std::fmt::Display for QuarantineReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QuarantineReason::WrongFieldCount { expected, found } => {
                write!(f, "wrong field count (expected {expected}, found {found})")
            }
            QuarantineReason::BrokenQuoting => {
                f.write_str("broken quoting (a quoted field is never closed)")
            }
            QuarantineReason::UndecodableBytes => f.write_str("undecodable bytes"),
            QuarantineReason::LineTooLong => f.write_str("line longer than 1 MiB"),
            QuarantineReason::InvalidJson => f.write_str("not a JSON object"),
        }
    }
}

/// A line that could not be read: where and why, never what.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Quarantined {
    /// 1-based physical line number.
    pub line: u64,
    /// Why.
    #[serde(flatten)]
    pub reason: QuarantineReason,
}

/// What the stream yields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A record was read.
    Record(RawRecord),
    /// A line was quarantined.
    Quarantined(Quarantined),
    /// Reading stopped on an I/O error after this many lines (the rest is unread).
    Failed {
        /// Lines read before the error.
        after_line: u64,
    },
}

/// Exact line accounting:
/// `lines_total = records + quarantined + header_lines + blank_lines + continuation_lines`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LineStats {
    /// Physical lines read.
    pub lines_total: u64,
    /// Records yielded.
    pub records: u64,
    /// Lines quarantined.
    pub quarantined: u64,
    /// Header lines.
    pub header_lines: u64,
    /// Empty or whitespace-only lines.
    pub blank_lines: u64,
    /// Extra physical lines of records whose quoted fields span lines.
    pub continuation_lines: u64,
}

/// Where records come from: physical lines, or the elements of one JSON array.
pub(crate) enum Source {
    Lines(LineReader),
    Json(ElementReader),
}

/// Streams records of one input. Memory is bounded by the longest record.
pub struct Records {
    source: Source,
    /// Lines read ahead while looking for a closing quote, to be processed again.
    pending: VecDeque<(u64, Line)>,
    next_line_no: u64,
    format: Format,
    header_pending: bool,
    width: usize,
    json_keys: Vec<String>,
    stats: LineStats,
    failed: bool,
}

impl Records {
    pub(crate) fn new(
        source: Source,
        format: Format,
        has_header: bool,
        width: usize,
        json_keys: Vec<String>,
    ) -> Self {
        Records {
            source,
            pending: VecDeque::new(),
            next_line_no: 1,
            format,
            header_pending: has_header && matches!(format, Format::Delimited { .. }),
            width,
            json_keys,
            stats: LineStats::default(),
            failed: false,
        }
    }

    /// Counts so far (final once the iterator is exhausted). In a JSON array the unit is
    /// the element, not the physical line (a minified array is one line holding every
    /// record): `lines_total` counts elements, and each record's `line` says where its
    /// element starts.
    pub fn stats(&self) -> LineStats {
        let mut s = self.stats;
        if let Source::Json(_) = &self.source {
            s.lines_total = s.records + s.quarantined;
        }
        s
    }

    fn read(&mut self) -> Option<Result<(u64, Line), u64>> {
        if let Some(p) = self.pending.pop_front() {
            return Some(Ok(p));
        }
        let Source::Lines(lines) = &mut self.source else {
            return None;
        };
        match lines.next_line()? {
            Ok(l) => {
                let n = self.next_line_no;
                self.next_line_no += 1;
                self.stats.lines_total += 1;
                Some(Ok((n, l)))
            }
            Err(_) => Some(Err(self.next_line_no - 1)),
        }
    }

    fn quarantine(&mut self, line: u64, reason: QuarantineReason) -> Event {
        self.stats.quarantined += 1;
        Event::Quarantined(Quarantined { line, reason })
    }

    fn delimited(&mut self, no: u64, text: String, delimiter: u8, quote: u8) -> Event {
        if delimiter == b':' {
            let cells = delimited::split_combo(&text, self.width);
            return self.finish(no, cells, 0);
        }
        if !delimited::ends_in_quote(&text, delimiter, quote) {
            let cells = delimited::split(&text, delimiter, quote);
            return self.finish(no, cells, 0);
        }
        // A quoted field continues on following lines: read ahead until it closes.
        let mut joined = text;
        let mut taken: Vec<(u64, Line)> = Vec::new();
        let mut closed = false;
        while taken.len() < MAX_CONTINUATION {
            match self.read() {
                Some(Ok((n, l))) => {
                    let cont = match &l {
                        Line::Text(t) => Some(t.clone()),
                        _ => None,
                    };
                    taken.push((n, l));
                    let Some(t) = cont else { break };
                    joined.push('\n');
                    joined.push_str(&t);
                    if !delimited::ends_in_quote(&joined, delimiter, quote) {
                        closed = true;
                        break;
                    }
                }
                Some(Err(after)) => {
                    self.failed = true;
                    let _ = after;
                    break;
                }
                None => break,
            }
        }
        if closed {
            let cells = delimited::split(&joined, delimiter, quote);
            if cells.len() == self.width || self.width == 0 {
                return self.finish(no, cells, taken.len() as u64);
            }
        }
        // Not a multi-line record after all: only the opening line is bad; the lines read
        // ahead are processed again on their own.
        for t in taken.into_iter().rev() {
            self.pending.push_front(t);
        }
        self.quarantine(no, QuarantineReason::BrokenQuoting)
    }

    fn finish(&mut self, no: u64, cells: Vec<String>, continuation: u64) -> Event {
        if self.width > 0 && cells.len() != self.width {
            return self.quarantine(
                no,
                QuarantineReason::WrongFieldCount {
                    expected: self.width,
                    found: cells.len(),
                },
            );
        }
        self.stats.records += 1;
        self.stats.continuation_lines += continuation;
        Event::Record(RawRecord { line: no, cells })
    }
}

impl Iterator for Records {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        if let Source::Json(r) = &mut self.source {
            return match r.next_element()? {
                Ok(Element::Text { line, text }) => Some(match ndjson::flatten_line(&text) {
                    Some(pairs) => {
                        let cells = ndjson::align(&pairs, &self.json_keys);
                        self.finish(line, cells, 0)
                    }
                    None => self.quarantine(line, QuarantineReason::InvalidJson),
                }),
                Ok(Element::Unreadable { line, too_long }) => Some(self.quarantine(
                    line,
                    if too_long {
                        QuarantineReason::LineTooLong
                    } else {
                        QuarantineReason::UndecodableBytes
                    },
                )),
                Err(_) => {
                    self.failed = true;
                    Some(Event::Failed {
                        after_line: r.lines(),
                    })
                }
            };
        }
        loop {
            if self.failed {
                return None;
            }
            let (no, line) = match self.read()? {
                Ok(x) => x,
                Err(after_line) => {
                    self.failed = true;
                    return Some(Event::Failed { after_line });
                }
            };
            let text = match line {
                Line::Text(t) => t,
                Line::Undecodable => {
                    return Some(self.quarantine(no, QuarantineReason::UndecodableBytes))
                }
                Line::TooLong => return Some(self.quarantine(no, QuarantineReason::LineTooLong)),
            };
            if text.trim().is_empty() {
                self.stats.blank_lines += 1;
                continue;
            }
            if self.header_pending {
                self.header_pending = false;
                self.stats.header_lines += 1;
                continue;
            }
            return Some(match self.format {
                Format::Delimited { delimiter, quote } => {
                    self.delimited(no, text, delimiter, quote)
                }
                Format::Ndjson | Format::JsonArray => match ndjson::flatten_line(&text) {
                    Some(pairs) => {
                        let cells = ndjson::align(&pairs, &self.json_keys);
                        self.finish(no, cells, 0)
                    }
                    None => self.quarantine(no, QuarantineReason::InvalidJson),
                },
            });
        }
    }
}
