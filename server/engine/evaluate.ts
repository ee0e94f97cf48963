/**
 * One evaluation of the whole fleet, pure: (state, snapshot, settings) → (state, outputs). Time is the
 * snapshot's, so scenario tests replay hours of a province in milliseconds, and the server calls it
 * once a second with what agents pushed.
 *
 * Each thing that can be wrong is an entity with its own alert state machine (alerts.ts):
 *
 *   offline:<center>            every agent of the center silent
 *   silent:<center>/<agent>     one agent silent while others are heard
 *   lines:<center>              every line of the center down (the root cause of most others)
 *   check:<center>/<agent>/<id> one check down (the server's own: agent '', e.g. outside-in:<line>)
 *   province:<province>/<up>    a shared upstream down at many centers of a province
 *
 * A center's lines are judged as one verdict (topology.ts): the check standing for a dead line is its
 * one message, the checks bound to that line are explained by it, and readiness counts the line.
 *
 * Problems (entities not `ok`) are related by dependencies.ts; a firing alert is announced (a message
 * goes out) only when nothing explains it, no silence covers it and office hours allow it. Whatever was
 * announced gets its resolved message, suppressed or not. Checks of a silent agent are not stepped:
 * their last state holds (the agent's silence is the problem being reported).
 */
import { initialAlertState, step, type AlertRule, type AlertState } from './alerts.js';
import type { OfficeCalendar } from '../calendar.js';
import { rootCauses, type Problem, type ProblemKind } from './dependencies.js';
import { LINE_IN_USE_KIND, type CheckFacts, type Subject } from './describe.js';
import { notifyAt, severityOf, urgentCheck, type Severity } from './paging.js';
import { readiness, settle, type CheckStatus, type GroupPolicy, type Impact, type Readiness, type ReadinessReason, type TimedReason } from './readiness.js';
import { centerLines, isLineCheck, isOutsideIn, offlineCause, readinessView, reachableElsewhere, systemsUp, type CenterLines } from './topology.js';
import type { AlertEvent, Bilingual } from '../notifiers/event.js';
import { checkAlert, checkSeverity, eventOf, summary } from './occurrence.js';

export { eventOf };

export interface AgentSnapshot {
  province: string;
  center: string;
  agent: string;
  heard: boolean;
  /**
   * Heard only in the sense that the server started less than `agent_silent_after` ago: its results
   * are not known yet. Its center changes no state (readiness, offline, silence) until they come.
   */
  awaited?: boolean;
}

/** A check's latest result; what words need of it (names, reason) is `CheckFacts`. */
export interface CheckSnapshot extends CheckFacts {
  province: string;
  center: string;
  agent: string;
  group?: string | undefined;
  up: boolean;
  degraded: boolean;
  /** Extra labels carried onto the alert (matched by silences, sent to label-based channels). */
  labels?: Record<string, string>;
}

export interface FleetSnapshot {
  nowMs: number;
  agents: readonly AgentSnapshot[];
  /** Checks of every agent, heard or not (a silent agent's checks are held, not stepped). */
  checks: readonly CheckSnapshot[];
  /** Center id → display name. */
  names: ReadonlyMap<string, string>;
}

export interface EngineSettings {
  ruleFor(c: { kind: string; check: string; group?: string | undefined }): AlertRule;
  /** Agent silence and center offline: the silence threshold already waited, so fire at once. */
  silenceRule: AlertRule;
  /** A check up but past a threshold. */
  degradedRule: AlertRule;
  linesGroup: string;
  groupModes: ReadonlyMap<string, 'any_of' | 'all_of'>;
  /** Check id → shared upstream. */
  upstreamOf: ReadonlyMap<string, string>;
  upstreamTitles: ReadonlyMap<string, Bilingual>;
  provinceWide: { minCenters: number; minShare: number };
  enterAfter: number;
  leaveAfter: number;
  calendarOf(province: string): OfficeCalendar;
  leadMs: number;
  /** False: nothing waits for office hours (info is still never paged). */
  holdOutsideHours: boolean;
  publicUrl: string;
  /** Whether a silence or maintenance window covers these alert labels now. */
  isSilenced(labels: Record<string, string>, nowMs: number): boolean;
}

/** One alert occurrence: from fire to resolve. */
export interface Occurrence {
  /** `${entity}@${firedAtMs}`: stable across restarts, unique per occurrence. */
  id: string;
  sinceMs: number;
  firedAtMs: number;
  severity: Severity;
  announced: boolean;
  /** When a held message may go out (office hours); undefined: never (info). */
  holdUntilMs: number | undefined;
  /** Recorded once each, so history says why nothing was sent. */
  noted: { suppressed?: boolean; silenced?: boolean; held?: boolean };
  /** When what suppressed it went away: it must hold its own `for` from then before it speaks. */
  freedAtMs?: number;
  /** Suppressed by a line (one line, or all): while so, the center's readiness counts the line, not it. */
  byLine?: boolean;
}

export interface Tracked {
  entity: string;
  kind: ProblemKind | 'province';
  province: string;
  center: string;
  agent?: string;
  check?: string;
  subject: Subject;
  impact: Impact;
  urgent: boolean;
  labels: Record<string, string>;
  problem: Omit<Problem, 'id' | 'kind'>;
  /** The line this check stands for while that line is down (topology.ts); kept until the alert is quiet. */
  explains?: string;
  alert: AlertState;
  occurrence?: Occurrence;
  lastSeenMs: number;
}

export interface CenterReadiness {
  province: string;
  settled: { state: Readiness; candidate: Readiness; streak: number };
  sinceMs: number;
  reasons: TimedReason[];
}

export interface EngineState {
  tracked: Map<string, Tracked>;
  centers: Map<string, CenterReadiness>;
  /** Entities not simply ok (pending, firing, recovering, or with an occurrence): the few a tick looks at twice. */
  active: Set<string>;
  /** Last sweep for checks no longer reported. */
  sweptMs: number;
}

export interface AlertSummary {
  id: string;
  entity: string;
  province: string;
  center: string;
  check?: string;
  severity: Severity;
  sinceMs: number;
  firedAtMs: number;
  labels: Record<string, string>;
}

export type EngineOutput =
  | { type: 'fire'; alert: AlertSummary; flapping: boolean }
  | { type: 'resolve'; alert: AlertSummary; resolvedAtMs: number; announced: boolean }
  | { type: 'note'; alert: AlertSummary; action: 'suppressed' | 'silenced' | 'held' | 'flapping' | 'announced'; detail?: unknown }
  | { type: 'message'; alert: AlertSummary; event: AlertEvent }
  | { type: 'readiness'; province: string; center: string; from: Readiness | undefined; to: Readiness; atMs: number; reasons: TimedReason[] };

export function emptyEngineState(): EngineState {
  return { tracked: new Map(), centers: new Map(), active: new Set(), sweptMs: 0 };
}

/** A check no longer reported while its agent is heard (removed from the config) resolves after this. */
const GONE_AFTER_MS = 5 * 60_000;

export function evaluate(state: EngineState, snap: FleetSnapshot, s: EngineSettings): { state: EngineState; outputs: EngineOutput[] } {
  const now = snap.nowMs;
  const outputs: EngineOutput[] = [];
  // The state is updated in place (a province holds ~60,000 entities; copying them every second is
  // most of the cost) and returned: callers hold one state and pass it back each time.
  const { tracked, centers, active } = state;

  // Agents and centers heard.
  const agentsOf = new Map<string, AgentSnapshot[]>();
  for (const a of snap.agents) agentsOf.set(a.center, [...(agentsOf.get(a.center) ?? []), a]);
  const heard = new Set(snap.agents.filter((a) => a.heard).map((a) => `${a.center}/${a.agent}`));
  const offline = new Set([...agentsOf].filter(([, list]) => list.every((a) => !a.heard)).map(([c]) => c));
  // A center no agent is known of (in the inventory, not yet enrolled) has nothing to hear its lines by.
  const someoneHeard = (center: string): boolean => agentsOf.has(center) && !offline.has(center);

  const observe = (
    entity: string,
    make: () => Omit<Tracked, 'alert' | 'lastSeenMs'>,
    good: boolean,
    rule: AlertRule,
    refresh?: (t: Tracked) => Partial<Tracked>,
  ): void => {
    const before = tracked.get(entity);
    // Only entities with something going on are tracked: a good one without history needs nothing.
    if (!before && good) return;
    // A new entity was good until now (its first bad result is a change, for flap counting).
    const t: Tracked = before ? Object.assign(before, refresh?.(before)) : { ...make(), alert: { ...initialAlertState(now), lastGood: true }, lastSeenMs: now };
    const { state: alert, actions } = step(t.alert, { good, atMs: now }, rule);
    t.alert = alert;
    t.lastSeenMs = now;
    active.add(entity);
    for (const a of actions) {
      if (a.kind === 'fire') {
        const severity = t.kind === 'check' ? checkSeverity(t) : severityOf(t.impact);
        t.occurrence = { id: `${entity}@${now}`, sinceMs: a.since, firedAtMs: now, severity, announced: false, holdUntilMs: undefined, noted: {} };
        t.occurrence.holdUntilMs = notifyAt({ severity, urgent: t.urgent || !s.holdOutsideHours }, s.calendarOf(t.province), now, s.leadMs);
        outputs.push({ type: 'fire', alert: summary(t), flapping: a.flapping });
      } else if (a.kind === 'flapping' && t.occurrence) {
        outputs.push({ type: 'note', alert: summary(t), action: 'flapping', detail: { flapping: a.flapping } });
      } else if (a.kind === 'resolve' && t.occurrence) {
        const sum = summary(t);
        outputs.push({ type: 'resolve', alert: sum, resolvedAtMs: now, announced: t.occurrence.announced });
        if (t.occurrence.announced) outputs.push({ type: 'message', alert: sum, event: eventOf(t, nameOf(t, snap), s.publicUrl, 'resolved', now) });
        delete t.occurrence;
      }
    }
    if (t.alert.phase === 'ok' && !t.occurrence && t.alert.changes.length === 0) {
      // Quiet again: forgotten until its next bad result.
      active.delete(entity);
      tracked.delete(entity);
    } else tracked.set(entity, t);
  };

  // Centers with an agent awaited after a start: what is known of them is held, not re-judged on nothing.
  const awaited = new Set(snap.agents.filter((a) => a.awaited).map((a) => a.center));
  // What the province sees of an offline center's lines says why it is silent.
  const outsideOfOffline = new Map<string, CheckSnapshot[]>();
  if (offline.size > 0) for (const c of snap.checks) if (offline.has(c.center) && isOutsideIn(c)) listOf(outsideOfOffline, c.center).push(c);
  const causeOf = (center: string) => offlineCause(outsideOfOffline.get(center) ?? []);

  // 1. Centers offline and agents silent.
  for (const [center, list] of agentsOf) {
    if (awaited.has(center)) continue;
    const province = list[0]!.province;
    observe(
      `offline:${center}`,
      () => ({
        entity: `offline:${center}`,
        kind: 'center_offline',
        province,
        center,
        subject: { kind: 'center_offline', cause: causeOf(center) },
        impact: 'blocking',
        urgent: false,
        labels: { province, center, alertname: 'CenterOffline' },
        problem: { province, center },
      }),
      !offline.has(center),
      s.silenceRule,
      (t) => (t.occurrence?.announced || !offline.has(center) ? {} : { subject: { kind: 'center_offline', cause: causeOf(center) } }),
    );
    for (const a of list) {
      const entity = `silent:${center}/${a.agent}`;
      observe(
        entity,
        () => ({
          entity,
          kind: 'agent_silent',
          province,
          center,
          agent: a.agent,
          subject: { kind: 'agent_silent', agent: a.agent },
          impact: 'degrading',
          urgent: false,
          labels: { province, center, agent: a.agent, alertname: 'AgentSilent' },
          problem: { province, center, agent: a.agent },
        }),
        a.heard,
        s.silenceRule,
      );
    }
  }

  // 2. Checks of heard agents, and each center's lines. Nearly every check is up and untracked: those
  // cost one look. Centers with a check down or degraded, or an entity tracked, are looked at closely.
  const silentAt = new Set(snap.agents.filter((a) => !a.heard).map((a) => a.center));
  // The server's own results (agent '': which line is in use, outside-in) are current whoever is silent.
  const live = silentAt.size === 0 ? snap.checks : snap.checks.filter((c) => !silentAt.has(c.center) || c.agent === '' || heard.has(`${c.center}/${c.agent}`));
  const troubled = new Set<string>();
  for (const c of live) if (!c.up || c.degraded) troubled.add(c.center);
  const watched = new Set(troubled);
  for (const e of active) watched.add(tracked.get(e)!.center);
  const groupUp = new Map<string, number>();
  const close: CheckSnapshot[] = [];
  const closeOf = new Map<string, CheckSnapshot[]>();
  for (const c of live) {
    if (!watched.has(c.center)) continue;
    close.push(c);
    listOf(closeOf, c.center).push(c);
    if (c.group !== undefined && c.up) groupUp.set(`${c.center}/${c.group}`, (groupUp.get(`${c.center}/${c.group}`) ?? 0) + 1);
  }
  const linesOf = new Map<string, CenterLines>();
  const systemsOf = new Map<string, Map<string, Set<string>>>();
  for (const [center, list] of closeOf) {
    linesOf.set(center, centerLines(list, s.linesGroup, someoneHeard(center)));
    systemsOf.set(center, systemsUp(list, s.upstreamOf, s.linesGroup));
  }
  for (const c of close) {
    const entity = `check:${c.center}/${c.agent}/${c.check}`;
    const topo = linesOf.get(c.center)!;
    // Held like a silent agent's results: a line announced down is not "back" because the center fell silent.
    if (isOutsideIn(c) && topo.outsideInHeld) continue;
    // An unanswered address is a problem only as the verdict on its line (else: offline's cause, or nothing).
    const good = c.up || (isOutsideIn(c) && !topo.down.has(c.line!));
    if (good && !active.has(entity)) continue;
    const upstream = s.upstreamOf.get(c.check);
    const lineCheck = isLineCheck(c, s.linesGroup);
    const otherLineUp = [...topo.up].some((l) => l !== c.line);
    // Serving goes on when the same thing is reachable otherwise: another member of its group, another
    // line (for a line, or a check bound to a dead line), the same system over another line.
    const redundant =
      (c.group !== undefined && s.groupModes.get(c.group) === 'any_of' && (groupUp.get(`${c.center}/${c.group}`) ?? 0) > 0) ||
      (c.line !== undefined && (lineCheck || topo.down.has(c.line)) && otherLineUp) ||
      (c.line !== undefined && !lineCheck && reachableElsewhere(c, systemsOf.get(c.center)!, s.upstreamOf));
    // The province's view of a line is 'info' on its own; standing for a dead line, it speaks as the line.
    const impact: Impact = isOutsideIn(c) ? 'blocking' : c.impact;
    const subject = (): Subject => ({
      ...names(c),
      kind: 'check',
      check: c.check,
      checkKind: c.kind,
      impact,
      redundant,
      ...(c.reason !== undefined ? { reason: c.reason } : {}),
      ...(upstream ? { upstreamTitle: s.upstreamTitles.get(upstream)! } : {}),
    });
    observe(
      entity,
      () => checkAlert(c, entity, subject(), upstream, { alertname: 'CheckDown', impact, urgent: urgentCheck(c.kind, c.impact), group: c.group }),
      good,
      s.ruleFor(c),
      // While the alert is not yet announced its words follow the latest result (reason, redundancy).
      (t) => (t.occurrence?.announced ? {} : { subject: subject() }),
    );
    const t = tracked.get(entity);
    if (t && c.line !== undefined && topo.down.get(c.line) === c) t.explains = c.line;
    // Running on the backup is what a dead main line looks like from here: explained by it.
    const dead = topo.down.keys().next();
    if (t && c.kind === LINE_IN_USE_KIND && !dead.done) t.problem.line = dead.value;
  }
  // A check up but past a threshold (a line losing 30 % of packets): one warning alert, held as one
  // while it lasts, never a down/up storm. Tracked only once a check has been degraded.
  const troubledBefore = new Set<string>();
  for (const e of active) if (e.startsWith('degraded:')) troubledBefore.add(tracked.get(e)!.center);
  for (const c of close) {
    const bad = c.up && c.degraded;
    if (c.impact === 'info' || (!bad && !troubledBefore.has(c.center))) continue;
    const entity = `degraded:${c.center}/${c.agent}/${c.check}`;
    const subject = (): Subject => ({ ...names(c), kind: 'check', check: c.check, checkKind: c.kind, impact: 'degrading', redundant: false, degraded: true });
    const upstream = s.upstreamOf.get(c.check);
    observe(entity, () => checkAlert(c, entity, subject(), upstream, { alertname: 'CheckDegraded', impact: 'degrading', urgent: false }), !bad, s.degradedRule);
  }
  for (const [center, topo] of linesOf) {
    if (topo.known.size === 0) continue;
    const entity = `lines:${center}`;
    const members = [...topo.known.values()];
    const first = members[0]!;
    const province = first.province;
    const subject: Subject = {
      kind: 'lines_down',
      lines: members.length,
      members: members.flatMap((m) => (m.line !== undefined ? [{ line: m.line, ...(m.lineDescription ? { description: m.lineDescription } : {}) }] : [])),
    };
    observe(
      entity,
      () => ({
        entity,
        kind: 'lines_down',
        province,
        center,
        subject,
        impact: 'blocking',
        urgent: true,
        labels: { province, center, alertname: 'LinesDown' },
        problem: { province, center },
      }),
      topo.up.size > 0,
      s.ruleFor({ kind: first.kind, check: first.check, group: s.linesGroup }),
      (t) => (t.occurrence?.announced ? {} : { subject }),
    );
  }

  // Checks that stopped being reported while their agent is heard: removed from the config. Once a
  // minute is often enough (every entity is looked at).
  if (now - state.sweptMs >= 60_000) {
    state.sweptMs = now;
    for (const [entity, t] of tracked) {
      if (t.kind !== 'check' || t.lastSeenMs === now || !heard.has(`${t.center}/${t.agent}`) || now - t.lastSeenMs < GONE_AFTER_MS) continue;
      if (t.alert.phase === 'ok' && !t.occurrence) {
        tracked.delete(entity);
        active.delete(entity);
      } else observe(entity, () => t, true, { forMs: 0, recoverForMs: 0, flap: { windowMs: 1, transitions: Number.MAX_SAFE_INTEGER } });
    }
  }

  // 3. Root causes and province-wide upstream failures.
  const problems: Problem[] = [];
  const centersChecking = new Map<string, Set<string>>();
  for (const c of snap.checks) {
    const up = s.upstreamOf.get(c.check);
    if (up === undefined) continue;
    const key = `${c.province}/${up}`;
    centersChecking.set(key, (centersChecking.get(key) ?? new Set()).add(c.center));
  }
  for (const e of active) {
    const t = tracked.get(e)!;
    if (t.kind === 'province' || t.alert.phase === 'ok') continue;
    // An upstream counts toward a province-wide failure once its check has waited its own `for`: a
    // blip at three centers is not a province-wide outage.
    // Recovering ones no longer count either, or the province-wide alert would wait out two recoveries.
    if (t.problem.upstream !== undefined && t.kind === 'check' && t.alert.phase !== 'firing') continue;
    problems.push({ id: t.entity, kind: t.kind, ...t.problem, ...(t.explains !== undefined ? { explains: t.explains } : {}) });
  }
  const roots = rootCauses(problems, {
    provinceWideMinCenters: s.provinceWide.minCenters,
    provinceWideMinShare: s.provinceWide.minShare,
    centersChecking: new Map([...centersChecking].map(([k, v]) => [k, v.size])),
  });
  const wide = new Map(roots.provinceWide.map((p) => [`province:${p.province}/${p.upstream}`, p]));
  for (const key of centersChecking.keys()) {
    const [province, upstream] = key.split('/') as [string, string];
    const entity = `province:${province}/${upstream}`;
    const now_ = wide.get(entity);
    const title = s.upstreamTitles.get(upstream)!;
    const subject: Subject = { kind: 'province', upstreamTitle: title, centers: now_?.centers.length ?? 0 };
    if (!now_ && !tracked.has(entity)) continue;
    observe(
      entity,
      () => ({
        entity,
        kind: 'province',
        province,
        center: '',
        subject,
        impact: 'blocking',
        urgent: false,
        labels: { province, upstream, alertname: 'UpstreamDown' },
        problem: { province, center: '', upstream },
      }),
      now_ === undefined,
      s.ruleFor({ kind: 'province', check: upstream }),
      (t) => (t.occurrence?.announced || !now_ ? {} : { subject }),
    );
  }
  const suppressedBy = new Map(roots.suppressedBy);
  for (const [id, root] of roots.suppressedBy) if (root.startsWith('province:') && tracked.get(root)?.occurrence === undefined) suppressedBy.delete(id);

  // 4. Announce what fired and is not explained, silenced or held.
  /** Check entities a line's alert still holds (the line recovering, or back before their own `for`). */
  const heldByLine = new Set<string>();
  for (const e of active) {
    const t = tracked.get(e)!;
    const o = t.occurrence;
    // Recovering: good again, waiting out `recover_for`. Announcing it now would be news of the past.
    if (!o || o.announced || t.alert.phase !== 'firing') continue;
    const note = (action: 'suppressed' | 'silenced' | 'held', detail?: unknown): void => {
      if (o.noted[action]) return;
      o.noted[action] = true;
      outputs.push({ type: 'note', alert: summary(t), action, detail });
    };
    const root = suppressedBy.get(t.entity);
    if (root !== undefined) {
      note('suppressed', { by: root });
      delete o.freedAtMs;
      o.byLine = root.startsWith('lines:') || tracked.get(root)?.explains !== undefined;
      if (o.byLine) heldByLine.add(t.entity);
      continue;
    }
    // A check bound to a line that just came back needs a run of its own to say so: until its `for` has
    // passed again, its failure is still the root's (which has sent its resolved message).
    if (o.noted.suppressed && now - (o.freedAtMs ??= now) < forOfRule(s, t)) {
      if (o.byLine) heldByLine.add(t.entity);
      continue;
    }
    if (s.isSilenced(t.labels, now)) note('silenced');
    else if (o.holdUntilMs === undefined || now < o.holdUntilMs) note('held', { until: o.holdUntilMs ?? null });
    else {
      o.announced = true;
      const sum = summary(t);
      outputs.push({ type: 'note', alert: sum, action: 'announced' });
      outputs.push({ type: 'message', alert: sum, event: eventOf(t, nameOf(t, snap), s.publicUrl, 'firing', now) });
    }
  }

  // 5. Readiness of each center, with hysteresis. Only centers with something wrong are weighed in
  // full; the others (nearly all, nearly always) are ready.
  for (const a of snap.agents) if (!a.heard) troubled.add(a.center);
  const liveOf = new Map<string, CheckSnapshot[]>();
  /** `center/check` → `center/agent/check`: the alert entities behind a readiness reason. */
  const entityOf = new Map<string, string>();
  for (const c of live) {
    if (!troubled.has(c.center)) continue;
    entityOf.set(`${c.center}/${c.check}`, `${c.center}/${c.agent}/${c.check}`);
    listOf(liveOf, c.center).push(c);
  }
  /** One system's checks over several lines, weighed as alternatives (any_of). */
  const systemGroups = new Set<string>();
  /** A center's checks and groups as readiness weighs them: through its lines (topology.ts). */
  const weighed = (center: string): { checks: CheckStatus[]; groups: GroupPolicy[] } => {
    const mine = liveOf.get(center) ?? [];
    const lines = linesOf.get(center) ?? centerLines(mine, s.linesGroup, someoneHeard(center));
    const badSince = (entity: string): number => tracked.get(entity)?.alert.badSince ?? now;
    const explained = (c: CheckSnapshot): boolean => {
      const entity = `check:${c.center}/${c.agent}/${c.check}`;
      // Running on the backup line is the dead line's reason already.
      if (c.kind === LINE_IN_USE_KIND && lines.down.size > 0) return true;
      const line = c.line === undefined ? undefined : lines.down.get(c.line);
      // Failing before its line died, a check has a problem of its own: the line does not explain it.
      if (line) return badSince(entity) >= badSince(`check:${line.center}/${line.agent}/${line.check}`);
      return heldByLine.has(entity);
    };
    const view = readinessView(mine, lines, s.upstreamOf, s.linesGroup, explained);
    for (const g of view.groups) systemGroups.add(g.name);
    const impactOf = new Map<string, Impact>();
    for (const c of view.checks) if (c.group !== undefined) impactOf.set(c.group, stronger(impactOf.get(c.group), c.impact));
    const made = new Set(view.groups.map((g) => g.name));
    const configured = [...impactOf].filter(([name]) => !made.has(name)).map(([name, impact]) => ({ name, mode: s.groupModes.get(name) ?? 'all_of', impact }));
    return { checks: view.checks, groups: [...view.groups, ...configured] };
  };
  /**
   * When a reason began: from the alert entities behind it (their first bad result), which outlive an
   * offline spell and a restart; a group of alternatives went down with its last member.
   */
  const began = (center: string, r: ReadinessReason): number | undefined => {
    const since = (entity: string): number | undefined => tracked.get(entity)?.alert.badSince;
    const check = (prefix: 'check' | 'degraded', id: string): number | undefined => since(`${prefix}:${entityOf.get(`${center}/${id}`)}`);
    switch (r.kind) {
      case 'no_agent_heard':
        return since(`offline:${center}`);
      case 'agents_silent':
        return earliest(r.agents.map((a) => since(`silent:${center}/${a}`)));
      case 'check_down':
        return check('check', r.check);
      case 'check_degraded':
        return check('degraded', r.check);
      case 'redundancy_lost':
        return earliest(r.down.map((id) => check('check', id)));
      case 'group_down': {
        const times = r.down.map((id) => check('check', id));
        return s.groupModes.get(r.group) === 'any_of' || systemGroups.has(r.group) ? latest(times) : earliest(times);
      }
    }
  };
  const timed = (center: string, reasons: readonly ReadinessReason[], prev: readonly TimedReason[]): TimedReason[] =>
    reasons.map((r) => ({ ...r, sinceMs: began(center, r) ?? prev.find((p) => reasonKey(p) === reasonKey(r))?.sinceMs ?? now }));
  const READY = { state: 'ready' as Readiness, reasons: [] as ReadinessReason[] };
  for (const [center, list] of agentsOf) {
    if (awaited.has(center)) continue;
    let observed = READY;
    if (troubled.has(center)) {
      const { checks, groups } = weighed(center);
      observed = readiness({ checks, groups, agents: list.map((a) => ({ id: a.agent, heard: a.heard })), offlineCause: causeOf(center) });
    }
    const prev = centers.get(center);
    if (!prev) {
      // The first evaluation of a center takes its state at once: there is nothing to hold against.
      const reasons = timed(center, observed.reasons, []);
      centers.set(center, { province: list[0]!.province, settled: { state: observed.state, candidate: observed.state, streak: 0 }, sinceMs: now, reasons });
      outputs.push({ type: 'readiness', province: list[0]!.province, center, from: undefined, to: observed.state, atMs: now, reasons });
      continue;
    }
    if (observed === READY && prev.settled.state === 'ready' && prev.settled.streak === 0) continue; // steady
    const settled = settle(prev.settled, observed.state, s.enterAfter, s.leaveAfter);
    const changed = settled.state !== prev.settled.state;
    const reasons = timed(center, observed.reasons, prev.reasons);
    centers.set(center, { ...prev, settled, sinceMs: changed ? now : prev.sinceMs, reasons: settled.state === observed.state ? reasons : prev.reasons });
    if (changed) outputs.push({ type: 'readiness', province: prev.province, center, from: prev.settled.state, to: settled.state, atMs: now, reasons });
  }
  return { state, outputs };
}

const IMPACT_RANK: Record<Impact, number> = { info: 0, degrading: 1, blocking: 2 };

const defined = (xs: ReadonlyArray<number | undefined>): number[] => xs.filter((x): x is number => x !== undefined);
const earliest = (xs: ReadonlyArray<number | undefined>): number | undefined => (defined(xs).length ? Math.min(...defined(xs)) : undefined);
const latest = (xs: ReadonlyArray<number | undefined>): number | undefined => (defined(xs).length ? Math.max(...defined(xs)) : undefined);
const reasonKey = (r: ReadinessReason): string => `${r.kind}/${'group' in r ? r.group : 'check' in r ? r.check : ''}`;

/** The names a check's words use: its line (with the carrier) and its display name. */
const names = (c: CheckSnapshot): { line?: string; lineDescription?: string; title?: Bilingual } => ({
  ...(c.line !== undefined ? { line: c.line } : {}),
  ...(c.lineDescription ? { lineDescription: c.lineDescription } : {}),
  ...(c.title ? { title: c.title } : {}),
});
/** The list under a key, made on first use. */
function listOf<T>(m: Map<string, T[]>, key: string): T[] {
  let l = m.get(key);
  if (!l) m.set(key, (l = []));
  return l;
}
const stronger = (a: Impact | undefined, b: Impact): Impact => (a === undefined || IMPACT_RANK[b] > IMPACT_RANK[a] ? b : a);

/** How long a tracked alert waits before it fires (a check's rule; the others fire at once). */
const forOfRule = (s: EngineSettings, t: Tracked): number =>
  t.kind === 'check' ? s.ruleFor({ kind: t.labels.kind ?? '', check: t.check ?? '', group: t.labels.group }).forMs : 0;

const nameOf = (t: Tracked, snap: FleetSnapshot): string => (t.kind === 'province' ? t.province : (snap.names.get(t.center) ?? t.center));
