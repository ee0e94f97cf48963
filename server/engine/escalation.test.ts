import { describe, expect, it } from 'vitest';
import { escalationDue } from './escalation.js';

const MIN = 60_000;

describe('escalation', () => {
  const fired = { firedAtMs: 1_000_000, acknowledged: false };

  it('is due once the alert has fired unacknowledged for the delay, not before', () => {
    expect(escalationDue(fired, 30 * MIN, fired.firedAtMs + 30 * MIN - 1)).toBe(false);
    expect(escalationDue(fired, 30 * MIN, fired.firedAtMs + 30 * MIN)).toBe(true);
    expect(escalationDue(fired, 30 * MIN, fired.firedAtMs + 5 * 60 * MIN)).toBe(true);
  });

  it('is not due again after escalating, nor once acknowledged', () => {
    const escalated = { ...fired, escalatedAtMs: fired.firedAtMs + 30 * MIN };
    expect(escalationDue(escalated, 30 * MIN, fired.firedAtMs + 31 * MIN)).toBe(false);
    expect(escalationDue({ ...fired, acknowledged: true }, 30 * MIN, fired.firedAtMs + 31 * MIN)).toBe(false);
  });

  it('replays a loop: true exactly once when the loop records what it did', () => {
    let state: { firedAtMs: number; acknowledged: boolean; escalatedAtMs?: number } = { ...fired };
    const dueAt: number[] = [];
    for (let t = fired.firedAtMs; t <= fired.firedAtMs + 120 * MIN; t += MIN) {
      if (escalationDue(state, 45 * MIN, t)) {
        dueAt.push(t);
        state = { ...state, escalatedAtMs: t };
      }
    }
    expect(dueAt).toEqual([fired.firedAtMs + 45 * MIN]);
  });

  it('never escalates with an infinite delay', () => {
    expect(escalationDue(fired, Infinity, Number.MAX_SAFE_INTEGER)).toBe(false);
  });
});
