// The native add-ons the packaged agent embeds, per target: each is a file of an optional platform
// package that package-lock.json records with its integrity. The host's own platform package is in
// node_modules (npm ci verified it); the others are fetched with `npm pack` into .cache/addons/ and
// checked against the lock's integrity before use.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_DIR } from './node-bin.mjs';

const ROOT = new URL('../', import.meta.url).pathname;

/**
 * Each target's add-ons: asset name (what common/native-sea.ts asks `node:sea` for) → the platform
 * package and the `.node` file inside it. snappy's binding exports compressSync/uncompressSync
 * itself; koffi's JS wrapper only adds deprecated aliases to what its binding exports.
 */
export const ADDONS = {
  'linux-x64': {
    snappy: { pkg: '@napi-rs/snappy-linux-x64-gnu', file: 'snappy.linux-x64-gnu.node' },
    koffi: { pkg: '@koromix/koffi-linux-x64', file: 'linux_x64/koffi.node' },
  },
  'linux-arm64': {
    snappy: { pkg: '@napi-rs/snappy-linux-arm64-gnu', file: 'snappy.linux-arm64-gnu.node' },
    koffi: { pkg: '@koromix/koffi-linux-arm64', file: 'linux_arm64/koffi.node' },
  },
  'win-x64': {
    snappy: { pkg: '@napi-rs/snappy-win32-x64-msvc', file: 'snappy.win32-x64-msvc.node' },
    koffi: { pkg: '@koromix/koffi-win32-x64', file: 'win32_x64/koffi.node' },
  },
};

function lockEntry(pkg) {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
  const entry = lock.packages?.[`node_modules/${pkg}`];
  if (!entry?.version || !entry.integrity) throw new Error(`package-lock.json has no version and integrity for ${pkg}`);
  return entry;
}

/** The directory of `pkg` as the lock pins it: node_modules when installed at that version, else .cache/addons/. */
function packageDir(pkg) {
  const { version, integrity } = lockEntry(pkg);
  const installed = join(ROOT, 'node_modules', pkg);
  try {
    if (JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')).version === version) return installed;
  } catch {
    // not installed on this host (another platform's package)
  }
  const dir = join(CACHE_DIR, 'addons', `${pkg.replace('/', '+')}@${version}`);
  if (existsSync(join(dir, 'package.json'))) return dir;
  const work = `${dir}.${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const packed = JSON.parse(
      execFileSync('npm', ['pack', `${pkg}@${version}`, '--json', '--pack-destination', work], { encoding: 'utf8', maxBuffer: 64 << 20 }),
    );
    const tgz = join(work, packed[0].filename);
    const [algo] = integrity.split('-');
    const actual = `${algo}-${createHash(algo).update(readFileSync(tgz)).digest('base64')}`;
    if (actual !== integrity) throw new Error(`${pkg}@${version}: integrity ${actual} is not the lock's ${integrity}`);
    execFileSync('tar', ['-xzf', tgz, '-C', work]);
    rmSync(dir, { recursive: true, force: true });
    renameSync(join(work, 'package'), dir);
    return dir;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Asset name (`snappy.node`, `koffi.node`) → path of the target's add-on file. */
export function addonAssets(target) {
  const spec = ADDONS[target];
  if (!spec) throw new Error(`unknown target ${target}`);
  const out = {};
  for (const [name, { pkg, file }] of Object.entries(spec)) {
    const path = join(packageDir(pkg), file);
    if (!existsSync(path)) throw new Error(`${pkg} holds no ${file}`);
    out[`${name}.node`] = path;
  }
  return out;
}
