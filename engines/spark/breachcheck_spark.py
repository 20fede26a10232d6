"""breachcheck on Spark: the build of an index from company exports too big for one
machine, and the join of a leak sample's tags with an index export.

`build` runs the breachcheck binary on the executors (`index prepare`), one partition of a
system snapshot's export each; `breachcheck index build --prepared` merges what they wrote
into the snapshot's segment, byte for byte the one a build of the whole file makes, and
`breachcheck index export` writes the tables the join reads.

The index export (`breachcheck index export`) holds, beside its per-snapshot tag
partitions, the two tables a verify reads: `postings` (tag, record, stored, bits, pos)
and `records` (record, system, kind, sampled, presence, row), and the manifest. A sample's
tags (`breachcheck tags --manifest EXPORT`) are joined with the postings on the 40-bit
tag; the records those postings name, and the records every verify reads to measure how
often the company's own records repeat a value (`sampled`), are kept. The result is a
candidates directory that `breachcheck verify --candidates DIR` scores on one machine,
writing the report a verify against the whole index writes.

Only keyed tags and check values cross the cluster: no value, and not the key (the join
needs none).

    spark-submit engines/spark/breachcheck_spark.py build \
        --input hdfs:///exports/accounts-2026-03-31.csv --key company.key \
        --binary target/release/breachcheck --out hdfs:///breachcheck/prepared/accounts-2026-03-31
    spark-submit engines/spark/breachcheck_spark.py join \
        --export hdfs:///breachcheck/export --sample-tags hdfs:///cases/c1/sample-tags.parquet \
        --out hdfs:///cases/c1/candidates

The paths are any URI Spark reads and writes (file:, hdfs:, s3a:, abfss:, gs:, dbfs:).
`--out` must not exist. Copy the candidates directory to the machine that runs `verify`
(it is small: the postings and records of the sample's tags).
"""

import argparse
import sys

from pyspark.sql import SparkSession, functions as F

POSTINGS = ["tag", "record", "stored", "bits", "pos"]
RECORDS = ["record", "sampled", "presence", "row"]


def hadoop_path(spark, uri):
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    return fs, path


def copy_file(spark, src, dst):
    """Copies one small file between any two file systems Spark knows (the manifest)."""
    jvm = spark.sparkContext._jvm
    src_fs, src_path = hadoop_path(spark, src)
    dst_fs, dst_path = hadoop_path(spark, dst)
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    if not jvm.org.apache.hadoop.fs.FileUtil.copy(
        src_fs, src_path, dst_fs, dst_path, False, True, conf
    ):
        raise RuntimeError(f"cannot copy {src} to {dst}")


def join(spark, export, sample_tags, out):
    fs, out_path = hadoop_path(spark, out)
    if fs.exists(out_path):
        raise SystemExit(f"{out} already exists; choose another --out")
    export = export.rstrip("/")
    out = out.rstrip("/")
    # Each distinct tag once: a sample repeats tags across lines and kinds.
    tags = spark.read.parquet(sample_tags).select(F.col("tag").cast("long")).distinct()
    tags = tags.cache()
    postings = spark.read.parquet(f"{export}/postings").select(*POSTINGS)
    hits = postings.join(tags, "tag", "left_semi").cache()
    records = spark.read.parquet(f"{export}/records").select(*RECORDS)
    named = hits.select("record").distinct()
    wanted = records.join(named, "record", "left_semi").unionByName(
        records.where(F.col("sampled"))
    ).dropDuplicates(["record"])
    tags.write.parquet(f"{out}/sample_tags")
    hits.write.parquet(f"{out}/postings")
    wanted.write.parquet(f"{out}/records")
    copy_file(spark, f"{export}/manifest.json", f"{out}/manifest.json")
    counts = {
        "tags": spark.read.parquet(f"{out}/sample_tags").count(),
        "postings": spark.read.parquet(f"{out}/postings").count(),
        "records": spark.read.parquet(f"{out}/records").count(),
    }
    print(
        f"joined {counts['tags']} sample tags: {counts['postings']} postings, "
        f"{counts['records']} records in {out}",
        file=sys.stderr,
    )
    return counts


SNIFF_BYTES = 256 * 1024


def build(spark, input_uri, key, binary, out):
    """Executors prepare the records of their partitions of one system snapshot's export
    with the breachcheck binary (`index prepare`), so normalization and keyed hashing stay
    one code path; the prepared records are saved as text parts in source order, for
    `breachcheck index build --prepared` to merge into the snapshot's segment (the one a
    build of the whole file makes).

    The key and the binary reach executors as files Spark ships (`SparkContext.addFile`),
    never on a command line or in a log. The export must have one record per line (no
    quoted line breaks) and `\n` line ends, as Spark splits it into lines.
    """
    import os
    import tempfile

    sc = spark.sparkContext
    fs, out_path = hadoop_path(spark, out)
    if fs.exists(out_path):
        raise SystemExit(f"{out} already exists; choose another --out")
    lines = sc.textFile(input_uri, use_unicode=False)
    # The head: the whole lines that cover the first 256 KiB, which is where a build
    # sniffs how the file is read; every executor reads its lines behind it.
    head, size, want = [], 0, 4096
    while size < SNIFF_BYTES:
        got = lines.take(want)
        head, size = [], 0
        for line in got:
            if size >= SNIFF_BYTES:
                break
            head.append(line)
            size += len(line) + 1
        if len(got) < want:
            break
        want *= 4
    with tempfile.NamedTemporaryFile("wb", prefix="breachcheck-head-", delete=False) as f:
        f.write(b"".join(line + b"\n" for line in head))
        head_path = f.name
    sc.addFile(head_path)
    sc.addFile(os.path.abspath(key))
    sc.addFile(os.path.abspath(binary))
    head_name, key_name = os.path.basename(head_path), os.path.basename(key)
    binary_name = os.path.basename(binary)

    def prepare(rows):
        import stat
        import subprocess

        from pyspark import SparkFiles

        exe = SparkFiles.get(binary_name)
        mode = os.stat(exe).st_mode
        if not mode & stat.S_IXUSR:
            os.chmod(exe, mode | stat.S_IXUSR)
        data = b"".join(b"%d\t%s\n" % (n + 1, line) for line, n in rows)
        if not data:
            return iter(())
        p = subprocess.run(
            [exe, "index", "prepare", "--key", SparkFiles.get(key_name),
             "--head", SparkFiles.get(head_name)],
            input=data, capture_output=True,
        )
        if p.returncode != 0:
            raise RuntimeError("breachcheck index prepare failed: "
                               + p.stderr.decode("utf-8", "replace")[-2000:])
        return iter(p.stdout.decode("ascii").splitlines())

    lines.zipWithIndex().mapPartitions(prepare).saveAsTextFile(out)
    os.unlink(head_path)
    print(f"prepared {input_uri} into {out}; merge with: breachcheck index build "
          f"--prepared {out} …", file=sys.stderr)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    j = sub.add_parser("join", help="join a sample's tags with an index export")
    j.add_argument("--export", required=True, help="the index export (breachcheck index export)")
    j.add_argument(
        "--sample-tags", required=True, help="the sample's tags (breachcheck tags --manifest)"
    )
    j.add_argument("--out", required=True, help="the candidates directory to write (new)")
    b = sub.add_parser(
        "build", help="prepare one system snapshot's export on the executors, for the merge"
    )
    b.add_argument("--input", required=True, help="the export (text, one record per line)")
    b.add_argument("--key", required=True, help="the company key file, on the driver")
    b.add_argument("--binary", required=True, help="the breachcheck binary for the executors")
    b.add_argument("--out", required=True, help="where the prepared parts go (new)")
    args = parser.parse_args(argv)
    spark = SparkSession.builder.appName(f"breachcheck {args.command}").getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    try:
        if args.command == "join":
            join(spark, args.export, args.sample_tags, args.out)
        elif args.command == "build":
            build(spark, args.input, args.key, args.binary, args.out)
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
