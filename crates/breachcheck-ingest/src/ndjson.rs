//! NDJSON: one object per line, nested objects flattened to dotted column names.
use serde_json::Value;

/// Flattens one JSON object into (dotted key, text) pairs; `None` if the line is not an object.
pub(crate) fn flatten_line(line: &str) -> Option<Vec<(String, String)>> {
    let v: Value = serde_json::from_str(line).ok()?;
    let Value::Object(_) = v else { return None };
    let mut out = Vec::new();
    flatten(&v, String::new(), &mut out, 0);
    Some(out)
}

/// Nesting deeper than this is kept as JSON text (no record has a reason to nest deeper,
/// and the cap bounds work on hostile input).
const MAX_DEPTH: usize = 8;

fn flatten(v: &Value, prefix: String, out: &mut Vec<(String, String)>, depth: usize) {
    match v {
        Value::Object(m) if depth < MAX_DEPTH => {
            for (k, val) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(val, key, out, depth + 1);
            }
        }
        Value::String(s) => out.push((prefix, s.clone())),
        Value::Null => out.push((prefix, String::new())),
        Value::Bool(b) => out.push((prefix, b.to_string())),
        Value::Number(n) => out.push((prefix, n.to_string())),
        other => out.push((prefix, other.to_string())),
    }
}

/// Keys (in order of first appearance) and aligned rows of the sniffed lines.
pub(crate) fn sniff<'a>(lines: impl Iterator<Item = &'a str>) -> (Vec<String>, Vec<Vec<String>>) {
    let mut keys: Vec<String> = Vec::new();
    let mut objs = Vec::new();
    for l in lines.filter(|l| !l.trim().is_empty()).take(1000) {
        if let Some(pairs) = flatten_line(l) {
            for (k, _) in &pairs {
                if !keys.contains(k) && keys.len() < 512 {
                    keys.push(k.clone());
                }
            }
            objs.push(pairs);
        }
    }
    let rows = objs.iter().map(|p| align(p, &keys)).collect();
    (keys, rows)
}

/// Cells of `pairs` in the order of `keys`; keys the record lacks are empty.
pub(crate) fn align(pairs: &[(String, String)], keys: &[String]) -> Vec<String> {
    keys.iter()
        .map(|k| {
            pairs
                .iter()
                .find(|(pk, _)| pk == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_nested_objects() {
        let p = flatten_line(
            r#"{"email":"a@b.org","address":{"city":"Köln","zip":50667},"vip":true,"x":null}"#,
        )
        .expect("object");
        assert_eq!(
            p,
            [
                ("email".into(), "a@b.org".into()),
                ("address.city".into(), "Köln".into()),
                ("address.zip".into(), "50667".into()),
                ("vip".into(), "true".into()),
                ("x".into(), String::new())
            ]
        );
        assert!(flatten_line("[1,2]").is_none());
        assert!(flatten_line("{broken").is_none());
    }
}
