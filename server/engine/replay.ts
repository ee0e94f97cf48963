/**
 * A center's timeline while the server could not hear it, rebuilt from the agent's own results once
 * its WAL replays, pure. The server saw `offline` (cause unknown); the agent, which kept probing, knows
 * whether both lines were down (blocked), the power went (no samples at all: still unknown) or only the
 * way to the province server was cut (ready all along).
 */
import { readiness, type CheckStatus, type GroupPolicy, type Impact, type Readiness, type ReadinessReason } from './readiness.js';

export interface ReplayedSample {
  agent: string;
  check: string;
  up: boolean;
  atMs: number;
}

export interface CheckMeta {
  impact: Impact;
  group?: string | undefined;
}

export interface TimelinePoint {
  atMs: number;
  state: Readiness;
  reasons: ReadinessReason[];
}

/**
 * The readiness at each instant the agent recorded within [fromMs, toMs), consecutive equal states
 * merged. Where there is no sample yet the span stays `offline` (nothing is known of it).
 * @param meta `${agent}/${check}` → impact and group
 */
export function replayTimeline(
  samples: readonly ReplayedSample[],
  meta: ReadonlyMap<string, CheckMeta>,
  groupModes: ReadonlyMap<string, 'any_of' | 'all_of'>,
  fromMs: number,
  toMs: number,
): TimelinePoint[] {
  const inside = samples.filter((s) => s.atMs >= fromMs && s.atMs < toMs && meta.has(`${s.agent}/${s.check}`)).sort((a, b) => a.atMs - b.atMs);
  const latest = new Map<string, boolean>();
  // A group is as strong as its strongest member.
  const rank: Record<Impact, number> = { info: 0, degrading: 1, blocking: 2 };
  const groupImpact = new Map<string, Impact>();
  for (const m of meta.values()) {
    const had = m.group === undefined ? undefined : groupImpact.get(m.group);
    if (m.group !== undefined && (had === undefined || rank[m.impact] > rank[had])) groupImpact.set(m.group, m.impact);
  }
  const groups: GroupPolicy[] = [...groupImpact].map(([name, impact]) => ({ name, mode: groupModes.get(name) ?? 'all_of', impact }));
  const points: TimelinePoint[] = [];
  for (let i = 0; i < inside.length;) {
    const at = inside[i]!.atMs;
    // Every sample of one instant (one collection) before judging it.
    for (; i < inside.length && inside[i]!.atMs === at; i++) latest.set(`${inside[i]!.agent}/${inside[i]!.check}`, inside[i]!.up);
    const checks: CheckStatus[] = [...latest].map(([key, up]) => {
      const m = meta.get(key)!;
      return { id: key.slice(key.indexOf('/') + 1), impact: m.impact, up, degraded: false, ...(m.group !== undefined ? { group: m.group } : {}) };
    });
    const r = readiness({ checks, groups, agents: [] });
    if (points.at(-1)?.state !== r.state) points.push({ atMs: at, state: r.state, reasons: r.reasons });
  }
  return points;
}
