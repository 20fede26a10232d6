//! SQL dumps, streamed tuple by tuple: MySQL and PostgreSQL `INSERT … VALUES (…),(…);`
//! (column lists from the statement or an earlier `CREATE TABLE`), and PostgreSQL
//! `COPY … FROM stdin` blocks. Hand-written: no SQL crate streams the tuples of a
//! multi-gigabyte INSERT without building its syntax tree in memory.
//!
//! Nothing is skipped in silence. Statements that hold no data (`SET`, `CREATE`, `LOCK
//! TABLES`, `BEGIN`, comments, client commands such as `DELIMITER` or psql's `\connect`)
//! are passed over; anything else between statements — binary junk, stray text, a
//! statement cut short — is reported as a malformed line with its line number, and reading
//! goes on at the next line. A statement never runs on past a line that starts a new one
//! (`INSERT INTO`, `COPY`, `CREATE TABLE`, … at column 0): a truncated INSERT or an
//! unclosed quote costs its own line, not the good tuples after it.
use std::collections::{HashMap, VecDeque};
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
    /// A tuple that could not be read (the rest of its line is skipped), or a line between
    /// statements that is not SQL. `table` is the table the tuple belongs to, or for a
    /// line between statements the table whose tuples came last (empty before the first).
    /// `not_sql` tells the second from the first: text that is no statement says nothing
    /// about the quoting of the tuples around it.
    Malformed {
        table: Arc<str>,
        line: u64,
        not_sql: bool,
    },
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

/// How the head of a data statement (`INSERT`, `COPY`) reads.
enum InsertHead {
    /// `… VALUES` or `… FROM stdin`: tuples follow.
    Values,
    /// A statement without literal tuples (`INSERT … SELECT`, MySQL's `INSERT … SET`,
    /// `COPY … TO stdout`).
    NoTuples,
    /// Not such a statement: cut short, or text that starts with the word.
    Broken,
}

/// Lines that start a statement, as dump tools write them (at column 0). A
/// statement or quoted string still open when such a line begins was cut short: the line
/// is read as the next statement instead of being swallowed into the broken one.
const STATEMENT_LINES: &[&[u8]] = &[
    b"INSERT INTO ",
    b"INSERT IGNORE ",
    b"REPLACE INTO ",
    b"insert into ",
    b"Insert into ",
    b"COPY ",
    b"CREATE TABLE ",
    b"DROP TABLE ",
    b"ALTER TABLE ",
    b"LOCK TABLES ",
    b"UNLOCK TABLES",
];

/// Statements without data that dumps and scripts hold, skipped up to their `;`.
const OTHER_STATEMENTS: &[&str] = &[
    "ABORT",
    "ALTER",
    "ANALYSE",
    "ANALYZE",
    "BEGIN",
    "CALL",
    "CHANGE",
    "CHECKPOINT",
    "CLUSTER",
    "COMMENT",
    "COMMIT",
    "DEALLOCATE",
    "DECLARE",
    "DELETE",
    "DISCARD",
    "DO",
    "DROP",
    "END",
    "EXEC",
    "EXECUTE",
    "EXPLAIN",
    "FLUSH",
    "GRANT",
    "IF",
    "IMPORT",
    "LISTEN",
    "LOAD",
    "LOCK",
    "NOTIFY",
    "OPTIMIZE",
    "PRAGMA",
    "PREPARE",
    "PRINT",
    "REFRESH",
    "REINDEX",
    "RELEASE",
    "RENAME",
    "RESET",
    "REVOKE",
    "ROLLBACK",
    "SAVEPOINT",
    "SECURITY",
    "SELECT",
    "SET",
    "SHOW",
    "START",
    "TRUNCATE",
    "UNLOCK",
    "UPDATE",
    "USE",
    "VACUUM",
    "WITH",
];

/// Client commands that end at the end of their line, not at a `;` (SQL Server's `GO`,
/// SQL*Plus, the mysql client's `source`).
const LINE_COMMANDS: &[&str] = &[
    "EXIT", "GO", "PROMPT", "QUIT", "REM", "REMARK", "SOURCE", "SPOOL", "WHENEVER",
];

/// The keyword a word spells, upper-cased, when it is written the way SQL is: all upper or
/// all lower case. "Set", "Update" or "Delete" capitalised start a sentence of text that
/// found its way into the dump, not a statement.
fn keyword(w: &str) -> Option<String> {
    if w.is_empty() || !w.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_') {
        return None;
    }
    let upper = w.to_ascii_uppercase();
    (upper == w || w.to_ascii_lowercase() == w).then_some(upper)
}

/// Pull parser over a decoded dump.
pub(crate) struct SqlReader {
    r: Box<dyn BufRead + Send>,
    /// Bytes read ahead of the parser (looking at the start of the next line).
    ahead: VecDeque<u8>,
    line: u64,
    state: State,
    tables: HashMap<String, Arc<Vec<String>>>,
    /// Whether backslash escapes apply inside '…' (MySQL; PostgreSQL only in E'…').
    backslash_escapes: bool,
    /// Inside a statement: a line that starts another one ends it (see [`STATEMENT_LINES`]).
    fence_active: bool,
    /// Such a line was reached: the statement reads as ended until the parser is back at
    /// the top level.
    fenced: bool,
    /// The table whose tuples came last: a malformed line between statements is counted
    /// in its part.
    last_table: Option<Arc<str>>,
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// What reading a statement at the top level came to.
enum Step {
    /// The end of the dump.
    End,
    /// Something to hand on.
    Item(SqlItem),
    /// Read on (a statement without data was passed over, or a data statement began).
    Next,
}

impl SqlReader {
    pub(crate) fn new(r: Box<dyn BufRead + Send>, backslash_escapes: bool) -> Self {
        SqlReader {
            r,
            ahead: VecDeque::new(),
            line: 1,
            state: State::Top,
            tables: HashMap::new(),
            backslash_escapes,
            fence_active: false,
            fenced: false,
            last_table: None,
        }
    }

    /// The next byte; `None` at the end of the input, or past a fence.
    fn peek(&mut self) -> std::io::Result<Option<u8>> {
        if self.fenced {
            return Ok(None);
        }
        if let Some(&b) = self.ahead.front() {
            return Ok(Some(b));
        }
        Ok(self.r.fill_buf()?.first().copied())
    }

    /// The next `n` bytes (fewer at the end of the input), fence or not. A `BufRead` shows
    /// only what its buffer holds, which may end one byte later.
    fn peek_n(&mut self, n: usize) -> std::io::Result<&[u8]> {
        while self.ahead.len() < n {
            let buf = self.r.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let take = buf.len().min(n - self.ahead.len());
            self.ahead.extend(&buf[..take]);
            self.r.consume(take);
        }
        Ok(self.ahead.make_contiguous())
    }

    fn bump(&mut self) -> std::io::Result<Option<u8>> {
        let b = self.peek()?;
        if let Some(c) = b {
            if self.ahead.pop_front().is_none() {
                self.r.consume(1);
            }
            if c == b'\n' {
                self.line += 1;
                if self.fence_active {
                    let head = self.peek_n(16)?;
                    self.fenced = STATEMENT_LINES.iter().any(|s| head.starts_with(s));
                }
            }
        }
        Ok(b)
    }

    /// Moves the bytes up to the next `stop`, backslash (when `escapes`) or line break
    /// from the reader's buffer into `out` (kept up to [`MAX_VALUE`]) at once: the plain
    /// run of a string or a COPY row, which byte-by-byte reading would spend most of its
    /// time on. Stops short of anything [`SqlReader::bump`] must see. Returns how many
    /// bytes it read.
    fn take_plain(&mut self, stop: u8, escapes: bool, out: &mut Vec<u8>) -> std::io::Result<usize> {
        if self.fenced || !self.ahead.is_empty() {
            return Ok(0);
        }
        let buf = self.r.fill_buf()?;
        let n = buf
            .iter()
            .position(|&b| b == stop || b == b'\n' || (escapes && b == b'\\'))
            .unwrap_or(buf.len());
        let keep = n.min(MAX_VALUE.saturating_sub(out.len()));
        out.extend_from_slice(&buf[..keep]);
        self.r.consume(n);
        Ok(n)
    }

    /// Skips white space and comments (`-- …`, `# …`, `/* … */`).
    fn skip_ws(&mut self) -> std::io::Result<()> {
        loop {
            match self.peek()? {
                Some(b' ' | b'\t' | b'\r' | b'\n') => {
                    self.bump()?;
                }
                Some(b'#') => self.skip_line()?,
                Some(b'-') if self.peek_n(2)?.get(1) == Some(&b'-') => self.skip_line()?,
                Some(b'/') if self.peek_n(2)?.get(1) == Some(&b'*') => {
                    self.bump()?;
                    self.bump()?;
                    self.skip_comment_body()?;
                }
                _ => return Ok(()),
            }
        }
    }

    /// After `/*`: up to and with the closing `*/`.
    fn skip_comment_body(&mut self) -> std::io::Result<()> {
        let mut prev = 0u8;
        while let Some(c) = self.bump()? {
            if prev == b'*' && c == b'/' {
                break;
            }
            prev = c;
        }
        Ok(())
    }

    fn skip_line(&mut self) -> std::io::Result<()> {
        while let Some(c) = self.bump()? {
            if c == b'\n' {
                break;
            }
        }
        Ok(())
    }

    /// The rest of the line (at most 256 bytes kept), its line break consumed.
    fn rest_of_line(&mut self) -> std::io::Result<Vec<u8>> {
        let mut v = Vec::new();
        while let Some(c) = self.bump()? {
            if c == b'\n' {
                break;
            }
            if v.len() < 256 {
                v.push(c);
            }
        }
        Ok(v)
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

    /// `(a, b, c)` → names; `None` when the list is not closed.
    fn column_list(&mut self) -> std::io::Result<Option<Vec<String>>> {
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
                Some(b')') => return Ok(Some(cols)),
                _ => return Ok(None),
            }
        }
    }

    /// Skips to the end of the current statement (`;` outside quotes and comments).
    /// `false` when a line starting another statement came first: this one was cut short.
    fn skip_statement(&mut self) -> std::io::Result<bool> {
        let mut quote: Option<u8> = None;
        let mut prev = b' ';
        while let Some(c) = self.bump()? {
            match quote {
                Some(q) if c == b'\\' && self.backslash_escapes && q == b'\'' => {
                    self.bump()?;
                }
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None => match c {
                    b'\'' | b'"' | b'`' => quote = Some(c),
                    b';' => return Ok(true),
                    b'\n' if self.at_go_line()? => {
                        self.skip_line()?;
                        return Ok(true);
                    }
                    b'$' if !is_ident(prev) => self.skip_dollar_quoted()?,
                    b'-' if self.peek()? == Some(b'-') => self.skip_line()?,
                    b'/' if self.peek()? == Some(b'*') => {
                        self.bump()?;
                        self.skip_comment_body()?;
                    }
                    _ => {}
                },
            }
            prev = c;
        }
        Ok(!self.fenced)
    }

    /// Whether the next line is SQL Server's `GO`, which ends a batch of statements that
    /// need no `;`.
    fn at_go_line(&mut self) -> std::io::Result<bool> {
        let head = self.peek_n(4)?;
        let go = head.get(..2).is_some_and(|h| h.eq_ignore_ascii_case(b"GO"));
        Ok(go && matches!(head.get(2..), Some([] | [b'\n', ..] | [b'\r', b'\n', ..])))
    }

    /// After a `$` outside quotes: a PostgreSQL dollar-quoted string (`$$…$$`,
    /// `$body$…$body$`), as function bodies are written. A body may hold anything, INSERT
    /// lines at column 0 too, so no line inside it ends the statement. A `$` that opens no
    /// such string (`$1`) is passed over.
    fn skip_dollar_quoted(&mut self) -> std::io::Result<()> {
        let mut tag = Vec::new();
        loop {
            match self.peek()? {
                Some(b'$') => {
                    self.bump()?;
                    break;
                }
                Some(c)
                    if tag.len() < 64
                        && (c.is_ascii_alphabetic()
                            || c == b'_'
                            || c >= 0x80
                            || (c.is_ascii_digit() && !tag.is_empty())) =>
                {
                    tag.push(c);
                    self.bump()?;
                }
                _ => return Ok(()),
            }
        }
        let fence = std::mem::replace(&mut self.fence_active, false);
        // How much of the closing `$tag$` has been seen: `$` and this many tag bytes.
        let mut seen: Option<usize> = None;
        while let Some(c) = self.bump()? {
            seen = match seen {
                Some(i) if i == tag.len() && c == b'$' => break,
                Some(i) if i < tag.len() && c == tag[i] => Some(i + 1),
                _ if c == b'$' => Some(0),
                _ => None,
            };
        }
        self.fence_active = fence;
        Ok(())
    }

    /// Column names of `CREATE TABLE name ( defs )`; other `CREATE` statements are
    /// skipped. `false` when the statement was cut short (its columns are not kept).
    fn create_table(&mut self) -> std::io::Result<bool> {
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
        if depth > 0 {
            return Ok(false);
        }
        self.tables.insert(table, Arc::new(cols));
        self.skip_statement()
    }

    /// The statement's column list if it has one (remembered for later statements without
    /// one), else the table's columns from `CREATE TABLE` or an earlier list; `None` when
    /// the list is not closed.
    fn columns_for(&mut self, table: &str) -> std::io::Result<Option<Arc<Vec<String>>>> {
        if self.peek()? == Some(b'(') {
            let Some(cols) = self.column_list()? else {
                return Ok(None);
            };
            let cols = Arc::new(cols);
            self.tables
                .entry(table.to_owned())
                .or_insert_with(|| cols.clone());
            Ok(Some(cols))
        } else {
            Ok(Some(self.tables.get(table).cloned().unwrap_or_default()))
        }
    }

    /// After `INSERT`: `[IGNORE] INTO name [(cols)] VALUES`.
    fn insert_head(&mut self) -> std::io::Result<InsertHead> {
        loop {
            self.skip_ws()?;
            let w = self.word()?;
            match w.to_ascii_uppercase().as_str() {
                "INTO" => break,
                "IGNORE" | "LOW_PRIORITY" | "DELAYED" | "HIGH_PRIORITY" => continue,
                _ => return Ok(InsertHead::Broken),
            }
        }
        let table = self.ident()?;
        if table.is_empty() {
            return Ok(InsertHead::Broken);
        }
        self.skip_ws()?;
        let Some(columns) = self.columns_for(&table)? else {
            return Ok(InsertHead::Broken);
        };
        self.skip_ws()?;
        let w = self.word()?;
        Ok(match w.to_ascii_uppercase().as_str() {
            "VALUES" | "VALUE" => {
                self.state = State::Values {
                    table: Arc::from(table.as_str()),
                    columns,
                };
                InsertHead::Values
            }
            "SELECT" | "SET" | "DEFAULT" | "WITH" | "TABLE" => InsertHead::NoTuples,
            _ => InsertHead::Broken,
        })
    }

    /// After `COPY`: `name [(cols)] FROM stdin;` then rows until `\.`; any other COPY (to
    /// a file, to stdout) holds no tuples.
    fn copy_head(&mut self) -> std::io::Result<InsertHead> {
        let table = self.ident()?;
        if table.is_empty() {
            return Ok(InsertHead::Broken);
        }
        self.skip_ws()?;
        let Some(columns) = self.columns_for(&table)? else {
            return Ok(InsertHead::Broken);
        };
        self.skip_ws()?;
        let from = self.word()?;
        if !from.eq_ignore_ascii_case("FROM") {
            return Ok(if from.eq_ignore_ascii_case("TO") {
                InsertHead::NoTuples
            } else {
                InsertHead::Broken
            });
        }
        self.skip_ws()?;
        if !self.word()?.eq_ignore_ascii_case("STDIN") {
            return Ok(InsertHead::NoTuples);
        }
        self.skip_statement()?;
        self.skip_line()?;
        self.state = State::Copy {
            table: Arc::from(table.as_str()),
            columns,
        };
        Ok(InsertHead::Values)
    }

    /// The mysql client's `DELIMITER ;;` around stored routines and triggers: the lines up
    /// to the next `DELIMITER` are routine bodies and hold no data, whatever they look like
    /// (an `INSERT` at column 0 in a trigger is no tuple).
    fn delimiter(&mut self) -> std::io::Result<()> {
        self.fence_active = false;
        let d = self.rest_of_line()?;
        if matches!(String::from_utf8_lossy(&d).trim(), "" | ";") {
            return Ok(());
        }
        loop {
            let head = self.peek_n(9)?;
            if head.is_empty()
                || head
                    .get(..9)
                    .is_some_and(|h| h.eq_ignore_ascii_case(b"DELIMITER"))
            {
                return Ok(());
            }
            self.skip_line()?;
        }
    }

    /// One value of a tuple: a quoted string (unescaped), or a bare token (NULL → empty).
    fn value(&mut self) -> std::io::Result<Option<String>> {
        self.skip_ws()?;
        let mut v: Vec<u8> = Vec::new();
        let mut escapes = self.backslash_escapes;
        let first = self.peek()?;
        if matches!(first, Some(b'E' | b'e' | b'N' | b'n' | b'_' | b'X' | b'x')) {
            // E'…' (escapes), N'…' (national), _utf8'…', X'…' (hex, kept as text).
            if self.peek_n(2)?.get(1) == Some(&b'\'') {
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
                    self.take_plain(q, escapes, &mut v)?;
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

    /// One `( … )` tuple of an INSERT, the reader at its `(`.
    fn tuple(&mut self, table: Arc<str>, columns: Arc<Vec<String>>) -> std::io::Result<SqlItem> {
        let line = self.line;
        self.bump()?; // (
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
        self.last_table = Some(table.clone());
        if ok {
            self.state = State::Values {
                table: table.clone(),
                columns: columns.clone(),
            };
            return Ok(SqlItem::Tuple {
                table,
                columns,
                line,
                cells,
            });
        }
        // The rest of the line cannot be told into tuples; tuples on the next lines can.
        self.skip_line()?;
        self.resume_values(&table, &columns)?;
        Ok(SqlItem::Malformed {
            table,
            line,
            not_sql: false,
        })
    }

    /// After a line that could not be read inside an INSERT: the statement goes on if the
    /// next line continues its tuple list, else reading is back at the top level.
    fn resume_values(
        &mut self,
        table: &Arc<str>,
        columns: &Arc<Vec<String>>,
    ) -> std::io::Result<()> {
        self.skip_ws()?;
        if matches!(self.peek()?, Some(b'(' | b',')) {
            self.state = State::Values {
                table: table.clone(),
                columns: columns.clone(),
            };
        }
        Ok(())
    }

    fn copy_row(
        &mut self,
        table: Arc<str>,
        columns: Arc<Vec<String>>,
    ) -> std::io::Result<Option<SqlItem>> {
        let line = self.line;
        let mut raw = Vec::new();
        let mut any = false;
        loop {
            any |= self.take_plain(b'\n', false, &mut raw)? > 0;
            let Some(c) = self.bump()? else { break };
            any = true;
            if c == b'\n' {
                break;
            }
            if raw.len() < MAX_VALUE {
                raw.push(c);
            }
        }
        // The end of the input, or a line starting a statement: the block ended without
        // its `\.`.
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
        self.last_table = Some(table.clone());
        let text = String::from_utf8_lossy(&raw);
        let cells = text.split('\t').map(unescape_copy).collect();
        Ok(Some(SqlItem::Tuple {
            table,
            columns,
            line,
            cells,
        }))
    }

    /// The next tuple (or malformed tuple or line), `None` at the end of the dump.
    pub(crate) fn next_item(&mut self) -> Option<std::io::Result<SqlItem>> {
        self.step().transpose()
    }

    /// Reads one statement at the top level. A data statement leaves the reader in the
    /// state that reads its tuples; one without data is passed over; anything else is
    /// reported as a malformed line and reading goes on at the next line.
    fn statement(&mut self) -> std::io::Result<Step> {
        self.fence_active = false;
        self.fenced = false;
        self.skip_ws()?;
        let Some(first) = self.peek()? else {
            return Ok(Step::End);
        };
        let line = self.line;
        match first {
            b';' => {
                self.bump()?;
                return Ok(Step::Next);
            }
            // psql's meta-commands: `\connect db`, `\restrict key`, a stray `\.`.
            b'\\' => {
                self.skip_line()?;
                return Ok(Step::Next);
            }
            0xEF if self.peek_n(3)?.starts_with(b"\xEF\xBB\xBF") => {
                for _ in 0..3 {
                    self.bump()?;
                }
                return Ok(Step::Next);
            }
            _ => {}
        }
        let word = self.word()?;
        self.fence_active = true;
        let upper = word.to_ascii_uppercase();
        // Data statements in any case (Oracle SQL Developer writes `Insert into`): what
        // follows the word tells a statement from text.
        let head = match upper.as_str() {
            "INSERT" | "REPLACE" => Some(self.insert_head()?),
            "COPY" => Some(self.copy_head()?),
            _ => None,
        };
        let well_formed = match (head, keyword(&word).as_deref()) {
            (Some(InsertHead::Values), _) => return Ok(Step::Next),
            (Some(InsertHead::NoTuples), _) => self.skip_statement()?,
            (Some(InsertHead::Broken), _) => false,
            (None, Some("CREATE")) => self.create_table()?,
            (None, Some("DELIMITER")) => {
                self.delimiter()?;
                true
            }
            (None, Some(k)) if LINE_COMMANDS.contains(&k) => {
                self.skip_line()?;
                true
            }
            (None, Some(k)) if OTHER_STATEMENTS.contains(&k) => self.skip_statement()?,
            _ => false,
        };
        if well_formed {
            return Ok(Step::Next);
        }
        self.skip_line()?;
        let table = self.last_table.clone().unwrap_or_else(|| Arc::from(""));
        Ok(Step::Item(SqlItem::Malformed {
            table,
            line,
            not_sql: true,
        }))
    }

    fn step(&mut self) -> std::io::Result<Option<SqlItem>> {
        loop {
            match std::mem::replace(&mut self.state, State::Top) {
                State::Top => match self.statement()? {
                    Step::End => return Ok(None),
                    Step::Item(item) => return Ok(Some(item)),
                    Step::Next => {}
                },
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
                        Some(b'(') => return self.tuple(table, columns).map(Some),
                        Some(b';') => {
                            self.bump()?;
                        }
                        // The end of the input, or a line starting the next statement:
                        // this one was cut after a whole tuple, and no tuple is lost.
                        None => {}
                        Some(_) => {
                            let line = self.line;
                            let w = self.word()?.to_ascii_uppercase();
                            if matches!(w.as_str(), "ON" | "RETURNING" | "AS") {
                                // ON DUPLICATE KEY UPDATE …, ON CONFLICT …, RETURNING …
                                self.skip_statement()?;
                            } else if w == "GO" {
                                // SQL Server's batch end, in place of a `;`.
                                self.skip_line()?;
                            } else {
                                // Neither a tuple nor the statement's end: a broken line.
                                self.skip_line()?;
                                self.resume_values(&table, &columns)?;
                                self.last_table = Some(table.clone());
                                return Ok(Some(SqlItem::Malformed {
                                    table,
                                    line,
                                    not_sql: true,
                                }));
                            }
                        }
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
    use proptest::prelude::*;

    fn read(dump: impl AsRef<[u8]>, mysql: bool) -> Vec<(String, Vec<String>, u64, Vec<String>)> {
        let mut r = SqlReader::new(
            Box::new(std::io::Cursor::new(dump.as_ref().to_vec())),
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
                SqlItem::Malformed { table, line, .. } => {
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
        // The unclosed quote ends at the next INSERT line: its tuple is read.
        assert_eq!(
            t.last().map(|x| x.3.clone()),
            Some(vec!["3".into(), "c".into()])
        );
    }

    /// Line numbers of the malformed items, and (line, first cell) of the tuples.
    fn lines(t: &[(String, Vec<String>, u64, Vec<String>)]) -> (Vec<u64>, Vec<(u64, String)>) {
        let bad = t
            .iter()
            .filter(|x| x.3 == ["<malformed>"])
            .map(|x| x.2)
            .collect();
        let good = t
            .iter()
            .filter(|x| x.3 != ["<malformed>"])
            .map(|x| (x.2, x.3[0].clone()))
            .collect();
        (bad, good)
    }

    /// A mysqldump (synthetic) with the damage a leak sample carries: binary junk, pasted
    /// text, a truncated INSERT, a tuple short of a value, junk inside a multi-line INSERT.
    /// Lines are numbered in the comments.
    fn damaged_mysql_dump() -> Vec<u8> {
        let mut d: Vec<u8> = Vec::new();
        d.extend_from_slice(
            b"-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n\
              --\n\
              -- Host: localhost    Database: shop\n\
              /*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n\
              /*!50503 SET NAMES utf8mb4 */;\n\
              # a comment\n\
              DROP TABLE IF EXISTS `users`;\n\
              CREATE TABLE `users` (\n\
              \x20 `id` int NOT NULL AUTO_INCREMENT,\n\
              \x20 `email` varchar(255) DEFAULT NULL,\n\
              \x20 `name` varchar(64) DEFAULT 'n/a',\n\
              \x20 PRIMARY KEY (`id`)\n\
              ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n\
              LOCK TABLES `users` WRITE;\n\
              /*!40000 ALTER TABLE `users` DISABLE KEYS */;\n\
              INSERT INTO `users` VALUES (1,'ana@example.org','Ana'),(2,'bo@example.org','Bo');\n",
        ); // 1-16
        d.extend_from_slice(b"\x00\x01\xff\xfe\x93 junk 'quote ; semi\n"); // 17
        d.extend_from_slice(b"INSERT INTO `users` VALUES (3,'cy@example.org','Cy');\n"); // 18
        d.extend_from_slice(b"this is not sql at all, just text someone pasted\n"); // 19
        d.extend_from_slice(
            b"INSERT INTO `users` VALUES (4,'di@example.org','Di'),(5,'ed@example.org','E\n",
        ); // 20
        d.extend_from_slice(b"INSERT INTO `users` VALUES (6,'fa@example.org','Fa');\n"); // 21
        d.extend_from_slice(b"INSERT INTO `users` VALUES (7,'gu@example.org');\n"); // 22
        d.extend_from_slice(b"INSERT INTO `users` VALUES (8,'ha@example.org','Ha');\n"); // 23
        d.extend_from_slice(b"\x89PNG\x00\x00\x00\rIHDR\x00\x10\n"); // 24
        d.extend_from_slice(
            b"/*!40000 ALTER TABLE `users` ENABLE KEYS */;\n\
              UNLOCK TABLES;\n\
              DELIMITER ;;\n\
              CREATE TRIGGER `t` BEFORE INSERT ON `users` FOR EACH ROW BEGIN\n\
              INSERT INTO audit VALUES (NEW.id);\n\
              SET NEW.name = 'x';\n\
              END ;;\n\
              DELIMITER ;\n",
        ); // 25-32
        d.extend_from_slice(b"Set up by the admin; do not edit\n"); // 33
        d.extend_from_slice(b")) ((\n"); // 34
        d.extend_from_slice(b"INSERT INTO `users` (`id`,`email`,`name`) VALUES\n"); // 35
        d.extend_from_slice(b"(9,'io@example.org','Io'),\n"); // 36
        d.extend_from_slice(b"\x1b[31m\xfe\xfd\n"); // 37
        d.extend_from_slice(b"(10,'ju@example.org','Ju');\n"); // 38
        d.extend_from_slice(
            b"/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;\n\
              COMMIT;\n\
              -- Dump completed on 2026-01-31 12:00:00\n",
        ); // 39-41
        d
    }

    /// A pg_dump (synthetic) with the same damage, a COPY block among it, and a function
    /// body holding an INSERT at column 0.
    fn damaged_postgres_dump() -> Vec<u8> {
        let mut d: Vec<u8> = Vec::new();
        d.extend_from_slice(
            b"--\n\
              -- PostgreSQL database dump\n\
              --\n\
              \\restrict AbC123\n\
              SET statement_timeout = 0;\n\
              SET standard_conforming_strings = on;\n\
              SELECT pg_catalog.set_config('search_path', '', false);\n\
              CREATE FUNCTION public.touch() RETURNS trigger\n\
              \x20   LANGUAGE plpgsql\n\
              \x20   AS $$\n\
              BEGIN\n\
              INSERT INTO public.log VALUES (NEW.id);\n\
              RETURN NEW;\n\
              END;\n\
              $$;\n\
              CREATE TABLE public.customers (\n\
              \x20   id integer NOT NULL,\n\
              \x20   email text,\n\
              \x20   city text\n\
              );\n\
              COPY public.customers (id, email, city) FROM stdin;\n\
              1\tana@example.es\tM\xc3\xa1laga\n",
        ); // 1-22
        d.extend_from_slice(b"\x00\x01\xff garbage\n"); // 23
        d.extend_from_slice(b"2\tbo@example.es\tMadrid\n\\.\n"); // 24-25
        d.extend_from_slice(b"\x1b[31m binary junk \xfe\xfd\n"); // 26
        d.extend_from_slice(
            b"INSERT INTO public.customers VALUES (3, 'cy@example.es', 'Sevilla');\n",
        ); // 27
        d.extend_from_slice(b"lorem ipsum dolor sit amet\n"); // 28
        d.extend_from_slice(b"INSERT INTO public.customers VALUES (4, 'di@example.es', 'Bilb\n"); // 29
        d.extend_from_slice(b"INSERT INTO public.customers VALUES (5, 'ed@example.es');\n"); // 30
        d.extend_from_slice(b"Update: the export was fixed\n"); // 31
        d.extend_from_slice(b"INSERT INTO public.customers VALUES (6, 'fa@example.es', 'Vigo');\n"); // 32
        d.extend_from_slice(
            b"INSERT INTO public.customers VALUES\n\
              \x20   (7, 'gu@example.es', 'C\xc3\xa1diz'),\n\
              \x20   (8, 'ha@example.es', 'Ja\xc3\xa9n');\n\
              ALTER TABLE ONLY public.customers\n\
              \x20   ADD CONSTRAINT customers_pkey PRIMARY KEY (id);\n\
              \\unrestrict AbC123\n",
        ); // 33-38
        d
    }

    #[test]
    fn junk_between_statements_is_reported_and_good_tuples_are_kept() {
        let t = read(damaged_mysql_dump(), true);
        let (bad, good) = lines(&t);
        // 22 (a value short) is a tuple here; the part's width quarantines it.
        assert_eq!(bad, [17, 19, 20, 24, 33, 34, 37], "{t:?}");
        let ids: Vec<(u64, &str)> = good.iter().map(|(l, id)| (*l, id.as_str())).collect();
        assert_eq!(
            ids,
            [
                (16, "1"),
                (16, "2"),
                (18, "3"),
                (20, "4"),
                (21, "6"),
                (22, "7"),
                (23, "8"),
                (36, "9"),
                (38, "10")
            ]
        );
        assert!(t.iter().all(|x| x.0 == "users"), "{t:?}");

        let t = read(damaged_postgres_dump(), false);
        let (bad, good) = lines(&t);
        assert_eq!(bad, [26, 28, 29, 31], "{t:?}");
        let ids: Vec<(u64, &str)> = good.iter().map(|(l, id)| (*l, id.as_str())).collect();
        assert_eq!(
            ids,
            [
                (22, "1"),
                (23, "\u{0}\u{1}\u{fffd} garbage"),
                (24, "2"),
                (27, "3"),
                (30, "5"),
                (32, "6"),
                (34, "7"),
                (35, "8")
            ]
        );
        assert!(t.iter().all(|x| x.0 == "customers"), "{t:?}");
    }

    #[test]
    fn every_malformed_line_is_quarantined_in_its_part_and_counted() {
        // Text that is no statement is `not_sql`; a tuple cut inside a quote
        // `broken_quoting`; a tuple of the wrong width `wrong_field_count`.
        let (n, q, w) = ("not_sql", "broken_quoting", "wrong_field_count");
        for (dump, want_bad, want_ids) in [
            (
                damaged_mysql_dump(),
                vec![
                    (17, n),
                    (19, n),
                    (20, q),
                    (22, w),
                    (24, n),
                    (33, n),
                    (34, n),
                    (37, n),
                ],
                vec!["1", "2", "3", "4", "6", "8", "9", "10"],
            ),
            (
                damaged_postgres_dump(),
                vec![(23, w), (26, n), (28, n), (29, q), (30, w), (31, n)],
                vec!["1", "2", "3", "6", "7", "8"],
            ),
        ] {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("dump.sql");
            std::fs::write(&path, &dump).expect("write");
            let sample =
                crate::Sample::open(&path, &crate::IngestOptions::default()).expect("opens");
            let mut records = sample.records().expect("records");
            let (mut parts, mut bad, mut ids) = (Vec::new(), Vec::new(), Vec::new());
            for ev in records.by_ref() {
                match ev {
                    crate::Event::Part(p) => parts.push(p),
                    crate::Event::Record(r) => ids.push(r.cells[0].clone()),
                    crate::Event::Quarantined(q) => bad.push((q.part, q.line, q.reason.code())),
                    crate::Event::Failed { .. } => panic!("in-memory file cannot fail"),
                }
            }
            assert_eq!(parts.len(), 1, "{parts:?}");
            assert_eq!(parts[0].layout.columns.len(), 3);
            let want: Vec<(u32, u64, &str)> =
                want_bad.iter().map(|(l, why)| (0, *l, *why)).collect();
            assert_eq!(bad, want);
            assert_eq!(ids, want_ids);
            let s = records.stats();
            assert_eq!(
                (s.records, s.quarantined),
                (want_ids.len() as u64, want_bad.len() as u64)
            );
            assert_eq!(
                s.lines_total,
                s.records + s.quarantined + s.header_lines + s.blank_lines + s.continuation_lines
            );
        }
    }

    #[test]
    fn statements_without_data_stay_silent() {
        let dump = "SET NAMES utf8mb4;\n\
            /* a block\n comment */\n\
            -- a line comment\n\
            # a hash comment\n\
            /*!40101 SET @x=1 */;\n\
            START TRANSACTION;\n\
            BEGIN;\n\
            LOCK TABLES `t` WRITE;\n\
            CREATE TABLE t (a int, b text);\n\
            CREATE INDEX i ON t (a);\n\
            ALTER TABLE t ADD COLUMN c int;\n\
            CREATE OR REPLACE FUNCTION f() RETURNS int AS $body$\n\
            SELECT 1; -- it's\n\
            INSERT INTO t VALUES (99, 'not data');\n\
            $body$ LANGUAGE sql;\n\
            DELIMITER //\n\
            CREATE PROCEDURE p() BEGIN\n\
            IF x THEN LEAVE p; END IF;\n\
            INSERT INTO t VALUES (98, 'not data either');\n\
            END //\n\
            DELIMITER ;\n\
            INSERT INTO t SELECT * FROM u;\n\
            INSERT INTO t VALUES (1, 'x') ON DUPLICATE KEY UPDATE b = VALUES(b);\n\
            UNLOCK TABLES;\n\
            GO\n\
            COPY t TO stdout;\n\
            \\connect shop\n\
            SELECT pg_catalog.setval('s', 3, true);\n\
            COMMIT;\n\
            PRAGMA foreign_keys=OFF;\n\
            ;\n";
        let t = read(dump, true);
        assert_eq!(t.len(), 1, "{t:?}");
        assert_eq!(t[0].3, ["1", "x"]);
        assert_eq!(t[0].2, 24);
    }

    #[test]
    fn oracle_and_sql_server_scripts() {
        // SQL Developer's `Insert into`, SQL*Plus commands, SQL Server's `GO` batches.
        let dump = "REM INSERTING into USERS\n\
            SET DEFINE OFF;\n\
            Insert into USERS (ID,EMAIL) values ('1','a@example.org');\n\
            Insert into USERS (ID,EMAIL) values ('2','b@example.org');\n\
            SET IDENTITY_INSERT [dbo].[Users] ON \n\
            GO\n\
            INSERT INTO [dbo].[Users] ([Id], [Email]) VALUES (3, N'c@example.org')\n\
            GO\n\
            INSERT INTO [dbo].[Users] ([Id], [Email]) VALUES (4, N'd@example.org')\n\
            GO\n\
            SET IDENTITY_INSERT [dbo].[Users] OFF\n\
            GO\n\
            Copy of the data follows\n";
        let t = read(dump, true);
        let (bad, good) = lines(&t);
        assert_eq!(bad, [13], "{t:?}");
        let ids: Vec<(u64, &str)> = good.iter().map(|(l, id)| (*l, id.as_str())).collect();
        assert_eq!(ids, [(3, "1"), (4, "2"), (7, "3"), (9, "4")]);
    }

    #[test]
    fn a_statement_cut_short_by_the_next_one_is_reported() {
        // An unterminated SET runs into an INSERT line; a broken INSERT head; a CREATE
        // TABLE cut off keeps no columns (the later tuples are not held to a wrong width).
        let dump = "SET x = 1\nINSERT INTO t VALUES (1);\nINSERT INTO t VALUSE (2);\nINSERT INTO\nCREATE TABLE u (a int,\nINSERT INTO u VALUES (3, 4);\n";
        let t = read(dump, true);
        let (bad, good) = lines(&t);
        assert_eq!(bad, [1, 3, 4, 5], "{t:?}");
        assert_eq!(good, [(2, "1".to_owned()), (6, "3".to_owned())]);
        assert!(t.last().is_some_and(|x| x.1.is_empty()), "{t:?}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Good INSERT lines, junk lines and statements without data in any order: every
        /// tuple is read with its line, every junk line is reported with its line, and
        /// nothing else is.
        #[test]
        fn junk_lines_are_reported_and_tuples_kept(
            lines in proptest::collection::vec(
                prop_oneof![
                    Just(Line::Good),
                    junk().prop_map(Line::Junk),
                    proptest::sample::select(QUIET).prop_map(Line::Quiet),
                ],
                1..40,
            ),
            mysql in any::<bool>(),
        ) {
            let mut dump = b"CREATE TABLE t (id int, v text);\n".to_vec();
            let mut line = 2u64;
            let (mut want_bad, mut want_good) = (Vec::new(), Vec::new());
            for (i, l) in lines.iter().enumerate() {
                match l {
                    Line::Good => {
                        dump.extend_from_slice(format!("INSERT INTO t VALUES ({i},'v;\\\\'),\n({i},'w');\n").as_bytes());
                        want_good.push((line, i.to_string()));
                        want_good.push((line + 1, i.to_string()));
                        line += 2;
                    }
                    Line::Junk(j) => {
                        dump.extend_from_slice(j.as_slice());
                        dump.push(b'\n');
                        want_bad.push(line);
                        line += 1;
                    }
                    Line::Quiet(q) => {
                        dump.extend_from_slice(q.as_bytes());
                        line += q.matches('\n').count() as u64;
                    }
                }
            }
            let t = read(&dump, mysql);
            let (bad, good) = self::lines(&t);
            prop_assert_eq!(bad, want_bad);
            prop_assert_eq!(good, want_good);
        }

        /// Any bytes after the start of a dump: no panic, and reading ends.
        #[test]
        fn arbitrary_bytes_never_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..4096),
            mysql in any::<bool>(),
        ) {
            let mut dump = b"INSERT INTO t VALUES (1,'a'),(".to_vec();
            dump.extend_from_slice(&bytes);
            read(&dump, mysql);
            read(&bytes, mysql);
        }
    }

    #[derive(Clone, Debug)]
    enum Line {
        Good,
        Junk(Vec<u8>),
        Quiet(&'static str),
    }

    /// Statements without data, each ending with its line break.
    const QUIET: &[&str] = &[
        "SET NAMES utf8mb4;\n",
        "-- comment\n",
        "# comment\n",
        "/* multi\nline */\n",
        "/*!40000 ALTER TABLE `t` DISABLE KEYS */;\n",
        "LOCK TABLES `t` WRITE;\n",
        "UNLOCK TABLES;\n",
        "BEGIN;\n",
        "COMMIT;\n",
        "\\.\n",
        "\n",
        "DELIMITER ;;\nCREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW BEGIN\nINSERT INTO t VALUES (0, 'no');\nEND ;;\nDELIMITER ;\n",
        "CREATE FUNCTION f() RETURNS void AS $$\nINSERT INTO t VALUES (0, 'no');\n$$ LANGUAGE sql;\n",
        "CREATE TABLE u (\n  a int,\n  b text DEFAULT 'x;y'\n);\n",
    ];

    /// A line that is no SQL: it starts with a byte no statement, comment or command
    /// starts with, and holds anything but a line break.
    fn junk() -> impl Strategy<Value = Vec<u8>> {
        let first = any::<u8>().prop_filter("starts no statement", |b| {
            !(b.is_ascii_alphabetic()
                || b.is_ascii_whitespace()
                || b"#-/;\\_$".contains(b)
                || *b == 0xEF)
        });
        let rest =
            proptest::collection::vec(any::<u8>().prop_filter("one line", |b| *b != b'\n'), 0..60);
        (first, rest).prop_map(|(f, mut r)| {
            r.insert(0, f);
            r
        })
    }
}
