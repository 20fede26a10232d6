// The self-check protocol around the OPRF, ported from crates/breachcheck-selfcheck
// (bucket.rs, commitment.rs, seal.rs, disclosure.rs, client.rs, publish.rs ClaimInfo).
import { sha256 } from '@noble/hashes/sha2.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { concat, equalBytes, fromBase64, fromHex, utf8 } from './bytes.js';
import * as voprf from './voprf.js';

export const FORMAT = 'breachcheck.selfcheck/v1';
export const SUITE = 'VOPRF ristretto255-SHA512';
export const MAX_BITS = 24;
export const MAX_VALUE_LEN = 1024;
export const TAG_LEN = 16;
export const SALT_LEN = 16;
export const PLAIN_LEN = 14;
export const SEALED_LEN = PLAIN_LEN + 16;
export const ENTRY_LEN = TAG_LEN + SEALED_LEN;
export const FIELD_KINDS = [
  'email', 'phone', 'name', 'address', 'postal_code', 'city', 'region', 'country',
  'date_of_birth', 'username', 'customer_id', 'order_id', 'national_id', 'password_hash',
];

/** A failed check: the answer cannot be trusted either way (never "not found"). */
export class VerificationError extends Error {
  constructor(message) {
    super(message);
    this.name = 'VerificationError';
  }
}

/** Bytes from the other party that the protocol does not allow. */
export class MalformedError extends Error {
  constructor(message) {
    super(message);
    this.name = 'MalformedError';
  }
}

function checkKind(kind) {
  if (kind !== 'email' && kind !== 'phone') throw new MalformedError("a value kind is 'email' or 'phone'");
}

/** kind ‖ 0x00 ‖ canonical (lib.rs oprf_input). */
export function oprfInput(kind, canonical) {
  return concat(utf8(kind), new Uint8Array([0]), canonical);
}

/** SHA-256("breachcheck.selfcheck/v1\0" ‖ kind ‖ "\0" ‖ canonical) (bucket.rs digest). */
export function digest(kind, canonical) {
  return sha256(concat(utf8(FORMAT), new Uint8Array([0]), utf8(kind), new Uint8Array([0]), canonical));
}

/** The first `bits` bits of the digest, big-endian; 0 when bits is 0 (bucket.rs bucket_of). */
export function bucketOf(kind, canonical, bits) {
  if (bits === 0) return 0;
  const d = digest(kind, canonical);
  const prefix = ((d[0] << 24) | (d[1] << 16) | (d[2] << 8) | d[3]) >>> 0;
  return prefix >>> (32 - Math.min(bits, 32));
}

/** leaf(i) = SHA-256("breachcheck.selfcheck/v1 bucket\0" ‖ u32-BE i ‖ entries) (commitment.rs). */
export function leaf(bucket, entries) {
  const head = new Uint8Array(4);
  new DataView(head.buffer).setUint32(0, bucket, false);
  return sha256(concat(utf8(FORMAT + ' bucket\0'), head, ...entries.map((e) => concat(e.tag, e.sealed))));
}

function node(l, r) {
  return sha256(concat(new Uint8Array([1]), l, r));
}

/** Whether `entries` are bucket `bucket`'s as committed by `root` (commitment.rs verify). */
export function verifyPath(root, bits, bucket, entries, path) {
  if (path.length !== bits || bucket >= 2 ** bits || bucket < 0) return false;
  let h = leaf(bucket, entries);
  let index = bucket;
  for (const sibling of path) {
    h = index % 2 === 0 ? node(h, sibling) : node(sibling, h);
    index = Math.floor(index / 2);
  }
  return equalBytes(h, root);
}

function derive(label, salt, output) {
  return sha256(concat(utf8(`${FORMAT} ${label}\0`), salt, output));
}

/** The lookup tag of an OPRF output (seal.rs tag). */
export function tag(salt, output) {
  return derive('tag', salt, output).slice(0, TAG_LEN);
}

/** The sealing key of an OPRF output (seal.rs cipher). */
export function sealKey(salt, output) {
  return derive('seal', salt, output);
}

/** Opens a sealed disclosure; null when it does not authenticate or decode (seal.rs open). */
export function open(salt, output, entryTag, sealed) {
  let plain;
  try {
    plain = chacha20poly1305(sealKey(salt, output), new Uint8Array(12), entryTag).decrypt(sealed);
  } catch {
    return null;
  }
  return decodeDisclosure(plain);
}

/** The 14-byte plaintext; null for a version, flag or bit this build does not know. */
export function decodeDisclosure(b) {
  if (b.length !== PLAIN_LEN || b[0] !== 1) return null;
  let matched;
  if (b[1] === 0) matched = null;
  else if (b[1] === 1) matched = false;
  else if (b[1] === 2) matched = true;
  else return null;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const bits = dv.getUint32(2, true);
  if (bits >>> FIELD_KINDS.length !== 0) return null;
  const fields = FIELD_KINDS.filter((_, i) => (bits >>> i) & 1);
  const big = dv.getBigUint64(6, true);
  // Lines as a number when exact, else a decimal string (never above 2^53 in practice).
  const lines = big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big.toString();
  return { lines, fields, matched_company_records: matched };
}

/** ClaimInfo as the info route serves it (publish.rs ClaimInfo plus ClaimInfo::check);
 * extra fields are ignored. */
export function parseInfo(json) {
  if (json === null || typeof json !== 'object') throw new MalformedError('the claim info is not a JSON object');
  if (json.format !== FORMAT) throw new MalformedError('the claim is in another format than breachcheck.selfcheck/v1');
  if (json.suite !== SUITE) throw new MalformedError('the claim uses another suite than VOPRF ristretto255-SHA512');
  if (typeof json.claim !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(json.claim)) {
    throw new MalformedError('the claim name is not valid');
  }
  const bits = json.bucket_bits;
  if (!Number.isInteger(bits) || bits < 0 || bits > MAX_BITS) throw new MalformedError('the claim has more than 24 bucket bits');
  const hex = (name, len) => {
    try {
      return fromHex(json[name], len);
    } catch {
      throw new MalformedError(`the claim info's ${name} is not ${len} bytes of hex`);
    }
  };
  const publicKey = hex('public_key', 32);
  try {
    voprf.deserializeElement(publicKey);
  } catch {
    throw new MalformedError('the public key is not a non-identity ristretto255 element');
  }
  return {
    format: json.format,
    claim: json.claim,
    suite: json.suite,
    publicKey,
    salt: hex('salt', SALT_LEN),
    bucketBits: bits,
    minBucket: json.min_bucket,
    entries: json.entries,
    entriesRoot: hex('entries_root', 32),
  };
}

function splitEntries(b) {
  if (b.length % ENTRY_LEN !== 0) throw new MalformedError("a bucket's entries are a multiple of 46 bytes");
  const out = [];
  for (let i = 0; i < b.length; i += ENTRY_LEN) {
    out.push({ tag: b.slice(i, i + TAG_LEN), sealed: b.slice(i + TAG_LEN, i + ENTRY_LEN) });
  }
  return out;
}

/** The binary answer: evaluated (32) ‖ proof (64) ‖ path_len (1) ‖ path ‖ entries (46 each). */
export function parseBinaryAnswer(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (b.length < 97) throw new MalformedError('the answer is shorter than an evaluation and a proof');
  const n = b[96];
  const start = 97 + 32 * n;
  if (b.length < start) throw new MalformedError("the answer's bucket path is cut short");
  const path = [];
  for (let i = 0; i < n; i++) path.push(b.slice(97 + 32 * i, 97 + 32 * (i + 1)));
  return { evaluated: b.slice(0, 32), proof: b.slice(32, 96), path, entries: splitEntries(b.subarray(start)) };
}

/** The JSON answer: {evaluated, proof, entries: [...], bucket_proof: [...]}, base64. */
export function parseJsonAnswer(json) {
  try {
    if (!Array.isArray(json.entries) || !Array.isArray(json.bucket_proof)) throw new Error();
    const evaluated = fromBase64(json.evaluated);
    const proof = fromBase64(json.proof);
    const entries = json.entries.map((e) => {
      const b = fromBase64(e);
      if (b.length !== ENTRY_LEN) throw new Error();
      return splitEntries(b)[0];
    });
    const path = json.bucket_proof.map((h) => {
      const b = fromBase64(h);
      if (b.length !== 32) throw new Error();
      return b;
    });
    return { evaluated, proof, path, entries };
  } catch {
    throw new MalformedError('the answer is not {evaluated, proof, entries, bucket_proof} in base64');
  }
}

/** An answer in either form: bytes (binary) or a parsed JSON object. */
export function parseAnswer(answer) {
  if (answer instanceof Uint8Array || answer instanceof ArrayBuffer) return parseBinaryAnswer(answer);
  if (answer && typeof answer === 'object' && 'evaluated' in answer && 'entries' in answer) {
    if (answer.evaluated instanceof Uint8Array) return answer; // already parsed
    return parseJsonAnswer(answer);
  }
  throw new MalformedError('an answer is the binary form or the JSON object');
}

/**
 * Starts a query (client.rs Query::new): the bucket and the blinded element to send; the
 * value and the blind stay in the closure for `finish`.
 */
export function newQuery(kind, canonical, bucketBits, blindScalar) {
  checkKind(kind);
  const value = typeof canonical === 'string' ? utf8(canonical) : canonical;
  if (!(value instanceof Uint8Array) || value.length === 0 || value.length > MAX_VALUE_LEN) {
    throw new MalformedError('not a canonical value: empty or longer than 1024 bytes');
  }
  if (!Number.isInteger(bucketBits) || bucketBits < 0 || bucketBits > MAX_BITS) {
    throw new MalformedError('the claim has more than 24 bucket bits');
  }
  const input = oprfInput(kind, value);
  const state = voprf.blind(input, blindScalar);
  const bucket = bucketOf(kind, value, bucketBits);
  let used = false;
  return {
    kind,
    bucket,
    bucketBits,
    blinded: state.blinded,
    /**
     * Finishes with the server's answer (client.rs Query::finish): null is a verified
     * "not in this claim"; a found value gives {found: true, lines, fields,
     * matched_company_records}; every failed check throws.
     */
    finish(info, answer) {
      if (used) throw new Error('a query is finished once');
      used = true;
      const i = info && info.publicKey instanceof Uint8Array ? info : parseInfo(info);
      if (i.bucketBits !== bucketBits) {
        throw new MalformedError(`the query was made with ${bucketBits} bucket bits, the claim uses ${i.bucketBits}: make the query again with the claim's info`);
      }
      const a = parseAnswer(answer);
      if (!verifyPath(i.entriesRoot, i.bucketBits, bucket, a.entries, a.path)) {
        throw new VerificationError("the bucket's entries are not the ones the claim published");
      }
      if (a.evaluated.length !== 32 || a.proof.length !== 64) {
        throw new MalformedError('an evaluation is a 32-byte element and a 64-byte proof');
      }
      let output;
      try {
        output = voprf.finalize(input, state, a.evaluated, a.proof, i.publicKey);
      } catch (e) {
        if (/VerifyError/.test(String(e && e.message))) {
          throw new VerificationError("the evaluation proof does not verify under the claim's public key");
        }
        throw new MalformedError('the evaluated element or the proof is malformed');
      }
      const t = tag(i.salt, output);
      const candidates = a.entries.filter((e) => equalBytes(e.tag, t));
      if (candidates.length === 0) return null;
      for (const e of candidates) {
        const d = open(i.salt, output, e.tag, e.sealed);
        if (d) return { found: true, ...d };
      }
      throw new VerificationError('the entry with this value\'s tag does not open: the published claim was altered');
    },
  };
}
