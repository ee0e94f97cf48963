/** One USB device as the kernel enumerates it (hub interfaces excluded). */
export interface UsbDevice {
  /** Four lower-case hex digits, e.g. `04a9`. */
  vendorId: string;
  /** Four lower-case hex digits, e.g. `1905`. */
  productId: string;
  manufacturer?: string;
  product?: string;
  /**
   * Windows only: the Device Manager problem code (ConfigManagerErrorCode) when not 0, e.g. 28
   * (drivers not installed). A device with a problem is listed but does not count as present.
   */
  problem?: number;
}

/** What a `usb` check looks for; every given field must match. */
export interface UsbCriteria {
  vendorId?: string | undefined;
  productId?: string | undefined;
  /** Matched, case-insensitively, against "manufacturer product". */
  name?: RegExp | undefined;
}

/** The devices meeting every given criterion. */
export function matchDevices(devices: readonly UsbDevice[], c: UsbCriteria): UsbDevice[] {
  const vid = c.vendorId?.toLowerCase();
  const pid = c.productId?.toLowerCase();
  return devices.filter(
    (d) => (vid === undefined || d.vendorId === vid) && (pid === undefined || d.productId === pid) && (c.name === undefined || c.name.test(displayName(d))),
  );
}

/** "manufacturer product", the text a `name` pattern is matched against. */
export function displayName(d: UsbDevice): string {
  return [d.manufacturer, d.product].filter((s) => s !== undefined && s !== '').join(' ');
}

/**
 * Parses `lsusb` (short form) output: `Bus 001 Device 004: ID 04a9:1905 Canon, Inc. CanoScan LiDE 200`.
 * lsusb prints one name from its id database, so it all goes to `product`.
 */
export function parseLsusb(text: string): UsbDevice[] {
  const out: UsbDevice[] = [];
  for (const line of text.split('\n')) {
    const m = /^Bus \d+ Device \d+: ID ([0-9a-fA-F]{4}):([0-9a-fA-F]{4})(?: (.*))?$/.exec(line.trim());
    if (!m) continue;
    const name = m[3]?.trim();
    out.push({ vendorId: m[1]!.toLowerCase(), productId: m[2]!.toLowerCase(), ...(name ? { product: name } : {}) });
  }
  return out;
}

/**
 * One sysfs device directory's attribute files (`idVendor`, `idProduct`, `manufacturer`,
 * `product`; undefined when absent) to a device, or undefined for an interface or hub port
 * entry (no `idVendor`) or malformed ids.
 */
export function deviceFromSysfs(attrs: Record<string, string | undefined>): UsbDevice | undefined {
  const vid = attrs.idVendor?.trim().toLowerCase();
  const pid = attrs.idProduct?.trim().toLowerCase();
  if (!vid || !pid || !/^[0-9a-f]{4}$/.test(vid) || !/^[0-9a-f]{4}$/.test(pid)) return undefined;
  const manufacturer = attrs.manufacturer?.trim();
  const product = attrs.product?.trim();
  return {
    vendorId: vid,
    productId: pid,
    ...(manufacturer ? { manufacturer } : {}),
    ...(product ? { product } : {}),
  };
}
