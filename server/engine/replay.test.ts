import { describe, expect, it } from 'vitest';
import { replayTimeline, type CheckMeta } from './replay.js';

const META = new Map<string, CheckMeta>([
  ['pc1/line-inet1', { impact: 'blocking', group: 'lines' }],
  ['pc1/line-inet2', { impact: 'blocking', group: 'lines' }],
  ['pc1/printer', { impact: 'degrading' }],
]);
const MODES = new Map([['lines', 'any_of' as const]]);
const at = (s: number) => s * 1000;
const sample = (check: string, up: boolean, s: number) => ({ agent: 'pc1', check, up, atMs: at(s) });

describe('replayTimeline', () => {
  it('both lines down inside the spell: blocked, then ready, each from the first sample that shows it', () => {
    const samples = [0, 15, 30, 45, 60].flatMap((s) => [
      sample('line-inet1', s < 15 || s >= 45, s),
      sample('line-inet2', s < 15 || s >= 45, s),
      sample('printer', true, s),
    ]);
    expect(replayTimeline(samples, META, MODES, 0, at(100)).map((p) => [p.state, p.atMs / 1000])).toEqual([
      ['ready', 0],
      ['blocked', 15],
      ['ready', 45],
    ]);
  });

  it('one line down is degraded (redundancy lost); samples outside the spell and unknown checks are ignored', () => {
    const samples = [
      sample('line-inet1', false, 10),
      sample('line-inet2', true, 10),
      sample('line-inet1', false, 500),
      { agent: 'pc9', check: 'x', up: false, atMs: at(20) },
    ];
    expect(replayTimeline(samples, META, MODES, 0, at(100)).map((p) => p.state)).toEqual(['degraded']);
  });

  it('no sample at all (power cut: the agent recorded nothing): nothing to correct', () => {
    expect(replayTimeline([], META, MODES, 0, at(100))).toEqual([]);
  });
});
