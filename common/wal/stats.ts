import { isAcked, type Cursor } from './cursor.js';
import type { SegmentIndex } from './segment-index.js';

/** Records and samples `cursor` has not acked. O(segments + acks held above the low-water mark). */
export function backlogOf(segments: readonly SegmentIndex[], cursor: Cursor): { records: number; samples: number } {
  let records = 0;
  let samples = 0;
  for (const seg of segments) {
    const i = seg.firstAbove(cursor.low);
    records += seg.length - i;
    samples += seg.samplesFrom(i);
  }
  for (const seq of cursor.above) {
    const at = locate(segments, seq);
    if (!at) continue;
    records--;
    samples -= at.seg.samplesAt(at.i);
  }
  return { records, samples };
}

/**
 * Oldest sample timestamp among records some consumer still has to send: from the first record not
 * acked by everyone, the minimum over the rest of its segment and the later segments' minima (a later
 * record acked by all but still on disk may count: an approximation that errs towards older).
 */
export function oldestPending(segments: readonly SegmentIndex[], cursors: readonly Cursor[]): number | undefined {
  const low = Math.min(...cursors.map((c) => c.low));
  let oldest: number | undefined;
  let found = false;
  for (const seg of segments) {
    if (found) {
      if (seg.length > 0 && (oldest === undefined || seg.minTimestampMs < oldest)) oldest = seg.minTimestampMs;
      continue;
    }
    for (let i = seg.firstAbove(low); i < seg.length; i++) {
      const seq = seg.seqAt(i);
      if (!found && cursors.every((c) => isAcked(c, seq))) continue;
      found = true;
      const ts = seg.minTimestampAt(i);
      if (oldest === undefined || ts < oldest) oldest = ts;
    }
  }
  return oldest;
}

/** The segment and position of record `seq`, if it is still held. */
export function locate(segments: readonly SegmentIndex[], seq: number): { seg: SegmentIndex; i: number } | undefined {
  let lo = 0;
  let hi = segments.length;
  // Last segment whose first seq is <= seq.
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (segments[mid]!.firstSeq <= seq) lo = mid + 1;
    else hi = mid;
  }
  for (let s = lo - 1; s >= 0 && s >= lo - 2; s--) {
    const seg = segments[s]!;
    const i = seg.indexOf(seq);
    if (i >= 0) return { seg, i };
  }
  return undefined;
}

/** The seq of the record after `seq` still held, or undefined. */
export function nextAfter(segments: readonly SegmentIndex[], seq: number): number | undefined {
  for (const seg of segments) {
    if (seg.length === 0 || seg.lastSeq()! <= seq) continue;
    return seg.seqAt(seg.firstAbove(seq));
  }
  return undefined;
}
