/**
 * `centerwatch-server export prometheus-rules`: the engine's alerts as Prometheus alerting rules, pure
 * (ServerConfig → YAML text), for a province that scales out to Prometheus + Alertmanager on the
 * series the server forwards (`forward:`), or runs both side by side.
 *
 * The engine's alerts (CheckDown, CheckDegraded, LinesDown, CenterOffline, AgentSilent, UpstreamDown)
 * under prefixed names (`CenterwatchCheckDown`…, names.ts) with the engine's labels; `for` is the engine rule's `for` and `keep_firing_for` its
 * `recover_for` (Prometheus ≥ 2.42). Root causes are not in the rules: Alertmanager's inhibit rules
 * (alertmanager-config.ts) mirror them. What PromQL cannot say is listed in KNOWN_DIFFERENCES.
 */
import type { ServerConfig } from '../config/schema.js';
import type { EngineConfig } from '../config/engine-schema.js';
import { engineSettings } from '../engine/settings.js';
import { METRIC } from '../../common/metrics.js';
import { alternation, promDuration, renderYaml } from './common.js';
import { AGENT_KEY, CENTER_KEY, CHECK_KEY, agentsKnown, agentsSilent, checkInfo, checksDown, heldAs, membersUp, selector, type Matchers } from './promql.js';
import { ANNOTATIONS, links, type AnnotationContext } from './annotations.js';
import { exportedName, linkBases, type EngineAlert, type LinkBases } from './names.js';

export interface PrometheusRulesOptions {
  /** Evaluation interval of the rule group. Default 15 s: agents push every 15 s. */
  intervalMs?: number;
  /** An agent silent longer than this is forgotten (its AgentSilent / CenterOffline resolves). Default 6 h. */
  knownForMs?: number;
  /** Name of the rule group. Default `centerwatch`. */
  groupName?: string;
  /** Where `runbook_url` and `dashboard_url` point. Default: relative to `engine.public_url` (names.ts, linkBases). */
  links?: Partial<LinkBases>;
}

/** One Prometheus alerting rule as written to the file. */
export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  keep_firing_for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RuleFile {
  groups: Array<{ name: string; interval: string; rules: AlertingRule[] }>;
}

/** Where the exported rules and the engine part ways; printed in the file's header. */
export const KNOWN_DIFFERENCES = [
  'Flapping is not detected: a check going down and up fires and resolves each time (keep_firing_for damps it).',
  "A silent agent's checks keep their last state for 5 minutes (Prometheus staleness), then their alerts resolve; the engine holds them until the agent is heard again.",
  "Silence is measured from sample timestamps (the agent's clock), not from arrival at the server.",
  'LinesDown uses the engine rule of an icmp check in the lines group (a rule naming one line check is not applied to it).',
  "Root causes, office hours, silences, escalation and the digest are Alertmanager's: see `export alertmanager-config`.",
  "Every label of a check's series reaches its alerts (the engine copies only engine.alert_labels).",
  'A config change of a check (impact, group) reaches these rules within 5 minutes (the old info series goes stale).',
];

type Severity = 'critical' | 'warning' | 'info';

export function prometheusRuleFile(engine: EngineConfig, opts: PrometheusRulesOptions = {}): RuleFile {
  const settings = engineSettings(engine, () => false);
  const knownFor = promDuration(opts.knownForMs ?? 6 * 3_600_000);
  const rules: AlertingRule[] = [];
  const timing = (forMs: number, recoverMs: number): Pick<AlertingRule, 'for' | 'keep_firing_for'> => ({
    ...(forMs > 0 ? { for: promDuration(forMs) } : {}),
    ...(recoverMs > 0 ? { keep_firing_for: promDuration(recoverMs) } : {}),
  });
  const bases = linkBases(engine.public_url, opts.links);
  const rule = (
    alert: EngineAlert,
    expr: string,
    severity: Severity,
    forMs: number,
    recoverMs: number,
    labels: Record<string, string> = {},
    extra: Partial<AnnotationContext> = {},
  ): void => {
    const annotations = { ...ANNOTATIONS[alert]({ for: promDuration(forMs), severity, ...extra }), ...links(alert, bases) };
    rules.push({ alert: exportedName(alert), expr, ...timing(forMs, recoverMs), labels: { severity, ...labels }, annotations });
  };

  // 1. Silence first: later rules in the group read these alerts' ALERTS series of the same evaluation.
  const silentAfterS = engine.agent_silent_after / 1000;
  const silent = agentsSilent(silentAfterS, knownFor);
  const silenceRule = settings.silenceRule;
  rule(
    'CenterOffline',
    `count by (${CENTER_KEY}) (${silent}) == count by (${CENTER_KEY}) (${agentsKnown(knownFor)})`,
    'critical',
    silenceRule.forMs,
    silenceRule.recoverForMs,
  );
  rule('AgentSilent', silent, 'warning', silenceRule.forMs, silenceRule.recoverForMs);

  // 2. CheckDown: one scope per engine rule (first match wins, so each excludes the rules before it),
  // then the defaults for every check no rule matched.
  const anyOf = engine.groups.filter((g) => g.mode === 'any_of').map((g) => g.name);
  const scopes = checkScopes(engine);
  for (const scope of scopes) {
    const blocking = checksDown(checkInfo([...scope.matchers, ['impact', '=', 'blocking']], scope.minus));
    const degrading = checksDown(checkInfo([...scope.matchers, ['impact', '=', 'degrading']], scope.minus));
    const info = checksDown(checkInfo([...scope.matchers, ['impact', '=', 'info']], scope.minus));
    let critical = blocking;
    let warning = degrading;
    if (anyOf.length > 0) {
      // A blocking check with an any_of member still up only degrades the center: a warning. The
      // severity a check fired with is kept while it stays down (heldAs), as the engine does.
      const up = membersUp(anyOf);
      critical = `(${blocking} and on (${CHECK_KEY}) ${heldAs('critical')}) or (${blocking} unless on (${CENTER_KEY}, group) ${up} unless on (${CHECK_KEY}) ${heldAs('warning')})`;
      warning = `(${blocking} and on (${CHECK_KEY}) ${heldAs('warning')}) or ((${blocking} and on (${CENTER_KEY}, group) ${up}) unless on (${CHECK_KEY}) ${heldAs('critical')}) or ${degrading}`;
    }
    // Rules of one name need a label apart (promtool rejects duplicates); a check is in one scope only,
    // so this label never splits one alert in two.
    const labels = { engine_rule: scope.name };
    rule('CheckDown', critical, 'critical', scope.forMs, scope.recoverForMs, labels);
    rule('CheckDown', warning, 'warning', scope.forMs, scope.recoverForMs, labels);
    rule('CheckDown', info, 'info', scope.forMs, scope.recoverForMs, labels);
  }

  // 3. A check up but past a threshold: warning, the defaults' timing (engine: degradedRule).
  const degraded = `((${METRIC.probeDegraded} == 1) and on (${CHECK_KEY}) (${METRIC.probeSuccess} == 1)) * on (${CHECK_KEY}) group_left (impact) ${checkInfo([['impact', '!=', 'info']])}`;
  rule('CheckDegraded', degraded, 'warning', settings.degradedRule.forMs, settings.degradedRule.recoverForMs);

  // 4. Every member of a center's lines group down; the value is how many lines it has.
  const lines = (expr: string): string => `${expr} * on (${CHECK_KEY}) group_left () ${checkInfo([['group', '=', engine.lines_group]])}`;
  const linesRule = settings.ruleFor({ kind: 'icmp', check: '', group: engine.lines_group });
  rule(
    'LinesDown',
    `count by (${CENTER_KEY}) (${lines(METRIC.probeSuccess)}) unless on (${CENTER_KEY}) (${lines(`(${METRIC.probeSuccess} == 1)`)})`,
    'critical',
    linesRule.forMs,
    linesRule.recoverForMs,
  );

  // 5. A shared upstream failing at many centers of a province. As the engine: only checks firing and
  // still down count (not pending, not recovering), and not those a center offline, a silent agent or
  // its lines down explain.
  const { min_centers: minCenters, min_share: minShare } = engine.province_wide;
  for (const u of engine.upstreams) {
    const checks = alternation(u.checks);
    const failing =
      `count by (${CENTER_KEY}) ((${selector('ALERTS', [
        ['alertname', '=', exportedName('CheckDown')],
        ['alertstate', '=', 'firing'],
        ['check', '=~', checks],
      ])} and on (${CHECK_KEY}) (${METRIC.probeSuccess} == 0))` +
      ` unless on (${CENTER_KEY}) ${selector('ALERTS', [['alertname', '=~', `${exportedName('CenterOffline')}|${exportedName('LinesDown')}`]])}` +
      ` unless on (${AGENT_KEY}) ${selector('ALERTS', [['alertname', '=', exportedName('AgentSilent')]])})`;
    const checking = `count by (${CENTER_KEY}) (${selector(METRIC.checkInfo, [['check', '=~', checks]])})`;
    const expr = `count by (province) (${failing}) >= ${minCenters} and on (province) count by (province) (${failing}) / count by (province) (${checking}) >= ${minShare}`;
    const r = settings.ruleFor({ kind: 'province', check: u.name });
    rule('UpstreamDown', expr, 'critical', r.forMs, r.recoverForMs, { upstream: u.name }, { title: u.title, minCenters, minShare });
  }
  return { groups: [{ name: opts.groupName ?? 'centerwatch', interval: promDuration(opts.intervalMs ?? 15_000), rules }] };
}

interface Scope {
  /** `kind=icmp`, `kind=http,check=portal`, or `defaults`: the `engine_rule` label of its alerts. */
  name: string;
  matchers: Matchers;
  /** Earlier rules' matchers: checks they take are not this scope's. */
  minus: Matchers[];
  forMs: number;
  recoverForMs: number;
}

/** The engine rules as disjoint scopes of checks, in order, ending with the defaults. */
export function checkScopes(engine: EngineConfig): Scope[] {
  const scopes: Scope[] = [];
  const before: Matchers[] = [];
  for (const r of engine.rules) {
    // `province` rules time UpstreamDown only: no check has that kind.
    if (r.kind === 'province') continue;
    const m: Matchers = [];
    if (r.kind !== undefined) m.push(['kind', '=', r.kind]);
    if (r.check !== undefined) m.push(['check', '=', r.check]);
    if (r.group !== undefined) m.push(['group', '=', r.group]);
    scopes.push({
      name: m.map(([l, , v]) => `${l}=${v}`).join(',') || 'all',
      matchers: m,
      minus: [...before],
      forMs: r.for ?? engine.defaults.for,
      recoverForMs: r.recover_for ?? engine.defaults.recover_for,
    });
    // A rule matching every check leaves nothing for the rules after it, nor for the defaults.
    if (m.length === 0) return scopes;
    before.push(m);
  }
  scopes.push({ name: 'defaults', matchers: [], minus: before, forMs: engine.defaults.for, recoverForMs: engine.defaults.recover_for });
  return scopes;
}

/** The `engine_rule` label a check's CheckDown alerts carry: the engine rule that times it (first match). */
export function engineRuleOf(engine: EngineConfig, c: { kind: string; check: string; group?: string | undefined }): string {
  const values: Record<string, string | undefined> = { kind: c.kind, check: c.check, group: c.group };
  const scope = checkScopes(engine).find((s) => s.matchers.every(([l, , v]) => values[l] === v));
  return scope?.name ?? 'defaults';
}

export function prometheusRules(cfg: ServerConfig, opts: PrometheusRulesOptions = {}): string {
  const header = [
    'Prometheus alerting rules generated by `centerwatch-server export prometheus-rules` from the engine config.',
    'Needs Prometheus >= 2.42 (keep_firing_for) and the series the server forwards (`forward:`).',
    'Check with: promtool check rules <this file>',
    'Alert names carry the prefix Centerwatch (CenterwatchCheckDown…) so they stay apart in a shared Prometheus.',
    '',
    "Known differences from the server's own engine:",
    ...KNOWN_DIFFERENCES.map((d) => `- ${d}`),
  ].join('\n');
  return renderYaml(header, prometheusRuleFile(cfg.engine, opts));
}
