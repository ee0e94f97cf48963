import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProbeContext } from '../probes/types.js';
import { deviceFromSysfs, type UsbDevice } from '../probes/usb-match.js';
import { forPlatform, type PlatformName } from './index.js';
import type { CimAnswer } from './win32/cim.js';
import { queryUsbDevices } from './win32/cim.js';
import { sharedPowerShell } from './win32/powershell-shared.js';

/*
 * Where the usb probe's device list comes from. Linux: sysfs, rather than through
 * systeminformation, whose usb() runs `lsusb -v` in a shell on every call (a process spawn plus a
 * descriptor dump of every device, tens of ms of CPU), while sysfs costs a readdir and a few small
 * reads per device. Windows: Win32_PnPEntity through the agent's one PowerShell session.
 */

/** Where the kernel lists USB devices (the agent's mount namespace). */
export const SYSFS_USB = '/sys/bus/usb/devices';

const ATTRS = ['idVendor', 'idProduct', 'manufacturer', 'product'] as const;

/**
 * Reads every USB device under a sysfs-shaped directory; a missing directory is no devices.
 * Synchronous on purpose: sysfs attributes are generated in memory and never block, and the
 * async fs API costs ~0.1 ms of CPU per file in thread-pool round trips (a run over 7 devices:
 * 2.9 ms async, 0.34 ms sync).
 */
export function readSysfsUsb(root: string = SYSFS_USB): UsbDevice[] {
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch (err) {
    // No USB bus at all (a VM or container without one): nothing plugged in.
    if ((err as { code?: unknown }).code === 'ENOENT') return [];
    throw err;
  }
  const devices: UsbDevice[] = [];
  // `1-1:1.0` entries are interfaces of a device, not devices.
  for (const e of entries.filter((name) => !name.includes(':'))) {
    const attrs: Record<string, string | undefined> = {};
    for (const a of ATTRS) attrs[a] = readAttr(join(root, e, a));
    const d = deviceFromSysfs(attrs);
    if (d) devices.push(d);
  }
  return devices;
}

/** One attribute file, undefined when the device lacks it (a device with no product string). */
function readAttr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** A platform's USB device list: the devices, or why there are none (a throw is an internal error). */
export type UsbSource = (ctx: ProbeContext) => UsbDevice[] | Promise<UsbDevice[] | CimAnswer<UsbDevice[]>>;

/** Each platform's source. */
export const USB_SOURCES: Record<PlatformName, UsbSource> = {
  linux: () => readSysfsUsb(),
  win32: (ctx) => queryUsbDevices(sharedPowerShell(ctx), ctx.signal),
};

/** This platform's USB devices. */
export const listUsbDevices: UsbSource = forPlatform(USB_SOURCES);
