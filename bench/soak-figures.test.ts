import { describe, expect, it } from 'vitest';
import { coresBetween, cpuRatio, rssTrend, type Reading } from './soak-figures.js';

/** One reading a minute: `cores(minute)` of CPU during the minute before it, RSS from `rss(minute)`. */
function readings(minutes: number, cores: (m: number) => number, rss: (m: number) => number): Reading[] {
  const out: Reading[] = [];
  let cpu = 0;
  for (let m = 0; m <= minutes; m++) {
    if (m > 0) cpu += cores(m) * 60;
    out.push({ atMin: m, cpuSeconds: cpu, rss: rss(m), backlog: 0 });
  }
  return out;
}

describe('soak figures', () => {
  it('cores between two readings', () => {
    expect(
      coresBetween(
        readings(
          10,
          () => 0.5,
          () => 1,
        ),
        2,
        6,
      ),
    ).toBeCloseTo(0.5);
    expect(
      coresBetween(
        readings(
          10,
          () => 0.5,
          () => 1,
        ),
        2,
        2,
      ),
    ).toBeNaN();
  });

  it('outage CPU against the same length just before it, and the catch-up after', () => {
    // 0.4 cores normally, 0.2 while the upstream is down (minutes 20–25), 0.8 catching up (25–30).
    const r = readings(
      40,
      (m) => (m > 20 && m <= 25 ? 0.2 : m > 25 && m <= 30 ? 0.8 : 0.4),
      () => 1,
    );
    const c = cpuRatio(r, { from: 20, to: 25 });
    expect(c.normal).toBeCloseTo(0.4);
    expect(c.outage).toBeCloseTo(0.2);
    expect(c.ratio).toBeCloseTo(0.5);
    expect(c.catchUp).toBeCloseTo(0.8);
  });

  it('RSS trend: flat, and growing by 60 MiB an hour', () => {
    const flat = rssTrend(
      readings(
        60,
        () => 0,
        (m) => (m < 10 ? m * 10 : 200) * 2 ** 20,
      ),
      10,
    );
    expect(flat.slopePerHour).toBeCloseTo(0);
    expect(flat.min).toBe(200 * 2 ** 20);
    const growing = rssTrend(
      readings(
        60,
        () => 0,
        (m) => (200 + m) * 2 ** 20,
      ),
      10,
    );
    expect(growing.slopePerHour / 2 ** 20).toBeCloseTo(60);
  });
});
