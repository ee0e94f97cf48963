import { z } from 'zod';
import { readLocalSpooler } from '../platform/printer.js';
import { sameQueue, type SpoolerJob, type SpoolerPrinter, type SpoolerSnapshot } from '../platform/win32/cim-printer.js';
import { judgePrinter, PRINTER_STATE } from './printer-reasons.js';
import { failure, type Observation, type ProbeContext, type ProbeResult } from './types.js';

/**
 * The `printer` probe's spooler mode: a local Windows print queue, the counterpart of the CUPS
 * mode on Linux, judged the same way (judgePrinter over IPP-style state reasons) from the
 * spooler's flags, with the jobs waiting and the oldest one's age.
 */

/** Options of the spooler mode (target: the queue's name as Windows shows it, `\\server\share` for a connection). */
export const spoolerPrinterOptions = z
  .object({
    protocol: z.literal('spooler'),
    /**
     * Down (`offline`) once the oldest waiting job is this many seconds old. Unset (the default):
     * only reported, as `oldest_job_age` for thresholds.
     */
    stuck_after_seconds: z.number().positive().optional(),
  })
  .strict();
export type SpoolerPrinterOptions = z.output<typeof spoolerPrinterOptions>;

/** Windows refuses `,` and `!` in printer names; a name is at most 220 characters (MAX_PATH less the share). */
// eslint-disable-next-line no-control-regex -- control characters are what the class refuses, on purpose
const QUEUE = /^[^\x00-\x1f\x7f,!]{1,220}$/;

export function spoolerTargetProblem(target: string): string | undefined {
  return QUEUE.test(target) ? undefined : `${JSON.stringify(target)} is not a Windows printer name (no commas, at most 220 characters)`;
}

/** PRINTER_STATUS_* flags (MS-RPRN 2.2.3.12) as Win32_Printer.PrinterState carries them. */
const PS = {
  paused: 0x1,
  error: 0x2,
  pendingDeletion: 0x4,
  paperJam: 0x8,
  paperOut: 0x10,
  paperProblem: 0x40,
  offline: 0x80,
  notAvailable: 0x1000,
  tonerLow: 0x20000,
  noToner: 0x40000,
  pagePunt: 0x80000,
  userIntervention: 0x100000,
  outOfMemory: 0x200000,
  doorOpen: 0x400000,
  serverUnknown: 0x800000,
  serverOffline: 0x2000000,
} as const;

/** Each flag that names a cause, as the printer-state-reasons keyword judgePrinter knows. */
const FLAG_KEYWORDS: [number, string][] = [
  [PS.paperJam, 'media-jam'],
  [PS.paperOut, 'media-empty'],
  [PS.offline, 'offline'],
  [PS.notAvailable, 'offline'],
  [PS.serverUnknown, 'offline'],
  [PS.serverOffline, 'offline'],
  [PS.pendingDeletion, 'shutdown'],
  [PS.tonerLow, 'toner-low'],
  [PS.noToner, 'toner-empty'],
  [PS.doorOpen, 'door-open'],
];

/** Flags that say the printer needs a person but not why. */
const NEEDS_SERVICE = PS.error | PS.paperProblem | PS.pagePunt | PS.userIntervention | PS.outOfMemory;

/** DetectedErrorState values that name a cause. */
const DETECTED_KEYWORDS: Record<number, string> = {
  3: 'media-low',
  4: 'media-empty',
  5: 'toner-low',
  6: 'toner-empty',
  7: 'door-open',
  8: 'media-jam',
  9: 'offline',
};
const DETECTED_SERVICE = 10;

/** JOB_STATUS_* flags (Win32_PrintJob.StatusMask). */
const JS = {
  paused: 0x1,
  error: 0x2,
  deleting: 0x4,
  offline: 0x20,
  paperOut: 0x40,
  printed: 0x80,
  deleted: 0x100,
  blocked: 0x200,
  userIntervention: 0x400,
  complete: 0x1000,
  retained: 0x2000,
} as const;
/** A job with one of these is not waiting: held on purpose (paused), on its way out, or done. */
const NOT_WAITING = JS.paused | JS.deleting | JS.printed | JS.deleted | JS.complete | JS.retained;
/** A waiting job with one of these is stuck at the printer (switched off, unplugged, out of paper). */
const JOB_STUCK = JS.error | JS.offline | JS.blocked | JS.userIntervention;

/** The IPP-style state and reasons a Windows queue's flags amount to. */
export function spoolerStateReasons(p: SpoolerPrinter): { state: number; reasons: string[]; service: boolean } {
  const reasons = FLAG_KEYWORDS.filter(([bit]) => (p.printerState & bit) !== 0).map(([, kw]) => kw);
  const detected = DETECTED_KEYWORDS[p.detectedErrorState];
  if (detected) reasons.push(detected);
  if (p.workOffline || p.printerStatus === 7) reasons.push('offline');
  const stopped = (p.printerState & PS.paused) !== 0 || p.printerStatus === 6 || p.printerStatus === 7 || p.workOffline;
  const busy = p.printerStatus === 4 || p.printerStatus === 5;
  const state = stopped ? PRINTER_STATE.stopped : busy ? PRINTER_STATE.processing : PRINTER_STATE.idle;
  const service = (p.printerState & NEEDS_SERVICE) !== 0 || p.detectedErrorState === DETECTED_SERVICE;
  return { state, reasons: [...new Set(reasons)], service };
}

/**
 * Judges one queue from a spooler snapshot. Pure. A paused queue and one set to work offline
 * are said as such (fixed on the PC, not at the printer); a job the spooler marks in error,
 * offline or blocked is the one sign many USB printers give of being switched off.
 */
export function spoolerVerdict(snap: SpoolerSnapshot, queue: string, opts: Pick<SpoolerPrinterOptions, 'stuck_after_seconds'>): ProbeResult {
  const p = snap.printers.find((x) => sameQueue(x.name, queue));
  if (!p) return failure('missing', `no printer queue ${JSON.stringify(queue)} (${snap.printers.length} on this PC)`);
  const waiting = snap.jobs.filter((j) => sameQueue(j.queue, queue) && (j.statusMask & NOT_WAITING) === 0);
  const age = oldestAge(waiting, snap.now);
  const observations: Observation[] = [
    { metric: 'queued_jobs', value: waiting.length },
    { metric: 'oldest_job_age', value: age },
  ];
  const { state, reasons, service } = spoolerStateReasons(p);
  const stuck = waiting.filter((j) => (j.statusMask & JOB_STUCK) !== 0);
  if (waiting.some((j) => (j.statusMask & JS.paperOut) !== 0)) reasons.push('media-empty');
  const v = judgePrinter(state, reasons);
  const jobs = waiting.length === 0 ? 'no jobs waiting' : `${waiting.length} job(s) waiting, oldest ${Math.round(age)} s`;
  if (!v.up) {
    const held = [(p.printerState & PS.paused) !== 0 ? 'queue paused' : '', p.workOffline ? 'queue set to use the printer offline' : ''].filter(Boolean);
    const why = v.reason === 'offline' && held.length > 0 ? held.join(', ') : v.detail;
    return failure(v.reason, `${why}; ${jobs}`, { observations });
  }
  if (service) return failure('service_requested', `the spooler reports an error needing attention; ${jobs}`, { observations });
  if (stuck.length > 0) return failure('offline', `job ${stuck[0]!.jobId} in error at the printer (off or unplugged?); ${jobs}`, { observations });
  if (opts.stuck_after_seconds !== undefined && age >= opts.stuck_after_seconds) {
    return failure('offline', `oldest job waiting ${Math.round(age)} s`, { observations });
  }
  return { up: true, reason: v.reason, degraded: v.degraded, message: `${v.detail}; ${jobs}`, observations };
}

/** Seconds the oldest job has waited by the PC's clock; 0 when none waits or none has a time. */
function oldestAge(jobs: readonly SpoolerJob[], now: number): number {
  let oldest = 0;
  for (const j of jobs) if (j.submitted !== undefined) oldest = Math.max(oldest, (now - j.submitted) / 1000);
  return oldest;
}

/** Reads the queue from this platform's spooler. Never throws. */
export async function runSpoolerPrinter(target: string, opts: SpoolerPrinterOptions, ctx: ProbeContext): Promise<ProbeResult> {
  const problem = spoolerTargetProblem(target);
  if (problem) return failure('config', `target ${problem}`);
  const snap = await readLocalSpooler(ctx);
  if (!snap.ok) return failure(snap.reason, snap.message);
  return spoolerVerdict(snap.value, target, opts);
}
