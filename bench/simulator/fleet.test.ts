import { describe, expect, it } from 'vitest';
import { referenceCenters } from '../../server/fleet/inventory.js';
import { nationalListText } from '../../server/fleet/national-list.js';
import { agentPush, buildFleet, PROVINCES, seriesLabels, serverTokensYaml } from './fleet.js';
import { percentile } from './stats.js';

describe('simulated fleet', () => {
  it('spreads the 3,321 real communes over the 34 provinces with their codes and names, and seed-derived tokens', () => {
    const fleet = buildFleet({ centers: 3321, agentsPerCenter: 1, seed: 'a' });
    expect(fleet).toHaveLength(3321);
    expect(new Set(fleet.map((a) => a.center)).size).toBe(3321);
    expect(new Set(fleet.map((a) => a.province)).size).toBe(PROVINCES.length);
    expect(new Set(fleet.map((a) => a.token)).size).toBe(3321);
    // Every commune of the national list once, with its own code, name and province.
    const list = referenceCenters(nationalListText());
    if (!list.ok) throw new Error('the national list does not parse');
    expect(new Set(fleet.map((a) => `${a.center} ${a.centerName} ${a.province}`))).toEqual(
      new Set(list.centers.map((c) => `${c.code} ${c.name} ${c.province}`)),
    );
    // Round-robin over the provinces: the first commune of each in PROVINCES' order, then the second.
    expect(fleet.slice(0, 3).map((a) => [a.province, a.center, a.centerName])).toEqual([
      ['ha-noi', '4', 'Phường Ba Đình'],
      ['hue', '19753', 'Phường Phú Xuân'],
      ['lai-chau', '3388', 'Phường Đoàn Kết'],
    ]);
    expect(fleet.slice(0, PROVINCES.length).map((a) => a.province)).toEqual(PROVINCES.map(([id]) => id));
    expect(fleet[PROVINCES.length]).toMatchObject({ province: 'ha-noi', center: '8', centerName: 'Phường Ngọc Hà' });
    expect(buildFleet({ centers: 1, agentsPerCenter: 1, seed: 'a' })[0]!.token).toBe(fleet[0]!.token);
    expect(buildFleet({ centers: 1, agentsPerCenter: 1, seed: 'b' })[0]!.token).not.toBe(fleet[0]!.token);
  });

  it("names a center's agents main, counter-1…, and starts the list again with a suffix past the country", () => {
    expect(buildFleet({ centers: 1, agentsPerCenter: 3, seed: 'a' }).map((a) => `${a.center}/${a.agent}`)).toEqual(['4/main', '4/counter-1', '4/counter-2']);
    const big = buildFleet({ centers: 3322, agentsPerCenter: 1, seed: 'a' });
    expect(big[3321]).toMatchObject({ province: 'ha-noi', center: '4-2', centerName: 'Phường Ba Đình (2)' });
    expect(new Set(big.map((a) => a.center)).size).toBe(3322);
  });

  it("writes the server's tokens with the codes quoted (a bare 4 would be a number)", () => {
    const yaml = serverTokensYaml(buildFleet({ centers: 1, agentsPerCenter: 1, seed: 'a' }), 'a');
    expect(yaml).toMatch(/- \{ id: "4\.main", sha256: [0-9a-f]{64}, province: ha-noi, center: "4", agent: main \}/);
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
