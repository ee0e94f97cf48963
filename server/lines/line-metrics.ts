/**
 * Which line each center is on, on the server's /metrics: `centerwatch_center_line_info` is 1 for the
 * line its pushes come from (`line="unknown"` when the address matches none of its lines' public
 * addresses) and `centerwatch_center_line_since_timestamp_seconds` when it moved there. Centers whose
 * inventory lines list no public address have neither.
 */
import { Gauge, type Registry } from 'prom-client';
import { METRIC } from '../../common/metrics.js';
import type { LineInUse } from './line-in-use.js';

export const LINE_METRIC_NAMES = [METRIC.centerLineInfo, METRIC.centerLineSinceTimestampSeconds] as const;

export function registerLineMetrics(registry: Registry, lines: () => LineInUse | undefined): void {
  const registers = [registry];
  new Gauge({
    name: METRIC.centerLineInfo,
    help: "The line each center's pushes come from (1), by its lines' public addresses in the inventory.",
    labelNames: ['province', 'center', 'line', 'kind', 'isp'],
    registers,
    collect() {
      this.reset();
      for (const l of lines()?.read().values() ?? [])
        this.set({ province: l.province, center: l.center, line: l.name, kind: l.kind ?? '', isp: l.isp ?? '' }, 1);
    },
  });
  new Gauge({
    name: METRIC.centerLineSinceTimestampSeconds,
    help: "When each center's pushes started to come from the line they come from now (since the server started at the earliest).",
    labelNames: ['province', 'center'],
    registers,
    collect() {
      this.reset();
      for (const l of lines()?.read().values() ?? []) this.set({ province: l.province, center: l.center }, l.sinceMs / 1000);
    },
  });
}
