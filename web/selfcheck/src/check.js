// One self-check over HTTP: canonicalize, GET the claim's info, POST the bucket and the
// blinded element (never the value), finish. The wire format is the server's
// (crates/breachcheck-selfcheck/README.md and web/selfcheck/README.md).
import { canonicalEmail } from './email.js';
import { canonicalPhone } from './phone.js';
import { newQuery, parseInfo } from './claim.js';
import { toBase64 } from './bytes.js';

/** An error answer of the server ({error, message}, 4xx/5xx); `retryAfter` from a 429. */
export class ServerError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message || `the server answered ${status}`);
    this.name = 'ServerError';
    this.status = status;
    this.code = code || null;
    this.retryAfter = retryAfter || null;
  }
}

/** Thrown when the typed value is not an e-mail address or phone number. */
export class InputError extends Error {
  constructor(message) {
    super(message);
    this.name = 'InputError';
  }
}

async function failure(res) {
  let code = null;
  let message = null;
  try {
    const j = await res.json();
    if (j && typeof j === 'object') {
      code = typeof j.error === 'string' ? j.error : null;
      message = typeof j.message === 'string' ? j.message : null;
    }
  } catch {
    // not JSON: keep the status
  }
  return new ServerError(res.status, code, message, res.headers.get('Retry-After'));
}

/**
 * check({kind, value, region, infoUrl, checkUrl, fetch?}) → null (verified not found) or
 * {found: true, lines, fields, matched_company_records}. Throws InputError, ServerError,
 * VerificationError or MalformedError.
 */
export async function check({ kind, value, region = null, infoUrl, checkUrl, fetch: f = globalThis.fetch }) {
  let canonical;
  if (kind === 'email') canonical = canonicalEmail(value);
  else if (kind === 'phone') canonical = canonicalPhone(value, region || null);
  else throw new InputError("kind is 'email' or 'phone'");
  if (canonical === null) {
    throw new InputError(kind === 'email' ? 'This is not an e-mail address.' : 'This is not a phone number (for a national number, choose its country).');
  }
  const infoRes = await f(infoUrl, { method: 'GET', headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
  if (!infoRes.ok) throw await failure(infoRes);
  const info = parseInfo(await infoRes.json());
  const query = newQuery(kind, canonical, info.bucketBits);
  const res = await f(checkUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/octet-stream' },
    credentials: 'same-origin',
    cache: 'no-store',
    body: JSON.stringify({ bucket: query.bucket, blinded: toBase64(query.blinded) }),
  });
  if (!res.ok) throw await failure(res);
  const type = (res.headers.get('Content-Type') || '').toLowerCase();
  const answer = type.startsWith('application/json') ? await res.json() : new Uint8Array(await res.arrayBuffer());
  return query.finish(info, answer);
}
