import { describe, expect, it } from 'vitest';
import { ackCursor, isAcked, parseCursors, serializeCursors, skipTo, type Cursor } from './cursor.js';

/** Records held: 1..10 and 20..25 (11..19 were dropped by a bound). */
const held = [...Array.from({ length: 10 }, (_, i) => i + 1), 20, 21, 22, 23, 24, 25];
const nextAfter = (seq: number) => held.find((s) => s > seq);
const fresh = (): Cursor => ({ low: 0, above: new Set() });

describe('wal cursor', () => {
  it('keeps out-of-order acks above the low-water mark and folds them in when the gap closes', () => {
    const c = fresh();
    for (const s of [3, 4, 2]) ackCursor(c, s, nextAfter);
    expect(c).toEqual({ low: 0, above: new Set([2, 3, 4]) });
    expect(isAcked(c, 1)).toBe(false);
    expect(isAcked(c, 3)).toBe(true);
    ackCursor(c, 1, nextAfter);
    expect(c).toEqual({ low: 4, above: new Set() });
  });

  it('steps over seqs the WAL no longer holds', () => {
    const c = fresh();
    for (let s = 1; s <= 10; s++) ackCursor(c, s, nextAfter);
    ackCursor(c, 20, nextAfter);
    expect(c.low).toBe(20);
    skipTo(c, 23);
    expect(c.low).toBe(22);
    ackCursor(c, 22, nextAfter); // already below: no effect
    expect(c).toEqual({ low: 22, above: new Set() });
  });

  it('saves acks above the mark as runs and reads them back, also the older one-number-per-ack form', () => {
    const c: Cursor = { low: 5, above: new Set([7, 8, 9, 10, 12, 20, 21]) };
    const text = serializeCursors(new Map([['server', c]]));
    expect(JSON.parse(text)).toEqual({
      server: {
        low: 5,
        above: [
          [7, 10],
          [12, 12],
          [20, 21],
        ],
      },
    });
    expect(parseCursors(text).get('server')).toEqual(c);
    expect(parseCursors('{"a":{"low":3,"above":[5,6]}}').get('a')).toEqual({ low: 3, above: new Set([5, 6]) });
  });

  it('reads a damaged file as no cursors at all', () => {
    for (const bad of ['', '{', 'null', '[]', '{"a":{"low":"x","above":[]}}', '{"a":{"low":1}}']) {
      expect(parseCursors(bad).get('a'), bad).toBeUndefined();
    }
  });
});
