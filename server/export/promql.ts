/**
 * The PromQL pieces the exported alerting rules are built from, pure. Each mirrors one thing the
 * engine derives from what agents push (server/engine/evaluate.ts); the comments say where the two
 * cannot agree and why.
 */
import { METRIC } from '../../common/metrics.js';
import { alternation, quote } from './common.js';
import { exportedName } from './names.js';

/** The labels naming one check: the agent's own three, set by the server from the token, plus its id. */
export const CHECK_KEY = 'province, center, agent, check';
export const AGENT_KEY = 'province, center, agent';
export const CENTER_KEY = 'province, center';

/** Label matchers of a selector, as PromQL text (`{kind="icmp", check=~"a|b"}`); empty: no braces. */
export type Matchers = Array<[label: string, op: '=' | '!=' | '=~' | '!~', value: string]>;

export function selector(metric: string, matchers: Matchers): string {
  if (matchers.length === 0) return metric;
  return `${metric}{${matchers.map(([l, op, v]) => `${l}${op}${quote(v)}`).join(', ')}}`;
}

/**
 * `centerwatch_check_info` of the checks matching `matchers`, one series per check, value 1.
 *
 * Why the `topk`: when an agent's config changes a check's impact or group, the old info series is no
 * longer pushed but stays visible for Prometheus's 5-minute lookback (remote_write carries no staleness
 * marker for it). Two info series for one check would break every `group_left` join with "many-to-many
 * matching"; keeping the newest sample's series picks the current config.
 */
export function checkInfo(matchers: Matchers, minus: Matchers[] = []): string {
  const newest = `topk by (${CHECK_KEY}) (1, timestamp(${selector(METRIC.checkInfo, matchers)}))`;
  // First match wins in `engine.rules`: a check taken by an earlier rule is not this rule's.
  const scoped = minus.reduce((expr, m) => `${expr} unless on (${CHECK_KEY}) ${selector(METRIC.checkInfo, m)}`, newest);
  return `(0 * (${scoped}) + 1)`;
}

/** Checks down now, with the `impact` and `group` of their info series (value 0). */
export function checksDown(info: string): string {
  return `(${METRIC.probeSuccess} == 0) * on (${CHECK_KEY}) group_left (impact, group) ${info}`;
}

/** Members of the given `any_of` groups up now, labelled with their group: what makes a down member redundant. */
export function membersUp(anyOfGroups: readonly string[]): string {
  return `(${METRIC.probeSuccess} == 1) * on (${CHECK_KEY}) group_left (group) ${checkInfo([['group', '=~', alternation(anyOfGroups)]])}`;
}

/**
 * The alert of a check already pending or firing at this severity. The engine fixes an alert's
 * severity when it fires (a line that went down while its twin was up stays a warning when the twin
 * follows); Prometheus has no memory but its own `ALERTS` series, so the rules look there.
 */
export function heldAs(severity: 'critical' | 'warning'): string {
  return selector('ALERTS', [
    ['alertname', '=', exportedName('CheckDown')],
    ['severity', '=', severity],
  ]);
}

/**
 * Agents known within `knownFor` (a Prometheus duration): any `centerwatch_agent_info` sample in that
 * range. The agent pushes it with every request (every 15 s, and at once when a check changes).
 */
export function agentsKnown(knownFor: string): string {
  return `max by (${AGENT_KEY}) (last_over_time(${METRIC.agentInfo}[${knownFor}]))`;
}

/**
 * Agents not heard for `silentAfterS` seconds or more, as the engine's `heard` (now − last heard <
 * agent_silent_after). Two branches, because of staleness:
 *
 *  - up to 5 minutes of silence the last sample is still inside the lookback window, so its age is
 *    `time() - timestamp(...)`;
 *  - past 5 minutes the instant selector returns nothing at all (`timestamp` of nothing is nothing),
 *    so an agent with a sample in the last `knownFor` and none in the lookback is silent too.
 *
 * Without the second branch the alert would resolve itself five minutes into an outage. An agent
 * silent longer than `knownFor` is forgotten (its alert resolves): the range is read at every
 * evaluation, so it is kept to hours. Where series carry explicit staleness markers (a scraped
 * target that went away) the second branch reports the silence at once instead of after 45 s.
 */
export function agentsSilent(silentAfterS: number, knownFor: string): string {
  return (
    `(time() - max by (${AGENT_KEY}) (timestamp(${METRIC.agentInfo})) >= ${silentAfterS})` +
    ` or (${agentsKnown(knownFor)} unless on (${AGENT_KEY}) ${METRIC.agentInfo})`
  );
}
