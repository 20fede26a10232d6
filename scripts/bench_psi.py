#!/usr/bin/env python3
"""OpenMined's PSI in cardinality mode on the same e-mails, for `breachcheck bench --psi`.

Usage: bench_psi.py EXPORT.csv SAMPLE.csv

Installs the openmined-psi package if missing, reads the `email` column of both files
(trimmed, lower-cased; duplicates dropped: both sides hold sets), and times OpenMined's four
steps in one process: the server's setup message (its set, encrypted, in a Golomb-coded set
at a false-positive rate of 1e-9), the client's request, the server's response, and the
client's intersection size. Prints one JSON object: per-step and total seconds, the time
each side took to read its file, sizes, the intersection and the bytes of each message.
"""
import csv
import json
import subprocess
import sys
import time


def ensure_psi():
    try:
        import private_set_intersection.python  # noqa: F401
    except ImportError:
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "openmined-psi"]
        if subprocess.run(cmd).returncode != 0:
            subprocess.run(cmd + ["--break-system-packages"], check=True)
    import private_set_intersection.python as psi

    return psi


def emails(path):
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.DictReader(f)
        return sorted({row["email"].strip().lower() for row in r if row.get("email", "").strip()})


def main():
    export, sample = sys.argv[1], sys.argv[2]
    psi = ensure_psi()
    r0 = time.perf_counter()
    server_items = emails(export)
    r1 = time.perf_counter()
    client_items = emails(sample)
    r2 = time.perf_counter()
    fpr = 1e-9
    t0 = time.perf_counter()
    client = psi.client.CreateWithNewKey(False)
    server = psi.server.CreateWithNewKey(False)
    setup = server.CreateSetupMessage(fpr, len(client_items), server_items, psi.DataStructure.GCS)
    t1 = time.perf_counter()
    request = client.CreateRequest(client_items)
    t2 = time.perf_counter()
    response = server.ProcessRequest(request)
    t3 = time.perf_counter()
    size = client.GetIntersectionSize(setup, response)
    t4 = time.perf_counter()
    print(json.dumps({
        "tool": "openmined-psi " + getattr(psi, "__version__", "?"),
        "server_items": len(server_items),
        "client_items": len(client_items),
        "intersection": size,
        "setup_seconds": t1 - t0,
        "request_seconds": t2 - t1,
        "process_seconds": t3 - t2,
        "final_seconds": t4 - t3,
        "total_seconds": t4 - t0,
        "online_seconds": t4 - t1,
        # Reading each side's file into a set of canonical e-mails (breachcheck's audit
        # time includes reading and canonicalizing the sample; its set is made at index
        # time from the export).
        "read_seconds": {"server": r1 - r0, "client": r2 - r1},
        "bytes": {
            "setup": len(setup.SerializeToString()),
            "request": len(request.SerializeToString()),
            "response": len(response.SerializeToString()),
        },
    }))


if __name__ == "__main__":
    main()
