import type { Request, Response } from 'express';
import { decodeWriteRequest, type DecodeProblem, type TimeSeries } from '../common/remote-write/proto.js';
import { snappyUncompress } from '../common/remote-write/snappy.js';
import { scanWriteRequest } from '../common/remote-write/scan.js';
import type { Logger } from '../common/log.js';
import type { Limits } from './config/schema.js';
import { dropOutOfBounds, enforceLabels, SAMPLE_REFUSED_REASONS, type SampleRefusedReason, type TimeBounded } from './enforce.js';
import type { LatestState } from './state.js';
import type { Identity } from './tokens.js';
import type { Authenticator } from './fleet/registry.js';

/** Why a write was refused; the `reason` label of centerwatch_ingest_refused_total. */
export const REFUSED_REASONS = ['unauthorized', 'too_large', 'unsupported_encoding', 'malformed', 'invalid_labels', 'series_limit', 'agent_limit'] as const;
export type RefusedReason = (typeof REFUSED_REASONS)[number];

export interface ReceiverDeps {
  tokens: Authenticator;
  limits: Limits;
  state: LatestState;
  log: Logger;
  /** Hands accepted, relabelled series on (the forwarding queue); may be a no-op. */
  accepted: (series: TimeSeries[], samples: number) => void;
  refused: (reason: RefusedReason) => void;
  /** Samples dropped from an accepted request (the request itself is answered 204). */
  samplesRefused: (reason: SampleRefusedReason, samples: number) => void;
  /** Whether accepted series go on to upstreams: then every request is decoded in full. */
  forwarding: boolean;
  now?: () => number;
}

const DECODE_STATUS: Record<DecodeProblem, { status: number; reason: RefusedReason }> = {
  malformed: { status: 400, reason: 'malformed' },
  too_many_series: { status: 413, reason: 'too_large' },
  too_many_samples: { status: 413, reason: 'too_large' },
  too_many_labels: { status: 400, reason: 'invalid_labels' },
  label_too_long: { status: 400, reason: 'invalid_labels' },
  invalid_label: { status: 400, reason: 'invalid_labels' },
};

/** POST /api/v1/write: Prometheus remote_write 1.0, authenticated, bounded, labels enforced from the token. */
export function writeHandler(deps: ReceiverDeps) {
  const now = deps.now ?? Date.now;
  const warnSkew = skewWarner(deps.log);
  const refuse = (res: Response, status: number, reason: RefusedReason, detail: string): void => {
    deps.refused(reason);
    if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="centerwatch"');
    res.status(status).type('text/plain').send(`${detail}\n`);
  };
  return async (req: Request, res: Response): Promise<void> => {
    const who = deps.tokens.authenticate(req.headers.authorization);
    if (!who) {
      req.resume();
      return refuse(res, 401, 'unauthorized', 'missing or unknown bearer token');
    }
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.toLowerCase() !== 'snappy') {
      req.resume();
      return refuse(res, 415, 'unsupported_encoding', 'Content-Encoding must be snappy');
    }
    const body = await readBounded(req, deps.limits.max_compressed_bytes);
    if (body === 'too_large') {
      res.setHeader('Connection', 'close');
      return refuse(res, 413, 'too_large', `body over ${deps.limits.max_compressed_bytes} bytes`);
    }
    if (body === 'aborted') return;
    const raw = snappyUncompress(body, deps.limits.max_uncompressed_bytes);
    if (!raw.ok) return refuse(res, raw.problem === 'too_large' ? 413 : 400, raw.problem === 'too_large' ? 'too_large' : 'malformed', raw.detail);
    const limits = {
      maxSeries: deps.limits.max_series_per_request,
      maxLabelsPerSeries: deps.limits.max_labels_per_series,
      maxSamplesPerSeries: deps.limits.max_samples_per_series,
      maxLabelNameBytes: deps.limits.max_label_name_bytes,
      maxLabelValueBytes: deps.limits.max_label_value_bytes,
    };
    // Steady state of a per-agent token without forwarding: every series known by its sent bytes, so
    // only values move (labels were validated and enforced when each series was first seen).
    // With forwarding every request is decoded in full (the upstream needs the relabelled series), so no scan.
    const nowMs = now();
    const window: TimeWindow = { nowMs, oldestMs: nowMs - deps.limits.sample_max_age, newestMs: nowMs + deps.limits.sample_max_future };
    const scanned = who.agent !== undefined && !deps.forwarding ? scanWriteRequest(raw.body, limits) : undefined;
    // A sample out of the time window sends the request the full path, which drops it.
    const inWindow = scanned !== undefined && scanned.oldestTimestampMs >= window.oldestMs && scanned.newestTimestampMs <= window.newestMs;
    if (
      scanned &&
      inWindow &&
      deps.state.applyKnown({ province: who.province, center: who.center, agent: who.agent!, address: req.socket.remoteAddress }, scanned.series, nowMs)
    ) {
      deps.accepted([], scanned.samples);
      res.status(204).end();
      return;
    }
    const decoded = decodeWriteRequest(raw.body, limits);
    if (!decoded.ok) {
      const { status, reason } = DECODE_STATUS[decoded.problem];
      return refuse(res, status, reason, decoded.detail);
    }
    // The scan's keys line up with the decoded series only when both read every series.
    const sentKeys = scanned && scanned.series.length === decoded.series.length ? scanned.series.map((x) => x.key) : undefined;
    accept(deps, who, decoded.series, decoded.samples, res, refuse, window, sentKeys, warnSkew, req.socket.remoteAddress);
  };
}

interface TimeWindow {
  nowMs: number;
  oldestMs: number;
  newestMs: number;
}

/** One warning per agent per minute: a wrong clock pushes every few seconds. */
function skewWarner(log: Logger): (who: Identity, agent: string, bounded: TimeBounded, nowMs: number) => void {
  const lastWarned = new Map<string, number>();
  return (who, agent, bounded, nowMs) => {
    const key = `${who.province}/${who.center}/${agent}`;
    if (nowMs - (lastWarned.get(key) ?? -Infinity) < 60_000) return;
    // Agents are bounded per center, but a long-lived server meets many: the map is emptied now and then.
    if (lastWarned.size >= 10_000) lastWarned.clear();
    lastWarned.set(key, nowMs);
    log.warn('samples with timestamps out of bounds dropped (is the agent clock wrong?)', {
      token: who.tokenId,
      center: who.center,
      agent,
      ...bounded.refused,
      skew_ms: bounded.worstSkewMs,
    });
  };
}

function accept(
  deps: ReceiverDeps,
  who: Identity,
  series: TimeSeries[],
  samples: number,
  res: Response,
  refuse: (res: Response, status: number, reason: RefusedReason, detail: string) => void,
  window: TimeWindow,
  sentKeys: readonly string[] | undefined,
  warnSkew: ReturnType<typeof skewWarner>,
  address: string | undefined,
): void {
  const enforced = enforceLabels(series, who);
  if (!enforced.ok) return refuse(res, 400, 'invalid_labels', enforced.detail);
  // An empty request of a per-center token names no agent: nothing to record.
  if (enforced.agent === undefined) {
    deps.accepted([], 0);
    res.status(204).end();
    return;
  }
  const bounded = dropOutOfBounds(enforced.series, window.oldestMs, window.newestMs, window.nowMs);
  const dropped = bounded.refused.timestamp_future + bounded.refused.timestamp_past;
  // Sent keys stand for the enforced labels only when the token fixes the agent; a per-center token's agents are bounded.
  const perAgent = who.agent !== undefined;
  const applied = deps.state.apply(
    { province: who.province, center: who.center, agent: enforced.agent, address },
    bounded.series,
    window.nowMs,
    perAgent ? sentKeys : undefined,
    !perAgent,
  );
  if (!applied.ok) {
    const { reason, detail } = LIMIT_REFUSAL[applied.scope](applied.limit, who.center);
    deps.log.warn(`${detail}; write refused`, {
      token: who.tokenId,
      center: who.center,
      agent: enforced.agent,
      limit: applied.limit,
      new_series: applied.newSeries,
    });
    return refuse(res, 429, reason, detail);
  }
  if (dropped > 0) {
    const reasons = SAMPLE_REFUSED_REASONS.filter((r) => bounded.refused[r] > 0);
    for (const r of reasons) deps.samplesRefused(r, bounded.refused[r]);
    // Retrying cannot help, so the answer stays 204; these headers tell the agent what was dropped.
    res.setHeader('X-Centerwatch-Refused-Samples', String(dropped));
    res.setHeader('X-Centerwatch-Refused-Reason', reasons.join(','));
    warnSkew(who, enforced.agent, bounded, window.nowMs);
  }
  deps.accepted(dropped > 0 ? bounded.series.filter((ts) => ts.samples.length > 0) : bounded.series, samples - dropped);
  res.status(204).end();
}

const LIMIT_REFUSAL: Record<'agent' | 'center' | 'agents', (limit: number, center: string) => { reason: RefusedReason; detail: string }> = {
  agent: (limit) => ({ reason: 'series_limit', detail: `more than ${limit} series for this agent (limits.max_series_per_agent)` }),
  center: (limit, center) => ({ reason: 'series_limit', detail: `more than ${limit} series for center ${center} (limits.max_series_per_center)` }),
  agents: (limit, center) => ({
    reason: 'agent_limit',
    detail: `center ${center} has ${limit} agents already (limits.max_agents_per_center): a new agent is accepted once one has been silent for limits.series_ttl`,
  }),
};

/** The request body, or why not: more than `max` bytes (stops reading) or the client went away. */
function readBounded(req: Request, max: number): Promise<Buffer | 'too_large' | 'aborted'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    req.resume();
    return Promise.resolve('too_large');
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > max) {
        req.off('data', onData);
        req.resume();
        resolve('too_large');
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks, size)));
    req.on('error', () => resolve('aborted'));
    // The client went away before sending the whole body (a settled promise ignores later calls).
    req.on('close', () => {
      if (!req.complete) resolve('aborted');
    });
  });
}
