/**
 * A center's lines as one verdict, pure: which lines are down, which check stands for each, and what that
 * means for the other checks. A line is known three ways (DESIGN.md, Lines as centers have them); here
 * two count: a check of the lines group bound to it (the router's WAN interface, a ping over it) and the
 * province's outside-in result for its public address (server/lines/outside-in-checks.ts).
 *
 * - A line is down when a lines-group check bound to it is down, or when its outside-in result is down
 *   while an agent of the center is heard and another line is up. With every agent silent an unanswered
 *   address says nothing of the line: the power or the router is as likely (see `offlineCause`).
 * - A check bound to a down line is explained by it: one message (the line's), and the center's
 *   readiness counts the line, not the check.
 * - A system reached over several lines (the same upstream, or the same kind and title) keeps the
 *   center serving while any of them is up.
 */
import type { CheckSnapshot } from './evaluate.js';
import type { CheckStatus, GroupPolicy, Impact } from './readiness.js';
import { OUTSIDE_IN_KIND } from '../lines/outside-in-checks.js';

export interface CenterLines {
  /** Down lines → the check that stands for each: a lines-group check if one is down, else the outside-in result. */
  down: Map<string, CheckSnapshot>;
  /** Lines known and not down. */
  up: Set<string>;
  /** One check per known line, the first seen: what the line is called (its description). */
  known: Map<string, CheckSnapshot>;
  /**
   * The province's view says nothing now (no agent heard, or every address silent and no line up by
   * other evidence): its results are held like a silent agent's, neither down nor back.
   */
  outsideInHeld: boolean;
}

export const isOutsideIn = (c: Pick<CheckSnapshot, 'kind'>): boolean => c.kind === OUTSIDE_IN_KIND;

/** Whether a check says something about a line itself (rather than needing one). */
export const isLineCheck = (c: CheckSnapshot, linesGroup: string): boolean => c.group === linesGroup || (isOutsideIn(c) && c.line !== undefined);

/** The line a line check is about; a lines-group check bound to no line is a line of its own. */
const lineOfCheck = (c: CheckSnapshot): string => c.line ?? c.check;

/** The verdict on a center's lines from its current results; `heard`: an agent of the center is heard. */
export function centerLines(checks: readonly CheckSnapshot[], linesGroup: string, heard: boolean): CenterLines {
  const down = new Map<string, CheckSnapshot>();
  const known = new Map<string, CheckSnapshot>();
  const unanswered = new Map<string, CheckSnapshot>();
  for (const c of checks) {
    if (!isLineCheck(c, linesGroup)) continue;
    const line = lineOfCheck(c);
    if (!known.has(line)) known.set(line, c);
    if (c.up) continue;
    // The check nearest the line (the router's interface, a ping over it) names it better than the province's view.
    if (!isOutsideIn(c)) down.set(line, c);
    else if (heard) unanswered.set(line, c);
  }
  // The agents' pushes come over some line: the province's view alone never takes the last one down. Every
  // address silent while an agent is still "heard" is a center going silent (power, router) inside the
  // agent-silence delay, not every line cut.
  const alive = [...known.keys()].filter((l) => !down.has(l) && !unanswered.has(l));
  if (alive.length > 0) for (const [line, c] of unanswered) if (!down.has(line)) down.set(line, c);
  const up = new Set([...known.keys()].filter((l) => !down.has(l)));
  return { down, up, known, outsideInHeld: !heard || (unanswered.size > 0 && alive.length === 0) };
}

/**
 * What makes two checks the same system reached over different lines: a shared upstream, else the same
 * kind and display name. Agents do not report targets (a label must stay bounded), so the name, which
 * comes from the upstream's title or the check's description, stands for it.
 */
export function systemOf(c: CheckSnapshot, upstreamOf: ReadonlyMap<string, string>): string | undefined {
  const upstream = upstreamOf.get(c.check);
  if (upstream !== undefined) return upstream;
  return c.title ? `${c.kind}: ${c.title.vi}` : undefined;
}

/** Systems (`systemOf`) reachable now, each with the lines it answers over. */
export function systemsUp(checks: readonly CheckSnapshot[], upstreamOf: ReadonlyMap<string, string>, linesGroup: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const c of checks) {
    if (!c.up || c.line === undefined || isLineCheck(c, linesGroup)) continue;
    const key = systemOf(c, upstreamOf);
    if (key !== undefined) out.set(key, (out.get(key) ?? new Set()).add(c.line));
  }
  return out;
}

/** Whether a check bound to a line has its system answering over another line. */
export function reachableElsewhere(c: CheckSnapshot, systems: ReadonlyMap<string, ReadonlySet<string>>, upstreamOf: ReadonlyMap<string, string>): boolean {
  const key = systemOf(c, upstreamOf);
  const lines = key === undefined ? undefined : systems.get(key);
  return lines !== undefined && [...lines].some((l) => l !== c.line);
}

/**
 * A center's checks as readiness weighs them (readiness.ts stays line-blind):
 * - each known line is one member of the lines group (its checks agree or the line is down);
 * - a check bound to a down line is left out: the line's member says it;
 * - checks of one system over several lines form an `any_of` group named after the system, so the
 *   system down over one line while up over another is redundancy lost, not blocked.
 */
export function readinessView(
  checks: readonly CheckSnapshot[],
  lines: CenterLines,
  upstreamOf: ReadonlyMap<string, string>,
  linesGroup: string,
  /**
   * Whether a line explains a check now. By default: its line is down. The engine narrows it (a check
   * that failed before its line did has its own problem) and widens it (the line just back, the check
   * not yet run since).
   */
  explained: (c: CheckSnapshot) => boolean = (c) => c.line !== undefined && lines.down.has(c.line),
): { checks: CheckStatus[]; groups: GroupPolicy[] } {
  const out: CheckStatus[] = [];
  const systems = new Map<string, { impact: Impact; lines: Set<string>; members: CheckStatus[] }>();
  for (const [line, c] of lines.known) {
    // A line up but lossy (its ping past a threshold) still degrades the center, as that check did alone.
    const lossy = checks.find((m) => m.group === linesGroup && lineOfCheck(m) === line && m.up && m.degraded);
    const stands = lines.down.get(line) ?? lossy ?? c;
    out.push({ id: stands.check, impact: 'blocking', group: linesGroup, up: !lines.down.has(line), degraded: lossy !== undefined });
  }
  for (const c of checks) {
    if (isLineCheck(c, linesGroup) || explained(c)) continue;
    const status: CheckStatus = { id: c.check, impact: c.impact, up: c.up, degraded: c.degraded, ...(c.group !== undefined ? { group: c.group } : {}) };
    const key = c.group === undefined && c.line !== undefined ? systemOf(c, upstreamOf) : undefined;
    if (key === undefined) {
      out.push(status);
      continue;
    }
    const s = systems.get(key) ?? { impact: c.impact, lines: new Set(), members: [] };
    s.lines.add(c.line!);
    s.members.push(status);
    if (c.impact === 'blocking' || (c.impact === 'degrading' && s.impact === 'info')) s.impact = c.impact;
    systems.set(key, s);
  }
  const groups: GroupPolicy[] = [];
  for (const [name, s] of systems) {
    // A system over one line is just a check.
    if (s.lines.size < 2) out.push(...s.members);
    else {
      groups.push({ name, mode: 'any_of', impact: s.impact });
      out.push(...s.members.map((m) => ({ ...m, group: name })));
    }
  }
  return { checks: out, groups };
}

/** Why every agent of a center is silent, from what the province sees of its lines. */
export type OfflineCause = 'unknown' | 'no_power' | 'pcs_down';

/**
 * Every outside-in result down: nothing at the center answers, its power or its router is gone (both
 * lines cut at once is rarer, and the same call to the center finds it). One answering: the router is
 * on and a line works, so the PCs or the agent are down.
 */
export function offlineCause(checks: readonly CheckSnapshot[]): OfflineCause {
  const outside = checks.filter(isOutsideIn);
  if (outside.length === 0) return 'unknown';
  return outside.some((c) => c.up) ? 'pcs_down' : 'no_power';
}
