/**
 * The IPv4 default route, read from the kernel's `/proc/net/route` table.
 *
 * Reading the file costs a few microseconds; the alternatives in systeminformation
 * (`networkGatewayDefault`, `networkInterfaceDefault`) spawn `ip route` through a shell on
 * every call (about 3 ms of CPU each on a 2-core machine), which is the whole per-probe budget.
 */

/** The route the kernel uses for destinations no other route covers. */
export interface DefaultRoute {
  interface: string;
  /** Next hop, dotted IPv4; empty for a point-to-point default (`default dev ppp0`). */
  gateway: string;
  metric: number;
}

const RTF_UP = 0x0001;
const RTF_GATEWAY = 0x0002;
const RTF_REJECT = 0x0200;

/**
 * The default route of a `/proc/net/route` text, or undefined when there is none.
 * With several (one per line, as failover setups do) the lowest metric wins, and on a tie the
 * first listed, as the kernel's lookup does. When the winner is `unreachable`, `prohibit` or
 * `blackhole` the kernel drops the traffic instead of trying the next one, so there is no usable
 * default route either. Only the main table is listed: policy routing (`ip rule`) is not seen.
 * `endianness` is the host's (`os.endianness()`): the kernel prints addresses as raw 32-bit words.
 */
export function parseDefaultRoute(text: string, endianness: 'LE' | 'BE' = 'LE'): DefaultRoute | undefined {
  let best: (DefaultRoute & { usable: boolean }) | undefined;
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const [iface, dest, gw, flagsHex, , , metricText, mask] = f as [string, string, string, string, string, string, string, string];
    const flags = parseInt(flagsHex, 16);
    const metric = Number(metricText);
    if (parseInt(dest, 16) !== 0 || parseInt(mask, 16) !== 0 || !(flags & RTF_UP) || !Number.isFinite(metric)) continue;
    if (best && best.metric <= metric) continue;
    const gateway = flags & RTF_GATEWAY ? hexToIPv4(gw, endianness) : '';
    // The kernel writes "*" for a route without a device (blackhole).
    best = { interface: iface, gateway: gateway ?? '', metric, usable: gateway !== undefined && !(flags & RTF_REJECT) && iface !== '*' };
  }
  return best?.usable ? { interface: best.interface, gateway: best.gateway, metric: best.metric } : undefined;
}

/** Dotted IPv4 from the kernel's 8-hex-digit word, or undefined when the text is not one. */
export function hexToIPv4(hex: string, endianness: 'LE' | 'BE' = 'LE'): string | undefined {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) return undefined;
  const bytes = [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return (endianness === 'LE' ? bytes.reverse() : bytes).join('.');
}

/** A comparable identity of a route (metric left out: a metric change alone is no failover). */
export function routeKey(route: DefaultRoute | undefined): string {
  return route ? `${route.interface} via ${route.gateway || '-'}` : 'none';
}

/** Human text for messages and logs. */
export function describeRoute(route: DefaultRoute | undefined): string {
  if (!route) return 'no default route';
  return route.gateway ? `${route.interface} via ${route.gateway}` : `${route.interface} (no gateway)`;
}
