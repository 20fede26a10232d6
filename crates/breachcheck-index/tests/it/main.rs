//! Index durability and refusal behaviour.
use breachcheck_core::{FieldRole, SecretKey, Tagger};
use breachcheck_index::{Error, Index, SegmentBuilder, SegmentKind, SegmentMeta, SourceFile};
use breachcheck_normalize::Normalizer;
use std::path::Path;

fn key(b: u8) -> SecretKey {
    SecretKey::from_bytes([b; 32])
}

fn add(
    dir: &Path,
    k: &SecretKey,
    system: &str,
    snapshot: &str,
    emails: &[&str],
) -> Result<(), Error> {
    build(dir, k, system, snapshot, emails).map(|_| ())
}

fn build(
    dir: &Path,
    k: &SecretKey,
    system: &str,
    snapshot: &str,
    emails: &[&str],
) -> Result<SegmentMeta, Error> {
    let n = Normalizer::new(Tagger::new(k), None);
    let mut b = SegmentBuilder::new(dir, k, system, snapshot, SegmentKind::System)?;
    b.add_source(source());
    for (i, e) in emails.iter().enumerate() {
        b.add(i as u64 + 2, &n.tag_record(&[FieldRole::Email], &[*e]));
    }
    b.commit()
}

fn source() -> SourceFile {
    SourceFile {
        name: "x.csv".into(),
        sha256: String::new(),
        rows: 0,
        location: None,
    }
}

#[test]
fn several_systems_and_snapshots_and_a_stable_commitment() {
    let d = tempfile::tempdir().expect("tempdir");
    let k = key(1);
    add(
        d.path(),
        &k,
        "accounts",
        "2026-01-31",
        &["a@example.org", "b@example.org"],
    )
    .expect("add");
    let root1 = Index::open(d.path())
        .expect("open")
        .manifest()
        .commitment
        .root
        .clone();
    add(d.path(), &k, "accounts", "2026-02-28", &["a@example.org"]).expect("add");
    add(d.path(), &k, "orders", "2026-01-31", &["c@example.org"]).expect("add");
    let idx = Index::open(d.path()).expect("open");
    assert_eq!(idx.manifest().systems(), ["accounts", "orders"]);
    // The second accounts snapshot stores nothing: a@ is carried, b@ removed.
    assert_eq!(idx.manifest().commitment.records, 3);
    assert_eq!(idx.manifest().segments[1].removed, 1);
    assert_ne!(idx.manifest().commitment.root, root1);
    assert_eq!(idx.check().expect("check"), 3);
    // The same content under the same key commits to the same root.
    let d2 = tempfile::tempdir().expect("tempdir");
    add(
        d2.path(),
        &k,
        "accounts",
        "2026-01-31",
        &["a@example.org", "b@example.org"],
    )
    .expect("add");
    assert_eq!(
        Index::open(d2.path())
            .expect("open")
            .manifest()
            .commitment
            .root,
        root1
    );
}

#[test]
fn refusals_say_what_to_do() {
    let d = tempfile::tempdir().expect("tempdir");
    add(
        d.path(),
        &key(1),
        "accounts",
        "2026-01-31",
        &["a@example.org"],
    )
    .expect("add");
    let dup = add(
        d.path(),
        &key(1),
        "accounts",
        "2026-01-31",
        &["a@example.org"],
    )
    .expect_err("duplicate");
    assert!(matches!(dup, Error::DuplicateSnapshot { .. }), "{dup}");
    let wrong = add(
        d.path(),
        &key(2),
        "accounts",
        "2026-02-28",
        &["a@example.org"],
    )
    .expect_err("key");
    assert!(matches!(wrong, Error::KeyMismatch { .. }), "{wrong}");
    let older = add(
        d.path(),
        &key(1),
        "accounts",
        "2025-12-31",
        &["a@example.org"],
    )
    .expect_err("older snapshot");
    assert!(matches!(older, Error::SnapshotOrder { .. }), "{older}");
    let k = key(1);
    assert!(
        SegmentBuilder::new(d.path(), &k, "../etc", "2026-01-31", SegmentKind::System).is_err()
    );
    assert!(
        SegmentBuilder::new(d.path(), &k, "accounts", "2026-02-30", SegmentKind::System).is_err()
    );
    assert!(matches!(
        Index::open(&d.path().join("nope")),
        Err(Error::NotAnIndex(_))
    ));
}

/// A segment of an older format (v4: 8-byte postings, 32-bit checks) is refused with the
/// way out, never misread as v5 — by a verify (`Index::open`) and by `index check`.
#[test]
fn an_older_segment_format_is_refused_with_the_way_out() {
    let d = tempfile::tempdir().expect("tempdir");
    add(
        d.path(),
        &key(1),
        "accounts",
        "2026-01-31",
        &["a@example.org"],
    )
    .expect("add");
    let seg = std::fs::read_dir(d.path().join("segments"))
        .expect("segments")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "bcs"))
        .expect("a segment");
    let mut bytes = std::fs::read(&seg).expect("read");
    bytes[..8].copy_from_slice(b"BCSEG04\n");
    bytes[8..12].copy_from_slice(&4u32.to_le_bytes());
    std::fs::write(&seg, &bytes).expect("write");
    let e = Index::open(d.path()).expect_err("v4 segment");
    let msg = e.to_string();
    assert!(
        matches!(
            e,
            Error::OldFormat {
                version: 4,
                current: 5,
                ..
            }
        ),
        "{msg}"
    );
    assert!(
        msg.contains("format v4") && msg.contains("index upgrade") && !msg.contains("damaged"),
        "{msg}"
    );
}

#[test]
fn a_live_lock_is_respected_and_a_stale_one_taken_over() {
    let d = tempfile::tempdir().expect("tempdir");
    add(
        d.path(),
        &key(1),
        "accounts",
        "2026-01-31",
        &["a@example.org"],
    )
    .expect("add");
    // Held by a running writer (here, in this process).
    let held =
        breachcheck_index::DirLock::acquire(d.path(), breachcheck_index::DIR_KIND).expect("lock");
    let e = add(
        d.path(),
        &key(1),
        "accounts",
        "2026-02-28",
        &["a@example.org"],
    )
    .expect_err("locked");
    assert!(
        matches!(e, Error::Files(breachcheck_files::Error::Locked { .. })),
        "{e}"
    );
    assert!(e.to_string().contains("index"), "{e}");
    drop(held);
    // Left by a writer that no longer runs (no one holds its flock), even one naming a
    // live process, or written by an older version.
    std::fs::write(d.path().join("LOCK"), format!("{}\n", std::process::id())).expect("lock");
    add(
        d.path(),
        &key(1),
        "accounts",
        "2026-02-28",
        &["a@example.org"],
    )
    .expect("stale lock taken over");
    assert!(!d.path().join("LOCK").exists());
}

#[test]
fn damage_and_leftovers() {
    let d = tempfile::tempdir().expect("tempdir");
    add(
        d.path(),
        &key(1),
        "accounts",
        "2026-01-31",
        &["a@example.org", "b@example.org"],
    )
    .expect("add");
    // A temporary file left by a killed build does not disturb readers.
    std::fs::write(
        d.path().join("segments").join(".tmp-leftover"),
        b"half a segment",
    )
    .expect("write");
    Index::open(d.path()).expect("open").check().expect("check");
    // A truncated segment is refused on open.
    let seg = std::fs::read_dir(d.path().join("segments"))
        .expect("dir")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "bcs"))
        .expect("segment");
    let bytes = std::fs::read(&seg).expect("read");
    std::fs::write(&seg, &bytes[..bytes.len() - 1]).expect("truncate");
    assert!(matches!(Index::open(d.path()), Err(Error::Corrupt { .. })));
    // A manifest from other rules is refused with the rebuild advice.
    std::fs::write(&seg, &bytes).expect("restore");
    let m = d.path().join("manifest.json");
    let text = std::fs::read_to_string(&m).expect("manifest");
    std::fs::write(
        &m,
        text.replace(
            &format!("\"rules_version\": {}", breachcheck_core::RULES_VERSION),
            "\"rules_version\": 99",
        ),
    )
    .expect("write");
    let e = Index::open(d.path()).expect_err("rules");
    assert!(e.to_string().contains("rebuild"), "{e}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(16))]
    /// Whatever was indexed is found again, and nothing else is.
    #[test]
    fn lookups_find_exactly_what_was_indexed(emails in proptest::collection::btree_set("[a-z]{1,8}@[a-z]{2,6}\\.(org|de)", 1..40), probe in "[a-z]{1,8}@[a-z]{2,6}\\.org") {
        let d = tempfile::tempdir().expect("tempdir");
        let k = key(3);
        let list: Vec<&str> = emails.iter().map(String::as_str).collect();
        add(d.path(), &k, "s", "2026-01-31", &list).expect("add");
        let idx = Index::open(d.path()).expect("open");
        let n = Normalizer::new(Tagger::new(&k), None);
        for e in &list {
            let t = n.tag_record(&[FieldRole::Email], &[*e]);
            proptest::prop_assert_eq!(idx.lookup(t.blocks[0].1).len(), 1);
        }
        let t = n.tag_record(&[FieldRole::Email], &[probe.as_str()]);
        proptest::prop_assert_eq!(idx.lookup(t.blocks[0].1).len(), usize::from(emails.contains(&probe)));
    }
}

/// A segment is byte for byte the same whether its postings were sorted in memory at once
/// or spilled in many small runs and merged.
#[test]
fn spilled_runs_merge_to_the_same_segment() {
    let k = key(4);
    let n = Normalizer::new(Tagger::new(&k), None);
    let roles = [
        FieldRole::Email,
        FieldRole::FullName,
        FieldRole::Phone,
        FieldRole::BirthDate,
    ];
    let build = |budget: usize| {
        let d = tempfile::tempdir().expect("tempdir");
        let mut b = SegmentBuilder::new(d.path(), &k, "crm", "2026-01-31", SegmentKind::System)
            .expect("builder")
            .posting_budget(budget);
        b.add_source(source());
        for i in 0..5000u32 {
            let email = format!("user{}@example.org", i * 7919 % 5000);
            let name = format!("Person {}", i % 977);
            let phone = format!("+49 151 {:08}", i * 31);
            b.add(
                u64::from(i) + 2,
                &n.tag_record(
                    &roles,
                    &[email.as_str(), name.as_str(), phone.as_str(), "1980-01-01"],
                ),
            );
        }
        let meta = b.commit().expect("commit");
        let bytes = std::fs::read(d.path().join("segments").join(&meta.file)).expect("segment");
        (meta.root, bytes)
    };
    let (root_once, once) = build(1 << 24);
    let (root_runs, runs) = build(1024);
    assert_eq!(root_once, root_runs);
    assert!(once == runs, "segments differ");
}

fn as_refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// A flipped byte anywhere in a segment is caught by `index check`.
#[test]
fn corruption_is_detected_by_checksums() {
    let d = tempfile::tempdir().expect("tempdir");
    let emails: Vec<String> = (0..300).map(|i| format!("p{i}@example.org")).collect();
    let list: Vec<&str> = emails.iter().map(String::as_str).collect();
    let meta = build(d.path(), &key(5), "crm", "2026-01-31", &list).expect("build");
    let seg = d.path().join("segments").join(&meta.file);
    let clean = std::fs::read(&seg).expect("read");
    for at in [70, clean.len() / 3, clean.len() / 2, clean.len() - 40] {
        let mut bad = clean.clone();
        bad[at] ^= 0x10;
        std::fs::write(&seg, &bad).expect("write");
        let checked = Index::open(d.path()).and_then(|i| i.check());
        assert!(matches!(checked, Err(Error::Corrupt { .. })), "byte {at}");
    }
    std::fs::write(&seg, &clean).expect("restore");
    Index::open(d.path()).expect("open").check().expect("clean");
}

/// A snapshot that differs from the previous one by 1% stores about 1%, and the index
/// still says which snapshots held each record.
#[test]
fn snapshots_store_changes_and_keep_presence() {
    let d = tempfile::tempdir().expect("tempdir");
    let k = key(6);
    let first: Vec<String> = (0..10_000).map(|i| format!("p{i}@example.org")).collect();
    // 1% changed (100 replaced by new people), the rest unchanged and reordered.
    let mut second: Vec<String> = first[100..].iter().rev().cloned().collect();
    second.extend((0..100).map(|i| format!("new{i}@example.org")));
    let third: Vec<String> = second[..5000].to_vec();
    let m1 = build(d.path(), &k, "crm", "2026-01-31", &as_refs(&first)).expect("1");
    let m2 = build(d.path(), &k, "crm", "2026-02-28", &as_refs(&second)).expect("2");
    let m3 = build(d.path(), &k, "crm", "2026-03-31", &as_refs(&third)).expect("3");
    assert_eq!((m2.records, m2.removed, m2.live), (100, 100, 10_000));
    assert_eq!((m3.records, m3.removed, m3.live), (0, 5000, 5000));
    assert!(
        (m2.bytes as f64) < 0.05 * m1.bytes as f64,
        "second snapshot adds {} bytes to {}",
        m2.bytes,
        m1.bytes
    );
    let idx = Index::open(d.path()).expect("open");
    idx.check().expect("check");
    let n = Normalizer::new(Tagger::new(&k), None);
    let held = |email: &str| {
        let t = n.tag_record(&[FieldRole::Email], &[email]);
        let hits = idx.lookup(t.blocks[0].1);
        let mut out = Vec::new();
        for h in hits {
            idx.presence(h.segment, h.record, &mut out);
        }
        out
    };
    assert_eq!(held("p5@example.org"), vec![0]); // gone in the second snapshot
    assert_eq!(held("p9999@example.org"), vec![0, 1, 2]); // first of `second`, kept in `third`
    assert_eq!(held("p300@example.org"), vec![0, 1]); // dropped in the third
    assert_eq!(held("new3@example.org"), vec![1]);
    assert_eq!(held("nobody@example.org"), Vec::<u32>::new());
}

/// Records that come back after being removed are stored again, and duplicates within a
/// snapshot are each accounted for.
#[test]
fn returning_and_duplicate_records() {
    let d = tempfile::tempdir().expect("tempdir");
    let k = key(7);
    build(
        d.path(),
        &k,
        "crm",
        "2026-01-31",
        &["a@x.org", "a@x.org", "b@x.org"],
    )
    .expect("1");
    let m2 = build(d.path(), &k, "crm", "2026-02-28", &["a@x.org"]).expect("2");
    assert_eq!((m2.records, m2.removed, m2.live), (0, 2, 1));
    let m3 = build(d.path(), &k, "crm", "2026-03-31", &["a@x.org", "b@x.org"]).expect("3");
    assert_eq!((m3.records, m3.removed, m3.live), (1, 0, 2));
    let idx = Index::open(d.path()).expect("open");
    idx.check().expect("check");
    let n = Normalizer::new(Tagger::new(&k), None);
    let t = n.tag_record(&[FieldRole::Email], &["b@x.org"]);
    let mut spans: Vec<Vec<u32>> = idx
        .lookup(t.blocks[0].1)
        .into_iter()
        .map(|h| {
            let mut out = Vec::new();
            idx.presence(h.segment, h.record, &mut out);
            out
        })
        .collect();
    spans.sort();
    assert_eq!(spans, vec![vec![0], vec![2]]);
}

/// A "crm" segment of 20,000 e-mail records (enough for several 64 KiB chunks) under key
/// `k`, built in `dir`: its manifest entry, its file's path and each record's e-mail tag.
fn many_emails(
    dir: &Path,
    k: &SecretKey,
    prefix: char,
) -> (SegmentMeta, std::path::PathBuf, Vec<breachcheck_core::Tag>) {
    let emails: Vec<String> = (0..20000)
        .map(|i| format!("{prefix}{i}@example.org"))
        .collect();
    let meta = build(dir, k, "crm", "2026-01-31", &as_refs(&emails)).expect("build");
    let n = Normalizer::new(Tagger::new(k), None);
    let tags = emails
        .iter()
        .map(|e| n.tag_record(&[FieldRole::Email], &[e.as_str()]).blocks[0].1)
        .collect();
    let seg = dir.join("segments").join(&meta.file);
    (meta, seg, tags)
}

/// Reads everything a reader can read from `idx` (every lookup of `tags`, every record,
/// every removal); returns the damage found, if any.
fn read_all(idx: &Index, tags: &[breachcheck_core::Tag]) -> Result<(), Error> {
    for t in tags {
        idx.lookup(*t);
    }
    for i in 0..idx.manifest().segments.len() {
        let s = idx.segment(i);
        for r in 0..s.records() as u32 {
            s.record(r);
        }
        s.rows().count();
        s.removed().count();
        s.tags40().count();
    }
    idx.damage()
}

/// One flipped byte anywhere in a segment is caught by the reader before it acts on it:
/// opening refuses the file, or the first read of the damaged chunk reports it. Readers
/// that read part of the file catch what they read; the byte is never taken silently.
#[test]
fn a_reader_catches_every_flipped_byte_it_reads() {
    let d = tempfile::tempdir().expect("tempdir");
    let (_, seg, tags) = many_emails(d.path(), &key(6), 'p');
    let clean = std::fs::read(&seg).expect("read");
    assert!(clean.len() > 3 * 65536, "{} bytes", clean.len());
    read_all(&Index::open(d.path()).expect("open"), &tags).expect("clean");
    // With the page file (reads check 4 KiB pages) and without it (whole 64 KiB chunks).
    let pages = breachcheck_index::page_file_path(&seg);
    assert!(pages.exists(), "a build writes the page file");
    let page_file = std::fs::read(&pages).expect("read");
    for with_pages in [true, false] {
        if !with_pages {
            std::fs::remove_file(&pages).expect("remove the page file");
        }
        flip_bytes_and_read(d.path(), &seg, &clean, &tags);
    }
    std::fs::write(&pages, page_file).expect("restore");
}

fn flip_bytes_and_read(dir: &Path, seg: &Path, clean: &[u8], tags: &[breachcheck_core::Tag]) {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut offsets: Vec<usize> = (0..64)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % clean.len() as u64) as usize
        })
        .collect();
    offsets.extend([
        0,
        8,
        60,
        63,
        clean.len() - 1,
        clean.len() - 33,
        clean.len() - 40,
    ]);
    for at in offsets {
        let mut bad = clean.to_vec();
        bad[at] ^= 1 + (at % 255) as u8;
        std::fs::write(seg, &bad).expect("write");
        let found = Index::open(dir).and_then(|idx| read_all(&idx, tags));
        assert!(
            matches!(
                found,
                Err(Error::Corrupt { .. }) | Err(Error::RulesMismatch { .. })
            ),
            "byte {at}: {found:?}"
        );
        let checked = Index::open(dir).and_then(|i| i.check());
        assert!(checked.is_err(), "index check missed byte {at}");
    }
    std::fs::write(seg, clean).expect("restore");
    Index::open(dir).expect("open").check().expect("clean");
}

/// A segment's page file (its pages' BLAKE3 chaining values) is checked against the
/// committed chunk digests before a read relies on it: a damaged one changes no answer
/// (reads fall back to whole chunks), `index check` names it, and one whose segment is
/// not in the manifest is a leftover.
#[test]
fn a_damaged_page_file_changes_no_answer_and_is_reported() {
    let d = tempfile::tempdir().expect("tempdir");
    let (_, seg, tags) = many_emails(d.path(), &key(8), 'q');
    let answers = |idx: &Index| -> Vec<Vec<u32>> {
        tags.iter()
            .map(|t| idx.lookup(*t).iter().map(|h| h.record).collect())
            .collect()
    };
    let clean_answers = answers(&Index::open(d.path()).expect("open"));
    assert!(clean_answers.iter().all(|a| a.len() == 1));
    let pages = breachcheck_index::page_file_path(&seg);
    let clean = std::fs::read(&pages).expect("read");
    assert!(clean.len() > 16 + 2 * 16 * 32, "{} bytes", clean.len());
    for (what, bad) in [
        ("a flipped chaining value", {
            let mut b = clean.clone();
            b[16 + 32 * 17 + 5] ^= 0x40;
            b
        }),
        ("a flipped header", {
            let mut b = clean.clone();
            b[3] ^= 1;
            b
        }),
        ("a truncated file", clean[..clean.len() - 32].to_vec()),
    ] {
        std::fs::write(&pages, &bad).expect("write");
        let idx = Index::open(d.path()).expect("open");
        assert_eq!(answers(&idx), clean_answers, "{what}");
        idx.damage().expect("the segment itself is intact");
        let e = idx.check().expect_err(what);
        assert!(e.to_string().contains(".bcv"), "{what}: {e}");
    }
    std::fs::write(&pages, &clean).expect("restore");
    Index::open(d.path()).expect("open").check().expect("clean");
    // A page file whose segment is not in the manifest is a dead writer's leftover.
    let orphan = d
        .path()
        .join("segments")
        .join("000009-crm-2026-02-28-system.bcv");
    std::fs::write(&orphan, &clean).expect("write");
    let left = Index::open(d.path()).expect("open").leftovers();
    assert_eq!(left, vec![orphan]);
}

/// Every field of a segment's manifest entry is committed: an edited `live`, `bytes`,
/// source or recipe is refused by every reader and by `index check`.
#[test]
fn every_manifest_field_is_covered() {
    let d = tempfile::tempdir().expect("tempdir");
    add(
        d.path(),
        &key(7),
        "crm",
        "2026-01-31",
        &["a@example.org", "b@example.org"],
    )
    .expect("add");
    let m = d.path().join("manifest.json");
    let text = std::fs::read_to_string(&m).expect("manifest");
    for (from, to) in [
        ("\"live\": 2", "\"live\": 3"),
        ("\"removed\": 0", "\"removed\": 1"),
        ("\"name\": \"x.csv\"", "\"name\": \"y.csv\""),
        ("\"rows\": 2", "\"rows\": 9"),
        (
            "\"records\": 2,\n      \"live\"",
            "\"records\": 3,\n      \"live\"",
        ),
    ] {
        assert!(text.contains(from), "{from} not in the manifest");
        std::fs::write(&m, text.replacen(from, to, 1)).expect("write");
        let e = Index::open(d.path()).expect_err(from);
        assert!(matches!(e, Error::Corrupt { .. }), "{from}: {e}");
        assert!(e.to_string().contains("index check"), "{e}");
    }
    // An unknown field (a renamed key) is refused too.
    std::fs::write(&m, text.replacen("\"postings\"", "\"postingz\"", 1)).expect("write");
    assert!(Index::open(d.path()).is_err());
    // A building writer refuses to extend a damaged manifest.
    std::fs::write(&m, text.replacen("\"live\": 2", "\"live\": 3", 1)).expect("write");
    assert!(add(d.path(), &key(7), "crm", "2026-02-28", &["a@example.org"]).is_err());
    std::fs::write(&m, &text).expect("restore");
    Index::open(d.path()).expect("open").check().expect("clean");
}

/// A killed build's leftovers — a temporary segment, a segment renamed before its
/// manifest, a database spool — are reported by `leftovers` and removed by the next build;
/// a failed first build leaves no directory behind.
#[test]
fn leftovers_are_reported_and_swept() {
    let d = tempfile::tempdir().expect("tempdir");
    let idx = d.path().join("idx");
    add(&idx, &key(8), "crm", "2026-01-31", &["a@example.org"]).expect("add");
    let segs = idx.join("segments");
    let planted = [
        segs.join(".000002-crm-2026-02-28-system.bcs.4294967295-00ab.bctmp"),
        segs.join("000002-crm-2026-02-28-system.bcs"),
        idx.join(".tmp-pg-abc.csv"),
        idx.join(".manifest.json.4294967295-00cd.bctmp"),
    ];
    for p in &planted {
        std::fs::write(p, b"leftover").expect("write");
    }
    let open = Index::open(&idx).expect("open");
    let mut found = open.leftovers();
    found.sort();
    let mut want = planted.to_vec();
    want.sort();
    assert_eq!(found, want);
    drop(open);
    add(&idx, &key(8), "crm", "2026-02-28", &["a@example.org"]).expect("add");
    for p in &planted[..1] {
        assert!(!p.exists(), "{} left", p.display());
    }
    assert!(Index::open(&idx).expect("open").leftovers().is_empty());
    // A first build that fails (no record) leaves nothing.
    let fresh = d.path().join("fresh");
    let b = SegmentBuilder::new(&fresh, &key(8), "crm", "2026-01-31", SegmentKind::System)
        .expect("builder");
    assert!(fresh.join("LOCK").exists());
    drop(b);
    assert!(
        !fresh.exists(),
        "a failed first build left {}",
        fresh.display()
    );
}

/// `index upgrade` gives a segment built without a page file (or with a damaged one) the
/// page file a build writes now, byte for byte, without touching the commitment; it makes
/// none from a damaged segment.
#[test]
fn upgrade_writes_missing_page_files_and_keeps_the_commitment() {
    let d = tempfile::tempdir().expect("tempdir");
    let (meta, seg, _) = many_emails(d.path(), &key(9), 'u');
    let pages = breachcheck_index::page_file_path(&seg);
    let built = std::fs::read(&pages).expect("read");
    let root = Index::open(d.path())
        .expect("open")
        .manifest()
        .commitment
        .root
        .clone();
    std::fs::remove_file(&pages).expect("remove");
    let up = breachcheck_index::upgrade(d.path()).expect("upgrade");
    assert_eq!(up.page_files_written, vec![meta.file.clone()]);
    assert_eq!(std::fs::read(&pages).expect("read"), built);
    let up = breachcheck_index::upgrade(d.path()).expect("upgrade again");
    assert!(up.page_files_written.is_empty());
    assert_eq!(up.page_files_intact, 1);
    let mut bad = built.clone();
    bad[100] ^= 1;
    std::fs::write(&pages, &bad).expect("write");
    let up = breachcheck_index::upgrade(d.path()).expect("upgrade a damaged page file");
    assert_eq!(up.page_files_written.len(), 1);
    assert_eq!(std::fs::read(&pages).expect("read"), built);
    let idx = Index::open(d.path()).expect("open");
    assert_eq!(idx.manifest().commitment.root, root);
    idx.check().expect("check");
    // A damaged chunk of the segment: no page file is made from it.
    std::fs::remove_file(&pages).expect("remove");
    let mut segment = std::fs::read(&seg).expect("read");
    segment[70_000] ^= 1;
    std::fs::write(&seg, &segment).expect("write");
    let e = breachcheck_index::upgrade(d.path()).expect_err("damaged segment");
    assert!(matches!(e, Error::Corrupt { .. }), "{e}");
    assert!(!pages.exists());
}

/// Pages are checked against the chaining values as they were when checked against the
/// commitment: a page and its value rewritten in place after the chunk's values were
/// checked (a file changed under a running reader) is still caught.
#[test]
fn a_page_file_changed_under_a_reader_is_not_trusted() {
    use blake3::hazmat::HasherExt;
    use std::io::{Seek, SeekFrom, Write};
    let d = tempfile::tempdir().expect("tempdir");
    let (_, path, _) = many_emails(d.path(), &key(10), 'w');
    // Opening checks the header: page 0 of chunk 0, and chunk 0's values.
    let seg = breachcheck_index::Segment::open(&path).expect("open");
    assert!(seg.has_page_file());
    // Page 1 of chunk 0 (inside the record table) changed in place, and its value with it.
    let mut page = std::fs::read(&path).expect("read")[4096..8192].to_vec();
    page[100] ^= 0x5a;
    let cv = blake3::Hasher::new()
        .set_input_offset(4096)
        .update(&page)
        .finalize_non_root();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .expect("open");
    f.seek(SeekFrom::Start(4096)).expect("seek");
    f.write_all(&page).expect("write");
    let pages = breachcheck_index::page_file_path(&path);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(&pages)
        .expect("open");
    f.seek(SeekFrom::Start(16 + 32)).expect("seek");
    f.write_all(&cv).expect("write");
    drop(f);
    // Every record read: the changed page is among them, and it is caught.
    let _ = seg.rows().count();
    assert!(
        seg.damage().is_some(),
        "a page rewritten with its value was accepted"
    );
}

/// A verify reads the directories ahead only within its budget, and reading them ahead
/// vouches for nothing: the answers are the reads' own, checked as they are made.
#[test]
fn directories_are_read_ahead_within_a_budget() {
    let d = tempfile::tempdir().expect("tempdir");
    let (_, seg, tags) = many_emails(d.path(), &key(9), 'r');
    let idx = Index::open(d.path()).expect("open");
    let bytes = idx.segment(0).directory_bytes();
    let page_file = std::fs::metadata(breachcheck_index::page_file_path(&seg))
        .expect("page file")
        .len();
    // The bucket and block directories, and the page file.
    assert!(bytes > page_file, "{bytes} directory bytes");
    assert!(bytes < std::fs::metadata(&seg).expect("segment").len());
    let opened = idx.segment(0).checked();
    assert!(!idx.read_ahead_directories(bytes - 1));
    assert!(idx.read_ahead_directories(bytes));
    assert_eq!(idx.segment(0).checked(), opened, "read ahead, not read");
    for t in &tags {
        assert_eq!(idx.lookup(*t).len(), 1);
    }
    idx.damage().expect("intact");
}

/// An index behind the trait's provided reads only, recording the rows it is asked to read
/// ahead.
#[derive(Debug)]
struct Provided {
    index: Index,
    asked: std::sync::Mutex<Vec<(u32, u32)>>,
}

impl Provided {
    fn new(index: Index) -> Self {
        Provided {
            index,
            asked: Default::default(),
        }
    }
}

impl breachcheck_index::RecordStore for Provided {
    fn manifest(&self) -> &breachcheck_index::Manifest {
        self.index.manifest()
    }
    fn lookup_into(&self, tag: breachcheck_core::Tag, out: &mut Vec<breachcheck_index::Hit>) {
        self.index.lookup_into(tag, out);
    }
    fn record(&self, segment: u32, record: u32) -> Option<breachcheck_index::RecordRow> {
        breachcheck_index::RecordStore::record(&self.index, segment, record)
    }
    fn presence(&self, segment: u32, record: u32, out: &mut Vec<u32>) {
        self.index.presence(segment, record, out);
    }
    fn prefetch_records(&self, ids: &[(u32, u32)]) {
        self.asked.lock().expect("lock").extend_from_slice(ids);
    }
}

/// The index stops a capped lookup at the first hit past the cap, and answers exactly as
/// a whole lookup followed by a count would: the same hits when there are few enough, none
/// and `false` when there are more, across segments and past a segment's own cap.
#[test]
fn a_capped_lookup_answers_as_a_whole_one() {
    use breachcheck_index::RecordStore;
    let d = tempfile::tempdir().expect("tempdir");
    let k = key(4);
    let crm: Vec<String> = (0..340)
        .map(|i| match i {
            0..300 => "family@example.org".to_owned(),
            300..320 => "pair@example.org".to_owned(),
            _ => format!("p{i}@example.org"),
        })
        .collect();
    let shop: Vec<String> = (0..30)
        .map(|i| match i {
            0..10 => "pair@example.org".to_owned(),
            _ => format!("q{i}@example.org"),
        })
        .collect();
    let crm: Vec<&str> = crm.iter().map(String::as_str).collect();
    let shop: Vec<&str> = shop.iter().map(String::as_str).collect();
    add(d.path(), &k, "crm", "2026-01-31", &crm).expect("crm");
    add(d.path(), &k, "shop", "2026-01-31", &shop).expect("shop");
    let index = Index::open(d.path()).expect("open");
    let n = Normalizer::new(Tagger::new(&k), None);
    let tag = |e: &str| n.tag_record(&[FieldRole::Email], &[e]).blocks[0].1;
    let plain = Provided::new(Index::open(d.path()).expect("open"));
    for e in [
        "family@example.org",
        "pair@example.org",
        "p330@example.org",
        "none@x.org",
    ] {
        for most in [0, 1, 5, 19, 20, 29, 30, 31, 255, 256, 257, 1000] {
            let (mut a, mut b) = (
                vec![breachcheck_index::Hit {
                    segment: 9,
                    record: 9,
                }],
                Vec::new(),
            );
            b.push(a[0]);
            let fast = index.lookup_at_most_into(tag(e), most, &mut a);
            let whole = plain.lookup_at_most_into(tag(e), most, &mut b);
            assert_eq!((fast, &a), (whole, &b), "{e} {most}");
        }
    }
    let mut v = Vec::new();
    assert!(!index.lookup_at_most_into(tag("pair@example.org"), 29, &mut v));
    assert!(index.lookup_at_most_into(tag("pair@example.org"), 30, &mut v));
    assert_eq!(v.len(), 30);
}

/// A name at an address that many records share (a street and number carry no city) has
/// as many hits, and any one record holding both settles a line: so the exactly-held check
/// asks ahead for one row of each identity, not all of them (asking for all was most of a
/// cold 1,000-line verify's reads at 10M records), and still finds every line held.
#[test]
fn an_identity_held_by_many_records_asks_ahead_for_one_row() {
    let dir = tempfile::tempdir().expect("tempdir");
    let k = key(15);
    let n = Normalizer::new(Tagger::new(&k), None);
    let roles = [
        FieldRole::Email,
        FieldRole::FirstName,
        FieldRole::LastName,
        FieldRole::Address,
    ];
    let mut b = SegmentBuilder::new(dir.path(), &k, "crm", "2026-01-01", SegmentKind::System)
        .expect("builder");
    b.add_source(source());
    for i in 0..40u64 {
        let email = format!("js{i}@example.org");
        b.add(
            i + 2,
            &n.tag_record(&roles, &[&email, "John", "Smith", "1 Main Street"]),
        );
    }
    b.commit().expect("commit");
    let store = Provided::new(Index::open(dir.path()).expect("open"));
    // 80 lines of the shared name and address, 20 of a name nobody at it has.
    let lines: Vec<_> = (0..100u64)
        .map(|i| {
            let last = if i < 80 { "Smith" } else { "Zyxwvut" };
            let email = format!("line{i}@example.net");
            n.tag_record(&roles, &[&email, "John", last, "1 Main Street"])
        })
        .collect();
    let mut exact = vec![0u8; lines.len()];
    let name_address = breachcheck_core::AuditField::NameAddress;
    breachcheck_index::exactly_held_batch(&store, &lines, &mut exact, &[name_address]);
    let bit = 1u8 << (name_address as u8);
    assert!(exact[..80].iter().all(|e| e & bit != 0), "{exact:?}");
    assert!(exact[80..].iter().all(|e| e & bit == 0), "{exact:?}");
    let asked = store.asked.lock().expect("lock");
    assert_eq!(
        asked.len(),
        1,
        "one row asked ahead, not the 40 holding it: {asked:?}"
    );
}
