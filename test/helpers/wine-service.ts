import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Runs Node's win-x64 node.exe under Debian's wine (until test/helpers/wine.ts exists). Wine maps
 * the Linux root to drive Z:, so a Linux path `/tmp/x y` is `Z:\tmp\x y` there.
 */
export interface WineNode {
  /** Runs `script` (a Linux path) with `args`; stdout goes to a file (wine's console would mangle a pipe). */
  run(script: string, args: string[], timeoutMs?: number): { status: number | null; stdout: string; stderr: string };
}

/** Why wine's node.exe cannot run here, or undefined when it can. */
export function wineMissing(): string | undefined {
  const which = spawnSync('sh', ['-c', 'command -v wine'], { encoding: 'utf8' });
  return which.status === 0 ? undefined : 'wine is not installed (Debian package: wine, wine64)';
}

/** The Windows path of a Linux path, as wine's Z: drive shows it. */
export function winPath(linuxPath: string): string {
  return `Z:${linuxPath.replaceAll('/', '\\')}`;
}

export function wineNode(workDir: string): WineNode {
  const nodeExe = execFileSync(process.execPath, ['packaging/node-bin.mjs', 'win-x64'], { encoding: 'utf8' }).trim();
  const prefix = join(workDir, 'prefix');
  mkdirSync(prefix, { recursive: true });
  return {
    run(script, args, timeoutMs = 180_000) {
      const out = join(workDir, 'stdout.txt');
      rmSync(out, { force: true });
      const r = spawnSync('sh', ['-c', 'exec "$@" > "$OUT"', 'sh', 'wine', nodeExe, winPath(script), ...args], {
        encoding: 'utf8',
        timeout: timeoutMs,
        env: { ...process.env, OUT: out, NODE_SKIP_PLATFORM_CHECK: '1', WINEDEBUG: '-all', WINEPREFIX: prefix, WINEDLLOVERRIDES: 'mscoree,mshtml=' },
      });
      let stdout = '';
      try {
        stdout = readFileSync(out, 'utf8');
      } catch {
        // nothing written
      }
      return { status: r.status, stdout, stderr: r.stderr };
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
