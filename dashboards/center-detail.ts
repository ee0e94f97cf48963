/**
 * Center detail: one center's lines, links, peripherals and machines. Rows follow the order in which
 * a technician on the phone rules causes out: the line first, then the upstream, then the desk.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as heatmap from '@grafana/grafana-foundation-sdk/heatmap';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import { baseDashboard, centerVariable, DS, finish, grid, lineVariable, provinceVariable, q, statPanel, thresholds, timeSeries } from './common.js';

const C = 'center="$center"';
const LINE = `${C},line=~"$line"`;

export const UP_DOWN: dashboard.ValueMapping[] = [
  {
    type: dashboard.MappingType.ValueToText,
    options: { '0': { text: 'down', color: 'red', index: 0 }, '1': { text: 'up', color: 'green', index: 1 } },
  },
];

function lines(): dashboard.RowBuilder {
  return new dashboard.RowBuilder('Lines')
    .withPanel(
      timeSeries('Packet loss', 'percentunit', q(`centerwatch_line_loss_ratio{${LINE}}`, '{{line}} ({{agent}})'))
        .description('Share of echo requests without a reply over the check\'s window (30 s by default).')
        .min(0)
        .max(1),
    )
    .withPanel(
      new heatmap.PanelBuilder()
        .title('Round-trip time')
        .description('Every echo reply of the selected lines, from the centerwatch_icmp_rtt_seconds histogram.')
        .datasource(DS)
        .calculate(false)
        .withTarget(q(`sum by (le) (rate(centerwatch_icmp_rtt_seconds_bucket{${LINE}}[$__rate_interval]))`, '{{le}}', { format: prometheus.PromQueryFormat.Heatmap }))
        .color(new heatmap.HeatmapColorOptionsBuilder().mode(heatmap.HeatmapColorMode.Scheme).scheme('Oranges').scale(heatmap.HeatmapColorScale.Exponential).exponent(0.5))
        .yAxis(new heatmap.YAxisConfigBuilder().unit('s'))
        .gridPos(grid(12)),
    )
    .withPanel(timeSeries('Jitter', 's', q(`centerwatch_line_jitter_seconds{${LINE}}`, '{{line}} ({{agent}})')).description('Mean difference of consecutive round trips (RFC 3550).'))
    .withPanel(timeSeries('Mean round-trip time', 's', q(`centerwatch_line_rtt_seconds{${LINE}}`, '{{line}} ({{agent}})')))
    .withPanel(
      timeSeries('Default-route changes', 'none', q(`increase(centerwatch_host_default_route_changes_total{${C}}[$__rate_interval])`, '{{agent}}'))
        .description('A change of the default route is a line failover (or a technician at work).')
        .drawStyle(common.GraphDrawStyle.Bars)
        .gridPos(grid(24, 6)),
    );
}

function links(): dashboard.RowBuilder {
  return new dashboard.RowBuilder('Links')
    .withPanel(
      new statetimeline.PanelBuilder()
        .title('Probe results')
        .description('Every HTTP, DNS and TCP check of the center, per agent.')
        .datasource(DS)
        .mappings(UP_DOWN)
        .thresholds(thresholds([[null, 'red'], [1, 'green']]))
        .showValue(common.VisibilityMode.Never)
        .withTarget(q(`centerwatch_probe_success{${C},kind=~"http|dns|tcp"}`, '{{check}} ({{agent}})'))
        .gridPos(grid(24, 10)),
    )
    .withPanel(
      timeSeries('HTTP phases', 's', q(`avg by (check, phase) (centerwatch_probe_phase_seconds{${C},kind="http"})`, '{{check}} {{phase}}'))
        .description('Where an HTTP check spends its time: resolve, connect, tls, first byte, transfer.')
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal))
        .gridPos(grid(12)),
    )
    .withPanel(timeSeries('Check duration', 's', q(`centerwatch_probe_duration_seconds{${C},kind=~"http|dns|tcp"}`, '{{check}} ({{agent}})')));
}

function peripherals(): dashboard.RowBuilder {
  return new dashboard.RowBuilder('Peripherals')
    .withPanel(
      new bargauge.PanelBuilder()
        .title('Printer supplies')
        .datasource(DS)
        .unit('percentunit')
        .min(0)
        .max(1)
        .thresholds(thresholds([[null, 'red'], [0.1, 'yellow'], [0.25, 'green']]))
        .orientation(common.VizOrientation.Horizontal)
        .withTarget(q(`centerwatch_printer_supply_level_ratio{${C}}`, '{{check}} {{supply}}', { instant: true }))
        .gridPos(grid(12)),
    )
    .withPanel(timeSeries('Queued print jobs', 'none', q(`centerwatch_printer_queued_jobs{${C}}`, '{{check}}')).gridPos(grid(12)))
    .withPanel(
      statPanel('UPS runtime left', 's', q(`centerwatch_ups_runtime_seconds{${C}}`, '{{check}}', { instant: true }))
        .thresholds(thresholds([[null, 'red'], [600, 'yellow'], [1200, 'green']]))
        .gridPos(grid(6)),
    )
    .withPanel(
      statPanel('UPS charge', 'percentunit', q(`centerwatch_ups_battery_charge_ratio{${C}}`, '{{check}}', { instant: true }))
        .thresholds(thresholds([[null, 'red'], [0.5, 'yellow'], [0.8, 'green']]))
        .gridPos(grid(6)),
    )
    .withPanel(timeSeries('On battery', 'none', q(`centerwatch_ups_on_battery{${C}}`, '{{check}}')).description('1 while mains power is off.').gridPos(grid(12)));
}

function host(): dashboard.RowBuilder {
  return new dashboard.RowBuilder('Machines')
    .withPanel(timeSeries('CPU', 'percentunit', q(`centerwatch_host_cpu_usage_ratio{${C}}`, '{{agent}}')).min(0).max(1).gridPos(grid(8)))
    .withPanel(timeSeries('Memory', 'percentunit', q(`centerwatch_host_memory_used_ratio{${C}}`, '{{agent}}')).min(0).max(1).gridPos(grid(8)))
    .withPanel(timeSeries('Filesystems', 'percentunit', q(`centerwatch_host_filesystem_used_ratio{${C}}`, '{{agent}} {{mount}}')).min(0).max(1).gridPos(grid(8)));
}

export function centerDetail(): dashboard.Dashboard {
  return finish(
    baseDashboard('centerwatch-center', 'centerwatch / Center detail', 'One center: lines, links to the upstream systems, peripherals and machines.')
      .withVariable(provinceVariable())
      .withVariable(centerVariable())
      .withVariable(lineVariable())
      .withRow(lines())
      .withRow(links())
      .withRow(peripherals())
      .withRow(host()),
  );
}
