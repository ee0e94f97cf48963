/**
 * CPU use from the kernel's cumulative counters in `/proc/stat`.
 *
 * systeminformation's `currentLoad()` reads the same counters but runs `cat /proc/stat | grep cpu`
 * through a synchronous shell on every call (about 3 ms of CPU, blocking the event loop), and keeps
 * one module-wide previous sample shared by every caller. Reading the file and keeping the previous
 * sample per check costs a few microseconds and gives each check the use over its own interval.
 */

/** Cumulative CPU time of all cores, in kernel ticks (USER_HZ). */
export interface CpuSample {
  busy: number;
  total: number;
}

/**
 * The aggregate `cpu` line of a `/proc/stat` text, or undefined when absent.
 * Busy is user + nice + system + irq + softirq + steal; iowait counts as idle (the CPU was free
 * to run something else). guest and guest_nice are left out: the kernel already counts them in user.
 */
export function parseCpuSample(text: string): CpuSample | undefined {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  if (v.length < 4 || v.some((n) => !Number.isFinite(n))) return undefined;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/**
 * The share of CPU time spent busy between two samples, in [0, 1]; undefined when fewer than
 * `minTicks` (at least 1) elapsed, too coarse to mean anything, or the counters went backwards.
 */
export function cpuUsageRatio(before: CpuSample, after: CpuSample, minTicks = 1): number | undefined {
  const total = after.total - before.total;
  const busy = after.busy - before.busy;
  if (!(total >= Math.max(1, minTicks)) || busy < 0) return undefined;
  return Math.min(1, busy / total);
}
