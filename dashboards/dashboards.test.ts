/**
 * The dashboards as code: the committed JSON is what the builders make, every query reads metrics that
 * exist in common/metrics.ts, and every query parses and returns series from a real Prometheus fed by
 * the real agent and server bins and the simulator (test/support/dashboard-stack.ts).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { requireService } from '../test/helpers/ctx.js';
import { commandExists } from '../test/helpers/servers.js';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { METRIC } from '../common/metrics.js';
import { pushSchema } from '../agent/push/schema.js';
import { GRAFANA_UID } from '../server/export/names.js';
import { CENTER_DETAIL_LINK, DATASOURCE_UID } from './common.js';
import { DASHBOARDS, render } from './index.js';
import { readinessCode } from './province-overview.js';
import { FLEET_PANELS } from './agents.js';
import { isKnownMetric, metricNames, panelQueries, substitute, variableQueries } from './promql.js';
import { CENTER, FAULTS, PROVINCE, startStack, type Stack } from '../test/support/dashboard-stack.js';

/** Concrete values for the dashboard variables: the stack's center, a multi-value line selection as Grafana renders it. */
const VALUES: Record<string, string> = { province: PROVINCE, center: CENTER, line: '(loopback|tslcd)', __range: '5m', __rate_interval: '1m' };

/**
 * Queries nothing on loopback produces: a UPS (NUT) and a CUPS queue are hardware or daemons this
 * stack does not run. They are sent to Prometheus and must parse; they must also return nothing here,
 * so an entry that has become testable is noticed and removed. Key: `<dashboard>/<panel title>`.
 */
const NEEDS_HARDWARE = new Set([
  'center-detail/Lệnh in đang chờ', // centerwatch_printer_queued_jobs: an IPP printer or a CUPS queue
  'center-detail/Thời gian lưu điện còn lại', // centerwatch_ups_*: a UPS behind NUT
  'center-detail/Mức pin UPS',
  'center-detail/Đang chạy bằng pin',
  'center-detail/Độ trễ sao chép CSDL', // centerwatch_db_replication_lag_seconds: a postgres or mysql replica
]);

/**
 * Panels read from the server's fleet store (enrolled agents): the stack's agents push with server.yaml
 * tokens and none is enrolled, so here they must parse; agents-fleet.test.ts checks what they compute.
 */
const FROM_FLEET_STORE = new Set(FLEET_PANELS.map((title) => `agents/${title}`));

type AnyPanel = dashboard.Panel | dashboard.RowPanel;
/** Every panel of a dashboard, rows' children included (rows themselves left out). */
const panelsOf = (d: dashboard.Dashboard): dashboard.Panel[] =>
  (d.panels ?? []).flatMap((p: AnyPanel) => (p.type === 'row' ? (p as dashboard.RowPanel).panels : [p as dashboard.Panel]));
const exprsOf = (p: dashboard.Panel): string[] => (p.targets ?? []).map((t) => (t as { expr?: string }).expr ?? '');
const linksOf = (p: dashboard.Panel): Array<{ url?: string }> => p.fieldConfig?.defaults?.links ?? [];
/** Variables a query reads (`$center`, `${line}`), Grafana's own `$__…` left out. */
const varsOf = (expr: string): string[] => [...expr.matchAll(/\$\{?([a-zA-Z][a-zA-Z0-9_]*)/g)].map((m) => m[1]!);
/** Panels of the province overview that show one series per center: each must drill down. */
const perCenter = (d: dashboard.Dashboard): dashboard.Panel[] =>
  panelsOf(d).filter((p) => (p.targets ?? []).some((t) => /\{\{center\}\}/.test((t as { legendFormat?: string }).legendFormat ?? '')));

const ALL = Object.entries(DASHBOARDS).flatMap(([name, build]) => panelQueries(build()).map((p) => ({ key: `${name}/${p.panel}`, expr: p.expr })));

describe('dashboards as code', () => {
  it.each(Object.keys(DASHBOARDS))('dashboards/json/%s.json is what the builders produce (run `npm run dashboards`)', (name) => {
    const committed = readFileSync(new URL(`./json/${name}.json`, import.meta.url), 'utf8');
    expect(committed).toBe(render(DASHBOARDS[name]!()));
  });

  it('panel ids are unique within each dashboard', () => {
    for (const build of Object.values(DASHBOARDS)) {
      const d = build();
      const ids = (d.panels ?? []).flatMap((p) => [p.id, ...((p as { panels?: Array<{ id?: number }> }).panels ?? []).map((c) => c.id)]);
      expect(ids.every((id) => typeof id === 'number')).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it('every panel and variable query reads only metrics named in common/metrics.ts', () => {
    expect(ALL.length).toBeGreaterThan(25);
    const exprs = [
      ...ALL.map((q) => ({ key: q.key, expr: q.expr })),
      ...Object.entries(DASHBOARDS).flatMap(([name, b]) => variableQueries(b()).map((v) => ({ key: `${name}/$${v.variable}`, expr: v.selector }))),
    ];
    const unknown = exprs.flatMap(({ key, expr }) =>
      metricNames(expr)
        .filter((n) => !isKnownMetric(n))
        .map((n) => `${key}: ${n}`),
    );
    expect(unknown).toEqual([]);
    expect(exprs.filter(({ expr }) => metricNames(expr).length === 0).map((e) => e.key)).toEqual([]);
  });

  it('every "needs hardware" entry names a panel that exists', () => {
    const keys = new Set(ALL.map((q) => q.key));
    expect([...NEEDS_HARDWARE].filter((k) => !keys.has(k))).toEqual([]);
  });

  it('the provisioning files name the datasource the dashboards default to and the json folder', () => {
    const ds = parse(readFileSync(new URL('./provisioning/datasources/centerwatch.yaml', import.meta.url), 'utf8'));
    expect(ds.datasources).toEqual([expect.objectContaining({ uid: DATASOURCE_UID, type: 'prometheus', url: 'http://127.0.0.1:9090' })]);
    const dash = parse(readFileSync(new URL('./provisioning/dashboards/centerwatch.yaml', import.meta.url), 'utf8'));
    expect(dash.providers).toEqual([
      expect.objectContaining({ type: 'file', options: expect.objectContaining({ path: expect.stringMatching(/\/dashboards\/json$/) }) }),
    ]);
    for (const build of Object.values(DASHBOARDS)) {
      const ds = build().templating?.list?.find((v) => v.type === dashboard.VariableType.Datasource);
      expect(ds?.current?.value).toBe(DATASOURCE_UID);
    }
  });

  it('province → center: per-center panels of the overview link to Center detail, which reads no variable the link does not set', () => {
    const overview = DASHBOARDS['province-overview']!();
    const linked = perCenter(overview);
    expect(linked.map((p) => p.title)).toEqual(['Tỉ lệ thời gian sẵn sàng (mọi giờ)', 'Trạng thái từng trung tâm']);
    for (const p of linked) {
      expect(
        linksOf(p).map((l) => l.url),
        p.title,
      ).toEqual([CENTER_DETAIL_LINK]);
      // The link reads the center and province labels: the query must keep both.
      for (const e of exprsOf(p)) expect(e, p.title).toMatch(/by \(province, center\)/);
    }
    expect(CENTER_DETAIL_LINK).toMatch(
      new RegExp(`^/d/${GRAFANA_UID.centerDetail}\\?var-province=\\$\\{__field\\.labels\\.province\\}&var-center=\\$\\{__field\\.labels\\.center\\}&`),
    );
    // Every panel of Center detail reads $center (so the link reaches all of them); $line has an All default.
    const detail = DASHBOARDS['center-detail']!();
    const missing = panelsOf(detail).filter((p) => !exprsOf(p).every((e) => varsOf(e).includes('center')));
    expect(missing.map((p) => p.title)).toEqual([]);
    const read = new Set(panelsOf(detail).flatMap((p) => exprsOf(p).flatMap(varsOf)));
    expect([...read].sort()).toEqual(['center', 'line']);
  });

  it('center → province: every dashboard links to the others, carrying the variables and the time range', () => {
    for (const [name, build] of Object.entries(DASHBOARDS)) {
      const d = build();
      expect(d.tags, name).toContain('centerwatch');
      expect(d.links, name).toEqual([expect.objectContaining({ type: 'dashboards', tags: ['centerwatch'], includeVars: true, keepTime: true })]);
    }
  });

  it('Center detail opens with its first two rows (lines, links) unfolded, the others folded', () => {
    const top = DASHBOARDS['center-detail']!().panels ?? [];
    const rows = top.filter((p) => p.type === 'row') as dashboard.RowPanel[];
    expect(rows.map((r) => [r.title, r.collapsed])).toEqual([
      ['Đường truyền · Lines', false],
      ['Kết nối tới các hệ thống · Links', false],
      ['Thiết bị ngoại vi · Peripherals', true],
      ['Máy tính · Machines', true],
      ['Cơ sở dữ liệu · Databases', true],
    ]);
    // Grafana drops panels held inside an open row: an open row's panels follow it at the top level.
    for (const r of rows) expect(r.panels.length === 0, r.title).toBe(!r.collapsed);
    expect(top.filter((p) => p.type !== 'row').length).toBe(8);
    expect(top.findIndex((p) => p.type !== 'row')).toBe(1);
  });

  it('titles are Vietnamese; each description ends with the English title', () => {
    const english: string[] = [];
    for (const [name, build] of Object.entries(DASHBOARDS)) {
      const d = build();
      expect(d.description, name).toMatch(/EN: /);
      for (const p of panelsOf(d)) {
        const en = /(?:^|\n\n)EN: ([^.]+)/.exec(p.description ?? '')?.[1];
        expect(en, `${name}/${p.title}`).toBeDefined();
        if (en === p.title) english.push(`${name}/${p.title}`);
      }
      for (const v of d.templating?.list ?? []) expect(['Nguồn dữ liệu', 'Tỉnh', 'Trung tâm', 'Đường truyền'], `${name}/$${v.name}`).toContain(v.label);
    }
    expect(english).toEqual([]);
    expect(DASHBOARDS['province-overview']!().title).toBe('centerwatch / Tổng quan tỉnh');
  });

  it('Center detail has panels for USB devices, scanners, the NTP offset and database replication lag', () => {
    const read = new Set(panelsOf(DASHBOARDS['center-detail']!()).flatMap((p) => exprsOf(p).flatMap(metricNames)));
    const scanners = panelsOf(DASHBOARDS['center-detail']!()).filter((p) => exprsOf(p).some((e) => e.includes('kind="scanner"')));
    expect([METRIC.usbDevices, METRIC.scannerStateInfo, METRIC.clockOffsetSeconds, METRIC.dbReplicationLagSeconds].filter((m) => !read.has(m))).toEqual([]);
    expect(scanners.map((p) => p.title)).toEqual(['Máy quét']);
  });

  it('every query of a dashboard with a province variable is filtered by it (or by $center, inside it)', () => {
    const unfiltered = Object.entries(DASHBOARDS).flatMap(([name, build]) => {
      const d = build();
      if (!d.templating?.list?.some((v) => v.name === 'province')) return [];
      return panelsOf(d).flatMap((p) =>
        exprsOf(p)
          .filter((e) => !/\$province|\$center/.test(e))
          .map(() => `${name}/${p.title}`),
      );
    });
    expect(unfiltered).toEqual([]);
  });

  it("the datasource provisioning file states the agents' real push interval", () => {
    const text = readFileSync(new URL('./provisioning/datasources/centerwatch.yaml', import.meta.url), 'utf8');
    const stated = /Agents push every (\d+) s/.exec(text)?.[1];
    expect(Number(stated) * 1000).toBe(pushSchema.shape.interval.parse(undefined));
  });

  it('metricNames reads metric names, not label names, values or functions', () => {
    expect(metricNames('sum by (le) (rate(centerwatch_icmp_rtt_seconds_bucket{center="$center"}[1m]))')).toEqual(['centerwatch_icmp_rtt_seconds_bucket']);
    expect(metricNames('time() - last_over_time(centerwatch_agent_push_last_success_timestamp_seconds[1d])')).toEqual([
      'centerwatch_agent_push_last_success_timestamp_seconds',
    ]);
    expect(metricNames('process_resident_memory_bytes + centerwatch_x{check="centerwatch_not_a_metric"}')).toEqual([
      'process_resident_memory_bytes',
      'centerwatch_x',
    ]);
    expect(metricNames(readinessCode('province="p"'))).toEqual(['centerwatch_center_readiness']);
    expect(isKnownMetric('centerwatch_icmp_rtt_seconds_count')).toBe(true);
    expect(isKnownMetric('centerwatch_line_loss_ratio_bucket')).toBe(true); // suffix of a known name: allowed by the rule, Prometheus decides
    expect(isKnownMetric('centerwatch_http_phase_seconds')).toBe(false);
  });

  it('substitute fills Grafana variables and refuses to leave one', () => {
    expect(substitute('rate(x{center="$center",line=~"${line}"}[$__rate_interval]) [$__range]', VALUES)).toBe(
      `rate(x{center="${CENTER}",line=~"(loopback|tslcd)"}[1m]) [5m]`,
    );
    expect(() => substitute('x{a="$nope"}', VALUES)).toThrow('no value for $nope');
  });
});

const hasProm = commandExists('prometheus');

describe.skipIf(!requireService(hasProm, 'prometheus not installed (Debian package prometheus)'))('dashboards against a real Prometheus', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('every panel query parses and returns series (the "needs hardware" ones parse and return none)', async () => {
    const queries = ALL.map((q) => ({ ...q, promql: substitute(q.expr, VALUES) }));
    const empty = async (): Promise<string[]> => {
      const out: string[] = [];
      for (const q of queries) {
        if (NEEDS_HARDWARE.has(q.key)) continue;
        const a = await stack.query(q.promql);
        if (a.status !== 'success') out.push(`${q.key}: ${a.error}`);
        else if (a.result.length === 0 && !FROM_FLEET_STORE.has(q.key)) out.push(`${q.key}: no series for ${q.promql}`);
      }
      return out;
    };
    // The pipeline needs a few pushes, forwards and scrapes before rates and ranges have two samples.
    const until = Date.now() + 60_000;
    let missing = await empty();
    while (missing.length > 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 1000));
      missing = await empty();
    }
    if (missing.length > 0) console.error(stack.log());
    expect(missing).toEqual([]);

    for (const q of queries.filter((x) => NEEDS_HARDWARE.has(x.key))) {
      const a = await stack.query(q.promql);
      expect({ key: q.key, status: a.status, error: a.error }).toEqual({ key: q.key, status: 'success', error: undefined });
      expect({ key: q.key, series: a.result.length }).toEqual({ key: q.key, series: 0 });
    }
  }, 120_000);

  it('the queries compute what their panels say', async () => {
    type Vec = Array<{ metric: Record<string, string>; value: [number, string] }>;
    const run = async (key: string): Promise<Vec> => {
      const q = ALL.find((x) => x.key === key);
      expect(q, key).toBeDefined();
      const a = await stack.query(substitute(q!.expr, VALUES));
      expect(a.status).toBe('success');
      return a.result as Vec;
    };
    // The real agent's checks all pass: its center's engine state is ready (code 0).
    await expect
      .poll(async () => (await run('province-overview/Trạng thái từng trung tâm')).map((s) => [s.metric.center, s.value[1]]), { timeout: 30_000 })
      .toEqual([[CENTER, '0']]);
    // The simulator's fault: national-portal fails from Huế's center only (hue is not in $province, so 0 here)…
    const failing = await run('links-across-centers/Số trung tâm lỗi, theo hệ thống');
    expect(failing.find((s) => s.metric.check === 'national-portal')?.value[1]).toBe('0');
    // …and with every province selected, it is one center.
    const all = await stack.query(
      substitute(ALL.find((x) => x.key === 'links-across-centers/Số trung tâm lỗi, theo hệ thống')!.expr, { ...VALUES, province: '.+' }),
    );
    const byCheck = Object.fromEntries((all.result as Vec).map((s) => [s.metric.check, s.value[1]]));
    expect(byCheck['national-portal']).toBe('1');
    expect(byCheck['vneid-sso']).toBe('0');
    // Versions: the real agent's version, from its own push through the server.
    const versions = await run('agents/Phiên bản agent');
    expect(versions.map((s) => s.metric.version)).toEqual([expect.stringMatching(/^\d+\.\d+\.\d+/)]);
    // Every per-center panel of the overview answers with the two labels its drill-down link reads.
    for (const p of perCenter(DASHBOARDS['province-overview']!())) {
      const series = await run(`province-overview/${p.title}`);
      expect(series.length, p.title).toBeGreaterThan(0);
      for (const s of series) expect(s.metric, p.title).toMatchObject({ province: PROVINCE, center: expect.any(String) });
    }
    // Alerts firing follows $province: the stack's province has its series, another province none.
    expect((await run('province-overview/Cảnh báo đang mở')).map((s) => s.metric.severity).sort()).toEqual(['critical', 'info', 'warning']);
    const elsewhere = await stack.query(substitute(ALL.find((x) => x.key === 'province-overview/Cảnh báo đang mở')!.expr, { ...VALUES, province: 'nowhere' }));
    expect(elsewhere.result).toEqual([]);
    // The scanner's eSCL state and the clock offset from the loopback responders.
    expect((await run('center-detail/Trạng thái máy quét (eSCL)')).map((s) => s.metric.state)).toEqual(['idle']);
    const offset = await run('center-detail/Lệch đồng hồ (NTP)');
    expect(offset.map((s) => Math.abs(Number(s.value[1])))).toEqual([expect.any(Number)]);
    expect(Math.abs(Number(offset[0]!.value[1]))).toBeLessThan(0.5);
  }, 60_000);

  it("the variables list the stack's province, center and lines", async () => {
    const lists: Record<string, string[]> = {};
    for (const v of variableQueries(DASHBOARDS['center-detail']!())) lists[v.variable] = await stack.labelValues(v.label, substitute(v.selector, VALUES));
    expect(lists.province).toEqual(expect.arrayContaining([PROVINCE, 'hue', 'lai-chau']));
    expect(lists.center).toEqual(expect.arrayContaining([CENTER]));
    expect(lists.center).not.toContain(FAULTS[0]!.center);
    expect(lists.line).toEqual(expect.arrayContaining(['loopback', 'tslcd', 'inet1', 'inet2']));
  }, 30_000);
});
