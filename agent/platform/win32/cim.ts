import type { Reason } from '../../probes/types.js';
import type { UsbDevice } from '../../probes/usb-match.js';
import type { PowerShellQuery, QueryAnswer } from './powershell.js';

/*
 * CIM queries the Windows agent sends through its PowerShell session, and pure parsers of their
 * answers. Only language-independent fields decide anything: device ids, numeric codes, booleans
 * and CIM's fixed `Status` keywords. Names (`Name`, `Manufacturer`) are the drivers' display text,
 * localized on a Vietnamese Windows for class drivers ("Thiết bị tổng hợp USB"), and serve only
 * to match a user's pattern and to be shown.
 *
 * Every query is a fixed string of ours: no user text reaches PowerShell; selecting by a name
 * happens here, after the answer.
 */

/** A query's answer or why there is none. */
export type CimAnswer<T> = { ok: true; value: T } | { ok: false; reason: Reason; message: string };

/** Win32_PnPEntity fields every device query selects. */
const PNP_FIELDS = 'PNPDeviceID,Name,Manufacturer,PNPClass,ConfigManagerErrorCode,Present,Status';

/** Plug and Play devices on the USB bus (WQL: a backslash in a literal is written `\\`). */
export const USB_QUERY = `@{ devices = @(Get-CimInstance -ClassName Win32_PnPEntity -Filter "PNPDeviceID LIKE 'USB\\\\%'" | Select-Object ${PNP_FIELDS}) }`;

/** Imaging devices (setup class `Image`: the class WIA scanners install under). */
export const IMAGE_DEVICES_QUERY = `@{ devices = @(Get-CimInstance -ClassName Win32_PnPEntity -Filter "PNPClass = 'Image'" | Select-Object ${PNP_FIELDS}) }`;

/** One Win32_PnPEntity as the agent uses it. */
export interface PnpEntity {
  /** PNPDeviceID, e.g. `USB\VID_04A9&PID_1913\5&1A2B3C4D&0&2`. */
  id: string;
  name?: string;
  manufacturer?: string;
  /** Lower-case hex, from a `…\VID_xxxx&PID_xxxx…` id. */
  vendorId?: string;
  productId?: string;
  /** An interface of a composite device (`&MI_nn`), not a device of its own. */
  isInterface: boolean;
  /** ConfigManagerErrorCode: 0 when the device works. */
  problem: number;
  /** Present (Windows 10 and later); absent reads as present. */
  present: boolean;
}

const ID = /^[A-Z0-9_]+\\VID_([0-9A-F]{4})&PID_([0-9A-F]{4})(&MI_[0-9A-F]{2})?/i;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/** The `devices` list of a device query's answer; undefined when the answer has not that shape. */
export function parsePnpEntities(value: unknown): PnpEntity[] | undefined {
  const list = (value as { devices?: unknown } | null)?.devices;
  if (!Array.isArray(list)) return undefined;
  const out: PnpEntity[] = [];
  for (const raw of list as unknown[]) {
    const d = raw as Record<string, unknown> | null;
    const id = str(d?.PNPDeviceID);
    if (!d || !id) continue;
    const m = ID.exec(id);
    const name = str(d.Name);
    const manufacturer = str(d.Manufacturer);
    out.push({
      id,
      ...(name ? { name } : {}),
      ...(manufacturer ? { manufacturer } : {}),
      ...(m ? { vendorId: m[1]!.toLowerCase(), productId: m[2]!.toLowerCase() } : {}),
      isInterface: m?.[3] !== undefined,
      problem: typeof d.ConfigManagerErrorCode === 'number' ? d.ConfigManagerErrorCode : 0,
      present: d.Present !== false,
    });
  }
  return out;
}

/**
 * Device Manager problem codes (ConfigManagerErrorCode, Win32_PnPEntity) the counter meets, in
 * words for messages; others are shown as their number.
 */
const PROBLEMS: Record<number, string> = {
  1: 'not configured',
  3: 'driver corrupted',
  10: 'cannot start',
  18: 'drivers need reinstalling',
  21: 'being removed',
  22: 'disabled',
  24: 'not present or no driver',
  28: 'drivers not installed',
  31: 'not working properly',
  43: 'stopped after reporting problems',
  45: 'not connected',
};

/** "problem 28 (drivers not installed)". */
export function describeProblem(code: number): string {
  const words = PROBLEMS[code];
  return words ? `problem ${code} (${words})` : `problem ${code}`;
}

/** A query's failure as a probe reason; the detail never carries PowerShell's (localized) message. */
export function failureReason(a: Extract<QueryAnswer, { ok: false }>): { reason: Reason; message: string } {
  switch (a.failure) {
    case 'timeout':
      return { reason: 'timeout', message: `PowerShell: ${a.detail}` };
    case 'spawn':
      return { reason: 'missing_binary', message: `cannot start powershell.exe (${a.detail})` };
    case 'error':
      return { reason: 'query_failed', message: `CIM query failed: ${a.detail}` };
    case 'protocol':
    case 'too_large':
      return { reason: 'protocol', message: `PowerShell: ${a.detail}` };
    case 'died':
    case 'closed':
      return { reason: 'internal_error', message: `PowerShell: ${a.detail}` };
  }
}

/** Runs a device query and parses its answer. */
export async function queryPnp(shell: PowerShellQuery, script: string, signal: AbortSignal): Promise<CimAnswer<PnpEntity[]>> {
  const a = await shell.query(script, signal);
  if (!a.ok) return { ok: false, ...failureReason(a) };
  const devices = parsePnpEntities(a.value);
  return devices ? { ok: true, value: devices } : { ok: false, reason: 'protocol', message: 'answer has no device list' };
}

/**
 * USB devices from Win32_PnPEntity as the usb probe matches them: one per device (the interfaces
 * of a composite device and devices no longer present left out), the driver's name as `product`.
 */
export function usbDevicesFromPnp(entities: readonly PnpEntity[]): UsbDevice[] {
  const out: UsbDevice[] = [];
  for (const e of entities) {
    if (!e.vendorId || !e.productId || e.isInterface || !e.present || !/^USB\\/i.test(e.id)) continue;
    out.push({
      vendorId: e.vendorId,
      productId: e.productId,
      ...(e.manufacturer ? { manufacturer: e.manufacturer } : {}),
      ...(e.name ? { product: e.name } : {}),
      ...(e.problem !== 0 ? { problem: e.problem } : {}),
    });
  }
  return out;
}

/** The USB devices Windows has, through the session. */
export async function queryUsbDevices(shell: PowerShellQuery, signal: AbortSignal): Promise<CimAnswer<UsbDevice[]>> {
  const a = await queryPnp(shell, USB_QUERY, signal);
  return a.ok ? { ok: true, value: usbDevicesFromPnp(a.value) } : a;
}
