import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { performance } from 'node:perf_hooks';
import { httpProbe } from '../../agent/probes/http.js';
import { PHASES, type ProbeResult, type Session } from '../../agent/probes/types.js';
import { makeCtx, requireService } from '../helpers/ctx.js';
import { makeCert, opensslAvailable, type TestCert } from '../helpers/tls.js';

const SECRET = 's3cr3t-p@ss:w rd';
const CLIENT_ID = 'centerwatch agent';

interface Seen {
  path: string;
  method: string;
  headers: IncomingMessage['headers'];
  body: string;
  remote: string | undefined;
  servername?: string | false | null;
}

const seen: Seen[] = [];
let tokenFetches = 0;
let tokenProblems: string[] = [];
const validTokens = new Set<string>();
let bigFinished = false;
const servers: Array<Server | ReturnType<typeof createNetServer>> = [];
let base = '';
let otherBase = '';
let silentPort = 0;
let closedPort = 0;

function obs(r: ProbeResult, metric: string): number | undefined {
  return r.observations?.find((o) => o.metric === metric)?.value;
}

function run(target: string, options: Record<string, unknown> = {}, ctxOpts: Parameters<typeof makeCtx>[0] = {}) {
  const ctx = makeCtx({ timeoutMs: 3000, ...ctxOpts });
  return httpProbe.run(target, httpProbe.options.parse(options), ctx).then((r) => ({ r, ctx }));
}

/** Routes of the plain test server; each request is recorded in `seen`. */
function route(req: IncomingMessage, res: ServerResponse, body: string): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const auth = req.headers.authorization;
  const [, first, second] = url.pathname.split('/');
  if (first === 'ok') res.end('hello world');
  else if (first === 'json') {
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(JSON.stringify({ data: { status: 'ok', items: [{ id: 1 }, { id: 2, name: 'scanner' }] }, count: 2 }));
  } else if (first === 'status') {
    res.statusCode = Number(second);
    res.end();
  } else if (first === 'basic') {
    const ok = auth === `Basic ${Buffer.from(`monitor:${SECRET}`).toString('base64')}`;
    res.statusCode = ok ? 200 : 401;
    res.end();
  } else if (first === 'bearer' || first === 'resource') {
    const token = auth?.replace(/^Bearer /, '') ?? '';
    const ok = first === 'bearer' ? token === SECRET : validTokens.has(token);
    res.statusCode = ok ? 200 : 401;
    res.end();
  } else if (first === 'token') token(req, res, body);
  else if (first === 'redirect') {
    const n = Number(second);
    res.statusCode = n > 0 ? 302 : 200;
    if (n > 0) res.setHeader('location', `/redirect/${n - 1}`);
    res.end();
  } else if (first === 'away') {
    res.statusCode = 307;
    res.setHeader('location', `${otherBase}/ok`);
    res.end();
  } else if (first === 'slow-headers') setTimeout(() => res.end('late'), 200);
  else if (first === 'slow-body') {
    res.flushHeaders();
    setTimeout(() => res.end('late body'), 200);
  } else if (first === 'nested') {
    // Hostile JSON: only opening brackets, `second` KiB of them.
    res.setHeader('content-type', 'application/json');
    res.end(Buffer.alloc(Number(second) * 1024, '['));
  } else if (first === 'big') {
    // Streams far more than any probe may read; `bigFinished` proves the probe stopped it.
    bigFinished = false;
    if (second === 'declared') res.setHeader('content-length', String(64 * 1024 * 1024));
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let left = 1024;
    const pump = (): void => {
      while (left-- > 0) if (!res.write(chunk)) return void res.once('drain', pump);
      res.end(() => (bigFinished = true));
    };
    pump();
  } else {
    res.statusCode = 404;
    res.end();
  }
}

/** An RFC 6749 §4.4 token endpoint that records every deviation from the exact request. */
function token(req: IncomingMessage, res: ServerResponse, body: string): void {
  tokenFetches++;
  const problems: string[] = [];
  if (req.method !== 'POST') problems.push(`method ${req.method}`);
  if (req.headers['content-type'] !== 'application/x-www-form-urlencoded') problems.push(`content-type ${req.headers['content-type']}`);
  const form = Object.fromEntries(new URLSearchParams(body));
  if (JSON.stringify(form) !== JSON.stringify({ grant_type: 'client_credentials', scope: 'status:read monitor' })) problems.push(`form ${body}`);
  const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
  const [id, secret] = Buffer.from(basic?.[1] ?? '', 'base64')
    .toString('utf8')
    .split(':')
    .map((p) => new URLSearchParams(`v=${p}`).get('v'));
  const clientOk = id === CLIENT_ID && secret === SECRET;
  if (!clientOk) problems.push('client authentication');
  tokenProblems.push(...problems);
  res.setHeader('content-type', 'application/json');
  res.setHeader('cache-control', 'no-store');
  if (!clientOk) {
    res.statusCode = 401;
    res.end(JSON.stringify({ error: 'invalid_client', error_description: `bad secret ${secret}` }));
    return;
  }
  const tok = `tok-${tokenFetches}`;
  validTokens.add(tok);
  res.end(JSON.stringify({ access_token: tok, token_type: 'Bearer', expires_in: 3600 }));
}

function record(req: IncomingMessage, res: ServerResponse): void {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString('utf8')));
  req.on('end', () => {
    seen.push({
      path: req.url ?? '',
      method: req.method ?? '',
      headers: req.headers,
      body,
      remote: req.socket.remoteAddress,
      servername: (req.socket as TLSSocket).servername,
    });
    route(req, res, body);
  });
}

async function listen<S extends Server | ReturnType<typeof createNetServer>>(server: S, host = '127.0.0.1'): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as AddressInfo).port;
}

/** Open connections a server still holds: 0 once the probe has closed its socket. */
async function openConnections(server: Server | ReturnType<typeof createNetServer>): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const n = await new Promise<number>((resolve) => server.getConnections((_e, c) => resolve(c)));
    if (n === 0) return 0;
    await new Promise((r) => setTimeout(r, 20));
  }
  return new Promise<number>((resolve) => server.getConnections((_e, c) => resolve(c)));
}

const plain = createHttpServer(record);
const silentSockets = new Set<Socket>();
const silent = createNetServer((s) => {
  // Read and ignore the request, so the probe's FIN is seen and the connection counted as closed.
  s.resume();
  silentSockets.add(s);
  s.on('close', () => silentSockets.delete(s));
});

beforeAll(async () => {
  base = `http://127.0.0.1:${await listen(plain)}`;
  otherBase = `http://127.0.0.1:${await listen(createHttpServer(record))}`;
  silentPort = await listen(silent);
  const gone = createNetServer();
  closedPort = await listen(gone);
  await new Promise((r) => gone.close(r));
});

afterAll(async () => {
  for (const s of silentSockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

describe('http probe: status, assertions, body', () => {
  it('is up on 2xx and reports status, redirects, length and ordered phases', async () => {
    const { r } = await run(`${base}/ok`);
    expect(r).toMatchObject({ up: true, reason: 'ok', message: 'HTTP 200' });
    expect(obs(r, 'status_code')).toBe(200);
    expect(obs(r, 'redirects')).toBe(0);
    expect(obs(r, 'content_length')).toBe(11);
    expect(Object.keys(r.phases ?? {}).sort()).toEqual(['connect', 'first_byte', 'resolve', 'transfer']);
    expect(Object.keys(r.phases ?? {}).every((p) => (PHASES as readonly string[]).includes(p))).toBe(true);
    expect(seen.at(-1)?.headers['user-agent']).toMatch(/^centerwatch\/\d/);
  });

  it('attributes a slow answer to first_byte and a slow body to transfer', async () => {
    const headers = await run(`${base}/slow-headers`);
    expect(headers.r.phases?.first_byte).toBeGreaterThanOrEqual(0.19);
    expect(headers.r.phases?.transfer).toBeLessThan(0.1);
    const t0 = performance.now();
    const body = await run(`${base}/slow-body`);
    const wall = (performance.now() - t0) / 1000;
    expect(body.r.phases?.transfer).toBeGreaterThanOrEqual(0.19);
    expect(body.r.phases?.first_byte).toBeLessThan(0.1);
    const sum = Object.values(body.r.phases ?? {}).reduce((a, b) => a + b, 0);
    expect(sum).toBeLessThanOrEqual(wall);
  });

  it('fails http_status outside 2xx unless the code is listed', async () => {
    const { r } = await run(`${base}/status/503`);
    expect(r).toMatchObject({ up: false, reason: 'http_status', message: 'HTTP 503' });
    expect(obs(r, 'status_code')).toBe(503);
    expect((await run(`${base}/status/503`, { valid_status_codes: [503] })).r.up).toBe(true);
  });

  it('evaluates json, header, body and status assertions', async () => {
    const assertions = [
      { source: 'json', path: 'data.status', op: 'eq', value: 'ok' },
      { source: 'json', path: 'data.items[1].name', op: 'eq', value: 'scanner' },
      { source: 'json', path: 'count', op: 'ge', value: 2 },
      { source: 'header', name: 'Content-Type', op: 'contains', value: 'json' },
      { source: 'body', op: 'matches', value: '"status":\\s*"ok"' },
      { source: 'status', op: 'eq', value: 200 },
    ];
    expect((await run(`${base}/json`, { assertions })).r).toMatchObject({ up: true, reason: 'ok' });
    const { r } = await run(`${base}/json`, {
      assertions: [
        { source: 'json', path: 'data.status', op: 'eq', value: 'degraded' },
        { source: 'json', path: 'data.missing', op: 'exists' },
      ],
    });
    expect(r).toMatchObject({
      up: false,
      reason: 'assertion',
      message: 'HTTP 200: json data.status: eq "degraded" failed (got "ok"); json data.missing: exists failed (missing)',
    });
    const notJson = await run(`${base}/ok`, { assertions: [{ source: 'json', path: 'a', op: 'exists' }] });
    expect(notJson.r).toMatchObject({ reason: 'assertion', message: 'HTTP 200: json a: body is not JSON' });
  });

  it('sends method, headers and body as configured', async () => {
    const { r } = await run(`${base}/ok`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Center': 'c1' }, body: '{"ping":1}' });
    expect(r.up).toBe(true);
    expect(seen.at(-1)).toMatchObject({
      method: 'POST',
      body: '{"ping":1}',
      headers: { 'content-type': 'application/json', 'x-center': 'c1', 'content-length': '10' },
    });
  });

  it('stops reading an oversize body at max_body_bytes and drops the connection', async () => {
    const { r } = await run(`${base}/big`, { max_body_bytes: 1024 });
    expect(r).toMatchObject({ up: true, message: 'HTTP 200; body cut at 1024 bytes' });
    expect(obs(r, 'content_length')).toBeUndefined();
    expect(await openConnections(plain)).toBe(0);
    expect(bigFinished).toBe(false);
    const declared = await run(`${base}/big/declared`, { max_body_bytes: 4096 });
    expect(obs(declared.r, 'content_length')).toBe(64 * 1024 * 1024);
    expect(bigFinished).toBe(false);
  });

  it('refuses a body over max_body_bytes that an assertion would read, instead of checking a part of it', async () => {
    for (const assertion of [
      { source: 'body', op: 'not_contains', value: 'error' },
      { source: 'json', path: 'status', op: 'eq', value: 'ok' },
    ]) {
      const { r } = await run(`${base}/big`, { max_body_bytes: 1024, assertions: [assertion] });
      expect(r).toMatchObject({ up: false, reason: 'body_too_large', message: 'HTTP 200: body over max_body_bytes (1024)' });
      expect(bigFinished).toBe(false);
    }
  });

  it('refuses 1 MiB of nested [ under a json assertion as body_too_large, before parsing it', async () => {
    const { r } = await run(`${base}/nested/1024`, { assertions: [{ source: 'json', path: 'status', op: 'eq', value: 'ok' }] });
    expect(r).toMatchObject({ up: false, reason: 'body_too_large', message: 'HTTP 200: JSON nested deeper than 64 levels' });
    // Still a measured response: status and length are reported.
    expect(obs(r, 'status_code')).toBe(200);
    expect(obs(r, 'content_length')).toBe(1024 * 1024);
  });
});

describe('http probe: auth', () => {
  it('sends basic auth and bearer tokens, never echoing them', async () => {
    const basic = await run(`${base}/basic`, { basic_auth: { username: 'monitor', password: SECRET } });
    expect(basic.r).toMatchObject({ up: true });
    expect(seen.at(-1)?.headers.authorization).toBe(`Basic ${Buffer.from(`monitor:${SECRET}`).toString('base64')}`);
    const bearer = await run(`${base}/bearer`, { bearer_token: SECRET });
    expect(bearer.r.up).toBe(true);
    expect(seen.at(-1)?.headers.authorization).toBe(`Bearer ${SECRET}`);
    const wrong = await run(`${base}/basic`, { basic_auth: { username: 'monitor', password: 'nope' } });
    expect(wrong.r).toMatchObject({ up: false, reason: 'auth', message: 'HTTP 401' });
    for (const { r, ctx } of [basic, bearer, wrong]) expect(`${r.message} ${ctx.logs.join(' ')}`).not.toContain(SECRET);
  });

  it('does not carry credentials to another origin on a redirect', async () => {
    const { r } = await run(`${base}/away`, { bearer_token: SECRET });
    expect(r).toMatchObject({ up: true, message: 'HTTP 200 after 1 redirect' });
    expect(seen.at(-2)?.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(seen.at(-1)?.headers.authorization).toBeUndefined();
  });

  describe('oauth2 client credentials', () => {
    const oauth2 = () => ({ token_url: `${base}/token`, client_id: CLIENT_ID, client_secret: SECRET, scopes: ['status:read', 'monitor'] });

    it('fetches with the exact RFC 6749 request and reuses the token across runs', async () => {
      tokenFetches = 0;
      tokenProblems = [];
      const sessions = new Map<string, Session>();
      const results = [];
      for (let i = 0; i < 3; i++) results.push((await run(`${base}/resource`, { oauth2: oauth2() }, { sessions })).r);
      expect(results.map((r) => r.up)).toEqual([true, true, true]);
      expect(tokenFetches).toBe(1);
      expect(tokenProblems).toEqual([]);
      expect(seen.at(-1)?.headers.authorization).toBe('Bearer tok-1');
    });

    it('refetches once when the resource server answers 401 to a cached token', async () => {
      tokenFetches = 0;
      const sessions = new Map<string, Session>();
      expect((await run(`${base}/resource`, { oauth2: oauth2() }, { sessions })).r.up).toBe(true);
      validTokens.clear();
      const { r } = await run(`${base}/resource`, { oauth2: oauth2() }, { sessions });
      expect(r).toMatchObject({ up: true, reason: 'ok' });
      expect(tokenFetches).toBe(2);
      expect(seen.at(-1)?.headers.authorization).toBe('Bearer tok-2');
    });

    it('refuses a token answer over 64 KiB or nested too deep as body_too_large', async () => {
      const big = await run(`${base}/resource`, { oauth2: { ...oauth2(), token_url: `${base}/nested/1024` } });
      expect(big.r).toMatchObject({ up: false, reason: 'body_too_large', message: 'token endpoint answer over 65536 bytes' });
      const deep = await run(`${base}/resource`, { oauth2: { ...oauth2(), token_url: `${base}/nested/8` } });
      expect(deep.r).toMatchObject({ up: false, reason: 'body_too_large', message: 'token endpoint answer nested deeper than 64 levels' });
    });

    it('fails auth when the token endpoint refuses the client, without quoting secrets', async () => {
      const { r, ctx } = await run(`${base}/resource`, { oauth2: { ...oauth2(), client_secret: 'wrong-secret' } });
      expect(r).toMatchObject({ up: false, reason: 'auth', message: 'token endpoint answered HTTP 401 (invalid_client)' });
      expect(`${r.message} ${ctx.logs.join(' ')}`).not.toContain('wrong-secret');
    });
  });
});

describe('http probe: redirects, binding, failures', () => {
  it('follows redirects up to max_redirects', async () => {
    const { r } = await run(`${base}/redirect/3`);
    expect(r).toMatchObject({ up: true, message: 'HTTP 200 after 3 redirects' });
    expect(obs(r, 'redirects')).toBe(3);
    expect((await run(`${base}/redirect/6`)).r).toMatchObject({ up: false, reason: 'protocol', message: 'more than 5 redirects' });
  });

  it('treats a 3xx as final when follow_redirects is false', async () => {
    expect((await run(`${base}/redirect/2`, { follow_redirects: false })).r).toMatchObject({ up: false, reason: 'http_status', message: 'HTTP 302' });
    const { r } = await run(`${base}/redirect/2`, { follow_redirects: false, valid_status_codes: [302] });
    expect(r.up).toBe(true);
    expect(obs(r, 'redirects')).toBe(0);
  });

  it('binds to the line source address and resolves names in its family', async () => {
    const { r } = await run(`${base}/ok`, {}, { line: { name: 'lo2', source: '127.0.0.2' } });
    expect(r.up).toBe(true);
    expect(seen.at(-1)?.remote).toBe('127.0.0.2');
    const named = await run(`${base.replace('127.0.0.1', 'localhost')}/ok`, {}, { line: { name: 'lo', source: '127.0.0.1' } });
    expect(named.r.up).toBe(true);
    expect(named.r.phases?.resolve).toBeGreaterThan(0);
    const down = await run(`${base}/ok`, {}, { line: { name: 'gone', interface: 'cwnone0' } });
    expect(down.r).toMatchObject({ up: false, reason: 'unreachable' });
  });

  it('fails timeout within timeout + 1 s against a server that never answers, leaving no socket', async () => {
    const t0 = performance.now();
    const { r } = await run(`http://127.0.0.1:${silentPort}/`, {}, { timeoutMs: 1000 });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(r).toMatchObject({ up: false, reason: 'timeout' });
    expect(await openConnections(silent)).toBe(0);
  });

  it('fails refused on a closed port and config on a URL with credentials', async () => {
    expect((await run(`http://127.0.0.1:${closedPort}/`)).r).toMatchObject({ up: false, reason: 'refused' });
    const { r } = await run(`http://admin:${SECRET}@127.0.0.1:${closedPort}/`);
    expect(r).toMatchObject({ up: false, reason: 'config' });
    expect(r.message).not.toContain(SECRET);
  });

  it('leaves no connection open after runs', async () => {
    for (const path of ['/ok', '/json', '/redirect/2', '/status/500']) await run(`${base}${path}`);
    expect(await openConnections(plain)).toBe(0);
  });
});

describe('http probe: TLS', () => {
  const hasOpenssl = opensslAvailable();
  const certs: TestCert[] = [];
  let good: TestCert;
  let portal: TestCert;
  let expired: TestCert;
  let httpsUrl = '';
  let portalUrl = '';
  let expiredUrl = '';

  beforeAll(async () => {
    if (!hasOpenssl) return;
    good = makeCert({ notAfter: new Date(Math.floor(Date.now() / 1000 + 30 * 86400 + 1234) * 1000) });
    portal = makeCert({ notAfter: new Date(Date.now() + 90 * 86400_000), names: ['portal.test'] });
    expired = makeCert({ notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z') });
    certs.push(good, portal, expired);
    const serve = async (c: TestCert) => `https://127.0.0.1:${await listen(createHttpsServer({ cert: c.cert, key: c.key }, record))}`;
    httpsUrl = await serve(good);
    portalUrl = await serve(portal);
    expiredUrl = await serve(expired);
  });
  afterAll(() => certs.forEach((c) => c.cleanup()));

  it('reports the certificate expiry to the second and all five phases', async () => {
    if (!requireService(hasOpenssl, 'openssl CLI not found')) return;
    const { r } = await run(`${httpsUrl}/ok`, { ca_file: good.certFile });
    expect(r).toMatchObject({ up: true, reason: 'ok' });
    expect(obs(r, 'cert_expiry')).toBe(good.notAfter);
    expect(obs(r, 'cert_days_left')).toBeCloseTo((good.notAfter - Date.now() / 1000) / 86400, 3);
    expect(Object.keys(r.phases ?? {}).sort()).toEqual(['connect', 'first_byte', 'resolve', 'tls', 'transfer']);
    expect(r.phases?.tls).toBeGreaterThan(0);
  });

  it('fails tls on an untrusted certificate unless trusted or told to skip', async () => {
    if (!requireService(hasOpenssl, 'openssl CLI not found')) return;
    const { r } = await run(`${httpsUrl}/ok`);
    expect(r).toMatchObject({ up: false, reason: 'tls' });
    const skip = await run(`${httpsUrl}/ok`, { insecure_skip_verify: true });
    expect(skip.r.up).toBe(true);
    expect(obs(skip.r, 'cert_expiry')).toBe(good.notAfter);
    expect((await run(`${expiredUrl}/ok`, { ca_file: expired.certFile })).r).toMatchObject({
      up: false,
      reason: 'tls',
      message: expect.stringContaining('CERT_HAS_EXPIRED'),
    });
  });

  it('verifies against server_name and sends it as SNI', async () => {
    if (!requireService(hasOpenssl, 'openssl CLI not found')) return;
    expect((await run(`${portalUrl}/ok`, { ca_file: portal.certFile })).r).toMatchObject({ up: false, reason: 'tls' });
    const { r } = await run(`${portalUrl}/ok`, { ca_file: portal.certFile, server_name: 'portal.test' });
    expect(r.up).toBe(true);
    expect(seen.at(-1)?.servername).toBe('portal.test');
  });

  it('fails config when ca_file cannot be read', async () => {
    expect((await run(`${base}/ok`, { ca_file: '/nonexistent/cw-ca.pem' })).r).toMatchObject({
      up: false,
      reason: 'config',
      message: 'cannot read ca_file (open ENOENT)',
    });
  });
});
