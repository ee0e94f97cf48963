import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { postgresProbe } from '../../agent/probes/postgres.js';
import type { LineBinding, ProbeResult } from '../../agent/probes/types.js';
import { makeCtx, requireService, type TestCtx } from '../helpers/ctx.js';
import { serviceUp } from '../helpers/services.js';
import { freePort, pgInstanceUnavailable, startPgPrimary, startPgStandby, type PgInstance } from '../helpers/pg-instance.js';

const SHARED = '127.0.0.1:5432';
const PASSWORD = `Cw-pg-${randomBytes(6).toString('hex')}`;
const WRONG = `Cw-wrong-${randomBytes(6).toString('hex')}`;

async function probe(
  target: string,
  options: Record<string, unknown>,
  timeoutMs = 5000,
  line?: LineBinding,
): Promise<{ r: ProbeResult; ms: number; ctx: TestCtx }> {
  const ctx = makeCtx({ timeoutMs, ...(line ? { line } : {}) });
  const t0 = performance.now();
  const r = await postgresProbe.run(target, postgresProbe.options.parse(options), ctx);
  return { r, ms: performance.now() - t0, ctx };
}

/** A TCP listener that answers `reply(firstChunk)` once (or never) and then stays silent; it records closes. */
async function silentServer(
  reply?: (chunk: Buffer) => Buffer | undefined,
): Promise<{ port: number; closed: Promise<void>; server: Server; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  let onClosed = (): void => {};
  const closed = new Promise<void>((resolve) => (onClosed = resolve));
  const server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
    s.once('close', () => onClosed());
    // Reading (and dropping) what arrives lets the socket see the peer's FIN.
    s.on('data', (chunk) => {
      const answer = reply?.(chunk);
      reply = undefined;
      if (answer) s.write(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, closed, server, sockets };
}

function within<T>(p: Promise<T>, ms: number): Promise<T | 'late'> {
  return Promise.race([p, new Promise<'late'>((r) => setTimeout(() => r('late'), ms))]);
}

describe('postgres probe against the shared server (trust auth)', () => {
  let up = false;
  beforeAll(async () => {
    up = await serviceUp(5432);
  });

  it('logs in and runs SELECT 1, with phases', async (t) => {
    if (!requireService(up, 'PostgreSQL on 127.0.0.1:5432 is not running')) return t.skip();
    const { r } = await probe(SHARED, { database: 'test' });
    expect(r).toMatchObject({ up: true, reason: 'ok' });
    expect(Object.keys(r.phases ?? {})).toEqual(expect.arrayContaining(['connect', 'auth', 'query']));
    expect(r.phases?.tls).toBeUndefined();
  });

  it('checks the result against an expectation', async (t) => {
    if (!requireService(up, 'PostgreSQL on 127.0.0.1:5432 is not running')) return t.skip();
    const query = 'SELECT g FROM generate_series(1, 3) g';
    expect((await probe(SHARED, { database: 'test', query, expect: { rows: { op: 'eq', value: 3 }, value: { op: 'eq', value: 1 } } })).r.up).toBe(true);
    expect((await probe(SHARED, { query: 'SELECT true', expect: { value: { op: 'eq', value: true } } })).r.up).toBe(true);
    expect((await probe(SHARED, { query: "SELECT '2025-07-01'::date", expect: { matches: '^2025-07-01$' } })).r.up).toBe(true);
  });

  it('fails with assertion when the expectation is not met', async (t) => {
    if (!requireService(up, 'PostgreSQL on 127.0.0.1:5432 is not running')) return t.skip();
    const { r } = await probe(SHARED, { query: 'SELECT 41', expect: { value: { op: 'ge', value: 42 } } });
    expect(r).toMatchObject({ up: false, reason: 'assertion' });
    expect(r.message).toContain('41');
  });

  it('fails with database_missing for a database that does not exist', async (t) => {
    if (!requireService(up, 'PostgreSQL on 127.0.0.1:5432 is not running')) return t.skip();
    const { r } = await probe(SHARED, { database: 'cw_no_such_db' });
    expect(r).toMatchObject({ up: false, reason: 'database_missing' });
    expect(r.message).toContain('3D000');
  });

  it('fails with query_failed for a failing query, by its SQLSTATE', async (t) => {
    if (!requireService(up, 'PostgreSQL on 127.0.0.1:5432 is not running')) return t.skip();
    for (const [query, code] of [
      ['SELECT 1/0', '22012'],
      ['SELECT * FROM cw_no_such_table', '42P01'],
      ['SELEC 1', '42601'],
    ]) {
      const { r } = await probe(SHARED, { query });
      expect(r, query).toMatchObject({ up: false, reason: 'query_failed' });
      expect(r.message).toContain(code);
    }
  });

  it('fails with tls when TLS is required and the server has none', async (t) => {
    if (!requireService(up, 'PostgreSQL on 127.0.0.1:5432 is not running')) return t.skip();
    const { r } = await probe(SHARED, { tls: { mode: 'require' } });
    expect(r).toMatchObject({ up: false, reason: 'tls', message: 'the server does not offer TLS' });
  });

  it('reports is_replica 0 and no lag against a primary', async (t) => {
    if (!requireService(up, 'PostgreSQL on 127.0.0.1:5432 is not running')) return t.skip();
    const { r } = await probe(SHARED, { replication: true });
    expect(r.up).toBe(true);
    expect(r.observations).toEqual([{ metric: 'is_replica', value: 0 }]);
  });

  it('times out a query that outlives the deadline', async (t) => {
    if (!requireService(up, 'PostgreSQL on 127.0.0.1:5432 is not running')) return t.skip();
    const { r, ms } = await probe(SHARED, { query: 'SELECT pg_sleep(3)' }, 800);
    expect(r).toMatchObject({ up: false, reason: 'timeout' });
    expect(ms).toBeLessThan(1800);
    expect(r.phases?.query).toBeGreaterThan(0.5);
  });
});

describe('postgres probe against servers that do not answer', () => {
  it('fails with refused on a closed port', async () => {
    const { r } = await probe(`127.0.0.1:${await freePort()}`, {});
    expect(r).toMatchObject({ up: false, reason: 'refused' });
  });

  it('fails with unreachable for a line whose interface has no address, without connecting', async () => {
    const { r } = await probe(SHARED, {}, 5000, { name: 'inet2', interface: 'cwnone0' });
    expect(r).toMatchObject({ up: false, reason: 'unreachable' });
  });

  it('fails with config for a target that is not host:port and for an unreadable ca_file', async () => {
    expect((await probe('127.0.0.1', {})).r.reason).toBe('config');
    expect((await probe(SHARED, { tls: { mode: 'verify', ca_file: '/nonexistent/cw-ca.pem' } })).r.reason).toBe('config');
  });

  for (const [name, options, reply] of [
    ['a listener that accepts and never answers', {}, undefined],
    ['a listener that never answers the SSLRequest', { tls: { mode: 'require' } }, undefined],
    ["a listener that says 'S' then hangs the TLS handshake", { tls: { mode: 'require' } }, () => Buffer.from('S')],
  ] as const) {
    it(`times out within the deadline + 1 s on ${name}, and closes the connection`, async () => {
      const srv = await silentServer(reply);
      try {
        const { r, ms } = await probe(`127.0.0.1:${srv.port}`, options, 1000);
        expect(r).toMatchObject({ up: false, reason: 'timeout' });
        expect(ms).toBeLessThan(2000);
        expect(srv.sockets).toHaveLength(1);
        expect(await within(srv.closed, 1000)).toBeUndefined();
      } finally {
        srv.server.close();
      }
    });
  }
});

describe('postgres probe against a private server (password auth, TLS, standby)', () => {
  let why: string | undefined;
  let primary: (PgInstance & { cert: { certFile: string } }) | undefined;
  let standby: PgInstance | undefined;
  let standbyWhy: string | undefined;
  const target = (i: PgInstance): string => `127.0.0.1:${i.port}`;

  beforeAll(async () => {
    why = await pgInstanceUnavailable();
    if (why) return;
    primary = await startPgPrimary(PASSWORD);
    try {
      standby = await startPgStandby(primary);
    } catch (err) {
      standbyWhy = `could not build a standby: ${(err as Error).message}`;
    }
  }, 90_000);
  afterAll(async () => {
    await standby?.stop();
    await primary?.stop();
  }, 60_000);

  it('logs in with the right password', async (t) => {
    if (!requireService(!why, why ?? '')) return t.skip();
    const { r } = await probe(target(primary!), { password: PASSWORD });
    expect(r).toMatchObject({ up: true, reason: 'ok' });
  });

  it('fails with auth for a wrong or missing password, and the password appears nowhere', async (t) => {
    if (!requireService(!why, why ?? '')) return t.skip();
    const wrong = await probe(target(primary!), { password: WRONG });
    expect(wrong.r).toMatchObject({ up: false, reason: 'auth' });
    expect(wrong.r.message).toContain('28P01');
    const none = await probe(target(primary!), {});
    expect(none.r).toMatchObject({ up: false, reason: 'auth', message: 'the server asks for a password and none is configured' });
    const right = await probe(target(primary!), { password: PASSWORD, query: 'SELECT 1/0' });
    expect(right.r.reason).toBe('query_failed');
    for (const { r, ctx } of [wrong, none, right]) {
      const seen = JSON.stringify(r) + ctx.logs.join('\n');
      expect(seen).not.toContain(WRONG);
      expect(seen).not.toContain(PASSWORD);
    }
  });

  it('binds to the line: the server sees the line source address, and pg_hba can turn it away', async (t) => {
    if (!requireService(!why, why ?? '')) return t.skip();
    const query = 'SELECT host(inet_client_addr())';
    const bound = await probe(target(primary!), { password: PASSWORD, query, expect: { value: { op: 'eq', value: '127.0.0.2' } } }, 5000, {
      name: 'inet1',
      source: '127.0.0.2',
    });
    expect(bound.r).toMatchObject({ up: true });
    const rejected = await probe(target(primary!), { password: PASSWORD }, 5000, { name: 'inet2', source: '127.0.0.3' });
    expect(rejected.r).toMatchObject({ up: false, reason: 'auth' });
    expect(rejected.r.message).toContain('28000');
  });

  it('TLS require succeeds and measures the tls phase', async (t) => {
    if (!requireService(!why, why ?? '')) return t.skip();
    const { r } = await probe(target(primary!), { password: PASSWORD, tls: { mode: 'require' } });
    expect(r).toMatchObject({ up: true, reason: 'ok' });
    expect(r.phases?.tls).toBeGreaterThan(0);
    // The session really is encrypted, as the server sees it.
    const ssl = await probe(target(primary!), {
      password: PASSWORD,
      tls: { mode: 'require' },
      query: 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      expect: { value: { op: 'eq', value: true } },
    });
    expect(ssl.r.up).toBe(true);
  });

  it('TLS verify succeeds with the CA file, and fails with tls without it or for another name', async (t) => {
    if (!requireService(!why, why ?? '')) return t.skip();
    const ca_file = primary!.cert.certFile;
    expect((await probe(target(primary!), { password: PASSWORD, tls: { mode: 'verify', ca_file } })).r).toMatchObject({ up: true });
    expect((await probe(target(primary!), { password: PASSWORD, tls: { mode: 'verify', ca_file, server_name: 'localhost' } })).r).toMatchObject({ up: true });
    const untrusted = await probe(target(primary!), { password: PASSWORD, tls: { mode: 'verify' } });
    expect(untrusted.r).toMatchObject({ up: false, reason: 'tls' });
    const otherName = await probe(target(primary!), { password: PASSWORD, tls: { mode: 'verify', ca_file, server_name: 'db.example.invalid' } });
    expect(otherName.r).toMatchObject({ up: false, reason: 'tls' });
  });

  it('reports is_replica 0 on the primary and the replay lag of a standby', async (t) => {
    if (!requireService(!why, why ?? '')) return t.skip();
    if (!standby) {
      console.warn(`skipping the standby part: ${standbyWhy}`);
      return t.skip();
    }
    const p = primary!;
    const s = standby;
    expect((await probe(target(p), { password: PASSWORD, replication: true })).r.observations).toEqual([{ metric: 'is_replica', value: 0 }]);

    // Caught up: lag 0, whatever the age of the last transaction.
    await p.sql('CREATE TABLE IF NOT EXISTS cw_lag (at timestamptz)');
    await p.sql('INSERT INTO cw_lag VALUES (now())');
    await until(async () => (await s.sql("SELECT count(*) FROM pg_class WHERE relname = 'cw_lag'"))[0]?.[0] === '1');
    await until(async () => (await s.sql('SELECT pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()'))[0]?.[0] === true);
    const caughtUp = await probe(target(s), { password: PASSWORD, replication: true });
    expect(caughtUp.r.up).toBe(true);
    expect(caughtUp.r.observations).toEqual([
      { metric: 'is_replica', value: 1 },
      { metric: 'replication_lag_seconds', value: 0 },
    ]);

    // Replay paused, a transaction received but not replayed: lag is the age of the last one replayed.
    await s.sql('SELECT pg_wal_replay_pause()');
    try {
      await new Promise((r) => setTimeout(r, 1500));
      await p.sql('INSERT INTO cw_lag VALUES (now())');
      await until(async () => (await s.sql('SELECT pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()'))[0]?.[0] === true);
      const behind = await probe(target(s), { password: PASSWORD, replication: true });
      expect(behind.r.up).toBe(true);
      const lag = behind.r.observations?.find((o) => o.metric === 'replication_lag_seconds')?.value;
      expect(lag).toBeGreaterThanOrEqual(1.4);
      expect(lag).toBeLessThan(30);
    } finally {
      await s.sql('SELECT pg_wal_replay_resume()');
    }
  }, 30_000);
});

async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
