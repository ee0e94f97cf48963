import { isAcked, type Cursor } from './cursor.js';
import type { SegmentIndex } from './segment-index.js';

/** Pure decisions of the size and age bounds over the index and the cursors. */

export function ackedByAll(cursors: Iterable<Cursor>, seq: number): boolean {
  for (const c of cursors) if (!isAcked(c, seq)) return false;
  return true;
}

/** Whether every consumer has acked every record of `seg` (looks only from each low-water mark on). */
export function segmentAckedByAll(seg: SegmentIndex, cursors: Iterable<Cursor>): boolean {
  for (const c of cursors) {
    for (let i = seg.firstAbove(c.low); i < seg.length; i++) if (!c.above.has(seg.seqAt(i))) return false;
  }
  return true;
}

/** Records of `seg` some consumer has not acked: what dropping it loses. */
export function unsentIn(seg: SegmentIndex, cursors: readonly Cursor[]): { records: number; samples: number } {
  let records = 0;
  let samples = 0;
  for (let i = 0; i < seg.length; i++) {
    if (ackedByAll(cursors, seg.seqAt(i))) continue;
    records++;
    samples += seg.samplesAt(i);
  }
  return { records, samples };
}

/**
 * The leading records (in seq order, from the lowest cursor) whose newest sample is older than `cutoff`:
 * the last such seq and what of them is still unsent. Stops at the first record young enough, so a late
 * record with old timestamps behind a young one waits for the size bound instead.
 */
export function expiredPrefix(
  segments: readonly SegmentIndex[],
  cursors: readonly Cursor[],
  cutoff: number,
): { lastSeq: number; records: number; samples: number } | undefined {
  const low = Math.min(...cursors.map((c) => c.low));
  let lastSeq: number | undefined;
  let records = 0;
  let samples = 0;
  for (const seg of segments) {
    if (seg.length === 0 || seg.lastSeq()! <= low) continue;
    for (let i = seg.firstAbove(low); i < seg.length; i++) {
      if (seg.maxTimestampAt(i) >= cutoff) return lastSeq === undefined ? undefined : { lastSeq, records, samples };
      lastSeq = seg.seqAt(i);
      if (!ackedByAll(cursors, lastSeq)) {
        records++;
        samples += seg.samplesAt(i);
      }
    }
  }
  return lastSeq === undefined ? undefined : { lastSeq, records, samples };
}
