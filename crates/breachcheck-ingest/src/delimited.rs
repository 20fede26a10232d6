//! Delimited text: delimiter sniffing and quote-aware field splitting (through `csv-core`).
//! Records are parsed one physical line at a time (joined with the following lines only
//! while a quoted field is open), so a broken quote costs one line, not the rest of the
//! file as a whole-file CSV reader would.

/// Candidate delimiters, most common in leaks first. `:` is last: it only wins when nothing
/// else splits the lines (combolists such as `email:password`).
const CANDIDATES: [u8; 5] = [b',', b';', b'\t', b'|', b':'];

/// Picks the delimiter whose field count is most consistent (and above one) over the
/// sniffed lines.
pub(crate) fn sniff(lines: &[&str]) -> u8 {
    sniff_scored(lines).0
}

/// The delimiter and the share of lines with its most common field count (0 when no
/// candidate splits the lines into two or more fields).
pub(crate) fn sniff_scored(lines: &[&str]) -> (u8, f64) {
    let mut best = (0.0f64, 0usize, b',');
    for d in CANDIDATES {
        let mut splitter = Splitter::new(d, b'"');
        let counts: Vec<usize> = logical_records(lines, d, 200)
            .iter()
            .map(|l| {
                if d == b':' {
                    l.split(':').count().min(3)
                } else {
                    splitter.split(l).len()
                }
            })
            .collect();
        let Some(mode) = mode(&counts) else { continue };
        if mode < 2 {
            continue;
        }
        let share = counts.iter().filter(|c| **c == mode).count() as f64 / counts.len() as f64;
        if (share, mode) > (best.0, best.1) {
            best = (share, mode, d);
        }
    }
    (best.2, best.0)
}

fn mode(v: &[usize]) -> Option<usize> {
    let mut counts = std::collections::BTreeMap::new();
    for x in v {
        *counts.entry(*x).or_insert(0usize) += 1;
    }
    counts
        .into_iter()
        .max_by_key(|(k, n)| (*n, *k))
        .map(|(k, _)| k)
}

/// The most common number of fields among `rows` (0 for none).
pub(crate) fn modal_width(rows: &[Vec<String>]) -> usize {
    mode(&rows.iter().map(Vec::len).collect::<Vec<_>>()).unwrap_or(0)
}

/// Parsed rows of the sniffed lines (for header and role inference).
/// Non-blank records of `lines` as `delimiter` would read them: a line ending inside a
/// quoted field continues on the next ones (at most 32), as the record reader joins them.
fn logical_records(lines: &[&str], delimiter: u8, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() && out.len() < max {
        let line = lines[i];
        i += 1;
        if line.trim().is_empty() {
            continue;
        }
        let mut rec = line.to_owned();
        if delimiter != b':' {
            let mut joined = 0;
            while ends_in_quote(&rec, delimiter, b'"') && i < lines.len() && joined < 32 {
                rec.push('\n');
                rec.push_str(lines[i]);
                i += 1;
                joined += 1;
            }
        }
        out.push(rec);
    }
    out
}

pub(crate) fn sample_rows(lines: &[&str], delimiter: u8) -> Vec<Vec<String>> {
    let records = logical_records(lines, delimiter, 1000);
    let rows = records.iter().map(String::as_str);
    if delimiter == b':' {
        let width = modal_width(
            &rows
                .clone()
                .map(|l| split_combo(l, usize::MAX))
                .collect::<Vec<_>>(),
        )
        .min(3);
        return rows.map(|l| split_combo(l, width)).collect();
    }
    let mut splitter = Splitter::new(delimiter, b'"');
    rows.map(|l| splitter.split(l)).collect()
}

/// Splits a combolist line on `:` into at most `width` fields, the last taking the rest:
/// passwords contain colons, and combolists are never quoted.
pub(crate) fn split_combo(line: &str, width: usize) -> Vec<String> {
    line.splitn(width.max(1), ':').map(str::to_owned).collect()
}

/// Splits one record into fields, unquoting.
#[cfg(test)]
pub(crate) fn split(record: &str, delimiter: u8, quote: u8) -> Vec<String> {
    Splitter::new(delimiter, quote).split(record)
}

/// A reusable field splitter: building `csv-core`'s reader costs more than splitting a
/// line, so a stream builds one and resets it per record.
pub(crate) struct Splitter {
    rdr: csv_core::Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
}

impl Splitter {
    pub(crate) fn new(delimiter: u8, quote: u8) -> Self {
        Splitter {
            rdr: csv_core::ReaderBuilder::new()
                .delimiter(delimiter)
                .quote(quote)
                .build(),
            out: vec![0u8; 4096],
            ends: vec![0usize; 64],
        }
    }

    /// Splits one record into fields, unquoting.
    pub(crate) fn split(&mut self, record: &str) -> Vec<String> {
        self.rdr.reset();
        if self.out.len() < record.len() + 16 {
            self.out.resize(record.len() + 16, 0);
        }
        let mut input = record.as_bytes();
        let (mut outlen, mut endlen) = (0, 0);
        loop {
            let (res, nin, nout, nend) =
                self.rdr
                    .read_record(input, &mut self.out[outlen..], &mut self.ends[endlen..]);
            input = &input[nin..];
            outlen += nout;
            endlen += nend;
            match res {
                csv_core::ReadRecordResult::InputEmpty => {
                    if input.is_empty() {
                        // Signal end of input so the last field is emitted.
                        let (res2, _, nout2, nend2) = self.rdr.read_record(
                            &[],
                            &mut self.out[outlen..],
                            &mut self.ends[endlen..],
                        );
                        outlen += nout2;
                        endlen += nend2;
                        match res2 {
                            csv_core::ReadRecordResult::OutputEndsFull => {
                                let n = self.ends.len() * 2;
                                self.ends.resize(n, 0);
                                continue;
                            }
                            csv_core::ReadRecordResult::OutputFull => {
                                let n = self.out.len() * 2;
                                self.out.resize(n, 0);
                                continue;
                            }
                            _ => break,
                        }
                    }
                }
                csv_core::ReadRecordResult::OutputFull => {
                    let n = self.out.len() * 2;
                    self.out.resize(n, 0);
                }
                csv_core::ReadRecordResult::OutputEndsFull => {
                    let n = self.ends.len() * 2;
                    self.ends.resize(n, 0);
                }
                csv_core::ReadRecordResult::Record | csv_core::ReadRecordResult::End => break,
            }
        }
        let mut fields = Vec::with_capacity(endlen);
        let mut start = 0;
        for &end in &self.ends[..endlen] {
            // csv-core copies UTF-8 input bytes unchanged apart from quotes, so each field
            // is valid UTF-8; lossy conversion only guards the invariant.
            fields.push(String::from_utf8_lossy(&self.out[start..end]).into_owned());
            start = end;
        }
        fields
    }
}

/// Whether `text` ends inside an open quoted field (so the record continues on the next
/// line). Hand-written: `csv-core` does not expose its quote state.
pub(crate) fn ends_in_quote(text: &str, delimiter: u8, quote: u8) -> bool {
    let b = text.as_bytes();
    let mut in_quotes = false;
    let mut field_start = true;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if in_quotes {
            if c == quote {
                if b.get(i + 1) == Some(&quote) {
                    i += 1; // escaped quote
                } else {
                    in_quotes = false;
                }
            }
        } else if c == quote && field_start {
            in_quotes = true;
        }
        field_start = !in_quotes && (c == delimiter || c == b'\n');
        i += 1;
    }
    in_quotes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_delimiters() {
        assert_eq!(sniff(&["a;b;c", "1;2,5;3", "4;5;6"]), b';');
        assert_eq!(sniff(&["a\tb", "1\t2"]), b'\t');
        assert_eq!(sniff(&["a|b|c", "x|y|z"]), b'|');
        assert_eq!(sniff(&["a,b", "\"x,y\",z"]), b',');
        assert_eq!(
            sniff(&["ana@example.org:pa:ss", "bo@example.org:secret"]),
            b':'
        );
        assert_eq!(sniff(&["a,b,12:30", "c,d,13:45"]), b',');
        assert_eq!(split_combo("a@b.org:pa:ss", 2), ["a@b.org", "pa:ss"]);
    }

    #[test]
    fn splits_with_quotes() {
        assert_eq!(
            split("a,\"b,c\",\"d \"\"q\"\"\"", b',', b'"'),
            ["a", "b,c", "d \"q\""]
        );
        assert!(split("", b',', b'"').is_empty());
        assert_eq!(split("a,", b',', b'"'), ["a", ""]);
        let many = vec!["x"; 200].join(";");
        assert_eq!(split(&many, b';', b'"').len(), 200);
    }

    #[test]
    fn quote_state() {
        assert!(ends_in_quote("a,\"b", b',', b'"'));
        assert!(!ends_in_quote("a,\"b\"", b',', b'"'));
        assert!(!ends_in_quote("a,b\"c", b',', b'"'));
        assert!(!ends_in_quote("a,\"b\"\"\"", b',', b'"'));
        assert!(ends_in_quote("a,\"b\nc", b',', b'"'));
    }
}
