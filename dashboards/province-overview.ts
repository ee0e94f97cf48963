/**
 * Province overview: the state of every center of a province over time and now, for the people who
 * answer the phone at the province. Readiness comes from the server's own /metrics (its engine),
 * scraped by Prometheus: it is not in what agents push.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import { baseDashboard, DS, finish, grid, provinceVariable, q, statPanel, thresholds } from './common.js';

const READINESS = 'centerwatch_center_readiness';

/**
 * The state set (one series per state, 1 for the current one) folded into one series per center with
 * a code 0..3, so the state timeline shows one row per center instead of four.
 */
export const readinessCode = (selector: string): string =>
  [
    `(${READINESS}{${selector},state="ready"} == 1) * 0`,
    `(${READINESS}{${selector},state="degraded"} == 1) * 1`,
    `(${READINESS}{${selector},state="blocked"} == 1) * 2`,
    `(${READINESS}{${selector},state="offline"} == 1) * 3`,
  ]
    .join('\nor ')
    .replace(/^/, 'max by (province, center) (\n')
    .concat('\n)');

const STATE_MAPPINGS: dashboard.ValueMapping[] = [
  {
    type: dashboard.MappingType.ValueToText,
    options: {
      '0': { text: 'ready', color: 'green', index: 0 },
      '1': { text: 'degraded', color: 'yellow', index: 1 },
      '2': { text: 'blocked', color: 'red', index: 2 },
      '3': { text: 'offline', color: 'dark-purple', index: 3 },
    },
  },
];

export function provinceOverview(): dashboard.Dashboard {
  const inProvince = 'province=~"$province"';
  return finish(
    baseDashboard('centerwatch-province', 'centerwatch / Province overview', 'Readiness of every center of the province, from the province server\'s engine.')
      .withVariable(provinceVariable({ multi: true }))
      .withPanel(
        statPanel('Centers blocked or offline now', 'none', q(`sum by (state) (${READINESS}{${inProvince},state=~"blocked|offline"})`, '{{state}}', { instant: true }))
          .description('Centers whose engine state is blocked (a blocking check down) or offline (no push from any agent).')
          .thresholds(thresholds([[null, 'green'], [1, 'red']]))
          .colorMode(common.BigValueColorMode.Background)
          .gridPos(grid(6, 8)),
      )
      .withPanel(
        statPanel('Alerts firing', 'none', q('sum by (severity) (centerwatch_alerts_firing)', '{{severity}}', { instant: true }))
          .description('Alerts the server holds open now, all provinces of this server.')
          .thresholds(thresholds([[null, 'green'], [1, 'orange']]))
          .gridPos(grid(6, 8)),
      )
      .withPanel(
        new bargauge.PanelBuilder()
          .title('Ready share over the time range (all hours)')
          .description(
            'Share of the selected time range each center was ready. Prometheus has no calendar, so this counts all hours, ' +
              'nights and weekends included; the office-hours figure is on the server\'s center page.',
          )
          .datasource(DS)
          .unit('percentunit')
          .min(0)
          .max(1)
          .decimals(1)
          .thresholds(thresholds([[null, 'red'], [0.95, 'yellow'], [0.99, 'green']]))
          .displayMode(common.BarGaugeDisplayMode.Basic)
          .orientation(common.VizOrientation.Horizontal)
          .withTarget(q(`avg by (center) (avg_over_time(${READINESS}{${inProvince},state="ready"}[$__range]))`, '{{center}}', { instant: true }))
          .gridPos(grid(12, 8)),
      )
      .withPanel(
        new statetimeline.PanelBuilder()
          .title('Readiness by center')
          .description('One row per center: ready, degraded (a degrading check down), blocked, offline.')
          .datasource(DS)
          .mappings(STATE_MAPPINGS)
          .thresholds(thresholds([[null, 'green']]))
          .mergeValues(true)
          .showValue(common.VisibilityMode.Never)
          .rowHeight(0.8)
          .withTarget(q(readinessCode(inProvince), '{{center}}'))
          .gridPos(grid(24, 16)),
      ),
  );
}
