import { readFileSync, readdirSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of a process and its waited-for children, in seconds (from /proc/<pid>/stat). */
function statSeconds(pid: number): { self: number; children: number; ppid: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const n = (i: number): number => Number(fields[i - 3]);
    return { ppid: n(4), self: (n(14) + n(15)) / TICKS_PER_SECOND, children: (n(16) + n(17)) / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

/** Every live descendant of a process. */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const s = statSeconds(pid);
    if (s) parent.set(pid, s.ppid);
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const [child, pp] of parent)
      if (pp === p) {
        out.push(child);
        walk(child);
      }
  };
  walk(root);
  return out;
}

/**
 * CPU seconds spent by a process tree: the process, its live descendants (long-lived `ping`s)
 * and the children it has already reaped (short `ping` bursts).
 */
export function treeCpuSeconds(pid: number): number {
  const root = statSeconds(pid);
  if (!root) return 0;
  let total = root.self + root.children;
  for (const d of descendants(pid)) {
    const s = statSeconds(d);
    if (s) total += s.self + s.children;
  }
  return total;
}

/** Resident and peak resident memory of one process, in bytes. */
export function memory(pid: number): { rss: number; peak: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  // anon: the process's own memory (heap, stacks), without the binary's pages it shares with the page cache.
  return { rss: kb('VmRSS'), peak: kb('VmHWM'), anon: kb('RssAnon') };
}
