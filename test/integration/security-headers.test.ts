/**
 * Every answer of the real server, over loopback HTTP, carries the security headers: the page, a
 * center's page, the JSON API, the event stream, the receiver, /metrics, /healthz, 404s, a bad request,
 * the login's 401 and its 429. The page's policy names exactly the inline script and style it serves.
 */
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../server/web/login.js';
import { eventually } from '../helpers/bins.js';
import { auth, body, post, series, startTestServer, TOKEN_A, type TestServer } from './server-harness.js';

const PASSWORD = 'mật-khẩu-đủ-dài';
const LOGIN = { authorization: `Basic ${Buffer.from(`leader:${PASSWORD}`).toString('base64')}` };
const WRONG = (user: string) => ({ authorization: `Basic ${Buffer.from(`${user}:wrong-password`).toString('base64')}` });

/** A request from a given loopback address; resolves with the status and headers (the body is not awaited: the event stream never ends). */
function head(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; from?: string; payload?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers, localAddress: opts.from ?? '127.0.0.1', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      const done = new Promise<string>((r) => res.on('end', () => r(text)));
      if (res.headers['content-type']?.startsWith('text/event-stream')) req.destroy();
      resolve({ status: res.statusCode!, headers: res.headers, text: done });
    });
    req.on('error', reject);
    req.end(opts.payload);
  });
}

function expectSecurityHeaders(what: string, h: Record<string, string | string[] | undefined>): void {
  expect(h['x-content-type-options'], what).toBe('nosniff');
  expect(h['x-frame-options'], what).toBe('DENY');
  expect(h['referrer-policy'], what).toBe('no-referrer');
  // Over plain HTTP a Strict-Transport-Security header means nothing (RFC 6797); it is sent over TLS (server-lifecycle.test.ts).
  expect(h['strict-transport-security'], what).toBeUndefined();
  const csp = String(h['content-security-policy'] ?? '');
  const directives = new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .map(([name, ...values]) => [name!, values]),
  );
  expect(directives.get('default-src'), what).toEqual(["'none'"]);
  expect(directives.get('frame-ancestors'), what).toEqual(["'none'"]);
  expect(directives.get('base-uri'), what).toEqual(["'none'"]);
  expect(directives.get('form-action'), what).toEqual(["'self'"]);
  expect(directives.get('connect-src'), what).toEqual(["'self'"]);
  for (const d of ['script-src', 'style-src']) {
    expect(directives.get(d)?.length, `${what}: ${d}`).toBe(1);
    expect(directives.get(d)![0], `${what}: ${d}`).toMatch(/^'sha256-[A-Za-z0-9+/]+=*'$/);
  }
}

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

describe('security headers on every route', () => {
  let srv: TestServer;

  beforeAll(async () => {
    srv = await startTestServer({ web: { login: { users: [{ name: 'leader', password_hash: hashPassword(PASSWORD) }] } } });
    expect((await post(srv.url, body([series({ __name__: 'centerwatch_probe_success', check: 'line-1' })]), auth(TOKEN_A))).status).toBe(204);
    await eventually(
      async () => ((await head(`${srv.url}/centers/center-a`, { headers: LOGIN })).status === 200 ? true : undefined),
      20_000,
      'center-a on the page',
    );
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('the page: its policy allows exactly its one inline script and its one style, and it uses no style attributes', async () => {
    for (const path of ['/', '/?lang=en', '/centers/center-a']) {
      const res = await head(`${srv.url}${path}`, { headers: LOGIN });
      expect(res.status, path).toBe(200);
      expect(res.headers['content-type'], path).toMatch(/^text\/html/);
      expectSecurityHeaders(path, res.headers);
      const html = await res.text;
      const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
      const run = scripts.filter((m) => !/type="application\/json"/.test(m[1]!));
      expect(run.length, path).toBe(1);
      const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)];
      expect(styles.length, path).toBe(1);
      const csp = String(res.headers['content-security-policy']);
      expect(csp, path).toContain(`script-src ${sha256(run[0]![2]!)}`);
      expect(csp, path).toContain(`style-src ${sha256(styles[0]![1]!)}`);
      expect(html, path).not.toMatch(/\sstyle=/);
    }
  });

  it('the API, the event stream, the receiver, /metrics, /healthz, 404s and errors', async () => {
    const cases: Array<[string, Parameters<typeof head>[1], number]> = [
      ['/api/v1/centers', { headers: LOGIN }, 200],
      ['/api/v1/alerts', { headers: LOGIN }, 200],
      ['/api/v1/events', { headers: LOGIN }, 200],
      ['/metrics', {}, 200],
      ['/healthz', {}, 200],
      ['/no-such-page', { headers: LOGIN }, 404],
      ['/centers/no-such-center', { headers: LOGIN }, 404],
      ['/api/v1/write', { method: 'POST' }, 401],
      ['/api/v1/silences', { method: 'POST', headers: { 'content-type': 'application/json' }, payload: '{"matchers":' }, 400],
      ['/api/v1/silences', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer nope' }, payload: '{}' }, 403], // no API tokens configured: writes are off
    ];
    for (const [path, opts, status] of cases) {
      const res = await head(`${srv.url}${path}`, opts);
      const what = `${opts?.method ?? 'GET'} ${path}`;
      expect(res.status, what).toBe(status);
      expectSecurityHeaders(what, res.headers);
    }
  });

  it("the login's 401 and 429", async () => {
    const denied = await head(`${srv.url}/`, { from: '127.0.3.1' });
    expect(denied.status).toBe(401);
    expectSecurityHeaders('401', denied.headers);
    for (let i = 0; i < 5; i++) expect((await head(`${srv.url}/`, { headers: WRONG(`someone-${i}`), from: '127.0.3.2' })).status).toBe(401);
    const limited = await head(`${srv.url}/`, { headers: WRONG('someone-5'), from: '127.0.3.2' });
    expect(limited.status).toBe(429);
    expectSecurityHeaders('429', limited.headers);
  });
});
