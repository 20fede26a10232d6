#!/usr/bin/env python3
"""The customers' self-check as people use it: `breachcheck serve`'s public page
`/check/{claim}` in a real browser (Chromium driven by Playwright), and the command-line
client `breachcheck selfcheck query`, against a claim published with `breachcheck
selfcheck publish` beside the running server.

Makes its own data (`breachcheck demo`), publishes the demo's genuine sample as a claim,
then through the page checks an e-mail of the sample typed in another case, a phone of the
sample typed nationally with its country, and a stranger's address; checks the same with
the CLI client; withdraws the claim and sees the page say so. Asserts that no typed value
(raw or canonical) is in any request the page makes, in the server's log, its database or
its data folder, that the page makes no request to another host and logs no console or CSP
error. Screenshots go to --out.

    python3 tests/browser/test_selfcheck_page.py --bin target/debug/breachcheck --out target/browser

Exit code 0 when everything holds.
"""
import argparse
import csv
import json
import os
import re
import sys
import tempfile
import traceback
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_webapp import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, Failure, Server, check, run  # noqa: E402

from playwright.sync_api import sync_playwright  # noqa: E402

CLAIM = "demo-2026-12"
SAMPLE = "genuine-accounts.tsv"


def step(msg):
    print(f"selfcheck page test: {msg}", flush=True)


def pick_values(path):
    """An e-mail and a (phone, country) of the same sample line, as the sample writes them."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    head = rows[0]
    mail, tel, land = head.index("mail"), head.index("tel"), head.index("land")
    for r in rows[1:]:
        if r[mail] and r[tel].startswith("+") and r[land] in ("DE", "FR", "GB", "PL", "GR", "IT", "ES"):
            return r[mail], r[tel], r[land]
    raise Failure("the demo sample has no line with an e-mail, an international phone and a usual country")


def national(phone_e164_spaced):
    """"+30 693 483 8297" → ("693 483 8297"), the way a person writes it at home (the
    country's trunk prefix is added by the caller where the country uses one)."""
    return phone_e164_spaced.split(" ", 1)[1]


TRUNK = {"DE": "0", "FR": "0", "GB": "0", "PL": "", "GR": "", "IT": "", "ES": ""}


def check_in_page(page, kind, value, country=None):
    page.select_option("#kind", kind)
    if country:
        page.select_option("#country", country)
    page.fill("#value", value)
    page.click("#check")
    page.wait_for_function(
        "() => { const o = document.getElementById('selfcheck-result');"
        " return o && o.dataset.state && o.dataset.state !== 'busy'; }")
    out = page.locator("#selfcheck-result")
    return out.get_attribute("data-state"), out.inner_text()


def scan(paths, secrets, what):
    for p in paths:
        with open(p, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        for s in secrets:
            check(s not in text, f"{what} {p} holds a checked value (redacted)")


def files_under(d):
    for root, _, names in os.walk(d):
        for n in names:
            yield os.path.join(root, n)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--out", default="target/browser")
    args = ap.parse_args()
    binary = os.path.abspath(args.bin)
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bc-selfcheck-page-") as work:
        demo, data = os.path.join(work, "demo"), os.path.join(work, "data")
        run([binary, "demo", "--dir", demo])
        sample = os.path.join(demo, "samples", SAMPLE)
        email, phone, country = pick_values(sample)
        typed_email = email.upper()
        typed_phone = TRUNK[country] + national(phone)
        stranger = "nobody.at.all.4711@example.net"
        canon_phone = phone.replace(" ", "")
        secrets = [email, email.lower(), typed_email, phone, canon_phone, typed_phone, stranger]

        # A transparency log the publication is stated in, and whose page the claim links.
        translog, log_key = os.path.join(work, "translog"), os.path.join(work, "log.sign")
        run([binary, "sign-key", "generate", "--out", log_key])
        run([binary, "log", "init", "--log", translog, "--origin", "log.acme.example", "--sign-key", log_key])
        log_url = "https://log.acme.example/log"
        server = Server(binary, demo, data, os.path.join(work, "server.log"),
                        extra=("--log", translog, "--log-url", log_url))
        try:
            published = json.loads(run([binary, "selfcheck", "publish", "--data", data,
                                        "--key", os.path.join(demo, "company.key"),
                                        "--claim", CLAIM, "--log", translog, "--log-sign-key", log_key,
                                        "--json", sample]).stdout)
            check(published.get("log_entry") == 0, f"the publication is the log's entry 0: {published.get('log_entry')}")
            step(f"published {published['row']['values_published']} values, verdict {published['row']['verdict']}")
            check(published["row"]["verdict"] is not None, "publish found the server's index and verified")
            base = server.base
            origin = urllib.parse.urlsplit(base).netloc
            requests, bodies, problems = [], [], []
            with sync_playwright() as pw:
                ctx = pw.chromium.launch_persistent_context(
                    os.path.join(work, "chromium-profile"), executable_path=CHROMIUM,
                    headless=True, args=CHROMIUM_ARGS, viewport={"width": 1100, "height": 900})
                try:
                    ctx.set_default_timeout(TIMEOUT_MS)

                    def on_request(r):
                        requests.append(r.url)
                        if r.post_data_buffer:
                            bodies.append(r.post_data_buffer.decode("utf-8", "replace"))
                    ctx.on("request", on_request)
                    page = ctx.pages[0] if ctx.pages else ctx.new_page()
                    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
                    page.on("pageerror", lambda e: problems.append(str(e)))
                    # The claim page may be seen after the server's one-second claim cache.
                    page.wait_for_timeout(1100)
                    resp = page.goto(f"{base}/check/{CLAIM}")
                    check(resp.status == 200, f"the claim page answered {resp.status}")
                    html = page.content()
                    check(published["info"]["public_key"] in html, "the page shows the public key")
                    check(page.locator("#selfcheck [name]").count() == 0,
                          "a form field has a name: submitted without the script, it would send the value")
                    check(page.locator("#statements #entry-0").count() == 1,
                          "the page lists the claim's statement from the log")
                    check(f'href="{log_url}/feed.xml"' in html and f'href="{log_url}/index.html"' in html,
                          "the page links the log's page and feed")
                    state, text = check_in_page(page, "email", typed_email)
                    step(f"e-mail of the sample: {state}: {text}")
                    check(state == "found" and "Found in 1 line" in text, f"the sample's e-mail was not found: {text}")
                    check("matched our records: yes" in text, f"the sample's line matched: {text}")
                    check("phone number" in text and "name" in text, f"the fields the line carries: {text}")
                    page.screenshot(path=os.path.join(out, "selfcheck-found.png"), full_page=True)
                    state, text = check_in_page(page, "phone", typed_phone, country)
                    step(f"phone of the sample, typed nationally in {country}: {state}: {text}")
                    check(state == "found", f"the sample's phone was not found: {text}")
                    state, text = check_in_page(page, "email", stranger)
                    step(f"a stranger: {state}: {text}")
                    check(state == "not-found" and "Not found" in text, f"a stranger was found: {text}")
                    page.screenshot(path=os.path.join(out, "selfcheck-not-found.png"), full_page=True)
                    for u in requests:
                        check(urllib.parse.urlsplit(u).netloc == origin, f"the page requested another host: {u}")
                    scan_texts = requests + bodies
                    for s in secrets:
                        for t in scan_texts:
                            check(s not in t and urllib.parse.quote(s) not in t,
                                  "a request carried a typed value (redacted)")
                    check(any("/api/v1/check/" in u for u in requests), "the page queried the server")
                    check(not problems, f"console or page errors: {problems}")
                finally:
                    ctx.close()

            # The command-line client against the same server.
            q = json.loads(run([binary, "selfcheck", "query", "--server", base, "--claim", CLAIM,
                                "--email", typed_email, "--json"]).stdout)
            check(q["found"] is True and q["lines"] == 1 and q["matched_company_records"] is True,
                  f"the CLI client: {q}")
            q = json.loads(run([binary, "selfcheck", "query", "--server", base, "--claim", CLAIM,
                                "--email", stranger, "--json"]).stdout)
            check(q == {"found": False, "lines": 0, "fields": [], "matched_company_records": None},
                  f"the CLI client on a stranger: {q}")
            step("the CLI client agrees")

            run([binary, "selfcheck", "withdraw", "--data", data, "--claim", CLAIM,
                 "--reason", "replaced by a newer sample", "--log", translog, "--log-sign-key", log_key])
            # The log's own page states both, newest first, without script.
            pub = os.path.join(work, "published-log")
            run([binary, "log", "publish", "--log", translog, "--out", pub, "--base-url", log_url])
            with open(os.path.join(pub, "index.html"), encoding="utf-8") as f:
                log_page = f.read()
            check(log_page.count(CLAIM) >= 2 and log_page.index("entry-1") < log_page.index("entry-0"),
                  "the log's page states the claim and its withdrawal, newest first")
            with sync_playwright() as pw:
                b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                try:
                    page = b.new_page()
                    page.wait_for_timeout(1100)
                    resp = page.goto(f"{base}/check/{CLAIM}")
                    check(resp.status == 410 and "replaced by a newer sample" in page.content(),
                          f"a withdrawn claim's page answered {resp.status}")
                finally:
                    b.close()
            step("withdrawn: 410 with the reason")
        except Exception:
            print("selfcheck page test: the server's last log lines:\n" + server.tail(), file=sys.stderr)
            raise
        finally:
            server.stop()
        scan([os.path.join(work, "server.log")], secrets, "the server's log")
        scan(list(files_under(data)), secrets, "the data folder's file")
        step("no checked value in the server's log, database or data folder")


if __name__ == "__main__":
    try:
        main()
    except Failure as e:
        print(f"selfcheck page test FAILED: {e}", file=sys.stderr)
        sys.exit(1)
    except Exception:
        traceback.print_exc()
        sys.exit(1)
