/**
 * Agents: is every agent pushing, how far behind, what is waiting in its WAL, which version runs.
 */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as table from '@grafana/grafana-foundation-sdk/table';
import { baseDashboard, centerVariable, DS, finish, grid, provinceVariable, q, thresholds, timeSeries } from './common.js';

const SEL = 'province=~"$province",center=~"$center"';

export function agents(): dashboard.Dashboard {
  return finish(
    baseDashboard('centerwatch-agents', 'centerwatch / Agents', 'Push lag, WAL backlog and versions of the agents.')
      .withVariable(provinceVariable({ multi: true }))
      .withVariable(centerVariable({ multi: true }))
      .withPanel(
        timeSeries(
          'Push lag',
          's',
          // The timestamp travels in the push itself: an agent that cannot push sends nothing new. Taking
          // the last value seen over a day keeps its lag growing instead of the series vanishing after
          // Prometheus's 5-minute lookback.
          q(`time() - last_over_time(centerwatch_agent_push_last_success_timestamp_seconds{${SEL}}[1d])`, '{{center}}/{{agent}} → {{target}}'),
        )
          .description('Seconds since the agent\'s last successful push, per push target.')
          .thresholds(thresholds([[null, 'green'], [60, 'yellow'], [300, 'red']]))
          .gridPos(grid(24)),
      )
      .withPanel(timeSeries('Push backlog', 'none', q(`centerwatch_agent_push_backlog_samples{${SEL}}`, '{{center}}/{{agent}} → {{target}}')).description('Samples in the WAL not yet accepted by the target.'))
      .withPanel(timeSeries('WAL on disk', 'bytes', q(`centerwatch_agent_wal_bytes{${SEL}}`, '{{center}}/{{agent}}')))
      .withPanel(timeSeries('Push failures', 'none', q(`increase(centerwatch_agent_push_failures_total{${SEL}}[$__rate_interval])`, '{{center}}/{{agent}} → {{target}}')))
      .withPanel(timeSeries('Agent memory', 'bytes', q(`process_resident_memory_bytes{${SEL}}`, '{{center}}/{{agent}}')))
      .withPanel(
        new table.PanelBuilder()
          .title('Agent versions')
          .datasource(DS)
          .withTarget(q(`count by (version) (centerwatch_agent_info{${SEL}})`, '', { instant: true, format: prometheus.PromQueryFormat.Table }))
          .withTransformation({ id: 'organize', options: { excludeByName: { Time: true }, renameByName: { Value: 'agents' } } })
          .gridPos(grid(8, 10)),
      )
      .withPanel(
        new table.PanelBuilder()
          .title('Agents')
          .datasource(DS)
          .withTarget(q(`max by (province, center, agent, version) (centerwatch_agent_info{${SEL}})`, '', { instant: true, format: prometheus.PromQueryFormat.Table }))
          .withTransformation({ id: 'organize', options: { excludeByName: { Time: true, Value: true } } })
          .gridPos(grid(16, 10)),
      ),
  );
}
