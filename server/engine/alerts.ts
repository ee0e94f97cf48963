/**
 * One check's alert as a pure state machine: `step(state, observation, rule)` → new state + actions.
 * Time is the observation's, never the clock's, so scenario tests replay hours in microseconds.
 *
 *   ok ──bad──▶ pending ──bad for `for`──▶ firing ──good──▶ recovering ──good for `recover_for`──▶ ok
 *                  │ good                     ▲                 │ bad
 *                  ▼                          └─────────────────┘ (same alert, no new message)
 *                 ok
 *
 * Flapping: when the result changes `flap.transitions` times or more within `flap.window`, the check
 * is held as ONE firing alert (marked flapping) — whatever its current result — until it has changed
 * fewer than half that many times in the window and has been good for `recover_for`. A line that
 * drops every few seconds pages once, not forty times, and is not silent because each drop is short.
 */

export interface AlertRule {
  /** Bad for this long before the alert fires (ms). */
  forMs: number;
  /** Good for this long before a firing alert resolves (ms). */
  recoverForMs: number;
  flap: {
    /** Window over which result changes are counted (ms). */
    windowMs: number;
    /** This many changes within the window make the check flapping. */
    transitions: number;
  };
}

export type AlertPhase = 'ok' | 'pending' | 'firing' | 'recovering';

export interface AlertState {
  phase: AlertPhase;
  /** When the current problem began (first bad result of it); undefined while ok. */
  badSince: number | undefined;
  /** When the current phase began. */
  phaseSince: number;
  /** When the alert fired (undefined unless firing or recovering). */
  firedAt: number | undefined;
  /** The last result seen. */
  lastGood: boolean | undefined;
  /** Times of result changes within the flap window, oldest first. */
  changes: number[];
  flapping: boolean;
}

export interface Observation {
  good: boolean;
  atMs: number;
}

export type AlertAction =
  | { kind: 'fire'; since: number; flapping: boolean }
  | { kind: 'resolve'; since: number; firedAt: number; resolvedAt: number }
  /** A firing alert started or stopped flapping (the message may say so; it is still one alert). */
  | { kind: 'flapping'; flapping: boolean; at: number };

export function initialAlertState(atMs = 0): AlertState {
  return { phase: 'ok', badSince: undefined, phaseSince: atMs, firedAt: undefined, lastGood: undefined, changes: [], flapping: false };
}

export function step(state: AlertState, obs: Observation, rule: AlertRule): { state: AlertState; actions: AlertAction[] } {
  const actions: AlertAction[] = [];
  const s: AlertState = { ...state, changes: trimChanges(state, obs, rule) };
  s.lastGood = obs.good;
  const wasFlapping = s.flapping;
  s.flapping = s.changes.length >= rule.flap.transitions || (s.flapping && s.changes.length >= Math.ceil(rule.flap.transitions / 2));
  if (!obs.good && s.badSince === undefined) s.badSince = obs.atMs;

  const fire = (): void => {
    s.phase = 'firing';
    s.phaseSince = obs.atMs;
    s.firedAt = obs.atMs;
    actions.push({ kind: 'fire', since: s.badSince ?? obs.atMs, flapping: s.flapping });
  };

  switch (s.phase) {
    case 'ok':
    case 'pending':
      if (s.flapping) fire();
      else if (obs.good) {
        if (s.phase === 'pending') s.phaseSince = obs.atMs;
        s.phase = 'ok';
        s.badSince = undefined;
      } else {
        if (s.phase === 'ok') {
          s.phase = 'pending';
          s.phaseSince = obs.atMs;
        }
        if (obs.atMs - s.badSince! >= rule.forMs) fire();
      }
      break;
    case 'firing':
      if (wasFlapping !== s.flapping) actions.push({ kind: 'flapping', flapping: s.flapping, at: obs.atMs });
      if (obs.good && !s.flapping) {
        s.phase = 'recovering';
        s.phaseSince = obs.atMs;
        if (rule.recoverForMs === 0) resolve(s, obs, actions);
      }
      break;
    case 'recovering':
      if (!obs.good || s.flapping) {
        // Bad again (or flapping again) before recovery completed: the same alert goes on.
        s.phase = 'firing';
        s.phaseSince = obs.atMs;
        if (wasFlapping !== s.flapping) actions.push({ kind: 'flapping', flapping: s.flapping, at: obs.atMs });
      } else if (obs.atMs - s.phaseSince >= rule.recoverForMs) resolve(s, obs, actions);
      break;
  }
  return { state: s, actions };
}

function resolve(s: AlertState, obs: Observation, actions: AlertAction[]): void {
  actions.push({ kind: 'resolve', since: s.badSince ?? s.firedAt!, firedAt: s.firedAt!, resolvedAt: obs.atMs });
  s.phase = 'ok';
  s.phaseSince = obs.atMs;
  s.badSince = undefined;
  s.firedAt = undefined;
  s.flapping = false;
}

/** The result changes still inside the flap window, plus this observation's if it is one. */
function trimChanges(state: AlertState, obs: Observation, rule: AlertRule): number[] {
  const from = obs.atMs - rule.flap.windowMs;
  const changes = state.changes.filter((t) => t > from);
  if (state.lastGood !== undefined && state.lastGood !== obs.good) changes.push(obs.atMs);
  return changes;
}
