//! JSON arrays of records (`[{...},{...}]`), streamed element by element: a 10 GB array on
//! one line is read with memory bounded by its largest element. Hand-written scanner:
//! serde_json's streaming deserializer reads top-level values, not the elements of one
//! array, and would hold the whole array.
use std::io::BufRead;

/// Largest element kept; a larger one is quarantined and skipped.
const MAX_ELEMENT: usize = 1 << 20;

/// One top-level element of the array.
pub(crate) enum Element {
    /// The element's text, with the 1-based line it starts on.
    Text { line: u64, text: String },
    /// Larger than the limit, or not UTF-8 (with its starting line).
    Unreadable { line: u64, too_long: bool },
}

/// Scans a decoded UTF-8 stream holding one JSON array.
pub(crate) struct ElementReader {
    inner: Box<dyn BufRead + Send>,
    /// Current 1-based line.
    line: u64,
    /// Whether the opening `[` was seen.
    opened: bool,
    done: bool,
    /// Whether any byte was read (an empty stream has zero lines).
    any: bool,
    /// Whether the last byte read was a newline (so the final line is not counted twice).
    at_line_start: bool,
}

impl ElementReader {
    pub(crate) fn new(inner: Box<dyn BufRead + Send>) -> Self {
        ElementReader {
            inner,
            line: 1,
            opened: false,
            done: false,
            any: false,
            at_line_start: true,
        }
    }

    /// Physical lines seen so far.
    pub(crate) fn lines(&self) -> u64 {
        if !self.any {
            0
        } else if self.at_line_start {
            self.line - 1
        } else {
            self.line
        }
    }

    fn next_byte(&mut self) -> std::io::Result<Option<u8>> {
        let b = {
            let buf = self.inner.fill_buf()?;
            match buf.first() {
                Some(b) => *b,
                None => return Ok(None),
            }
        };
        self.inner.consume(1);
        self.any = true;
        if b == b'\n' {
            self.line += 1;
            self.at_line_start = true;
        } else {
            self.at_line_start = false;
        }
        Ok(Some(b))
    }

    /// The next element, `None` after the closing bracket or at the end of input.
    pub(crate) fn next_element(&mut self) -> Option<std::io::Result<Element>> {
        if self.done {
            return None;
        }
        match self.scan() {
            Ok(Some(e)) => Some(Ok(e)),
            Ok(None) => {
                self.done = true;
                // Count the rest of the stream's lines (trailing whitespace).
                while let Ok(Some(_)) = self.next_byte() {}
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }

    fn scan(&mut self) -> std::io::Result<Option<Element>> {
        // Skip to the start of the next element.
        let first = loop {
            let Some(b) = self.next_byte()? else {
                return Ok(None);
            };
            match b {
                b'[' if !self.opened => self.opened = true,
                b' ' | b'\t' | b'\r' | b'\n' | b',' => {}
                0xEF | 0xBB | 0xBF if !self.opened => {} // UTF-8 BOM
                b']' if self.opened => return Ok(None),
                _ if !self.opened => return Ok(None),
                b => break b,
            }
        };
        let line = self.line;
        let mut buf = vec![first];
        let mut too_long = false;
        let mut depth: i64 = i64::from(matches!(first, b'{' | b'['));
        let (mut in_str, mut esc) = (first == b'"', false);
        if depth == 0 && !in_str {
            // A bare scalar element: read until the next separator.
            loop {
                let buf_peek = self.inner.fill_buf()?;
                match buf_peek.first() {
                    Some(b',' | b']') | None => break,
                    Some(_) => {}
                }
                if let Some(b) = self.next_byte()? {
                    buf.push(b);
                }
            }
        } else {
            while depth > 0 || in_str {
                let Some(b) = self.next_byte()? else { break };
                if !too_long {
                    if buf.len() >= MAX_ELEMENT {
                        too_long = true;
                        buf = Vec::new();
                    } else {
                        buf.push(b);
                    }
                }
                if in_str {
                    if esc {
                        esc = false;
                    } else if b == b'\\' {
                        esc = true;
                    } else if b == b'"' {
                        in_str = false;
                    }
                } else {
                    match b {
                        b'"' => in_str = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => depth -= 1,
                        _ => {}
                    }
                }
            }
        }
        if too_long {
            return Ok(Some(Element::Unreadable {
                line,
                too_long: true,
            }));
        }
        Ok(Some(match String::from_utf8(buf) {
            Ok(text) => Element::Text { line, text },
            Err(_) => Element::Unreadable {
                line,
                too_long: false,
            },
        }))
    }
}

/// Elements wholly inside `head` (for sniffing).
pub(crate) fn head_elements(head: &str) -> Vec<String> {
    let mut r = ElementReader::new(Box::new(std::io::Cursor::new(head.as_bytes().to_vec())));
    let mut out = Vec::new();
    while let Some(Ok(Element::Text { text, .. })) = r.next_element() {
        if out.len() >= 1000 {
            break;
        }
        out.push(text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elements(s: &str) -> (Vec<(u64, String)>, u64) {
        let mut r = ElementReader::new(Box::new(std::io::Cursor::new(s.as_bytes().to_vec())));
        let mut out = Vec::new();
        while let Some(e) = r.next_element() {
            match e.expect("in memory") {
                Element::Text { line, text } => out.push((line, text)),
                Element::Unreadable { line, .. } => out.push((line, "<unreadable>".into())),
            }
        }
        (out, r.lines())
    }

    #[test]
    fn streams_elements_with_their_lines() {
        let (e, lines) =
            elements("[\n  {\"a\": \"x]}\\\"\", \"b\": [1, {\"c\": 2}]},\n  {\"a\": \"y\"}\n]\n");
        assert_eq!(
            e,
            [
                (2, r#"{"a": "x]}\"", "b": [1, {"c": 2}]}"#.to_owned()),
                (3, r#"{"a": "y"}"#.to_owned())
            ]
        );
        assert_eq!(lines, 4);
        let (e, lines) = elements(r#"[{"a":1},{"a":2},3]"#);
        assert_eq!(e.len(), 3);
        assert_eq!(e[2].1, "3");
        assert_eq!(lines, 1);
        assert_eq!(elements("[]").0.len(), 0);
        assert_eq!(elements("").1, 0);
    }
}
