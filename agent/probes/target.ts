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

/** `host:port` / `[v6]:port`, or with a default port also `host`, a bare IPv6 address or `[v6]`. */
export function parseEndpoint(target: string, defaultPort?: number): { host: string; port: number } | undefined {
  const hp = parseHostPort(target);
  if (hp || defaultPort === undefined) return hp;
  if (/^[^:[\]\s]+$/.test(target)) return { host: target, port: defaultPort };
  const v6 = /^\[?([0-9A-Fa-f:.]+)\]?$/.exec(target);
  if (v6 && isIP(v6[1]!) === 6) return { host: v6[1]!, port: defaultPort };
  return undefined;
}

const HOSTNAME = /^(?=.{1,253}$)([a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?)*\.?$/;

/** An IP address or a DNS host name. */
export function isHost(text: string): boolean {
  return isIP(text) !== 0 || HOSTNAME.test(text);
}

/*
 * Target rules for `--check-config`: each says what is wrong with a target, or undefined when it is
 * fine. A probe definition's `targetProblem` is one of these or its own.
 */

/** A host name or IP address (icmp, dns). */
export function hostProblem(target: string): string | undefined {
  return isHost(target) ? undefined : `${JSON.stringify(target)} is not a host name or IP address`;
}

/** `host:port`, or with a default port also a host alone (see parseEndpoint). */
export function endpointProblem(target: string, defaultPort?: number): string | undefined {
  const hp = parseEndpoint(target, defaultPort);
  if (hp && isHost(hp.host)) return undefined;
  return `${JSON.stringify(target)} is not ${defaultPort === undefined ? 'host:port' : 'host or host:port'}`;
}

/** `host:port` (tcp and the databases). */
export function hostPortProblem(target: string): string | undefined {
  return endpointProblem(target);
}

/** An http(s) URL without credentials (they would reach logs): `credentialsGo` says where they go instead. */
export function webUrlProblem(text: string, credentialsGo: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `${JSON.stringify(text)} is not a URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `URL scheme must be http or https, not ${url.protocol.replace(':', '')}`;
  if (url.username || url.password) return `credentials in the URL are not allowed (they would reach logs); use ${credentialsGo}`;
  return undefined;
}

/** The address family to bind for a target host: 6 for an IPv6 literal, else 4. */
export function familyOf(host: string): 4 | 6 {
  return isIP(host) === 6 ? 6 : 4;
}

/**
 * The `host:port` (or, with `defaultPort`, `host`) a socket-based probe connects to and the local address bound to its line,
 * or the failed result to return when the target is malformed or the line has no address.
 */
export function endpointOf(
  target: string,
  line: LineBinding | undefined,
  defaultPort?: number,
): { hp: { host: string; port: number }; bind: { ok: true; address?: string } } | { failure: ProbeResult } {
  const hp = parseEndpoint(target, defaultPort);
  if (!hp) return { failure: failure('config', `target ${endpointProblem(target, defaultPort)}`) };
  const bind = bindAddress(line, familyOf(hp.host));
  if (!bind.ok) return { failure: failure('unreachable', bind.message) };
  return { hp, bind };
}
