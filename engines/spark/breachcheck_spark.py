"""breachcheck on Spark: the join of a leak sample's tags with an index export.

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
    args = parser.parse_args(argv)
    spark = SparkSession.builder.appName(f"breachcheck {args.command}").getOrCreate()
    try:
        if args.command == "join":
            join(spark, args.export, args.sample_tags, args.out)
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
