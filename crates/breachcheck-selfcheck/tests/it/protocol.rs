//! The protocol end to end in memory: found, not found, refused.
use crate::common::{ask, disclosure, email, key, phone};
use breachcheck_selfcheck::{
    bucket, publish, server, ClaimKey, Disclosure, Error, Kind, PublicKey, Query, Value,
};
use proptest::prelude::*;
use rayon::prelude::*;

fn values(n: u64) -> Vec<Value> {
    (0..n)
        .map(|i| {
            if i % 2 == 0 {
                Value::new(Kind::Email, email(i), disclosure(i))
            } else {
                Value::new(Kind::Phone, phone(i), disclosure(i))
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    /// Every published value is found, with its own disclosure, whatever the sample's size,
    /// its values and K.
    #[test]
    fn every_published_value_is_found_with_its_disclosure(
        raw in prop::collection::btree_set((any::<bool>(), "[a-z0-9.+]{1,24}"), 1..160),
        k in 1usize..40,
        seed in any::<u64>(),
    ) {
        let key = key("prop");
        let values: Vec<Value> = raw
            .iter()
            .enumerate()
            .map(|(i, (is_phone, v))| {
                let kind = if *is_phone { Kind::Phone } else { Kind::Email };
                Value::new(kind, v.as_bytes(), disclosure(seed.wrapping_add(i as u64)))
            })
            .collect();
        let published = publish(&key, &values, k).expect("test input");
        let (lo, _) = published.bucket_size_range();
        prop_assert!(lo >= k);
        let info = published.info().clone();
        let answers: Vec<_> = values
            .par_iter()
            .map(|v| ask(&key, &published, &info, v.kind, v.canonical()))
            .collect();
        for (v, got) in values.iter().zip(answers) {
            let want = v.disclosure.normalized().expect("test input");
            prop_assert_eq!(got.expect("a verified answer"), Some(want));
        }
    }
}

#[test]
fn ten_thousand_values_outside_the_claim_are_not_found() {
    let key = key("absent");
    let values = values(3_000);
    let published = publish(&key, &values, 100).expect("test input");
    assert!(published.info().bucket_bits >= 3, "{:?}", published.info());
    let info = published.info().clone();
    let found = (0..10_000u64)
        .into_par_iter()
        .map(|i| {
            // Near misses of the published values: other numbers, the other kind, a
            // different case.
            let (kind, v) = match i % 4 {
                0 => (Kind::Email, email(1_000_000 + i)),
                1 => (Kind::Phone, phone(1_000_000 + i)),
                2 => (Kind::Phone, email(i)),
                _ => (Kind::Email, email(i).to_ascii_uppercase()),
            };
            ask(&key, &published, &info, kind, &v).expect("a verified answer")
        })
        .filter(Option::is_some)
        .count();
    assert_eq!(found, 0);
}

#[test]
fn every_bucket_holds_k_entries_with_dummies_for_tiny_samples() {
    let key = key("sizes");
    for (n, k) in [
        (0, 100),
        (1, 100),
        (5, 100),
        (99, 100),
        (100, 100),
        (199, 100),
        (250, 100),
        (5_000, 100),
        (5_000, 7),
    ] {
        let published = publish(&key, &values(n), k).expect("test input");
        let info = published.info();
        let (lo, hi) = published.bucket_size_range();
        assert!(lo >= k, "n {n} k {k}: smallest bucket {lo}");
        assert_eq!(info.entries as usize, published.entries().len());
        if (n as usize) < k {
            assert_eq!((info.bucket_bits, lo, hi), (0, k, k), "n {n}: padded to K");
        } else {
            assert_eq!(
                info.entries, n,
                "n {n}: no dummies once the sample has K values"
            );
        }
        if n == 5_000 {
            assert!(
                info.bucket_bits >= 4,
                "n {n} k {k}: {} bits",
                info.bucket_bits
            );
        }
        // Buckets are sorted by tag and hold each published value in its public bucket.
        for b in 0..bucket::bucket_count(info.bucket_bits) as u32 {
            let e = published.bucket_entries(b).expect("test input");
            assert!(e.windows(2).all(|w| w[0].tag <= w[1].tag));
        }
        assert!(published
            .bucket_entries(bucket::bucket_count(info.bucket_bits) as u32)
            .is_err());
    }
}

#[test]
fn a_wrong_public_key_or_an_altered_answer_is_an_error_not_a_miss() {
    let key = key("refuse");
    let values = values(300);
    let published = publish(&key, &values, 100).expect("test input");
    let info = published.info().clone();
    let v = &values[10];
    let other = crate::common::key("another-claim");

    // The client trusts another public key than the server's.
    let mut wrong = info.clone();
    wrong.public_key = other.public_key();
    assert!(matches!(
        crate::common::ask(&key, &published, &wrong, v.kind, v.canonical()),
        Err(Error::Verification(_))
    ));
    // The server answers with another key than the claim's (value present or not).
    for value in [v.canonical().to_vec(), b"nobody@example.org".to_vec()] {
        let q = Query::new(v.kind, &value, info.bucket_bits).expect("test input");
        let (e, p) = server::evaluate(&other, q.blinded()).expect("test input");
        let entries = published.bucket_entries(q.bucket()).expect("test input");
        let path = published.bucket_proof(q.bucket()).expect("test input");
        assert!(matches!(
            q.finish(&info, &e, &p, entries, &path),
            Err(Error::Verification(_))
        ));
    }
    // An altered proof or evaluation.
    for flip in 0..3 {
        let q = Query::new(v.kind, v.canonical(), info.bucket_bits).expect("test input");
        let (mut e, mut p) = server::evaluate(&key, q.blinded()).expect("test input");
        match flip {
            0 => p[3] ^= 1,
            1 => p[40] ^= 1,
            _ => {
                // Another valid element: the evaluation of some other blinded element.
                let q2 = Query::new(v.kind, b"x", info.bucket_bits).expect("test input");
                e = server::evaluate(&key, q2.blinded()).expect("test input").0;
            }
        }
        let entries = published.bucket_entries(q.bucket()).expect("test input");
        let path = published.bucket_proof(q.bucket()).expect("test input");
        let r = q.finish(&info, &e, &p, entries, &path);
        assert!(
            matches!(r, Err(Error::Verification(_)) | Err(Error::Malformed(_))),
            "flip {flip}: {r:?}"
        );
    }
    // The bucket with the person's entry left out, an entry altered or added, another
    // bucket's path, a path cut short: the bucket is not the published one. "Not found"
    // must not be faked by leaving an entry out.
    let bucket = bucket::bucket_of(v.kind, v.canonical(), info.bucket_bits);
    let whole = published
        .bucket_entries(bucket)
        .expect("test input")
        .to_vec();
    let path = published.bucket_proof(bucket).expect("test input");
    let other_path = published.bucket_proof(bucket ^ 1).expect("test input");
    let mut altered = whole.clone();
    altered[0].sealed[0] ^= 1;
    let cases: Vec<(Vec<_>, Vec<_>)> = (0..whole.len())
        .map(|i| {
            let mut fewer = whole.clone();
            fewer.remove(i);
            (fewer, path.clone())
        })
        .chain([
            (altered, path.clone()),
            ([whole.clone(), whole[..1].to_vec()].concat(), path.clone()),
            (whole.clone(), other_path),
            (whole.clone(), path[1..].to_vec()),
        ])
        .collect();
    for (entries, path) in cases {
        let q = Query::new(v.kind, v.canonical(), info.bucket_bits).expect("test input");
        let (e, p) = server::evaluate(&key, q.blinded()).expect("test input");
        assert!(matches!(
            q.finish(&info, &e, &p, &entries, &path),
            Err(Error::Verification(_))
        ));
    }
    // A query made for other bucket bits.
    let q = Query::new(v.kind, v.canonical(), info.bucket_bits + 1).expect("test input");
    let (e, p) = server::evaluate(&key, q.blinded()).expect("test input");
    assert!(matches!(
        q.finish(&info, &e, &p, &[], &[]),
        Err(Error::BucketBits { .. })
    ));
    // Garbage in place of elements.
    let q = Query::new(v.kind, v.canonical(), info.bucket_bits).expect("test input");
    assert!(q
        .finish(&info, &[0xff; 32], &[0; 64], &whole, &path)
        .is_err());
    assert!(PublicKey::from_hex(&"00".repeat(32)).is_err());
}

#[test]
fn a_claim_key_must_match_the_published_claim() {
    let key = key("match");
    let published = publish(&key, &values(10), 5).expect("test input");
    published.check_key(&key).expect("the same key");
    assert!(matches!(
        published.check_key(&crate::common::key("other")),
        Err(Error::KeyMismatch { .. })
    ));
    let same_name_other_company =
        ClaimKey::derive(&breachcheck_core::SecretKey::from_bytes([1; 32]), "match")
            .expect("test input");
    assert!(published.check_key(&same_name_other_company).is_err());
}

#[test]
fn bad_inputs_are_refused_by_position() {
    let key = key("inputs");
    let mut vs = values(5);
    vs.push(Value::new(Kind::Email, email(2), disclosure(9)));
    match publish(&key, &vs, 3) {
        Err(Error::DuplicateValue {
            first: 2,
            second: 5,
            kind: "email",
        }) => {}
        other => panic!("{other:?}"),
    }
    let vs = vec![Value::new(Kind::Email, Vec::new(), disclosure(0))];
    assert!(matches!(
        publish(&key, &vs, 3),
        Err(Error::ValueLength { index: 0, .. })
    ));
    let vs = vec![Value::new(
        Kind::Email,
        email(1),
        Disclosure {
            lines: 1,
            fields: vec!["iban".into()],
            matched_company_records: None,
        },
    )];
    assert!(matches!(
        publish(&key, &vs, 3),
        Err(Error::UnknownFieldKind { .. })
    ));
    assert!(matches!(
        publish(&key, &values(3), 0),
        Err(Error::MinBucket)
    ));
    // The same string as an e-mail and as a phone is two values.
    let vs = vec![
        Value::new(Kind::Email, b"x".to_vec(), disclosure(1)),
        Value::new(Kind::Phone, b"x".to_vec(), disclosure(2)),
    ];
    let published = publish(&key, &vs, 1).expect("test input");
    let info = published.info().clone();
    assert_eq!(
        ask(&key, &published, &info, Kind::Phone, b"x").expect("test input"),
        Some(disclosure(2).normalized().expect("test input"))
    );
}

#[test]
fn republishing_gives_unrelated_entries_under_the_same_public_key() {
    let key = key("again");
    let vs = values(200);
    let a = publish(&key, &vs, 100).expect("test input");
    let b = publish(&key, &vs, 100).expect("test input");
    assert_eq!(a.info().public_key, b.info().public_key);
    assert_ne!(a.info().salt, b.info().salt);
    let tags_a: std::collections::HashSet<_> = a.entries().iter().map(|e| e.tag).collect();
    assert!(b.entries().iter().all(|e| !tags_a.contains(&e.tag)));
}
