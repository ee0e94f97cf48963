/**
 * Delivering a batch the target refused as a whole. Prometheus answers 400 to a whole WriteRequest when one
 * sample in it is out of order, out of bounds or a duplicate with another value (its handler rolls the
 * request back), and 413 when it is too big: the batch is halved and the halves sent, recursively, until
 * only the refused series are left. For k bad series among n this costs O(k log n) requests; the depth and
 * the number of requests are capped, and what is left past a cap is dropped with the refused series.
 */
import { decodeWriteRequest, encodeWriteRequest, type TimeSeries } from './proto.js';
import type { SendOutcome } from './sender.js';
import { snappyCompress, snappyUncompress } from './snappy.js';

/** Statuses that may concern part of a batch only: worth splitting. */
export function splittable(status: number): boolean {
  return status === 400 || status === 413;
}

/** Halving stops this deep: 2^16 series per record is far past what an agent or a receiver sends. */
export const MAX_SPLIT_DEPTH = 16;

/** Request budget for a batch of n series: enough to isolate 8 bad series exactly. */
export function splitBudget(series: number): number {
  return 16 * Math.max(1, Math.ceil(Math.log2(series + 1)));
}

export type SplitResult =
  | {
      kind: 'done';
      sentSeries: number;
      sentSamples: number;
      /** Newest timestamp among the delivered samples; 0 when none. */
      sentMaxTimestampMs: number;
      refusedSeries: number;
      refusedSamples: number;
      requests: number;
      /** The target's reasons (its error bodies), distinct, first few. */
      reasons: string[];
    }
  /** The target stopped answering mid-way: the whole record stays queued (a resend of a part is harmless). */
  | { kind: 'retry'; outcome: Extract<SendOutcome, { kind: 'retry' }>; requests: number };

/** The series of a queued record (snappy WriteRequest); undefined when it cannot be read back. */
export function decodeRecord(payload: Uint8Array): TimeSeries[] | undefined {
  const raw = snappyUncompress(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), 1 << 30);
  if (!raw.ok) return undefined;
  const limits = {
    maxSeries: Infinity,
    maxLabelsPerSeries: Infinity,
    maxSamplesPerSeries: Infinity,
    maxLabelNameBytes: Infinity,
    maxLabelValueBytes: Infinity,
  };
  const decoded = decodeWriteRequest(raw.body, limits);
  return decoded.ok ? decoded.series : undefined;
}

const MAX_REASONS = 3;

/**
 * Sends `series` (already refused as one request with `firstReason`) in halves until every part is
 * delivered or refused alone. `send` takes a snappy-compressed WriteRequest.
 */
export async function deliverSplit(
  series: TimeSeries[],
  firstReason: string,
  send: (body: Uint8Array) => Promise<SendOutcome>,
  { maxDepth = MAX_SPLIT_DEPTH, budget = splitBudget(series.length) } = {},
): Promise<SplitResult> {
  const r = { sentSeries: 0, sentSamples: 0, sentMaxTimestampMs: 0, refusedSeries: 0, refusedSamples: 0, requests: 0, reasons: [] as string[] };
  const samplesOf = (chunk: TimeSeries[]): number => chunk.reduce((n, s) => n + s.samples.length, 0);
  const refuse = (chunk: TimeSeries[], reason: string): void => {
    r.refusedSeries += chunk.length;
    r.refusedSamples += samplesOf(chunk);
    if (reason && r.reasons.length < MAX_REASONS && !r.reasons.includes(reason)) r.reasons.push(reason);
  };
  // A refused chunk: split it if it can be, else it is what the target refuses.
  const refused = async (chunk: TimeSeries[], depth: number, reason: string): Promise<SplitResult | undefined> => {
    if (chunk.length < 2 || depth >= maxDepth) return void refuse(chunk, reason);
    const mid = Math.ceil(chunk.length / 2);
    for (const half of [chunk.slice(0, mid), chunk.slice(mid)]) {
      if (r.requests >= budget) {
        refuse(half, 'split budget exhausted');
        continue;
      }
      r.requests++;
      const outcome = await send(snappyCompress(encodeWriteRequest(half)));
      if (outcome.kind === 'retry') return { kind: 'retry', outcome, requests: r.requests };
      if (outcome.kind === 'sent') {
        r.sentSeries += half.length;
        r.sentSamples += samplesOf(half);
        for (const s of half) for (const x of s.samples) r.sentMaxTimestampMs = Math.max(r.sentMaxTimestampMs, x.timestampMs);
        continue;
      }
      const stop = splittable(outcome.status) ? await refused(half, depth + 1, outcome.detail) : refuse(half, outcome.detail);
      if (stop) return stop;
    }
    return undefined;
  };
  return (await refused(series, 0, firstReason)) ?? { kind: 'done', ...r };
}
