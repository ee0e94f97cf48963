/**
 * The agent's HTTP client for the province server's enrolment and config API (common/enrolment.ts):
 * one request, answered or not, never thrown. Used by `enroll` and by the ConfigSync of a running agent.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { networkReason, type NetworkReason } from '../../common/remote-write/sender.js';
import { request as httpsRequest } from 'node:https';
import { REPORT_HEADERS } from '../../common/enrolment.js';

/** Why a request got no HTTP answer; a closed set, said to people by `unreachableText`. */
export type Unreachable = NetworkReason | 'timeout' | 'too_large' | 'aborted';

export type CentralAnswer =
  | { kind: 'answer'; status: number; headers: IncomingHttpHeaders; body: string }
  | { kind: 'unreachable'; reason: Unreachable; /** The system's error code (ECONNREFUSED, CERT_HAS_EXPIRED…), never a message. */ code?: string };

export interface CentralRequest {
  method: 'GET' | 'POST';
  /** `https://host:port` (checked by centralServerProblem before). */
  server: string;
  path: string;
  headers?: Record<string, string>;
  /** JSON text for a POST. */
  body?: string;
  /** PEM CA bundle to trust for the server's certificate. */
  ca?: string;
  /** Deadline for the whole exchange. Default 15 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The largest answer read: a rendered config is a few KiB; anything past this is not one. */
export const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/** What the agent runs, sent with every request (REPORT_HEADERS). */
export interface RunningReport {
  version: string;
  platform: string;
  /** The running config's revision, '' before the first central config. */
  revision: string;
  /** Samples waiting in the WAL; absent when the agent does not push. */
  backlog?: number;
}

export function reportHeaders(r: RunningReport): Record<string, string> {
  const h: Record<string, string> = {
    [REPORT_HEADERS.version]: r.version,
    [REPORT_HEADERS.platform]: r.platform,
    [REPORT_HEADERS.revision]: r.revision,
  };
  if (r.backlog !== undefined) h[REPORT_HEADERS.backlog] = String(r.backlog);
  return h;
}

/** Sends one request; resolves with the answer or why there was none. */
export function centralRequest(r: CentralRequest): Promise<CentralAnswer> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (a: CentralAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(a);
    };
    const url = new URL(r.path, r.server);
    const https = url.protocol === 'https:';
    const headers: Record<string, string | number> = { accept: 'application/json, application/yaml, text/plain', ...r.headers };
    if (r.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(r.body);
    }
    const req = (https ? httpsRequest : httpRequest)(url, { method: r.method, headers, ca: r.ca, signal: r.signal, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_ANSWER_BYTES) {
          req.destroy();
          settle({ kind: 'unreachable', reason: 'too_large' });
        } else chunks.push(c);
      });
      res.on('error', () => settle({ kind: 'unreachable', reason: 'reset' }));
      res.on('end', () => settle({ kind: 'answer', status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    const timer = setTimeout(() => {
      req.destroy();
      settle({ kind: 'unreachable', reason: 'timeout' });
    }, r.timeoutMs ?? 15_000);
    req.on('error', (err: NodeJS.ErrnoException) =>
      settle({ kind: 'unreachable', reason: r.signal?.aborted ? 'aborted' : networkReason(err), ...(err.code ? { code: err.code } : {}) }),
    );
    req.end(r.body);
  });
}

/** A no-answer as people read it: "connection refused", "certificate not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE; give --ca-file)". */
export function unreachableText(a: Extract<CentralAnswer, { kind: 'unreachable' }>, timeoutMs = 15_000): string {
  switch (a.reason) {
    case 'refused':
      return 'connection refused';
    case 'reset':
      return 'connection reset';
    case 'dns':
      return 'host name not found';
    case 'unreachable':
      return 'no route to the host';
    case 'timeout':
      return `no answer within ${Math.round(timeoutMs / 1000)} s`;
    case 'tls':
      return `TLS failed (${a.code ?? 'handshake'}): is the server's certificate signed by a CA this machine trusts? give its CA with --ca-file`;
    case 'too_large':
      return `an answer larger than ${MAX_ANSWER_BYTES / 1024 / 1024} MiB`;
    case 'aborted':
      return 'stopped';
    case 'network':
      return `network error${a.code ? ` (${a.code})` : ''}`;
  }
}

/** The server's one-line `{ "error": … }`, or the status when the body is not that (a proxy's page). */
export function serverError(a: Extract<CentralAnswer, { kind: 'answer' }>): string {
  try {
    const parsed = JSON.parse(a.body) as { error?: unknown };
    if (typeof parsed.error === 'string' && parsed.error.trim()) return oneLine(parsed.error);
  } catch {
    // not JSON: said by its status below
  }
  return `HTTP ${a.status}`;
}

/** The `problems` of a 409 (a profile that cannot render for this agent), one line each, at most 20. */
export function serverProblems(a: Extract<CentralAnswer, { kind: 'answer' }>): string[] {
  try {
    const parsed = JSON.parse(a.body) as { problems?: unknown };
    if (Array.isArray(parsed.problems))
      return parsed.problems
        .filter((p): p is string => typeof p === 'string')
        .slice(0, 20)
        .map(oneLine);
  } catch {
    // none given
  }
  return [];
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 297)}...` : flat;
}

/** A header's value (the first one when repeated). */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** The revision in an `ETag: "<revision>"` (weak or strong), if it has the shape of one. */
export function revisionOf(etag: string | undefined): string | undefined {
  const m = /^(?:W\/)?"([0-9a-f]{1,64})"$/.exec(etag?.trim() ?? '');
  return m?.[1];
}
