//! Fixed-width text (mainframe and report exports): columns found as the character
//! positions where every sniffed line has a space and some line has text right after.
//! Hand-written: no crate infers fixed-width layouts.

/// Column spans (start, end) in characters, if the lines look fixed-width: at least 5 lines
/// of one length (± trailing spaces), no consistent delimiter, at least 2 columns.
pub(crate) fn sniff(lines: &[&str]) -> Option<Vec<(usize, usize)>> {
    let sample: Vec<Vec<char>> = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .take(200)
        .map(|l| l.trim_end().chars().collect())
        .collect();
    if sample.len() < 5 {
        return None;
    }
    let width = sample.iter().map(Vec::len).max()?;
    if width < 8 {
        return None;
    }
    // Most lines must reach the last column (prose does not line up like that).
    let reach = |spans: &[(usize, usize)]| {
        let last = spans.last().map_or(0, |s| s.0);
        sample.iter().filter(|l| l.len() > last).count() * 10 >= sample.len() * 8
    };
    let blank_at = |i: usize| sample.iter().all(|l| l.get(i).is_none_or(|c| *c == ' '));
    // A header line (words of letters) names the columns: its word starts are the column
    // starts when every line has a gap before each of them. This resolves values with
    // inner spaces that happen to line up in a few rows.
    let head = &sample[0];
    let header_like = head
        .iter()
        .all(|c| c.is_alphabetic() || matches!(c, ' ' | '_' | '-' | '.' | '/'));
    if header_like {
        let starts: Vec<usize> = (0..head.len())
            .filter(|&i| head[i] != ' ' && (i == 0 || head[i - 1] == ' '))
            .collect();
        if starts.len() >= 2 && starts.iter().skip(1).all(|&h| blank_at(h - 1)) {
            let n = starts.len();
            let spans: Vec<(usize, usize)> = (0..n)
                .map(|k| {
                    (
                        starts[k],
                        if k + 1 < n { starts[k + 1] } else { usize::MAX },
                    )
                })
                .collect();
            return reach(&spans).then_some(spans);
        }
    }
    let mut spans = Vec::new();
    let mut start: Option<usize> = None;
    for i in 0..=width {
        let blank = i == width || blank_at(i);
        match (start, blank) {
            (None, false) => start = Some(i),
            (Some(s), true) => {
                spans.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if spans.len() < 2 {
        return None;
    }
    // Each column runs to the start of the next, so values that are shorter in the
    // sniffed lines still fit.
    let n = spans.len();
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        let end = if k + 1 < n {
            spans[k + 1].0
        } else {
            usize::MAX
        };
        out.push((spans[k].0, end));
    }
    reach(&out).then_some(out)
}

/// Cuts a line into the columns' trimmed values; `None` when text stands in a gap between
/// columns or beyond the last one's start (the line does not fit the layout).
pub(crate) fn split(line: &str, spans: &[(usize, usize)]) -> Option<Vec<String>> {
    let chars: Vec<char> = line.trim_end().chars().collect();
    if let Some(&(first, _)) = spans.first() {
        if chars.iter().take(first).any(|c| *c != ' ') {
            return None;
        }
    }
    Some(
        spans
            .iter()
            .map(|&(s, e)| {
                let e = e.min(chars.len());
                if s >= e {
                    String::new()
                } else {
                    chars[s..e].iter().collect::<String>().trim().to_owned()
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_columns_and_cuts_lines() {
        let lines = [
            "C0001  Ana Maria Lopez     ana@example.es        ES",
            "C0002  Bo Li               bo@example.cn         CN",
            "C0003  Jürgen Müller       jm@example.de         DE",
            "C0004  Jean-Pierre Dupont  jp@example.fr         FR",
            "C0005  Ivan Petrov         ivan@example.ru       RU",
        ];
        let spans = sniff(&lines).expect("fixed width");
        assert_eq!(spans.len(), 4);
        assert_eq!(
            split(lines[0], &spans).expect("fits"),
            ["C0001", "Ana Maria Lopez", "ana@example.es", "ES"]
        );
        assert_eq!(
            split(lines[2], &spans).expect("fits"),
            ["C0003", "Jürgen Müller", "jm@example.de", "DE"]
        );
        assert!(sniff(&["a,b,c", "d,e,f"]).is_none());
    }
}
