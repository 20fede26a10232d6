//! Text-encoding detection.
use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8};

/// Detects the encoding of `head` (the first bytes of the text) with a confidence.
pub(crate) fn detect(head: &[u8]) -> (&'static Encoding, f32) {
    if let Some((enc, _)) = Encoding::for_bom(head) {
        return (enc, 1.0);
    }
    if let Some(enc) = utf16_without_bom(head) {
        return (enc, 0.9);
    }
    let (valid_non_ascii_lines, invalid_lines) = utf8_evidence(head);
    if invalid_lines == 0 {
        return (UTF_8, if valid_non_ascii_lines > 0 { 1.0 } else { 0.99 });
    }
    // Legacy single- and double-byte text almost never forms valid UTF-8 multi-byte
    // sequences, so lines that do are strong evidence for UTF-8 with some corrupt lines.
    if valid_non_ascii_lines >= invalid_lines {
        return (UTF_8, 0.8);
    }
    let mut det = chardetng::EncodingDetector::new();
    det.feed(head, true);
    let (enc, sure) = det.guess_assess(None, false);
    (enc, if sure { 0.9 } else { 0.6 })
}

/// UTF-16 without a BOM shows as zero bytes in every other position of ASCII-heavy text.
fn utf16_without_bom(head: &[u8]) -> Option<&'static Encoding> {
    let n = head.len().min(4096) & !1;
    if n < 8 {
        return None;
    }
    let (mut even_zero, mut odd_zero) = (0usize, 0usize);
    for (i, b) in head[..n].iter().enumerate() {
        if *b == 0 {
            if i % 2 == 0 {
                even_zero += 1;
            } else {
                odd_zero += 1;
            }
        }
    }
    let half = n / 2;
    if odd_zero * 10 > half * 6 && even_zero * 10 < half {
        Some(UTF_16LE)
    } else if even_zero * 10 > half * 6 && odd_zero * 10 < half {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// Counts lines that are valid UTF-8 with non-ASCII characters, and lines that are not
/// valid UTF-8.
fn utf8_evidence(head: &[u8]) -> (usize, usize) {
    let mut multibyte = 0;
    let mut bad_lines = 0;
    let mut lines = head.split(|b| *b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let last = lines.peek().is_none();
        match std::str::from_utf8(line) {
            Ok(s) => multibyte += usize::from(!s.is_ascii()),
            // A sequence cut by the end of the head is not an error.
            Err(e) if last && e.error_len().is_none() => {}
            Err(_) => bad_lines += 1,
        }
    }
    (multibyte, bad_lines)
}

/// Decodes the head for sniffing (lossy; only structure is read from it).
pub(crate) fn decode_head(head: &[u8], enc: &'static Encoding) -> String {
    let (text, _, _) = enc.decode(head);
    text.trim_start_matches('\u{feff}').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_common_encodings() {
        assert_eq!(detect(b"\xef\xbb\xbfa,b\n").0, UTF_8);
        assert_eq!(detect(b"\xff\xfea\x00,\x00").0, UTF_16LE);
        assert_eq!(detect("name\nJürgen Müller\n".as_bytes()).0, UTF_8);
        let (w1252, _, _) = encoding_rs::WINDOWS_1252
            .encode("name,city\nJürgen Müller,Köln\nFrançois,Besançon\nJosé,Málaga\n");
        assert_eq!(detect(&w1252).0, encoding_rs::WINDOWS_1252);
        let utf16: Vec<u8> = "email,phone\nana@example.es,123\n"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        assert_eq!(detect(&utf16).0, UTF_16LE);
    }

    #[test]
    fn utf8_with_a_corrupt_line_stays_utf8() {
        let mut s = "name\n".to_owned();
        for _ in 0..20 {
            s.push_str("Jürgen Müller\n");
        }
        let mut b = s.into_bytes();
        b.extend_from_slice(b"bad \xff\xfe line\n");
        assert_eq!(detect(&b).0, UTF_8);
    }
}
