//! Leak shapes beyond CSV: SQL dumps (several tables as parts), zip archives with a gzip
//! member, zstd streams, JSON arrays and combolists all read to the same matches.
use crate::{indexed, p, read_json, run_ok};
use std::io::Write;
use std::path::Path;

const EXPORT: &str = "\
customer_id,email,first_name,last_name,phone,country
C1,ana.lopez@example.es,Ana,López,+34 612 34 56 78,ES
C2,bo.li@example.cn,Bo,Li,+86 139 1234 5678,CN
C3,jm@example.de,Jürgen,Müller,+49 151 23456789,DE
";

fn verify(dir: &Path, name: &str, bytes: &[u8]) -> serde_json::Value {
    crate::verify_against(dir, "accounts", EXPORT, name, bytes)
}

fn genuine(r: &serde_json::Value) -> u64 {
    let e = &r["matches"]["by_evidence"];
    ["canary", "internal_id", "quirk_full_record", "full_record"]
        .iter()
        .map(|k| e[k].as_u64().unwrap_or(0))
        .sum()
}

#[test]
fn mysql_dump_with_two_tables() {
    let dump = "-- MySQL dump 10.13\n\
        CREATE TABLE `customers` (\n  `id` varchar(8) NOT NULL,\n  `mail` varchar(255) DEFAULT NULL,\n  `vorname` varchar(64),\n  `nachname` varchar(64),\n  `tel` varchar(32),\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n\
        INSERT INTO `customers` VALUES ('C1','ana.lopez@example.es','Ana','López','+34 612 34 56 78'),('C2','bo.li@example.cn','Bo','Li','+86 139 1234 5678'),\n('C9','x@example.org','O\\'Neil','Someone','+1 202 555 0100');\n\
        CREATE TABLE `logins` (`uid` int, `ip` varchar(40), `at` datetime);\n\
        INSERT INTO `logins` VALUES (1,'10.0.0.1','2026-01-01 10:00:00'),(2,'10.0.0.2','2026-01-02 11:00:00');\n\
        INSERT INTO `customers` VALUES ('C3','jm@example.de','Jürgen','Müller','+49 151 23456789'),('C4','broken;\n";
    let tmp = tempfile::tempdir().expect("tempdir");
    let r = verify(tmp.path(), "dump.sql", dump.as_bytes());
    let parts = r["sample"]["parts"].as_array().expect("parts");
    assert_eq!(parts.len(), 2, "{parts:?}");
    assert_eq!(parts[0]["name"], "dump.sql:customers");
    assert_eq!(parts[0]["layout"]["format"]["kind"], "sql");
    let roles = crate::roles(&parts[0]);
    assert_eq!(
        roles,
        ["customer_id", "email", "first_name", "last_name", "phone"]
    );
    assert_eq!(r["sample"]["records_parsed"], 6);
    assert_eq!(r["sample"]["quarantined"], 1);
    assert_eq!(genuine(&r), 3, "{}", r["matches"]["by_evidence"]);
}

#[test]
fn zip_with_a_gzip_member_and_a_zstd_stream() {
    let csv = "email;vorname;nachname;tel;land\nana.lopez@example.es;Ana;López;+34612345678;ES\nbo.li@example.cn;Bo;Li;+8613912345678;CN\n";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(csv.as_bytes()).expect("gzip");
    let gz = gz.finish().expect("gzip");
    let mut zipped = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut zipped);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        z.start_file("part1.csv.gz", opts).expect("member");
        z.write_all(&gz).expect("write");
        z.add_directory("empty/", opts).expect("dir");
        z.start_file("part2.json", opts).expect("member");
        z.write_all(br#"[{"email":"jm@example.de","name":{"first":"J\u00fcrgen","last":"M\u00fcller"},"phone":"+49 151 23456789","country":"DE"}]"#).expect("write");
        z.finish().expect("finish");
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let r = verify(tmp.path(), "leak.zip", zipped.get_ref());
    let parts = r["sample"]["parts"].as_array().expect("parts");
    let names: Vec<&str> = parts
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["leak.zip:part1.csv.gz", "leak.zip:part2.json"]);
    assert_eq!(parts[0]["layout"]["container"], "gzip");
    assert_eq!(r["sample"]["container"], "zip");
    assert_eq!(r["sample"]["records_parsed"], 3);
    assert_eq!(genuine(&r), 3, "{}", r["matches"]["by_evidence"]);

    let tmp = tempfile::tempdir().expect("tempdir");
    let zst = zstd::encode_all(csv.as_bytes(), 3).expect("zstd");
    let r = verify(tmp.path(), "leak.csv.zst", &zst);
    assert_eq!(r["sample"]["container"], "zstd");
    assert_eq!(genuine(&r), 2);
}

#[test]
fn combolist_matches_emails_only_and_never_as_names() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let r = verify(
        tmp.path(),
        "combo.txt",
        b"ana.lopez@example.es:Sunshine1\nbo.li@example.cn:pa:ss:word\nnobody@example.org:qwerty\n==== dumped by somebody ====\nx1@example.org:a\nx2@example.org:b\nx3@example.org:c\nx4@example.org:d\nx5@example.org:e\n",
    );
    let roles = crate::roles(&r["sample"]["parts"][0]);
    assert_eq!(roles, ["email", "password_hash"]);
    assert_eq!(r["sample"]["records_parsed"], 8);
    // A banner line without the separator is quarantined, not read as an e-mail.
    assert_eq!(r["sample"]["quarantined"], 1);
    assert_eq!(r["sample"]["quarantine"][0]["line"], 4);
    assert_eq!(r["matches"]["by_evidence"]["partial"], 2);
    assert_eq!(r["matches"]["by_evidence"]["none"], 6);
}

#[test]
fn mojibake_is_repaired_before_matching() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let sample = "email,first_name,last_name,phone,country\njm@example.de,JÃ¼rgen,MÃ¼ller,+4915123456789,DE\n";
    let r = verify(tmp.path(), "moji.csv", sample.as_bytes());
    assert_eq!(r["sample"]["mojibake_repaired"], 1, "{}", r["sample"]);
    assert_eq!(genuine(&r), 1, "{}", r["matches"]["by_evidence"]);
}

/// A minimal XLSX workbook (inline strings, one number cell) written with the zip crate.
fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
    let mut sheet = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (i, row) in rows.iter().enumerate() {
        sheet.push_str(&format!(r#"<row r="{}">"#, i + 1));
        for (j, cell) in row.iter().enumerate() {
            let col = (b'A' + j as u8) as char;
            if !cell.is_empty() && cell.bytes().all(|b| b.is_ascii_digit()) {
                sheet.push_str(&format!(r#"<c r="{col}{}"><v>{cell}</v></c>"#, i + 1));
            } else {
                let esc = cell.replace('&', "&amp;").replace('<', "&lt;");
                sheet.push_str(&format!(
                    r#"<c r="{col}{}" t="inlineStr"><is><t>{esc}</t></is></c>"#,
                    i + 1
                ));
            }
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    let files = [
        ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_owned()),
        ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_owned()),
        ("xl/workbook.xml", r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Kunden" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_owned()),
        ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_owned()),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, body) in files {
            z.start_file(name, opts).expect("member");
            z.write_all(body.as_bytes()).expect("write");
        }
        z.finish().expect("finish");
    }
    out.into_inner()
}

#[test]
fn xlsx_sheets_are_parts() {
    let book = xlsx(&[
        &[
            "Kundennummer",
            "E-Mail",
            "Vorname",
            "Nachname",
            "Telefon",
            "Land",
        ],
        &[
            "C1",
            "ana.lopez@example.es",
            "Ana",
            "López",
            "34612345678",
            "ES",
        ],
        &["", "", "", "", "", ""],
        &[
            "C3",
            "jm@example.de",
            "Jürgen",
            "Müller",
            "+49 151 23456789",
            "DE",
        ],
        &[
            "C7",
            "nobody@example.org",
            "No",
            "Body",
            "+1 202 555 0100",
            "US",
        ],
    ]);
    let tmp = tempfile::tempdir().expect("tempdir");
    let r = verify(tmp.path(), "kunden.xlsx", &book);
    let parts = r["sample"]["parts"].as_array().expect("parts");
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0]["name"], "kunden.xlsx:Kunden");
    assert_eq!(parts[0]["layout"]["format"]["kind"], "sheet");
    let s = &r["sample"];
    assert_eq!(
        (
            s["lines_total"].as_u64(),
            s["records_parsed"].as_u64(),
            s["header_lines"].as_u64(),
            s["blank_lines"].as_u64()
        ),
        (Some(5), Some(3), Some(1), Some(1))
    );
    assert_eq!(genuine(&r), 2, "{}", r["matches"]["by_evidence"]);
}

#[test]
fn national_numbers_take_their_region_from_script_or_the_sample() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let export = "email,first_name,last_name,phone,country\n\
        a1@example.de,Anna,Schmidt,+49 151 11111111,DE\n\
        a2@example.de,Bernd,Meyer,+49 151 22222222,DE\n\
        ru@example.ru,Иван,Петров,+7 912 345-67-89,RU\n";
    let (k, idx, _) = indexed(dir, "crm", "2026-01-01", "crm.csv", export);
    // No country column: the Cyrillic name says RU; the sample's many +49 numbers say DE.
    let sample = dir.join("s.csv");
    std::fs::write(
        &sample,
        "email,first_name,last_name,phone\n\
         x1@example.org,Max,Muster,+49 151 33333333\n\
         x2@example.org,Eva,Muster,+49 151 44444444\n\
         x3@example.org,Udo,Muster,+49 151 55555555\n\
         x4@example.org,Ute,Muster,+49 151 66666666\n\
         x5@example.org,Ida,Muster,+49 151 77777777\n\
         a1@example.de,Anna,Schmidt,0151 11111111\n\
         ru@example.ru,Иван,Петров,8 (912) 345-67-89\n",
    )
    .expect("write");
    let json = dir.join("r.json");
    run_ok(
        &[
            crate::verify_args(&k, &idx, &json),
            vec!["--default-region", "US", p(&sample)],
        ]
        .concat(),
    );
    let r = read_json(&json);
    assert_eq!(r["sample"]["parts"][0]["layout"]["phone_region"], "DE");
    assert_eq!(genuine(&r), 2, "{}", r["matches"]["by_evidence"]);
    assert_eq!(r["matches"]["field_agreement"]["phone"]["agree"], 2);
}

#[test]
fn fixed_width_report_export() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let sample = "\
CUSTNO  EMAIL                     FIRST     LAST        PHONE              CTRY
C1      ana.lopez@example.es      Ana       López       +34 612 34 56 78   ES
C2      bo.li@example.cn          Bo        Li          +86 139 1234 5678  CN
C8      someone@example.org       Some      One         +1 202 555 0100    US
C9      other@example.org         Oth       Er          +1 202 555 0101    US
C3      jm@example.de             Jürgen    Müller      +49 151 23456789   DE
";
    let r = verify(tmp.path(), "report.txt", sample.as_bytes());
    let part = &r["sample"]["parts"][0];
    assert_eq!(part["layout"]["format"]["kind"], "fixed_width", "{part}");
    let roles = crate::roles(part);
    assert_eq!(
        roles,
        [
            "customer_id",
            "email",
            "first_name",
            "last_name",
            "phone",
            "country"
        ]
    );
    assert_eq!(r["sample"]["records_parsed"], 5);
    assert_eq!(genuine(&r), 3, "{}", r["matches"]["by_evidence"]);
}

#[test]
fn key_value_blocks() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let sample = "\
===============
Name: Ana López
E-Mail: ana.lopez@example.es
Phone: +34 612 34 56 78
Country: ES

Name: Jürgen Müller
E-Mail: jm@example.de
Phone: +49 151 23456789
Country: DE

Name: Nobody Here
E-Mail: nobody@example.org
Phone: +1 202 555 0100
Country: US
";
    let r = verify(tmp.path(), "log.txt", sample.as_bytes());
    let part = &r["sample"]["parts"][0];
    assert_eq!(part["layout"]["format"]["kind"], "key_value", "{part}");
    let s = &r["sample"];
    assert_eq!(s["records_parsed"], 3);
    assert_eq!(s["quarantined"], 1, "the ==== line");
    assert_eq!(s["lines_total"], 15);
    assert_eq!(
        (s["blank_lines"].as_u64(), s["continuation_lines"].as_u64()),
        (Some(2), Some(9))
    );
    assert_eq!(genuine(&r), 2, "{}", r["matches"]["by_evidence"]);
    assert_eq!(r["sample"]["quarantine"][0]["reason"], "not_key_value");
}

#[test]
fn rows_of_joined_internal_tables_are_genuine() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    // 60 customers in accounts (e-mail, name, birth date) with their orders (order id,
    // e-mail, address) in the orders system.
    let names = [
        ("Ana", "López"),
        ("Bo", "Li"),
        ("Jürgen", "Müller"),
        ("Mei", "Wang"),
        ("Lars", "Nilsson"),
        ("Priya", "Sharma"),
    ];
    let mut accounts = String::from("email,first_name,last_name,birth_date\n");
    let mut orders = String::from("order_id,email,street,postal_code,city,country\n");
    let mut joined = String::from(
        "order_no,email,first_name,last_name,birth_date,street,postal_code,city,country\n",
    );
    for i in 0..60u32 {
        let (f, l) = names[i as usize % names.len()];
        let email = format!("{}.{}{i}@example.org", f.to_lowercase(), i * 7);
        let dob = format!("19{:02}-{:02}-{:02}", 50 + i % 40, 1 + i % 12, 1 + i % 28);
        let street = format!("Hauptstraße {}", 1 + i);
        let postal = format!("{:05}", 10115 + i * 13);
        accounts.push_str(&format!("{email},{f},{l},{dob}\n"));
        orders.push_str(&format!(
            "O-{:04},{email},{street},{postal},Berlin,DE\n",
            1000 + i
        ));
        // The seller joined both tables: no single record holds all these columns.
        joined.push_str(&format!(
            "O-{:04},{email},{f},{l},{dob},{street},{postal},Berlin,DE\n",
            1000 + i
        ));
    }
    let (k, idx, _) = crate::indexed(dir, "accounts", "2026-03-31", "accounts.csv", &accounts);
    let o = dir.join("orders.csv");
    std::fs::write(&o, orders).expect("write");
    run_ok(&crate::build_args(&k, &idx, "orders", "2026-03-31", &o));
    let sample = dir.join("joined.csv");
    std::fs::write(&sample, joined).expect("write");
    let json = dir.join("r.json");
    run_ok(
        &[
            crate::verify_args(&k, &idx, &json),
            vec!["--map", "order_no=order_id", p(&sample)],
        ]
        .concat(),
    );
    let r = read_json(&json);
    // No single record holds every column: each line is the order's (its id) joined with
    // the account's (the name and birth date), never one full record.
    let e = &r["matches"]["by_evidence"];
    assert_eq!(e["full_record"], 0, "{e}");
    assert_eq!(
        e["internal_id"].as_u64().unwrap_or(0) + r["matches"]["joined"].as_u64().unwrap_or(0),
        60,
        "{}",
        r["matches"]
    );
    assert_eq!(r["verdict"]["class"], "genuine", "{}", r["verdict"]);
    let [lo, hi] = [0, 1].map(|i| {
        r["verdict"]["genuine_fraction"]["ci95"][i]
            .as_f64()
            .expect("ci")
    });
    assert!(lo <= 1.0 && 1.0 <= hi + 1e-12, "{lo} {hi}");
}

#[test]
fn a_sample_says_whether_its_dates_are_day_or_month_first() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let export = "email,first_name,last_name,birth_date,country\n\
        a@example.com,Amy,Adams,1985-03-02,US\n\
        b@example.com,Bob,Brown,1990-11-25,US\n";
    // Day-first throughout, although the people are American: 25/11 settles it for 02/03.
    let sample = "email,first_name,last_name,dob,country\n\
        a@example.com,Amy,Adams,02/03/1985,US\n\
        b@example.com,Bob,Brown,25/11/1990,US\n";
    let r = crate::verify_against(tmp.path(), "crm", export, "s.csv", sample.as_bytes());
    assert_eq!(
        r["sample"]["parts"][0]["layout"]["dates_month_first"],
        false
    );
    assert_eq!(genuine(&r), 2, "{}", r["matches"]["by_evidence"]);
}
