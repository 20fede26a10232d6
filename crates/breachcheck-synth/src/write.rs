//! Writing tables as CSV or NDJSON.
use std::io::Write;
use std::path::Path;

/// A table: header and rows of cells.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// Column names.
    pub header: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<String>>,
}

/// File format of a written table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableFormat {
    /// Delimited with this delimiter, `"` quoting where needed.
    Csv(u8),
    /// One JSON object per line; dotted column names become nested objects.
    Ndjson,
}

fn csv_cell(v: &str, d: u8) -> String {
    if v.bytes()
        .any(|b| b == d || b == b'"' || b == b'\n' || b == b'\r')
    {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_owned()
    }
}

/// Writes `t` to `path` in `format`.
pub fn write_table(path: &Path, t: &Table, format: TableFormat) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    match format {
        TableFormat::Csv(d) => {
            let sep = (d as char).to_string();
            let line = |cells: &[String]| {
                cells
                    .iter()
                    .map(|c| csv_cell(c, d))
                    .collect::<Vec<_>>()
                    .join(&sep)
            };
            writeln!(w, "{}", line(&t.header))?;
            for r in &t.rows {
                writeln!(w, "{}", line(r))?;
            }
        }
        TableFormat::Ndjson => {
            for r in &t.rows {
                let mut obj = serde_json::Map::new();
                for (k, v) in t.header.iter().zip(r) {
                    match k.split_once('.') {
                        Some((outer, inner)) => {
                            let e = obj
                                .entry(outer.to_owned())
                                .or_insert_with(|| serde_json::Value::Object(Default::default()));
                            if let serde_json::Value::Object(m) = e {
                                m.insert(inner.to_owned(), v.clone().into());
                            }
                        }
                        None => {
                            obj.insert(k.clone(), v.clone().into());
                        }
                    }
                }
                writeln!(w, "{}", serde_json::Value::Object(obj))?;
            }
        }
    }
    w.flush()
}
