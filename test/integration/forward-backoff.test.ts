/**
 * Retrying a failing upstream must be slow: one record queued for an upstream that answers 503 (with or
 * without Retry-After, or Retry-After: 0) or whose port is closed costs a handful of attempts per window,
 * never a busy loop. Both users of the shipper are measured side by side over the same window: the
 * server's forwarder (default backoff 0.5 s → 30 s) and the agent's push (0.5 s → 5 s).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gauge, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PushClient } from '../../agent/push/push.js';
import { pushSchema } from '../../agent/push/schema.js';
import { createLogger } from '../../common/log.js';
import type { Shipper } from '../../common/remote-write/shipper.js';
import { serverConfigSchema } from '../../server/config/schema.js';
import { Forwarder } from '../../server/forward.js';
import { freePort } from '../helpers/prometheus.js';
import { series } from './server-harness.js';

const WINDOW_MS = 6000;

/** A loopback upstream that answers every request with `status` and `headers`, noting when each came. */
async function failingUpstream(status: number, headers: Record<string, string>): Promise<{ url: string; arrivals: number[]; server: Server }> {
  const arrivals: number[] = [];
  const server = createServer((req, res) => {
    arrivals.push(Date.now());
    req.resume();
    req.on('end', () => res.writeHead(status, headers).end('upstream is unwell'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/api/v1/write`, arrivals, server };
}

const CASES = ['503', '503-retry-after-1', '503-retry-after-0', 'closed-port'] as const;
type Case = (typeof CASES)[number];

describe('backoff against a failing upstream (measured over a window)', () => {
  const upstreams = new Map<Case, Awaited<ReturnType<typeof failingUpstream>>>();
  let closedUrl: string;
  let dir: string;
  let forwarder: Forwarder | undefined;
  let push: PushClient | undefined;
  let t0 = 0;
  let cpuMs = 0;
  /** Attempts per case and per user of the shipper within the window. */
  const attempts: Record<'server' | 'agent', Partial<Record<Case, number>>> = { server: {}, agent: {} };
  /** Requests each listening upstream saw within the window (both users together). */
  const seen: Partial<Record<Case, number>> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-backoff-'));
    upstreams.set('503', await failingUpstream(503, {}));
    upstreams.set('503-retry-after-1', await failingUpstream(503, { 'Retry-After': '1' }));
    upstreams.set('503-retry-after-0', await failingUpstream(503, { 'Retry-After': '0' }));
    closedUrl = `http://127.0.0.1:${await freePort()}/api/v1/write`;
    const url = (c: Case): string => (c === 'closed-port' ? closedUrl : upstreams.get(c)!.url);
    const log = createLogger('error', {}, () => undefined);
    const targets = CASES.map((c) => ({ name: c.replace(/-/g, '_'), url: url(c), timeout: '2s' }));

    const cpu0 = process.cpuUsage();
    t0 = Date.now();
    const cfg = serverConfigSchema.parse({ listen: '127.0.0.1:0', data_dir: join(dir, 'server'), forward: targets, forward_wal: { fsync: 'never' } });
    forwarder = await Forwarder.open(cfg, 'test', log);
    await forwarder!.enqueue([series({ __name__: 'cw_backoff', job: 'server' })], 1);

    const registry = new Registry();
    new Gauge({ name: 'cw_backoff_agent', help: 'x', registers: [registry] }).set(1);
    const pushCfg = pushSchema.parse({ interval: '1h', wal: { dir: join(dir, 'agent'), fsync: 'never' }, targets });
    push = await PushClient.start(pushCfg, () => registry, 'test', log);
    await push.collectOnce();

    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const end = t0 + WINDOW_MS;
    cpuMs = (() => {
      const d = process.cpuUsage(cpu0);
      return (d.user + d.system) / 1000;
    })();
    const count = (shippers: ReadonlyMap<string, Shipper>, c: Case): number => shippers.get(c.replace(/-/g, '_'))!.stats.failedAttempts;
    for (const c of CASES) {
      attempts.server[c] = count(forwarder!.shippers, c);
      attempts.agent[c] = count(push.shippers, c);
      const arrived = upstreams.get(c)?.arrivals.filter((t) => t <= end).length;
      if (arrived !== undefined) seen[c] = arrived;
    }
    console.info('attempts in', WINDOW_MS, 'ms:', JSON.stringify(attempts), 'cpu ms:', Math.round(cpuMs));
  }, 30_000);

  afterAll(async () => {
    await forwarder?.close();
    await push?.stop();
    for (const u of upstreams.values()) {
      u.server.closeAllConnections();
      u.server.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  // Exponential backoff with full jitter from 0.5 s: at least 3 attempts by 3.5 s (waits ≤ 1 s, ≤ 2 s),
  // at most one per 0.5 s. Retry-After: 1 is honoured (about one a second); Retry-After: 0 gets the floor.
  const bounds: Record<Case, [number, number]> = {
    '503': [3, 13],
    'closed-port': [3, 13],
    '503-retry-after-1': [5, 8],
    '503-retry-after-0': [3, 13],
  };
  for (const who of ['server', 'agent'] as const) {
    for (const c of CASES) {
      it(`${who}: ${c}`, () => {
        const [lo, hi] = bounds[c];
        expect(attempts[who][c]).toBeGreaterThanOrEqual(lo);
        expect(attempts[who][c]).toBeLessThanOrEqual(hi);
      });
    }
  }

  it('the upstreams saw every attempt the shippers counted (the counts are real requests)', () => {
    for (const c of CASES) if (c !== 'closed-port') expect(seen[c]).toBeGreaterThanOrEqual(attempts.server[c]! + attempts.agent[c]! - 2);
  });

  it('the whole process stays idle while eight shippers retry: under 10 % of one core', () => {
    expect(cpuMs).toBeLessThan(WINDOW_MS * 0.1);
  });
});
