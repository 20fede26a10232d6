// Canonical e-mail addresses, a port of crates/breachcheck-normalize/src/email.rs
// (`canonical`), byte for byte. Lengths are UTF-8 byte lengths as in Rust; whitespace is
// Rust's `char::is_whitespace` (Unicode White_Space), not JavaScript's `trim`, which also
// strips U+FEFF and keeps U+0085; IDN domains go through tr46 (UTS 46) with the options
// of WHATWG "domain to ASCII", which the `idna` crate's `domain_to_ascii` implements.
import tr46 from 'tr46';
import { utf8 } from './bytes.js';
import { orAsciiForms } from './ascii.js';

const DOTS_AND_PLUS = ['gmail.com', 'googlemail.com'];
const PLUS_ONLY = [
  'outlook.com', 'hotmail.com', 'hotmail.co.uk', 'hotmail.fr', 'hotmail.de', 'hotmail.it',
  'hotmail.es', 'live.com', 'live.de', 'live.fr', 'live.co.uk', 'msn.com', 'icloud.com',
  'me.com', 'mac.com', 'protonmail.com', 'protonmail.ch', 'proton.me', 'pm.me',
  'fastmail.com', 'fastmail.fm', 'gmx.de', 'gmx.net', 'web.de', 'zoho.com',
];
const YANDEX = ['yandex.ru', 'yandex.com', 'ya.ru', 'yandex.ua', 'yandex.by', 'yandex.kz'];
const MAX_LEN = 254;

/** Unicode White_Space, Rust's `char::is_whitespace`. */
const WS = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
const TRIM = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/gu;

/** Rust's `str::trim`. */
export function rustTrim(s) {
  return s.replace(TRIM, '');
}

function byteLen(s) {
  return utf8(s).length;
}

/** Rust's `char::is_control`: general category Cc. */
function isControl(c) {
  const n = c.codePointAt(0);
  return n <= 0x1f || (n >= 0x7f && n <= 0x9f);
}

function plausibleLocal(local) {
  if (local.length >= 2 && local.startsWith('"') && local.endsWith('"')) return true;
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) return false;
  for (const c of local) {
    if (isControl(c) || '@<>()[],;:\\"'.includes(c)) return false;
  }
  return true;
}

function stripTag(local, sep) {
  const i = local.indexOf(sep);
  if (i > 0) return local.slice(0, i);
  return local;
}

function plausibleDomain(d) {
  const labels = d.split('.');
  if (labels.length < 2) return false;
  const tld = labels[labels.length - 1];
  const tldOk = tld.length >= 2 && (/^[A-Za-z]+$/.test(tld) || tld.startsWith('xn--'));
  return tldOk && labels.every((l) => l.length > 0 && l.length <= 63 && !l.startsWith('-') && !l.endsWith('-') && /^[A-Za-z0-9-]+$/.test(l));
}

/** WHATWG domain to ASCII (beStrict false), as idna::domain_to_ascii; null on failure. */
export function domainToAscii(domain) {
  const r = tr46.toASCII(domain, {
    checkHyphens: false,
    checkBidi: true,
    checkJoiners: true,
    useSTD3ASCIIRules: false,
    transitionalProcessing: false,
    verifyDNSLength: false,
    ignoreInvalidPunycode: false,
  });
  return r === null ? null : r;
}

/** The canonical form of an e-mail address, or null when the input is not an address. */
export function canonicalEmail(raw) {
  return orAsciiForms(raw, canonicalAsIs);
}

function canonicalAsIs(raw) {
  if (typeof raw !== 'string') return null;
  let s = rustTrim(raw);
  // "Ana López <ana@example.es>": the address is inside the angle brackets.
  const lt = s.lastIndexOf('<');
  if (lt > 0 && s.endsWith('>')) s = s.slice(lt);
  s = s.replace(/^<+/, '').replace(/>+$/, '');
  // Rust compares the first 7 bytes ASCII-case-insensitively; 7 ASCII bytes are 7 chars.
  if (s.length >= 7 && /^mailto:$/i.test(s.slice(0, 7)) && /^[\x00-\x7f]{7}$/.test(s.slice(0, 7))) {
    s = s.slice(7);
  }
  if (s.length === 0 || byteLen(s) > MAX_LEN || WS.test(s)) return null;
  const at = s.lastIndexOf('@');
  if (at < 0) return null;
  let local = s.slice(0, at);
  let domainRaw = s.slice(at + 1);
  if (local.length === 0 || byteLen(local) > 64 || domainRaw.length === 0 || !plausibleLocal(local)) return null;
  let domain = domainToAscii(domainRaw.replace(/\.+$/, ''));
  if (domain === null || !plausibleDomain(domain)) return null;
  local = local.toLowerCase();
  if (DOTS_AND_PLUS.includes(domain)) {
    domain = 'gmail.com';
    local = stripTag(local, '+').replaceAll('.', '');
  } else if (PLUS_ONLY.includes(domain)) {
    local = stripTag(local, '+');
  } else if (YANDEX.includes(domain)) {
    domain = 'yandex.ru';
    local = stripTag(local, '+').replaceAll('.', '-');
  }
  if (local.length === 0) return null;
  return `${local}@${domain}`;
}
