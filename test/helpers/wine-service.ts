import { execFileSync, spawnSync } from 'node:child_process';
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
