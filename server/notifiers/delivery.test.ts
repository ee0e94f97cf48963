import Database from 'better-sqlite3';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../common/log.js';
import { FIRING, RESOLVED } from '../../test/support/notifiers/fixtures.js';
import { startCapture, type CaptureServer } from '../../test/support/notifiers/test-server.js';
import { startHttp } from '../../test/helpers/servers.js';
import { MIGRATIONS, migrate } from '../store/migrations.js';
import { openSqliteStore, type Store } from '../store/store.js';
import { backoffMs, decide, Delivery, type DeliveryOutcome, type Route } from './delivery.js';
import type { Channel } from './index.js';

const T0 = Date.UTC(2026, 10, 27, 1, 15);
const TOKEN = '123456:test-token';

let dir: string;
let file: string;
let store: Store;
let clock: number;
let logs: Record<string, unknown>[];
let results: [Channel, DeliveryOutcome][];
const cleanup: (() => Promise<void> | void)[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'centerwatch-delivery-'));
  file = join(dir, 'store.db');
  store = openSqliteStore(file);
  clock = T0;
  logs = [];
  results = [];
});
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function capture(): Promise<CaptureServer> {
  const c = await startCapture();
  cleanup.push(() => c.close());
  return c;
}

const hook = (c: CaptureServer, name = 'hook'): Route => ({ name, channel: 'webhook', options: { url: `${c.base}/alerts` }, lang: 'vi' });
const tg = (c: CaptureServer, name = 'oncall'): Route => ({ name, channel: 'telegram', options: { token: TOKEN, chatId: -1001, baseUrl: c.base }, lang: 'en' });

function delivery(routes: Route[], extra: { timeoutMs?: number; maxAttempts?: number } = {}, s: Store = store): Delivery {
  const d = new Delivery({
    store: s,
    routes,
    log: createLogger('debug', {}, (l) => void logs.push(JSON.parse(l))),
    now: () => clock,
    onResult: (ch, r) => void results.push([ch, r]),
    random: () => 0.5, // no jitter: backoff after n failures is exactly 2^n s
    ...extra,
  });
  cleanup.push(() => d.stop());
  return d;
}

const enqueue = (route: string, event = FIRING, s: Store = store) =>
  s.enqueue({ key: `${route}:${event.key}`, route, payload: { event }, notBeforeMs: clock }).id;

async function waitFor(what: string, pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const statuses = (c: CaptureServer) => c.requests.map((r) => (JSON.parse(r.body) as { status: string }).status);

describe('backoffMs', () => {
  it('doubles from 1 s up to 5 min, with the jitter at its ends', () => {
    expect([0, 1, 2, 3, 8].map((n) => backoffMs(n, 0.5))).toEqual([1000, 2000, 4000, 8000, 256_000]);
    expect(backoffMs(9, 0.5)).toBe(300_000);
    expect(backoffMs(10_000, 0.5)).toBe(300_000);
    expect(backoffMs(0, 0)).toBe(800);
    expect(backoffMs(30, 0)).toBe(240_000);
    expect(backoffMs(30, 0.999_999)).toBe(360_000);
  });

  it('stays within ±20 % of min(1 s × 2^n, 5 min) for any attempts and random', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (n, r) => {
        const base = Math.min(1000 * 2 ** n, 300_000);
        const b = backoffMs(n, r);
        return b >= Math.round(base * 0.8) && b <= Math.round(base * 1.2);
      }),
    );
  });
});

describe('decide', () => {
  it('retries 5xx, 429, timeouts and network errors; gives up other failures and at the attempt limit', () => {
    expect(decide({ ok: true }, 3, 0, 20, 0.5)).toEqual({ kind: 'sent' });
    expect(decide({ ok: false, retryable: true, status: 503, reason: 'http_status' }, 2, 10_000, 20, 0.5)).toEqual({
      kind: 'retry',
      atMs: 14_000,
      reason: 'http_status:503',
    });
    expect(decide({ ok: false, retryable: true, reason: 'network' }, 0, 0, 20, 0.5)).toEqual({ kind: 'retry', atMs: 1000, reason: 'network' });
    expect(decide({ ok: false, retryable: false, status: 400, reason: 'http_status' }, 0, 0, 20, 0.5)).toEqual({ kind: 'give_up', reason: 'http_status:400' });
    expect(decide({ ok: false, retryable: true, reason: 'timeout' }, 19, 0, 20, 0.5)).toEqual({ kind: 'give_up', reason: 'max_attempts:timeout' });
  });
});

describe('Delivery', () => {
  it('delivers a message once and marks it sent', async () => {
    const c = await capture();
    const id = enqueue('hook');
    const d = delivery([hook(c)]);
    d.start();
    d.kick();
    await waitFor('sent', () => store.outboxEntry(id)?.status === 'sent');
    await pause(1200); // two more polls: nothing is sent again
    expect(c.requests).toHaveLength(1);
    expect(c.requests[0]!.url).toBe('/alerts');
    const body = JSON.parse(c.requests[0]!.body);
    expect(body).toMatchObject({ version: '4', status: 'firing', alerts: [{ status: 'firing' }] });
    expect(store.outboxEntry(id)).toMatchObject({ status: 'sent', sentAtMs: T0, attempts: 0 });
    expect(results).toEqual([['webhook', 'sent']]);
  });

  it('retries a 503 with backoff, then delivers, the firing message before the resolved one', async () => {
    const c = await capture();
    c.respond(503);
    const firing = enqueue('hook', FIRING);
    const resolved = enqueue('hook', RESOLVED);
    const d = delivery([hook(c)]);
    d.start();
    await waitFor('first failure', () => store.outboxEntry(firing)?.attempts === 1);
    expect(store.outboxEntry(firing)).toMatchObject({ status: 'pending', notBeforeMs: T0 + 1000, lastError: 'http_status:503' });

    // Before the backoff ends nothing goes out, and the resolved message (due all along) waits behind the firing one.
    clock += 900;
    d.kick();
    await pause(1100);
    expect(statuses(c)).toEqual(['firing']);
    expect(store.outboxEntry(resolved)).toMatchObject({ status: 'pending', attempts: 0 });

    // Second failure: the backoff doubles.
    clock += 100;
    d.kick();
    await waitFor('second failure', () => store.outboxEntry(firing)?.attempts === 2);
    expect(store.outboxEntry(firing)!.notBeforeMs).toBe(T0 + 1000 + 2000);

    c.respond(200);
    clock += 2000;
    d.kick();
    await waitFor('both sent', () => store.outboxEntry(resolved)?.status === 'sent');
    expect(statuses(c)).toEqual(['firing', 'firing', 'firing', 'resolved']);
    expect(store.outboxEntry(firing)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(results).toEqual([
      ['webhook', 'retry'],
      ['webhook', 'retry'],
      ['webhook', 'sent'],
      ['webhook', 'sent'],
    ]);
  });

  it('gives a 400 up, logs it without payload or URL, and goes on with the later messages of the route', async () => {
    const bodies: string[] = [];
    let answered = 0;
    const http = await startHttp((req, res) => {
      let b = '';
      req.on('data', (d: Buffer) => (b += d.toString()));
      req.on('end', () => {
        bodies.push(b);
        res.writeHead(answered++ === 0 ? 400 : 200, { 'content-type': 'application/json' }).end('{"ok":false,"description":"Bad Request"}');
      });
    });
    cleanup.push(() => http.close());
    const route: Route = {
      name: 'oncall',
      channel: 'telegram',
      options: { token: TOKEN, chatId: -1001, baseUrl: `http://127.0.0.1:${http.port}` },
      lang: 'en',
    };
    const firing = enqueue('oncall', FIRING);
    const resolved = enqueue('oncall', RESOLVED);
    const d = delivery([route]);
    d.start();
    await waitFor('resolved sent', () => store.outboxEntry(resolved)?.status === 'sent');
    expect(store.outboxEntry(firing)).toMatchObject({ status: 'failed', lastError: 'http_status:400', givenUpAtMs: T0, attempts: 0 });
    expect(bodies).toHaveLength(2);
    expect(results).toEqual([
      ['telegram', 'failed'],
      ['telegram', 'sent'],
    ]);

    const warn = logs.filter((l) => l.level === 'warn');
    expect(warn).toEqual([expect.objectContaining({ msg: 'notification given up', route: 'oncall', key: `oncall:${FIRING.key}`, reason: 'http_status:400' })]);
    const all = JSON.stringify(logs);
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain('127.0.0.1');
    expect(all).not.toContain(FIRING.centerName);

    await pause(700);
    expect(bodies).toHaveLength(2); // a given-up message is never handed out again
  });

  it('keeps delivering on one route while another is down', async () => {
    const down = await capture();
    down.respond(503);
    const up = await capture();
    const a1 = enqueue('hook', FIRING);
    const b1 = enqueue('oncall', FIRING);
    const a2 = enqueue('hook', RESOLVED);
    const b2 = enqueue('oncall', RESOLVED);
    const d = delivery([hook(down), tg(up)]);
    d.start();
    await waitFor('up route delivered', () => store.outboxEntry(b2)?.status === 'sent');
    expect(store.outboxEntry(b1)?.status).toBe('sent');
    expect(up.requests.map((r) => r.url)).toEqual([`/bot${TOKEN}/sendMessage`, `/bot${TOKEN}/sendMessage`]);
    expect(up.requests.map((r) => JSON.parse(r.body).chat_id)).toEqual([-1001, -1001]);
    expect(store.outboxEntry(a1)).toMatchObject({ status: 'pending', attempts: 1 });
    expect(store.outboxEntry(a2)).toMatchObject({ status: 'pending', attempts: 0 });
    expect(statuses(down)).toEqual(['firing']);
  });

  it('gives up an unknown route and a message at the attempt limit', async () => {
    const c = await capture();
    c.respond(502);
    const gone = enqueue('removed-route');
    const limited = enqueue('hook');
    const d = delivery([hook(c)], { maxAttempts: 2 });
    d.start();
    await waitFor('unknown route given up', () => store.outboxEntry(gone)?.status === 'failed');
    expect(store.outboxEntry(gone)).toMatchObject({ lastError: 'unknown_route', attempts: 0 });
    await waitFor('first failure', () => store.outboxEntry(limited)?.attempts === 1);
    clock += 1000;
    d.kick();
    await waitFor('given up', () => store.outboxEntry(limited)?.status === 'failed');
    expect(store.outboxEntry(limited)).toMatchObject({ lastError: 'max_attempts:http_status:502', attempts: 1 });
    expect(c.requests).toHaveLength(2);
    expect(logs.filter((l) => l.level === 'warn').map((l) => [l.route, l.reason])).toEqual([
      ['removed-route', 'unknown_route'],
      ['hook', 'max_attempts:http_status:502'],
    ]);
  });

  it('stops within the send timeout when a receiver never answers, and retries that message', async () => {
    const hung = await startHttp(() => undefined); // reads the request, never answers
    cleanup.push(() => hung.close());
    const id = enqueue('hook');
    const d = delivery([{ name: 'hook', channel: 'webhook', options: { url: `http://127.0.0.1:${hung.port}/` }, lang: 'vi' }], { timeoutMs: 300 });
    d.start();
    await pause(100);
    const t = Date.now();
    await d.stop();
    expect(Date.now() - t).toBeLessThan(2000);
    expect(store.outboxEntry(id)).toMatchObject({ status: 'pending', attempts: 1, lastError: 'timeout' });
  });

  it('after a restart on the same store file, delivers what was pending and nothing twice', async () => {
    const down = await capture();
    down.respond(503);
    const up = await capture();
    const sentBefore = enqueue('oncall');
    const firing = enqueue('hook', FIRING);
    const resolved = enqueue('hook', RESOLVED);
    const first = delivery([hook(down), tg(up)]);
    first.start();
    await waitFor('first instance progress', () => store.outboxEntry(sentBefore)?.status === 'sent' && store.outboxEntry(firing)?.attempts === 1);
    await first.stop();
    store.close();

    store = openSqliteStore(file);
    down.respond(200);
    clock += 10 * 60_000;
    const second = delivery([hook(down), tg(up)]);
    second.start();
    await waitFor('pending delivered', () => store.outboxEntry(resolved)?.status === 'sent');
    await pause(1200);
    expect(statuses(down)).toEqual(['firing', 'firing', 'resolved']);
    expect(up.requests).toHaveLength(1);
    expect(store.outboxEntry(firing)).toMatchObject({ status: 'sent', attempts: 1 });
  });
});

describe('outbox store: giving up and route order', () => {
  it('hands out nothing behind an earlier retrying message of the same route, and never a given-up one', () => {
    const a1 = enqueue('a', FIRING);
    const a2 = enqueue('a', RESOLVED);
    const b1 = enqueue('b', FIRING);
    store.markFailed(a1, T0 + 5000, 'http_status:503');
    expect(store.due(T0, 10).map((e) => e.id)).toEqual([b1]);
    expect(store.due(T0 + 5000, 10).map((e) => e.id)).toEqual([b1, a1]);
    store.markGivenUp(a1, T0 + 6000, 'max_attempts:http_status:503');
    store.markGivenUp(b1, T0 + 6000, 'http_status:400');
    expect(store.due(T0 + 6000, 10).map((e) => e.id)).toEqual([a2]);
    store.markSent(a2, T0 + 7000);
    store.markGivenUp(a2, T0 + 8000, 'late'); // a sent message stays sent
    expect(store.outboxEntry(a2)).toMatchObject({ status: 'sent', sentAtMs: T0 + 7000 });
    expect(store.outboxEntry(a2)!.givenUpAtMs).toBeUndefined();
  });

  it('migration 3 keeps the outbox rows of a version-2 database', () => {
    const old = new Database(join(dir, 'v2.db'));
    migrate(old, MIGRATIONS.slice(0, 2));
    old
      .prepare(
        `INSERT INTO outbox (key, route, payload, not_before, attempts, status, last_error, sent_at)
      VALUES ('k1', 'hook', '{"n":1}', 1000, 2, 'pending', 'http_status:503', NULL), ('k2', 'hook', '{"n":2}', 500, 0, 'sent', NULL, 900)`,
      )
      .run();
    old.close();
    const s = openSqliteStore(join(dir, 'v2.db'));
    expect(s.outboxEntry(1)).toEqual({
      id: 1,
      key: 'k1',
      route: 'hook',
      payload: { n: 1 },
      notBeforeMs: 1000,
      attempts: 2,
      status: 'pending',
      lastError: 'http_status:503',
    });
    expect(s.outboxEntry(2)).toEqual({ id: 2, key: 'k2', route: 'hook', payload: { n: 2 }, notBeforeMs: 500, attempts: 0, status: 'sent', sentAtMs: 900 });
    expect(s.enqueue({ key: 'k1', route: 'hook', payload: {}, notBeforeMs: 0 })).toEqual({ id: 1, created: false });
    s.markGivenUp(1, 2000, 'unknown_route');
    expect(s.outboxEntry(1)).toMatchObject({ status: 'failed', givenUpAtMs: 2000 });
    expect(s.due(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
    s.close();
  });
});
