/**
 * Shared pieces of every centerwatch dashboard: the datasource variable, the province/center/line
 * variables, the query factory and the panel defaults. Built with grafana-foundation-sdk's typed
 * builders; the JSON under dashboards/json/ is generated from these (`npm run dashboards`).
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

/** The provisioned Prometheus datasource (dashboards/provisioning/datasources/centerwatch.yaml). */
export const DATASOURCE_UID = 'centerwatch-prometheus';

/** Every panel and variable reads the datasource the viewer picked, so one dashboard serves test and production Prometheus alike. */
export const DS: { type: string; uid: string } = { type: 'prometheus', uid: '${datasource}' };

export function datasourceVariable(): dashboard.DatasourceVariableBuilder {
  return new dashboard.DatasourceVariableBuilder('datasource').label('Datasource').type('prometheus').current({ text: 'centerwatch', value: DATASOURCE_UID });
}

/**
 * A `label_values` variable. The tests resolve each one against a real Prometheus, so the selector
 * must name a metric from common/metrics.ts.
 */
function labelVariable(name: string, label: string, selector: string, labelName: string, opts: { multi?: boolean } = {}): dashboard.QueryVariableBuilder {
  const query = `label_values(${selector}, ${labelName})`;
  const v = new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(DS)
    .query({ qryType: 1, query, refId: 'PrometheusVariableQueryEditor-VariableQuery' })
    .definition(query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc);
  // Multi-value variables render as a regex alternation: every query uses `=~` for them.
  if (opts.multi) v.multi(true).includeAll(true).allValue('.+');
  return v;
}

/** Provinces come from the probe results: the server sets `province` from the agent's token. */
export const provinceVariable = (opts: { multi?: boolean } = {}): dashboard.QueryVariableBuilder =>
  labelVariable('province', 'Province', 'centerwatch_probe_success', 'province', opts);

export const centerVariable = (opts: { multi?: boolean } = {}): dashboard.QueryVariableBuilder =>
  labelVariable('center', 'Center', 'centerwatch_probe_success{province=~"$province"}', 'center', opts);

/** Lines are the icmp checks' `line` label (tslcd, inet1, inet2 in the center template). */
export const lineVariable = (): dashboard.QueryVariableBuilder =>
  labelVariable('line', 'Line', 'centerwatch_line_loss_ratio{center="$center"}', 'line', { multi: true });

/** One PromQL target. `instant` for tables, stats and bar gauges that show the value now. */
export function q(expr: string, legend = '__auto', opts: { instant?: boolean; format?: prometheus.PromQueryFormat; refId?: string } = {}): prometheus.DataqueryBuilder {
  const b = new prometheus.DataqueryBuilder().datasource(DS).expr(expr).legendFormat(legend).refId(opts.refId ?? 'A');
  if (opts.instant) b.instant();
  else b.range();
  if (opts.format) b.format(opts.format);
  return b;
}

/** The grid is 24 wide: `w` is the width, `h` the height of a panel. */
export const grid = (w: number, h = 8): dashboard.GridPos => ({ x: 0, y: 0, w, h });

export function thresholds(steps: Array<[number | null, string]>): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps.map(([value, color]) => ({ value, color })));
}

export function timeSeries(title: string, unit: string, ...targets: prometheus.DataqueryBuilder[]): timeseries.PanelBuilder {
  const p = new timeseries.PanelBuilder().title(title).datasource(DS).unit(unit).gridPos(grid(12)).lineWidth(1).fillOpacity(10).spanNulls(false);
  for (const t of targets) p.withTarget(t);
  return p;
}

export function statPanel(title: string, unit: string, ...targets: prometheus.DataqueryBuilder[]): stat.PanelBuilder {
  const p = new stat.PanelBuilder().title(title).datasource(DS).unit(unit).gridPos(grid(6, 6));
  for (const t of targets) p.withTarget(t);
  return p;
}

/** What every dashboard shares: a UTC+7 day, tag, refresh, the datasource variable first. */
export function baseDashboard(uid: string, title: string, description: string): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['centerwatch'])
    .timezone('Asia/Ho_Chi_Minh')
    .time({ from: 'now-6h', to: 'now' })
    .refresh('30s')
    .editable()
    .withVariable(datasourceVariable());
}

/**
 * Builds the dashboard and numbers its panels in order (rows' children included): Grafana needs
 * unique ids to link to a panel, and the SDK leaves them unset.
 */
export function finish(b: cog.Builder<dashboard.Dashboard>): dashboard.Dashboard {
  const d = b.build();
  let id = 1;
  for (const p of d.panels ?? []) {
    p.id = id++;
    if (p.type === 'row') for (const child of (p as dashboard.RowPanel).panels) child.id = id++;
  }
  return d;
}
