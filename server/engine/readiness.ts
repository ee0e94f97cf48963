/**
 * A center's readiness from its checks, pure: one word for leaders and the reasons behind it.
 *
 * - `offline`: no agent of the center heard (cause unknown until its WAL replays).
 * - `blocked`: the center cannot serve — a blocking group down (`any_of`: every member down, e.g. all
 *   lines; `all_of`: any member down) or a blocking check outside any group down.
 * - `degraded`: it serves, with less — redundancy lost (an `any_of` group with members down), a
 *   degrading check or group down, a blocking check up but degraded, one of several agents silent.
 * - `ready` otherwise.
 */
import type { OfflineCause } from './topology.js';

export type Impact = 'blocking' | 'degrading' | 'info';
export type Readiness = 'ready' | 'degraded' | 'blocked' | 'offline';

export interface CheckStatus {
  id: string;
  impact: Impact;
  group?: string;
  up: boolean;
  degraded: boolean;
}

export interface GroupPolicy {
  name: string;
  mode: 'any_of' | 'all_of';
  impact: Impact;
}

export type ReadinessReason =
  | { kind: 'no_agent_heard'; cause?: OfflineCause }
  | { kind: 'group_down'; group: string; impact: Impact; down: string[] }
  | { kind: 'redundancy_lost'; group: string; down: string[]; up: string[] }
  | { kind: 'check_down'; check: string; impact: Impact }
  | { kind: 'check_degraded'; check: string }
  | { kind: 'agents_silent'; agents: string[] };

/** A reason with its own time: since when it has held (not when the center's state last changed). */
export type TimedReason = ReadinessReason & { sinceMs: number };

export interface ReadinessInput {
  checks: readonly CheckStatus[];
  groups: readonly GroupPolicy[];
  /** Agent ids of the center and whether each is heard now. */
  agents: ReadonlyArray<{ id: string; heard: boolean }>;
  /** Why no agent is heard, from the province's view of the center's lines (topology.ts). */
  offlineCause?: OfflineCause;
}

const RANK: Record<Readiness, number> = { ready: 0, degraded: 1, blocked: 2, offline: 3 };

export function readiness(input: ReadinessInput): { state: Readiness; reasons: ReadinessReason[] } {
  if (input.agents.length > 0 && input.agents.every((a) => !a.heard)) {
    const cause = input.offlineCause;
    return { state: 'offline', reasons: [{ kind: 'no_agent_heard', ...(cause !== undefined && cause !== 'unknown' ? { cause } : {}) }] };
  }
  const reasons: ReadinessReason[] = [];
  let state: Readiness = 'ready';
  const worsen = (to: Readiness, reason: ReadinessReason): void => {
    reasons.push(reason);
    if (RANK[to] > RANK[state]) state = to;
  };
  const silent = input.agents.filter((a) => !a.heard).map((a) => a.id);
  if (silent.length > 0) worsen('degraded', { kind: 'agents_silent', agents: silent });

  const policies = new Map(input.groups.map((g) => [g.name, g]));
  const members = new Map<string, CheckStatus[]>();
  for (const c of input.checks) {
    if (c.group && policies.has(c.group)) members.set(c.group, [...(members.get(c.group) ?? []), c]);
    else if (!c.up && c.impact !== 'info') worsen(c.impact === 'blocking' ? 'blocked' : 'degraded', { kind: 'check_down', check: c.id, impact: c.impact });
    if (c.up && c.degraded && c.impact === 'blocking') worsen('degraded', { kind: 'check_degraded', check: c.id });
  }
  for (const [name, list] of members) {
    const policy = policies.get(name)!;
    const down = list.filter((c) => !c.up).map((c) => c.id);
    const up = list.filter((c) => c.up).map((c) => c.id);
    if (down.length === 0 || policy.impact === 'info') continue;
    const groupDown = policy.mode === 'all_of' || up.length === 0;
    if (groupDown) worsen(policy.impact === 'blocking' ? 'blocked' : 'degraded', { kind: 'group_down', group: name, impact: policy.impact, down });
    else worsen('degraded', { kind: 'redundancy_lost', group: name, down, up });
  }
  return { state, reasons };
}

/** Hysteresis between evaluations: a new state is taken after `enterAfter` evaluations in a row. */
export interface SettledReadiness {
  state: Readiness;
  candidate: Readiness;
  streak: number;
}

export function settle(prev: SettledReadiness, observed: Readiness, enterAfter: number, leaveAfter: number): SettledReadiness {
  if (observed === prev.state) return { state: prev.state, candidate: observed, streak: 0 };
  const streak = observed === prev.candidate ? prev.streak + 1 : 1;
  // Getting worse needs `enterAfter` in a row; getting better needs `leaveAfter` (usually more).
  const needed = RANK[observed] > RANK[prev.state] ? enterAfter : leaveAfter;
  return streak >= needed ? { state: observed, candidate: observed, streak: 0 } : { state: prev.state, candidate: observed, streak };
}
