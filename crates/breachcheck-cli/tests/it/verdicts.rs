//! The quick verdict matrix (`bench --verdicts --quick`) through the binary: synthetic
//! companies and leak samples of known truth, held to the targets the verdict is meant
//! to meet on the report seeds.
use crate::run_ok;

#[test]
fn quick_verdict_matrix_meets_its_targets() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = run_ok(&[
        "bench",
        "--verdicts",
        "--quick",
        "--json",
        "--dir",
        crate::p(tmp.path()),
    ]);
    let figures: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("bench --json prints JSON");
    let r = &figures["report"];
    let wrong: Vec<String> = figures["samples"]
        .as_array()
        .expect("samples")
        .iter()
        .filter(|s| s["set"] == "report" && s["correct"] == false)
        .map(|s| {
            format!(
                "company {} seed {}: {} -> {} ({})",
                s["company"],
                s["seed"],
                s["truth"]["class"],
                s["verdict"]["class"],
                s["description"]
            )
        })
        .collect();
    let context = format!("{r:#}\nwrong:\n{}", wrong.join("\n"));
    assert!(r["samples"].as_u64() >= Some(30), "{context}");
    assert_eq!(r["errors"], 0, "{context}");
    assert_eq!(r["false_admissions"], 0, "{context}");
    assert_eq!(r["false_denials_of_copies"], 0, "{context}");
    assert_eq!(r["false_canary_hits"], 0, "{context}");
    assert!(
        r["class_accuracy"].as_f64().expect("accuracy") >= 0.95,
        "{context}"
    );
    assert!(
        r["interval_coverage"].as_f64().expect("coverage") >= 0.9,
        "{context}"
    );
}
