//! An export reads back with the same counts and tags as the index holds.
use breachcheck_core::{FieldRole, SecretKey, Tagger};
use breachcheck_export::export_index;
use breachcheck_index::{Index, SegmentBuilder, SegmentKind, SourceFile};
use breachcheck_normalize::Normalizer;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn build(dir: &Path, key: &SecretKey, snapshot: &str, emails: &[String]) {
    let n = Normalizer::new(Tagger::new(key), None);
    let mut b =
        SegmentBuilder::new(dir, key, "accounts", snapshot, SegmentKind::System).expect("builder");
    b.add_source(SourceFile {
        name: "a.csv".into(),
        sha256: String::new(),
        rows: 0,
        location: None,
    });
    for (i, e) in emails.iter().enumerate() {
        b.add(
            i as u64 + 2,
            &n.tag_record(&[FieldRole::Email], &[e.as_str()]),
        );
    }
    b.commit().expect("commit");
}

/// Reads every Parquet file under `dir`: rows per (system, snapshot) partition and the
/// tag values of each.
fn read_back(dir: &Path) -> BTreeMap<(String, String), BTreeSet<i64>> {
    let mut out: BTreeMap<(String, String), BTreeSet<i64>> = BTreeMap::new();
    let mut rows = 0usize;
    for sys in std::fs::read_dir(dir).expect("dir").flatten() {
        // The tables of a verify's reads and the manifest sit beside the tag partitions.
        if !sys.file_name().to_string_lossy().starts_with("system=") {
            continue;
        }
        for snap in std::fs::read_dir(sys.path()).expect("dir").flatten() {
            for prefix in std::fs::read_dir(snap.path()).expect("dir").flatten() {
                let file = std::fs::File::open(prefix.path().join("part-0.parquet")).expect("file");
                let reader = SerializedFileReader::new(file).expect("parquet");
                let key = (
                    sys.file_name().to_string_lossy().into_owned(),
                    snap.file_name().to_string_lossy().into_owned(),
                );
                let p = prefix.file_name().to_string_lossy().into_owned();
                for row in reader.get_row_iter(None).expect("rows") {
                    let row = row.expect("row");
                    let (_, Field::Long(tag)) = row.get_column_iter().next().expect("tag") else {
                        panic!("tag is not INT64");
                    };
                    assert_eq!(
                        p,
                        format!("prefix={:x}", tag >> 36),
                        "row in the wrong partition"
                    );
                    out.entry(key.clone()).or_default().insert(*tag);
                    rows += 1;
                }
            }
        }
    }
    assert_eq!(
        rows,
        out.values().map(BTreeSet::len).sum::<usize>(),
        "duplicate rows"
    );
    out
}

#[test]
fn export_reads_back_with_the_same_counts() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let key = SecretKey::from_bytes([21; 32]);
    let first: Vec<String> = (0..3000).map(|i| format!("p{i}@example.org")).collect();
    let mut second: Vec<String> = first[500..].to_vec();
    second.extend((0..200).map(|i| format!("new{i}@example.org")));
    let idx = tmp.path().join("idx");
    build(&idx, &key, "2026-01-31", &first);
    build(&idx, &key, "2026-02-28", &second);
    let index = Index::open(&idx).expect("open");
    let out = tmp.path().join("export");
    let summary = export_index(&index, &out).expect("export");
    // One posting (the e-mail tag) per record; the second snapshot holds its carried
    // records too.
    assert_eq!(
        summary.partitions,
        vec![
            ("accounts".into(), "2026-01-31".into(), 3000),
            ("accounts".into(), "2026-02-28".into(), 2700),
        ]
    );
    let back = read_back(&out);
    let jan = &back[&("system=accounts".into(), "snapshot=2026-01-31".into())];
    let feb = &back[&("system=accounts".into(), "snapshot=2026-02-28".into())];
    assert_eq!((jan.len(), feb.len()), (3000, 2700));
    // The exported tag is the keyed tag's first 40 bits: a sample tagged with the same key
    // joins on it.
    let n = Normalizer::new(Tagger::new(&key), None);
    let tag40 = |e: &str| (n.tag_record(&[FieldRole::Email], &[e]).blocks[0].1 .0 >> 24) as i64;
    assert!(jan.contains(&tag40("p1@example.org")) && !feb.contains(&tag40("p1@example.org")));
    assert!(feb.contains(&tag40("new7@example.org")) && !jan.contains(&tag40("new7@example.org")));
    assert!(feb.contains(&tag40("p2999@example.org")));
    // Beside them, every stored record once (3,000, then the 200 new ones; the carried
    // ones are not stored again) with its one posting (an e-mail's identity is its
    // blocking tag), and the manifest.
    assert_eq!((summary.records, summary.postings), (3200, 3200));
    assert_eq!(
        breachcheck_index::Manifest::load_checked(&out).expect("manifest"),
        *index.manifest()
    );
    // Never over an existing directory.
    assert!(export_index(&index, &out).is_err());
}
