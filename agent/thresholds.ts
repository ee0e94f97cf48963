import type { Observation } from './probes/types.js';

export interface Threshold {
  metric: string;
  above?: number | undefined;
  below?: number | undefined;
}

/**
 * The thresholds an up result breaks, as short texts for the message; empty when none.
 * A metric reported with several label sets (e.g. one per mount) breaks when any of them does.
 */
export function brokenThresholds(thresholds: readonly Threshold[], observations: readonly Observation[]): string[] {
  const broken: string[] = [];
  for (const t of thresholds) {
    for (const o of observations) {
      if (o.metric !== t.metric) continue;
      const where =
        o.labels && Object.keys(o.labels).length
          ? `{${Object.entries(o.labels)
              .map(([k, v]) => `${k}=${v}`)
              .join(',')}}`
          : '';
      if (t.above !== undefined && o.value > t.above) broken.push(`${t.metric}${where} ${round(o.value)} > ${t.above}`);
      else if (t.below !== undefined && o.value < t.below) broken.push(`${t.metric}${where} ${round(o.value)} < ${t.below}`);
    }
  }
  return broken;
}

function round(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(3);
}
