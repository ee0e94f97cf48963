import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { icmpProbe } from '../../agent/probes/icmp.js';
import { tcpProbe } from '../../agent/probes/tcp.js';
import { brokenThresholds } from '../../agent/thresholds.js';
import type { LineBinding, ProbeResult, Session } from '../../agent/probes/types.js';
import { makeCtx, requireService } from '../helpers/ctx.js';
import { commandExists } from '../helpers/servers.js';
import { canCreateNetns, canUseNft, NetnsLab, type Peer } from '../helpers/netns.js';

const available = requireService(canCreateNetns && canUseNft && commandExists('ping'), 'needs root, ip netns, nft and ping');

const opts = (o: Record<string, unknown> = {}) => icmpProbe.options.parse(o);
const sum = (r: ProbeResult, metric: string): number => (r.observations ?? []).filter((o) => o.metric === metric).reduce((a, o) => a + o.value, 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const lineOf = (name: string, p: Peer): LineBinding => ({ name, interface: p.hostIf, source: p.hostAddr });

/** A line check as the scheduler runs it: 1 s interval, 1 s timeout, one session kept between runs. */
function lineCheck(target: string, line: LineBinding, options = opts()) {
  const sessions = new Map<string, Session>();
  const ctx = () => makeCtx({ timeoutMs: 1000, intervalMs: 1000, line, sessions });
  return {
    run: () => icmpProbe.run(target, options, ctx()),
    close: () => ctx().closeSessions(),
  };
}

describe.runIf(available)('lines in network namespaces', () => {
  let lab: NetnsLab;
  const checks: Array<{ close(): Promise<void> }> = [];

  beforeAll(() => {
    lab = new NetnsLab();
  });
  afterAll(async () => {
    for (const c of checks) await c.close();
    await lab?.cleanup();
  });

  it('measures a 20% random drop within the binomial tolerance', async () => {
    const peer = lab.addPeer();
    lab.nft(
      peer,
      'table inet cwloss {\n chain input {\n  type filter hook input priority 0; policy accept;\n  icmp type echo-request numgen random mod 100 < 20 drop\n }\n}\n',
    );
    const p = 0.2;
    // n packets each dropped independently with p: the measured ratio has standard deviation
    // sqrt(p(1-p)/n) (0.018 for n = 500). Allowing 4 of them, a correct probe fails this test
    // about once in 16 000 runs, while a probe off by a few packets in 100 is still caught.
    const tolerance = (n: number) => 4 * Math.sqrt((p * (1 - p)) / n);

    const burst = await icmpProbe.run(
      peer.peerAddr,
      opts({ mode: 'burst', count: 500, packet_interval: 0.005 }),
      makeCtx({ timeoutMs: 10_000, line: lineOf('loss', peer) }),
    );
    const burstLoss = sum(burst, 'loss_ratio');
    console.log(`burst: loss ${burstLoss.toFixed(3)} over ${sum(burst, 'packets_sent')} packets (tolerance ±${tolerance(500).toFixed(3)})`);
    expect(burst.up).toBe(true);
    expect(sum(burst, 'packets_sent')).toBe(500);
    expect(Math.abs(burstLoss - p)).toBeLessThan(tolerance(500));

    const check = lineCheck(peer.peerAddr, lineOf('loss', peer), opts({ packet_interval: 0.005 }));
    checks.push(check);
    const first = await check.run();
    await sleep(2500);
    const second = await check.run();
    const sent = sum(first, 'packets_sent') + sum(second, 'packets_sent');
    const loss = sum(second, 'loss_ratio');
    console.log(`continuous: loss ${loss.toFixed(3)} over ${sent} packets (tolerance ±${tolerance(sent).toFixed(3)})`);
    expect(second.up).toBe(true);
    expect(sent).toBeGreaterThan(300);
    expect(Math.abs(loss - p)).toBeLessThan(tolerance(sent));
    await check.close();
  });

  it('turns a cut line down 3 s after its last reply (down_after), and up again when it is back', async () => {
    const peer = lab.addPeer();
    const check = lineCheck(peer.peerAddr, lineOf('cut', peer));
    checks.push(check);
    const start = Date.now();
    let tick = 0;
    const nextRun = async () => {
      tick++;
      await sleep(start + tick * 1000 - Date.now());
      return check.run();
    };
    expect(await check.run()).toMatchObject({ up: true });
    const detections: number[] = [];
    for (let cycle = 0; cycle < 3; cycle++) {
      expect(await nextRun()).toMatchObject({ up: true, reason: 'ok' });
      // Cut at a random moment between two runs, as a real cable is pulled.
      await sleep(Math.random() * 900);
      lab.cut(peer);
      const cutAt = Date.now();
      let r: ProbeResult;
      do r = await nextRun();
      while (r.up && Date.now() - cutAt < 10_000);
      detections.push(Date.now() - cutAt);
      // Silence ('timeout'); 'unreachable' only if the kernel gave up resolving the neighbour first.
      expect(r.up).toBe(false);
      expect(['timeout', 'unreachable']).toContain(r.reason);
      expect(sum(r, 'loss_ratio')).toBeGreaterThan(0);
      lab.restore(peer);
      // Replies resume within a packet interval; the next run sees them.
      do r = await nextRun();
      while (!r.up && Date.now() - cutAt < 20_000);
      expect(r.up).toBe(true);
    }
    console.log(`cut detected after ${detections.join(', ')} ms`);
    // down_after (3 s) from the last reply, which came at most one packet (0.25 s) before the cut.
    for (const ms of detections) expect(ms).toBeLessThan(3600);
    await check.close();
  });

  it("leaves a cut out of the line's quality once it is back: no loss from the outage, no false degraded", async () => {
    const peer = lab.addPeer();
    const check = lineCheck(peer.peerAddr, lineOf('back', peer));
    checks.push(check);
    const degradedAbove = [{ metric: 'loss_ratio', above: 0.02 }];
    expect(await check.run()).toMatchObject({ up: true });
    await sleep(2000);
    lab.cut(peer);
    const cutAt = Date.now();
    let r: ProbeResult;
    do {
      await sleep(1000);
      r = await check.run();
    } while (r.up && Date.now() - cutAt < 10_000);
    expect(r.up).toBe(false);
    // Down for a few seconds more: ~30 packets lost at 0.25 s.
    await sleep(4000);
    lab.restore(peer);
    do {
      await sleep(1000);
      r = await check.run();
    } while (!r.up && Date.now() - cutAt < 30_000);
    expect(r.up).toBe(true);
    // Every run inside the 30 s window after the return: its figures are those of the line since then.
    const after: ProbeResult[] = [r];
    for (let i = 0; i < 3; i++) {
      await sleep(1000);
      after.push(await check.run());
    }
    const losses = after.map((x) => sum(x, 'loss_ratio'));
    console.log(
      `after the cut: loss ratio per run ${losses.map((l) => l.toFixed(3)).join(', ')} over ${after.map((x) => sum(x, 'packets_sent')).join(', ')} packets sent`,
    );
    for (const x of after) {
      expect(x.up).toBe(true);
      expect(brokenThresholds(degradedAbove, x.observations ?? [])).toEqual([]);
    }
    expect(losses.at(-1)).toBe(0);
    await check.close();
  });

  it('binds checks to their line: cutting one line fails only its icmp and tcp checks', async () => {
    const a = lab.addPeer();
    const b = lab.addPeer();
    // One address behind both lines, routed by source address only, as a center's provincial system.
    const target = lab.shareAddress([a, b]);
    await lab.tcpListener(a, 7070);
    await lab.tcpListener(b, 7070);
    const lines = { a: lineOf('a', a), b: lineOf('b', b) };
    const icmp = { a: lineCheck(target, lines.a), b: lineCheck(target, lines.b) };
    checks.push(icmp.a, icmp.b);
    const tcp = (line?: LineBinding) => tcpProbe.run(`${target}:7070`, tcpProbe.options.parse({}), makeCtx({ timeoutMs: 1000, ...(line ? { line } : {}) }));

    // Without a line the address is unreachable: only the binding selects a route to it.
    expect(await tcp()).toMatchObject({ up: false, reason: 'unreachable' });
    expect(await icmp.a.run()).toMatchObject({ up: true });
    expect(await icmp.b.run()).toMatchObject({ up: true });
    expect(await tcp(lines.a)).toMatchObject({ up: true });
    expect(await tcp(lines.b)).toMatchObject({ up: true });

    lab.cut(a);
    const cutAt = Date.now();
    let ra: ProbeResult;
    let rb: ProbeResult;
    do {
      await sleep(1000);
      [ra, rb] = await Promise.all([icmp.a.run(), icmp.b.run()]);
    } while (ra.up && Date.now() - cutAt < 10_000);
    console.log(`line a down after ${Date.now() - cutAt} ms`);
    // down_after (3 s), read by a run once a second.
    expect(Date.now() - cutAt).toBeLessThan(4500);
    expect(ra.up).toBe(false);
    expect(['timeout', 'unreachable']).toContain(ra.reason);
    expect(rb).toMatchObject({ up: true, reason: 'ok' });
    const [ta, tb] = await Promise.all([tcp(lines.a), tcp(lines.b)]);
    // A SYN into the dead link times out, or fails at once once the neighbour entry has failed.
    expect(ta.up).toBe(false);
    expect(['timeout', 'unreachable']).toContain(ta.reason);
    expect(tb).toMatchObject({ up: true });
  });
});
