import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_UNREAD_REPLIES } from '../../agent/probes/resp.js';
import { redisProbe } from '../../agent/probes/redis.js';
import type { LineBinding, ProbeResult } from '../../agent/probes/types.js';
import { makeCtx, requireService } from '../helpers/ctx.js';
import { commandExists } from '../helpers/servers.js';
import { makeCert, opensslAvailable, type TestCert } from '../helpers/tls.js';
import { serviceUp as accepts } from '../helpers/services.js';
import { closedPort as freePort } from '../helpers/sockets.js';

const SHARED = '127.0.0.1:6379';
const PASSWORD = 'cw-right-Secret-7781';
const USER_PASSWORD = 'cw-user-Secret-5521';

/** Whether something accepts TCP on the port (the shared Redis). */

/** A port that was free a moment ago (the kernel's choice), for a server that cannot listen on 0 and tell. */

async function waitAccepting(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    if (await accepts(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('redis-server did not start');
}

function run(target: string, options: Record<string, unknown> = {}, timeoutMs = 2000, line?: LineBinding): Promise<ProbeResult> {
  return redisProbe.run(target, redisProbe.options.parse(options), makeCtx({ timeoutMs, ...(line ? { line } : {}) }));
}

async function timed<T>(p: Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await p;
  return [v, performance.now() - t0];
}

const sharedUp = await accepts(6379);

describe.skipIf(!requireService(sharedUp, `no Redis on ${SHARED}`))('redis probe against the shared Redis', () => {
  it('is up on PING, with the connect and query times and no auth step', async () => {
    const r = await run(SHARED);
    expect(r).toMatchObject({ up: true, reason: 'ok' });
    expect(r.phases?.connect).toBeGreaterThan(0);
    expect(r.phases?.query).toBeGreaterThan(0);
    expect(r.phases?.auth).toBeUndefined();
    expect(r.phases?.tls).toBeUndefined();
  });

  it('checks the reply of a configured command', async () => {
    expect(await run(SHARED, { command: ['ECHO', 'thủ tục'], expect: { value: { op: 'eq', value: 'thủ tục' } } })).toMatchObject({ up: true });
    expect(await run(SHARED, { command: ['PING'], expect: { matches: '^PONG$' } })).toMatchObject({ up: true });
    expect(await run(SHARED, { command: ['ECHO', 'x'], expect: { value: { op: 'eq', value: 'y' } } })).toMatchObject({
      up: false,
      reason: 'assertion',
      message: 'first value "x", expected eq "y"',
    });
  });

  it('counts the elements of an array reply, and a missing key as no rows', async () => {
    const key = `cw:test:${process.pid}:list`;
    try {
      expect(await run(SHARED, { command: ['RPUSH', key, 'a', 'b', 'c'], expect: { value: { op: 'eq', value: 3 } } })).toMatchObject({ up: true });
      expect(
        await run(SHARED, { command: ['LRANGE', key, '0', '-1'], expect: { rows: { op: 'eq', value: 3 }, value: { op: 'eq', value: 'a' } } }),
      ).toMatchObject({ up: true });
    } finally {
      expect(await run(SHARED, { command: ['DEL', key], expect: { value: { op: 'eq', value: 1 } } })).toMatchObject({ up: true });
    }
    expect(await run(SHARED, { command: ['GET', key], expect: { rows: { op: 'ge', value: 1 } } })).toMatchObject({
      up: false,
      reason: 'assertion',
      message: '0 rows, expected ge 1',
    });
  });

  it('fails with database_missing on a database index the server does not have', async () => {
    const r = await run(SHARED, { db: 99 });
    expect(r).toMatchObject({ up: false, reason: 'database_missing', message: 'SELECT 99 refused (ERR)' });
    expect(r.phases?.auth).toBeGreaterThan(0);
    expect(r.phases?.query).toBeUndefined();
    expect(await run(SHARED, { db: 1 })).toMatchObject({ up: true });
  });

  it('fails with query_failed on an unknown command and on a command of the wrong type', async () => {
    expect(await run(SHARED, { command: ['CW-NO-SUCH-COMMAND'] })).toMatchObject({
      up: false,
      reason: 'query_failed',
      message: 'CW-NO-SUCH-COMMAND failed (ERR)',
    });
    const key = `cw:test:${process.pid}:str`;
    expect(await run(SHARED, { command: ['SET', key, 'v', 'EX', '60'] })).toMatchObject({ up: true });
    expect(await run(SHARED, { command: ['LLEN', key] })).toMatchObject({ up: false, reason: 'query_failed', message: 'LLEN failed (WRONGTYPE)' });
    expect(await run(SHARED, { command: ['DEL', key], expect: { value: { op: 'eq', value: 1 } } })).toMatchObject({ up: true });
  });

  it('fails with auth when a password is sent to a server that has none', async () => {
    expect(await run(SHARED, { password: 'unneeded' })).toMatchObject({ up: false, reason: 'auth', message: 'AUTH refused (ERR)' });
  });

  it('fails with timeout within the deadline + 1 s on a command that blocks, after connecting', async () => {
    const [r, ms] = await timed(run(SHARED, { command: ['BLPOP', `cw:test:${process.pid}:never`, '0'] }, 800));
    expect(r).toMatchObject({ up: false, reason: 'timeout', message: 'deadline exceeded during query' });
    expect(r.phases?.connect).toBeGreaterThan(0);
    expect(ms).toBeGreaterThanOrEqual(750);
    expect(ms).toBeLessThan(1800);
  });

  it('fails with unreachable, connecting nowhere, when the line has no address', async () => {
    expect(await run(SHARED, {}, 2000, { name: 'inet1', interface: 'cw-no-such-if0' })).toMatchObject({
      up: false,
      reason: 'unreachable',
      message: 'line inet1: interface cw-no-such-if0 has no IPv4 address',
    });
  });

  // Redis reads the ClientHello as the start of an inline command and waits for its end of line:
  // a TLS client to a plain port hears nothing, so this is a timeout, and the message says where.
  it('fails with timeout in the TLS step when TLS is required of a server that speaks plain RESP', async () => {
    const r = await run(SHARED, { tls: { mode: 'require' } }, 800);
    expect(r).toMatchObject({ up: false, reason: 'timeout', message: 'deadline exceeded during tls' });
    expect(r.phases?.connect).toBeGreaterThan(0);
    expect(r.phases?.tls).toBeUndefined();
  });
});

describe('redis probe against servers that misbehave', () => {
  const servers: Server[] = [];
  const accepted: Array<{ closed: Promise<void> }> = [];
  let silentPort = 0;
  let httpPort = 0;

  const listen = async (onConn: (s: Socket) => void): Promise<number> => {
    const server = createServer((s) => {
      s.on('error', () => {});
      accepted.push({ closed: new Promise((resolve) => s.once('close', () => resolve())) });
      onConn(s);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  };

  beforeAll(async () => {
    // Reading (and dropping) what comes is what lets the server see the close.
    silentPort = await listen((s) => s.resume());
    httpPort = await listen((s) => s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\n\r\n')));
  });
  afterAll(() => {
    for (const s of servers) s.close();
  });

  it('fails with timeout within the deadline + 1 s on a listener that never answers, and closes the connection', async () => {
    accepted.length = 0;
    const [r, ms] = await timed(run(`127.0.0.1:${silentPort}`, { password: PASSWORD }, 1000));
    expect(r).toMatchObject({ up: false, reason: 'timeout', message: 'deadline exceeded during auth' });
    expect(r.phases?.connect).toBeGreaterThan(0);
    expect(r.phases?.auth).toBeUndefined();
    expect(ms).toBeGreaterThanOrEqual(950);
    expect(ms).toBeLessThan(2000);
    expect(accepted).toHaveLength(1);
    await expect(Promise.race([accepted[0]!.closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('open'), 1000))])).resolves.toBe('closed');
  });

  it('fails with timeout when a TLS handshake never completes, and closes the connection', async () => {
    accepted.length = 0;
    const [r, ms] = await timed(run(`127.0.0.1:${silentPort}`, { tls: { mode: 'require' } }, 800));
    expect(r).toMatchObject({ up: false, reason: 'timeout', message: 'deadline exceeded during tls' });
    expect(r.phases?.tls).toBeUndefined();
    expect(ms).toBeLessThan(1800);
    await expect(Promise.race([accepted[0]!.closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('open'), 1000))])).resolves.toBe('closed');
  });

  it('fails with protocol when the server is not Redis', async () => {
    expect(await run(`127.0.0.1:${httpPort}`)).toMatchObject({ up: false, reason: 'protocol', message: 'not a RESP2 reply (unexpected type byte 0x48)' });
  });

  it('fails with protocol, reading a bounded amount, when the server floods replies nobody asked for', async () => {
    let sent = 0;
    const port = await listen((s) =>
      s.once('data', () => {
        const block = Buffer.from('+PONG\r\n'.repeat(8192));
        const pump = (): void => {
          while (!s.destroyed && s.write(block)) sent += block.length;
          if (!s.destroyed) s.once('drain', pump);
        };
        pump();
      }),
    );
    const [r, ms] = await timed(run(`127.0.0.1:${port}`, {}, 3000));
    console.log('redis flood', JSON.stringify({ ms: Math.round(ms), sentMiB: Number((sent / 2 ** 20).toFixed(2)) }));
    expect(r).toMatchObject({ up: false, reason: 'protocol', message: `not a RESP2 reply (over ${MAX_UNREAD_REPLIES} replies unread)` });
    expect(ms).toBeLessThan(1000);
    expect(sent).toBeLessThan(8 * 2 ** 20);
  });

  it('fails with refused on a closed port', async () => {
    expect(await run(`127.0.0.1:${await freePort()}`)).toMatchObject({ up: false, reason: 'refused', message: 'connect ECONNREFUSED' });
  });

  it('refuses targets and options that cannot work', async () => {
    expect(await run('127.0.0.1')).toMatchObject({ up: false, reason: 'config' });
    expect(redisProbe.options.safeParse({ command: ['SUBSCRIBE', 'x'] }).success).toBe(false);
    expect(redisProbe.options.safeParse({ command: [] }).success).toBe(false);
    expect(redisProbe.options.safeParse({ user: 'cw' }).error?.issues[0]).toMatchObject({ path: ['password'], message: 'is required with user' });
    expect(redisProbe.options.safeParse({ database: 1 }).success).toBe(false);
  });
});

const canStart = commandExists('redis-server') && opensslAvailable();

describe.skipIf(!requireService(canStart, 'redis-server or openssl not installed'))('redis probe against a private Redis with passwords and TLS', () => {
  let child: ChildProcess;
  let dir: string;
  let cert: TestCert;
  let port = 0;
  let tlsPort = 0;
  const target = (): string => `127.0.0.1:${port}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-redis-'));
    cert = makeCert({ notAfter: new Date(Date.now() + 10 * 86400_000), names: ['localhost', '127.0.0.1'] });
    port = await freePort();
    tlsPort = await freePort();
    // The default user takes PASSWORD; the ACL user cw takes its own; cwlimited may only PING.
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--databases',
      '4',
      '--requirepass',
      PASSWORD,
      '--user',
      'cw',
      'on',
      `>${USER_PASSWORD}`,
      '~*',
      '&*',
      '+@all',
      '--user',
      'cwlimited',
      'on',
      `>${USER_PASSWORD}`,
      '-@all',
      '+ping',
      '+auth',
      '+quit',
      '--tls-port',
      String(tlsPort),
      '--tls-cert-file',
      cert.certFile,
      '--tls-key-file',
      cert.keyFile,
      '--tls-ca-cert-file',
      cert.certFile,
      '--tls-auth-clients',
      'no',
    ];
    child = spawn('redis-server', args, { stdio: 'ignore' });
    await waitAccepting(port, child);
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    cert?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is up with the right password, timing the auth step', async () => {
    const r = await run(target(), { password: PASSWORD });
    expect(r).toMatchObject({ up: true, reason: 'ok' });
    expect(r.phases?.auth).toBeGreaterThan(0);
  });

  it('fails with auth on a wrong password, never showing it', async () => {
    const ctx = makeCtx({ timeoutMs: 2000 });
    const r = await redisProbe.run(target(), redisProbe.options.parse({ password: 'cw-wrong-Secret-1' }), ctx);
    expect(r).toMatchObject({ up: false, reason: 'auth', message: 'AUTH refused (WRONGPASS)' });
    expect(r.phases?.query).toBeUndefined();
    expect(JSON.stringify([r, ctx.logs])).not.toContain('cw-wrong-Secret-1');
  });

  it('fails with auth when the server needs a password and none is given', async () => {
    expect(await run(target())).toMatchObject({ up: false, reason: 'auth', message: 'PING failed (NOAUTH)' });
  });

  it('logs in as an ACL user, and fails with auth on its wrong password', async () => {
    expect(await run(target(), { user: 'cw', password: USER_PASSWORD, db: 2 })).toMatchObject({ up: true });
    expect(await run(target(), { user: 'cw', password: PASSWORD })).toMatchObject({ up: false, reason: 'auth', message: 'AUTH refused (WRONGPASS)' });
    expect(await run(target(), { user: 'cw-nobody', password: USER_PASSWORD })).toMatchObject({ up: false, reason: 'auth' });
  });

  it('tells a login refused from a command the ACL forbids, and from a missing database', async () => {
    expect(await run(target(), { user: 'cwlimited', password: USER_PASSWORD })).toMatchObject({ up: true });
    expect(await run(target(), { user: 'cwlimited', password: USER_PASSWORD, command: ['GET', 'x'] })).toMatchObject({
      up: false,
      reason: 'query_failed',
      message: 'GET failed (NOPERM)',
    });
    expect(await run(target(), { user: 'cwlimited', password: USER_PASSWORD, db: 1 })).toMatchObject({
      up: false,
      reason: 'auth',
      message: 'SELECT 1 refused (NOPERM)',
    });
    expect(await run(target(), { password: PASSWORD, db: 4 })).toMatchObject({ up: false, reason: 'database_missing', message: 'SELECT 4 refused (ERR)' });
  });

  it("connects from the line's source address", async () => {
    const r = await run(target(), { password: PASSWORD, command: ['CLIENT', 'INFO'], expect: { matches: ' addr=127\\.0\\.0\\.2:' } }, 2000, {
      name: 'inet2',
      source: '127.0.0.2',
    });
    expect(r).toMatchObject({ up: true });
    expect(await run(target(), { password: PASSWORD, command: ['CLIENT', 'INFO'], expect: { matches: ' addr=127\\.0\\.0\\.2:' } })).toMatchObject({
      up: false,
      reason: 'assertion',
    });
  });

  it('is up over TLS with ca_file, timing the handshake apart', async () => {
    const r = await run(`127.0.0.1:${tlsPort}`, { password: PASSWORD, tls: { mode: 'verify', ca_file: cert.certFile } });
    expect(r).toMatchObject({ up: true, reason: 'ok' });
    expect(r.phases?.tls).toBeGreaterThan(0);
    expect(r.phases?.auth).toBeGreaterThan(0);
    expect(await run(`localhost:${tlsPort}`, { password: PASSWORD, tls: { mode: 'verify', ca_file: cert.certFile } })).toMatchObject({ up: true });
    expect(await run(`127.0.0.1:${tlsPort}`, { password: PASSWORD, tls: { mode: 'require' } })).toMatchObject({ up: true });
  });

  it('fails with tls on a certificate it cannot verify, or one for another name', async () => {
    expect(await run(`127.0.0.1:${tlsPort}`, { password: PASSWORD, tls: { mode: 'verify' } })).toMatchObject({
      up: false,
      reason: 'tls',
      message: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
    expect(
      await run(`127.0.0.1:${tlsPort}`, { password: PASSWORD, tls: { mode: 'verify', ca_file: cert.certFile, server_name: 'cache.example.vn' } }),
    ).toMatchObject({
      up: false,
      reason: 'tls',
      message: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
  });

  it('fails with config when ca_file cannot be read', async () => {
    expect(await run(`127.0.0.1:${tlsPort}`, { tls: { mode: 'verify', ca_file: join(dir, 'missing.pem') } })).toMatchObject({
      up: false,
      reason: 'config',
      message: 'cannot read ca_file (open ENOENT)',
    });
  });

  it('leaves no connection open on the server, whatever the outcome', async () => {
    await run(target(), { password: 'cw-wrong-Secret-1' });
    await run(target(), { password: PASSWORD, db: 4 });
    await run(target(), { password: PASSWORD, command: ['CW-NO-SUCH-COMMAND'] });
    await run(`127.0.0.1:${tlsPort}`, { password: PASSWORD, tls: { mode: 'require' } });
    // The check's own connection is the only client; the server may take a moment to reap a closed one.
    let r: ProbeResult | undefined;
    for (let i = 0; i < 20; i++) {
      r = await run(target(), { password: PASSWORD, command: ['INFO', 'clients'], expect: { matches: '\\bconnected_clients:1\\r\\n' } });
      if (r.up) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(r).toMatchObject({ up: true });
  });
});
