import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { toSeries } from './collect.js';
import type { TimeSeries } from '../../common/remote-write/proto.js';

/** `name{a="b",…}` → value, for readable assertions. */
function flat(series: TimeSeries[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of series) {
    const name = s.labels.find((l) => l.name === '__name__')!.value;
    const rest = s.labels.filter((l) => l.name !== '__name__').map((l) => `${l.name}="${l.value}"`);
    out[`${name}{${rest.join(',')}}`] = s.samples[0]!.value;
  }
  return out;
}

/** A hand-made gauge entry as getMetricsAsJSON returns it (for label shapes a registry will not produce). */
function gauge(labels: Record<string, string | undefined>): Parameters<typeof toSeries>[0][number] {
  return { name: 'm', help: '', type: 'gauge', aggregator: 'sum', values: [{ value: 1, labels }] } as unknown as Parameters<typeof toSeries>[0][number];
}

describe('toSeries', () => {
  it('turns counters, gauges and histograms into series stamped with one timestamp', async () => {
    const registry = new Registry();
    const registers = [registry];
    new Counter({ name: 'c_total', help: 'c', labelNames: ['check'], registers }).inc({ check: 'x' }, 3);
    new Gauge({ name: 'g', help: 'g', registers }).set(-1.5);
    const h = new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['check'], buckets: [0.1, 1], registers });
    h.observe({ check: 'y' }, 0.05);
    h.observe({ check: 'y' }, 0.5);
    h.observe({ check: 'y' }, 5);

    const series = toSeries(await registry.getMetricsAsJSON(), 1_700_000_000_123);

    expect(flat(series)).toEqual({
      'c_total{check="x"}': 3,
      'g{}': -1.5,
      'h_seconds_bucket{check="y",le="0.1"}': 1,
      'h_seconds_bucket{check="y",le="1"}': 2,
      'h_seconds_bucket{check="y",le="+Inf"}': 3,
      'h_seconds_sum{check="y"}': 5.55,
      'h_seconds_count{check="y"}': 3,
    });
    expect(new Set(series.flatMap((s) => s.samples.map((x) => x.timestampMs)))).toEqual(new Set([1_700_000_000_123]));
    expect(series.every((s) => s.samples.length === 1)).toBe(true);
  });

  it('sorts label names (remote_write 1.0), upper case before __name__', () => {
    const series = toSeries([gauge({ z: '1', B: '2', a: '3' })], 5);
    expect(series[0]!.labels.map((l) => l.name)).toEqual(['B', '__name__', 'a', 'z']);
  });

  it('gives no series for an empty registry and none for a metric without values', async () => {
    const registry = new Registry();
    expect(toSeries(await registry.getMetricsAsJSON(), 1)).toEqual([]);
    new Gauge({ name: 'labelled', help: 'never set', labelNames: ['a'], registers: [registry] });
    expect(toSeries(await registry.getMetricsAsJSON(), 1)).toEqual([]);
  });

  it('drops undefined label values instead of sending the string "undefined"', () => {
    const series = toSeries([gauge({ a: 'x', b: undefined })], 5);
    expect(series).toEqual([
      {
        labels: [
          { name: '__name__', value: 'm' },
          { name: 'a', value: 'x' },
        ],
        samples: [{ value: 1, timestampMs: 5 }],
      },
    ]);
  });
});
