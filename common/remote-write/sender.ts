import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** One remote_write destination: the province server, or a Prometheus/VictoriaMetrics receiver. */
export interface RemoteWriteTarget {
  /** Short name used in logs and metric labels (never the URL: it may carry a tenant or a secret). */
  name: string;
  url: string;
  /** Sent as `Authorization: Bearer …`. */
  bearerToken?: string;
  /** PEM CA bundle to trust for an https URL signed by a private CA. */
  ca?: string;
  /** Per-request deadline in ms. */
  timeoutMs: number;
  userAgent: string;
  /** Connection pool to use instead of the shared keep-alive one (the fleet simulator opens many). */
  pool?: HttpAgent;
}

/**
 * Samples a centerwatch receiver accepted the request with but dropped (timestamps outside its window: the
 * sender's clock is wrong), from `X-Centerwatch-Refused-Samples` / `X-Centerwatch-Refused-Reason`.
 */
export interface ServerRefused {
  samples: number;
  /** Reason codes as the receiver names them (`[a-z0-9_]`, at most 4). */
  reasons: string[];
}

/** What happened to one request: sent, worth retrying later, or refused for good (a 4xx other than 429). */
export type SendOutcome =
  | { kind: 'sent'; status: number; refused?: ServerRefused }
  | { kind: 'retry'; reason: string; status?: number; retryAfterMs?: number }
  | { kind: 'rejected'; status: number; detail: string };

/** Maps an HTTP status to what the remote_write spec asks of a sender. */
export function classifyStatus(status: number): SendOutcome['kind'] {
  if (status >= 200 && status < 300) return 'sent';
  if (status === 429 || status >= 500) return 'retry';
  return 'rejected';
}

/** Retry-After as delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** The receiver's refused-samples headers; undefined when absent, zero or unreadable. */
export function parseRefused(samples: string | undefined, reasons: string | undefined): ServerRefused | undefined {
  if (!samples || !/^\d{1,15}$/.test(samples.trim())) return undefined;
  const n = Number(samples.trim());
  if (n === 0) return undefined;
  // Only short codes: the header's text reaches logs, and a reason is a code, not a message.
  const codes = (reasons ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter((r) => /^[a-z0-9_]{1,64}$/.test(r));
  return { samples: n, reasons: [...new Set(codes)].slice(0, 4) };
}

/** Exponential backoff with full jitter: a fleet of agents coming back together does not retry in step. */
export function backoffMs(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.max(minMs, Math.round(ceiling * random()));
}

/**
 * The wait before the next attempt: the target's Retry-After when it gave one, else backoff; always within
 * [minMs, maxMs], so a `Retry-After: 0` (or a bad setting) can never make a busy loop.
 */
export function retryDelayMs(retryAfterMs: number | undefined, attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  return Math.min(maxMs, Math.max(minMs, retryAfterMs ?? backoffMs(attempt, minMs, maxMs, random)));
}

const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 4 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 4 }) };

const MAX_ERROR_BODY = 512;

/** POSTs one snappy-compressed WriteRequest with the headers remote_write 1.0 requires. Never throws. */
export function sendWriteRequest(target: RemoteWriteTarget, body: Uint8Array, signal?: AbortSignal): Promise<SendOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (o: SendOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(o);
    };
    const url = new URL(target.url);
    const https = url.protocol === 'https:';
    const headers: Record<string, string | number> = {
      'Content-Encoding': 'snappy',
      'Content-Type': 'application/x-protobuf',
      'User-Agent': target.userAgent,
      'X-Prometheus-Remote-Write-Version': '0.1.0',
      'Content-Length': body.byteLength,
    };
    if (target.bearerToken) headers.Authorization = `Bearer ${target.bearerToken}`;
    const req = (https ? httpsRequest : httpRequest)(
      url,
      { method: 'POST', headers, agent: target.pool ?? (https ? (target.ca ? undefined : agents.https) : agents.http), ca: target.ca, signal },
      (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_ERROR_BODY) chunks.push(c);
          size += c.length;
        });
        res.on('error', () => settle({ kind: 'retry', reason: 'network' }));
        res.on('end', () => {
          const kind = classifyStatus(status);
          if (kind === 'sent') {
            const refused = parseRefused(header(res.headers['x-centerwatch-refused-samples']), header(res.headers['x-centerwatch-refused-reason']));
            settle(refused ? { kind, status, refused } : { kind, status });
          } else if (kind === 'retry') {
            settle({ kind, status, reason: `http_${status}`, retryAfterMs: parseRetryAfter(header(res.headers['retry-after']), Date.now()) });
          } else {
            const detail = Buffer.concat(chunks).toString('utf8').slice(0, MAX_ERROR_BODY).replace(/\s+/g, ' ').trim();
            settle({ kind, status, detail });
          }
        });
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      settle({ kind: 'retry', reason: 'timeout' });
    }, target.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => settle({ kind: 'retry', reason: signal?.aborted ? 'aborted' : networkReason(err) }));
    req.end(body);
  });
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/** Why a request got no answer, from its socket error: words a log reader and a metric label can use. */
export type NetworkReason = 'refused' | 'reset' | 'dns' | 'unreachable' | 'tls' | 'network';

export function networkReason(err: NodeJS.ErrnoException): NetworkReason {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'dns';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'unreachable';
    default:
      return err.code?.startsWith('ERR_TLS') || err.code?.includes('CERT') || err.code?.includes('SIGNATURE') ? 'tls' : 'network';
  }
}
