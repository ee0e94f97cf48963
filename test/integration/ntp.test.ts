import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { ntpProbe } from '../../agent/probes/ntp.js';
import type { ProbeResult } from '../../agent/probes/types.js';
import { makeCtx, requireService } from '../helpers/ctx.js';
import { openSockets, timed } from '../helpers/sockets.js';
import { writeTimestamp } from '../../agent/probes/sntp.js';
import { CHRONYD, freeUdpPort, silentUdp, startChronyd } from '../helpers/chronyd.js';

const enabled = requireService(existsSync(CHRONYD), 'chronyd (Debian chrony) is not installed');

function run(target: string, options: Record<string, unknown> = {}, timeoutMs = 2000): Promise<ProbeResult> {
  return ntpProbe.run(target, ntpProbe.options.parse(options), makeCtx({ timeoutMs }));
}

function obs(r: ProbeResult, metric: string): number | undefined {
  return r.observations?.find((o) => o.metric === metric)?.value;
}

describe.runIf(enabled)('ntp probe against chronyd', () => {
  let synced: { port: number; stop(): Promise<void> } | undefined;
  let unsynced: { port: number; stop(): Promise<void> } | undefined;
  let port = 0;
  beforeAll(async () => {
    [synced, unsynced] = await Promise.all([startChronyd(true), startChronyd(false)]);
    port = synced.port;
  }, 20000);
  afterAll(async () => {
    await Promise.all([synced?.stop(), unsynced?.stop()]);
  });

  it('measures a small offset and delay against a server on the same clock', async () => {
    const r = await run(`127.0.0.1:${port}`);
    expect(r).toMatchObject({ up: true, reason: 'ok' });
    expect(Math.abs(obs(r, 'clockOffsetSeconds')!)).toBeLessThan(0.5);
    const delay = obs(r, 'ntpRoundTripSeconds')!;
    expect(delay).toBeGreaterThanOrEqual(0);
    expect(delay).toBeLessThan(0.5);
    expect(r.message).toMatch(/stratum (8|9)/);
  });

  it('a tiny max_offset degrades the check with clock_offset, down_offset makes it down', async () => {
    // A measured offset is never exactly zero (T1 has millisecond resolution), so 1 ns is always exceeded.
    const degraded = await run(`127.0.0.1:${port}`, { max_offset: 1e-9 });
    expect(degraded).toMatchObject({ up: true, degraded: true, reason: 'clock_offset' });
    const down = await run(`127.0.0.1:${port}`, { max_offset: 1e-9, down_offset: 1e-9 });
    expect(down).toMatchObject({ up: false, reason: 'clock_offset' });
    expect(down.observations?.length).toBe(2);
  });

  it('an unsynchronised server (stratum 0, leap indicator 3): down protocol', async () => {
    const r = await run(`127.0.0.1:${unsynced!.port}`);
    expect(r).toMatchObject({ up: false, reason: 'protocol' });
    expect(r.message).toMatch(/unsynchronised/);
  });

  it('binds to the line source address and closes its socket', async () => {
    const before = openSockets();
    const r = await ntpProbe.run(`127.0.0.1:${port}`, ntpProbe.options.parse({}), makeCtx({ timeoutMs: 2000, line: { name: 'lo', source: '127.0.0.1' } }));
    expect(r).toMatchObject({ up: true, reason: 'ok' });
    expect(openSockets()).toBe(before);
  });
});

describe('ntp probe failures', () => {
  let silent: Socket;
  beforeAll(async () => {
    silent = await silentUdp();
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => silent.close(resolve));
  });

  it('a silent server: timeout within the deadline + 1 s', async () => {
    const [r, ms] = await timed(run(`127.0.0.1:${silent.address().port}`, {}, 1000));
    expect(r).toMatchObject({ up: false, reason: 'timeout' });
    expect(ms).toBeLessThan(2000);
  });

  it('nothing on the port: refused (ICMP port unreachable)', async () => {
    const r = await run(`127.0.0.1:${await freeUdpPort()}`);
    expect(r).toMatchObject({ up: false, reason: 'refused' });
  });

  it('a line whose interface has no address: unreachable, nothing sent', async () => {
    const r = await ntpProbe.run('127.0.0.1:123', ntpProbe.options.parse({}), makeCtx({ timeoutMs: 1000, line: { name: 'x', interface: 'cwnosuch0' } }));
    expect(r).toMatchObject({ up: false, reason: 'unreachable' });
  });

  it('a malformed target: config; down_offset below max_offset is rejected', async () => {
    expect(await run('127.0.0.1:0')).toMatchObject({ up: false, reason: 'config' });
    expect(ntpProbe.options.safeParse({ max_offset: 2, down_offset: 1 }).success).toBe(false);
  });
});

/** A loopback SNTP server whose clock reads `now() + shiftMs`: answers every request, stratum 2. */
async function shiftedServer(shiftMs: number): Promise<Socket> {
  const s = createSocket('udp4');
  s.on('message', (req, from) => {
    const reply = Buffer.alloc(48);
    reply[0] = (4 << 3) | 4;
    reply[1] = 2;
    req.copy(reply, 24, 40, 48);
    writeTimestamp(reply, 32, Date.now() + shiftMs);
    writeTimestamp(reply, 40, Date.now() + shiftMs);
    s.send(reply, from.port, from.address);
  });
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  return s;
}

describe('ntp probe across the 2036 era rollover', () => {
  it('a server whose clock reads 2040 (NTP era 1): the offset is the years ahead, not -122 years', async () => {
    const shiftMs = Date.UTC(2040, 5, 1) - Date.now();
    const server = await shiftedServer(shiftMs);
    try {
      const r = await run(`127.0.0.1:${server.address().port}`);
      expect(r).toMatchObject({ up: true, degraded: true, reason: 'clock_offset' });
      expect(obs(r, 'clockOffsetSeconds')).toBeCloseTo(shiftMs / 1000, 0);
    } finally {
      await new Promise<void>((resolve) => server.close(resolve));
    }
  });
});
