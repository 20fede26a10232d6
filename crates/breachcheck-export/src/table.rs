//! A Parquet file of required columns (`INT64`, `BOOLEAN` or `BYTE_ARRAY`), written
//! through a temporary file and renamed into place when finished: the one writer of every
//! table this crate makes. Through the `parquet` crate's column writer, without Arrow
//! (Arrow would double the build for two column types).
use crate::{Error, Result};
use parquet::basic::Compression;
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Rows buffered per row group.
const ROW_GROUP: usize = 1 << 18;

/// The physical type of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Int64,
    Bool,
    /// Bytes; `utf8` marks them as a string for readers.
    Bytes {
        utf8: bool,
    },
}

/// A value of one column of one row.
pub(crate) enum Value<'a> {
    Int64(i64),
    Bool(bool),
    Bytes(&'a [u8]),
}

enum Buffer {
    Int64(Vec<i64>),
    Bool(Vec<bool>),
    Bytes(Vec<ByteArray>),
}

/// A Parquet file being written.
pub(crate) struct Table {
    dest: PathBuf,
    writer: SerializedFileWriter<breachcheck_files::AtomicFile>,
    columns: Vec<Buffer>,
    buffered: usize,
    rows: u64,
}

impl Table {
    /// Creates `dest` (its directory must exist) with the columns `(name, kind)`, in order.
    pub(crate) fn create(dest: &Path, columns: &[(&str, Kind)]) -> Result<Self> {
        let tmp = breachcheck_files::AtomicFile::create(dest)?;
        let pq = |source| Error::Parquet {
            path: dest.to_owned(),
            source,
        };
        let fields: String = columns
            .iter()
            .map(|(name, kind)| match kind {
                Kind::Int64 => format!("required int64 {name}; "),
                Kind::Bool => format!("required boolean {name}; "),
                Kind::Bytes { utf8: true } => format!("required binary {name} (UTF8); "),
                Kind::Bytes { utf8: false } => format!("required binary {name}; "),
            })
            .collect();
        let schema = parquet::schema::parser::parse_message_type(&format!(
            "message breachcheck {{ {fields}}}"
        ))
        .map_err(pq)?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_created_by(format!("breachcheck {}", env!("CARGO_PKG_VERSION")))
            .build();
        let writer =
            SerializedFileWriter::new(tmp, Arc::new(schema), Arc::new(props)).map_err(pq)?;
        Ok(Table {
            dest: dest.to_owned(),
            writer,
            columns: columns
                .iter()
                .map(|(_, kind)| match kind {
                    Kind::Int64 => Buffer::Int64(Vec::new()),
                    Kind::Bool => Buffer::Bool(Vec::new()),
                    Kind::Bytes { .. } => Buffer::Bytes(Vec::new()),
                })
                .collect(),
            buffered: 0,
            rows: 0,
        })
    }

    /// Appends one row, its values in column order and of the columns' kinds.
    pub(crate) fn push(&mut self, row: &[Value<'_>]) -> Result<()> {
        for (buffer, value) in self.columns.iter_mut().zip(row) {
            match (buffer, value) {
                (Buffer::Int64(b), Value::Int64(v)) => b.push(*v),
                (Buffer::Bool(b), Value::Bool(v)) => b.push(*v),
                (Buffer::Bytes(b), Value::Bytes(v)) => b.push(ByteArray::from(v.to_vec())),
                _ => {
                    return Err(Error::Schema {
                        path: self.dest.clone(),
                        what: "a value of the wrong kind for its column".into(),
                    })
                }
            }
        }
        self.buffered += 1;
        self.rows += 1;
        if self.buffered >= ROW_GROUP {
            self.flush_group()?;
        }
        Ok(())
    }

    fn flush_group(&mut self) -> Result<()> {
        if self.buffered == 0 {
            return Ok(());
        }
        let dest = self.dest.clone();
        let pq = |source| Error::Parquet { path: dest, source };
        let mut group = self.writer.next_row_group().map_err(pq.clone())?;
        for buffer in &mut self.columns {
            let Some(mut col) = group.next_column().map_err(pq.clone())? else {
                break;
            };
            match buffer {
                Buffer::Int64(v) => {
                    col.typed::<Int64Type>()
                        .write_batch(v, None, None)
                        .map_err(pq.clone())?;
                    v.clear();
                }
                Buffer::Bool(v) => {
                    col.typed::<BoolType>()
                        .write_batch(v, None, None)
                        .map_err(pq.clone())?;
                    v.clear();
                }
                Buffer::Bytes(v) => {
                    col.typed::<ByteArrayType>()
                        .write_batch(v, None, None)
                        .map_err(pq.clone())?;
                    v.clear();
                }
            }
            col.close().map_err(pq.clone())?;
        }
        group.close().map_err(pq)?;
        self.buffered = 0;
        Ok(())
    }

    /// Writes the footer, syncs and renames the file into place; returns its row count.
    pub(crate) fn finish(mut self) -> Result<u64> {
        self.flush_group()?;
        let dest = self.dest.clone();
        let file = self.writer.into_inner().map_err(|source| Error::Parquet {
            path: dest.clone(),
            source,
        })?;
        file.commit()?;
        Ok(self.rows)
    }
}
