// Byte helpers: hex, standard base64 with padding, concatenation, I2OSP, comparison.

const enc = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8(s) {
  return enc.encode(s);
}

export function concat(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let i = 0;
  for (const p of parts) {
    out.set(p, i);
    i += p.length;
  }
  return out;
}

/** RFC 8017 I2OSP for n < 2^(8·len). */
export function i2osp(n, len) {
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** (8 * len)) throw new Error('i2osp: out of range');
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = n & 0xff;
    n = Math.floor(n / 256);
  }
  return out;
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

export function toHex(b) {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** Exactly `len` bytes from hex digits (either case); throws otherwise. */
export function fromHex(s, len) {
  if (typeof s !== 'string' || !/^(?:[0-9a-fA-F]{2})*$/.test(s) || (len !== undefined && s.length !== 2 * len)) {
    throw new Error(`expected ${len === undefined ? '' : len + ' bytes of '}hex`);
  }
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function toBase64(b) {
  let s = '';
  for (let i = 0; i < b.length; i += 3) {
    const n = (b[i] << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
    s += B64[(n >> 18) & 63] + B64[(n >> 12) & 63];
    s += i + 1 < b.length ? B64[(n >> 6) & 63] : '=';
    s += i + 2 < b.length ? B64[n & 63] : '=';
  }
  return s;
}

/** Standard base64 with padding; throws on anything else. */
export function fromBase64(s) {
  if (typeof s !== 'string' || s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) {
    throw new Error('expected standard base64 with padding');
  }
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const c = s[i + j];
      n = (n << 6) | (c === '=' ? 0 : B64.indexOf(c));
    }
    for (const v of [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]) {
      if (o < out.length) out[o++] = v;
    }
  }
  return out;
}
