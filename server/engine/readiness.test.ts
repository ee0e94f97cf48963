import { describe, expect, it } from 'vitest';
import { readiness, settle, type CheckStatus, type GroupPolicy, type Readiness, type SettledReadiness } from './readiness.js';

const GROUPS: GroupPolicy[] = [
  { name: 'lines', mode: 'any_of', impact: 'blocking' },
  { name: 'counter-1', mode: 'all_of', impact: 'degrading' },
];
const up = (id: string, extra: Partial<CheckStatus> = {}): CheckStatus => ({ id, impact: 'blocking', up: true, degraded: false, ...extra });
const down = (id: string, extra: Partial<CheckStatus> = {}): CheckStatus => ({ ...up(id, extra), up: false });
const base = (over: Record<string, CheckStatus> = {}): CheckStatus[] =>
  Object.values({
    tslcd: up('line-tslcd', { group: 'lines' }),
    inet1: up('line-inet1', { group: 'lines' }),
    provincial: up('provincial-system'),
    printer: up('printer-1', { group: 'counter-1', impact: 'degrading' }),
    scanner: up('scanner-1', { group: 'counter-1', impact: 'degrading' }),
    clock: up('clock', { impact: 'info' }),
    ...over,
  });
const AGENTS = [
  { id: 'main', heard: true },
  { id: 'counter-1', heard: true },
];
const eval_ = (checks: CheckStatus[], agents = AGENTS) => readiness({ checks, groups: GROUPS, agents });

describe('readiness', () => {
  it('is ready when everything that matters is up (info checks never count)', () => {
    expect(eval_(base({ clock: down('clock', { impact: 'info' }) }))).toEqual({ state: 'ready', reasons: [] });
  });

  it('one line down of two is redundancy lost (degraded); both down is blocked', () => {
    expect(eval_(base({ inet1: down('line-inet1', { group: 'lines' }) }))).toEqual({
      state: 'degraded',
      reasons: [{ kind: 'redundancy_lost', group: 'lines', down: ['line-inet1'], up: ['line-tslcd'] }],
    });
    expect(eval_(base({ tslcd: down('line-tslcd', { group: 'lines' }), inet1: down('line-inet1', { group: 'lines' }) }))).toEqual({
      state: 'blocked',
      reasons: [{ kind: 'group_down', group: 'lines', impact: 'blocking', down: ['line-tslcd', 'line-inet1'] }],
    });
  });

  it('the provincial system down blocks; a counter missing its printer degrades (all_of)', () => {
    expect(eval_(base({ provincial: down('provincial-system') })).state).toBe('blocked');
    expect(eval_(base({ printer: down('printer-1', { group: 'counter-1', impact: 'degrading' }) }))).toEqual({
      state: 'degraded',
      reasons: [{ kind: 'group_down', group: 'counter-1', impact: 'degrading', down: ['printer-1'] }],
    });
  });

  it('a blocking check up but degraded (lossy line) degrades; one silent machine degrades; all silent is offline', () => {
    expect(eval_(base({ provincial: up('provincial-system', { degraded: true }) })).reasons).toEqual([{ kind: 'check_degraded', check: 'provincial-system' }]);
    expect(
      eval_(base(), [
        { id: 'main', heard: true },
        { id: 'counter-1', heard: false },
      ]),
    ).toEqual({
      state: 'degraded',
      reasons: [{ kind: 'agents_silent', agents: ['counter-1'] }],
    });
    expect(eval_(base({ provincial: down('provincial-system') }), [{ id: 'main', heard: false }])).toEqual({
      state: 'offline',
      reasons: [{ kind: 'no_agent_heard' }],
    });
  });

  it('keeps every reason when several things are wrong, the state being the worst', () => {
    const r = eval_(base({ provincial: down('provincial-system'), inet1: down('line-inet1', { group: 'lines' }) }));
    expect(r.state).toBe('blocked');
    expect(r.reasons.map((x) => x.kind).sort()).toEqual(['check_down', 'redundancy_lost']);
  });
});

describe('readiness hysteresis', () => {
  it('enters a worse state after N evaluations in a row and leaves it after M', () => {
    let s: SettledReadiness = { state: 'ready', candidate: 'ready', streak: 0 };
    const seen: Readiness[] = [];
    for (const o of ['blocked', 'ready', 'blocked', 'blocked', 'ready', 'ready', 'ready', 'blocked', 'ready', 'ready', 'ready'] as Readiness[]) {
      s = settle(s, o, 2, 3);
      seen.push(s.state);
    }
    expect(seen).toEqual(['ready', 'ready', 'ready', 'blocked', 'blocked', 'blocked', 'ready', 'ready', 'ready', 'ready', 'ready']);
  });
});
