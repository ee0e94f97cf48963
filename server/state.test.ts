import { describe, expect, it } from 'vitest';
import type { Label, TimeSeries } from '../common/remote-write/proto.js';
import { labelsOfKey, seriesKey } from './series-key.js';
import { LatestState } from './state.js';

const A = { province: 'p1', center: 'c-a', agent: 'pc1' };
const B = { province: 'p1', center: 'c-b', agent: 'pc1' };

function ts(id: typeof A, name: string, samples: Array<[number, number]>, extra: Label[] = []): TimeSeries {
  const labels = [
    { name: '__name__', value: name },
    { name: 'agent', value: id.agent },
    { name: 'center', value: id.center },
    ...extra,
    { name: 'province', value: id.province },
  ];
  labels.sort((a, b) => (a.name < b.name ? -1 : 1));
  return { labels, samples: samples.map(([timestampMs, value]) => ({ timestampMs, value })) };
}

describe('LatestState', () => {
  it('keeps the newest sample of each series; a replayed older sample does not overwrite it', () => {
    const s = new LatestState(100);
    expect(
      s.apply(
        A,
        [
          ts(A, 'up', [
            [1000, 1],
            [3000, 0],
            [2000, 5],
          ]),
        ],
        10,
      ),
    ).toEqual({ ok: true, samples: 3 });
    expect(s.latest({ __name__: 'up' })).toEqual([{ labels: expect.any(Array), value: 0, timestampMs: 3000 }]);
    s.apply(A, [ts(A, 'up', [[1500, 7]])], 20); // backlog replay
    expect(s.latest({ __name__: 'up' })[0]).toMatchObject({ value: 0, timestampMs: 3000 });
    s.apply(A, [ts(A, 'up', [[4000, 1]])], 30);
    expect(s.latest({ __name__: 'up' })[0]).toMatchObject({ value: 1, timestampMs: 4000 });
    expect(s.seriesCount).toBe(1);
  });

  it('records when each agent was last heard (wall clock of the request), per center', () => {
    const s = new LatestState(100);
    s.apply(A, [ts(A, 'up', [[1, 1]])], 111);
    s.apply(B, [ts(B, 'up', [[1, 1]])], 222);
    s.apply(A, [ts(A, 'up', [[0, 1]])], 333); // an old sample still means the agent was heard now
    expect(s.agents().sort((x, y) => x.center.localeCompare(y.center))).toEqual([
      { ...A, lastHeardMs: 333, series: 1 },
      { ...B, lastHeardMs: 222, series: 1 },
    ]);
    expect(s.agentCount).toBe(2);
  });

  it('filters by labels; a center filter returns that center only', () => {
    const s = new LatestState(100);
    s.apply(A, [ts(A, 'up', [[1, 1]], [{ name: 'check', value: 'x' }]), ts(A, 'up', [[1, 0]], [{ name: 'check', value: 'y' }])], 1);
    s.apply(B, [ts(B, 'up', [[1, 1]], [{ name: 'check', value: 'x' }])], 1);
    expect(s.latest({ center: 'c-a' })).toHaveLength(2);
    expect(s.latest({ center: 'c-b', check: 'x' })).toHaveLength(1);
    expect(s.latest({ check: 'x' })).toHaveLength(2);
    expect(s.latest({ check: 'z' })).toEqual([]);
    expect(s.latest()).toHaveLength(3);
    expect(s.latest({ center: 'c-b' })[0]!.labels).toContainEqual({ name: 'center', value: 'c-b' });
  });

  it('refuses a whole request that would pass the per-agent series limit, and changes nothing', () => {
    const s = new LatestState(3);
    expect(s.apply(A, [ts(A, 'a', [[1, 1]]), ts(A, 'b', [[1, 1]])], 1).ok).toBe(true);
    const r = s.apply(A, [ts(A, 'a', [[2, 9]]), ts(A, 'c', [[2, 1]]), ts(A, 'd', [[2, 1]])], 2);
    expect(r).toEqual({ ok: false, scope: 'agent', newSeries: 2, limit: 3 });
    expect(s.latest({ __name__: 'a' })[0]).toMatchObject({ value: 1, timestampMs: 1 });
    expect(s.agents()[0]).toMatchObject({ series: 2, lastHeardMs: 1 });
    // known series still update; another agent has its own budget
    expect(s.apply(A, [ts(A, 'a', [[3, 3]]), ts(A, 'c', [[3, 1]])], 3).ok).toBe(true);
    expect(s.apply(B, [ts(B, 'a', [[1, 1]]), ts(B, 'b', [[1, 1]]), ts(B, 'c', [[1, 1]])], 3).ok).toBe(true);
    expect(s.seriesCount).toBe(6);
  });

  it('grows past its initial arrays and reads every value back', () => {
    const s = new LatestState(10_000);
    const batch = Array.from({ length: 5000 }, (_, i) => ts(A, `m${i}`, [[i, i * 2]]));
    expect(s.apply(A, batch, 1)).toEqual({ ok: true, samples: 5000 });
    expect(s.latest({ __name__: 'm4321' })[0]).toMatchObject({ value: 8642, timestampMs: 4321 });
    expect(s.latest({ agent: 'pc1' })).toHaveLength(5000);
  });
});

describe('LatestState eviction and watched series', () => {
  it('forgets series not updated since the cutoff: they stop counting toward the limit, slots are reused', () => {
    const s = new LatestState(2);
    s.apply(A, [ts(A, 'old', [[1000, 1]]), ts(A, 'kept', [[5000, 1]])], 5000);
    expect(s.apply(A, [ts(A, 'new', [[6000, 1]])], 6000)).toMatchObject({ ok: false, limit: 2 });
    expect(s.evictStale(2000)).toBe(1);
    expect(s.seriesCount).toBe(1);
    expect(s.latest({ __name__: 'old' })).toEqual([]);
    expect(s.apply(A, [ts(A, 'new', [[6000, 3]])], 6000)).toEqual({ ok: true, samples: 1 });
    expect(s.latest({ __name__: 'new' })).toEqual([{ labels: expect.any(Array), value: 3, timestampMs: 6000 }]);
    expect(s.latest({ __name__: 'kept' })).toHaveLength(1);
    expect(s.seriesCount).toBe(2);
  });

  it('hands watched series to forEachWatched and every accepted sample to the observer, old ones included', () => {
    const s = new LatestState(100);
    s.watch(['probe']);
    const seen: Array<[number, number]> = [];
    s.onWatchedSample = (_name, _labels, value, t) => seen.push([t, value]);
    s.apply(
      A,
      [
        ts(A, 'probe', [
          [1000, 1],
          [2000, 0],
        ]),
        ts(A, 'other', [[1000, 5]]),
      ],
      10,
    );
    s.apply(A, [ts(A, 'probe', [[1500, 1]])], 20); // a replayed sample: seen, not the latest
    expect(seen).toEqual([
      [1000, 1],
      [2000, 0],
      [1500, 1],
    ]);
    const latest: number[] = [];
    s.forEachWatched('probe', (_labels, value, t) => latest.push(t, value));
    expect(latest).toEqual([2000, 0]);
    s.evictStale(5000);
    s.forEachWatched('probe', () => latest.push(-1));
    expect(latest).toEqual([2000, 0]);
  });
});

describe('seriesKey', () => {
  it('round-trips labels, whatever characters the values hold', () => {
    const labels = [
      { name: 'a', value: 'x\0\xff\xfe1\0y' },
      { name: 'b', value: '' },
      { name: 'c', value: 'Trung tâm Phục vụ 😀' },
    ];
    expect(labelsOfKey(seriesKey(labels))).toEqual(labels);
  });

  it('gives different keys to label sets that a separator-joined key would confuse', () => {
    const one = [{ name: 'a', value: 'x\0' + '1\0y' }];
    const two = [
      { name: 'a', value: 'x' },
      { name: 'y', value: '' },
    ];
    expect(seriesKey(one)).not.toBe(seriesKey(two));
    expect(seriesKey([{ name: 'a', value: 'b' }])).not.toBe(seriesKey([{ name: 'ab', value: '' }]));
  });
});

describe('LatestState fast path (series known by the bytes the agent sends)', () => {
  const id = { province: 'p', center: 'c', agent: 'a' };
  const enforced = [
    {
      labels: [
        { name: '__name__', value: 'm' },
        { name: 'agent', value: 'a' },
        { name: 'center', value: 'c' },
        { name: 'province', value: 'p' },
      ],
      samples: [{ value: 1, timestampMs: 1000 }],
    },
  ];

  it('knows nothing before the full path registered the sent keys, then updates values only forward in time', () => {
    const state = new LatestState(10);
    expect(state.applyKnown(id, [{ key: 'k1', samples: 1, newestValue: 2, newestTimestampMs: 2000 }], 5)).toBe(false);
    expect(state.apply(id, enforced, 5, ['k1'])).toEqual({ ok: true, samples: 1 });
    expect(state.applyKnown(id, [{ key: 'k1', samples: 1, newestValue: 2, newestTimestampMs: 2000 }], 6)).toBe(true);
    expect(state.latest({ center: 'c' }).map((s) => [s.value, s.timestampMs])).toEqual([[2, 2000]]);
    // A replayed older sample does not overwrite the newer value.
    expect(state.applyKnown(id, [{ key: 'k1', samples: 1, newestValue: 9, newestTimestampMs: 1500 }], 7)).toBe(true);
    expect(state.latest({ center: 'c' })[0]!.value).toBe(2);
    expect(state.agents()[0]!.lastHeardMs).toBe(7);
  });

  it('refuses the whole batch when one key is unknown, and never across agents', () => {
    const state = new LatestState(10);
    state.apply(id, enforced, 5, ['k1']);
    expect(
      state.applyKnown(
        id,
        [
          { key: 'k1', samples: 1, newestValue: 3, newestTimestampMs: 3000 },
          { key: 'k2', samples: 1, newestValue: 3, newestTimestampMs: 3000 },
        ],
        6,
      ),
    ).toBe(false);
    expect(state.latest({ center: 'c' })[0]!.value).toBe(1);
    expect(state.applyKnown({ ...id, center: 'other' }, [{ key: 'k1', samples: 1, newestValue: 3, newestTimestampMs: 3000 }], 6)).toBe(false);
  });
});

describe('LatestState and a wrong clock', () => {
  const NOW = Date.UTC(2026, 11, 3, 9, 0, 0);
  const Y2100 = Date.UTC(2100, 0, 1);

  it('a far-future sample does not freeze a series: the next samples (full path) are what readers see', () => {
    const s = new LatestState(100, { maxFutureMs: 600_000 });
    s.watch(['up']);
    s.apply(A, [ts(A, 'up', [[Y2100, 1]])], NOW);
    for (let i = 1; i <= 5; i++) s.apply(A, [ts(A, 'up', [[NOW + i * 15_000, 0]])], NOW + i * 15_000);
    expect(s.latest({ __name__: 'up' })[0]).toMatchObject({ value: 0, timestampMs: NOW + 75_000 });
    const seen: Array<[number, number]> = [];
    s.forEachWatched('up', (_l, value, t) => seen.push([value, t]));
    expect(seen).toEqual([[0, NOW + 75_000]]);
    // Once trusted again, a replayed older sample still does not overwrite the newer one.
    s.apply(A, [ts(A, 'up', [[NOW + 30_000, 1]])], NOW + 80_000);
    expect(s.latest({ __name__: 'up' })[0]).toMatchObject({ value: 0, timestampMs: NOW + 75_000 });
  });

  it('the same on the fast path; a stamp within max future is kept', () => {
    const s = new LatestState(100, { maxFutureMs: 600_000 });
    const id = { province: 'p', center: 'c', agent: 'a' };
    const one = (t: number, v: number) => [
      {
        labels: [
          { name: '__name__', value: 'm' },
          { name: 'agent', value: 'a' },
          { name: 'center', value: 'c' },
          { name: 'province', value: 'p' },
        ],
        samples: [{ value: v, timestampMs: t }],
      },
    ];
    s.apply(id, one(Y2100, 1), NOW, ['k']);
    expect(s.applyKnown(id, [{ key: 'k', samples: 1, newestValue: 0, newestTimestampMs: NOW }], NOW)).toBe(true);
    expect(s.latest({ center: 'c' })[0]).toMatchObject({ value: 0, timestampMs: NOW });
    // Five minutes ahead (a clock slightly fast) is within the bound: an older sample does not replace it.
    s.applyKnown(id, [{ key: 'k', samples: 1, newestValue: 1, newestTimestampMs: NOW + 300_000 }], NOW);
    s.applyKnown(id, [{ key: 'k', samples: 1, newestValue: 0, newestTimestampMs: NOW + 1000 }], NOW + 1000);
    expect(s.latest({ center: 'c' })[0]).toMatchObject({ value: 1, timestampMs: NOW + 300_000 });
  });

  it('evictStale forgets a series stamped beyond the future bound (nothing else would)', () => {
    const s = new LatestState(100);
    s.apply(A, [ts(A, 'up', [[Y2100, 1]]), ts(A, 'ok', [[NOW, 1]])], NOW);
    expect(s.evictStale(NOW - 3600_000, NOW + 600_000)).toBe(1);
    expect(s.latest().map((x) => x.labels.find((l) => l.name === '__name__')!.value)).toEqual(['ok']);
    expect(s.agents()[0]!.series).toBe(1);
  });
});

describe('LatestState center bounds', () => {
  const agent = (name: string) => ({ province: 'p1', center: 'c-b', agent: name });

  it('bounds the series of a center across its agents; eviction frees room', () => {
    const s = new LatestState(100, { maxSeriesPerCenter: 5 });
    expect(s.apply(agent('x'), [ts(agent('x'), 'a', [[1, 1]]), ts(agent('x'), 'b', [[1, 1]]), ts(agent('x'), 'c', [[1, 1]])], 1).ok).toBe(true);
    expect(s.apply(agent('y'), [ts(agent('y'), 'a', [[2, 1]]), ts(agent('y'), 'b', [[2, 1]]), ts(agent('y'), 'c', [[2, 1]])], 2)).toEqual({
      ok: false,
      scope: 'center',
      newSeries: 3,
      limit: 5,
    });
    expect(s.centerCounts('p1', 'c-b')).toEqual({ agents: 1, series: 3 });
    expect(s.apply(agent('y'), [ts(agent('y'), 'a', [[2, 1]]), ts(agent('y'), 'b', [[2, 1]])], 2).ok).toBe(true);
    // Another center has its own budget; a series without samples takes none.
    expect(s.apply(A, [ts(A, 'a', [[1, 1]]), ts(A, 'b', [[1, 1]]), ts(A, 'c', [[1, 1]])], 2).ok).toBe(true);
    expect(s.apply(agent('y'), [ts(agent('y'), 'z', [])], 2).ok).toBe(true);
    expect(s.evictStale(2)).toBe(3 + 3);
    expect(s.centerCounts('p1', 'c-b')).toEqual({ agents: 2, series: 2 });
    expect(s.apply(agent('x'), [ts(agent('x'), 'd', [[3, 1]]), ts(agent('x'), 'e', [[3, 1]]), ts(agent('x'), 'f', [[3, 1]])], 3).ok).toBe(true);
  });

  it('bounds the agents of a center when asked; an agent whose series all expired makes room, one with series never', () => {
    const s = new LatestState(100, { maxAgentsPerCenter: 2 });
    expect(s.apply(agent('x'), [ts(agent('x'), 'up', [[1, 1]])], 1, undefined, true).ok).toBe(true);
    expect(s.apply(agent('y'), [ts(agent('y'), 'up', [[5, 1]])], 5, undefined, true).ok).toBe(true);
    expect(s.apply(agent('z'), [ts(agent('z'), 'up', [[5, 1]])], 5, undefined, true)).toEqual({ ok: false, scope: 'agents', newSeries: 1, limit: 2 });
    // Known agents go on; an agent named by its own token is not bounded.
    expect(s.apply(agent('x'), [ts(agent('x'), 'up', [[6, 0]])], 6, undefined, true).ok).toBe(true);
    expect(s.apply(agent('t'), [ts(agent('t'), 'up', [[6, 0]])], 6).ok).toBe(true);
    expect(s.centerCounts('p1', 'c-b').agents).toBe(3);
    // y's series expire: y is still known (the engine reports it silent) until z needs its place.
    expect(s.evictStale(6)).toBe(1);
    expect(
      s
        .agents()
        .map((a) => a.agent)
        .sort(),
    ).toEqual(['t', 'x', 'y']);
    expect(s.apply(agent('z'), [ts(agent('z'), 'up', [[7, 1]])], 7, undefined, true).ok).toBe(true);
    expect(
      s
        .agents()
        .map((a) => a.agent)
        .sort(),
    ).toEqual(['t', 'x', 'z']);
    expect(s.apply(agent('w'), [ts(agent('w'), 'up', [[7, 1]])], 7, undefined, true)).toMatchObject({ ok: false, scope: 'agents' });
  });
});
