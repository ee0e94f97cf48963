import { networkInterfaces } from 'node:os';
import type { LineBinding } from './types.js';

export type Binding = { ok: true; address?: string } | { ok: false; message: string };

/**
 * The local address a socket should bind to so its traffic leaves through the line.
 * Node cannot bind a socket to a device (SO_BINDTODEVICE), so an interface-only line binds
 * to the interface's first address of the target's family; with policy routing per source
 * address (the usual multi-line setup) that selects the line. A line whose interface has no
 * address (cable out, DHCP lost) is a failed check, not a reason to send through another line.
 */
export function bindAddress(line: LineBinding | undefined, family: 4 | 6 = 4): Binding {
  if (!line || (!line.source && !line.interface)) return { ok: true };
  if (line.source) return { ok: true, address: line.source };
  const wanted = family === 4 ? 'IPv4' : 'IPv6';
  const address = (networkInterfaces()[line.interface!] ?? []).find((a) => a.family === wanted)?.address;
  if (!address) return { ok: false, message: `line ${line.name}: interface ${line.interface} has no ${wanted} address` };
  return { ok: true, address };
}
