import { describe, expect, it } from 'vitest';
import type { TimeSeries } from '../common/remote-write/proto.js';
import { dropOutOfBounds } from './enforce.js';

const NOW = Date.UTC(2026, 11, 3, 9, 0, 0);
const one = (name: string, ...stamps: number[]): TimeSeries => ({
  labels: [{ name: '__name__', value: name }],
  samples: stamps.map((timestampMs, i) => ({ timestampMs, value: i })),
});

describe('dropOutOfBounds', () => {
  const lo = NOW - 73 * 3600_000;
  const hi = NOW + 600_000;

  it('returns the input itself when every sample is inside the window (edges included)', () => {
    const series = [one('a', lo, NOW), one('b', hi)];
    const r = dropOutOfBounds(series, lo, hi, NOW);
    expect(r.series).toBe(series);
    expect(r.refused).toEqual({ timestamp_future: 0, timestamp_past: 0 });
    expect(r.worstSkewMs).toBe(0);
  });

  it('drops future, past, negative, zero and NaN stamps; keeps every series in place and the good samples of each', () => {
    const y2100 = Date.UTC(2100, 0, 1);
    const series = [one('good', NOW), one('mixed', NOW - 1000, y2100, NOW), one('neg', -5), one('y2000', Date.UTC(2000, 0, 1), 0, NaN), one('after', hi + 1)];
    const r = dropOutOfBounds(series, lo, hi, NOW);
    expect(r.series.map((s) => [s.labels[0]!.value, s.samples.map((x) => x.timestampMs)])).toEqual([
      ['good', [NOW]],
      ['mixed', [NOW - 1000, NOW]],
      ['neg', []],
      ['y2000', []],
      ['after', []],
    ]);
    expect(r.series[0]).toBe(series[0]);
    expect(r.refused).toEqual({ timestamp_future: 2, timestamp_past: 4 });
    expect(r.worstSkewMs).toBe(y2100 - NOW);
    // The input is not changed.
    expect(series[1]!.samples).toHaveLength(3);
  });

  it('reports a past skew as negative', () => {
    expect(dropOutOfBounds([one('old', lo - 5000)], lo, hi, NOW).worstSkewMs).toBe(lo - 5000 - NOW);
  });
});
