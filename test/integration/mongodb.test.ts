import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { BSON, type Document } from 'mongodb';
import { mongodbProbe } from '../../agent/probes/mongodb.js';
import type { LineBinding } from '../../agent/probes/types.js';
import { makeCtx, requireService } from '../helpers/ctx.js';
import { makeCert, opensslAvailable, type TestCert } from '../helpers/tls.js';
import { closedPort, openSockets, stillOpen, timed } from '../helpers/sockets.js';

/**
 * No MongoDB server runs here: these tests point the probe at a closed port, at a listener that
 * never answers, and at a loopback server that speaks just enough of the wire protocol (OP_QUERY
 * and OP_MSG, BSON from the driver's own codec) to answer hello and one scripted command.
 */

const SECRET = 'Cw-m0ngo-S3cret-4417';
const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;

/** What the fake answers to a command: a reply document, or nothing ever. */
type Answer = (name: string, cmd: Document) => Document | 'silent';

interface Conn {
  remote: string;
  closed: Promise<void>;
  isClosed: boolean;
}
const servers: Server[] = [];
const conns: Conn[] = [];

/** A loopback server (TLS when a certificate is given) that records each TCP connection in `conns`. */
async function listen(onSocket: (s: Socket) => void, cert?: TestCert, host = '127.0.0.1'): Promise<number> {
  const server: Server = cert ? createTlsServer({ cert: cert.cert, key: cert.key }, onSocket) : createServer(onSocket);
  // `connection` is the raw TCP socket, also under TLS: its close is what a leak would hold back.
  server.on('connection', (s: Socket) => {
    const conn: Conn = { remote: s.remoteAddress ?? '', isClosed: false, closed: Promise.resolve() };
    conn.closed = new Promise((resolve) => s.once('close', () => resolve(void (conn.isClosed = true))));
    conns.push(conn);
    s.on('error', () => {});
  });
  server.on('tlsClientError', () => {});
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as AddressInfo).port;
}

/** Reads whole messages off the socket and answers each as `answer` says. */
function fakeMongo(answer: Answer, cert?: TestCert, host?: string): Promise<number> {
  return listen(
    (s) => {
      s.on('error', () => {});
      let buf = Buffer.alloc(0);
      s.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 16 && buf.length >= buf.readInt32LE(0)) {
          const msg = buf.subarray(0, buf.readInt32LE(0));
          buf = buf.subarray(msg.length);
          const requestId = msg.readInt32LE(4);
          const opCode = msg.readInt32LE(12);
          let cmd: Document;
          if (opCode === OP_QUERY) {
            const nameEnd = msg.indexOf(0, 20);
            cmd = BSON.deserialize(msg.subarray(nameEnd + 9));
          } else if (opCode === OP_MSG && msg[20] === 0) {
            cmd = BSON.deserialize(msg.subarray(21, 21 + msg.readInt32LE(21)));
          } else {
            s.destroy();
            return;
          }
          const name = Object.keys(cmd)[0]!;
          const isHello = name === 'hello' || name === 'ismaster' || name === 'isMaster';
          const reply = isHello ? helloReply() : answer(name, cmd);
          if (reply === 'silent') continue;
          const doc = BSON.serialize(reply);
          const body = opCode === OP_QUERY ? Buffer.concat([Buffer.alloc(20), doc]) : Buffer.concat([Buffer.alloc(5), doc]);
          if (opCode === OP_QUERY) body.writeInt32LE(1, 16); // numberReturned
          const header = Buffer.alloc(16);
          header.writeInt32LE(16 + body.length, 0);
          header.writeInt32LE(requestId + 1000, 4);
          header.writeInt32LE(requestId, 8);
          header.writeInt32LE(opCode === OP_QUERY ? OP_REPLY : OP_MSG, 12);
          s.write(Buffer.concat([header, body]));
        }
      });
    },
    cert,
    host,
  );
}

/** A standalone server of MongoDB 6.0's wire version, without sessions. */
function helloReply(): Document {
  return {
    helloOk: true,
    ismaster: true,
    isWritablePrimary: true,
    maxBsonObjectSize: 16 * 1024 * 1024,
    maxMessageSizeBytes: 48_000_000,
    maxWriteBatchSize: 100_000,
    localTime: new Date(),
    minWireVersion: 0,
    maxWireVersion: 17,
    readOnly: false,
    ok: 1,
  };
}

const seen: Array<{ name: string; db: unknown }> = [];
const scripted: Answer = (name, cmd) => {
  seen.push({ name, db: cmd.$db });
  switch (name) {
    case 'ping':
      return { ok: 1 };
    case 'count':
      return { n: 3, ok: 1 };
    case 'saslStart':
      return { ok: 0, code: 18, codeName: 'AuthenticationFailed', errmsg: 'Authentication failed.' };
    case 'find':
      return 'silent';
    default:
      return { ok: 0, code: 59, codeName: 'CommandNotFound', errmsg: `no such command: '${name}'` };
  }
};

function run(port: number | string, options: Record<string, unknown> = {}, timeoutMs = 2000, line?: LineBinding) {
  const ctx = makeCtx({ timeoutMs, ...(line ? { line } : {}) });
  const target = typeof port === 'number' ? `127.0.0.1:${port}` : port;
  return { ctx, result: mongodbProbe.run(target, mongodbProbe.options.parse(options), ctx) };
}

afterAll(() => {
  for (const s of servers) s.close();
});

// Every run closes what it opened: the server sees each of the driver's connections closed.
afterEach(async () => {
  const open = await stillOpen(conns);
  seen.length = 0;
  expect(open).toBe(0);
});

describe('mongodb probe against a scripted server', () => {
  it('is up when hello and ping answer, with connect and query times', async () => {
    const port = await fakeMongo(scripted);
    const r = await run(port).result;
    expect(r).toMatchObject({ up: true, reason: 'ok' });
    expect(r.phases?.connect).toBeGreaterThan(0);
    expect(r.phases?.query).toBeGreaterThan(0);
    expect(r.phases?.auth).toBeUndefined();
    expect(seen).toEqual([{ name: 'ping', db: 'admin' }]);
  });

  it('runs the configured command against the configured database and checks the reply', async () => {
    const port = await fakeMongo(scripted);
    const command = { count: 'dossiers' };
    expect(await run(port, { command, database: 'motcua', expect: { value: { op: 'eq', value: 3 } } }).result).toMatchObject({ up: true });
    expect(seen).toEqual([{ name: 'count', db: 'motcua' }]);
    expect(await run(port, { command, expect: { value: { op: 'ge', value: 5 } } }).result).toMatchObject({
      up: false,
      reason: 'assertion',
      message: 'first value "3", expected ge 5',
    });
    expect(await run(port, { expect: { rows: { op: 'eq', value: 1 }, value: { op: 'eq', value: 1 } } }).result).toMatchObject({ up: true });
  });

  it('fails with query_failed and the server code when the command fails', async () => {
    const port = await fakeMongo(scripted);
    const r = await run(port, { command: { cwNoSuchCommand: 1 } }).result;
    expect(r).toMatchObject({ up: false, reason: 'query_failed', message: 'server error 59 CommandNotFound' });
    expect(r.phases?.connect).toBeGreaterThan(0);
  });

  it('fails with auth when the login is refused, and never shows the password', async () => {
    const port = await fakeMongo(scripted);
    const { ctx, result } = run(port, { user: 'centerwatch', password: SECRET, auth_source: 'motcua' });
    const r = await result;
    expect(r).toMatchObject({ up: false, reason: 'auth', message: 'server error 18 AuthenticationFailed' });
    expect(seen).toContainEqual({ name: 'saslStart', db: 'motcua' });
    expect(JSON.stringify(r)).not.toContain(SECRET);
    expect(ctx.logs.join('\n')).not.toContain(SECRET);
  });

  it('fails with timeout within the deadline + 1 s when the command is never answered', async () => {
    const port = await fakeMongo(scripted);
    const [r, ms] = await timed(run(port, { command: { find: 'dossiers' } }, 1000).result);
    expect(r).toMatchObject({ up: false, reason: 'timeout', message: 'deadline exceeded' });
    expect(r.phases?.connect).toBeGreaterThan(0);
    expect(r.phases?.query).toBeUndefined();
    expect(ms).toBeLessThan(2000);
  });

  it('leaks no descriptor over 100 runs, up and failing', async () => {
    const port = await fakeMongo(scripted);
    await run(port).result; // warm-up: the driver opens what it keeps once per process
    await Promise.all(conns.map((c) => c.closed));
    const before = openSockets();
    let ups = 0;
    for (let i = 0; i < 100; i++) {
      const r = await run(port, i % 2 ? { user: 'u', password: SECRET } : {}).result;
      if (r.up) ups++;
    }
    await Promise.all(conns.map((c) => c.closed));
    expect(ups).toBe(50);
    expect(openSockets()).toBe(before);
  });

  it('reaches an IPv6 target', async () => {
    const port = await fakeMongo(scripted, undefined, '::1');
    expect(await run(`[::1]:${port}`).result).toMatchObject({ up: true });
    expect(conns.map((c) => c.remote)).toContain('::1');
  });

  it("connects from the line's source address", async () => {
    const port = await fakeMongo(scripted);
    expect(await run(port, {}, 2000, { name: 'inet2', source: '127.0.0.2' }).result).toMatchObject({ up: true });
    expect(conns.map((c) => c.remote)).toEqual(conns.map(() => '127.0.0.2'));
    expect(conns.length).toBeGreaterThan(0);
  });
});

describe.skipIf(!requireService(opensslAvailable(), 'openssl CLI not installed'))('mongodb probe over TLS', () => {
  let cert: TestCert;
  let port = 0;
  beforeAll(async () => {
    cert = makeCert({ notAfter: new Date(Date.now() + 86400_000), names: ['localhost', '127.0.0.1'] });
    port = await fakeMongo(scripted, cert);
  });
  afterAll(() => cert?.cleanup());

  it('verifies the certificate against ca_file, and by name', async () => {
    expect(await run(port, { tls: { mode: 'verify', ca_file: cert.certFile } }).result).toMatchObject({ up: true, reason: 'ok' });
    expect(await run(`localhost:${port}`, { tls: { mode: 'verify', ca_file: cert.certFile } }).result).toMatchObject({ up: true });
    expect(await run(port, { tls: { mode: 'verify', ca_file: cert.certFile, server_name: 'portal.example.vn' } }).result).toMatchObject({
      up: false,
      reason: 'tls',
      message: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
  });

  it('fails with tls on an untrusted certificate unless the mode is require', async () => {
    expect(await run(port, { tls: { mode: 'verify' } }).result).toMatchObject({ up: false, reason: 'tls', message: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(await run(port, { tls: { mode: 'require' } }).result).toMatchObject({ up: true });
  });
});

describe('mongodb probe without a server', () => {
  it('fails with refused on a closed port, at once', async () => {
    const [r, ms] = await timed(run(await closedPort(), { user: 'u', password: SECRET }).result);
    expect(r).toMatchObject({ up: false, reason: 'refused', message: 'connect ECONNREFUSED' });
    expect(ms).toBeLessThan(1000);
    expect(JSON.stringify(r)).not.toContain(SECRET);
  });

  it('fails with timeout within the deadline + 1 s when the server accepts and never answers, leaving no socket open', async () => {
    const port = await listen((s) => s.resume());
    const before = openSockets();
    const [r, ms] = await timed(run(port, { user: 'u', password: SECRET }, 1000).result);
    expect(r).toMatchObject({ up: false, reason: 'timeout' });
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(2000);
    expect(conns.length).toBeGreaterThan(0);
    await Promise.all(conns.map((c) => c.closed));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(openSockets()).toBe(before);
  });

  it('fails with unreachable, connecting nowhere, when the line has no address', async () => {
    const r = await run(await closedPort(), {}, 2000, { name: 'inet1', interface: 'cw-no-such-if0' }).result;
    expect(r).toMatchObject({ up: false, reason: 'unreachable', message: 'line inet1: interface cw-no-such-if0 has no IPv4 address' });
  });

  it('fails with config on a target that is not host:port or a ca_file it cannot read', async () => {
    expect(await run('127.0.0.1').result).toMatchObject({ up: false, reason: 'config', message: 'target "127.0.0.1" is not host:port' });
    const r = await run(await closedPort(), { tls: { mode: 'verify', ca_file: '/nonexistent/cw-ca.pem' } }).result;
    expect(r).toMatchObject({ up: false, reason: 'config', message: 'cannot read ca_file (open ENOENT)' });
  });
});

describe('mongodb options', () => {
  const problems = (input: unknown) => mongodbProbe.options.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);

  it('has the documented defaults', () => {
    expect(mongodbProbe.options.parse({})).toEqual({ auth_source: 'admin', database: 'admin', command: { ping: 1 }, tls: { mode: 'disable' } });
  });

  it('rejects unknown options, wrong types and half credentials with exact messages', () => {
    expect(problems({ colour: 'red' })).toEqual([': Unrecognized key: "colour"']);
    expect(problems({ user: 7, password: 'x' })).toEqual(['user: Invalid input: expected string, received number']);
    expect(problems({ user: 'u' })).toEqual(['password: is required with user']);
    expect(problems({ password: 'x' })).toEqual(['user: is required with password']);
    expect(problems({ command: [] })).toEqual(['command: Invalid input: expected record, received array']);
    expect(problems({ command: {} })).toEqual(['command: must name a command, e.g. { ping: 1 }']);
    expect(problems({ command: { shutdown: 1 } })).toEqual(["command: shutdown cannot be a check's command"]);
    expect(problems({ tls: { mode: 'on' } })?.[0]).toMatch(/^tls\.mode: Invalid option: expected one of "disable"\|"require"\|"verify"$/);
  });
});
