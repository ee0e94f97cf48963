import { z } from 'zod';
import { METRIC } from '../../common/metrics.js';
import { printerAttr, type IppResponse } from './ipp-codec.js';
import { encodeGetJobs, oldestJobAge } from './printer-cups-jobs.js';
import { getPrinterAttributes, ippEndpoint, ippExchange, ippStatusText, verdictFromAttributes } from './printer-ipp.js';
import { PRINTER_STATE } from './printer-reasons.js';
import { failure, type MetricSpec, type ProbeContext, type ProbeResult } from './types.js';

/**
 * The `printer` probe's CUPS mode: a local print queue read from cupsd over IPP (cupsd is an IPP
 * server; the queue is the printer object `ipp://<server>/printers/<queue>`). Same request and
 * judgement as the `ipp` mode, plus what only a queue has: disabled (cupsdisable → stopped,
 * `paused`), rejecting jobs (cupsreject), no such queue (client-error-not-found), and a job that
 * does not leave (Get-Jobs): the only sign cupsd gives of a printer that is off or unplugged.
 */

/** cupsd's IPP port. */
const CUPS_PORT = 631;

/** IPP client-error-not-found (RFC 8011 §13.1.4.5): cupsd's answer for a queue it does not have. */
const IPP_NOT_FOUND = 0x0406;

/** cupsd's own limit on queue names, and the characters it refuses in them (plus `@`, our separator). */
// eslint-disable-next-line no-control-regex -- the control characters are what the class refuses, on purpose
const QUEUE_NAME = /^[^\s\x00-\x1f\x7f/\\?'"#@]{1,127}$/;

export interface CupsServer {
  /** Host name or address, an IPv6 literal with its brackets. */
  host: string;
  port: number;
}

/** Parses `host[:port]` (`[v6]:port` for IPv6); the port defaults to 631. Undefined when malformed. */
export function parseCupsServer(s: string): CupsServer | undefined {
  let u: URL;
  try {
    u = new URL(`ipp://${s}`);
  } catch {
    return undefined;
  }
  if (!u.hostname || u.username || u.password || u.pathname !== '' || u.search || u.hash) return undefined;
  return { host: u.hostname, port: u.port ? Number(u.port) : CUPS_PORT };
}

/** Options of the `printer` probe's CUPS mode (target: a queue name, or `queue@host[:port]`). */
export const cupsPrinterOptions = z
  .object({
    protocol: z.literal('cups'),
    /** cupsd to ask when the target names none, `host[:port]`. Default `127.0.0.1:631` (the local scheduler). */
    server: z
      .string()
      .default(`127.0.0.1:${CUPS_PORT}`)
      .refine((s) => parseCupsServer(s) !== undefined, { error: 'expected host[:port] (an IPv6 address in brackets)' }),
    /** Whether a queue that rejects jobs (cupsreject) is down. Default true. */
    require_accepting: z.boolean().default(true),
    /**
     * Down (`offline`) once the oldest waiting job is this many seconds old: the printer behind the
     * queue is not taking it. Unset (the default): only reported, as `oldest_job_age` for thresholds.
     */
    stuck_after_seconds: z.number().positive().optional(),
  })
  .strict();
export type CupsPrinterOptions = z.output<typeof cupsPrinterOptions>;

/** Metrics only the CUPS mode reports (it also reports the IPP mode's: queued_jobs, supplies). */
export const CUPS_PRINTER_METRICS: Record<string, MetricSpec> = {
  oldest_job_age: {
    name: METRIC.printerOldestJobAgeSeconds,
    help: 'How long the oldest job not yet printed has been in the print queue (0 when none waits).',
    type: 'gauge',
    threshold: true,
  },
};

export interface CupsTarget {
  queue: string;
  server: CupsServer;
}

/** Splits `queue` or `queue@host[:port]`; the server comes from `defaultServer` when not named. */
export function parseCupsTarget(target: string, defaultServer: string): CupsTarget | undefined {
  const at = target.indexOf('@');
  const queue = at < 0 ? target : target.slice(0, at);
  const server = parseCupsServer(at < 0 ? defaultServer : target.slice(at + 1));
  if (!QUEUE_NAME.test(queue) || !server) return undefined;
  return { queue, server };
}

/** The CUPS mode's target rule (see parseCupsTarget). */
export function cupsTargetProblem(target: string, defaultServer: string): string | undefined {
  if (parseCupsTarget(target, defaultServer)) return undefined;
  return `${JSON.stringify(target)} is not a CUPS queue name or queue@host[:port]`;
}

/** The queue's printer URI on its cupsd. */
export function cupsQueueUri(t: CupsTarget): string {
  return `ipp://${t.server.host}:${t.server.port}/printers/${encodeURIComponent(t.queue)}`;
}

/** Reads one CUPS queue with Get-Printer-Attributes. Never throws. */
export async function runCupsPrinter(target: string, opts: CupsPrinterOptions, ctx: ProbeContext): Promise<ProbeResult> {
  const t = parseCupsTarget(target, opts.server);
  if (!t) return failure('config', `target ${cupsTargetProblem(target, opts.server)}`);
  const ep = ippEndpoint(cupsQueueUri(t));
  if (!ep) return failure('config', `target ${JSON.stringify(target)} does not make a printer URI`);
  const got = await getPrinterAttributes(ep, { insecure_skip_verify: false }, ctx);
  if (!got.ok) return got.result;
  let age: number | undefined;
  if (got.res.statusCode <= 0x00ff) {
    // The queue answered; its jobs are a second, optional look: without them the verdict stands.
    const jobs = await ippExchange(ep, { insecure_skip_verify: false }, ctx, (requestId) =>
      encodeGetJobs({ printerUri: ep.printerUri, requestId, user: 'centerwatch' }),
    );
    if (jobs.ok && jobs.res.statusCode <= 0x00ff) age = oldestJobAge(jobs.res);
    else ctx.log.debug('cups Get-Jobs gave no answer', { queue: t.queue, reason: jobs.ok ? ippStatusText(jobs.res.statusCode) : jobs.result.reason });
  }
  return cupsVerdict(got.res, t.queue, opts, got.phases, age);
}

/**
 * Judges a queue from cupsd's answer: a missing queue is `missing`; otherwise the printer
 * judgement of the `ipp` mode, with a message that says when the queue itself is held
 * (disabled or rejecting), since that is fixed on the PC, not at the printer. Pure.
 */
export function cupsVerdict(
  res: IppResponse,
  queue: string,
  opts: Pick<CupsPrinterOptions, 'require_accepting' | 'stuck_after_seconds'>,
  phases: ProbeResult['phases'] = {},
  oldestJobAge?: number,
): ProbeResult {
  if (res.statusCode === IPP_NOT_FOUND) return failure('missing', `no CUPS queue ${JSON.stringify(queue)}`, { phases });
  // 0x0000–0x00FF are successful-ok and its variants.
  if (res.statusCode > 0x00ff) return failure('protocol', `IPP status ${ippStatusText(res.statusCode)}`, { phases });
  const r = verdictFromAttributes(res, opts, phases);
  if (oldestJobAge !== undefined) r.observations = [...(r.observations ?? []), { metric: 'oldest_job_age', value: oldestJobAge }];
  if (r.up && opts.stuck_after_seconds !== undefined && oldestJobAge !== undefined && oldestJobAge >= opts.stuck_after_seconds) {
    return failure('offline', `oldest job waiting ${Math.round(oldestJobAge)} s`, { phases, observations: r.observations });
  }
  // Only a plain `offline` verdict gets the queue's wording: a jam or an empty tray says more.
  if (r.up || r.reason !== 'offline') return r;
  const reasons = printerAttr(res, 'printer-state-reasons') ?? [];
  const held: string[] = [];
  // cupsdisable, and CUPS's default error policy (stop-printer) after a failed job, both leave `paused`.
  if (printerAttr(res, 'printer-state')?.[0] === PRINTER_STATE.stopped && reasons.includes('paused')) held.push('queue disabled (paused)');
  if (opts.require_accepting && printerAttr(res, 'printer-is-accepting-jobs')?.[0] === false) held.push('queue rejecting jobs');
  return held.length > 0 ? { ...r, message: held.join(', ') } : r;
}
