import type { QueuedRecord } from './shipper.js';
import { snappyCompress, snappyUncompress } from './snappy.js';

/**
 * Several queued records as one request. A WriteRequest is one repeated field, so the concatenation
 * of encoded requests is the request holding all their series; records go in queue order, so a
 * series' samples stay in time order within the request. undefined when a record cannot be read
 * (then each is sent alone, and the one at fault is found as usual).
 */
export function mergeRecords(records: readonly QueuedRecord[], maxBytes: number): QueuedRecord | undefined {
  const parts: Buffer[] = [];
  for (const r of records) {
    const raw = snappyUncompress(Buffer.from(r.payload.buffer, r.payload.byteOffset, r.payload.byteLength), maxBytes);
    if (!raw.ok) return undefined;
    parts.push(raw.body);
  }
  return {
    seq: records[records.length - 1]!.seq,
    payload: snappyCompress(Buffer.concat(parts)),
    samples: records.reduce((n, r) => n + r.samples, 0),
    minTimestampMs: Math.min(...records.map((r) => r.minTimestampMs)),
    maxTimestampMs: Math.max(...records.map((r) => r.maxTimestampMs)),
  };
}
