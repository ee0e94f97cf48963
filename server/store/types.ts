/** Records the store keeps. Times are milliseconds since the Unix epoch (UTC). */

export type AlertStatus = 'firing' | 'resolved';
export type Severity = 'critical' | 'warning' | 'info';

/** An alert: one per problem (a check, a group, a center or a shared upstream). */
export interface StoredAlert {
  /** Stable id chosen by the engine (e.g. `${center}:${check}`, with a suffix per occurrence). */
  id: string;
  province: string;
  center: string;
  check?: string;
  group?: string;
  labels: Record<string, string>;
  status: AlertStatus;
  severity: Severity;
  /** When the problem began (first bad result). */
  sinceMs: number;
  firedAtMs: number;
  resolvedAtMs?: number;
}

/** One row per thing that happened to an alert: fire, resolve, flapping, suppressed, escalated, acknowledged… */
export interface AlertHistoryEntry {
  alertId: string;
  action: string;
  atMs: number;
  /** Free JSON the engine wants to keep with the action (e.g. which route was paged). */
  detail?: unknown;
}

/** Alertmanager-style label matcher. The store keeps matchers; the engine evaluates them. */
export interface SilenceMatcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface SilenceInput {
  matchers: SilenceMatcher[];
  startsMs: number;
  /** Exclusive. For a recurring silence, [startsMs, endsMs) is the period within which the rule applies. */
  endsMs: number;
  /** Recurrence rule text (format owned by the engine), e.g. a weekly maintenance window; absent for one-off. */
  recurring?: string;
  createdBy: string;
  comment?: string;
}

export interface Silence extends SilenceInput {
  id: number;
  comment: string;
}

export interface Acknowledgement {
  alertId: string;
  by: string;
  atMs: number;
  comment: string;
}

export interface OutboxMessage {
  /** Idempotency key: enqueueing the same key again keeps the first message (sent or not). */
  key: string;
  /** The route (notifier instance) the message goes to. */
  route: string;
  /** Anything JSON-serialisable: the formatted payload or the event to format. */
  payload: unknown;
  /** Not sent before this instant (office-hours hold, grouping wait). */
  notBeforeMs: number;
}

export interface OutboxEntry extends OutboxMessage {
  id: number;
  /** Failed attempts so far. */
  attempts: number;
  /** `failed`: given up (a non-retryable answer, too many attempts or an unknown route); never sent again. */
  status: 'pending' | 'sent' | 'failed';
  lastError?: string;
  sentAtMs?: number;
  /** When the message was given up (status `failed`). */
  givenUpAtMs?: number;
}
