//! Property laws of the reader: what a well-formed writer writes reads back identically,
//! and arbitrary bytes never panic and never lose a line; a table read without its
//! header keeps the roles the header gives (`roles`).
mod roles;

use breachcheck_ingest::{Event, IngestOptions, Sample};
use proptest::prelude::*;

fn quote(cell: &str, d: char) -> String {
    if cell.contains([d, '"', '\n', '\r']) || cell.starts_with(' ') || cell.ends_with(' ') {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_owned()
    }
}

/// Cells of every shape a leak holds: names in several scripts, e-mails, phone numbers,
/// quotes, delimiters and line breaks inside fields.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z]{1,12}",
        "[a-z]{1,8}@[a-z]{2,8}\\.(com|de|org)",
        "\\+[0-9]{2} [0-9]{3} [0-9]{6,8}",
        "[А-Яа-я]{2,10}",
        "[一-龥]{1,4}",
        "[a-zäöüß ,;\"|]{1,15}",
        "[a-z]{1,5}\n[a-z]{1,5}",
        "[a-z'\\\\\t]{1,8}",
    ]
    .prop_filter("cells are not blank", |s| !s.trim().is_empty())
}

fn read_all(path: &std::path::Path) -> (Vec<Vec<String>>, breachcheck_ingest::LineStats, usize) {
    let s = Sample::open(path, &IngestOptions::default()).expect("opens");
    let mut recs = s.records().expect("records");
    let mut rows = Vec::new();
    let mut bad = 0;
    for ev in recs.by_ref() {
        match ev {
            Event::Record(r) => rows.push(r.cells),
            Event::Quarantined(_) => bad += 1,
            Event::Failed { .. } => panic!("in-memory file cannot fail"),
            Event::Part(_) => {}
        }
    }
    (rows, recs.stats(), bad)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn delimited_round_trip(
        rows in proptest::collection::vec(proptest::collection::vec(cell(), 3), 2..30),
        d in prop_oneof![Just(','), Just(';'), Just('\t'), Just('|')],
        utf16 in any::<bool>(),
    ) {
        let header = ["email", "first_name", "phone"];
        let mut text = header.join(&d.to_string());
        text.push('\n');
        for r in &rows {
            text.push_str(&r.iter().map(|c| quote(c, d)).collect::<Vec<_>>().join(&d.to_string()));
            text.push('\n');
        }
        let bytes: Vec<u8> = if utf16 {
            [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect()
        } else {
            text.into_bytes()
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.csv");
        std::fs::write(&path, bytes).expect("write");
        let (read, stats, bad) = read_all(&path);
        prop_assert_eq!(bad, 0);
        prop_assert_eq!(read, rows);
        prop_assert_eq!(stats.lines_total, stats.records + stats.quarantined + stats.header_lines + stats.blank_lines + stats.continuation_lines);
    }

    #[test]
    fn json_round_trip(
        rows in proptest::collection::vec(proptest::collection::vec(cell(), 3), 1..30),
        shape in 0..3u8,
    ) {
        let objs: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| serde_json::json!({"email": r[0], "name": {"first": r[1]}, "phone": r[2]}))
            .collect();
        let text = match shape {
            0 => objs.iter().map(|o| o.to_string()).collect::<Vec<_>>().join("\n"),
            1 => serde_json::Value::Array(objs.clone()).to_string(),
            _ => serde_json::to_string_pretty(&serde_json::Value::Array(objs.clone())).expect("json"),
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.json");
        std::fs::write(&path, text).expect("write");
        let (read, stats, bad) = read_all(&path);
        prop_assert_eq!(bad, 0);
        prop_assert_eq!(read, rows);
        prop_assert_eq!(stats.lines_total, stats.records + stats.quarantined + stats.header_lines + stats.blank_lines + stats.continuation_lines);
    }

    #[test]
    fn sql_round_trip(
        rows in proptest::collection::vec(proptest::collection::vec(cell(), 3), 1..30),
        postgres in any::<bool>(),
    ) {
        let mut dump = String::new();
        if postgres {
            dump.push_str("-- PostgreSQL database dump\nSET standard_conforming_strings = on;\nCOPY public.customers (email, first_name, phone) FROM stdin;\n");
            for r in &rows {
                let esc: Vec<String> = r.iter().map(|c| c.replace('\\', "\\\\").replace('\t', "\\t").replace('\n', "\\n")).collect();
                dump.push_str(&esc.join("\t"));
                dump.push('\n');
            }
            dump.push_str("\\.\n");
        } else {
            dump.push_str("-- MySQL dump\nCREATE TABLE `customers` (`email` text, `first_name` text, `phone` text);\nINSERT INTO `customers` VALUES ");
            let tuples: Vec<String> = rows
                .iter()
                .map(|r| format!("({})", r.iter().map(|c| format!("'{}'", c.replace('\\', "\\\\").replace('\'', "\\'").replace('\n', "\\n"))).collect::<Vec<_>>().join(",")))
                .collect();
            dump.push_str(&tuples.join(","));
            dump.push_str(";\n");
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("d.sql");
        std::fs::write(&path, dump).expect("write");
        let (read, stats, bad) = read_all(&path);
        prop_assert_eq!(bad, 0);
        prop_assert_eq!(read, rows);
        prop_assert_eq!(stats.lines_total, stats.records + stats.quarantined + stats.header_lines + stats.blank_lines + stats.continuation_lines);
    }

    #[test]
    fn compressed_and_archived_round_trip(
        rows in proptest::collection::vec(proptest::collection::vec(cell(), 3), 2..20),
        container in 0..3u8,
    ) {
        let mut text = String::from("email,first_name,phone\n");
        for r in &rows {
            text.push_str(&r.iter().map(|c| quote(c, ',')).collect::<Vec<_>>().join(","));
            text.push('\n');
        }
        let bytes = match container {
            0 => {
                use std::io::Write;
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(text.as_bytes()).expect("gzip");
                e.finish().expect("gzip")
            }
            1 => zstd::encode_all(text.as_bytes(), 1).expect("zstd"),
            _ => {
                use std::io::Write;
                let mut out = std::io::Cursor::new(Vec::new());
                let mut z = zip::ZipWriter::new(&mut out);
                z.start_file("part.csv", zip::write::SimpleFileOptions::default()).expect("member");
                z.write_all(text.as_bytes()).expect("write");
                z.finish().expect("finish");
                out.into_inner()
            }
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.bin");
        std::fs::write(&path, bytes).expect("write");
        let (read, _, bad) = read_all(&path);
        prop_assert_eq!(bad, 0);
        prop_assert_eq!(read, rows);
    }

    #[test]
    fn key_value_and_fixed_width_round_trip(
        rows in proptest::collection::vec(proptest::collection::vec("[A-Za-z0-9@.+][A-Za-z0-9@.+ ]{0,10}[A-Za-z0-9@.+]", 3), 5..25),
        fixed in any::<bool>(),
    ) {
        let keys = ["Email", "Name", "Phone"];
        let mut text = String::new();
        if fixed {
            let widths: Vec<usize> = (0..3).map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(1).max(keys[i].len()) + 2).collect();
            let line = |cells: Vec<&str>| cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect::<String>();
            text.push_str(&line(keys.to_vec()));
            text.push('\n');
            for r in &rows {
                text.push_str(&line(r.iter().map(String::as_str).collect()));
                text.push('\n');
            }
        } else {
            for r in &rows {
                for (k, v) in keys.iter().zip(r) {
                    text.push_str(&format!("{k}: {v}\n"));
                }
                text.push('\n');
            }
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.txt");
        std::fs::write(&path, &text).expect("write");
        let (read, stats, bad) = read_all(&path);
        prop_assert_eq!(bad, 0);
        let want: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| c.trim().to_owned()).collect()).collect();
        prop_assert_eq!(read, want, "{}", text);
        prop_assert_eq!(stats.lines_total, stats.records + stats.quarantined + stats.header_lines + stats.blank_lines + stats.continuation_lines);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_every_line_is_accounted(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("junk");
        std::fs::write(&path, &bytes).expect("write");
        if let Ok(s) = Sample::open(&path, &IngestOptions::default()) {
            let mut recs = s.records().expect("records");
            let n = recs.by_ref().filter(|e| !matches!(e, Event::Part(_))).count() as u64;
            let st = recs.stats();
            prop_assert_eq!(n, st.records + st.quarantined);
            prop_assert_eq!(st.lines_total, st.records + st.quarantined + st.header_lines + st.blank_lines + st.continuation_lines);
        }
    }
}

/// Names as they appear in customer data of each script's countries.
const SCRIPTS: &[(&str, &[&str])] = &[
    (
        "windows-1250",
        &[
            "Łukasz Wiśniewski",
            "Zuzana Nováková",
            "Dvořák Jiří",
            "Małgorzata Żółć",
            "Štěpán Černý",
        ],
    ),
    (
        "windows-1251",
        &[
            "Иван Петров",
            "Анна Смирнова",
            "Дмитрий Кузнецов",
            "Ольга Попова",
            "Сергей Соколов",
        ],
    ),
    (
        "windows-1252",
        &[
            "Jürgen Müller",
            "François Lefèvre",
            "José García",
            "Björn Weiß",
            "Chloé Dubois",
        ],
    ),
    (
        "windows-1254",
        &[
            "Ayşe Yılmaz",
            "Çağlar Öztürk",
            "Şahin Demir",
            "Gülşen Kaya",
            "İbrahim Çelik",
        ],
    ),
    (
        "windows-1256",
        &[
            "محمد حسن",
            "فاطمة علي",
            "أحمد إبراهيم",
            "مريم محمود",
            "يوسف سعيد",
        ],
    ),
    (
        "ISO-8859-7",
        &[
            "Γιώργος Παπαδόπουλος",
            "Μαρία Οικονόμου",
            "Νίκος Γεωργίου",
            "Ελένη Νικολάου",
            "Δημήτρης Αθανασίου",
        ],
    ),
    (
        "Shift_JIS",
        &[
            "佐藤 花子",
            "鈴木 一郎",
            "高橋 さくら",
            "田中 太郎",
            "伊藤 ひろし",
        ],
    ),
    ("GBK", &["王小明", "李芳", "张伟", "刘静", "陈强"]),
    (
        "EUC-KR",
        &["김민준", "이서연", "박지훈", "최하은", "정도윤"],
    ),
    ("Big5", &["陳大文", "林美玲", "黃志明", "張家豪", "王淑芬"]),
];

#[test]
fn legacy_encodings_are_detected_and_read_back() {
    for (label, names) in SCRIPTS {
        let enc = encoding_rs::Encoding::for_label(label.as_bytes()).expect("known label");
        let mut text = String::from("id;name;email\n");
        for i in 0..60 {
            text.push_str(&format!(
                "{i};{};user{i}@example.org\n",
                names[i % names.len()]
            ));
        }
        let (bytes, _, unmappable) = enc.encode(&text);
        assert!(!unmappable, "{label}");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.csv");
        std::fs::write(&path, &bytes).expect("write");
        let (rows, stats, bad) = read_all(&path);
        assert_eq!((bad, stats.records), (0, 60), "{label}");
        for (i, r) in rows.iter().enumerate() {
            assert_eq!(r[1], names[i % names.len()], "{label} row {i}");
        }
    }
}

#[test]
fn utf16_without_bom_both_orders() {
    let text = "email,name\nana@example.es,Ana López\nbo@example.cn,王小明\n";
    for be in [false, true] {
        let bytes: Vec<u8> = text
            .encode_utf16()
            .flat_map(|u| if be { u.to_be_bytes() } else { u.to_le_bytes() })
            .collect();
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.csv");
        std::fs::write(&path, &bytes).expect("write");
        let (rows, _, bad) = read_all(&path);
        assert_eq!(bad, 0);
        assert_eq!(rows[1][1], "王小明", "big endian: {be}");
    }
}

/// One row of the Parquet test table: email (nullable), name, phone, birth date (days
/// since 1970), customer id.
type PqRow<'a> = (Option<&'a str>, &'a str, &'a str, i32, i64);

/// Writes a Parquet table the way a warehouse export looks: UTF-8 strings (some null), a
/// DATE column and an INT64 id.
fn write_parquet(path: &std::path::Path, rows: &[PqRow<'_>]) {
    use parquet::data_type::{ByteArray, ByteArrayType, Int32Type, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use std::sync::Arc;
    let schema = parquet::schema::parser::parse_message_type(
        "message export {
            optional binary email (UTF8);
            required binary full_name (UTF8);
            required binary phone (UTF8);
            required int32 birth_date (DATE);
            required int64 customer_id;
        }",
    )
    .expect("schema");
    let file = std::fs::File::create(path).expect("create");
    let mut w = SerializedFileWriter::new(
        file,
        Arc::new(schema),
        Arc::new(WriterProperties::builder().build()),
    )
    .expect("writer");
    let mut g = w.next_row_group().expect("group");
    let strings = |f: &dyn Fn(&PqRow<'_>) -> Option<String>| {
        let v: Vec<Option<String>> = rows.iter().map(f).collect();
        let defs: Vec<i16> = v.iter().map(|x| i16::from(x.is_some())).collect();
        let vals: Vec<ByteArray> = v
            .into_iter()
            .flatten()
            .map(|s| ByteArray::from(s.as_str()))
            .collect();
        (vals, defs)
    };
    let mut col = 0;
    while let Some(mut c) = g.next_column().expect("column") {
        match col {
            0 => {
                let (vals, defs) = strings(&|r| r.0.map(str::to_owned));
                c.typed::<ByteArrayType>()
                    .write_batch(&vals, Some(&defs), None)
                    .expect("write");
            }
            1 | 2 => {
                let (vals, _) = strings(&|r| Some(if col == 1 { r.1 } else { r.2 }.to_owned()));
                c.typed::<ByteArrayType>()
                    .write_batch(&vals, None, None)
                    .expect("write");
            }
            3 => {
                let v: Vec<i32> = rows.iter().map(|r| r.3).collect();
                c.typed::<Int32Type>()
                    .write_batch(&v, None, None)
                    .expect("write");
            }
            _ => {
                let v: Vec<i64> = rows.iter().map(|r| r.4).collect();
                c.typed::<Int64Type>()
                    .write_batch(&v, None, None)
                    .expect("write");
            }
        }
        c.close().expect("close");
        col += 1;
    }
    g.close().expect("group");
    w.close().expect("close");
}

#[test]
fn parquet_exports_are_read_as_a_table() {
    let d = tempfile::tempdir().expect("tempdir");
    let path = d.path().join("customers.parquet");
    write_parquet(
        &path,
        &[
            (
                Some("ana@example.es"),
                "Ana García",
                "+34 612 34 56 78",
                3712,
                1001,
            ),
            (None, "Jonas Berg", "+46 70 123 45 67", -3000, 1002),
            (
                Some("mei@example.cn"),
                "王小明",
                "+86 139 1234 5678",
                0,
                1003,
            ),
        ],
    );
    let sample = Sample::open(&path, &IngestOptions::default()).expect("open");
    let layouts = sample.known_layouts();
    assert_eq!(layouts.len(), 1);
    let layout = layouts[0].1;
    assert_eq!(layout.format, breachcheck_ingest::Format::Parquet);
    assert_eq!(
        layout.roles(),
        vec![
            breachcheck_core::FieldRole::Email,
            breachcheck_core::FieldRole::FullName,
            breachcheck_core::FieldRole::Phone,
            breachcheck_core::FieldRole::BirthDate,
            breachcheck_core::FieldRole::CustomerId
        ]
    );
    let (rows, stats, quarantined) = read_all(&path);
    assert_eq!(quarantined, 0);
    assert_eq!(
        (stats.records, stats.header_lines, stats.lines_total),
        (3, 1, 4)
    );
    assert_eq!(
        rows[0],
        [
            "ana@example.es",
            "Ana García",
            "+34 612 34 56 78",
            "1980-03-01",
            "1001"
        ]
    );
    assert_eq!(rows[1][0], "", "a null is an empty cell");
    assert_eq!(rows[1][3], "1961-10-15");
    assert_eq!(rows[2][1], "王小明");
}
