/**
 * A consumer's position: every seq <= low is acked, plus the seqs acked out of order above it (a live
 * lane acks the newest records while the backlog drains from the oldest). Pure.
 */
export interface Cursor {
  low: number;
  above: Set<number>;
}

/**
 * Records an ack and moves `low` over every record now contiguous with it. `nextAfter(seq)` gives the
 * seq of the record following `seq` in the WAL (undefined past the end); seqs missing from the WAL
 * (dropped, skipped as corrupt) never block the cursor.
 */
export function ackCursor(cursor: Cursor, seq: number, nextAfter: (seq: number) => number | undefined): void {
  if (seq <= cursor.low) return;
  cursor.above.add(seq);
  settle(cursor, nextAfter);
}

/** Moves `low` over the acked records contiguous with it; drops acks above the last record still held. */
export function settle(cursor: Cursor, nextAfter: (seq: number) => number | undefined): void {
  for (let next = nextAfter(cursor.low); next !== undefined && cursor.above.has(next); next = nextAfter(cursor.low)) {
    cursor.low = next;
    cursor.above.delete(next);
  }
  // Nothing left unacked between low and the end: what remains above belongs to dropped records.
  if (nextAfter(cursor.low) === undefined && cursor.above.size > 0) {
    for (const s of cursor.above) if (s > cursor.low) cursor.low = s;
    cursor.above.clear();
  }
}

/** Moves a cursor past records that no longer exist (dropped by a bound): nothing below `firstSeq` is pending. */
export function skipTo(cursor: Cursor, firstSeq: number): void {
  if (cursor.low >= firstSeq - 1) return;
  cursor.low = firstSeq - 1;
  for (const s of cursor.above) if (s <= cursor.low) cursor.above.delete(s);
}

export function isAcked(cursor: Cursor, seq: number): boolean {
  return seq <= cursor.low || cursor.above.has(seq);
}

/**
 * JSON of the cursors, acks above the low-water mark as [first, last] runs: a live lane acking every new
 * record during a long backlog drain makes one run, not one number per record.
 */
export function serializeCursors(cursors: Map<string, Cursor>): string {
  const out: Record<string, { low: number; above: [number, number][] }> = {};
  for (const [name, c] of cursors) {
    const runs: [number, number][] = [];
    for (const s of [...c.above].sort((a, b) => a - b)) {
      const last = runs.at(-1);
      if (last && s === last[1] + 1) last[1] = s;
      else runs.push([s, s]);
    }
    out[name] = { low: c.low, above: runs };
  }
  return JSON.stringify(out);
}

/** Parses a cursors file; anything unreadable yields no cursors (records are then re-sent, never lost). */
export function parseCursors(text: string): Map<string, Cursor> {
  const out = new Map<string, Cursor>();
  try {
    const raw = JSON.parse(text) as Record<string, { low?: unknown; above?: unknown }>;
    for (const [name, c] of Object.entries(raw)) {
      if (typeof c?.low !== 'number' || !Array.isArray(c.above)) continue;
      const above = new Set<number>();
      for (const run of c.above as unknown[]) {
        // Runs [first, last]; plain numbers were written by the first version of this file.
        const [first, last] = typeof run === 'number' ? [run, run] : Array.isArray(run) ? (run as unknown[]) : [];
        if (typeof first !== 'number' || typeof last !== 'number' || last - first > 1e7) continue;
        for (let s = first; s <= last; s++) above.add(s);
      }
      out.set(name, { low: c.low, above });
    }
  } catch {
    // fall through: empty
  }
  return out;
}
