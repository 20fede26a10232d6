// RFC 9497 client, mode VOPRF (0x01), suite ristretto255-SHA512: Blind and Finalize with
// the DLEQ proof check (§3.3.2, §2.2 VerifyProof / ComputeComposites for one element).
// Group arithmetic, hash-to-group (RFC 9380 / RFC 9496 hash_to_ristretto255 with
// expand_message_xmd SHA-512) and hash-to-scalar come from @noble/curves; only the
// protocol steps are written here, after the RFC's pseudocode.
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { concat, equalBytes, i2osp, utf8 } from './bytes.js';

const Point = ristretto255.Point;
const Fn = Point.Fn;
const ORDER = Fn.ORDER;

/** "OPRFV1-" ‖ I2OSP(mode, 1) ‖ "-" ‖ identifier. */
export const CONTEXT = concat(utf8('OPRFV1-'), new Uint8Array([0x01]), utf8('-ristretto255-SHA512'));
const DST_GROUP = concat(utf8('HashToGroup-'), CONTEXT);
const DST_SCALAR = concat(utf8('HashToScalar-'), CONTEXT);
const SEED_DST = concat(utf8('Seed-'), CONTEXT);

export const ELEMENT_LEN = 32;
export const SCALAR_LEN = 32;
export const PROOF_LEN = 64;

function lenPrefixed(b) {
  return concat(i2osp(b.length, 2), b);
}

function hashToGroup(input) {
  return ristretto255_hasher.hashToCurve(input, { DST: DST_GROUP });
}

function hashToScalar(msg) {
  return ristretto255_hasher.hashToScalar(msg, { DST: DST_SCALAR });
}

function leToNumber(b) {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]);
  return n;
}

function numberToLe(n, len) {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

/** DeserializeScalar: 32 bytes little-endian, canonical (< order) and, as the `voprf`
 * crate requires, non-zero. */
export function deserializeScalar(b) {
  if (b.length !== SCALAR_LEN) throw new Error('a scalar is 32 bytes');
  const n = leToNumber(b);
  if (n === 0n || n >= ORDER) throw new Error('not a canonical non-zero scalar');
  return n;
}

export function serializeScalar(n) {
  return numberToLe(n, SCALAR_LEN);
}

/** DeserializeElement: a canonical ristretto255 encoding, not the identity. */
export function deserializeElement(b) {
  if (!(b instanceof Uint8Array) || b.length !== ELEMENT_LEN) throw new Error('an element is 32 bytes');
  const p = Point.fromBytes(b); // throws on a non-canonical encoding
  if (p.equals(Point.ZERO)) throw new Error('the identity element');
  return p;
}

/** A uniformly random non-zero scalar (64 random bytes reduced mod the order). */
export function randomScalar() {
  for (;;) {
    const b = new Uint8Array(64);
    crypto.getRandomValues(b);
    const n = leToNumber(b) % ORDER;
    if (n !== 0n) return n;
  }
}

/** Blind(input) with a given blind scalar (tests) or a random one. */
export function blind(input, blindScalar = randomScalar()) {
  const inputElement = hashToGroup(input);
  if (inputElement.equals(Point.ZERO)) throw new Error('InvalidInputError');
  const blinded = inputElement.multiply(blindScalar);
  return { blind: blindScalar, blindedElement: blinded, blinded: blinded.toBytes() };
}

/** ComputeComposites(B, C, D) for one element each of C and D (the client's side: no key). */
function computeComposites(B, C, D) {
  const Bm = B.toBytes();
  const seed = sha512(concat(lenPrefixed(Bm), lenPrefixed(SEED_DST)));
  const Ci = C.toBytes();
  const Di = D.toBytes();
  const transcript = concat(lenPrefixed(seed), i2osp(0, 2), lenPrefixed(Ci), lenPrefixed(Di), utf8('Composite'));
  const di = hashToScalar(transcript);
  if (di === 0n) throw new Error('zero composite scalar');
  return { M: C.multiply(di), Z: D.multiply(di) };
}

/** VerifyProof(G, pkS, [blinded], [evaluated], proof). */
function verifyProof(pk, blindedElement, evaluatedElement, proof) {
  if (proof.length !== PROOF_LEN) throw new Error('a proof is 64 bytes');
  const c = deserializeScalar(proof.subarray(0, SCALAR_LEN));
  const s = deserializeScalar(proof.subarray(SCALAR_LEN));
  const { M, Z } = computeComposites(pk, blindedElement, evaluatedElement);
  const t2 = Point.BASE.multiply(s).add(pk.multiply(c));
  const t3 = M.multiply(s).add(Z.multiply(c));
  const transcript = concat(
    lenPrefixed(pk.toBytes()),
    lenPrefixed(M.toBytes()),
    lenPrefixed(Z.toBytes()),
    lenPrefixed(t2.toBytes()),
    lenPrefixed(t3.toBytes()),
    utf8('Challenge'),
  );
  const expected = hashToScalar(transcript);
  return equalBytes(serializeScalar(expected), serializeScalar(c));
}

/**
 * Finalize(input, blind, evaluatedElement, blindedElement, pkS, proof): the 64-byte OPRF
 * output. Throws when the proof does not verify (VerifyError) or bytes are malformed.
 */
export function finalize(input, state, evaluatedBytes, proofBytes, publicKeyBytes) {
  const evaluated = deserializeElement(evaluatedBytes);
  const pk = deserializeElement(publicKeyBytes);
  if (!verifyProof(pk, state.blindedElement, evaluated, proofBytes)) {
    throw new Error('VerifyError: the evaluation proof does not verify under the public key');
  }
  const inv = Fn.inv(state.blind);
  const unblinded = evaluated.multiply(inv).toBytes();
  return sha512(concat(lenPrefixed(input), lenPrefixed(unblinded), utf8('Finalize')));
}
