/**
 * `centerwatch-server export alertmanager-config`: the engine's routing, office hours and root causes as
 * an Alertmanager configuration (≥ 0.25: `location` in time intervals), pure (ServerConfig → YAML).
 *
 *  - routes: one per engine route (its severities, provinces, centers), each alert to every matching
 *    route (`continue`), one notification per alert (`group_by: ['...']`), info never sent;
 *  - office hours: non-urgent alerts wait for `paging-hours` (office hours from `lead_time` before each
 *    opening, Asia/Ho_Chi_Minh) and are muted on holidays, as the engine holds them; urgent ones
 *    (LinesDown, a blocking check of an urgent kind: a UPS) go out at once. Per-province calendars get their own intervals;
 *  - inhibit rules: the engine's dependency model (server/engine/dependencies.ts).
 *
 * Alert names are the exported rules' (`CenterwatchLinesDown`…, names.ts). Receivers use Alertmanager's
 * own integrations (am-receivers.ts); channel secrets stay in the server's config.
 */
import { Document, isMap, isSeq } from 'yaml';
import type { ServerConfig } from '../config/schema.js';
import type { EngineConfig, RouteConfig } from '../config/engine-schema.js';
import { kindsWhere } from '../../common/catalogue.js';
import { WEEKDAY_SPANS, type Span } from '../calendar.js';
import { alternation, quote } from './common.js';
import { receiverOf } from './am-receivers.js';
import { exportedName as n } from './names.js';
export const TIMEZONE = 'Asia/Ho_Chi_Minh';
const NOWHERE = 'blackhole';

type Calendar = { saturday_morning?: boolean | undefined; holidays?: string[] | undefined; extra_workdays?: string[] | undefined };

interface TimeRange {
  start_time: string;
  end_time: string;
}

const clock = (minutes: number): string => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
const times = (spans: readonly Span[], leadMin: number): TimeRange[] =>
  spans.map((s) => ({ start_time: clock(Math.max(0, s.start - leadMin)), end_time: clock(s.end) }));
const onDate = (date: string): { days_of_month: string[]; months: string[]; years: string[] } => {
  const [y, m, d] = date.split('-').map(Number);
  return { days_of_month: [String(d)], months: [String(m)], years: [String(y)] };
};

/** Office hours (from `leadMin` minutes before each opening) of one calendar, as Alertmanager time ranges. */
function hoursOf(cal: Calendar, leadMin: number): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [{ weekdays: ['monday:friday'], times: times(WEEKDAY_SPANS, leadMin), location: TIMEZONE }];
  if (cal.saturday_morning) out.push({ weekdays: ['saturday'], times: times([WEEKDAY_SPANS[0]!], leadMin), location: TIMEZONE });
  for (const d of cal.extra_workdays ?? []) out.push({ ...onDate(d), times: times(WEEKDAY_SPANS, leadMin), location: TIMEZONE });
  return out;
}

function holidaysOf(cal: Calendar): Array<Record<string, unknown>> {
  return (cal.holidays ?? []).map((d) => ({ ...onDate(d), location: TIMEZONE }));
}

/** The calendar of a province: its overrides over the engine-wide one (as engine/settings.ts). */
function calendarOf(engine: EngineConfig, province?: string): Calendar {
  const c = engine.calendar;
  const o = province === undefined ? {} : (c.provinces[province] ?? {});
  return {
    saturday_morning: o.saturday_morning ?? c.saturday_morning,
    holidays: o.holidays ?? c.holidays,
    extra_workdays: o.extra_workdays ?? c.extra_workdays,
  };
}

/**
 * Routes in the engine that wait for office hours; urgent alerts are matched first and never wait: every
 * line down, and a blocking check of a kind the catalogue marks urgent (server/engine/paging.ts).
 */
export function urgentMatchers(): string[][] {
  const kinds = kindsWhere((e) => e.urgency === 'urgent_when_blocking');
  const kind = kinds.length === 1 ? `kind=${quote(kinds[0]!)}` : `kind=~${quote(alternation(kinds))}`;
  return [[`alertname="${n('LinesDown')}"`], ...(kinds.length ? [[`alertname="${n('CheckDown')}"`, kind, 'impact="blocking"']] : [])];
}
const URGENT = urgentMatchers();

function routeOf(r: RouteConfig, engine: EngineConfig, provinces: string[], hasHolidays: (p?: string) => boolean): Record<string, unknown> {
  const sev = r.severities.filter((s) => s !== 'info');
  const matchers = [`severity=~${quote(alternation(sev))}`];
  if (r.provinces) matchers.push(`province=~${quote(alternation(r.provinces))}`);
  if (r.centers) matchers.push(`center=~${quote(alternation(r.centers))}`);
  const wait = (suffix: string, p?: string): Record<string, unknown> => ({
    active_time_intervals: [`paging-hours${suffix}`],
    ...(hasHolidays(p) ? { mute_time_intervals: [`holidays${suffix}`] } : {}),
  });
  const children: Array<Record<string, unknown>> = engine.calendar.hold_outside_hours
    ? [...URGENT.map((m) => ({ matchers: m })), ...provinces.map((p) => ({ matchers: [`province=${quote(p)}`], ...wait(`-${p}`, p) })), wait('')]
    : [];
  return { receiver: r.name, matchers, continue: true, ...(children.length ? { routes: children } : {}) };
}

function inhibitRules(engine: EngineConfig): Array<Record<string, unknown>> {
  const checks = `${n('CheckDown')}|${n('CheckDegraded')}`;
  const rules: Array<Record<string, unknown>> = [
    {
      source_matchers: [`alertname="${n('CenterOffline')}"`],
      target_matchers: [`alertname=~"${n('AgentSilent')}|${n('LinesDown')}|${checks}"`],
      equal: ['province', 'center'],
    },
    { source_matchers: [`alertname="${n('AgentSilent')}"`], target_matchers: [`alertname=~"${checks}"`], equal: ['province', 'center', 'agent'] },
    { source_matchers: [`alertname="${n('LinesDown')}"`], target_matchers: [`alertname=~"${checks}"`, 'line=~".+"'], equal: ['province', 'center'] },
  ];
  const upstreamChecks = engine.upstreams.flatMap((u) => u.checks);
  if (upstreamChecks.length > 0) {
    rules.push({
      source_matchers: [`alertname="${n('LinesDown')}"`],
      target_matchers: [`alertname=~"${checks}"`, `check=~${quote(alternation(upstreamChecks))}`],
      equal: ['province', 'center'],
    });
  }
  for (const u of engine.upstreams) {
    rules.push({
      source_matchers: [`alertname="${n('UpstreamDown')}"`, `upstream=${quote(u.name)}`],
      target_matchers: [`alertname="${n('CheckDown')}"`, `check=~${quote(alternation(u.checks))}`],
      equal: ['province'],
    });
  }
  return rules;
}

export function alertmanagerConfig(cfg: ServerConfig): string {
  const engine = cfg.engine;
  const leadMin = Math.round(engine.calendar.lead_time / 60_000);
  const provinces = Object.keys(engine.calendar.provinces).sort();
  const hasHolidays = (p?: string): boolean => (calendarOf(engine, p).holidays ?? []).length > 0;
  const base = calendarOf(engine);
  const intervals: Array<{ name: string; time_intervals: Array<Record<string, unknown>> }> = [
    { name: 'office-hours', time_intervals: hoursOf(base, 0) },
    { name: 'paging-hours', time_intervals: hoursOf(base, leadMin) },
  ];
  if (hasHolidays()) intervals.push({ name: 'holidays', time_intervals: holidaysOf(base) });
  for (const p of provinces) {
    const cal = calendarOf(engine, p);
    intervals.push({ name: `office-hours-${p}`, time_intervals: hoursOf(cal, 0) }, { name: `paging-hours-${p}`, time_intervals: hoursOf(cal, leadMin) });
    if (hasHolidays(p)) intervals.push({ name: `holidays-${p}`, time_intervals: holidaysOf(cal) });
  }
  const paged = engine.routes.filter((r) => !r.escalation_only);
  const receivers = engine.routes.map(receiverOf);
  const config = {
    route: {
      receiver: NOWHERE,
      // The engine sends one message per alert: group by every label.
      group_by: ['...'],
      group_wait: '10s',
      group_interval: '1m',
      repeat_interval: '4h',
      routes: [{ matchers: ['severity="info"'], receiver: NOWHERE }, ...paged.map((r) => routeOf(r, engine, provinces, hasHolidays))],
    },
    receivers: [{ name: NOWHERE }, ...receivers.map((r) => r.receiver)],
    inhibit_rules: inhibitRules(engine),
    time_intervals: intervals,
  };

  const doc = new Document(config, { aliasDuplicateObjects: false });
  doc.commentBefore = [
    ' Alertmanager configuration generated by `centerwatch-server export alertmanager-config` from the engine config.',
    ' Needs Alertmanager >= 0.25 (time intervals with a location). Check with: amtool check-config <this file>',
    '',
    ' Not exported: escalation (escalate_after/escalate_to), the morning digest, and engine.silences',
    ' (create those with `amtool silence add`). Inhibited alerts send no resolved message, where the',
    ' engine sends one for every alert it announced.',
    '',
    ' Zalo is not exported: Alertmanager has no Zalo receiver and centerwatch ships no relay. A Zalo route',
    " below is an empty receiver; keep Zalo on the server's own engine.",
    ...(paged.length === 0 ? ['', ' engine.routes has no route: nothing is sent.'] : []),
  ].join('\n');
  const seq = doc.get('receivers', true);
  if (isSeq(seq)) {
    receivers.forEach((r, i) => {
      const node = seq.items[i + 1];
      if (r.comment && isMap(node)) node.commentBefore = ` ${r.comment}`;
    });
  }
  const routes = doc.getIn(['route', 'routes'], true);
  if (isSeq(routes) && isMap(routes.items[0])) routes.items[0].commentBefore = ' info is recorded, never paged (as the engine)';
  return doc.toString({ lineWidth: 0 });
}
