/**
 * Share of office hours a center was `ready`, computed exactly from its state transitions (no sampling):
 * each interval between two transitions is intersected with the office calendar.
 */
import { officeMsBetween, type OfficeCalendar } from '../calendar.js';

/** A state change of a check or a center. */
export interface Transition {
  kind: 'check' | 'center';
  /** The check id or the center id. */
  entity: string;
  /** The state before; undefined for the first one recorded. */
  from: string | undefined;
  to: string;
  atMs: number;
}

export interface UptimeShare {
  /** readyMs / officeMs; undefined when the span holds no office time. */
  share: number | undefined;
  /** Office time inside the span during which the center was ready. */
  readyMs: number;
  /** Office time inside the span: the denominator. */
  officeMs: number;
  /** Office time before the first known transition: counted as not ready (nothing says it was). */
  unknownMs: number;
}

/**
 * @param before the last transition at or before `fromMs` (the state the span starts in), if any
 * @param inside the transitions with `fromMs < atMs < toMs`, oldest first
 */
export function uptimeFromTransitions(
  before: Transition | undefined,
  inside: readonly Transition[],
  fromMs: number,
  toMs: number,
  cal: OfficeCalendar,
  readyState = 'ready',
): UptimeShare {
  const officeMs = officeMsBetween(cal, fromMs, toMs);
  let readyMs = 0;
  let unknownMs = 0;
  let state = before?.to;
  let at = fromMs;
  const close = (end: number): void => {
    if (state === readyState) readyMs += officeMsBetween(cal, at, end);
    else if (state === undefined) unknownMs += officeMsBetween(cal, at, end);
  };
  for (const t of inside) {
    close(t.atMs);
    state = t.to;
    at = t.atMs;
  }
  close(toMs);
  return { share: officeMs > 0 ? readyMs / officeMs : undefined, readyMs, officeMs, unknownMs };
}

/** Share of the office time with a known state that was ready: a center enrolled last week is not 75 % down. */
export function knownShare(u: UptimeShare): number | undefined {
  const known = u.officeMs - u.unknownMs;
  return known > 0 ? u.readyMs / known : undefined;
}
