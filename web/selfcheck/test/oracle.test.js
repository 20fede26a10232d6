// The client against the real Rust publisher and server logic: the `oracle` example of
// breachcheck-selfcheck (build it with `cargo build -p breachcheck-selfcheck --example
// oracle`; BREACHCHECK_ORACLE names the binary, else $CARGO_TARGET_DIR or the workspace's
// target/debug/examples/oracle). Skipped, saying so, when the binary is missing (a failure when CI is set).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { ristretto255 } from '@noble/curves/ed25519.js';
import * as claim from '../src/claim.js';
import { fromBase64, fromHex, toBase64, utf8 } from '../src/bytes.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
// A relative CARGO_TARGET_DIR is cargo's: relative to the workspace root, not to this folder.
const oracle = process.env.BREACHCHECK_ORACLE || join(resolve(root, process.env.CARGO_TARGET_DIR || 'target'), 'debug/examples/oracle');
const missing = `no oracle binary at ${oracle}: cargo build -p breachcheck-selfcheck --example oracle`;
// In CI a missing oracle is a failure, not a skip: these are the tests against Rust.
if (process.env.CI && !existsSync(oracle)) throw new Error(missing);
const skip = existsSync(oracle) ? false : missing;

const FIELDS = claim.FIELD_KINDS;
const values = [];
for (let i = 0; i < 12; i++) {
  values.push({ kind: 'email', value: `person.${i}@example.org`, disclosure: { lines: i + 1, fields: [FIELDS[i % 14], 'name'], matched_company_records: [null, false, true][i % 3] } });
}
for (let i = 0; i < 6; i++) {
  values.push({ kind: 'phone', value: `+49301234${String(i).padStart(3, '0')}`, disclosure: { lines: 100 + i, fields: ['phone', 'address', 'date_of_birth'], matched_company_records: i % 2 === 0 } });
}
const outside = [['email', 'nobody@example.org'], ['phone', '+4930999999'], ['email', 'person.1@example.org.uk']];

let proc, lines, dir, info;
async function ask(q) {
  proc.stdin.write(JSON.stringify(q) + '\n');
  const { value } = await lines.next();
  const a = JSON.parse(value);
  if (a.error) throw new Error(`oracle: ${a.error}`);
  return a;
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'selfcheck-oracle-'));
  writeFileSync(join(dir, 'values.json'), JSON.stringify(values));
  proc = spawn(oracle, [join(dir, 'values.json'), join(dir, 'info.json'), '3'], { stdio: ['pipe', 'pipe', 'inherit'] });
  lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  assert.equal((await lines.next()).value, 'ready');
  info = JSON.parse(readFileSync(join(dir, 'info.json'), 'utf8'));
});

after(() => {
  if (proc) proc.stdin.end();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function expected(v) {
  const d = v.disclosure;
  return { found: true, lines: d.lines, fields: FIELDS.filter((f) => d.fields.includes(f)), matched_company_records: d.matched_company_records };
}

test('the claim info parses and uses buckets', { skip }, () => {
  const i = claim.parseInfo({ ...info, extra: 'ignored' });
  assert.ok(i.bucketBits >= 1, `bucket bits ${i.bucketBits}`);
});

test('values in the claim are found with their disclosure, binary and JSON answers', { skip }, async () => {
  for (const v of values) {
    for (const form of ['binary', 'json']) {
      const q = claim.newQuery(v.kind, v.value, info.bucket_bits);
      const a = await ask({ bucket: q.bucket, blinded: toBase64(q.blinded) });
      const answer = form === 'binary' ? fromBase64(a.binary) : a.json;
      assert.deepEqual(q.finish(info, answer), expected(v), `${v.value} (${form})`);
    }
  }
});

test('values outside the claim are verified not found', { skip }, async () => {
  for (const [kind, value] of outside) {
    const q = claim.newQuery(kind, value, info.bucket_bits);
    const a = await ask({ bucket: q.bucket, blinded: toBase64(q.blinded) });
    assert.equal(q.finish(info, fromBase64(a.binary)), null, value);
  }
  // The same canonical bytes under the other kind are another value.
  const q = claim.newQuery('phone', values[0].value, info.bucket_bits);
  const a = await ask({ bucket: q.bucket, blinded: toBase64(q.blinded) });
  assert.equal(q.finish(info, fromBase64(a.binary)), null);
});

test("tags and seals derive from Rust's OPRF output as the publisher's", { skip }, async () => {
  const i = claim.parseInfo(info);
  for (const v of values.slice(0, 6)) {
    const o = await ask({ output: { kind: v.kind, value: v.value } });
    assert.equal(o.bucket, claim.bucketOf(v.kind, utf8(v.value), info.bucket_bits));
    const q = claim.newQuery(v.kind, v.value, info.bucket_bits);
    const entries = claim.parseBinaryAnswer(fromBase64((await ask({ bucket: o.bucket, blinded: toBase64(q.blinded) })).binary)).entries;
    const output = fromHex(o.output, 64);
    const t = claim.tag(i.salt, output);
    const e = entries.find((x) => Buffer.compare(Buffer.from(x.tag), Buffer.from(t)) === 0);
    assert.ok(e, `${v.value}: its tag is in its bucket`);
    const { found, ...d } = expected(v);
    assert.deepEqual(claim.open(i.salt, output, e.tag, e.sealed), d);
  }
});

test('tampered answers throw, never "not found"', { skip }, async () => {
  const v = values[3];
  const fresh = async () => {
    const q = claim.newQuery(v.kind, v.value, info.bucket_bits);
    const a = await ask({ bucket: q.bucket, blinded: toBase64(q.blinded) });
    return { q, bin: fromBase64(a.binary), json: a.json };
  };
  for (const byte of [32, 50, 95]) {
    const { q, bin } = await fresh();
    bin[byte] ^= 1; // the proof
    assert.throws(() => q.finish(info, bin), claim.VerificationError);
  }
  {
    const { q, bin } = await fresh();
    bin[5] ^= 1; // the evaluated element
    assert.throws(() => q.finish(info, bin));
  }
  {
    const { q, json } = await fresh();
    json.entries = json.entries.slice(1); // an entry dropped
    assert.throws(() => q.finish(info, json), claim.VerificationError);
  }
  {
    const { q, json } = await fresh();
    const e = fromBase64(json.entries[0]);
    e[20] ^= 1; // an entry altered
    json.entries[0] = toBase64(e);
    assert.throws(() => q.finish(info, json), claim.VerificationError);
  }
  {
    const { q, bin } = await fresh();
    const other = ristretto255.Point.BASE.multiply(12345n).toBytes();
    const wrongKey = { ...info, public_key: Buffer.from(other).toString('hex') };
    assert.throws(() => q.finish(wrongKey, bin), claim.VerificationError);
  }
  {
    const { q, bin } = await fresh();
    const wrongRoot = { ...info, entries_root: '00'.repeat(32) };
    assert.throws(() => q.finish(wrongRoot, bin), claim.VerificationError);
  }
  {
    // An answer for another value's blinded element (a replayed answer).
    const { q } = await fresh();
    const other = claim.newQuery(v.kind, v.value, info.bucket_bits);
    const a = await ask({ bucket: other.bucket, blinded: toBase64(other.blinded) });
    assert.throws(() => q.finish(info, fromBase64(a.binary)), claim.VerificationError);
  }
  {
    const { q, bin } = await fresh();
    assert.throws(() => q.finish({ ...info, bucket_bits: info.bucket_bits + 1 }, bin), /bucket bits/);
  }
});
