import { failureReason, type CimAnswer } from './cim.js';
import type { PowerShellQuery } from './powershell.js';

/*
 * The Windows print spooler through CIM: Win32_Printer (one per queue) and Win32_PrintJob (one
 * per job in any queue). Only numbers and flags are read; the times are turned into milliseconds
 * since 1970 inside PowerShell, with the PC's own clock alongside, so the age of a job never
 * depends on how PowerShell 5.1 or 7 would print a date.
 */

/** Every queue and every job, with the clock they were read by (fixed text: no queue name in it). */
export const SPOOLER_QUERY =
  '@{ now = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds(); ' +
  'printers = @(Get-CimInstance -ClassName Win32_Printer | Select-Object Name,PrinterStatus,PrinterState,DetectedErrorState,ExtendedPrinterStatus,WorkOffline); ' +
  "jobs = @(Get-CimInstance -ClassName Win32_PrintJob | Select-Object Name,JobId,StatusMask,@{ n = 'Submitted'; e = { ([DateTimeOffset]$_.TimeSubmitted).ToUnixTimeMilliseconds() } }) }";

export interface SpoolerPrinter {
  name: string;
  /** PrinterStatus: 1 other, 2 unknown, 3 idle, 4 printing, 5 warming up, 6 stopped printing, 7 offline. */
  printerStatus: number;
  /** PrinterState: the spooler's PRINTER_STATUS_* bit flags (MS-RPRN 2.2.3.12), 0 when ready. */
  printerState: number;
  /** DetectedErrorState: 0 unknown, 1 other, 2 no error, 3 low paper, 4 no paper, 5 low toner, 6 no toner, 7 door open, 8 jammed, 9 offline, 10 service requested, 11 output bin full. */
  detectedErrorState: number;
  /** "Use Printer Offline" set on the queue. */
  workOffline: boolean;
}

export interface SpoolerJob {
  /** The queue's name (Win32_PrintJob.Name is "<queue>, <job id>"). */
  queue: string;
  jobId: number;
  /** StatusMask: JOB_STATUS_* bit flags. */
  statusMask: number;
  /** TimeSubmitted, ms since 1970; undefined when the answer had none. */
  submitted?: number;
}

export interface SpoolerSnapshot {
  /** The PC's clock at the query, ms since 1970. */
  now: number;
  printers: SpoolerPrinter[];
  jobs: SpoolerJob[];
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** The spooler query's answer; undefined when it has not that shape. */
export function parseSpooler(value: unknown): SpoolerSnapshot | undefined {
  const v = value as { now?: unknown; printers?: unknown; jobs?: unknown } | null;
  if (!v || typeof v.now !== 'number' || !Array.isArray(v.printers) || !Array.isArray(v.jobs)) return undefined;
  const printers: SpoolerPrinter[] = [];
  for (const raw of v.printers as Record<string, unknown>[]) {
    if (typeof raw?.Name !== 'string') continue;
    printers.push({
      name: raw.Name,
      printerStatus: num(raw.PrinterStatus),
      printerState: num(raw.PrinterState),
      detectedErrorState: num(raw.DetectedErrorState),
      workOffline: raw.WorkOffline === true,
    });
  }
  const jobs: SpoolerJob[] = [];
  for (const raw of v.jobs as Record<string, unknown>[]) {
    const name = typeof raw?.Name === 'string' ? raw.Name : undefined;
    // Queue names cannot hold a comma, so the last ", " splits the queue from the job id.
    const cut = name?.lastIndexOf(', ') ?? -1;
    if (!name || cut < 0) continue;
    jobs.push({
      queue: name.slice(0, cut),
      jobId: num(raw.JobId),
      statusMask: num(raw.StatusMask),
      ...(typeof raw.Submitted === 'number' ? { submitted: raw.Submitted } : {}),
    });
  }
  return { now: v.now, printers, jobs };
}

/** Queue names as Windows compares them: case-insensitive; NFC so a name typed decomposed still matches. */
export function sameQueue(a: string, b: string): boolean {
  return a.normalize('NFC').toLowerCase() === b.normalize('NFC').toLowerCase();
}

/** Reads the spooler through the session. */
export async function querySpooler(shell: PowerShellQuery, signal: AbortSignal): Promise<CimAnswer<SpoolerSnapshot>> {
  const a = await shell.query(SPOOLER_QUERY, signal);
  if (!a.ok) return { ok: false, ...failureReason(a) };
  const s = parseSpooler(a.value);
  return s ? { ok: true, value: s } : { ok: false, reason: 'protocol', message: 'answer is not a spooler listing' };
}
