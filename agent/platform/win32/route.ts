import { execFile } from 'node:child_process';
import { isIP } from 'node:net';
import os from 'node:os';
import { HostPartError } from '../../probes/host-parts.js';
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

/** Where Windows keeps route.exe. */
export function routeExePath(env: NodeJS.ProcessEnv = process.env): string {
  return `${env.SystemRoot ?? 'C:\\Windows'}\\System32\\route.exe`;
}

/** route.exe gets this long; the run's own deadline may cut it sooner. */
const ROUTE_TIMEOUT_MS = 5000;

/**
 * Runs `route print -4` and reads its default route. A route.exe that is missing (Wine has none), refused
 * (a locked-down PC) or failing rejects with a HostPartError saying so, never with the text of its output.
 */
export function readRoutePrint(
  signal: AbortSignal,
  exe: string = routeExePath(),
  nameOf: (address: string) => string | undefined = interfaceNames(),
): Promise<DefaultRoute | undefined> {
  return new Promise((resolve, reject) => {
    execFile(exe, ['print', '-4'], { signal, windowsHide: true, timeout: ROUTE_TIMEOUT_MS, maxBuffer: 1 << 20 }, (err, stdout) => {
      if (!err) return resolve(parseRoutePrint(stdout, nameOf));
      reject(routeError(err, signal));
    });
  });
}

function routeError(err: { code?: unknown; killed?: boolean; name?: string }, signal: AbortSignal): Error {
  if (signal.aborted || err.name === 'AbortError') return new HostPartError('timeout', 'route.exe cut at the deadline');
  if (err.code === 'ENOENT') return new HostPartError('missing_binary', 'route.exe not found');
  if (err.code === 'EACCES' || err.code === 'EPERM') return new HostPartError('not_permitted', `route.exe refused (${err.code})`);
  if (err.killed) return new HostPartError('timeout', `route.exe gave no answer within ${ROUTE_TIMEOUT_MS / 1000} s`);
  if (typeof err.code === 'number') return new HostPartError('internal_error', `route.exe exited with ${err.code}`);
  return new HostPartError('internal_error', `route.exe failed (${typeof err.code === 'string' ? err.code : 'error'})`);
}

/** Interface address → name ("Ethernet"), from what Node already knows (no process spawned). */
function interfaceNames(): (address: string) => string | undefined {
  const names = new Map<string, string>();
  for (const [name, addrs] of Object.entries(os.networkInterfaces())) for (const a of addrs ?? []) names.set(a.address, name);
  return (a) => names.get(a);
}
