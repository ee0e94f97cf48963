/**
 * The engine's fleet gauges on the server's /metrics: readiness of every center (a state set: 1 for
 * the current state, 0 for the others), firing alerts by severity, messages by channel and result.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { METRIC } from '../common/metrics.js';
import type { EngineRuntime } from './engine/runtime.js';
import { CHANNELS, type Channel } from './notifiers/index.js';
import type { DeliveryOutcome } from './delivery.js';

const STATES = ['ready', 'degraded', 'blocked', 'offline'] as const;
const SEVERITIES = ['critical', 'warning', 'info'] as const;

export function registerEngineMetrics(registry: Registry, engine: () => EngineRuntime | undefined): (channel: Channel, result: DeliveryOutcome) => void {
  const registers = [registry];
  new Gauge({
    name: METRIC.centerReadiness,
    help: 'Readiness of each center: 1 for its current state, 0 for the others.',
    labelNames: ['province', 'center', 'state'],
    registers,
    collect() {
      this.reset();
      for (const [center, c] of engine()?.state.centers ?? []) for (const state of STATES) this.set({ province: c.province, center, state }, c.settled.state === state ? 1 : 0);
    },
  });
  new Gauge({
    name: METRIC.alertsFiring,
    help: 'Alerts firing now, by severity (announced, suppressed, silenced or held alike).',
    labelNames: ['severity'],
    registers,
    collect() {
      const counts = new Map<string, number>(SEVERITIES.map((s) => [s, 0]));
      for (const t of engine()?.state.tracked.values() ?? []) if (t.occurrence) counts.set(t.occurrence.severity, (counts.get(t.occurrence.severity) ?? 0) + 1);
      for (const [severity, n] of counts) this.set({ severity }, n);
    },
  });
  new Gauge({
    name: METRIC.engineEvaluationSeconds,
    help: 'Duration of the last evaluation of the fleet.',
    registers,
    collect() {
      this.set((engine()?.lastEvaluationMs ?? 0) / 1000);
    },
  });
  const sent = new Counter({ name: METRIC.notificationsTotal, help: 'Delivery attempts by channel and result (sent, retry, failed).', labelNames: ['channel', 'result'], registers });
  for (const channel of CHANNELS) for (const result of ['sent', 'retry', 'failed']) sent.inc({ channel, result }, 0);
  return (channel, result) => sent.inc({ channel, result });
}
