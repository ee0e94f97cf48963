import { isIP } from 'node:net';
import type { DefaultRoute } from '../../probes/host-route.js';

/**
 * The IPv4 default route from `route print -4`, read by its numbers only: the column titles and the
 * gateway word of a directly connected route ("On-link") are in the display language. A default route
 * is an active-route line `0.0.0.0 0.0.0.0 <gateway> <interface address> <metric>`; the persistent
 * routes below it have no interface column and a word for their metric, so they never match.
 * The lowest metric wins, as in Windows' own choice. `interface` is the interface's address, which
 * `nameOf` turns into its name ("Ethernet", "Wi-Fi") when it can.
 */
export function parseRoutePrint(text: string, nameOf: (address: string) => string | undefined = () => undefined): DefaultRoute | undefined {
  let best: DefaultRoute | undefined;
  for (const raw of text.split('\n')) {
    const m = /^\s*0\.0\.0\.0\s+0\.0\.0\.0\s+(.+?)\s+(\d{1,3}(?:\.\d{1,3}){3})\s+(\d+)\s*$/.exec(raw.replace(/\r$/, ''));
    if (!m) continue;
    const [, gw, iface, metricText] = m as unknown as [string, string, string, string];
    const metric = Number(metricText);
    if (best && best.metric <= metric) continue;
    best = { interface: nameOf(iface) ?? iface, gateway: isIP(gw) === 4 ? gw : '', metric };
  }
  return best;
}
