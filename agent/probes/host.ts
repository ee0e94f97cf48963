import { statfs as fsStatfs } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import os from 'node:os';
import { z } from 'zod';
import { performance } from 'node:perf_hooks';
import { withDeadline, type Deadline } from './deadline.js';
import { defineProbe, failure, success, type Observation, type ProbeContext, type ProbeResult, type Session } from './types.js';
import { cpuUsageRatio, type CpuSample } from './host-cpu.js';
import { fsUsage, type StatfsLike } from './host-mounts.js';
import { HostPartError, partProblem, settle, type HostProblem, type Settled } from './host-parts.js';
import { describeRoute, routeKey, type DefaultRoute } from './host-route.js';
import { hostPlatform, type HostPlatform } from '../platform/host.js';
import { METRIC } from '../../common/metrics.js';
import { withDefaults } from '../../common/options.js';

/*
 * The host probe reads the kernel's /proc files and calls statfs(2) directly instead of going
 * through systeminformation: on Linux its currentLoad(), fsSize(), time(), networkGatewayDefault()
 * and networkInterfaceDefault() each spawn a shell (`cat /proc/stat | grep`, `df`, `date`,
 * `ip route`), 2.5–4 ms of CPU per call, several times the per-probe budget. What differs on
 * Windows (os.cpus() for CPU, drive letters, `route print -4`) is in agent/platform/host.ts.
 * Each part (CPU, memory, uptime, each filesystem, the route) is read on its own: one that cannot be
 * read leaves the check up and degraded, its reason in centerwatch_probe_reason and its why in the
 * message ("default route unknown: route.exe not found"). Only a filesystem the check lists fails it.
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
  /** `routeKey` of the previous run's default route; undefined before the first successful read. */
  route: string | undefined;
  /** The last route read (or its failure), kept as long as the platform's `routeMaxAgeMs` allows. */
  routeRead: { at: number; net: string; outcome: Settled<DefaultRoute | undefined> } | undefined;
  /** Mount points whose statfs has not returned (a hung network filesystem): not asked again until it does. */
  readonly pending = new Set<string>();
  close(): void {}
}

/** The host probe reading from `overrides` (else the machine's own sources) through `platform` (else this OS's). */
export function makeHostProbe(overrides: Partial<HostSources> = {}, platform: HostPlatform = hostPlatform()) {
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
        // Each part settles on its own, at the latest at the deadline; none can take the others down.
        const [cpu, disks, route] = await Promise.all([
          settle(() => deadline.race(cpuUsage(s, platform, src, ctx))),
          readDisks(s, platform, src, opts.mounts, deadline, ctx.signal),
          settle(() => deadline.race(readRoute(s, platform, src, ctx.signal))),
        ]);
        const memory = await settle(readMemory);
        const uptime = await settle(() => os.uptime());
        const obs: Observation[] = [];
        const problems: HostProblem[] = [];
        const summary: string[] = [];

        if (cpu.ok) {
          obs.push({ metric: 'cpu_usage_ratio', value: cpu.value });
          summary.push(`cpu ${pct(cpu.value)}`);
        } else problems.push(partProblem('cpu', cpu.error, ctx.signal));
        if (memory.ok) {
          const { used, total } = memory.value;
          obs.push(
            { metric: 'memory_used_bytes', value: used },
            { metric: 'memory_total_bytes', value: total },
            { metric: 'memory_used_ratio', value: used / total },
          );
          summary.push(`memory ${pct(used / total)}`);
        } else problems.push(partProblem('memory', memory.error));
        if (uptime.ok) obs.push({ metric: 'uptime_seconds', value: uptime.value });
        else problems.push(partProblem('uptime', uptime.error));
        for (const d of disks.ok) {
          obs.push({ metric: 'filesystem_used_ratio', value: d.usedRatio, labels: { mount: d.mount } });
          obs.push({ metric: 'filesystem_free_bytes', value: d.freeBytes, labels: { mount: d.mount } });
          summary.push(`${d.mount} ${pct(d.usedRatio)}`);
        }
        problems.push(...disks.problems);

        let changed = false;
        if (route.ok) {
          const key = routeKey(route.value);
          changed = s.route !== undefined && s.route !== key;
          if (changed) ctx.log.info('default route changed', { from: s.route, to: key });
          s.route = key;
          obs.push({ metric: 'default_route_present', value: route.value ? 1 : 0 });
          if (route.value) obs.push({ metric: 'default_route_info', value: 1, labels: { interface: route.value.interface, gateway: route.value.gateway } });
          summary.push(describeRoute(route.value));
        } else {
          // Unknown is not absent: no default_route_present (0 would say "no route"); the last known route stays the reference.
          problems.push(partProblem('default route', route.error, ctx.signal));
        }
        // 0 on an unchanged or unknown run too, so the series exists from the first run and increase() works.
        obs.push({ metric: 'default_route_changes_total', value: changed ? 1 : 0 });

        const message = [...summary, ...problems.map((p) => p.text)].join(', ');
        const blocking = problems.find((p) => p.fails);
        if (blocking) return failure(blocking.reason, message, { observations: obs });
        if (problems.length > 0) {
          for (const p of problems) ctx.log.warn('host part not read', { problem: p.text });
          // Up with what was read; centerwatch_probe_degraded and centerwatch_probe_reason say something was not.
          return success({ degraded: true, reason: problems[0]!.reason, message, observations: obs });
        }
        return success({ message, observations: obs });
      });
    },
  });
}

export const hostProbe = makeHostProbe();

/** CPU use since this check's previous run, or over a short window when there is none. */
async function cpuUsage(s: HostSession, platform: HostPlatform, src: HostSources, ctx: ProbeContext): Promise<number> {
  const read = (): CpuSample => {
    const sample = platform.cpuSample(src);
    if (!sample) throw new HostPartError('internal_error', 'no CPU counters');
    return sample;
  };
  let now = read();
  let ratio = s.cpu ? cpuUsageRatio(s.cpu, now, platform.minCpuUnits) : undefined;
  if (ratio === undefined) {
    const before = now;
    await sleep(Math.min(FIRST_WINDOW_MS, ctx.timeoutMs / 4), undefined, { signal: ctx.signal });
    now = read();
    ratio = cpuUsageRatio(before, now);
    if (ratio === undefined) throw new HostPartError('internal_error', 'CPU counters did not advance');
  }
  s.cpu = now;
  return ratio;
}

function readMemory(): { used: number; total: number } {
  const total = os.totalmem();
  if (!(total > 0)) throw new HostPartError('internal_error', 'no memory size');
  // freemem() is MemAvailable on Linux, ullAvailPhys on Windows.
  return { used: Math.max(0, total - os.freemem()), total };
}

/** The default route, from this check's previous read while that is fresh and the interfaces are the same. */
async function readRoute(s: HostSession, platform: HostPlatform, src: HostSources, signal: AbortSignal): Promise<DefaultRoute | undefined> {
  const now = performance.now();
  const net = platform.routeMaxAgeMs > 0 ? platform.networkFingerprint() : '';
  const last = s.routeRead;
  if (!last || now - last.at >= platform.routeMaxAgeMs || last.net !== net) {
    s.routeRead = { at: now, net, outcome: await settle(() => platform.defaultRoute(src, signal)) };
    // A read cut by the deadline says nothing about the route: try again next run.
    if (signal.aborted) s.routeRead = undefined;
  }
  const { outcome } = s.routeRead ?? { outcome: { ok: false, error: new HostPartError('timeout', 'route read cut at the deadline') } };
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

async function readDisks(
  s: HostSession,
  platform: HostPlatform,
  src: HostSources,
  wanted: readonly string[] | undefined,
  deadline: Deadline,
  signal: AbortSignal,
): Promise<{ ok: { mount: string; usedRatio: number; freeBytes: number }[]; problems: HostProblem[] }> {
  const problems: HostProblem[] = [];
  const listed = await settle(() => deadline.race(platform.mountPoints(src)));
  if (!listed.ok) problems.push(partProblem('filesystems', listed.error, signal));
  else if (listed.value.problem) problems.push(partProblem('drive types', listed.value.problem));
  const fails = wanted !== undefined;
  let points: string[];
  if (wanted && listed.ok) {
    const mounted = new Set(listed.value.all);
    points = [];
    for (const w of wanted.map(normalizeMount)) {
      // statfs of a path that is not a mount point would silently report its parent filesystem.
      if (mounted.has(w)) points.push(w);
      else problems.push({ text: `${w} is not mounted`, fails: true, reason: 'assertion' });
    }
  } else if (wanted) {
    // Without the mount table the listed mounts are measured as they are named.
    points = wanted.map(normalizeMount);
  } else {
    points = listed.ok ? listed.value.defaults : [];
  }
  const results = await Promise.all(
    points.map(async (mount) => {
      if (s.pending.has(mount)) {
        problems.push({ text: `${mount} statfs still pending since an earlier run`, fails, reason: 'timeout' });
        return undefined;
      }
      const measured = await settle(() => deadline.race(measure(s, src, mount)));
      if (measured.ok) return measured.value;
      const code = (measured.error as { code?: unknown }).code;
      // A discovered drive gone since the list was made (a USB disk unplugged) is simply not there now.
      if (!fails && (code === 'ENOENT' || code === 'ENODEV')) return undefined;
      const p = partProblem(mount, measured.error, signal, fails);
      problems.push({ ...p, text: signal.aborted ? `${mount} statfs gave no answer within the deadline` : p.text });
      return undefined;
    }),
  );
  return { ok: results.filter((r) => r !== undefined), problems };
}

async function measure(s: HostSession, src: HostSources, mount: string): Promise<{ mount: string; usedRatio: number; freeBytes: number }> {
  // Left in `pending` until statfs settles, however long after the run that is: a hung filesystem is not asked again meanwhile.
  s.pending.add(mount);
  try {
    return { mount, ...fsUsage(await src.statfs(mount)) };
  } finally {
    s.pending.delete(mount);
  }
}

function normalizeMount(path: string): string {
  // A drive letter, however written (c:, C:\\), is the drive's root.
  if (/^[A-Za-z]:\\?$/.test(path)) return `${path[0]!.toUpperCase()}:\\`;
  return path.length > 1 ? path.replace(/\/+$/, '') || '/' : path;
}

function pct(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}
