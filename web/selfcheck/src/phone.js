// Canonical phone numbers (E.164), a port of crates/breachcheck-normalize/src/phone.rs
// (`canonical(raw, region).map(|p| p.e164)`) on libphonenumber-js with its "max" metadata
// (the Rust side uses rlibphonenumber, a port of Google's libphonenumber; the metadata
// versions are pinned to match: see the README).
import { parsePhoneNumberWithError, getCountryCallingCode, isSupportedCountry } from 'libphonenumber-js/max';
import { rustTrim } from './email.js';
import { utf8 } from './bytes.js';

const MAX_INPUT = 64;

function parse(s, country) {
  try {
    return parsePhoneNumberWithError(s, country ? { defaultCountry: country, extract: true } : { extract: true });
  } catch {
    return null;
  }
}

/** The E.164 form of `raw` (national numbers read in `region`, ISO 3166 alpha-2), or null
 * when the text cannot be a phone number. Invalid but parseable numbers get a form too,
 * as in Rust. */
export function canonicalPhone(raw, region) {
  if (typeof raw !== 'string') return null;
  let s = rustTrim(raw);
  if (s.length === 0 || utf8(s).length > MAX_INPUT) return null;
  let digits = 0;
  for (const c of s) if (c >= '0' && c <= '9') digits++;
  // Up to 17 significant digits, plus a country code and an international prefix.
  if (digits < 4 || digits > 22) return null;
  const hasRegion = typeof region === 'string' && region !== '';
  const country = hasRegion && isSupportedCountry(region) ? region : undefined;
  // "0049 30 …" without a known region: the 00 international prefix is the most common.
  if (!hasRegion && s.startsWith('00')) s = '+' + s.slice(2);
  let number = parse(s, country);
  if (!number) return null;
  // E.164 stored without its "+": when the digits start with the region's own country
  // code and the international reading is a valid number of that region, it is meant.
  if (country && /^[0-9]+$/.test(s) && !s.startsWith('0') && s.length >= 10) {
    const code = getCountryCallingCode(country);
    if (s.startsWith(code)) {
      const intl = parse('+' + s, undefined);
      if (intl && intl.isValid() && intl.country === country) number = intl;
    }
  }
  return number.number;
}
