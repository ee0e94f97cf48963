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
import { GRAFANA_UID } from '../server/export/names.js';

/**
 * Words in both languages. The viewers are Vietnamese IT staff: titles are Vietnamese, and each
 * panel's description ends with its English title (`EN: …`) so the dashboards stay readable to
 * anyone and searchable by the English name.
 */
export interface Words {
  vi: string;
  en: string;
}

/** A panel's title and description: the Vietnamese title, the description in Vietnamese then English. */
export interface Caption {
  title: string;
  description: string;
}

export function caption(title: Words, about?: Words): Caption {
  const english = `EN: ${title.en}${about ? `. ${about.en}` : ''}`;
  return { title: title.vi, description: about ? `${about.vi}\n\n${english}` : english };
}

/** A row's title: rows have no description, so both languages on the bar. */
export const rowTitle = (w: Words): string => `${w.vi} · ${w.en}`;

/** The provisioned Prometheus datasource (dashboards/provisioning/datasources/centerwatch.yaml). */
export const DATASOURCE_UID = 'centerwatch-prometheus';

/** Every panel and variable reads the datasource the viewer picked, so one dashboard serves test and production Prometheus alike. */
export const DS: { type: string; uid: string } = { type: 'prometheus', uid: '${datasource}' };

export function datasourceVariable(): dashboard.DatasourceVariableBuilder {
  return new dashboard.DatasourceVariableBuilder('datasource')
    .label('Nguồn dữ liệu')
    .type('prometheus')
    .current({ text: 'centerwatch', value: DATASOURCE_UID });
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
  labelVariable('province', 'Tỉnh', 'centerwatch_probe_success', 'province', opts);

export const centerVariable = (opts: { multi?: boolean } = {}): dashboard.QueryVariableBuilder =>
  labelVariable('center', 'Trung tâm', 'centerwatch_probe_success{province=~"$province"}', 'center', opts);

/** Lines are the icmp checks' `line` label (tslcd, inet1, inet2 in the center template). */
export const lineVariable = (): dashboard.QueryVariableBuilder =>
  labelVariable('line', 'Đường truyền', 'centerwatch_line_loss_ratio{center="$center"}', 'line', { multi: true });

/** One PromQL target. `instant` for tables, stats and bar gauges that show the value now. */
export function q(
  expr: string,
  legend = '__auto',
  opts: { instant?: boolean; format?: prometheus.PromQueryFormat; refId?: string } = {},
): prometheus.DataqueryBuilder {
  const b = new prometheus.DataqueryBuilder()
    .datasource(DS)
    .expr(expr)
    .legendFormat(legend)
    .refId(opts.refId ?? 'A');
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

export function timeSeries(c: Caption, unit: string, ...targets: prometheus.DataqueryBuilder[]): timeseries.PanelBuilder {
  const p = new timeseries.PanelBuilder()
    .title(c.title)
    .description(c.description)
    .datasource(DS)
    .unit(unit)
    .gridPos(grid(12))
    .lineWidth(1)
    .fillOpacity(10)
    .spanNulls(false);
  for (const t of targets) p.withTarget(t);
  return p;
}

export function statPanel(c: Caption, unit: string, ...targets: prometheus.DataqueryBuilder[]): stat.PanelBuilder {
  const p = new stat.PanelBuilder().title(c.title).description(c.description).datasource(DS).unit(unit).gridPos(grid(6, 6));
  for (const t of targets) p.withTarget(t);
  return p;
}

/**
 * Grafana URL of Center detail for the center of a data point, with the time range kept: the data
 * link of every per-center panel, so a province's overview drills down to one center.
 */
export const CENTER_DETAIL_LINK = `/d/${GRAFANA_UID.centerDetail}?var-province=\${__field.labels.province}&var-center=\${__field.labels.center}&\${__url_time_range}`;

export function centerDetailLink(): dashboard.DashboardLinkBuilder {
  return new dashboard.DashboardLinkBuilder('Chi tiết trung tâm ${__field.labels.center}').type(dashboard.DashboardLinkType.Link).url(CENTER_DETAIL_LINK);
}

/**
 * What every dashboard shares: a UTC+7 day, tag, refresh, the datasource variable first, and links to
 * the other centerwatch dashboards carrying the variables (province, center) and the time range: the
 * way back from a center to its province.
 */
export function baseDashboard(uid: string, title: Words, description: Words): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(`centerwatch / ${title.vi}`)
    .uid(uid)
    .description(`${description.vi} EN: ${title.en}. ${description.en}`)
    .tags(['centerwatch'])
    .link(
      new dashboard.DashboardLinkBuilder('centerwatch')
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags(['centerwatch'])
        .asDropdown(false)
        .includeVars(true)
        .keepTime(true),
    )
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
  d.panels = (d.panels ?? []).flatMap((p) => (p.type === 'row' ? openRow(p as dashboard.RowPanel) : [p]));
  let id = 1;
  for (const p of d.panels) {
    p.id = id++;
    if (p.type === 'row') for (const child of (p as dashboard.RowPanel).panels) child.id = id++;
  }
  return d;
}

/**
 * An open row's panels follow it at the top level (Grafana drops panels held inside an open row);
 * a collapsed row keeps them inside. The SDK marks every row holding panels collapsed: `open()` below
 * unmarks it, the grid positions it computed stay right in either form.
 */
function openRow(row: dashboard.RowPanel): Array<dashboard.Panel | dashboard.RowPanel> {
  if (row.collapsed) return [row];
  const children = row.panels;
  return [{ ...row, panels: [] }, ...children];
}

/** A row shown open when the dashboard loads (call after its panels are added). */
export const open = (row: dashboard.RowBuilder): dashboard.RowBuilder => row.collapsed(false);
