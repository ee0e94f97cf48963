import { isIP } from 'node:net';

/** Splits `host:port` / `[v6]:port`; returns undefined when the text is not one. */
export function parseHostPort(target: string): { host: string; port: number } | undefined {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(target) ?? /^([^:[\]]+):(\d{1,5})$/.exec(target);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1]!, port };
}

/** The address family to bind for a target host: 6 for an IPv6 literal, else 4. */
export function familyOf(host: string): 4 | 6 {
  return isIP(host) === 6 ? 6 : 4;
}
