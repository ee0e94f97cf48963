import { isIP } from 'node:net';
import { bindAddress } from './binding.js';
import { failure, type LineBinding, type ProbeResult } from './types.js';

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

/**
 * The `host:port` a socket-based probe connects to and the local address bound to its line,
 * or the failed result to return when the target is malformed or the line has no address.
 */
export function endpointOf(
  target: string,
  line: LineBinding | undefined,
): { hp: { host: string; port: number }; bind: { ok: true; address?: string } } | { failure: ProbeResult } {
  const hp = parseHostPort(target);
  if (!hp) return { failure: failure('config', `target ${JSON.stringify(target)} is not host:port`) };
  const bind = bindAddress(line, familyOf(hp.host));
  if (!bind.ok) return { failure: failure('unreachable', bind.message) };
  return { hp, bind };
}
