/**
 * web.login: the page and the API's reads need a login; agents, /metrics and /healthz do not; writes keep
 * their bearer tokens. The hash is made by the bin's `password` command, as an operator would. Failed
 * logins are hammered at the real bin from many loopback addresses (127.0.0.0/8): the agents' pushes
 * must not wait for them, unknown and known user names must cost the same, and repeated failures get 429.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBins, eventually, startBin, type RunningBin } from '../helpers/bins.js';
import { freePort } from '../helpers/prometheus.js';
import { auth, body, post, series } from './server-harness.js';

const PASSWORD = 'mật-khẩu-lãnh-đạo';
const AGENT_TOKEN = 'login-agent-token-0123456789';

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

/** A distinct loopback source address per number: each stands for another client on the network. */
const address = (i: number): string => `127.1.${(i >> 8) & 255}.${i & 255 || 1}`;

const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

describe('readiness page login', () => {
  let dir: string;
  let port: number;
  let server: RunningBin;
  const url = () => `http://127.0.0.1:${port}`;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${url()}${path}`, { headers });
  /** A GET from a given loopback address; resolves with the status, the Retry-After and the time it took. */
  const getFrom = (from: string, path: string, headers: Record<string, string>) =>
    new Promise<{ status: number; retryAfter: string | undefined; ms: number }>((resolve, reject) => {
      const started = performance.now();
      const req = request(`${url()}${path}`, { headers, localAddress: from, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'], ms: performance.now() - started }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });

  beforeAll(async () => {
    buildBins();
    dir = mkdtempSync(join(tmpdir(), 'cw-login-'));
    port = await freePort();
    const hash = execFileSync('dist/centerwatch-server.mjs', ['password'], { input: `${PASSWORD}\n` })
      .toString()
      .trim();
    expect(hash).toMatch(/^scrypt\$/);
    expect(() => execFileSync('dist/centerwatch-server.mjs', ['password'], { input: 'short\n', stdio: 'pipe' })).toThrow();
    // lanhdao logs in; the others are only ever tried with wrong passwords (each test its own, as failures are counted per name).
    const users = ['lanhdao', 'timed', 'locked', 'hammered', 'gauge'].map((name) => `{ name: ${name}, password_hash: "${hash}" }`).join(', ');
    writeFileSync(
      join(dir, 'server.yaml'),
      `listen: 127.0.0.1:${port}\ndata_dir: data\ntokens:\n  - { id: t1, token: "${AGENT_TOKEN}", province: qng, center: sa-huynh, agent: pc1 }\n` +
        `engine:\n  api_tokens: [{ id: ops, token: "login-ops-token-0123456789" }]\n` +
        `web:\n  login: { users: [${users}] }\n`,
    );
    server = startBin('centerwatch-server', ['--config', join(dir, 'server.yaml')]);
    await eventually(async () => ((await get('/healthz')).ok ? true : undefined), 20_000, 'the server');
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('asks for a login on the page and the API reads; lets the right password in', async () => {
    for (const path of ['/', '/centers/sa-huynh', '/api/v1/centers', '/api/v1/alerts']) {
      const res = await get(path);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="centerwatch"/);
    }
    expect((await get('/', basic('lanhdao', 'wrong-password'))).status).toBe(401);
    expect((await get('/', basic('someone', PASSWORD))).status).toBe(401);
    const ok = await get('/', basic('lanhdao', PASSWORD));
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('Sẵn sàng phục vụ');
    expect((await get('/api/v1/centers', basic('lanhdao', PASSWORD))).status).toBe(200);
  });

  it('leaves /metrics, /healthz and the agents open; writes still need the API token', async () => {
    expect((await get('/metrics')).status).toBe(200);
    expect((await get('/healthz')).status).toBe(200);
    const write = await fetch(`${url()}/api/v1/write`, { method: 'POST', headers: { authorization: 'Bearer wrong-token-0123456789' }, body: '' });
    expect(write.status).toBe(401); // the receiver's own answer, not the login's
    expect(write.headers.get('www-authenticate') ?? '').not.toMatch(/Basic/);
    const silence = { matchers: ['center="sa-huynh"'], ends: new Date(Date.now() + 60_000).toISOString() };
    const write2 = (a: Record<string, string>) =>
      fetch(`${url()}/api/v1/silences`, { method: 'POST', headers: { 'content-type': 'application/json', ...a }, body: JSON.stringify(silence) });
    expect((await write2(basic('lanhdao', PASSWORD))).status).toBe(401); // a page login cannot write
    expect((await write2({ authorization: 'Bearer login-ops-token-0123456789' })).status).toBe(201);
  });

  it('an unknown user name costs the same work as a known one with a wrong password (names cannot be told apart)', async () => {
    const known: number[] = [];
    const unknown: number[] = [];
    // Interleaved, each from its own address; 4 tries of the known name stay under its failure limit.
    for (let i = 0; i < 4; i++) {
      const k = await getFrom(address(1000 + 2 * i), '/', basic('timed', `wrong-${i}`));
      const u = await getFrom(address(1001 + 2 * i), '/', basic(`nobody-${i}`, `wrong-${i}`));
      expect([k.status, u.status]).toEqual([401, 401]);
      known.push(k.ms);
      unknown.push(u.ms);
    }
    console.log(`wrong password: known user median ${quantile(known, 0.5).toFixed(1)} ms, unknown user median ${quantile(unknown, 0.5).toFixed(1)} ms`);
    // scrypt takes tens of ms: an unknown name answered in a fraction of that skipped it.
    expect(quantile(unknown, 0.5)).toBeGreaterThan(0.4 * quantile(known, 0.5));
    expect(quantile(known, 0.5)).toBeGreaterThan(0.4 * quantile(unknown, 0.5));
  });

  it('the 6th failure within a minute gets 429 with Retry-After, per client address and per user name', async () => {
    // One address trying five names.
    const from = address(2000);
    for (let i = 0; i < 5; i++) expect((await getFrom(from, '/', basic(`guess-${i}`, 'wrong-password'))).status).toBe(401);
    const limited = await getFrom(from, '/', basic('guess-5', 'wrong-password'));
    expect(limited.status).toBe(429);
    expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(limited.retryAfter)).toBeLessThanOrEqual(60);
    expect((await getFrom(from, '/', basic('timed', PASSWORD))).status).toBe(429); // even the right password, until the window passes
    // One name tried from five addresses.
    for (let i = 0; i < 5; i++) expect((await getFrom(address(2100 + i), '/', basic('locked', 'wrong-password'))).status).toBe(401);
    expect((await getFrom(address(2105), '/', basic('locked', 'wrong-password'))).status).toBe(429);
    // Others are not held up by either.
    expect((await getFrom(address(2200), '/', basic('lanhdao', PASSWORD))).status).toBe(200);
    expect((await getFrom(address(2201), '/', basic('someone-else', 'wrong-password'))).status).toBe(401);
  });

  it("wrong passwords hammered at the login do not hold up the agents' pushes", async () => {
    const payload = body([series({ __name__: 'centerwatch_probe_success', check: 'ok-check' })]);
    const push = async (): Promise<number> => {
      const started = performance.now();
      expect((await post(url(), payload, auth(AGENT_TOKEN))).status).toBe(204);
      return performance.now() - started;
    };
    for (let i = 0; i < 20; i++) await push(); // warm up
    const baseline: number[] = [];
    for (let i = 0; i < 200; i++) baseline.push(await push());

    // What one password check costs on this machine now: the bounds below are in its units.
    const checks: number[] = [];
    for (let i = 0; i < 3; i++) checks.push((await getFrom(address(2900 + i), '/', basic('gauge', `wrong-${i}`))).ms);
    const check = quantile(checks, 0.5);

    // 8 clients from fresh addresses: a known name (costly on its own) until it is locked, then fresh names,
    // so that every try costs a password check.
    let stop = false;
    let next = 3000;
    let locked = false;
    let verified = 0; // 401s: answers that needed a password check
    const hammer = async (): Promise<void> => {
      while (!stop) {
        const i = next++;
        const r = await getFrom(address(i), '/', basic(locked ? `nobody-${i}` : 'hammered', `wrong-${i}`));
        if (r.status === 401) verified++;
        if (r.status === 429) locked = true;
      }
    };
    const hammers = Array.from({ length: 8 }, hammer);
    const loaded: number[] = [];
    const deadline = performance.now() + 20_000;
    while ((loaded.length < 200 || verified < 30) && performance.now() < deadline) loaded.push(await push());
    stop = true;
    await Promise.all(hammers);

    const fmt = (xs: number[]) => `p50 ${quantile(xs, 0.5).toFixed(1)} ms, p99 ${quantile(xs, 0.99).toFixed(1)} ms (${xs.length} pushes)`;
    console.log(
      `one password check ${check.toFixed(1)} ms; push latency alone: ${fmt(baseline)}; while ${verified} wrong passwords were checked: ${fmt(loaded)}`,
    );
    expect(verified).toBeGreaterThanOrEqual(30); // the hammering did cost password checks meanwhile
    // Checks on the event loop put several of them in front of most pushes; off it, a push waits for none.
    expect(quantile(loaded, 0.5)).toBeLessThan(Math.max(5 * quantile(baseline, 0.5), check / 2));
    expect(quantile(loaded, 0.99)).toBeLessThan(quantile(baseline, 0.99) + 2 * check);
  }, 60_000);
});
