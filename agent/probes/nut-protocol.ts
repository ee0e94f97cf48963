import type { Observation, Reason } from './types.js';

/*
 * Network UPS Tools' text protocol (docs/net-protocol.txt): one command per line, replies are
 * `OK…`, `ERR <CODE>` or, for LIST VAR, `BEGIN LIST VAR <ups>` / `VAR <ups> <name> "<value>"` /
 * `END LIST VAR <ups>`. Pure: the probe does the I/O.
 */

/** UPS names as upsd accepts them in ups.conf section headers (no spaces, no quotes). */
export const UPS_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** Quotes an argument the way upsd's parser reads it (backslash escapes `"` and `\`). */
export function quoteArg(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export function listVarRequest(ups: string): string {
  return `LIST VAR ${ups}\n`;
}

/** The reason an `ERR <code>` reply stands for. */
export function errReason(code: string): Reason {
  switch (code) {
    case 'UNKNOWN-UPS':
      return 'missing';
    case 'ACCESS-DENIED':
    case 'USERNAME-REQUIRED':
    case 'PASSWORD-REQUIRED':
    case 'INVALID-USERNAME':
    case 'INVALID-PASSWORD':
    case 'USERNAME-ALREADY-SET':
    case 'PASSWORD-ALREADY-SET':
      return 'auth';
    case 'DATA-STALE':
    case 'DRIVER-NOT-CONNECTED':
      return 'offline';
    default:
      return 'protocol';
  }
}

/** The code of an `ERR <code> [extra]` line, or undefined for any other line. */
export function errCode(line: string): string | undefined {
  const m = /^ERR ([A-Z0-9-]+)/.exec(line);
  return m ? m[1] : undefined;
}

/** Unquotes a `"…"` value with backslash escapes; undefined when the text is not one. */
function unquote(text: string): string | undefined {
  if (!text.startsWith('"') || !text.endsWith('"') || text.length < 2) return undefined;
  return text.slice(1, -1).replace(/\\(.)/g, '$1');
}

export type ListVarLine = { kind: 'begin' } | { kind: 'var'; name: string; value: string } | { kind: 'end' } | { kind: 'err'; code: string } | { kind: 'bad' };

/** Classifies one line of a LIST VAR reply for `ups`. */
export function parseListVarLine(line: string, ups: string): ListVarLine {
  const code = errCode(line);
  if (code !== undefined) return { kind: 'err', code };
  if (line === `BEGIN LIST VAR ${ups}`) return { kind: 'begin' };
  if (line === `END LIST VAR ${ups}`) return { kind: 'end' };
  const prefix = `VAR ${ups} `;
  if (line.startsWith(prefix)) {
    const rest = line.slice(prefix.length);
    const sp = rest.indexOf(' ');
    if (sp > 0) {
      const value = unquote(rest.slice(sp + 1));
      if (value !== undefined) return { kind: 'var', name: rest.slice(0, sp), value };
    }
  }
  return { kind: 'bad' };
}

/** The flags of `ups.status` (e.g. `OB LB CHRG`), upper-cased. */
export function statusFlags(status: string | undefined): Set<string> {
  return new Set(
    (status ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((f) => f.toUpperCase()),
  );
}

/** What a UPS's variables say, as a probe result's parts. */
export interface UpsAssessment {
  up: boolean;
  degraded: boolean;
  reason: Reason;
  message: string;
  observations: Observation[];
}

function num(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Judges a UPS from its variables. Order matters: a UPS that is off or told to shut down (OFF,
 * FSD) is down whatever its battery says; low battery (LB, or runtime under `minRuntime`
 * seconds while on battery) is down; on battery is degraded; otherwise up. `RB` (replace battery)
 * and `OVER` (overload) degrade an otherwise healthy UPS with reason service_requested.
 */
export function assessUps(vars: ReadonlyMap<string, string>, minRuntime: number): UpsAssessment {
  const flags = statusFlags(vars.get('ups.status'));
  const charge = num(vars.get('battery.charge'));
  const runtime = num(vars.get('battery.runtime'));
  const load = num(vars.get('ups.load'));
  const onBattery = flags.has('OB');
  const observations: Observation[] = [{ metric: 'upsOnBattery', value: onBattery ? 1 : 0 }];
  if (charge !== undefined) observations.push({ metric: 'upsBatteryChargeRatio', value: charge / 100 });
  if (runtime !== undefined) observations.push({ metric: 'upsRuntimeSeconds', value: runtime });
  if (load !== undefined) observations.push({ metric: 'upsLoadRatio', value: load / 100 });
  // Flags only from the fixed NUT vocabulary, so the message stays short and bounded.
  const shown = [...flags].filter((f) => KNOWN_FLAGS.has(f)).join(' ') || 'no status';
  const detail = [`status ${shown}`, charge !== undefined ? `charge ${charge}%` : '', runtime !== undefined ? `runtime ${runtime}s` : '']
    .filter(Boolean)
    .join(', ');
  const result = (up: boolean, degraded: boolean, reason: Reason): UpsAssessment => ({ up, degraded, reason, message: detail, observations });

  if (flags.size === 0) return result(false, false, 'protocol');
  if (flags.has('OFF') || flags.has('FSD')) return result(false, false, 'offline');
  if (flags.has('LB') || (onBattery && runtime !== undefined && runtime < minRuntime)) return result(false, false, 'low_battery');
  if (onBattery) return result(true, true, 'on_battery');
  if (flags.has('RB') || flags.has('OVER')) return result(true, true, 'service_requested');
  if (flags.has('OL') || flags.has('BYPASS')) return result(true, false, 'ok');
  // WAIT (driver starting) and any status without OL/OB: the power state is unknown.
  return result(false, false, 'offline');
}

const KNOWN_FLAGS = new Set(['OL', 'OB', 'LB', 'HB', 'RB', 'CHRG', 'DISCHRG', 'BYPASS', 'CAL', 'OFF', 'OVER', 'TRIM', 'BOOST', 'FSD', 'ALARM', 'WAIT']);
