/**
 * What the province server's outside-in checks look like to the engine (server/lines/outside-in.ts
 * makes them; server/engine reads them as evidence about a center's lines). One result per center and
 * inventory line with public addresses: whether that line's public address answers from the province.
 *
 * A result is a CheckSnapshot made by the server itself (agent `''`, like `line-in-use`):
 *   check       outsideInCheckId(line)        e.g. `outside-in:fiber`
 *   kind        OUTSIDE_IN_KIND
 *   line        the inventory line's name; lineDescription its title ("Cáp quang VNPT")
 *   impact      'info': a silent address says nothing by itself about serving (a router may drop
 *               ICMP); the engine's topology decides what it explains
 *   up          the address answered (ICMP echo or a TCP connect) within the probe's deadline
 *   reason      the probe's reason when down ('timeout', 'unreachable', 'refused'…)
 */
export const OUTSIDE_IN_KIND = 'outside_in';

const PREFIX = 'outside-in:';

/** The check id of a center's outside-in result for one of its lines. */
export function outsideInCheckId(line: string): string {
  return `${PREFIX}${line}`;
}

/** The line an outside-in check id names, or undefined for any other check id. */
export function lineOfOutsideInCheck(check: string): string | undefined {
  return check.startsWith(PREFIX) ? check.slice(PREFIX.length) : undefined;
}
