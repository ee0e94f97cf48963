/**
 * The engine's fleet gauges on the server's /metrics: readiness of every center (a state set: 1 for
 * the current state, 0 for the others), firing alerts by severity, messages by channel and result.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { METRIC } from '../common/metrics.js';
import type { EngineRuntime } from './engine/runtime.js';
import { CHANNELS, type Channel } from './notifiers/index.js';
import type { DeliveryOutcome } from './notifiers/delivery.js';

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
      for (const [center, c] of engine()?.state.centers ?? [])
        for (const state of STATES) this.set({ province: c.province, center, state }, c.settled.state === state ? 1 : 0);
    },
  });
  new Gauge({
    name: METRIC.alertsFiring,
    help: 'Alerts firing now, by province and severity (announced, suppressed, silenced or held alike).',
    labelNames: ['province', 'severity'],
    registers,
    collect() {
      // Every province with a center, every severity, from 0: a dashboard filtered by province shows a 0, not "no data".
      const state = engine()?.state;
      const counts = new Map<string, { province: string; severity: string; n: number }>();
      const at = (province: string, severity: string) =>
        counts.get(`${province}\0${severity}`) ?? counts.set(`${province}\0${severity}`, { province, severity, n: 0 }).get(`${province}\0${severity}`)!;
      for (const c of state?.centers.values() ?? []) for (const s of SEVERITIES) at(c.province, s);
      for (const t of state?.tracked.values() ?? []) if (t.occurrence) at(t.province, t.occurrence.severity).n++;
      this.reset();
      for (const { province, severity, n } of counts.values()) this.set({ province, severity }, n);
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
  const sent = new Counter({
    name: METRIC.notificationsTotal,
    help: 'Delivery attempts by channel and result (sent, retry, failed).',
    labelNames: ['channel', 'result'],
    registers,
  });
  for (const channel of CHANNELS) for (const result of ['sent', 'retry', 'failed']) sent.inc({ channel, result }, 0);
  return (channel, result) => sent.inc({ channel, result });
}
