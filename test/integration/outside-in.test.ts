/**
 * Outside-in checks through a real server in this process: the inventory lists each center's public
 * addresses per line, the server probes them (the agent's icmp and tcp probes) and says so on /metrics
 * and to the engine. Traffic goes only to 127.0.0.0/8 and to addresses inside namespaces this test
 * creates (checked with `ip route get` before any is sent).
 *
 * Without root: loopback addresses, which answer. With root: a fiber line whose far end is a namespace,
 * cut and restored (silent, then answering again), and a line that drops ICMP but accepts TCP.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InventoryCenter } from '../../server/fleet/types.js';
import { openSqliteStore } from '../../server/store/store.js';
import { requireService } from '../helpers/ctx.js';
import { canCreateNetns, canUseNft, NetnsLab, type Peer } from '../helpers/netns.js';
import { commandExists } from '../helpers/servers.js';
import { auth, body, metricValue, post, series, startTestServer, TOKEN_A, type TestServer } from './server-harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TCP_PORT = 18_443;

async function until<T>(what: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) {
    const v = await what();
    if (v !== undefined) return v;
  }
  throw new Error(`timed out: ${what.toString().slice(0, 200)}`);
}

function center(code: string, lines: InventoryCenter['lines']): Omit<InventoryCenter, 'updatedAtMs'> {
  return { code, province: 'p1', name: code, type: 'xã', address: '', counters: 1, lines, devices: [], vars: {} };
}

/** A server whose inventory holds `centers`, probing every second. */
async function serverWith(centers: Array<Omit<InventoryCenter, 'updatedAtMs'>>): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-outside-in-'));
  const store = openSqliteStore(join(dir, 'engine.sqlite'));
  store.fleet.upsertCenters(centers, Date.now());
  store.close();
  return startTestServer(
    {
      outside_in: { interval: '1s', timeout: '800ms', icmp_count: 2, tcp_ports: [TCP_PORT] },
      engine: { rules: [{ kind: 'outside_in', for: '0s', recover_for: '0s' }], calendar: { hold_outside_hours: false } },
    },
    dir,
  );
}

const up = async (ts: TestServer, c: string, line: string): Promise<number | undefined> =>
  metricValue(await (await fetch(`${ts.url}/metrics`)).text(), 'centerwatch_outside_in_up', `province="p1",center="${c}",line="${line}"`);

/** Ping processes this process started and has not reaped. */
function pingChildren(): string[] {
  try {
    return execFileSync('ps', ['--ppid', String(process.pid), '-o', 'comm='], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.trim() === 'ping');
  } catch {
    return [];
  }
}

describe('outside-in checks on loopback addresses', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await serverWith([
      center('center-a', [
        { name: 'fiber', kind: 'fiber', isp: 'VNPT', public: ['127.0.0.21', '27.64.0.0/12'] },
        { name: '4g', kind: '4g', isp: 'Viettel', public: ['::ffff:127.0.0.22/128'] },
        { name: 'tslcd', kind: 'leased', isp: 'VNPT' },
      ]),
    ]);
  });
  afterAll(() => ts?.close());

  it('probes each line’s single public address, says up with a round trip per center and line (never the address), and hands the engine one result per line', async () => {
    await until(async () => ((await up(ts, 'center-a', 'fiber')) === 1 && (await up(ts, 'center-a', '4g')) === 1 ? true : undefined));
    const metrics = await (await fetch(`${ts.url}/metrics`)).text();
    const rtt = metricValue(metrics, 'centerwatch_outside_in_rtt_seconds', 'province="p1",center="center-a",line="fiber"')!;
    expect(rtt).toBeGreaterThan(0);
    expect(rtt).toBeLessThan(0.1);
    expect(metricValue(metrics, 'centerwatch_outside_in_addresses')).toBe(2);
    expect(metrics).not.toContain('line="tslcd"');
    expect(metrics).not.toMatch(/127\.0\.0\.2[12]/);
    expect(ts.logs.join('\n')).not.toMatch(/127\.0\.0\.2[12]/);
    expect(ts.server.outsideIn!.checks()).toEqual([
      expect.objectContaining({
        center: 'center-a',
        agent: '',
        check: 'outside-in:fiber',
        kind: 'outside_in',
        impact: 'info',
        up: true,
        lineDescription: 'Cáp quang VNPT',
      }),
      expect.objectContaining({
        center: 'center-a',
        agent: '',
        check: 'outside-in:4g',
        kind: 'outside_in',
        impact: 'info',
        up: true,
        lineDescription: '4G Viettel',
      }),
    ]);
    // Each address about once a second.
    const probes = metricValue(metrics, 'centerwatch_outside_in_probes_total')!;
    await sleep(3000);
    const later = metricValue(await (await fetch(`${ts.url}/metrics`)).text(), 'centerwatch_outside_in_probes_total')!;
    expect(later - probes).toBeGreaterThanOrEqual(4);
    expect(later - probes).toBeLessThanOrEqual(8);
  });

  it('stops cleanly: no timer, no ping left', async () => {
    await ts.close();
    await until(() => (pingChildren().length === 0 ? true : undefined), 3000);
    expect(ts.server.outsideIn!.stats().targets).toBe(2);
  });
});

const rooted = requireService(canCreateNetns && canUseNft && commandExists('ping'), 'needs root, ip netns, nft and ping');

describe.runIf(rooted)('outside-in checks of lines whose far end is a network namespace', () => {
  let lab: NetnsLab;
  let ts: TestServer;
  let fiber: Peer;
  let router: Peer;

  beforeAll(async () => {
    lab = new NetnsLab();
    fiber = lab.addPeer();
    router = lab.addPeer();
    // The router answers no echo, but its management port connects.
    lab.nft(router, 'table inet cwnoecho {\n chain input {\n  type filter hook input priority 0; policy accept;\n  icmp type echo-request drop\n }\n}\n');
    await lab.tcpListener(router, TCP_PORT);
    // Every address probed below is inside a namespace of this test, reached through its own link.
    for (const p of [fiber, router]) expect(execFileSync('ip', ['-o', 'route', 'get', p.peerAddr], { encoding: 'utf8' })).toContain(`dev ${p.hostIf} `);
    ts = await serverWith([
      center('center-a', [
        { name: 'fiber', kind: 'fiber', isp: 'VNPT', public: [fiber.peerAddr] },
        { name: 'router', kind: 'other', isp: 'VNPT', public: [router.peerAddr] },
      ]),
    ]);
  });
  afterAll(async () => {
    await ts?.close();
    await lab?.cleanup();
  });

  it('a cut fiber is down from the province, and back up when restored; the engine fires and resolves its alert', async () => {
    // The center's agent is heard (over its other line), as when only the fiber is cut.
    const beat = setInterval(() => void post(ts.url, body([series({ __name__: 'centerwatch_center_info', name: 'A' })]), auth(TOKEN_A)), 500);
    try {
      await until(async () => ((await up(ts, 'center-a', 'fiber')) === 1 && (await up(ts, 'center-a', 'router')) === 1 ? true : undefined));
      lab.cut(fiber);
      await until(async () => ((await up(ts, 'center-a', 'fiber')) === 0 ? true : undefined));
      const down = ts.server.outsideIn!.checks().find((c) => c.check === 'outside-in:fiber')!;
      expect(down.up).toBe(false);
      expect(['timeout', 'unreachable']).toContain(down.reason);
      const alert = await until(() => ts.server.store!.firingAlerts('center-a').find((a) => a.check === 'outside-in:fiber'));
      // Its severity is the engine's to decide (it weighs the outside-in results against the agent's).
      expect(alert).toMatchObject({ center: 'center-a', check: 'outside-in:fiber' });
      lab.restore(fiber);
      await until(async () => ((await up(ts, 'center-a', 'fiber')) === 1 ? true : undefined));
      await until(() => (ts.server.store!.firingAlerts('center-a').some((a) => a.check === 'outside-in:fiber') ? undefined : true));
      // ICMP dropped all along, the TCP port kept the router's line up.
      expect(await up(ts, 'center-a', 'router')).toBe(1);
      expect(ts.server.outsideIn!.checks().find((c) => c.check === 'outside-in:router')!.up).toBe(true);
    } finally {
      clearInterval(beat);
    }
  });
});
