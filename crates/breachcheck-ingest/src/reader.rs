//! The record stream: physical lines → records or quarantine entries, with exact counts.
use crate::delimited;
use crate::jsonarray::{Element, ElementReader};
use crate::lines::{Line, LineReader};
use crate::ndjson;
use crate::Format;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;

/// How many physical lines a quoted field may span before the opening line is judged
/// broken.
const MAX_CONTINUATION: usize = 32;

/// One record: its part, its first physical line (1-based) and its cells in column order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawRecord {
    /// Index of the part (see [`Event::Part`]) the record belongs to.
    pub part: u32,
    /// 1-based physical line number of the record's first line.
    pub line: u64,
    /// Cells, one per column.
    pub cells: Vec<String>,
}

/// Why a line was quarantined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Text outside the columns of a fixed-width layout.
    OutsideColumns,
    /// A line inside a key-value block that is not `key: value`.
    NotKeyValue,
    /// A line of an SQL dump, between or after statements, that is no statement and no
    /// tuple (pasted text, binary junk, a stray fragment). Code `not_sql`; a tuple that
    /// starts but cannot be read stays `broken_quoting`.
    NotSql,
}

impl QuarantineReason {
    /// Short stable code, for counting by reason: part of the report contract
    /// (`quarantine[].reason`, `quarantine_by_reason`), so a code is never renamed.
    pub fn code(&self) -> &'static str {
        match self {
            QuarantineReason::WrongFieldCount { .. } => "wrong_field_count",
            QuarantineReason::BrokenQuoting => "broken_quoting",
            QuarantineReason::UndecodableBytes => "undecodable_bytes",
            QuarantineReason::LineTooLong => "line_too_long",
            QuarantineReason::InvalidJson => "invalid_json",
            QuarantineReason::OutsideColumns => "outside_columns",
            QuarantineReason::NotKeyValue => "not_key_value",
            QuarantineReason::NotSql => "not_sql",
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
            QuarantineReason::OutsideColumns => f.write_str("text outside the fixed-width columns"),
            QuarantineReason::NotKeyValue => f.write_str("not a key: value line inside a block"),
            QuarantineReason::NotSql => f.write_str("not an SQL statement or tuple"),
        }
    }
}

/// A line that could not be read: where and why, never what.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quarantined {
    /// Index of the part.
    pub part: u32,
    /// 1-based physical line number.
    pub line: u64,
    /// Why.
    #[serde(flatten)]
    pub reason: QuarantineReason,
}

/// A part of an input: the file itself, a member of an archive, or a table of an SQL dump.
/// Announced before its records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Part {
    /// Index, counting from 0 in the order parts are read.
    pub index: u32,
    /// Name: the file name, `archive.zip:member.csv`, or `dump.sql:table`.
    pub name: String,
    /// How it is read.
    pub layout: crate::Layout,
}

/// What the stream yields.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A new part starts; its records follow.
    Part(Part),
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
    /// Records with at least one cell repaired from mojibake (UTF-8 read as Windows-1252
    /// somewhere upstream); a subset of `records`.
    pub mojibake_repaired: u64,
}

/// Where records come from: physical lines, or the elements of one JSON array.
pub(crate) enum Source {
    Lines(LineReader),
    Json(ElementReader),
}

/// Streams the records of one text part. Memory is bounded by the longest record.
pub(crate) struct TextRecords {
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
    /// Whether to keep the raw text of quarantined lines (only when a user asks).
    capture: bool,
    /// Raw bytes of the line being processed.
    current_raw: Option<Vec<u8>>,
    /// Raw bytes of the last quarantined line.
    quarantined_raw: Option<Vec<u8>>,
    splitter: Option<delimited::Splitter>,
    /// Column spans of fixed-width text.
    spans: Vec<(usize, usize)>,
    /// Events already made (a key-value block yields its quarantined lines and its record).
    out: VecDeque<Event>,
}

impl TextRecords {
    pub(crate) fn new(
        source: Source,
        format: Format,
        has_header: bool,
        width: usize,
        json_keys: Vec<String>,
    ) -> Self {
        TextRecords {
            source,
            pending: VecDeque::new(),
            next_line_no: 1,
            format,
            header_pending: has_header
                && matches!(format, Format::Delimited { .. } | Format::FixedWidth),
            width,
            json_keys,
            stats: LineStats::default(),
            failed: false,
            capture: false,
            current_raw: None,
            quarantined_raw: None,
            splitter: None,
            spans: Vec::new(),
            out: VecDeque::new(),
        }
    }

    /// Reads one key-value block starting with `first` (line `no`), queueing its events.
    fn key_value_block(&mut self, no: u64, first: String) {
        let mut pairs: Vec<(String, String)> = Vec::new();
        let mut record_line: Option<u64> = None;
        let mut kv_lines = 0u64;
        let mut handle =
            |this: &mut Self, n: u64, text: &str, pairs: &mut Vec<(String, String)>| {
                match crate::keyvalue::pair(text) {
                    Some((k, v)) => {
                        record_line.get_or_insert(n);
                        kv_lines += 1;
                        if !pairs.iter().any(|(pk, _)| pk == k) {
                            pairs.push((k.to_owned(), v.to_owned()));
                        }
                    }
                    None => {
                        if this.capture {
                            this.current_raw = Some(text.as_bytes().to_vec());
                        }
                        let ev = this.quarantine(n, QuarantineReason::NotKeyValue);
                        this.out.push_back(ev);
                    }
                }
            };
        handle(self, no, &first, &mut pairs);
        loop {
            match self.read() {
                Some(Ok((n, Line::Text(t)))) => {
                    if t.trim().is_empty() {
                        self.stats.blank_lines += 1;
                        break;
                    }
                    handle(self, n, &t, &mut pairs);
                }
                Some(Ok((n, _))) => {
                    let ev = self.quarantine(n, QuarantineReason::UndecodableBytes);
                    self.out.push_back(ev);
                }
                Some(Err(after_line)) => {
                    self.failed = true;
                    self.out.push_back(Event::Failed { after_line });
                    break;
                }
                None => break,
            }
        }
        if let Some(line) = record_line {
            let cells = ndjson::align(&pairs, &self.json_keys);
            let ev = self.finish(line, cells, kv_lines.saturating_sub(1));
            self.out.push_back(ev);
        }
    }

    fn splitter(&mut self, delimiter: u8, quote: u8) -> &mut delimited::Splitter {
        self.splitter
            .get_or_insert_with(|| delimited::Splitter::new(delimiter, quote))
    }

    /// Counts so far. In a JSON array the unit is
    /// the element, not the physical line (a minified array is one line holding every
    /// record): `lines_total` counts elements, and each record's `line` says where its
    /// element starts.
    pub(crate) fn stats(&self) -> LineStats {
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
        if self.capture {
            self.quarantined_raw = self.current_raw.take();
        }
        Event::Quarantined(Quarantined {
            part: 0,
            line,
            reason,
        })
    }

    fn delimited(&mut self, no: u64, text: String, delimiter: u8, quote: u8) -> Event {
        if delimiter == b':' {
            let cells = delimited::split_combo(&text, self.width);
            return self.finish(no, cells, 0);
        }
        if !delimited::ends_in_quote(&text, delimiter, quote) {
            let cells = self.splitter(delimiter, quote).split(&text);
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
            let cells = self.splitter(delimiter, quote).split(&joined);
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

    fn finish(&mut self, no: u64, mut cells: Vec<String>, continuation: u64) -> Event {
        if self.width > 0 && self.format != Format::Ndjson && self.format != Format::JsonArray {
            // Ragged rows as exporters write them: a trailing delimiter on every line adds
            // empty fields; trailing empty fields left out shorten a row. Neither moves a
            // value, so such rows are kept; a row missing more than half its fields, or
            // with extra non-empty fields, is not.
            while cells.len() > self.width && cells.last().is_some_and(|c| c.trim().is_empty()) {
                cells.pop();
            }
            // A combolist line without its separator is not a credential pair but the
            // banners and notes such lists carry: quarantined, not padded.
            let combolist = matches!(
                self.format,
                Format::Delimited {
                    delimiter: b':',
                    ..
                }
            );
            if cells.len() < self.width && cells.len() * 2 >= self.width && !combolist {
                cells.resize(self.width, String::new());
            }
        }
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
        Event::Record(RawRecord {
            part: 0,
            line: no,
            cells,
        })
    }
}

impl Iterator for TextRecords {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        if let Some(ev) = self.out.pop_front() {
            return Some(ev);
        }
        if let Source::Json(r) = &mut self.source {
            return match r.next_element()? {
                Ok(Element::Text { line, text }) => Some({
                    if self.capture {
                        self.current_raw = Some(text.as_bytes().to_vec());
                    }
                    match ndjson::flatten_line(&text) {
                        Some(pairs) => {
                            let cells = ndjson::align(&pairs, &self.json_keys);
                            self.finish(line, cells, 0)
                        }
                        None => self.quarantine(line, QuarantineReason::InvalidJson),
                    }
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
            let fresh = self.pending.is_empty();
            let (no, line) = match self.read()? {
                Ok(x) => x,
                Err(after_line) => {
                    self.failed = true;
                    return Some(Event::Failed { after_line });
                }
            };
            if self.capture {
                self.current_raw = match (&line, &self.source) {
                    (Line::Text(t), _) => Some(t.as_bytes().to_vec()),
                    (Line::Undecodable, Source::Lines(r)) if fresh => Some(r.last_bytes().to_vec()),
                    _ => None,
                };
            }
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
                Format::KeyValue => {
                    self.key_value_block(no, text);
                    match self.out.pop_front() {
                        Some(ev) => ev,
                        None => continue,
                    }
                }
                Format::FixedWidth => match crate::fixedwidth::split(&text, &self.spans) {
                    Some(cells) => self.finish(no, cells, 0),
                    None => self.quarantine(no, QuarantineReason::OutsideColumns),
                },
                Format::Ndjson
                | Format::JsonArray
                | Format::Sql
                | Format::Sheet
                | Format::Parquet => match ndjson::flatten_line(&text) {
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

impl LineStats {
    fn add(&mut self, o: &LineStats) {
        self.lines_total += o.lines_total;
        self.records += o.records;
        self.quarantined += o.quarantined;
        self.header_lines += o.header_lines;
        self.blank_lines += o.blank_lines;
        self.continuation_lines += o.continuation_lines;
        self.mojibake_repaired += o.mojibake_repaired;
    }
}

/// SQL tuples of a table seen for the first time are held until this many have arrived (or
/// another table starts, or the dump ends), so the table's column roles can be inferred
/// from its values before its records are handed on.
const SQL_SNIFF_TUPLES: usize = 500;

struct SqlPending {
    table: Arc<str>,
    columns: Arc<Vec<String>>,
    rows: Vec<(u64, Vec<String>)>,
}

struct SqlState {
    reader: crate::sql::SqlReader,
    unit_name: String,
    container: crate::Container,
    encoding: &'static encoding_rs::Encoding,
    encoding_confidence: f32,
    /// Table → (part index, width).
    parts: HashMap<Arc<str>, (u32, usize)>,
    pending: Option<SqlPending>,
    stats: LineStats,
}

/// A sheet being read.
struct SheetState {
    part: u32,
    rows: crate::spreadsheet::Rows,
    header_pending: bool,
    width: usize,
    stats: LineStats,
}

enum Current {
    Text { part: u32, inner: Box<TextRecords> },
    Sheet(Box<SheetState>),
    Sql(Box<SqlState>),
}

/// Streams every part of an input, one after another: a [`Event::Part`] announces each
/// part's layout, then its records and quarantine entries follow. Memory is bounded by
/// the longest record (plus, for an SQL table's first tuples, a few hundred records).
pub struct Records {
    path: PathBuf,
    units: VecDeque<crate::Unit>,
    map: Vec<(String, crate::FieldRole)>,
    current: Option<Current>,
    queue: VecDeque<Event>,
    next_part: u32,
    done: LineStats,
    failed: bool,
    capture: bool,
    bytes_read: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Records {
    pub(crate) fn new(
        path: PathBuf,
        units: Vec<crate::Unit>,
        map: Vec<(String, crate::FieldRole)>,
    ) -> Self {
        Records {
            path,
            units: units.into(),
            map,
            current: None,
            queue: VecDeque::new(),
            next_part: 0,
            done: LineStats::default(),
            failed: false,
            capture: false,
            bytes_read: Default::default(),
        }
    }

    /// Bytes of the input file read so far (before decompression; archive members and
    /// spreadsheet sheets are not counted), for progress against the file's size.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Counts over every part so far (final once the iterator is exhausted):
    /// `lines_total = records + quarantined + header_lines + blank_lines + continuation_lines`.
    pub fn stats(&self) -> LineStats {
        let mut s = self.done;
        match &self.current {
            Some(Current::Text { inner, .. }) => s.add(&inner.stats()),
            Some(Current::Sql(st)) => s.add(&st.stats),
            Some(Current::Sheet(st)) => s.add(&st.stats),
            None => {}
        }
        s
    }

    /// Keep the raw text of quarantined lines, for [`Records::take_quarantined_raw`]. Only
    /// for a user who asked to see them (`--quarantine-out`): it is the one path by which
    /// input values leave the pipeline.
    pub fn dangerous_keep_quarantined_raw(&mut self) {
        self.capture = true;
    }

    /// The raw bytes of the line behind the last [`Event::Quarantined`], when kept and
    /// available (lines of delimited and JSON text; not SQL tuples).
    pub fn take_quarantined_raw(&mut self) -> Option<Vec<u8>> {
        match &mut self.current {
            Some(Current::Text { inner, .. }) => inner.quarantined_raw.take(),
            _ => None,
        }
    }

    fn finish_current(&mut self) {
        match self.current.take() {
            Some(Current::Text { inner, .. }) => self.done.add(&inner.stats()),
            Some(Current::Sql(st)) => self.done.add(&st.stats),
            Some(Current::Sheet(st)) => self.done.add(&st.stats),
            None => {}
        }
    }

    /// Opens the next unit; `false` when none is left.
    fn open_next(&mut self) -> bool {
        self.finish_current();
        let Some(unit) = self.units.pop_front() else {
            return false;
        };
        if let (crate::Opener::Sheet(book, sheet), crate::Plan::Sheet { layout }) =
            (&unit.opener, &unit.plan)
        {
            let part = self.next_part;
            self.next_part += 1;
            let rows = crate::spreadsheet::rows(&self.path, *book, sheet.clone());
            self.queue.push_back(Event::Part(Part {
                index: part,
                name: unit.name.clone(),
                layout: layout.clone(),
            }));
            self.current = Some(Current::Sheet(Box::new(SheetState {
                part,
                rows,
                header_pending: layout.has_header,
                width: layout.columns.len(),
                stats: LineStats::default(),
            })));
            return true;
        }
        let opened = match unit.opener {
            crate::Opener::File => {
                crate::container::open_counted(&self.path, self.bytes_read.clone())
            }
            crate::Opener::ZipMember(i) => crate::container::open_zip_member(&self.path, i),
            crate::Opener::Sheet(..) => Err(std::io::Error::other(
                "a sheet without a sheet plan (bug, please report)",
            )),
        };
        let Ok((_, raw)) = opened else {
            self.failed = true;
            self.queue.push_back(Event::Failed { after_line: 0 });
            return true;
        };
        match unit.plan {
            crate::Plan::Text {
                layout,
                json_keys,
                spans,
            } => {
                let enc = encoding_rs::Encoding::for_label(layout.encoding.as_bytes())
                    .unwrap_or(encoding_rs::UTF_8);
                let source = if layout.format == Format::JsonArray {
                    Source::Json(ElementReader::new(crate::lines::decoded(raw, enc).0))
                } else {
                    Source::Lines(LineReader::new(raw, enc))
                };
                let part = self.next_part;
                self.next_part += 1;
                let mut inner = TextRecords::new(
                    source,
                    layout.format,
                    layout.has_header,
                    layout.columns.len(),
                    json_keys,
                );
                inner.capture = self.capture;
                inner.spans = spans;
                self.queue.push_back(Event::Part(Part {
                    index: part,
                    name: unit.name,
                    layout,
                }));
                self.current = Some(Current::Text {
                    part,
                    inner: Box::new(inner),
                });
            }
            crate::Plan::Sheet { .. } => {
                self.failed = true;
                self.queue.push_back(Event::Failed { after_line: 0 });
            }
            crate::Plan::Sql {
                container,
                encoding,
                encoding_confidence,
                backslash_escapes,
            } => {
                let reader = crate::sql::SqlReader::new(
                    crate::lines::decoded(raw, encoding).0,
                    backslash_escapes,
                );
                self.current = Some(Current::Sql(Box::new(SqlState {
                    reader,
                    unit_name: unit.name,
                    container,
                    encoding,
                    encoding_confidence,
                    parts: HashMap::new(),
                    pending: None,
                    stats: LineStats::default(),
                })));
            }
        }
        true
    }

    /// Announces a buffered SQL table as a part and queues its buffered records.
    fn flush_sql(&mut self) {
        let Some(Current::Sql(st)) = &mut self.current else {
            return;
        };
        let Some(p) = st.pending.take() else { return };
        let rows: Vec<Vec<String>> = p.rows.iter().map(|(_, c)| c.clone()).collect();
        let columns = crate::infer_columns(&self.path, &p.columns, &rows, &self.map, false)
            .unwrap_or_default();
        let phone_region = crate::roles::dominant_phone_region(&columns, &rows);
        let dates_month_first = crate::roles::date_order(&columns, &rows);
        let width = columns.len();
        let part = self.next_part;
        self.next_part += 1;
        st.parts.insert(p.table.clone(), (part, width));
        let layout = crate::Layout {
            container: st.container,
            encoding: st.encoding.name(),
            encoding_confidence: st.encoding_confidence,
            format: Format::Sql,
            has_header: !p.columns.is_empty(),
            columns,
            phone_region,
            dates_month_first,
        };
        self.queue.push_back(Event::Part(Part {
            index: part,
            name: format!("{}:{}", st.unit_name, p.table),
            layout,
        }));
        for (line, cells) in p.rows {
            let ev = sql_event(&mut st.stats, part, width, line, cells);
            self.queue.push_back(ev);
        }
    }

    /// Advances the SQL reader by one item, queueing what it yields; `false` at the end.
    fn step_sql(&mut self) -> bool {
        let Some(Current::Sql(st)) = &mut self.current else {
            return false;
        };
        let item = match st.reader.next_item() {
            None => {
                self.flush_sql();
                return false;
            }
            Some(Err(_)) => {
                let after = st.stats.lines_total;
                self.flush_sql();
                self.failed = true;
                self.queue.push_back(Event::Failed { after_line: after });
                return true;
            }
            Some(Ok(item)) => item,
        };
        match item {
            crate::sql::SqlItem::Tuple {
                table,
                columns,
                line,
                cells,
            } => {
                if let Some(&(part, width)) = st.parts.get(&table) {
                    let ev = sql_event(&mut st.stats, part, width, line, cells);
                    self.queue.push_back(ev);
                    return true;
                }
                let same = st.pending.as_ref().is_some_and(|p| p.table == table);
                if !same {
                    self.flush_sql();
                    let Some(Current::Sql(st)) = &mut self.current else {
                        return false;
                    };
                    st.pending = Some(SqlPending {
                        table,
                        columns,
                        rows: Vec::new(),
                    });
                }
                let Some(Current::Sql(st)) = &mut self.current else {
                    return false;
                };
                if let Some(p) = &mut st.pending {
                    p.rows.push((line, cells));
                    if p.rows.len() >= SQL_SNIFF_TUPLES {
                        self.flush_sql();
                    }
                }
            }
            crate::sql::SqlItem::Malformed {
                table,
                line,
                not_sql,
            } => {
                // A broken tuple of a table not yet announced belongs to it once announced;
                // announce what is buffered so the entry has a part.
                if !st.parts.contains_key(&table) {
                    self.flush_sql();
                }
                let Some(Current::Sql(st)) = &mut self.current else {
                    return false;
                };
                let part = st.parts.get(&table).map_or(u32::MAX, |p| p.0);
                st.stats.quarantined += 1;
                st.stats.lines_total += 1;
                self.queue.push_back(Event::Quarantined(Quarantined {
                    part,
                    line,
                    reason: if not_sql {
                        QuarantineReason::NotSql
                    } else {
                        QuarantineReason::BrokenQuoting
                    },
                }));
            }
        }
        true
    }
}

fn sql_event(
    stats: &mut LineStats,
    part: u32,
    width: usize,
    line: u64,
    cells: Vec<String>,
) -> Event {
    stats.lines_total += 1;
    if width > 0 && cells.len() != width {
        stats.quarantined += 1;
        return Event::Quarantined(Quarantined {
            part,
            line,
            reason: QuarantineReason::WrongFieldCount {
                expected: width,
                found: cells.len(),
            },
        });
    }
    stats.records += 1;
    Event::Record(RawRecord { part, line, cells })
}

impl Iterator for Records {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        let ev = self.next_raw()?;
        Some(match ev {
            Event::Record(mut r) => {
                let mut repaired = false;
                for c in &mut r.cells {
                    if let Some(fixed) = crate::mojibake::repair(c) {
                        *c = fixed;
                        repaired = true;
                    }
                }
                self.done.mojibake_repaired += u64::from(repaired);
                Event::Record(r)
            }
            other => other,
        })
    }
}

impl Records {
    fn next_raw(&mut self) -> Option<Event> {
        loop {
            if let Some(ev) = self.queue.pop_front() {
                return Some(ev);
            }
            if self.failed {
                return None;
            }
            match &mut self.current {
                Some(Current::Text { part, inner }) => {
                    let part = *part;
                    match inner.next() {
                        Some(Event::Record(mut r)) => {
                            r.part = part;
                            return Some(Event::Record(r));
                        }
                        Some(Event::Quarantined(mut q)) => {
                            q.part = part;
                            return Some(Event::Quarantined(q));
                        }
                        Some(Event::Failed { after_line }) => {
                            self.failed = true;
                            return Some(Event::Failed { after_line });
                        }
                        Some(Event::Part(_)) | None => {
                            if !self.open_next() {
                                return None;
                            }
                        }
                    }
                }
                Some(Current::Sql(_)) => {
                    if !self.step_sql() && self.queue.is_empty() && !self.open_next() {
                        return None;
                    }
                }
                Some(Current::Sheet(st)) => match st.rows.next() {
                    Some(Ok((line, mut cells))) => {
                        st.stats.lines_total += 1;
                        if cells.iter().all(|c| c.trim().is_empty()) {
                            st.stats.blank_lines += 1;
                            continue;
                        }
                        if st.header_pending {
                            st.header_pending = false;
                            st.stats.header_lines += 1;
                            continue;
                        }
                        // Trailing empty cells are absent from the file; extra non-empty ones are an error.
                        while cells.len() > st.width
                            && cells.last().is_some_and(|c| c.trim().is_empty())
                        {
                            cells.pop();
                        }
                        if cells.len() > st.width {
                            st.stats.quarantined += 1;
                            return Some(Event::Quarantined(Quarantined {
                                part: st.part,
                                line,
                                reason: QuarantineReason::WrongFieldCount {
                                    expected: st.width,
                                    found: cells.len(),
                                },
                            }));
                        }
                        cells.resize(st.width, String::new());
                        st.stats.records += 1;
                        return Some(Event::Record(RawRecord {
                            part: st.part,
                            line,
                            cells,
                        }));
                    }
                    Some(Err(_)) => {
                        self.failed = true;
                        return Some(Event::Failed {
                            after_line: st.stats.lines_total,
                        });
                    }
                    None => {
                        if !self.open_next() {
                            return None;
                        }
                    }
                },
                None => {
                    if !self.open_next() {
                        return None;
                    }
                }
            }
        }
    }
}
