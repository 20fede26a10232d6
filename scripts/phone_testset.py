#!/usr/bin/env python3
"""Generate the phone-normalization reference set.

Numbers from 40 regions in mixed real-world formats (E.164, international, national,
RFC 3966, 00-prefixed, with dots, dashes, slashes and parentheses), some valid and some
made invalid by changing digits. The expected E.164 form and validity come from Google's
libphonenumber through its Python port `phonenumbers` (the reference named in the issue).

Usage: pip install phonenumbers && python3 scripts/phone_testset.py > \
    crates/breachcheck-normalize/tests/fixtures/phone/reference.tsv
Deterministic (fixed seed); the header line records the phonenumbers version.
"""
import random
import sys

import phonenumbers
from phonenumbers import PhoneNumberFormat as F, PhoneNumberType as T

REGIONS = [
    "US", "CA", "GB", "IE", "DE", "AT", "CH", "FR", "BE", "NL", "LU", "ES", "PT", "IT", "PL",
    "CZ", "SE", "NO", "DK", "FI", "GR", "TR", "RU", "UA", "IL", "AE", "SA", "EG", "ZA", "NG",
    "KE", "IN", "PK", "CN", "HK", "JP", "KR", "SG", "AU", "NZ", "BR", "MX", "AR", "CO",
]
TYPES = [T.MOBILE, T.FIXED_LINE, T.TOLL_FREE]
PER_REGION = 240


def mutate(national: str, rng: random.Random) -> str:
    """Change trailing digits (often still valid), or the length (often invalid)."""
    digits = list(national)
    roll = rng.random()
    if roll < 0.7:
        for i in range(max(1, len(digits) - 4), len(digits)):
            digits[i] = str(rng.randrange(10))
    elif roll < 0.85:
        digits.append(str(rng.randrange(10)))
    else:
        digits = digits[:-1] or digits
    return "".join(digits)


def render(num, region: str, rng: random.Random) -> str:
    style = rng.randrange(9)
    if style == 0:
        return phonenumbers.format_number(num, F.E164)
    if style == 1:
        return phonenumbers.format_number(num, F.INTERNATIONAL)
    if style == 2:
        return phonenumbers.format_number(num, F.NATIONAL)
    if style == 3:
        return phonenumbers.format_number(num, F.RFC3966)
    if style == 4:
        return "00" + phonenumbers.format_number(num, F.E164)[1:]
    intl = phonenumbers.format_number(num, F.INTERNATIONAL)
    nat = phonenumbers.format_number(num, F.NATIONAL)
    if style == 5:
        return intl.replace(" ", ".")
    if style == 6:
        return nat.replace(" ", "-")
    if style == 7:
        return nat.replace(" ", "/", 1)
    return "+" + str(num.country_code) + " (" + str(num.national_number)[:3] + ") " + str(num.national_number)[3:]


def main() -> None:
    rng = random.Random(20261127)
    out = sys.stdout
    out.write(f"# raw\tregion\te164\tvalid\t(reference: phonenumbers {phonenumbers.__version__})\n")
    rows = 0
    for region in REGIONS:
        for _ in range(PER_REGION):
            t = rng.choice(TYPES)
            ex = phonenumbers.example_number_for_type(region, t) or phonenumbers.example_number(region)
            if ex is None:
                continue
            national = mutate(str(ex.national_number), rng)
            try:
                num = phonenumbers.parse("+" + str(ex.country_code) + national, None)
            except phonenumbers.NumberParseException:
                continue
            raw = render(num, region, rng)
            if "\t" in raw or "\n" in raw:
                continue
            try:
                parsed = phonenumbers.parse(raw, region)
                e164 = phonenumbers.format_number(parsed, F.E164)
                valid = "1" if phonenumbers.is_valid_number(parsed) else "0"
            except phonenumbers.NumberParseException:
                e164, valid = "-", "0"
            out.write(f"{raw}\t{region}\t{e164}\t{valid}\n")
            rows += 1
    print(f"{rows} numbers from {len(REGIONS)} regions", file=sys.stderr)


if __name__ == "__main__":
    main()
