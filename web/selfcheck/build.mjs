// Builds the one-file bundle the Rust server serves:
//   node build.mjs          writes crates/breachcheck-server/assets/selfcheck.js
//   node build.mjs --check  rebuilds in memory and fails unless it equals the committed file
import { build } from 'esbuild';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(here, '../../crates/breachcheck-server/assets/selfcheck.js');
const check = process.argv.includes('--check');

const result = await build({
  entryPoints: [resolve(here, 'src/index.js')],
  bundle: true,
  format: 'iife',
  globalName: 'BreachcheckSelfcheck',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  legalComments: 'eof',
  charset: 'utf8',
  write: false,
  logLevel: 'warning',
  banner: { js: '/* breachcheck self-check client; built from web/selfcheck (npm run build), do not edit */' },
});
const code = result.outputFiles[0].contents;
const size = `${code.length} bytes, ${gzipSync(code, { level: 9 }).length} gzipped`;
if (check) {
  let committed;
  try {
    committed = readFileSync(out);
  } catch {
    console.error(`${out} is missing: run npm run build in web/selfcheck and commit it`);
    process.exit(1);
  }
  if (Buffer.compare(Buffer.from(code), committed) !== 0) {
    console.error(`${out} differs from a fresh build (${size}): run npm run build in web/selfcheck and commit it`);
    process.exit(1);
  }
  console.log(`bundle is up to date (${size})`);
} else {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, code);
  console.log(`wrote ${out} (${size})`);
}
