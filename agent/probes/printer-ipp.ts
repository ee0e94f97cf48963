import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { randomInt } from 'node:crypto';
import { z } from 'zod';
import { METRIC } from '../../common/metrics.js';
import { bindAddress } from './binding.js';
import { describeError, reasonFromError } from './errors.js';
import { encodeGetPrinterAttributes, parseIppResponse, printerAttr, type IppResponse } from './ipp-codec.js';
import { judgePrinter, markerObservations } from './printer-reasons.js';
import { familyOf } from './target.js';
import { failure, type MetricSpec, type Observation, type ProbeContext, type ProbeResult } from './types.js';

/** Largest response read: a Get-Printer-Attributes answer for these attributes is a few hundred bytes. */
const MAX_RESPONSE_BYTES = 1 << 20;

export const REQUESTED = [
  'printer-state',
  'printer-state-reasons',
  'printer-is-accepting-jobs',
  'marker-names',
  'marker-levels',
  'marker-types',
  'marker-colors',
  'queued-job-count',
] as const;

/** Options of the `printer` probe's IPP mode (target `ipp://host[:631]/path`, `ipps://…` or `http(s)://…`). */
export const ippPrinterOptions = z
  .object({
    /** How the printer is read: `ipp` (the default), `snmp` (Printer-MIB). */
    protocol: z.literal('ipp').default('ipp'),
    /** PEM file of the CAs to trust for ipps:// instead of Node's bundled ones. */
    ca_file: z.string().optional(),
    /** Accept any certificate on ipps:// (printers usually ship self-signed ones). Default false. */
    insecure_skip_verify: z.boolean().default(false),
    /** Whether a printer that does not accept jobs (printer-is-accepting-jobs false) is down. Default true. */
    require_accepting: z.boolean().default(true),
  })
  .strict();
export type IppPrinterOptions = z.output<typeof ippPrinterOptions>;

/** Metrics the IPP mode reports. */
export const IPP_PRINTER_METRICS: Record<string, MetricSpec> = {
  supply_level: {
    name: METRIC.printerSupplyLevelRatio,
    help: 'Remaining share of a printer supply (toner, ink, …) as the printer reports it, 0..1.',
    type: 'gauge',
    labels: ['supply'],
    threshold: true,
  },
  low_supply_ratio: {
    // Not in METRIC yet: one unlabelled number a threshold can name ("any supply below 10 %").
    name: METRIC.printerLowSupplyRatio,
    help: 'Level of the printer supply with the least left, 0..1.',
    type: 'gauge',
    threshold: true,
  },
  queued_jobs: {
    name: METRIC.printerQueuedJobs,
    help: 'Jobs queued on the printer.',
    type: 'gauge',
    threshold: true,
  },
};

export interface Endpoint {
  url: URL;
  tls: boolean;
  printerUri: string;
}

/** ipp:// is HTTP on port 631 by default, ipps:// HTTPS on 631 (RFC 8010 §4, RFC 7472). */
export function ippEndpoint(target: string): Endpoint | undefined {
  let u: URL;
  try {
    u = new URL(target);
  } catch {
    return undefined;
  }
  const scheme = u.protocol.slice(0, -1);
  if (!['ipp', 'ipps', 'http', 'https'].includes(scheme) || !u.hostname || u.username || u.password) return undefined;
  const tls = scheme === 'ipps' || scheme === 'https';
  const port = u.port || (scheme === 'http' ? '80' : scheme === 'https' ? '443' : '631');
  const path = u.pathname === '' ? '/' : u.pathname;
  // hostname keeps an IPv6 literal's brackets.
  const url = new URL(`${tls ? 'https' : 'http'}://${u.hostname}:${port}${path}`);
  // The printer-uri operation attribute names the printer in IPP terms even when reached by http(s)://.
  const printerUri = `${scheme.startsWith('ipp') ? scheme : tls ? 'ipps' : 'ipp'}://${u.host}${path}`;
  return { url, tls, printerUri };
}

/** The IPP mode's target rule (see ippEndpoint). */
export function ippTargetProblem(target: string): string | undefined {
  if (ippEndpoint(target)) return undefined;
  return `${JSON.stringify(target)} is not an ipp://, ipps:// or http(s):// URL (for SNMP set options.protocol: snmp)`;
}

/** Sends Get-Printer-Attributes and judges the answer. Never throws. */
export async function runIppPrinter(target: string, opts: IppPrinterOptions, ctx: ProbeContext): Promise<ProbeResult> {
  const ep = ippEndpoint(target);
  if (!ep) return failure('config', `target ${ippTargetProblem(target)}`);
  const got = await getPrinterAttributes(ep, opts, ctx);
  if (!got.ok) return got.result;
  const { res, phases } = got;
  // 0x0000–0x00FF are successful-ok and its variants (ignored or substituted attributes).
  if (res.statusCode > 0x00ff) return failure('protocol', `IPP status ${ippStatusText(res.statusCode)}`, { phases });
  return verdictFromAttributes(res, opts, phases);
}

/** An IPP status code as the spec writes it, e.g. 0x0406. */
export function ippStatusText(code: number): string {
  return `0x${code.toString(16).padStart(4, '0')}`;
}

/** The IPP answer with its phases, or the failed result (transport, HTTP, auth, foreign request id). */
export type AttributesAnswer = { ok: true; res: IppResponse; phases: NonNullable<ProbeResult['phases']> } | { ok: false; result: ProbeResult };

/** One Get-Printer-Attributes exchange with `ep`, shared by the `ipp` and `cups` modes. Never throws. */
export function getPrinterAttributes(
  ep: Endpoint,
  opts: Pick<IppPrinterOptions, 'ca_file' | 'insecure_skip_verify'>,
  ctx: ProbeContext,
): Promise<AttributesAnswer> {
  return ippExchange(ep, opts, ctx, (requestId) =>
    encodeGetPrinterAttributes({ printerUri: ep.printerUri, requestId, requested: REQUESTED, user: 'centerwatch' }),
  );
}

/**
 * One IPP request to `ep` (the body made by `encode` for a fresh request id) and its parsed answer.
 * Leaves non-auth IPP status codes to the caller, which knows what they mean for its target. Never throws.
 */
export async function ippExchange(
  ep: Endpoint,
  opts: Pick<IppPrinterOptions, 'ca_file' | 'insecure_skip_verify'>,
  ctx: ProbeContext,
  encode: (requestId: number) => Buffer,
): Promise<AttributesAnswer> {
  const host = ep.url.hostname.replace(/^\[|\]$/g, '');
  const bind = bindAddress(ctx.line, familyOf(host));
  if (!bind.ok) return { ok: false, result: failure('unreachable', bind.message) };
  let ca: Buffer | undefined;
  if (ep.tls && opts.ca_file) {
    try {
      ca = await readFile(opts.ca_file);
    } catch (err) {
      return { ok: false, result: failure('config', `cannot read ca_file (${describeError(err)})`) };
    }
  }
  const requestId = randomInt(1, 0x7fffffff);
  const body = encode(requestId);
  const phases: NonNullable<ProbeResult['phases']> = {};
  const start = performance.now();
  let res: IppResponse;
  try {
    let connectAt = start;
    const http = await post(ep, body, bind.address, ca, opts.insecure_skip_verify, ctx.signal, (event, at) => {
      if (event === 'connect') {
        connectAt = at;
        phases.connect = (at - start) / 1000;
      } else phases.tls = (at - connectAt) / 1000;
    });
    phases.request = (performance.now() - start) / 1000;
    if (http.status === 401 || http.status === 403) return { ok: false, result: failure('auth', `HTTP ${http.status}`, { phases }) };
    if (http.status !== 200) return { ok: false, result: failure('http_status', `HTTP ${http.status}`, { phases }) };
    res = parseIppResponse(http.body);
  } catch (err) {
    return { ok: false, result: failure(reasonFromError(err, ctx.signal), describeError(err, ctx.signal), { phases }) };
  }
  if (res.requestId !== requestId) return { ok: false, result: failure('protocol', 'IPP response for another request', { phases }) };
  if (res.statusCode === 0x0402 || res.statusCode === 0x0403)
    return { ok: false, result: failure('auth', `IPP status ${ippStatusText(res.statusCode)}`, { phases }) };
  return { ok: true, res, phases };
}

/** Turns the printer attributes into a result with observations. Exported for unit tests. */
export function verdictFromAttributes(res: IppResponse, opts: Pick<IppPrinterOptions, 'require_accepting'>, phases: ProbeResult['phases'] = {}): ProbeResult {
  const stateValue = printerAttr(res, 'printer-state')?.[0];
  const state = typeof stateValue === 'number' ? stateValue : undefined;
  const reasons = (printerAttr(res, 'printer-state-reasons') ?? []).filter((r): r is string => typeof r === 'string');
  const observations: Observation[] = markerObservations(printerAttr(res, 'marker-names') ?? [], printerAttr(res, 'marker-levels') ?? [], 'supply_level');
  if (observations.length > 0) observations.push({ metric: 'low_supply_ratio', value: Math.min(...observations.map((o) => o.value)) });
  const queued = printerAttr(res, 'queued-job-count')?.[0];
  if (typeof queued === 'number') observations.push({ metric: 'queued_jobs', value: queued });
  const v = judgePrinter(state, reasons);
  const extra = { phases, observations, message: v.detail };
  if (!v.up) return failure(v.reason, v.detail, extra);
  if (opts.require_accepting && printerAttr(res, 'printer-is-accepting-jobs')?.[0] === false) {
    return failure('offline', 'printer is not accepting jobs', extra);
  }
  return { up: true, reason: v.reason, degraded: v.degraded, ...extra };
}

interface HttpAnswer {
  status: number;
  body: Buffer;
}

function post(
  ep: Endpoint,
  body: Buffer,
  localAddress: string | undefined,
  ca: Buffer | undefined,
  insecure: boolean,
  signal: AbortSignal,
  onPhase: (event: 'connect' | 'secureConnect', at: number) => void,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const options = {
      method: 'POST',
      headers: { 'content-type': 'application/ipp', 'content-length': String(body.length), connection: 'close' },
      signal,
      agent: false as const,
      ...(localAddress ? { localAddress } : {}),
      ...(ep.tls ? { ca, rejectUnauthorized: !insecure } : {}),
    };
    const req = (ep.tls ? httpsRequest : httpRequest)(ep.url, options, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_RESPONSE_BYTES) {
          req.destroy(Object.assign(new Error('IPP response too large'), { code: 'EIPPTOOLARGE' }));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('socket', (s) => {
      s.once('connect', () => onPhase('connect', performance.now()));
      if (ep.tls) s.once('secureConnect', () => onPhase('secureConnect', performance.now()));
    });
    req.on('error', reject);
    req.end(body);
  });
}
