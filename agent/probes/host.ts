import { statfs as fsStatfs } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import os from 'node:os';
import { z } from 'zod';
import { withDeadline } from './deadline.js';
import { defineProbe, failure, success, type Observation, type ProbeContext, type ProbeResult, type Reason, type Session } from './types.js';
import { describeError, reasonFromError } from './errors.js';
import { cpuUsageRatio, type CpuSample } from './host-cpu.js';
import { fsUsage, type StatfsLike } from './host-mounts.js';
import { describeRoute, routeKey } from './host-route.js';
import { hostPlatform } from '../platform/host.js';
import { METRIC } from '../../common/metrics.js';
import { withDefaults } from '../../common/options.js';

/*
 * The host probe reads the kernel's /proc files and calls statfs(2) directly instead of going
 * through systeminformation: on Linux its currentLoad(), fsSize(), time(), networkGatewayDefault()
 * and networkInterfaceDefault() each spawn a shell (`cat /proc/stat | grep`, `df`, `date`,
 * `ip route`), 2.5–4 ms of CPU per call, several times the per-probe budget. What differs on
 * Windows (os.cpus() for CPU, drive letters, `route print -4`) is in agent/platform/host.ts.
 */

const options = z
  .object({
    /**
     * Mount points to report (e.g. `["/", "/data"]`). A listed mount that is not mounted, or whose
     * filesystem does not answer, fails the check. Default: every real filesystem (no tmpfs,
     * proc, cgroup, squashfs…), each block device once.
     */
    mounts: z
      .array(z.string().regex(/^(\/|[A-Za-z]:\\?$)/, 'must be an absolute mount point (or a Windows drive such as C:\\)'))
      .min(1)
      .optional(),
  })
  .strict();

/** Where the probe reads the machine's state; tests point it at files of their own. */
export interface HostSources {
  /** IPv4 routing table. Default `/proc/net/route` (the agent's network namespace). */
  routeFile: string;
  /** Cumulative CPU counters. Default `/proc/stat`. */
  statFile: string;
  /** Mount table. Default `/proc/self/mounts` (the agent's mount namespace). */
  mountsFile: string;
  /** Filesystem sizes of a mount point. Default `fs.promises.statfs`. */
  statfs(path: string): Promise<StatfsLike>;
}

const DEFAULT_SOURCES: HostSources = {
  routeFile: '/proc/net/route',
  statFile: '/proc/stat',
  mountsFile: '/proc/self/mounts',
  statfs: (path) => fsStatfs(path),
};

/** Longest CPU sampling window on a check's first run (later runs measure since the previous one). */
const FIRST_WINDOW_MS = 250;

/** What one check keeps between runs. */
class HostSession implements Session {
  cpu: CpuSample | undefined;
  /** `routeKey` of the previous run's default route; undefined before the first successful run. */
  route: string | undefined;
  /** Mount points whose statfs has not returned (a hung network filesystem): not asked again until it does. */
  readonly pending = new Set<string>();
  close(): void {}
}

export function makeHostProbe(overrides: Partial<HostSources> = {}) {
  const src: HostSources = withDefaults(DEFAULT_SOURCES, overrides);
  return defineProbe({
    kind: 'host',
    targetHelp: 'none (the machine the agent runs on)',
    targetRequired: false,
    // Whatever is written there names nothing: the probe reads this machine.
    targetProblem: () => undefined,
    options,
    metrics: {
      cpu_usage_ratio: { name: METRIC.hostCpuUsageRatio, help: 'Share of CPU time busy since the previous run (all cores).', type: 'gauge', threshold: true },
      memory_used_bytes: { name: METRIC.hostMemoryUsedBytes, help: 'Memory in use: total minus available.', type: 'gauge' },
      memory_total_bytes: { name: METRIC.hostMemoryTotalBytes, help: 'Physical memory.', type: 'gauge' },
      memory_used_ratio: { name: METRIC.hostMemoryUsedRatio, help: 'Memory in use over physical memory.', type: 'gauge', threshold: true },
      filesystem_used_ratio: {
        name: METRIC.hostFilesystemUsedRatio,
        help: 'Used share of a filesystem, as df shows it.',
        type: 'gauge',
        labels: ['mount'],
        threshold: true,
      },
      filesystem_free_bytes: { name: METRIC.hostFilesystemFreeBytes, help: 'Bytes an unprivileged user can still write.', type: 'gauge', labels: ['mount'] },
      uptime_seconds: { name: METRIC.hostUptimeSeconds, help: 'Seconds since the machine booted.', type: 'gauge' },
      default_route_present: {
        name: METRIC.hostDefaultRoutePresent,
        help: '1 when the machine has an IPv4 default route, else 0.',
        type: 'gauge',
        threshold: true,
      },
      default_route_info: {
        name: METRIC.hostDefaultRouteInfo,
        help: 'The current IPv4 default route (value 1).',
        type: 'gauge',
        labels: ['interface', 'gateway'],
      },
      default_route_changes_total: {
        name: METRIC.hostDefaultRouteChangesTotal,
        help: 'Changes of the default route seen between runs (a line failover).',
        type: 'counter',
      },
    },
    async run(_target, opts, ctx): Promise<ProbeResult> {
      return withDeadline(ctx.signal, async (deadline) => {
        const s = ctx.session(() => new HostSession());
        try {
          const [route, cpu, disks] = await deadline.race(
            Promise.all([hostPlatform().defaultRoute(src, ctx.signal), cpuUsage(s, src, ctx), readDisks(s, src, opts.mounts)]),
          );
          const obs: Observation[] = [];
          if (cpu !== undefined) obs.push({ metric: 'cpu_usage_ratio', value: cpu });
          const total = os.totalmem();
          const used = total - os.freemem(); // freemem() is MemAvailable on Linux
          obs.push(
            { metric: 'memory_used_bytes', value: used },
            { metric: 'memory_total_bytes', value: total },
            { metric: 'memory_used_ratio', value: total > 0 ? used / total : 0 },
            { metric: 'uptime_seconds', value: os.uptime() },
          );
          for (const d of disks.ok) {
            obs.push({ metric: 'filesystem_used_ratio', value: d.usedRatio, labels: { mount: d.mount } });
            obs.push({ metric: 'filesystem_free_bytes', value: d.freeBytes, labels: { mount: d.mount } });
          }
          const key = routeKey(route);
          const changed = s.route !== undefined && s.route !== key;
          if (changed) ctx.log.info('default route changed', { from: s.route, to: key });
          s.route = key;
          obs.push({ metric: 'default_route_present', value: route ? 1 : 0 });
          if (route) obs.push({ metric: 'default_route_info', value: 1, labels: { interface: route.interface, gateway: route.gateway } });
          // 0 on an unchanged run too, so the series exists from the first run and increase() works.
          obs.push({ metric: 'default_route_changes_total', value: changed ? 1 : 0 });

          const summary = [
            cpu === undefined ? undefined : `cpu ${pct(cpu)}`,
            `memory ${pct(total > 0 ? used / total : 0)}`,
            ...disks.ok.map((d) => `${d.mount} ${pct(d.usedRatio)}`),
            describeRoute(route),
            ...disks.problems.map((p) => p.text),
          ].filter((t) => t !== undefined);
          const message = summary.join(', ');
          const blocking = disks.problems.find((p) => p.fails);
          if (blocking) return failure(blocking.reason, message, { observations: obs });
          for (const p of disks.problems) ctx.log.warn('filesystem not measured', { problem: p.text });
          return success({ message, observations: obs });
        } catch (err) {
          return failure(reasonFromError(err, ctx.signal), describeError(err, ctx.signal));
        }
      });
    },
  });
}

export const hostProbe = makeHostProbe();

/** CPU use since this check's previous run, or over a short window when there is none. */
async function cpuUsage(s: HostSession, src: HostSources, ctx: ProbeContext): Promise<number | undefined> {
  const platform = hostPlatform();
  const read = (): CpuSample | undefined => platform.cpuSample(src);
  let now = read();
  if (!now) return undefined;
  let ratio = s.cpu ? cpuUsageRatio(s.cpu, now, platform.minCpuUnits) : undefined;
  if (ratio === undefined) {
    const before = now;
    await sleep(Math.min(FIRST_WINDOW_MS, ctx.timeoutMs / 4), undefined, { signal: ctx.signal });
    now = read();
    if (!now) return undefined;
    ratio = cpuUsageRatio(before, now);
  }
  s.cpu = now;
  return ratio;
}

interface DiskProblem {
  text: string;
  /** A mount the check lists fails the check; a discovered one is only mentioned. */
  fails: boolean;
  reason: Reason;
}

async function readDisks(
  s: HostSession,
  src: HostSources,
  wanted: readonly string[] | undefined,
): Promise<{ ok: { mount: string; usedRatio: number; freeBytes: number }[]; problems: DiskProblem[] }> {
  const mounts = hostPlatform().mountPoints(src);
  const problems: DiskProblem[] = [];
  let points: string[];
  if (wanted) {
    const mounted = new Set(mounts.all);
    points = [];
    for (const w of wanted.map(normalizeMount)) {
      // statfs of a path that is not a mount point would silently report its parent filesystem.
      if (mounted.has(w)) points.push(w);
      else problems.push({ text: `${w} is not mounted`, fails: true, reason: 'assertion' });
    }
  } else {
    points = mounts.defaults;
  }
  const fails = wanted !== undefined;
  const results = await Promise.all(
    points.map(async (mount) => {
      if (s.pending.has(mount)) {
        problems.push({ text: `${mount} statfs still pending since an earlier run`, fails, reason: 'timeout' });
        return undefined;
      }
      s.pending.add(mount);
      try {
        return { mount, ...fsUsage(await src.statfs(mount)) };
      } catch (err) {
        problems.push({ text: `${mount} ${describeError(err)}`, fails, reason: reasonFromError(err) });
        return undefined;
      } finally {
        s.pending.delete(mount);
      }
    }),
  );
  return { ok: results.filter((r) => r !== undefined), problems };
}

function normalizeMount(path: string): string {
  // A drive letter, however written (c:, C:\\), is the drive's root.
  if (/^[A-Za-z]:\\?$/.test(path)) return `${path[0]!.toUpperCase()}:\\`;
  return path.length > 1 ? path.replace(/\/+$/, '') || '/' : path;
}

function pct(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}
