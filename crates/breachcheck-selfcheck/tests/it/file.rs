//! The claim file: round trip, atomic save, damaged files refused.
use crate::common::{ask, disclosure, email, key};
use breachcheck_selfcheck::publish::ENTRY_LEN;
use breachcheck_selfcheck::{publish, Error, Kind, Published, Value};
use sha2::Digest as _;

fn sample(n: u64) -> Vec<Value> {
    (0..n)
        .map(|i| Value::new(Kind::Email, email(i), disclosure(i)))
        .collect()
}

#[test]
fn saved_claims_load_equal_and_answer_the_same() {
    let dir = tempfile::tempdir().expect("test input");
    let path = dir.path().join("claim.bcself");
    let key = key("file");
    let values = sample(700);
    let published = publish(&key, &values, 100).expect("test input");
    published.save(&path).expect("test input");
    let loaded = Published::load(&path).expect("test input");
    assert_eq!(loaded, published);
    assert_eq!(
        std::fs::read(&path).expect("test input"),
        published.to_bytes()
    );
    let info = loaded.info().clone();
    let got = ask(&key, &loaded, &info, Kind::Email, values[3].canonical()).expect("test input");
    assert_eq!(got, Some(disclosure(3).normalized().expect("test input")));
    // Saving again replaces the file whole, leaving no temporary file behind.
    let again = publish(&key, &values, 100).expect("test input");
    again.save(&path).expect("test input");
    assert_eq!(Published::load(&path).expect("test input"), again);
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("test input").count(),
        1
    );
}

#[test]
fn entry_sizes_do_not_depend_on_what_is_disclosed() {
    let key = key("sizes");
    let none = breachcheck_selfcheck::Disclosure {
        lines: 1,
        fields: vec![],
        matched_company_records: None,
    };
    let all = breachcheck_selfcheck::Disclosure {
        lines: u64::MAX,
        fields: breachcheck_selfcheck::FIELD_KINDS
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        matched_company_records: Some(true),
    };
    let few: Vec<Value> = (0..300)
        .map(|i| Value::new(Kind::Email, email(i), none.clone()))
        .collect();
    let many: Vec<Value> = (0..300)
        .map(|i| Value::new(Kind::Email, email(i), all.clone()))
        .collect();
    let a = publish(&key, &few, 100).expect("test input");
    let b = publish(&key, &many, 100).expect("test input");
    assert_eq!(a.to_bytes().len(), b.to_bytes().len());
    for e in a.entries().iter().chain(b.entries()) {
        assert_eq!(e.to_bytes().len(), ENTRY_LEN);
    }
    let bytes = a.to_bytes();
    let header = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
    let buckets = 1usize << a.info().bucket_bits;
    assert_eq!(
        bytes.len(),
        12 + header + 4 * (buckets + 1) + ENTRY_LEN * 300 + 32
    );
}

#[test]
fn damaged_files_are_refused() {
    let dir = tempfile::tempdir().expect("test input");
    let path = dir.path().join("claim.bcself");
    let published = publish(&key("damage"), &sample(250), 100).expect("test input");
    let good = published.to_bytes();
    let cases: Vec<Vec<u8>> = vec![
        Vec::new(),
        good[..good.len() - 1].to_vec(),
        {
            let mut b = good.clone();
            let mid = b.len() / 2;
            b[mid] ^= 1;
            b
        },
        {
            let mut b = good.clone();
            b[0] = b'X';
            b
        },
    ];
    for bad in cases {
        std::fs::write(&path, &bad).expect("test input");
        assert!(matches!(Published::load(&path), Err(Error::Format { .. })));
    }
    assert!(matches!(
        Published::load(&dir.path().join("missing")),
        Err(Error::Read { .. })
    ));
    // A well-formed file whose bucket is below its K (digest recomputed): refused too.
    let mut small = publish(&key("damage"), &sample(3), 5)
        .expect("test input")
        .to_bytes();
    let header = u32::from_le_bytes([small[8], small[9], small[10], small[11]]) as usize;
    let h = String::from_utf8(small[12..12 + header].to_vec()).expect("test input");
    let h2 = h.replace("\"min_bucket\":5", "\"min_bucket\":6");
    assert_eq!(h.len(), h2.len());
    small[12..12 + header].copy_from_slice(h2.as_bytes());
    let n = small.len() - 32;
    let d = sha2::Sha256::digest(&small[..n]);
    small[n..].copy_from_slice(&d);
    assert!(Published::from_bytes(&small).is_err());
    // An entry altered and the file's digest recomputed: the entries no longer hash to
    // the header's root.
    let mut b = good.clone();
    let n = b.len() - 32;
    b[n - 10] ^= 1;
    let d = sha2::Sha256::digest(&b[..n]);
    b[n..].copy_from_slice(&d);
    let err = Published::from_bytes(&b).expect_err("an altered entry");
    assert!(err.contains("entries_root"), "{err}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

    /// Bytes from a file or a peer never panic a reader.
    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
        cut in 0usize..2000,
        flip in proptest::prelude::any::<u8>(),
    ) {
        let _ = Published::from_bytes(&bytes);
        let _ = breachcheck_selfcheck::publish::decode_entries(&bytes);
        // A valid file cut or with one byte changed (digest left as it is).
        let good = publish(&key("fuzz"), &sample(3), 2).expect("test input").to_bytes();
        let _ = Published::from_bytes(&good[..cut.min(good.len())]);
        let mut b = good.clone();
        let i = cut % b.len();
        b[i] ^= flip | 1;
        proptest::prop_assert!(Published::from_bytes(&b).is_err());
    }
}
