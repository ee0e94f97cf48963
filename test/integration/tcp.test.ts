import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { tcpProbe } from '../../agent/probes/tcp.js';
import { BODY_CHECK_MS } from '../../agent/probes/http-body-worker.js';
import type { LineBinding, ProbeResult } from '../../agent/probes/types.js';
import { makeCtx, requireService } from '../helpers/ctx.js';
import { makeCert, opensslAvailable, type TestCert } from '../helpers/tls.js';
import { stillOpen } from '../helpers/sockets.js';

/** One connection as the server saw it. */
interface Conn {
  remote: string;
  received: string;
  closed: Promise<void>;
  isClosed: boolean;
}

const servers: Server[] = [];
const conns: Conn[] = [];

/** Listens on 127.0.0.1 (kernel port); every TCP connection it accepts is recorded in `conns`. */
async function listen(server: Server, recordData = true): Promise<number> {
  servers.push(server);
  // `connection` is the raw TCP socket, also for a TLS server: its close is what a leak would hold back.
  server.on('connection', (s: Socket) => {
    const conn: Conn = { remote: s.remoteAddress ?? '', received: '', isClosed: false, closed: Promise.resolve() };
    conn.closed = new Promise((resolve) =>
      s.once('close', () => {
        conn.isClosed = true;
        resolve();
      }),
    );
    s.on('error', () => {}); // a probe that is done may reset the connection
    // Not on a TLS server's raw socket: reading it there would take the bytes from TLS.
    if (recordData) s.on('data', (d: Buffer) => (conn.received += d.toString()));
    conns.push(conn);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function run(target: string | number, options: Record<string, unknown> = {}, timeoutMs = 2000, line?: LineBinding): Promise<ProbeResult> {
  const t = typeof target === 'number' ? `127.0.0.1:${target}` : target;
  return tcpProbe.run(t, tcpProbe.options.parse(options), makeCtx({ timeoutMs, ...(line ? { line } : {}) }));
}

async function timed<T>(p: Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await p;
  return [v, performance.now() - t0];
}

let echoPort = 0;
let silentPort = 0;
let closingPort = 0;

beforeAll(async () => {
  // Greets like an SMTP/FTP server and echoes what it gets.
  echoPort = await listen(
    createServer((s) => {
      s.on('error', () => {});
      s.write('220 centerwatch ready\r\n');
      s.on('data', (d) => s.write(`echo ${d.toString()}`));
    }),
  );
  // Accepts and never says anything (nor completes a TLS handshake).
  silentPort = await listen(createServer((s) => s.on('error', () => {})));
  // Says something unexpected and hangs up.
  closingPort = await listen(
    createServer((s) => {
      s.on('error', () => {});
      s.end('500 go away\r\n');
    }),
  );
});

afterAll(async () => {
  for (const s of servers) s.close();
});

// Every run must close what it opened: the server side sees each connection closed.
afterEach(async () => {
  const open = await stillOpen(conns);
  expect(open).toBe(0);
});

describe('tcp probe', () => {
  it('is up when the port accepts, with the connect time', async () => {
    const r = await run(echoPort);
    expect(r).toMatchObject({ up: true, reason: 'ok' });
    expect(r.phases?.connect).toBeGreaterThan(0);
    expect(r.phases?.connect).toBeLessThan(0.5);
    expect(r.phases?.resolve).toBeUndefined();
    expect(conns).toHaveLength(1);
  });

  it('times the name lookup apart from the connect', async () => {
    const r = await run(`localhost:${echoPort}`);
    expect(r).toMatchObject({ up: true });
    expect(r.phases?.resolve).toBeGreaterThan(0);
    expect(r.phases?.connect).toBeGreaterThan(0);
  });

  it('checks a banner, and a reply to what it sends', async () => {
    expect(await run(echoPort, { expect: '^220 centerwatch' })).toMatchObject({ up: true, reason: 'ok' });
    expect(await run(echoPort, { send: 'PING\r\n', expect: 'echo PING' })).toMatchObject({ up: true, reason: 'ok' });
  });

  it('delivers what it sends even without expect', async () => {
    expect(await run(silentPort, { send: 'HELO centerwatch\r\n' })).toMatchObject({ up: true });
    await conns[0]!.closed;
    expect(conns[0]!.received).toBe('HELO centerwatch\r\n');
  });

  it('fails with assertion when the reply does not match, as soon as the peer hangs up', async () => {
    const [r, ms] = await timed(run(closingPort, { expect: '^220 ' }));
    expect(r).toMatchObject({ up: false, reason: 'assertion', message: 'reply did not match /^220 /' });
    expect(ms).toBeLessThan(500);
  });

  it('fails with assertion at the deadline when the peer keeps talking but never matches', async () => {
    const [r, ms] = await timed(run(echoPort, { send: 'PING\r\n', expect: '^500' }, 500));
    expect(r).toMatchObject({ up: false, reason: 'assertion' });
    expect(ms).toBeLessThan(1500);
  });

  it('fails with timeout within the deadline + 1 s when the peer accepts and never answers', async () => {
    const [r, ms] = await timed(run(silentPort, { expect: 'anything' }, 1000));
    expect(r).toMatchObject({ up: false, reason: 'timeout', message: 'deadline exceeded' });
    expect(r.phases?.connect).toBeGreaterThan(0);
    expect(ms).toBeGreaterThanOrEqual(950);
    expect(ms).toBeLessThan(2000);
  });

  it('matches a backtracking expect off the event loop: ends by its deadline and another probe keeps its schedule', async () => {
    // /^(a+)+$/ over 27 a's and a '!' backtracks for ~9 s of CPU: matched inline it would block every other probe.
    const hostile = await listen(
      createServer((s) => {
        s.on('error', () => {});
        s.write(`${'a'.repeat(27)}!\r\n`);
      }),
    );
    const ticks: number[] = [];
    const other: ProbeResult[] = [];
    let running = true;
    const beside = (async () => {
      while (running) {
        other.push(await run(echoPort, {}, 200));
        ticks.push(performance.now());
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const t0 = performance.now();
    const [r, ms] = await timed(run(hostile, { expect: '^(a+)+$' }, 1000));
    running = false;
    await beside;
    const stamps = [t0, ...ticks.filter((t) => t <= t0 + ms)];
    const maxGap = Math.max(...stamps.slice(1).map((t, i) => t - stamps[i]!));
    console.log('tcp hostile expect', JSON.stringify({ ms: Math.round(ms), otherRuns: stamps.length - 1, maxGapMs: Math.round(maxGap) }));
    expect(r).toMatchObject({ up: false, reason: 'assertion', message: 'reply did not match /^(a+)+$/ by the deadline (the match was still running)' });
    expect(ms).toBeLessThan(1500);
    expect(other.every((o) => o.up)).toBe(true);
    expect(stamps.length - 1).toBeGreaterThanOrEqual(5);
    expect(maxGap).toBeLessThan(300);
  });

  it("stops a backtracking expect at the worker's time bound when the deadline is later", async () => {
    const hostile = await listen(
      createServer((s) => {
        s.on('error', () => {});
        s.write(`${'a'.repeat(29)}!\r\n`);
      }),
    );
    const [r, ms] = await timed(run(hostile, { expect: '^(a+)+$' }, 5000));
    expect(r).toMatchObject({ up: false, reason: 'assertion', message: 'expect /^(a+)+$/ was stopped: too slow or too big over this reply' });
    expect(ms).toBeGreaterThanOrEqual(BODY_CHECK_MS - 50);
    expect(ms).toBeLessThan(BODY_CHECK_MS + 1000);
  });

  it('looks only at the first read_limit characters of the reply', async () => {
    const chatty = await listen(
      createServer((s) => {
        s.on('error', () => {});
        s.write(`${'x'.repeat(5000)}\r\nREADY\r\n`);
      }),
    );
    expect(await run(chatty, { expect: 'READY' }, 1000)).toMatchObject({ up: false, reason: 'assertion', message: 'reply did not match /READY/' });
    expect(await run(chatty, { expect: 'READY', read_limit: 8192 }, 1000)).toMatchObject({ up: true });
    expect(tcpProbe.options.safeParse({ read_limit: 1_000_000 }).success).toBe(false);
  });

  it('fails with refused on a closed port', async () => {
    const s = createServer();
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const port = (s.address() as AddressInfo).port;
    await new Promise((resolve) => s.close(resolve));
    expect(await run(port)).toMatchObject({ up: false, reason: 'refused', message: 'connect ECONNREFUSED' });
  });

  it('rejects targets and patterns that cannot work', async () => {
    expect(await run('127.0.0.1')).toMatchObject({ up: false, reason: 'config' });
    expect(tcpProbe.options.safeParse({ expect: '(unclosed' }).success).toBe(false);
  });

  it("connects from the line's source address", async () => {
    expect(await run(echoPort, {}, 2000, { name: 'inet2', source: '127.0.0.2' })).toMatchObject({ up: true });
    expect(conns[0]?.remote).toBe('127.0.0.2');
  });

  it('fails with unreachable, connecting nowhere, when the line has no address', async () => {
    expect(await run(echoPort, {}, 2000, { name: 'inet1', interface: 'cw-no-such-if0' })).toMatchObject({
      up: false,
      reason: 'unreachable',
      message: 'line inet1: interface cw-no-such-if0 has no IPv4 address',
    });
    expect(conns).toHaveLength(0);
  });

  it('fails with timeout within the deadline + 1 s when a TLS handshake never completes', async () => {
    const [r, ms] = await timed(run(silentPort, { tls: true, insecure_skip_verify: true }, 1000));
    expect(r).toMatchObject({ up: false, reason: 'timeout' });
    expect(r.phases?.connect).toBeGreaterThan(0);
    expect(r.phases?.tls).toBeUndefined();
    expect(ms).toBeLessThan(2000);
  });

  describe.skipIf(!requireService(opensslAvailable(), 'openssl CLI not installed'))('with TLS', () => {
    const certs: TestCert[] = [];
    let cert: TestCert;
    let tlsPort = 0;
    let expiredPort = 0;
    const days = (r: ProbeResult) => r.observations?.find((o) => o.metric === 'cert_days_left')?.value;
    const expiry = (r: ProbeResult) => r.observations?.find((o) => o.metric === 'cert_expiry')?.value;

    beforeAll(async () => {
      // Known validity, to the second: 20 days from now.
      cert = makeCert({ notAfter: new Date(Math.floor(Date.now() / 1000) * 1000 + 20 * 86400_000), names: ['localhost', '127.0.0.1'] });
      const expired = makeCert({ notBefore: new Date(Date.now() - 10 * 86400_000), notAfter: new Date(Date.now() - 2 * 86400_000) });
      certs.push(cert, expired);
      const hello = (s: Socket): void => {
        s.on('error', () => {});
        s.end('hello over tls\n');
      };
      tlsPort = await listen(createTlsServer({ cert: cert.cert, key: cert.key }, hello), false);
      expiredPort = await listen(createTlsServer({ cert: expired.cert, key: expired.key }, hello), false);
    });
    afterAll(() => {
      for (const c of certs) c.cleanup();
    });

    it('fails with tls on an untrusted certificate, still reporting its expiry', async () => {
      const r = await run(tlsPort, { tls: true });
      expect(r).toMatchObject({ up: false, reason: 'tls', message: 'certificate not trusted (DEPTH_ZERO_SELF_SIGNED_CERT)' });
      expect(expiry(r)).toBe(cert.notAfter);
    });

    it('trusts it through ca_file, with the TLS time and the expiry', async () => {
      const r = await run(tlsPort, { tls: true, ca_file: cert.certFile });
      expect(r).toMatchObject({ up: true, reason: 'ok' });
      expect(r.phases?.tls).toBeGreaterThan(0);
      expect(expiry(r)).toBe(cert.notAfter);
      expect(days(r)).toBeGreaterThan(19.99);
      expect(days(r)).toBeLessThanOrEqual(20);
    });

    it('verifies the name: SNI name given, or the IP of the target (sent without SNI, as RFC 6066 wants)', async () => {
      const warnings: string[] = [];
      const onWarning = (w: Error & { code?: string }): void => void warnings.push(w.code ?? w.name);
      process.on('warning', onWarning);
      expect(await run(tlsPort, { tls: true, ca_file: cert.certFile })).toMatchObject({ up: true });
      await new Promise((r) => setImmediate(r));
      process.off('warning', onWarning);
      expect(warnings).toEqual([]);
      expect(await run(tlsPort, { tls: true, ca_file: cert.certFile, server_name: 'localhost' })).toMatchObject({ up: true });
      expect(await run(`localhost:${tlsPort}`, { tls: true, ca_file: cert.certFile })).toMatchObject({ up: true });
      expect(await run(tlsPort, { tls: true, ca_file: cert.certFile, server_name: 'portal.example.vn' })).toMatchObject({
        up: false,
        reason: 'tls',
        message: 'certificate not trusted (ERR_TLS_CERT_ALTNAME_INVALID)',
      });
    });

    it('accepts it with insecure_skip_verify, still reporting the expiry', async () => {
      const r = await run(tlsPort, { tls: true, insecure_skip_verify: true });
      expect(r).toMatchObject({ up: true, reason: 'ok' });
      expect(expiry(r)).toBe(cert.notAfter);
    });

    it('reads the reply through TLS', async () => {
      expect(await run(tlsPort, { tls: true, ca_file: cert.certFile, expect: '^hello over tls' })).toMatchObject({ up: true });
    });

    it('fails with tls on an expired certificate, with days left below zero', async () => {
      const r = await run(expiredPort, { tls: true, ca_file: certs[1]!.certFile });
      expect(r).toMatchObject({ up: false, reason: 'tls', message: 'certificate not trusted (CERT_HAS_EXPIRED)' });
      expect(days(r)).toBeLessThan(-1.9);
    });

    it('fails with config when ca_file cannot be read, connecting nowhere', async () => {
      expect(await run(tlsPort, { tls: true, ca_file: `${cert.dir}/missing.pem` })).toMatchObject({
        up: false,
        reason: 'config',
        message: 'cannot read ca_file (open ENOENT)',
      });
      expect(conns).toHaveLength(0);
    });
  });
});
