import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { serverConfigSchema } from '../config/schema.js';
import { alertmanagerConfig } from './alertmanager-config.js';
import { SECRET_DIR, TOKEN_PLACEHOLDER } from './am-receivers.js';

const routes = [
  { name: 'ops', channel: 'webhook', options: { url: 'https://hooks.example.vn/cw', headers: { Authorization: 'Bearer secret-header' } } },
  {
    name: 'oncall',
    channel: 'telegram',
    severities: ['critical', 'info'],
    provinces: ['quang-ngai'],
    centers: ['sa-huynh', 'duc-pho'],
    options: { token: 'secret-telegram:x', chat_id: 1 },
    escalate_after: '15m',
    escalate_to: 'lead',
  },
  {
    name: 'lead',
    channel: 'email',
    escalation_only: true,
    options: { host: 'smtp.example.vn', from: 'a@example.vn', to: ['b@example.vn'], password: 'secret-mail' },
  },
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
      {
        weekdays: ['monday:friday'],
        times: [
          { start_time: '07:30', end_time: '11:30' },
          { start_time: '13:30', end_time: '17:00' },
        ],
        location: 'Asia/Ho_Chi_Minh',
      },
    ]);
    expect(interval(am, 'paging-hours')[0].times).toEqual([
      { start_time: '07:15', end_time: '11:30' },
      { start_time: '13:15', end_time: '17:00' },
    ]);
    expect(interval(am, 'holidays')).toBeUndefined();
  });

  it('Saturday morning, moved workdays and holidays, per province where overridden', () => {
    const { am } = build({
      calendar: { holidays: ['2026-09-02'], extra_workdays: ['2026-05-09'], provinces: { 'quang-ngai': { saturday_morning: true, holidays: [] } } },
    });
    expect(interval(am, 'paging-hours')).toHaveLength(2);
    expect(interval(am, 'paging-hours')[1]).toMatchObject({ days_of_month: ['9'], months: ['5'], years: ['2026'] });
    expect(interval(am, 'holidays')).toEqual([{ days_of_month: ['2'], months: ['9'], years: ['2026'], location: 'Asia/Ho_Chi_Minh' }]);
    expect(interval(am, 'paging-hours-quang-ngai')[1]).toEqual({
      weekdays: ['saturday'],
      times: [{ start_time: '07:00', end_time: '11:30' }],
      location: 'Asia/Ho_Chi_Minh',
    });
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
      { matchers: ['alertname="CenterwatchLinesDown"'] },
      { matchers: ['alertname="CenterwatchCheckDown"', 'kind="ups"', 'impact="blocking"'] },
      { active_time_intervals: ['paging-hours'], mute_time_intervals: ['holidays'] },
    ]);
  });

  it('a province with its own calendar gets its own child route before the default one', () => {
    const { am } = build({ routes, calendar: { provinces: { 'quang-ngai': { saturday_morning: true } } } });
    expect(am.route.routes[1].routes.slice(2)).toEqual([
      { matchers: ['province="quang-ngai"'], active_time_intervals: ['paging-hours-quang-ngai'] },
      { active_time_intervals: ['paging-hours'] },
    ]);
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

describe("receivers: Alertmanager's own integrations, never a secret, no relay", () => {
  const zalo = {
    name: 'zalo-lead',
    channel: 'zalo',
    escalation_only: true,
    options: { app_id: '1', secret_key: 'secret-zalo-key', refresh_token: 'secret-zalo-refresh', user_ids: ['84'] },
  };

  it('webhooks as configured, Telegram by telegram_configs, e-mail by email_configs', () => {
    const { am, text } = build({ routes });
    expect(am.receivers).toEqual([
      { name: 'blackhole' },
      { name: 'ops', webhook_configs: [{ url: 'https://hooks.example.vn/cw', send_resolved: true }] },
      {
        name: 'oncall',
        telegram_configs: [
          {
            bot_token: TOKEN_PLACEHOLDER,
            chat_id: 1,
            parse_mode: 'HTML',
            message: expect.stringContaining('{{ .Annotations.summary | html }}'),
            send_resolved: true,
          },
        ],
      },
      {
        name: 'lead',
        email_configs: [
          {
            to: 'b@example.vn',
            from: 'a@example.vn',
            smarthost: 'smtp.example.vn:587',
            require_tls: true,
            auth_password_file: `${SECRET_DIR}/lead-smtp-password`,
            headers: { Subject: expect.stringContaining('{{ .Annotations.summary }}') },
            text: expect.stringContaining('{{ .Annotations.runbook_url }}'),
            html: '',
            send_resolved: true,
          },
        ],
      },
    ]);
    expect(text).not.toContain('relay/');
    expect(text).toContain(`# engine route "oncall" (telegram): replace ${TOKEN_PLACEHOLDER} with the bot token`);
    expect(text).toContain('bot_token_file');
    expect(text).toContain(`# engine route "lead" (email): write the SMTP password to ${SECRET_DIR}/lead-smtp-password`);
    expect(text).not.toMatch(/secret-/);
  });

  it('an English route gets the English annotations; a chat @name cannot be exported and says so', () => {
    const { escalate_after: _a, escalate_to: _t, ...telegram } = routes[1]!;
    const en = { ...telegram, lang: 'en', options: { token: 'secret-telegram:x', chat_id: 42 } };
    expect(build({ routes: [en] }).am.receivers[1].telegram_configs[0].message).toContain('{{ .Annotations.summary_en | html }}');
    const named = { ...telegram, options: { token: 'secret-telegram:x', chat_id: '@canhbao' } };
    const { am, text } = build({ routes: [named] });
    expect(am.receivers[1]).toEqual({ name: 'oncall' });
    expect(text).toContain('Alertmanager needs a numeric chat_id');
  });

  it('Zalo: an empty receiver and a plain statement, in the header and above it', () => {
    const { am, text } = build({ routes: [...routes, zalo] });
    expect(am.receivers.at(-1)).toEqual({ name: 'zalo-lead' });
    expect(text).toContain('# Zalo is not exported: Alertmanager has no Zalo receiver and centerwatch ships no relay.');
    expect(text).toContain('# engine route "zalo-lead" (zalo) is NOT exported');
    expect(text).not.toMatch(/secret-/);
  });
});

describe('inhibit rules mirror the dependency model', () => {
  it('center offline, agent silent, lines down, and each shared upstream', () => {
    const { am } = build({ upstreams: [{ name: 'ps', title: { vi: 'HT', en: 'S' }, checks: ['ps-http', 'ps-dns'] }] });
    expect(am.inhibit_rules).toEqual([
      {
        source_matchers: ['alertname="CenterwatchCenterOffline"'],
        target_matchers: ['alertname=~"CenterwatchAgentSilent|CenterwatchLinesDown|CenterwatchCheckDown|CenterwatchCheckDegraded"'],
        equal: ['province', 'center'],
      },
      {
        source_matchers: ['alertname="CenterwatchAgentSilent"'],
        target_matchers: ['alertname=~"CenterwatchCheckDown|CenterwatchCheckDegraded"'],
        equal: ['province', 'center', 'agent'],
      },
      {
        source_matchers: ['alertname="CenterwatchLinesDown"'],
        target_matchers: ['alertname=~"CenterwatchCheckDown|CenterwatchCheckDegraded"', 'line=~".+"'],
        equal: ['province', 'center'],
      },
      {
        source_matchers: ['alertname="CenterwatchLinesDown"'],
        target_matchers: ['alertname=~"CenterwatchCheckDown|CenterwatchCheckDegraded"', 'check=~"ps-http|ps-dns"'],
        equal: ['province', 'center'],
      },
      {
        source_matchers: ['alertname="CenterwatchUpstreamDown"', 'upstream="ps"'],
        target_matchers: ['alertname="CenterwatchCheckDown"', 'check=~"ps-http|ps-dns"'],
        equal: ['province'],
      },
    ]);
  });
});
