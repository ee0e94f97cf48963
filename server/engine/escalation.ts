/**
 * When an unacknowledged alert goes up a level, pure. The loop records the escalation as a history row,
 * so `escalatedAtMs` comes from the store and the answer is true only once per alert.
 */

export interface EscalationState {
  /** When the alert fired (its first message). */
  firedAtMs: number;
  acknowledged: boolean;
  /** Set once escalated; absent before. */
  escalatedAtMs?: number;
}

/**
 * True when the alert has fired for at least `escalateAfterMs` without an acknowledgement and has not
 * been escalated yet. Pass firing alerts only; `Infinity` disables escalation.
 */
export function escalationDue(a: EscalationState, escalateAfterMs: number, nowMs: number): boolean {
  return !a.acknowledged && a.escalatedAtMs === undefined && nowMs - a.firedAtMs >= escalateAfterMs;
}
