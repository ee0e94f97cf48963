import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOKEN_A, TOKEN_B } from './server-harness.js';

/**
 * The server as installed (the esbuild bundle), run as its own process with a YAML config: what a test
 * measures (RSS, logs, metrics) is the server's alone. Built into a scratch folder inside the repo (so
 * `snappy` resolves) to stay clear of dist/, which other builds replace.
 */
const repo = new URL('../../', import.meta.url).pathname;

export interface ServerBin {
  url: string;
  pid: number;
  /** Everything it logged (JSON lines) so far. */
  log(): string;
  /** Resident set size now, from /proc. */
  rssBytes(): number;
  /** SIGTERM, wait for the exit, remove the data. */
  close(): Promise<void>;
}

/** Builds the bundle once per test file; returns its path and a cleanup. */
export function buildServerBin(): { bin: string; remove(): void } {
  const outdir = join(repo, `.test-build-server-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  execFileSync(process.execPath, [join(repo, 'server/build.mjs'), '--outdir', outdir], { stdio: 'inherit' });
  return { bin: join(outdir, 'centerwatch-server.mjs'), remove: () => rmSync(outdir, { recursive: true, force: true }) };
}

/**
 * Starts the bundle on a loopback port with the harness's two tokens (center-a's per-agent token for pc1,
 * center-b's per-center token) and `yaml` appended to the config.
 */
export async function startServerBin(bin: string, yaml = ''): Promise<ServerBin> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-server-bin-'));
  writeFileSync(
    join(dir, 'server.yaml'),
    `listen: 127.0.0.1:0
data_dir: data
tokens:
  - { id: a, token: ${TOKEN_A}, province: p1, center: center-a, agent: pc1 }
  - { id: b, token: ${TOKEN_B}, province: p1, center: center-b }
${yaml}`,
  );
  const child: ChildProcess = spawn(process.execPath, [bin, '--config', join(dir, 'server.yaml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const until = Date.now() + 20_000;
  let port: string | undefined;
  while (!(port = /"listen":"127\.0\.0\.1:(\d+)"/.exec(log)?.[1])) {
    if (Date.now() > until || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`the server bin did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    log: () => log,
    rssBytes: () => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) * 1024,
    async close() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
