#!/usr/bin/env python3
"""Splink on breachcheck's bench data: link a leak sample to a system export, unsupervised.

Usage: bench_splink.py EXPORT.csv SAMPLE.csv

Installs splink if missing. Its set-up follows Splink's documented practice for these
columns (customer_id, email, first_name, last_name, phone, birth_date, country): name
comparisons with term-frequency adjustments, e-mail and date-of-birth comparisons, exact
phone, country and id; blocking on e-mail, phone, id, and each name with the birth date;
the prior from deterministic rules, u by random sampling, m by EM on two blocking rules; then
predictions at match probability >= 0.99. Splink expects standardised columns, so both files
are standardised first as its documentation asks (lower case, diacritics stripped, phones to
digits, day-first slashed dates to ISO) — work breachcheck does inside its own timing. Times
everything from reading the CSV files to the predictions, and reports peak resident memory.
Prints one JSON object.
"""
import json
import re
import resource
import unicodedata
import subprocess
import sys
import time


def ensure(pkg, module):
    try:
        __import__(module)
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", pkg], check=True)


def main():
    export, sample = sys.argv[1], sys.argv[2]
    ensure("splink", "splink")
    import logging

    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.disable(logging.INFO)
    start = time.perf_counter()
    cols = ["customer_id", "email", "first_name", "last_name", "phone", "birth_date", "country"]
    a = pd.read_csv(export, dtype=str, keep_default_na=False)[cols]
    b = pd.read_csv(sample, dtype=str, keep_default_na=False)[cols]
    def plain(v):
        v = unicodedata.normalize("NFKD", v.strip().lower())
        return "".join(ch for ch in v if not unicodedata.combining(ch))

    def iso(v):
        m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", v)
        return f"{m.group(3)}-{int(m.group(2)):02d}-{int(m.group(1)):02d}" if m else v

    for df, prefix in ((a, "a"), (b, "b")):
        df.insert(0, "rec_id", [f"{prefix}{i}" for i in range(len(df))])
        for c in cols:
            df[c] = df[c].map(plain)
        df["phone"] = df["phone"].map(lambda v: re.sub(r"\D", "", v))
        df["birth_date"] = df["birth_date"].map(iso)
        for c in cols:
            df[c] = df[c].replace({"": None})
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="link_only",
        blocking_rules_to_generate_predictions=[
            block_on("email"),
            block_on("phone"),
            block_on("customer_id"),
            block_on("first_name", "birth_date"),
            block_on("last_name", "birth_date"),
        ],
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("last_name").configure(term_frequency_adjustments=True),
            cl.EmailComparison("email"),
            cl.DateOfBirthComparison("birth_date", input_is_string=True,
                                     datetime_format="%Y-%m-%d", invalid_dates_as_null=True),
            cl.ExactMatch("phone"),
            cl.ExactMatch("country").configure(term_frequency_adjustments=True),
            cl.ExactMatch("customer_id"),
        ],
    )
    db = DuckDBAPI()
    linker = Linker([db.register(a), db.register(b)], settings)
    load = time.perf_counter() - start
    t = time.perf_counter()
    linker.training.estimate_probability_two_random_records_match(
        [block_on("email"), block_on("customer_id")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("birth_date"), estimate_without_term_frequencies=True)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("last_name", "first_name"), estimate_without_term_frequencies=True)
    training = time.perf_counter() - t
    t = time.perf_counter()
    pred = linker.inference.predict(threshold_match_probability=0.99).as_pandas_dataframe()
    predict = time.perf_counter() - t
    total = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        "total_seconds": total, "load_seconds": load, "training_seconds": training,
        "predict_seconds": predict, "links": int(len(pred)),
        "linked_sample_lines": int(pred["rec_id_r"].nunique() if len(pred) else 0),
        "peak_rss_mib": peak_kib / 1024.0,
    }))


if __name__ == "__main__":
    main()
