import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { oracleProbe } from '../../agent/probes/oracle.js';
import type { LineBinding, ProbeResult } from '../../agent/probes/types.js';
import { makeCtx } from '../helpers/ctx.js';
import { closedPort, openSockets, stillOpen, timed } from '../helpers/sockets.js';

/**
 * No Oracle Database runs here: these tests point the probe at a closed port, at a listener that
 * never answers, and at loopback listeners that answer the driver's TNS CONNECT packet with a
 * REFUSE (service unknown) or with an ACCEPT and then silence — the driver has no deadline of its
 * own after an ACCEPT, so that one shows the probe cutting the socket itself.
 */

const SECRET = 'Cw-oracle-S3cret-2208';
const NSPTAC = 2;
const NSPTRF = 4;

interface Conn {
  remote: string;
  received: number;
  closed: Promise<void>;
  isClosed: boolean;
}
const servers: Server[] = [];
const conns: Conn[] = [];

/** Answers the first packet a client sends with `reply` (if any), then stays silent. */
async function listener(reply?: Buffer, host = '127.0.0.1'): Promise<number> {
  const server = createServer((s: Socket) => {
    const conn: Conn = { remote: s.remoteAddress ?? '', received: 0, isClosed: false, closed: Promise.resolve() };
    conn.closed = new Promise((resolve) => s.once('close', () => resolve(void (conn.isClosed = true))));
    conns.push(conn);
    s.on('error', () => {});
    s.on('data', (d: Buffer) => {
      if (conn.received === 0 && reply) s.write(reply);
      conn.received += d.length;
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as AddressInfo).port;
}

/** A TNS packet before large-SDU negotiation: 2-byte length, checksums 0. */
function tnsPacket(type: number, body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16BE(8 + body.length, 0);
  header[4] = type;
  return Buffer.concat([header, body]);
}

/** REFUSE carrying the listener's ERR, as a listener that does not know the service sends it. */
function refuse(err: number): Buffer {
  const data = Buffer.from(`(DESCRIPTION=(TMP=)(VSNNUM=0)(ERR=${err})(ERROR_STACK=(ERROR=(CODE=${err})(EMFI=4))))`, 'ascii');
  const body = Buffer.alloc(4);
  body[0] = 0x22; // user reason
  body.writeUInt16BE(data.length, 2);
  return tnsPacket(NSPTRF, Buffer.concat([body, data]));
}

/** ACCEPT of TNS version 315 (large SDU), no network services (so no ANO exchange follows). */
function accept(): Buffer {
  const body = Buffer.alloc(33); // offsets 8..40 of the packet
  body.writeUInt16BE(315, 0); // version
  body.writeUInt16BE(8192, 4); // SDU
  body.writeUInt16BE(65535, 6); // TDU
  body.writeUInt16BE(0x0100, 8); // the value 1 in the server's byte order
  body[15] = 0x08; // flag1: NSINANOSERVICES
  body.writeUInt32BE(8192, 24); // large SDU
  body.writeUInt32BE(65535, 28); // large TDU
  return tnsPacket(NSPTAC, body);
}

function run(port: number | string, options: Record<string, unknown> = {}, timeoutMs = 2000, line?: LineBinding) {
  const ctx = makeCtx({ timeoutMs, ...(line ? { line } : {}) });
  const target = typeof port === 'number' ? `127.0.0.1:${port}` : port;
  return { ctx, result: oracleProbe.run(target, oracleProbe.options.parse({ user: 'centerwatch', password: SECRET, ...options }), ctx) };
}

/** Runs a probe that must end in timeout; checks the time, the closed connection and the descriptors. */
async function expectCleanTimeout(port: number): Promise<ProbeResult> {
  // Warm-up: the driver's first run loads modules and may open descriptors it keeps.
  await run(await closedPort()).result;
  const before = openSockets();
  const { ctx, result } = run(port, {}, 1000);
  const [r, ms] = await timed(result);
  expect(r).toMatchObject({ up: false, reason: 'timeout', message: 'deadline exceeded' });
  expect(ms).toBeGreaterThanOrEqual(900);
  expect(ms).toBeLessThan(2000);
  expect(conns).toHaveLength(1);
  expect(conns[0]!.received).toBeGreaterThan(0); // the driver's CONNECT packet reached the server
  await Promise.race([conns[0]!.closed, new Promise((resolve) => setTimeout(resolve, 1000))]);
  expect(conns[0]!.isClosed).toBe(true);
  expect(openSockets()).toBe(before);
  expect(JSON.stringify(r) + ctx.logs.join('\n')).not.toContain(SECRET);
  return r;
}

afterAll(() => {
  for (const s of servers) s.close();
});
// Every run closes what it opened: the server sees the connection closed.
afterEach(async () => {
  const open = await stillOpen(conns);
  expect(open).toBe(0);
});

describe('oracle probe against scripted listeners', () => {
  it('fails with database_missing when the listener does not know the service', async () => {
    const r = await run(await listener(refuse(12514)), { service_name: 'MOTCUA' }).result;
    expect(r).toMatchObject({ up: false, reason: 'database_missing', message: 'NJS-518 service not registered with the listener' });
    expect(r.phases?.connect).toBeGreaterThan(0);
    expect(JSON.stringify(r)).not.toContain(SECRET);
  });

  it('reaches an IPv6 target', async () => {
    const port = await listener(refuse(12514), '::1');
    expect(await run(`[::1]:${port}`).result).toMatchObject({ reason: 'database_missing' });
    expect(conns.map((c) => c.remote)).toEqual(['::1']);
  });

  it('fails with refused when the listener refuses for another reason', async () => {
    const r = await run(await listener(refuse(12519))).result;
    expect(r).toMatchObject({ up: false, reason: 'refused', message: 'NJS-511 listener refused the connection' });
  });

  it('fails with timeout within the deadline + 1 s when the server accepts and then hangs, cutting the socket itself', async () => {
    const r = await expectCleanTimeout(await listener(accept()));
    expect(r.phases?.connect).toBeGreaterThan(0);
  });

  it('leaks no descriptor over 100 runs', async () => {
    const port = await listener(refuse(12514));
    await run(port).result; // warm-up: the driver opens what it keeps once per process
    await Promise.all(conns.map((c) => c.closed));
    const before = openSockets();
    for (let i = 0; i < 100; i++) expect((await run(port).result).reason).toBe('database_missing');
    await Promise.all(conns.map((c) => c.closed));
    expect(openSockets()).toBe(before);
  });

  it("connects from the line's source address", async () => {
    const port = await listener(refuse(12514));
    expect(await run(port, {}, 2000, { name: 'tslcd', source: '127.0.0.2' }).result).toMatchObject({ reason: 'database_missing' });
    expect(conns.map((c) => c.remote)).toEqual(['127.0.0.2']);
  });
});

describe('oracle probe without a server', () => {
  it('fails with refused on a closed port, from the socket error code', async () => {
    const r = await run(await closedPort()).result;
    expect(r).toMatchObject({ up: false, reason: 'refused', message: 'NJS-503 connect ECONNREFUSED' });
    expect(JSON.stringify(r)).not.toContain(SECRET);
  });

  it('fails with timeout within the deadline + 1 s when the server accepts and never answers, leaving no socket open', async () => {
    await expectCleanTimeout(await listener());
  });

  it('fails with unreachable, connecting nowhere, when the line has no address', async () => {
    const port = await listener();
    const r = await run(port, {}, 2000, { name: 'inet1', interface: 'cw-no-such-if0' }).result;
    expect(r).toMatchObject({ up: false, reason: 'unreachable', message: 'line inet1: interface cw-no-such-if0 has no IPv4 address' });
    expect(conns).toHaveLength(0);
  });

  it('fails with config on a target that is not host:port or a ca_file it cannot read', async () => {
    expect(await run('127.0.0.1').result).toMatchObject({ up: false, reason: 'config', message: 'target "127.0.0.1" is not host:port' });
    const r = await run(await closedPort(), { tls: { mode: 'verify', ca_file: '/nonexistent/cw-wallet.pem' } }).result;
    expect(r).toMatchObject({ up: false, reason: 'config', message: 'cannot read ca_file (open ENOENT)' });
  });
});

describe('oracle options', () => {
  const problems = (input: unknown) => oracleProbe.options.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);

  it('has the documented defaults', () => {
    expect(oracleProbe.options.parse({ user: 'system', password: 'x' })).toEqual({
      user: 'system',
      password: 'x',
      service_name: 'XEPDB1',
      query: 'SELECT 1 FROM DUAL',
      tls: { mode: 'disable' },
    });
  });

  it('rejects unknown options, wrong types, bad service names and server_name with exact messages', () => {
    expect(problems({ user: 'system', password: 'x', sid: 'XE' })).toEqual([': Unrecognized key: "sid"']);
    expect(problems({ user: 'system', password: 1 })).toEqual(['password: Invalid input: expected string, received number']);
    expect(problems({ user: 'system' })).toEqual(['password: Invalid input: expected string, received undefined']);
    expect(problems({ user: 'system', password: 'x', service_name: 'a)(HOST=evil' })).toEqual([
      'service_name: is not a service name (letters, digits, _ . $ # -)',
    ]);
    expect(problems({ user: 'system', password: 'x', tls: { mode: 'verify', server_name: 'db.local' } })).toEqual([
      'tls.server_name: is not supported by the oracle probe (the thin driver matches the target host)',
    ]);
  });
});
