/**
 * Agents: is every agent pushing, how far behind, what is waiting in its WAL, which version runs.
 */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as table from '@grafana/grafana-foundation-sdk/table';
import { baseDashboard, caption, centerVariable, DS, finish, grid, provinceVariable, q, thresholds, timeSeries } from './common.js';

const SEL = 'province=~"$province",center=~"$center"';

export function agents(): dashboard.Dashboard {
  const versions = caption({ vi: 'Phiên bản agent', en: 'Agent versions' });
  const list = caption({ vi: 'Danh sách agent', en: 'Agents' });
  return finish(
    baseDashboard(
      'centerwatch-agents',
      { vi: 'Agent', en: 'Agents' },
      { vi: 'Độ trễ đẩy dữ liệu, hàng đợi WAL và phiên bản của các agent.', en: 'Push lag, WAL backlog and versions of the agents.' },
    )
      .withVariable(provinceVariable({ multi: true }))
      .withVariable(centerVariable({ multi: true }))
      .withPanel(
        timeSeries(
          caption(
            { vi: 'Độ trễ đẩy dữ liệu', en: 'Push lag' },
            { vi: 'Số giây từ lần đẩy thành công gần nhất của agent, theo từng đích.', en: "Seconds since the agent's last successful push, per push target." },
          ),
          's',
          // The timestamp travels in the push itself: an agent that cannot push sends nothing new. Taking
          // the last value seen over a day keeps its lag growing instead of the series vanishing after
          // Prometheus's 5-minute lookback.
          q(`time() - last_over_time(centerwatch_agent_push_last_success_timestamp_seconds{${SEL}}[1d])`, '{{center}}/{{agent}} → {{target}}'),
        )
          .thresholds(
            thresholds([
              [null, 'green'],
              [60, 'yellow'],
              [300, 'red'],
            ]),
          )
          .gridPos(grid(24)),
      )
      .withPanel(
        timeSeries(
          caption(
            { vi: 'Mẫu chờ đẩy', en: 'Push backlog' },
            { vi: 'Số mẫu trong WAL chưa được đích nhận.', en: 'Samples in the WAL not yet accepted by the target.' },
          ),
          'none',
          q(`centerwatch_agent_push_backlog_samples{${SEL}}`, '{{center}}/{{agent}} → {{target}}'),
        ),
      )
      .withPanel(timeSeries(caption({ vi: 'WAL trên đĩa', en: 'WAL on disk' }), 'bytes', q(`centerwatch_agent_wal_bytes{${SEL}}`, '{{center}}/{{agent}}')))
      .withPanel(
        timeSeries(
          caption({ vi: 'Lần đẩy lỗi', en: 'Push failures' }),
          'none',
          q(`increase(centerwatch_agent_push_failures_total{${SEL}}[$__rate_interval])`, '{{center}}/{{agent}} → {{target}}'),
        ),
      )
      .withPanel(
        timeSeries(caption({ vi: 'Bộ nhớ của agent', en: 'Agent memory' }), 'bytes', q(`process_resident_memory_bytes{${SEL}}`, '{{center}}/{{agent}}')),
      )
      .withPanel(
        new table.PanelBuilder()
          .title(versions.title)
          .description(versions.description)
          .datasource(DS)
          .withTarget(q(`count by (version) (centerwatch_agent_info{${SEL}})`, '', { instant: true, format: prometheus.PromQueryFormat.Table }))
          .withTransformation({ id: 'organize', options: { excludeByName: { Time: true }, renameByName: { Value: 'agents' } } })
          .gridPos(grid(8, 10)),
      )
      .withPanel(
        new table.PanelBuilder()
          .title(list.title)
          .description(list.description)
          .datasource(DS)
          .withTarget(
            q(`max by (province, center, agent, version) (centerwatch_agent_info{${SEL}})`, '', { instant: true, format: prometheus.PromQueryFormat.Table }),
          )
          .withTransformation({ id: 'organize', options: { excludeByName: { Time: true, Value: true } } })
          .gridPos(grid(16, 10)),
      ),
  );
}
