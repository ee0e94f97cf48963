import { request as httpRequest, type IncomingHttpHeaders, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import { performance } from 'node:perf_hooks';

/** Phase timings of one request/response, in seconds. */
export interface ExchangePhases {
  resolve: number;
  connect: number;
  tls?: number;
  first_byte: number;
  transfer: number;
}

export interface ExchangeRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string | undefined;
  /** Source address to bind (the line); with it, name lookups are limited to its family. */
  localAddress?: string | undefined;
  family?: 4 | 6 | undefined;
  ca?: Buffer | undefined;
  rejectUnauthorized: boolean;
  servername?: string | undefined;
  /** Bytes of body read at most; the connection is dropped past it. */
  maxBodyBytes: number;
  /** Keep the body bytes (only when something will read them). */
  keepBody: boolean;
  signal: AbortSignal;
}

export interface ExchangeResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Body bytes received (at most maxBodyBytes). */
  bodyBytes: number;
  /** The body was longer than maxBodyBytes and was cut there. */
  truncated: boolean;
  phases: ExchangePhases;
  /** The peer certificate's notAfter (unix seconds), for https. */
  certExpiry?: number;
}

/**
 * One HTTP(S) request on a fresh connection (`agent: false`, so no pooled socket outlives the
 * run and every run pays, and measures, its own DNS, TCP and TLS). Rejects with the Node error
 * on network or TLS failure and on abort; the connection is always destroyed before settling.
 */
export function exchange(r: ExchangeRequest): Promise<ExchangeResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const mark: { lookup?: number; connect?: number; secure?: number; response?: number } = {};
    let certExpiry: number | undefined;
    let req: ClientRequest | undefined;
    let settled = false;

    const finish = (err: unknown, res?: IncomingMessage, body?: Buffer, bytes = 0, truncated = false): void => {
      if (settled) return;
      settled = true;
      r.signal.removeEventListener('abort', onAbort);
      // A late error from the torn-down connection must not become an unhandled 'error' event.
      req?.on('error', () => {});
      req?.destroy();
      if (err !== undefined || !res) {
        reject(err);
        return;
      }
      const end = performance.now();
      const connectAt = mark.connect ?? t0;
      const ready = mark.secure ?? connectAt;
      const response = mark.response ?? end;
      const phases: ExchangePhases = {
        resolve: ms(mark.lookup, t0),
        connect: ms(connectAt, mark.lookup ?? t0),
        first_byte: ms(response, ready),
        transfer: ms(end, response),
      };
      if (mark.secure !== undefined) phases.tls = ms(mark.secure, connectAt);
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        body: body ?? Buffer.alloc(0),
        bodyBytes: bytes,
        truncated,
        phases,
        ...(certExpiry === undefined ? {} : { certExpiry }),
      });
    };
    const onAbort = (): void => finish(r.signal.reason ?? new DOMException('aborted', 'AbortError'));
    if (r.signal.aborted) {
      onAbort();
      return;
    }
    r.signal.addEventListener('abort', onAbort, { once: true });

    const https = r.url.protocol === 'https:';
    const headers = { ...r.headers };
    if (r.body !== undefined) headers['content-length'] = String(Buffer.byteLength(r.body));
    try {
      req = (https ? httpsRequest : httpRequest)({
        protocol: r.url.protocol,
        host: r.url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: r.url.port || (https ? 443 : 80),
        path: `${r.url.pathname}${r.url.search}`,
        method: r.method,
        headers,
        agent: false,
        ...(r.localAddress ? { localAddress: r.localAddress } : {}),
        ...(r.family ? { family: r.family } : {}),
        ...(https
          ? { rejectUnauthorized: r.rejectUnauthorized, secureContext: secureContextFor(r.ca), ...(r.servername ? { servername: r.servername } : {}) }
          : {}),
      });
    } catch (err) {
      // Invalid header values and the like throw synchronously.
      finish(err);
      return;
    }
    req.once('socket', (socket: Socket) => {
      socket.once('lookup', () => (mark.lookup ??= performance.now()));
      socket.once('connect', () => (mark.connect = performance.now()));
      socket.once('secureConnect', () => {
        mark.secure = performance.now();
        const validTo = (socket as TLSSocket).getPeerCertificate().valid_to;
        const t = validTo ? Date.parse(validTo) : NaN;
        if (Number.isFinite(t)) certExpiry = t / 1000;
      });
    });
    req.once('error', (err) => finish(err));
    req.once('response', (res) => {
      mark.response = performance.now();
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        const room = r.maxBodyBytes - bytes;
        if (chunk.length > room) {
          if (r.keepBody && room > 0) chunks.push(chunk.subarray(0, room));
          finish(undefined, res, Buffer.concat(chunks), r.maxBodyBytes, true);
          return;
        }
        bytes += chunk.length;
        if (r.keepBody) chunks.push(chunk);
      });
      res.once('end', () => finish(undefined, res, Buffer.concat(chunks), bytes));
      res.once('error', (err) => finish(err));
      res.once('aborted', () => finish(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
    });
    req.end(r.body);
  });
}

const contexts = new Map<string, SecureContext>();

/**
 * One TLS context per trust store, reused across runs: building one from a CA file costs about
 * 1 ms of CPU, a third of an https probe. Sharing it does not resume sessions (Node's client
 * contexts keep no internal session cache), so every run still measures a full handshake.
 */
function secureContextFor(ca: Buffer | undefined): SecureContext {
  const key = ca ? ca.toString('latin1') : '';
  let ctx = contexts.get(key);
  if (!ctx) {
    if (contexts.size >= 32) contexts.clear();
    ctx = createSecureContext(ca ? { ca } : {});
    contexts.set(key, ctx);
  }
  return ctx;
}

function ms(to: number | undefined, from: number): number {
  return to === undefined ? 0 : Math.max(0, (to - from) / 1000);
}
