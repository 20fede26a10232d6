#!/usr/bin/env python3
"""The self-check's browser client (crates/breachcheck-server/assets/selfcheck.js, built
from web/selfcheck) in a real browser (Chromium driven by Playwright), against Rust.

(a) Canonicalization agreement: generates --count raw e-mail addresses and phone numbers
    of 40 regions, typed as people type them (national with trunk prefix, +/00
    international, E.164 without "+", spaces, dashes, dots, parentheses, wrong case, IDN
    domains, gmail dots and +tags, mailto:, angle brackets, Unicode spaces, and garbage
    both sides must refuse), canonicalizes them in Rust (the `canonical` example of
    breachcheck-normalize) and in the page (BreachcheckSelfcheck.canonicalEmail /
    canonicalPhone), and requires byte equality of every value.
(b) Crypto interop through the page's form: a tiny local server (CSP default-src 'self')
    serves the bundle, a form like the server's, and the check routes answered by the Rust
    oracle (breachcheck-selfcheck's `oracle` example); values in the claim are found with
    their disclosure, values outside are "not found", and a flipped proof byte, a dropped
    entry, a wrong public key give an error; a 429 shows its Retry-After; the value never
    reaches the server.

    cargo build -p breachcheck-normalize --example canonical
    cargo build -p breachcheck-selfcheck --example oracle
    python3 tests/browser/test_selfcheck_client.py --target target [--seed 17] [--count 10000]

Exit code 0 when everything holds, 1 otherwise (disagreements are printed). The seed comes
from --seed, else BREACHCHECK_SEED, else 17.
"""
import argparse
import base64
import http.server
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import traceback

from playwright.sync_api import sync_playwright  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# The browser and its flags, and the failure helpers, shared with the web app test.
from test_webapp import CHROMIUM, CHROMIUM_ARGS, Failure, TIMEOUT_MS, check  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUNDLE = os.path.join(ROOT, "crates", "breachcheck-server", "assets", "selfcheck.js")


def step(msg):
    print(f"selfcheck browser test: {msg}", flush=True)


# region, country code, trunk prefix, national significant number prefixes, NSN length
REGIONS = [
    ("DE", "49", "0", ["151", "160", "170", "30", "89", "40"], 11),
    ("FR", "33", "0", ["6", "7", "1", "4"], 9),
    ("GB", "44", "0", ["7", "20", "161"], 10),
    ("US", "1", "1", ["201", "415", "212", "917"], 10),
    ("CA", "1", "1", ["416", "604", "514"], 10),
    ("IT", "39", "", ["3", "06", "02"], 10),
    ("ES", "34", "", ["6", "91", "93"], 9),
    ("NL", "31", "0", ["6", "20", "10"], 9),
    ("BE", "32", "0", ["4", "2"], 9),
    ("CH", "41", "0", ["7", "44", "22"], 9),
    ("AT", "43", "0", ["664", "1"], 10),
    ("PL", "48", "", ["5", "6", "22"], 9),
    ("SE", "46", "0", ["7", "8"], 9),
    ("NO", "47", "", ["4", "9", "2"], 8),
    ("DK", "45", "", ["2", "3"], 8),
    ("FI", "358", "0", ["4", "50", "9"], 9),
    ("IE", "353", "0", ["8", "1"], 9),
    ("PT", "351", "", ["9", "2"], 9),
    ("GR", "30", "", ["69", "21"], 10),
    ("CZ", "420", "", ["6", "7", "2"], 9),
    ("HU", "36", "06", ["20", "30", "1"], 9),
    ("RO", "40", "0", ["7", "21"], 9),
    ("RU", "7", "8", ["9", "495"], 10),
    ("UA", "380", "0", ["6", "9", "44"], 9),
    ("TR", "90", "0", ["5", "212"], 10),
    ("IN", "91", "0", ["9", "8", "7", "11"], 10),
    ("CN", "86", "0", ["13", "15", "18", "10"], 11),
    ("JP", "81", "0", ["90", "80", "3"], 10),
    ("KR", "82", "0", ["10", "2"], 10),
    ("AU", "61", "0", ["4", "2", "3"], 9),
    ("NZ", "64", "0", ["21", "9"], 9),
    ("BR", "55", "0", ["119", "219", "11"], 11),
    ("MX", "52", "", ["55", "33", "1"], 10),
    ("AR", "54", "0", ["911", "11"], 10),
    ("ZA", "27", "0", ["8", "7", "21"], 9),
    ("NG", "234", "0", ["80", "70", "1"], 10),
    ("EG", "20", "0", ["10", "11", "2"], 10),
    ("IL", "972", "0", ["5", "3"], 9),
    ("SG", "65", "", ["8", "9", "6"], 8),
    ("VN", "84", "0", ["9", "3", "24"], 9),
]
assert len(REGIONS) == 40

FIRST = ["anna", "jürgen", "Marie", "JOHN", "li", "olga", "søren", "zoë", "ahmed", "İsmail",
         "ΣΟΦΙΑ", "ßtefan", "o'brien", "chloé", "renée", "björn", "mateus", "kim"]
LAST = ["smith", "Müller", "dupont", "ivanov", "garcia", "o.neil", "nguyen", "KOWALSKI",
        "weiß", "ΟΔΥΣΣΕΑΣ", "li", "tanaka"]
DOMAINS = ["gmail.com", "GMail.com", "googlemail.com", "outlook.com", "hotmail.de",
           "Live.co.uk", "yandex.com", "ya.ru", "yandex.ru", "icloud.com", "web.de",
           "example.org", "Example.COM", "shop.example.co.uk", "müller.de", "MÜLLER.DE",
           "bücher.example", "пример.рф", "例え.jp", "xn--mller-kva.de", "mañana.es",
           "straße.de", "faß.de", "ουτοπία.δπθ", "sub.domain.io", "a-b.c-d.info",
           "gmail.com.", "example.org..", "ＥＸＡＭＰＬＥ.com", "exa\u00admple.com"]
GARBAGE_EMAILS = ["", "plain", "a@b", "@x.com", "a b@x.com", "a@-x.com", "a@x.c0m",
                  "a@x.c", "a..b@x.com", ".a@x.com", "a.@x.com", "a@@x.com", "a@x..com",
                  "a@x_y.com", "<>", "mailto:", "a(b)@x.com", "\"quoted local\"@x.com",
                  "\"q\"@x.com", "a@[127.0.0.1]", "a@x.com\u0000", "a\u0085@x.com",
                  "+@gmail.com", ".@gmail.com", "+tag@outlook.com", "x" * 70 + "@x.com",
                  "a@" + "b" * 64 + ".com", "a@" + ".".join(["abcdefghij"] * 26) + ".com",
                  "a@xn--zz.com", "a@xn--.com", "a@\u200dx.com", "a@x\u200d.com",
                  "ana@exa mple.com", "tel:+4915123456789", "☃@☃.net", "a@b.ü"]
SPACES = ["", " ", "  ", "\t", "\u00a0", "\u3000", "\ufeff", "\u0085", "\u2003", "\n"]


def gen_email(rng):
    if rng.random() < 0.08:
        return rng.choice(GARBAGE_EMAILS)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    local = rng.choice([first, f"{first}.{last}", f"{first}{last}", f"{first}_{last}",
                        f"{first[0]}.{last}", f"{first}-{last}", f"{first}.{last}{rng.randint(1, 99)}"])
    if rng.random() < 0.25:
        local += "+" + rng.choice(["news", "shop", "x", "", "a.b"])
    if rng.random() < 0.2:
        local = "".join(c.upper() if rng.random() < 0.5 else c for c in local)
    addr = f"{local}@{rng.choice(DOMAINS)}"
    r = rng.random()
    if r < 0.1:
        addr = rng.choice(["mailto:", "MAILTO:", "Mailto:"]) + addr
    elif r < 0.2:
        addr = f"<{addr}>"
    elif r < 0.28:
        addr = f"{first.title()} {last.title()} <{addr}>"
    elif r < 0.3:
        addr = f"<<{addr}>>"
    return rng.choice(SPACES) + addr + rng.choice(SPACES)


def group(rng, digits):
    """The digits in groups, joined by one separator kind."""
    sep = rng.choice([" ", " ", "-", ".", "", "/", " - "])
    out, i = [], 0
    while i < len(digits):
        n = rng.choice([2, 3, 4])
        out.append(digits[i:i + n])
        i += n
    if rng.random() < 0.3 and len(out) > 1:
        out[0] = f"({out[0]})"
    return sep.join(out)


def gen_phone(rng):
    region, cc, trunk, prefixes, length = rng.choice(REGIONS)
    prefix = rng.choice(prefixes)
    nsn = prefix + "".join(rng.choice("0123456789") for _ in range(max(0, length - len(prefix) + rng.choice([0, 0, 0, 0, -1, 1]))))
    given = region
    r = rng.random()
    if r < 0.3:
        raw = (trunk or "") + group(rng, nsn)
    elif r < 0.5:
        raw = "+" + cc + rng.choice([" ", "", "-", " (0) "]) + group(rng, nsn)
        given = rng.choice([region, None, "US", "GB"])
    elif r < 0.62:
        raw = "00" + cc + rng.choice([" ", ""]) + group(rng, nsn)
        given = rng.choice([region, None, None])
    elif r < 0.72:
        raw = cc + nsn  # E.164 written without its "+"
        given = rng.choice([region, region, None, "DE"])
    elif r < 0.8:
        raw = group(rng, nsn)
    elif r < 0.85:
        raw = "+" + cc + nsn
        given = None
    elif r < 0.88:
        raw = "＋" + cc + " " + nsn.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        given = None
    elif r < 0.91:
        raw = "tel:+" + cc + nsn
    else:
        raw = rng.choice(["", "hello", "12", "123", "+", "00", "+49", "0000", "1-800-FLOWERS",
                          "+1 (800) FLOWERS", "+49 151 2345 6789 ext. 12", "12.03.1985",
                          "+" + "9" * 25, "9" * 70, "+999 123456789", "+49 0000 1", "call me",
                          "+33 1 23 45 67 89 / +33 6 12 34 56 78", "#31#0151 23456789",
                          "+44 (0)20 7946 0958", "0151 23456789;ext=1", "☎ +49 30 123456"])
        given = rng.choice([region, None])
    return {"kind": "phone", "region": given, "raw": rng.choice(SPACES[:5]) + raw + rng.choice(SPACES[:5])}


def full_width(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


def other_digits(s, zero):
    return "".join(chr(zero + int(c)) if c in "0123456789" else c for c in s)


def gen_cases(seed, count):
    rng = random.Random(seed)
    cases = []
    for i in range(count):
        if i % 2 == 0:
            case = {"kind": "email", "region": None, "raw": gen_email(rng)}
        else:
            case = gen_phone(rng)
        # As a Japanese IME, an Arabic or a Hindi keyboard types them: both sides read
        # full-width forms and other scripts' digits as ASCII where the text as written
        # reads as nothing (breachcheck-normalize's `ascii_forms`, the page's ascii.js).
        r = rng.random()
        if r < 0.04:
            case["raw"] = full_width(case["raw"])
        elif r < 0.06:
            case["raw"] = other_digits(case["raw"], rng.choice([0x0660, 0x06F0, 0x0966]))
        elif r < 0.07:
            case["raw"] = case["raw"].replace("-", "\u30fc")
        cases.append(case)
    return cases


def rust_canonical(binary, cases):
    data = "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases)
    out = subprocess.run([binary], input=data.encode(), capture_output=True, check=True, timeout=600)
    answers = [json.loads(l)["canonical"] for l in out.stdout.decode().splitlines()]
    check(len(answers) == len(cases), f"the canonical example answered {len(answers)} of {len(cases)}")
    return answers


CSP = "default-src 'self'"
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>self-check</title>
<script src="/assets/selfcheck.js" defer></script></head><body>
<form id="selfcheck" method="post" action="/must-not-be-submitted"
      data-info-url="/api/v1/check/oracle-test/info" data-check-url="/api/v1/check/oracle-test">
<select name="kind"><option value="email">e-mail</option><option value="phone">phone</option></select>
<select name="country"><option value="">(international)</option><option value="DE">Germany</option><option value="FR">France</option></select>
<input name="value" autocomplete="off"><button type="submit">Check</button></form>
<output id="selfcheck-result"></output></body></html>"""


class Oracle:
    def __init__(self, binary, work, values):
        path = os.path.join(work, "values.json")
        with open(path, "w") as f:
            json.dump(values, f)
        self.info_path = os.path.join(work, "info.json")
        self.proc = subprocess.Popen([binary, path, self.info_path, "3"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        check(self.proc.stdout.readline().strip() == "ready", "the oracle did not start")
        with open(self.info_path) as f:
            self.info = json.load(f)
        self.lock = threading.Lock()

    def ask(self, q):
        with self.lock:
            self.proc.stdin.write(json.dumps(q) + "\n")
            self.proc.stdin.flush()
            return json.loads(self.proc.stdout.readline())

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def serve(oracle, state):
    bundle = open(BUNDLE, "rb").read()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def send(self, code, body, ctype, extra=()):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Security-Policy", CSP)
            self.send_header("Content-Length", str(len(body)))
            for k, v in extra:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            state["requests"].append(("GET", self.path, b""))
            if self.path == "/":
                self.send(200, PAGE.encode(), "text/html; charset=utf-8")
            elif self.path == "/assets/selfcheck.js":
                self.send(200, bundle, "text/javascript")
            elif self.path == "/api/v1/check/oracle-test/info":
                info = dict(oracle.info, extra_field="ignored")
                if state["mode"] == "wrong-key":
                    # another valid ristretto255 element: the generator
                    info["public_key"] = "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76"
                self.send(200, json.dumps(info).encode(), "application/json")
            else:
                self.send(404, b'{"error":"not_found","message":"no such page"}', "application/json")

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state["requests"].append(("POST", self.path, body))
            if self.path != "/api/v1/check/oracle-test":
                self.send(404, b'{"error":"not_found","message":"no such route"}', "application/json")
                return
            if state["mode"] == "429":
                self.send(429, b'{"error":"rate_limited","message":"too many checks"}', "application/json", [("Retry-After", "42")])
                return
            q = json.loads(body)
            check(set(q) == {"bucket", "blinded"}, f"the query carries {sorted(q)}")
            a = oracle.ask({"bucket": q["bucket"], "blinded": q["blinded"]})
            if "error" in a:
                self.send(400, json.dumps({"error": "bad_query", "message": a["error"]}).encode(), "application/json")
                return
            if state["mode"] == "drop-entry":
                a["json"]["entries"] = a["json"]["entries"][1:]
            if self.headers.get("Accept") == "application/octet-stream" and state["mode"] != "drop-entry":
                b = bytearray(base64.b64decode(a["binary"]))
                if state["mode"] == "flip-proof":
                    b[40] ^= 1
                self.send(200, bytes(b), "application/octet-stream")
            else:
                self.send(200, json.dumps(a["json"]).encode(), "application/json")

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def run_form(page, kind, value, country=""):
    page.select_option("select[name=kind]", kind)
    if kind == "phone":
        page.select_option("select[name=country]", country)
    page.fill("input[name=value]", value)
    page.evaluate("document.getElementById('selfcheck-result').textContent = ''")
    page.click("button[type=submit]")
    page.wait_for_function("() => { const o = document.getElementById('selfcheck-result'); return o.textContent && o.dataset.state !== 'busy'; }", timeout=TIMEOUT_MS)
    return page.text_content("#selfcheck-result")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", default=os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")),
                    help="cargo's target folder holding debug/examples/{canonical,oracle}")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("BREACHCHECK_SEED", "17")))
    ap.add_argument("--count", type=int, default=10_000)
    args = ap.parse_args()
    canonical_bin = os.path.join(args.target, "debug", "examples", "canonical")
    oracle_bin = os.path.join(args.target, "debug", "examples", "oracle")
    for b in (canonical_bin, oracle_bin, BUNDLE):
        check(os.path.exists(b), f"{b} is missing (see the usage at the top of this file)")

    step(f"seed {args.seed}, {args.count} values")
    cases = gen_cases(args.seed, args.count)
    rust = rust_canonical(canonical_bin, cases)

    values = [
        {"kind": "email", "value": "person.3@example.org", "disclosure": {"lines": 4, "fields": ["name", "email", "date_of_birth"], "matched_company_records": True}},
        {"kind": "phone", "value": "+4915123456789", "disclosure": {"lines": 2, "fields": ["phone", "address"], "matched_company_records": False}},
        {"kind": "email", "value": "jdoe@gmail.com", "disclosure": {"lines": 1, "fields": ["email", "password_hash"], "matched_company_records": None}},
    ] + [{"kind": "email", "value": f"other.{i}@example.net", "disclosure": {"lines": 1, "fields": ["email"], "matched_company_records": None}} for i in range(9)]

    with tempfile.TemporaryDirectory(prefix="selfcheck-browser-") as work:
        oracle = Oracle(oracle_bin, work, values)
        state = {"mode": "honest", "requests": []}
        srv = serve(oracle, state)
        base = f"http://127.0.0.1:{srv.server_address[1]}"
        problems = []
        try:
            with sync_playwright() as pw:
                ctx = pw.chromium.launch_persistent_context(
                    os.path.join(work, "chromium-profile"),
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                try:
                    page = ctx.pages[0] if ctx.pages else ctx.new_page()
                    page.set_default_timeout(TIMEOUT_MS)
                    console = []
                    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
                    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
                    page.goto(base + "/")
                    page.wait_for_function("() => window.BreachcheckSelfcheck && document.getElementById('selfcheck').dataset.selfcheckAttached")

                    step("(a) canonicalization agreement")
                    js = page.evaluate("""cases => cases.map(c => c.kind === 'email'
                        ? BreachcheckSelfcheck.canonicalEmail(c.raw)
                        : BreachcheckSelfcheck.canonicalPhone(c.raw, c.region))""", cases)
                    bad = [(c, r, j) for c, r, j in zip(cases, rust, js) if r != j]
                    for c, r, j in bad[:60]:
                        print(f"  DISAGREE {c['kind']} region={c['region']} raw={c['raw']!r}: rust={r!r} js={j!r}")
                    emails = sum(1 for c in cases if c["kind"] == "email")
                    kept = sum(1 for r in rust if r is not None)
                    step(f"{len(cases) - len(bad)}/{len(cases)} agree ({emails} e-mails, {len(cases) - emails} phones; "
                         f"{kept} canonical, {len(cases) - kept} refused by Rust); {len(bad)} disagree")
                    if bad:
                        problems.append(f"{len(bad)} canonical forms disagree")

                    step("(b) crypto interop through the form")
                    expect = [
                        ("email", " Person.3@EXAMPLE.org ", "", "Found in 4 lines; they carry: e-mail address, name, date of birth; matched our records: yes."),
                        ("phone", "0151 234 567 89", "DE", "Found in 2 lines; they carry: e-mail address"[:0] + "Found in 2 lines; they carry: phone number, address; matched our records: no."),
                        ("email", "J.Doe+shop@googlemail.com", "", "Found in 1 line; they carry: e-mail address, password hash; matched our records: unknown."),
                        ("email", "nobody@example.org", "", "Not found in this sample."),
                        ("phone", "+33 6 12 34 56 78", "", "Not found in this sample."),
                    ]
                    for kind, value, country, want in expect:
                        got = run_form(page, kind, value, country)
                        if got != want:
                            problems.append(f"{kind} {value!r}: shown {got!r}, expected {want!r}")
                    for mode in ["flip-proof", "drop-entry", "wrong-key"]:
                        state["mode"] = mode
                        got = run_form(page, "email", "person.3@example.org")
                        state["mode"] = "honest"
                        if "failed a check" not in got:
                            problems.append(f"{mode}: shown {got!r}, expected an error")
                        else:
                            step(f"{mode}: {got}")
                    state["mode"] = "429"
                    got = run_form(page, "email", "person.3@example.org")
                    state["mode"] = "honest"
                    if "42 seconds" not in got:
                        problems.append(f"429: shown {got!r}")
                    got = run_form(page, "email", "not an address")
                    if "not an e-mail address" not in got:
                        problems.append(f"garbage: shown {got!r}")

                    secrets = ["person.3", "Person.3", "4915123456789", "151 234", "jdoe", "J.Doe", "nobody", "612345678"]
                    for method, path, body in state["requests"]:
                        if path.startswith("/must-not"):
                            problems.append("the form was submitted")
                        for s in secrets:
                            if s.encode() in body or s in path:
                                problems.append(f"{method} {path} carried a typed value")
                    # The 429 is asked for; the 404 is Chromium's favicon request.
                    errors = [c for c in console if c.startswith(("error", "pageerror"))
                              and "status of 429" not in c and "status of 404" not in c]
                    if errors:
                        problems.append(f"console errors: {errors[:5]}")
                finally:
                    ctx.close()
        finally:
            srv.shutdown()
            oracle.close()
    if problems:
        for p in problems:
            print(f"selfcheck browser test: FAILED: {p}", file=sys.stderr)
        return 1
    step("ok")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as e:
        print(f"selfcheck browser test: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
    except Exception:
        traceback.print_exc()
        sys.exit(1)
