//! Mojibake repair: UTF-8 text that was once decoded as Windows-1252 and re-encoded
//! ("JÃ¼rgen MÃ¼ller" for "Jürgen Müller") is turned back. The test is strict — the
//! text's 1252 bytes must form valid UTF-8 with non-ASCII characters — so correct text,
//! even with a capital Ã or â in it ("São Paulo", "Ãrbol"), is left alone. Hand-written: the
//! crates that do this (ftfy ports) bring large tables for rarer cases.

/// Characters that start a UTF-8 multi-byte sequence when seen through Windows-1252.
fn suspicious(c: char) -> bool {
    matches!(c as u32, 0xC2..=0xF4)
}

/// Repairs `s` if it is mojibake (at most twice, for text mangled twice); `None` when it is
/// not.
pub(crate) fn repair(s: &str) -> Option<String> {
    if !s.chars().any(suspicious) {
        return None;
    }
    let mut cur = s.to_owned();
    let mut changed = false;
    for _ in 0..2 {
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&cur);
        if unmappable {
            break;
        }
        match std::str::from_utf8(&bytes) {
            Ok(fixed) if fixed != cur && !fixed.is_ascii() => {
                cur = fixed.to_owned();
                changed = true;
            }
            _ => break,
        }
        if !cur.chars().any(suspicious) {
            break;
        }
    }
    changed.then_some(cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repairs_mojibake_and_leaves_text_alone() {
        assert_eq!(repair("JÃ¼rgen MÃ¼ller").as_deref(), Some("Jürgen Müller"));
        assert_eq!(
            repair("FranÃ§ois â€œLefÃ¨vreâ€\u{9d}").as_deref(),
            Some("François “Lefèvre”")
        );
        assert_eq!(repair("Ð˜Ð²Ð°Ð½").as_deref(), Some("Иван"));
        // Twice mangled.
        assert_eq!(repair("JÃƒÂ¼rgen").as_deref(), Some("Jürgen"));
        for fine in ["São Paulo", "Jürgen", "plain", "Ærø", "Ãrbol"] {
            assert_eq!(repair(fine), None, "{fine}");
        }
    }
}
