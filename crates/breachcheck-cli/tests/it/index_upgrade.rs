//! `index upgrade` re-encodes an index of an older segment format without the key or the
//! exports: what it writes is byte for byte what this version builds from the exports.
use crate::{copy_dir, p, read_json, run_fails, run_ok, verify_args};
use std::path::Path;

/// A copy of the committed v4 fixture (index, exports, key, samples) in a fresh directory.
fn v4_fixture() -> tempfile::TempDir {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/index-v4");
    let d = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixture, d.path());
    d
}

fn segments(idx: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(idx.join("segments"))
        .expect("segments")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "bcs"))
        .map(|p| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            (name, std::fs::read(&p).expect("read"))
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_v4_index_is_re_encoded_as_the_v5_build_of_its_exports() {
    let d = v4_fixture();
    let key = d.path().join("key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let (old, sample) = (d.path().join("index"), d.path().join("s2.csv"));
    // A verify of the v4 index says what to do, and states nothing.
    let json = d.path().join("r-old.json");
    let mut args = verify_args(&key, &old, &json);
    args.push(p(&sample));
    let refused = run_fails(&args);
    let msg = String::from_utf8_lossy(&refused.stderr);
    assert!(
        msg.contains("format v4") && msg.contains("index upgrade"),
        "{msg}"
    );
    assert!(!json.exists());
    // Upgraded: two segments re-encoded, a new commitment, and an index that checks.
    let up = run_ok(&["index", "upgrade", "--index", p(&old), "--json"]);
    let up: serde_json::Value = serde_json::from_slice(&up.stdout).expect("json");
    assert_eq!(up["reencoded"].as_array().map(Vec::len), Some(2), "{up}");
    assert_ne!(up["commitment"], up["commitment_before"]);
    run_ok(&["index", "check", "--index", p(&old)]);
    // Nothing of the old format is left.
    let names: Vec<String> = segments(&old).into_iter().map(|(n, _)| n).collect();
    assert!(names.iter().all(|n| n.ends_with("-v5.bcs")), "{names:?}");
    // A v5 build of the same exports with the same key: the same segments, byte for
    // byte, hence the same commitment.
    let fresh = d.path().join("fresh");
    for (snapshot, file) in [("2026-01-31", "s1.csv"), ("2026-02-28", "s2.csv")] {
        run_ok(&[
            "index",
            "build",
            "--key",
            p(&key),
            "--index",
            p(&fresh),
            "--system",
            "accounts",
            "--snapshot",
            snapshot,
            p(&d.path().join(file)),
        ]);
    }
    let (upgraded, built) = (segments(&old), segments(&fresh));
    assert_eq!(upgraded.len(), built.len());
    for ((a_name, a), (b_name, b)) in upgraded.iter().zip(&built) {
        assert!(a == b, "{a_name} differs from {b_name}");
    }
    // The manifests agree on every segment's content (root, checksum, size, counts); the
    // commitments differ only by what else an entry binds: where the exports were read.
    let manifest = |idx: &Path| read_json(&idx.join("manifest.json"));
    let (m_up, m_fresh) = (manifest(&old), manifest(&fresh));
    for (a, b) in m_up["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .zip(m_fresh["segments"].as_array().expect("segments"))
    {
        for field in [
            "root", "checksum", "bytes", "records", "postings", "removed", "live",
        ] {
            assert_eq!(a[field], b[field], "{field}");
        }
    }
    assert_eq!(up["commitment"], m_up["commitment"]["root"]);
    // And a verify of each says the same.
    let report = |idx: &Path, name: &str| {
        let json = d.path().join(name);
        let mut args = verify_args(&key, idx, &json);
        args.push(p(&sample));
        run_ok(&args);
        let mut r = read_json(&json);
        let o = r.as_object_mut().expect("object");
        o.remove("generated_at");
        // The index's commitment and where it is (see above).
        o.remove("index");
        r
    };
    assert_eq!(report(&old, "r-up.json"), report(&fresh, "r-fresh.json"));
    // A second upgrade has nothing to do.
    let again = run_ok(&["index", "upgrade", "--index", p(&old), "--json"]);
    let again: serde_json::Value = serde_json::from_slice(&again.stdout).expect("json");
    assert_eq!(
        again["reencoded"].as_array().map(Vec::len),
        Some(0),
        "{again}"
    );
}

/// An upgrade that fails part way (the second segment is damaged) leaves the index as it
/// was: the manifest untouched, no re-encoded file of the first segment behind, the lock
/// released.
#[test]
fn a_failed_upgrade_leaves_the_index_as_it_was() {
    let d = v4_fixture();
    let idx = d.path().join("index");
    let second = idx.join("segments/000002-accounts-2026-02-28-system.bcs");
    let mut bytes = std::fs::read(&second).expect("read");
    bytes[200] ^= 0x01;
    std::fs::write(&second, &bytes).expect("write");
    let manifest = std::fs::read(idx.join("manifest.json")).expect("manifest");
    let before = segments(&idx);
    let failed = run_fails(&["index", "upgrade", "--index", p(&idx)]);
    let msg = String::from_utf8_lossy(&failed.stderr);
    assert!(
        msg.contains("000002-accounts-2026-02-28-system.bcs"),
        "{msg}"
    );
    assert_eq!(
        std::fs::read(idx.join("manifest.json")).expect("manifest"),
        manifest
    );
    assert_eq!(segments(&idx), before);
    let names: Vec<String> = std::fs::read_dir(idx.join("segments"))
        .expect("segments")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains("-v5")), "{names:?}");
    assert!(!idx.join("LOCK").exists());
}
