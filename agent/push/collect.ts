import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { TimeSeries } from '../../common/remote-write/proto.js';

type Metric = MetricObjectWithValues<MetricValue<string>>;

/**
 * The registry's metrics as remote_write series, all stamped with one timestamp (one push = one
 * scrape). Histogram entries arrive from prom-client as `_bucket`/`_sum`/`_count` values carrying their
 * own `metricName`. Labels are sorted by name, as remote_write 1.0 requires of senders. Pure.
 */
export function toSeries(metrics: readonly Metric[], timestampMs: number): TimeSeries[] {
  const out: TimeSeries[] = [];
  for (const m of metrics) {
    for (const v of m.values) {
      const name = (v as { metricName?: string }).metricName ?? m.name;
      const labels = [{ name: '__name__', value: name }];
      for (const [k, val] of Object.entries(v.labels)) if (val !== undefined) labels.push({ name: k, value: String(val) });
      labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      out.push({ labels, samples: [{ value: v.value, timestampMs }] });
    }
  }
  return out;
}
