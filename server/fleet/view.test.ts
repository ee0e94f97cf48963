import { describe, expect, it } from 'vitest';
import { countStates, filterRows, fleetRows, FLEET_STATES, isFleetState, STATE_ORDER, type FleetInputs, type FleetState } from './view.js';
import type { AgentRecord } from './types.js';

const NOW = Date.UTC(2026, 11, 3, 2, 0, 0);
const SILENT_AFTER = 45_000;
const CURRENT = 'a1b2c3d4e5f6';
const OLD = '0123456789ab';

function agent(center: string, name: string, over: Partial<AgentRecord> = {}): AgentRecord {
  return {
    id: `${center}/${name}`,
    province: 'quang-ngai',
    center,
    name,
    tokenHash: 'f'.repeat(64),
    vars: {},
    platform: 'win32',
    version: '0.1.0',
    hostname: `${name.toUpperCase()}-PC`,
    enrolledAtMs: NOW - 86_400_000,
    runningRevision: CURRENT,
    lastSeenAtMs: NOW - 10_000,
    ...over,
  };
}

function inputs(over: Partial<FleetInputs> & { pushes?: Record<string, number>; current?: Record<string, string | undefined> } = {}): FleetInputs {
  const { pushes = {}, current = {}, ...rest } = over;
  return {
    centerName: (code) => ({ '21478': 'Phường Sa Huỳnh', '21480': 'Xã Phổ Châu' })[code],
    currentRevision: (a) => (a.id in current ? current[a.id] : CURRENT),
    lastPushMs: (center, name) => pushes[`${center}/${name}`],
    silentAfterMs: SILENT_AFTER,
    nowMs: NOW,
    ...rest,
  };
}

const stateOfOne = (a: AgentRecord, i: FleetInputs = inputs()): FleetState => fleetRows([a], i)[0]!.state;

describe('fleet view: state of an agent', () => {
  it('ok: heard lately and running the current revision', () => {
    expect(stateOfOne(agent('21478', 'pc-1'))).toBe('ok');
  });

  it('revoked wins over everything else', () => {
    const a = agent('21478', 'pc-1', { revokedAtMs: NOW - 1000, runningRevision: OLD, refusedRevision: CURRENT, lastSeenAtMs: undefined });
    expect(stateOfOne(a)).toBe('revoked');
    // A revoked agent has no current revision to show.
    expect(fleetRows([a], inputs())[0]!.currentRevision).toBeUndefined();
  });

  it('never_seen: enrolled, no fetch and no push; wins over outdated (its running revision is empty) and no_profile', () => {
    const a = agent('21478', 'pc-1', { runningRevision: '', lastSeenAtMs: undefined });
    expect(stateOfOne(a)).toBe('never_seen');
    expect(stateOfOne(a, inputs({ current: { '21478/pc-1': undefined } }))).toBe('never_seen');
    // A push alone is hearing from it.
    expect(stateOfOne(a, inputs({ pushes: { '21478/pc-1': NOW - 1000 }, current: { '21478/pc-1': undefined } }))).toBe('no_profile');
  });

  it('silent: neither push nor fetch within agent_silent_after (at exactly the threshold it is silent, as the engine counts)', () => {
    expect(stateOfOne(agent('21478', 'pc-1', { lastSeenAtMs: NOW - SILENT_AFTER }))).toBe('silent');
    expect(stateOfOne(agent('21478', 'pc-1', { lastSeenAtMs: NOW - SILENT_AFTER + 1 }))).toBe('ok');
    // A fetch long ago but a push just now: heard.
    const fetchedLongAgo = agent('21478', 'pc-1', { lastSeenAtMs: NOW - 3_600_000 });
    expect(stateOfOne(fetchedLongAgo)).toBe('silent');
    expect(stateOfOne(fetchedLongAgo, inputs({ pushes: { '21478/pc-1': NOW - 5000 } }))).toBe('ok');
    // A push long ago and a fetch just now: heard too.
    expect(stateOfOne(agent('21478', 'pc-1'), inputs({ pushes: { '21478/pc-1': NOW - 3_600_000 } }))).toBe('ok');
  });

  it('silent wins over refused, outdated and no_profile: what it last said may be stale', () => {
    const quiet = { lastSeenAtMs: NOW - 120_000 };
    expect(stateOfOne(agent('21478', 'pc-1', { ...quiet, runningRevision: OLD, refusedRevision: CURRENT }))).toBe('silent');
    expect(stateOfOne(agent('21478', 'pc-1', { ...quiet, runningRevision: OLD }))).toBe('silent');
    expect(stateOfOne(agent('21478', 'pc-1', quiet), inputs({ current: { '21478/pc-1': undefined } }))).toBe('silent');
  });

  it('refused: it refused the current revision and runs another; wins over outdated', () => {
    expect(stateOfOne(agent('21478', 'pc-1', { runningRevision: OLD, refusedRevision: CURRENT }))).toBe('refused');
    // It refused an older revision; the current one is simply not fetched yet.
    expect(stateOfOne(agent('21478', 'pc-1', { runningRevision: OLD, refusedRevision: 'ffffffffffff' }))).toBe('outdated');
    // It refused a revision once and runs it now (the agent was updated since): ok.
    expect(stateOfOne(agent('21478', 'pc-1', { runningRevision: CURRENT, refusedRevision: CURRENT }))).toBe('ok');
  });

  it('outdated: runs another revision, or none yet although heard', () => {
    expect(stateOfOne(agent('21478', 'pc-1', { runningRevision: OLD }))).toBe('outdated');
    expect(stateOfOne(agent('21478', 'pc-1', { runningRevision: '' }))).toBe('outdated');
  });

  it('no_profile: no current revision and otherwise fine', () => {
    expect(stateOfOne(agent('21478', 'pc-1', { runningRevision: OLD }), inputs({ current: { '21478/pc-1': undefined } }))).toBe('no_profile');
  });

  it('a row carries the facts the page shows: center name, revisions, both times and the later one, backlog', () => {
    const [row] = fleetRows(
      [agent('21478', 'pc-1', { runningRevision: OLD, backlog: 1234, lastSeenAtMs: NOW - 20_000 })],
      inputs({ pushes: { '21478/pc-1': NOW - 3000 } }),
    );
    expect(row).toEqual({
      id: '21478/pc-1',
      province: 'quang-ngai',
      center: '21478',
      centerName: 'Phường Sa Huỳnh',
      name: 'pc-1',
      hostname: 'PC-1-PC',
      platform: 'win32',
      version: '0.1.0',
      runningRevision: OLD,
      currentRevision: CURRENT,
      lastFetchMs: NOW - 20_000,
      lastPushMs: NOW - 3000,
      lastHeardMs: NOW - 3000,
      backlog: 1234,
      enrolledAtMs: NOW - 86_400_000,
      state: 'outdated',
    });
    // The token hash and the agent's variables stay out of the view.
    expect(Object.keys(row!)).not.toContain('tokenHash');
    expect(Object.keys(row!)).not.toContain('vars');
    // A center gone from the inventory: no name.
    expect(fleetRows([agent('99999', 'pc-1')], inputs())[0]!.centerName).toBeUndefined();
  });

  it('every state is in the sort order and the precedence list exactly once', () => {
    expect([...STATE_ORDER].sort()).toEqual([...FLEET_STATES].sort());
    expect(isFleetState('silent')).toBe(true);
    expect(isFleetState('toString')).toBe(false);
  });
});

describe('fleet view: order, filters, counts', () => {
  const agents = [
    agent('21480', 'pc-b'),
    agent('21478', 'pc-z', { revokedAtMs: NOW - 1 }),
    agent('21478', 'pc-b', { runningRevision: OLD }),
    agent('21478', 'pc-a'),
    agent('21480', 'pc-a', { lastSeenAtMs: NOW - 600_000 }),
    agent('21478', 'kiosk', { runningRevision: OLD, refusedRevision: CURRENT }),
    { ...agent('01234', 'pc-1', { lastSeenAtMs: undefined }), province: 'ha-noi' },
    agent('21480', 'pc-c', { lastSeenAtMs: NOW - 600_000 }),
  ];
  const rows = fleetRows(agents, inputs());

  it('problems first (silent, refused, never_seen, outdated, no_profile), then ok, revoked last; within a state by center, then name', () => {
    expect(rows.map((r) => `${r.state} ${r.id}`)).toEqual([
      'silent 21480/pc-a',
      'silent 21480/pc-c',
      'refused 21478/kiosk',
      'never_seen 01234/pc-1',
      'outdated 21478/pc-b',
      'ok 21478/pc-a',
      'ok 21480/pc-b',
      'revoked 21478/pc-z',
    ]);
  });

  it('filters by province, center and any of several states; empty fields do not filter', () => {
    expect(filterRows(rows, { province: 'ha-noi' }).map((r) => r.id)).toEqual(['01234/pc-1']);
    expect(filterRows(rows, { center: '21478' }).map((r) => r.id)).toEqual(['21478/kiosk', '21478/pc-b', '21478/pc-a', '21478/pc-z']);
    expect(filterRows(rows, { states: ['ok', 'refused'] }).map((r) => r.id)).toEqual(['21478/kiosk', '21478/pc-a', '21480/pc-b']);
    expect(filterRows(rows, { province: 'quang-ngai', center: '21480', states: ['silent'] }).map((r) => r.id)).toEqual(['21480/pc-a', '21480/pc-c']);
    expect(filterRows(rows, { province: '', center: '', states: [] })).toHaveLength(rows.length);
    expect(filterRows(rows, { province: 'quang-ngai', center: '01234' })).toEqual([]);
  });

  it('counts every state, zeros included, in the sort order', () => {
    const counts = countStates(rows);
    expect(Object.keys(counts)).toEqual([...STATE_ORDER]);
    expect(counts).toEqual({ silent: 2, refused: 1, never_seen: 1, outdated: 1, no_profile: 0, ok: 2, revoked: 1 });
    expect(countStates([])).toEqual({ silent: 0, refused: 0, never_seen: 0, outdated: 0, no_profile: 0, ok: 0, revoked: 0 });
  });
});
