/**
 * Center detail: one center's lines, links, peripherals, machines and databases. Rows follow the order
 * in which a technician on the phone rules causes out: the line first, then the upstream, then the desk.
 * The first two rows open on load (what a call is usually about), the others collapsed.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as heatmap from '@grafana/grafana-foundation-sdk/heatmap';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import * as table from '@grafana/grafana-foundation-sdk/table';
import { GRAFANA_UID } from '../server/export/names.js';
import {
  baseDashboard,
  caption,
  centerVariable,
  DS,
  finish,
  grid,
  lineVariable,
  open,
  provinceVariable,
  q,
  rowTitle,
  statPanel,
  thresholds,
  timeSeries,
  type Caption,
} from './common.js';

const C = 'center="$center"';
const LINE = `${C},line=~"$line"`;

export const UP_DOWN: dashboard.ValueMapping[] = [
  {
    type: dashboard.MappingType.ValueToText,
    options: { '0': { text: 'lỗi', color: 'red', index: 0 }, '1': { text: 'tốt', color: 'green', index: 1 } },
  },
];

/** Up/down of every check matching `selector`, one row per check and agent. */
function results(c: Caption, selector: string, h = 10): statetimeline.PanelBuilder {
  return new statetimeline.PanelBuilder()
    .title(c.title)
    .description(c.description)
    .datasource(DS)
    .mappings(UP_DOWN)
    .thresholds(
      thresholds([
        [null, 'red'],
        [1, 'green'],
      ]),
    )
    .showValue(common.VisibilityMode.Never)
    .withTarget(q(`centerwatch_probe_success{${selector}}`, '{{check}} ({{agent}})'))
    .gridPos(grid(24, h));
}

function lines(): dashboard.RowBuilder {
  const rtt = caption(
    { vi: 'Thời gian khứ hồi (RTT)', en: 'Round-trip time' },
    {
      vi: 'Mọi gói trả lời của các đường truyền đã chọn (histogram centerwatch_icmp_rtt_seconds).',
      en: 'Every echo reply of the selected lines, from the centerwatch_icmp_rtt_seconds histogram.',
    },
  );
  return new dashboard.RowBuilder(rowTitle({ vi: 'Đường truyền', en: 'Lines' }))
    .withPanel(
      timeSeries(
        caption(
          { vi: 'Mất gói', en: 'Packet loss' },
          {
            vi: 'Tỉ lệ gói ping không được trả lời trong cửa sổ của hạng mục (mặc định 30 giây).',
            en: "Share of echo requests without a reply over the check's window (30 s by default).",
          },
        ),
        'percentunit',
        q(`centerwatch_line_loss_ratio{${LINE}}`, '{{line}} ({{agent}})'),
      )
        .min(0)
        .max(1),
    )
    .withPanel(
      new heatmap.PanelBuilder()
        .title(rtt.title)
        .description(rtt.description)
        .datasource(DS)
        .calculate(false)
        .withTarget(
          q(`sum by (le) (rate(centerwatch_icmp_rtt_seconds_bucket{${LINE}}[$__rate_interval]))`, '{{le}}', { format: prometheus.PromQueryFormat.Heatmap }),
        )
        .color(
          new heatmap.HeatmapColorOptionsBuilder()
            .mode(heatmap.HeatmapColorMode.Scheme)
            .scheme('Oranges')
            .scale(heatmap.HeatmapColorScale.Exponential)
            .exponent(0.5),
        )
        .yAxis(new heatmap.YAxisConfigBuilder().unit('s'))
        .gridPos(grid(12)),
    )
    .withPanel(
      timeSeries(
        caption(
          { vi: 'Độ dao động trễ (jitter)', en: 'Jitter' },
          { vi: 'Chênh lệch trung bình giữa hai lần khứ hồi liên tiếp (RFC 3550).', en: 'Mean difference of consecutive round trips (RFC 3550).' },
        ),
        's',
        q(`centerwatch_line_jitter_seconds{${LINE}}`, '{{line}} ({{agent}})'),
      ),
    )
    .withPanel(
      timeSeries(
        caption({ vi: 'Thời gian khứ hồi trung bình', en: 'Mean round-trip time' }),
        's',
        q(`centerwatch_line_rtt_seconds{${LINE}}`, '{{line}} ({{agent}})'),
      ),
    )
    .withPanel(
      timeSeries(
        caption(
          { vi: 'Đổi tuyến mặc định', en: 'Default-route changes' },
          {
            vi: 'Tuyến mặc định thay đổi là lúc chuyển sang đường truyền khác (hoặc có kỹ thuật viên đang thao tác).',
            en: 'A change of the default route is a line failover (or a technician at work).',
          },
        ),
        'none',
        q(`increase(centerwatch_host_default_route_changes_total{${C}}[$__rate_interval])`, '{{agent}}'),
      )
        .drawStyle(common.GraphDrawStyle.Bars)
        .gridPos(grid(24, 6)),
    );
}

function links(): dashboard.RowBuilder {
  return new dashboard.RowBuilder(rowTitle({ vi: 'Kết nối tới các hệ thống', en: 'Links' }))
    .withPanel(
      results(
        caption(
          { vi: 'Kết quả kiểm tra', en: 'Probe results' },
          { vi: 'Mọi hạng mục HTTP, DNS và TCP của trung tâm, theo từng máy.', en: 'Every HTTP, DNS and TCP check of the center, per agent.' },
        ),
        `${C},kind=~"http|dns|tcp"`,
      ),
    )
    .withPanel(
      timeSeries(
        caption(
          { vi: 'Các giai đoạn HTTP', en: 'HTTP phases' },
          {
            vi: 'Thời gian của từng giai đoạn: phân giải tên, kết nối, TLS, byte đầu tiên, truyền dữ liệu.',
            en: 'Where an HTTP check spends its time: resolve, connect, tls, first byte, transfer.',
          },
        ),
        's',
        q(`avg by (check, phase) (centerwatch_probe_phase_seconds{${C},kind="http"})`, '{{check}} {{phase}}'),
      )
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal))
        .gridPos(grid(12)),
    )
    .withPanel(
      timeSeries(
        caption({ vi: 'Thời gian kiểm tra', en: 'Check duration' }),
        's',
        q(`centerwatch_probe_duration_seconds{${C},kind=~"http|dns|tcp"}`, '{{check}} ({{agent}})'),
      ),
    );
}

function peripherals(): dashboard.RowBuilder {
  const supplies = caption(
    { vi: 'Mực và vật tư máy in', en: 'Printer supplies' },
    { vi: 'Mức còn lại của từng loại mực, trống, hộp mực thải.', en: 'Level of each supply: toner, drum, waste.' },
  );
  const scanners = caption(
    { vi: 'Trạng thái máy quét (eSCL)', en: 'Scanner state (eSCL)' },
    {
      vi: 'Trạng thái máy quét báo qua eSCL: idle (sẵn sàng), processing (đang quét), testing, stopped (lỗi, kẹt giấy).',
      en: 'State the scanner reports over eSCL: idle, processing, testing, stopped (an error, a paper jam).',
    },
  );
  return new dashboard.RowBuilder(rowTitle({ vi: 'Thiết bị ngoại vi', en: 'Peripherals' }))
    .withPanel(
      new bargauge.PanelBuilder()
        .title(supplies.title)
        .description(supplies.description)
        .datasource(DS)
        .unit('percentunit')
        .min(0)
        .max(1)
        .thresholds(
          thresholds([
            [null, 'red'],
            [0.1, 'yellow'],
            [0.25, 'green'],
          ]),
        )
        .orientation(common.VizOrientation.Horizontal)
        .withTarget(q(`centerwatch_printer_supply_level_ratio{${C}}`, '{{check}} {{supply}}', { instant: true }))
        .gridPos(grid(12)),
    )
    .withPanel(
      timeSeries(caption({ vi: 'Lệnh in đang chờ', en: 'Queued print jobs' }), 'none', q(`centerwatch_printer_queued_jobs{${C}}`, '{{check}}')).gridPos(
        grid(12),
      ),
    )
    .withPanel(
      timeSeries(
        caption(
          { vi: 'Thiết bị USB', en: 'USB devices' },
          {
            vi: 'Số thiết bị USB khớp với mỗi hạng mục (đầu đọc căn cước, token ký số, máy quét); 0 là thiết bị đã bị rút ra hoặc hỏng.',
            en: 'USB devices matching each check (ID-card reader, signing token, scanner); 0 is unplugged or dead.',
          },
        ),
        'none',
        q(`centerwatch_usb_devices{${C}}`, '{{check}} ({{agent}})'),
      )
        .min(0)
        .decimals(0)
        .gridPos(grid(12)),
    )
    .withPanel(
      results(
        caption(
          { vi: 'Máy quét', en: 'Scanners' },
          { vi: 'Hạng mục máy quét (SANE hoặc eSCL) tốt hay lỗi, theo từng máy.', en: 'Scanner checks (SANE or eSCL) up or down, per agent.' },
        ),
        `${C},kind="scanner"`,
        8,
      ).gridPos(grid(12)),
    )
    .withPanel(
      new table.PanelBuilder()
        .title(scanners.title)
        .description(scanners.description)
        .datasource(DS)
        .withTarget(
          q(`max by (agent, check, state) (centerwatch_scanner_state_info{${C}} == 1)`, '', { instant: true, format: prometheus.PromQueryFormat.Table }),
        )
        .withTransformation({ id: 'organize', options: { excludeByName: { Time: true, Value: true } } })
        .gridPos(grid(12)),
    )
    .withPanel(
      statPanel(
        caption({ vi: 'Thời gian lưu điện còn lại', en: 'UPS runtime left' }),
        's',
        q(`centerwatch_ups_runtime_seconds{${C}}`, '{{check}}', { instant: true }),
      )
        .thresholds(
          thresholds([
            [null, 'red'],
            [600, 'yellow'],
            [1200, 'green'],
          ]),
        )
        .gridPos(grid(6)),
    )
    .withPanel(
      statPanel(
        caption({ vi: 'Mức pin UPS', en: 'UPS charge' }),
        'percentunit',
        q(`centerwatch_ups_battery_charge_ratio{${C}}`, '{{check}}', { instant: true }),
      )
        .thresholds(
          thresholds([
            [null, 'red'],
            [0.5, 'yellow'],
            [0.8, 'green'],
          ]),
        )
        .gridPos(grid(6)),
    )
    .withPanel(
      timeSeries(
        caption({ vi: 'Đang chạy bằng pin', en: 'On battery' }, { vi: '1 khi mất điện lưới.', en: '1 while mains power is off.' }),
        'none',
        q(`centerwatch_ups_on_battery{${C}}`, '{{check}}'),
      ).gridPos(grid(12)),
    );
}

function host(): dashboard.RowBuilder {
  return new dashboard.RowBuilder(rowTitle({ vi: 'Máy tính', en: 'Machines' }))
    .withPanel(
      timeSeries(caption({ vi: 'Tải CPU', en: 'CPU' }), 'percentunit', q(`centerwatch_host_cpu_usage_ratio{${C}}`, '{{agent}}'))
        .min(0)
        .max(1)
        .gridPos(grid(6)),
    )
    .withPanel(
      timeSeries(caption({ vi: 'Bộ nhớ (RAM)', en: 'Memory' }), 'percentunit', q(`centerwatch_host_memory_used_ratio{${C}}`, '{{agent}}'))
        .min(0)
        .max(1)
        .gridPos(grid(6)),
    )
    .withPanel(
      timeSeries(caption({ vi: 'Ổ đĩa', en: 'Filesystems' }), 'percentunit', q(`centerwatch_host_filesystem_used_ratio{${C}}`, '{{agent}} {{mount}}'))
        .min(0)
        .max(1)
        .gridPos(grid(6)),
    )
    .withPanel(
      timeSeries(
        caption(
          { vi: 'Lệch đồng hồ (NTP)', en: 'Clock offset (NTP)' },
          {
            vi: 'Độ lệch đồng hồ của máy so với máy chủ NTP (dương: đồng hồ máy chạy chậm). Lệch vài phút làm hỏng chữ ký số và đăng nhập (TLS, VNeID).',
            en: "Offset of the machine's clock from the NTP server (positive: the clock is behind). Minutes off break digital signatures and logins (TLS, VNeID).",
          },
        ),
        's',
        q(`centerwatch_clock_offset_seconds{${C}}`, '{{agent}} → {{check}}'),
      ).gridPos(grid(6)),
    );
}

function databases(): dashboard.RowBuilder {
  return new dashboard.RowBuilder(rowTitle({ vi: 'Cơ sở dữ liệu', en: 'Databases' })).withPanel(
    timeSeries(
      caption(
        { vi: 'Độ trễ sao chép CSDL', en: 'Database replication lag' },
        {
          vi: 'Bản sao (replica) chậm hơn máy chính bao nhiêu giây. Chỉ có với hạng mục postgres hoặc mysql bật replication: true, khi máy được kiểm tra là bản sao.',
          en: 'How far a replica is behind its primary. Only from postgres or mysql checks with replication: true, when the server checked is a replica.',
        },
      ),
      's',
      q(`centerwatch_db_replication_lag_seconds{${C}}`, '{{check}} ({{agent}})'),
    ).gridPos(grid(24)),
  );
}

export function centerDetail(): dashboard.Dashboard {
  return finish(
    baseDashboard(
      GRAFANA_UID.centerDetail,
      { vi: 'Chi tiết trung tâm', en: 'Center detail' },
      {
        vi: 'Một trung tâm: đường truyền, kết nối tới các hệ thống, thiết bị ngoại vi, máy tính và cơ sở dữ liệu.',
        en: 'One center: lines, links to the upstream systems, peripherals, machines and databases.',
      },
    )
      .withVariable(provinceVariable())
      .withVariable(centerVariable())
      .withVariable(lineVariable())
      .withRow(open(lines()))
      .withRow(open(links()))
      .withRow(peripherals())
      .withRow(host())
      .withRow(databases()),
  );
}
