// `npm run package`: the agent as one executable per platform (Node's single executable application:
// the agent bundled into one CommonJS script, injected into the target's own Node binary with
// postject) and a Debian package of the linux ones.
//
//   node packaging/package.mjs [--out DIR] [--targets linux-x64,linux-arm64,win-x64] [--no-deb] [--no-code-cache] [--deb-compression xz|gzip]
//
// Output (default dist/package/): centerwatch-agent-<target>[.exe], centerwatch-agent_<version>_<arch>.deb,
// and centerwatch-agent.cjs, the bundle they run (runnable with plain node too).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import postject from 'postject';
import { zodEnglishOnly } from '../common/build-plugins.mjs';
import { addonAssets } from './addons.mjs';
import { buildDeb } from './deb.mjs';
import { NODE_VERSION, nodeBinary } from './node-bin.mjs';

const ROOT = new URL('../', import.meta.url).pathname;
export const TARGETS = ['linux-x64', 'linux-arm64', 'win-x64'];
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/**
 * The node flags of the bundle's first line (agent/build.mjs NODE_FLAGS), which a single executable
 * cannot be given on its command line: set first thing through V8. `--lite-mode` takes effect for
 * code compiled after it (all of the agent's); the semi-space size is fixed when the heap is made,
 * before any script runs, so `--max-semi-space-size` is not among them (bench/README.md: measured).
 */
export const RUNTIME_V8_FLAGS = ['--no-expose-wasm', '--lite-mode'];

/** Same stand-in as agent/build.mjs: tedious's Azure AD login stack, never used (SQL logins only). */
const withoutAzureIdentity = {
  name: 'without-azure-identity',
  setup(b) {
    b.onResolve({ filter: /^@azure\/identity$/ }, () => ({ path: 'azure-identity', namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

export function packageVersion() {
  return JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
}

/**
 * agent/cli.ts as one CommonJS file: a single executable's main script is CommonJS, and its `require`
 * loads built-in modules only, so everything else is inside. Lazily imported drivers stay lazy
 * (esbuild turns `import()` into a module initialised on first call).
 */
export async function bundle(outfile) {
  await build({
    plugins: [withoutAzureIdentity, zodEnglishOnly],
    entryPoints: [join(ROOT, 'agent/cli.ts')],
    outfile,
    bundle: true,
    // mongodb's optional snappy compression requires it in a try: left out, that driver goes without it
    // (the agent's own snappy comes through common/native.ts).
    external: ['snappy'],
    minify: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
    define: {
      // common/version.ts: there is no package.json beside a single executable.
      CENTERWATCH_VERSION: JSON.stringify(packageVersion()),
      // The ESM sources' import.meta.url (common/native.ts outside a single executable).
      'import.meta.url': '__cwImportMetaUrl',
    },
    banner: {
      js: [
        '"use strict";',
        `require("node:v8").setFlagsFromString(${JSON.stringify(RUNTIME_V8_FLAGS.join(' '))});`,
        'var __cwImportMetaUrl = require("node:url").pathToFileURL(typeof __filename === "string" ? __filename : process.execPath).href;',
      ].join('\n'),
    },
  });
}

/**
 * The preparation blob for one target. A code cache is V8-version and CPU specific: made only for the
 * host's own platform with the exact Node version the target binary has.
 */
function seaBlob(target, main, work, codeCache) {
  const blob = join(work, `${target}.blob`);
  const config = join(work, `${target}.sea.json`);
  const hostTarget = `${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;
  const useCodeCache = codeCache && target === hostTarget;
  writeFileSync(
    config,
    JSON.stringify({ main, output: blob, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache, assets: addonAssets(target) }, null, 2),
  );
  // The blob's format belongs to the Node version that reads it: made by the pinned Node itself.
  const generator = process.version === `v${NODE_VERSION}` ? process.execPath : nodeBinary(hostTarget);
  execFileSync(generator, ['--experimental-sea-config', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  return { blob, useCodeCache };
}

export function executableName(target) {
  return `centerwatch-agent-${target}${target.startsWith('win') ? '.exe' : ''}`;
}

/** Builds the executables (and .debs) into `out`; returns what it wrote. */
export async function packageAgent({
  out = join(ROOT, 'dist/package'),
  targets = TARGETS,
  deb = true,
  codeCache = true,
  debCompression = 'xz',
  log = console.log,
} = {}) {
  out = resolve(out);
  mkdirSync(out, { recursive: true });
  const work = join(out, '.work');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const main = join(out, 'centerwatch-agent.cjs');
  await bundle(main);
  const written = { bundle: main, executables: {}, debs: {} };
  for (const target of targets) {
    const { blob, useCodeCache } = seaBlob(target, main, work, codeCache);
    const exe = join(out, executableName(target));
    rmSync(exe, { force: true });
    copyFileSync(nodeBinary(target), exe);
    chmodSync(exe, 0o755);
    // The Windows binary's Authenticode signature (Node's) no longer matches once the blob is in:
    // Windows treats it as unsigned. Sign it again for distribution beyond a test lane.
    await postject.inject(exe, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SEA_FUSE, machoSegmentName: undefined, overwrite: true });
    written.executables[target] = exe;
    log(`${exe} (${useCodeCache ? 'with' : 'without'} code cache)`);
    if (deb && target.startsWith('linux-')) {
      written.debs[target] = buildDeb({ exe, target, version: packageVersion(), out, work, compression: debCompression });
      log(written.debs[target]);
    }
  }
  rmSync(work, { recursive: true, force: true });
  return written;
}

if (process.argv[1] && new URL(import.meta.url).pathname === resolve(process.argv[1])) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      targets: { type: 'string' },
      'no-deb': { type: 'boolean', default: false },
      'no-code-cache': { type: 'boolean', default: false },
      'deb-compression': { type: 'string', default: 'xz' },
    },
  });
  await packageAgent({
    out: values.out,
    targets: values.targets ? values.targets.split(',') : TARGETS,
    deb: !values['no-deb'],
    codeCache: !values['no-code-cache'],
    debCompression: values['deb-compression'],
  });
}
