/**
 * The readiness page in a real browser (Debian's Chromium driven by playwright-core) against the real
 * server bin, fed by the fleet simulator with injected faults. Screenshots go to test-artifacts/.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildFleet, serverTokensYaml, type Fault, type SimAgent } from '../../bench/simulator/fleet.js';
import { runFleet, type Running } from '../../bench/simulator/run.js';
import { buildBins, eventually, startBin, type RunningBin } from '../helpers/bins.js';
import { requireService } from '../helpers/ctx.js';
import { freePort } from '../helpers/prometheus.js';
import { existsSync } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const NASTY = 'Xã <script>alert(1)</script> & "Bến"';
const LINES = ['line-tslcd', 'line-inet1', 'line-inet2'];

describe.skipIf(!requireService(existsSync(CHROMIUM), `${CHROMIUM} not installed (Debian package chromium)`))('readiness page in Chromium', () => {
  let dir: string;
  let port: number;
  let server: RunningBin;
  let fleet: SimAgent[];
  let sim: Running;
  let browser: Browser;
  let faults: Fault[];
  const base = () => `http://127.0.0.1:${port}`;
  const api = async (path: string): Promise<any> => (await fetch(`${base()}/api/v1${path}`)).json();
  const stateOf = async (center: string): Promise<string | undefined> =>
    (await api('/centers')).centers.find((c: { center: string }) => c.center === center)?.state;

  beforeAll(async () => {
    buildBins();
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'cw-page-'));
    port = await freePort();
    fleet = buildFleet({ centers: 40, agentsPerCenter: 1, seed: 'page-test' });
    fleet[0] = { ...fleet[0]!, centerName: NASTY };
    writeFileSync(
      join(dir, 'server.yaml'),
      `listen: 127.0.0.1:${port}\ndata_dir: data\n${serverTokensYaml(fleet, 'page-test')}` +
        `engine:\n  interval: 500ms\n  agent_silent_after: 20s\n  readiness: { enter_after: 1, leave_after: 1 }\n`,
    );
    server = startBin('centerwatch-server', ['--config', join(dir, 'server.yaml')]);
    await eventually(async () => ((await fetch(`${base()}/healthz`)).ok ? true : undefined), 20_000, 'the server');
    faults = [
      { center: fleet[1]!.center, checks: LINES },
      { center: fleet[2]!.center, checks: ['line-inet2'] },
      { center: fleet[3]!.center, checks: ['printer-counter'] },
    ];
    sim = runFleet({ url: `${base()}/api/v1/write`, agents: fleet, seriesPerAgent: 150, intervalMs: 1000, faults });
    await eventually(
      async () => ((await stateOf(fleet[1]!.center)) === 'blocked' && (await api('/centers')).centers.length === 40 ? true : undefined),
      30_000,
      'the fleet evaluated',
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await sim?.stop();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Console errors, script errors and Content-Security-Policy violations of every page opened: none allowed. */
  const problems: string[] = [];
  afterEach(() => {
    const seen = problems.splice(0);
    expect(seen).toEqual([]);
  });

  const open = async (path: string, viewport = { width: 1280, height: 900 }): Promise<Page> => {
    const page = await browser.newPage({ viewport });
    page.on('dialog', () => {
      throw new Error('a dialog opened: some text ran as script');
    });
    // The browser's own request for /favicon.ico (there is none: 404) is the one error allowed.
    page.on('console', (m) => void (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico') && problems.push(`${path}: console: ${m.text()}`)));
    page.on('pageerror', (e) => void problems.push(`${path}: ${e.message}`));
    await page.addInitScript(() =>
      document.addEventListener('securitypolicyviolation', (e) =>
        console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`),
      ),
    );
    const res = await page.goto(`${base()}${path}`);
    // The policy is really there: what ran below ran under it.
    expect(res?.headers()['content-security-policy']).toMatch(/^default-src 'none'; script-src 'sha256-/);
    return page;
  };
  const tile = (page: Page, center: string) => page.locator(`.province li.tile[data-center="${center}"]`);
  const attention = (page: Page) => page.locator('#attention li.tile').evaluateAll((els) => els.map((e) => e.getAttribute('data-center')));

  it('shows every center with its state and the reason, in Vietnamese', async () => {
    const page = await open('/');
    await expect.poll(() => page.locator('.province li.tile').count()).toBe(40);
    // The centers not ready come first, worst first, whichever province they are in.
    expect((await attention(page))[0]).toBe(fleet[1]!.center); // blocked before degraded
    expect(new Set(await attention(page))).toEqual(new Set([fleet[1]!.center, fleet[2]!.center, fleet[3]!.center]));
    expect(await tile(page, fleet[1]!.center).getAttribute('class')).toBe('tile s-blocked');
    expect(await tile(page, fleet[1]!.center).textContent()).toMatch(/Gián đoạn[\s\S]*Mất kết nối Internet \(cả 3 đường truyền\) từ \d\d:\d\d/i);
    expect(await tile(page, fleet[2]!.center).getAttribute('class')).toBe('tile s-degraded');
    expect(await tile(page, fleet[2]!.center).textContent()).toMatch(/Mất dự phòng: đường truyền inet2 mất kết nối/);
    expect(await tile(page, fleet[3]!.center).textContent()).toMatch(/Máy in printer-counter lỗi/);
    expect(await page.locator('.province li.tile.s-ready').count()).toBe(37);
    expect(await page.locator('.n[data-state="blocked"]').innerText()).toBe('1');
    expect(await page.locator('html').getAttribute('lang')).toBe('vi');
    await page.screenshot({ path: join(ARTIFACTS, 'overview-vi.png') });
    await page.screenshot({ path: join(ARTIFACTS, 'overview-vi-full.png'), fullPage: true });
    await page.close();
  });

  it('a center turning blocked updates its tile without a reload, within 5 s', async () => {
    const page = await open('/');
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    const center = fleet[4]!.center;
    expect(await tile(page, center).getAttribute('class')).toBe('tile s-ready');
    const cut = Date.now();
    sim.setFaults([...faults, { center, checks: LINES }]);
    await page.waitForSelector(`.province li.tile.s-blocked[data-center="${center}"]`, { timeout: 5000 });
    console.log(`fault injected → tile blocked in the open page: ${Date.now() - cut} ms`);
    expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(42);
    expect(await tile(page, center).textContent()).toMatch(/Mất kết nối Internet/);
    expect(await page.locator('.n[data-state="blocked"]').innerText()).toBe('2');
    expect(await attention(page)).toContain(center);
    sim.setFaults(faults);
    await page.waitForSelector(`.province li.tile.s-ready[data-center="${center}"]`, { timeout: 5000 });
    expect(await attention(page)).not.toContain(center);
    await page.close();
  });

  it("a center's open page follows its state without a reload (fetched again under the policy)", async () => {
    const center = fleet[5]!.center;
    const page = await open(`/centers/${center}`);
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    expect(await page.locator('.big.state').innerText()).toBe('Sẵn sàng');
    sim.setFaults([...faults, { center, checks: LINES }]);
    await page.waitForFunction(() => document.querySelector('.big.state')?.textContent === 'Gián đoạn', undefined, { timeout: 5000 });
    expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(42);
    sim.setFaults(faults);
    await page.waitForFunction(() => document.querySelector('.big.state')?.textContent === 'Sẵn sàng', undefined, { timeout: 5000 });
    await page.close();
  });

  it('switches to English and back', async () => {
    const page = await open('/');
    await page.getByRole('link', { name: 'English' }).click();
    await page.waitForURL(/lang=en/);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await tile(page, fleet[1]!.center).textContent()).toMatch(/Blocked[\s\S]*No Internet \(all 3 lines down\) since/i);
    await page.screenshot({ path: join(ARTIFACTS, 'overview-en.png') });
    await page.getByRole('link', { name: 'Tiếng Việt' }).click();
    await page.waitForURL(/lang=vi/);
    expect(await page.locator('html').getAttribute('lang')).toBe('vi');
    await page.close();
  });

  it('fits a phone screen: one column, no sideways scrolling', async () => {
    const page = await open('/', { width: 390, height: 844 });
    const { scrollWidth, tiles } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      tiles: [...document.querySelectorAll('li.tile')].slice(0, 3).map((li) => Math.round(li.getBoundingClientRect().left)),
    }));
    expect(scrollWidth).toBeLessThanOrEqual(390);
    expect(new Set(tiles).size).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'overview-phone.png') });
    await page.close();
  });

  it('a center name holding <script> renders as text and runs nothing', async () => {
    const page = await open('/');
    expect(await tile(page, fleet[0]!.center).locator('.name').textContent()).toBe(NASTY);
    expect(await page.locator('script').count()).toBe(2); // the page's data and its own script, nothing else
    const center = await open(`/centers/${fleet[0]!.center}`);
    expect(await center.locator('h2.cname').innerText()).toContain(NASTY);
    expect(await center.title()).toContain(NASTY);
    expect(await center.locator('script').count()).toBe(2);
    await page.close();
    await center.close();
  });

  it("a center's page: state, lines down, open alerts; reachable by keyboard from the overview", async () => {
    const page = await open('/');
    // Tab past the header links to the first tile (blocked centers come first in their province).
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => document.activeElement?.closest('li.tile')?.getAttribute('data-center') ?? null);
      if (focused) break;
    }
    expect(await page.evaluate(() => document.activeElement?.closest('li.tile') !== null)).toBe(true);
    await page.close();

    const center = await open(`/centers/${fleet[1]!.center}`);
    expect(await center.locator('.big.state').innerText()).toBe('Gián đoạn');
    const lines = center.locator('section', { hasText: 'Đường truyền' });
    expect(await lines.locator('tr', { hasText: 'line-inet1' }).innerText()).toMatch(/Lỗi/);
    expect(await center.locator('ol.days li').count()).toBe(30);
    await center.screenshot({ path: join(ARTIFACTS, 'center-blocked.png'), fullPage: true });
    await center.close();
  });
});
