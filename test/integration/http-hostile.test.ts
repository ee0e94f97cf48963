import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildBins, eventually } from '../helpers/bins.js';
import { startHttp } from '../helpers/servers.js';

/**
 * One hostile HTTP endpoint must not take the agent down: the real bin, with a V8 heap limit and
 * its RSS read from /proc, probes a loopback endpoint serving 1 MiB of nested `[` under a json
 * assertion while a tcp check runs every 250 ms beside it. (This machine's cgroups are v1 and
 * belong to the sandbox, so the memory bound is the heap limit plus the measured RSS peak.)
 */
const HOSTILE_BYTES = 1024 * 1024;
const TCP_INTERVAL_MS = 250;
/** The shipped MemoryMax / max_memory_restart of the agent (deploy/systemd, ecosystem.config.js). */
const SHIPPED_LIMIT_BYTES = 150 * 1024 * 1024;
const RUN_MS = 8000;

let dir: string;
let hostile: Awaited<ReturnType<typeof startHttp>>;
let hostileRequests = 0;
let listener: NetServer;
const accepts: number[] = [];

beforeAll(async () => {
  buildBins();
  dir = mkdtempSync(join(tmpdir(), 'cw-hostile-'));
  const body = Buffer.alloc(HOSTILE_BYTES, '[');
  hostile = await startHttp((_req, res) => {
    hostileRequests++;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
  });
  listener = createNetServer((s) => {
    accepts.push(performance.now());
    s.destroy();
  });
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
}, 120_000);

afterAll(async () => {
  await hostile?.close();
  await new Promise((r) => listener?.close(r));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The node flags of the bin's shebang, so the agent runs as shipped, plus ours. */
function shebangFlags(): string[] {
  const first = readFileSync('dist/centerwatch-agent.mjs', 'utf8').split('\n', 1)[0]!;
  return first.split(' ').filter((w) => w.startsWith('--'));
}

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

describe('agent against a hostile http endpoint', () => {
  it('survives, refuses the body with body_too_large and keeps the tcp check on schedule', async () => {
    const file = join(dir, 'agent.yaml');
    const tcpPort = (listener.address() as AddressInfo).port;
    writeFileSync(
      file,
      `center: { id: c, name: c, province: quang-ngai }
agent: { id: a, listen: "127.0.0.1:0" }
checks:
  - { id: hostile, kind: http, target: "http://127.0.0.1:${hostile.port}/", interval: 1s, timeout: 1s, options: { assertions: [{ source: json, path: status, op: eq, value: ok }] } }
  - { id: port, kind: tcp, target: "127.0.0.1:${tcpPort}", interval: ${TCP_INTERVAL_MS}ms, timeout: ${TCP_INTERVAL_MS}ms }
`,
    );
    // A 96 MiB V8 heap: a body that needs more than that to check kills an agent that parses inline.
    const child: ChildProcess = spawn(process.execPath, [...shebangFlags(), '--max-old-space-size=96', 'dist/centerwatch-agent.mjs', '--config', file], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    let exit: string | undefined;
    child.once('exit', (code, signal) => (exit = `exit ${code} ${signal}`));
    try {
      const port = await eventually(async () => /"listen":"127\.0\.0\.1:(\d+)"/.exec(log)?.[1], 10_000, 'the agent to listen');
      const pid = child.pid!;
      const startedAt = performance.now();
      const firstAccept = accepts.length;
      let peakRss = 0;
      while (performance.now() - startedAt < RUN_MS && exit === undefined) {
        peakRss = Math.max(peakRss, statusField(pid, 'VmRSS'));
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(exit, `the agent died; its log:\n${log.slice(-2000)}`).toBeUndefined();
      const hwm = statusField(pid, 'VmHWM');
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();

      const runs = accepts.slice(firstAccept);
      const gaps = runs.slice(1).map((t, i) => t - runs[i]!);
      const maxGap = Math.max(...gaps);
      const figures = {
        hostileRequests,
        tcpRuns: runs.length,
        maxGapMs: Math.round(maxGap),
        peakRssMiB: Number((peakRss / 2 ** 20).toFixed(1)),
        hwmMiB: Number((hwm / 2 ** 20).toFixed(1)),
      };
      console.log('hostile figures', JSON.stringify(figures));

      expect(hostileRequests).toBeGreaterThanOrEqual(RUN_MS / 1000 - 2);
      expect(metrics).toMatch(/centerwatch_probe_reason\{check="hostile",kind="http",line="",reason="body_too_large"\} 1/);
      expect(metrics).toMatch(/centerwatch_probe_success\{check="hostile",kind="http",line=""\} 0/);
      expect(metrics).toMatch(/centerwatch_probe_success\{check="port",kind="tcp",line=""\} 1/);
      // On schedule: every 250 ms, never held up by the hostile check's parsing for more than 200 ms.
      expect(runs.length).toBeGreaterThanOrEqual(Math.floor((RUN_MS / TCP_INTERVAL_MS) * 0.85));
      expect(maxGap).toBeLessThan(TCP_INTERVAL_MS + 200);
      expect(hwm).toBeLessThan(SHIPPED_LIMIT_BYTES);
      expect(metrics).not.toContain('reason="internal_error"');
      // And it still stops when told: nothing it started for the hostile body holds it.
      const stopped = performance.now();
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      expect(exit).toBe('exit 0 null');
      expect(performance.now() - stopped).toBeLessThan(8000);
    } finally {
      if (exit === undefined) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    }
  }, 60_000);
});
