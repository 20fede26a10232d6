//! Index and probe agree by construction: a record indexed and probed again — verbatim or
//! as a seller would reformat it — reaches a whole-record match.
use breachcheck_core::{EvidenceClass, FieldRole, MatchField, SecretKey, Tagger};
use breachcheck_index::{Index, SegmentBuilder, SegmentKind, SourceFile};
use breachcheck_link::Prober;
use breachcheck_normalize::Normalizer;
use proptest::prelude::*;

/// A builder for one system snapshot with one source file.
fn builder(dir: &std::path::Path, key: &SecretKey, system: &str, snapshot: &str) -> SegmentBuilder {
    let mut b =
        SegmentBuilder::new(dir, key, system, snapshot, SegmentKind::System).expect("builder");
    b.add_source(SourceFile {
        name: format!("{system}.csv"),
        sha256: String::new(),
        rows: 0,
        location: None,
    });
    b
}

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
        let mut b = builder(dir.path(), &key, "crm", "2026-01-01");
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
    let mut b = builder(dir.path(), &key, "crm", "2026-01-01");
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
    // 汪 is also "wang": another family name, so only the phone and birth date agree. The
    // names never count as agreeing; whether the line is still this person's record (a
    // wrong character picked from the input method is the commonest Chinese typo) is the
    // linkage model's call, never a whole-record match.
    let other = prober.probe(&n.tag_record(&roles, &["汪小明", "1990-01-01", "+86 139 1234 5678"]));
    let best = other.best.expect("candidate");
    assert_eq!(best.agree & MatchField::Name.bit(), 0);
    assert_ne!(best.disagree & MatchField::Name.bit(), 0);
    assert!(
        other.evidence < EvidenceClass::FullRecord,
        "{:?}",
        other.evidence
    );
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
        let mut b = builder(dir.path(), &key, system, snapshot);
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

/// A seller's noisy copy (typos in names, streets and cities, a transposed postal code)
/// is found and linked by the fitted model; lines that are not the company's record
/// (another e-mail with the same name and birthday, a single value, a stranger) are not.
#[test]
fn noisy_copies_link_and_look_alikes_do_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = SecretKey::from_bytes([17; 32]);
    let n = Normalizer::new(Tagger::new(&key), None);
    let roles = [
        FieldRole::FirstName,
        FieldRole::LastName,
        FieldRole::Street,
        FieldRole::HouseNumber,
        FieldRole::City,
        FieldRole::PostalCode,
        FieldRole::BirthDate,
        FieldRole::Country,
    ];
    const FIRST: [&str; 12] = [
        "Olivia",
        "Jack",
        "Charlotte",
        "Noah",
        "Amelia",
        "Liam",
        "Isla",
        "Oscar",
        "Mia",
        "Henry",
        "Grace",
        "Lucas",
    ];
    const LAST: [&str; 10] = [
        "Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "Johnson", "White", "Martin",
        "Anderson",
    ];
    const STREETS: [&str; 8] = [
        "Waldock Street",
        "Pike Place",
        "Knox Street",
        "Alawa Crescent",
        "Hensman Road",
        "Marou Place",
        "Nott Street",
        "Weston Avenue",
    ];
    const CITIES: [&str; 6] = [
        "Byford", "Marsden", "Burwood", "Birkdale", "Lakewood", "Newtown",
    ];
    let person = |i: usize| -> Vec<String> {
        vec![
            FIRST[i % 12].to_owned(),
            LAST[(i / 12) % 10].to_owned(),
            STREETS[(i / 7) % 8].to_owned(),
            format!("{}", 1 + i % 97),
            CITIES[(i / 5) % 6].to_owned(),
            format!("{}", 2000 + (i * 37) % 900),
            format!(
                "19{:02}-{:02}-{:02}",
                40 + i % 50,
                1 + i % 12,
                1 + (i / 3) % 28
            ),
            "AU".to_owned(),
        ]
    };
    let mut b = builder(dir.path(), &key, "crm", "2026-01-01");
    for i in 0..3000 {
        b.add(i as u64 + 2, &n.tag_record(&roles, &person(i)));
    }
    b.commit().expect("commit");
    let index = Index::open(dir.path()).expect("open");
    let mut prober = Prober::new(&index);
    // Typos a seller (or a data-entry clerk) makes: a letter doubled, dropped or swapped.
    let typo = |s: &str, k: usize| -> String {
        let mut c: Vec<char> = s.chars().collect();
        let at = 1 + k % (c.len() - 2);
        match k % 3 {
            0 => c.insert(at, c[at]),
            1 => {
                c.remove(at);
            }
            _ => c.swap(at, at + 1),
        }
        c.into_iter().collect()
    };
    let lines: Vec<_> = (0..600)
        .map(|j| {
            let i = j * 5;
            let mut p = person(i);
            p[0] = typo(&p[0], j);
            p[2] = typo(&p[2], j + 1);
            if j % 2 == 0 {
                p[4] = typo(&p[4], j + 2);
            }
            n.tag_record(&roles, &p)
        })
        .collect();
    let matched = prober.fit_and_probe(&lines);
    let linked = matched
        .iter()
        .filter(|m| m.evidence == EvidenceClass::FuzzyRecord)
        .count();
    assert!(linked >= 590, "{linked} of 600 noisy copies linked");
    for (j, m) in matched.iter().enumerate() {
        if let Some(best) = &m.best {
            if m.evidence.is_genuine() {
                assert_eq!(
                    best.record as usize,
                    j * 5,
                    "line {j} linked to another record"
                );
            }
        }
    }
    let model = prober.model();
    assert!(model.fit.candidate_pairs > 0 && model.fit.random_pairs > 0);
    assert!(
        model.systems[0].share > 0.9,
        "share {}",
        model.systems[0].share
    );

    // Same name and birthday, another e-mail: not this record.
    let email_roles = [roles.as_slice(), &[FieldRole::Email]].concat();
    let mut p = person(40);
    p.push("someone.else@example.org".to_owned());
    let other = prober.probe(&n.tag_record(&email_roles, &p));
    assert!(!other.evidence.is_genuine(), "{:?}", other.evidence);
    // One value alone is never a record.
    let single = prober.probe(&n.tag_record(&[FieldRole::Address], &["Knox Street 5"]));
    assert!(!single.evidence.is_genuine(), "{:?}", single.evidence);
    // A stranger who shares a birthday and a postal code only.
    let mut s = person(41);
    s[0] = "Zebedee".into();
    s[1] = "Quartermaine".into();
    s[2] = "Nowhere Lane".into();
    s[4] = "Elsewhere".into();
    let stranger = prober.probe(&n.tag_record(&roles, &s));
    assert!(!stranger.evidence.is_genuine(), "{:?}", stranger.evidence);
}

/// A name token with a street address is a weak key: "1 main street" is in every town (the
/// address carries no city), so a common first name there names dozens of the company's
/// records, none of them the line's person. Such a key is not read (it had made a
/// 100,000-line sample read 57% of a 10M-record index), while a rare name at the same
/// address still finds its record when the postal code was mistyped.
#[test]
fn a_common_name_at_a_common_address_reads_no_records() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = SecretKey::from_bytes([13; 32]);
    let n = Normalizer::new(Tagger::new(&key), None);
    let roles = [
        FieldRole::Email,
        FieldRole::FirstName,
        FieldRole::LastName,
        FieldRole::Address,
        FieldRole::PostalCode,
    ];
    let mut b = builder(dir.path(), &key, "crm", "2026-01-01");
    let surnames = [
        "Abbott",
        "Barker",
        "Carver",
        "Dalton",
        "Ellison",
        "Fletcher",
        "Garrick",
        "Holloway",
        "Ingram",
        "Jessop",
        "Kendrick",
        "Lockhart",
        "Merriman",
        "Norbury",
        "Oakley",
        "Pemberton",
        "Quimby",
        "Radcliffe",
        "Sheffield",
        "Thornbury",
        "Underhill",
        "Vickery",
        "Whitlock",
        "Yardley",
        "Ashcombe",
        "Blackwood",
        "Cromwell",
        "Dunmore",
        "Eastwick",
        "Fairbanks",
    ];
    for (i, last) in surnames.iter().enumerate() {
        let email = format!("john.{}@example.com", last.to_lowercase());
        let postal = format!("{}", 10_100 + i);
        b.add(
            i as u64 + 2,
            &n.tag_record(&roles, &[&email, "John", last, "1 Main Street", &postal]),
        );
    }
    b.add(
        100,
        &n.tag_record(
            &roles,
            &[
                "jz@example.org",
                "John",
                "Zyxwvut",
                "1 Main Street",
                "20200",
            ],
        ),
    );
    b.commit().expect("commit");
    let index = Index::open(dir.path()).expect("open");
    let prober = Prober::new(&index);
    let made_up = n.tag_record(
        &roles,
        &["jd@example.net", "John", "Doe", "1 Main Street", "99999"],
    );
    // A copy without the e-mail and with the postal code mistyped: only a name token with
    // the address can find it.
    let mistyped = n.tag_record(&roles[1..], &["John", "Zyxwvut", "1 Main Street", "20201"]);
    let lines = [made_up, mistyped];
    let found = prober.probe_batch(&lines);
    // The made-up line shares "John" and the address with 31 records: not read.
    assert!(found[0].best.is_none(), "{:?}", found[0].best);
    assert_eq!(found[0].evidence, EvidenceClass::None);
    // The rare surname at the address still finds the copy.
    let best = found[1].best.as_ref().expect("the copy's record");
    assert_eq!(best.source_row, 100);
    assert!(best.agree & MatchField::Address.bit() != 0);
    // One line at a time, the same.
    assert!(prober.probe(&lines[0]).best.is_none());
}

/// An index that counts the lookups of each tag and records the rows asked for ahead.
#[derive(Debug)]
struct Counting {
    index: Index,
    lookups: std::sync::Mutex<std::collections::HashMap<u64, usize>>,
    asked: std::sync::Mutex<Vec<(u32, u32)>>,
}

impl Counting {
    fn new(index: Index) -> Self {
        Counting {
            index,
            lookups: Default::default(),
            asked: Default::default(),
        }
    }
}

impl breachcheck_index::RecordStore for Counting {
    fn manifest(&self) -> &breachcheck_index::Manifest {
        self.index.manifest()
    }
    fn lookup_into(&self, tag: breachcheck_core::Tag, out: &mut Vec<breachcheck_index::Hit>) {
        *self.lookups.lock().expect("lock").entry(tag.0).or_default() += 1;
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

/// A company of 50 records that share the phone number `held` (each with its own e-mail
/// and customer id), behind a counting store, and 200 lines that share `+49 30 1234567`
/// (e-mails and ids nobody has): the lines' phone neighbour is `+49 30 1234568`.
fn shared_phone(
    dir: &std::path::Path,
    key: u8,
    held: &str,
) -> (Counting, Vec<breachcheck_normalize::TaggedRecord>) {
    let key = SecretKey::from_bytes([key; 32]);
    let n = Normalizer::new(Tagger::new(&key), None);
    let roles = [FieldRole::Email, FieldRole::Phone, FieldRole::CustomerId];
    let mut b = builder(dir, &key, "crm", "2026-01-01");
    for i in 0..50u64 {
        let email = format!("p{i}@example.org");
        let id = format!("K{:06}", 1000 + i);
        b.add(i + 2, &n.tag_record(&roles, &[&email, held, &id]));
    }
    b.commit().expect("commit");
    let lines = (0..200u64)
        .map(|i| {
            let email = format!("q{i}@example.net");
            let id = format!("K{:06}", 900_000 + i);
            n.tag_record(&roles, &[&email, "+49 30 1234567", &id])
        })
        .collect();
    (Counting::new(Index::open(dir).expect("open")), lines)
}

/// The density of a sample's ids and phones among the company's is measured by looking up
/// their neighbours; a neighbour shared by many lines (one phone number on every line of a
/// call-centre export) is looked up once, not once a line, and its hits held once.
#[test]
fn a_neighbour_shared_by_many_lines_is_looked_up_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, lines) = shared_phone(dir.path(), 14, "+49 30 1234567");
    let phone_neighbour = lines[0].neighbours[2];
    assert!(
        phone_neighbour.0 != 0 && lines.iter().all(|l| l.neighbours[2] == phone_neighbour),
        "every line has the same phone neighbour"
    );
    let mut prober = Prober::new(&store);
    prober.fit_and_probe(&lines);
    let lookups = store.lookups.lock().expect("lock");
    assert_eq!(lookups.get(&phone_neighbour.0), Some(&1));
}

/// A neighbour held by many records (a phone number a household or an office shares) is
/// settled by any one of them: the neighbour probe asks ahead for one row of it, not every
/// holder's (on a cold page cache each row asked for is a read), and still finds it held.
#[test]
fn a_neighbour_held_by_many_records_asks_ahead_for_one_row() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The lines' neighbour is the number all 50 records hold.
    let (store, lines) = shared_phone(dir.path(), 16, "+49 30 1234568");
    let mut prober = Prober::new(&store);
    prober.fit_and_probe(&lines);
    assert_eq!(
        prober.neighbours()[2],
        (200, 200),
        "the phone neighbour is held"
    );
    let asked = store.asked.lock().expect("lock");
    assert_eq!(
        asked.len(),
        1,
        "one row asked ahead, not the 50 holding it: {asked:?}"
    );
}
