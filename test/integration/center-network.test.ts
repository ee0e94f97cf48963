/**
 * A center's network end to end, on real software only (test/helpers/center-network.ts): the agent bin on
 * the center's PC behind a dual-WAN router (NAT, a failover script, IF-MIB from snmpd), the server bin
 * in the test's namespace reached through either ISP, its engine's messages caught by a webhook receiver.
 * Every address is inside the test's namespaces, checked with `ip route get` before traffic starts.
 *
 * One center's day, each step with its messages and readiness:
 * - fiber cut: the router fails over to 4G; one warning naming the fiber; degraded; the page says 4G;
 * - both cut: nothing reaches the province (it is reached only through the two ISPs), so live the
 *   center goes offline with the power cut's cause: the province cannot tell the two apart (no
 *   urgent LinesDown message, never blocked live). Once 4G is back the agent's replayed results
 *   rewrite the spell as blocked, both lines down;
 * - power cut (agent and every WAN address silent): offline, "no power or router down";
 * - fiber back: everything resolves, no new warning, ready on the fiber.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../server/store/store.js';
import { eventually, startBin, type RunningBin } from '../helpers/bins.js';
import { CenterNetwork, PC_ADDR, ROUTER_LAN } from '../helpers/center-network.js';
import { requireService } from '../helpers/ctx.js';
import { canCreateNetns, canUseNft } from '../helpers/netns.js';
import { freePort } from '../helpers/prometheus.js';
import { commandExists } from '../helpers/servers.js';
import { snmpdAvailable } from '../helpers/snmpd.js';
import { WebhookReceiver, type Received } from '../helpers/webhook-receiver.js';

const available = requireService(
  canCreateNetns && canUseNft && snmpdAvailable() && commandExists('snmpget') && commandExists('ping'),
  'needs root, ip netns, nft, snmpd (Debian package snmpd), snmpget (snmp) and ping',
);

const TOKEN = 'center-network-token-0123456789ab';
const CENTER = 'sa-huynh';
const repo = new URL('../../', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface CenterView {
  state: string;
  reasons: Array<{ kind: string; cause?: string; text: { vi: string; en: string } }>;
  line: { name: string; main: boolean } | null;
}

describe.runIf(available)('a center behind a dual-WAN router, in network namespaces', () => {
  const net = new CenterNetwork();
  const hook = new WebhookReceiver();
  let dir: string;
  let server: RunningBin | undefined;
  let agent: ChildProcess | undefined;
  let agentLog = '';
  let url = '';

  const view = async (): Promise<CenterView> => (await fetch(`${url}/api/v1/centers/${CENTER}`)).json() as Promise<CenterView>;
  const page = async (): Promise<string> => (await fetch(`${url}/centers/${CENTER}`)).text();
  const until = <T>(what: string, check: () => Promise<T | undefined>, ms = 20_000) => eventually(check, ms, what);
  const stateIs = (state: string, more: (v: CenterView) => boolean = () => true) =>
    until(`the center ${state}`, async () => {
      const v = await view();
      return v.state === state && more(v) ? v : undefined;
    });
  /** Messages since `from`, once `n` have come and nothing more for a while. */
  const messages = async (from: number, n: number): Promise<Received[]> => {
    await until(`${n} message(s)`, async () => (hook.received.length - from >= n ? true : undefined));
    await sleep(3000);
    return hook.received.slice(from);
  };
  const line = (m: Received) => {
    const l = m.body.alerts[0]!.labels;
    return [m.body.status, l.alertname, l.check, l.severity].filter(Boolean).join(' ');
  };

  const startAgent = () => {
    agent = net.spawnInCenter(join(repo, 'dist/centerwatch-agent.mjs'), ['--config', join(dir, 'agent.yaml')]);
    agent.stderr!.on('data', (c: Buffer) => (agentLog += c.toString()));
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-center-network-'));
    await hook.start();
    await net.build(['fiber', '4g']);
    const [fiber, lte] = [net.uplink('fiber'), net.uplink('4g')];
    // The router's failover has chosen the fiber.
    await until('the default route over the fiber', async () => (net.defaultRoute().includes('dev wanf') ? true : undefined), 10_000);

    // Every address the traffic goes to, before any is sent: inside the test's namespaces only.
    for (const u of [fiber, lte]) {
      expect(net.routeGet(undefined, u.public)).toMatch(new RegExp(`via ${net.prov.peerAddr} dev ${net.prov.hostIf} `));
      expect(net.routeGet(net.prov.ns, u.public)).toMatch(new RegExp(`via 10\\.200\\.\\d\\.2 dev isp\\d `));
      expect(net.routeGet(u.ns, net.serverAddr)).toMatch(/via 10\.200\.\d\.1 dev prov /);
      expect(net.routeGet(net.router.ns, net.serverAddr, u.public)).toContain(`via ${u.gateway} dev ${u.wanIf} `);
    }
    expect(net.routeGet(net.router.ns, net.serverAddr)).toContain(`via ${fiber.gateway} dev wanf `);
    expect(net.routeGet(net.center.ns, net.serverAddr)).toContain(`via ${ROUTER_LAN} dev eth0 `);
    expect(net.routeGet(net.center.ns, ROUTER_LAN)).toContain('dev eth0 ');
    expect(net.routeGet(net.router.ns, PC_ADDR)).toContain('dev lan ');
    // The router's SNMP address is its own: the agent's queries end in it.
    expect(net.routeGet(net.router.ns, net.snmpAddr)).toMatch(/^local /);

    const port = await freePort();
    url = `http://${net.serverAddr}:${port}`;
    // The inventory: the center's lines and their public addresses (the router's WAN addresses).
    mkdirSync(join(dir, 'data'));
    const store = openSqliteStore(join(dir, 'data', 'engine.sqlite'));
    store.fleet.upsertCenters(
      [
        {
          code: CENTER,
          province: 'qng',
          name: 'Phường Sa Huỳnh',
          type: 'phường',
          address: '',
          counters: 1,
          lines: [
            { name: 'fiber', kind: 'fiber', isp: 'VNPT', public: [fiber.public] },
            { name: '4g', kind: '4g', isp: 'Viettel', public: [lte.public] },
          ],
          devices: [],
          vars: {},
        },
      ],
      Date.now(),
    );
    store.close();
    writeFileSync(
      join(dir, 'server.yaml'),
      `listen: ${net.serverAddr}:${port}\ndata_dir: data\n` +
        `tokens:\n  - { id: t1, token: "${TOKEN}", province: qng, center: ${CENTER}, agent: pc1 }\n` +
        `outside_in: { interval: 1s, timeout: 800ms, icmp_count: 2 }\n` +
        `engine:\n  interval: 500ms\n  agent_silent_after: 4s\n  public_url: "${url}"\n` +
        `  calendar: { hold_outside_hours: false }\n` +
        // A router check waits out snmpd's interface cache (a few seconds): a WAN back is reported down meanwhile.
        `  rules:\n    - { kind: router, for: 6s, recover_for: 2s }\n    - { kind: outside_in, for: 2s, recover_for: 2s }\n` +
        `    - { check: line-in-use, for: 2s, recover_for: 2s }\n` +
        `  defaults: { for: 2s, recover_for: 2s }\n` +
        `  routes:\n    - { name: oncall, channel: webhook, options: { url: "${hook.url}" } }\n`,
    );
    const routerCheck = (id: string, lineName: string, wan: string) =>
      `  - { id: ${id}, kind: router, target: "${net.snmpAddr}", line: ${lineName}, group: lines, impact: blocking, interval: 1s, timeout: 800ms,` +
      ` options: { community: public, interfaces: [{ name: ${wan}, line: ${lineName} }] } }\n`;
    writeFileSync(
      join(dir, 'agent.yaml'),
      `center: { id: ${CENTER}, name: "Phường Sa Huỳnh", province: quang-ngai }\nagent: { id: pc1, listen: "127.0.0.1:0" }\n` +
        `push:\n  interval: 1s\n  wal: { dir: ${join(dir, 'wal')} }\n` +
        `  targets:\n    - { name: province, url: "${url}/api/v1/write", bearer_token: "${TOKEN}", timeout: 1s }\n` +
        `lines:\n  - { name: fiber, description: "Cáp quang VNPT" }\n  - { name: 4g, description: "4G Viettel" }\n` +
        `checks:\n${routerCheck('line-fiber', 'fiber', 'wanf')}${routerCheck('line-4g', '4g', 'wan4')}`,
    );
    server = startBin('centerwatch-server', ['--config', join(dir, 'server.yaml')]);
    await until('the server', async () => ((await fetch(`${url}/healthz`).catch(() => undefined))?.ok ? true : undefined));
    startAgent();
  }, 60_000);

  afterAll(async () => {
    if (process.env.CW_DEBUG)
      console.log(
        `agent:\n${agentLog.slice(-4000)}\nserver:\n${server?.log().slice(-4000)}\nfailover:\n${net.failoverLog}\nview: ${JSON.stringify(await view().catch(() => null))}`,
      );
    agent?.kill('SIGKILL');
    await server?.stop();
    await net.cleanup();
    await hook.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ready on the fiber to start with, no message', async () => {
    const v = await stateIs('ready', (x) => x.line?.name === 'fiber');
    expect(v.line).toMatchObject({ name: 'fiber', main: true });
    await sleep(2000);
    expect(hook.received).toEqual([]);
  }, 30_000);

  it('fiber cut: the router fails over to 4G; one warning naming the fiber; degraded; the page says 4G', async () => {
    const from = hook.received.length;
    net.cut('fiber');
    await until('the failover', async () => (net.defaultRoute().includes('dev wan4') ? true : undefined), 10_000);
    const v = await stateIs('degraded', (x) => x.line?.name === '4g');
    expect(v.line).toMatchObject({ name: '4g', main: false });
    const got = await messages(from, 1);
    console.log(`fiber cut: ${got.map(line).join(' | ')}`);
    // The province's view of the fiber (its address silent) or the router's (its WAN down), whichever
    // saw it first, speaks for the line; line-in-use and the other are explained by it.
    expect(got.map(line)).toEqual([expect.stringMatching(/^firing CenterwatchCheckDown (outside-in:fiber|line-fiber) warning$/)]);
    const alert = got[0]!.body.alerts[0]!;
    expect(alert.annotations.summary).toMatch(/^đường truyền fiber \(Cáp quang VNPT\) mất kết nối/);
    expect(JSON.stringify(alert.annotations)).not.toMatch(/4G|dự phòng 4G/);
    expect(await page()).toMatch(/<p class="line">Đang dùng đường 4G Viettel từ \d\d:\d\d<\/p>/);
    expect((await view()).reasons.map((r) => [r.kind, r.text.vi])).toEqual([
      ['redundancy_lost', 'Mất dự phòng: đường truyền fiber (Cáp quang VNPT) mất kết nối'],
    ]);
  }, 40_000);

  it("both cut: nothing reaches the province, so the center is offline; the agent's replayed results rewrite the spell as blocked once 4G is back", async () => {
    const from = hook.received.length;
    const logFrom = agentLog.length;
    net.cut('4g');
    const v = await stateIs('offline');
    console.log(`both cut: ${JSON.stringify(v.reasons)}`);
    const got = await messages(from, 1);
    console.log(`both cut: ${got.map(line).join(' | ')}; ${got.map((m) => m.body.alerts[0]!.annotations.summary).join(' | ')}`);
    expect(got.map(line)).toEqual(['firing CenterwatchCenterOffline critical']);
    const offlineId = (await (await fetch(`${url}/api/v1/alerts`)).json()).alerts.find(
      (a: { labels: { alertname: string } }) => a.labels.alertname === 'CenterOffline',
    ).id as string;

    // The agent has seen both WANs down (snmpd's interface table is a few seconds old) before 4G returns.
    await until('the agent seeing 4G down', async () => (/"check":"line-4g"[^\n]*"up":false/.test(agentLog.slice(logFrom)) ? true : undefined));
    net.restore('4g');
    await stateIs('degraded', (x) => x.line?.name === '4g');
    // The replay comes in batches, each rewriting the spell: the one with the 4G's fall says blocked.
    const history = await until("the spell rewritten from the agent's results", async () => {
      const h = (await (await fetch(`${url}/api/v1/alerts/${encodeURIComponent(offlineId)}`)).json()) as {
        history: Array<{ action: string; detail?: { timeline: Array<{ state: string; reasons: string[] }> } }>;
      };
      return h.history.find((x) => x.action === 'timeline_corrected' && x.detail!.timeline.some((p) => p.state === 'blocked'));
    });
    console.log(`both cut, replayed: ${JSON.stringify(history.detail)}`);
    expect(history.detail!.timeline.find((p) => p.state === 'blocked')!.reasons).toEqual(['Mất kết nối Internet (cả 2 đường truyền)']);
    const after = await messages(from + 1, 1);
    expect(after.map(line)).toEqual(['resolved CenterwatchCenterOffline critical']);
  }, 60_000);

  it('power cut: agent and every WAN address silent: offline, "no power or router down", not both lines cut', async () => {
    const from = hook.received.length;
    agent!.kill('SIGKILL');
    await net.powerOff();
    const v = await stateIs('offline', (x) => x.reasons[0]?.cause === 'no_power');
    expect(v.reasons.map((r) => [r.kind, r.cause, r.text.vi])).toEqual([['no_agent_heard', 'no_power', 'Mất liên lạc: có thể mất điện hoặc router hỏng']]);
    const got = await messages(from, 1);
    console.log(`power cut: ${got.map(line).join(' | ')}; ${got.map((m) => m.body.alerts[0]!.annotations.summary).join(' | ')}`);
    expect(got.map(line)).toEqual(['firing CenterwatchCenterOffline critical']);
    const summary = got[0]!.body.alerts[0]!.annotations.summary!;
    expect(summary).toContain('có thể mất điện hoặc router hỏng');
    expect(summary).not.toMatch(/cả hai đường truyền|both lines/);

    await net.powerOn();
    startAgent();
    await stateIs('degraded', (x) => x.line?.name === '4g');
    const back = await messages(from + 1, 1);
    expect(back.map(line)).toEqual(['resolved CenterwatchCenterOffline critical']);
  }, 60_000);

  it('fiber back: everything resolves, no new warning, ready on the fiber', async () => {
    const from = hook.received.length;
    const warning = hook.received[0]!.body.alerts[0]!.labels.check;
    net.restore('fiber');
    await until('the router back on the fiber', async () => (net.defaultRoute().includes('dev wanf') ? true : undefined), 10_000);
    const v = await stateIs('ready', (x) => x.line?.name === 'fiber');
    expect(v.reasons).toEqual([]);
    const got = await messages(from, 1);
    expect(got.map(line)).toEqual([`resolved CenterwatchCheckDown ${warning} warning`]);
    expect((await (await fetch(`${url}/api/v1/alerts`)).json()).alerts).toEqual([]);
    expect(await page()).not.toContain('class="line"');
    console.log(`all messages: ${hook.received.map(line).join(' | ')}`);
  }, 40_000);
});
