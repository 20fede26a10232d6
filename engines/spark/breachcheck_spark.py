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
tag, and the postings a verify reads are kept (see `join`); the records those postings
name, and the records every verify reads to measure how often the company's own records
repeat a value (`sampled`), are kept. The result is a
candidates directory that `breachcheck verify --candidates DIR` scores on one machine,
writing the report a verify against the whole index writes.

In a join only keyed tags and check values cross the cluster: no value, and not the key
(the join needs none). A build ships the key and the export's head to the executors, so it
needs a cluster that authenticates and encrypts its traffic.

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
import json
import sys

from pyspark.sql import SparkSession, functions as F

POSTINGS = ["tag", "record", "stored", "bits", "pos"]
SAMPLE_TAGS = ["tag", "full", "most_hits", "per_segment"]
# Rows of a small side of a join sent whole to every executor instead of shuffling the
# large side (see `join`): 2M rows are 16–64 MB, a few hundred MB as the executors' hash
# table, within the 1 GB executors of the local test cluster.
BROADCAST_ROWS = 2_000_000
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
    """The postings of the export a verify of the sample reads, the records they name and
    the sampled records, as a candidates directory `out` (what `join_candidates` in the
    breachcheck-export crate writes on one machine).

    A posting is kept when it matches one of the sample's tags on every bit it keeps
    (postings keep 40 or more; the join key is the first 40), is among the first
    `per_segment` of that tag in its segment, and the tag is not a weak key (a name token
    with a postal code, say) with more than `most_hits` such postings in all: the verify
    skips those keys, and on a sample of many names their postings would be most of the
    index. The tags skipped are listed, so the verify knows the skip from a gap.
    """
    from pyspark.sql import Window

    fs, out_path = hadoop_path(spark, out)
    if fs.exists(out_path):
        raise SystemExit(f"{out} already exists; choose another --out")
    export = export.rstrip("/")
    out = out.rstrip("/")
    given = spark.read.parquet(sample_tags)
    missing = [c for c in SAMPLE_TAGS if c not in given.columns]
    if missing:
        raise SystemExit(
            f"{sample_tags} is not a sample's tags file of this release (no column "
            f"{missing[0]}): write it with this release's `breachcheck tags --manifest`")
    given = given.select(*(F.col(c).cast("long") for c in SAMPLE_TAGS))
    # What `breachcheck tags` writes: no nulls, the tag the first 40 bits of the whole tag,
    # limits in range (as `join_candidates` checks them, row by row).
    odd_row = (F.col("tag").isNull() | F.col("full").isNull() | F.col("most_hits").isNull()
               | F.col("per_segment").isNull()
               | (F.col("tag") != F.shiftrightunsigned("full", 24))
               | (F.col("most_hits") < 0) | (F.col("per_segment") < 1))
    # Each distinct tag once (a sample repeats tags across lines), read as the strictest
    # line reads it: a tag that is a weak key on any line is one (0: no limit).
    tags = (given
            .groupBy("full")
            .agg(F.first("tag").alias("tag"),
                 F.min(F.when(F.col("most_hits") > 0, F.col("most_hits"))).alias("most_hits"),
                 F.min("per_segment").alias("per_segment"),
                 F.max("per_segment").alias("per_segment_max"),
                 F.sum(F.when(odd_row, 1).otherwise(0)).alias("odd_rows"))
            .fillna(0, ["most_hits"]).cache())
    stats = tags.agg(F.count("*").alias("tags"), F.sum("odd_rows").alias("rows"),
                   F.sum(F.when(F.col("per_segment") != F.col("per_segment_max"), 1)
                         .otherwise(0)).alias("disagree")).first()
    if stats["rows"]:
        raise SystemExit(f"{sample_tags}: {stats['rows']} rows are not what `breachcheck tags` "
                         "writes")
    if stats["disagree"]:
        raise SystemExit(f"{sample_tags}: its rows disagree on the hits read per segment "
                         f"of {stats['disagree']} tags")
    tags = tags.select("tag", "full", "most_hits", "per_segment")
    postings = spark.read.parquet(f"{export}/postings").select(*POSTINGS)
    mask = F.expr("shiftleft(-1L, 64 - bits)")
    # A posting keeps 40 to 64 bits; one that claims otherwise (a damaged export: the JVM
    # would wrap the shift) is passed on for `verify --candidates` to refuse, not dropped.
    odd_bits = (F.col("bits") < 40) | (F.col("bits") > 64)
    # A claim's sample has up to a few million distinct tags (32 bytes each here): sent to
    # every executor, they spare the shuffle of the whole postings table, the largest of
    # the join. A larger sample (a whole dump) is joined by a shuffle, as Spark chooses.
    if stats["tags"] <= BROADCAST_ROWS:
        tags = F.broadcast(tags)
    matched = postings.join(tags, "tag").where(
        odd_bits | (F.col("full").bitwiseAND(mask) == F.col("stored").bitwiseAND(mask)))
    # The first `per_segment` of each tag in each segment, in the segment's posting order
    # (a posting repeated by a copy counts once: same rank, then dropped).
    first = Window.partitionBy("full", F.shiftrightunsigned("record", 32)).orderBy("pos")
    read = (matched.withColumn("n", F.dense_rank().over(first))
            .where(F.col("n") <= F.col("per_segment")).drop("n")
            .dropDuplicates(["full", "record", "pos"]).cache())
    skipped = (read.groupBy("full", "most_hits").count()
               .where((F.col("most_hits") > 0) & (F.col("count") > F.col("most_hits")))
               .select("full").cache())
    hits = read.join(skipped, "full", "left_anti").select(*POSTINGS).distinct().cache()
    asked = (tags.join(skipped.withColumn("skipped", F.lit(True)), "full", "left")
             .fillna(False, ["skipped"])
             .select("tag", "full", "skipped", "most_hits", "per_segment"))
    records = spark.read.parquet(f"{export}/records").select(*RECORDS)
    named = hits.select("record").distinct().cache()
    # The records the postings name, likewise sent to the executors when they are few (8
    # bytes each), sparing the shuffle of the records table.
    if named.count() <= BROADCAST_ROWS:
        named = F.broadcast(named)
    wanted = records.join(named, "record", "left_semi").unionByName(
        records.where(F.col("sampled"))
    ).dropDuplicates(["record"])
    # An export missing a file would give fewer candidates and a different report: its
    # tables must hold every posting and record its manifest commits to.
    manifest = json.loads(read_text(spark, f"{export}/manifest.json"))
    want_postings = sum(s["postings"] for s in manifest["segments"])
    want_records = sum(s["records"] for s in manifest["segments"])
    have_postings, have_records = postings.count(), records.count()
    if (have_postings, have_records) != (want_postings, want_records):
        raise SystemExit(
            f"{export} is incomplete: {have_postings} of {want_postings} postings and "
            f"{have_records} of {want_records} records; export the index again")
    asked.write.parquet(f"{out}/sample_tags")
    hits.write.parquet(f"{out}/postings")
    wanted.write.parquet(f"{out}/records")
    copy_file(spark, f"{export}/manifest.json", f"{out}/manifest.json")
    # What was written, for `verify --candidates` to check the directory is whole.
    written = spark.read.parquet(f"{out}/sample_tags")
    counts = {
        "sample_tags": written.count(),
        "skipped": written.where(F.col("skipped")).count(),
        "postings": spark.read.parquet(f"{out}/postings").count(),
        "records": spark.read.parquet(f"{out}/records").count(),
    }
    write_text(spark, f"{out}/counts.json", json.dumps(counts))
    print(
        f"joined {counts['sample_tags']} sample tags ({counts['skipped']} weak keys with "
        f"more hits than a verify reads skipped): {counts['postings']} postings, "
        f"{counts['records']} records in {out}",
        file=sys.stderr,
    )
    return counts


SNIFF_BYTES = 256 * 1024


def write_text(spark, uri, text):
    """Writes a small text file on any file system Spark knows."""
    fs, path = hadoop_path(spark, uri)
    stream = fs.create(path, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()


def read_text(spark, uri):
    return spark.read.text(uri, wholetext=True).first()[0]


def build(spark, input_uri, key, binary, out, read_args=(), insecure_loopback=False):
    """Executors prepare the records of their partitions of one system snapshot's export
    with the breachcheck binary (`index prepare`), so normalization and keyed hashing stay
    one code path; every line's outcome is saved as text parts in source order, with
    `_LINES` (the export's line count), for `breachcheck index build --prepared` to merge
    into the snapshot's segment (the file a build of the whole export makes).

    The key, the binary and the export's head (its first 256 KiB of lines, where a build
    sniffs how the file is read) reach executors as files Spark ships, never on a command
    line or in a log; the key and the head are secrets, so the cluster must authenticate
    and encrypt its traffic (`spark.authenticate`, `spark.network.crypto.enabled`). Lines
    are read as raw bytes split on `\\n` only, so any encoding and `\\r\\n` ends read as a
    local build reads them. The export must hold one record per line: `index prepare`
    refuses quoted line breaks and formats other than delimited text and NDJSON.
    """
    import os
    import tempfile
    import threading

    sc = spark.sparkContext
    conf = sc.getConf()
    secured = all(conf.get(k, "false").lower() == "true"
                  for k in ("spark.authenticate", "spark.network.crypto.enabled"))
    if not secured and not insecure_loopback:
        raise SystemExit(
            "build ships the company key and the export's head to the executors: run it on a "
            "cluster with spark.authenticate=true and spark.network.crypto.enabled=true "
            "(--insecure-loopback-cluster is for a test cluster on one machine)")
    fs, out_path = hadoop_path(spark, out)
    if fs.exists(out_path):
        raise SystemExit(f"{out} already exists; choose another --out")
    in_fs, in_path = hadoop_path(spark, input_uri)
    if not in_fs.getFileStatus(in_path).isFile():
        raise SystemExit(f"{input_uri} is not one file: build one export file at a time")
    # Line numbers, computed in the JVM: a partition's rows keep the file's order, and
    # partitions must follow one another in the file (one file's splits do; checked, not
    # assumed, as the merge needs every line once in order). `monotonically_increasing_id`
    # carries the row's place in its partition in its low 33 bits.
    lines = (spark.read.option("lineSep", "\n").text(input_uri)
             .select(F.spark_partition_id().alias("pid"),
                     F.monotonically_increasing_id().alias("mid"),
                     F.input_file_block_start().alias("start"),
                     F.col("value").cast("binary").alias("line")))
    sizes = sorted(
        (r["pid"], r["n"], r["first"], r["last"])
        for r in lines.groupBy("pid").agg(F.count("*").alias("n"),
                                          F.min("start").alias("first"),
                                          F.max("start").alias("last")).collect())
    for (_, _, _, last), (_, _, first, _) in zip(sizes, sizes[1:]):
        if first < last:
            raise SystemExit("Spark split the export out of order; cannot number its lines")
    offsets, total = [], 0
    for pid, n, _, _ in sizes:
        offsets += [F.lit(pid), F.lit(total)]
        total += n
    offset = F.element_at(F.create_map(*offsets), F.col("pid")) if offsets else F.lit(0)
    numbered = lines.select(
        (offset + F.col("mid").bitwiseAND((1 << 33) - 1) + 1).alias("n"), "line")

    # The head: the whole lines that cover the first 256 KiB (a limit reads the first
    # partitions only).
    head, size, want = [], 0, 4096
    while True:
        got = sorted((r[0], bytes(r[1])) for r in numbered.limit(want).collect())
        head, size = [], 0
        for _, line in got:
            if size >= SNIFF_BYTES:
                break
            head.append(line)
            size += len(line) + 1
        if size >= SNIFF_BYTES or len(got) < want:
            break
        want *= 4
    if any(n != i + 1 for i, (n, _) in enumerate(got[:len(head)])):
        raise SystemExit("the export's first lines did not come first; cannot take its head")
    tmp = tempfile.NamedTemporaryFile("wb", prefix="breachcheck-head-", delete=False)
    try:
        with tmp:
            tmp.write(b"".join(line + b"\n" for line in head))
        sc.addFile(tmp.name)
        sc.addFile(os.path.abspath(key))
        sc.addFile(os.path.abspath(binary))
        head_name, key_name = os.path.basename(tmp.name), os.path.basename(key)
        binary_name = os.path.basename(binary)
        extra = list(read_args)

        def prepare(it):
            import stat
            import subprocess

            from pyspark import SparkFiles

            exe = SparkFiles.get(binary_name)
            mode = os.stat(exe).st_mode
            if not mode & stat.S_IXUSR:
                os.chmod(exe, mode | stat.S_IXUSR)
            p = subprocess.Popen(
                [exe, "index", "prepare", "--key", SparkFiles.get(key_name),
                 "--head", SparkFiles.get(head_name), *extra],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            )

            def feed():
                try:
                    for r in it:
                        p.stdin.write(b"%d\t%s\n" % (r[0], r[1]))
                finally:
                    p.stdin.close()

            feeder = threading.Thread(target=feed, daemon=True)
            feeder.start()
            for line in p.stdout:
                yield line.rstrip(b"\n").decode("ascii")
            feeder.join()
            err = p.stderr.read()
            if p.wait() != 0:
                raise RuntimeError("breachcheck index prepare failed: "
                                   + err.decode("utf-8", "replace")[-2000:])

        numbered.rdd.mapPartitions(prepare).saveAsTextFile(out)
        write_text(spark, f"{out.rstrip('/')}/_LINES", f"{total}\n")
    finally:
        os.unlink(tmp.name)
    print(f"prepared the {total} lines of {input_uri} into {out}; merge with: "
          f"breachcheck index build --prepared {out} …", file=sys.stderr)


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
    b.add_argument("--map", action="append", default=[], metavar="COLUMN=ROLE",
                   help="column role override, as `index build --map` (repeatable)")
    b.add_argument("--default-region", metavar="CC",
                   help="region of phone numbers without a country, as `index build`")
    b.add_argument("--encoding", help="forced text encoding, as `index build --encoding`")
    b.add_argument("--insecure-loopback-cluster", action="store_true",
                   help="allow a cluster without authentication and encryption (a test "
                        "cluster on one machine only: the key crosses it)")
    args = parser.parse_args(argv)
    spark = SparkSession.builder.appName(f"breachcheck {args.command}").getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    try:
        if args.command == "join":
            join(spark, args.export, args.sample_tags, args.out)
        elif args.command == "build":
            read_args = [a for m in args.map for a in ("--map", m)]
            if args.default_region:
                read_args += ["--default-region", args.default_region]
            if args.encoding:
                read_args += ["--encoding", args.encoding]
            build(spark, args.input, args.key, args.binary, args.out, read_args,
                  args.insecure_loopback_cluster)
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
