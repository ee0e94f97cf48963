/**
 * The engine at work, I/O at the edges: every `interval` it reads what agents pushed (LatestState),
 * evaluates the fleet (evaluate.ts, pure), writes alerts, history and readiness transitions to the
 * store, and queues messages in the durable outbox for each matching route. Escalation and the
 * morning digest run on the same tick. A restart rebuilds the alert state from the store.
 */
import type { Logger } from '../../common/log.js';
import { METRIC } from '../../common/metrics.js';
import type { EngineConfig, RouteConfig } from '../config/engine-schema.js';
import type { ExpectedAgent } from '../fleet/registry.js';
import type { TokenConfig } from '../config/schema.js';
import type { LatestState } from '../state.js';
import type { Store, StoredAlert } from '../store/store.js';
import type { AlertEvent } from '../notifiers/event.js';
import { initialAlertState } from './alerts.js';
import { formatDigest, nextDigestAt } from './digest.js';
import { escalationDue } from './escalation.js';
import { describe, mainReason, reasonWords, type Subject } from './describe.js';
import { emptyEngineState, evaluate, eventOf, type AlertSummary, type CheckSnapshot, type EngineOutput, type EngineState, type Tracked } from './evaluate.js';
import { FleetReader, type KnownAgent } from './fleet.js';
import { replayTimeline, type ReplayedSample } from './replay.js';
import { engineSettings } from './settings.js';
import { matches, recurrenceActive } from './silences.js';
import type { EngineSettings } from './evaluate.js';
import type { SilenceMatcher } from '../store/types.js';

/** An offline spell's replayed samples are taken this long after the center is heard again. */
const GAP_REPLAY_MS = 10 * 60_000;
/** Samples kept per offline spell (a day of 2 agents × 30 checks at 15 s is ~350,000: keep the first part). */
const MAX_REPLAYED = 200_000;

interface Gap {
  fromMs: number;
  toMs?: number;
  samples: ReplayedSample[];
  dirty: boolean;
  alertId: string | undefined;
}

/** How often firing alerts are re-sent to Alertmanager: well inside its default resolve_timeout (5 min). */
const AM_RESEND_MS = 60_000;

export interface EngineRuntimeOptions {
  cfg: EngineConfig;
  tokens: readonly TokenConfig[];
  /** Enrolled agents (not revoked): expected like server.yaml's per-agent tokens. */
  enrolled?: () => readonly ExpectedAgent[];
  /** A center's name in the inventory, for centers whose agents have not said it yet. */
  inventoryName?: (center: string) => string | undefined;
  state: LatestState;
  store: Store;
  log: Logger;
  /** Wakes the outbox delivery after messages were queued. */
  kick?: () => void;
  /** Check results the server makes itself (server/lines/line-in-use.ts), read with the agents' every tick. */
  serverChecks?: () => readonly CheckSnapshot[];
  now?: () => number;
}

/** What the engine remembers of an announced alert, for escalation and resolved messages. */
interface Announced {
  alert: AlertSummary;
  atMs: number;
  routes: string[];
  escalated: string[];
}

export class EngineRuntime {
  private engine: EngineState = emptyEngineState();
  private readonly settings: EngineSettings;
  private readonly now: () => number;
  private readonly startedAt: number;
  private readonly fleet: FleetReader;
  private readonly announced = new Map<string, Announced>();
  private readonly acked = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private nextDigestMs: number | undefined;
  private lastRefreshMinute = 0;
  private readonly staticSilences: Array<{ matchers: SilenceMatcher[]; startsMs: number; endsMs: number; recurring?: string }>;
  /** Store silences of the current tick (one query per tick). */
  private silencesNow: Array<{ matchers: SilenceMatcher[] }> = [];
  lastEvaluationMs = 0;

  constructor(private readonly o: EngineRuntimeOptions) {
    this.now = o.now ?? Date.now;
    this.startedAt = this.now();
    this.fleet = new FleetReader(o.state, o.tokens, o.cfg, this.startedAt, o.enrolled, o.serverChecks);
    this.staticSilences = o.cfg.silences.map((s) => ({
      matchers: s.matchers,
      startsMs: s.starts ? Date.parse(s.starts) : 0,
      endsMs: s.ends ? Date.parse(s.ends) : Number.MAX_SAFE_INTEGER,
      ...(s.recurring ? { recurring: s.recurring } : {}),
    }));
    this.settings = engineSettings(o.cfg, (labels, nowMs) => this.silenced(labels, nowMs));
    o.state.onWatchedSample = (name, labels, value, ts) => {
      if (name === METRIC.probeSuccess) this.replayed(labels, value, ts);
    };
    this.restore();
  }

  start(): void {
    this.timer = setInterval(() => this.tickSafely(), this.o.cfg.interval);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One evaluation; exposed for tests that drive the clock. */
  tick(): EngineOutput[] {
    const started = performance.now();
    const nowMs = this.now();
    this.silencesNow = this.o.store.activeSilences(nowMs, recurrenceActive);
    const { state, outputs } = evaluate(this.engine, this.fleet.read(nowMs), this.settings);
    this.engine = state;
    this.apply(outputs, nowMs);
    this.escalate(nowMs);
    this.refreshAlertmanager(nowMs);
    this.correctTimelines(nowMs);
    this.digest(nowMs);
    this.lastEvaluationMs = performance.now() - started;
    return outputs;
  }

  private tickSafely(): void {
    try {
      this.tick();
    } catch (err) {
      // A store error (disk full) must not stop the receiver; the next tick tries again.
      this.o.log.error('engine evaluation failed', { error: (err as Error).message });
    }
  }

  // ---- reads for the API and metrics ---------------------------------------------------------

  get state(): EngineState {
    return this.engine;
  }

  centerName(center: string): string {
    return this.fleet.names.get(center) ?? this.o.inventoryName?.(center) ?? center;
  }

  private readonly readinessListeners = new Set<(change: Extract<EngineOutput, { type: 'readiness' }>) => void>();

  /** Calls `fn` on every change of a center's readiness (the page's live updates); returns the unsubscribe. */
  onReadiness(fn: (change: Extract<EngineOutput, { type: 'readiness' }>) => void): () => void {
    this.readinessListeners.add(fn);
    return () => this.readinessListeners.delete(fn);
  }

  acknowledge(alertId: string, by: string, comment: string): boolean {
    const alert = this.o.store.getAlert(alertId);
    if (!alert || alert.status !== 'firing') return false;
    this.o.store.acknowledge({ alertId, by, atMs: this.now(), comment });
    this.acked.add(alertId);
    return true;
  }

  // ---- what agents pushed ------------------------------------------------------------------------

  /** The latest results of a center's checks (as of the last evaluation). */
  centerChecks(center: string): readonly CheckSnapshot[] {
    return this.fleet.centerChecks(center);
  }

  /** Agents known (enrolled or heard) with when each was last heard. */
  agents(): readonly KnownAgent[] {
    return this.fleet.agents();
  }

  calendarOf(province: string) {
    return this.settings.calendarOf(province);
  }

  // ---- outputs → store and outbox ---------------------------------------------------------------

  private apply(outputs: readonly EngineOutput[], nowMs: number): void {
    let queued = false;
    for (const out of outputs) {
      switch (out.type) {
        case 'fire':
          this.o.store.saveAlert(stored(out.alert, 'firing'), {
            action: 'fire',
            atMs: nowMs,
            detail: { tracked: this.persistable(out.alert.entity), flapping: out.flapping },
          });
          break;
        case 'resolve':
          this.o.store.saveAlert({ ...stored(out.alert, 'resolved'), resolvedAtMs: out.resolvedAtMs }, { action: 'resolve', atMs: nowMs });
          break;
        case 'note':
          this.o.store.saveAlert(stored(out.alert, 'firing'), { action: out.action, atMs: nowMs, ...(out.detail !== undefined ? { detail: out.detail } : {}) });
          break;
        case 'message':
          queued = this.route(out.alert, out.event, nowMs) || queued;
          break;
        case 'readiness':
          this.o.store.recordTransition({ kind: 'center', entity: out.center, from: out.from, to: out.to, atMs: out.atMs });
          this.trackGap(out.center, out.from, out.to, out.atMs);
          for (const fn of this.readinessListeners) fn(out);
          break;
      }
    }
    if (queued) this.o.kick?.();
  }

  /** Queues one message per matching route; a resolved message goes where its firing message went. */
  private route(alert: AlertSummary, event: AlertEvent, nowMs: number): boolean {
    let routes: string[];
    if (event.status === 'firing') {
      routes = this.routesFor(alert);
      this.announced.set(alert.id, { alert, atMs: nowMs, routes, escalated: [] });
    } else {
      const a = this.announced.get(alert.id);
      routes = a ? [...a.routes, ...a.escalated] : this.routesFor(alert);
      this.announced.delete(alert.id);
      this.acked.delete(alert.id);
    }
    for (const route of routes) this.o.store.enqueue({ key: `${route}:${event.key}`, route, payload: { event }, notBeforeMs: nowMs });
    return routes.length > 0;
  }

  /** The routes an alert's messages go to (escalation-only routes get them through escalation). */
  private routesFor(alert: AlertSummary): string[] {
    return this.o.cfg.routes.filter((r) => !r.escalation_only && routeMatches(r, alert)).map((r) => r.name);
  }

  private escalate(nowMs: number): void {
    for (const a of this.announced.values()) {
      for (const name of a.routes) {
        const r = this.o.cfg.routes.find((x) => x.name === name);
        if (!r?.escalate_to || r.escalate_after === undefined || a.escalated.includes(r.escalate_to)) continue;
        if (!escalationDue({ firedAtMs: a.atMs, acknowledged: this.acked.has(a.alert.id) }, r.escalate_after, nowMs)) continue;
        const t = this.engine.tracked.get(a.alert.entity);
        if (!t?.occurrence) continue;
        a.escalated.push(r.escalate_to);
        const event = eventOf(t, this.centerName(t.center), this.settings.publicUrl, 'firing', nowMs);
        this.o.store.enqueue({ key: `${r.escalate_to}:${event.key}`, route: r.escalate_to, payload: { event }, notBeforeMs: nowMs });
        this.o.store.saveAlert(stored(a.alert, 'firing'), { action: 'escalated', atMs: nowMs, detail: { from: name, to: r.escalate_to } });
        this.o.kick?.();
      }
    }
  }

  /**
   * Alertmanager ends an alert it has not heard of for `resolve_timeout` (5 min by default), as it expects
   * Prometheus to re-send firing alerts; so every minute each announced alert is sent again to the
   * Alertmanager routes it went to (a new key per minute: the outbox keeps each once).
   */
  private refreshAlertmanager(nowMs: number): void {
    const minute = Math.floor(nowMs / AM_RESEND_MS);
    if (minute === this.lastRefreshMinute) return;
    this.lastRefreshMinute = minute;
    const am = new Set(this.o.cfg.routes.filter((r) => r.channel === 'alertmanager').map((r) => r.name));
    if (am.size === 0) return;
    for (const a of this.announced.values()) {
      if (nowMs - a.atMs < AM_RESEND_MS) continue;
      const t = this.engine.tracked.get(a.alert.entity);
      if (!t?.occurrence) continue;
      const event = eventOf(t, this.centerName(t.center), this.settings.publicUrl, 'firing', nowMs);
      for (const route of [...a.routes, ...a.escalated].filter((r) => am.has(r))) {
        this.o.store.enqueue({ key: `${route}:${event.key}:m${minute}`, route, payload: { event }, notBeforeMs: nowMs });
      }
    }
    this.o.kick?.();
  }

  // ---- the timeline of an offline spell, from the agent's replayed WAL -------------------------

  private readonly gaps = new Map<string, Gap>();

  private trackGap(center: string, from: string | undefined, to: string, atMs: number): void {
    if (to === 'offline') {
      const lastHeard = Math.max(
        ...this.fleet
          .agents()
          .filter((a) => a.center === center)
          .map((a) => a.lastHeardMs),
        0,
      );
      this.gaps.set(center, { fromMs: lastHeard || atMs, samples: [], dirty: false, alertId: this.engine.tracked.get(`offline:${center}`)?.occurrence?.id });
    } else if (from === 'offline') {
      const gap = this.gaps.get(center);
      if (gap) gap.toMs = atMs;
    }
  }

  private replayed(labels: readonly { name: string; value: string }[], value: number, ts: number): void {
    if (this.gaps.size === 0) return;
    const get = (n: string): string => labels.find((l) => l.name === n)?.value ?? '';
    const gap = this.gaps.get(get('center'));
    if (!gap || ts < gap.fromMs || (gap.toMs !== undefined && ts >= gap.toMs) || gap.samples.length >= MAX_REPLAYED) return;
    gap.samples.push({ agent: get('agent'), check: get('check'), up: value === 1, atMs: ts });
    gap.dirty = true;
  }

  /** Rewrites an offline spell's transitions from what the agent saw; closes gaps 10 minutes after they end. */
  private correctTimelines(nowMs: number): void {
    for (const [center, gap] of this.gaps) {
      const meta = new Map(this.centerChecks(center).map((c) => [`${c.agent}/${c.check}`, { impact: c.impact, group: c.group }]));
      // Until the agent's checks are known again (its first live push), the samples wait.
      if (gap.dirty && meta.size > 0) {
        gap.dirty = false;
        const toMs = gap.toMs ?? nowMs;
        const points = replayTimeline(gap.samples, meta, this.settings.groupModes, gap.fromMs, toMs);
        if (points.length > 0) {
          let from = this.o.store.transitions('center', center, 0, gap.fromMs).at(-1)?.to;
          const list = points.flatMap((p) => {
            if (p.state === from) return [];
            const t = { kind: 'center' as const, entity: center, from, to: p.state, atMs: p.atMs };
            from = p.state;
            return [t];
          });
          // The live transition out of `offline` is news no more when the agent's data already ends there.
          const back = gap.toMs === undefined ? undefined : this.o.store.transitions('center', center, toMs, toMs + 1)[0];
          const until = back && back.to === (list.at(-1)?.to ?? from) ? toMs + 1 : toMs;
          this.o.store.replaceTransitions('center', center, gap.fromMs, until, list);
          const alert = gap.alertId ? this.o.store.getAlert(gap.alertId) : undefined;
          const checks = this.centerChecks(center);
          if (alert)
            this.o.store.saveAlert(alert, {
              action: 'timeline_corrected',
              atMs: nowMs,
              detail: { timeline: points.map((p) => ({ atMs: p.atMs, state: p.state, reasons: p.reasons.map((r) => reasonWords(r, checks).vi) })) },
            });
        }
      }
      if (gap.toMs !== undefined && nowMs - gap.toMs > GAP_REPLAY_MS) this.gaps.delete(center);
    }
  }

  // ---- the morning digest ----------------------------------------------------------------------

  private digest(nowMs: number): void {
    const d = this.o.cfg.digest;
    if (!d) return;
    this.nextDigestMs ??= nextDigestAt(d.at, nowMs, d.workdays_only, this.settings.calendarOf(''));
    if (nowMs < this.nextDigestMs) return;
    this.nextDigestMs = nextDigestAt(d.at, nowMs, d.workdays_only, this.settings.calendarOf(''));
    const dayMs = 86_400_000;
    const centers = [...this.engine.centers].map(([id, c]) => {
      const share = this.o.store.uptimeShare(id, nowMs - dayMs, nowMs, this.settings.calendarOf(c.province)).share;
      const reason = c.settled.state !== 'ready' ? mainReason(c.reasons, this.centerChecks(id))?.text : undefined;
      return { id, name: this.centerName(id), state: c.settled.state, ...(reason ? { reason } : {}), ...(share !== undefined ? { uptimeShare: share } : {}) };
    });
    const incidents = this.o.store
      .alertsBetween(nowMs - dayMs, nowMs)
      .filter((a) => a.severity !== 'info')
      .map((a) => ({
        centerName: this.centerName(a.center),
        summary: alertWords(this.o.store, a),
        sinceMs: a.sinceMs,
        ...(a.resolvedAtMs !== undefined ? { resolvedAtMs: a.resolvedAtMs } : {}),
      }));
    const date = new Date(nowMs + 7 * 3600_000).toISOString().slice(0, 10);
    for (const route of d.routes) {
      const lang = this.o.cfg.routes.find((r) => r.name === route)?.lang ?? 'vi';
      const text = formatDigest({ atMs: nowMs, centers, incidents }, lang);
      // The text starts with its subject line: the subject is the headline, the rest the body.
      const body = text.text.split('\n').slice(1).join('\n').trim();
      const event: AlertEvent = {
        key: `digest:${date}`,
        alertId: `digest:${date}`,
        kind: 'digest',
        status: 'firing',
        severity: 'info',
        province: '',
        center: '',
        centerName: text.subject,
        summary: { vi: body, en: body },
        sinceMs: nowMs,
        url: `${this.o.cfg.public_url.replace(/\/+$/, '')}/`,
        labels: { alertname: 'Digest' },
      };
      this.o.store.enqueue({ key: `${route}:${event.key}`, route, payload: { event }, notBeforeMs: nowMs });
    }
    this.o.kick?.();
  }

  // ---- silences ---------------------------------------------------------------------------------

  private silenced(labels: Record<string, string>, nowMs: number): boolean {
    if (this.silencesNow.some((s) => matches(s.matchers, labels))) return true;
    return this.staticSilences.some(
      (s) => nowMs >= s.startsMs && nowMs < s.endsMs && (s.recurring === undefined || recurrenceActive(s.recurring, nowMs)) && matches(s.matchers, labels),
    );
  }

  // ---- restart ------------------------------------------------------------------------------------

  /** What a restart needs to rebuild a tracked entity: everything but the state machine. */
  private persistable(entity: string): unknown {
    const t = this.engine.tracked.get(entity);
    if (!t) return undefined;
    const { alert: _a, occurrence: _o, lastSeenMs: _l, ...rest } = t;
    return rest;
  }

  /** Firing alerts come back firing, announced or not as they were; readiness from the last transition. */
  private restore(): void {
    const tracked = new Map<string, Tracked>();
    for (const a of this.o.store.firingAlerts()) {
      const fire = this.o.store.lastHistory(a.id, 'fire');
      const base = (fire?.detail as { tracked?: Omit<Tracked, 'alert' | 'occurrence' | 'lastSeenMs'> } | undefined)?.tracked;
      if (!base) continue;
      const announced = this.o.store.lastHistory(a.id, 'announced') !== undefined;
      const escalated = this.o.store.lastHistory(a.id, 'escalated');
      const alert = {
        ...initialAlertState(a.firedAtMs),
        phase: 'firing' as const,
        badSince: a.sinceMs,
        phaseSince: a.firedAtMs,
        firedAt: a.firedAtMs,
        lastGood: false,
      };
      const t: Tracked = {
        ...base,
        alert,
        lastSeenMs: this.startedAt,
        occurrence: { id: a.id, sinceMs: a.sinceMs, firedAtMs: a.firedAtMs, severity: a.severity, announced, holdUntilMs: a.firedAtMs, noted: {} },
      };
      tracked.set(base.entity, t);
      if (this.o.store.acknowledgements(a.id).length > 0) this.acked.add(a.id);
      if (announced) {
        const summary: AlertSummary = {
          id: a.id,
          entity: base.entity,
          province: a.province,
          center: a.center,
          ...(a.check ? { check: a.check } : {}),
          severity: a.severity,
          sinceMs: a.sinceMs,
          firedAtMs: a.firedAtMs,
          labels: a.labels,
        };
        const routes = this.routesFor(summary);
        const to = (escalated?.detail as { to?: string } | undefined)?.to;
        this.announced.set(a.id, { alert: summary, atMs: this.o.store.lastHistory(a.id, 'announced')!.atMs, routes, escalated: to ? [to] : [] });
      }
    }
    this.engine = { tracked, centers: new Map(), active: new Set(tracked.keys()), sweptMs: this.startedAt };
    const provinceOf = new Map<string, string>();
    for (const t of [...this.o.tokens, ...(this.o.enrolled?.() ?? [])]) if (!provinceOf.has(t.center)) provinceOf.set(t.center, t.province);
    for (const [center, province] of provinceOf) {
      const last = this.o.store.transitions('center', center, 0, this.startedAt + 1).at(-1);
      if (last)
        this.engine.centers.set(center, {
          province,
          settled: { state: last.to as never, candidate: last.to as never, streak: 0 },
          sinceMs: last.atMs,
          reasons: [],
        });
    }
    if (tracked.size > 0) this.o.log.info('engine state restored', { firing: tracked.size, announced: this.announced.size });
  }
}

function stored(a: AlertSummary, status: StoredAlert['status']): StoredAlert {
  return {
    id: a.id,
    province: a.province,
    center: a.center,
    ...(a.check !== undefined ? { check: a.check } : {}),
    labels: a.labels,
    status,
    severity: a.severity,
    sinceMs: a.sinceMs,
    firedAtMs: a.firedAtMs,
  };
}

function routeMatches(r: RouteConfig, a: AlertSummary): boolean {
  return r.severities.includes(a.severity) && (!r.provinces || r.provinces.includes(a.province)) && (!r.centers || r.centers.includes(a.center));
}

/** The summary words of a stored alert, from its `fire` history (what the message said). */
export function alertWords(store: Store, a: StoredAlert): { vi: string; en: string } {
  const base = (store.lastHistory(a.id, 'fire')?.detail as { tracked?: { subject?: unknown } } | undefined)?.tracked;
  return base?.subject ? describe(base.subject as Subject).summary : { vi: a.check ?? a.id, en: a.check ?? a.id };
}
