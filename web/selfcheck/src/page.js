// The page glue: attaches to <form id="selfcheck" data-info-url data-check-url> when the
// page has one. The form is never submitted (the value must not leave the browser in the
// clear); the result is written as text into <output id="selfcheck-result">.
import { check } from './check.js';

const FIELD_NAMES = {
  email: 'e-mail address',
  phone: 'phone number',
  name: 'name',
  address: 'address',
  postal_code: 'postal code',
  city: 'city',
  region: 'region',
  country: 'country',
  date_of_birth: 'date of birth',
  username: 'username',
  customer_id: 'customer ID',
  order_id: 'order ID',
  national_id: 'national ID',
  password_hash: 'password hash',
};

/** The text shown for a result (null: not found). */
export function describe(result) {
  if (result === null) return 'Not found in this sample.';
  const lines = result.lines === 1 ? '1 line' : `${result.lines} lines`;
  const fields = result.fields.length ? result.fields.map((f) => FIELD_NAMES[f] || f).join(', ') : 'nothing else';
  const matched = result.matched_company_records === true ? 'yes' : result.matched_company_records === false ? 'no' : 'unknown';
  return `Found in ${lines}; they carry: ${fields}; matched our records: ${matched}.`;
}

/** The text shown for an error. */
export function describeError(e) {
  const name = e && e.name;
  if (name === 'InputError') return e.message;
  if (name === 'ServerError') {
    if (e.status === 429) {
      const wait = e.retryAfter ? ` Try again in ${e.retryAfter} seconds.` : ' Try again later.';
      return `Too many checks from here.${wait}`;
    }
    return `The server refused the check (${e.status}${e.message ? ': ' + e.message : ''}).`;
  }
  if (name === 'VerificationError' || name === 'MalformedError') {
    return `The server's answer failed a check, so it cannot be trusted either way: ${e.message}.`;
  }
  return 'The check could not be completed (network or browser error).';
}

/** Attaches to the page's form, if any. Returns whether it did. */
export function attach(doc = globalThis.document) {
  const form = doc && doc.getElementById('selfcheck');
  if (!form || form.tagName !== 'FORM' || form.dataset.selfcheckAttached) return false;
  form.dataset.selfcheckAttached = '1';
  const out = doc.getElementById('selfcheck-result');
  const show = (text, state) => {
    if (!out) return;
    out.textContent = text;
    out.dataset.state = state;
  };
  const country = form.querySelector('#country, select[name=country]');
  const kindSel = form.querySelector('#kind, select[name=kind]');
  const sync = () => {
    if (country && kindSel) country.disabled = kindSel.value !== 'phone';
  };
  if (kindSel) kindSel.addEventListener('change', sync);
  sync();
  let busy = false;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    ev.stopPropagation();
    if (busy) return;
    busy = true;
    const button = form.querySelector('[type=submit]');
    if (button) button.disabled = true;
    show('Checking…', 'busy');
    try {
      const input = form.querySelector('#value, input[name=value]');
      const result = await check({
        kind: kindSel ? kindSel.value : 'email',
        value: input ? input.value : '',
        region: country && !country.disabled && country.value ? country.value : null,
        infoUrl: form.dataset.infoUrl,
        checkUrl: form.dataset.checkUrl,
      });
      show(describe(result), result ? 'found' : 'not-found');
    } catch (e) {
      show(describeError(e), 'error');
    } finally {
      busy = false;
      if (button) button.disabled = false;
    }
  });
  return true;
}
