import { isIP } from 'node:net';
import type { Binding } from './binding.js';
import { parseHostPort } from './target.js';

/** The address family of a resolver written `ip`, `ip:port` or `[ipv6]:port`; undefined when it is none of those. */
export function serverFamily(server: string): 4 | 6 | undefined {
  const direct = isIP(server);
  if (direct !== 0) return direct as 4 | 6;
  const hp = parseHostPort(server);
  const family = hp ? isIP(hp.host) : 0;
  return family === 0 ? undefined : (family as 4 | 6);
}

/** Which resolvers a line-bound lookup may use and the local addresses to bind, or why none is usable. */
export type ResolverPlan = { ok: true; servers: string[]; ipv4?: string; ipv6?: string } | { ok: false; message: string };

/**
 * Binds the lookup to the line: each resolver is asked from the line's address of its family.
 * A resolver whose family the line has no address for is dropped rather than asked through
 * another line (the check is about this line); when none is left the check fails.
 * `bind(family)` is `bindAddress(ctx.line, family)`.
 */
export function planResolvers(servers: readonly string[], bind: (family: 4 | 6) => Binding): ResolverPlan {
  if (servers.length === 0) return { ok: false, message: 'no resolver configured' };
  const local: { 4?: string | undefined; 6?: string | undefined } = {};
  const families = new Set<4 | 6>();
  const problems: string[] = [];
  for (const family of [4, 6] as const) {
    if (!servers.some((s) => serverFamily(s) === family)) continue;
    const b = bind(family);
    if (!b.ok) problems.push(b.message);
    // A line's source address is of one family; it cannot carry queries to the other.
    else if (b.address !== undefined && isIP(b.address) !== family) problems.push(`line source ${b.address} is not IPv${family}`);
    else {
      local[family] = b.address;
      families.add(family);
    }
  }
  const usable = servers.filter((s) => {
    const f = serverFamily(s);
    return f !== undefined && families.has(f);
  });
  if (usable.length === 0) return { ok: false, message: problems.join('; ') || 'no usable resolver' };
  return { ok: true, servers: usable, ...(local[4] ? { ipv4: local[4] } : {}), ...(local[6] ? { ipv6: local[6] } : {}) };
}
