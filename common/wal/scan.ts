import { checkFrame, frameSeq, HEADER_BYTES } from './frame.js';
import { SegmentIndex } from './segment-index.js';

/** Why a scan stopped before the end of a segment, and where. */
export interface ScanProblem {
  offset: number;
  why: string;
}

export interface ScanResult {
  index: SegmentIndex;
  /** Set when the segment holds bytes after its last valid record: a torn tail or corruption. */
  problem: ScanProblem | undefined;
}

/**
 * Indexes a segment's bytes, stopping at the first frame that is torn, fails its checksum, or does not
 * continue the seq order (`afterSeq` is the last seq of the segments before). Pure and never throws:
 * what to do with the bytes after the stop (cut them, skip them) is the caller's choice.
 */
export function scanSegment(buf: Buffer, firstSeq: number, file: string, afterSeq: number): ScanResult {
  const index = new SegmentIndex(firstSeq, file);
  let offset = 0;
  let prev = afterSeq;
  for (;;) {
    const next = checkFrame(buf, offset);
    if (next === -1) return { index, problem: undefined };
    if (typeof next === 'string') return { index, problem: { offset, why: next } };
    const seq = frameSeq(buf, offset);
    if (seq <= prev) return { index, problem: { offset, why: 'seq out of order' } };
    index.pushRaw(
      seq,
      offset + HEADER_BYTES,
      next - offset - HEADER_BYTES,
      buf.readUInt32LE(offset + 14),
      buf.readDoubleLE(offset + 18),
      buf.readDoubleLE(offset + 26),
    );
    index.bytes = next;
    prev = seq;
    offset = next;
  }
}
