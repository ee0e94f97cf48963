import { readFileSync } from 'node:fs';
import { bindLibc } from './libc.js';

/*
 * Starting Node touches far more of its own executable than a running agent needs: V8's and Node's
 * bootstrap, the snapshot, ICU's data, the single executable's script and code cache. Those pages stay
 * mapped, and counted in the agent's resident memory, until the kernel needs the memory back: about 25
 * MiB that nothing reads again. Once the agent has settled, it drops them from its own page tables
 * (madvise MADV_DONTNEED on read-only file mappings): they stay in the page cache, and a page that is
 * needed again is mapped back on its next use, a minor fault. Only mappings without private copies
 * (no anonymous pages in them) are touched, so nothing written is ever lost.
 */

const MADV_DONTNEED = 4;

export interface Mapping {
  start: bigint;
  end: bigint;
  perms: string;
  path: string;
  rssKib: number;
  anonymousKib: number;
}

/** The mappings of /proc/<pid>/smaps text. */
export function parseSmaps(text: string): Mapping[] {
  const out: Mapping[] = [];
  let cur: Mapping | undefined;
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      cur = { start: BigInt(`0x${head[1]}`), end: BigInt(`0x${head[2]}`), perms: head[3]!, path: head[4]!.trim(), rssKib: 0, anonymousKib: 0 };
      out.push(cur);
      continue;
    }
    const field = /^(Rss|Anonymous):\s+(\d+) kB/.exec(line);
    if (field && cur) {
      if (field[1] === 'Rss') cur.rssKib = Number(field[2]);
      else cur.anonymousKib = Number(field[2]);
    }
  }
  return out;
}

/** Mappings whose pages can be dropped and read again from their file: file-backed, read-only, no private copies. */
export function droppable(m: Mapping): boolean {
  return m.path.startsWith('/') && !m.path.endsWith(' (deleted)') && m.perms[1] === '-' && m.anonymousKib === 0 && m.rssKib > 0;
}

/** Drops this process's droppable pages; returns what they held, or undefined where it cannot (not Linux, no koffi). */
export function dropStartupPages(): { mappings: number; kib: number } | undefined {
  const c = process.platform === 'linux' ? bindLibc() : null;
  if (!c) return undefined;
  let mappings = 0;
  let kib = 0;
  for (const m of parseSmaps(readFileSync('/proc/self/smaps', 'utf8'))) {
    if (!droppable(m)) continue;
    if (c.madvise(m.start, Number(m.end - m.start), MADV_DONTNEED) !== 0) continue;
    mappings++;
    kib += m.rssKib;
  }
  return { mappings, kib };
}
