/**
 * The one event every notifier formats. The engine builds it from an alert action; notifiers never
 * look anything else up, so `format` stays a pure function of (event, options, lang).
 */

/** Message language: Vietnamese by default, English by option. */
export type Lang = 'vi' | 'en';

/** Text in both languages. */
export interface Bilingual {
  vi: string;
  en: string;
}

export interface AlertEvent {
  /** `digest`: the morning report; `summary` is then the whole text and the headline is `centerName`. */
  kind?: 'alert' | 'digest';
  /** Stable per alert and status: the idempotency key of a message (e.g. `${alertId}:${status}`). */
  key: string;
  alertId: string;
  status: 'firing' | 'resolved';
  severity: 'critical' | 'warning' | 'info';
  province: string;
  center: string;
  /** Free user text (the center's display name): every channel escapes it for its own markup. */
  centerName: string;
  check?: string;
  group?: string;
  /** What is broken, in plain words, both languages. */
  summary: Bilingual;
  /** What it blocks for citizens (e.g. "không thể tiếp nhận hồ sơ trực tuyến"). */
  blocks?: Bilingual;
  /** What to do first. */
  runbook?: Bilingual;
  /** When the problem began (epoch ms). */
  sinceMs: number;
  /** When it was resolved (epoch ms); set on resolved events. */
  resolvedAtMs?: number;
  /** Link to the center's page on the readiness site. */
  url: string;
  /** Extra labels passed through to label-based channels (webhook, alertmanager). */
  labels: Record<string, string>;
}
