// `npm run package`: the agent as one executable per platform (Node's single executable application:
// the agent bundled into one CommonJS script, injected into the target's own Node binary with
// postject) and a Debian package of the linux ones.
//
//   node packaging/package.mjs [--out DIR] [--targets linux-x64,linux-arm64,win-x64] [--no-deb] [--code-cache] [--deb-compression xz|gzip]
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
 * The bundle's node flags (agent/build.mjs NODE_FLAGS) cannot be given to a single executable on its
 * command line. Set from inside, as the main script's first statement: `--lite-mode` (no optimizing
 * compiler, lazy feedback: measured by bench:package, RSS under load 96.5 → 75.9 MiB, CPU per probe
 * unchanged). Set this late it leaves WebAssembly exposed, and a wasm compile (the `long` package
 * probes for it in a try) would then abort the process on a V8 check, so WebAssembly is removed as
 * the bundle's --no-expose-wasm does; nothing the agent loads needs it. The semi-space size is fixed
 * when the heap is made: it comes from NODE_OPTIONS=--max-semi-space-size=1, which the .deb's unit
 * and the Windows service's environment set (about 3 MiB less under load).
 */
export const RUNTIME_V8_FLAGS = ['--lite-mode'];
/** What the .deb's unit and the Windows service put in NODE_OPTIONS. */
export const SERVICE_NODE_OPTIONS = '--max-semi-space-size=1';

/** Same stand-in as agent/build.mjs: tedious's Azure AD login stack, never used (SQL logins only). */
const withoutAzureIdentity = {
  name: 'without-azure-identity',
  setup(b) {
    b.onResolve({ filter: /^@azure\/identity$/ }, () => ({ path: 'azure-identity', namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

/**
 * The database and SNMP drivers the probes import lazily: each becomes its own CommonJS file, carried
 * as an asset and compiled on first `require`. Inside the one main script they cost ~20 MiB of RSS
 * unused (their source and V8's pre-parse of it; measured with bench:package); outside a single
 * executable the same files load from lib/ beside the bundle.
 */
export const LAZY_MODULES = ['pg', 'mysql2', 'tedious', 'oracledb', 'mongodb', 'net-snmp'];

/** The main script's `require`: built-ins as before, the lazy drivers from their own files. */
const LAZY_REQUIRE = `require = (function (builtin, names) {
  var loaded = {};
  return function lazyRequire(id) {
    if (names.indexOf(id) < 0) return builtin(id);
    if (loaded[id]) return loaded[id].exports;
    var file = "lib/" + id + ".cjs";
    var sea = builtin("node:sea");
    var src = sea.isSea() ? Buffer.from(sea.getAsset(file)).toString("utf8") : builtin("node:fs").readFileSync(builtin("node:path").join(__dirname, file), "utf8");
    var m = { exports: {} };
    loaded[id] = m;
    builtin("node:vm").compileFunction(src, ["exports", "require", "module", "__filename", "__dirname"], { filename: file }).call(m.exports, m.exports, lazyRequire, m, file, ".");
    return m.exports;
  };
})(require, ${JSON.stringify(LAZY_MODULES)});`;

/**
 * esbuild keeps `import('pg')` of an external as a real dynamic import, which a single executable
 * cannot serve: each lazy driver is imported through a small CommonJS module that `require`s it.
 */
const lazyDrivers = {
  name: 'lazy-drivers',
  setup(b) {
    const filter = new RegExp(`^(${LAZY_MODULES.join('|')})$`);
    b.onResolve({ filter }, (args) => (args.namespace === 'lazy-driver' ? { path: args.path, external: true } : { path: args.path, namespace: 'lazy-driver' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-driver' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

/** Each lazy driver as one CommonJS file in `dir`; returns asset name → path. */
async function bundleLazy(dir) {
  const assets = {};
  for (const name of LAZY_MODULES) {
    const outfile = join(dir, 'lib', `${name}.cjs`);
    await build({
      plugins: [withoutAzureIdentity],
      stdin: { contents: `module.exports = require(${JSON.stringify(name)});`, resolveDir: ROOT, loader: 'js' },
      outfile,
      bundle: true,
      minify: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      logLevel: 'error',
      external: ['snappy'],
    });
    assets[`lib/${name}.cjs`] = outfile;
  }
  return assets;
}

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
    plugins: [withoutAzureIdentity, zodEnglishOnly, lazyDrivers],
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
        'delete globalThis.WebAssembly;',
        'var __cwImportMetaUrl = require("node:url").pathToFileURL(typeof __filename === "string" ? __filename : process.execPath).href;',
        LAZY_REQUIRE,
      ].join('\n'),
    },
  });
}

/**
 * The preparation blob for one target. No code cache by default: V8 rejects one made under other
 * flags than the run's (the service's NODE_OPTIONS differs from a hand run, so one of the two would
 * print "Code cache data rejected" at every start), and it saves only ~20 ms of start-up
 * (bench:package). On request (`--code-cache`) it is made for the host's own platform, with the exact
 * Node version the target binary has and the service's NODE_OPTIONS.
 */
function seaBlob(target, main, lazy, work, codeCache) {
  const blob = join(work, `${target}.blob`);
  const config = join(work, `${target}.sea.json`);
  const hostTarget = `${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;
  const useCodeCache = codeCache && target === hostTarget;
  writeFileSync(
    config,
    JSON.stringify(
      { main, output: blob, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache, assets: { ...addonAssets(target), ...lazy } },
      null,
      2,
    ),
  );
  // The blob's format belongs to the Node version that reads it: made by the pinned Node itself.
  const generator = process.version === `v${NODE_VERSION}` ? process.execPath : nodeBinary(hostTarget);
  execFileSync(generator, ['--experimental-sea-config', config], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, NODE_OPTIONS: SERVICE_NODE_OPTIONS },
  });
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
  codeCache = false,
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
  const lazy = await bundleLazy(out);
  const written = { bundle: main, lazy, executables: {}, debs: {} };
  for (const target of targets) {
    const { blob, useCodeCache } = seaBlob(target, main, lazy, work, codeCache);
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
      'code-cache': { type: 'boolean', default: false },
      'deb-compression': { type: 'string', default: 'xz' },
    },
  });
  await packageAgent({
    out: values.out,
    targets: values.targets ? values.targets.split(',') : TARGETS,
    deb: !values['no-deb'],
    codeCache: values['code-cache'],
    debCompression: values['deb-compression'],
  });
}
