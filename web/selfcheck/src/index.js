// breachcheck self-check, browser side. Bundled (esbuild, IIFE) into
// crates/breachcheck-server/assets/selfcheck.js as the global `BreachcheckSelfcheck`.
import { canonicalEmail } from './email.js';
import { canonicalPhone } from './phone.js';
import { newQuery, parseInfo, parseAnswer, parseBinaryAnswer, parseJsonAnswer, decodeDisclosure, verifyPath, bucketOf, tag, FIELD_KINDS, VerificationError, MalformedError } from './claim.js';
import { check, ServerError } from './check.js';
import { attach } from './page.js';

export {
  canonicalEmail,
  canonicalPhone,
  newQuery,
  check,
  attach,
  parseInfo,
  parseAnswer,
  parseBinaryAnswer,
  parseJsonAnswer,
  decodeDisclosure,
  verifyPath,
  bucketOf,
  tag,
  FIELD_KINDS,
  VerificationError,
  MalformedError,
  ServerError,
};

if (typeof document !== 'undefined') {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => attach());
  else attach();
}
