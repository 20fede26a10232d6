//! "key: value" blocks — one field per line, records separated by blank lines, as stealer
//! logs and paste-site dumps write them:
//!
//! ```text
//! Name: Ana López
//! E-Mail: ana@example.es
//!
//! Name: Bo Li
//! ```

/// Splits a `key: value` (or `key = value`) line; `None` for any other line. Keys are short
/// and start with a letter; a colon must be followed by a space or the end of the line, so
/// `email:password` and URLs are not taken for keys.
pub(crate) fn pair(line: &str) -> Option<(&str, &str)> {
    let t = line.trim();
    let idx = t.find([':', '='])?;
    let (key, rest) = (t[..idx].trim(), &t[idx + 1..]);
    let key_ok = !key.is_empty()
        && key.chars().count() <= 40
        && key.chars().next().is_some_and(char::is_alphabetic)
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '_' | '-' | '.' | '/'));
    let sep_ok = rest.is_empty() || rest.starts_with(' ') || rest.starts_with('\t');
    (key_ok && sep_ok).then(|| (key, rest.trim()))
}

/// Keys (in first-seen order) and rows of the blocks in `lines`, if the text is key-value
/// blocks: most lines are pairs and some key repeats (so there are several records).
pub(crate) fn sniff(lines: &[&str]) -> Option<(Vec<String>, Vec<Vec<String>>)> {
    let content: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| !l.trim().is_empty())
        .take(2000)
        .collect();
    if content.len() < 4 {
        return None;
    }
    let pairs = content.iter().filter(|l| pair(l).is_some()).count();
    if pairs * 10 < content.len() * 8 {
        return None;
    }
    let mut keys: Vec<String> = Vec::new();
    let mut blocks: Vec<Vec<(String, String)>> = vec![Vec::new()];
    let mut repeated = false;
    for l in lines {
        if l.trim().is_empty() {
            if blocks.last().is_some_and(|b| !b.is_empty()) {
                blocks.push(Vec::new());
            }
            continue;
        }
        if let Some((k, v)) = pair(l) {
            if keys.iter().any(|x| x == k) {
                repeated = true;
            } else if keys.len() < 256 {
                keys.push(k.to_owned());
            }
            if let Some(b) = blocks.last_mut() {
                b.push((k.to_owned(), v.to_owned()));
            }
        }
    }
    if !repeated || blocks.iter().filter(|b| !b.is_empty()).count() < 2 {
        return None;
    }
    let rows = blocks
        .iter()
        .filter(|b| !b.is_empty())
        .map(|b| {
            keys.iter()
                .map(|k| {
                    b.iter()
                        .find(|(bk, _)| bk == k)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                })
                .collect()
        })
        .collect();
    Some((keys, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_and_blocks() {
        assert_eq!(
            pair("E-Mail: ana@example.es"),
            Some(("E-Mail", "ana@example.es"))
        );
        assert_eq!(pair("Phone ="), Some(("Phone", "")));
        assert_eq!(pair("ana@example.es:secret"), None);
        assert_eq!(pair("https://example.org/x"), None);
        let text = [
            "Name: Ana",
            "Mail: a@example.es",
            "",
            "Name: Bo",
            "Mail: b@example.cn",
            "Phone: +86 139 1234 5678",
        ];
        let (keys, rows) = sniff(&text).expect("key-value");
        assert_eq!(keys, ["Name", "Mail", "Phone"]);
        assert_eq!(
            rows,
            [
                vec!["Ana", "a@example.es", ""],
                vec!["Bo", "b@example.cn", "+86 139 1234 5678"]
            ]
        );
        assert!(sniff(&["a,b", "c,d", "e,f", "g,h"]).is_none());
    }
}
