import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { hostProbe, makeHostProbe, type HostSources } from '../../agent/probes/host.js';
import type { ProbeResult, Session } from '../../agent/probes/types.js';
import { AgentMetrics } from '../../agent/exposition.js';
import { makeCtx, requireService } from '../helpers/ctx.js';
import { commandExists } from '../helpers/servers.js';
import { canCreateNetns } from '../helpers/netns.js';

const dir = mkdtempSync(join(tmpdir(), 'cw-host-'));
const NS = `cwh-${process.pid}`;

function values(r: ProbeResult, metric: string): Array<{ value: number; labels?: Record<string, string> }> {
  return (r.observations ?? []).filter((o) => o.metric === metric).map(({ value, labels }) => (labels ? { value, labels } : { value }));
}

function one(r: ProbeResult, metric: string): number | undefined {
  return values(r, metric)[0]?.value;
}

/** Runs the probe as the scheduler would, one context per run, sessions kept by the caller. */
function run(probe = hostProbe, options: Record<string, unknown> = {}, sessions = new Map<string, Session>(), timeoutMs = 3000) {
  return probe.run('', probe.options.parse(options), makeCtx({ timeoutMs, sessions }));
}

/** A /proc/net/route text as the kernel prints it, one default route per [iface, gateway hex, metric]. */
function routeTable(...defaults: Array<[string, string, number]>): string {
  const head = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT';
  return [head, ...defaults.map(([iface, gw, metric]) => `${iface}\t00000000\t${gw}\t0003\t0\t0\t${metric}\t00000000\t0\t0\t0`), ''].join('\n');
}

/** Deletes namespaces a crashed earlier run of this file left behind (`cwh-<pid>` of a process that is gone). */
function removeStaleNamespaces(): void {
  for (const m of execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).matchAll(/^cwh-(\d+)\b/gm)) {
    try {
      process.kill(Number(m[1]), 0);
    } catch {
      execFileSync('ip', ['netns', 'del', m[0]], { stdio: 'ignore' });
    }
  }
}

/** Child processes' CPU ticks of this process (from /proc/self/stat), to prove a run spawns nothing. */
function childTicks(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return Number(f[13]) + Number(f[14]);
}

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('host probe on this machine', () => {
  it('reports sane CPU, memory, disk, uptime and default route figures', async () => {
    const r = await run();
    expect(r).toMatchObject({ up: true, reason: 'ok' });
    expect(one(r, 'memory_total_bytes')).toBe(os.totalmem());
    const used = one(r, 'memory_used_bytes')!;
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThan(os.totalmem());
    expect(one(r, 'memory_used_ratio')).toBeCloseTo(used / os.totalmem(), 9);
    expect(Math.abs(one(r, 'uptime_seconds')! - os.uptime())).toBeLessThan(2);
    for (const m of ['cpu_usage_ratio', 'memory_used_ratio']) {
      expect(one(r, m)).toBeGreaterThanOrEqual(0);
      expect(one(r, m)).toBeLessThanOrEqual(1);
    }
    const disks = values(r, 'filesystem_used_ratio');
    expect(disks.map((d) => d.labels?.mount)).toContain('/');
    for (const d of disks) {
      expect(d.value).toBeGreaterThanOrEqual(0);
      expect(d.value).toBeLessThanOrEqual(1);
    }
    // The same numbers df prints, computed independently from its byte counts.
    const [, , dfUsed, dfAvail] = execFileSync('df', ['-B1', '--output=source,size,used,avail', '/'], { encoding: 'utf8' })
      .trim()
      .split('\n')[1]!
      .trim()
      .split(/\s+/)
      .map(Number);
    const root = values(r, 'filesystem_free_bytes').find((d) => d.labels?.mount === '/')!.value;
    expect(Math.abs(root - dfAvail!)).toBeLessThan(64 * 1024 * 1024);
    expect(disks.find((d) => d.labels?.mount === '/')!.value).toBeCloseTo(dfUsed! / (dfUsed! + dfAvail!), 2);
    // No pseudo filesystem (this machine has tmpfs, proc, sysfs, cgroup mounts).
    expect(disks.map((d) => d.labels?.mount).filter((m) => /^\/(proc|sys|dev)(\/|$)/.test(m!))).toEqual([]);
  });

  it('reports the default route that `ip route` shows', async () => {
    const r = await run();
    const shown = execFileSync('ip', ['-4', 'route', 'show', 'default'], { encoding: 'utf8' }).trim().split('\n')[0] ?? '';
    const m = /^default (?:via (\S+) )?dev (\S+)/.exec(shown);
    if (m) {
      expect(one(r, 'default_route_present')).toBe(1);
      expect(values(r, 'default_route_info')).toEqual([{ value: 1, labels: { interface: m[2], gateway: m[1] ?? '' } }]);
    } else {
      expect(one(r, 'default_route_present')).toBe(0);
      expect(values(r, 'default_route_info')).toEqual([]);
    }
    expect(one(r, 'default_route_changes_total')).toBe(0);
  });

  it('measures CPU use since the previous run of the same check', async () => {
    const sessions = new Map<string, Session>();
    await run(hostProbe, {}, sessions);
    const until = performance.now() + 400;
    while (performance.now() < until); // one core fully busy
    const r = await run(hostProbe, {}, sessions);
    expect(one(r, 'cpu_usage_ratio')).toBeGreaterThan(0.7 / os.availableParallelism());
  });

  it('costs little CPU per run and spawns no process', async () => {
    const sessions = new Map<string, Session>();
    await run(hostProbe, {}, sessions);
    const ticks = childTicks();
    const perRun: number[] = [];
    for (let i = 0; i < 30; i++) {
      // Spaced as a scheduler would (less closely, though), so each run measures CPU since the previous one.
      await new Promise((r) => setTimeout(r, 150));
      const ctx = makeCtx({ timeoutMs: 3000, sessions });
      const before = process.cpuUsage();
      const r = await hostProbe.run('', {}, ctx);
      const used = process.cpuUsage(before);
      expect(r.up).toBe(true);
      perRun.push((used.user + used.system) / 1000);
    }
    perRun.sort((a, b) => a - b);
    const median = perRun[perRun.length >> 1]!;
    console.log(`host probe: ${median.toFixed(3)} ms CPU per run (median of ${perRun.length}; max ${perRun.at(-1)!.toFixed(3)})`);
    expect(median).toBeLessThan(2);
    expect(childTicks()).toBe(ticks);
  });

  it('reports only the mounts it is given, and fails for one that is not mounted', async () => {
    const r = await run(hostProbe, { mounts: ['/'] });
    expect(r.up).toBe(true);
    expect(values(r, 'filesystem_used_ratio').map((d) => d.labels?.mount)).toEqual(['/']);
    const missing = await run(hostProbe, { mounts: ['/', `${dir}/`] });
    expect(missing).toMatchObject({ up: false, reason: 'assertion' });
    expect(missing.message).toContain(`${dir} is not mounted`);
    // Everything measured is still reported.
    expect(values(missing, 'filesystem_used_ratio').map((d) => d.labels?.mount)).toEqual(['/']);
    expect(one(missing, 'memory_total_bytes')).toBe(os.totalmem());
  });

  it('rejects unknown options and relative mount points', () => {
    expect(hostProbe.options.safeParse({ mount: ['/'] }).success).toBe(false);
    expect(hostProbe.options.safeParse({ mounts: ['data'] }).success).toBe(false);
    expect(hostProbe.options.safeParse({ mounts: [] }).success).toBe(false);
    expect(hostProbe.options.parse({})).toEqual({});
  });
});

describe('default route changes between runs', () => {
  it('counts a failover, a loss and a return of the default route, per check', async () => {
    const routeFile = join(dir, 'route');
    const probe = makeHostProbe({ routeFile });
    const sessions = new Map<string, Session>();
    const step = async (text: string) => {
      writeFileSync(routeFile, text);
      const r = await run(probe, {}, sessions);
      expect(r.up).toBe(true);
      return {
        info: values(r, 'default_route_info'),
        present: one(r, 'default_route_present'),
        changes: one(r, 'default_route_changes_total'),
        message: r.message,
      };
    };
    // Two lines, inet1 preferred by metric.
    expect(await step(routeTable(['inet2', '0100C90A', 200], ['inet1', '0100C80A', 100]))).toMatchObject({
      info: [{ value: 1, labels: { interface: 'inet1', gateway: '10.200.0.1' } }],
      present: 1,
      changes: 0,
    });
    // Unchanged, and a metric change alone is no failover.
    expect((await step(routeTable(['inet2', '0100C90A', 200], ['inet1', '0100C80A', 50]))).changes).toBe(0);
    // inet1 goes down: its route is withdrawn, inet2 takes over.
    expect(await step(routeTable(['inet2', '0100C90A', 200]))).toMatchObject({
      info: [{ value: 1, labels: { interface: 'inet2', gateway: '10.201.0.1' } }],
      changes: 1,
    });
    // Both down: still up, but says so.
    expect(await step(routeTable())).toMatchObject({ info: [], present: 0, changes: 1, message: expect.stringContaining('no default route') });
    expect((await step(routeTable())).changes).toBe(0);
    expect(await step(routeTable(['inet1', '0100C80A', 100]))).toMatchObject({ present: 1, changes: 1 });
    // Another check has its own previous route: its first run is no change.
    expect(one(await run(probe, {}, new Map()), 'default_route_changes_total')).toBe(0);
  });

  it('exposes only the current route and the count of changes, in valid exposition format', async () => {
    const routeFile = join(dir, 'route-exposed');
    const probe = makeHostProbe({ routeFile });
    const check = { id: 'host', kind: 'host', impact: 'info', labels: {} };
    const metrics = new AgentMetrics([check], { host: probe });
    const sessions = new Map<string, Session>();
    for (const table of [routeTable(['inet1', '0100C80A', 100]), routeTable(['inet2', '0100C90A', 200])]) {
      writeFileSync(routeFile, table);
      metrics.record(check, await run(probe, {}, sessions), 0.01);
    }
    const text = await metrics.registry.metrics();
    const base = 'check="host",kind="host",line=""';
    expect(text).toContain(`centerwatch_host_default_route_info{${base},interface="inet2",gateway="10.201.0.1"} 1`);
    expect(text).not.toContain('interface="inet1"');
    expect(text).toContain(`centerwatch_host_default_route_changes_total{${base}} 1`);
    expect(text).toContain(`centerwatch_host_default_route_present{${base}} 1`);
    expect(text).toMatch(new RegExp(`centerwatch_host_filesystem_used_ratio\\{${base},mount="/"\\} 0\\.\\d+`));
    if (commandExists('promtool')) {
      // promtool exits non-zero on a format error (lint advice alone is printed but not fatal here).
      expect(() => execFileSync('promtool', ['check', 'metrics'], { input: text, stdio: ['pipe', 'pipe', 'pipe'] })).not.toThrow();
    }
  });
});

describe('deadlines and stuck filesystems', () => {
  it('fails with timeout at once when the deadline has already passed', async () => {
    const ctx = makeCtx({ timeoutMs: 1 });
    await new Promise((r) => setTimeout(r, 20));
    expect(await hostProbe.run('', {}, ctx)).toMatchObject({ up: false, reason: 'timeout' });
  });

  it('stays up, degraded, at the deadline when a discovered filesystem never answers, then skips it while it hangs', async () => {
    // A hung network filesystem cannot run here: its statfs is a promise that never settles.
    let calls = 0;
    const statfs: HostSources['statfs'] = () => {
      calls++;
      return new Promise(() => {});
    };
    const probe = makeHostProbe({ statfs });
    const sessions = new Map<string, Session>();
    const start = performance.now();
    const first = await run(probe, {}, sessions, 400);
    expect(first).toMatchObject({
      up: true,
      degraded: true,
      reason: 'timeout',
      message: expect.stringContaining('/ statfs gave no answer within the deadline'),
    });
    expect(performance.now() - start).toBeLessThan(400 + 1000);
    // Everything else was read.
    expect(one(first, 'memory_total_bytes')).toBe(os.totalmem());
    expect(one(first, 'cpu_usage_ratio')).toBeGreaterThanOrEqual(0);
    const stuck = calls;
    expect(stuck).toBeGreaterThan(0);
    const second = await run(probe, {}, sessions, 400);
    expect(second).toMatchObject({ up: true, degraded: true, reason: 'timeout', message: expect.stringContaining('/ statfs still pending') });
    expect(values(second, 'filesystem_used_ratio')).toEqual([]);
    expect(calls).toBe(stuck);
    // A mount the check lists fails it.
    expect(await run(probe, { mounts: ['/'] }, sessions, 400)).toMatchObject({ up: false, reason: 'timeout' });
  });
});

describe('host probe inside a network namespace', () => {
  let child: ChildProcess | undefined;

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    try {
      execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
    } catch {
      // not created
    }
  });

  it('sees a real failover from one line to another and the loss of both', async (t) => {
    if (!requireService(canCreateNetns, 'creating network namespaces needs root and iproute2')) return t.skip();
    const ip = (...args: string[]) => execFileSync('ip', ['-n', NS, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    removeStaleNamespaces();
    execFileSync('ip', ['netns', 'add', NS]);
    // Two lines, each a veth pair kept inside the namespace: nothing reaches the test's own network.
    for (const [n, net] of [
      [0, '10.200.0'],
      [1, '10.201.0'],
    ] as const) {
      ip('link', 'add', `line${n}`, 'type', 'veth', 'peer', 'name', `peer${n}`);
      ip('link', 'set', `line${n}`, 'up');
      ip('link', 'set', `peer${n}`, 'up');
      ip('addr', 'add', `${net}.2/24`, 'dev', `line${n}`);
    }
    ip('route', 'add', 'default', 'via', '10.200.0.1', 'dev', 'line0', 'metric', '100');
    ip('route', 'add', 'default', 'via', '10.201.0.1', 'dev', 'line1', 'metric', '200');

    // One agent-like process in the namespace runs the real probe (default /proc sources) per line read.
    const root = resolve(import.meta.dirname, '../..');
    const code = `
      const { hostProbe } = await import(${JSON.stringify(join(root, 'agent/probes/host.ts'))});
      const { makeCtx } = await import(${JSON.stringify(join(root, 'test/helpers/ctx.ts'))});
      const sessions = new Map();
      for await (const _ of (await import('node:readline')).createInterface({ input: process.stdin })) {
        const r = await hostProbe.run('', hostProbe.options.parse({ mounts: ['/'] }), makeCtx({ timeoutMs: 3000, sessions }));
        console.log(JSON.stringify(r));
      }`;
    child = spawn('ip', ['netns', 'exec', NS, process.execPath, '--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: root,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const probeOnce = async () => {
      child!.stdin!.write('run\n');
      const { value } = await lines.next();
      const r = JSON.parse(value as string) as ProbeResult;
      expect(r.up).toBe(true);
      return { info: values(r, 'default_route_info'), present: one(r, 'default_route_present'), changes: one(r, 'default_route_changes_total') };
    };

    expect(await probeOnce()).toEqual({ info: [{ value: 1, labels: { interface: 'line0', gateway: '10.200.0.1' } }], present: 1, changes: 0 });
    // line0 fails: its interface goes down and the kernel withdraws its route.
    ip('link', 'set', 'line0', 'down');
    expect(await probeOnce()).toEqual({ info: [{ value: 1, labels: { interface: 'line1', gateway: '10.201.0.1' } }], present: 1, changes: 1 });
    expect((await probeOnce()).changes).toBe(0);
    ip('link', 'set', 'line1', 'down');
    expect(await probeOnce()).toEqual({ info: [], present: 0, changes: 1 });
    child.stdin!.end();
  });
});
