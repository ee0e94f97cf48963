// Bundles the province server into one file: dist/centerwatch-server.mjs (the bin).
// `node server/build.mjs --outdir DIR` writes it elsewhere (the bundle test builds into a scratch dir;
// DIR must lie inside this repository so that `snappy` resolves from its node_modules).
// Unlike the agent, the server's hot path (decoding remote_write) wants the optimizing compiler,
// so it runs on plain node without the agent's memory flags.
import { build } from 'esbuild';
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { zodEnglishOnly } from '../common/build-plugins.mjs';

const { values } = parseArgs({ options: { outdir: { type: 'string' } } });
const outdir = values.outdir ? resolve(values.outdir) : new URL('../dist', import.meta.url).pathname;
const outfile = `${outdir}/centerwatch-server.mjs`;
mkdirSync(outdir, { recursive: true });

await build({
  entryPoints: [new URL('./cli.ts', import.meta.url).pathname],
  outfile,
  plugins: [zodEnglishOnly],
  bundle: true,
  // Native addons, loaded from node_modules at run time (snappy lazily, better-sqlite3 for the store).
  external: ['snappy', 'better-sqlite3'],
  minify: true,
  sourcemap: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  // The national list rides inside the bundle (server/fleet/national-list.ts): `centers import` finds it
  // from any working directory, with nothing to ship beside the file.
  define: {
    __CENTERWATCH_NATIONAL_LIST__: JSON.stringify(readFileSync(new URL('../common/data/vn-divisions-2025.csv', import.meta.url), 'utf8')),
  },
  banner: {
    // prom-client, express and yaml are CommonJS: give the ESM bundle a `require` for them.
    js: `#!/usr/bin/env node\nimport { createRequire } from 'node:module'; const require = createRequire(import.meta.url);`,
  },
});
chmodSync(outfile, 0o755);
