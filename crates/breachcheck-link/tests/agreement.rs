//! Index and probe agree by construction: a record indexed and probed again — verbatim or
//! as a seller would reformat it — reaches a whole-record match.
use breachcheck_core::{EvidenceClass, FieldRole, SecretKey, Tagger};
use breachcheck_index::{Index, SegmentBuilder, SegmentKind, SourceFile};
use breachcheck_link::Prober;
use breachcheck_normalize::Normalizer;
use proptest::prelude::*;

fn person() -> impl Strategy<Value = (String, String, String, String)> {
    (
        "[a-z]{2,8}\\.[a-z]{2,8}[0-9]{0,3}@(example|mail|post)\\.(com|de|fr)",
        "[A-Z][a-zäöüéè]{1,8}",
        "[A-Z][a-zäöüéè]{1,10}",
        prop_oneof![
            Just("+49 151 2345678"),
            Just("+33 6 12 34 56 78"),
            Just("+1 202 555 0147"),
            Just("+44 7911 123456")
        ],
    )
        .prop_map(|(e, f, l, p)| (e, f, l, p.to_owned()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn indexed_records_are_found_whole((email, first, last, phone) in person(), shout in any::<bool>()) {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = SecretKey::from_bytes([11; 32]);
        let n = Normalizer::new(Tagger::new(&key), None);
        let roles = [FieldRole::Email, FieldRole::FirstName, FieldRole::LastName, FieldRole::Phone];
        let mut b = SegmentBuilder::new(dir.path(), &key, "crm", "2026-01-01", SegmentKind::System).expect("builder");
        b.add_source(SourceFile { name: "crm.csv".into(), sha256: String::new(), rows: 0, location: None });
        b.add(2, &n.tag_record(&roles, &[&email, &first, &last, &phone]));
        b.commit().expect("commit");
        let index = Index::open(dir.path()).expect("open");
        let prober = Prober::new(&index);
        // Verbatim: the stored raw forms come back too.
        let m = prober.probe(&n.tag_record(&roles, &[&email, &first, &last, &phone]));
        prop_assert!(m.evidence >= EvidenceClass::FullRecord, "{:?}", m.evidence);
        // Reformatted by a seller: case, name order in one column, E.164 phone.
        let e164: String = phone.chars().filter(|c| *c == '+' || c.is_ascii_digit()).collect();
        let email2 = if shout { email.to_uppercase() } else { email.clone() };
        let full = format!("{} {}", last.to_uppercase(), first);
        let m = prober.probe(&n.tag_record(&[FieldRole::Email, FieldRole::FullName, FieldRole::Phone], &[&email2, &full, &e164]));
        prop_assert_eq!(m.evidence, EvidenceClass::FullRecord);
    }
}

#[test]
fn homophone_names_in_their_own_script_do_not_match() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = SecretKey::from_bytes([12; 32]);
    let n = Normalizer::new(Tagger::new(&key), None);
    let roles = [FieldRole::FullName, FieldRole::BirthDate, FieldRole::Phone];
    let mut b = SegmentBuilder::new(dir.path(), &key, "crm", "2026-01-01", SegmentKind::System)
        .expect("builder");
    b.add_source(SourceFile {
        name: "crm.csv".into(),
        sha256: String::new(),
        rows: 0,
        location: None,
    });
    b.add(
        2,
        &n.tag_record(&roles, &["王小明", "1990-01-01", "+86 139 1234 5678"]),
    );
    b.commit().expect("commit");
    let index = Index::open(dir.path()).expect("open");
    let prober = Prober::new(&index);
    // Same person written in Latin letters: a whole-record match.
    let latin = prober.probe(&n.tag_record(
        &roles,
        &["Wang Xiaoming", "1990-01-01", "+86 139 1234 5678"],
    ));
    assert!(
        latin.evidence >= EvidenceClass::FullRecord,
        "{:?}",
        latin.evidence
    );
    // 汪 is also "wang": another family name, so only the phone and birth date agree.
    let other = prober.probe(&n.tag_record(&roles, &["汪小明", "1990-01-01", "+86 139 1234 5678"]));
    assert_eq!(other.evidence, EvidenceClass::Partial);
}

/// Probing lines in one batch gives exactly what probing each alone gives, across
/// snapshots (presence), systems and shared blocking tags.
#[test]
fn batch_probing_equals_single_probing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = SecretKey::from_bytes([13; 32]);
    let n = Normalizer::new(Tagger::new(&key), None);
    let roles = [
        FieldRole::Email,
        FieldRole::FullName,
        FieldRole::Phone,
        FieldRole::BirthDate,
    ];
    let person = |i: u32| {
        (
            format!("p{i}@example.org"),
            format!("Name{} Family{}", i % 37, i % 11),
            format!("+49 151 {:08}", i * 17 % 5000),
            format!("19{:02}-01-{:02}", 50 + i % 40, 1 + i % 28),
        )
    };
    for (system, snapshot, range) in [
        ("crm", "2026-01-01", 0..1500u32),
        ("crm", "2026-02-01", 300..1800),
        ("shop", "2026-01-01", 1000..2000),
    ] {
        let mut b = SegmentBuilder::new(dir.path(), &key, system, snapshot, SegmentKind::System)
            .expect("builder");
        b.add_source(SourceFile {
            name: "x.csv".into(),
            sha256: String::new(),
            rows: 0,
            location: None,
        });
        for i in range {
            let (e, nm, p, d) = person(i);
            b.add(u64::from(i) + 2, &n.tag_record(&roles, &[&e, &nm, &p, &d]));
        }
        b.commit().expect("commit");
    }
    let index = Index::open(dir.path()).expect("open");
    let prober = Prober::new(&index);
    let lines: Vec<_> = (0..2500u32)
        .step_by(3)
        .map(|i| {
            let (e, nm, p, d) = person(i);
            // Some lines altered: another phone, another name, nothing at all.
            let p = if i % 5 == 0 {
                "+49 151 99999999".to_owned()
            } else {
                p
            };
            let nm = if i % 7 == 0 {
                "Someone Else".to_owned()
            } else {
                nm
            };
            n.tag_record(&roles, &[&e, &nm, &p, &d])
        })
        .collect();
    let batch = prober.probe_batch(&lines);
    let single: Vec<_> = lines.iter().map(|l| prober.probe(l)).collect();
    assert_eq!(batch.len(), single.len());
    for (i, (b, s)) in batch.iter().zip(&single).enumerate() {
        assert_eq!(b, s, "line {i}");
    }
    assert!(batch.iter().any(|m| m.per_segment.len() >= 2));
}
