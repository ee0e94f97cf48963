import { describe, expect, it } from 'vitest';
import { initialAlertState, step, type AlertAction, type AlertPhase, type AlertRule, type AlertState } from './alerts.js';

const RULE: AlertRule = { forMs: 60_000, recoverForMs: 120_000, flap: { windowMs: 600_000, transitions: 6 } };
const S = 1000;

/** Plays results (seconds, good?) through the machine; returns the phase and actions after each. */
function play(results: Array<[number, boolean]>, rule = RULE): Array<{ at: number; phase: AlertPhase; actions: AlertAction[] }> {
  let state: AlertState = initialAlertState();
  return results.map(([sec, good]) => {
    const r = step(state, { good, atMs: sec * S }, rule);
    state = r.state;
    return { at: sec, phase: state.phase, actions: r.actions };
  });
}

const kinds = (rows: ReturnType<typeof play>) => rows.flatMap((r) => r.actions.map((a) => `${r.at}:${a.kind}${a.kind === 'flapping' ? `=${a.flapping}` : ''}`));

describe('alert state machine', () => {
  it('fires after `for` of bad results and resolves after `recover_for` of good, with the problem start as since', () => {
    const rows = play([
      [0, true],
      [15, false],
      [30, false],
      [60, false],
      [75, false], // bad since 15: fires at 75 (60 s)
      [90, true],
      [150, true],
      [210, true], // good since 90: resolves at 210 (120 s)
    ]);
    expect(rows.map((r) => r.phase)).toEqual(['ok', 'pending', 'pending', 'pending', 'firing', 'recovering', 'recovering', 'ok']);
    expect(rows[4]!.actions).toEqual([{ kind: 'fire', since: 15 * S, flapping: false }]);
    expect(rows[7]!.actions).toEqual([{ kind: 'resolve', since: 15 * S, firedAt: 75 * S, resolvedAt: 210 * S }]);
  });

  it('a blip shorter than `for` never fires; a relapse during recovery is the same alert', () => {
    expect(
      kinds(
        play([
          [0, false],
          [30, false],
          [45, true],
          [60, true],
        ]),
      ),
    ).toEqual([]);
    const rows = play([
      [0, false],
      [60, false],
      [90, true],
      [150, false],
      [165, true],
      [300, true],
    ]);
    expect(kinds(rows)).toEqual(['60:fire', '300:resolve']);
    expect(rows.at(-1)!.actions[0]).toMatchObject({ since: 0, firedAt: 60 * S });
  });

  it('for 0 fires on the first bad result; recover_for 0 resolves on the first good one', () => {
    const rows = play(
      [
        [0, true],
        [10, false],
        [20, true],
      ],
      { ...RULE, forMs: 0, recoverForMs: 0 },
    );
    expect(kinds(rows)).toEqual(['10:fire', '20:resolve']);
  });

  it('holds a check that drops every 20 s as one flapping alert, and resolves it once it settles', () => {
    // Each bad spell lasts 10 s (< for): without flap detection this would never page.
    const results: Array<[number, boolean]> = [];
    for (let t = 0; t < 200; t += 20) results.push([t, true], [t + 10, false]);
    for (let t = 200; t <= 1000; t += 15) results.push([t, true]);
    const rows = play(results);
    // The last change is at 200; flapping ends when fewer than 3 changes remain in the 600 s window
    // (first result after 780: 785), then 120 s of good results resolve it.
    expect(kinds(rows)).toEqual(['60:fire', '785:flapping=false', '905:resolve']);
    expect(rows.find((r) => r.at === 60)!.actions[0]).toEqual({ kind: 'fire', since: 50 * S, flapping: true });
    // Firing without interruption from the first fire to the resolve: one alert.
    expect(rows.filter((r) => r.at >= 60 && r.at < 785).every((r) => r.phase === 'firing')).toBe(true);
  });

  it('never mutates the state it is given', () => {
    const s0 = initialAlertState();
    const frozen = JSON.stringify(s0);
    step(s0, { good: false, atMs: 0 }, RULE);
    expect(JSON.stringify(s0)).toBe(frozen);
  });
});
