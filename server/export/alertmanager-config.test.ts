import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { serverConfigSchema } from '../config/schema.js';
import { RELAY_URL, alertmanagerConfig } from './alertmanager-config.js';

const routes = [
  { name: 'ops', channel: 'webhook', options: { url: 'https://hooks.example.vn/cw', headers: { Authorization: 'Bearer secret-header' } } },
  { name: 'oncall', channel: 'telegram', severities: ['critical', 'info'], provinces: ['quang-ngai'], centers: ['sa-huynh', 'duc-pho'], options: { token: 'secret-telegram:x', chat_id: 1 }, escalate_after: '15m', escalate_to: 'lead' },
  { name: 'lead', channel: 'email', escalation_only: true, options: { host: 'smtp.example.vn', from: 'a@example.vn', to: ['b@example.vn'], password: 'secret-mail' } },
];
const build = (engine: Record<string, unknown>) => {
  const text = alertmanagerConfig(serverConfigSchema.parse({ engine }));
  return { text, am: parse(text) };
};
const interval = (am: any, name: string) => am.time_intervals.find((t: any) => t.name === name)?.time_intervals;

describe('office hours', () => {
  it('office-hours as configured, paging-hours from lead_time before each opening, in Vietnam time', () => {
    const { am } = build({ calendar: { lead_time: '15m' } });
    expect(interval(am, 'office-hours')).toEqual([
      { weekdays: ['monday:friday'], times: [{ start_time: '07:30', end_time: '11:30' }, { start_time: '13:30', end_time: '17:00' }], location: 'Asia/Ho_Chi_Minh' },
    ]);
    expect(interval(am, 'paging-hours')[0].times).toEqual([{ start_time: '07:15', end_time: '11:30' }, { start_time: '13:15', end_time: '17:00' }]);
    expect(interval(am, 'holidays')).toBeUndefined();
  });

  it('Saturday morning, moved workdays and holidays, per province where overridden', () => {
    const { am } = build({ calendar: { holidays: ['2026-09-02'], extra_workdays: ['2026-05-09'], provinces: { 'quang-ngai': { saturday_morning: true, holidays: [] } } } });
    expect(interval(am, 'paging-hours')).toHaveLength(2);
    expect(interval(am, 'paging-hours')[1]).toMatchObject({ days_of_month: ['9'], months: ['5'], years: ['2026'] });
    expect(interval(am, 'holidays')).toEqual([{ days_of_month: ['2'], months: ['9'], years: ['2026'], location: 'Asia/Ho_Chi_Minh' }]);
    expect(interval(am, 'paging-hours-quang-ngai')[1]).toEqual({ weekdays: ['saturday'], times: [{ start_time: '07:00', end_time: '11:30' }], location: 'Asia/Ho_Chi_Minh' });
    // The province cleared its holidays: nothing to mute there.
    expect(interval(am, 'holidays-quang-ngai')).toBeUndefined();
  });
});

describe('routes', () => {
  it('info goes nowhere; each paged route gets its severities, provinces and centers, and the next route too', () => {
    const { am } = build({ routes, calendar: { holidays: ['2026-09-02'] } });
    expect(am.route).toMatchObject({ receiver: 'blackhole', group_by: ['...'] });
    const [info, ops, oncall, ...rest] = am.route.routes;
    expect(info).toEqual({ matchers: ['severity="info"'], receiver: 'blackhole' });
    expect(rest).toEqual([]); // `lead` is escalation only
    expect(ops).toMatchObject({ receiver: 'ops', matchers: ['severity=~"critical|warning"'], continue: true });
    expect(oncall.matchers).toEqual(['severity=~"critical"', 'province=~"quang-ngai"', 'center=~"sa-huynh|duc-pho"']);
    // Urgent alerts first and at any hour; the rest wait for paging hours and skip holidays.
    expect(ops.routes).toEqual([
      { matchers: ['alertname="LinesDown"'] },
      { matchers: ['alertname="CheckDown"', 'kind="ups"', 'impact="blocking"'] },
      { active_time_intervals: ['paging-hours'], mute_time_intervals: ['holidays'] },
    ]);
  });

  it('a province with its own calendar gets its own child route before the default one', () => {
    const { am } = build({ routes, calendar: { provinces: { 'quang-ngai': { saturday_morning: true } } } });
    expect(am.route.routes[1].routes.slice(2)).toEqual([{ matchers: ['province="quang-ngai"'], active_time_intervals: ['paging-hours-quang-ngai'] }, { active_time_intervals: ['paging-hours'] }]);
  });

  it('hold_outside_hours: false pages everything at once', () => {
    const { am } = build({ routes, calendar: { hold_outside_hours: false } });
    expect(am.route.routes[1].routes).toBeUndefined();
  });

  it('without routes nothing is sent, and the file says so', () => {
    const { am, text } = build({});
    expect(am.route.routes).toEqual([{ matchers: ['severity="info"'], receiver: 'blackhole' }]);
    expect(text).toContain('# engine.routes has no route: nothing is sent.');
  });
});

describe('receivers', () => {
  it('webhooks as configured, other channels to the relay with a comment, never a secret', () => {
    const { am, text } = build({ routes });
    expect(am.receivers).toEqual([
      { name: 'blackhole' },
      { name: 'ops', webhook_configs: [{ url: 'https://hooks.example.vn/cw', send_resolved: true }] },
      { name: 'oncall', webhook_configs: [{ url: `${RELAY_URL}oncall`, send_resolved: true }] },
      { name: 'lead', webhook_configs: [{ url: `${RELAY_URL}lead`, send_resolved: true }] },
    ]);
    expect(text).toContain("# engine route \"oncall\" sends by telegram: its secrets stay in the server's config.");
    expect(text).toContain('telegram_configs');
    expect(text).not.toMatch(/secret-/);
  });
});

describe('inhibit rules mirror the dependency model', () => {
  it('center offline, agent silent, lines down, and each shared upstream', () => {
    const { am } = build({ upstreams: [{ name: 'ps', title: { vi: 'HT', en: 'S' }, checks: ['ps-http', 'ps-dns'] }] });
    expect(am.inhibit_rules).toEqual([
      { source_matchers: ['alertname="CenterOffline"'], target_matchers: ['alertname=~"AgentSilent|LinesDown|CheckDown|CheckDegraded"'], equal: ['province', 'center'] },
      { source_matchers: ['alertname="AgentSilent"'], target_matchers: ['alertname=~"CheckDown|CheckDegraded"'], equal: ['province', 'center', 'agent'] },
      { source_matchers: ['alertname="LinesDown"'], target_matchers: ['alertname=~"CheckDown|CheckDegraded"', 'line=~".+"'], equal: ['province', 'center'] },
      { source_matchers: ['alertname="LinesDown"'], target_matchers: ['alertname=~"CheckDown|CheckDegraded"', 'check=~"ps-http|ps-dns"'], equal: ['province', 'center'] },
      { source_matchers: ['alertname="UpstreamDown"', 'upstream="ps"'], target_matchers: ['alertname="CheckDown"', 'check=~"ps-http|ps-dns"'], equal: ['province'] },
    ]);
  });
});
