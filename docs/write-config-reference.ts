/**
 * `npm run docs:config`: regenerates docs/configuration.md from the config schemas.
 * `--check` writes nothing and exits 1 when the committed file differs (the test does the same).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { configurationReference } from './configuration-md.js';

const out = new URL('./configuration.md', import.meta.url);
const text = configurationReference();
if (process.argv.includes('--check')) {
  const current = readFileSync(out, 'utf8');
  if (current !== text) {
    process.stderr.write('docs/configuration.md is out of date: run `npm run docs:config`\n');
    process.exit(1);
  }
} else {
  writeFileSync(out, text);
  process.stdout.write(`wrote ${out.pathname}\n`);
}
