import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { commandExists } from './servers.js';
import { requireService } from './ctx.js';

/*
 * Runs the agent's own code as Windows code: a script bundled into one file and started with
 * Node's win-x64 node.exe (packaging/node-bin.mjs) under Wine. One Wine prefix, .cache/wine, is
 * shared by every test and created on first use (about 10–30 s). node.exe's stdout and stderr go to
 * files: under Wine its output to a pipe is lost.
 */

const ROOT = resolve(import.meta.dirname, '../..');
export const WINE_PREFIX = join(ROOT, '.cache/wine');

/** Whether the tests can run Windows code here; in CI a missing wine fails the test. */
export function requireWine(): boolean {
  return requireService(commandExists('wine'), 'needs wine (Debian package wine) to run the win-x64 node.exe');
}

/** The environment every Wine process of the tests runs with. */
export function wineEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, WINEPREFIX: WINE_PREFIX, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=', ...extra };
}

/**
 * Creates the shared prefix once (wineboot), saying it is Windows 10: Node refuses to start on the
 * Windows 7 that Wine reports by default, and the agent targets Windows 10/11 (no
 * NODE_SKIP_PLATFORM_CHECK is needed then, as on a real counter PC). Later calls return at once.
 */
export function ensurePrefix(): void {
  const marker = join(WINE_PREFIX, '.windows-10');
  if (existsSync(marker)) return;
  mkdirSync(WINE_PREFIX, { recursive: true });
  execFileSync('wineboot', ['-i'], { env: wineEnv(), stdio: 'ignore', timeout: 180_000 });
  execFileSync('wine', ['winecfg', '-v', 'win10'], { env: wineEnv(), stdio: 'ignore', timeout: 180_000 });
  writeFileSync(marker, '');
}

/**
 * A stand-in ping.exe for continuous checks under Wine: Wine 8's ping.exe holds its output to a pipe
 * until it exits (Windows' writes each line as it goes), so this asks Wine's real ping one echo at a
 * time (`-n 1`) and passes each line on at once. Takes `-n`, `-w`, `-l`, `-S`, `-6` and a target.
 */
const PING_RELAY = `
const { spawnSync } = require('node:child_process');
const args = process.argv.slice(2);
let n = 4, w = 4000, target;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '-n') n = Number(args[++i]);
  else if (args[i] === '-w') w = Number(args[++i]);
  else if (args[i] === '-l' || args[i] === '-S') i++;
  else if (!args[i].startsWith('-')) target = args[i];
}
const real = (process.env.SystemRoot || 'C:\\\\windows') + '\\\\System32\\\\ping.exe';
(async () => {
  for (let i = 0; i < n; i++) {
    const t0 = Date.now();
    const lines = (spawnSync(real, ['-n', '1', '-w', String(w), target], { encoding: 'utf8' }).stdout || '').split(/\\r?\\n/);
    if (i === 0) process.stdout.write(lines[0] + '\\r\\n');
    process.stdout.write((lines[1] || '') + '\\r\\n');
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - t0))));
  }
})();
`;

/** The stand-in ping.exe (above), built once; point CENTERWATCH_PING at its Windows path. */
export function pingRelayExe(): Promise<string> {
  return seaExe(PING_RELAY, 'ping');
}

/** The win-x64 node.exe (downloaded once by packaging/node-bin.mjs, pinned by integrity). */
export function nodeExe(): string {
  return execFileSync(process.execPath, [join(ROOT, 'packaging/node-bin.mjs'), 'win-x64'], { encoding: 'utf8' }).trim();
}

/** The Windows path Wine gives a Linux path (drive Z: is the root). */
export function winPath(path: string): string {
  return `Z:${resolve(path).replaceAll('/', '\\')}`;
}

/**
 * Bundles TypeScript source (imports resolved from the repository root) into one CommonJS file.
 * `define`: esbuild's replacements (e.g. the `import.meta.url` node.exe gives the bundle).
 */
export async function bundleScript(source: string, outfile: string, define: Record<string, string> = {}): Promise<string> {
  await build({
    stdin: { contents: source, resolveDir: ROOT, loader: 'ts', sourcefile: 'wine-entry.ts' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile,
    logLevel: 'error',
    define,
  });
  return outfile;
}

interface Postject {
  inject(file: string, resource: string, data: Buffer, opts: { sentinelFuse: string; overwrite: boolean }): Promise<void>;
}

const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/**
 * A Windows executable that runs `script` (plain CommonJS) with its own command line: node.exe with
 * the script injected as a single-executable application. Cached in .cache/wine-sea by content.
 */
export async function seaExe(script: string, name: string): Promise<string> {
  const hash = createHash('sha256').update(script).digest('hex').slice(0, 16);
  const dir = join(ROOT, '.cache/wine-sea', hash);
  const exe = join(dir, `${name}.exe`);
  if (existsSync(exe)) return exe;
  mkdirSync(dir, { recursive: true });
  const main = join(dir, 'main.js');
  writeFileSync(main, script);
  const config = join(dir, 'sea.json');
  const blob = join(dir, 'sea.blob');
  writeFileSync(config, JSON.stringify({ main, output: blob, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false }));
  execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  const tmp = `${exe}.tmp`;
  copyFileSync(nodeExe(), tmp);
  // postject ships no types; this is the one function used (packaging/package.mjs calls it the same way).
  const name_ = 'postject';
  const mod = (await import(name_)) as { default?: Postject } & Postject;
  await (mod.default ?? mod).inject(tmp, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SEA_FUSE, overwrite: true });
  renameSync(tmp, exe);
  return exe;
}

export interface WineProcess {
  child: ChildProcess;
  /** What it wrote to stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Settles with the exit code. */
  exited: Promise<number | null>;
  /** Resolves with the first stdout line matching `re` (checked every 100 ms); rejects after `ms` or at exit. */
  waitForLine(re: RegExp, ms: number): Promise<string>;
  kill(): Promise<void>;
}

/** Starts `script` (a file) with Wine's node.exe, its output to files in a fresh directory. */
export function runNodeExe(script: string, args: string[] = [], env: Record<string, string> = {}): WineProcess {
  ensurePrefix();
  const dir = mkdtempSync(join(tmpdir(), 'cw-wine-'));
  const out = join(dir, 'stdout');
  const err = join(dir, 'stderr');
  // The shell opens the files: node.exe then writes to a file handle, not to a pipe.
  const child = spawn('sh', ['-c', 'exec wine "$0" "$@" >"$OUT" 2>"$ERR"', nodeExe(), winPath(script), ...args], {
    env: wineEnv({ ...env, OUT: out, ERR: err }),
    stdio: 'ignore',
  });
  const read = (f: string): string => (existsSync(f) ? readFileSync(f, 'utf8') : '');
  let code: number | null | undefined;
  const exited = new Promise<number | null>((r) =>
    child.once('exit', (c) => {
      code = c;
      r(c);
    }),
  );
  return {
    child,
    stdout: () => read(out),
    stderr: () => read(err),
    exited,
    async waitForLine(re, ms) {
      const until = Date.now() + ms;
      for (;;) {
        const line = read(out)
          .split(/\r?\n/)
          .find((l) => re.test(l));
        if (line !== undefined) return line;
        if (code !== undefined) throw new Error(`exited (${code}) without printing ${re}: ${read(out).slice(-2000)} ${read(err).slice(-2000)}`);
        if (Date.now() > until) throw new Error(`no line ${re} within ${ms} ms: ${read(out).slice(-2000)} ${read(err).slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async kill() {
      if (code !== undefined) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A Windows program's run under wine: its exit code and what it wrote (each to a file, then read). */
export interface WineRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A Wine prefix of its own with a wineserver kept alive (`wineserver -p`): Wine's services.exe, which
 * starts and stops the services, lives as long as the wineserver, and a wineserver without a
 * persistent flag ends a few seconds after its last ordinary program, taking the services with it.
 * The prefix says Windows 10: Node refuses Wine's default (Windows 7) unless NODE_SKIP_PLATFORM_CHECK
 * is set, and a service gets its environment from the registry, not from the test.
 */
export interface WineHost {
  prefix: string;
  env: NodeJS.ProcessEnv;
  /** Runs a Windows program (a Linux path or a name wine finds: sc.exe, taskkill.exe) without blocking. */
  run(program: string, args: string[], timeoutMs?: number): Promise<WineRun>;
  /** The Linux path of a Windows path of this prefix (C:\… or Z:\…). */
  linuxPath(windowsPath: string): string;
  /** Ends the wineserver and every Windows process of the prefix. */
  close(): void;
}

export function wineHost(workDir: string): WineHost {
  const prefix = join(workDir, 'prefix');
  mkdirSync(prefix, { recursive: true });
  const env = { ...process.env, WINEDEBUG: '-all', WINEPREFIX: prefix, WINEDLLOVERRIDES: 'mscoree,mshtml=' };
  execFileSync('wineboot', ['-i'], { env, stdio: 'ignore', timeout: 180_000 });
  execFileSync('wine', ['winecfg', '/v', 'win10'], { env, stdio: 'ignore', timeout: 60_000 });
  // The server wineboot started ends on its own a few seconds later: replaced now by a persistent one.
  spawnSync('wineserver', ['-k'], { env, stdio: 'ignore', timeout: 30_000 });
  execFileSync('wineserver', ['-p'], { env, stdio: 'ignore', timeout: 30_000 });
  let n = 0;
  return {
    prefix,
    env,
    run(program, args, timeoutMs = 120_000) {
      const base = join(workDir, `run-${n++}`);
      return new Promise((resolve) => {
        execFile(
          'sh',
          ['-c', 'exec "$@" > "$BASE.out" 2> "$BASE.err"', 'sh', 'wine', program, ...args],
          { env: { ...env, BASE: base }, timeout: timeoutMs },
          (err) => {
            const read = (f: string): string => {
              try {
                return readFileSync(f, 'utf8');
              } catch {
                return '';
              }
            };
            const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
            resolve({ status: code, stdout: read(`${base}.out`), stderr: read(`${base}.err`) });
          },
        );
      });
    },
    linuxPath(windowsPath) {
      const m = /^([A-Za-z]):\\?(.*)$/.exec(windowsPath.trim());
      if (!m) throw new Error(`not a drive path: ${windowsPath}`);
      const rest = m[2]!.replaceAll('\\', '/');
      return m[1]!.toUpperCase() === 'Z' ? `/${rest}` : join(prefix, 'drive_c', rest);
    },
    close() {
      spawnSync('wineserver', ['-k'], { env, stdio: 'ignore', timeout: 30_000 });
    },
  };
}
