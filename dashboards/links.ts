/**
 * Links across centers: which upstream system fails from where. One upstream failing from every
 * center is the upstream; one center failing on every upstream is that center's line.
 */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as table from '@grafana/grafana-foundation-sdk/table';
import { GRAFANA_UID } from '../server/export/names.js';
import { baseDashboard, caption, DS, finish, grid, provinceVariable, q, thresholds, timeSeries } from './common.js';
import { UP_DOWN } from './center-detail.js';

const UPSTREAM = 'province=~"$province",kind=~"http|dns"';

export function linksAcrossCenters(): dashboard.Dashboard {
  const matrix = caption(
    { vi: 'Hệ thống theo trung tâm, hiện tại', en: 'Upstream by center, now' },
    {
      vi: 'Mỗi dòng một trung tâm, mỗi cột một hạng mục: tốt khi có máy bất kỳ của trung tâm truy cập được.',
      en: 'Rows are centers, columns upstream checks: up when any agent of the center reaches it.',
    },
  );
  return finish(
    baseDashboard(
      GRAFANA_UID.linksAcrossCenters,
      { vi: 'Kết nối giữa các trung tâm', en: 'Links across centers' },
      {
        vi: 'Các hạng mục HTTP và DNS của mọi trung tâm: hệ thống nào lỗi, lỗi ở đâu.',
        en: 'HTTP and DNS checks of every center: which upstream fails where.',
      },
    )
      .withVariable(provinceVariable({ multi: true }))
      .withPanel(
        timeSeries(
          caption(
            { vi: 'Số trung tâm lỗi, theo hệ thống', en: 'Centers failing, by upstream' },
            { vi: 'Một trung tâm được tính khi hạng mục lỗi từ mọi máy của nó.', en: 'A center counts when the check fails from every one of its agents.' },
          ),
          'none',
          // A center counts when the check fails from every one of its agents (max): a single counter PC
          // with a bad cable is not the upstream.
          q(`sum by (check) (1 - max by (center, check) (centerwatch_probe_success{${UPSTREAM}}))`, '{{check}}'),
        )
          .drawStyle(common.GraphDrawStyle.Bars)
          .gridPos(grid(24)),
      )
      .withPanel(
        new table.PanelBuilder()
          .title(matrix.title)
          .description(matrix.description)
          .datasource(DS)
          .mappings(UP_DOWN)
          .thresholds(
            thresholds([
              [null, 'red'],
              [1, 'green'],
            ]),
          )
          .cellOptions({ type: common.TableCellDisplayMode.ColorBackground })
          .withTarget(q(`max by (center, check) (centerwatch_probe_success{${UPSTREAM}})`, '', { instant: true, format: prometheus.PromQueryFormat.Table }))
          .withTransformation({ id: 'groupingToMatrix', options: { columnField: 'check', rowField: 'center', valueField: 'Value', emptyValue: 'null' } })
          .gridPos(grid(24, 14)),
      )
      .withPanel(
        timeSeries(
          caption({ vi: 'Thời gian phản hồi (trung vị các trung tâm)', en: 'Upstream response time (median across centers)' }),
          's',
          q(`quantile by (check) (0.5, centerwatch_probe_duration_seconds{${UPSTREAM}})`, '{{check}}'),
        ).gridPos(grid(24)),
      ),
  );
}
