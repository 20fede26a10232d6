"""The Spark path against a real Spark standalone cluster on loopback (one master, two
workers, from the pyspark package), on a company of --records records (two snapshots of
its accounts system, the second 1% changed):

- build: `engines/spark/breachcheck_spark.py build` prepares the first snapshot's export on
  the executors and `breachcheck index build --prepared` merges it; the segment must be
  byte for byte the one `breachcheck index build` made of the whole file;
- join: a noisy leak sample's tags are joined with the index export on the cluster and
  `breachcheck verify --candidates` scores the candidates; its report and per-line matches
  must equal those of a verify against the index itself.

    python3 tests/spark/test_spark_path.py --bin target/debug/breachcheck --out target/spark

Prints the stages' times (and writes them to OUT/figures.json); exits non-zero on any
difference.
"""

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "engines" / "spark"))
from local_cluster import LocalCluster, spark_home  # noqa: E402


def run(args, log=None, **kw):
    t = time.time()
    out = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kw)
    if log is not None:
        pathlib.Path(log).write_text(out.stdout)
        pathlib.Path(str(log) + ".err").write_text(out.stderr)
    if out.returncode != 0:
        sys.stderr.write(out.stdout[-4000:] + out.stderr[-8000:])
        raise SystemExit(f"failed: {' '.join(str(a) for a in args[:3])} …")
    return time.time() - t


def timeless(path):
    report = json.loads(pathlib.Path(path).read_text())
    report.pop("generated_at", None)
    return report


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--sample", type=int, default=2000)
    a = ap.parse_args()
    bc = pathlib.Path(a.bin).resolve()
    out = pathlib.Path(a.out).resolve()
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    work = out / "company"
    figures = {"records": a.records, "sample_lines": a.sample}

    # The company: its accounts export indexed, a second snapshot 1% changed, and a
    # sample (half copied with a seller's noise, half made up).
    figures["generate_and_index_s"] = run(
        [bc, "bench", "--records", a.records, "--sample", a.sample, "--noise", "--delta",
         "--json", "--dir", work], log=out / "bench.log")
    bench = json.loads((out / "bench.log").read_text())
    figures["local_build_s"] = bench["build"]["seconds"]
    key, index, sample = work / "bench.key", work / "index", work / f"sample-{a.sample}.csv"

    figures["local_verify_s"] = run(
        [bc, "verify", "--key", key, "--index", index, "--json", out / "local.json",
         "--matches-out", out / "local.csv", sample])
    export = out / "export"
    figures["export_s"] = run([bc, "index", "export", "--index", index, "--out", export])
    tags = out / "sample-tags.parquet"
    figures["tags_s"] = run(
        [bc, "tags", "--key", key, "--manifest", export, "--out", tags, sample])

    candidates = out / "candidates"
    submit = [os.path.join(spark_home(), "bin", "spark-submit"), "--conf",
              "spark.ui.enabled=false", "--executor-memory", "1g"]
    env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1")
    t = time.time()
    with LocalCluster(out / "cluster") as master:
        figures["cluster_start_s"] = time.time() - t
        prepared = out / "prepared"
        figures["spark_prepare_s"] = run(
            [*submit, "--master", master, ROOT / "engines" / "spark" / "breachcheck_spark.py",
             "build", "--input", work / "accounts.csv", "--key", key, "--binary", bc,
             "--out", prepared], log=out / "spark-build.log", env=env)
        merged = out / "merged"
        figures["merge_s"] = run(
            [bc, "index", "build", "--key", key, "--index", merged, "--system", "accounts",
             "--snapshot", "2026-01-31", "--prepared", prepared])
        figures["spark_build_s"] = figures["spark_prepare_s"] + figures["merge_s"]
        figures["spark_build_over_local"] = figures["spark_build_s"] / figures["local_build_s"]
        first = sorted((index / "segments").glob("*.bcs"))[0]
        built = sorted((merged / "segments").glob("*.bcs"))
        if len(built) != 1 or built[0].read_bytes() != first.read_bytes():
            raise SystemExit("the Spark build's segment differs from the local build's")
        shutil.rmtree(prepared)
        figures["spark_join_s"] = run(
            [*submit, "--master", master, "--conf", "spark.sql.shuffle.partitions=4",
             ROOT / "engines" / "spark" / "breachcheck_spark.py", "join",
             "--export", export, "--sample-tags", tags, "--out", candidates],
            log=out / "spark-join.log", env=env)

    figures["candidates_verify_s"] = run(
        [bc, "verify", "--key", key, "--candidates", candidates, "--json",
         out / "remote.json", "--matches-out", out / "remote.csv", sample])

    local, remote = timeless(out / "local.json"), timeless(out / "remote.json")
    if local != remote:
        diff = [k for k in local if local.get(k) != remote.get(k)]
        raise SystemExit(f"the Spark path's report differs from the local one in {diff}")
    if (out / "local.csv").read_bytes() != (out / "remote.csv").read_bytes():
        raise SystemExit("the Spark path's per-line matches differ from the local ones")
    lines = local["matches"]["by_evidence"]
    if sum(v for k, v in lines.items() if k != "none") == 0:
        raise SystemExit("nothing matched: the test data did not exercise the join")
    figures["verdict"] = local["verdict"]["class"]
    (out / "figures.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))
    print("ok: the Spark build's segment equals the local build's, and the Spark join's "
          "report and matches equal the local verify's")


if __name__ == "__main__":
    main()
