//! Reads leak samples and system exports in whatever shape they arrive.
//!
//! [`Sample::open`] sniffs the container (gzip, zstd, zip — whose members are parts), the
//! text encoding (UTF-8 with or without
//! BOM, UTF-16 with BOM or by its zero bytes, legacy single-byte encodings through
//! `chardetng`), the format (delimited with a sniffed delimiter and header, combolists,
//! NDJSON, JSON arrays, SQL dumps) and each column's role from its values.
//! [`Sample::records`] then streams the parts one after another — an [`Event::Part`] with
//! the part's layout, then its records — one record at a time: memory does not grow with
//! the file. A line that cannot be read becomes a
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
//! let mut records = sample.records()?;
//! let events: Vec<Event> = records.by_ref().collect();
//! assert!(matches!(&events[0], Event::Part(p) if p.layout.columns[0].role == FieldRole::Email));
//! assert!(matches!(&events[1], Event::Record(r) if r.line == 2));
//! assert!(matches!(&events[2], Event::Quarantined(q) if q.line == 3));
//! assert_eq!(records.stats().lines_total, 3);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod container;
mod delimited;
mod encoding;
mod fixedwidth;
mod header;
mod jsonarray;
mod keyvalue;
mod lines;
mod mojibake;
mod ndjson;
mod places;
mod reader;
mod roles;
mod spreadsheet;
mod sql;

pub use reader::{Event, LineStats, Part, QuarantineReason, Quarantined, RawRecord, Records};
pub use roles::{Column, RoleSource};

use breachcheck_core::FieldRole;
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Errors that stop reading a whole input (a bad line never does: it is quarantined).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened or read.
    #[error("cannot read {path}")]
    Io {
        /// The input's path (a file name is not PII).
        path: PathBuf,
        /// The underlying error (printed by the error chain, once).
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Container {
    /// Plain bytes.
    Plain,
    /// gzip (one or more members).
    Gzip,
    /// Zstandard.
    Zstd,
    /// A zip archive; each member is a part (or each sheet, for XLSX and ODS workbooks).
    Zip,
    /// An OLE compound file (a legacy `.xls` workbook); each sheet is a part.
    Ole,
}

/// The record format of the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    /// One table of an SQL dump (INSERT tuples or COPY rows).
    Sql,
    /// One sheet of a spreadsheet (XLSX, XLS, ODS); records are numbered by row.
    Sheet,
    /// A Parquet file; the column names are line 1, records numbered from 2.
    Parquet,
    /// Fixed-width columns (positions found from the text).
    FixedWidth,
    /// "key: value" lines, records separated by blank lines; a record is numbered by its
    /// first line.
    KeyValue,
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
            Format::Sql => f.write_str("SQL dump table"),
            Format::Sheet => f.write_str("spreadsheet sheet"),
            Format::Parquet => f.write_str("Parquet table"),
            Format::FixedWidth => f.write_str("fixed-width columns"),
            Format::KeyValue => f.write_str("key: value blocks"),
        }
    }
}

/// What sniffing found out about an input. Holds no values, only structure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Layout {
    /// Compression.
    pub container: Container,
    /// Text encoding (WHATWG name). Read back as `encoding_rs`'s own name of it, so the
    /// field stays a `&'static str` and a report reads back byte for byte.
    #[serde(deserialize_with = "encoding_name")]
    pub encoding: StaticName,
    /// Confidence in the encoding, 0..1 (1 for a BOM or a user choice).
    pub encoding_confidence: f32,
    /// Record format.
    pub format: Format,
    /// Whether the first non-blank line is a header.
    pub has_header: bool,
    /// Columns with their inferred roles.
    pub columns: Vec<Column>,
    /// The region most of the part's internationally written phone numbers belong to (when
    /// at least five are and a majority agree): the region for its national-format numbers
    /// when a record has no country and its name's script says nothing.
    pub phone_region: Option<String>,
    /// Whether the part's dates of birth are written month first (`true`), day first
    /// (`false`), or ambiguously (`None`), from the sniffed values that can only be read
    /// one way.
    pub dates_month_first: Option<bool>,
}

/// A `&'static str` under another name: serde's derive takes a field written `&'static str`
/// for one borrowed from the input (which would tie `Layout`'s `Deserialize` to `'static`
/// input); under this name the field is read by `encoding_name` instead.
pub type StaticName = &'static str;

/// Reads an encoding name back as the `&'static str` `encoding_rs` names it by: a layout
/// only ever records such a name, and an unknown one is an error rather than a guess.
fn encoding_name<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<&'static str, D::Error> {
    let name = std::borrow::Cow::<'de, str>::deserialize(d)?;
    encoding_rs::Encoding::for_label(name.as_bytes())
        .map(|e| e.name())
        .filter(|n| n.eq_ignore_ascii_case(&name))
        .ok_or_else(|| serde::de::Error::custom(format!("unknown encoding {name:?}")))
}

impl Layout {
    /// Role of each column, in column order.
    pub fn roles(&self) -> Vec<FieldRole> {
        self.columns.iter().map(|c| c.role).collect()
    }
}

/// How one readable stream of an input is read.
#[derive(Debug, Clone)]
pub(crate) enum Plan {
    /// Delimited, NDJSON or JSON array text with a known layout.
    Text {
        layout: Layout,
        json_keys: Vec<String>,
        /// Column spans of fixed-width text.
        spans: Vec<(usize, usize)>,
    },
    /// A spreadsheet sheet with a known layout.
    Sheet { layout: Layout },
    /// An SQL dump; each table becomes a part as its first tuples arrive.
    Sql {
        container: Container,
        encoding: &'static encoding_rs::Encoding,
        encoding_confidence: f32,
        backslash_escapes: bool,
    },
}

/// Where a stream's bytes come from.
#[derive(Debug, Clone)]
pub(crate) enum Opener {
    /// The whole file (decompressed).
    File,
    /// A member of the zip archive (decompressed once more if gzip or zstd).
    ZipMember(usize),
    /// A sheet of a workbook, by name.
    Sheet(spreadsheet::Book, String),
}

/// One readable stream: the file itself, or one member of an archive.
#[derive(Debug, Clone)]
pub(crate) struct Unit {
    pub(crate) name: String,
    pub(crate) opener: Opener,
    pub(crate) plan: Plan,
}

/// An input whose streams have been sniffed; [`Sample::records`] streams every part.
#[derive(Debug)]
pub struct Sample {
    path: PathBuf,
    container: Container,
    units: Vec<Unit>,
    map: Vec<(String, FieldRole)>,
}

/// How many bytes of decoded text the sniffer looks at.
const SNIFF_BYTES: usize = 256 * 1024;

/// Sniffs one stream from its first 256 KiB.
fn sniff_unit(
    path: &Path,
    name: String,
    opener: Opener,
    container: Container,
    mut raw: Box<dyn Read + Send>,
    opts: &IngestOptions,
    strict_map: bool,
) -> Result<Option<Unit>> {
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
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
        return Ok(None);
    }
    let first = head_lines
        .iter()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.trim_start_matches('\u{feff}').trim_start())
        .unwrap_or("");
    if !first.starts_with('{') && !first.starts_with('[') && sql::looks_like_dump(&text) {
        return Ok(Some(Unit {
            name,
            opener,
            plan: Plan::Sql {
                container,
                encoding,
                encoding_confidence,
                backslash_escapes: sql::uses_backslash_escapes(&text),
            },
        }));
    }
    let mut fixed_spans = Vec::new();
    let (format, has_header, names, rows, json_keys) = if first.starts_with('{') {
        let (keys, rows) = ndjson::sniff(head_lines.iter().copied());
        (Format::Ndjson, true, keys.clone(), rows, keys)
    } else if first.starts_with('[') {
        let elements = jsonarray::head_elements(&text);
        let (keys, rows) = ndjson::sniff(elements.iter().map(String::as_str));
        (Format::JsonArray, true, keys.clone(), rows, keys)
    } else if let Some((keys, rows)) = keyvalue::sniff(head_lines) {
        (Format::KeyValue, true, keys.clone(), rows, keys)
    } else if let Some(spans) = (delimited::sniff_scored(head_lines).1 < 0.9)
        .then(|| fixedwidth::sniff(head_lines))
        .flatten()
    {
        let rows: Vec<Vec<String>> = head_lines
            .iter()
            .filter(|l| !l.trim().is_empty())
            .take(1000)
            .filter_map(|l| fixedwidth::split(l, &spans))
            .collect();
        let has_header = header::is_header(&rows);
        let (names, rows) = if has_header && !rows.is_empty() {
            (rows[0].clone(), rows[1..].to_vec())
        } else {
            (Vec::new(), rows)
        };
        fixed_spans = spans;
        (Format::FixedWidth, has_header, names, rows, Vec::new())
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
    let columns = infer_columns(path, &names, &rows, &opts.map, strict_map)?;
    let phone_region = roles::dominant_phone_region(&columns, &rows);
    let dates_month_first = roles::date_order(&columns, &rows);
    Ok(Some(Unit {
        name,
        opener,
        plan: Plan::Text {
            layout: Layout {
                container,
                encoding: encoding.name(),
                encoding_confidence,
                format,
                has_header,
                columns,
                phone_region,
                dates_month_first,
            },
            json_keys,
            spans: fixed_spans,
        },
    }))
}

/// Sniffs one sheet from its first 1,000 rows.
fn sniff_sheet(
    path: &Path,
    file_name: &str,
    book: spreadsheet::Book,
    sheet: String,
    opts: &IngestOptions,
) -> Result<Option<Unit>> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    for row in spreadsheet::rows(path, book, sheet.clone()).take(1000) {
        let (_, cells) = row.map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        if cells.iter().any(|c| !c.trim().is_empty()) {
            rows.push(cells);
        }
    }
    if rows.is_empty() {
        return Ok(None);
    }
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    for r in &mut rows {
        r.resize(width, String::new());
    }
    let has_header = header::is_header(&rows);
    let (names, body) = if has_header {
        (rows[0].clone(), rows[1..].to_vec())
    } else {
        (Vec::new(), rows)
    };
    let columns = infer_columns(path, &names, &body, &opts.map, false)?;
    let phone_region = roles::dominant_phone_region(&columns, &body);
    let dates_month_first = roles::date_order(&columns, &body);
    Ok(Some(Unit {
        name: format!("{file_name}:{sheet}"),
        opener: Opener::Sheet(book, sheet),
        plan: Plan::Sheet {
            layout: Layout {
                container: Container::Plain,
                encoding: "UTF-8",
                encoding_confidence: 1.0,
                format: if book == spreadsheet::Book::Parquet {
                    Format::Parquet
                } else {
                    Format::Sheet
                },
                has_header,
                columns,
                phone_region,
                dates_month_first,
            },
        },
    }))
}

/// Roles of columns named `names` (possibly none) holding `rows`, with the user's
/// overrides. `strict`: a `--map` naming a column this part lacks is an error (single-part
/// inputs); in multi-part inputs it applies to the parts that have the column.
pub(crate) fn infer_columns(
    path: &Path,
    names: &[String],
    rows: &[Vec<String>],
    map: &[(String, FieldRole)],
    strict: bool,
) -> Result<Vec<Column>> {
    // The header fixes the width; without one, the most common row width does.
    let width = if names.is_empty() {
        delimited::modal_width(rows)
    } else {
        names.len()
    };
    let mut columns = roles::infer(names, rows, width);
    roles::apply_overrides(&mut columns, names, map, strict).map_err(|column| {
        Error::UnknownColumn {
            column,
            path: path.to_owned(),
        }
    })?;
    Ok(columns)
}

impl Sample {
    /// Opens `path` and sniffs each of its streams (the file, or each member of a zip
    /// archive) from its first 256 KiB.
    pub fn open(path: &Path, opts: &IngestOptions) -> Result<Self> {
        let io = |source| Error::Io {
            path: path.to_owned(),
            source,
        };
        let container = container::sniff_file(path).map_err(io)?;
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut units = Vec::new();
        if let Some(book) = spreadsheet::detect(path, container) {
            for sheet in spreadsheet::sheet_names(path, book).map_err(io)? {
                if let Some(u) = sniff_sheet(path, &file_name, book, sheet, opts)? {
                    units.push(u);
                }
            }
        } else if container == Container::Zip {
            for (index, member) in container::zip_members(path).map_err(io)? {
                let (inner, raw) = container::open_zip_member(path, index).map_err(io)?;
                let name = format!("{file_name}:{member}");
                if let Some(u) = sniff_unit(
                    path,
                    name,
                    Opener::ZipMember(index),
                    inner,
                    raw,
                    opts,
                    false,
                )? {
                    units.push(u);
                }
            }
        } else {
            let (c, raw) = container::open(path).map_err(io)?;
            if let Some(u) = sniff_unit(path, file_name, Opener::File, c, raw, opts, true)? {
                units.push(u);
            }
        }
        if units.is_empty() {
            return Err(Error::Empty {
                path: path.to_owned(),
            });
        }
        Ok(Sample {
            path: path.to_owned(),
            container,
            units,
            map: opts.map.clone(),
        })
    }

    /// The outer container of the file.
    pub fn container(&self) -> Container {
        self.container
    }

    /// Layouts known before reading: every delimited or JSON part. (An SQL dump's tables
    /// become known as they are read; see [`Event::Part`].)
    pub fn known_layouts(&self) -> Vec<(&str, &Layout)> {
        self.units
            .iter()
            .filter_map(|u| match &u.plan {
                Plan::Text { layout, .. } | Plan::Sheet { layout } => {
                    Some((u.name.as_str(), layout))
                }
                Plan::Sql { .. } => None,
            })
            .collect()
    }

    /// The input's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Streams the input's records from the start, part after part.
    pub fn records(&self) -> Result<Records> {
        Ok(Records::new(
            self.path.clone(),
            self.units.clone(),
            self.map.clone(),
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
