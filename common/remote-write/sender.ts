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

/** What happened to one request: sent, worth retrying later, or refused for good (a 4xx other than 429). */
export type SendOutcome =
  | { kind: 'sent'; status: number }
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

/** Exponential backoff with full jitter: a fleet of agents coming back together does not retry in step. */
export function backoffMs(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.max(minMs, Math.round(ceiling * random()));
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
          if (kind === 'sent') settle({ kind, status });
          else if (kind === 'retry') {
            const retryAfter = Array.isArray(res.headers['retry-after']) ? res.headers['retry-after'][0] : res.headers['retry-after'];
            settle({ kind, status, reason: `http_${status}`, retryAfterMs: parseRetryAfter(retryAfter, Date.now()) });
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

function networkReason(err: NodeJS.ErrnoException): string {
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
      return err.code?.startsWith('ERR_TLS') || err.code?.includes('CERT') ? 'tls' : 'network';
  }
}
