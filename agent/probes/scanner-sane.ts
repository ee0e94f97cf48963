import { spawn } from 'node:child_process';

/** Most of `scanimage -L` output kept: a listing is a few hundred bytes per device. */
const MAX_OUTPUT = 64 * 1024;

/**
 * Device names from `scanimage -L` output: ``device `genesys:libusb:001:004' is a Canon LiDE 200 flatbed scanner``.
 * The "No scanners were identified" notice and blank lines give nothing.
 */
export function parseScanimageList(text: string): string[] {
  const names: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^device `(.+?)' is a /.exec(line.trim());
    if (m) names.push(m[1]!);
  }
  return names;
}

/**
 * The listed names a `sane:` pattern selects: an exact name, else the pattern as a regular
 * expression over the whole name (so `test:1` does not select `test:10`). An invalid pattern
 * matches only exactly.
 */
export function matchSaneDevices(names: readonly string[], pattern: string): string[] {
  if (names.includes(pattern)) return [pattern];
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${pattern})$`);
  } catch {
    return [];
  }
  return names.filter((n) => re.test(n));
}

/** What one `scanimage -L` run gave. */
export type ScanimageRun = { ok: true; stdout: string } | { ok: false; error: unknown } | { ok: false; exitCode: number | null; signal: NodeJS.Signals | null };

/**
 * Runs `scanimage -L` until it exits or `signal` aborts; on abort the child is killed with
 * SIGKILL (a backend stuck in a network connect may not heed SIGTERM) and reaped before this
 * settles, so no process outlives the run.
 */
export function runScanimageList(binary: string, signal: AbortSignal): Promise<ScanimageRun> {
  return new Promise((resolve) => {
    let out = '';
    let spawnError: unknown;
    const child = spawn(binary, ['-L'], { stdio: ['ignore', 'pipe', 'ignore'], signal, killSignal: 'SIGKILL' });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (out.length < MAX_OUTPUT) out += chunk;
    });
    // ENOENT, or the AbortError of `signal`: reported once the child is gone ('close' follows).
    child.on('error', (err) => (spawnError ??= err));
    child.once('close', (code, sig) => {
      if (spawnError !== undefined) resolve({ ok: false, error: spawnError });
      else if (code === 0) resolve({ ok: true, stdout: out });
      else resolve({ ok: false, exitCode: code, signal: sig });
    });
  });
}
