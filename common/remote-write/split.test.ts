import { describe, expect, it } from 'vitest';
import { encodeWriteRequest, type TimeSeries } from './proto.js';
import type { SendOutcome } from './sender.js';
import { snappyCompress } from './snappy.js';
import { decodeRecord, deliverSplit, MAX_SPLIT_DEPTH, splitBudget } from './split.js';

const ts = (i: number, bad = false): TimeSeries => ({
  labels: [{ name: '__name__', value: `m${i}` }, ...(bad ? [{ name: 'bad', value: '1' }] : [])],
  samples: [{ timestampMs: 1000 + i, value: i }],
});

/** A target that refuses (400) any request holding a series labelled bad, as Prometheus does. */
function refusing(): { send: (body: Uint8Array) => Promise<SendOutcome>; requests: number; delivered: string[] } {
  const t = {
    requests: 0,
    delivered: [] as string[],
    send: async (body: Uint8Array): Promise<SendOutcome> => {
      t.requests++;
      const series = decodeRecord(body)!;
      if (series.some((s) => s.labels.some((l) => l.name === 'bad'))) return { kind: 'rejected', status: 400, detail: 'out of order sample' };
      t.delivered.push(...series.map((s) => s.labels[0]!.value));
      return { kind: 'sent', status: 204 };
    },
  };
  return t;
}

describe('deliverSplit', () => {
  it('delivers every good series and refuses only the bad ones', async () => {
    const series = Array.from({ length: 100 }, (_, i) => ts(i, i === 17 || i === 80));
    const target = refusing();
    const r = await deliverSplit(series, 'out of order sample', target.send);
    expect(r).toMatchObject({
      kind: 'done',
      sentSeries: 98,
      sentSamples: 98,
      refusedSeries: 2,
      refusedSamples: 2,
      sentMaxTimestampMs: 1099,
      reasons: ['out of order sample'],
    });
    expect(target.delivered.sort()).toEqual(
      series
        .filter((_, i) => i !== 17 && i !== 80)
        .map((s) => s.labels[0]!.value)
        .sort(),
    );
  });

  it('costs O(k log n) requests: k bad series among n take at most 2k·⌈log2 n⌉', async () => {
    for (const [n, bad] of [
      [1024, [5]],
      [1024, [0, 1023]],
      [1000, [1, 300, 301, 999]],
      [3, [2]],
    ] as Array<[number, number[]]>) {
      const target = refusing();
      const r = await deliverSplit(
        Array.from({ length: n }, (_, i) => ts(i, bad.includes(i))),
        'x',
        target.send,
      );
      expect(r).toMatchObject({ kind: 'done', refusedSeries: bad.length, sentSeries: n - bad.length });
      expect(target.requests).toBeLessThanOrEqual(2 * bad.length * Math.ceil(Math.log2(n)));
    }
  });

  it('an upstream refusing everything costs at most the budget; what is left is refused unsent', async () => {
    const n = 500;
    let requests = 0;
    const r = await deliverSplit(
      Array.from({ length: n }, (_, i) => ts(i)),
      'x',
      async () => (requests++, { kind: 'rejected', status: 400, detail: 'nope' }),
    );
    expect(requests).toBe(splitBudget(n));
    expect(r).toMatchObject({ kind: 'done', sentSeries: 0, refusedSeries: n, reasons: ['nope', 'split budget exhausted'] });
  });

  it('halving stops at the depth cap (default MAX_SPLIT_DEPTH: 2^16 series)', async () => {
    expect(MAX_SPLIT_DEPTH).toBe(16);
    const n = 16;
    let smallest = n;
    const r = await deliverSplit(
      Array.from({ length: n }, (_, i) => ts(i, i === 0)),
      'x',
      async (body) => {
        const s = decodeRecord(body)!;
        smallest = Math.min(smallest, s.length);
        return s[0]!.labels.length > 1 ? { kind: 'rejected', status: 400, detail: 'bad' } : { kind: 'sent', status: 204 };
      },
      { maxDepth: 3 },
    );
    expect(smallest).toBe(2);
    expect(r).toMatchObject({ kind: 'done', refusedSeries: 2, sentSeries: n - 2 });
  });

  it('a retry outcome mid-way stops at once and says so (the record stays queued)', async () => {
    let requests = 0;
    const r = await deliverSplit(
      Array.from({ length: 8 }, (_, i) => ts(i, i === 7)),
      'x',
      async () => (++requests === 2 ? { kind: 'retry', reason: 'refused' } : { kind: 'sent', status: 204 }),
    );
    expect(r).toEqual({ kind: 'retry', outcome: { kind: 'retry', reason: 'refused' }, requests: 2 });
  });

  it('another 4xx for a part drops that part without splitting it', async () => {
    let requests = 0;
    const r = await deliverSplit(
      Array.from({ length: 8 }, (_, i) => ts(i)),
      'x',
      async () => (++requests, { kind: 'rejected', status: 403, detail: 'forbidden' }),
    );
    expect(requests).toBe(2);
    expect(r).toMatchObject({ kind: 'done', refusedSeries: 8, reasons: ['forbidden'] });
  });
});

describe('decodeRecord', () => {
  it('reads back what was queued; undefined for bytes that are not a snappy WriteRequest', () => {
    const series = [ts(1), ts(2, true)];
    expect(decodeRecord(snappyCompress(encodeWriteRequest(series)))).toEqual(series);
    expect(decodeRecord(Buffer.from([1, 2, 3]))).toBeUndefined();
  });
});
