//! The HTML report: self-contained (no script, no external request), free of input values,
//! and rendered by a real browser (headless Chromium, which `.ci/run` installs) with its
//! verdict and charts.
use crate::{indexed, p, run_ok, verify_args};
use std::process::Command;

fn chromium() -> Option<&'static str> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        });
    if found.is_none() && std::env::var_os("CI").is_some() {
        panic!("no Chromium: .ci/run installs the Debian package chromium");
    }
    found
}

fn headless(browser: &str, profile: &std::path::Path) -> Command {
    let mut c = Command::new(browser);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

#[test]
fn html_report_is_self_contained_and_renders_its_verdict() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let mut export = String::from(
        "email,full_name,phone,birth_date\nana.lopez@example.es,Ana López,+34 612 345 678,1980-02-03\nbo.li@example.cn,Bo Li,+86 139 1234 5678,1975-06-07\n",
    );
    for i in 0..60 {
        export.push_str(&format!(
            "p{i}@example.org,Person Number{i},+34 611 {:06},1970-01-{:02}\n",
            i * 11,
            1 + i % 28
        ));
    }
    let (k, idx, exp) = indexed(dir, "accounts", "2026-03-31", "accounts.csv", &export);
    let json = dir.join("r.json");
    let html = dir.join("r.html");
    run_ok(
        &[
            verify_args(&k, &idx, &json),
            vec!["--html", p(&html), p(&exp)],
        ]
        .concat(),
    );
    let page = std::fs::read_to_string(&html).expect("html");
    for banned in ["<script", "http://", "https://", " src=", "@import", "url("] {
        assert!(!page.contains(banned), "the page holds {banned:?}");
    }
    for value in ["ana.lopez", "López", "612 345", "1980-02-03", "Bo Li"] {
        assert!(
            !page.contains(value),
            "input value {value:?} in the HTML report"
        );
    }
    assert!(page.contains("class=\"class\">genuine<"), "verdict missing");
    assert_eq!(page.matches("<svg").count(), 5, "five charts");
    let Some(browser) = chromium() else {
        eprintln!("skipped the browser half: no Chromium here");
        return;
    };
    let url = format!("file://{}", html.display());
    let dom = headless(browser, &dir.join("profile-dom"))
        .args(["--dump-dom", &url])
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains("id=\"verdict\""),
        "rendered DOM lacks the verdict: {dom:.300}"
    );
    assert!(
        dom.contains(">genuine<") && dom.contains("<svg"),
        "{dom:.300}"
    );
    let shot = dir.join("report.png");
    let out = headless(browser, &dir.join("profile-shot"))
        .arg(format!("--screenshot={}", shot.display()))
        .args(["--window-size=1000,2000", &url])
        .output()
        .expect("chromium runs");
    let png = std::fs::read(&shot)
        .unwrap_or_else(|_| panic!("no screenshot: {}", String::from_utf8_lossy(&out.stderr)));
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    // A blank page compresses to a few kilobytes; text and bars do not.
    assert!(
        png.len() > 30_000,
        "screenshot of {} bytes looks blank",
        png.len()
    );
}
