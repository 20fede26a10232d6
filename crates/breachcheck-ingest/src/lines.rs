//! Physical lines of decoded text, each bounded in length so one huge line cannot exhaust
//! memory.
use encoding_rs::{Encoding, UTF_8};
use std::io::{BufRead, BufReader, Read};

/// Longest physical line kept; longer lines are quarantined without being buffered.
pub(crate) const MAX_LINE: usize = 1 << 20;

/// One physical line.
#[derive(Debug)]
pub(crate) enum Line {
    /// Decoded text without its line terminator.
    Text(String),
    /// Bytes that are not valid in the input's encoding.
    Undecodable,
    /// Longer than [`MAX_LINE`].
    TooLong,
}

/// The input as UTF-8: UTF-8 passes through (validated line by line later), anything else
/// is transcoded (and U+FFFD then marks bytes that did not decode). Returns whether it was
/// transcoded.
pub(crate) fn decoded(
    raw: Box<dyn Read + Send>,
    enc: &'static Encoding,
) -> (Box<dyn BufRead + Send>, bool) {
    if enc == UTF_8 {
        (Box::new(BufReader::with_capacity(64 * 1024, raw)), false)
    } else {
        let dec = encoding_rs_io::DecodeReaderBytesBuilder::new()
            .encoding(Some(enc))
            .bom_override(true)
            .build(raw);
        (Box::new(BufReader::with_capacity(64 * 1024, dec)), true)
    }
}

/// Reads physical lines, decoding to UTF-8.
pub(crate) struct LineReader {
    inner: Box<dyn BufRead + Send>,
    /// Whether the text is transcoded (so U+FFFD marks a decoding failure).
    transcoded: bool,
    first: bool,
    buf: Vec<u8>,
}

impl LineReader {
    pub(crate) fn new(raw: Box<dyn Read + Send>, enc: &'static Encoding) -> Self {
        let (inner, transcoded) = decoded(raw, enc);
        LineReader {
            inner,
            transcoded,
            first: true,
            buf: Vec::new(),
        }
    }

    /// The bytes of the last line read, as they were in the input (after decompression and,
    /// for transcoded inputs, decoding), without the line terminator; empty after a line
    /// that was too long to keep.
    pub(crate) fn last_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The next line, `None` at the end of the input.
    pub(crate) fn next_line(&mut self) -> Option<std::io::Result<Line>> {
        self.buf.clear();
        let mut too_long = false;
        let mut any = false;
        loop {
            let chunk = match self.inner.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Some(Err(e)),
            };
            if chunk.is_empty() {
                break;
            }
            any = true;
            let (take, done) = match memchr_newline(chunk) {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            if !too_long {
                if self.buf.len() + take > MAX_LINE + 2 {
                    too_long = true;
                    self.buf.clear();
                } else {
                    self.buf.extend_from_slice(&chunk[..take]);
                }
            }
            self.inner.consume(take);
            if done {
                break;
            }
        }
        if !any {
            return None;
        }
        if too_long {
            self.first = false;
            return Some(Ok(Line::TooLong));
        }
        while matches!(self.buf.last(), Some(b'\n' | b'\r')) {
            self.buf.pop();
        }
        let mut bytes = &self.buf[..];
        if self.first {
            self.first = false;
            bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        }
        Some(Ok(match std::str::from_utf8(bytes) {
            Ok(s) if self.transcoded && s.contains('\u{fffd}') => Line::Undecodable,
            Ok(s) => Line::Text(s.to_owned()),
            Err(_) => Line::Undecodable,
        }))
    }
}

fn memchr_newline(b: &[u8]) -> Option<usize> {
    b.iter().position(|c| *c == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(bytes: &[u8], enc: &'static Encoding) -> Vec<String> {
        let mut r = LineReader::new(Box::new(std::io::Cursor::new(bytes.to_vec())), enc);
        let mut out = Vec::new();
        while let Some(l) = r.next_line() {
            out.push(match l.expect("in-memory read") {
                Line::Text(s) => s,
                Line::Undecodable => "<undecodable>".into(),
                Line::TooLong => "<too long>".into(),
            });
        }
        out
    }

    #[test]
    fn splits_strips_and_flags() {
        assert_eq!(
            lines(b"\xef\xbb\xbfa\r\nb\n\nc", UTF_8),
            ["a", "b", "", "c"]
        );
        assert_eq!(
            lines(b"ok\nbad\xff\nok\n", UTF_8),
            ["ok", "<undecodable>", "ok"]
        );
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("x\ny\n".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        assert_eq!(lines(&utf16, encoding_rs::UTF_16LE), ["x", "y"]);
        assert_eq!(lines(b"K\xf6ln\n", encoding_rs::WINDOWS_1252), ["Köln"]);
        let mut long = vec![b'a'; MAX_LINE + 10];
        long.extend_from_slice(b"\nnext\n");
        assert_eq!(lines(&long, UTF_8), ["<too long>", "next"]);
    }
}
