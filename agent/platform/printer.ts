import type { ProbeContext } from '../probes/types.js';
import { forPlatform, type PlatformName } from './index.js';
import type { CimAnswer } from './win32/cim.js';
import { querySpooler, type SpoolerSnapshot } from './win32/cim-printer.js';
import { sharedPowerShell } from './win32/powershell-shared.js';

/*
 * Local print queues: each platform has its own queue manager, and the printer probe has one
 * protocol per manager. Linux: cupsd (protocol `cups`, IPP to the local scheduler). Windows: the
 * print spooler (protocol `spooler`, CIM through the agent's PowerShell). The other platform's
 * protocol is not_supported, said before the check runs.
 */

/** The printer protocol that reads each platform's local queues. */
export const LOCAL_QUEUE_PROTOCOL: Record<PlatformName, 'cups' | 'spooler'> = { linux: 'cups', win32: 'spooler' };

const WHY_NOT: Record<'cups' | 'spooler', string> = {
  cups: 'there is no local cupsd on Windows: use protocol spooler for a queue of this PC, or protocol ipp with ipp://<server>:631/printers/<queue> for a queue on a CUPS server',
  spooler: 'the Windows print spooler exists only on Windows: use protocol cups for a local queue here',
};

/** Why a local-queue protocol cannot run on `platform`, or undefined when it is that platform's. */
export function localQueueUnsupported(protocol: 'cups' | 'spooler', platform: PlatformName): string | undefined {
  return LOCAL_QUEUE_PROTOCOL[platform] === protocol ? undefined : WHY_NOT[protocol];
}

export type SpoolerReader = (ctx: ProbeContext) => Promise<CimAnswer<SpoolerSnapshot>>;

/** Each platform's spooler reader (Linux never gets here: unsupportedOn stops it first). */
export const SPOOLER_READERS: Record<PlatformName, SpoolerReader> = {
  linux: () => Promise.resolve({ ok: false, reason: 'not_supported', message: WHY_NOT.spooler }),
  win32: (ctx) => querySpooler(sharedPowerShell(ctx), ctx.signal),
};

/** This platform's spooler. */
export const readLocalSpooler: SpoolerReader = forPlatform(SPOOLER_READERS);
