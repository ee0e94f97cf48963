import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { upsProbe } from '../../agent/probes/ups.js';
import type { ProbeResult } from '../../agent/probes/types.js';
import { makeCtx, requireService } from '../helpers/ctx.js';
import { nutAvailable, startNut, waitFor, type NutServer } from '../helpers/nut.js';
import { closedPort, openSockets, timed } from '../helpers/sockets.js';

const enabled = requireService(nutAvailable, 'upsd and dummy-ups (Debian nut-server) are not installed');

function run(target: string, options: Record<string, unknown> = {}, timeoutMs = 3000): Promise<ProbeResult> {
  return upsProbe.run(target, upsProbe.options.parse(options), makeCtx({ timeoutMs }));
}

function obs(r: ProbeResult, metric: string): number | undefined {
  return r.observations?.find((o) => o.metric === metric)?.value;
}

describe.runIf(enabled)('ups probe against upsd + dummy-ups', () => {
  let nut: NutServer;
  let target = '';
  beforeAll(async () => {
    nut = await startNut({ 'ups.status': 'OL CHRG', 'battery.charge': 95, 'battery.runtime': 1800, 'ups.load': 30 });
    target = `127.0.0.1:${nut.port}`;
    // upsd answers DATA-STALE until the driver's first update reaches it.
    await waitFor(async () => (await run(target, { ups: nut.ups })).up, 10000);
  }, 20000);
  afterAll(async () => {
    await nut?.stop();
  });

  /** Rewrites the driver's file and waits until upsd serves the new status. */
  async function switchTo(vars: Record<string, string | number>): Promise<ProbeResult> {
    await nut.setVars(vars);
    let last: ProbeResult | undefined;
    await waitFor(async () => {
      last = await run(target, { ups: nut.ups });
      return (last.message ?? '').includes(`status ${vars['ups.status']},`);
    }, 10000);
    return last!;
  }

  it('on line: up, with charge, runtime and load read back', async () => {
    const r = await switchTo({ 'ups.status': 'OL', 'battery.charge': 95, 'battery.runtime': 1800, 'ups.load': 30 });
    expect(r).toMatchObject({ up: true, reason: 'ok' });
    expect(r.degraded).toBeUndefined();
    expect(obs(r, 'upsBatteryChargeRatio')).toBeCloseTo(0.95);
    expect(obs(r, 'upsRuntimeSeconds')).toBe(1800);
    expect(obs(r, 'upsLoadRatio')).toBeCloseTo(0.3);
    expect(obs(r, 'upsOnBattery')).toBe(0);
    expect(r.phases?.connect).toBeGreaterThan(0);
  }, 15000);

  it('on battery: degraded on_battery', async () => {
    const r = await switchTo({ 'ups.status': 'OB DISCHRG', 'battery.charge': 80, 'battery.runtime': 1200, 'ups.load': 30 });
    expect(r).toMatchObject({ up: true, degraded: true, reason: 'on_battery' });
    expect(obs(r, 'upsOnBattery')).toBe(1);
    expect(obs(r, 'upsRuntimeSeconds')).toBe(1200);
  }, 15000);

  it('low battery: down low_battery', async () => {
    const r = await switchTo({ 'ups.status': 'OB LB', 'battery.charge': 10, 'battery.runtime': 900, 'ups.load': 30 });
    expect(r).toMatchObject({ up: false, reason: 'low_battery' });
    expect(obs(r, 'upsBatteryChargeRatio')).toBeCloseTo(0.1);
  }, 15000);

  it('on battery with runtime under min_runtime: down low_battery', async () => {
    await switchTo({ 'ups.status': 'OB', 'battery.charge': 40, 'battery.runtime': 240, 'ups.load': 30 });
    const r = await run(target, { ups: nut.ups });
    expect(r).toMatchObject({ up: false, reason: 'low_battery' });
    const lenient = await run(target, { ups: nut.ups, min_runtime: 60 });
    expect(lenient).toMatchObject({ up: true, degraded: true, reason: 'on_battery' });
  }, 15000);

  it('logs in with user and password, which never reach the message', async () => {
    const r = await run(target, { ups: nut.ups, user: nut.user, password: nut.password });
    expect(r.reason).not.toBe('auth');
    expect(r.phases?.auth).toBeGreaterThan(0);
    expect(r.message ?? '').not.toContain(nut.password);
  });

  it('an unknown UPS name: missing', async () => {
    const r = await run(target, { ups: 'nosuchups' });
    expect(r).toMatchObject({ up: false, reason: 'missing' });
  });

  it('leaves no socket open after a run', async () => {
    const before = openSockets();
    const r = await upsProbe.run(target, upsProbe.options.parse({ ups: nut.ups }), makeCtx({ timeoutMs: 2000, line: { name: 'lo', source: '127.0.0.1' } }));
    expect(r.observations?.length).toBeGreaterThan(0);
    expect(openSockets()).toBe(before);
  });

  // Last: it stops the driver.
  it('a driver that stopped: offline', async () => {
    await nut.stopDriver();
    let last: ProbeResult | undefined;
    await waitFor(async () => {
      last = await run(target, { ups: nut.ups });
      return last.reason === 'offline';
    }, 10000);
    expect(last).toMatchObject({ up: false, reason: 'offline' });
    expect(last!.message).toMatch(/DRIVER-NOT-CONNECTED|DATA-STALE/);
  }, 15000);
});

describe('ups probe failures', () => {
  let silent: Server;
  const held: Socket[] = [];
  let silentPort = 0;
  beforeAll(async () => {
    // Accepts and never answers: a hung upsd.
    silent = createServer((s) => {
      s.on('error', () => {});
      held.push(s);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const s of held) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('a silent upsd: timeout within the deadline + 1 s', async () => {
    const [r, ms] = await timed(run(`127.0.0.1:${silentPort}`, {}, 1000));
    expect(r).toMatchObject({ up: false, reason: 'timeout' });
    expect(ms).toBeLessThan(2000);
  });

  it('an upsd that streams lines forever: protocol, soon, having read a bounded amount', async () => {
    let sent = 0;
    // Answers LIST VAR with BEGIN and then the same variable over and over, as fast as the probe reads.
    const flood = createServer((s) => {
      s.on('error', () => {});
      s.once('data', () => {
        const block = Buffer.from('VAR ups ups.status "OL"\n'.repeat(2048));
        const pump = (): void => {
          while (!s.destroyed && s.write(block)) sent += block.length;
          if (!s.destroyed) s.once('drain', pump);
        };
        s.write('BEGIN LIST VAR ups\n');
        pump();
      });
    });
    await new Promise<void>((resolve) => flood.listen(0, '127.0.0.1', resolve));
    try {
      const [r, ms] = await timed(run(`127.0.0.1:${(flood.address() as AddressInfo).port}`, {}, 3000));
      console.log('ups flood', JSON.stringify({ ms: Math.round(ms), sentMiB: Number((sent / 2 ** 20).toFixed(2)) }));
      expect(r).toMatchObject({ up: false, reason: 'protocol', message: 'upsd sent more than 1004 lines' });
      expect(ms).toBeLessThan(1000);
      // What the probe read before giving up, plus what the kernel buffers held.
      expect(sent).toBeLessThan(8 * 2 ** 20);
    } finally {
      await new Promise((resolve) => flood.close(resolve));
    }
  });

  it('nothing listening: refused', async () => {
    const r = await run(`127.0.0.1:${await closedPort()}`);
    expect(r).toMatchObject({ up: false, reason: 'refused' });
  });

  it('a target that is not host[:port]: config', async () => {
    const r = await run('127.0.0.1:99999');
    expect(r).toMatchObject({ up: false, reason: 'config' });
  });

  it('rejects a user without a password and a malformed UPS name', () => {
    expect(upsProbe.options.safeParse({ user: 'mon' }).success).toBe(false);
    expect(upsProbe.options.safeParse({ ups: 'a b' }).success).toBe(false);
  });
});
