/**
 * The engine's durable state behind a narrow interface. `openSqliteStore` is the only implementation;
 * callers receive a `Store` (never import a singleton), so tests open their own file or ':memory:'.
 *
 * SQLite in WAL mode with synchronous=NORMAL: a commit survives a process crash (kill -9); only a power
 * loss may lose the last transactions, which the at-least-once outbox tolerates (a message sent twice
 * carries the same idempotency key). Every statement is prepared once at open.
 */
import Database from 'better-sqlite3';
import type { OfficeCalendar } from '../calendar.js';
import { migrate } from './migrations.js';
import { uptimeFromTransitions, type Transition, type UptimeShare } from './uptime.js';
import type { Acknowledgement, AlertHistoryEntry, OutboxEntry, OutboxMessage, Silence, SilenceInput, StoredAlert } from './types.js';
import { sqliteFleetStore } from '../fleet/sqlite.js';
import type { FleetStore } from '../fleet/types.js';

export type * from './types.js';
export type { Transition, UptimeShare } from './uptime.js';

export interface Store {
  /** Inserts or updates the alert and appends one history row for `action`, atomically. */
  saveAlert(alert: StoredAlert, action: Omit<AlertHistoryEntry, 'alertId'>): void;
  getAlert(id: string): StoredAlert | undefined;
  /** Firing alerts, oldest first; of one center when given. */
  firingAlerts(center?: string): StoredAlert[];
  /** Alerts that fired or resolved within [fromMs, toMs) or are still firing, oldest first. */
  alertsBetween(fromMs: number, toMs: number): StoredAlert[];
  alertHistory(alertId: string): AlertHistoryEntry[];
  /** The latest history row of `action` for the alert (e.g. whether and when it was escalated). */
  lastHistory(alertId: string, action: string): AlertHistoryEntry | undefined;

  recordTransition(t: Transition): void;
  /** Replaces the transitions of one entity within [fromMs, toMs) by these (a timeline corrected from an agent's own data). */
  replaceTransitions(kind: Transition['kind'], entity: string, fromMs: number, toMs: number, list: readonly Transition[]): void;
  /** Transitions of one entity with fromMs <= at < toMs, oldest first. */
  transitions(kind: Transition['kind'], entity: string, fromMs: number, toMs: number): Transition[];
  /** Share of the office time in [fromMs, toMs) the center was `ready`, from its transitions. */
  uptimeShare(center: string, fromMs: number, toMs: number, cal: OfficeCalendar): UptimeShare;

  addSilence(s: SilenceInput): number;
  /** Ends a silence at `atMs` (kept for history). False if it does not exist or already ended. */
  expireSilence(id: number, atMs: number): boolean;
  /**
   * Silences in force at `nowMs`: one-off ones with starts <= now < ends, and recurring ones within
   * their period for which `recurrenceActive(rule, nowMs)` holds. Without an evaluator recurring ones are
   * left out: a wrongly applied silence hides a real page, a missed one only adds a message.
   */
  activeSilences(nowMs: number, recurrenceActive?: (rule: string, nowMs: number) => boolean): Silence[];

  /** Records an acknowledgement and an `acknowledged` history row. */
  acknowledge(ack: Acknowledgement): void;
  acknowledgements(alertId: string): Acknowledgement[];

  /** Queues a message; `created` is false (and nothing changes) when its key is already queued or sent. */
  enqueue(msg: OutboxMessage): { id: number; created: boolean };
  /**
   * Pending messages with notBefore <= nowMs, the earliest first, at most `limit`. A message behind an
   * earlier pending message of the same route that already failed (waiting on its retry) is left out: a
   * route's messages arrive in order, and a route that is down does not fill the batch for the others.
   */
  due(nowMs: number, limit: number): OutboxEntry[];
  markSent(id: number, atMs?: number): void;
  /** Counts a failed attempt and holds the message until `nextAttemptMs` (the caller's backoff). */
  markFailed(id: number, nextAttemptMs: number, error: string): void;
  /** Gives a pending message up (status `failed`): it is never handed out again. `attempts` is left as is. */
  markGivenUp(id: number, atMs: number, error: string): void;
  outboxEntry(id: number): OutboxEntry | undefined;

  /**
   * Retention, in one transaction: deletes alerts resolved before `beforeMs` (with their history and
   * acknowledgements), transitions before it except the last one of each entity (the state in force at
   * `beforeMs`, which the uptime of a span starting there needs), outbox messages sent or given up before
   * it, and silences that ended before it. Firing alerts and pending messages are kept however old. Returns
   * how many rows of each went.
   */
  prune(beforeMs: number): PruneResult;

  /** The inventory, enrolment codes, enrolled agents and config profiles. */
  readonly fleet: FleetStore;

  close(): void;
}

/** Rows deleted by `prune`. */
export interface PruneResult {
  alerts: number;
  transitions: number;
  outbox: number;
  silences: number;
}

/** Options of `openSqliteStore`. */
export interface SqliteStoreOptions {
  /** How long a writer waits for a lock held by another connection (ms). Default 5000. */
  busyTimeoutMs?: number;
}

/** A row as better-sqlite3 returns it: each column a SQLite value. */
type SqlValue = string | number | bigint | Buffer | null;
type Row = Record<string, SqlValue>;
const str = (v: SqlValue | undefined): string | undefined => (v === null || v === undefined ? undefined : String(v));
const num = (v: SqlValue | undefined): number | undefined => (v === null || v === undefined ? undefined : Number(v));

// The JSON columns hold what this store wrote (JSON.stringify of the typed value): read back as that type.
function historyFromRow(r: Row): AlertHistoryEntry {
  const e: AlertHistoryEntry = { alertId: String(r.alert_id), action: String(r.action), atMs: Number(r.at) };
  if (r.detail !== null) e.detail = JSON.parse(String(r.detail));
  return e;
}

function alertFromRow(r: Row): StoredAlert {
  const a: StoredAlert = {
    id: String(r.id),
    province: String(r.province),
    center: String(r.center),
    labels: JSON.parse(String(r.labels)) as StoredAlert['labels'],
    status: r.status as StoredAlert['status'],
    severity: r.severity as StoredAlert['severity'],
    sinceMs: Number(r.since),
    firedAtMs: Number(r.fired_at),
  };
  if (r.check_id !== null) a.check = String(r.check_id);
  if (r.grp !== null) a.group = String(r.grp);
  if (r.resolved_at !== null) a.resolvedAtMs = Number(r.resolved_at);
  return a;
}

const transitionFromRow = (r: Row): Transition => ({
  kind: r.kind as Transition['kind'],
  entity: String(r.entity),
  from: str(r.from_state),
  to: String(r.to_state),
  atMs: Number(r.at),
});

function silenceFromRow(r: Row): Silence {
  const s: Silence = {
    id: Number(r.id),
    matchers: JSON.parse(String(r.matchers)) as Silence['matchers'],
    startsMs: Number(r.starts_at),
    endsMs: Number(r.ends_at),
    createdBy: String(r.created_by),
    comment: String(r.comment),
  };
  if (r.recurring !== null) s.recurring = String(r.recurring);
  return s;
}

function outboxFromRow(r: Row): OutboxEntry {
  const e: OutboxEntry = {
    id: Number(r.id),
    key: String(r.key),
    route: String(r.route),
    payload: JSON.parse(String(r.payload)),
    notBeforeMs: Number(r.not_before),
    attempts: Number(r.attempts),
    status: r.status as OutboxEntry['status'],
  };
  if (r.last_error !== null) e.lastError = String(r.last_error);
  if (r.sent_at !== null) e.sentAtMs = num(r.sent_at);
  if (r.given_up_at !== null) e.givenUpAtMs = num(r.given_up_at);
  return e;
}

/** Opens (creating and migrating as needed) a SQLite store at `file`, or in memory with ':memory:'. */
export function openSqliteStore(file: string, opts: SqliteStoreOptions = {}): Store {
  const db = new Database(file);
  db.pragma('journal_mode = WAL'); // ':memory:' stays 'memory': nothing to survive there
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
  migrate(db);

  const q = {
    upsertAlert: db.prepare(`INSERT INTO alerts (id, province, center, check_id, grp, labels, status, severity, since, fired_at, resolved_at)
      VALUES (@id, @province, @center, @check, @group, @labels, @status, @severity, @since, @firedAt, @resolvedAt)
      ON CONFLICT (id) DO UPDATE SET province = excluded.province, center = excluded.center, check_id = excluded.check_id,
        grp = excluded.grp, labels = excluded.labels, status = excluded.status, severity = excluded.severity,
        since = excluded.since, fired_at = excluded.fired_at, resolved_at = excluded.resolved_at`),
    history: db.prepare('INSERT INTO alert_history (alert_id, action, at, detail) VALUES (?, ?, ?, ?)'),
    getAlert: db.prepare('SELECT * FROM alerts WHERE id = ?'),
    firing: db.prepare(`SELECT * FROM alerts WHERE status = 'firing' ORDER BY fired_at, id`),
    firingOf: db.prepare(`SELECT * FROM alerts WHERE status = 'firing' AND center = ? ORDER BY fired_at, id`),
    between: db.prepare(`SELECT * FROM alerts WHERE fired_at < @to AND (resolved_at IS NULL OR resolved_at >= @from) ORDER BY fired_at, id`),
    historyOf: db.prepare('SELECT * FROM alert_history WHERE alert_id = ? ORDER BY at, id'),
    addTransition: db.prepare('INSERT INTO transitions (kind, entity, from_state, to_state, at) VALUES (?, ?, ?, ?, ?)'),
    deleteTransitions: db.prepare('DELETE FROM transitions WHERE kind = ? AND entity = ? AND at >= ? AND at < ?'),
    transitions: db.prepare('SELECT * FROM transitions WHERE kind = ? AND entity = ? AND at >= ? AND at < ? ORDER BY at, id'),
    lastBefore: db.prepare('SELECT * FROM transitions WHERE kind = ? AND entity = ? AND at <= ? ORDER BY at DESC, id DESC LIMIT 1'),
    inside: db.prepare('SELECT * FROM transitions WHERE kind = ? AND entity = ? AND at > ? AND at < ? ORDER BY at, id'),
    addSilence: db.prepare(`INSERT INTO silences (matchers, starts_at, ends_at, recurring, created_by, comment)
      VALUES (?, ?, ?, ?, ?, ?)`),
    expireSilence: db.prepare('UPDATE silences SET ends_at = MAX(starts_at, @at) WHERE id = @id AND ends_at > @at'),
    activeSilences: db.prepare('SELECT * FROM silences WHERE starts_at <= @now AND ends_at > @now ORDER BY starts_at, id'),
    ack: db.prepare('INSERT INTO acknowledgements (alert_id, by, at, comment) VALUES (?, ?, ?, ?)'),
    acksOf: db.prepare('SELECT * FROM acknowledgements WHERE alert_id = ? ORDER BY at, id'),
    enqueue: db.prepare(`INSERT INTO outbox (key, route, payload, not_before) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`),
    byKey: db.prepare('SELECT id FROM outbox WHERE key = ?'),
    due: db.prepare(`SELECT * FROM outbox o WHERE status = 'pending' AND not_before <= ?
      AND NOT EXISTS (SELECT 1 FROM outbox b WHERE b.route = o.route AND b.status = 'pending' AND b.attempts > 0 AND b.id < o.id)
      ORDER BY not_before, id LIMIT ?`),
    sent: db.prepare(`UPDATE outbox SET status = 'sent', sent_at = ? WHERE id = ?`),
    failed: db.prepare(`UPDATE outbox SET attempts = attempts + 1, not_before = ?, last_error = ? WHERE id = ? AND status = 'pending'`),
    givenUp: db.prepare(`UPDATE outbox SET status = 'failed', given_up_at = ?, last_error = ? WHERE id = ? AND status = 'pending'`),
    outboxEntry: db.prepare('SELECT * FROM outbox WHERE id = ?'),
    lastHistory: db.prepare('SELECT * FROM alert_history WHERE alert_id = ? AND action = ? ORDER BY at DESC, id DESC LIMIT 1'),
    // Children first: history and acknowledgements reference the alert.
    pruneHistory: db.prepare(`DELETE FROM alert_history WHERE alert_id IN
      (SELECT id FROM alerts WHERE status = 'resolved' AND resolved_at < @before)`),
    pruneAcks: db.prepare(`DELETE FROM acknowledgements WHERE alert_id IN
      (SELECT id FROM alerts WHERE status = 'resolved' AND resolved_at < @before)`),
    pruneAlerts: db.prepare(`DELETE FROM alerts WHERE status = 'resolved' AND resolved_at < @before`),
    // A transition goes only when a later one of the same entity, also before the cut, replaces it.
    pruneTransitions: db.prepare(`DELETE FROM transitions WHERE at < @before AND EXISTS (
      SELECT 1 FROM transitions AS later WHERE later.kind = transitions.kind AND later.entity = transitions.entity
        AND later.at < @before AND (later.at > transitions.at OR (later.at = transitions.at AND later.id > transitions.id)))`),
    // Given-up messages go too once old: they are kept only so an operator can see what was never delivered.
    pruneOutbox: db.prepare(`DELETE FROM outbox
      WHERE (status = 'sent' AND sent_at < @before) OR (status = 'failed' AND given_up_at < @before)`),
    pruneSilences: db.prepare('DELETE FROM silences WHERE ends_at < @before'),
  };

  const prune = db.transaction((before: number): PruneResult => {
    q.pruneHistory.run({ before });
    q.pruneAcks.run({ before });
    return {
      alerts: q.pruneAlerts.run({ before }).changes,
      transitions: q.pruneTransitions.run({ before }).changes,
      outbox: q.pruneOutbox.run({ before }).changes,
      silences: q.pruneSilences.run({ before }).changes,
    };
  });

  const saveAlert = db.transaction((a: StoredAlert, action: Omit<AlertHistoryEntry, 'alertId'>) => {
    q.upsertAlert.run({
      id: a.id,
      province: a.province,
      center: a.center,
      check: a.check ?? null,
      group: a.group ?? null,
      labels: JSON.stringify(a.labels),
      status: a.status,
      severity: a.severity,
      since: a.sinceMs,
      firedAt: a.firedAtMs,
      resolvedAt: a.resolvedAtMs ?? null,
    });
    q.history.run(a.id, action.action, action.atMs, action.detail === undefined ? null : JSON.stringify(action.detail));
  });

  const acknowledge = db.transaction((a: Acknowledgement) => {
    q.ack.run(a.alertId, a.by, a.atMs, a.comment);
    q.history.run(a.alertId, 'acknowledged', a.atMs, JSON.stringify({ by: a.by }));
  });

  const enqueue = db.transaction((m: OutboxMessage) => {
    const info = q.enqueue.run(m.key, m.route, JSON.stringify(m.payload), m.notBeforeMs);
    if (info.changes === 1) return { id: Number(info.lastInsertRowid), created: true };
    return { id: Number((q.byKey.get(m.key) as Row).id), created: false };
  });

  return {
    saveAlert: (a, action) => saveAlert(a, action),
    getAlert: (id) => {
      const r = q.getAlert.get(id) as Row | undefined;
      return r && alertFromRow(r);
    },
    firingAlerts: (center) => ((center === undefined ? q.firing.all() : q.firingOf.all(center)) as Row[]).map(alertFromRow),
    alertsBetween: (from, to) => (q.between.all({ from, to }) as Row[]).map(alertFromRow),
    alertHistory: (alertId) => (q.historyOf.all(alertId) as Row[]).map(historyFromRow),
    lastHistory: (alertId, action) => {
      const r = q.lastHistory.get(alertId, action) as Row | undefined;
      return r && historyFromRow(r);
    },

    recordTransition: (t) => void q.addTransition.run(t.kind, t.entity, t.from ?? null, t.to, t.atMs),
    replaceTransitions: db.transaction((kind: Transition['kind'], entity: string, fromMs: number, toMs: number, list: readonly Transition[]) => {
      q.deleteTransitions.run(kind, entity, fromMs, toMs);
      for (const t of list) q.addTransition.run(t.kind, t.entity, t.from ?? null, t.to, t.atMs);
    }),
    transitions: (kind, entity, from, to) => (q.transitions.all(kind, entity, from, to) as Row[]).map(transitionFromRow),
    uptimeShare: (center, from, to, cal) => {
      const before = q.lastBefore.get('center', center, from) as Row | undefined;
      const inside = (q.inside.all('center', center, from, to) as Row[]).map(transitionFromRow);
      return uptimeFromTransitions(before && transitionFromRow(before), inside, from, to, cal);
    },

    addSilence: (s) => {
      if (!(s.endsMs > s.startsMs)) throw new RangeError(`silence ends (${s.endsMs}) before it starts (${s.startsMs})`);
      return Number(q.addSilence.run(JSON.stringify(s.matchers), s.startsMs, s.endsMs, s.recurring ?? null, s.createdBy, s.comment ?? '').lastInsertRowid);
    },
    expireSilence: (id, atMs) => q.expireSilence.run({ id, at: atMs }).changes === 1,
    activeSilences: (nowMs, recurrenceActive) =>
      (q.activeSilences.all({ now: nowMs }) as Row[])
        .map(silenceFromRow)
        .filter((s) => s.recurring === undefined || (recurrenceActive?.(s.recurring, nowMs) ?? false)),

    acknowledge: (a) => acknowledge(a),
    acknowledgements: (alertId) =>
      (q.acksOf.all(alertId) as Row[]).map((r) => ({ alertId: String(r.alert_id), by: String(r.by), atMs: Number(r.at), comment: String(r.comment) })),

    enqueue: (m) => enqueue(m),
    due: (nowMs, limit) => (q.due.all(nowMs, limit) as Row[]).map(outboxFromRow),
    markSent: (id, atMs = Date.now()) => void q.sent.run(atMs, id),
    markFailed: (id, next, error) => void q.failed.run(next, error, id),
    markGivenUp: (id, atMs, error) => void q.givenUp.run(atMs, error, id),
    outboxEntry: (id) => {
      const r = q.outboxEntry.get(id) as Row | undefined;
      return r && outboxFromRow(r);
    },

    prune: (beforeMs) => prune(beforeMs),

    fleet: sqliteFleetStore(db),

    close: () => db.close(),
  };
}
