/*
 * eSCL (Apple AirScan, published by Mopria) ScannerStatus: GET {base}/ScannerStatus answers
 *   <scan:ScannerStatus xmlns:scan="http://schemas.hp.com/imaging/escl/2011/05/03"
 *                       xmlns:pwg="http://www.pwg.org/schemas/2010/12/sm">
 *     <pwg:Version>2.63</pwg:Version> <pwg:State>Idle</pwg:State>
 *     <scan:AdfState>ScannerAdfLoaded</scan:AdfState> <scan:Jobs>…</scan:Jobs>
 *   </scan:ScannerStatus>
 * Read with a few patterns instead of an XML library: only two leaf elements matter, and
 * devices differ in prefixes, so elements are matched by local name whatever their prefix.
 */

/** pwg:State values (PWG 5108.01 Scan Service), lower-cased: the bounded `state` label. */
export const ESCL_STATES = ['idle', 'processing', 'testing', 'stopped', 'down'] as const;
export type EsclState = (typeof ESCL_STATES)[number];

/** What the agent needs from one ScannerStatus document. */
export interface EsclStatus {
  state: EsclState;
  /** scan:AdfState as sent (e.g. `ScannerAdfJam`), absent on flatbed-only scanners. */
  adfState?: string;
}

/** Parses a ScannerStatus document; undefined when it is not one or its state is unknown. */
export function parseScannerStatus(xml: string): EsclStatus | undefined {
  if (!/<(?:[\w.-]+:)?ScannerStatus[\s>]/.test(xml)) return undefined;
  // Job entries carry their own pwg:JobState; drop them so only the scanner's State is read.
  const top = xml.replace(/<((?:[\w.-]+:)?Jobs)[\s>][\s\S]*?<\/\1>/g, '');
  const raw = leaf(top, 'State');
  const state = raw?.toLowerCase() as EsclState | undefined;
  if (!state || !ESCL_STATES.includes(state)) return undefined;
  const adfState = leaf(top, 'AdfState');
  return { state, ...(adfState ? { adfState } : {}) };
}

function leaf(xml: string, local: string): string | undefined {
  const m = new RegExp(`<(?:[\\w.-]+:)?${local}(?:\\s[^>]*)?>\\s*([^<]*?)\\s*</(?:[\\w.-]+:)?${local}>`).exec(xml);
  return m?.[1] || undefined;
}

/** Verdict on a status: up or not, and the reason when not plainly ok. */
export interface EsclVerdict {
  up: boolean;
  reason: 'ok' | 'offline' | 'media_jam' | 'door_open';
  degraded?: boolean;
}

/** ADF conditions that stop feeding paper; `ScannerAdfEmpty` is not one (the flatbed still works). */
const ADF_FAULTS: Record<string, 'media_jam' | 'door_open'> = {
  ScannerAdfJam: 'media_jam',
  ScannerAdfMispick: 'media_jam',
  ScannerAdfMultipickDetected: 'media_jam',
  ScannerAdfHatchOpen: 'door_open',
};

/**
 * Idle/Processing is up; Testing/Stopped/Down is down (`offline`, or the ADF fault that stopped
 * it). An ADF fault on a scanner still idle leaves the flatbed usable: up, degraded.
 */
export function esclVerdict(s: EsclStatus): EsclVerdict {
  const adf = s.adfState === undefined ? undefined : ADF_FAULTS[s.adfState];
  const working = s.state === 'idle' || s.state === 'processing';
  if (working) return adf ? { up: true, reason: adf, degraded: true } : { up: true, reason: 'ok' };
  return { up: false, reason: adf ?? 'offline' };
}
