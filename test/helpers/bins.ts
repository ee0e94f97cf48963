import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { inspect } from 'node:util';

let built = false;
/** Builds the bins (dist/) once per test file: the tests run what users run. */
export function buildBins(): void {
  if (built) return;
  // agent/build.mjs empties dist/ first: the server's bundle comes second.
  execFileSync(process.execPath, ['agent/build.mjs'], { stdio: 'inherit' });
  execFileSync(process.execPath, ['server/build.mjs'], { stdio: 'inherit' });
  built = true;
}

export interface RunningBin {
  child: ChildProcess;
  /** Everything it wrote to stderr (JSON log lines) so far. */
  log(): string;
  /** SIGTERM (or the given signal) and wait for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startBin(bin: 'centerwatch-agent' | 'centerwatch-server', args: string[]): RunningBin {
  const child = spawn(`dist/${bin}.mjs`, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (c: Buffer) => {
    log += c.toString();
    if (log.length > 200_000) log = log.slice(-100_000);
  });
  return {
    child,
    log: () => log,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill(signal);
      return exited;
    },
  };
}

/** Polls `check` until it returns a value (not undefined) or the time is up. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const until = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > until)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError === undefined ? '' : `: ${lastError instanceof Error ? String(lastError) : inspect(lastError)}`}`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}
