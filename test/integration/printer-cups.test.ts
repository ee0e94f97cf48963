import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printerProbe } from '../../agent/probes/printer.js';
import type { ProbeResult } from '../../agent/probes/types.js';
import { cupsdRunnable, startCupsd, type Cupsd } from '../helpers/cupsd.js';
import { makeCtx, requireService } from '../helpers/ctx.js';
import { closedPort, openSockets, timed } from '../helpers/sockets.js';

const why = 'cupsd, lpadmin and lp (package cups) are needed, run as root';

let cupsd: Cupsd | undefined;
let dir = '';
const servers: Server[] = [];
const accepted: Socket[] = [];

async function probe(target: string, options: object = {}, timeoutMs = 3000): Promise<ProbeResult> {
  return printerProbe.run(target, printerProbe.options.parse({ protocol: 'cups', ...options }), makeCtx({ timeoutMs }));
}

/** The probe against this test's cupsd, named in the target (queue@host:port). */
const onCupsd = (queue: string, timeoutMs?: number): Promise<ProbeResult> => probe(`${queue}@${cupsd!.server}`, {}, timeoutMs);

const observed = (r: ProbeResult, metric: string): number | undefined => r.observations?.find((o) => o.metric === metric)?.value;
const queued = (r: ProbeResult): number | undefined => observed(r, 'queued_jobs');

beforeAll(async () => {
  if (!cupsdRunnable) return;
  dir = await mkdtemp(join(tmpdir(), 'cw-cups-'));
  await writeFile(join(dir, 'doc.txt'), 'centerwatch test page\n');
  cupsd = await startCupsd();
  // Raw queues on file:/dev/null: cupsd's queue logic without a printer behind it.
  for (const q of ['q1', 'held', 'off', 'closed']) cupsd.run('lpadmin', ['-p', q, '-E', '-v', 'file:/dev/null']);
}, 30_000);

afterAll(async () => {
  await cupsd?.stop();
  for (const s of accepted) s.destroy();
  for (const s of servers) await new Promise((r) => s.close(r));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('printer probe, CUPS, against a private cupsd', () => {
  it('reads an idle, enabled, accepting queue as up with no jobs waiting', async (t) => {
    if (!requireService(cupsdRunnable, why)) return t.skip();
    const r = await onCupsd('q1');
    expect(r, await cupsd!.errorLog()).toMatchObject({ up: true, reason: 'ok', degraded: false, message: 'idle' });
    expect(queued(r)).toBe(0);
    expect(observed(r, 'oldest_job_age')).toBe(0);
    expect(r.phases?.connect).toBeGreaterThan(0);
  });

  it('takes the server from options.server when the target names only the queue', async (t) => {
    if (!requireService(cupsdRunnable, why)) return t.skip();
    expect(await probe('q1', { server: cupsd!.server })).toMatchObject({ up: true, reason: 'ok' });
  });

  it('is down (offline, paused) for a disabled queue, and counts the jobs waiting in it', async (t) => {
    if (!requireService(cupsdRunnable, why)) return t.skip();
    cupsd!.run('cupsdisable', ['held']);
    // A disabled queue still accepts jobs: they wait until someone runs cupsenable.
    cupsd!.run('lp', ['-d', 'held', join(dir, 'doc.txt')]);
    cupsd!.run('lp', ['-d', 'held', join(dir, 'doc.txt')]);
    const r = await onCupsd('held');
    expect(r).toMatchObject({ up: false, reason: 'offline', message: 'queue disabled (paused)' });
    expect(queued(r)).toBe(2);
    expect(observed(r, 'oldest_job_age')).toBeGreaterThanOrEqual(0);
    // Enabled again, the queue is up; its jobs print to /dev/null and the count falls back.
    cupsd!.run('cupsenable', ['held']);
    let again = await onCupsd('held');
    const end = Date.now() + 10_000;
    while (queued(again) !== 0 && Date.now() < end) {
      await new Promise((res) => setTimeout(res, 200));
      again = await onCupsd('held');
    }
    expect(again).toMatchObject({ up: true, reason: 'ok' });
    expect(queued(again)).toBe(0);
  });

  it('is down (offline) for a queue that rejects jobs, unless told not to care', async (t) => {
    if (!requireService(cupsdRunnable, why)) return t.skip();
    cupsd!.run('cupsreject', ['closed']);
    expect(await onCupsd('closed')).toMatchObject({ up: false, reason: 'offline', message: 'queue rejecting jobs' });
    expect(await probe(`closed@${cupsd!.server}`, { require_accepting: false })).toMatchObject({ up: true, reason: 'ok' });
    cupsd!.run('cupsaccept', ['closed']);
    expect(await onCupsd('closed')).toMatchObject({ up: true, reason: 'ok' });
  });

  it('names both holds on a queue both disabled and rejecting', async (t) => {
    if (!requireService(cupsdRunnable, why)) return t.skip();
    cupsd!.run('cupsdisable', ['off']);
    cupsd!.run('cupsreject', ['off']);
    expect(await onCupsd('off')).toMatchObject({ up: false, reason: 'offline', message: 'queue disabled (paused), queue rejecting jobs' });
  });

  it('sees a job that does not leave a queue whose printer is off, and is down once it is older than stuck_after_seconds', async (t) => {
    if (!requireService(cupsdRunnable, why)) return t.skip();
    // Nothing listens behind the queue: the socket backend retries, and cupsd says processing with no state reason.
    cupsd!.run('lpadmin', ['-p', 'dark', '-E', '-v', `socket://127.0.0.1:${await closedPort()}`]);
    cupsd!.run('lp', ['-d', 'dark', join(dir, 'doc.txt')]);
    const r = await onCupsd('dark');
    expect(r).toMatchObject({ up: true, reason: 'ok' });
    expect(queued(r)).toBe(1);
    let stuck = await probe(`dark@${cupsd!.server}`, { stuck_after_seconds: 2 });
    const end = Date.now() + 10_000;
    while (stuck.up && Date.now() < end) {
      await new Promise((res) => setTimeout(res, 250));
      stuck = await probe(`dark@${cupsd!.server}`, { stuck_after_seconds: 2 });
    }
    expect(stuck).toMatchObject({ up: false, reason: 'offline', message: expect.stringMatching(/^oldest job waiting \d+ s$/) });
    expect(observed(stuck, 'oldest_job_age')).toBeGreaterThanOrEqual(2);
    expect(observed(stuck, 'oldest_job_age')).toBeLessThan(30);
  });

  it('is down (missing) for a queue cupsd does not have', async (t) => {
    if (!requireService(cupsdRunnable, why)) return t.skip();
    expect(await onCupsd('nope')).toMatchObject({ up: false, reason: 'missing', message: 'no CUPS queue "nope"' });
  });
});

describe('printer probe, CUPS, failures', () => {
  it('fails with timeout within the deadline + 1 s on a peer that accepts and never answers, leaking no socket', async () => {
    const server = createServer((s) => {
      s.on('error', () => {});
      s.resume();
      accepted.push(s);
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const before = openSockets();
    const [r, ms] = await timed(probe(`q1@127.0.0.1:${port}`, {}, 1000));
    expect(r).toMatchObject({ up: false, reason: 'timeout' });
    expect(ms).toBeLessThan(2000);
    for (const s of accepted) s.destroy();
    await new Promise((res) => setTimeout(res, 100));
    expect(openSockets()).toBeLessThanOrEqual(before);
  });

  it('fails with refused when no cupsd listens, and with config on a bad queue name', async () => {
    const port = await closedPort();
    expect(await probe('q1', { server: `127.0.0.1:${port}` })).toMatchObject({ up: false, reason: 'refused' });
    expect(await probe('bad/name', { server: `127.0.0.1:${port}` })).toMatchObject({ up: false, reason: 'config' });
  });
});
