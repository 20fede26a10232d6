//! Index durability and refusal behaviour.
use breachcheck_core::{FieldRole, SecretKey, Tagger};
use breachcheck_index::{Error, Index, SegmentBuilder, SegmentKind, SourceFile};
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
    let n = Normalizer::new(Tagger::new(k), None);
    let mut b = SegmentBuilder::new(system, snapshot, SegmentKind::System)?;
    let src = b.add_source(SourceFile {
        name: "x.csv".into(),
        sha256: String::new(),
        rows: 0,
    });
    for (i, e) in emails.iter().enumerate() {
        b.add(src, i as u64 + 2, &n.tag_record(&[FieldRole::Email], &[*e]));
    }
    b.commit(dir, k).map(|_| ())
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
    assert_eq!(idx.manifest().commitment.records, 4);
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
    assert!(SegmentBuilder::new("../etc", "2026-01-31", SegmentKind::System).is_err());
    assert!(SegmentBuilder::new("accounts", "2026-02-30", SegmentKind::System).is_err());
    assert!(matches!(
        Index::open(&d.path().join("nope")),
        Err(Error::NotAnIndex(_))
    ));
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
    // Held by a running process (this one).
    std::fs::write(d.path().join("LOCK"), format!("{}\n", std::process::id())).expect("lock");
    let e = add(
        d.path(),
        &key(1),
        "accounts",
        "2026-02-28",
        &["a@example.org"],
    )
    .expect_err("locked");
    assert!(matches!(e, Error::Locked(_)), "{e}");
    // Left by a process that no longer exists (pid beyond the kernel's maximum).
    std::fs::write(d.path().join("LOCK"), "4294967295\n").expect("lock");
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
        let mut b = SegmentBuilder::new("crm", "2026-01-31", SegmentKind::System)
            .expect("builder")
            .posting_budget(budget);
        let src = b.add_source(SourceFile {
            name: "x.csv".into(),
            sha256: String::new(),
            rows: 0,
        });
        for i in 0..5000u32 {
            let email = format!("user{}@example.org", i * 7919 % 5000);
            let name = format!("Person {}", i % 977);
            let phone = format!("+49 151 {:08}", i * 31);
            b.add(
                src,
                u64::from(i) + 2,
                &n.tag_record(
                    &roles,
                    &[email.as_str(), name.as_str(), phone.as_str(), "1980-01-01"],
                ),
            );
        }
        let meta = b.commit(d.path(), &k).expect("commit");
        let bytes = std::fs::read(d.path().join("segments").join(&meta.file)).expect("segment");
        (meta.root, bytes)
    };
    let (root_once, once) = build(1 << 24);
    let (root_runs, runs) = build(1024);
    assert_eq!(root_once, root_runs);
    assert!(once == runs, "segments differ");
}
