#!/usr/bin/env python3
"""The transparency log's public page and feed (`breachcheck log publish`), read by people and
by feed readers.

Builds a log with the CLI from real data (`breachcheck demo`: its index and one of its
reports), with a public update of hostile text, publishes it, then opens `index.html` in
Chromium (Debian's, driven by Playwright) with JavaScript disabled: the statements are
visible newest first under their `#entry-N` anchors, the hostile text shows as text, and the
page asked nothing of any host. `feed.xml` is checked with `feedparser` (no bozo, one entry
per statement, stable ids, newest first) and a strict XML parse. The check commands the page
prints for a statement are run and must succeed. A screenshot goes to --out.

    python3 tests/browser/test_log_page.py --bin target/debug/breachcheck --out target/browser

Exit code 0 when everything holds, 1 when something does not. The self-check claim and
withdrawal kinds have no CLI path yet; the log crate's tests render them.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse
import xml.etree.ElementTree as ET

import feedparser
from playwright.sync_api import sync_playwright  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# The browser and its flags, and the failure helpers, shared with the web app test.
from test_webapp import CHROMIUM, CHROMIUM_ARGS, Failure, check, run  # noqa: E402

REPORT = "genuine-accounts"  # a demo report (reports/NAME.json) and its sample (samples/NAME.*)
HOSTILE = "Update: <script>document.title='pwned'</script> & <img src=https://evil.example/x.png> \"quoted\""
ORIGIN = "log.acme.example"
ATOM = "{http://www.w3.org/2005/Atom}"


def step(msg):
    print(f"log page test: {msg}", flush=True)


def build_log(binary, work):
    demo = os.path.join(work, "demo")
    run([binary, "demo", "--dir", demo])
    report = os.path.join(demo, "reports", f"{REPORT}.json")
    check(os.path.exists(report), f"`demo` made no reports/{REPORT}.json")
    samples = [f for f in os.listdir(os.path.join(demo, "samples")) if f.startswith(REPORT + ".")]
    check(len(samples) == 1, f"`demo` made no single samples/{REPORT}.* ({samples})")
    sample = os.path.join(demo, "samples", samples[0])
    sign = os.path.join(work, "log.sign")
    log = os.path.join(work, "log")
    run([binary, "sign-key", "generate", "--out", sign])
    run([binary, "log", "init", "--log", log, "--origin", ORIGIN, "--sign-key", sign])
    append = [binary, "log", "append", "--log", log, "--sign-key", sign]
    run(append + ["--index", os.path.join(demo, "index")])       # entry 0
    run(append + ["--report", report])                          # entry 1
    run(append + ["--update", HOSTILE])                         # entry 2
    head = run([binary, "log", "head", "--log", log])
    key = re.search(r"verifier key: (\S+)", head.stdout)
    check(key, f"`log head` printed no verifier key: {head.stdout}")
    return log, report, sample, key.group(1)


def check_page(pw, out, pub, size):
    index = os.path.join(pub, "index.html")
    url = "file://" + urllib.parse.quote(index)
    browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    try:
        ctx = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
        requests, problems = [], []
        ctx.on("request", lambda r: requests.append(r.url))
        page = ctx.new_page()
        page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
        page.goto(url)
        check(page.title() == f"Transparency log of {ORIGIN}", f"title {page.title()!r}")
        ids = [a.get_attribute("id") for a in page.locator("article").all()]
        want = [f"entry-{n}" for n in reversed(range(size))]
        check(ids == want, f"statements not newest first: {ids} != {want}")
        for n in range(size):
            check(page.locator(f"#entry-{n}").is_visible(), f"#entry-{n} not visible")
        text = page.locator("#entry-2").inner_text()
        check(HOSTILE in text, "the update's text is not shown as text")
        check(page.locator("script").count() == 0, "the page holds a script element")
        check(page.locator("img").count() == 0, "the update's markup became an element")
        check("Verdict" in page.locator("#entry-1").inner_text(), "the verification shows no verdict")
        check("Commitment" in page.locator("#entry-0").inner_text(), "the commitment is not shown")
        page.screenshot(path=os.path.join(out, "log-page.png"), full_page=True)
        foreign = sorted({u for u in requests if not u.startswith("file://" + urllib.parse.quote(pub))})
        check(not foreign, f"the page asked other hosts: {foreign}")
        check(not problems, f"console errors: {problems}")
        commands = {n: [c.inner_text() for c in page.locator(f"#entry-{n} pre code").all()]
                    for n in range(size)}
        step(f"page: {size} statements newest first, {len(requests)} request(s), all to the file itself")
        return commands
    finally:
        browser.close()


def check_feed(pub, size):
    path = os.path.join(pub, "feed.xml")
    with open(path, "rb") as f:
        raw = f.read()
    root = ET.fromstring(raw)  # raises on anything not well-formed
    check(root.tag == ATOM + "feed", f"root element {root.tag}")
    for name in ("id", "title", "updated", "author"):
        check(root.find(ATOM + name) is not None, f"the feed has no {name}")
    for e in root.findall(ATOM + "entry"):
        for name in ("id", "title", "updated", "link", "summary"):
            check(e.find(ATOM + name) is not None, f"an entry has no {name}")
    d = feedparser.parse(raw)
    check(d.bozo == 0, f"feedparser: {d.get('bozo_exception')}")
    ids = [e.id for e in d.entries]
    want = [f"urn:breachcheck:log:{ORIGIN}:entry:{n}" for n in reversed(range(size))]
    check(ids == want, f"feed ids/order {ids} != {want}")
    check(d.entries[0].link == f"index.html#entry-{size - 1}", f"entry link {d.entries[0].link}")
    check(b"<script" not in raw and b"&lt;script&gt;" in raw,
          "the update's text is not escaped in the feed")
    check("2" in d.entries[0].title and "Public update" in d.entries[0].title,
          f"newest entry's title {d.entries[0].title!r}")
    step(f"feed: well-formed Atom, {len(ids)} entries newest first, ids {ids[-1]} …")
    return ids


def run_checks(binary, commands, pub, report, sample, key):
    """Runs the page's check commands: inclusion of every entry, the report's and sample's hashes."""
    env = dict(os.environ, PATH=os.path.dirname(binary) + os.pathsep + os.environ["PATH"])
    for n, cmds in sorted(commands.items()):
        first = cmds[0]
        check(first == f"breachcheck log verify --from . --public-key '{key}' --entry {n}",
              f"entry {n}'s check command: {first}")
        out = subprocess.run(["bash", "-c", first], cwd=pub, env=env, capture_output=True, text=True)
        check(out.returncode == 0, f"`{first}` failed: {out.stderr}")
        check(out.stdout.startswith("ok: ") and f"entry {n} " in out.stdout, f"`{first}` said {out.stdout}")
    files = tempfile.mkdtemp(prefix="log-page-files-")
    shutil.copy(report, os.path.join(files, "report.json"))
    shutil.copy(sample, os.path.join(files, "sample.csv"))
    hashes = [c for c in commands[1] if "sha256sum --check" in c]
    check(len(hashes) == 2, f"the verification prints no report and sample hash checks: {commands[1]}")
    for c in hashes:
        out = subprocess.run(["bash", "-c", c], cwd=files, capture_output=True, text=True)
        check(out.returncode == 0, f"`{c}` failed: {out.stdout} {out.stderr}")
    # And a check must be able to fail: another file under the report's name.
    with open(os.path.join(files, "report.json"), "a") as f:
        f.write(" ")
    out = subprocess.run(["bash", "-c", hashes[0]], cwd=files, capture_output=True, text=True)
    check(out.returncode != 0, "the report hash check passed a changed report")
    step(f"ran the page's commands: {len(commands)} inclusion checks and the report's and sample's hashes")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, help="the breachcheck binary")
    ap.add_argument("--out", required=True, help="folder for the screenshot")
    args = ap.parse_args()
    binary = os.path.abspath(args.bin)
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    t0 = time.time()
    work = tempfile.mkdtemp(prefix="breachcheck-log-page-")
    try:
        log, report, sample, key = build_log(binary, work)
        pub = os.path.join(work, "pub")
        run([binary, "log", "publish", "--log", log, "--out", pub])
        step(f"log of 3 statements built and published in {time.time() - t0:.1f} s")
        with sync_playwright() as pw:
            commands = check_page(pw, out, pub, 3)
        check_feed(pub, 3)
        run_checks(binary, commands, pub, report, sample, key)
    except Exception as e:
        text = "".join(traceback.format_exception(e))
        print(f"log page test: FAILED\n{text}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"log page test: passed in {time.time() - t0:.0f} s; screenshot in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
