/**
 * When a message goes out, pure: nothing at 2 a.m. for a printer, but a center that lost every line or
 * its power close to opening is paged at once.
 */
import { kindEntry } from '../../common/catalogue.js';
import { isEvaluated, nextOpening, type OfficeCalendar } from '../calendar.js';
import type { Impact } from './readiness.js';

export type Severity = 'critical' | 'warning' | 'info';

/** blocking → critical, degrading → warning, info → info. */
export function severityOf(impact: Impact): Severity {
  return impact === 'blocking' ? 'critical' : impact === 'degrading' ? 'warning' : 'info';
}

/** A check that pages outside office hours when it fails: a blocking one of a kind the catalogue marks urgent (a UPS). */
export function urgentCheck(kind: string, impact: Impact): boolean {
  return impact === 'blocking' && kindEntry(kind)?.urgency === 'urgent_when_blocking';
}

export interface PagingInput {
  severity: Severity;
  /** All lines down, mains lost or UPS low: pages outside office hours too. */
  urgent: boolean;
}

/**
 * The instant to send a firing message found at `nowMs`: now during office hours (and the lead time
 * before an opening) or when urgent; otherwise at the lead time before the next opening. `info` is
 * recorded, never paged (undefined).
 */
export function notifyAt(p: PagingInput, cal: OfficeCalendar, nowMs: number, leadMs: number): number | undefined {
  if (p.severity === 'info') return undefined;
  if (p.urgent || isEvaluated(cal, nowMs, leadMs)) return nowMs;
  const opening = nextOpening(cal, nowMs);
  return opening === undefined ? nowMs : Math.max(nowMs, opening - leadMs);
}
