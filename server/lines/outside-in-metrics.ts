/**
 * The outside-in checks on the server's /metrics: per center and line whether its public address
 * answers from the province (`centerwatch_outside_in_up`) and the round trip when it does; and how the
 * schedule keeps up (addresses planned, probes done, turns skipped, the worst start delay of the latest
 * interval). Never the address itself: it names a center's network.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { METRIC } from '../../common/metrics.js';
import type { OutsideIn } from './outside-in.js';

export const OUTSIDE_IN_METRIC_NAMES = [
  METRIC.outsideInUp,
  METRIC.outsideInRttSeconds,
  METRIC.outsideInAddresses,
  METRIC.outsideInProbesTotal,
  METRIC.outsideInSkippedTotal,
  METRIC.outsideInStartDelaySeconds,
] as const;

export function registerOutsideInMetrics(registry: Registry, outsideIn: () => OutsideIn | undefined): void {
  const registers = [registry];
  const labelNames = ['province', 'center', 'line'];
  new Gauge({
    name: METRIC.outsideInUp,
    help: "Whether the line's public address answered the province's latest probe (ICMP echo or a TCP connect).",
    labelNames,
    registers,
    collect() {
      this.reset();
      for (const l of outsideIn()?.read() ?? []) this.set({ province: l.province, center: l.center, line: l.line }, l.up ? 1 : 0);
    },
  });
  new Gauge({
    name: METRIC.outsideInRttSeconds,
    help: "Round trip of the province's latest probe of the line's public address (mean echo, else TCP connect), when it answered.",
    labelNames,
    registers,
    collect() {
      this.reset();
      for (const l of outsideIn()?.read() ?? [])
        if (l.rttSeconds !== undefined) this.set({ province: l.province, center: l.center, line: l.line }, l.rttSeconds);
    },
  });
  const stat = <K extends 'targets' | 'probes' | 'skipped' | 'worstStartDelaySeconds'>(k: K): number => outsideIn()?.stats()[k] ?? 0;
  new Gauge({
    name: METRIC.outsideInAddresses,
    help: 'Public addresses the outside-in checks probe each interval.',
    registers,
    collect() {
      this.set(stat('targets'));
    },
  });
  new Counter({
    name: METRIC.outsideInProbesTotal,
    help: 'Outside-in probes finished.',
    registers,
    collect() {
      this.reset();
      this.inc(stat('probes'));
    },
  });
  new Counter({
    name: METRIC.outsideInSkippedTotal,
    help: "Outside-in turns skipped because the address's previous probe was still running or waiting for a slot (raise concurrency).",
    registers,
    collect() {
      this.reset();
      this.inc(stat('skipped'));
    },
  });
  new Gauge({
    name: METRIC.outsideInStartDelaySeconds,
    help: 'Worst delay of an outside-in probe past its planned start over the latest interval (waiting for a slot, or a busy process).',
    registers,
    collect() {
      this.set(stat('worstStartDelaySeconds'));
    },
  });
}
