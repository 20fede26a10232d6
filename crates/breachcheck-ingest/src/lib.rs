//! Reads leak samples and system exports in whatever shape they arrive.
//!
//! [`Sample::open`] sniffs the container (gzip), the text encoding (UTF-8 with or without
//! BOM, UTF-16 with BOM or by its zero bytes, legacy single-byte encodings through
//! `chardetng`), the format (delimited with a sniffed delimiter and header, or NDJSON) and
//! each column's role from its values. [`Sample::records`] then streams records one at a
//! time: memory does not grow with the file. A line that cannot be read becomes a
//! [`Quarantined`] event with its line number and reason — never an error that stops the
//! run, never a silent drop — so that `lines_total = records + quarantined + header +
//! blank + continuation` holds exactly ([`LineStats`]).
//!
//! ```
//! use breachcheck_ingest::{Event, IngestOptions, Sample};
//! use breachcheck_core::FieldRole;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("sample.csv");
//! std::fs::write(&path, "mail;tel\nana@example.es;+34 612 34 56 78\nbroken;line;here\n")?;
//! let sample = Sample::open(&path, &IngestOptions::default())?;
//! assert_eq!(sample.layout().columns[0].role, FieldRole::Email);
//! let mut records = sample.records()?;
//! let events: Vec<Event> = records.by_ref().collect();
//! assert!(matches!(&events[0], Event::Record(r) if r.line == 2));
//! assert!(matches!(&events[1], Event::Quarantined(q) if q.line == 3));
//! assert_eq!(records.stats().lines_total, 3);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod container;
mod delimited;
mod encoding;
mod header;
mod jsonarray;
mod lines;
mod ndjson;
mod reader;
mod roles;

pub use reader::{Event, LineStats, QuarantineReason, Quarantined, RawRecord, Records};
pub use roles::{Column, RoleSource};

use breachcheck_core::FieldRole;
use serde::Serialize;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Errors that stop reading a whole input (a bad line never does: it is quarantined).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The input's path (a file name is not PII).
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The input holds no line with any content.
    #[error("{path} holds no records")]
    Empty {
        /// The input's path.
        path: PathBuf,
    },
    /// A `--map` names a column the input does not have.
    #[error("--map names column {column:?}, which {path} does not have (columns are named by header or by 1-based position)")]
    UnknownColumn {
        /// The column reference as the user wrote it (a header name or number, not a value).
        column: String,
        /// The input's path.
        path: PathBuf,
    },
    /// An encoding name given with `--encoding` is not known.
    #[error(
        "unknown encoding label {0:?} (use a WHATWG label such as utf-8, utf-16le, windows-1252)"
    )]
    UnknownEncoding(String),
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// How to read an input; the defaults sniff everything.
#[derive(Clone, Debug, Default)]
pub struct IngestOptions {
    /// User overrides of column roles: a header name or a 1-based column number, and the role.
    pub map: Vec<(String, FieldRole)>,
    /// Forced text encoding (WHATWG label), instead of detection.
    pub encoding: Option<String>,
}

/// Compression around the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Container {
    /// Plain bytes.
    Plain,
    /// gzip (one or more members).
    Gzip,
}

/// The record format of the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Format {
    /// Delimiter-separated values.
    Delimited {
        /// Field delimiter byte.
        delimiter: u8,
        /// Quote byte.
        quote: u8,
    },
    /// One JSON object per line; nested objects flattened to dotted columns.
    Ndjson,
    /// One JSON array of objects, streamed element by element; records are numbered by
    /// the line their element starts on.
    JsonArray,
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Format::Delimited {
                delimiter: b':', ..
            } => f.write_str("combolist (':'-separated, last field takes the rest)"),
            Format::Delimited { delimiter, .. } => {
                write!(f, "delimited, delimiter {:?}", char::from(*delimiter))
            }
            Format::Ndjson => f.write_str("NDJSON"),
            Format::JsonArray => f.write_str("JSON array"),
        }
    }
}

/// What sniffing found out about an input. Holds no values, only structure.
#[derive(Clone, Debug, Serialize)]
pub struct Layout {
    /// Compression.
    pub container: Container,
    /// Text encoding (WHATWG name).
    pub encoding: &'static str,
    /// Confidence in the encoding, 0..1 (1 for a BOM or a user choice).
    pub encoding_confidence: f32,
    /// Record format.
    pub format: Format,
    /// Whether the first non-blank line is a header.
    pub has_header: bool,
    /// Columns with their inferred roles.
    pub columns: Vec<Column>,
}

impl Layout {
    /// Role of each column, in column order.
    pub fn roles(&self) -> Vec<FieldRole> {
        self.columns.iter().map(|c| c.role).collect()
    }
}

/// An input whose layout has been sniffed; [`Sample::records`] streams it.
#[derive(Debug)]
pub struct Sample {
    path: PathBuf,
    layout: Layout,
    /// NDJSON column keys (dotted paths), in column order.
    json_keys: Vec<String>,
}

/// How many bytes of decoded text the sniffer looks at.
const SNIFF_BYTES: usize = 256 * 1024;

impl Sample {
    /// Opens `path` and sniffs its layout from the first 256 KiB.
    pub fn open(path: &Path, opts: &IngestOptions) -> Result<Self> {
        let io = |source| Error::Io {
            path: path.to_owned(),
            source,
        };
        let (container, mut raw) = container::open(path).map_err(io)?;
        let mut head = Vec::with_capacity(SNIFF_BYTES);
        raw.by_ref()
            .take(SNIFF_BYTES as u64)
            .read_to_end(&mut head)
            .map_err(io)?;
        let (encoding, encoding_confidence) = match &opts.encoding {
            Some(label) => (
                encoding_rs::Encoding::for_label(label.as_bytes())
                    .ok_or_else(|| Error::UnknownEncoding(label.clone()))?,
                1.0,
            ),
            None => encoding::detect(&head),
        };
        let text = encoding::decode_head(&head, encoding);
        let head_lines: Vec<&str> = text.lines().take(2000).collect::<Vec<_>>();
        // The last line of the head may be cut short.
        let head_lines = if head.len() >= SNIFF_BYTES && head_lines.len() > 1 {
            &head_lines[..head_lines.len() - 1]
        } else {
            &head_lines[..]
        };
        if head_lines.iter().all(|l| l.trim().is_empty()) {
            return Err(Error::Empty {
                path: path.to_owned(),
            });
        }
        let first = head_lines
            .iter()
            .find(|l| !l.trim().is_empty())
            .map(|l| l.trim_start_matches('\u{feff}').trim_start())
            .unwrap_or("");
        let (format, has_header, names, rows, json_keys) = if first.starts_with('{') {
            let (keys, rows) = ndjson::sniff(head_lines.iter().copied());
            (Format::Ndjson, true, keys.clone(), rows, keys)
        } else if first.starts_with('[') {
            let elements = jsonarray::head_elements(&text);
            let (keys, rows) = ndjson::sniff(elements.iter().map(String::as_str));
            (Format::JsonArray, true, keys.clone(), rows, keys)
        } else {
            let d = delimited::sniff(head_lines);
            let rows = delimited::sample_rows(head_lines, d);
            let has_header = header::is_header(&rows);
            let (names, rows) = if has_header && !rows.is_empty() {
                (rows[0].clone(), rows[1..].to_vec())
            } else {
                (Vec::new(), rows)
            };
            (
                Format::Delimited {
                    delimiter: d,
                    quote: b'"',
                },
                has_header,
                names,
                rows,
                Vec::new(),
            )
        };
        // The header fixes the width; without one, the most common row width does.
        let width = if names.is_empty() {
            delimited::modal_width(&rows)
        } else {
            names.len()
        };
        let mut columns = roles::infer(&names, &rows, width);
        roles::apply_overrides(&mut columns, &names, &opts.map).map_err(|column| {
            Error::UnknownColumn {
                column,
                path: path.to_owned(),
            }
        })?;
        Ok(Sample {
            path: path.to_owned(),
            layout: Layout {
                container,
                encoding: encoding.name(),
                encoding_confidence,
                format,
                has_header,
                columns,
            },
            json_keys,
        })
    }

    /// The sniffed layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The input's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Streams the input's records from the start.
    pub fn records(&self) -> Result<Records> {
        let (_, raw) = container::open(&self.path).map_err(|source| Error::Io {
            path: self.path.clone(),
            source,
        })?;
        let enc = encoding_rs::Encoding::for_label(self.layout.encoding.as_bytes())
            .unwrap_or(encoding_rs::UTF_8);
        let source = if self.layout.format == Format::JsonArray {
            reader::Source::Json(jsonarray::ElementReader::new(lines::decoded(raw, enc).0))
        } else {
            reader::Source::Lines(lines::LineReader::new(raw, enc))
        };
        Ok(Records::new(
            source,
            self.layout.format,
            self.layout.has_header,
            self.layout.columns.len(),
            self.json_keys.clone(),
        ))
    }
}

/// SHA-256 of a file's bytes as received (before decompression), hex-encoded: the
/// chain-of-custody fingerprint reports carry.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h)?;
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}
