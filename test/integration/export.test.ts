/**
 * `centerwatch-server export …` against the real tools: promtool and amtool accept what the CLI prints,
 * and the exported rules fire and resolve what the pure engine does (parity), through
 * `promtool test rules` on the same timeline.
 *
 * Parity tolerance: one evaluation interval (15 s). Steps fall on the 15 s grid; an engine transition
 * between grid points (a 10 s recover_for) is expected in Prometheus at the next grid point, which is
 * what the expected alerts at each grid point encode (test/support/parity-timeline.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { requireService } from '../helpers/ctx.js';
import { commandExists } from '../helpers/servers.js';
import { Province } from '../support/scenario-harness.js';
import { prometheusRuleFile, type RuleFile } from '../../server/export/prometheus-rules.js';
import { playScenario, type ParityRun, type Step } from '../support/parity-timeline.js';

const haveTools = requireService(
  commandExists('promtool') && commandExists('amtool'),
  'promtool and amtool not installed (Debian: apt install prometheus prometheus-alertmanager)',
);

interface Run {
  status: number | null;
  /** stdout then stderr. */
  out: string;
  stdout: string;
}
const exec = (cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> =>
  new Promise((resolve) => {
    execFile(cmd, args, { cwd, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, out: `${stdout}${stderr}`, stdout });
    });
  });
const cli = (args: string[], env: Record<string, string> = {}): Promise<Run> =>
  exec(process.execPath, ['--import', 'tsx', 'server/cli.ts', ...args], process.cwd(), env);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cw-export-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const UPSTREAM = { name: 'provincial-system', title: { vi: 'Hệ thống một cửa tỉnh', en: 'the provincial one-stop system' }, checks: ['provincial-system'] };

/** A config using every part the exporters read. */
const SERVER_YAML = stringify({
  listen: '0.0.0.0:9480',
  forward: [{ name: 'prom', url: 'http://127.0.0.1:9090/api/v1/write' }],
  engine: {
    groups: [
      { name: 'lines', mode: 'any_of' },
      { name: 'counters', mode: 'any_of' },
    ],
    upstreams: [
      { ...UPSTREAM, checks: ['provincial-system', 'provincial-dns'] },
      { name: 'national-portal', title: { vi: 'Cổng DVC quốc gia', en: 'the national portal' }, checks: ['dvc-portal'] },
    ],
    rules: [
      { kind: 'icmp', for: '0s', recover_for: '10s' },
      { check: 'dvc-portal', for: '2m' },
      { group: 'counters', kind: 'printer', for: '1m', recover_for: '30s' },
      { kind: 'province', recover_for: '2m' },
    ],
    calendar: { holidays: ['2026-09-02'], extra_workdays: ['2026-05-09'], provinces: { 'quang-ngai': { saturday_morning: true } } },
    routes: [
      { name: 'ops', channel: 'webhook', options: { url: 'https://hooks.example.vn/centerwatch', headers: { Authorization: 'Bearer not-exported-1' } } },
      {
        name: 'oncall',
        channel: 'telegram',
        severities: ['critical'],
        options: { token: 'not-exported-2:abcdef', chat_id: -100123 },
        escalate_after: '15m',
        escalate_to: 'lead',
      },
      {
        name: 'lead',
        channel: 'email',
        escalation_only: true,
        options: { host: 'smtp.example.vn', from: 'a@example.vn', to: ['b@example.vn'], user: 'canhbao', password: 'not-exported-3' },
      },
      {
        name: 'lanh-dao',
        channel: 'zalo',
        escalation_only: true,
        options: { app_id: '123', secret_key: 'not-exported-4', refresh_token: 'not-exported-5', user_ids: ['84123'] },
      },
    ],
  },
});

describe.skipIf(!haveTools)('exported files pass promtool and amtool', () => {
  it('the CLI prints files that `promtool check config` (with its rules) and `amtool check-config` accept, with no secret in them', async () => {
    const config = join(dir, 'server.yaml');
    writeFileSync(config, SERVER_YAML);
    const files = { 'prometheus-rules': 'centerwatch-rules.yml', 'prometheus-config': 'prometheus.yml', 'alertmanager-config': 'alertmanager.yml' };
    const text: Record<string, string> = {};
    for (const [target, file] of Object.entries(files)) {
      const r = await cli(['export', target, '--config', config], { CENTERWATCH_GRAFANA_URL: 'https://grafana.qng.gov.vn/' });
      expect(r.status, r.out).toBe(0);
      expect(r.out).not.toMatch(/not-exported/);
      writeFileSync(join(dir, file), r.stdout);
      text[target] = r.stdout;
    }
    // Alertmanager's own Telegram and e-mail receivers, Zalo stated as not exported: no relay to run.
    expect(text['alertmanager-config']).toMatch(/telegram_configs:/);
    expect(text['alertmanager-config']).toMatch(/email_configs:/);
    expect(text['alertmanager-config']).toContain('Zalo is not exported');
    expect(text['alertmanager-config']).not.toContain('relay/');
    // The links' base from the environment.
    expect(text['prometheus-rules']).toContain('dashboard_url: https://grafana.qng.gov.vn/d/centerwatch-center?var-province=');
    const prom = await exec('promtool', ['check', 'config', 'prometheus.yml'], dir);
    expect(prom.out).toMatch(/SUCCESS: \d+ rules found/);
    expect(prom.status, prom.out).toBe(0);
    const rules = await exec('promtool', ['check', 'rules', 'centerwatch-rules.yml'], dir);
    expect(rules.status, rules.out).toBe(0);
    const am = await exec('amtool', ['check-config', 'alertmanager.yml'], dir);
    // offline, silent, lines → line checks, lines → upstream checks, one per upstream (2).
    expect(am.out).toMatch(/6 inhibit rules/);
    expect(am.out).toMatch(/5 receivers/);
    expect(am.status, am.out).toBe(0);
  });

  it('an unknown export target is refused with the list of targets', async () => {
    const r = await cli(['export', 'grafana']);
    expect(r.status).toBe(2);
    expect(r.out).toMatch(/export needs one of: prometheus-rules, alertmanager-config, prometheus-config/);
  });
});

/** The exported rules without annotations (parity is about when alerts fire; their words are tested apart). */
function bareRules(p: Province): RuleFile {
  const file = prometheusRuleFile(p.cfg);
  for (const g of file.groups) for (const r of g.rules) r.annotations = {};
  return file;
}

async function promtoolTest(name: string, rules: RuleFile, run: (rulesFile: string) => ParityRun): Promise<{ parity: ParityRun; result: Run }> {
  writeFileSync(join(dir, `${name}-rules.yml`), stringify(rules, { lineWidth: 0 }));
  const parity = run(`${name}-rules.yml`);
  writeFileSync(join(dir, `${name}-test.yml`), stringify(parity.testFile, { lineWidth: 0 }));
  return { parity, result: await exec('promtool', ['test', 'rules', `${name}-test.yml`], dir) };
}

/** `alertname who severity fired→resolved` (seconds from the start), for reading the engine's side. */
const summary = (r: ParityRun): string[] =>
  r.alerts.map(
    (a) =>
      `${a.alertname} ${a.labels.check ?? a.labels.agent ?? a.labels.upstream ?? a.labels.center} ${a.labels.severity} ${a.firedAtS}→${a.resolvedAtS ?? '…'}`,
  );

const LINES: Step[] = [
  { atS: 60, apply: (p) => p.set('sa-huynh', 'line-inet1', false) },
  { atS: 120, apply: (p) => p.set('sa-huynh', 'line-inet2', false).set('sa-huynh', 'provincial-system', false) },
  { atS: 240, apply: (p) => p.set('sa-huynh', 'line-inet1', true).set('sa-huynh', 'line-inet2', true).set('sa-huynh', 'provincial-system', true) },
];

describe.skipIf(!haveTools)('parity: the exported rules and the engine fire and resolve the same alerts', () => {
  it('a line down, then both (and the system behind them), then recovery', async () => {
    const p = new Province().addCenter('sa-huynh', 'Phường Sa Huỳnh');
    const { parity, result } = await promtoolTest('lines', bareRules(p), (f) => playScenario(p, LINES, 360, f));
    expect(summary(parity)).toEqual([
      // The first line fired while its twin was up: a warning, and it stays one.
      'CenterwatchCheckDown line-inet1 warning 60→250',
      'CenterwatchCheckDown line-inet2 critical 120→250',
      'CenterwatchLinesDown sa-huynh critical 120→250',
      // for 30s, recover_for 60s (the defaults).
      'CenterwatchCheckDown provincial-system critical 150→300',
    ]);
    expect(result.out).toMatch(/SUCCESS/);
    expect(result.status, result.out).toBe(0);
  });

  it('one machine silent, then the whole center for 10 minutes (past the 5-minute staleness)', async () => {
    const p = new Province().addCenter('sa-huynh', 'Phường Sa Huỳnh').addAgent('sa-huynh', 'pc2');
    const steps: Step[] = [
      { atS: 60, apply: (_p, net) => net.pushing('sa-huynh', 'pc2', false) },
      // The lines die unseen: the agent that would report it is silent.
      { atS: 120, apply: (q, net) => (net.pushing('sa-huynh', 'pc1', false), q.set('sa-huynh', 'line-inet1', false).set('sa-huynh', 'line-inet2', false)) },
      {
        atS: 720,
        apply: (q, net) => (
          net.pushing('sa-huynh', 'pc1', true),
          net.pushing('sa-huynh', 'pc2', true),
          q.set('sa-huynh', 'line-inet1', true).set('sa-huynh', 'line-inet2', true)
        ),
      },
    ];
    const { parity, result } = await promtoolTest('silent', bareRules(p), (f) => playScenario(p, steps, 840, f));
    // Last pushes at 45 s and 105 s; silent from 45 s later.
    expect(summary(parity)).toEqual([
      'CenterwatchAgentSilent pc2 warning 90→720',
      'CenterwatchCenterOffline sa-huynh critical 150→720',
      'CenterwatchAgentSilent pc1 warning 150→720',
    ]);
    expect(result.status, result.out).toBe(0);
  });

  it('a shared upstream failing at 3 of 5 centers is one UpstreamDown', async () => {
    const p = new Province(undefined, { upstreams: [UPSTREAM] });
    for (let i = 1; i <= 5; i++) p.addCenter(`xa-${i}`, `Xã ${i}`);
    const failing = (up: boolean) => (q: Province) => [1, 2, 3].forEach((i) => q.set(`xa-${i}`, 'provincial-system', up));
    const { parity, result } = await promtoolTest('upstream', bareRules(p), (f) =>
      playScenario(
        p,
        [
          { atS: 60, apply: failing(false) },
          { atS: 180, apply: failing(true) },
        ],
        330,
        f,
      ),
    );
    expect(summary(parity)).toEqual([
      'CenterwatchCheckDown provincial-system critical 90→240',
      'CenterwatchCheckDown provincial-system critical 90→240',
      'CenterwatchCheckDown provincial-system critical 90→240',
      'CenterwatchUpstreamDown provincial-system critical 90→240',
    ]);
    expect(result.status, result.out).toBe(0);
  });

  it('has teeth: the same timeline fails against rules without keep_firing_for', async () => {
    const p = new Province().addCenter('sa-huynh', 'Phường Sa Huỳnh');
    const rules = bareRules(p);
    for (const g of rules.groups) for (const r of g.rules) delete r.keep_firing_for;
    const { result } = await promtoolTest('teeth', rules, (f) => playScenario(p, LINES, 360, f));
    expect(result.status).not.toBe(0);
    // Resolved at 4m (recover_for ignored), where the engine still holds it until 4m10s.
    expect(result.out).toMatch(/alertname: CenterwatchCheckDown, time: 4m0?s?/);
  });
});

describe.skipIf(!haveTools)('parity needs what the rules hold in memory', () => {
  it('without the severity a check fired with, the first line turns critical when the second goes', async () => {
    const p = new Province().addCenter('sa-huynh', 'Phường Sa Huỳnh');
    const rules = bareRules(p);
    for (const g of rules.groups)
      for (const r of g.rules) r.expr = r.expr.replaceAll('ALERTS{alertname="CenterwatchCheckDown", severity=', 'ALERTS{alertname="Forgotten", severity=');
    const { result } = await promtoolTest('memory', rules, (f) => playScenario(p, LINES, 360, f));
    expect(result.status).not.toBe(0);
    expect(result.out).toMatch(/alertname: CenterwatchCheckDown, time: 2m,/);
  });

  it('without the staleness branch, a center silent for over 5 minutes resolves by itself', async () => {
    const p = new Province().addCenter('sa-huynh', 'Phường Sa Huỳnh');
    const rules = bareRules(p);
    for (const g of rules.groups)
      for (const r of g.rules)
        r.expr = r.expr.replace(
          / or \(max by \(province, center, agent\) \(last_over_time[^)]*\)\) unless on \(province, center, agent\) centerwatch_agent_info\)/g,
          '',
        );
    expect(JSON.stringify(rules)).not.toMatch(/unless on \(province, center, agent\) centerwatch_agent_info/);
    const steps: Step[] = [
      { atS: 60, apply: (_q, net) => net.pushing('sa-huynh', 'pc1', false) },
      { atS: 600, apply: (_q, net) => net.pushing('sa-huynh', 'pc1', true) },
    ];
    const { result } = await promtoolTest('stale', rules, (f) => playScenario(p, steps, 660, f));
    expect(result.status).not.toBe(0);
    // Last push at 45 s: still inside the 5-minute lookback at 5m45s (2.x includes its start), gone at 6m.
    expect(result.out).toMatch(/alertname: CenterwatchCenterOffline, time: 6m,/);
  });
});

describe.skipIf(!haveTools)('annotations', () => {
  it('LinesDown says it in Vietnamese with the center name (and in English), with its runbook section and dashboard', async () => {
    const p = new Province().addCenter('sa-huynh', 'Phường Sa Huỳnh');
    const rules = prometheusRuleFile(p.cfg);
    const { result } = await promtoolTest('words', rules, (f) => {
      const run = playScenario(p, [{ atS: 30, apply: (q) => q.set('sa-huynh', 'line-inet1', false).set('sa-huynh', 'line-inet2', false) }], 60, f);
      const test = (run.testFile.tests as Array<Record<string, unknown>>)[0]!;
      test.alert_rule_test = [
        {
          eval_time: '45s',
          alertname: 'CenterwatchLinesDown',
          exp_alerts: [
            {
              exp_labels: { province: 'qng', center: 'sa-huynh', severity: 'critical' },
              exp_annotations: {
                summary: 'Phường Sa Huỳnh: cả hai đường truyền mất kết nối',
                summary_en: 'Phường Sa Huỳnh: both lines down',
                description:
                  'Mọi đường truyền của trung tâm sa-huynh đều mất kết nối — không thể tiếp nhận hồ sơ trực tuyến. Gọi nhà mạng; kiểm tra modem/router.',
                description_en: 'Every line of center sa-huynh is down: no online applications. Call the carriers; check the modem/router.',
                runbook_url: 'https://ready.example.vn/docs/runbook.md#lines-down',
                dashboard_url: 'https://ready.example.vn:3000/d/centerwatch-center?var-province=qng&var-center=sa-huynh',
              },
            },
          ],
        },
      ];
      return run;
    });
    expect(result.status, result.out).toBe(0);
  });
});
