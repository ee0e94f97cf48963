/**
 * The packaged agent (packaging/package.mjs: single executables and .debs), built once for all test
 * files of a run and reused by later runs while the sources are unchanged: the output directory is
 * named for a hash of everything that goes into it. Concurrent test files wait on one builder.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;
/** Everything the package is made of: the sources the bundle takes in, the packaging, the config it ships. */
const INPUTS = ['agent', 'common', 'packaging', 'config', 'package.json', 'package-lock.json', 'README.md'];
const LOCK_STALE_MS = 10 * 60_000;

export type PackageTarget = 'linux-x64' | 'linux-arm64' | 'win-x64';

export interface Packaged {
  dir: string;
  /** The CommonJS bundle the executables run. */
  bundle: string;
  exe: Record<PackageTarget, string>;
  deb: { amd64: string; arm64: string };
  version: string;
}

function hashInputs(): string {
  const h = createHash('sha256');
  const walk = (p: string): void => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) if (name !== 'node_modules') walk(join(p, name));
    } else if (!/\.test\.ts$/.test(p)) {
      h.update(relative(ROOT, p)).update('\0').update(readFileSync(p)).update('\0');
    }
  };
  for (const i of INPUTS) walk(join(ROOT, i));
  h.update(process.version);
  return h.digest('hex').slice(0, 16);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

let cached: Packaged | undefined;

/** Builds the package unless this source state has been built already (by this or an earlier run). */
export function packaged(): Packaged {
  if (cached) return cached;
  const hash = hashInputs();
  const dir = join(ROOT, `.test-build-package-${hash}`);
  const done = join(dir, '.done');
  const lock = `${dir}.lock`;
  for (;;) {
    if (existsSync(done)) break;
    try {
      mkdirSync(lock);
    } catch {
      // Another test file builds it: wait, unless its builder died.
      let owner = 0;
      try {
        owner = Number(readFileSync(join(lock, 'pid'), 'utf8'));
      } catch {
        // the lock is being made
      }
      const age = Date.now() - (existsSync(lock) ? statSync(lock).mtimeMs : 0);
      if ((owner > 0 && !alive(owner)) || age > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
      sleepSync(500);
      continue;
    }
    try {
      writeFileSync(join(lock, 'pid'), String(process.pid));
      // Builds of older sources hold ~400 MB each: keep only this one.
      for (const name of readdirSync(ROOT))
        if (name.startsWith('.test-build-package-') && !name.startsWith(`.test-build-package-${hash}`) && !name.endsWith('.lock'))
          rmSync(join(ROOT, name), { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
      execFileSync(process.execPath, [join(ROOT, 'packaging/package.mjs'), '--out', dir, '--deb-compression', 'gzip'], {
        stdio: ['ignore', 'ignore', 'inherit'],
        cwd: ROOT,
      });
      writeFileSync(done, '');
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  cached = {
    dir,
    bundle: join(dir, 'centerwatch-agent.cjs'),
    exe: {
      'linux-x64': join(dir, 'centerwatch-agent-linux-x64'),
      'linux-arm64': join(dir, 'centerwatch-agent-linux-arm64'),
      'win-x64': join(dir, 'centerwatch-agent-win-x64.exe'),
    },
    deb: { amd64: join(dir, `centerwatch-agent_${version}_amd64.deb`), arm64: join(dir, `centerwatch-agent_${version}_arm64.deb`) },
    version,
  };
  return cached;
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking this process (the probed servers live here). */
export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeout = 30_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', timeout, env }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}
