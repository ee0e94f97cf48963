import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { icmpProbe } from '../../agent/probes/icmp.js';
import type { Observation, ProbeResult } from '../../agent/probes/types.js';
import { makeCtx, requireService } from '../helpers/ctx.js';
import { commandExists } from '../helpers/servers.js';
import { canCreateNetns, canUseNft, NetnsLab, type Peer } from '../helpers/netns.js';

const opts = (o: Record<string, unknown> = {}) => icmpProbe.options.parse(o);
const values = (r: ProbeResult, metric: string): number[] => (r.observations ?? []).filter((o: Observation) => o.metric === metric).map((o) => o.value);
const one = (r: ProbeResult, metric: string): number | undefined => values(r, metric)[0];

/** Pids of this process's children running `ping` (ours: spawned by the probe), from /proc; zombies included. */
function pingChildren(): number[] {
  const pids = readdirSync('/proc/self/task').flatMap((t) => readFileSync(`/proc/self/task/${t}/children`, 'utf8').split(' ').filter(Boolean));
  return pids.map(Number).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'ping';
    } catch {
      return false;
    }
  });
}

/** Inodes of this process's raw and ping (datagram) ICMP sockets, from /proc. */
function icmpSockets(): string[] {
  const inodes = new Set(
    ['raw', 'raw6', 'icmp', 'icmp6'].flatMap((f) => {
      try {
        return readFileSync(`/proc/self/net/${f}`, 'utf8')
          .split('\n')
          .slice(1)
          .flatMap((l) => (l.trim() ? [l.trim().split(/\s+/)[9]!] : []));
      } catch {
        return [];
      }
    }),
  );
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      return m && inodes.has(m[1]!) ? [m[1]!] : [];
    } catch {
      return [];
    }
  });
}

const hasPing = requireService(commandExists('ping'), 'needs iputils ping');

/**
 * Both ways the probe pings on Linux: its own ICMP socket (this process runs as root, as the .deb's
 * service has CAP_NET_RAW) and the system ping (where it may have no socket; forced here).
 */
const BACKENDS = [
  { backend: 'socket', env: undefined },
  { backend: 'ping', env: 'ping' },
] as const;

/** Sets CENTERWATCH_ICMP for the enclosing describe (the socket: unset) and restores it after. */
function useBackend(env: string | undefined): void {
  const saved = process.env.CENTERWATCH_ICMP;
  beforeAll(() => {
    if (env) process.env.CENTERWATCH_ICMP = env;
    else delete process.env.CENTERWATCH_ICMP;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.CENTERWATCH_ICMP;
    else process.env.CENTERWATCH_ICMP = saved;
  });
}

describe.runIf(hasPing).each(BACKENDS)('icmp to 127.0.0.1 through $backend', ({ backend, env }) => {
  useBackend(env);

  it('burst: up, no loss, one RTT observation per reply', async () => {
    const r = await icmpProbe.run('127.0.0.1', opts({ count: 5 }), makeCtx({ timeoutMs: 5000 }));
    expect(r).toMatchObject({ up: true, reason: 'ok' });
    expect(one(r, 'loss_ratio')).toBe(0);
    expect(one(r, 'packets_sent')).toBe(5);
    expect(one(r, 'packets_received')).toBe(5);
    expect(values(r, 'rtt')).toHaveLength(5);
    expect(one(r, 'rtt_seconds')).toBeGreaterThan(0);
    expect(one(r, 'jitter_seconds')).toBeGreaterThanOrEqual(0);
  });

  it('continuous: a long-lived ping read between runs, closed with the session', async () => {
    const line = { name: 'lo', source: '127.0.0.1' };
    const sessions = new Map();
    const first = await icmpProbe.run('127.0.0.1', opts({ packet_interval: 0.1 }), makeCtx({ timeoutMs: 1000, line, sessions }));
    expect(first).toMatchObject({ up: true, reason: 'ok' });
    const [pid] = pingChildren();
    if (backend === 'ping') expect(pid).toBeGreaterThan(0);
    else {
      // No process at all: one ICMP socket of the agent's own.
      expect(pid).toBeUndefined();
      expect(icmpSockets()).toHaveLength(1);
    }
    await new Promise((r) => setTimeout(r, 1000));
    const ctx = makeCtx({ timeoutMs: 1000, line, sessions });
    const second = await icmpProbe.run('127.0.0.1', opts({ packet_interval: 0.1 }), ctx);
    expect(second).toMatchObject({ up: true, reason: 'ok' });
    expect(one(second, 'loss_ratio')).toBe(0);
    expect(one(second, 'rtt_seconds')).toBeGreaterThan(0);
    expect(one(second, 'jitter_seconds')).toBeGreaterThanOrEqual(0);
    // About ten packets a second; the histogram gets each reply since the previous run once.
    expect(values(second, 'rtt').length).toBeGreaterThanOrEqual(7);
    expect(one(second, 'packets_received')).toBe(values(second, 'rtt').length);

    if (backend === 'ping') {
      // A ping that dies is restarted (after 1 s) and the line stays up meanwhile.
      process.kill(pid!, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 1500));
      const third = await icmpProbe.run('127.0.0.1', opts({ packet_interval: 0.1 }), makeCtx({ timeoutMs: 1000, line, sessions }));
      expect(third).toMatchObject({ up: true, reason: 'ok' });
      expect(pingChildren()).toHaveLength(1);
      expect(pingChildren()).not.toContain(pid);
      expect(one(third, 'packets_received')).toBeGreaterThan(0);
    } else {
      // A second line check sending the same way shares the socket; a burst with no line has its own.
      const otherCtx = makeCtx({ timeoutMs: 1000, line, sessions: new Map() });
      const other = await icmpProbe.run('127.0.0.2', opts({ packet_interval: 0.1, mode: 'continuous' }), otherCtx);
      expect(other).toMatchObject({ up: true, reason: 'ok' });
      expect(icmpSockets()).toHaveLength(1);
      await otherCtx.closeSessions();
      expect(icmpSockets()).toHaveLength(1);
    }

    await ctx.closeSessions();
    expect(pingChildren()).toEqual([]);
    if (backend === 'socket') expect(icmpSockets()).toEqual([]);
  });

  it('fails a line whose interface does not exist as unreachable, without waiting', async () => {
    const line = { name: 'gone', interface: 'cwnosuchdev0' };
    const burst = await icmpProbe.run('127.0.0.1', opts({ mode: 'burst' }), makeCtx({ timeoutMs: 2000, line }));
    expect(burst).toMatchObject({ up: false, reason: 'unreachable' });
    expect(burst.message).toMatch(/No such device/);
    const ctx = makeCtx({ timeoutMs: 2000, line });
    const start = Date.now();
    const cont = await icmpProbe.run('127.0.0.1', opts(), ctx);
    expect(Date.now() - start).toBeLessThan(1000);
    await ctx.closeSessions();
    expect(cont).toMatchObject({ up: false, reason: 'unreachable' });
  });

  it.runIf(networkInterfaces().lo?.some((a) => a.family === 'IPv6'))('burst to ::1', async () => {
    const r = await icmpProbe.run('::1', opts({ count: 2 }), makeCtx({ timeoutMs: 3000 }));
    expect(r).toMatchObject({ up: true, reason: 'ok' });
    expect(values(r, 'rtt')).toHaveLength(2);
  });

  it('kills the burst at the deadline and leaves no process or socket', async () => {
    const start = Date.now();
    const r = await icmpProbe.run('127.0.0.1', opts({ count: 100, packet_interval: 0.1 }), makeCtx({ timeoutMs: 500 }));
    expect(Date.now() - start).toBeLessThan(700);
    // Replies came before the deadline: up, from the packets that were answered.
    expect(r.up).toBe(true);
    expect(one(r, 'packets_received')).toBeGreaterThanOrEqual(3);
    await new Promise((res) => setTimeout(res, 300));
    expect(pingChildren()).toEqual([]);
    expect(icmpSockets()).toEqual([]);
  });
});

describe('ping binary problems', () => {
  const saved = process.env.CENTERWATCH_PING;
  const dir = mkdtempSync(join(tmpdir(), 'cw-icmp-'));
  afterEach(() => {
    if (saved === undefined) delete process.env.CENTERWATCH_PING;
    else process.env.CENTERWATCH_PING = saved;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports a missing binary in burst and continuous mode, telling what to install', async () => {
    process.env.CENTERWATCH_PING = join(dir, 'no-such-ping');
    const burst = await icmpProbe.run('127.0.0.1', opts(), makeCtx({ timeoutMs: 2000 }));
    expect(burst).toMatchObject({ up: false, reason: 'missing_binary' });
    expect(burst.message).toMatch(/install iputils-ping/);
    const ctx = makeCtx({ timeoutMs: 2000, line: { name: 'lo', source: '127.0.0.1' } });
    const start = Date.now();
    const cont = await icmpProbe.run('127.0.0.1', opts(), ctx);
    await ctx.closeSessions();
    expect(cont).toMatchObject({ up: false, reason: 'missing_binary' });
    expect(Date.now() - start).toBeLessThan(1000);
  });

  it('reports a binary it may not run as not_permitted', async () => {
    const file = join(dir, 'ping');
    writeFileSync(file, '#!/bin/sh\n');
    chmodSync(file, 0o644);
    process.env.CENTERWATCH_PING = file;
    const r = await icmpProbe.run('127.0.0.1', opts(), makeCtx({ timeoutMs: 2000 }));
    expect(r).toMatchObject({ up: false, reason: 'not_permitted' });
  });
});

describe('icmp options', () => {
  it('rejects unknown keys and a down_after not longer than the packet interval', () => {
    expect(icmpProbe.options.safeParse({ packets: 3 }).success).toBe(false);
    expect(icmpProbe.options.safeParse({ packet_interval: 2, down_after: 2 }).success).toBe(false);
    expect(icmpProbe.options.safeParse({ mode: 'burst', packet_interval: 2, down_after: 2 }).success).toBe(true);
    expect(opts()).toEqual({ count: 5, window: 30, down_after: 3, ipv6: false });
  });
});

describe.each(BACKENDS)('icmp to a silent host through $backend', ({ env }) => {
  const available = requireService(canCreateNetns && canUseNft && hasPing, 'needs root, ip netns and nft');
  useBackend(env);
  let lab: NetnsLab | undefined;
  let peer: Peer;

  beforeAll(() => {
    if (!available) return;
    lab = new NetnsLab();
    peer = lab.addPeer();
    lab.nft(peer, 'table inet cwsilent {\n chain input {\n  type filter hook input priority 0; policy accept;\n  icmp type echo-request drop\n }\n}\n');
  });
  afterAll(async () => {
    await lab?.cleanup();
  });

  it.runIf(available)('a burst with every packet lost fails by timeout + 1 s', async () => {
    const timeoutMs = 3000;
    const start = Date.now();
    const r = await icmpProbe.run(peer.peerAddr, opts({ mode: 'burst' }), makeCtx({ timeoutMs, line: { name: 'x', interface: peer.hostIf } }));
    expect(Date.now() - start).toBeLessThan(timeoutMs + 1000);
    expect(r).toMatchObject({ up: false, reason: 'timeout' });
    expect(one(r, 'loss_ratio')).toBe(1);
    expect(one(r, 'packets_sent')).toBe(5);
    expect(values(r, 'rtt')).toHaveLength(0);
  });
});
