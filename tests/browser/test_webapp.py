#!/usr/bin/env python3
"""The web app of `breachcheck serve`, used in a real browser (Chromium driven by Playwright).

Makes its own data (`breachcheck demo`), its own tokens and its own server, then signs in,
opens a case, uploads a sample through the file input, follows the job until the page shows
the verdict, opens the report and the index, checks that a wrong token is refused and that
signing out ends the session, that the pages asked nothing of any other host, that no
sample value and no token appears in a page, and that no page logged a script or CSP error.
Screenshots of every page go to --out.

    python3 tests/browser/test_webapp.py --bin target/debug/breachcheck --out target/browser

Exit code 0 when everything holds, 1 when something does not (the failure is printed, with
tokens redacted). Chromium comes from Debian (/usr/bin/chromium): Playwright's own browser
download is not needed.
"""
import argparse
import csv
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("BREACHCHECK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SAMPLE = "genuine-accounts.tsv"  # a demo sample: a genuine copy, e-mail column included
TIMEOUT_MS = 30_000
VERIFY_TIMEOUT_MS = 180_000


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def step(msg):
    print(f"browser test: {msg}", flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def make_token(binary, data, role, name):
    out = run([binary, "serve", "token", "create", "--data", data, "--role", role, "--name", name])
    token = out.stdout.strip().splitlines()[-1].strip()
    check(token.startswith("bct_"), f"`serve token create --role {role}` printed no token last")
    return token


def sample_values(path):
    """Values of the sample that must never reach a page: e-mail addresses and phone numbers."""
    values = set()
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.reader(f, delimiter="\t"):
            for cell in row:
                cell = cell.strip()
                if re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", cell):
                    values.add(cell)
                elif re.fullmatch(r"\+?[0-9][0-9 ()/-]{7,}", cell):
                    values.add(cell)
    emails = sorted(v for v in values if "@" in v)
    phones = sorted(v for v in values if "@" not in v)
    check(len(emails) >= 20, f"the sample {path} has too few e-mail addresses to check privacy")
    return emails[:50] + phones[:20]


class Server:
    """`breachcheck serve` on a port the system picks, its output in a log file."""

    def __init__(self, binary, demo, data, log_path, extra=()):
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(
            [binary, "serve", "--index", os.path.join(demo, "index"),
             "--key", os.path.join(demo, "company.key"), "--data", data,
             "--listen", "127.0.0.1:0", "--workers", "1", *extra],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.base = None
        deadline = time.time() + 30
        while time.time() < deadline and self.base is None:
            if self.proc.poll() is not None:
                raise Failure(f"the server exited with {self.proc.returncode}: {self.tail()}")
            with open(log_path) as f:
                m = re.search(r"breachcheck serve: (http://127\.0\.0\.1:[0-9]+)", f.read())
            if m:
                self.base = m.group(1)
            else:
                time.sleep(0.1)
        check(self.base is not None, "the server did not say where it listens within 30 s")

    def tail(self):
        with open(self.log_path) as f:
            return "".join(f.readlines()[-30:])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def assert_private(html, secrets, where):
    for v in secrets:
        check(v not in html, f"{where} shows a sample value or a token (redacted here)")


def sign_in(page, base, token):
    page.goto(base + "/")
    page.fill("#token", token)
    page.click("#login button[type=submit]")
    page.wait_for_load_state()


def browser_test(args, work):
    binary = os.path.abspath(args.bin)
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    demo = os.path.join(work, "demo")
    data = os.path.join(work, "data")

    t0 = time.time()
    run([binary, "demo", "--dir", demo])
    step(f"demo data made in {time.time() - t0:.1f} s")
    sample = os.path.join(demo, "samples", SAMPLE)
    check(os.path.exists(sample), f"`demo` made no samples/{SAMPLE}")
    values = sample_values(sample)
    admin = make_token(binary, data, "admin", "browser-admin")
    analyst = make_token(binary, data, "analyst", "browser-analyst")
    secrets = values + [admin, analyst]

    server = Server(binary, demo, data, os.path.join(work, "server.log"))
    try:
        base = server.base
        origin = urllib.parse.urlsplit(base).netloc
        step(f"server at {base}")
        with sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                os.path.join(work, "chromium-profile"),
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                viewport={"width": 1280, "height": 900})
            try:
                run_pages(ctx, base, origin, out, sample, secrets, admin, analyst)
            finally:
                ctx.close()
    except Exception:
        tail = server.tail()
        for s in (admin, analyst):
            tail = tail.replace(s, "[TOKEN]")
        print("browser test: the server's last log lines:\n" + tail, file=sys.stderr)
        raise
    finally:
        server.stop()


def run_pages(ctx, base, origin, out, sample, secrets, admin, analyst):
    ctx.set_default_timeout(TIMEOUT_MS)
    requests, problems, statuses = [], [], []
    ctx.on("request", lambda r: requests.append(r.url))
    # What the upload status line said, in order, across reloads.
    ctx.expose_function("__bcStatus", lambda text: statuses.append(text))
    ctx.add_init_script("""
        document.addEventListener('DOMContentLoaded', () => {
          const el = document.getElementById('upload-status');
          if (!el) return;
          new MutationObserver(() => window.__bcStatus(el.textContent))
            .observe(el, {childList: true, characterData: true, subtree: true});
        });""")
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    def console(m):
        # The sandboxed report frame refuses the scripts Playwright itself injects (the
        # status recorder above); the frame's own scripts are checked for separately.
        if m.type == "error" and not (
                "document's frame is sandboxed" in m.text and "/report.html" in m.text):
            problems.append(f"console: {m.text}")
    page.on("console", console)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("response", lambda r: r.status >= 500 and problems.append(f"{r.status} from {r.url}"))

    def shot(name):
        page.screenshot(path=os.path.join(out, name), full_page=True)

    # Sign-in page; a wrong token is refused and gives no session.
    page.goto(base + "/")
    check(page.locator("#token").is_visible(), "the home page shows no sign-in form")
    shot("1-sign-in.png")
    page.fill("#token", "bct_" + "0" * 64)
    with page.expect_response(lambda r: r.url.endswith("/login")) as resp:
        page.click("#login button[type=submit]")
    check(resp.value.status == 401, f"a wrong token got {resp.value.status}, not 401")
    check(page.locator("#login-error").is_visible(), "a wrong token shows no error")
    check(not [c for c in ctx.cookies() if c["name"] == "bc_session"],
          "a wrong token got a session cookie")
    # That 401 was expected; its console line is not a problem.
    problems.clear()
    step("a wrong token is refused")

    # The analyst signs in and opens a case.
    sign_in(page, base, analyst)
    check(page.locator("#new-case").is_visible(), "the analyst's case list has no new-case form")
    check("browser-analyst" in page.inner_text("nav"), "the nav does not name who signed in")
    page.fill("#case-name", "browser test: forum post")
    page.click("#new-case button[type=submit]")
    page.wait_for_url(re.compile(r".*/cases/[0-9]+$"))
    case_url = page.url
    check(page.inner_text("#case-title") == "browser test: forum post", "the case page's title")
    check(page.locator("#no-samples").is_visible(), "a new case lists samples")
    step(f"case opened at {urllib.parse.urlsplit(case_url).path}")

    # Upload through the file input; the script follows the job and reloads when done.
    t0 = time.time()
    with page.expect_response(lambda r: "/samples?filename=" in r.url) as up:
        page.set_input_files("#file", sample)
    check(up.value.status == 202, f"the upload got {up.value.status}, not 202")
    check(f"filename={SAMPLE}" in up.value.url, "the upload did not send the file's name")
    page.wait_for_selector("#samples .verdict", timeout=VERIFY_TIMEOUT_MS)
    page.wait_for_load_state()
    step(f"verdict shown {time.time() - t0:.1f} s after the upload; status line: "
         + " | ".join(dict.fromkeys(statuses)))
    check(any(s.startswith("Uploading " + SAMPLE) for s in statuses),
          "the status line never said it was uploading")
    check(any(s.startswith("Uploaded: sample") for s in statuses),
          "the status line never said the upload was accepted")
    check(any(re.match(r"Job [0-9]+: done, [0-9]+ lines read", s) for s in statuses),
          "the status line never showed the job done (from its event stream)")
    check(any(re.search(r"/api/v1/jobs/[0-9]+/events$", u) for u in requests),
          "the page did not follow the job's event stream")
    job = page.locator("#samples td.job")
    check(job.get_attribute("data-state") == "done", "the sample's job is not shown done")
    verdict = page.inner_text("#samples .verdict")
    check(verdict.strip() not in ("", "–"), "no verdict shown")
    check(page.inner_text("#custody-check").startswith("Checked:"),
          "the case's custody check does not pass")
    check(page.locator("#custody tbody tr").count() >= 1, "the custody log is empty")
    assert_private(page.content(), secrets, "the case page")
    shot("3-case-verdict.png")
    step(f"verdict: {verdict}")

    # The report page and its framed HTML report (charts are inline SVG).
    page.click("#samples a[href^='/samples/']")
    page.wait_for_url(re.compile(r".*/samples/[0-9]+$"))
    check(page.inner_text("#verdict .verdict") == verdict, "the report page's verdict differs")
    frame_el = page.wait_for_selector("iframe#report")
    frame = frame_el.content_frame()
    check(frame is not None, "the report iframe has no document")
    frame.wait_for_load_state()
    frame.wait_for_selector("svg", state="attached")
    check(frame.locator("svg").count() >= 1, "the framed report has no chart")
    check(len(frame.inner_text("body")) > 200, "the framed report is (nearly) empty")
    check(frame.locator("script").count() == 0, "the framed report carries a script")
    assert_private(page.content(), secrets, "the report page")
    assert_private(frame.content(), secrets, "the framed report")
    shot("4-report.png")
    step(f"report page shows the report with {frame.locator('svg').count()} charts")

    # The index page.
    page.click("nav a[href='/index']")
    page.wait_for_url(base + "/index")
    check(re.fullmatch(r"[0-9a-f]{64}", page.inner_text("#commitment").strip()) is not None,
          "the index page shows no commitment")
    check(page.locator("#systems tbody tr").count() >= 2, "the index page lists no systems")
    assert_private(page.content(), secrets, "the index page")
    shot("5-index.png")
    step("index page shown")

    # Signing out ends the session: the case page sends back to sign-in.
    page.click("#sign-out")
    page.wait_for_selector("#token")
    page.goto(case_url)
    check(page.locator("#token").is_visible(), "after signing out the case page still opens")
    step("signed out")

    # The admin sees the analyst's case in the list.
    sign_in(page, base, admin)
    row = page.locator("#cases tbody tr", has_text="browser test: forum post")
    check(row.count() == 1, "the admin's case list lacks the analyst's case")
    check("browser-analyst" in row.inner_text(), "the case list does not say who opened it")
    assert_private(page.content(), secrets, "the case list")
    shot("2-case-list.png")
    page.click("#sign-out")
    page.wait_for_selector("#token")

    # Nothing was asked of any other host.
    foreign = sorted({u for u in requests
                      if urllib.parse.urlsplit(u).scheme not in ("data", "blob", "about")
                      and urllib.parse.urlsplit(u).netloc != origin})
    check(not foreign, f"the pages asked other hosts: {foreign}")
    check(not problems, "problems in the pages: " + "; ".join(problems))
    step(f"{len(requests)} requests, all to {origin}; no script or CSP errors")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, help="the breachcheck binary")
    ap.add_argument("--out", required=True, help="folder for the screenshots")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()
    # A SIGTERM (CI's `timeout`) unwinds like an error, so the server is still stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = tempfile.mkdtemp(prefix="bc-browser-")
    t0 = time.time()
    try:
        browser_test(args, work)
    except Exception as e:
        text = "".join(traceback.format_exception(e))
        for m in re.findall(r"bct_[0-9a-f]+", text):
            text = text.replace(m, "[TOKEN]")
        print(f"browser test FAILED after {time.time() - t0:.0f} s:\n{text}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"browser test: passed in {time.time() - t0:.0f} s; screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
