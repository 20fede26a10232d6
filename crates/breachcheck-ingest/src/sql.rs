//! SQL dumps, streamed tuple by tuple: MySQL and PostgreSQL `INSERT … VALUES (…),(…);`
//! (column lists from the statement or an earlier `CREATE TABLE`), and PostgreSQL
//! `COPY … FROM stdin` blocks. Hand-written: no SQL crate streams the tuples of a
//! multi-gigabyte INSERT without building its syntax tree in memory.
use std::collections::HashMap;
use std::io::BufRead;
use std::sync::Arc;

/// Longest string value kept; longer values are cut (a tuple is still one record).
const MAX_VALUE: usize = 1 << 20;

/// What the reader yields.
pub(crate) enum SqlItem {
    /// One tuple of a table.
    Tuple {
        table: Arc<str>,
        columns: Arc<Vec<String>>,
        line: u64,
        cells: Vec<String>,
    },
    /// A tuple that could not be read (the statement's rest is skipped).
    Malformed { table: Arc<str>, line: u64 },
}

enum State {
    Top,
    Values {
        table: Arc<str>,
        columns: Arc<Vec<String>>,
    },
    Copy {
        table: Arc<str>,
        columns: Arc<Vec<String>>,
    },
}

/// Pull parser over a decoded dump.
pub(crate) struct SqlReader {
    r: Box<dyn BufRead + Send>,
    line: u64,
    state: State,
    tables: HashMap<String, Arc<Vec<String>>>,
    /// Whether backslash escapes apply inside '…' (MySQL; PostgreSQL only in E'…').
    backslash_escapes: bool,
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

impl SqlReader {
    pub(crate) fn new(r: Box<dyn BufRead + Send>, backslash_escapes: bool) -> Self {
        SqlReader {
            r,
            line: 1,
            state: State::Top,
            tables: HashMap::new(),
            backslash_escapes,
        }
    }

    fn peek(&mut self) -> std::io::Result<Option<u8>> {
        Ok(self.r.fill_buf()?.first().copied())
    }

    fn bump(&mut self) -> std::io::Result<Option<u8>> {
        let b = self.peek()?;
        if let Some(c) = b {
            self.r.consume(1);
            if c == b'\n' {
                self.line += 1;
            }
        }
        Ok(b)
    }

    /// Skips white space and comments (`-- …`, `# …`, `/* … */`).
    fn skip_ws(&mut self) -> std::io::Result<()> {
        loop {
            match self.peek()? {
                Some(b' ' | b'\t' | b'\r' | b'\n') => {
                    self.bump()?;
                }
                Some(b'#') => self.skip_line()?,
                Some(b'-') => {
                    let buf = self.r.fill_buf()?;
                    if buf.len() >= 2 && buf[1] == b'-' {
                        self.skip_line()?;
                    } else {
                        return Ok(());
                    }
                }
                Some(b'/') => {
                    let buf = self.r.fill_buf()?;
                    if buf.len() >= 2 && buf[1] == b'*' {
                        self.bump()?;
                        self.bump()?;
                        let mut prev = 0u8;
                        while let Some(c) = self.bump()? {
                            if prev == b'*' && c == b'/' {
                                break;
                            }
                            prev = c;
                        }
                    } else {
                        return Ok(());
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn skip_line(&mut self) -> std::io::Result<()> {
        while let Some(c) = self.bump()? {
            if c == b'\n' {
                break;
            }
        }
        Ok(())
    }

    fn word(&mut self) -> std::io::Result<String> {
        let mut w = Vec::new();
        while let Some(c) = self.peek()? {
            if is_ident(c) && w.len() < 256 {
                w.push(c);
                self.bump()?;
            } else {
                break;
            }
        }
        Ok(String::from_utf8_lossy(&w).into_owned())
    }

    /// An identifier, quoted or not, schema-qualified or not (the last part is kept).
    fn ident(&mut self) -> std::io::Result<String> {
        loop {
            self.skip_ws()?;
            let part = match self.peek()? {
                Some(q @ (b'`' | b'"' | b'[')) => {
                    self.bump()?;
                    let close = if q == b'[' { b']' } else { q };
                    let mut v = Vec::new();
                    while let Some(c) = self.bump()? {
                        if c == close {
                            break;
                        }
                        if v.len() < 256 {
                            v.push(c);
                        }
                    }
                    String::from_utf8_lossy(&v).into_owned()
                }
                _ => self.word()?,
            };
            if self.peek()? == Some(b'.') {
                self.bump()?;
                continue;
            }
            return Ok(part);
        }
    }

    /// `(a, b, c)` → names.
    fn column_list(&mut self) -> std::io::Result<Vec<String>> {
        let mut cols = Vec::new();
        self.bump()?; // (
        loop {
            let c = self.ident()?;
            if !c.is_empty() && cols.len() < 4096 {
                cols.push(c);
            }
            self.skip_ws()?;
            match self.bump()? {
                Some(b',') => continue,
                _ => return Ok(cols),
            }
        }
    }

    /// Skips to the end of the current statement (`;` outside quotes).
    fn skip_statement(&mut self) -> std::io::Result<()> {
        let mut quote: Option<u8> = None;
        while let Some(c) = self.bump()? {
            match quote {
                Some(q) if c == b'\\' && self.backslash_escapes && q == b'\'' => {
                    self.bump()?;
                }
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == b'\'' || c == b'"' || c == b'`' => quote = Some(c),
                None if c == b';' => return Ok(()),
                None => {}
            }
        }
        Ok(())
    }

    /// Column names of `CREATE TABLE name ( defs )`.
    fn create_table(&mut self) -> std::io::Result<()> {
        self.skip_ws()?;
        let mut w = self.word()?;
        while matches!(w.to_ascii_uppercase().as_str(), "TEMPORARY" | "UNLOGGED") {
            self.skip_ws()?;
            w = self.word()?;
        }
        if !w.eq_ignore_ascii_case("TABLE") {
            return self.skip_statement();
        }
        let mut table = self.ident()?;
        if table.eq_ignore_ascii_case("IF") {
            // IF NOT EXISTS name
            self.ident()?;
            self.ident()?;
            table = self.ident()?;
        }
        self.skip_ws()?;
        if self.peek()? != Some(b'(') {
            return self.skip_statement();
        }
        self.bump()?;
        let mut cols = Vec::new();
        let mut depth = 1;
        let mut at_def_start = true;
        while depth > 0 {
            self.skip_ws()?;
            if at_def_start {
                at_def_start = false;
                let name = self.ident()?;
                let kw = name.to_ascii_uppercase();
                let constraint = [
                    "PRIMARY",
                    "KEY",
                    "UNIQUE",
                    "CONSTRAINT",
                    "INDEX",
                    "FOREIGN",
                    "FULLTEXT",
                    "CHECK",
                    "SPATIAL",
                    "EXCLUDE",
                ]
                .contains(&kw.as_str());
                if !name.is_empty() && !constraint && cols.len() < 4096 {
                    cols.push(name);
                }
                continue;
            }
            match self.bump()? {
                None => break,
                Some(b'(') => depth += 1,
                Some(b')') => depth -= 1,
                Some(b',') if depth == 1 => at_def_start = true,
                Some(q @ (b'\'' | b'"' | b'`')) => {
                    while let Some(c) = self.bump()? {
                        if c == q {
                            break;
                        }
                    }
                }
                Some(_) => {}
            }
        }
        self.tables.insert(table, Arc::new(cols));
        self.skip_statement()
    }

    /// The statement's column list if it has one (remembered for later statements without
    /// one), else the table's columns from `CREATE TABLE` or an earlier list.
    fn columns_for(&mut self, table: &str) -> std::io::Result<Arc<Vec<String>>> {
        if self.peek()? == Some(b'(') {
            let cols = Arc::new(self.column_list()?);
            self.tables
                .entry(table.to_owned())
                .or_insert_with(|| cols.clone());
            Ok(cols)
        } else {
            Ok(self.tables.get(table).cloned().unwrap_or_default())
        }
    }

    /// After `INSERT`: `[IGNORE] INTO name [(cols)] VALUES`.
    fn insert_header(&mut self) -> std::io::Result<bool> {
        loop {
            self.skip_ws()?;
            let w = self.word()?;
            match w.to_ascii_uppercase().as_str() {
                "INTO" => break,
                "IGNORE" | "LOW_PRIORITY" | "DELAYED" | "HIGH_PRIORITY" => continue,
                _ => return Ok(false),
            }
        }
        let table = self.ident()?;
        self.skip_ws()?;
        let columns = self.columns_for(&table)?;
        self.skip_ws()?;
        let w = self.word()?;
        if !w.eq_ignore_ascii_case("VALUES") && !w.eq_ignore_ascii_case("VALUE") {
            return Ok(false);
        }
        self.state = State::Values {
            table: Arc::from(table.as_str()),
            columns,
        };
        Ok(true)
    }

    /// After `COPY`: `name [(cols)] FROM stdin;` then rows until `\.`.
    fn copy_header(&mut self) -> std::io::Result<bool> {
        let table = self.ident()?;
        self.skip_ws()?;
        let columns = self.columns_for(&table)?;
        self.skip_ws()?;
        let from = self.word()?;
        self.skip_ws()?;
        let src = self.word()?;
        if !from.eq_ignore_ascii_case("FROM") || !src.eq_ignore_ascii_case("STDIN") {
            return Ok(false);
        }
        self.skip_statement()?;
        self.skip_line()?;
        self.state = State::Copy {
            table: Arc::from(table.as_str()),
            columns,
        };
        Ok(true)
    }

    /// One value of a tuple: a quoted string (unescaped), or a bare token (NULL → empty).
    fn value(&mut self) -> std::io::Result<Option<String>> {
        self.skip_ws()?;
        let mut v: Vec<u8> = Vec::new();
        let mut escapes = self.backslash_escapes;
        let first = self.peek()?;
        if matches!(first, Some(b'E' | b'e' | b'N' | b'n' | b'_' | b'X' | b'x')) {
            // E'…' (escapes), N'…' (national), _utf8'…', X'…' (hex, kept as text).
            let buf = self.r.fill_buf()?;
            if buf.len() >= 2 && buf[1] == b'\'' {
                escapes |= matches!(first, Some(b'E' | b'e'));
                self.bump()?;
            } else if first == Some(b'_') {
                self.word()?;
                self.skip_ws()?;
            }
        }
        match self.peek()? {
            Some(q @ (b'\'' | b'"')) => {
                self.bump()?;
                loop {
                    let Some(c) = self.bump()? else {
                        return Ok(None);
                    };
                    if c == b'\\' && escapes {
                        let Some(e) = self.bump()? else {
                            return Ok(None);
                        };
                        let un = match e {
                            b'n' => Some(b'\n'),
                            b't' => Some(b'\t'),
                            b'r' => Some(b'\r'),
                            b'0' => None,
                            b'Z' => Some(0x1a),
                            b'b' => Some(0x08),
                            b'%' | b'_' => {
                                v.push(b'\\');
                                Some(e)
                            }
                            other => Some(other),
                        };
                        if let Some(u) = un {
                            if v.len() < MAX_VALUE {
                                v.push(u);
                            }
                        }
                    } else if c == q {
                        if self.peek()? == Some(q) {
                            self.bump()?;
                            v.push(q);
                        } else {
                            break;
                        }
                    } else if v.len() < MAX_VALUE {
                        v.push(c);
                    }
                }
                Ok(Some(String::from_utf8_lossy(&v).into_owned()))
            }
            _ => {
                let mut depth = 0;
                while let Some(c) = self.peek()? {
                    match c {
                        b'(' => depth += 1,
                        b')' if depth == 0 => break,
                        b')' => depth -= 1,
                        b',' if depth == 0 => break,
                        b';' if depth == 0 => break,
                        _ => {}
                    }
                    self.bump()?;
                    if v.len() < 256 {
                        v.push(c);
                    }
                }
                let t = String::from_utf8_lossy(&v).trim().to_owned();
                Ok(Some(if t.eq_ignore_ascii_case("NULL") {
                    String::new()
                } else {
                    t
                }))
            }
        }
    }

    fn copy_row(
        &mut self,
        table: Arc<str>,
        columns: Arc<Vec<String>>,
    ) -> std::io::Result<Option<SqlItem>> {
        let line = self.line;
        let mut raw = Vec::new();
        let mut any = false;
        while let Some(c) = self.bump()? {
            any = true;
            if c == b'\n' {
                break;
            }
            if raw.len() < MAX_VALUE {
                raw.push(c);
            }
        }
        if !any {
            self.state = State::Top;
            return Ok(None);
        }
        if raw.last() == Some(&b'\r') {
            raw.pop();
        }
        if raw == b"\\." {
            self.state = State::Top;
            return Ok(None);
        }
        self.state = State::Copy {
            table: table.clone(),
            columns: columns.clone(),
        };
        let text = String::from_utf8_lossy(&raw);
        let cells = text.split('\t').map(unescape_copy).collect();
        Ok(Some(SqlItem::Tuple {
            table,
            columns,
            line,
            cells,
        }))
    }

    /// The next tuple (or malformed tuple), `None` at the end of the dump.
    pub(crate) fn next_item(&mut self) -> Option<std::io::Result<SqlItem>> {
        self.step().transpose()
    }

    fn step(&mut self) -> std::io::Result<Option<SqlItem>> {
        loop {
            match std::mem::replace(&mut self.state, State::Top) {
                State::Top => {
                    self.skip_ws()?;
                    if self.peek()?.is_none() {
                        return Ok(None);
                    }
                    let w = self.word()?;
                    let ok = match w.to_ascii_uppercase().as_str() {
                        "INSERT" | "REPLACE" => self.insert_header()?,
                        "COPY" => self.copy_header()?,
                        "CREATE" => {
                            self.create_table()?;
                            true
                        }
                        "" => {
                            self.bump()?; // stray punctuation
                            true
                        }
                        _ => false,
                    };
                    if !ok {
                        self.skip_statement()?;
                    }
                }
                State::Copy { table, columns } => {
                    if let Some(item) = self.copy_row(table, columns)? {
                        return Ok(Some(item));
                    }
                }
                State::Values { table, columns } => {
                    self.skip_ws()?;
                    match self.peek()? {
                        Some(b',') => {
                            self.bump()?;
                            self.state = State::Values { table, columns };
                        }
                        Some(b'(') => {
                            let line = self.line;
                            self.bump()?;
                            let mut cells = Vec::new();
                            let ok = loop {
                                let Some(v) = self.value()? else { break false };
                                if cells.len() < 4096 {
                                    cells.push(v);
                                }
                                self.skip_ws()?;
                                match self.bump()? {
                                    Some(b',') => continue,
                                    Some(b')') => break true,
                                    _ => break false,
                                }
                            };
                            if ok {
                                self.state = State::Values {
                                    table: table.clone(),
                                    columns: columns.clone(),
                                };
                                return Ok(Some(SqlItem::Tuple {
                                    table,
                                    columns,
                                    line,
                                    cells,
                                }));
                            }
                            self.skip_statement()?;
                            return Ok(Some(SqlItem::Malformed { table, line }));
                        }
                        Some(b';') => {
                            self.bump()?;
                        }
                        _ => self.skip_statement()?, // ON DUPLICATE KEY UPDATE …, RETURNING …
                    }
                }
            }
        }
    }
}

/// PostgreSQL COPY text format: `\N` is NULL, backslash escapes.
fn unescape_copy(field: &str) -> String {
    if field == "\\N" {
        return String::new();
    }
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some(o) => out.push(o),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether decoded text looks like an SQL dump.
pub(crate) fn looks_like_dump(text: &str) -> bool {
    let upper: String = text
        .chars()
        .take(64 * 1024)
        .collect::<String>()
        .to_ascii_uppercase();
    upper.contains("INSERT INTO") || (upper.contains("COPY ") && upper.contains("FROM STDIN"))
}

/// Whether the dump uses MySQL string escapes (backslashes) rather than standard strings.
pub(crate) fn uses_backslash_escapes(text: &str) -> bool {
    let pg = text.contains("pg_dump")
        || text.contains("standard_conforming_strings = on")
        || text.contains("PostgreSQL database dump");
    !pg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(dump: &str, mysql: bool) -> Vec<(String, Vec<String>, u64, Vec<String>)> {
        let mut r = SqlReader::new(
            Box::new(std::io::Cursor::new(dump.as_bytes().to_vec())),
            mysql,
        );
        let mut out = Vec::new();
        while let Some(item) = r.next_item() {
            match item.expect("in memory") {
                SqlItem::Tuple {
                    table,
                    columns,
                    line,
                    cells,
                } => out.push((table.to_string(), columns.to_vec(), line, cells)),
                SqlItem::Malformed { table, line } => {
                    out.push((table.to_string(), vec![], line, vec!["<malformed>".into()]))
                }
            }
        }
        out
    }

    #[test]
    fn mysql_inserts_with_escapes_and_create_table_columns() {
        let dump = "-- MySQL dump\n/*!40101 SET NAMES utf8 */;\nCREATE TABLE `users` (\n  `id` int NOT NULL,\n  `email` varchar(255),\n  `name` varchar(64) DEFAULT 'x,y',\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB;\nINSERT INTO `users` VALUES (1,'a@b.org','O\\'Brien'),(2,'c@d.org',NULL),\n(3,'e@f.org','semi;colon');\nINSERT INTO orders (oid, total) VALUES (7, 12.5);\n";
        let t = read(dump, true);
        assert_eq!(t.len(), 4);
        assert_eq!(
            t[0],
            (
                "users".into(),
                vec!["id".into(), "email".into(), "name".into()],
                9,
                vec!["1".into(), "a@b.org".into(), "O'Brien".into()]
            )
        );
        assert_eq!(t[1].3, ["2", "c@d.org", ""]);
        assert_eq!(t[2].2, 10);
        assert_eq!(t[2].3[2], "semi;colon");
        assert_eq!(
            (t[3].0.as_str(), t[3].1.clone(), t[3].3.clone()),
            (
                "orders",
                vec!["oid".into(), "total".into()],
                vec!["7".into(), "12.5".into()]
            )
        );
    }

    #[test]
    fn postgres_copy_and_standard_strings() {
        let dump = "-- PostgreSQL database dump\nSET standard_conforming_strings = on;\nCOPY public.customers (id, email, city) FROM stdin;\n1\tana@example.es\tM\\u00e1laga\n2\t\\N\tK\\\\oln\n\\.\nINSERT INTO public.customers VALUES (3, 'o''hara@x.ie', 'C:\\dir');\n";
        let t = read(dump, false);
        assert_eq!(t.len(), 3);
        assert_eq!(t[0].3, ["1", "ana@example.es", "Mu00e1laga"]);
        assert_eq!(t[1].3, ["2", "", "K\\oln"]);
        assert_eq!(t[1].2, 5);
        assert_eq!(t[2].3, ["3", "o'hara@x.ie", "C:\\dir"]);
        assert_eq!(t[2].1, ["id", "email", "city"]);
    }

    #[test]
    fn broken_tuples_are_reported_and_reading_goes_on() {
        let dump =
            "INSERT INTO t VALUES (1,'a'),(2,'unterminated);\nINSERT INTO t VALUES (3,'c');\n";
        let t = read(dump, true);
        assert!(t.iter().any(|x| x.3 == ["<malformed>"]), "{t:?}");
        assert_eq!(t[0].3, ["1", "a"]);
    }
}
