"""The Spark path on a local standalone cluster (one master, two one-core workers, on
loopback), next to the same work done on one machine, for the CI test and `breachcheck
bench --spark`:

- build: `breachcheck_spark.py build` prepares the company's first snapshot export
  (`accounts.csv`) on the executors and `breachcheck index build --prepared` merges it; the
  segment must be byte for byte the one the local build made;
- join: the sample's tags (`breachcheck tags --manifest`) are joined with the index export
  on the cluster and `breachcheck verify --candidates` scores the candidates; the report and
  per-line matches must equal a verify against the index.

    python3 engines/spark/local_run.py --bin target/release/breachcheck --company DIR \\
        --sample DIR/sample-1000.csv --out /tmp/spark --local-build-seconds 48.2

DIR holds what `breachcheck bench --dir DIR` leaves: `bench.key`, `index/` (its first
segment built from `accounts.csv` as system `accounts` at 2026-01-31) and `accounts.csv`.
Prints the stages' times as JSON; exits non-zero on any difference.
"""

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from local_cluster import LocalCluster, spark_home  # noqa: E402


def run(args, log=None, **kw):
    """Runs a command; its wall time. On failure, its output's tail and an exit."""
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


def spark_path(bc, company, sample, out, local_build_s=None):
    """Runs both halves of the Spark path beside their local counterparts; the figures."""
    bc, company, sample, out = (pathlib.Path(p).resolve() for p in (bc, company, sample, out))
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    key, index = company / "bench.key", company / "index"
    figures = {}
    figures["local_verify_s"] = run(
        [bc, "verify", "--key", key, "--index", index, "--json", out / "local.json",
         "--matches-out", out / "local.csv", sample])
    export = out / "export"
    figures["export_s"] = run([bc, "index", "export", "--index", index, "--out", export])
    tags = out / "sample-tags.parquet"
    figures["tags_s"] = run(
        [bc, "tags", "--key", key, "--manifest", export, "--out", tags, sample])

    candidates = out / "candidates"
    job = HERE / "breachcheck_spark.py"
    submit = [os.path.join(spark_home(), "bin", "spark-submit"), "--conf",
              "spark.ui.enabled=false", "--executor-memory", "1g"]
    env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1")
    t = time.time()
    with LocalCluster(out / "cluster") as master:
        figures["cluster_start_s"] = time.time() - t
        prepared = out / "prepared"
        figures["spark_prepare_s"] = run(
            [*submit, "--master", master, job, "build", "--input", company / "accounts.csv",
             "--key", key, "--binary", bc, "--out", prepared, "--insecure-loopback-cluster"],
            log=out / "spark-build.log", env=env)
        merged = out / "merged"
        figures["merge_s"] = run(
            [bc, "index", "build", "--key", key, "--index", merged, "--system", "accounts",
             "--snapshot", "2026-01-31", "--prepared", prepared])
        figures["spark_build_s"] = figures["spark_prepare_s"] + figures["merge_s"]
        if local_build_s:
            figures["local_build_s"] = local_build_s
            figures["spark_build_over_local"] = figures["spark_build_s"] / local_build_s
        first = sorted((index / "segments").glob("*.bcs"))[0]
        built = sorted((merged / "segments").glob("*.bcs"))
        if len(built) != 1 or built[0].read_bytes() != first.read_bytes():
            raise SystemExit("the Spark build's segment differs from the local build's")
        shutil.rmtree(prepared)
        shutil.rmtree(merged)
        figures["spark_join_s"] = run(
            [*submit, "--master", master, "--conf", "spark.sql.shuffle.partitions=4",
             job, "join", "--export", export, "--sample-tags", tags, "--out", candidates],
            log=out / "spark-join.log", env=env)

    joined = json.loads((candidates / "counts.json").read_text())
    figures["joined"] = joined
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
        raise SystemExit("nothing matched: the data did not exercise the join")
    figures["verdict"] = local["verdict"]["class"]
    figures["same_segment"] = True
    figures["same_report"] = True
    shutil.rmtree(export)
    return figures


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--company", required=True)
    ap.add_argument("--sample", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--local-build-seconds", type=float)
    a = ap.parse_args()
    figures = spark_path(a.bin, a.company, a.sample, a.out, a.local_build_seconds)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
