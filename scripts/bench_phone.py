#!/usr/bin/env python3
"""Reference timing for phone normalization: Google's libphonenumber through its Python port.

Reads `raw<TAB>region` lines (the file `breachcheck bench --stages` writes), parses each with
phonenumbers, formats E.164 and checks validity — the same work breachcheck's normalizer does —
and prints `numbers seconds` on one line.
"""
import sys
import time

import phonenumbers


def main() -> None:
    rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1], encoding="utf-8")]
    start = time.perf_counter()
    for raw, region in rows:
        try:
            n = phonenumbers.parse(raw, region)
            phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)
            phonenumbers.is_valid_number(n)
        except phonenumbers.NumberParseException:
            pass
    print(len(rows), time.perf_counter() - start)


if __name__ == "__main__":
    main()
