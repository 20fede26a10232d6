// ASCII forms of values written in full-width forms or other scripts' digits, a port of
// crates/breachcheck-normalize/src/text.rs (`ascii_forms`, `or_ascii_forms`): a Japanese
// customer's IME types `０３－１２３４－５６７８` or `ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ`, an
// Egyptian one `٠١٠٠ ١٢٣ ٤٥٦٧`; the Rust side reads these as ASCII where the text as
// written reads as nothing, and so must the page, or the check refuses values the index
// holds. Change both together.
import { utf8 } from './bytes.js';

/** Longest text `orAsciiForms` reads again (bytes of UTF-8, as in Rust). */
const MAX_ASCII_FORMS_INPUT = 1024;

const ND = /\p{Nd}/u;

/** The value of a decimal digit of any script. Unicode encodes every script's decimal
 * digits as runs of ten, 0 to 9, and runs only adjoin other whole runs, so the value is
 * the distance from the start of the digits around it, modulo ten. */
function digitValue(c) {
  if (!ND.test(c)) return null;
  let cp = c.codePointAt(0);
  let start = cp;
  while (start > 0 && ND.test(String.fromCodePoint(start - 1))) start--;
  return (cp - start) % 10;
}

/** `s` with other scripts' decimal digits as ASCII digits, full-width forms of ASCII and
 * the ideographic space as ASCII, the dashes of phone numbers and dates (U+2010–U+2015,
 * U+2212, the katakana U+30FC, U+FF70) as "-"; other characters as they are. */
export function asciiForms(s) {
  let out = '';
  for (const c of s) {
    const cp = c.codePointAt(0);
    if (cp < 0x80) out += c;
    else if (cp === 0x3000) out += ' ';
    else if (cp >= 0xff01 && cp <= 0xff5e) out += String.fromCodePoint(cp - 0xfee0);
    else if ((cp >= 0x2010 && cp <= 0x2015) || cp === 0x2212 || cp === 0x30fc || cp === 0xff70) out += '-';
    else {
      const d = digitValue(c);
      out += d === null ? c : String(d);
    }
  }
  return out;
}

/** `read(raw)`; where that reads nothing (null) and `raw` is not ASCII, `read` of its
 * ASCII forms. */
export function orAsciiForms(raw, read) {
  const first = read(raw);
  if (first !== null || typeof raw !== 'string' || /^[\x00-\x7f]*$/.test(raw)) return first;
  if (utf8(raw).length > MAX_ASCII_FORMS_INPUT) return null;
  return read(asciiForms(raw));
}
