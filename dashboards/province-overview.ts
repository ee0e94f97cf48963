/**
 * Province overview: the state of every center of a province over time and now, for the people who
 * answer the phone at the province. Readiness comes from the server's own /metrics (its engine),
 * scraped by Prometheus: it is not in what agents push.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import { GRAFANA_UID } from '../server/export/names.js';
import { baseDashboard, caption, centerDetailLink, DS, finish, grid, provinceVariable, q, statPanel, thresholds } from './common.js';

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
      // The readiness page's words (server/web/page.ts).
      '0': { text: 'Sẵn sàng', color: 'green', index: 0 },
      '1': { text: 'Suy giảm', color: 'yellow', index: 1 },
      '2': { text: 'Gián đoạn', color: 'red', index: 2 },
      '3': { text: 'Mất liên lạc', color: 'dark-purple', index: 3 },
    },
  },
];

export function provinceOverview(): dashboard.Dashboard {
  const inProvince = 'province=~"$province"';
  const readyShare = caption(
    { vi: 'Tỉ lệ thời gian sẵn sàng (mọi giờ)', en: 'Ready share over the time range (all hours)' },
    {
      vi: 'Phần thời gian trong khoảng đã chọn mỗi trung tâm ở trạng thái sẵn sàng, tính cả đêm và cuối tuần (Prometheus không có lịch làm việc); con số theo giờ hành chính ở trang trạng thái. Bấm vào một trung tâm để xem chi tiết.',
      en: "Share of the selected time range each center was ready. Prometheus has no calendar, so this counts all hours, nights and weekends included; the office-hours figure is on the server's center page. Click a center for its detail.",
    },
  );
  const byCenter = caption(
    { vi: 'Trạng thái từng trung tâm', en: 'Readiness by center' },
    {
      vi: 'Mỗi dòng một trung tâm: sẵn sàng, suy giảm, gián đoạn, mất liên lạc. Bấm vào một dòng để xem chi tiết trung tâm.',
      en: "One row per center: ready, degraded, blocked, offline. Click a row for the center's detail.",
    },
  );
  return finish(
    baseDashboard(
      GRAFANA_UID.provinceOverview,
      { vi: 'Tổng quan tỉnh', en: 'Province overview' },
      {
        vi: 'Trạng thái sẵn sàng của mọi trung tâm trong tỉnh, theo bộ máy cảnh báo của máy chủ tỉnh.',
        en: "Readiness of every center of the province, from the province server's engine.",
      },
    )
      .withVariable(provinceVariable({ multi: true }))
      .withPanel(
        statPanel(
          caption(
            { vi: 'Trung tâm đang gián đoạn hoặc mất liên lạc', en: 'Centers blocked or offline now' },
            {
              vi: 'Gián đoạn: một hạng mục chặn đang lỗi; mất liên lạc: không máy nào gửi dữ liệu.',
              en: 'Blocked: a blocking check is down; offline: no push from any agent.',
            },
          ),
          'none',
          q(`sum by (state) (${READINESS}{${inProvince},state=~"blocked|offline"})`, '{{state}}', { instant: true }),
        )
          .thresholds(
            thresholds([
              [null, 'green'],
              [1, 'red'],
            ]),
          )
          .colorMode(common.BigValueColorMode.Background)
          .gridPos(grid(6, 8)),
      )
      .withPanel(
        statPanel(
          caption(
            { vi: 'Cảnh báo đang mở', en: 'Alerts firing' },
            {
              vi: 'Cảnh báo máy chủ đang giữ cho các tỉnh đã chọn, theo mức độ.',
              en: 'Alerts the server holds open now in the selected provinces, by severity.',
            },
          ),
          'none',
          q(`sum by (severity) (centerwatch_alerts_firing{${inProvince}})`, '{{severity}}', { instant: true }),
        )
          .thresholds(
            thresholds([
              [null, 'green'],
              [1, 'orange'],
            ]),
          )
          .gridPos(grid(6, 8)),
      )
      .withPanel(
        new bargauge.PanelBuilder()
          .title(readyShare.title)
          .description(readyShare.description)
          .datasource(DS)
          .unit('percentunit')
          .min(0)
          .max(1)
          .decimals(1)
          .thresholds(
            thresholds([
              [null, 'red'],
              [0.95, 'yellow'],
              [0.99, 'green'],
            ]),
          )
          .displayMode(common.BarGaugeDisplayMode.Basic)
          .orientation(common.VizOrientation.Horizontal)
          // province and center kept in the result: the data link reads both.
          .withTarget(q(`avg by (province, center) (avg_over_time(${READINESS}{${inProvince},state="ready"}[$__range]))`, '{{center}}', { instant: true }))
          .dataLinks([centerDetailLink()])
          .gridPos(grid(12, 8)),
      )
      .withPanel(
        new statetimeline.PanelBuilder()
          .title(byCenter.title)
          .description(byCenter.description)
          .datasource(DS)
          .mappings(STATE_MAPPINGS)
          .thresholds(thresholds([[null, 'green']]))
          .mergeValues(true)
          .showValue(common.VisibilityMode.Never)
          .rowHeight(0.8)
          .withTarget(q(readinessCode(inProvince), '{{center}}'))
          .dataLinks([centerDetailLink()])
          .gridPos(grid(24, 16)),
      ),
  );
}
