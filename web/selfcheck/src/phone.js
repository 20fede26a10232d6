// Canonical phone numbers (E.164), a port of crates/breachcheck-normalize/src/phone.rs
// (`canonical(raw, region).map(|p| p.e164)`) on libphonenumber-js with its "max" metadata
// (the Rust side uses rlibphonenumber, a port of Google's libphonenumber; the metadata
// versions are pinned to match: see the README).
import { parsePhoneNumberWithError, getCountryCallingCode, isSupportedCountry } from 'libphonenumber-js/max';
import { rustTrim } from './email.js';
import { utf8 } from './bytes.js';
import { orAsciiForms } from './ascii.js';

const MAX_INPUT = 64;

// Telephone keypad letters (Google's ALPHA_MAPPINGS).
const KEYPAD = { A: 2, B: 2, C: 2, D: 3, E: 3, F: 3, G: 4, H: 4, I: 4, J: 5, K: 5, L: 5, M: 6, N: 6, O: 6, P: 7, Q: 7, R: 7, S: 7, T: 8, U: 8, V: 8, W: 9, X: 9, Y: 9, Z: 9 };

function parseOnce(s, country) {
  try {
    return parsePhoneNumberWithError(s, country ? { defaultCountry: country, extract: true } : { extract: true });
  } catch (e) {
    return e && e.message === 'INVALID_COUNTRY' ? 'INVALID_COUNTRY' : null;
  }
}

/**
 * Google's `parse` where libphonenumber-js differs:
 * - vanity numbers: when the number (from its first "+" or digit on) holds 3 or more
 *   ASCII letters, Google reads them as keypad digits ("1-800-FLOWERS"); an extension
 *   ("ext. 12") is taken off first, so a parse that found one is kept as is;
 * - an unknown country code after "+" with a region: Google drops the "+" and reads the
 *   digits again with the region's international prefix ("+999 123…" in Finland, whose
 *   prefixes include 999, is +1 23…), and fails unless a country code comes out of that.
 */
function parse(s, country) {
  let n = parseOnce(s, country);
  const start = s.search(/[+\uff0b\p{Nd}]/u);
  const from = start < 0 ? '' : s.slice(start);
  if ((from.match(/[A-Za-z]/g) || []).length >= 3 && !(n && typeof n === 'object' && n.ext)) {
    n = parseOnce(s.replace(/[A-Za-z]/g, (c) => String(KEYPAD[c.toUpperCase()])), country);
  }
  if (n === 'INVALID_COUNTRY' && country && /^[+\uff0b]/.test(from)) {
    const again = parseOnce(from.slice(1), country);
    const source = again && typeof again === 'object' ? again.__countryCallingCodeSource : null;
    n = source === 'FROM_NUMBER_WITH_IDD' || source === 'FROM_NUMBER_WITHOUT_PLUS_SIGN' ? again : null;
  }
  return n && typeof n === 'object' ? n : null;
}

/** The E.164 form of `raw` (national numbers read in `region`, ISO 3166 alpha-2), or null
 * when the text cannot be a phone number. Invalid but parseable numbers get a form too,
 * as in Rust. */
export function canonicalPhone(raw, region) {
  return orAsciiForms(raw, (s) => canonicalAsIs(s, region));
}

function canonicalAsIs(raw, region) {
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
