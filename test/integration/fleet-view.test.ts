/**
 * The fleet view over HTTP as the server mounts it (security headers, the login when configured, then
 * the fleet router), on a real SQLite store with one agent in each state: who may see it, what the page
 * and the API say, the filters, escaping; a client on another address (a network namespace of the
 * test's own) is refused without a login and let in with one; and the page in a real headless browser.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import express from 'express';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireService } from '../helpers/ctx.js';
import { canCreateNetns, NetnsLab, type Peer } from '../helpers/netns.js';
import { FLEET_CONTENT_SECURITY_POLICY } from '../../server/fleet/page.js';
import type { FleetRow } from '../../server/fleet/view.js';
import { fleetWebRouter, isLoopback, refusal } from '../../server/fleet/web.js';
import { hashPassword, loginMiddleware } from '../../server/web/login.js';
import { securityHeaders } from '../../server/web/security-headers.js';
import { CURRENT, fleetFixture, NASTY_CENTER, NASTY_VERSION, OLD, seedFleet, type FleetFixture } from '../support/fleet-fixture.js';

const PASSWORD = 'mật-khẩu-cntt-0123';
const LOGIN = { authorization: `Basic ${Buffer.from(`cntt:${PASSWORD}`).toString('base64')}` };
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test-artifacts');

interface App {
  fx: FleetFixture;
  /** Base URL on 127.0.0.1. */
  url: string;
  port: number;
  /** Also listen on this address (same port number not guaranteed): its base URL. */
  listenOn(address: string): Promise<string>;
  close(): Promise<void>;
}

async function startApp(withLogin: boolean): Promise<App> {
  const fx = fleetFixture(withLogin ? { web: { login: { users: [{ name: 'cntt', password_hash: hashPassword(PASSWORD) }] } } } : {});
  seedFleet(fx);
  // As server.ts assembles it: headers on everything, the login before the pages, then the fleet's routes.
  const app = express();
  app.use(securityHeaders());
  if (fx.deps.cfg.web.login) app.use(loginMiddleware(fx.deps.cfg.web.login));
  app.use(fleetWebRouter(fx.deps));
  const servers: Server[] = [];
  const listen = async (address: string): Promise<number> => {
    const s = createServer(app);
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, address, r));
    return (s.address() as { port: number }).port;
  };
  const port = await listen('127.0.0.1');
  return {
    fx,
    port,
    url: `http://127.0.0.1:${port}`,
    listenOn: async (address) => `http://${address}:${await listen(address)}`,
    async close() {
      for (const s of servers) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
      fx.close();
    },
  };
}

const ids = (rows: FleetRow[]): string[] => rows.map((r) => r.id);

describe('fleet view: who may see it', () => {
  it('isLoopback: 127.0.0.0/8 and ::1 in every spelling, nothing else', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) expect(isLoopback(a), a).toBe(true);
    for (const a of [undefined, '', '10.0.0.1', '198.19.0.2', '128.0.0.1', '::ffff:10.0.0.1', '::2', 'fe80::1', 'localhost'])
      expect(isLoopback(a), String(a)).toBe(false);
  });

  it('refusal: a login opens it to everyone it lets in; without one only loopback; behind a TLS proxy nobody', () => {
    const cfg = (web: object, fleet: object = {}) => ({ cfg: fleetFixture({ web, fleet }).deps.cfg });
    const login = { login: { users: [{ name: 'cntt', password_hash: hashPassword('x'.repeat(12)) }] } };
    expect(refusal(cfg(login), '198.19.0.2')).toBeUndefined();
    expect(refusal(cfg(login, { behind_tls_proxy: true }), '127.0.0.1')).toBeUndefined();
    expect(refusal(cfg({}), '127.0.0.1')).toBeUndefined();
    expect(refusal(cfg({}), '198.19.0.2')).toMatch(/configure web\.login/);
    expect(refusal(cfg({}, { behind_tls_proxy: true }), '127.0.0.1')).toMatch(/TLS proxy.*web\.login/);
  });
});

describe('fleet view over HTTP, no login configured', () => {
  let app: App;
  beforeAll(async () => {
    app = await startApp(false);
  });
  afterAll(() => app?.close());
  const get = (path: string) => fetch(`${app.url}${path}`);

  it('GET /fleet from loopback: the page, in Vietnamese, under its own script-free policy', async () => {
    const res = await get('/fleet');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-security-policy')).toBe(FLEET_CONTENT_SECURITY_POLICY);
    expect(FLEET_CONTENT_SECURITY_POLICY).not.toMatch(/script-src/);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const html = await res.text();
    expect(html).toContain('<html lang="vi">');
    expect(html).toContain('Danh sách agent');
    // A count per state at the top, in the order problems first.
    expect([...html.matchAll(/data-state="(\w+)" href="[^"]*"><span class="n">(\d+)<\/span>/g)].map((m) => `${m[1]}=${m[2]}`)).toEqual([
      'silent=1',
      'refused=1',
      'never_seen=1',
      'outdated=1',
      'no_profile=1',
      'ok=1',
      'revoked=1',
    ]);
    // Rows problems first; last heard in words; the running revision highlighted where it is not the current one.
    expect([...html.matchAll(/<tr data-agent="([^"]+)" data-state="(\w+)"/g)].map((m) => `${m[2]} ${m[1]}`)).toEqual([
      'silent 21480/pc-quiet',
      'refused 21478/kiosk',
      'never_seen 21480/pc-new',
      'outdated 21478/pc-old',
      'no_profile 00004/pc-1',
      'ok 21478/pc-ok',
      'revoked 21480/pc-gone',
    ]);
    expect(html).toContain('40 phút trước');
    expect(html).toContain('2 giây trước');
    expect(html).toContain(`<mark><code>${OLD}</code></mark> / <code>${CURRENT}</code>`);
    expect(html).toContain(`<td class="rev nw"><code>${CURRENT}</code> / <code>${CURRENT}</code></td>`);
    expect(html).toContain('90.000');
    expect(html).toMatch(/đã từ chối <code>a1b2c3d4e5f6<\/code>/);
  });

  it('escapes what comes from the inventory and from agents: a center name with <script>, a version with an <img>', async () => {
    const html = await (await get('/fleet')).text();
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain('<img');
    expect(html).toContain('Phường &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Sa Huỳnh&quot;');
    expect(html).toContain('0.1.0-&lt;img src=x onerror=alert(2)&gt;');
    // In the filter's options too.
    expect(html).toContain('<option value="21478">21478 — Phường &lt;script&gt;');
  });

  it('?lang=en: English words and "min ago"; the language link keeps the filter', async () => {
    const html = await (await get('/fleet?lang=en&province=quang-ngai&state=silent')).text();
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('40 min ago');
    expect(html).toContain('Showing 1 of 6 agents');
    expect(html).toContain('href="/fleet?lang=vi&amp;province=quang-ngai&amp;state=silent"');
  });

  it('the page filters by province, center and several states; the counts cover the province and center chosen', async () => {
    const rows = async (q: string) => [...(await (await get(`/fleet?${q}`)).text()).matchAll(/<tr data-agent="([^"]+)"/g)].map((m) => m[1]);
    expect(await rows('province=ha-noi')).toEqual(['00004/pc-1']);
    expect(await rows('center=21478')).toEqual(['21478/kiosk', '21478/pc-old', '21478/pc-ok']);
    expect(await rows('state=silent&state=ok')).toEqual(['21480/pc-quiet', '21478/pc-ok']);
    expect(await rows('province=&center=&state=refused,outdated')).toEqual(['21478/kiosk', '21478/pc-old']);
    const html = await (await get('/fleet?center=21480&state=silent')).text();
    expect(html).toContain('<option value="21480" selected>');
    expect(html).toMatch(/<input type="checkbox" name="state" value="silent" checked>/);
    expect(html).toMatch(/data-state="never_seen" href="[^"]*"><span class="n">1<\/span>/);
    expect(html).toMatch(/data-state="ok" href="[^"]*"><span class="n">0<\/span>/);
    expect(await rows('province=nowhere')).toEqual([]);
    expect(await (await get('/fleet?province=nowhere')).text()).toContain('Không có agent nào khớp bộ lọc');
  });

  it('an unknown state is a 400 naming the states', async () => {
    const page = await get('/fleet?state=bogus');
    expect(page.status).toBe(400);
    expect(await page.text()).toMatch(/unknown state "bogus": one of revoked, never_seen, silent/);
    const api = await get('/api/v1/agents?state=ok,bogus');
    expect(api.status).toBe(400);
    expect(await api.json()).toEqual({ error: expect.stringMatching(/unknown state "bogus"/) });
  });

  it('GET /api/v1/agents: rows and counts, filtered the same way; no token hash, no variables', async () => {
    const all = (await (await get('/api/v1/agents')).json()) as { agents: FleetRow[]; counts: Record<string, number> };
    expect(all.agents).toHaveLength(7);
    expect(all.counts).toEqual({ silent: 1, refused: 1, never_seen: 1, outdated: 1, no_profile: 1, ok: 1, revoked: 1 });
    expect(JSON.stringify(all)).not.toMatch(/tokenHash|"vars"/);
    const okRow = all.agents.find((r) => r.id === '21478/pc-ok')!;
    expect(okRow).toMatchObject({
      centerName: NASTY_CENTER,
      version: NASTY_VERSION,
      platform: 'win32',
      runningRevision: CURRENT,
      currentRevision: CURRENT,
      state: 'ok',
    });
    const some = (await (await get('/api/v1/agents?province=quang-ngai&state=silent&state=never_seen')).json()) as {
      agents: FleetRow[];
      counts: Record<string, number>;
    };
    expect(ids(some.agents)).toEqual(['21480/pc-quiet', '21480/pc-new']);
    expect(some.counts).toEqual({ silent: 1, refused: 1, never_seen: 1, outdated: 1, no_profile: 0, ok: 1, revoked: 1 });
  });

  it('GET /api/v1/agents/:center/:name: one row, revoked ones too; 404 JSON when unknown', async () => {
    expect(await (await get('/api/v1/agents/21480/pc-gone')).json()).toMatchObject({ id: '21480/pc-gone', state: 'revoked', revokedAtMs: expect.any(Number) });
    expect(await (await get('/api/v1/agents/00004/pc-1')).json()).toMatchObject({ state: 'no_profile', lastPushMs: expect.any(Number) });
    const missing = await get('/api/v1/agents/21478/nobody');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'unknown agent' });
  });

  it('follows the store and the clock: a revocation and time passing show at the next request', async () => {
    app.fx.store.fleet.revokeAgent('21478/kiosk', app.fx.clock.now);
    const before = app.fx.clock.now;
    app.fx.clock.now += 60_000;
    const { counts } = (await (await get('/api/v1/agents')).json()) as { counts: Record<string, number> };
    app.fx.clock.now = before;
    expect(counts).toMatchObject({ refused: 0, revoked: 2, ok: 0 });
  });

  it('leaves other paths alone', async () => {
    // Nothing else is routed here: the app's own 404.
    expect((await get('/')).status).toBe(404);
    expect((await get('/fleetx')).status).toBe(404);
  });
});

describe('fleet view over HTTP, login configured', () => {
  let app: App;
  beforeAll(async () => {
    app = await startApp(true);
  });
  afterAll(() => app?.close());

  it('401 without a login, for the page and the API; 200 with one', async () => {
    for (const path of ['/fleet', '/api/v1/agents', '/api/v1/agents/21478/pc-ok']) {
      const res = await fetch(`${app.url}${path}`);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate'), path).toMatch(/^Basic realm="centerwatch"/);
      expect(await res.text()).not.toContain('pc-ok');
    }
    const page = await fetch(`${app.url}/fleet`, { headers: LOGIN });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('data-agent="21478/pc-ok"');
    expect((await fetch(`${app.url}/api/v1/agents`, { headers: LOGIN })).status).toBe(200);
  });
});

describe.skipIf(!requireService(canCreateNetns, 'cannot create network namespaces (needs root and iproute2)'))('fleet view from another address', () => {
  let lab: NetnsLab;
  let peer: Peer;
  let open: App;
  let guarded: App;
  let openUrl: string;
  let guardedUrl: string;

  beforeAll(async () => {
    lab = new NetnsLab();
    peer = lab.addPeer();
    open = await startApp(false);
    guarded = await startApp(true);
    openUrl = await open.listenOn(peer.hostAddr);
    guardedUrl = await guarded.listenOn(peer.hostAddr);
  }, 30_000);
  afterAll(async () => {
    await open?.close();
    await guarded?.close();
    await lab?.cleanup();
  });

  /** A GET made from inside the peer's namespace: the server sees the peer's address, not loopback. */
  const getFromPeer = (url: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const code = `fetch(process.argv[1], { headers: JSON.parse(process.argv[2]) }).then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, body: await r.text() })), (e) => { console.error(e); process.exit(1); })`;
      const child = spawn('ip', ['netns', 'exec', peer.ns, process.execPath, '-e', code, url, JSON.stringify(headers)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(JSON.parse(out) as { status: number; body: string });
        else reject(new Error(`request from ${peer.ns} failed (${code}): ${err}`));
      });
    });

  it('no login configured: 403 with the reason for the page and the API; the same server still answers loopback', async () => {
    const page = await getFromPeer(`${openUrl}/fleet`);
    expect(page.status).toBe(403);
    expect(page.body).toBe('the fleet view is for IT staff: without web.login it answers only on this machine; configure web.login to open it\n');
    const api = await getFromPeer(`${openUrl}/api/v1/agents`);
    expect(api.status).toBe(403);
    expect(JSON.parse(api.body)).toEqual({ error: expect.stringMatching(/configure web\.login/) });
    expect((await getFromPeer(`${openUrl}/api/v1/agents/21478/pc-ok`)).status).toBe(403);
    // A header claiming loopback changes nothing: the socket decides.
    expect((await getFromPeer(`${openUrl}/fleet`, { 'x-forwarded-for': '127.0.0.1', forwarded: 'for=127.0.0.1' })).status).toBe(403);
    expect((await fetch(`${open.url}/fleet`)).status).toBe(200);
  }, 30_000);

  it('login configured: another address gets 401 without it and the page with it', async () => {
    expect((await getFromPeer(`${guardedUrl}/fleet`)).status).toBe(401);
    const page = await getFromPeer(`${guardedUrl}/fleet`, LOGIN);
    expect(page.status).toBe(200);
    expect(page.body).toContain('data-agent="21478/pc-ok"');
  }, 30_000);
});

describe.skipIf(!requireService(existsSync(CHROMIUM), `${CHROMIUM} not installed (Debian package chromium)`))('fleet page in Chromium', () => {
  let app: App;
  let browser: Browser;
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    app = await startApp(false);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });
  /** Console errors, script errors and Content-Security-Policy violations: none allowed. */
  afterEach(() => {
    const seen = problems.splice(0);
    expect(seen).toEqual([]);
  });

  const openPage = async (path: string, viewport = { width: 1280, height: 900 }): Promise<Page> => {
    const page = await browser.newPage({ viewport });
    page.on('dialog', () => {
      throw new Error('a dialog opened: some text ran as script');
    });
    page.on('console', (m) => void (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico') && problems.push(`${path}: console: ${m.text()}`)));
    page.on('pageerror', (e) => void problems.push(`${path}: ${e.message}`));
    // Scripts the browser itself injects run despite the page's policy; they only report its violations.
    await page.addInitScript(() =>
      document.addEventListener('securitypolicyviolation', (e) =>
        console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`),
      ),
    );
    const res = await page.goto(`${app.url}${path}`);
    expect(res?.headers()['content-security-policy']).toBe(FLEET_CONTENT_SECURITY_POLICY);
    return page;
  };
  const rowIds = (page: Page) => page.locator('#agents tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-agent')));

  it('shows the table with every agent, styled, the nasty center name as text', async () => {
    const page = await openPage('/fleet');
    await expect.poll(() => page.locator('#agents').isVisible()).toBe(true);
    expect(await rowIds(page)).toHaveLength(7);
    expect(await page.locator('tr[data-agent="21478/pc-ok"] td').first().innerText()).toContain(NASTY_CENTER);
    expect(await page.locator('tr[data-agent="21478/pc-ok"] td').nth(3).innerText()).toBe(NASTY_VERSION);
    expect(await page.locator('script').count()).toBe(0);
    expect(await page.locator('img').count()).toBe(0);
    // The style applied (its hash is in the policy): the header is the dark blue bar, the silent state red on pink.
    expect(await page.locator('header.top').evaluate((e) => getComputedStyle(e).backgroundColor)).toBe('rgb(13, 71, 161)');
    expect(await page.locator('tr[data-agent="21480/pc-quiet"] .st').evaluate((e) => getComputedStyle(e).color)).toBe('rgb(183, 28, 28)');
    expect(await page.locator('tr[data-agent="21478/pc-old"] mark').innerText()).toBe(OLD);
    expect(await page.locator('.chip[data-state="silent"] .n').innerText()).toBe('1');
    await page.screenshot({ path: join(ARTIFACTS, 'fleet-vi.png'), fullPage: true });
    await page.close();
  });

  it('the filter form: a province and two states, submitted as a plain GET; the chips filter by one state; clearing shows all', async () => {
    const page = await openPage('/fleet');
    await page.getByLabel('Tỉnh').selectOption('quang-ngai');
    await page.getByLabel('Mất liên lạc').check();
    await page.getByLabel('Từ chối cấu hình').check();
    await Promise.all([page.waitForURL(/state=/), page.getByRole('button', { name: 'Lọc' }).click()]);
    expect(new URL(page.url()).searchParams.getAll('state')).toEqual(['silent', 'refused']);
    expect(new URL(page.url()).searchParams.get('province')).toBe('quang-ngai');
    expect(await rowIds(page)).toEqual(['21480/pc-quiet', '21478/kiosk']);
    expect(await page.getByLabel('Mất liên lạc').isChecked()).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'fleet-filtered.png'), fullPage: true });

    await Promise.all([page.waitForURL(/state=ok/), page.locator('.chip[data-state="ok"]').click()]);
    expect(await rowIds(page)).toEqual(['21478/pc-ok']);
    await Promise.all([page.waitForURL((u) => !u.search.includes('state=')), page.getByRole('link', { name: 'Bỏ lọc' }).click()]);
    expect(await rowIds(page)).toHaveLength(7);
    await page.close();
  });

  it('switches to English, keeping the filter', async () => {
    const page = await openPage('/fleet?center=21480');
    await Promise.all([page.waitForURL(/lang=en/), page.getByRole('link', { name: 'English' }).click()]);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(new URL(page.url()).searchParams.get('center')).toBe('21480');
    expect(await page.locator('tr[data-agent="21480/pc-quiet"]').innerText()).toMatch(/40 min ago[\s\S]*Silent/);
    await page.screenshot({ path: join(ARTIFACTS, 'fleet-en.png'), fullPage: true });
    await page.close();
  });
});
