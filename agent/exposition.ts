import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CHECK_LABELS, METRIC } from '../common/metrics.js';
import { PHASES, REASONS, type MetricSpec, type ProbeDefinition, type ProbeResult } from './probes/types.js';

/** What exposition needs of a check. */
export interface ExposedCheck {
  id: string;
  kind: string;
  line?: string | undefined;
  impact: string;
  group?: string | undefined;
  labels: Record<string, string>;
  /** Display name and line description, carried by `centerwatch_check_info` so messages can use names. */
  description?: string | undefined;
  lineDescription?: string | undefined;
}

type Labels = Record<string, string>;
type AnyMetric = Gauge<string> | Counter<string> | Histogram<string>;

/**
 * The agent's metrics on an explicit registry. Label names are fixed at construction: the check
 * labels, then the union of the checks' own static label names (empty where a check has none).
 * Gauges a run did not report are removed, so a failed HTTP check has no stale status code.
 */
export class AgentMetrics {
  readonly registry: Registry;
  private readonly extraLabels: string[];
  private readonly base: string[];
  private readonly success: Gauge<string>;
  private readonly degraded: Gauge<string>;
  private readonly duration: Gauge<string>;
  private readonly reason: Gauge<string>;
  private readonly phase: Gauge<string>;
  private readonly runs: Counter<string>;
  private readonly skipped: Counter<string>;
  private readonly abandoned: Counter<string>;
  private readonly kindMetrics = new Map<string, Map<string, { spec: MetricSpec; metric: AnyMetric }>>();
  private readonly byName = new Map<string, AnyMetric>();
  /** Per check, the gauge series written by its last run: `metricName\0labelsJson`. */
  private readonly written = new Map<string, Map<string, { metric: Gauge<string>; labels: Labels }>>();

  constructor(checks: readonly ExposedCheck[], probes: Record<string, ProbeDefinition>, registry = new Registry()) {
    this.registry = registry;
    this.extraLabels = [...new Set(checks.flatMap((c) => Object.keys(c.labels)))].sort();
    this.base = [...CHECK_LABELS, ...this.extraLabels];
    const reg = [registry];
    const gauge = (name: string, help: string, labelNames: string[]) => new Gauge({ name, help, labelNames, registers: reg });
    this.success = gauge(METRIC.probeSuccess, 'Whether the last run of the check succeeded (1) or failed (0).', this.base);
    this.degraded = gauge(METRIC.probeDegraded, 'Whether the last run succeeded but broke a degraded threshold.', this.base);
    this.duration = gauge(METRIC.probeDurationSeconds, 'Duration of the last run.', this.base);
    this.reason = gauge(METRIC.probeReason, 'Reason of the last result (1 for the current reason only).', [...this.base, 'reason']);
    this.phase = gauge(METRIC.probePhaseSeconds, 'Duration of each phase of the last run.', [...this.base, 'phase']);
    this.runs = new Counter({ name: METRIC.probeRunsTotal, help: 'Runs of the check by result.', labelNames: [...this.base, 'result'], registers: reg });
    this.skipped = new Counter({
      name: METRIC.probeSkippedTotal,
      help: 'Runs skipped because the previous run was still in flight.',
      labelNames: this.base,
      registers: reg,
    });
    this.abandoned = new Counter({
      name: METRIC.probeAbandonedTotal,
      help: 'Runs given up on at the hard deadline because the probe did not return.',
      labelNames: this.base,
      registers: reg,
    });
    const info = gauge(METRIC.checkInfo, 'Static facts about each configured check.', [...CHECK_LABELS, 'impact', 'group', 'description', 'line_description']);
    for (const c of checks) {
      const names = { ...(c.description ? { description: c.description } : {}), ...(c.lineDescription ? { line_description: c.lineDescription } : {}) };
      info.set({ check: c.id, kind: c.kind, line: c.line ?? '', impact: c.impact, group: c.group ?? '', ...names }, 1);
      for (const r of ['success', 'failure']) this.runs.inc({ ...this.labelsOf(c), result: r }, 0);
      this.skipped.inc(this.labelsOf(c), 0);
    }
    for (const kind of new Set(checks.map((c) => c.kind))) {
      const def = probes[kind];
      if (def) this.kindMetrics.set(kind, this.register(def.metrics));
    }
  }

  private register(specs: Record<string, MetricSpec>): Map<string, { spec: MetricSpec; metric: AnyMetric }> {
    const out = new Map<string, { spec: MetricSpec; metric: AnyMetric }>();
    for (const [key, spec] of Object.entries(specs)) {
      let metric = this.byName.get(spec.name);
      if (!metric) {
        const opts = { name: spec.name, help: spec.help, labelNames: [...this.base, ...(spec.labels ?? [])], registers: [this.registry] };
        metric =
          spec.type === 'gauge'
            ? new Gauge(opts)
            : spec.type === 'counter'
              ? new Counter(opts)
              : new Histogram({ ...opts, buckets: [...(spec.buckets ?? [])] });
        this.byName.set(spec.name, metric);
      }
      out.set(key, { spec, metric });
    }
    return out;
  }

  labelsOf(c: ExposedCheck): Labels {
    const labels: Labels = { check: c.id, kind: c.kind, line: c.line ?? '' };
    for (const name of this.extraLabels) labels[name] = c.labels[name] ?? '';
    return labels;
  }

  record(c: ExposedCheck, result: ProbeResult, durationSeconds: number): void {
    const labels = this.labelsOf(c);
    const now = new Map<string, { metric: Gauge<string>; labels: Labels }>();
    const setGauge = (metric: Gauge<string>, l: Labels, value: number): void => {
      metric.set(l, value);
      now.set(`${(metric as unknown as { name: string }).name}\0${JSON.stringify(l)}`, { metric, labels: l });
    };
    setGauge(this.success, labels, result.up ? 1 : 0);
    setGauge(this.degraded, labels, result.up && result.degraded ? 1 : 0);
    setGauge(this.duration, labels, durationSeconds);
    setGauge(this.reason, { ...labels, reason: REASONS.includes(result.reason) ? result.reason : 'internal_error' }, 1);
    for (const p of PHASES) {
      const v = result.phases?.[p];
      if (v !== undefined) setGauge(this.phase, { ...labels, phase: p }, v);
    }
    const specs = this.kindMetrics.get(c.kind);
    for (const o of result.observations ?? []) {
      const entry = specs?.get(o.metric);
      if (!entry || !Number.isFinite(o.value)) continue;
      const l = { ...labels, ...pick(o.labels, entry.spec.labels) };
      if (entry.spec.type === 'gauge') setGauge(entry.metric as Gauge<string>, l, o.value);
      else if (entry.spec.type === 'counter') (entry.metric as Counter<string>).inc(l, Math.max(0, o.value));
      else (entry.metric as Histogram<string>).observe(l, o.value);
    }
    this.runs.inc({ ...labels, result: result.up ? 'success' : 'failure' });
    const before = this.written.get(c.id);
    if (before) for (const [key, { metric, labels: l }] of before) if (!now.has(key)) metric.remove(l);
    this.written.set(c.id, now);
  }

  skip(c: ExposedCheck): void {
    this.skipped.inc(this.labelsOf(c));
  }

  abandon(c: ExposedCheck): void {
    this.abandoned.inc(this.labelsOf(c));
  }
}

/** Keeps only the declared extra labels, each present (empty when the probe did not give it). */
function pick(given: Labels | undefined, names: readonly string[] | undefined): Labels {
  const out: Labels = {};
  for (const n of names ?? []) out[n] = given?.[n] ?? '';
  return out;
}
