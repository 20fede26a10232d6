//! Spreadsheets (XLSX, XLS, ODS) through `calamine`: each sheet is a part. XLSX sheets are
//! streamed cell by cell; ODS and XLS sheets are read whole by calamine (those formats have
//! no streaming reader), which bounds their size by memory. Parquet files (exports of data
//! warehouses) are read here too, as one table streamed row group by row group with the
//! `parquet` crate's row reader: column names become the header row. Rows travel to the
//! reader through a bounded channel from a thread that owns the workbook, because
//! calamine's streaming reader borrows it.
use calamine::{Data, DataRef, Reader};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver};

/// A workbook format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Book {
    Xlsx,
    Xls,
    Ods,
    Parquet,
}

/// The workbook format of a zip archive or OLE file, if it is one.
pub(crate) fn detect(path: &Path, container: crate::Container) -> Option<Book> {
    match container {
        crate::Container::Zip => {
            let z = zip::ZipArchive::new(File::open(path).ok()?).ok()?;
            let names: Vec<String> = z
                .file_names()
                .filter_map(|n| n.ok().map(|n| n.into_owned()))
                .collect();
            let has = |n: &str| names.iter().any(|x| x == n);
            if has("xl/workbook.xml") {
                Some(Book::Xlsx)
            } else if has("content.xml") && has("mimetype") {
                Some(Book::Ods)
            } else {
                None
            }
        }
        crate::Container::Ole => Some(Book::Xls),
        crate::Container::Plain => {
            let mut magic = [0u8; 4];
            let mut f = File::open(path).ok()?;
            std::io::Read::read_exact(&mut f, &mut magic).ok()?;
            (&magic == b"PAR1").then_some(Book::Parquet)
        }
        _ => None,
    }
}

fn err(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// Names of the sheets, in workbook order.
pub(crate) fn sheet_names(path: &Path, book: Book) -> std::io::Result<Vec<String>> {
    let r = BufReader::new(File::open(path)?);
    Ok(match book {
        Book::Xlsx => calamine::Xlsx::new(r).map_err(err)?.sheet_names(),
        Book::Xls => calamine::Xls::new(r).map_err(err)?.sheet_names(),
        Book::Ods => calamine::Ods::new(r).map_err(err)?.sheet_names(),
        Book::Parquet => vec!["table".to_owned()],
    })
}

/// A Parquet value as text the normalizers read: strings as they are, numbers without
/// exponent, dates as ISO dates, timestamps as ISO date-times (UTC), nulls empty.
fn text_of_parquet(f: &parquet::record::Field) -> String {
    use parquet::record::Field as F;
    match f {
        F::Null => String::new(),
        F::Str(s) => s.clone(),
        F::Bytes(b) => String::from_utf8_lossy(b.data()).into_owned(),
        F::Date(days) => {
            let (y, m, d) = breachcheck_core::civil_from_days(i64::from(*days));
            format!("{y:04}-{m:02}-{d:02}")
        }
        F::TimestampMillis(ms) => iso_datetime(ms.div_euclid(1000)),
        F::TimestampMicros(us) => iso_datetime(us.div_euclid(1_000_000)),
        F::Float(x) => number(f64::from(*x)),
        F::Double(x) => number(*x),
        other => other.to_string(),
    }
}

fn iso_datetime(secs: i64) -> String {
    let (y, m, d) = breachcheck_core::civil_from_days(secs.div_euclid(86_400));
    let t = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        t / 3600,
        t / 60 % 60,
        t % 60
    )
}

/// Excel serial day (days since 1899-12-30) to ISO date, time of day dropped.
fn excel_date(serial: f64) -> String {
    let (y, m, d) = breachcheck_core::civil_from_days(serial.floor() as i64 - 25_569);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A number as a person would have typed it: integral values without ".0" (phone numbers
/// and ids are often stored as numbers).
fn number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e17 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

fn text_of_ref(d: &DataRef<'_>) -> String {
    match d {
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number(*f),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(dt) => excel_date(dt.as_f64()),
        DataRef::Error(_) | DataRef::Empty => String::new(),
    }
}

fn text_of(d: &Data) -> String {
    match d {
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number(*f),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => excel_date(dt.as_f64()),
        Data::Error(_) | Data::Empty => String::new(),
    }
}

/// One spreadsheet row: its 1-based row number and its cells.
pub(crate) type Row = (u64, Vec<String>);

/// Rows of one sheet, produced by a thread that owns the workbook.
pub(crate) struct Rows {
    rx: Receiver<std::io::Result<Row>>,
}

impl Iterator for Rows {
    type Item = std::io::Result<Row>;
    fn next(&mut self) -> Option<Self::Item> {
        self.rx.recv().ok()
    }
}

/// Most columns read per row: a sheet wider than this is not customer data.
const MAX_COLUMNS: u32 = 1024;

/// Streams the rows of `sheet`.
pub(crate) fn rows(path: &Path, book: Book, sheet: String) -> Rows {
    let (tx, rx) = sync_channel::<std::io::Result<Row>>(256);
    let path: PathBuf = path.to_owned();
    std::thread::spawn(move || {
        let run = || -> std::io::Result<()> {
            if book == Book::Parquet {
                use parquet::file::reader::{FileReader, SerializedFileReader};
                let reader = SerializedFileReader::new(File::open(&path)?).map_err(err)?;
                let names: Vec<String> = reader
                    .metadata()
                    .file_metadata()
                    .schema_descr()
                    .root_schema()
                    .get_fields()
                    .iter()
                    .take(MAX_COLUMNS as usize)
                    .map(|f| f.name().to_owned())
                    .collect();
                if tx.send(Ok((1, names))).is_err() {
                    return Ok(());
                }
                for (i, row) in reader.get_row_iter(None).map_err(err)?.enumerate() {
                    let cells = row
                        .map_err(err)?
                        .get_column_iter()
                        .take(MAX_COLUMNS as usize)
                        .map(|(_, v)| text_of_parquet(v))
                        .collect();
                    if tx.send(Ok((i as u64 + 2, cells))).is_err() {
                        return Ok(());
                    }
                }
                return Ok(());
            }
            let r = BufReader::new(File::open(&path)?);
            match book {
                Book::Xlsx => {
                    let mut wb = calamine::Xlsx::new(r).map_err(err)?;
                    let mut cells = wb.worksheet_cells_reader(&sheet).map_err(err)?;
                    let mut current: Option<(u32, Vec<String>)> = None;
                    while let Some(cell) = cells.next_cell().map_err(err)? {
                        let (row, col) = cell.get_position();
                        if col >= MAX_COLUMNS {
                            continue;
                        }
                        if current.as_ref().is_some_and(|(r, _)| *r != row) {
                            if let Some((r, cells)) = current.take() {
                                if tx.send(Ok((u64::from(r) + 1, cells))).is_err() {
                                    return Ok(());
                                }
                            }
                        }
                        let entry = current.get_or_insert_with(|| (row, Vec::new()));
                        let col = col as usize;
                        if entry.1.len() <= col {
                            entry.1.resize(col + 1, String::new());
                        }
                        entry.1[col] = text_of_ref(cell.get_value());
                    }
                    if let Some((r, cells)) = current {
                        let _ = tx.send(Ok((u64::from(r) + 1, cells)));
                    }
                }
                Book::Parquet => {}
                Book::Xls | Book::Ods => {
                    let range = match book {
                        Book::Xls => calamine::Xls::new(r)
                            .map_err(err)?
                            .worksheet_range(&sheet)
                            .map_err(err)?,
                        _ => calamine::Ods::new(r)
                            .map_err(err)?
                            .worksheet_range(&sheet)
                            .map_err(err)?,
                    };
                    let first_row = range.start().map_or(0, |(r, _)| r);
                    let first_col = range.start().map_or(0, |(_, c)| c) as usize;
                    for (i, row) in range.rows().enumerate() {
                        let mut cells = vec![String::new(); first_col];
                        cells.extend(row.iter().take(MAX_COLUMNS as usize).map(text_of));
                        if tx
                            .send(Ok((u64::from(first_row) + i as u64 + 1, cells)))
                            .is_err()
                        {
                            return Ok(());
                        }
                    }
                }
            }
            Ok(())
        };
        // A parser that panics on a damaged file (calamine, parquet) must not end the
        // rows silently, as if the file were complete: it becomes a read error.
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                let _ = tx.send(Err(e));
            }
            Err(_) => {
                let _ = tx.send(Err(std::io::Error::other(
                    "the file is damaged (its parser gave up)",
                )));
            }
        }
    });
    Rows { rx }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_numbers() {
        assert_eq!(excel_date(31_108.0), "1985-03-02");
        assert_eq!(excel_date(25_569.5), "1970-01-01");
        assert_eq!(number(4915123456789.0), "4915123456789");
        assert_eq!(number(12.5), "12.5");
    }
}
