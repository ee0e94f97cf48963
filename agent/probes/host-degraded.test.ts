import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeHostProbe, type HostSources } from './host.js';
import { HostPartError } from './host-parts.js';
import type { ProbeResult, Session } from './types.js';
import { HOST_PLATFORMS, type HostPlatform } from '../platform/host.js';
import { readRoutePrint } from '../platform/win32/route.js';
import { makeCtx } from '../../test/helpers/ctx.js';

/*
 * Each part of the host reading failing on its own, with readers injected on Linux: the Linux
 * platform (real /proc, real statfs) with one part replaced.
 */

const linux = HOST_PLATFORMS.linux;
const statfsOk: HostSources['statfs'] = () => Promise.resolve({ bsize: 4096, blocks: 1000, bfree: 400, bavail: 400 });
const drives =
  (all: string[], defaults = all): HostPlatform['mountPoints'] =>
  () =>
    Promise.resolve({ all, defaults });
const routeExeMissing = (): Promise<never> => Promise.reject(new HostPartError('missing_binary', 'route.exe not found'));

function run(platform: HostPlatform, options: Record<string, unknown> = {}, sources: Partial<HostSources> = {}, sessions = new Map<string, Session>()) {
  const probe = makeHostProbe({ statfs: statfsOk, ...sources }, platform);
  return probe.run('', probe.options.parse(options), makeCtx({ timeoutMs: 2000, sessions }));
}

const metrics = (r: ProbeResult): string[] => [...new Set((r.observations ?? []).map((o) => o.metric))].sort();

describe('host probe with a part that cannot be read', () => {
  it('route unknown: up, degraded with the reason, everything else reported, no route presence claimed', async () => {
    const r = await run({ ...linux, mountPoints: drives(['C:\\']), defaultRoute: routeExeMissing });
    expect(r).toMatchObject({ up: true, degraded: true, reason: 'missing_binary' });
    expect(r.message).toMatch(/^cpu \d+%, memory \d+%, C:\\ 60%, default route unknown: route\.exe not found$/);
    expect(metrics(r)).toEqual([
      'cpu_usage_ratio',
      'default_route_changes_total',
      'filesystem_free_bytes',
      'filesystem_used_ratio',
      'memory_total_bytes',
      'memory_used_bytes',
      'memory_used_ratio',
      'uptime_seconds',
    ]);
  });

  it('the Windows route reader on a missing route.exe (here: not on this machine) says so, reason missing_binary', async () => {
    const err = await readRoutePrint(AbortSignal.timeout(2000), '/nonexistent/System32/route.exe').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostPartError);
    expect(err).toMatchObject({ reason: 'missing_binary', detail: 'route.exe not found' });
    // And the whole Windows route part, through the probe: route.exe is at %SystemRoot%, absent here.
    const r = await run({ ...linux, defaultRoute: (f, signal) => HOST_PLATFORMS.win32.defaultRoute(f, signal) });
    expect(r).toMatchObject({
      up: true,
      degraded: true,
      reason: 'missing_binary',
      message: expect.stringContaining('default route unknown: route.exe not found'),
    });
  });

  it('a route.exe that fails or is refused: its exit code or errno, never its output', async () => {
    const failing = await readRoutePrint(AbortSignal.timeout(2000), '/bin/false').catch((e: unknown) => e);
    expect(failing).toMatchObject({ reason: 'internal_error', detail: 'route.exe exited with 1' });
    const refused = await readRoutePrint(AbortSignal.timeout(2000), '/etc').catch((e: unknown) => e);
    expect(refused).toMatchObject({ reason: 'not_permitted', detail: 'route.exe refused (EACCES)' });
    const dir = mkdtempSync(join(tmpdir(), 'cw-route-'));
    const hangs = join(dir, 'route.exe');
    writeFileSync(hangs, '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
    const signal = AbortSignal.timeout(100);
    const started = performance.now();
    const cut = await readRoutePrint(signal, hangs).catch((e: unknown) => e);
    rmSync(dir, { recursive: true, force: true });
    expect(cut).toMatchObject({ reason: 'timeout' });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('cpu unknown (no counters): up, degraded, memory and the rest still there', async () => {
    const r = await run({
      ...linux,
      cpuSample: () => {
        throw Object.assign(new Error('x'), { code: 'EACCES', syscall: 'open' });
      },
    });
    expect(r).toMatchObject({ up: true, degraded: true, reason: 'not_permitted' });
    expect(r.message).toContain('cpu unknown: open EACCES');
    expect(metrics(r)).not.toContain('cpu_usage_ratio');
    expect(metrics(r)).toContain('memory_used_ratio');
    expect(metrics(r)).toContain('default_route_present');
  });

  it('the mount table unreadable: degraded; a listed mount is still measured as named', async () => {
    const broken: HostPlatform = { ...linux, mountPoints: () => Promise.reject(Object.assign(new Error('x'), { code: 'ENOENT', syscall: 'open' })) };
    const r = await run(broken);
    expect(r).toMatchObject({ up: true, degraded: true, reason: 'internal_error', message: expect.stringContaining('filesystems unknown: open ENOENT') });
    const listed = await run(broken, { mounts: ['/'] });
    expect(listed.observations).toContainEqual({ metric: 'filesystem_used_ratio', value: 0.6, labels: { mount: '/' } });
  });

  it('one drive failing does not hide the others; a listed one fails the check with everything still reported', async () => {
    const statfs: HostSources['statfs'] = (p) =>
      p === 'D:\\' ? Promise.reject(Object.assign(new Error('x'), { code: 'EIO', syscall: 'statfs' })) : statfsOk(p);
    const r = await run({ ...linux, mountPoints: drives(['C:\\', 'D:\\']) }, {}, { statfs });
    expect(r).toMatchObject({ up: true, degraded: true, message: expect.stringContaining('D:\\ unknown: statfs EIO') });
    expect((r.observations ?? []).filter((o) => o.metric === 'filesystem_used_ratio').map((o) => o.labels?.mount)).toEqual(['C:\\']);
    const listed = await run({ ...linux, mountPoints: drives(['C:\\', 'D:\\']) }, { mounts: ['C:', 'd:\\'] }, { statfs });
    expect(listed).toMatchObject({ up: false, message: expect.stringContaining('D:\\ unknown: statfs EIO') });
    expect(listed.observations).toContainEqual({ metric: 'filesystem_used_ratio', value: 0.6, labels: { mount: 'C:\\' } });
  });

  it('a USB disk unplugged between runs, or between the list and its statfs: gone, not a problem; listed, the check fails', async () => {
    const sessions = new Map<string, Session>();
    let plugged = true;
    const platform: HostPlatform = {
      ...linux,
      mountPoints: () => Promise.resolve(plugged ? { all: ['C:\\', 'E:\\'], defaults: ['C:\\', 'E:\\'] } : { all: ['C:\\'], defaults: ['C:\\'] }),
    };
    const gone = Object.assign(new Error('x'), { code: 'ENOENT', syscall: 'statfs' });
    let statfsE = true;
    const statfs: HostSources['statfs'] = (p) => (p === 'E:\\' && !statfsE ? Promise.reject(gone) : statfsOk(p));
    const mounts = (r: ProbeResult) => (r.observations ?? []).filter((o) => o.metric === 'filesystem_used_ratio').map((o) => o.labels?.mount);
    const first = await run(platform, {}, { statfs }, sessions);
    expect(mounts(first)).toEqual(['C:\\', 'E:\\']);
    // Listed by the drive list, gone by its statfs.
    statfsE = false;
    const racing = await run(platform, {}, { statfs }, sessions);
    expect(racing).toMatchObject({ up: true, reason: 'ok' });
    expect(racing.degraded).toBeUndefined();
    expect(mounts(racing)).toEqual(['C:\\']);
    plugged = false;
    const after = await run(platform, {}, { statfs }, sessions);
    expect(after).toMatchObject({ up: true, reason: 'ok' });
    expect(mounts(after)).toEqual(['C:\\']);
    expect(await run(platform, { mounts: ['C:\\', 'E:\\'] }, { statfs }, sessions)).toMatchObject({
      up: false,
      reason: 'assertion',
      message: expect.stringContaining('E:\\ is not mounted'),
    });
  });

  it('drive types unknown (no koffi): the slow list is used, and the check says so', async () => {
    const r = await run({
      ...linux,
      mountPoints: () =>
        Promise.resolve({ all: ['C:\\'], defaults: ['C:\\'], problem: new HostPartError('internal_error', 'kernel32 not reachable through koffi') }),
    });
    expect(r).toMatchObject({
      up: true,
      degraded: true,
      reason: 'internal_error',
      message: expect.stringContaining('drive types unknown: kernel32 not reachable through koffi'),
    });
    expect(r.observations).toContainEqual({ metric: 'filesystem_used_ratio', value: 0.6, labels: { mount: 'C:\\' } });
  });

  it('a route reader that never answers is cut at the deadline; the check is up with the rest', async () => {
    const probe = makeHostProbe({ statfs: statfsOk }, { ...linux, defaultRoute: () => new Promise(() => {}) });
    const started = performance.now();
    const r = await probe.run('', {}, makeCtx({ timeoutMs: 300 }));
    expect(performance.now() - started).toBeLessThan(300 + 500);
    expect(r).toMatchObject({ up: true, degraded: true, reason: 'timeout', message: expect.stringContaining('default route unknown: deadline exceeded') });
    expect(metrics(r)).toContain('memory_used_ratio');
  });
});

describe('the default route read less often where it costs a process', () => {
  it('is kept for routeMaxAgeMs, read again at once when the interfaces change, and a change is still counted', async () => {
    let reads = 0;
    let gateway = '10.0.0.1';
    let net = 'eth0=10.0.0.2/255.255.255.0';
    const platform: HostPlatform = {
      ...linux,
      mountPoints: drives([]),
      routeMaxAgeMs: 60_000,
      networkFingerprint: () => net,
      defaultRoute: () => {
        reads++;
        return Promise.resolve({ interface: 'eth0', gateway, metric: 1 });
      },
    };
    const sessions = new Map<string, Session>();
    const step = async () => {
      const r = await run(platform, {}, {}, sessions);
      return { reads, changes: r.observations?.find((o) => o.metric === 'default_route_changes_total')?.value, message: r.message };
    };
    expect(await step()).toMatchObject({ reads: 1, changes: 0 });
    gateway = '10.0.0.254';
    // Same interfaces: the cached route, no process.
    expect(await step()).toMatchObject({ reads: 1, changes: 0, message: expect.stringContaining('via 10.0.0.1') });
    net = 'eth0=10.9.0.2/255.255.255.0';
    expect(await step()).toMatchObject({ reads: 2, changes: 1, message: expect.stringContaining('via 10.0.0.254') });
  });

  it('keeps a failure as long as a route, and a route known before an unknown run stays the reference', async () => {
    let reads = 0;
    let fail = false;
    const platform: HostPlatform = {
      ...linux,
      mountPoints: drives([]),
      routeMaxAgeMs: 0,
      defaultRoute: () => {
        reads++;
        return fail ? routeExeMissing() : Promise.resolve({ interface: 'eth0', gateway: '10.0.0.1', metric: 1 });
      },
    };
    const sessions = new Map<string, Session>();
    const changes = (r: ProbeResult) => r.observations?.find((o) => o.metric === 'default_route_changes_total')?.value;
    expect(changes(await run(platform, {}, {}, sessions))).toBe(0);
    fail = true;
    const unknown = await run(platform, {}, {}, sessions);
    expect(changes(unknown)).toBe(0);
    expect(unknown.observations?.some((o) => o.metric === 'default_route_present')).toBe(false);
    fail = false;
    // Back, unchanged: no change counted across the unknown run.
    expect(changes(await run(platform, {}, {}, sessions))).toBe(0);
    expect(reads).toBe(3);
  });
});
