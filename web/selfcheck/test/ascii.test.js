// ASCII forms as breachcheck-normalize's `ascii_forms` writes them (text.rs), and the
// canonical forms that read them where the text as written reads as nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asciiForms, orAsciiForms } from '../src/ascii.js';
import { canonicalEmail } from '../src/email.js';
import { canonicalPhone } from '../src/phone.js';

test('digits of every script, full-width forms and dashes read as ASCII', () => {
  assert.equal(asciiForms('０３－１２３４－５６７８'), '03-1234-5678');
  assert.equal(asciiForms('٠١٢٣٤٥٦٧٨٩'), '0123456789'); // Arabic-Indic
  assert.equal(asciiForms('۰۱۲۳۴۵۶۷۸۹'), '0123456789'); // Extended Arabic-Indic
  assert.equal(asciiForms('०१२३४५६७८९'), '0123456789'); // Devanagari
  // Mathematical digits: five runs of ten side by side.
  assert.equal(asciiForms('\u{1D7CE}\u{1D7D7}\u{1D7D8}\u{1D7FF}'), '0909');
  assert.equal(asciiForms('ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ'), 'taro@example.com');
  assert.equal(asciiForms('０３ー１２‐３４−５'), '03-12-34-5');
  assert.equal(asciiForms('電話\u3000０３'), '電話 03');
  assert.equal(asciiForms('Ⅷ ½ é 山'), 'Ⅷ ½ é 山');
});

test('only where the text as written reads as nothing', () => {
  const seen = [];
  const read = (s) => {
    seen.push(s);
    return /^x+$/.test(s) ? 'read' : null;
  };
  assert.equal(orAsciiForms('x', read), 'read');
  assert.equal(orAsciiForms('abc', read), null); // ASCII: no second reading
  assert.equal(orAsciiForms('ｘ', read), 'read');
  assert.deepEqual(seen, ['x', 'abc', 'ｘ', 'x']);
  // Longer than any value (1,024 bytes): not read again; 300 bytes are.
  assert.equal(orAsciiForms('ｘ'.repeat(400), read), null);
  assert.equal(orAsciiForms('ｘ'.repeat(100), read), 'read');
});

test('canonical e-mail and phone read full-width and other scripts', () => {
  assert.equal(canonicalEmail('ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ'), 'taro@example.com');
  assert.equal(canonicalPhone('０３ー１２３４ー５６７８', 'JP'), '+81312345678');
  assert.equal(canonicalPhone('٠١٠٠ ١٢٣ ٤٥٦٧', 'EG'), canonicalPhone('0100 123 4567', 'EG'));
  assert.notEqual(canonicalPhone('0100 123 4567', 'EG'), null);
});
