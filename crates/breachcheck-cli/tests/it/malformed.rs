//! Malformed input is quarantined with its line number; nothing is lost; the run completes.
use crate::{p, run_ok};
use std::io::Write;
use std::path::Path;

const EXPORT: &str = "\
email,first_name,last_name,phone,country
ana@example.es,Ana,López,+34 612 34 56 78,ES
bo@example.cn,Bo,Li,+86 139 1234 5678,CN
";

fn verify(dir: &Path, sample_bytes: &[u8], name: &str) -> serde_json::Value {
    crate::verify_against(dir, "crm", EXPORT, name, sample_bytes)
}

fn quarantined(r: &serde_json::Value) -> Vec<(u64, String)> {
    r["sample"]["quarantine"]
        .as_array()
        .expect("quarantine list")
        .iter()
        .map(|q| {
            (
                q["line"].as_u64().expect("line"),
                q["reason"].as_str().expect("reason").to_owned(),
            )
        })
        .collect()
}

fn assert_accounting(r: &serde_json::Value) {
    let s = &r["sample"];
    let n = |k: &str| s[k].as_u64().expect(k);
    assert_eq!(
        n("lines_total"),
        n("records_parsed")
            + n("quarantined")
            + n("header_lines")
            + n("blank_lines")
            + n("continuation_lines"),
        "{s}"
    );
    let e = &r["matches"]["by_evidence"];
    let total: u64 = [
        "canary",
        "internal_id",
        "quirk_full_record",
        "full_record",
        "fuzzy_record",
        "partial",
        "none",
    ]
    .iter()
    .map(|k| e[k].as_u64().expect(k))
    .sum();
    assert_eq!(total, n("records_parsed"));
}

#[test]
fn bad_lines_are_quarantined_by_number_and_reason() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut s = Vec::new();
    s.extend_from_slice(b"email,first_name,last_name,phone,country\n"); // 1 header
    s.extend_from_slice("ana@example.es,Ana,López,+34 612 34 56 78,ES\n".as_bytes()); // 2 ok
    s.extend_from_slice(b"too,few\n"); // 3 wrong field count
    s.extend_from_slice(b"\n"); // 4 blank
    s.extend_from_slice(b"bad\xff\xfe@example.org,X,Y,+1 202 555 0100,US\n"); // 5 undecodable
    s.extend_from_slice(b"\"unclosed@example.org,A,B,+33 6 12 34 56 78,FR\n"); // 6 broken quoting
    s.extend_from_slice(b"bo@example.cn,Bo,Li,+86 139 1234 5678,CN\n"); // 7 ok
    s.extend_from_slice(b"\"multi\nline@example.org\",C,D,+49 151 23456789,DE\n"); // 8-9 one record
    s.extend_from_slice(b"a,b,c,d,e,f,g\n"); // 10 wrong field count
    let r = verify(tmp.path(), &s, "sample.csv");
    assert_eq!(
        quarantined(&r),
        [
            (3, "wrong_field_count".to_owned()),
            (5, "undecodable_bytes".to_owned()),
            (6, "broken_quoting".to_owned()),
            (10, "wrong_field_count".to_owned())
        ]
    );
    let sm = &r["sample"];
    assert_eq!(sm["lines_total"], 10);
    assert_eq!(sm["records_parsed"], 3);
    assert_eq!(sm["blank_lines"], 1);
    assert_eq!(sm["continuation_lines"], 1);
    assert_accounting(&r);
    assert_eq!(whole(&r), 2, "{}", r["matches"]);
}

/// Lines matching a record whole (with or without a reproduced rare form).
fn whole(r: &serde_json::Value) -> u64 {
    let e = &r["matches"]["by_evidence"];
    e["quirk_full_record"].as_u64().unwrap_or(0) + e["full_record"].as_u64().unwrap_or(0)
}

#[test]
fn ndjson_with_a_broken_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let s = "{\"email\":\"ana@example.es\",\"name\":{\"first\":\"Ana\",\"last\":\"López\"},\"phone\":\"+34 612 34 56 78\",\"country\":\"ES\"}\n\
             {\"email\": broken\n\
             {\"email\":\"bo@example.cn\",\"name\":{\"first\":\"Bo\",\"last\":\"Li\"},\"phone\":\"+86 139 1234 5678\",\"country\":\"CN\"}\n";
    let r = verify(tmp.path(), s.as_bytes(), "sample.ndjson");
    assert_eq!(quarantined(&r), [(2, "invalid_json".to_owned())]);
    assert_eq!(r["sample"]["records_parsed"], 2);
    assert_eq!(whole(&r), 2, "{}", r["matches"]);
    assert_accounting(&r);
}

#[test]
fn gzip_utf16_and_windows_1252_read_the_same() {
    let text = "email;first_name;last_name;phone;country\nana@example.es;Ana;López;+34 612 34 56 78;ES\nbo@example.cn;Bo;Li;+86 139 1234 5678;CN\n\
                jm@example.de;Jürgen;Müller;+49 151 23456789;DE\nfl@example.fr;François;Lefèvre;+33 6 12 34 56 78;FR\n\
                jg@example.es;José;García Núñez;+34 699 11 22 33;ES\nbb@example.de;Björn;Weiß;+49 160 1234567;DE\n";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).expect("gzip");
    let gz = gz.finish().expect("gzip");
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let (w1252, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(!unmappable);
    let w1252 = w1252.into_owned();
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend_from_slice(text.as_bytes());
    for (bytes, name, encoding) in [
        (gz, "s.csv.gz", "UTF-8"),
        (utf16, "s16.csv", "UTF-16LE"),
        (w1252, "s1252.csv", "windows-1252"),
        (bom, "bom.csv", "UTF-8"),
    ] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let r = verify(tmp.path(), &bytes, name);
        assert_eq!(
            r["sample"]["parts"][0]["layout"]["encoding"], encoding,
            "{name}"
        );
        assert_eq!(r["sample"]["records_parsed"], 6, "{name}");
        assert_eq!(r["sample"]["quarantined"], 0, "{name}");
        // The name with its accent survived decoding: both lines match whole.
        let e = &r["matches"]["by_evidence"];
        assert_eq!(whole(&r), 2, "{name}: {e}");
    }
}

#[test]
fn quarantine_out_holds_the_raw_lines_only_when_asked() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let sample = dir.join("s.csv");
    std::fs::write(&sample, b"email,first_name,last_name,phone,country\nana@example.es,Ana,L\xc3\xb3pez,+34 612 34 56 78,ES\ntoo,few\nbad\xff line,a,b,c,d\n").expect("write");
    let q = dir.join("quarantine.tsv");
    run_ok(&["inspect", "--quarantine-out", p(&q), p(&sample)]);
    let text = std::fs::read(&q).expect("quarantine file");
    let lines: Vec<&[u8]> = text
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty() && !l.starts_with(b"#"))
        .collect();
    assert_eq!(
        lines,
        [
            &b"0\t3\twrong_field_count\ttoo,few"[..],
            &b"0\t4\tundecodable_bytes\tbad\xff line,a,b,c,d"[..]
        ]
    );
}

#[test]
fn ragged_rows_are_kept_when_no_value_moves() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // A trailing delimiter on every line, and a row that leaves its last empty field out.
    let s = "email,first_name,last_name,phone,country,\n\
             ana@example.es,Ana,López,+34 612 34 56 78,ES,\n\
             bo@example.cn,Bo,Li,+86 139 1234 5678\n\
             x,y\n";
    let r = verify(tmp.path(), s.as_bytes(), "ragged.csv");
    assert_eq!(r["sample"]["records_parsed"], 2, "{}", r["sample"]);
    assert_eq!(quarantined(&r), [(4, "wrong_field_count".to_owned())]);
    assert_accounting(&r);
}
