import type { Label, TimeSeries } from '../common/remote-write/proto.js';
import type { Identity } from './tokens.js';

/** Labels the server sets from the token and never takes from the sender. */
const ENFORCED = new Set(['province', 'center', 'agent']);
/** The same rule as config identifiers (common/zod-helpers.ts `identifier`). */
const IDENTIFIER = /^[a-z0-9][a-z0-9_.-]{0,62}$/;

/** `agent` is undefined only for an empty request under a per-center token (no series to name it). */
export type EnforceResult = { ok: true; series: TimeSeries[]; agent: string | undefined } | { ok: false; detail: string };

/**
 * Rewrites every series with the identity's province, center and agent, dropping whatever the sender put
 * there: a center's token can never produce another center's series. A per-center token names the
 * agent through the request's `agent` label (one value per request). Labels come out sorted by name, as
 * remote_write receivers expect. Pure.
 */
export function enforceLabels(series: TimeSeries[], who: Identity): EnforceResult {
  let agent = who.agent;
  if (agent === undefined) {
    for (const ts of series) {
      const claimed = ts.labels.find((l) => l.name === 'agent')?.value;
      if (claimed === undefined) return { ok: false, detail: 'a per-center token needs an "agent" label on every series' };
      if (!IDENTIFIER.test(claimed)) return { ok: false, detail: 'the "agent" label must be an identifier (a-z, 0-9, ".", "_", "-"; at most 63)' };
      if (agent !== undefined && claimed !== agent) return { ok: false, detail: 'one request carries one agent' };
      agent = claimed;
    }
    if (agent === undefined) return { ok: true, series: [], agent: undefined };
  }
  const fixed: Label[] = [
    { name: 'agent', value: agent },
    { name: 'center', value: who.center },
    { name: 'province', value: who.province },
  ];
  const out: TimeSeries[] = [];
  for (const ts of series) {
    // An empty value means "no such label" in Prometheus: drop it rather than forward it.
    const labels = mergeSorted(
      ts.labels.filter((l) => !ENFORCED.has(l.name) && l.value !== ''),
      fixed,
    );
    // Upstreams refuse a series with a label twice, and with it the whole forwarded request: refuse it here.
    for (let i = 1; i < labels.length; i++) {
      if (labels[i]!.name === labels[i - 1]!.name) return { ok: false, detail: `label "${labels[i]!.name}" twice in one series` };
    }
    out.push({ labels, samples: ts.samples });
  }
  return { ok: true, series: out, agent };
}

const byName = (a: Label, b: Label): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** `own` (sorted here if the sender did not) merged with the sorted `fixed`: senders nearly always sort, so this is linear. */
function mergeSorted(own: Label[], fixed: readonly Label[]): Label[] {
  for (let i = 1; i < own.length; i++) {
    if (own[i - 1]!.name > own[i]!.name) {
      own.sort(byName);
      break;
    }
  }
  const out: Label[] = new Array<Label>(own.length + fixed.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < own.length && j < fixed.length) out[k++] = own[i]!.name <= fixed[j]!.name ? own[i++]! : fixed[j++]!;
  while (i < own.length) out[k++] = own[i++]!;
  while (j < fixed.length) out[k++] = fixed[j++]!;
  return out;
}

/** Why a sample was dropped from an accepted request; the `reason` label of centerwatch_ingest_samples_refused_total. */
export const SAMPLE_REFUSED_REASONS = ['timestamp_future', 'timestamp_past'] as const;
export type SampleRefusedReason = (typeof SAMPLE_REFUSED_REASONS)[number];

export interface TimeBounded {
  /** The same series in the same order (so the receiver's sent keys still line up), without the dropped samples; the input itself when none was. */
  series: TimeSeries[];
  refused: Record<SampleRefusedReason, number>;
  /** The dropped timestamp furthest from the window, minus `nowMs` (positive: ahead of the server's clock); 0 when none. */
  worstSkewMs: number;
}

/**
 * Drops every sample stamped outside [`oldestMs`, `newestMs`]. A far-future sample would make an upstream
 * refuse every later sample of every center (and freeze the latest value); a negative or years-old one makes it
 * refuse the whole request. Dropped, not clamped: a clamped replay would forge samples. Pure.
 */
export function dropOutOfBounds(series: TimeSeries[], oldestMs: number, newestMs: number, nowMs: number): TimeBounded {
  const refused = { timestamp_future: 0, timestamp_past: 0 };
  let worstSkewMs = 0;
  let out: TimeSeries[] | undefined;
  for (let i = 0; i < series.length; i++) {
    const ts = series[i]!;
    let bad = 0;
    for (const s of ts.samples) {
      // Written so that NaN falls out of bounds too.
      if (s.timestampMs >= oldestMs && s.timestampMs <= newestMs) continue;
      bad++;
      if (s.timestampMs > newestMs) refused.timestamp_future++;
      else refused.timestamp_past++;
      const skew = Number.isFinite(s.timestampMs) ? s.timestampMs - nowMs : -nowMs;
      if (Math.abs(skew) > Math.abs(worstSkewMs)) worstSkewMs = skew;
    }
    if (bad === 0) {
      if (out) out.push(ts);
      continue;
    }
    out ??= series.slice(0, i);
    out.push({ labels: ts.labels, samples: ts.samples.filter((s) => s.timestampMs >= oldestMs && s.timestampMs <= newestMs) });
  }
  return { series: out ?? series, refused, worstSkewMs };
}
