// Bundles the agent into one file, dist/centerwatch-agent.mjs (the `centerwatch-agent` bin); server/build.mjs does the server.
// One minified file loads fewer modules and less source than dist/ of tsc: about 7 MiB less RSS.
// The node flags in its first line trade nothing we use (the agent's JavaScript is never hot)
// for memory: --lite-mode skips the optimizing compiler, a small semi-space keeps the young
// generation small. Measured with `npm run bench:agent` (bench/README.md).
import { build } from 'esbuild';
import { chmodSync, rmSync } from 'node:fs';
import { zodEnglishOnly } from '../common/build-plugins.mjs';

// --no-expose-wasm: lite mode turns WebAssembly off anyway, and says so on stderr unless told first.
export const NODE_FLAGS = ['--no-expose-wasm', '--lite-mode', '--max-semi-space-size=1'];
const outdir = new URL('../dist', import.meta.url).pathname;
const outfile = `${outdir}/centerwatch-agent.mjs`;

/**
 * tedious (mssql) loads @azure/identity and MSAL for Azure AD logins, ~6 MiB we never use: the
 * mssql probe does SQL logins only. An empty module stands in; an Azure login would fail loudly.
 */
const withoutAzureIdentity = {
  name: 'without-azure-identity',
  setup(b) {
    b.onResolve({ filter: /^@azure\/identity$/ }, () => ({ path: 'azure-identity', namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

// Chunk names carry content hashes: start from an empty chunks folder so no stale chunk ships. Only
// the agent's own files go: dist/ also holds the server's bundle and npm run package's output.
rmSync(`${outdir}/chunks`, { recursive: true, force: true });
for (const f of [outfile, `${outfile}.map`]) rmSync(f, { force: true });

await build({
  plugins: [withoutAzureIdentity, zodEnglishOnly],
  // Database drivers are imported lazily by their probes: splitting puts each in a chunk that
  // loads only when a check of that kind exists, so an agent without them pays no memory.
  entryPoints: { 'centerwatch-agent': new URL('./cli.ts', import.meta.url).pathname },
  outdir,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  // A native addon: loaded from node_modules at run time.
  external: ['snappy'],
  minify: true,
  sourcemap: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  banner: {
    // prom-client and yaml are CommonJS: give the ESM bundle a `require` for them.
    js: `#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}\nimport { createRequire } from 'node:module'; const require = createRequire(import.meta.url);`,
  },
});
chmodSync(outfile, 0o755);
