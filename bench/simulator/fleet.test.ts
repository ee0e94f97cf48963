import { describe, expect, it } from 'vitest';
import { agentPush, buildFleet, PROVINCES, seriesLabels } from './fleet.js';
import { percentile } from './stats.js';

describe('simulated fleet', () => {
  it('spreads 3,321 centers over the 34 provinces with unique ids and seed-derived tokens', () => {
    const fleet = buildFleet({ centers: 3321, agentsPerCenter: 1, seed: 'a' });
    expect(fleet).toHaveLength(3321);
    expect(new Set(fleet.map((a) => a.center)).size).toBe(3321);
    expect(new Set(fleet.map((a) => a.province)).size).toBe(PROVINCES.length);
    expect(new Set(fleet.map((a) => a.token)).size).toBe(3321);
    expect(buildFleet({ centers: 1, agentsPerCenter: 1, seed: 'a' })[0]!.token).toBe(fleet[0]!.token);
    expect(buildFleet({ centers: 1, agentsPerCenter: 1, seed: 'b' })[0]!.token).not.toBe(fleet[0]!.token);
  });

  it('gives every agent exactly the series count asked for, each label set distinct', () => {
    for (const n of [10, 118, 150, 400]) {
      const labels = seriesLabels(n);
      expect(labels).toHaveLength(n);
      expect(new Set(labels.map((l) => JSON.stringify(l))).size).toBe(n);
    }
  });

  it('reports faulted checks down and the rest up', () => {
    const push = agentPush(seriesLabels(150), 3, 1000, new Set(['line-inet1']));
    const success = (check: string) => push.find((s) => s.labels[0]!.value === 'centerwatch_probe_success' && s.labels[1]!.value === check)!.samples[0]!.value;
    expect(success('line-inet1')).toBe(0);
    expect(success('line-tslcd')).toBe(1);
    expect(push.every((s) => s.samples[0]!.timestampMs === 1000)).toBe(true);
  });

  it('computes nearest-rank percentiles', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 0.5)).toBe(50);
    expect(percentile(xs, 0.99)).toBe(99);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBeNaN();
  });
});
