//! A candidates directory comes from beyond this machine: a damaged table is an error that
//! names the file, never a crash, and a store that opens answers as the index does.
use breachcheck_core::{FieldRole, SecretKey, Tagger};
use breachcheck_export::{export_index, join_candidates, CandidateStore, SampleTagFile, TagFile};
use breachcheck_index::{Index, RecordStore, SegmentBuilder, SegmentKind, SourceFile};
use breachcheck_normalize::Normalizer;
use std::path::Path;

/// A builder of one accounts snapshot with one source file.
fn builder(idx: &Path, key: &SecretKey) -> SegmentBuilder {
    let mut b =
        SegmentBuilder::new(idx, key, "accounts", "2026-01-31", SegmentKind::System).expect("b");
    b.add_source(SourceFile {
        name: "a.csv".into(),
        sha256: String::new(),
        rows: 0,
        location: None,
    });
    b
}

/// An index of 300 people, exported, and the candidates of the first 100 people's tags.
fn candidates(dir: &Path) -> (Index, Vec<u64>, std::path::PathBuf) {
    let key = SecretKey::from_bytes([8; 32]);
    let n = Normalizer::new(Tagger::new(&key), None);
    let idx = dir.join("idx");
    let mut b = builder(&idx, &key);
    let roles = [FieldRole::Email, FieldRole::FirstName, FieldRole::LastName];
    let mut tags = Vec::new();
    for i in 0..300u64 {
        let rec = n.tag_record(
            &roles,
            &[&format!("p{i}@example.org"), "Ana", &format!("Lee{i}")],
        );
        if i < 100 {
            tags.extend(rec.blocks.iter().map(|(_, t)| t.0));
        }
        b.add(i + 2, &rec);
    }
    b.commit().expect("commit");
    let index = Index::open(&idx).expect("open");
    let export = dir.join("export");
    export_index(&index, &export).expect("export");
    let st = dir.join("st.parquet");
    let mut f = SampleTagFile::create(&st).expect("tags");
    for t in &tags {
        f.push(1, *t, None).expect("push");
    }
    f.finish().expect("finish");
    let out = dir.join("candidates");
    join_candidates(&export, &st, &out).expect("join");
    (index, tags, out)
}

#[test]
fn a_store_answers_its_tags_as_the_index_does() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (index, tags, dir) = candidates(tmp.path());
    let store = CandidateStore::open(&dir).expect("open");
    for t in &tags {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        RecordStore::lookup_into(&index, breachcheck_core::Tag(*t), &mut a);
        store.lookup_into(breachcheck_core::Tag(*t), &mut b);
        assert_eq!(a, b);
        for h in &a {
            assert_eq!(
                RecordStore::record(&index, h.segment, h.record),
                store.record(h.segment, h.record)
            );
        }
    }
    assert_eq!(store.gaps(), 0);
    // A tag the join was not given is a gap, not an empty answer.
    let mut none = Vec::new();
    store.lookup_into(breachcheck_core::Tag(0x1234_5678_9abc_def0), &mut none);
    assert!(none.is_empty());
    assert_eq!(store.gaps(), 1);
}

/// The join copies what a verify reads, not every posting that shares a tag's 40 bits: a
/// weak key with more hits than the verify reads (here 40 people of one name in one
/// postal code) is skipped whole, a tag shared by more records than a segment answers
/// (300 with one e-mail) keeps the first ones, and tags that share 40 bits with the
/// sample's are told apart by their whole bits. The store answers every lookup as the
/// index does.
#[test]
fn the_join_keeps_what_a_verify_reads() {
    use breachcheck_core::{BlockKind, Tag};
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let key = SecretKey::from_bytes([9; 32]);
    let n = Normalizer::new(Tagger::new(&key), None);
    let idx = dir.join("idx");
    let mut b = builder(&idx, &key);
    let roles = [
        FieldRole::Email,
        FieldRole::FirstName,
        FieldRole::LastName,
        FieldRole::PostalCode,
    ];
    // 40 Ana Lees in 10115 (a weak key of 40 hits), 10 Bo Kims in 20095 (10 hits), and
    // 300 records of one shared e-mail; the rest one of a kind.
    let person = |i: u64| -> [String; 4] {
        match i {
            0..40 => [
                format!("a{i}@example.org"),
                "Ana".into(),
                "Lee".into(),
                "10115".into(),
            ],
            40..50 => [
                format!("b{i}@example.org"),
                "Bo".into(),
                "Kim".into(),
                "20095".into(),
            ],
            50..350 => [
                "shared@example.org".into(),
                format!("N{i}"),
                format!("M{i}"),
                format!("{}", 30000 + i),
            ],
            _ => [
                format!("p{i}@example.org"),
                format!("Q{i}"),
                format!("R{i}"),
                format!("{}", 40000 + i),
            ],
        }
    };
    let mut recs = Vec::new();
    for i in 0..400u64 {
        let v = person(i);
        let rec = n.tag_record(&roles, &[&v[0], &v[1], &v[2], &v[3]]);
        b.add(i + 2, &rec);
        recs.push(rec);
    }
    b.commit().expect("commit");
    let index = Index::open(&idx).expect("open");
    let export = dir.join("export");
    export_index(&index, &export).expect("export");
    // The sample: one line of each kind of person, its blocking tags, with name keys weak
    // (as the linkage reads them), and each tag also with its low bits changed: a tag the
    // sample could hold that shares the first 40 bits.
    let weak = |k: BlockKind| {
        matches!(
            k,
            BlockKind::NameTokenPostalCode
                | BlockKind::NameTokenBirthDate
                | BlockKind::NameTokenAddress
        )
    };
    let mut asked: Vec<(u64, Option<usize>)> = Vec::new();
    for i in [0, 40, 60, 380] {
        for (k, t) in &recs[i].blocks {
            let most = weak(*k).then_some(24);
            asked.push((t.0, most));
            asked.push((t.0 ^ 0x00ff_f0f0, most));
        }
    }
    let st = dir.join("st.parquet");
    let mut f = SampleTagFile::create(&st).expect("tags");
    for (t, most) in &asked {
        f.push(7, *t, most.and_then(std::num::NonZeroUsize::new))
            .expect("push");
    }
    f.finish().expect("finish");
    let out = dir.join("candidates");
    let joined = join_candidates(&export, &st, &out).expect("join");
    let store = CandidateStore::open(&out).expect("open");
    let mut skipped = 0;
    for (t, most) in &asked {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        match most {
            Some(m) => {
                let read = RecordStore::lookup_at_most_into(&index, Tag(*t), *m, &mut a);
                assert_eq!(read, store.lookup_at_most_into(Tag(*t), *m, &mut b));
                skipped += usize::from(!read);
            }
            None => {
                RecordStore::lookup_into(&index, Tag(*t), &mut a);
                store.lookup_into(Tag(*t), &mut b);
            }
        }
        assert_eq!(a, b);
        for h in &a {
            assert_eq!(
                RecordStore::record(&index, h.segment, h.record),
                store.record(h.segment, h.record)
            );
        }
    }
    assert_eq!(store.gaps(), 0);
    // The Ana Lee key (and its 40-bit twin, which matches the postings that keep only 40
    // bits) is skipped; the Bo Kim key is read; the shared e-mail gives 256.
    assert!(
        skipped >= 1 && skipped as u64 == joined.skipped,
        "{joined:?}"
    );
    let mut shared = Vec::new();
    RecordStore::lookup_into(
        &index,
        recs[60]
            .field(breachcheck_core::MatchField::Email)
            .expect("e-mail")
            .canonical,
        &mut shared,
    );
    assert_eq!(shared.len(), breachcheck_index::MAX_HITS_PER_TAG);
    // Fewer postings than a plain join on 40 bits copies (the 300 sharers' and the 40
    // Ana Lees' alone are 340): the sharers beyond the first 256 and the Ana Lees are left
    // out.
    assert!(joined.postings < 300, "{joined:?}");
    // A skipped key read in full is a gap: the store cannot answer it.
    let ana = asked
        .iter()
        .find(|(t, most)| {
            most.is_some() && {
                let mut v = Vec::new();
                !RecordStore::lookup_at_most_into(&index, Tag(*t), 24, &mut v)
            }
        })
        .expect("a skipped key");
    let mut v = Vec::new();
    store.lookup_into(Tag(ana.0), &mut v);
    assert!(v.is_empty());
    assert_eq!(store.gaps(), 1);
}

#[test]
fn a_damaged_table_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (_, _, dir) = candidates(tmp.path());
    for table in ["sample_tags", "postings", "records"] {
        let file = dir.join(table).join("part-0.parquet");
        let good = std::fs::read(&file).expect("read");
        // Every byte of the file's first 2 KiB flipped in turn (the page headers and
        // encoded values the reader decodes), and the file cut short.
        let mut cases: Vec<Vec<u8>> = (0..good.len().min(2048))
            .map(|i| {
                let mut b = good.clone();
                b[i] ^= 0x5a;
                b
            })
            .collect();
        cases.push(good[..good.len() / 2].to_vec());
        for bad in cases {
            std::fs::write(&file, &bad).expect("write");
            if let Err(e) = CandidateStore::open(&dir) {
                let msg = e.to_string();
                assert!(msg.contains(table) || msg.contains("manifest"), "{msg}");
            }
        }
        std::fs::write(&file, &good).expect("restore");
        // A file lost in a copy: fewer rows than the join wrote, named.
        std::fs::remove_file(&file).expect("remove");
        let err = CandidateStore::open(&dir).expect_err("a lost file");
        assert!(err.to_string().contains(table), "{err}");
        std::fs::write(&file, &good).expect("restore");
    }
    CandidateStore::open(&dir).expect("whole again");
}

/// A sample-tags file whose footer declares a list of 1.7 billion entries in a few KiB
/// (found by the `candidates` fuzz target): the parquet crate would size a vector by that
/// count before reading it — 81 GB, an abort no `catch_unwind` stops. The footer is walked
/// first, and the file is refused by name.
#[test]
fn a_footer_declaring_more_entries_than_its_bytes_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (_, _, dir) = candidates(tmp.path());
    let file = dir.join("sample_tags").join("part-0.parquet");
    std::fs::write(&file, include_bytes!("data/footer-bomb.parquet")).expect("write");
    let err = CandidateStore::open(&dir).expect_err("a damaged footer");
    let msg = err.to_string();
    assert!(
        msg.contains("sample_tags") && msg.contains("footer"),
        "{msg}"
    );
}

/// A table that declares more rows than it has bytes (a run of one value encodes in almost
/// nothing) is refused before its rows are held in memory: real candidates tables spend
/// several bytes a row.
#[test]
fn a_table_declaring_more_rows_than_bytes_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (_, _, dir) = candidates(tmp.path());
    let file = dir.join("sample_tags").join("part-0.parquet");
    let mut f = TagFile::create(&file, "line", "tag").expect("tags");
    for _ in 0..200_000 {
        f.push(1, 7).expect("push");
    }
    f.finish().expect("finish");
    assert!(std::fs::metadata(&file).expect("size").len() < 200_000);
    let err = CandidateStore::open(&dir).expect_err("rows without bytes");
    let msg = err.to_string();
    assert!(
        msg.contains("sample_tags") && msg.contains("more rows"),
        "{msg}"
    );
}

/// A footer larger than a candidates table's can be is refused before it is walked: the
/// parquet crate reserves up to about 100 bytes per declared entry, so the footer's size
/// bounds what it can make the crate allocate.
#[test]
fn an_oversized_footer_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (_, _, dir) = candidates(tmp.path());
    let file = dir.join("sample_tags").join("part-0.parquet");
    let footer = 17u32 << 20;
    let mut bytes = b"PAR1".to_vec();
    bytes.resize(4 + footer as usize, 0x19);
    bytes.extend_from_slice(&footer.to_le_bytes());
    bytes.extend_from_slice(b"PAR1");
    std::fs::write(&file, &bytes).expect("write");
    let err = CandidateStore::open(&dir).expect_err("an oversized footer");
    let msg = err.to_string();
    assert!(
        msg.contains("sample_tags") && msg.contains("16 MiB"),
        "{msg}"
    );
}
