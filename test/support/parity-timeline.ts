/**
 * Test-only: one scenario played through the pure engine (scenario-harness.ts, an evaluation every
 * second) and written out as a `promtool test rules` file whose input series are the same timeline
 * sampled on a grid, and whose expected alerts are the engine's, so the exported rules must fire and
 * resolve what the engine fires and resolves.
 *
 * Tolerance: Prometheus only sees the grid (one push and one rule evaluation per `gridS`), so an engine
 * transition between two grid points shows in Prometheus at the next one. The expected alerts are the
 * engine's open occurrences at each grid point, which encodes exactly "the same, at most one
 * evaluation interval later". Scenario steps must fall on the grid (agents push when a check changes).
 */
import type { Province } from './scenario-harness.js';
import { METRIC } from '../../common/metrics.js';
import { promDuration } from '../../server/export/common.js';
import { engineRuleOf } from '../../server/export/prometheus-rules.js';
import { ENGINE_ALERTS, exportedName, type EngineAlert as EngineAlertName } from '../../server/export/names.js';

/** What a step may do besides changing checks: stop or resume an agent's pushes. */
export interface Network {
  pushing(center: string, agent: string, on: boolean): void;
}

export interface Step {
  /** Seconds from the start; a multiple of the grid. */
  atS: number;
  apply(p: Province, net: Network): void;
}

export interface EngineAlert {
  /** As the exported rules name it (`CenterwatchCheckDown`). */
  alertname: string;
  labels: Record<string, string>;
  firedAtS: number;
  resolvedAtS: number | undefined;
}

export interface ParityRun {
  /** The engine's alert occurrences, in firing order. */
  alerts: EngineAlert[];
  /** The `promtool test rules` file (an object, to be written as YAML). */
  testFile: Record<string, unknown>;
}

export const ALERT_NAMES = ENGINE_ALERTS.map(exportedName);

export function playScenario(p: Province, steps: readonly Step[], endS: number, rulesFile: string, gridS = 15): ParityRun {
  for (const st of steps) if (st.atS % gridS !== 0) throw new Error(`step at ${st.atS}s is off the ${gridS}s grid`);
  const startMs = p.nowMs;
  const points = endS / gridS + 1;
  const series = new Map<string, string[]>();
  const sample = (metric: string, labels: Record<string, string | undefined>, i: number, value: string): void => {
    const clean = Object.fromEntries(Object.entries(labels).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
    const key = `${metric}{${Object.entries(clean)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(', ')}}`;
    const values = series.get(key) ?? new Array<string>(points).fill('_');
    values[i] = value;
    series.set(key, values);
  };

  // An agent pushes at every grid point while on; the engine hears it as the server's runtime does
  // (heard while now − last push < agent_silent_after), Prometheus sees its samples' timestamps.
  const off = new Set<string>();
  const lastPush = new Map(p.agents.map((a) => [`${a.center}/${a.agent}`, startMs]));
  const pushed = new Map<string, { up: boolean; degraded: boolean }>();
  const net: Network = { pushing: (center, agent, on) => void (on ? off.delete(`${center}/${agent}`) : off.add(`${center}/${agent}`)) };
  for (let s = 0; s <= endS; s++) {
    for (const st of steps) if (st.atS === s) st.apply(p, net);
    p.nowMs = startMs + s * 1000;
    const onGrid = s % gridS === 0;
    if (onGrid) for (const a of p.agents) if (!off.has(`${a.center}/${a.agent}`)) lastPush.set(`${a.center}/${a.agent}`, p.nowMs);
    for (const a of p.agents) a.heard = p.nowMs - lastPush.get(`${a.center}/${a.agent}`)! < p.cfg.agent_silent_after;
    // The engine knows a check only from its agent's pushes: what an agent switched off saw since is
    // hidden from it until it pushes again.
    const truth = p.checks.map((c) => ({ up: c.up, degraded: c.degraded }));
    p.checks.forEach((c) => {
      const key = `${c.center}/${c.agent}/${c.check}`;
      if (!onGrid || off.has(`${c.center}/${c.agent}`)) Object.assign(c, pushed.get(key) ?? {});
      pushed.set(key, { up: c.up, degraded: c.degraded });
    });
    p.evaluateNow();
    p.checks.forEach((c, k) => Object.assign(c, truth[k]));
    if (!onGrid) continue;
    // What the agents pushed at this grid point: nothing from an agent switched off.
    const i = s / gridS;
    const heard = new Set(p.agents.filter((a) => !off.has(`${a.center}/${a.agent}`)).map((a) => `${a.center}/${a.agent}`));
    for (const a of p.agents) {
      if (!heard.has(`${a.center}/${a.agent}`)) continue;
      const id = { province: a.province, center: a.center, agent: a.agent };
      sample(METRIC.agentInfo, { ...id, version: 'test' }, i, '1');
      sample(METRIC.centerInfo, { ...id, name: p.names.get(a.center) ?? a.center }, i, '1');
    }
    for (const c of p.checks) {
      if (!heard.has(`${c.center}/${c.agent}`)) continue;
      const base = { province: c.province, center: c.center, agent: c.agent, check: c.check, kind: c.kind, line: c.line };
      sample(METRIC.probeSuccess, base, i, c.up ? '1' : '0');
      sample(METRIC.probeDegraded, base, i, c.up && c.degraded ? '1' : '0');
      sample(METRIC.checkInfo, { ...base, impact: c.impact, group: c.group }, i, '1');
    }
  }

  const alerts = engineAlerts(p, startMs);
  const alertTests = [];
  for (let i = 0; i < points; i++) {
    const t = i * gridS;
    for (const name of ALERT_NAMES) {
      const open = alerts.filter((a) => a.alertname === name && a.firedAtS <= t && (a.resolvedAtS === undefined || a.resolvedAtS > t));
      alertTests.push({ eval_time: promDuration(t * 1000), alertname: name, exp_alerts: open.map((a) => ({ exp_labels: a.labels })) });
    }
  }
  const interval = promDuration(gridS * 1000);
  const testFile = {
    rule_files: [rulesFile],
    evaluation_interval: interval,
    tests: [{ interval, input_series: [...series].map(([s, v]) => ({ series: s, values: v.join(' ') })), alert_rule_test: alertTests }],
  };
  return { alerts, testFile };
}

/** Fire → resolve pairs from the engine's outputs, named and labelled as the exported rules do. */
function engineAlerts(p: Province, startMs: number): EngineAlert[] {
  const byId = new Map<string, EngineAlert>();
  for (const o of p.outputs) {
    if (o.type === 'fire') {
      const { alertname, ...labels } = o.alert.labels;
      if (alertname === 'CheckDown') {
        const c = p.checks.find((x) => x.center === o.alert.center && x.check === o.alert.check)!;
        labels.engine_rule = engineRuleOf(p.cfg, c);
      }
      byId.set(o.alert.id, { alertname: exportedName(alertname as EngineAlertName), labels, firedAtS: (o.at - startMs) / 1000, resolvedAtS: undefined });
    } else if (o.type === 'resolve') {
      const a = byId.get(o.alert.id);
      if (a) a.resolvedAtS = (o.at - startMs) / 1000;
    }
  }
  return [...byId.values()];
}
