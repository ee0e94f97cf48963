import { isIP } from 'node:net';
import { parseHostPort } from '../probes/target.js';

const HOSTNAME = /^(?=.{1,253}$)([a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?)*\.?$/;

function isHost(text: string): boolean {
  return isIP(text) !== 0 || HOSTNAME.test(text);
}

/** What is wrong with a check's target for its kind, or undefined when it is fine. */
export function targetProblem(kind: string, target: string): string | undefined {
  switch (kind) {
    case 'icmp':
    case 'dns':
      return isHost(target) ? undefined : `"${target}" is not a host name or IP address`;
    case 'tcp':
    case 'postgres':
    case 'mysql':
    case 'mssql':
    case 'oracle':
    case 'redis':
    case 'mongodb': {
      const hp = parseHostPort(target);
      return hp && isHost(hp.host) ? undefined : `"${target}" is not host:port`;
    }
    case 'http': {
      let url: URL;
      try {
        url = new URL(target);
      } catch {
        return `"${target}" is not a URL`;
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return `URL scheme must be http or https, not ${url.protocol.replace(':', '')}`;
      if (url.username || url.password) return 'credentials in the URL are not allowed (they would reach logs); use options.basic_auth';
      return undefined;
    }
    default:
      return undefined;
  }
}
