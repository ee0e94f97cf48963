/**
 * web.login: the page and the API's reads need a login; agents, /metrics and /healthz do not; writes keep
 * their bearer tokens. The hash is made by the bin's `password` command, as an operator would.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBins, eventually, startBin, type RunningBin } from '../helpers/bins.js';
import { freePort } from '../helpers/prometheus.js';

describe('readiness page login', () => {
  let dir: string;
  let port: number;
  let server: RunningBin;
  const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`http://127.0.0.1:${port}${path}`, { headers });

  beforeAll(async () => {
    buildBins();
    dir = mkdtempSync(join(tmpdir(), 'cw-login-'));
    port = await freePort();
    const hash = execFileSync('dist/centerwatch-server.mjs', ['password'], { input: 'mật-khẩu-lãnh-đạo\n' }).toString().trim();
    expect(hash).toMatch(/^scrypt\$/);
    expect(() => execFileSync('dist/centerwatch-server.mjs', ['password'], { input: 'short\n', stdio: 'pipe' })).toThrow();
    writeFileSync(
      join(dir, 'server.yaml'),
      `listen: 127.0.0.1:${port}\ndata_dir: data\ntokens:\n  - { id: t1, token: "login-agent-token-0123456789", province: qng, center: sa-huynh, agent: pc1 }\n` +
        `engine:\n  api_tokens: [{ id: ops, token: "login-ops-token-0123456789" }]\n` +
        `web:\n  login: { users: [{ name: lanhdao, password_hash: "${hash}" }] }\n`,
    );
    server = startBin('centerwatch-server', ['--config', join(dir, 'server.yaml')]);
    await eventually(async () => ((await get('/healthz')).ok ? true : undefined), 20_000, 'the server');
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks for a login on the page and the API reads; lets the right password in', async () => {
    for (const path of ['/', '/centers/sa-huynh', '/api/v1/centers', '/api/v1/alerts']) {
      const res = await get(path);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="centerwatch"/);
    }
    expect((await get('/', basic('lanhdao', 'wrong-password'))).status).toBe(401);
    expect((await get('/', basic('someone', 'mật-khẩu-lãnh-đạo'))).status).toBe(401);
    const ok = await get('/', basic('lanhdao', 'mật-khẩu-lãnh-đạo'));
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('Sẵn sàng phục vụ');
    expect((await get('/api/v1/centers', basic('lanhdao', 'mật-khẩu-lãnh-đạo'))).status).toBe(200);
  });

  it('leaves /metrics, /healthz and the agents open; writes still need the API token', async () => {
    expect((await get('/metrics')).status).toBe(200);
    expect((await get('/healthz')).status).toBe(200);
    const write = await fetch(`http://127.0.0.1:${port}/api/v1/write`, { method: 'POST', headers: { authorization: 'Bearer wrong-token-0123456789' }, body: '' });
    expect(write.status).toBe(401); // the receiver's own answer, not the login's
    expect(write.headers.get('www-authenticate') ?? '').not.toMatch(/Basic/);
    const silence = { matchers: ['center="sa-huynh"'], ends: new Date(Date.now() + 60_000).toISOString() };
    const post = (auth: Record<string, string>) => fetch(`http://127.0.0.1:${port}/api/v1/silences`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify(silence) });
    expect((await post(basic('lanhdao', 'mật-khẩu-lãnh-đạo'))).status).toBe(401); // a page login cannot write
    expect((await post({ authorization: 'Bearer login-ops-token-0123456789' })).status).toBe(201);
  });
});
