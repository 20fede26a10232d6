#!/usr/bin/env python3
"""The analyst's way without breachcheck: the keyed tags joined in DuckDB.

Usage: bench_duckdb.py EXPORT_DIR SAMPLE_TAGS.parquet

EXPORT_DIR is `breachcheck index export --format parquet` output, SAMPLE_TAGS the
`breachcheck tags` output for the sample (both made before the clock starts). Installs the
duckdb package if missing, then times (1) loading both into DuckDB tables and (2) the exact
join: per sample line, whether any of its tags is indexed, and which system and snapshot the
matching lines point to. Prints one JSON object: load_seconds, join_seconds, total_seconds,
matched_lines, threads.
"""
import json
import subprocess
import sys
import time


def ensure_duckdb():
    try:
        import duckdb  # noqa: F401
    except ImportError:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "duckdb"],
            check=True,
        )
    import duckdb

    return duckdb


def main() -> None:
    export_dir, sample_tags = sys.argv[1], sys.argv[2]
    duckdb = ensure_duckdb()
    con = duckdb.connect()
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    start = time.perf_counter()
    con.execute(
        f"CREATE TABLE idx AS SELECT tag, record, system, snapshot FROM "
        f"read_parquet('{export_dir}/*/*/*/*.parquet', hive_partitioning = true)"
    )
    con.execute(f"CREATE TABLE sample AS SELECT line, tag FROM read_parquet('{sample_tags}')")
    loaded = time.perf_counter()
    matched = con.execute(
        """
        WITH hits AS (
            SELECT DISTINCT s.line, i.system, i.snapshot
            FROM sample s JOIN idx i USING (tag)
        )
        SELECT count(DISTINCT line) AS lines,
               (SELECT list(struct_pack(system := system, snapshot := snapshot, lines := n))
                FROM (SELECT system, snapshot, count(*) AS n FROM hits GROUP BY ALL)) AS per_snapshot
        FROM hits
        """
    ).fetchone()
    joined = time.perf_counter()
    print(
        json.dumps(
            {
                "load_seconds": loaded - start,
                "join_seconds": joined - loaded,
                "total_seconds": joined - start,
                "matched_lines": matched[0],
                "threads": threads,
            }
        )
    )


if __name__ == "__main__":
    main()
