// Disclosure decoding, Merkle paths and answer parsing, with fixed bytes; the tag, seal and
// whole protocol against the Rust publisher and server are in oracle.test.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256 } from '@noble/hashes/sha2.js';
import * as claim from '../src/claim.js';
import { concat, toBase64, toHex, utf8 } from '../src/bytes.js';

function plain(version, matched, bits, lines) {
  const b = new Uint8Array(14);
  const dv = new DataView(b.buffer);
  b[0] = version;
  b[1] = matched;
  dv.setUint32(2, bits, true);
  dv.setBigUint64(6, BigInt(lines), true);
  return b;
}

test('disclosures decode as disclosure.rs writes them', () => {
  assert.deepEqual(claim.decodeDisclosure(plain(1, 2, 0b110, 3)), { lines: 3, fields: ['phone', 'name'], matched_company_records: true });
  assert.deepEqual(claim.decodeDisclosure(plain(1, 1, (1 << 14) - 1, 0)), { lines: 0, fields: claim.FIELD_KINDS, matched_company_records: false });
  assert.deepEqual(claim.decodeDisclosure(plain(1, 0, 0, 2n ** 64n - 1n)), { lines: '18446744073709551615', fields: [], matched_company_records: null });
  assert.equal(claim.decodeDisclosure(plain(2, 0, 0, 1)), null);
  assert.equal(claim.decodeDisclosure(plain(1, 3, 0, 1)), null);
  assert.equal(claim.decodeDisclosure(plain(1, 0, 1 << 14, 1)), null);
  assert.equal(claim.decodeDisclosure(new Uint8Array(13)), null);
});

test('buckets are prefixes of the public digest', () => {
  const v = utf8('a@example.org');
  const d = claim.digest('email', v);
  assert.equal(toHex(d), toHex(sha256(utf8('breachcheck.selfcheck/v1\0email\0a@example.org'))));
  assert.equal(claim.bucketOf('email', v, 0), 0);
  assert.equal(claim.bucketOf('email', v, 8), d[0]);
  assert.equal(claim.bucketOf('email', v, 12), (d[0] << 4) | (d[1] >> 4));
  assert.equal(claim.bucketOf('email', v, 24), (d[0] << 16) | (d[1] << 8) | d[2]);
});

function entry(n) {
  return { tag: new Uint8Array(16).fill(n), sealed: new Uint8Array(30).fill(n + 1) };
}

test('Merkle paths check a bucket against the root, and nothing else', () => {
  // A tree of 3 bits (8 buckets), built here by the commitment.rs rules.
  const buckets = Array.from({ length: 8 }, (_, b) => Array.from({ length: b % 3 }, (_, i) => entry(b * 10 + i)));
  let level = buckets.map((e, b) => claim.leaf(b, e));
  assert.equal(toHex(level[1]), toHex(sha256(concat(utf8('breachcheck.selfcheck/v1 bucket\0'), new Uint8Array([0, 0, 0, 1]), buckets[1][0].tag, buckets[1][0].sealed))));
  const levels = [level];
  while (level.length > 1) {
    const up = [];
    for (let i = 0; i < level.length; i += 2) up.push(sha256(concat(new Uint8Array([1]), level[i], level[i + 1])));
    levels.push(up);
    level = up;
  }
  const root = level[0];
  const path = (b) => levels.slice(0, -1).map((l, d) => l[(b >> d) ^ 1]);
  for (let b = 0; b < 8; b++) assert.ok(claim.verifyPath(root, 3, b, buckets[b], path(b)), `bucket ${b}`);
  assert.ok(!claim.verifyPath(root, 3, 2, buckets[2].slice(1), path(2)), 'an entry left out');
  assert.ok(!claim.verifyPath(root, 3, 2, [...buckets[2], entry(99)], path(2)), 'an entry added');
  assert.ok(!claim.verifyPath(root, 3, 3, buckets[2], path(2)), 'another bucket number');
  assert.ok(!claim.verifyPath(root, 3, 2, buckets[2], path(2).slice(1)), 'a short path');
  assert.ok(!claim.verifyPath(root, 2, 2, buckets[2], path(2)), 'other bits');
  assert.ok(!claim.verifyPath(root, 3, 8, buckets[2], path(2)), 'no such bucket');
  // b = 0: the root is the one leaf.
  assert.ok(claim.verifyPath(claim.leaf(0, buckets[2]), 0, 0, buckets[2], []));
});

test('the binary and JSON answers parse to the same thing', () => {
  const evaluated = new Uint8Array(32).fill(7);
  const proof = new Uint8Array(64).fill(8);
  const path = [new Uint8Array(32).fill(9), new Uint8Array(32).fill(10)];
  const entries = [entry(1), entry(2)];
  const bin = concat(evaluated, proof, new Uint8Array([2]), ...path, ...entries.map((e) => concat(e.tag, e.sealed)));
  const a = claim.parseBinaryAnswer(bin);
  const j = claim.parseJsonAnswer({
    evaluated: toBase64(evaluated),
    proof: toBase64(proof),
    entries: entries.map((e) => toBase64(concat(e.tag, e.sealed))),
    bucket_proof: path.map(toBase64),
  });
  assert.deepEqual(a, j);
  assert.deepEqual(a.entries, entries);
  assert.throws(() => claim.parseBinaryAnswer(bin.slice(0, -1)), /multiple of 46/);
  assert.throws(() => claim.parseBinaryAnswer(bin.slice(0, 120)), /cut short/);
  assert.throws(() => claim.parseJsonAnswer({ evaluated: 'x', proof: '', entries: [], bucket_proof: [] }));
});
