import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { engineConfigSchema } from '../config/engine-schema.js';
import { serverConfigSchema } from '../config/schema.js';
import { engineSettings } from '../engine/settings.js';
import { promDuration } from './common.js';
import { checkScopes, engineRuleOf, prometheusRuleFile, prometheusRules, type AlertingRule } from './prometheus-rules.js';
import { ENGINE_ALERTS, RUNBOOK_ANCHORS, linkBases, linkBasesFromEnv } from './names.js';

const engine = engineConfigSchema.parse({
  upstreams: [
    { name: 'provincial-system', title: { vi: 'Hệ thống một cửa tỉnh', en: 'the provincial system' }, checks: ['provincial-system', 'provincial-dns'] },
  ],
  province_wide: { min_centers: 4, min_share: 0.6 },
  groups: [
    { name: 'lines', mode: 'any_of' },
    { name: 'counters', mode: 'any_of' },
  ],
  rules: [
    { kind: 'icmp', for: '0s', recover_for: '10s' },
    { check: 'dvc-portal', for: '2m' },
    { group: 'counters', kind: 'printer', for: '1m', recover_for: '30s' },
    { kind: 'province', recover_for: '2m' },
  ],
});
const rules = prometheusRuleFile(engine).groups[0]!.rules;
const named = (alert: string): AlertingRule[] => rules.filter((r) => r.alert === `Centerwatch${alert}`);

describe('CheckDown follows engine.rules (first match wins, then the defaults)', () => {
  const checks = [
    { kind: 'icmp', check: 'line-inet1', group: 'lines', scope: 'kind=icmp' },
    { kind: 'icmp', check: 'dvc-portal', scope: 'kind=icmp' }, // the earlier rule wins
    { kind: 'http', check: 'dvc-portal', scope: 'check=dvc-portal' },
    { kind: 'printer', check: 'printer-1', group: 'counters', scope: 'kind=printer,group=counters' },
    { kind: 'printer', check: 'printer-2', scope: 'defaults' },
    { kind: 'http', check: 'provincial-system', scope: 'defaults' },
  ];
  it.each(checks)("$check ($kind) is timed by $scope, with the engine's for and recover_for", (c) => {
    expect(engineRuleOf(engine, c)).toBe(c.scope);
    const want = engineSettings(engine, () => false).ruleFor(c);
    const mine = named('CheckDown').filter((r) => r.labels.engine_rule === c.scope);
    expect(mine.map((r) => r.labels.severity)).toEqual(['critical', 'warning', 'info']);
    for (const r of mine) {
      expect(r.for ?? '0s').toBe(promDuration(want.forMs));
      expect(r.keep_firing_for ?? '0s').toBe(promDuration(want.recoverForMs));
    }
  });

  it('each scope leaves out the checks of the rules before it', () => {
    const scopes = checkScopes(engine);
    expect(scopes.map((s) => s.name)).toEqual(['kind=icmp', 'check=dvc-portal', 'kind=printer,group=counters', 'defaults']);
    const defaults = rules.find((r) => r.labels.engine_rule === 'defaults' && r.labels.severity === 'info')!;
    expect(defaults.expr).toContain('unless on (province, center, agent, check) centerwatch_check_info{kind="icmp"}');
    expect(defaults.expr).toContain('unless on (province, center, agent, check) centerwatch_check_info{check="dvc-portal"}');
    expect(defaults.expr).toContain('unless on (province, center, agent, check) centerwatch_check_info{kind="printer", group="counters"}');
  });

  it('a rule matching every check leaves nothing to the rules after it', () => {
    const e = engineConfigSchema.parse({ rules: [{ for: '5s' }, { kind: 'icmp', for: '0s' }] });
    expect(checkScopes(e).map((s) => [s.name, s.forMs])).toEqual([['all', 5000]]);
  });

  it('keeps the severity a check fired with only where any_of groups make redundancy possible', () => {
    expect(named('CheckDown').find((r) => r.labels.severity === 'critical')!.expr).toContain('ALERTS{alertname="CenterwatchCheckDown", severity="warning"}');
    const plain = prometheusRuleFile(engineConfigSchema.parse({ groups: [] })).groups[0]!.rules.filter((r) => r.alert === 'CenterwatchCheckDown');
    expect(plain.map((r) => r.expr).join('\n')).not.toContain('ALERTS');
  });
});

describe('the other alerts', () => {
  it('come in the order later rules read them (ALERTS of the same evaluation)', () => {
    expect([...new Set(rules.map((r) => r.alert))]).toEqual([
      'CenterwatchCenterOffline',
      'CenterwatchAgentSilent',
      'CenterwatchCheckDown',
      'CenterwatchCheckDegraded',
      'CenterwatchLinesDown',
      'CenterwatchUpstreamDown',
    ]);
  });

  it('silence fires at once after agent_silent_after, as the engine', () => {
    const e = engineConfigSchema.parse({ agent_silent_after: '90s' });
    const silent = prometheusRuleFile(e).groups[0]!.rules.find((r) => r.alert === 'CenterwatchAgentSilent')!;
    expect(silent.expr).toContain('timestamp(centerwatch_agent_info)) >= 90)');
    expect(silent.for).toBeUndefined();
    expect(silent.keep_firing_for).toBeUndefined();
    expect(silent.labels).toEqual({ severity: 'warning' });
    expect(named('CenterOffline')[0]!.labels).toEqual({ severity: 'critical' });
  });

  it('LinesDown uses the icmp rule of the lines group; CheckDegraded the defaults', () => {
    expect(named('LinesDown')[0]).toMatchObject({ keep_firing_for: '10s', labels: { severity: 'critical' } });
    expect(named('LinesDown')[0]!.for).toBeUndefined();
    expect(named('LinesDown')[0]!.expr).toContain('centerwatch_check_info{group="lines"}');
    expect(named('CheckDegraded')[0]).toMatchObject({ for: '30s', keep_firing_for: '1m', labels: { severity: 'warning' } });
  });

  it('UpstreamDown: one rule per upstream with the province-wide thresholds and the `province` rule', () => {
    const [u] = named('UpstreamDown');
    expect(u).toMatchObject({ keep_firing_for: '2m', labels: { severity: 'critical', upstream: 'provincial-system' } });
    expect(u!.for).toBeUndefined();
    expect(u!.expr).toContain('check=~"provincial-system|provincial-dns"');
    expect(u!.expr).toContain(') >= 4 and on (province)');
    expect(u!.expr).toMatch(/>= 0\.6$/);
    // It reads the prefixed alerts of the same group: an unprefixed name would read nothing.
    expect(u!.expr).toContain('ALERTS{alertname="CenterwatchCheckDown", alertstate="firing"');
    expect(u!.expr).toContain('ALERTS{alertname=~"CenterwatchCenterOffline|CenterwatchLinesDown"}');
    expect(u!.annotations.summary).toContain('Hệ thống một cửa tỉnh');
  });

  it('every rule has Vietnamese and English annotations, a runbook link and a dashboard link', () => {
    for (const r of rules)
      expect(Object.keys(r.annotations).sort()).toEqual(['dashboard_url', 'description', 'description_en', 'runbook_url', 'summary', 'summary_en']);
  });
});

describe('alert names and links', () => {
  it("every alert name is prefixed, so it cannot collide with another team's in a shared Prometheus", () => {
    expect(rules.every((r) => /^Centerwatch[A-Z]/.test(r.alert))).toBe(true);
  });

  it('runbook_url points at an anchor docs/runbook.md has; dashboard_url at Center detail with the province and center', () => {
    const runbook = readFileSync(new URL('../../docs/runbook.md', import.meta.url), 'utf8');
    for (const name of ENGINE_ALERTS) expect(runbook, name).toContain(`<a id="${RUNBOOK_ANCHORS[name]}"></a>`);
    expect(named('LinesDown')[0]!.annotations).toMatchObject({
      runbook_url: 'http://127.0.0.1:9480/docs/runbook.md#lines-down',
      dashboard_url: 'http://127.0.0.1:3000/d/centerwatch-center?var-province={{ $labels.province | urlquery }}&var-center={{ $labels.center | urlquery }}',
    });
    expect(named('UpstreamDown')[0]!.annotations.dashboard_url).toBe(
      'http://127.0.0.1:3000/d/centerwatch-links?var-province={{ $labels.province | urlquery }}',
    );
  });

  it('link bases: given ones win (trailing slash dropped), else relative to engine.public_url', () => {
    expect(linkBases('https://giamsat.qng.gov.vn/')).toEqual({
      runbookUrl: 'https://giamsat.qng.gov.vn/docs/runbook.md',
      grafanaUrl: 'https://giamsat.qng.gov.vn:3000',
    });
    expect(linkBases('http://[::1]:9480', linkBasesFromEnv({ CENTERWATCH_GRAFANA_URL: 'https://grafana.qng.gov.vn/', CENTERWATCH_RUNBOOK_URL: '' }))).toEqual({
      runbookUrl: 'http://[::1]:9480/docs/runbook.md',
      grafanaUrl: 'https://grafana.qng.gov.vn',
    });
    const custom = prometheusRuleFile(engine, { links: { runbookUrl: 'https://wiki.qng.gov.vn/runbook' } }).groups[0]!.rules[0]!;
    expect(custom.annotations.runbook_url).toBe('https://wiki.qng.gov.vn/runbook#center-offline');
  });
});

describe('prometheusRules', () => {
  it('prints YAML that reads back as the rule file, under a header naming the known differences', () => {
    const cfg = serverConfigSchema.parse({ engine: { upstreams: [{ name: 'p', title: { vi: 'P', en: 'P' }, checks: ['p'] }] } });
    const text = prometheusRules(cfg, { intervalMs: 30_000 });
    expect(text.startsWith('# Prometheus alerting rules generated by')).toBe(true);
    expect(text).toContain('# - Flapping is not detected');
    expect(parse(text)).toEqual(prometheusRuleFile(cfg.engine, { intervalMs: 30_000 }));
    expect(parse(text).groups[0].interval).toBe('30s');
  });
});
