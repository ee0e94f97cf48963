/**
 * Just enough PromQL reading to check dashboards against common/metrics.ts and a real Prometheus:
 * the queries of every panel and variable, the metric names a query reads, and a query with the
 * dashboard variables replaced by concrete values.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { METRIC } from '../common/metrics.js';

export interface PanelQuery {
  panel: string;
  expr: string;
}

/** Every PromQL target of the dashboard, rows' panels included, labelled by panel title. */
export function panelQueries(d: dashboard.Dashboard): PanelQuery[] {
  const out: PanelQuery[] = [];
  const visit = (p: dashboard.Panel | dashboard.RowPanel): void => {
    if (p.type === 'row') return void (p as dashboard.RowPanel).panels.forEach(visit);
    for (const t of (p as dashboard.Panel).targets ?? []) {
      const expr = (t as { expr?: string }).expr;
      if (expr) out.push({ panel: p.title ?? '', expr });
    }
  };
  (d.panels ?? []).forEach(visit);
  return out;
}

export interface LabelValuesQuery {
  variable: string;
  selector: string;
  label: string;
}

/** The `label_values(selector, label)` queries of the dashboard's query variables. */
export function variableQueries(d: dashboard.Dashboard): LabelValuesQuery[] {
  const out: LabelValuesQuery[] = [];
  for (const v of d.templating?.list ?? []) {
    if (v.type !== dashboard.VariableType.Query) continue;
    const text = typeof v.query === 'string' ? v.query : String((v.query as { query?: string })?.query ?? '');
    const m = /^label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/s.exec(text.trim());
    if (!m) throw new Error(`variable ${v.name}: not a label_values(selector, label) query: ${text}`);
    out.push({ variable: v.name, selector: m[1]!.trim(), label: m[2]! });
  }
  return out;
}

const PREFIXES = ['centerwatch_', 'process_'];

/**
 * The metric names a query reads: identifiers starting with centerwatch_ or process_ once string
 * literals are removed (so a label value such as "centerwatch_x" is not taken for a metric).
 */
export function metricNames(expr: string): string[] {
  const code = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  const names = new Set<string>();
  for (const m of code.matchAll(/(?<![a-zA-Z0-9_:$])[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    if (PREFIXES.some((p) => m[0].startsWith(p))) names.add(m[0]);
  }
  return [...names];
}

const KNOWN = new Set<string>(Object.values(METRIC));
const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];

/** In common/metrics.ts, or a histogram's `_bucket`/`_sum`/`_count` series of a name that is. */
export function isKnownMetric(name: string): boolean {
  if (KNOWN.has(name)) return true;
  return HISTOGRAM_SUFFIXES.some((s) => name.endsWith(s) && KNOWN.has(name.slice(0, -s.length)));
}

/**
 * Replaces `$name` and `${name}` (Grafana's syntax) with the given values. Longest names first, so
 * `$__rate_interval` is not read as `$__rate` followed by text. An unknown variable is an error:
 * a query sent with a `$` left in would fail for the wrong reason.
 */
export function substitute(expr: string, values: Record<string, string>): string {
  const names = Object.keys(values).sort((a, b) => b.length - a.length);
  let out = expr;
  for (const n of names) out = out.split(`\${${n}}`).join(values[n]).split(`$${n}`).join(values[n]);
  const left = /\$\{?[a-zA-Z_][a-zA-Z0-9_]*/.exec(out);
  if (left) throw new Error(`no value for ${left[0]} in: ${expr}`);
  return out;
}
