"""The Spark path against a real Spark standalone cluster on loopback (one master, two
workers, from the pyspark package), on a company of --records records (two snapshots of
its accounts system, the second 1% changed) and a noisy leak sample
(`engines/spark/local_run.py` does the work):

- build: the first snapshot's export prepared on the executors and merged must give the
  segment `breachcheck index build` made, byte for byte;
- join: `breachcheck verify --candidates` over the cluster's join must write the report and
  per-line matches a verify against the index writes.

    python3 tests/spark/test_spark_path.py --bin target/debug/breachcheck --out target/spark

Prints the stages' times (and writes them to OUT/figures.json); exits non-zero on any
difference.
"""

import argparse
import json
import pathlib
import shutil
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "engines" / "spark"))
from local_run import run, spark_path  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--sample", type=int, default=2000)
    # The wide CRM export: its names and places repeat, so some of a sample's name keys
    # name more records than a verify reads, and the join must skip them exactly.
    ap.add_argument("--shape", default="wide", choices=["accounts", "wide"])
    a = ap.parse_args()
    bc = pathlib.Path(a.bin).resolve()
    out = pathlib.Path(a.out).resolve()
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    work = out / "company"
    # The company: its accounts export indexed, a second snapshot 1% changed, and a
    # sample (half copied with a seller's noise, half made up).
    generate_s = run(
        [bc, "bench", "--shape", a.shape, "--records", a.records, "--sample", a.sample,
         "--noise", "--delta", "--json", "--dir", work], log=out / "bench.log")
    bench = json.loads((out / "bench.log").read_text())
    figures = {"records": a.records, "sample_lines": a.sample,
               "generate_and_index_s": generate_s}
    figures.update(spark_path(bc, work, work / f"sample-{a.sample}.csv", out / "spark",
                              bench["build"]["seconds"]))
    (out / "figures.json").write_text(json.dumps(figures, indent=2))
    if a.shape == "wide" and not figures["joined"]["skipped"]:
        raise SystemExit("no weak key was skipped: the data did not exercise the join's skip")
    print(json.dumps(figures, indent=2))
    print("ok: the Spark build's segment equals the local build's, and the Spark join's "
          "report and matches equal the local verify's")


if __name__ == "__main__":
    main()
