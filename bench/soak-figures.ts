/** The soak's figures from its periodic readings of the server process: pure, so they are tested. */

export interface Reading {
  /** Minutes since the fleet started. */
  atMin: number;
  /** Cumulative CPU seconds of the server process. */
  cpuSeconds: number;
  rss: number;
  backlog: number;
}

/** Cores used between the first reading at or after `from` and the last at or before `to`. */
export function coresBetween(readings: readonly Reading[], from: number, to: number): number {
  const inside = readings.filter((r) => r.atMin >= from && r.atMin <= to);
  if (inside.length < 2) return NaN;
  const a = inside[0]!;
  const b = inside.at(-1)!;
  return (b.cpuSeconds - a.cpuSeconds) / ((b.atMin - a.atMin) * 60);
}

/**
 * CPU while the upstream was down against the same length of time just before it ("normal"), and the
 * catch-up after it (the replay costs more, on purpose: it is not the outage).
 */
export function cpuRatio(
  readings: readonly Reading[],
  outage: { from: number; to: number },
): { normal: number; outage: number; ratio: number; catchUp: number; catchUpMinutes: number } {
  const length = outage.to - outage.from;
  const normal = coresBetween(readings, outage.from - length, outage.from);
  const during = coresBetween(readings, outage.from, outage.to);
  const catchUpMinutes = Math.round(length);
  return { normal, outage: during, ratio: during / normal, catchUp: coresBetween(readings, outage.to, outage.to + catchUpMinutes), catchUpMinutes };
}

/** RSS after warm-up: its range and its least-squares trend in bytes per hour. */
export function rssTrend(readings: readonly Reading[], warmupMin: number): { min: number; max: number; slopePerHour: number } {
  const after = readings.filter((r) => r.atMin >= warmupMin);
  if (after.length < 2) return { min: NaN, max: NaN, slopePerHour: NaN };
  const n = after.length;
  const mx = after.reduce((s, r) => s + r.atMin, 0) / n;
  const my = after.reduce((s, r) => s + r.rss, 0) / n;
  let num = 0;
  let den = 0;
  for (const r of after) {
    num += (r.atMin - mx) * (r.rss - my);
    den += (r.atMin - mx) ** 2;
  }
  return { min: Math.min(...after.map((r) => r.rss)), max: Math.max(...after.map((r) => r.rss)), slopePerHour: den === 0 ? 0 : (num / den) * 60 };
}
