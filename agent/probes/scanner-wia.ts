import type { PnpEntity } from '../platform/win32/cim.js';
import { describeProblem } from '../platform/win32/cim.js';
import { failure, success, type ProbeResult } from './types.js';

/**
 * The imaging devices a `wia:` pattern selects: a device whose name, PnP device id or `vid:pid`
 * equals the pattern (case-insensitively), else the pattern as a case-insensitive regular
 * expression over the whole of one of them. An invalid pattern matches only exactly.
 */
export function matchWiaDevices(devices: readonly PnpEntity[], pattern: string): PnpEntity[] {
  const keys = (d: PnpEntity) =>
    [d.name, d.id, d.vendorId && d.productId ? `${d.vendorId}:${d.productId}` : undefined].filter((k): k is string => k !== undefined);
  const p = pattern.normalize('NFC').toLowerCase();
  const exact = devices.filter((d) => keys(d).some((k) => k.normalize('NFC').toLowerCase() === p));
  if (exact.length > 0) return exact;
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${pattern.normalize('NFC')})$`, 'i');
  } catch {
    return [];
  }
  return devices.filter((d) => keys(d).some((k) => re.test(k.normalize('NFC'))));
}

/**
 * Up when a matching device is present with no Device Manager problem; a match that has one
 * (driver not installed, cannot start) is down as `offline`, none at all is `missing`. Pure.
 */
export function wiaVerdict(devices: readonly PnpEntity[], pattern: string): ProbeResult {
  const found = matchWiaDevices(devices, pattern).filter((d) => d.present);
  if (found.length === 0) return failure('missing', `no imaging device matches (${devices.length} listed)`);
  const working = found.filter((d) => d.problem === 0);
  const label = (d: PnpEntity) => (d.name ?? d.id).slice(0, 80);
  if (working.length === 0) return failure('offline', found.map((d) => `${label(d)}: ${describeProblem(d.problem)}`).join('; '));
  return success({ message: working.map(label).join(', ').slice(0, 200) });
}
