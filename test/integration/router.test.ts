/**
 * The router probe against a real `snmpd` serving the IF-MIB of a network namespace of the test's own:
 * the "router" namespace has two WAN interfaces (veth pairs to an "ISP" namespace) and its link to the
 * test's namespace, over which the agent asks. Downing a WAN turns the check down naming it and its
 * line; bringing it back recovers; traffic sent over a WAN shows as its rate.
 */
import { execFileSync } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentMetrics } from '../../agent/exposition.js';
import { createRouterProbe, routerProbe } from '../../agent/probes/router.js';
import type { Observation, ProbeResult, Session } from '../../agent/probes/types.js';
import { makeCtx, requireService } from '../helpers/ctx.js';
import { canCreateNetns, NetnsLab, type Peer } from '../helpers/netns.js';
import { commandExists } from '../helpers/servers.js';
import { snmpdAvailable } from '../helpers/snmpd.js';
import { startNamespaceSnmpd, type NamespaceSnmpd } from '../helpers/snmpd-netns.js';
import { openSockets, timed } from '../helpers/sockets.js';

const available = requireService(
  canCreateNetns && snmpdAvailable() && commandExists('snmpget') && commandExists('ping'),
  'needs root, ip netns, snmpd (Debian package snmpd), snmpget (snmp) and ping',
);
const USER = { name: 'cwrouter', authPassword: 'cw-router-auth-1', privPassword: 'cw-router-priv-1' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });
/** snmpd reads the kernel's interface table at most every few seconds: a change shows within this. */
const SNMPD_CACHE_MS = 6000;

const WANS = [
  { name: 'wan1', line: 'inet1' },
  { name: 'wan2', line: 'tslcd' },
];

let lab: NetnsLab;
let router: Peer;
let isp: Peer;
let snmpd: NamespaceSnmpd;

beforeAll(async () => {
  if (!available) return;
  lab = new NetnsLab();
  router = lab.addPeer();
  isp = lab.addPeer();
  // Each WAN a veth pair from the router to the ISP; addresses from TEST-NET-1, inside the two namespaces only.
  WANS.forEach((w, k) => {
    ip('-n', router.ns, 'link', 'add', w.name, 'type', 'veth', 'peer', 'name', `isp${k + 1}`, 'netns', isp.ns);
    ip('-n', router.ns, 'addr', 'add', `192.0.2.${4 * k + 1}/30`, 'dev', w.name);
    ip('-n', isp.ns, 'addr', 'add', `192.0.2.${4 * k + 2}/30`, 'dev', `isp${k + 1}`);
    ip('-n', router.ns, 'link', 'set', w.name, 'up');
    ip('-n', isp.ns, 'link', 'set', `isp${k + 1}`, 'up');
  });
  snmpd = await startNamespaceSnmpd(router.ns, router.peerAddr, router.hostAddr, USER);
}, 30_000);

afterAll(async () => {
  await snmpd?.stop();
  await lab?.cleanup();
});

/** A router check as the scheduler runs it: one session (the counters' memory) kept between runs. */
function routerCheck(options: Record<string, unknown> = {}, target = () => snmpd.target) {
  const sessions = new Map<string, Session>();
  const parsed = routerProbe.options.parse({ interfaces: WANS, ...options });
  const ctx = () => makeCtx({ timeoutMs: 2000, sessions });
  return {
    run: async (): Promise<ProbeResult> => routerProbe.run(target(), parsed, ctx()),
    close: () => ctx().closeSessions(),
  };
}

const value = (r: ProbeResult, metric: string, iface: string): number | undefined =>
  r.observations?.find((o: Observation) => o.metric === metric && o.labels?.interface === iface)?.value;

/** Runs until `done` holds or the cache has surely refreshed, returning the last result. */
async function runUntil(check: ReturnType<typeof routerCheck>, done: (r: ProbeResult) => boolean): Promise<ProbeResult> {
  const until = Date.now() + SNMPD_CACHE_MS;
  let r = await check.run();
  while (!done(r) && Date.now() < until) {
    await sleep(250);
    r = await check.run();
  }
  return r;
}

describe.runIf(available)('router probe, IF-MIB from snmpd in a test namespace', () => {
  it('both WANs up: per interface up, speed and the line as a label; the first run has no rate', async () => {
    const check = routerCheck();
    const r = await check.run();
    expect(r).toMatchObject({ up: true, reason: 'ok', message: 'wan1 up 10 Gb/s, wan2 up 10 Gb/s' });
    expect(r.phases?.request).toBeGreaterThan(0);
    const labels = { interface: 'wan1', line: 'inet1' };
    expect(r.observations).toEqual(
      expect.arrayContaining([
        { metric: 'interface_up', value: 1, labels },
        { metric: 'speed_bytes_per_second', value: 1.25e9, labels },
        { metric: 'errors_total', value: 0, labels: { ...labels, direction: 'receive' } },
        { metric: 'interface_up', value: 1, labels: { interface: 'wan2', line: 'tslcd' } },
      ]),
    );
    expect(r.observations?.filter((o) => o.metric.endsWith('_bytes_per_second') && o.metric !== 'speed_bytes_per_second')).toEqual([]);
    await check.close();
  });

  it('a WAN set down on the router is down naming it and its line, and recovers when set up', async () => {
    const check = routerCheck();
    expect(await check.run()).toMatchObject({ up: true });
    ip('-n', router.ns, 'link', 'set', 'wan1', 'down');
    try {
      const down = await runUntil(check, (r) => !r.up);
      expect(down).toMatchObject({
        up: false,
        reason: 'link_down',
        message: 'wan1 (line inet1) is down, disabled on the device (ifAdminStatus down)',
      });
      expect(value(down, 'interface_up', 'wan1')).toBe(0);
      expect(value(down, 'interface_up', 'wan2')).toBe(1);
    } finally {
      ip('-n', router.ns, 'link', 'set', 'wan1', 'up');
    }
    const back = await runUntil(check, (r) => r.up);
    expect(back).toMatchObject({ up: true, reason: 'ok' });
    expect(value(back, 'interface_up', 'wan1')).toBe(1);
    await check.close();
  }, 30_000);

  it("a WAN whose far end is gone (the carrier's side) is down while enabled on the router", async () => {
    const check = routerCheck();
    ip('-n', isp.ns, 'link', 'set', 'isp2', 'down');
    try {
      const down = await runUntil(check, (r) => !r.up);
      expect(down).toMatchObject({ up: false, reason: 'link_down' });
      expect(down.message).toMatch(/^wan2 \(line tslcd\) is (down|lowerLayerDown)$/);
    } finally {
      ip('-n', isp.ns, 'link', 'set', 'isp2', 'up');
    }
    expect(await runUntil(check, (r) => r.up)).toMatchObject({ up: true });
    await check.close();
  }, 30_000);

  it('traffic over a WAN shows as its receive and transmit rate at the next run', async () => {
    const check = routerCheck();
    await check.run();
    const from = Date.now();
    // 200 echoes of 1200 bytes from the ISP side to wan1: each way 200 × (1200 + 8 ICMP + 20 IP + 14 Ethernet) octets.
    execFileSync('ip', ['netns', 'exec', isp.ns, 'ping', '-q', '-c', '200', '-i', '0.005', '-s', '1200', '192.0.2.1'], { stdio: 'ignore' });
    await sleep(SNMPD_CACHE_MS);
    const r = await check.run();
    const seconds = (Date.now() - from) / 1000;
    const bytes = 200 * (1200 + 8 + 20 + 14);
    const rx = value(r, 'receive_bytes_per_second', 'wan1')!;
    const tx = value(r, 'transmit_bytes_per_second', 'wan1')!;
    console.log(`wan1: ${Math.round(rx)} B/s in, ${Math.round(tx)} B/s out over ~${seconds.toFixed(1)} s (expected ~${Math.round(bytes / seconds)})`);
    // The rate is over the time between the two runs (measured by the probe, within the test's own span).
    for (const rate of [rx, tx]) {
      expect(rate * seconds).toBeGreaterThan(bytes * 0.95);
      expect(rate * seconds).toBeLessThan(bytes * 1.3);
    }
    // wan2 carried nothing but the odd neighbour discovery packet.
    expect(value(r, 'receive_bytes_per_second', 'wan2')).toBeLessThan(rx / 20);
    await check.close();
  }, 30_000);

  it('an interface the router does not have is a config failure listing the names it has', async () => {
    const check = routerCheck({ interfaces: [{ name: 'ether9', line: 'inet1' }, ...WANS] });
    const r = await check.run();
    expect(r).toMatchObject({ up: false, reason: 'config', message: `interface "ether9" not found (the device has: lo, ${router.peerIf}, wan1, wan2)` });
    // What was found is still reported.
    expect(value(r, 'interface_up', 'wan2')).toBe(1);
    await check.close();
  });

  it('an interface read by its ifIndex, and names matched ignoring case', async () => {
    const check = routerCheck({ interfaces: [{ name: 'WAN2' }, { name: 'uplink', index: 3 }] });
    const r = await check.run();
    expect(r).toMatchObject({ up: true, message: 'WAN2 up 10 Gb/s, uplink up 10 Gb/s' });
    await check.close();
  });

  it('reads the same over SNMPv3 authPriv (SHA/AES); a wrong password is auth and never shown', async () => {
    const v3 = { version: '3', user: USER.name, auth_password: USER.authPassword, priv_password: USER.privPassword };
    const check = routerCheck(v3);
    expect(await check.run()).toMatchObject({ up: true });
    const wrong = routerCheck({ ...v3, auth_password: 'wrong-password-1' });
    const r = await wrong.run();
    expect(r).toMatchObject({ up: false, reason: 'auth' });
    expect(JSON.stringify(r)).not.toMatch(/wrong-password-1|cw-router-priv-1/);
    await check.close();
    await wrong.close();
  });

  it("exposes the series with the interface's line as the line label, in valid exposition format", async () => {
    const check = { id: 'router', kind: 'router', impact: 'blocking', labels: {} };
    const metrics = new AgentMetrics([check], { router: routerProbe });
    const runs = routerCheck();
    metrics.record(check, await runs.run(), 0.01);
    await sleep(1100);
    metrics.record(check, await runs.run(), 0.01);
    const text = await metrics.registry.metrics();
    const base = 'check="router",kind="router"';
    expect(text).toContain(`centerwatch_router_interface_up{${base},line="inet1",interface="wan1"} 1`);
    expect(text).toContain(`centerwatch_router_interface_up{${base},line="tslcd",interface="wan2"} 1`);
    expect(text).toContain(`centerwatch_router_interface_speed_bytes_per_second{${base},line="inet1",interface="wan1"} 1250000000`);
    expect(text).toMatch(new RegExp(`centerwatch_router_interface_receive_bytes_per_second\\{${base},line="inet1",interface="wan1"\\} [0-9.e+]+`));
    expect(text).toContain(`centerwatch_router_interface_errors_total{${base},line="tslcd",interface="wan2",direction="transmit"} 0`);
    expect(text).toContain(`centerwatch_probe_success{${base},line=""} 1`);
    if (requireService(commandExists('promtool'), 'promtool not installed (Debian package prometheus)')) {
      expect(() => execFileSync('promtool', ['check', 'metrics'], { input: text, stdio: ['pipe', 'pipe', 'pipe'] })).not.toThrow();
    }
    await runs.close();
  });

  it('leaves no socket open after runs', async () => {
    const check = routerCheck();
    const before = openSockets();
    for (let i = 0; i < 5; i++) await check.run();
    await sleep(50);
    expect(openSockets()).toBeLessThanOrEqual(before);
    await check.close();
  });
});

describe('router probe failures', () => {
  let silent: UdpSocket;
  beforeAll(async () => {
    // Receives every request and never answers, like a router whose SNMP is off behind its firewall.
    silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
  });
  afterAll(() => silent.close());

  it('a silent UDP port times out within the deadline + 1 s', async () => {
    const opts = routerProbe.options.parse({ interfaces: WANS });
    const [r, ms] = await timed(routerProbe.run(`127.0.0.1:${silent.address().port}`, opts, makeCtx({ timeoutMs: 1000 })));
    expect(r).toMatchObject({ up: false, reason: 'timeout' });
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(2000);
  });

  it('a deadline that passes while net-snmp loads is a timeout, not a hang', async () => {
    const slow = createRouterProbe(() => sleep(1500).then(() => import('net-snmp').then((m) => m.default)));
    const [r, ms] = await timed(slow.run('127.0.0.1:9', slow.options.parse({ interfaces: WANS }), makeCtx({ timeoutMs: 300 })));
    expect(r).toMatchObject({ up: false, reason: 'timeout' });
    expect(ms).toBeLessThan(1000);
  });

  it('a malformed target is a config failure', async () => {
    const opts = routerProbe.options.parse({ interfaces: WANS });
    expect(await routerProbe.run('router 1', opts, makeCtx())).toMatchObject({ up: false, reason: 'config' });
  });
});
