import { describe, expect, it } from 'vitest';
import { encodeFrame, HEADER_BYTES, readFrame } from './frame.js';

const meta = { seq: 2 ** 40 + 7, samples: 123, minTimestampMs: 1_764_000_000_123, maxTimestampMs: 1_764_000_015_456 };

describe('wal frame', () => {
  it('round-trips header fields and payload, back to back', () => {
    const p1 = Buffer.from('first payload');
    const p2 = Buffer.alloc(0);
    const buf = Buffer.concat([encodeFrame(meta, p1), encodeFrame({ ...meta, seq: meta.seq + 1 }, p2)]);
    const a = readFrame(buf, 0);
    expect(a.kind).toBe('record');
    if (a.kind !== 'record') return;
    expect(a.meta).toEqual(meta);
    expect(buf.subarray(a.payloadOffset, a.payloadOffset + a.payloadLength)).toEqual(p1);
    const b = readFrame(buf, a.next);
    expect(b).toMatchObject({ kind: 'record', meta: { seq: meta.seq + 1 }, payloadLength: 0, next: buf.length });
    expect(readFrame(buf, buf.length)).toEqual({ kind: 'end' });
  });

  it('reports every truncation as corrupt, never as a record and never by throwing', () => {
    const frame = encodeFrame(meta, Buffer.alloc(300, 9));
    for (let cut = 1; cut < frame.length; cut++) {
      const r = readFrame(frame.subarray(0, cut), 0);
      expect(r.kind, `cut at ${cut}`).toBe('corrupt');
      if (r.kind === 'corrupt') expect(r.why).toBe(cut < HEADER_BYTES ? 'torn header' : 'torn payload');
    }
  });

  it('catches a flipped bit anywhere in the frame', () => {
    const frame = encodeFrame(meta, Buffer.alloc(64, 1));
    for (let byte = 0; byte < frame.length; byte++) {
      const bad = Buffer.from(frame);
      bad[byte] = bad[byte]! ^ 0x10;
      expect(readFrame(bad, 0).kind, `byte ${byte}`).toBe('corrupt');
    }
  });

  it('reads zeros (a power cut that extended the file without its data) as corrupt', () => {
    expect(readFrame(Buffer.alloc(4096), 0)).toEqual({ kind: 'corrupt', why: 'checksum mismatch' });
  });
});
