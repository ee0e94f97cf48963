/**
 * Agents: the enrolled fleet as the province server sees it (state of each agent, the config it runs),
 * and from the agents' own pushes: is every agent pushing, how far behind, what is waiting in its WAL,
 * which version runs.
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as table from '@grafana/grafana-foundation-sdk/table';
import { FLEET_WORDS } from '../server/fleet/page.js';
import { STATE_ORDER, type FleetState } from '../server/fleet/view.js';
import { baseDashboard, caption, centerVariable, DS, finish, grid, provinceVariable, q, statPanel, thresholds, timeSeries } from './common.js';

const SEL = 'province=~"$province",center=~"$center"';

/** A state's colour: the fleet page's tones (server/fleet/page.ts) in Grafana's palette. */
const STATE_COLOR: Record<FleetState, string> = {
  silent: 'red',
  refused: 'red',
  never_seen: 'orange',
  outdated: 'orange',
  no_profile: 'orange',
  ok: 'green',
  revoked: 'text',
};

/** The fleet page's words for each state, both languages, its colour: `Mất liên lạc · Silent`. */
const STATE_MAPPINGS: dashboard.ValueMapping[] = [
  {
    type: dashboard.MappingType.ValueToText,
    options: Object.fromEntries(
      STATE_ORDER.map((s, index) => [s, { text: `${FLEET_WORDS.vi.states[s]} · ${FLEET_WORDS.en.states[s]}`, color: STATE_COLOR[s], index }]),
    ),
  },
];

/**
 * Enrolled agents per state within the chosen provinces and centers. The per-agent gauge carries the
 * province and center the variables filter on; the server's own count by state has every state, so
 * `or` adds the states no chosen agent is in as 0. Revoked agents have no per-agent series: left out.
 */
const BY_STATE = `sum by (state) (count by (state) (centerwatch_fleet_agent_info{${SEL}}) or 0 * centerwatch_fleet_agents{state!="revoked"})`;

const BY_STATE_TITLE = { vi: 'Agent theo trạng thái', en: 'Agents by state' };
const FLEET_TABLE_TITLE = { vi: 'Danh sách agent', en: 'Agents' };

/** Titles of the panels read from the province server's fleet store (enrolled agents), not from what agents push. */
export const FLEET_PANELS: readonly string[] = [BY_STATE_TITLE.vi, FLEET_TABLE_TITLE.vi];

function fleetByState(): ReturnType<typeof statPanel> {
  const p = statPanel(
    caption(BY_STATE_TITLE, {
      vi: 'Số agent đã đăng ký theo trạng thái máy chủ tỉnh thấy: mất liên lạc, từ chối cấu hình, chưa kết nối, cấu hình cũ, chưa có cấu hình, bình thường.',
      en: 'Enrolled agents by the state the province server sees: silent, refused config, never seen, outdated config, no profile, OK.',
    }),
    'none',
    q(BY_STATE, '{{state}}', { instant: true }),
  )
    .thresholds(
      thresholds([
        [null, 'green'],
        [1, 'orange'],
      ]),
    )
    .colorMode(common.BigValueColorMode.Value)
    .textMode(common.BigValueTextMode.ValueAndName)
    .gridPos(grid(24, 5));
  for (const s of STATE_ORDER.filter((x) => x !== 'revoked')) {
    const color = STATE_COLOR[s];
    p.overrideByName(s, [
      { id: 'displayName', value: `${FLEET_WORDS.vi.states[s]} · ${FLEET_WORDS.en.states[s]}` },
      // A problem state is coloured only when some agent is in it; OK is always green.
      ...(s === 'ok'
        ? [{ id: 'color', value: { mode: 'fixed', fixedColor: 'green' } }]
        : color === 'red'
          ? [
              {
                id: 'thresholds',
                value: {
                  mode: 'absolute',
                  steps: [
                    { value: null, color: 'green' },
                    { value: 1, color: 'red' },
                  ],
                },
              },
            ]
          : []),
    ]);
  }
  return p;
}

function fleetTable(): table.PanelBuilder {
  const c = caption(FLEET_TABLE_TITLE, {
    vi: 'Mọi agent đã đăng ký (trừ đã thu hồi): nền tảng, phiên bản, bản cấu hình đang chạy và trạng thái. Chi tiết trên trang /fleet của máy chủ tỉnh.',
    en: "Every enrolled agent (revoked ones left out): platform, version, the config revision it runs and its state. More on the province server's /fleet page.",
  });
  return new table.PanelBuilder()
    .title(c.title)
    .description(c.description)
    .datasource(DS)
    .withTarget(
      q(`max by (province, center, agent, platform, version, revision, state) (centerwatch_fleet_agent_info{${SEL}})`, '', {
        instant: true,
        format: prometheus.PromQueryFormat.Table,
      }),
    )
    .withTransformation({
      id: 'organize',
      options: {
        excludeByName: { Time: true, Value: true },
        indexByName: { province: 0, center: 1, agent: 2, platform: 3, version: 4, revision: 5, state: 6 },
      },
    })
    .overrideByName('state', [
      { id: 'mappings', value: STATE_MAPPINGS },
      { id: 'custom.cellOptions', value: { type: 'color-text' } },
    ])
    .gridPos(grid(24, 12));
}

export function agents(): dashboard.Dashboard {
  const versions = caption({ vi: 'Phiên bản agent', en: 'Agent versions' });
  const list = caption(
    { vi: 'Agent đang gửi dữ liệu', en: 'Agents pushing' },
    { vi: 'Agent có dữ liệu gửi về, theo phiên bản agent tự báo.', en: 'Agents whose pushes arrive, with the version each reports itself.' },
  );
  return finish(
    baseDashboard(
      'centerwatch-agents',
      { vi: 'Agent', en: 'Agents' },
      {
        vi: 'Trạng thái các agent đã đăng ký, độ trễ đẩy dữ liệu, hàng đợi WAL và phiên bản của các agent.',
        en: 'State of the enrolled agents, push lag, WAL backlog and versions of the agents.',
      },
    )
      .withVariable(provinceVariable({ multi: true }))
      .withVariable(centerVariable({ multi: true }))
      .withPanel(fleetByState())
      .withPanel(fleetTable())
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
