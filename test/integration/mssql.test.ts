import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { mssqlProbe } from '../../agent/probes/mssql.js';
import type { LineBinding, ProbeResult } from '../../agent/probes/types.js';
import { makeCtx, requireService } from '../helpers/ctx.js';
import { makeCert, opensslAvailable, type TestCert } from '../helpers/tls.js';
import { closedPort, openSockets, stillOpen, timed } from '../helpers/sockets.js';

/**
 * No SQL Server runs here: these tests point the probe at a closed port, at a listener that never
 * answers, and at a loopback server that speaks just enough TDS 7.4 (prelogin without
 * encryption, LOGIN7, SQL batches answered with one INT column) to script each outcome.
 */

const SECRET = 'Cw-mssql-S3cret-9052';

interface Conn {
  remote: string;
  closed: Promise<void>;
  isClosed: boolean;
}
const servers: Server[] = [];
const conns: Conn[] = [];
/** What the fake server was sent: logins (user, database) and batches (text). */
const seen: string[] = [];

async function listen(onSocket: (s: Socket) => void): Promise<number> {
  const server = createServer((s) => {
    const conn: Conn = { remote: s.remoteAddress ?? '', isClosed: false, closed: Promise.resolve() };
    conn.closed = new Promise((resolve) => s.once('close', () => resolve(void (conn.isClosed = true))));
    conns.push(conn);
    s.on('error', () => {});
    onSocket(s);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const u8 = (n: number) => Buffer.from([n]);
const u16 = (n: number) => Buffer.from([n & 0xff, n >> 8]);
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const bVarChar = (s: string) => Buffer.concat([u8(s.length), Buffer.from(s, 'utf16le')]);
const usVarChar = (s: string) => Buffer.concat([u16(s.length), Buffer.from(s, 'utf16le')]);
const token = (type: number, body: Buffer) => Buffer.concat([u8(type), u16(body.length), body]);
const errorToken = (n: number) => token(0xaa, Buffer.concat([u32(n), u8(1), u8(14), usVarChar(`error ${n}`), bVarChar('cwfake'), bVarChar(''), u32(1)]));
const done = (status: number, rows = 0) => Buffer.concat([u8(0xfd), u16(status), u16(0xc1), u32(rows), u32(0)]);
const loginAck = () => {
  const version = Buffer.alloc(4);
  version.writeUInt32BE(0x74000004);
  return token(0xad, Buffer.concat([u8(1), version, bVarChar('Microsoft SQL Server'), Buffer.from([16, 0, 0x10, 0])]));
};
/** One INT column `v` (type 0x38) and one row per value. */
const intRows = (values: number[]) =>
  Buffer.concat([
    u8(0x81),
    u16(1),
    u32(0),
    u16(0),
    u8(0x38),
    bVarChar('v'),
    ...values.map((v) => Buffer.concat([u8(0xd1), u32(v)])),
    done(0x10, values.length),
  ]);

/** Prelogin answer: version 16.0 and the encryption byte (0x01 ON, 0x02 NOT_SUP). */
const prelogin = (encryption: number) =>
  Buffer.concat([Buffer.from([0x00, 0, 11, 0, 6, 0x01, 0, 17, 0, 1, 0xff]), Buffer.from([16, 0, 0x10, 0, 0, 0]), u8(encryption)]);

/** One TDS packet holding a whole message (type 0x04 is a tabular result, 0x12 a prelogin). */
function packet(payload: Buffer, type = 0x04): Buffer {
  const header = Buffer.from([type, 0x01, 0, 0, 0, 0, 1, 0]);
  header.writeUInt16BE(8 + payload.length, 2);
  return Buffer.concat([header, payload]);
}

/** Text of a string field of LOGIN7, from its offset/length pair at `at`. */
function loginField(p: Buffer, at: number): string {
  const off = p.readUInt16LE(at);
  return p.subarray(off, off + 2 * p.readUInt16LE(at + 2)).toString('utf16le');
}

/** The scripted answer to a message: a payload, or nothing ever (undefined). */
function answer(type: number, p: Buffer): Buffer | undefined {
  if (type === 0x10) {
    const user = loginField(p, 40);
    const database = loginField(p, 68);
    seen.push(`login ${user} ${database}`);
    if (user === 'cw-hang') return undefined;
    if (user === 'cw-wrong') return Buffer.concat([errorToken(18456), done(0x02)]);
    if (database === 'cw_no_such_db') return Buffer.concat([errorToken(4060), errorToken(18456), done(0x02)]);
    return Buffer.concat([loginAck(), done(0)]);
  }
  if (type === 0x01) {
    const text = p.subarray(p.readUInt32LE(0)).toString('utf16le');
    if (text.startsWith('set ')) return done(0); // tedious' session settings
    seen.push(`batch ${text}`);
    const select = /^SELECT (\d+)$/.exec(text);
    if (select) return intRows([Number(select[1])]);
    if (text === 'SELECT v FROM cw_three') return intRows([3, 4, 5]);
    if (text.startsWith('WAITFOR')) return undefined;
    return Buffer.concat([errorToken(208), done(0x02)]);
  }
  return undefined;
}

/** Splits a byte stream into TDS messages (packets up to the one marked end-of-message). */
function tdsReader(onMessage: (type: number, payload: Buffer) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  let message: Buffer[] = [];
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 8 && buf.length >= buf.readUInt16BE(2)) {
      const len = buf.readUInt16BE(2);
      const [type, status] = [buf[0]!, buf[1]!];
      message.push(buf.subarray(8, len));
      buf = buf.subarray(len);
      if ((status & 0x01) === 0) continue;
      onMessage(type, Buffer.concat(message));
      message = [];
    }
  };
}

/**
 * The server side of TDS 7 TLS: handshake records travel inside PRELOGIN packets (one message per
 * flight), then TLS records go bare on the socket and carry the TDS messages.
 */
function serverTls(s: Socket, cert: TestCert): { handshake(payload: Buffer): void; raw(chunk: Buffer): void; secure(): boolean } {
  let pending: Buffer[] = [];
  const flush = (): void => {
    if (pending.length > 0) s.write(packet(Buffer.concat(pending), 0x12));
    pending = [];
  };
  const wire = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      // Application data (record type 0x17) goes bare; handshake records are gathered into one message per flight.
      if (chunk[0] === 0x17) s.write(chunk);
      else if (pending.push(chunk) === 1) setImmediate(flush);
      cb();
    },
  });
  const t = new TLSSocket(wire, { isServer: true, cert: cert.cert, key: cert.key });
  let done = false;
  t.once('secure', () => (done = true));
  t.on('error', () => s.destroy());
  t.on(
    'data',
    tdsReader((type, payload) => reply(type, payload, (b) => t.write(b))),
  );
  s.once('close', () => t.destroy());
  return { handshake: (payload) => wire.push(payload), raw: (chunk) => wire.push(chunk), secure: () => done };
}

function reply(type: number, payload: Buffer, write: (b: Buffer) => void, encryption = 0x02): void {
  const r = type === 0x12 ? prelogin(encryption) : answer(type, payload);
  if (r) write(packet(r));
}

/** A TDS 7.4 server; with a certificate it asks for encryption (prelogin ENCRYPT_ON) and does TLS. */
function fakeSqlServer(cert?: TestCert): Promise<number> {
  return listen((s) => {
    let tls: ReturnType<typeof serverTls> | undefined;
    const plain = tdsReader((type, payload) => {
      if (type === 0x12 && tls) return tls.handshake(payload);
      reply(type, payload, (b) => s.write(b), cert ? 0x01 : 0x02);
      if (type === 0x12 && cert) tls = serverTls(s, cert);
    });
    s.on('data', (chunk: Buffer) => (tls?.secure() ? tls.raw(chunk) : plain(chunk)));
  });
}

function run(port: number | string, options: Record<string, unknown> = {}, timeoutMs = 2000, line?: LineBinding) {
  const ctx = makeCtx({ timeoutMs, ...(line ? { line } : {}) });
  const target = typeof port === 'number' ? `127.0.0.1:${port}` : port;
  return { ctx, result: mssqlProbe.run(target, mssqlProbe.options.parse({ user: 'centerwatch', ...options }), ctx) };
}

/** Runs a probe that must end in timeout; checks the time, the closed connection and the descriptors. */
async function expectCleanTimeout(port: number, options: Record<string, unknown>): Promise<ProbeResult> {
  const before = openSockets();
  const [r, ms] = await timed(run(port, options, 1000).result);
  expect(r).toMatchObject({ up: false, reason: 'timeout', message: 'deadline exceeded' });
  expect(ms).toBeGreaterThanOrEqual(900);
  expect(ms).toBeLessThan(2000);
  expect(conns).toHaveLength(1);
  await Promise.race([conns[0]!.closed, new Promise((resolve) => setTimeout(resolve, 1000))]);
  expect(conns[0]!.isClosed).toBe(true);
  expect(openSockets()).toBe(before);
  return r;
}

let fakePort = 0;
beforeAll(async () => {
  fakePort = await fakeSqlServer();
});
afterAll(() => {
  for (const s of servers) s.close();
});
// Every run closes what it opened: the server sees the connection closed.
afterEach(async () => {
  const open = await stillOpen(conns);
  seen.length = 0;
  expect(open).toBe(0);
});

describe('mssql probe against a scripted server', () => {
  it('is up when the login and SELECT 1 answer, with connect, auth and query times', async () => {
    const r = await run(fakePort, { password: SECRET, database: 'motcua' }).result;
    expect(r).toMatchObject({ up: true, reason: 'ok' });
    expect(r.phases?.connect).toBeGreaterThan(0);
    expect(r.phases?.auth).toBeGreaterThan(0);
    expect(r.phases?.query).toBeGreaterThan(0);
    expect(r.phases?.tls).toBeUndefined();
    expect(seen).toEqual(['login centerwatch motcua', 'batch SELECT 1']);
  });

  it('checks the rows and the first value', async () => {
    expect(await run(fakePort, { query: 'SELECT 42', expect: { value: { op: 'eq', value: 42 } } }).result).toMatchObject({ up: true });
    expect(
      await run(fakePort, { query: 'SELECT v FROM cw_three', expect: { rows: { op: 'eq', value: 3 }, value: { op: 'eq', value: 3 } } }).result,
    ).toMatchObject({
      up: true,
    });
    expect(await run(fakePort, { query: 'SELECT 42', expect: { value: { op: 'ge', value: 50 } } }).result).toMatchObject({
      up: false,
      reason: 'assertion',
      message: 'first value "42", expected ge 50',
    });
  });

  it('fails with auth on a refused login, and never shows the password', async () => {
    const { ctx, result } = run(fakePort, { user: 'cw-wrong', password: SECRET });
    const r = await result;
    expect(r).toMatchObject({ up: false, reason: 'auth', message: 'login failed (server error 18456)' });
    expect(JSON.stringify(r)).not.toContain(SECRET);
    expect(ctx.logs.join('\n')).not.toContain(SECRET);
  });

  it('fails with database_missing when the database cannot be opened, trying once', async () => {
    const r = await run(fakePort, { database: 'cw_no_such_db', password: SECRET }).result;
    expect(r).toMatchObject({ up: false, reason: 'database_missing', message: 'cannot open database (server error 4060)' });
    expect(seen).toEqual(['login centerwatch cw_no_such_db']);
  });

  it('fails with query_failed and the server error number when the query fails', async () => {
    const r = await run(fakePort, { query: 'SELECT * FROM cw_missing' }).result;
    expect(r).toMatchObject({ up: false, reason: 'query_failed', message: 'query failed (server error 208)' });
    expect(r.phases?.auth).toBeGreaterThan(0);
  });

  it('fails with tls, without sending the login, when TLS is asked and the server does not offer it', async () => {
    const r = await run(fakePort, { password: SECRET, tls: { mode: 'require' } }).result;
    expect(r).toMatchObject({ up: false, reason: 'tls', message: 'server did not offer encryption (login not sent)' });
    expect(seen).toEqual([]);
  });

  it('fails with timeout within the deadline + 1 s when the login is never answered, closing the connection', async () => {
    const r = await expectCleanTimeout(fakePort, { user: 'cw-hang' });
    expect(r.phases?.connect).toBeGreaterThan(0);
    expect(r.phases?.auth).toBeUndefined();
  });

  it('fails with timeout within the deadline + 1 s when the query is never answered, closing the connection', async () => {
    const r = await expectCleanTimeout(fakePort, { query: "WAITFOR DELAY '00:10'" });
    expect(r.phases?.auth).toBeGreaterThan(0);
    expect(r.phases?.query).toBeUndefined();
  });

  it('leaks no descriptor over 100 runs, up and failing', async () => {
    await run(fakePort).result; // warm-up: the driver opens what it keeps once per process
    await Promise.all(conns.map((c) => c.closed));
    const before = openSockets();
    let ups = 0;
    for (let i = 0; i < 100; i++) {
      const r = await run(fakePort, i % 2 ? { user: 'cw-wrong', password: SECRET } : {}).result;
      if (r.up) ups++;
    }
    await Promise.all(conns.map((c) => c.closed));
    expect(ups).toBe(50);
    expect(openSockets()).toBe(before);
  });

  it("connects from the line's source address", async () => {
    expect(await run(fakePort, {}, 2000, { name: 'inet2', source: '127.0.0.2' }).result).toMatchObject({ up: true });
    expect(conns.map((c) => c.remote)).toEqual(['127.0.0.2']);
  });
});

describe.skipIf(!requireService(opensslAvailable(), 'openssl CLI not installed'))('mssql probe over TLS', () => {
  let cert: TestCert;
  let tlsPort = 0;
  beforeAll(async () => {
    cert = makeCert({ notAfter: new Date(Date.now() + 86400_000), names: ['localhost', '127.0.0.1'] });
    tlsPort = await fakeSqlServer(cert);
  });
  afterAll(() => cert?.cleanup());

  it('logs in and queries through TLS, with the TLS time', async () => {
    const r = await run(`localhost:${tlsPort}`, { password: SECRET, tls: { mode: 'verify', ca_file: cert.certFile } }).result;
    expect(r).toMatchObject({ up: true, reason: 'ok' });
    expect(r.phases?.tls).toBeGreaterThan(0);
    expect(r.phases?.auth).toBeGreaterThan(0);
    expect(seen).toEqual(['login centerwatch ', 'batch SELECT 1']);
    // An IP target is verified against the certificate's IP names (tedious sends it as SNI, and Node warns once, DEP0123).
    expect(await run(tlsPort, { tls: { mode: 'verify', ca_file: cert.certFile } }).result).toMatchObject({ up: true });
    expect(await run(tlsPort, { tls: { mode: 'require' } }).result).toMatchObject({ up: true });
  });

  it('fails with tls on an untrusted certificate or a wrong name, before the login', async () => {
    expect(await run(`localhost:${tlsPort}`, { password: SECRET, tls: { mode: 'verify' } }).result).toMatchObject({
      up: false,
      reason: 'tls',
      message: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
    const named = { mode: 'verify', ca_file: cert.certFile, server_name: 'portal.example.vn' };
    expect(await run(tlsPort, { password: SECRET, tls: named }).result).toMatchObject({ up: false, reason: 'tls', message: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(seen).toEqual([]);
  });

  it('fails with tls when the server requires encryption and the mode is disable', async () => {
    expect(await run(tlsPort).result).toMatchObject({ up: false, reason: 'tls', message: 'server requires encryption (tls mode is disable)' });
  });
});

describe('mssql probe without a server', () => {
  it('fails with refused on a closed port', async () => {
    const r = await run(await closedPort(), { password: SECRET }).result;
    expect(r).toMatchObject({ up: false, reason: 'refused', message: 'connect ECONNREFUSED' });
    expect(JSON.stringify(r)).not.toContain(SECRET);
  });

  it('fails with timeout within the deadline + 1 s when the server accepts and never answers, leaving no socket open', async () => {
    await expectCleanTimeout(await listen((s) => s.resume()), { password: SECRET });
  });

  it('fails with unreachable, connecting nowhere, when the line has no address', async () => {
    const r = await run(fakePort, {}, 2000, { name: 'inet1', interface: 'cw-no-such-if0' }).result;
    expect(r).toMatchObject({ up: false, reason: 'unreachable', message: 'line inet1: interface cw-no-such-if0 has no IPv4 address' });
    expect(conns).toHaveLength(0);
  });

  it('fails with config on a target that is not host:port or a ca_file it cannot read', async () => {
    expect(await run('127.0.0.1').result).toMatchObject({ up: false, reason: 'config', message: 'target "127.0.0.1" is not host:port' });
    const r = await run(fakePort, { tls: { mode: 'verify', ca_file: '/nonexistent/cw-ca.pem' } }).result;
    expect(r).toMatchObject({ up: false, reason: 'config', message: 'cannot read ca_file (open ENOENT)' });
    expect(conns).toHaveLength(0);
  });
});

describe('mssql options', () => {
  const problems = (input: unknown) => mssqlProbe.options.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);

  it('has the documented defaults', () => {
    expect(mssqlProbe.options.parse({ user: 'sa' })).toEqual({ user: 'sa', password: '', query: 'SELECT 1', tls: { mode: 'disable' } });
  });

  it('rejects unknown options, wrong types and a missing user with exact messages', () => {
    expect(problems({ user: 'sa', instance_name: 'SQLEXPRESS' })).toEqual([': Unrecognized key: "instance_name"']);
    expect(problems({ user: 'sa', query: 1 })).toEqual(['query: Invalid input: expected string, received number']);
    expect(problems({})).toEqual(['user: Invalid input: expected string, received undefined']);
    expect(problems({ user: 'sa', tls: { mode: 'verify', ca: 'x' } })).toEqual(['tls: Unrecognized key: "ca"']);
  });
});
