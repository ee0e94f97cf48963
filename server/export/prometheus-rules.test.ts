import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { engineConfigSchema } from '../config/engine-schema.js';
import { serverConfigSchema } from '../config/schema.js';
import { engineSettings } from '../engine/settings.js';
import { promDuration } from './common.js';
import { checkScopes, engineRuleOf, prometheusRuleFile, prometheusRules, type AlertingRule } from './prometheus-rules.js';

const engine = engineConfigSchema.parse({
  upstreams: [{ name: 'provincial-system', title: { vi: 'Hệ thống một cửa tỉnh', en: 'the provincial system' }, checks: ['provincial-system', 'provincial-dns'] }],
  province_wide: { min_centers: 4, min_share: 0.6 },
  groups: [{ name: 'lines', mode: 'any_of' }, { name: 'counters', mode: 'any_of' }],
  rules: [
    { kind: 'icmp', for: '0s', recover_for: '10s' },
    { check: 'dvc-portal', for: '2m' },
    { group: 'counters', kind: 'printer', for: '1m', recover_for: '30s' },
    { kind: 'province', recover_for: '2m' },
  ],
});
const rules = prometheusRuleFile(engine).groups[0]!.rules;
const named = (alert: string): AlertingRule[] => rules.filter((r) => r.alert === alert);

describe('CheckDown follows engine.rules (first match wins, then the defaults)', () => {
  const checks = [
    { kind: 'icmp', check: 'line-inet1', group: 'lines', scope: 'kind=icmp' },
    { kind: 'icmp', check: 'dvc-portal', scope: 'kind=icmp' }, // the earlier rule wins
    { kind: 'http', check: 'dvc-portal', scope: 'check=dvc-portal' },
    { kind: 'printer', check: 'printer-1', group: 'counters', scope: 'kind=printer,group=counters' },
    { kind: 'printer', check: 'printer-2', scope: 'defaults' },
    { kind: 'http', check: 'provincial-system', scope: 'defaults' },
  ];
  it.each(checks)('$check ($kind) is timed by $scope, with the engine\'s for and recover_for', (c) => {
    expect(engineRuleOf(engine, c)).toBe(c.scope);
    const want = engineSettings(engine, () => false).ruleFor(c);
    const mine = rules.filter((r) => r.alert === 'CheckDown' && r.labels.engine_rule === c.scope);
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
    expect(named('CheckDown').find((r) => r.labels.severity === 'critical')!.expr).toContain('ALERTS{alertname="CheckDown", severity="warning"}');
    const plain = prometheusRuleFile(engineConfigSchema.parse({ groups: [] })).groups[0]!.rules.filter((r) => r.alert === 'CheckDown');
    expect(plain.map((r) => r.expr).join('\n')).not.toContain('ALERTS');
  });
});

describe('the other alerts', () => {
  it('come in the order later rules read them (ALERTS of the same evaluation)', () => {
    expect([...new Set(rules.map((r) => r.alert))]).toEqual(['CenterOffline', 'AgentSilent', 'CheckDown', 'CheckDegraded', 'LinesDown', 'UpstreamDown']);
  });

  it('silence fires at once after agent_silent_after, as the engine', () => {
    const e = engineConfigSchema.parse({ agent_silent_after: '90s' });
    const silent = prometheusRuleFile(e).groups[0]!.rules.find((r) => r.alert === 'AgentSilent')!;
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
    expect(u!.annotations.summary).toContain('Hệ thống một cửa tỉnh');
  });

  it('every rule has Vietnamese and English annotations', () => {
    for (const r of rules) expect(Object.keys(r.annotations).sort()).toEqual(['description', 'description_en', 'summary', 'summary_en']);
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
