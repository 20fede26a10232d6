//! How samples and exports are written: delimited text with any delimiter, with or
//! without a header; NDJSON; a MySQL dump.
use super::pick;
use crate::Table;
use rand::rngs::StdRng;
use rand::Rng;
use std::io::Write;
use std::path::Path;

/// How a sample or an export is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SampleFormat {
    /// Delimited text, `"` quoting where needed.
    Delimited {
        /// `,`, `;`, tab, `|` or `:`.
        delimiter: u8,
        /// Whether the first line names the columns.
        header: bool,
    },
    /// One JSON object per line.
    Ndjson,
    /// A MySQL dump: `INSERT INTO … VALUES (…),(…);`.
    MysqlInsert {
        /// Table name.
        table: String,
        /// Whether a `CREATE TABLE` names the columns first (without it the values alone
        /// say what the columns are).
        create_table: bool,
    },
}

impl SampleFormat {
    /// File name extension.
    pub fn extension(&self) -> &'static str {
        match self {
            SampleFormat::Delimited {
                delimiter: b',' | b';',
                ..
            } => "csv",
            SampleFormat::Delimited {
                delimiter: b'\t', ..
            } => "tsv",
            SampleFormat::Delimited { .. } => "txt",
            SampleFormat::Ndjson => "ndjson",
            SampleFormat::MysqlInsert { .. } => "sql",
        }
    }

    /// Short description, e.g. `csv ';' with header`.
    pub fn describe(&self) -> String {
        match self {
            SampleFormat::Delimited { delimiter, header } => format!(
                "{} {}",
                match delimiter {
                    b'\t' => "tab".to_owned(),
                    d => format!("'{}'", *d as char),
                },
                if *header { "with header" } else { "no header" }
            ),
            SampleFormat::Ndjson => "ndjson".into(),
            SampleFormat::MysqlInsert { create_table, .. } => format!(
                "mysql insert{}",
                if *create_table {
                    " with create table"
                } else {
                    ", no column names"
                }
            ),
        }
    }

    /// A format a seller might post a sample in: mostly delimited, some NDJSON and SQL
    /// dumps; a header four times in five.
    pub(super) fn draw(r: &mut StdRng) -> Self {
        let header = r.random_bool(0.8);
        match r.random_range(0..10) {
            0..=2 => SampleFormat::Delimited {
                delimiter: b',',
                header,
            },
            3 => SampleFormat::Delimited {
                delimiter: b';',
                header,
            },
            4 | 5 => SampleFormat::Delimited {
                delimiter: b'\t',
                header,
            },
            6 => SampleFormat::Delimited {
                delimiter: b'|',
                header,
            },
            7 | 8 => SampleFormat::Ndjson,
            _ => SampleFormat::MysqlInsert {
                table: pick(
                    r,
                    &["users", "customers", "members", "clients", "export"],
                    "t",
                )
                .to_owned(),
                create_table: header,
            },
        }
    }
}

fn delimited_cell(v: &str, d: u8) -> String {
    if v.bytes()
        .any(|b| b == d || b == b'"' || b == b'\n' || b == b'\r')
    {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_owned()
    }
}

fn sql_ident(s: &str) -> String {
    let id: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if id.is_empty() {
        "c".into()
    } else {
        id
    }
}

fn sql_value(v: &str) -> String {
    if v.is_empty() {
        return "NULL".into();
    }
    let mut s = String::with_capacity(v.len() + 2);
    s.push('\'');
    for c in v.chars() {
        match c {
            '\'' => s.push_str("\\'"),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            c => s.push(c),
        }
    }
    s.push('\'');
    s
}

/// Writes `t` to `path` in `format`. Empty cells are left empty (delimited), left out
/// (NDJSON) or `NULL` (SQL).
pub fn write_sample(path: &Path, t: &Table, format: &SampleFormat) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    match format {
        SampleFormat::Delimited { delimiter, header } => {
            let sep = (*delimiter as char).to_string();
            let line = |cells: &[String]| {
                cells
                    .iter()
                    .map(|c| delimited_cell(c, *delimiter))
                    .collect::<Vec<_>>()
                    .join(&sep)
            };
            if *header {
                writeln!(w, "{}", line(&t.header))?;
            }
            for r in &t.rows {
                writeln!(w, "{}", line(r))?;
            }
        }
        SampleFormat::Ndjson => {
            for r in &t.rows {
                let mut obj = serde_json::Map::new();
                for (k, v) in t.header.iter().zip(r) {
                    if !v.is_empty() {
                        obj.insert(k.clone(), v.clone().into());
                    }
                }
                writeln!(w, "{}", serde_json::Value::Object(obj))?;
            }
        }
        SampleFormat::MysqlInsert {
            table,
            create_table,
        } => {
            let table = sql_ident(table);
            writeln!(
                w,
                "-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n--\n-- Host: localhost    Database: prod\n-- ------------------------------------------------------"
            )?;
            if *create_table {
                writeln!(w, "DROP TABLE IF EXISTS `{table}`;")?;
                writeln!(w, "CREATE TABLE `{table}` (")?;
                for h in &t.header {
                    writeln!(w, "  `{}` varchar(255) DEFAULT NULL,", sql_ident(h))?;
                }
                writeln!(
                    w,
                    "  KEY `idx_0` (`{}`)",
                    sql_ident(t.header.first().map_or("c", String::as_str))
                )?;
                writeln!(w, ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;")?;
            }
            writeln!(w, "LOCK TABLES `{table}` WRITE;")?;
            for chunk in t.rows.chunks(200) {
                let tuples: Vec<String> = chunk
                    .iter()
                    .map(|r| {
                        format!(
                            "({})",
                            r.iter().map(|v| sql_value(v)).collect::<Vec<_>>().join(",")
                        )
                    })
                    .collect();
                writeln!(w, "INSERT INTO `{table}` VALUES {};", tuples.join(","))?;
            }
            writeln!(w, "UNLOCK TABLES;")?;
        }
    }
    w.flush()
}
